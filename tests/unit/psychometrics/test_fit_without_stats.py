"""omega fits its factor models without the fit statistics it never reports."""

from __future__ import annotations

import numpy as np

from measurelib.psychometrics.efa import _core
from measurelib.psychometrics.efa._core import fit_fa


def test_fit_without_statistics_has_the_same_solution():
    rng = np.random.default_rng(3)
    lam = rng.uniform(0.3, 0.8, (12, 2))
    R = lam @ lam.T
    np.fill_diagonal(R, 1.0)
    full = fit_fa(R, 2, "minres", "oblimin", n_obs=500)
    lean = fit_fa(R, 2, "minres", "oblimin", n_obs=500, stats=False)
    assert full.stats["RMSEA"] is not None and lean.stats == {}
    np.testing.assert_array_equal(full.loadings, lean.loadings)
    np.testing.assert_array_equal(full.phi, lean.phi)
    np.testing.assert_array_equal(full.uniquenesses, lean.uniquenesses)


def test_omega_computes_no_fit_statistics(monkeypatch):
    from measurelib.datasets import load_dataset
    from measurelib.psychometrics import omega

    calls: list[int] = []
    real = _core.factor_stats

    def spy(*a: object, **k: object) -> object:
        calls.append(1)
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(_core, "factor_stats", spy)
    hs = load_dataset("holzinger_swineford_1939")
    res = omega(hs[[f"x{i}" for i in range(1, 10)]], n_factors=3)
    assert calls == []
    assert round(res.omega_total, 2) == 0.85


def test_distributions_without_scipy_stats_equal_scipy_stats():
    """The scipy.special forms used by the statistics give scipy.stats' values and edges."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from scipy import stats

    from measurelib.psychometrics._numeric import chi2_cdf, chi2_sf, f_ppf, norm_ppf

    edges = [(np.inf, 3.0), (0.0, 3.0), (-1.0, 3.0), (np.nan, 3.0), (3.0, 0.0), (3.0, -1.0),
             (3.0, np.nan), (0.0, 0.0), (1e-300, 1.0), (5.0, 0.5)]
    for x, df in edges:
        np.testing.assert_equal(chi2_sf(x, df), stats.chi2.sf(x, df))
        np.testing.assert_equal(chi2_cdf(x, df), stats.chi2.cdf(x, df))
    xs, dfs = np.array([0.5, 3.0, -2.0, 40.0]), np.array([1, 2, 3, 0])
    np.testing.assert_array_equal(chi2_sf(xs, dfs), stats.chi2.sf(xs, dfs))
    assert chi2_sf(np.array([]), np.array([])).shape == (0,)

    @settings(max_examples=200, deadline=None)
    @given(st.floats(0, 1e4), st.floats(0.01, 1e4), st.floats(0, 1),
           st.floats(0.5, 1e5), st.floats(0.5, 1e5))
    def agree(x, df, q, d1, d2):
        np.testing.assert_equal(chi2_sf(x, df), stats.chi2.sf(x, df))
        np.testing.assert_equal(chi2_cdf(x, df), stats.chi2.cdf(x, df))
        np.testing.assert_equal(f_ppf(q, d1, d2), stats.f.ppf(q, d1, d2))
        np.testing.assert_equal(norm_ppf(q), stats.norm.ppf(q))

    agree()
