"""Reliability and agreement against R psych 2.2.9 (tests/reference/psych_reliability.json).

The JSON is written by tests/reference/psych_reliability.R; these tests never need R.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from measurelib.psychometrics import convergent_validity, icc, reliability

ROOT = Path(__file__).resolve().parents[2]
REF = json.loads((ROOT / "tests" / "reference" / "psych_reliability.json").read_text())
DATA = ROOT / "tests" / "data"
TOL = 1e-6

_FILES = {"bfi": "bfi", "ability": "ability", "epi": "epi", "holzinger": "holzinger_swineford_1939",
          "sat": "sat_act", "hs": "holzinger_swineford_1939"}
_CACHE: dict[str, pd.DataFrame] = {}


def dataset(name: str) -> pd.DataFrame:
    if name not in _CACHE:
        _CACHE[name] = pd.read_csv(DATA / f"{_FILES[name]}.csv")
    return _CACHE[name]


def vec(values: dict[str, float] | list[float], names: list[str]) -> np.ndarray:
    if isinstance(values, dict):
        return np.array([np.nan if values[k] is None else values[k] for k in names], dtype=float)
    return np.asarray(values, dtype=float)


ALPHA_SOURCES = {
    "bfi_all_keyed": "bfi", "bfi_all_keyed_listwise": "bfi", "bfi_A_keyed": "bfi",
    "bfi_C_keyed": "bfi", "bfi_N": "bfi", "ability": "ability", "ability_listwise": "ability",
    "epi_E_keyed": "epi", "holzinger_x1_x9": "holzinger", "sat_act_3": "sat",
}


def run_alpha(case: dict, ci: str = "feldt"):
    df = dataset(ALPHA_SOURCES[case["_name"]])
    with warnings.catch_warnings():
        # psych::alpha warns about the same things (e.g. items loading negatively)
        warnings.simplefilter("ignore")
        return reliability(df, items=case["items"], keys=case["keys"] or None,
                           missing="listwise" if case["listwise"] else "pairwise", ci=ci,
                           compute_omega=False)


def alpha_cases() -> list[dict]:
    out = []
    for name, case in REF["alpha"].items():
        out.append(dict(case, _name=name))
    return out


@pytest.fixture(params=alpha_cases(), ids=lambda c: c["_name"])
def alpha_case(request: pytest.FixtureRequest) -> dict:
    return request.param


def test_alpha_totals(alpha_case: dict) -> None:
    res = run_alpha(alpha_case)
    assert res.n == alpha_case["n_rows"]
    assert res.alpha == pytest.approx(alpha_case["raw_alpha"], abs=TOL)
    assert res.alpha_standardized == pytest.approx(alpha_case["std_alpha"], abs=TOL)
    assert res.average_r == pytest.approx(alpha_case["average_r"], abs=TOL)
    assert res.alpha_se == pytest.approx(alpha_case["ase"], abs=TOL)


def test_feldt_ci(alpha_case: dict) -> None:
    res = run_alpha(alpha_case, "feldt")
    ref = vec(alpha_case["feldt"], ["lower", "upper"])
    np.testing.assert_allclose(res.alpha_ci, ref, atol=TOL, rtol=0)


def test_duhachek_ci(alpha_case: dict) -> None:
    res = run_alpha(alpha_case, "duhachek")
    ref = vec(alpha_case["duhachek"], ["lower", "upper"])
    np.testing.assert_allclose(res.alpha_ci, ref, atol=TOL, rtol=0)


def test_item_statistics(alpha_case: dict) -> None:
    res = run_alpha(alpha_case)
    items = alpha_case["items"]
    st = res.item_stats.loc[items]
    pairs = [
        ("alpha_if_deleted", "alpha_drop_raw"), ("alpha_std_if_deleted", "alpha_drop_std"),
        ("average_r_if_deleted", "alpha_drop_average_r"), ("r_drop", "r_drop"),
        ("r_total", "raw_r"), ("mean", "item_mean"), ("sd", "item_sd"), ("n", "item_n"),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(st[ours].to_numpy(dtype=float),
                                   vec(alpha_case[theirs], items), atol=TOL, rtol=0,
                                   err_msg=ours)


@pytest.mark.parametrize("name", list(REF["ordinal_alpha"]))
def test_ordinal_alpha(name: str) -> None:
    case = REF["ordinal_alpha"][name]
    res = reliability(dataset("bfi"), items=case["items"], keys=case["keys"], ordinal=True,
                      ci="duhachek", compute_omega=False)
    assert res.alpha == pytest.approx(case["raw_alpha"], abs=TOL)
    assert res.alpha_standardized == pytest.approx(case["std_alpha"], abs=TOL)
    assert res.average_r == pytest.approx(case["average_r"], abs=TOL)
    # psych::alpha(rho, n.obs = n)$total$ase
    assert res.alpha_se == pytest.approx(case["ase_n_obs"], abs=TOL)
    st = res.item_stats.loc[case["items"]]
    np.testing.assert_allclose(st["alpha_if_deleted"], vec(case["alpha_drop_raw"], case["items"]),
                               atol=TOL, rtol=0)
    np.testing.assert_allclose(st["r_drop"], vec(case["r_drop"], case["items"]), atol=TOL, rtol=0)


@pytest.mark.parametrize("name", list(REF["omega"]))
def test_omega(name: str) -> None:
    case = REF["omega"][name]
    df = dataset("bfi" if name.startswith("bfi") else "holzinger")
    res = reliability(df, items=case["items"], keys=case["keys"] or None,
                      omega_factors=case["nfactors"])
    assert res.omega_total == pytest.approx(case["omega_total"], abs=TOL)
    assert res.omega_hierarchical == pytest.approx(case["omega_hierarchical"], abs=TOL)


def test_bootstrap_close_to_psych() -> None:
    # R's and numpy's random numbers differ: the percentile intervals agree to Monte
    # Carlo error only.
    ref = REF["bootstrap"]["bfi_A_keyed"]["ci"]
    res = reliability(dataset("bfi"), items=["A1", "A2", "A3", "A4", "A5"], keys=["A1"],
                      ci="bootstrap", n_boot=1000, seed=42, compute_omega=False)
    assert res.alpha_ci[0] == pytest.approx(ref["lower"], abs=0.006)
    assert res.alpha_ci[1] == pytest.approx(ref["upper"], abs=0.006)


ICC_SOURCES = {"holzinger": "holzinger", "sat": "sat", "bfi": "bfi", "epi": "epi"}


@pytest.mark.parametrize("name", list(REF["icc"]))
def test_icc(name: str) -> None:
    case = REF["icc"][name]
    if "data" in case:
        df = pd.DataFrame(dict(zip(case["columns"], case["data"])))
    else:
        df = dataset(ICC_SOURCES[name.split("_")[0]])[case["columns"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample warning for the 6-subject example
        res = icc(df)
    assert res.n == case["n"]
    assert res.n_raters == case["k"]
    types = case["type"]
    for ours, theirs in [("icc", "ICC"), ("F", "F"), ("df1", "df1"), ("df2", "df2"),
                         ("p", "p"), ("ci_lower", "lower"), ("ci_upper", "upper")]:
        np.testing.assert_allclose(res.table.loc[types, ours].to_numpy(dtype=float),
                                   vec(case[theirs], types), atol=TOL, rtol=0, err_msg=ours)


CORR_COLUMNS = {
    "sat_satv_satq": ("sat", "SATV", "SATQ"), "sat_act_satq": ("sat", "ACT", "SATQ"),
    "hs_x1_x4": ("hs", "x1", "x4"),
}


@pytest.mark.parametrize("name", list(REF["correlation"]))
def test_convergent_validity(name: str) -> None:
    case = REF["correlation"][name]
    src, a, b = CORR_COLUMNS["_".join(name.split("_")[:3])]
    df = dataset(src)
    res = convergent_validity(df[a], df[b], method=case["method"])
    assert res.n == case["n"]
    assert res.r == pytest.approx(case["r"], abs=TOL)
    assert res.p == pytest.approx(case["p"], abs=TOL)
    assert res.ci[0] == pytest.approx(case["lower"], abs=TOL)
    assert res.ci[1] == pytest.approx(case["upper"], abs=TOL)


# psych::ICC's default (lmer = TRUE) estimates REML variance components iteratively with
# lme4, which stops at a relative tolerance near 1e-6: compare to 1e-4. The cases include
# rater mean squares below the residual one (sat.act, the simulated retest), where REML
# sets the rater variance to zero and the ANOVA numbers differ by up to 3e-3.
REML_TOL = 1e-4


@pytest.mark.parametrize("name", list(REF.get("icc_reml", {})))
def test_icc_reml_matches_psych_default(name: str) -> None:
    case = REF["icc_reml"][name]
    if "data" in case:
        df = pd.DataFrame(dict(zip(case["columns"], case["data"])))
    else:
        df = dataset(ICC_SOURCES[name.split("_")[0]])[case["columns"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = icc(df, method="reml")
    types = case["type"]
    for ours, theirs in [("icc", "ICC"), ("ci_lower", "lower"), ("ci_upper", "upper")]:
        np.testing.assert_allclose(res.table.loc[types, ours].to_numpy(dtype=float),
                                   vec(case[theirs], types), atol=REML_TOL, rtol=0,
                                   err_msg=ours)
    np.testing.assert_allclose(res.table.loc[types, "F"].to_numpy(dtype=float),
                               vec(case["F"], types), rtol=REML_TOL, err_msg="F")
