"""The compiled E-step (numba, optional) gives the numbers of the one-hot products.

Every property is checked twice where it can be: with the kernels run as plain Python
(no numba needed, the same code numba compiles) and, when numba is installed, compiled.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.psychometrics._irt import _estimate as est
from measurelib.psychometrics._irt import _kernel as kern

PLAIN = SimpleNamespace(tables=kern._tables, unfold=kern._unfold, estep=kern._estep)


def _compiled() -> Any:
    pytest.importorskip("numba")
    k = kern.compiled()
    if k is None:
        pytest.skip("MEASURELIB_NUMBA=0")
    return k


def _problem(n: int, n_items: int, k: int, seed: int, missing: float = 0.0,
             model: Any = "graded") -> tuple[est.Design, est.Patterns]:
    df = ml.psychometrics.simulate_irt(n=n, n_items=n_items, n_categories=k, seed=seed)
    if missing:
        rng = np.random.default_rng(seed)
        df = df.astype(float).mask(rng.random(df.shape) < missing)
    codes, design, used = est.prepare(df, None, model)
    return design, est.collapse(codes[used], design.ncat)


def _agree(design: est.Design, pats: est.Patterns, kernels: Any, beta: Any,
           n_nodes: int = 61) -> None:
    theta, w = est.quadrature(n_nodes)
    ref = est.Engine(design, pats, theta, w, compiled=False).estep(beta, keep_post=True)
    k = kern.EStepKernel(kernels, pats.codes, pats.freq, design.ncat, design.start, n_nodes)
    ll, r, nq, post = k.run(design.log_probs(beta, theta), np.log(w), keep_post=True)
    assert ll == pytest.approx(ref.loglik, rel=1e-13)
    scale = float(pats.freq.sum())
    np.testing.assert_allclose(r, ref.r, rtol=1e-11, atol=1e-13 * scale)
    assert ref.nq is not None and ref.post is not None
    np.testing.assert_allclose(nq, ref.nq, rtol=1e-11, atol=1e-13 * scale)
    np.testing.assert_allclose(post, ref.post, rtol=1e-11, atol=1e-15)
    assert post.sum(axis=1) == pytest.approx(np.ones(len(post)))
    assert k.run(design.log_probs(beta, theta), np.log(w), scatter=False)[0] == ll


def _start_beta(design: est.Design, pats: est.Patterns) -> Any:
    theta, w = est.quadrature(61)
    return design.beta(est.Engine(design, pats, theta, w, compiled=False).start())


def test_fast_exp_is_within_one_unit_in_the_last_place() -> None:
    x = np.concatenate([np.linspace(-708.0, 0.0, 200_001), -np.logspace(-300, 2, 5000)])
    ref = np.exp(x)
    for out in (kern.fast_exp(x), _plain_exp(x)):
        assert np.all(np.abs(out - ref) <= np.spacing(ref))
    # below exp(-708) double precision underflows: the kernel's weight is exactly 0
    below = np.array([-708.5, -745.0, -1e4, -np.inf])
    assert np.all(kern.fast_exp(below) == 0.0)


def _plain_exp(x: Any) -> Any:
    out = np.empty_like(x)
    kern._fast_exp(np.ascontiguousarray(x), out, np.empty_like(x))
    return out


def test_blocks_cover_every_item_state_once() -> None:
    ncat = [5, 5, 2, 2, 2, 7, 12, 3]
    start = list(np.concatenate([[0], np.cumsum(ncat)[:-1]]))
    rows, place = kern._blocks(ncat, start)
    for b in np.unique(place[:, 0]):
        items = np.nonzero(place[:, 0] == b)[0]
        assert np.prod([ncat[j] + 1 for j in items]) <= kern.BLOCK_STATES or len(items) == 1
    # each (item, category) row appears in the block's states as often as the other
    # items' states combine
    counts = np.bincount(rows[rows >= 0], minlength=sum(ncat))
    for j, k in enumerate(ncat):
        items = np.nonzero(place[:, 0] == place[j, 0])[0]
        others = int(np.prod([ncat[i] + 1 for i in items if i != j]))
        assert np.all(counts[start[j]: start[j] + k] == others)


@pytest.mark.parametrize("kernels", ["plain", "compiled"])
def test_kernel_equals_the_one_hot_products(kernels: str) -> None:
    ks = PLAIN if kernels == "plain" else _compiled()
    for design, pats in (_problem(300, 7, 5, 1, missing=0.1),
                         _problem(200, 9, 2, 2, missing=0.2, model="2pl"),
                         _problem(250, 5, 4, 3, model={"item1": "gpcm", "item3": "rsm",
                                                      "item4": "rsm"})):
        _agree(design, pats, ks, _start_beta(design, pats))


def test_kernel_with_extreme_parameters_and_other_grids() -> None:
    ks = _compiled()
    design, pats = _problem(400, 6, 4, 5, missing=0.05)
    beta = _start_beta(design, pats)
    steep = beta.copy()
    steep[np.asarray(design.start)] = 40.0  # probabilities that round to 0 and 1
    for b, q in ((beta, 21), (beta, 61), (steep, 61), (steep, 101)):
        _agree(design, pats, ks, b, q)


@settings(max_examples=40, deadline=None)
@given(n_items=st.integers(2, 9), k=st.integers(2, 8), seed=st.integers(0, 2**31 - 1),
       missing=st.sampled_from([0.0, 0.15]), nodes=st.sampled_from([15, 33, 61]))
def test_kernel_fuzz(n_items: int, k: int, seed: int, missing: float, nodes: int) -> None:
    pytest.importorskip("numba")
    ks = kern.compiled()
    if ks is None:
        return
    try:
        design, pats = _problem(150, n_items, k, seed, missing)
    except ValueError:  # an empty category in a small simulated sample
        return
    rng = np.random.default_rng(seed)
    beta = _start_beta(design, pats) + rng.normal(0, 0.3, design.n_beta) * (
        np.arange(design.n_beta) == np.asarray(design.start).repeat(design.ncat))
    _agree(design, pats, ks, beta, nodes)


def test_chunks_and_threads_do_not_change_the_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    ks = _compiled()
    design, pats = _problem(2000, 8, 5, 9, missing=0.05)
    beta = _start_beta(design, pats)
    theta, w = est.quadrature(61)
    logp = design.log_probs(beta, theta)
    one = kern.EStepKernel(ks, pats.codes, pats.freq, design.ncat, design.start, 61)
    whole = one.run(logp, np.log(w))
    monkeypatch.setattr(kern, "CHUNK", 97)
    for threads in (1, 2, 3):
        monkeypatch.setattr(kern, "_threads", lambda t=threads: t)
        parts = one.run(logp, np.log(w))
        assert parts[0] == pytest.approx(whole[0], rel=1e-14)
        np.testing.assert_allclose(parts[1], whole[1], rtol=1e-12, atol=1e-12)
        if threads == 1:
            first = parts
        else:  # the same chunks added in the same order, whatever the threads
            assert parts[0] == first[0]
            np.testing.assert_array_equal(parts[1], first[1])


@pytest.mark.parametrize("model", ["graded", "gpcm", "rasch"])
def test_calibration_with_and_without_the_kernel_agree(model: str) -> None:
    _compiled()
    df = ml.psychometrics.simulate_irt(n=1500, n_items=8, n_categories=4, seed=31)
    if model == "rasch":
        df = (df > 2).astype(int)
    codes, design, used = est.prepare(df, None, model)
    theta, w = est.quadrature(61)
    fits = []
    for compiled in (True, False):
        eng = est.Engine(design, est.collapse(codes[used], design.ncat), theta, w,
                         compiled=compiled)
        assert (eng.kernel is not None) == compiled
        fits.append(est.fit(eng, 2000, 1e-6, "louis"))
    a, b = fits
    assert a.converged and b.converged
    np.testing.assert_allclose(a.beta, b.beta, rtol=0, atol=1e-6)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-6)
    assert a.vcov is not None and b.vcov is not None
    np.testing.assert_allclose(np.sqrt(np.diag(a.vcov)), np.sqrt(np.diag(b.vcov)), rtol=1e-5)


def test_environment_switch_turns_the_kernel_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEASURELIB_NUMBA", "0")
    monkeypatch.setattr(kern, "_STATE", {})
    assert kern.compiled() is None
    df = ml.psychometrics.simulate_irt(n=300, n_items=5, n_categories=3, seed=4)
    codes, design, used = est.prepare(df, None, "graded")
    theta, w = est.quadrature(61)
    eng = est.Engine(design, est.collapse(codes[used], design.ncat), theta, w)
    assert eng.kernel is None and eng.mixed_precision


def test_one_hot_is_made_only_when_used() -> None:
    design, pats = _problem(300, 6, 4, 8)
    assert pats._onehot is None
    theta, w = est.quadrature(61)
    est.Engine(design, pats, theta, w, compiled=False).estep(_start_beta(design, pats))
    assert pats.onehot.shape == (len(pats.codes), design.n_beta)
    frame = pd.DataFrame(pats.onehot)
    assert set(np.unique(frame.to_numpy())) <= {0.0, 1.0}


def test_a_kernel_that_cannot_be_built_leaves_the_numpy_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    monkeypatch.setattr(kern, "_STATE", {})
    monkeypatch.setattr(kern, "_exp_into", kern._exp_into)  # (restored afterwards)

    def broken(k: Any) -> None:
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(kern, "_warm", broken)
    with pytest.warns(RuntimeWarning, match="compiled E-step is not used.*no compiler here"):
        assert kern.compiled() is None
    assert kern._exp_into is kern._PLAIN_EXP  # the plain function again
    df = ml.psychometrics.simulate_irt(n=300, n_items=5, n_categories=3, seed=4)
    fit = ml.psychometrics.irt(df, se=None)  # the NumPy path, no further warning
    assert fit.converged
