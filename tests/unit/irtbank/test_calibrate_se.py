"""Standard errors of the item parameters: ``IRTResult.se_irt`` (delta method) and the
``se:`` that ``calibrate`` writes into each ``irt`` block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.assessment import calibrate
from measurelib.psychometrics import irt

ROOT = Path(__file__).resolve().parents[3]
WELLBEING = ROOT / "instruments" / "banks" / "wellbeing-bank.yaml"
SIMULATED = ROOT / "instruments" / "examples" / "data" / "wellbeing-bank-simulated.csv"
MIXED = ROOT / "tests" / "data" / "irt_mixed_synthetic.csv"


def _numeric_threshold_se(fit: ml.psychometrics.IRTResult, item: str) -> np.ndarray:
    """J V J' with J by central differences of b(a, d) and V from the fit's vcov."""
    design, beta = fit.design_, fit.beta_
    j = fit.items.index(item)
    s, k = design.start[j], design.ncat[j]
    vb = design.M @ fit.vcov @ design.M.T
    v = vb[s:s + k, s:s + k]
    graded = design.kinds[j] == "graded"

    def b_of(p: np.ndarray) -> np.ndarray:
        a, d = p[0], p[1:]
        return -d / a if graded else -np.diff(np.r_[0.0, d]) / a

    p0 = np.asarray(design.item_beta(beta, j), dtype=float)
    h = 1e-6
    jac = np.column_stack([(b_of(p0 + h * e) - b_of(p0 - h * e)) / (2 * h)
                           for e in np.eye(len(p0))])
    return np.sqrt(np.diag(jac @ v @ jac.T))


@pytest.mark.parametrize("model", ["graded", {"item4": "gpcm"}])
def test_threshold_se_is_the_delta_method(model: object) -> None:
    data = pd.read_csv(MIXED)
    fit = irt(data, model=model)  # type: ignore[arg-type]
    assert fit.se_irt is not None
    assert list(fit.se_irt.columns) == list(fit.coef_irt.columns)
    for item in fit.items:
        k = len(fit.categories[item]) - 1
        got = fit.se_irt.loc[item, [f"b{i}" for i in range(1, k + 1)]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, _numeric_threshold_se(fit, item), rtol=1e-6)
        assert fit.se_irt.loc[item, "a"] == fit.se.loc[item, "a"]
        assert (got > 0).all()


def test_threshold_se_of_a_2pl_item_by_hand() -> None:
    data = pd.read_csv(MIXED)
    fit = irt(data, model="graded")
    item = fit.items[0]
    j = 0
    design = fit.design_
    s = design.start[j]
    vb = design.M @ fit.vcov @ design.M.T
    a, d1 = fit.coef.loc[item, "a"], fit.coef.loc[item, "d1"]
    var = (d1 / a**2) ** 2 * vb[s, s] + vb[s + 1, s + 1] / a**2 \
        - 2 * (d1 / a**2) / a * vb[s, s + 1]
    assert fit.se_irt.loc[item, "b1"] == pytest.approx(np.sqrt(var), rel=1e-10)


def test_rasch_thresholds_have_se_without_a_slope_term() -> None:
    data = pd.read_csv(MIXED)
    fit = irt(data, model="rasch")
    assert fit.se_irt["a"].isna().all()
    assert np.isfinite(fit.se_irt.drop(columns="a").to_numpy(dtype=float)).any()


def test_no_se_no_table() -> None:
    fit = irt(pd.read_csv(MIXED), se=None)
    assert fit.se_irt is None


def test_calibrate_writes_the_se_into_each_irt_block() -> None:
    res = calibrate(WELLBEING, SIMULATED, simulated=True, date="2026-12-04")
    fit = res.fits["all"]
    for it in res.measure.items:
        if it.irt is None:
            continue
        assert it.irt.se is not None and it.irt.b is not None and it.irt.se.b is not None
        assert len(it.irt.se.b) == len(it.irt.b)
        np.testing.assert_allclose(
            it.irt.se.b, fit.se_irt.loc[it.id].drop("a").dropna().to_numpy(), atol=1e-6)
        assert it.irt.se.a == pytest.approx(fit.se_irt.loc[it.id, "a"], abs=1e-6)
    text = res.to_yaml()
    assert "se:" in text
    assert ml.loads(text) == res.measure
    # scores do not depend on the SEs
    plain = calibrate(WELLBEING, SIMULATED, simulated=True, date="2026-12-04", se=None)
    assert all(it.irt is None or it.irt.se is None for it in plain.measure.items)
    answers = pd.read_csv(SIMULATED).head(50)
    bank_rule = {"id": "t", "items": "all", "method": "irt"}
    with_se = res.measure.model_copy(update={"scores": [ml.definition.ScoreRule(**bank_rule)]})
    without = plain.measure.model_copy(update={"scores": [ml.definition.ScoreRule(**bank_rule)]})
    pd.testing.assert_series_equal(with_se.score(answers).scores["t"],
                                   without.score(answers).scores["t"])


def test_an_se_list_of_the_wrong_length_is_refused() -> None:
    text = """\
format: 1
id: x
version: 1.0.0
title: X
licence: {holder: x, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  s3: {type: ordinal, options: [{value: 1, label: a}, {value: 2, label: b}, {value: 3, label: c}]}
items:
  - {id: q1, text: one, scale: s3, irt: {a: 1.5, b: [-1, 1], se: {a: 0.1, b: [0.2]}}}
scores:
  - {id: t, items: all, method: irt}
"""
    with pytest.raises(ml.DefinitionError) as err:
        ml.loads(text, "x.yaml")
    assert "se.b" in str(err.value)
