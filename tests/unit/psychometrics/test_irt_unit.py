"""Unit tests of measurelib.psychometrics.irt: inputs, errors, result shape, options."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import measurelib as ml


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return ml.psychometrics.simulate_irt(n=600, n_items=6, n_categories=4, seed=11)


@pytest.fixture(scope="module")
def fit(sim: pd.DataFrame) -> ml.psychometrics.IRTResult:
    return ml.psychometrics.irt(sim)


def test_result_shape_and_json(fit: ml.psychometrics.IRTResult, sim: pd.DataFrame) -> None:
    assert list(fit.coef.columns) == ["a", "d1", "d2", "d3"]
    assert list(fit.coef_irt.columns) == ["a", "b1", "b2", "b3"]
    assert fit.se.shape == fit.coef.shape and fit.se.notna().all().all()
    assert fit.n == 600 and fit.n_items == 6 and fit.converged
    assert fit.n_parameters == 24 and fit.df == 4**6 - 1 - 24
    assert fit.aic == pytest.approx(-2 * fit.loglik + 48)
    assert fit.simulated and "simulated" in fit.summary()
    out = json.loads(fit.to_json())
    assert out["note"] == "computed on simulated data" and "design_" not in out
    assert len(fit.to_frame()) == 6
    # thresholds are ordered for the graded model
    assert (np.diff(fit.coef_irt[["b1", "b2", "b3"]].to_numpy(), axis=1) > 0).all()


def test_categories_as_coded(sim: pd.DataFrame) -> None:
    shifted = sim - 1  # 0..3 instead of 1..4
    a = ml.psychometrics.irt(sim, se=None)
    b = ml.psychometrics.irt(shifted, se=None)
    np.testing.assert_allclose(a.coef, b.coef)
    assert a.categories["item1"] == [1.0, 2.0, 3.0, 4.0]
    assert b.sum_score_table()["sum"].iloc[0] == 0 and a.sum_score_table()["sum"].iloc[0] == 6


def test_empty_and_single_categories_name_the_item(sim: pd.DataFrame) -> None:
    bad = sim.copy()
    bad.loc[bad["item2"] == 3, "item2"] = 4
    with pytest.raises(ValueError, match=r"item 'item2' has empty categories \[3\]"):
        ml.psychometrics.irt(bad)
    one = sim.copy()
    one["item3"] = 2
    with pytest.raises(ValueError, match="item 'item3' has one category only"):
        ml.psychometrics.irt(one)
    txt = sim.astype(object)
    txt.loc[5, "item1"] = "often"
    with pytest.raises(ValueError, match="item 'item1' has a non-numeric answer 'often' in row 6"):
        ml.psychometrics.irt(txt)


def test_parameter_errors_name_parameter_and_values(sim: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="parameter 'model': must be one of .*got 'nominal'"):
        ml.psychometrics.irt(sim, model="nominal")
    with pytest.raises(ValueError, match="'2pl' needs a dichotomous item"):
        ml.psychometrics.irt(sim, model="2pl")
    with pytest.raises(ValueError, match="parameter 'se' must be one of"):
        ml.psychometrics.irt(sim, se="bootstrap")
    with pytest.raises(ValueError, match="parameter 'items'"):
        ml.psychometrics.irt(sim, items=["item1", "nope"])
    with pytest.raises(ValueError, match="parameter 'quadrature'"):
        ml.psychometrics.irt(sim, quadrature=2)
    with pytest.raises(ValueError, match="parameter 'model': names items"):
        ml.psychometrics.irt(sim, model={"zzz": "gpcm"})


def test_missing_answers_and_empty_rows(sim: pd.DataFrame) -> None:
    holes = sim.astype(float).copy()
    rng = np.random.default_rng(3)
    holes = holes.mask(rng.random(holes.shape) < 0.1)
    holes.iloc[0] = np.nan
    f = ml.psychometrics.irt(holes, se=None)
    assert f.n == 599 and f.n_excluded == 1 and f.n_rows == 600
    sc = f.scores()
    assert len(sc) == 600 and np.isnan(sc["theta"].iloc[0]) and sc["theta"].iloc[1:].notna().all()


def test_scores_of_a_subset_of_items(fit: ml.psychometrics.IRTResult, sim: pd.DataFrame) -> None:
    sub = sim[["item1", "item4"]].head(5)
    part = fit.scores(sub)
    full = fit.scores(sim.head(5))
    assert (part["se"] > full["se"]).all()
    with pytest.raises(ValueError, match="row 2: answer 9"):
        fit.scores(pd.DataFrame({"item1": [1, 9]}))


def test_standard_error_methods_agree(sim: pd.DataFrame) -> None:
    louis = ml.psychometrics.irt(sim, se="louis")
    oakes = ml.psychometrics.irt(sim, se="oakes")
    sem = ml.psychometrics.irt(sim, se="sem")
    np.testing.assert_allclose(oakes.se, louis.se, rtol=1e-4)
    np.testing.assert_allclose(sem.se, louis.se, rtol=5e-3)
    assert ml.psychometrics.irt(sim, se=None).se.isna().all().all()


def test_rasch_family_models(sim: pd.DataFrame) -> None:
    pcm = ml.psychometrics.irt(sim, model="pcm")
    assert (pcm.coef["a"] == 1).all() and pcm.group_vars[0] != 1.0
    assert pcm.group_vars_se[0] > 0
    rsm = ml.psychometrics.irt(sim, model="rsm")
    # rating scale: thresholds differ between items only by a location shift
    steps = -rsm.coef_irt[["b1", "b2", "b3"]].to_numpy()
    dev = steps - steps.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(dev, np.broadcast_to(dev[0], dev.shape), atol=1e-8)
    assert rsm.n_parameters == 3 + 5 + 1 and rsm.loglik < pcm.loglik
    gpcm = ml.psychometrics.irt(sim, model="gpcm")
    assert gpcm.loglik > pcm.loglik


def test_information_and_expected_score(fit: ml.psychometrics.IRTResult) -> None:
    info = fit.information([-1.0, 0.0, 1.0])
    assert list(info.columns) == [*fit.items, "total"]
    np.testing.assert_allclose(info["total"], info[fit.items].sum(axis=1))
    sub = fit.information(0.0, items=["item1"])
    assert list(sub.columns) == ["item1", "total"]
    es = fit.expected_score([-12.0, 0.0, 12.0])
    assert es[0] == pytest.approx(6, abs=0.05) and es[2] == pytest.approx(24, abs=0.05)
    with pytest.raises(ValueError, match="parameter 'items'"):
        fit.information(0.0, items=["x"])


def test_fit_tables(fit: ml.psychometrics.IRTResult) -> None:
    ifit = fit.itemfit()
    assert list(ifit.columns) == ["S_X2", "df", "RMSEA", "p"] and len(ifit) == 6
    m2 = fit.m2("C2")
    assert m2["df"].iloc[0] == 18 + 15 - 24 and 0 <= m2["p"].iloc[0] <= 1
    with pytest.raises(ValueError, match="21 moments for 24 parameters"):
        fit.m2("M2*")
    assert len(fit.residuals("LD")) == 15 and len(fit.residuals("Q3")) == 15
    with pytest.raises(ValueError, match="parameter 'type'"):
        fit.m2("M3")  # type: ignore[arg-type]


def test_from_coef_reproduces_scores(fit: ml.psychometrics.IRTResult, sim: pd.DataFrame) -> None:
    bank = ml.psychometrics.IRTResult.from_coef(fit.coef, categories=fit.categories)
    np.testing.assert_allclose(bank.scores(sim.head(20)), fit.scores(sim.head(20)), atol=1e-12)
    assert np.isnan(bank.sum_score_table()["observed"]).all()
    with pytest.raises(ValueError, match="needs the calibration data"):
        bank.itemfit()



def test_public_name_stays_callable_after_submodule_import() -> None:
    code = ("import measurelib.psychometrics._irt._estimate, measurelib as ml;"
            "df = ml.psychometrics.simulate_irt(n=200, n_items=3, n_categories=2, seed=1);"
            "print(type(ml.psychometrics.irt(df, se=None)).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "IRTResult"


def test_docstring_examples_run() -> None:
    import doctest

    from measurelib.psychometrics._irt import _calibrate

    result = doctest.testmod(_calibrate, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_import_stays_light() -> None:
    code = "import measurelib.psychometrics, sys; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_score_method_handles_missing_and_extreme_patterns() -> None:
    df = ml.psychometrics.simulate_irt(n=800, n_items=8, model="2pl", seed=4, start=0).astype(float)
    df.iloc[::7, 2] = np.nan
    df.iloc[0] = np.nan  # a row without answers
    df.iloc[1] = 0.0  # all lowest
    df.iloc[2] = 1.0  # all highest
    fit = ml.psychometrics.irt(df, model="2pl", se=None)
    for method in ("EAP", "MAP", "WLE", "EAPsum"):
        sc = fit.scores(df, method=method)
        assert np.isnan(sc["theta"].iloc[0]) and sc["theta"].iloc[1:].notna().all()
        assert sc["theta"].iloc[1] < sc["theta"].iloc[3] < sc["theta"].iloc[2]
    with pytest.warns(ml.errors.ConvergenceWarning):
        ml_scores = fit.scores(df, method="ML")
    assert ml_scores["theta"].iloc[1] == -np.inf and ml_scores["theta"].iloc[2] == np.inf


def test_a_calibration_survives_json(fit: ml.psychometrics.IRTResult, sim: pd.DataFrame) -> None:
    bank = ml.psychometrics.IRTResult.from_dict(json.loads(fit.to_json()))
    np.testing.assert_allclose(bank.coef, fit.coef)
    np.testing.assert_allclose(bank.scores(sim.head(10)), fit.scores(sim.head(10)), atol=1e-12)
    pcm = ml.psychometrics.irt(sim, model="pcm", se=None)
    again = ml.psychometrics.IRTResult.from_dict(pcm.to_dict())
    np.testing.assert_allclose(again.scores(sim.head(10)), pcm.scores(sim.head(10)), atol=1e-10)
    with pytest.raises(ValueError, match="needs the 'coef'"):
        ml.psychometrics.IRTResult.from_dict({"coef": []})


def test_graded_probabilities_keep_precision_for_steep_items() -> None:
    # Both boundary curves of a middle category round to 1 at the far grid points of a
    # steep item; the category probability must still be positive and accurate (it was
    # computed as their difference, exactly 0), and no slope overflows the exponential.
    from decimal import Decimal, getcontext

    from measurelib.psychometrics._irt._models import (
        graded_newton,
        item_derivatives,
        item_probs,
        item_theta_derivatives,
    )

    getcontext().prec = 60
    beta = np.array([[8.0, 4.0, 1.0, -2.0], [400.0, 10.0, 0.0, -10.0]])
    theta = np.linspace(-6, 6, 61)

    def exact(a: float, ds: list[float], t: float) -> list[float]:
        star = [Decimal(1)] + [1 / (1 + (-(Decimal(a) * Decimal(t) + Decimal(d))).exp())
                               for d in ds] + [Decimal(0)]
        return [float(star[c] - star[c + 1]) for c in range(len(ds) + 1)]

    p = item_probs("graded", beta, theta)
    for q in (0, 30, 45, 60):
        np.testing.assert_allclose(p[0, :, q], exact(8.0, [4.0, 1.0, -2.0], theta[q]),
                                   rtol=1e-12, atol=0)
    assert p[0, 1, 60] > 0  # about 1e-21: both curves round to 1 at theta = 6
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    # slope 400: no overflow warning (warnings are errors), probabilities in [0, 1]
    for fn in (item_probs, item_theta_derivatives):
        out = fn("graded", beta, theta)
        assert np.all(np.isfinite(out[0] if isinstance(out, tuple) else out))
    _, dlog, d2 = item_derivatives("graded", beta, theta)
    assert np.all(np.isfinite(dlog)) and np.all(np.isfinite(d2))
    val, g, h = graded_newton(beta, theta, np.ones((2, 4, 61)))
    assert np.all(np.isfinite(val)) and np.all(np.isfinite(g)) and np.all(np.isfinite(h))


def test_graded_probabilities_of_disordered_intercepts_are_the_plain_difference() -> None:
    # a line search may try disordered intercepts; their "probabilities" are the plain
    # (negative) differences, without overflow or NaN
    from measurelib.psychometrics._irt._models import item_probs

    beta = np.array([[1.0, -400.0, 400.0], [2.0, 1.0, 3.0]])
    theta = np.linspace(-6, 6, 61)
    p = item_probs("graded", beta, theta)
    star = 1 / (1 + np.exp(-(beta[:, :1, None] * theta + beta[:, 1:, None])))
    np.testing.assert_allclose(p[:, 1], star[:, 0] - star[:, 1], rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(p))


@pytest.mark.parametrize("seed", [15])
def test_runaway_slope_gives_no_nan_newton_step(seed: int) -> None:
    # A skewed sample of 100 with a six-category item whose slope runs away on a flat
    # likelihood: the item's Newton system is numerically singular and np.linalg.solve
    # returned an infinite step without an error, so the line search evaluated NaN trial
    # points (RuntimeWarnings, errors here). The item now takes a gradient step instead.
    import warnings

    from scipy.special import expit

    rng = np.random.default_rng(seed)
    theta = (rng.gamma(2, 1, 100) - 2) / 1.4
    cols = {}
    for j, k in enumerate((6, 2, 2)):
        a = rng.lognormal(0.2, 0.4)
        b = np.sort(rng.normal(0, 1.2, k - 1))
        p = expit(a * theta[:, None] - a * b[None, :])
        cols[f"q{j + 1}"] = (rng.random(100)[:, None] < p).sum(axis=1)
    data = pd.DataFrame(cols)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ml.errors.ConvergenceWarning)
        fit = ml.psychometrics.irt(data, model="graded", max_iter=200)
    assert np.isfinite(fit.loglik)
    assert np.all(np.isfinite(fit.coef["a"]))


def test_runaway_slope_is_reported() -> None:
    # item6 copies item1 but for 3% of answers: the likelihood grows without bound with
    # the slopes (OpenMx reaches slopes in the hundreds or thousands, each EM stops where
    # its tolerance says); the calibration says so rather than report arbitrary numbers
    data = ml.psychometrics.simulate_irt(100, a=np.array([1.0, 1.2, 0.8, 1.5, 1.0]),
                                         d=np.tile([1.5, 0.3, -0.8, -2.0], (5, 1)), start=1,
                                         seed=0)
    rng = np.random.default_rng(0)
    data["item6"] = np.where(rng.random(100) < 0.03, data["item2"], data["item1"])
    with pytest.warns(ml.errors.ConvergenceWarning, match=r"slope above 20 for 'item6'"):
        fit = ml.psychometrics.irt(data, se=None)
    assert any("slope above 20" in m for m in fit.warnings)
    # an ordinary calibration says nothing
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ml.errors.ConvergenceWarning)
        ml.psychometrics.irt(data.drop(columns="item6"), se=None)
