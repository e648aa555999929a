"""Limited-information fit with missing answers, defined as mirt's ``M2()`` defines it.

mirt takes each observed moment over the rows that answered its items (item means over an
item's answers, cross-products over the pairs answered together, ``N``, ``cN`` in
``R/M2.R``) and weights the residuals by those numbers of rows:
``M2 = (1/N) sum_ab N*_a e_a C_ab N*_b e_b``, which is ``N e'Ce`` for complete data.
measurelib used the complete rows only, which dropped answers and, when a category was
chosen only by people who skipped some other question, made the independence model's
moments singular (a ``LinAlgError`` traceback). The reference below is an independent
implementation for dichotomous items: closed-form moments and their covariance, the
Jacobian by central differences and the complement by ``scipy.linalg.null_space``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space
from scipy.special import expit

import measurelib as ml


def _data(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = ml.psychometrics.simulate_irt(600, a=np.linspace(0.7, 2.0, 6),
                                         d=np.linspace(-1.2, 1.0, 6)[:, None], start=0,
                                         seed=seed).astype(float)
    data = data.mask(rng.random(data.shape) < 0.15)
    data.iloc[:150, 3:] = np.nan  # a block of people asked only the first three items
    return data


def _reference_m2(fit: ml.psychometrics.IRTResult, data: pd.DataFrame) -> tuple[float, int]:
    x = data[fit.items].to_numpy()
    x = x[~np.isnan(x).all(axis=1)]
    n = x.shape[0]
    ok = ~np.isnan(x)
    xv = np.where(ok, x, 0.0)
    theta, w, _ = fit._grid()
    j = len(fit.items)
    pairs = [(a, b) for a in range(j) for b in range(a + 1, j)]
    moments = [(a,) for a in range(j)] + pairs

    def pi(beta: np.ndarray) -> np.ndarray:
        p = expit(beta[:, :1] * theta + beta[:, 1:])  # (items, Q)
        return np.array([np.prod(p[list(m)], axis=0) @ w for m in moments])

    beta = fit.beta_.reshape(j, 2)
    p = expit(beta[:, :1] * theta + beta[:, 1:])
    xi = np.array([[np.prod(p[sorted(set(ma) | set(mb))], axis=0) @ w for mb in moments]
                   for ma in moments])
    pi0 = pi(beta)
    xi -= np.outer(pi0, pi0)
    h = 1e-6
    delta = np.empty((len(moments), beta.size))
    for k in range(beta.size):
        up, dn = beta.copy().ravel(), beta.copy().ravel()
        up[k] += h
        dn[k] -= h
        delta[:, k] = (pi(up.reshape(j, 2)) - pi(dn.reshape(j, 2))) / (2 * h)
    dc = null_space(delta.T)
    c = dc @ np.linalg.solve(dc.T @ xi @ dc, dc.T)
    nstar = np.array([np.all(ok[:, list(m)], axis=1).sum() for m in moments], dtype=float)
    obs = np.array([np.prod(xv[:, list(m)], axis=1)[np.all(ok[:, list(m)], axis=1)].mean()
                    for m in moments])
    e = nstar * (obs - pi0)
    return float(e @ c @ e / n), len(moments) - beta.size


def test_m2_with_missing_answers_is_mirts_pairwise_statistic() -> None:
    data = _data()
    fit = ml.psychometrics.irt(data, model="2pl", se=None)
    ref, df = _reference_m2(fit, data)
    res = fit.m2("M2").iloc[0]
    assert res["df"] == df == 9
    assert res["stat"] == pytest.approx(ref, rel=1e-6)
    assert res["n"] == 600  # every row, not the complete ones
    # for dichotomous items M2, M2* and C2 coincide
    assert fit.m2("C2").iloc[0]["stat"] == pytest.approx(ref, rel=1e-6)
    # SRMSR from mirt's pairwise correlations: cross-products over the pairs answered
    # together, means over each item's answers
    x = data[fit.items].to_numpy()
    ok = ~np.isnan(x)
    xv = np.where(ok, x, 0.0)
    m = xv.sum(axis=0) / ok.sum(axis=0)
    cov = (xv.T @ xv) / (ok.T.astype(float) @ ok) - np.outer(m, m)
    r_obs = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    theta, w, _ = fit._grid()
    pr = expit(fit.beta_.reshape(6, 2)[:, :1] * theta + fit.beta_.reshape(6, 2)[:, 1:])
    mu = pr @ w
    cov_model = (pr * w) @ pr.T - np.outer(mu, mu)
    np.fill_diagonal(cov_model, mu * (1 - mu))
    r_model = cov_model / np.sqrt(np.outer(np.diag(cov_model), np.diag(cov_model)))
    iu = np.triu_indices(6, 1)
    srmsr = np.sqrt(np.mean((r_obs[iu] - r_model[iu]) ** 2))
    assert res["SRMSR"] == pytest.approx(srmsr, rel=1e-10)


def test_complete_data_statistic_is_unchanged() -> None:
    data = _data().dropna()
    fit = ml.psychometrics.irt(data, model="2pl", se=None)
    ref, _ = _reference_m2(fit, data)
    assert fit.m2("M2").iloc[0]["stat"] == pytest.approx(ref, rel=1e-6)


def test_category_chosen_only_by_people_who_skipped_something() -> None:
    # nobody with a complete row chose item q1's top category: the independence model
    # built from complete rows had a category of probability 0 and a singular covariance
    rng = np.random.default_rng(5)
    data = ml.psychometrics.simulate_irt(300, a=np.ones(6), d=np.tile([1.0, -1.0], (6, 1)),
                                         start=1, seed=5).astype(float)
    top = data["item1"] == 3
    data.loc[top, "item2"] = np.nan
    data = data.mask(rng.random(data.shape) < 0.05)
    fit = ml.psychometrics.irt(data, se=None)
    for kind in ("M2", "M2*", "C2"):
        res = fit.m2(kind).iloc[0]
        assert np.isfinite(res["stat"]) and res["df"] > 0
        assert np.isfinite(res["CFI"]) and np.isfinite(res["TLI"])


def test_pairs_never_answered_together_are_named() -> None:
    data = _data()
    data.loc[data["item1"].notna(), "item6"] = np.nan
    data.loc[data["item1"].isna() & data["item6"].isna(), "item6"] = 1.0
    fit = ml.psychometrics.irt(data, model="2pl", se=None)
    with pytest.raises(ValueError, match="no respondent answered 'item1' and 'item6' together"):
        fit.m2("M2")


def test_s_x2_without_complete_rows_says_why() -> None:
    data = _data()
    data.loc[data["item1"].notna(), "item6"] = np.nan
    data.loc[data["item1"].isna() & data["item6"].isna(), "item6"] = 1.0
    data.loc[data["item6"].isna() & data["item1"].isna(), "item6"] = 0.0
    fit = ml.psychometrics.irt(data, model="2pl", se=None)
    with pytest.raises(ValueError, match="S-X2 uses the rows that answered every item"):
        fit.itemfit()


def test_too_few_moments_suggests_only_what_helps() -> None:
    # three dichotomous items: 6 moments for 6 parameters under every type (mirt: "too
    # few degrees of freedom"); the message no longer suggests C2 or M2 there
    data = ml.psychometrics.simulate_irt(300, a=np.ones(3), d=np.zeros((3, 1)), start=0,
                                         seed=2)
    fit = ml.psychometrics.irt(data, model="2pl", se=None)
    with pytest.raises(ValueError, match="too few items for a limited-information") as exc:
        fit.m2("M2")
    assert "use type=" not in str(exc.value)
    # three 4-category items: M2* has 6 moments for 12 parameters, C2 has 12, M2 36
    poly = ml.psychometrics.simulate_irt(300, a=np.ones(3), d=np.tile([1.0, 0.0, -1.0], (3, 1)),
                                         start=1, seed=2)
    pfit = ml.psychometrics.irt(poly, se=None)
    with pytest.raises(ValueError, match="use type='M2'"):
        pfit.m2("M2*")
