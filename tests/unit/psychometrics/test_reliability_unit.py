"""Unit tests of reliability(): inputs, errors, warnings, keys, item stats, bootstrap."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import measurelib as ml
from measurelib.errors import DataError, MeasurelibWarning, SmallSampleWarning
from measurelib.psychometrics import ReliabilityResult, reliability, simulate

ROOT = Path(__file__).resolve().parents[3]
BFI = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
BFI_LOWER = BFI.rename(columns=str.lower)  # measure item ids are lowercase
A = ["A1", "A2", "A3", "A4", "A5"]

MEASURE_YAML = """\
format: 1
id: unit-measure
version: 1.0.0
title: Unit measure
licence:
  holder: Test holder
  spdx: CC-BY-4.0
  text_redistribution: allowed
  modification: allowed
scales:
  agree:
    type: ordinal
    options:
      - {value: 1, label: Strongly disagree}
      - {value: 2, label: Disagree}
      - {value: 3, label: Neutral}
      - {value: 4, label: Agree}
      - {value: 5, label: Strongly agree}
      - {value: 6, label: Very strongly agree}
items:
  - {id: a1, text: First, scale: agree, reverse: true}
  - {id: a2, text: Second, scale: agree}
  - {id: a3, text: Third, scale: agree}
  - {id: a4, text: Fourth, scale: agree}
  - {id: a5, text: Fifth, scale: agree}
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


def small() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3, 4, 5, 3, 2, 4], "b": [2, 2, 3, 5, 4, 3, 1, 4],
                         "c": [1, 3, 3, 4, 5, 2, 2, 5], "d": [2, 1, 4, 4, 5, 3, 2, 3]})


# ----------------------------------------------------------------------------- basics
def test_result_shape_and_echo() -> None:
    res = reliability(BFI, items=A, keys=["A1"], compute_omega=False)
    assert isinstance(res, ReliabilityResult)
    assert res.n_items == 5 and res.n == 2800 and res.n_rows == 2800
    assert res.items == A and res.reversed_items == ["A1"]
    assert res.ci_method == "feldt" and res.missing == "pairwise" and res.seed is None
    assert list(res.item_stats.index) == A
    for col in ["mean", "sd", "r_drop", "alpha_if_deleted", "floor", "ceiling", "n"]:
        assert col in res.item_stats.columns
    lo, hi = res.alpha_ci
    assert lo < res.alpha < hi
    d = json.loads(res.to_json())
    assert d["alpha"] == res.alpha and d["item_stats"][0]["item"] == "A1"
    assert "note" not in d
    assert set(res.to_frame()["statistic"]) >= {"alpha", "omega_total"}
    assert len(res.to_frame("items")) == 5
    assert "alpha" in res.summary()


def test_result_is_frozen() -> None:
    res = reliability(small(), compute_omega=False)
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        res.alpha = 0.0  # type: ignore[misc]


def test_numpy_input() -> None:
    res = reliability(small().to_numpy(), compute_omega=False)
    assert res.items == ["V1", "V2", "V3", "V4"]
    assert res.alpha == pytest.approx(reliability(small(), compute_omega=False).alpha)


def test_integer_column_labels() -> None:
    df = pd.DataFrame(small().to_numpy())  # columns 0, 1, 2, 3
    res = reliability(df, compute_omega=False)
    assert res.items == ["0", "1", "2", "3"]
    assert res.alpha == pytest.approx(reliability(small(), compute_omega=False).alpha)


def test_alpha_formula_by_hand() -> None:
    df = small()
    C = df.cov().to_numpy()
    k = C.shape[0]
    expect = k / (k - 1) * (1 - np.trace(C) / C.sum())
    res = reliability(df, compute_omega=False)
    assert res.alpha == pytest.approx(expect, abs=1e-12)
    # alpha if deleted = alpha of the remaining items
    sub = reliability(df[["b", "c", "d"]], compute_omega=False)
    assert res.item_stats.loc["a", "alpha_if_deleted"] == pytest.approx(sub.alpha, abs=1e-12)
    # corrected item-total correlation = correlation with the rest score
    rest = df[["b", "c", "d"]].sum(axis=1)
    assert res.item_stats.loc["a", "r_drop"] == pytest.approx(np.corrcoef(df["a"], rest)[0, 1])


# ----------------------------------------------------------------------------- keys
def test_key_forms_agree(measure) -> None:
    by_name = reliability(BFI, items=A, keys=["A1"], compute_omega=False)
    by_dict = reliability(BFI, items=A, keys={"A1": -1}, compute_omega=False)
    by_sign = reliability(BFI, items=A, keys=[-1, 1, 1, 1, 1], compute_omega=False)
    by_psych = reliability(BFI, items=A, keys=["-A1"], compute_omega=False)
    by_measure = reliability(BFI_LOWER, keys=measure, compute_omega=False)
    for other in (by_dict, by_sign, by_psych):
        assert other.alpha == pytest.approx(by_name.alpha, abs=1e-12)
        assert other.reversed_items == ["A1"]
    assert by_measure.alpha == pytest.approx(by_name.alpha, abs=1e-12)
    assert by_measure.items == [a.lower() for a in A]
    assert by_measure.reversed_items == ["a1"]
    assert by_measure.option_range_source == "measure"
    assert by_name.option_range_source == "observed"


def test_reversal_uses_measure_range(measure) -> None:
    res = reliability(BFI_LOWER, keys=measure, compute_omega=False)
    raw_mean = BFI["A1"].mean()
    assert res.item_stats.loc["a1", "mean"] == pytest.approx(7 - raw_mean)
    assert res.item_stats.loc["a1", "lowest_option"] == 1
    assert res.item_stats.loc["a1", "highest_option"] == 6


def test_floor_ceiling() -> None:
    df = pd.DataFrame({"a": [1, 1, 2, 3, 5], "b": [1, 2, 2, 3, 4], "c": [2, 2, 3, 4, 4]})
    res = reliability(df, compute_omega=False, scale_range=(1, 5))
    st = res.item_stats
    assert st.loc["a", "floor"] == pytest.approx(0.4)
    assert st.loc["a", "ceiling"] == pytest.approx(0.2)
    assert st.loc["c", "floor"] == 0 and st.loc["c", "ceiling"] == 0
    assert res.option_range_source == "given"
    observed = reliability(df, compute_omega=False)
    assert observed.item_stats.loc["c", "floor"] == pytest.approx(0.4)  # observed minimum 2
    assert any("observed" in n for n in observed.notes)


@pytest.mark.parametrize("keys, match", [
    (["Z9"], "keys"), ({"A1": 2}, "keys"), ([1, 1], "keys"), ([1, 1, 1, 1, 0], "keys"),
])
def test_bad_keys(keys, match) -> None:
    with pytest.raises(ValueError, match=match):
        reliability(BFI, items=A, keys=keys, compute_omega=False)


# ----------------------------------------------------------------------------- missing data
def test_missing_pairwise_and_listwise_n() -> None:
    pw = reliability(BFI, items=A, keys=["A1"], compute_omega=False)
    lw = reliability(BFI, items=A, keys=["A1"], missing="listwise", compute_omega=False)
    complete = int(BFI[A].notna().all(axis=1).sum())
    assert pw.n == len(BFI) and pw.n_excluded == 0
    assert lw.n == complete and lw.n_excluded == len(BFI) - complete
    assert (lw.item_stats["n"] == complete).all()
    assert pw.item_stats.loc["A1", "n"] == BFI["A1"].notna().sum()


def test_empty_rows_counted_like_psych() -> None:
    df = small().astype(float)
    df.loc[len(df)] = np.nan
    res = reliability(df, compute_omega=False)
    assert res.n == len(df) and res.n_empty_rows == 1
    assert any("no answer" in n for n in res.notes)


def test_pingouin_feldt_uses_n_before_listwise_deletion() -> None:
    """pingouin.cronbach_alpha takes n before deleting incomplete rows; R's
    alpha(na.omit(x)) (and measurelib) use the complete rows."""
    pg = pytest.importorskip("pingouin")
    df = BFI[A].copy()
    df["A1"] = 7 - df["A1"]
    alpha_pg, ci_pg = pg.cronbach_alpha(df, nan_policy="listwise")
    ours = reliability(df, missing="listwise", compute_omega=False)
    assert alpha_pg == pytest.approx(ours.alpha, abs=1e-12)
    n_all, n_complete, k = len(df), ours.n, 5
    assert n_complete < n_all

    def feldt(n: int) -> np.ndarray:
        d1, d2 = n - 1, (n - 1) * (k - 1)
        return np.array([1 - (1 - ours.alpha) * stats.f.isf(0.025, d1, d2),
                         1 - (1 - ours.alpha) * stats.f.isf(0.975, d1, d2)])

    np.testing.assert_allclose(ci_pg, np.round(feldt(n_all), 3))  # pingouin: n before
    np.testing.assert_allclose(ours.alpha_ci, feldt(n_complete), atol=1e-12)  # R / ours
    # pairwise: pingouin and psych agree (apart from pingouin rounding to 3 decimals)
    a2, ci2 = pg.cronbach_alpha(df)
    pw = reliability(df, compute_omega=False)
    assert a2 == pytest.approx(pw.alpha, abs=1e-12)
    np.testing.assert_allclose(ci2, np.round(pw.alpha_ci, 3))


# ----------------------------------------------------------------------------- problems
def test_constant_item_is_an_error_naming_it() -> None:
    df = small()
    df["e"] = 3
    with pytest.raises(DataError) as err:
        reliability(df, compute_omega=False)
    d = err.value.errors[0]
    assert d.code == "data-constant-item" and d.location.field == "e"
    assert "'e'" in d.message and d.hint


def test_empty_item_is_an_error() -> None:
    df = small().astype(float)
    df["e"] = np.nan
    with pytest.raises(DataError) as err:
        reliability(df, compute_omega=False)
    assert err.value.errors[0].code == "data-empty-item"


def test_one_item_is_an_error() -> None:
    with pytest.raises(DataError) as err:
        reliability(small(), items=["a"], compute_omega=False)
    assert err.value.errors[0].code == "data-too-few-items"


def test_two_items_warn_but_compute() -> None:
    with pytest.warns(MeasurelibWarning, match="only 2 items"):
        res = reliability(small(), items=["a", "b"], compute_omega=False)
    C = small()[["a", "b"]].cov().to_numpy()
    assert res.alpha == pytest.approx(2 * (1 - np.trace(C) / C.sum()))
    assert res.item_stats["alpha_if_deleted"].isna().all()
    assert any("only 2 items" in w for w in res.warnings)


def test_collinear_items_warn() -> None:
    df = small()
    df["a_copy"] = df["a"]
    with pytest.warns(MeasurelibWarning, match="collinear.*a~a_copy"):
        res = reliability(df)
    assert np.isfinite(res.alpha)
    assert res.omega_total is None


def test_fewer_respondents_than_items() -> None:
    df = small().iloc[:3]
    with pytest.warns(SmallSampleWarning, match="respondents for"):
        res = reliability(df, compute_omega=False)
    assert res.n == 3


def test_negative_alpha_names_items() -> None:
    rng = np.random.default_rng(1)
    f = rng.standard_normal(300)
    df = pd.DataFrame({"x1": f + rng.standard_normal(300), "x2": f + rng.standard_normal(300),
                       "x3": -2 * f + rng.standard_normal(300)})
    with pytest.warns(MeasurelibWarning) as rec:
        res = reliability(df, compute_omega=False)
    assert res.alpha < 0
    msg = [w for w in res.warnings if "negative" in w and "alpha is negative" in w][0]
    assert "x3" in msg and "reversing" in msg
    assert any("x3" in str(r.message) for r in rec)
    fixed = reliability(df, keys=["x3"], compute_omega=False)
    assert fixed.alpha > 0.5


def test_non_numeric_value_is_located() -> None:
    df = small().astype(object)
    df.loc[2, "b"] = "often"
    with pytest.raises(DataError) as err:
        reliability(df, compute_omega=False)
    d = err.value.errors[0]
    assert d.code == "data-non-numeric" and d.location.row == 4 and d.location.field == "b"


def test_unknown_column() -> None:
    with pytest.raises(DataError) as err:
        reliability(small(), items=["a", "zz"], compute_omega=False)
    assert err.value.errors[0].code == "data-unknown-column"


def test_no_overlap() -> None:
    df = pd.DataFrame({"a": [1, 2, 3, np.nan, np.nan, np.nan],
                       "b": [np.nan, np.nan, np.nan, 1, 2, 3], "c": [1, 2, 3, 3, 2, 2]})
    with pytest.raises(DataError) as err:
        reliability(df, compute_omega=False)
    assert err.value.errors[0].code == "data-no-overlap"


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"missing": "drop"}, ValueError, "missing"),
    ({"ci": "wald"}, ValueError, "ci"),
    ({"n_boot": 2}, ValueError, "n_boot"),
    ({"ci_level": 95}, ValueError, "ci_level"),
    ({"ordinal": "yes"}, TypeError, "ordinal"),
    ({"items": "a"}, TypeError, "items"),
    ({"seed": "x"}, TypeError, "seed"),
])
def test_parameter_errors(kwargs, exc, word) -> None:
    with pytest.raises(exc, match=word) as err:
        reliability(small(), compute_omega=False, **kwargs)
    text = str(err.value)
    assert "reliability()" in text


def test_data_type_error() -> None:
    with pytest.raises(TypeError, match="data"):
        reliability([[1, 2], [3, 4]])


# ----------------------------------------------------------------------------- bootstrap
def _naive_boot(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = []
    for rows in idx:
        C = pd.DataFrame(X[rows]).cov().to_numpy()  # pairwise complete, like R
        k = C.shape[0]
        out.append(k / (k - 1) * (1 - np.trace(C) / C.sum()))
    return np.array(out)


@pytest.mark.parametrize("with_missing", [False, True])
def test_vectorised_bootstrap_equals_loop(with_missing: bool) -> None:
    from measurelib.psychometrics._reliability import _bootstrap_alpha

    X = BFI[A].to_numpy(dtype=float)[:300].copy()
    if not with_missing:
        X = X[~np.isnan(X).any(axis=1)]
    ci, alphas = _bootstrap_alpha(X, 50, 7, 0.95)
    idx = np.random.default_rng(7).integers(0, X.shape[0], size=(50, X.shape[0]),
                                            dtype=np.int32)
    np.testing.assert_allclose(alphas, _naive_boot(X, idx), atol=1e-10)
    np.testing.assert_allclose(ci, np.quantile(alphas, [0.025, 0.975]))


def test_bootstrap_reproducible() -> None:
    a = reliability(BFI, items=A, keys=["A1"], ci="bootstrap", n_boot=200, seed=3,
                    compute_omega=False)
    b = reliability(BFI, items=A, keys=["A1"], ci="bootstrap", n_boot=200, seed=3,
                    compute_omega=False)
    assert a.alpha_ci == b.alpha_ci and a.n_boot == 200 and a.seed == 3
    assert a.alpha_ci[0] < a.alpha < a.alpha_ci[1]


def test_ordinal_bootstrap_runs() -> None:
    df = BFI[A].dropna().iloc[:200]
    res = reliability(df, keys=["A1"], ordinal=True, ci="bootstrap", n_boot=10, seed=1,
                      compute_omega=False)
    assert res.ordinal and res.alpha_ci[0] <= res.alpha_ci[1]


def test_other_ci_level() -> None:
    r90 = reliability(small(), ci_level=0.90, ci="duhachek", compute_omega=False)
    r95 = reliability(small(), ci="duhachek", compute_omega=False)
    assert r90.alpha_ci[1] - r90.alpha_ci[0] < r95.alpha_ci[1] - r95.alpha_ci[0]


# ----------------------------------------------------------------------------- omega / simulated
def test_omega_not_estimable_is_explained() -> None:
    res = reliability(BFI, items=A, keys=["A1"])
    assert res.omega_total is not None and res.omega_hierarchical is None
    assert any("omega_hierarchical not estimable" in w for w in res.warnings)


def test_simulated_data_is_labelled() -> None:
    df = simulate({"n_items": 5}, 200, seed=1, simulated_column=True)
    res = reliability(df, compute_omega=False)
    assert res.simulated and res.items == [f"item{i}" for i in range(1, 6)]
    assert res.to_dict()["note"] == "computed on simulated data"
    assert "simulated" in res.summary()


def test_verdict_bands() -> None:
    res = reliability(BFI, items=A, keys=["A1"], compute_omega=False)
    assert "group comparisons" in res.verdict()
