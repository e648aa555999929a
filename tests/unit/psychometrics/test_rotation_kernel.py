"""The compiled oblimin rotation (numba, the ``fast`` extra) against the NumPy loop.

The compiled loop must give GPArotation's iterate as the NumPy loop does (same steps,
same iteration count, same convergence verdict), to rounding; degenerate inputs must go
through the NumPy loop, so that they raise and warn exactly as before. Without numba the
NumPy loop runs (checked here too, with numba switched off by ``MEASURELIB_NUMBA=0``).
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from measurelib.psychometrics import _numeric, omega, reliability
from measurelib.psychometrics._jit import numba_enabled
from measurelib.psychometrics._numeric import single_thread
from measurelib.psychometrics.efa._core import _Eigen, extract
from measurelib.psychometrics.efa._gpf_kernel import oblimin_gpf
from measurelib.psychometrics.efa._rotation import Rotation, gpf_oblique

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba (the fast extra) not installed")


def _likert(n: int, p: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.45, 0.8, p)
    f = rng.standard_normal((n, 1))
    z = f * lam + rng.standard_normal((n, p)) * np.sqrt(1 - lam**2)
    x = np.digitize(z, np.array([-1.5, -0.5, 0.4, 1.3])) + 1
    return pd.DataFrame(x.astype(float), columns=[f"q{j + 1}" for j in range(p)])


def _numpy_loop(monkeypatch: pytest.MonkeyPatch, *args: Any, **kw: Any) -> Rotation:
    with monkeypatch.context() as m:
        m.setenv("MEASURELIB_NUMBA", "0")
        assert oblimin_gpf(np.eye(2), np.eye(2), 0.0, 1e-5, 10) is None
        return gpf_oblique(*args, **kw)


@st.composite
def loadings(draw: st.DrawFn) -> np.ndarray:
    """Loadings in general position, as a factor extraction gives them.

    Drawn from a seeded generator rather than element by element: hypothesis shrinks
    elements to a few equal values (rows of 0.5), and a matrix whose columns can be swapped
    without changing its rows puts the rotation on a saddle where the last bit of rounding
    picks the way (or makes a step matrix exactly singular in one arithmetic and not in the
    other): there neither loop's answer is more right than the other's.
    """
    k = draw(st.integers(2, 5))
    p = draw(st.integers(3 * k, 30))  # at least three items a factor, as psych asks
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.uniform(-0.95, 0.95, (p, k))
    assume(np.linalg.svd(a, compute_uv=False)[-1] > 0.05)
    return a


@needs_numba
@settings(max_examples=80, deadline=None)
@given(loadings(), st.sampled_from([0.0, 0.0, 0.5]), st.integers(1, 1000))
def test_compiled_loop_equals_numpy_loop(a: np.ndarray, gam: float, maxit: int) -> None:
    mp = pytest.MonkeyPatch()
    try:
        ref = _numpy_loop(mp, a, "oblimin", gam=gam, maxit=maxit)
    finally:
        mp.undo()
    got = gpf_oblique(a, "oblimin", gam=gam, maxit=maxit)
    assert got.converged == ref.converged
    if got.iterations == ref.iterations:
        tol = 1e-8
    else:
        # both stopped where the gradient norm crossed the criterion, one rounding apart
        # (about 1 case in 1,000 random ones): an iteration or two apart, at the optimum
        assert got.converged and abs(got.iterations - ref.iterations) <= 3
        tol = 1e-5
    for name in ("loadings", "phi", "rotmat"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=tol, atol=tol)


@needs_numba
def test_non_converging_crawl_gives_the_1000th_iterate(monkeypatch: pytest.MonkeyPatch) -> None:
    # psych reports GPFoblq's 1,000th iterate when it never reaches its criterion: the
    # benchmark's one-factor data rotated as three factors is such a case
    from measurelib.psychometrics.efa._core import fit_fa, pairwise_cor

    r, _ = pairwise_cor(_likert(20_000, 50, 20240601).to_numpy())
    orth = fit_fa(r, 3, "minres", "varimax", stats=False).loadings
    ref = _numpy_loop(monkeypatch, orth, "oblimin", gam=0.0)
    got = gpf_oblique(orth, "oblimin", gam=0.0)
    assert not got.converged and not ref.converged
    assert got.iterations == ref.iterations == 1000
    np.testing.assert_allclose(got.loadings, ref.loadings, rtol=0, atol=1e-11)


@needs_numba
def test_singular_start_goes_through_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    a = np.array([[0.8, 0.1], [0.7, 0.2], [0.1, 0.9], [0.2, 0.6]])
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert oblimin_gpf(a, singular, 0.0, 1e-5, 1000) is None  # the kernel declines...
    with pytest.raises(np.linalg.LinAlgError):  # ...and NumPy raises, as it always did
        gpf_oblique(a, "oblimin", Tmat=singular, gam=0.0)
    nan = a.copy()
    nan[0, 0] = np.nan
    assert oblimin_gpf(nan, np.eye(2), 0.0, 1e-5, 1000) is None


@needs_numba
def test_reliability_and_omega_agree_with_and_without_numba(
        monkeypatch: pytest.MonkeyPatch) -> None:
    df = _likert(3_000, 24, 5)
    fast = reliability(df)
    om_fast = omega(df, 3)
    monkeypatch.setenv("MEASURELIB_NUMBA", "0")
    slow = reliability(df)
    om_slow = omega(df, 3)
    assert fast.omega_total == pytest.approx(slow.omega_total, abs=1e-12)
    assert fast.omega_hierarchical == pytest.approx(slow.omega_hierarchical, abs=1e-12)
    np.testing.assert_allclose(om_fast.schmid_leiman.to_numpy(),
                               om_slow.schmid_leiman.to_numpy(), rtol=0, atol=1e-11)
    assert fast.warnings == slow.warnings


def test_numba_switched_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("0", "off", "false", "no", " OFF "):
        monkeypatch.setenv("MEASURELIB_NUMBA", value)
        assert not numba_enabled()
        assert oblimin_gpf(np.eye(2), np.eye(2), 0.0, 1e-5, 10) is None


def test_one_blas_thread_inside_and_restored_after() -> None:
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    before = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
    with single_thread():
        inside = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
    after = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
    assert inside and all(n == 1 for n in inside)
    assert after == before


def test_blas_look_up_is_cached_until_a_module_is_imported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with single_thread():
        pass
    first = _numeric._CONTROLLER["controller"]
    with single_thread():
        pass
    assert _numeric._CONTROLLER["controller"] is first  # no second walk over the libraries
    monkeypatch.setitem(sys.modules, "measurelib_test_new_module", types.ModuleType("x"))
    with single_thread():
        pass
    assert _numeric._CONTROLLER["controller"] is not first  # an import since: looked up again


def test_eigen_reuse_only_for_the_same_matrix() -> None:
    rng = np.random.default_rng(1)
    m = rng.standard_normal((6, 6))
    m = m + m.T
    eig = _Eigen()
    v1 = eig(m)
    assert eig(m.copy()) is v1  # the same matrix: decomposed once
    m2 = m.copy()
    m2[0, 0] += 1e-15
    v2 = eig(m2)
    assert v2 is not v1
    np.testing.assert_array_equal(v2[0], np.linalg.eigh(m2)[0][::-1])


def test_minres_extraction_unchanged_by_reuse() -> None:
    # the same numbers as decomposing at every call (bitwise: same input, same LAPACK call)
    from measurelib.psychometrics.efa import _core

    r = np.corrcoef(_likert(2_000, 12, 9).to_numpy(), rowvar=False)
    cached = extract(r, 2, "minres")
    original = _core._Eigen.__call__

    def fresh(self: _Eigen, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _core.eigen_desc(m)

    _core._Eigen.__call__ = fresh  # type: ignore[method-assign]
    try:
        plain = extract(r, 2, "minres")
    finally:
        _core._Eigen.__call__ = original  # type: ignore[method-assign]
    np.testing.assert_array_equal(cached[0], plain[0])
    np.testing.assert_array_equal(cached[2], plain[2])


def test_a_kernel_that_fails_to_compile_falls_back_to_numpy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from measurelib.psychometrics.efa import _gpf_kernel

    def broken(*args: Any) -> Any:
        raise RuntimeError("numba could not compile")

    monkeypatch.setenv("MEASURELIB_NUMBA", "1")
    monkeypatch.setattr(_gpf_kernel._KERNEL, "_compiled", broken)
    monkeypatch.setattr(_gpf_kernel._KERNEL, "_tried", True)
    monkeypatch.setattr("measurelib.psychometrics._jit.numba_enabled", lambda: True)
    a = np.array([[0.8, 0.1], [0.7, 0.2], [0.1, 0.9], [0.2, 0.6], [0.5, 0.5], [0.3, 0.7]])
    assert oblimin_gpf(a, np.eye(2), 0.0, 1e-5, 1000) is None
    assert _gpf_kernel._KERNEL.get() is None  # switched off for the rest of the process
    rot = gpf_oblique(a, "oblimin", gam=0.0)  # the NumPy loop answers
    assert rot.loadings.shape == (6, 2)
