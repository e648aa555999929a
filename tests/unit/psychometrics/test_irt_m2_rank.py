"""M2* with a nearly rank-deficient Jacobian of the moments (10 graded items with 5
categories: 55 moments for 50 parameters), the case where mirt's value differs.

mirt computes the orthogonal complement with R's ``qr()``, whose rank tolerance (1e-7)
drops two of the 50 columns here; we use the full column space, found at machine precision.
For the independence model under M2* the intercepts' columns are exactly dependent (one
direction per item), so its degrees of freedom are moments minus that rank.
"""

from __future__ import annotations

import numpy as np
import pytest

import measurelib as ml
from measurelib.psychometrics._irt._fit import m2_statistic


@pytest.fixture(scope="module")
def fit() -> ml.psychometrics.IRTResult:
    a = np.ones(10)
    d = np.array([1.0, 0.5, -0.5, -1.0])[None, :] + np.linspace(-1, 1, 10)[:, None]
    data = ml.psychometrics.simulate_irt(2000, a=a, d=d, start=0, seed=1234)
    return ml.psychometrics.irt(data, model="graded", se=None)


def _pieces(fit: ml.psychometrics.IRTResult) -> tuple:
    complete = (fit.codes_ >= 0).all(axis=1)
    theta, w, _ = fit._grid()
    return fit.design_, fit.codes_[complete], fit.freq_[complete], theta, w


def test_ill_conditioned_jacobian_keeps_its_full_rank(fit: ml.psychometrics.IRTResult) -> None:
    res = fit.m2("M2*")
    assert res["df"].iloc[0] == 5
    # the Jacobian is ill-conditioned (mirt's qr() finds rank 48 on such data) ...
    assert res.attrs["condition"] > 1e7
    # ... but of full rank at machine precision: the statistic is that of the complement
    # of all 50 columns, whatever the (invertible) parametrisation of the columns
    d, codes, freq, theta, w = _pieces(fit)
    base = m2_statistic(d, fit.beta_, d.M, theta, w, codes, freq, "M2*")
    assert base["rank"] == 50
    rng = np.random.default_rng(7)
    scaled = d.M @ np.diag(rng.uniform(0.2, 5.0, d.M.shape[1]))
    again = m2_statistic(d, fit.beta_, scaled, theta, w, codes, freq, "M2*")
    assert again["stat"] == pytest.approx(base["stat"], rel=1e-5)
    assert again["df"] == base["df"] == 5


def test_independence_model_rank_and_df_under_m2star(fit: ml.psychometrics.IRTResult) -> None:
    d, codes, freq, theta, w = _pieces(fit)
    beta0 = np.zeros(d.n_beta)
    for j in range(len(d.items)):
        beta0[d.start[j] + 1: d.start[j] + d.ncat[j]] = np.linspace(1.0, -1.0, d.ncat[j] - 1)
    free0 = np.array([i for i in range(d.n_beta) if i not in d.start])
    null = m2_statistic(d, beta0, np.eye(d.n_beta), theta, w, codes, freq, "M2*", free=free0)
    # 40 intercepts, but each item's move its mean and cross-products along one direction
    assert null["rank"] == 10 and null["df"] == 55 - 10
    # C2 keeps every category of the univariate margins: full rank there
    c2 = m2_statistic(d, beta0, np.eye(d.n_beta), theta, w, codes, freq, "C2", free=free0)
    assert c2["rank"] == 40 and c2["df"] == 40 + 45 - 40
    # so CFI compares with a null of 45 df and is not dominated by an arbitrary subspace
    res = fit.m2("M2*")
    assert 0.9 < res["CFI"].iloc[0] <= 1.0
