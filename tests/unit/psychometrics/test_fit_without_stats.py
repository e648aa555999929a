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
