"""IRT calibrations against the numbers mirt's own test suite pins.

The expected values are copied from mirt's tests (philchalmers/mirt, files named per
test). mirt stops EM when no parameter changes by more than 1e-4 in a cycle; on these
data that leaves its estimates up to ~1e-2 from the maximum of the likelihood (Science's
third slope), which is why mirt's tests use relative tolerances of 1e-2 to 1e-4. Where
mirt prints estimates to 5 decimals we also evaluate our formulas *at mirt's estimates*,
which checks the formula itself to the printed precision.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import measurelib as ml

DATA = Path(__file__).resolve().parents[1] / "data"


def _expand(name: str) -> pd.DataFrame:
    d = pd.read_csv(DATA / name)
    return d.loc[d.index.repeat(d["freq"])].drop(columns="freq").reset_index(drop=True)


@pytest.fixture(scope="module")
def lsat7() -> pd.DataFrame:
    return _expand("lsat7_patterns.csv")


@pytest.fixture(scope="module")
def science() -> pd.DataFrame:
    return pd.read_csv(DATA / "science.csv")


@pytest.fixture(scope="module")
def lsat7_2pl(lsat7: pd.DataFrame) -> ml.psychometrics.IRTResult:
    return ml.psychometrics.irt(lsat7, model="2pl")


@pytest.fixture(scope="module")
def science_graded(science: pd.DataFrame) -> ml.psychometrics.IRTResult:
    return ml.psychometrics.irt(science)


def test_lsat7_2pl_coefficients_and_df(lsat7_2pl: ml.psychometrics.IRTResult) -> None:
    # tests/testthat/test-01-mirtOne.R: coef(mod1), extract.mirt(mod1, 'df')
    assert lsat7_2pl.df == 21
    mirt = np.array([0.988, 1.8561, 1.081, 0.808, 1.706, 1.8043, 0.7651, 0.486, 0.7358, 1.8545])
    ours = lsat7_2pl.coef[["a", "d1"]].to_numpy().ravel()
    np.testing.assert_allclose(ours, mirt, atol=2e-3)
    # IRT parametrisation: b = -d / a
    np.testing.assert_allclose(lsat7_2pl.coef_irt["b1"], -lsat7_2pl.coef["d1"] / lsat7_2pl.coef["a"])


def test_lsat7_eap_sum_scores(lsat7_2pl: ml.psychometrics.IRTResult) -> None:
    # test-01-mirtOne.R: fscores(modm1, method = 'EAPsum', full.scores = FALSE) and rxx
    tab = lsat7_2pl.sum_score_table()
    np.testing.assert_allclose(tab["sum"], [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(
        tab["theta"], [-1.86979, -1.431861, -0.9488463, -0.4131963, 0.1517289, 0.7271877], atol=1e-4)
    np.testing.assert_allclose(
        tab["se"], [0.6927032, 0.6838697, 0.6942298, 0.7210951, 0.758772, 0.8009335], atol=1e-4)
    np.testing.assert_allclose(tab["observed"], [12, 40, 114, 205, 321, 308])
    np.testing.assert_allclose(
        tab["expected"], [10.08994, 44.65882, 109.773, 207.7391, 319.1854, 308.5536], atol=2e-3)
    assert tab.attrs["rxx"] == pytest.approx(0.4319948, abs=1e-5)


def test_lsat7_item_and_model_fit(lsat7_2pl: ml.psychometrics.IRTResult) -> None:
    # test-01-mirtOne.R: itemfit(modm1, 'S_X2'), M2(modm1), residuals(modm1)
    fit = lsat7_2pl.itemfit()
    np.testing.assert_allclose(
        fit["S_X2"], [4.749440, 14.451071, 1.270381, 5.237400, 0.941125], atol=5e-3)
    assert list(fit["df"]) == [2, 2, 2, 2, 2]
    m2 = lsat7_2pl.m2().iloc[0]
    assert m2["stat"] == pytest.approx(11.93841, abs=1e-4)
    assert m2["df"] == 5
    ld = lsat7_2pl.residuals("LD")
    # mirt's matrix: X2 below the diagonal, signed Cramer's V above (column-major order)
    mirt = np.array([np.nan, 0.451213, 0.8562096, 2.577395, 2.392183, -0.02124177, np.nan,
                     1.053826, 0.2662122, 1.383089, -0.02926106, 0.03246269, np.nan,
                     0.1542321, 0.002940504, 0.05076805, -0.01631601, -0.01241902, np.nan,
                     9.962506e-06, 0.04890994, -0.0371899, -0.00171479, 9.981236e-05,
                     np.nan]).reshape(5, 5, order="F")
    for _, row in ld.iterrows():
        i = lsat7_2pl.items.index(row["item1"])
        j = lsat7_2pl.items.index(row["item2"])
        assert row["X2"] == pytest.approx(mirt[j, i], abs=2e-3)
        assert row["cramer_v"] == pytest.approx(mirt[i, j], abs=1e-4)


def test_lsat7_scores(lsat7_2pl: ml.psychometrics.IRTResult, lsat7: pd.DataFrame) -> None:
    # test-01-mirtOne.R: first six patterns' EAP (fm1) and MAP (fm2), to mirt's 1e-2
    pats = lsat7.drop_duplicates().sort_values(list(lsat7.columns)).head(6)
    eap = lsat7_2pl.scores(pats, method="EAP")["theta"].to_numpy()
    np.testing.assert_allclose(
        eap, [-1.8665957, -1.5266920, -1.5134024, -1.1852276, -1.0946830, -0.7666992], atol=1e-2)
    mapx = lsat7_2pl.scores(pats, method="MAP")["theta"].to_numpy()
    np.testing.assert_allclose(
        mapx, [-1.8165552, -1.4946906, -1.4822982, -1.1789899, -1.0958928, -0.7951026], atol=1e-2)


def test_lsat7_ml_of_extreme_patterns_is_infinite(lsat7_2pl: ml.psychometrics.IRTResult) -> None:
    pats = pd.DataFrame([[0] * 5, [1] * 5, [1, 0, 1, 0, 1]], columns=lsat7_2pl.items)
    with pytest.warns(ml.errors.ConvergenceWarning, match="inf"):
        sc = lsat7_2pl.scores(pats, method="ML")
    assert sc["theta"].iloc[0] == -np.inf and sc["theta"].iloc[1] == np.inf
    assert np.isnan(sc["se"].iloc[0]) and np.isfinite(sc["theta"].iloc[2])


def test_rasch_df_and_variance(lsat7: pd.DataFrame) -> None:
    # test-01-mirtOne.R: Rasch on LSAT7 has df 25; on LSAT6 d and the latent variance
    assert ml.psychometrics.irt(lsat7, model="rasch", se=None).df == 25
    l6 = ml.psychometrics.irt(_expand("lsat6_patterns.csv"), model="rasch")
    np.testing.assert_allclose(l6.coef["d1"], [2.73, 0.999, 0.24, 1.306, 2.099], atol=2e-3)
    assert l6.group_vars[0] == pytest.approx(0.57, abs=2e-3)
    assert (l6.coef["a"] == 1).all() and l6.se["a"].isna().all()
    # test-01-mirtOne.R: M2 of the Rasch model (5.291576) and of the equal-slopes 1PL
    # with N(0, 1) (5.292566), which is the parametrisation we estimate; df 9
    m2 = l6.m2().iloc[0]
    assert m2["df"] == 9
    assert m2["stat"] == pytest.approx(5.291576, abs=2e-3)
    assert m2["stat"] == pytest.approx(5.292566, abs=2e-3)


def test_science_graded(science_graded: ml.psychometrics.IRTResult) -> None:
    # tests/testthat/test-02-mirtTwo.R: df 239; coefficients of the SE.type = 'SEM' run,
    # for which mirt tightens its EM tolerance
    assert science_graded.df == 239
    mirt_sem = np.array([1.041, 4.863, 2.639, -1.466, 1.226, 2.924, 0.901, -2.266,
                         2.3, 5.244, 2.218, -1.967, 1.094, 3.347, 0.991, -1.688])
    np.testing.assert_allclose(science_graded.coef.to_numpy().ravel(), mirt_sem, atol=2e-3)


def test_science_louis_standard_errors_at_mirts_estimates(
        science_graded: ml.psychometrics.IRTResult) -> None:
    # test-02-mirtTwo.R: coef(modLouis, printSE = TRUE), printed to 5 decimals. Evaluated at
    # mirt's estimates, Louis's formula reproduces mirt's SEs to the printed precision.
    from measurelib.psychometrics._irt._estimate import Engine, collapse, quadrature

    pairs = [1.04236, 0.18838, 4.86544, 0.49088, 2.64044, 0.22267, -1.46621, 0.15868,
             1.22569, 0.18189, 2.924, 0.23928, 0.90115, 0.14289, -2.26661, 0.20308, 2.29058,
             0.48269, 5.22988, 0.72817, 2.21201, 0.3564, -1.96222, 0.32209, 1.09557, 0.18336,
             3.34845, 0.27659, 0.9919, 0.14053, -1.68846, 0.16864]
    est, se = np.array(pairs[0::2]), np.array(pairs[1::2])
    fit = science_graded
    theta, w = quadrature(61)
    engine = Engine(fit.design_, collapse(fit.codes_[fit.inverse_], fit.design_.ncat), theta, w)
    info, _ = engine.louis_information(est)
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(info))), se, atol=1.5e-5)
    # at our (tighter) maximum the SEs differ from mirt's by what its estimates differ
    np.testing.assert_allclose(fit.se.to_numpy().ravel(), se, rtol=2e-2)


def test_science_scores_and_c2(science_graded: ml.psychometrics.IRTResult) -> None:
    # test-02-mirtTwo.R: fscores(modp1, response.pattern = c(1,2,3,4)); M2(type = 'C2');
    # fscores(method = 'WLE') of the first three patterns
    one = pd.DataFrame([[1, 2, 3, 4]], columns=science_graded.items)
    sc = science_graded.scores(one).iloc[0]
    assert sc["theta"] == pytest.approx(-0.3494903, abs=1e-4)
    assert sc["se"] == pytest.approx(0.6004922, abs=1e-4)
    c2 = science_graded.m2("C2").iloc[0]
    assert c2["stat"] == pytest.approx(19.17929, rel=5e-4)
    assert c2["df"] == 2
    assert c2["p"] == pytest.approx(6.84337e-05, rel=5e-3)
    pats = pd.DataFrame([[1, 1, 1, 1], [1, 3, 2, 1], [1, 4, 2, 3]], columns=science_graded.items)
    wle = science_graded.scores(pats, method="WLE")
    np.testing.assert_allclose(wle["theta"], [-5.7024116, -2.1162737, -1.1386969], atol=2e-2)
    np.testing.assert_allclose(wle["se"], [1.5797286, 0.6321478, 0.6544024], atol=1e-2)


def test_science_mixed_graded_gpcm(science: pd.DataFrame) -> None:
    # test-02-mirtTwo.R: itemtype = c(rep('graded', 3), 'gpcm') (modp5); mirt's gpcm
    # intercepts d1..d3 (d0 = 0)
    fit = ml.psychometrics.irt(science, model={"Benefit": "gpcm"}, se=None)
    mirt = np.array([1.057, 4.876, 2.65, -1.472, 1.219, 2.918, 0.9, -2.263,
                     2.254, 5.177, 2.19, -1.942, 0.771, 2.16, 2.973, 1.767])
    np.testing.assert_allclose(fit.coef.to_numpy().ravel(), mirt, atol=2e-3)
    b = fit.coef_irt.loc["Benefit", ["b1", "b2", "b3"]].to_numpy()
    d = np.r_[0.0, fit.coef.loc["Benefit", ["d1", "d2", "d3"]].to_numpy()]
    np.testing.assert_allclose(b, -np.diff(d) / fit.coef.loc["Benefit", "a"])
