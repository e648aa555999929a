"""Unit tests of simulate(), plan() and keying_check()."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.psychometrics import (
    KeyingResult,
    keying_check,
    plan,
    reliability,
    simulate,
)

ROOT = Path(__file__).resolve().parents[3]
BFI = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
BFI_REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
GROUPS = {g: [f"{g}{i}" for i in range(1, 6)] for g in "ACENO"}

MEASURE_YAML = """\
format: 1
id: sim-measure
version: 1.0.0
title: Simulated measure
licence:
  holder: Test holder
  spdx: CC-BY-4.0
  text_redistribution: allowed
  modification: allowed
scales:
  freq:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
items:
  - {id: q1, text: One, scale: freq}
  - {id: q2, text: Two, scale: freq}
  - {id: q3, text: Three, scale: freq, reverse: true}
  - {id: q4, text: Four, scale: freq}
  - {id: q5, text: Five, scale: freq, reverse: true}
  - {id: q6, text: Six, scale: freq}
scores:
  - id: total
    items: all
    method: sum
"""


@pytest.fixture
def measure(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(MEASURE_YAML), encoding="utf-8")
    return ml.load(str(path))


# ----------------------------------------------------------------------------- simulate
def test_simulate_is_labelled_and_reproducible() -> None:
    a = simulate({"n_items": 6, "values": [1, 2, 3, 4, 5]}, 300, seed=11)
    b = simulate({"n_items": 6, "values": [1, 2, 3, 4, 5]}, 300, seed=11)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["simulated"] is True
    assert a.attrs["simulation"]["model"] == "factor" and a.attrs["simulation"]["seed"] == 11
    assert set(np.unique(a.to_numpy())) <= {1, 2, 3, 4, 5}
    assert a.shape == (300, 6)
    with_col = simulate({"n_items": 3}, 10, seed=1, simulated_column=True)
    assert with_col["simulated"].all()


def test_simulate_measure_respects_options_and_reverse(measure) -> None:
    df = simulate(measure, 2000, seed=5, loadings=0.75)
    assert list(df.columns) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert set(np.unique(df.to_numpy())) <= {0, 1, 2, 3}
    corr = df.corr()
    assert corr.loc["q1", "q3"] < 0 and corr.loc["q1", "q2"] > 0
    res = reliability(df, keys=measure, compute_omega=False)
    assert res.reversed_items == ["q3", "q5"] and res.alpha > 0.8
    assert res.option_range_source == "measure"


@pytest.mark.parametrize("model", ["factor", "grm"])
def test_simulated_alpha_near_population(model: str) -> None:
    # parallel continuous items with loading .7 have alpha k l^2 / (1 + (k-1) l^2)
    k, lam = 8, 0.7
    df = simulate({"n_items": k, "values": list(range(11))}, 4000, seed=2, loadings=lam,
                  model=model)
    expect = k * lam**2 / (1 + (k - 1) * lam**2)
    assert reliability(df, compute_omega=False).alpha == pytest.approx(expect, abs=0.03)


def test_simulate_factors_and_missing() -> None:
    spec = {"items": [{"id": f"x{i}", "factor": "f1" if i < 4 else "f2"} for i in range(1, 7)]}
    df = simulate(spec, 3000, seed=3, factor_corr=0.0, missing=0.1)
    corr = df.corr()
    assert corr.loc["x1", "x2"] > 0.3 and abs(corr.loc["x1", "x5"]) < 0.1
    assert df.isna().mean().mean() == pytest.approx(0.1, abs=0.02)
    assert df.attrs["simulation"]["factors"] == {"f1": ["x1", "x2", "x3"],
                                                 "f2": ["x4", "x5", "x6"]}


def test_simulate_per_score_factors(measure) -> None:
    df = simulate(measure, 50, seed=1, factors="scores")
    assert df.attrs["simulation"]["factors"] == {"total": ["q1", "q2", "q3", "q4", "q5", "q6"]}


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"n": 0}, ValueError, "'n'"),
    ({"model": "rasch"}, ValueError, "model"),
    ({"loadings": 1.2}, ValueError, "loadings"),
    ({"loadings": [0.5, 0.5]}, ValueError, "loadings"),
    ({"missing": 1.5}, ValueError, "missing"),
    ({"thresholds": [0.0, -1.0, 1.0, 2.0]}, ValueError, "thresholds"),
    ({"seed": "a"}, TypeError, "seed"),
])
def test_simulate_parameter_errors(kwargs, exc, word) -> None:
    args = {"n": 10, **kwargs}
    with pytest.raises(exc, match=word):
        simulate({"n_items": 3}, **args)
    with pytest.raises(TypeError, match="measure_or_spec"):
        simulate(["q1"], 10)


# ----------------------------------------------------------------------------- plan
def test_plan_analytic_matches_simulation() -> None:
    res = plan(10, [60, 150], alpha=0.8, n_sim=600, seed=1)
    for _, row in res.table.iterrows():
        assert row["simulated_width"] == pytest.approx(row["expected_width"], rel=0.04)
        assert row["simulated_coverage"] == pytest.approx(0.95, abs=0.025)
        assert row["ci_lower"] < 0.8 < row["ci_upper"]
    w = res.table.set_index("n")["expected_width"]
    assert w[150] < w[60]
    assert "n = 150" in res.summary()
    json.loads(res.to_json())


def test_plan_target_width() -> None:
    res = plan(10, alpha=0.8, width=0.1, n_sim=0)
    n = res.n_for_target
    from measurelib.psychometrics._simulate import _expected_width

    assert _expected_width(n, 10, 0.8, 0.95) <= 0.1 < _expected_width(n - 1, 10, 0.8, 0.95)


def test_plan_errors() -> None:
    with pytest.raises(ValueError, match="n_items"):
        plan(1, 100)
    with pytest.raises(ValueError, match="alpha"):
        plan(5, 100, alpha=1.5)
    with pytest.raises(ValueError, match="'n'"):
        plan(5, 2)
    with pytest.raises(ValueError, match="width"):
        plan(5)


# ----------------------------------------------------------------------------- keying
def test_keying_bfi_declared_keys_hold() -> None:
    res = keying_check(BFI, BFI_REVERSED, groups=GROUPS)
    assert isinstance(res, KeyingResult)
    assert res.contradicted == [] and res.n_items == 25
    assert "behave as keyed" in res.summary()
    assert len(json.loads(res.to_json())["table"]) == 25
    assert list(res.to_frame().columns[:2]) == ["item", "group"]


def test_keying_names_a_missing_reverse_flag() -> None:
    declared = [k for k in BFI_REVERSED if k != "A1"]
    res = keying_check(BFI, declared, groups=GROUPS)
    assert res.contradicted == ["A1"]
    row = res.table.loc["A1"]
    assert row["r_rest"] < 0 and row["pc1_loading"] < 0 and not row["declared_reverse"]
    assert "A1" in res.messages[0] and "should probably be reversed" in res.messages[0]


def test_keying_names_a_wrong_reverse_flag(measure) -> None:
    df = simulate(measure, 800, seed=9)
    assert keying_check(df, measure).contradicted == []
    # data entered already reversed for q3: the declared flag is now wrong
    df["q3"] = 3 - df["q3"]
    res = keying_check(df, measure)
    assert res.contradicted == ["q3"]
    assert "should not be reversed" in res.messages[0]
    assert res.simulated


def test_keying_groups_type_error() -> None:
    with pytest.raises(TypeError, match="groups"):
        keying_check(BFI, [], groups=["A1"])
