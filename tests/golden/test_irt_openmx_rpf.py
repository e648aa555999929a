"""IRT calibrations against OpenMx (EM for item factor analysis) and rpf.

References come from ``tests/reference/irt_openmx_rpf.R`` (JSON committed beside it), run
with Debian's R, OpenMx and rpf on mirt's grid (61 points on [-6, 6]). The data: LSAT6
and LSAT7 as Debian's rpf ships them (``tests/reference/export_datasets.R``), and two
synthetic polytomous sets (4 items, 4 categories, 400 respondents; all graded, and three
graded + one GPCM) written by ``tests/reference/make_irt_synthetic.py``.

OpenMx's EM stops when -2 log L stops improving in double precision, which on a flat
likelihood (the steep third synthetic item) leaves its parameters up to 6e-5 from the
maximum; the R script therefore polishes them with Newton steps on OpenMx's own fit and
records both log-likelihoods. The model and quadrature are identical: evaluated at
OpenMx's parameters, our log-likelihood equals OpenMx's to 1e-9, and the estimates agree
to 2e-6. Response functions, information, EAP and EAP-for-sums at given parameters agree
to 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.psychometrics._irt._estimate import Engine, collapse, quadrature

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "reference" / "irt_openmx_rpf.json").read_text())


def _data(key: str) -> pd.DataFrame:
    if key.startswith("lsat7"):
        d = pd.read_csv(ROOT / "data" / "lsat7_patterns.csv")
        return d.loc[d.index.repeat(d["freq"])].drop(columns="freq").reset_index(drop=True)
    if key.startswith("synthetic_mixed"):
        return pd.read_csv(ROOT / "data" / "irt_mixed_synthetic.csv")
    return pd.read_csv(ROOT / "data" / "irt_graded_synthetic.csv")


def _loglik_at(fit: Any, beta: np.ndarray) -> float:
    theta, w = quadrature(61)
    engine = Engine(fit.design_, collapse(fit.codes_[fit.inverse_], fit.design_.ncat), theta, w)
    return engine.estep(beta).loglik


CALIBRATIONS = [
    # key, model, relative tolerance of the standard errors
    ("lsat7_2pl", "2pl", 2e-5),
    ("synthetic_graded", "graded", 2.5e-4),
    ("synthetic_gpcm", "gpcm", 2.5e-4),
    ("synthetic_mixed", {"item4": "gpcm"}, 2.5e-4),
]


@pytest.mark.parametrize(("key", "model", "se_rtol"), CALIBRATIONS,
                         ids=[c[0] for c in CALIBRATIONS])
def test_calibration_matches_openmx(key: str, model: Any, se_rtol: float) -> None:
    # OpenMx fits the GPCM as rpf.nrm(T.a = "trend", T.c = "id") with the scoring fixed;
    # the mixed case is three graded items and one GPCM item in one model. OpenMx's SEs
    # (Oakes's identity by numerical differences, at its EM solution) differ from ours by
    # up to ~2e-4 relative on the steep, weakly determined third synthetic item; our
    # Louis and Oakes SEs agree to 1e-8 (unit tests).
    ref = REF[key]
    fit = ml.psychometrics.irt(_data(key), model=model)
    a = np.asarray(ref["a"])
    d = np.asarray(ref["d"])
    beta = np.column_stack([a, d]).ravel()
    # the same model and quadrature: equal log-likelihoods at the same parameters
    assert _loglik_at(fit, beta) == pytest.approx(float(ref["loglik"]), abs=1e-9)
    # the same maximum: ours is at least OpenMx's polished one and above its EM's
    assert fit.loglik >= float(ref["loglik"]) - 1e-9
    assert fit.loglik > float(ref["loglik_em"])
    np.testing.assert_allclose(fit.coef["a"], a, atol=2e-6)
    np.testing.assert_allclose(fit.coef.drop(columns="a").to_numpy(), d, atol=2e-6)
    np.testing.assert_allclose(fit.se["a"], ref["se_a"], rtol=se_rtol)
    np.testing.assert_allclose(fit.se.drop(columns="a").to_numpy(), ref["se_d"], rtol=se_rtol)


def test_mixed_irt_parametrisation_from_openmx() -> None:
    # coef_irt of the mixed model, from OpenMx's slope-intercept estimates: graded items
    # b_k = -d_k / a, the GPCM item's step difficulties b_k = -(d_k - d_{k-1}) / a, d_0 = 0
    # (default se="louis": its Newton step polishes the estimates to the maximum)
    ref = REF["synthetic_mixed"]
    fit = ml.psychometrics.irt(_data("synthetic_mixed"), model={"item4": "gpcm"})
    a = np.asarray(ref["a"])
    d = np.asarray(ref["d"])
    b = fit.coef_irt[["b1", "b2", "b3"]].to_numpy()
    np.testing.assert_allclose(b[:3], -d[:3] / a[:3, None], atol=5e-6)
    np.testing.assert_allclose(b[3], -np.diff(np.r_[0.0, d[3]]) / a[3], atol=5e-6)
    np.testing.assert_allclose(fit.coef_irt["a"], a, atol=2e-6)


def test_references_are_polished_maxima() -> None:
    # The R script polishes OpenMx's EM solution with Newton steps on OpenMx's own fit;
    # the polished log-likelihood is never below the EM's and its gradient is near zero
    # (-2 log L, summed over 400 or 1,000 respondents)
    for key in ("lsat7_2pl", "lsat6_rasch", "synthetic_graded", "synthetic_gpcm",
                "synthetic_mixed", "steep_2pl"):
        ref = REF[key]
        assert float(ref["loglik"]) >= float(ref["loglik_em"]), key
        assert ref["max_gradient"] < 1e-4, key


@pytest.fixture(scope="module")
def at_reference() -> Any:
    """The synthetic graded calibration with its parameters replaced by OpenMx's."""
    fit = ml.psychometrics.irt(_data("synthetic_graded"), se=None)
    par = np.asarray(REF["rpf_graded"]["par"])
    return fit.model_copy(update={"beta_": par.ravel()})


def test_probabilities_and_information_match_rpf(at_reference: Any) -> None:
    from measurelib.psychometrics._irt._models import item_probs

    rp = REF["rpf_graded"]
    theta = np.asarray(rp["theta"])
    par = np.asarray(rp["par"])
    probs = item_probs("graded", par, theta)
    for j in range(4):
        np.testing.assert_allclose(probs[j], np.asarray(rp["prob"][j]), atol=1e-12)
    info = at_reference.information(theta)
    np.testing.assert_allclose(info.drop(columns="total").to_numpy().T, rp["info"], atol=1e-12)


def test_eap_and_sum_score_table_match_rpf(at_reference: Any) -> None:
    rp = REF["rpf_graded"]
    sc = at_reference.scores(_data("synthetic_graded").head(10))
    np.testing.assert_allclose(sc["theta"], rp["eap_first10"], atol=1e-9)
    np.testing.assert_allclose(sc["se"], rp["eap_se_first10"], atol=1e-9)
    tab = at_reference.sum_score_table()
    np.testing.assert_allclose(tab["theta"], rp["sum_score"]["theta"], atol=1e-9)
    np.testing.assert_allclose(tab["se"], rp["sum_score"]["se"], atol=1e-9)
    np.testing.assert_allclose(tab["expected"] / tab.attrs["n"], rp["sum_score"]["p"], atol=1e-12)


def test_local_dependence_matches_rpf(at_reference: Any) -> None:
    # rpf's ChenThissen1997 tables: the uncollapsed Pearson X2 of each pair (mirt's
    # residuals(type = "LD")) and the sign of the observed minus expected gamma
    ld = REF["rpf_graded"]["ld"]
    ours = at_reference.residuals("LD")
    assert len(ours) == len(ld["x2"]) == 6
    for (i, j), x2, sign in zip(ld["pair"], ld["x2"], ld["sign"], strict=True):
        row = ours[(ours["item1"] == f"item{i}") & (ours["item2"] == f"item{j}")].iloc[0]
        assert row["X2"] == pytest.approx(x2, abs=1e-9)
        assert row["df"] == 9
        assert np.sign(row["cramer_v"]) == sign


def test_rasch_matches_openmx_common_slope() -> None:
    # OpenMx estimates one slope shared by the items with N(0, 1); measurelib reports the
    # same model as a = 1 with latent variance slope^2
    ref = REF["lsat6_rasch"]
    d = pd.read_csv(ROOT / "data" / "lsat6_patterns.csv")
    data = d.loc[d.index.repeat(d["freq"])].drop(columns="freq").reset_index(drop=True)
    fit = ml.psychometrics.irt(data, model="rasch")
    slope = ref["slope"]
    beta = np.column_stack([np.full(5, slope), ref["d"]]).ravel()
    assert _loglik_at(fit, beta) == pytest.approx(float(ref["loglik"]), abs=1e-9)
    assert fit.loglik >= float(ref["loglik"]) - 1e-9
    np.testing.assert_allclose(fit.coef["d1"], ref["d"], atol=2e-6)
    assert fit.group_vars[0] == pytest.approx(slope**2, abs=2e-6)
    np.testing.assert_allclose(fit.se["d1"], ref["se_d"], atol=2e-6)
    assert fit.group_vars_se[0] == pytest.approx(2 * slope * ref["se_slope"], abs=2e-6)


def test_steep_item_reaches_openmx_maximum() -> None:
    # A 2PL item with slope about 8: at the far grid points both boundary curves of its
    # categories round to 1, and a category probability computed as their difference was
    # exactly 0 there; the M-step's line search then refused every larger slope and the
    # calibration stopped at 5.8, 0.0026 below OpenMx's maximum, reporting convergence.
    ref = REF["steep_2pl"]
    data = pd.DataFrame(np.asarray(ref["data"]), columns=[f"i{j}" for j in range(1, 6)])
    fit = ml.psychometrics.irt(data, model="2pl")
    a = np.asarray(ref["a"])
    d = np.asarray(ref["d"]).ravel()
    assert fit.converged
    assert _loglik_at(fit, np.column_stack([a, d]).ravel()) == pytest.approx(
        float(ref["loglik"]), abs=1e-9)
    assert fit.loglik >= float(ref["loglik"]) - 1e-9
    # the likelihood is flat along the steep slope (OpenMx's SE of it: 61), so the
    # estimates agree to what that ridge allows
    assert a[4] > 8
    np.testing.assert_allclose(fit.coef["a"], a, atol=1e-3)
    np.testing.assert_allclose(fit.coef["d1"], d, atol=1e-3)
    # the well-determined items' standard errors agree with OpenMx's Oakes SEs
    np.testing.assert_allclose(fit.se["a"][1:4], np.asarray(ref["se_a"])[1:4], rtol=5e-3)


def test_ml_map_wle_with_a_steep_item_are_the_maxima() -> None:
    # Newton's method without a line search cycled around the maximum of log L when the
    # steep item (slope 8.2) changed the curvature quickly, and after 100 steps returned
    # a point away from it (for one pattern 0.119 where the maximum is at -0.263, which R's
    # optimize() finds). The criteria below are computed independently with scipy.
    from scipy.optimize import minimize_scalar
    from scipy.special import expit

    ref = REF["steep_2pl"]
    data = pd.DataFrame(np.asarray(ref["data"]), columns=[f"i{j}" for j in range(1, 6)])
    fit = ml.psychometrics.irt(data, model="2pl")
    beta = fit.beta_.reshape(5, 2)
    patterns = data.drop_duplicates()
    inner = patterns[(patterns.sum(axis=1) > 0) & (patterns.sum(axis=1) < 5)]

    def loglik(t: float, x: np.ndarray) -> float:
        z = beta[:, 0] * t + beta[:, 1]
        return float(np.sum(np.where(x == 1, np.log(expit(z)), np.log(expit(-z)))))

    def info(t: float) -> float:
        p = expit(beta[:, 0] * t + beta[:, 1])
        return float(np.sum(beta[:, 0] ** 2 * p * (1 - p)))

    criteria = {"ML": lambda t, x: loglik(t, x),
                "MAP": lambda t, x: loglik(t, x) - 0.5 * t * t,
                "WLE": lambda t, x: loglik(t, x) + 0.5 * np.log(info(t))}
    for method, crit in criteria.items():
        ours = fit.scores(inner, method=method)["theta"].to_numpy()
        for x, t in zip(inner.to_numpy(), ours, strict=True):
            best = minimize_scalar(lambda u, x=x, f=crit: -f(u, x), bounds=(-10, 10),
                                   method="bounded", options={"xatol": 1e-10})
            # ours is a maximum at least as high as scipy's, and at the same place
            assert crit(t, x) >= -best.fun - 1e-9, (method, x)
            assert t == pytest.approx(best.x, abs=1e-5), (method, x)
