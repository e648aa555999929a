"""The numerical pieces behind psych's fits that are not the optimiser itself.

R's uniroot (Brent's zeroin) for the RMSEA interval, R's extended-precision sum for the ml
objective, the ml diagnostic where R stops, and the singular-matrix warning.  Agreement
with R on factor models is tested in tests/golden/test_psych_factors.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from measurelib.errors import DataError, MeasurelibWarning
from measurelib.psychometrics._numeric import r_uniroot
from measurelib.psychometrics.efa._core import _lbfgsb, _NonFiniteObjective, r_sum
from measurelib.psychometrics.efa._factors import fa


def test_non_finite_objective_stops_the_fit() -> None:
    """R's optim stops with "L-BFGS-B needs finite values of 'fn'"; so does the fit."""

    def fn(psi: np.ndarray) -> float:
        return float(np.log(psi[0] - 0.5))

    def gr(psi: np.ndarray) -> np.ndarray:
        return np.array([1 / (psi[0] - 0.5)])

    with pytest.raises(_NonFiniteObjective), np.errstate(invalid="ignore"):
        _lbfgsb(fn, gr, np.array([0.4]), 1.0, ())


def test_ml_on_too_few_respondents_is_a_diagnostic() -> None:
    """R stops with "L-BFGS-B needs finite values of 'fn'"; measurelib names the cause."""
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(size=(8, 10)), columns=[f"q{i}" for i in range(10)])
    with pytest.raises(DataError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa(x, n_factors=2, method="ml")
    diag = info.value.errors[0]
    assert diag.code == "singular-correlation"
    assert "not positive definite" in diag.message
    assert "minres" in diag.hint


def test_duplicated_item_warns_that_likelihood_statistics_mean_nothing() -> None:
    rng = np.random.default_rng(8)
    f = rng.normal(size=(200, 1))
    x = f @ np.full((1, 6), 0.6) + rng.normal(size=(200, 6)) * 0.8
    frame = pd.DataFrame(np.round(x, 2), columns=[f"q{i}" for i in range(6)])
    frame["q_copy"] = frame["q0"]
    with pytest.warns(MeasurelibWarning, match="singular"):
        res = fa(frame, n_factors=1)
    assert any("'q0'" in w and "'q_copy'" in w for w in res.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeasurelibWarning)
        fa(frame.drop(columns="q_copy"), n_factors=1)


def test_r_uniroot_takes_r_steps() -> None:
    """R's uniroot stops at ~1e-4; the root is R's only if the steps are R's.

    R 4.2.2: ``uniroot(function(x) x^3 - x - 2, c(1, 2))$root``,
    ``uniroot(function(x) pchisq(30, 10, ncp = x) - 0.05, c(0, 100))$root`` and
    ``uniroot(function(x) exp(x) - 5, c(-3, 4), tol = 1e-10)$root``.
    """
    from scipy.special import chndtr

    assert r_uniroot(lambda x: x**3 - x - 2, 1.0, 2.0) == pytest.approx(1.5213860590522479, abs=1e-15)
    root = r_uniroot(lambda x: float(chndtr(30.0, 10.0, x)) - 0.05, 0.0, 100.0)
    assert root == pytest.approx(40.403250433209301, abs=1e-9)
    tight = r_uniroot(lambda x: math.exp(x) - 5, -3.0, 4.0, tol=1e-10)
    assert tight == pytest.approx(1.6094379124341005, abs=1e-15)
    # the exact root differs from R's answer by more than that: the steps matter
    assert abs(1.5213797068045676 - 1.5213860590522479) > 1e-6
    # no sign change, or a non-finite end: R stops with an error, this returns NaN
    assert np.isnan(r_uniroot(lambda x: x * x + 1, -1.0, 1.0))
    assert np.isnan(r_uniroot(lambda x: math.inf if x > 0 else -1.0, -1.0, 1.0))
    # a zero at an end point is returned as it is
    assert r_uniroot(lambda x: x - 1.0, 1.0, 3.0) == 1.0


@settings(max_examples=200, deadline=None)
@given(
    root=st.floats(-50, 50),
    scale=st.floats(0.01, 100),
    power=st.sampled_from([1, 3, 5]),
    left=st.floats(0.01, 40),
    right=st.floats(0.01, 40),
    tol=st.sampled_from([1e-12, 1e-8, 1.220703125e-4]),
)
def test_r_uniroot_brackets_the_root_to_its_tolerance(
    root: float, scale: float, power: int, left: float, right: float, tol: float
) -> None:
    """Brent's guarantee: the answer is within twice the tolerance ``2 eps |x| + tol / 2``."""

    def f(x: float) -> float:
        return scale * (x - root) ** power

    x = r_uniroot(f, root - left, root + right, tol=tol)
    assert root - left <= x <= root + right
    eps = float(np.finfo(float).eps)
    assert abs(x - root) <= 2 * (2 * eps * abs(x) + tol / 2) + 4 * eps * abs(root)


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="no extended precision here")
def test_objectives_sum_as_r_sums() -> None:
    """R's sum() adds in long double: sum(c(1e16, 1, -1e16)) is 1 in R, 0 in double."""
    assert r_sum(np.array([1e16, 1.0, -1e16])) == 1.0
    assert float(np.sum(np.array([1e16, 1.0, -1e16]))) == 0.0
    assert r_sum(np.array([])) == 0.0
