"""cfa() and invariance() against lavaan 0.6.14 (tests/reference/lavaan_cfa.R -> .json).

Fit measures must agree to 1e-6, estimates, standard errors and std.all to 1e-4.
Modification indices agree to 1e-3 or 1e-4 relative (they amplify lavaan's own optimizer
tolerance: in the two-group configural model lavaan's estimates are 1.6e-5 from the
optimum, and the MI of 24.8 for x7 ~~ x8 moves by 1.3e-3).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from measurelib.psychometrics import cfa, invariance

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "reference" / "lavaan_cfa.json").read_text())

HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
BIG5 = {
    name: [f"{c}{i}" for i in range(1, 6)]
    for name, c in [("agree", "A"), ("consc", "C"), ("extra", "E"), ("neuro", "N"),
                    ("open", "O")]
}
N_ITEMS = [f"N{i}" for i in range(1, 6)]
A_ITEMS = [f"A{i}" for i in range(1, 6)]

FIT_TOL = 1e-6
CHISQ_REL = 2e-7
CHISQ_KEYS = {"chisq", "chisq_scaled", "baseline_chisq", "baseline_chisq_scaled",
              # log-likelihoods and information criteria are of order 1e5 on bfi: lavaan's
              # two-group five-factor estimates leave -2logL 1.5e-6 (8e-12 relative) above
              # the maximum that measurelib reaches
              "logl", "unrestricted_logl", "aic", "bic", "bic2"}
EST_TOL = 1e-4

# fit measures that measurelib computes (lavaan names with "." -> "_")
FIT_KEYS = [
    "npar", "fmin", "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "baseline_pvalue",
    "cfi", "tli", "logl", "unrestricted_logl", "aic", "bic", "bic2", "ntotal", "rmsea",
    "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "rmsea_notclose_pvalue", "srmr",
    "srmr_bentler", "srmr_bentler_nomean",
    "chisq_scaled", "df_scaled", "pvalue_scaled", "chisq_scaling_factor",
    "baseline_chisq_scaled", "baseline_df_scaled", "baseline_pvalue_scaled",
    "baseline_chisq_scaling_factor", "cfi_scaled", "tli_scaled", "cfi_robust", "tli_robust",
    "rmsea_scaled", "rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled", "rmsea_pvalue_scaled",
    "rmsea_notclose_pvalue_scaled", "rmsea_robust", "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust", "rmsea_pvalue_robust", "rmsea_notclose_pvalue_robust",
    "nnfi", "rni", "nfi", "rfi", "pnfi", "ifi", "mfi", "ecvi", "wrmr", "gfi", "agfi", "pgfi",
]


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "bfi.csv")


CASES: dict[str, Any] = {
    "hs_ml": lambda hs, bfi: cfa(hs, HS_MODEL),
    "hs_ml_stdlv": lambda hs, bfi: cfa(hs, HS_MODEL, std_lv=True),
    "hs_ml_cov": lambda hs, bfi: cfa(hs, HS_MODEL + "\nx7 ~~ x8"),
    "hs_configural": lambda hs, bfi: cfa(hs, HS_MODEL, group="school"),
    "hs_metric": lambda hs, bfi: cfa(hs, HS_MODEL, group="school", group_equal=["loadings"]),
    "hs_scalar": lambda hs, bfi: cfa(hs, HS_MODEL, group="school",
                                     group_equal=["loadings", "intercepts"]),
    "bfi_listwise": lambda hs, bfi: cfa(bfi, BIG5),
    "bfi_fiml": lambda hs, bfi: cfa(bfi, BIG5, missing="fiml"),
    "hs_mlr": lambda hs, bfi: cfa(hs, HS_MODEL, estimator="mlr"),
    "bfi_fiml_mlr": lambda hs, bfi: cfa(bfi, BIG5, missing="fiml", estimator="mlr"),
    "hs_configural_mlr": lambda hs, bfi: cfa(hs, HS_MODEL, group="school", estimator="mlr"),
    "hs_scalar_mlr": lambda hs, bfi: cfa(hs, HS_MODEL, group="school", estimator="mlr",
                                         group_equal=["loadings", "intercepts"]),
    "bfi_n_wlsmv": lambda hs, bfi: cfa(bfi, {"neuro": N_ITEMS}, estimator="wlsmv",
                                       ordered=N_ITEMS),
    "bfi_n_wlsmv_gender": lambda hs, bfi: cfa(bfi, {"neuro": N_ITEMS}, estimator="wlsmv",
                                              ordered=True, group="gender"),
    "bfi_an_wlsmv_stdlv": lambda hs, bfi: cfa(
        bfi, "agree =~ A1 + A2 + A3 + A4 + A5\nneuro =~ N1 + N2 + N3 + N4 + N5",
        estimator="wlsmv", ordered=True, std_lv=True),
    "bfi_gender_scalar": lambda hs, bfi: cfa(bfi, BIG5, group="gender",
                                             group_equal=["loadings", "intercepts"]),
    "bfi_a_wlsmv": lambda hs, bfi: cfa(bfi, {"agree": A_ITEMS}, estimator="wlsmv",
                                       ordered=A_ITEMS),
    "bfi_an_fiml_gender": lambda hs, bfi: cfa(
        bfi, "agree =~ A1 + A2 + A3 + A4 + A5\nneuro =~ N1 + N2 + N3 + N4 + N5",
        missing="fiml", group="gender"),
}

_cache: dict[str, Any] = {}


def fitted(name: str, hs: pd.DataFrame, bfi: pd.DataFrame) -> Any:
    if name not in _cache:
        _cache[name] = CASES[name](hs, bfi)
    return _cache[name]


def _keys(name: str) -> list[str]:
    ref = {k.replace(".", "_") for k, v in REF[name]["fit"].items() if v is not None}
    return [k for k in FIT_KEYS if k in ref]


def _fit_params() -> list[Any]:
    return [pytest.param(name, key, id=f"{name}-{key}") for name in CASES for key in _keys(name)]


@pytest.mark.parametrize(("name", "key"), _fit_params())
def test_fit_measure(name: str, key: str, hs: pd.DataFrame, bfi: pd.DataFrame) -> None:
    res = fitted(name, hs, bfi)
    expected = _ref_fit(name, key)
    assert key in res.fit, f"{key} missing from {name}"
    # Chi-square statistics carry lavaan's optimizer tolerances: for MLR its estimates are
    # converged to ~1e-6 (at lavaan's estimates measurelib reproduces chisq.scaled to 1e-7;
    # at the tighter optimum the two differ by 1e-5 on 87, 1.2e-7 relative); for WLSMV its
    # polychoric correlations (nlminb) differ from the exact roots by up to 8e-9, which moves
    # the statistics by up to 2e-8 relative. These keys are compared to 2e-7 relative.
    # lavaan stops the two-group MLR configural fit early (estimates 1.6e-5 from the
    # optimum), so there the scaled statistic agrees to 1e-6 relative only.
    rel = (1e-6 if name == "hs_configural_mlr" else CHISQ_REL) if key in CHISQ_KEYS else 0
    assert res.fit[key] == pytest.approx(expected, abs=FIT_TOL, rel=rel)


def _ref_fit(name: str, key: str) -> float:
    for k, v in REF[name]["fit"].items():
        if k.replace(".", "_") == key:
            return float(v)
    raise KeyError(key)


@pytest.mark.parametrize("name", list(CASES))
def test_estimates(name: str, hs: pd.DataFrame, bfi: pd.DataFrame, check_estimates) -> None:
    res = fitted(name, hs, bfi)
    assert res.converged
    check_estimates(res, REF[name]["estimates"], EST_TOL)


@pytest.mark.parametrize("name", list(CASES))
def test_standardized(name: str, hs: pd.DataFrame, bfi: pd.DataFrame) -> None:
    res = fitted(name, hs, bfi)
    est = res.estimates.set_index(["lhs", "op", "rhs", "group"])
    for row in REF[name]["std_all"]:
        if row["est.std"] is None:
            continue
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        assert est.loc[key]["std_all"] == pytest.approx(row["est.std"], abs=EST_TOL), key


# Modification indices at measurelib's optimum differ from lavaan's by what lavaan's
# optimizer leaves: in the five-factor bfi fits its estimates are 2-5e-5 from the optimum,
# which moves an MI of 46.5 by 7e-3 (1.5e-4 relative). At lavaan's own estimates the MIs
# agree to 1e-11 (test_modification_indices_at_lavaan_estimates).
MI_TOL = {"bfi_listwise": (3e-3, 5e-4), "bfi_fiml": (3e-3, 5e-4),
          "bfi_fiml_mlr": (3e-3, 5e-4), "bfi_gender_scalar": (3e-3, 5e-4)}
MI_CASES = [n for n in CASES if "modindices" in REF[n]]


@pytest.mark.parametrize("name", MI_CASES)
def test_modification_indices(name: str, hs: pd.DataFrame, bfi: pd.DataFrame) -> None:
    res = fitted(name, hs, bfi)
    mi = res.modification_indices.set_index(["lhs", "op", "rhs", "group"])
    ref = REF[name]["modindices"]
    assert len(mi) == len(ref)
    mi_abs, mi_rel = MI_TOL.get(name, (1e-3, 1e-4))
    for row in ref:
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        got = mi.loc[key]
        assert got["mi"] == pytest.approx(row["mi"], abs=mi_abs, rel=mi_rel), key
        assert got["epc"] == pytest.approx(row["epc"], abs=5e-4), key
        assert got["sepc_all"] == pytest.approx(row["sepc.all"], abs=5e-4), key


@pytest.mark.parametrize("name", MI_CASES)
def test_modification_indices_at_lavaan_estimates(name: str, hs: pd.DataFrame,
                                                  bfi: pd.DataFrame) -> None:
    """The score tests themselves, free of optimizer tolerances: evaluated at lavaan's
    estimates, measurelib's MIs (ML, FIML's pattern-wise expected information, MLR, DWLS)
    are lavaan's to rounding. For WLSMV the polychoric correlations themselves differ from
    lavaan's by up to 8e-9, which moves the MIs by up to 3e-6 (1.5e-6 relative)."""
    from measurelib.psychometrics.sem._fit import _modindices

    res = fitted(name, hs, bfi)
    model, stats, theta, _, ntotal, spec, kind = res._mi_inputs
    est = {(r["lhs"], r["op"], r["rhs"], r["group"]): r["est"] for r in REF[name]["estimates"]}
    at = theta.copy()
    for r in model.rows:
        if r.free:
            at[r.free - 1] = est[(r.lhs, r.op, r.rhs, r.group)]
    mi = _modindices(model, stats, at, model.implied(at), ntotal, spec, kind)
    mi = mi.set_index(["lhs", "op", "rhs", "group"])
    tol, rel, eps = (1e-5, 1e-6, 1e-6) if kind == "dwls" else (1e-8, 1e-9, 1e-9)
    for row in REF[name]["modindices"]:
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        got = mi.loc[key]
        assert got["mi"] == pytest.approx(row["mi"], abs=tol, rel=rel), key
        assert got["epc"] == pytest.approx(row["epc"], abs=eps), key
        assert got["sepc_all"] == pytest.approx(row["sepc.all"], abs=eps), key


def test_invariance_matches_lavtestlrt(hs: pd.DataFrame) -> None:
    res = invariance(hs, HS_MODEL, group="school")
    lrt = REF["hs_lrt"]
    table = res.table.set_index("step")
    for step, ref in zip(["configural", "metric", "scalar"], lrt):
        assert table.loc[step, "chisq"] == pytest.approx(ref["Chisq"], abs=FIT_TOL)
        assert table.loc[step, "df"] == ref["Df"]
        if ref["Chisq_diff"] is not None:
            assert table.loc[step, "chisq_diff"] == pytest.approx(ref["Chisq_diff"], abs=FIT_TOL)
            assert table.loc[step, "df_diff"] == ref["Df_diff"]
            assert table.loc[step, "pvalue_diff"] == pytest.approx(ref["Pr"], abs=FIT_TOL)
    for step, name in [("configural", "hs_configural"), ("metric", "hs_metric"),
                       ("scalar", "hs_scalar")]:
        assert table.loc[step, "cfi"] == pytest.approx(REF[name]["fit"]["cfi"], abs=FIT_TOL)
        assert table.loc[step, "srmr"] == pytest.approx(REF[name]["fit"]["srmr"], abs=FIT_TOL)
    dcfi = REF["hs_scalar"]["fit"]["cfi"] - REF["hs_metric"]["fit"]["cfi"]
    assert table.loc["scalar", "delta_cfi"] == pytest.approx(dcfi, abs=FIT_TOL)
    # scalar invariance fails on these data (ΔCFI = -0.0385, ΔRMSEA = +0.0145, ΔSRMR = +0.0108)
    assert "not supported" in table.loc["scalar", "verdict"]
    assert "supported" in table.loc["metric", "verdict"]
    assert math.isnan(table.loc["configural", "chisq_diff"])


def test_invariance_mlr_matches_lavtestlrt(hs: pd.DataFrame) -> None:
    """Scaled difference tests (lavTestLRT's default for MLR: Satorra-Bentler 2001)."""
    res = invariance(hs, HS_MODEL, group="school", estimator="mlr")
    table = res.table.set_index("step")
    for step, ref in zip(["metric", "scalar"], REF["hs_lrt_mlr"][1:]):
        assert table.loc[step, "chisq_diff"] == pytest.approx(ref["Chisq_diff"], rel=1e-5)
        assert table.loc[step, "df_diff"] == ref["Df_diff"]
        assert table.loc[step, "pvalue_diff"] == pytest.approx(ref["Pr"], rel=1e-4)
