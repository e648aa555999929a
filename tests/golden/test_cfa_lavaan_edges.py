"""cfa() against lavaan 0.6.14 at the edges found on generated data.

The cases (tests/reference/lavaan_cfa.R -> .json) are: a residual covariance written
"backwards" (`x9 ~~ x7`, which lavaan names `x7 ~~ x9`); just-identified models (df = 0)
with ML, MLR, FIML, MLR + FIML and WLSMV; a model that fits better than its df (RNI and
TLI above 1); nearly uncorrelated items (baseline chi-square below df: IFI and RFI at
lavaan's bound 1); and an ordinal item entered twice (its polychoric correlation is held at
lavaan's bound .999); binary items whose 2x2 tables have one empty cell (lavaan adds 0.5
to it, keeping the margins: zero.add). Every fit measure lavaan reports must agree, including the ones it
reports as NA, which measurelib must report as NaN.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from measurelib.psychometrics import cfa

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "reference" / "lavaan_cfa.json").read_text())
DATA = ROOT / "data"
HS_MODEL = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
M3 = "visual =~ x1 + x2 + x3"
M6 = "f =~ y1 + y2 + y3 + y4 + y5 + y6"
N3 = "neuro =~ N1 + N2 + N3"


def _bfi_dup() -> pd.DataFrame:
    bfi = pd.read_csv(DATA / "bfi.csv")
    bfi["N6"] = bfi["N1"]
    return bfi


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


def _hs_miss() -> pd.DataFrame:
    hs = _csv("holzinger_swineford_1939.csv")
    miss = _csv("hs_x1x3_missing.csv")
    hs["x1"], hs["x2"] = miss["x1"], miss["x2"]
    return hs


CASES: dict[str, Any] = {
    "hs_ml_cov_order": lambda: cfa(_csv("holzinger_swineford_1939.csv"), HS_MODEL + "\nx9 ~~ x7"),
    "hs3_ml_df0": lambda: cfa(_csv("holzinger_swineford_1939.csv"), M3),
    "hs3_mlr_df0": lambda: cfa(_csv("holzinger_swineford_1939.csv"), M3, estimator="mlr"),
    "hs3_fiml_df0": lambda: cfa(_csv("hs_x1x3_missing.csv"), M3, missing="fiml"),
    "hs3_fiml_mlr_df0": lambda: cfa(_csv("hs_x1x3_missing.csv"), M3, missing="fiml",
                                    estimator="mlr"),
    "bfi_n3_wlsmv_df0": lambda: cfa(_csv("bfi.csv"), N3, estimator="wlsmv", ordered=True),
    "sim_good": lambda: cfa(_csv("sim_one_factor_good.csv"), M6),
    "sim_flat": lambda: cfa(_csv("sim_one_factor_flat.csv"), M6),
    "bfi_n_dup_wlsmv": lambda: cfa(_bfi_dup(), "neuro =~ N1 + N2 + N3 + N4 + N5 + N6",
                                   estimator="wlsmv", ordered=True),
    "hs_ml_fixed_cov": lambda: cfa(_csv("holzinger_swineford_1939.csv"),
                                   HS_MODEL + "\nvisual ~~ 0*speed\nx1 ~~ 0*x4"),
    "hs_mlr_fiml_fixed_cov": lambda: cfa(_hs_miss(), HS_MODEL + "\nvisual ~~ 0*speed",
                                         missing="fiml", estimator="mlr"),
    "binary_empty_cells": lambda: cfa(_csv("binary_empty_cells.csv"), "f =~ y1 + y2 + y3 + y4",
                                      estimator="wlsmv", ordered=True),
}
# rmsea.ci.level, rmsea.close.h0 and the like are settings, not results; CN, RMR/CRMR,
# srmr_mplus, the MLR scaling factors of H0 and H1 and the scaled/robust NNFI, RFI, NFI,
# PNFI, IFI and RNI are not computed by measurelib (docs/cfa.md)
NOT_RESULTS = {"rmsea_ci_level", "rmsea_close_h0", "rmsea_notclose_h0", "cn_05", "cn_01",
               "rmr", "rmr_nomean", "crmr", "crmr_nomean", "srmr_mplus", "srmr_mplus_nomean",
               "scaling_factor_h1", "scaling_factor_h0",
               *(f"{i}_{v}" for i in ("nnfi", "rfi", "nfi", "pnfi", "ifi", "rni")
                 for v in ("scaled", "robust"))}

_cache: dict[str, Any] = {}


def fitted(name: str) -> Any:
    if name not in _cache:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Heywood / near-1 correlation warnings
            _cache[name] = CASES[name]()
    return _cache[name]


def _params() -> list[Any]:
    out = []
    for name in CASES:
        for key in REF[name]["fit"]:
            k = key.replace(".", "_")
            if k not in NOT_RESULTS:
                out.append(pytest.param(name, k, key, id=f"{name}-{k}"))
    return out


@pytest.mark.parametrize(("name", "key", "rkey"), _params())
def test_fit_measure(name: str, key: str, rkey: str) -> None:
    res = fitted(name)
    assert key in res.fit, f"{key} missing from {name}"
    expected = REF[name]["fit"][rkey]
    got = res.fit[key]
    if expected is None:
        assert math.isnan(got), f"lavaan reports {rkey} as NA, measurelib {got}"
    else:
        # df = 0 statistics are rounding residues of order 1e-13 in both programs. With
        # MLR + FIML the baseline scaling comes from lavaan's EM estimates of the saturated
        # model (stopped at its tolerance): 2.6e-7 relative on a baseline chi-square of 98
        rel = 1e-6 if name in ("hs3_fiml_mlr_df0", "hs_mlr_fiml_fixed_cov") else 2e-7
        if key.startswith("rmsea_ci_"):
            # lavaan finds the CI's non-centrality with uniroot's default tolerance
            # (eps^0.25 = 1.2e-4 on lambda): 1.3e-6 relative on an upper limit of 0.78
            rel = 1e-5
        assert got == pytest.approx(expected, abs=1e-6, rel=rel), (rkey, got, expected)


@pytest.mark.parametrize("name", list(CASES))
def test_estimates(name: str, check_estimates: Any) -> None:
    res = fitted(name)
    assert res.converged
    check_estimates(res, REF[name]["estimates"], 1e-4)


def test_covariance_named_in_model_order() -> None:
    """lavaan puts the variable that comes first in the model on the left of `~~`."""
    est = fitted("hs_ml_cov_order").estimates
    cov = est[(est.op == "~~") & (est.lhs != est.rhs) & est.lhs.str.startswith("x")]
    assert list(zip(cov.lhs, cov.rhs)) == [("x7", "x9")]
    mi = fitted("hs_ml_cov_order").modification_indices
    assert not ((mi.op == "~~") & (mi.lhs.isin(["x7", "x9"])) & (mi.rhs.isin(["x7", "x9"]))).any()


def test_edge_rules_hold() -> None:
    """The data reach the edges the cases are meant to test."""
    good = fitted("sim_good").fit
    assert good["chisq"] < good["df"] and good["rni"] > 1 and good["tli"] > 1
    flat = fitted("sim_flat").fit
    assert flat["baseline_chisq"] < flat["df"] and flat["ifi"] == 1.0
    assert fitted("hs3_mlr_df0").fit["df"] == 0
    assert math.isnan(fitted("hs3_mlr_df0").fit["chisq_scaling_factor"])


@pytest.mark.parametrize("name", ["hs_ml_fixed_cov", "hs_mlr_fiml_fixed_cov"])
def test_modification_indices_include_fixed_covariances(name: str) -> None:
    """modindices() lists the covariances the model fixes (`visual ~~ 0*speed`,
    `x1 ~~ 0*x4`) next to the cross-loadings and residual covariances."""
    mi = fitted(name).modification_indices.set_index(["lhs", "op", "rhs", "group"])
    ref = REF[name]["modindices"]
    assert len(mi) == len(ref)
    assert ("visual", "~~", "speed", 1) in mi.index
    for row in ref:
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        got = mi.loc[key]
        assert got["mi"] == pytest.approx(row["mi"], abs=1e-3, rel=1e-4), key
        assert got["epc"] == pytest.approx(row["epc"], abs=5e-4), key
        assert got["sepc_all"] == pytest.approx(row["sepc.all"], abs=5e-4), key


@pytest.mark.parametrize("scale", [0.01, 0.1, 100.0])
def test_mlr_scaled_statistic_does_not_depend_on_the_data_scale(scale: float) -> None:
    """The observed information of MLR is a numerical Hessian; its step is relative to each
    parameter, so items measured in other units (residual variances of 1e-5 here) give
    lavaan's scaled statistic and scaling factor for the HS model, and SEs in those units."""
    hs = _csv("holzinger_swineford_1939.csv")
    items = [f"x{i}" for i in range(1, 10)]
    hs[items] = hs[items] * scale
    res = cfa(hs, HS_MODEL, estimator="mlr")
    ref = REF["hs_mlr"]["fit"]
    assert res.fit["chisq_scaled"] == pytest.approx(ref["chisq.scaled"], rel=2e-7)
    assert res.fit["chisq_scaling_factor"] == pytest.approx(ref["chisq.scaling.factor"],
                                                            rel=2e-7)
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    for row in REF["hs_mlr"]["estimates"]:
        if row["op"] == "~~" and row["se"]:
            got = est.loc[(row["lhs"], row["op"], row["rhs"]), "se"]
            assert got == pytest.approx(row["se"] * scale**2, rel=1e-4)
