"""Invariants of the IRT engine (hypothesis): recovery, sufficiency, information, EAP-sum."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.psychometrics import IRTResult

slopes = st.floats(0.5, 2.5)
seeds = st.integers(0, 2**31 - 1)


@st.composite
def bank(draw, model: str | None = None) -> IRTResult:
    """A random calibrated bank of 3-6 items with 2-5 categories."""
    n_items = draw(st.integers(3, 6))
    k = draw(st.integers(2, 5))
    m = model or draw(st.sampled_from(["graded", "gpcm"]))
    rows = []
    for _ in range(n_items):
        a = 1.0 if m in ("pcm", "rasch") else draw(slopes)
        b = sorted(draw(st.lists(st.floats(-2.5, 2.5), min_size=k - 1, max_size=k - 1)))
        b = [x + 0.05 * i for i, x in enumerate(b)]  # strictly ordered
        d = [-a * x for x in b] if m == "graded" else list(-a * np.cumsum(b))
        rows.append([a, *d])
    cols = ["a", *[f"d{c}" for c in range(1, k)]]
    coef = pd.DataFrame(rows, columns=cols, index=[f"i{j}" for j in range(n_items)])
    return IRTResult.from_coef(coef, model=m)


@settings(max_examples=6, deadline=None)
@given(seeds, st.sampled_from(["graded", "gpcm"]))
def test_parameter_recovery(seed: int, model: str) -> None:
    df = ml.psychometrics.simulate_irt(n=4000, n_items=6, n_categories=4, model=model, seed=seed)
    fit = ml.psychometrics.irt(df, model=model, se="louis")
    a = df.attrs["a"]
    d = df.attrs["d"]
    # within four standard errors (and a sane absolute bound)
    z_a = np.abs(fit.coef["a"].to_numpy() - a) / fit.se["a"].to_numpy()
    z_d = np.abs(fit.coef.drop(columns="a").to_numpy() - d) / fit.se.drop(columns="a").to_numpy()
    assert z_a.max() < 4.5 and z_d.max() < 4.5
    assert np.abs(fit.coef["a"].to_numpy() - a).max() < 0.5


@settings(max_examples=15, deadline=None)
@given(bank(model="pcm"), seeds)
def test_rasch_family_theta_orders_as_the_sum_score(b: IRTResult, seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = len(b.categories[b.items[0]])
    x = pd.DataFrame(rng.integers(0, k, (40, len(b.items))), columns=b.items)
    sums = x.sum(axis=1).to_numpy()
    for method in ("EAP", "MAP"):
        th = b.scores(x, method=method)["theta"].to_numpy()
        order = np.argsort(sums, kind="stable")
        # equal sums give equal scores; larger sums larger scores
        for i, j in zip(order[:-1], order[1:]):
            if sums[i] == sums[j]:
                assert abs(th[i] - th[j]) < 1e-8
            else:
                assert th[j] > th[i]


@settings(max_examples=25, deadline=None)
@given(bank(), st.floats(-3, 3))
def test_information_is_minus_expected_second_derivative(b: IRTResult, theta: float) -> None:
    from measurelib.psychometrics._irt._models import item_probs

    d = b.design_
    h = 1e-4
    grid = np.array([theta - h, theta, theta + h])
    info = b.information(theta)
    for kind, k, grp in d.groups:
        p = item_probs(kind, d.group_beta(b.beta_, grp, k), grid)
        lp = np.log(p)
        d2 = (lp[:, :, 2] - 2 * lp[:, :, 1] + lp[:, :, 0]) / h**2
        expected = -(p[:, :, 1] * d2).sum(axis=1)
        for i, j in enumerate(grp):
            got = info[b.items[j]].iloc[0]
            assert abs(got - expected[i]) < 1e-4 * max(1.0, got)


@settings(max_examples=25, deadline=None)
@given(bank(model="pcm"))
def test_eap_for_sums_is_monotone(b: IRTResult) -> None:
    # guaranteed for the Rasch family (the summed score is sufficient, so its likelihood
    # has a monotone likelihood ratio); with unequal slopes a degenerate bank can break it,
    # and the table then says so in attrs["monotone"]
    tab = b.sum_score_table()
    assert (np.diff(tab["theta"].to_numpy()) > 0).all() and tab.attrs["monotone"]
    assert 0 < tab.attrs["rxx"] < 1
    assert (tab["se"] > 0).all()
