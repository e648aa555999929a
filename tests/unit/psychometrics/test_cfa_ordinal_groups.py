"""WLSMV with equality constraints across groups: parameter table, derivatives, tests."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from measurelib.psychometrics import cfa, invariance
from measurelib.psychometrics.sem._cfa import _build_model
from measurelib.psychometrics.sem._ordinal import OrdinalModel, satorra_2000
from measurelib.psychometrics.sem._syntax import parse_model

ITEMS = ["y1", "y2", "y3", "y4"]


@pytest.fixture(scope="module")
def ordinal() -> pd.DataFrame:
    """Two groups of 4-category items from one factor; group 2 has a higher mean."""
    rng = np.random.default_rng(11)
    frames = []
    for g, shift in (("a", 0.0), ("b", 0.4)):
        eta = rng.normal(shift, 1.0, 600)
        y = 0.7 * eta[:, None] + rng.normal(0, 0.7, (600, 4))
        cats = np.digitize(y, [-0.8, 0.0, 0.8]) + 1
        frame = pd.DataFrame(cats, columns=ITEMS)
        frame["g"] = g
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _model(group_equal: list[str], std_lv: bool = False) -> OrdinalModel:
    spec = parse_model({"f": ITEMS})
    model = _build_model(spec, ITEMS, 2, std_lv, True, group_equal, categorical=True,
                         nthresholds=[3, 3, 3, 3])
    assert isinstance(model, OrdinalModel)
    return model


def _free(model: OrdinalModel, op: str, group: int) -> list[int]:
    return [r.free for r in model.rows if r.op == op and r.group == group]


def test_equal_thresholds_free_scales_and_means() -> None:
    model = _model(["thresholds", "loadings"])
    # lavaan: scale factors (~*~) fixed at 1 in group 1, free in group 2; latent mean too
    assert _free(model, "~*~", 1) == [0, 0, 0, 0]
    assert all(k > 0 for k in _free(model, "~*~", 2))
    assert _free(model, "~1", 1) == [0] * 5
    assert [k > 0 for k in _free(model, "~1", 2)] == [False] * 4 + [True]
    assert _free(model, "|", 1) == _free(model, "|", 2)
    # equal loadings only: scales and means stay fixed
    loadings = _model(["loadings"])
    assert _free(loadings, "~*~", 2) == [0, 0, 0, 0]
    assert _free(loadings, "~1", 2) == [0] * 5


def test_std_lv_with_equal_loadings_frees_later_factor_variances() -> None:
    model = _model(["loadings"], std_lv=True)
    var = [r for r in model.rows if r.op == "~~" and r.lhs == "f"]
    assert [(r.group, r.free > 0) for r in var] == [(1, False), (2, True)]
    fixed = _model(["loadings", "lv.variances"], std_lv=True)
    assert all(r.free == 0 for r in fixed.rows if r.op == "~~" and r.lhs == "f")


def test_std_lv_metric_is_the_marker_metric_model() -> None:
    """Freeing the later factor variances makes std_lv an equivalent identification."""
    hs = pd.read_csv(Path(__file__).resolve().parents[2] / "data"
                     / "holzinger_swineford_1939.csv")
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    marker = cfa(hs, model, group="school", group_equal="loadings")
    std = cfa(hs, model, group="school", group_equal="loadings", std_lv=True)
    assert std.fit["df"] == marker.fit["df"] == 54
    assert std.fit["chisq"] == pytest.approx(marker.fit["chisq"], rel=1e-9)  # lavaan: 124.044


def test_jacobian_matches_finite_differences() -> None:
    model = _model(["thresholds"])
    rng = np.random.default_rng(5)
    theta = rng.uniform(0.3, 0.9, model.npar)
    for r in model.rows:
        if r.free and r.op == "|":
            theta[r.free - 1] = rng.normal()
        if r.free and r.op == "~*~":
            theta[r.free - 1] = rng.uniform(0.8, 1.2)
        if r.free and r.op == "~1":
            theta[r.free - 1] = rng.normal(0, 0.5)
    ri, ci = np.tril_indices(model.p, -1)

    def moments(t: np.ndarray) -> np.ndarray:
        return np.concatenate([np.concatenate([tau, sig[ri, ci]])
                               for sig, _, tau in model.implied(t)])

    analytic = np.concatenate(
        [np.concatenate([dtau, ds[:, ri, ci]], axis=1).T for ds, _, dtau in model.jacobian(theta)])
    h = 1e-6
    numeric = np.column_stack([
        (moments(theta + h * e) - moments(theta - h * e)) / (2 * h) for e in np.eye(model.npar)])
    assert np.max(np.abs(analytic - numeric)) < 1e-8
    # the implied latent-response correlations have a unit diagonal
    for sig, _, _ in model.implied(theta):
        assert np.allclose(np.diag(sig), 1.0)


def test_group_equal_fit_and_difference_test(ordinal: pd.DataFrame) -> None:
    conf = cfa(ordinal, {"f": ITEMS}, estimator="wlsmv", ordered=True, group="g")
    scalar = cfa(ordinal, {"f": ITEMS}, estimator="wlsmv", ordered=True, group="g",
                 group_equal=["thresholds", "loadings"])
    assert scalar.converged
    # 4 x 3 thresholds and 3 loadings equal; 4 scale factors and 1 latent mean freed
    assert scalar.fit["df"] - conf.fit["df"] == 12 + 3 - 4 - 1
    est = scalar.estimates.set_index(["lhs", "op", "rhs", "group"])
    assert est.loc[("f", "~1", "", 2), "est"] > 0.1  # group b was simulated 0.4 SD higher
    assert est.loc[("y1", "~*~", "y1", 2), "std_all"] == 1.0
    # the robust (catML) indices are NA in lavaan once thresholds are equal
    assert math.isnan(scalar.fit["cfi_robust"]) and math.isnan(scalar.fit["rmsea_robust"])
    assert not math.isnan(conf.fit["cfi_robust"])
    stat, df, pv = satorra_2000(conf, scalar)
    assert df == 10 and stat > 0 and 0 < pv <= 1
    # the data hold across groups: the scaled difference is not significant here
    assert pv > 0.01
    # results still serialise; the internals kept for the test are not part of the JSON
    assert "wls" not in json.loads(scalar.to_json())


def test_satorra_2000_needs_wlsmv_fits(ordinal: pd.DataFrame) -> None:
    ml = cfa(ordinal, {"f": ITEMS}, group="g")
    with pytest.raises(ValueError, match="two WLSMV fits"):
        satorra_2000(ml, ml)
    conf = cfa(ordinal, {"f": ITEMS}, estimator="wlsmv", ordered=True, group="g")
    metric = cfa(ordinal, {"f": ITEMS}, estimator="wlsmv", ordered=True, group="g",
                 group_equal="loadings")
    with pytest.raises(ValueError, match="nested"):
        satorra_2000(metric, conf)


def test_invariance_wlsmv_steps(ordinal: pd.DataFrame) -> None:
    res = invariance(ordinal, {"f": ITEMS}, group="g", estimator="wlsmv", ordered=True)
    assert res.estimator == "wlsmv"
    assert list(res.table["step"]) == ["configural", "metric", "scalar"]
    assert res.fits["scalar"].options["group_equal"] == ["thresholds", "loadings"]
    assert list(res.table["df"]) == [4.0, 7.0, 14.0]
    assert res.table["aic"].isna().all()
    assert (res.table["chisq_scaled"] > 0).all()
    assert "scaled chisq" in res.summary()
    with pytest.raises(ValueError, match="needs estimator='wlsmv'"):
        invariance(ordinal, {"f": ITEMS}, group="g", ordered=True)


def test_groups_with_the_same_number_of_different_categories_are_refused() -> None:
    """Each group observes six of an item's seven categories, but not the same six: the
    thresholds would mean different cut-points. lavaan stops ("some categories of variable
    `y2' are empty in group 1"); so does cfa(), naming the item, category and group."""
    from measurelib.errors import DataError

    rng = np.random.default_rng(5)
    n = 200
    data = pd.DataFrame(rng.integers(1, 8, size=(2 * n, 4)).astype(float),
                        columns=["y1", "y2", "y3", "y4"])
    data["grp"] = ["a"] * n + ["b"] * n
    data.loc[:n - 1, "y2"] = data.loc[:n - 1, "y2"].replace(5.0, 4.0)  # a: no 5
    data.loc[n:, "y2"] = data.loc[n:, "y2"].replace(6.0, 7.0)  # b: no 6
    with pytest.raises(DataError) as e:
        cfa(data, "f =~ y1 + y2 + y3 + y4", estimator="wlsmv", ordered=True, group="grp")
    d = e.value.errors[0]
    assert d.location.field == "y2"
    assert "category 5 in group a" in d.message
