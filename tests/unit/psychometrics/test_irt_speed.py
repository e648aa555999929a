"""The calibration's speed devices change nothing in the estimates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.psychometrics._irt import _estimate as est


@pytest.fixture(scope="module")
def problem() -> tuple[est.Design, np.ndarray]:
    df = ml.psychometrics.simulate_irt(n=1500, n_items=8, n_categories=4, seed=31, start=0)
    codes, design, used = est.prepare(df, None, "graded")
    return design, codes[used]


def _engine(design: est.Design, codes: np.ndarray) -> est.Engine:
    # the float32 phase belongs to the one-hot (BLAS) path: the compiled E-step is float64
    theta, w = est.quadrature(61)
    return est.Engine(design, est.collapse(codes, design.ncat), theta, w, compiled=False)


def test_float32_phase_reaches_the_float64_fixed_point(
        problem: tuple[est.Design, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    design, codes = problem
    mixed_engine = _engine(design, codes)
    assert mixed_engine.mixed_precision
    mixed = est.fit(mixed_engine, 2000, 1e-6, None)
    assert mixed_engine.xa32 is None  # the float32 copy is freed before returning
    monkeypatch.setattr(est, "_SINGLE_UNTIL", np.inf)  # float64 from the first cycle
    pure = est.fit(_engine(design, codes), 2000, 1e-6, None)
    assert mixed.converged and pure.converged
    np.testing.assert_allclose(mixed.phi, pure.phi, rtol=0, atol=1e-6)
    assert mixed.loglik == pytest.approx(pure.loglik, abs=1e-6)


def test_float32_estep_is_close_and_float64_is_exact(
        problem: tuple[est.Design, np.ndarray]) -> None:
    design, codes = problem
    eng = _engine(design, codes)
    beta = design.beta(eng.start())
    exact = eng.estep(beta)
    eng.single_precision(True)
    approx = eng.estep(beta)
    eng.single_precision(False)
    again = eng.estep(beta)
    assert approx.r.dtype == np.float64
    np.testing.assert_allclose(approx.r, exact.r, rtol=1e-4, atol=1e-6)
    assert approx.loglik == pytest.approx(exact.loglik, rel=1e-6)
    np.testing.assert_array_equal(again.r, exact.r)
    # the expected counts add up to the number of respondents, in both precisions
    assert exact.nq is not None and approx.nq is not None
    assert exact.nq.sum() == pytest.approx(len(codes))
    assert approx.nq.sum() == pytest.approx(len(codes), rel=1e-5)


@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_graded_newton_terms_equal_the_general_derivatives(k: int) -> None:
    from measurelib.psychometrics._irt._models import graded_newton, item_derivatives

    rng = np.random.default_rng(k)
    theta, _ = est.quadrature(61)
    n = 6
    d = -np.sort(rng.normal(0, 1.5, (n, k - 1)), axis=1)
    beta = np.column_stack([rng.uniform(0.3, 3.0, n), d])
    r = rng.random((n, k, theta.shape[0])) * 40
    p, dl, d2 = item_derivatives("graded", beta, theta)
    val, g, h = graded_newton(beta, theta, r)
    np.testing.assert_allclose(val, (r * np.log(p)).sum(axis=(1, 2)), rtol=1e-13)
    np.testing.assert_allclose(g, np.einsum("nkq,nkqb->nb", r, dl), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(h, np.einsum("nkq,nkqbc->nbc", r, d2), rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(h, np.swapaxes(h, 1, 2), rtol=0, atol=1e-12 * np.abs(h).max())
    # concave: the M-step's Newton steps go uphill
    assert np.all(np.linalg.eigvalsh(h) < 0)


@settings(max_examples=200, deadline=None)
@given(k=st.integers(2, 8), n=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       spread=st.floats(0.1, 2.0), slope=st.floats(0.05, 3.0))
def test_graded_newton_terms_fuzz(k: int, n: int, seed: int, spread: float,
                                  slope: float) -> None:
    from measurelib.psychometrics._irt._models import graded_newton, item_derivatives

    # slopes and intercepts whose cumulative probabilities do not round to 0 or 1 on the
    # grid (there the general derivatives themselves overflow); expected counts as the
    # E-step makes them, proportional to the category probabilities
    rng = np.random.default_rng(seed)
    theta, _ = est.quadrature(61)
    d = -np.sort(rng.normal(0, spread, (n, k - 1)), axis=1)
    d[:, 1:] -= np.arange(1, k - 1) * 1e-3  # strictly decreasing intercepts
    beta = np.column_stack([np.full(n, slope), d])
    p, dl, d2 = item_derivatives("graded", beta, theta)
    r = p * rng.random((n, k, theta.shape[0])) * 500
    val, g, h = graded_newton(beta, theta, r)
    np.testing.assert_allclose(val, (r * np.log(np.maximum(p, 1e-300))).sum(axis=(1, 2)),
                               rtol=1e-12)
    g0 = np.einsum("nkq,nkqb->nb", r, dl)
    h0 = np.einsum("nkq,nkqbc->nbc", r, d2)
    np.testing.assert_allclose(g, g0, rtol=1e-8, atol=1e-8 * max(1.0, float(np.abs(g0).max())))
    np.testing.assert_allclose(h, h0, rtol=1e-8, atol=1e-8 * max(1.0, float(np.abs(h0).max())))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 60), j=st.integers(1, 6), k=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1), lo=st.integers(-3, 3))
def test_integer_tables_are_coded_as_item_by_item(n: int, j: int, k: int, seed: int,
                                                  lo: int) -> None:
    rng = np.random.default_rng(seed)
    block = rng.integers(lo, lo + k, (n, j))
    fast = est._integer_codes(block)
    items: list[tuple[Any, list[float]] | None] = []
    for i in range(j):
        try:
            items.append(est._item_codes(block[:, i], f"item{i + 1}"))
        except ValueError:
            items.append(None)
    if any(x is None for x in items):
        assert fast is None  # the item-by-item path then names the item
        return
    assert fast is not None
    codes, values = fast
    done = [x for x in items if x is not None]
    np.testing.assert_array_equal(codes, np.stack([c for c, _ in done], axis=1))
    assert codes.dtype == np.int16
    assert values == [v for _, v in done]


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 300), j=st.integers(1, 70), k=st.integers(2, 12),
       seed=st.integers(0, 2**32 - 1))
def test_unique_rows_are_numpy_unique_rows(n: int, j: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(-1, k, (n, j)).astype(np.int16)
    codes[n // 2:] = codes[: n - n // 2] if rng.random() < 0.5 else codes[n // 2:]
    first, inverse = est._unique_rows(codes, [k] * j)
    void = codes.view(np.dtype((np.void, 2 * j))).ravel()
    _, first_np, _ = np.unique(void, return_index=True, return_inverse=True)
    assert sorted(first.tolist()) == sorted(first_np.tolist())  # first occurrences
    np.testing.assert_array_equal(codes[first][inverse], codes)


def _start_values_item_by_item(design: est.Design, pats: est.Patterns) -> np.ndarray:
    """The start values' correlations and marginals, one item at a time (the definition)."""
    codes = pats.codes.astype(np.float64)
    ok = pats.codes >= 0
    f = pats.freq
    x = np.where(ok, codes, 0.0)
    total = x.sum(axis=1)
    out = []
    for j in range(len(design.items)):
        m = ok[:, j]
        rest = total[m] - x[m, j]
        xj = x[m, j]
        w = f[m] / f[m].sum()
        cx = xj - w @ xj
        cr = rest - w @ rest
        den = np.sqrt((w @ cx**2) * (w @ cr**2))
        out.append(float(np.clip((w @ (cx * cr)) / den if den > 0 else 0.5, 0.1, 0.9)))
    return np.asarray(out)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_start_values_use_the_item_rest_correlations(missing: float) -> None:
    df = ml.psychometrics.simulate_irt(n=700, n_items=7, n_categories=4, seed=5)
    if missing:
        df = df.astype(float).mask(np.random.default_rng(1).random(df.shape) < missing)
    codes, design, used = est.prepare(df, None, "graded")
    pats = est.collapse(codes[used], design.ncat)
    beta = design.beta(est.start_values(design, pats))
    r = _start_values_item_by_item(design, pats)
    slopes = beta[np.asarray(design.start)]
    np.testing.assert_allclose(slopes, 1.702 * r / np.sqrt(1 - r * r), rtol=1e-12)


def test_single_thread_limits_blas_and_is_reused() -> None:
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    from measurelib.psychometrics._numeric import _CONTROLLER, single_thread

    with single_thread():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
    controller = _CONTROLLER["controller"]
    with single_thread():
        pass
    assert _CONTROLLER["controller"] is controller


@pytest.mark.parametrize("tol", [1e-4, 1e-5])
def test_converged_estimates_are_an_em_fixed_point_to_tol(
        problem: tuple[est.Design, np.ndarray], tol: float) -> None:
    design, codes = problem
    theta, w = est.quadrature(61)
    eng = est.Engine(design, est.collapse(codes, design.ncat), theta, w)
    got = est.fit(eng, 2000, tol, None)
    tight = est.fit(eng, 5000, 1e-10, None)
    assert got.converged and tight.converged
    nxt, _ = eng.em_map(got.phi)
    assert float(np.max(np.abs(nxt - got.phi))) < tol  # one more EM step moves < tol
    assert float(np.max(np.abs(got.phi - tight.phi))) < 10 * tol
