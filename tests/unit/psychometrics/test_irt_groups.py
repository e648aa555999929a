"""Multiple-group calibration and DIF (measurelib.psychometrics.irt / dif)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import measurelib as ml


@pytest.fixture(scope="module")
def two_groups() -> pd.DataFrame:
    a = ml.psychometrics.simulate_irt(n=1200, n_items=6, n_categories=4, seed=1)
    d = np.array(a.attrs["d"])
    d[0] += 0.9  # item1 functions differently in the focal group
    b = ml.psychometrics.simulate_irt(n=1200, n_items=6, n_categories=4, seed=2,
                                      a=a.attrs["a"], d=d,
                                      theta=np.random.default_rng(3).normal(0.4, 1.1, 1200))
    df = pd.concat([a, b], ignore_index=True)
    df["grp"] = ["ref"] * 1200 + ["foc"] * 1200
    return df


def test_free_groups_equal_separate_calibrations(two_groups: pd.DataFrame) -> None:
    free = ml.psychometrics.irt(two_groups, groups="grp", se=None)
    ref = ml.psychometrics.irt(two_groups[two_groups.grp == "ref"].drop(columns="grp"), se=None)
    foc = ml.psychometrics.irt(two_groups[two_groups.grp == "foc"].drop(columns="grp"), se=None)
    assert free.loglik == pytest.approx(ref.loglik + foc.loglik, abs=1e-5)
    np.testing.assert_allclose(free.coef.loc["foc"], foc.coef, atol=1e-4)
    assert free.groups == ["ref", "foc"] and free.group_n == [1200, 1200]
    assert len(free.to_frame()) == 12 and free.to_dict()["groups"] == ["ref", "foc"]
    assert free.df == 2 * (4**6 - 1) - 48


def test_invariance_with_anchors_estimates_group_moments(two_groups: pd.DataFrame) -> None:
    fit = ml.psychometrics.irt(two_groups, groups="grp",
                               invariance=("item3", "item4", "item5", "item6",
                                           "free_means", "free_var"))
    assert fit.group_means[0] == 0 and fit.group_vars[0] == 1
    assert fit.group_means[1] == pytest.approx(0.4, abs=0.15)
    assert fit.group_vars[1] == pytest.approx(1.21, abs=0.3)
    # anchors are equal across groups; item1 is not
    np.testing.assert_allclose(fit.coef.loc["ref"].loc["item4"], fit.coef.loc["foc"].loc["item4"])
    assert abs(fit.coef.loc[("foc", "item1"), "d1"] - fit.coef.loc[("ref", "item1"), "d1"]) > 0.4
    assert fit.se.notna().all().all() and fit.se_method == "oakes"
    sc = fit.group("foc").scores(two_groups.drop(columns="grp").head(3))
    assert sc.shape == (3, 2)
    with pytest.raises(ValueError, match="parameter 'label'"):
        fit.group("x")


def test_group_errors(two_groups: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="parameter 'invariance' takes"):
        ml.psychometrics.irt(two_groups, groups="grp", invariance=("slopes", "zzz"))
    with pytest.raises(ValueError, match="needs 'groups'"):
        ml.psychometrics.irt(two_groups.drop(columns="grp"), invariance=("a",))
    with pytest.raises(ValueError, match="one group only"):
        ml.psychometrics.irt(two_groups.drop(columns="grp"), groups=["x"] * len(two_groups))
    with pytest.warns(ml.errors.ConvergenceWarning, match="identified"), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*EM stopped", category=UserWarning)
        ml.psychometrics.irt(two_groups, groups="grp", invariance=("free_means",), se=None,
                             max_iter=5)


@pytest.mark.parametrize("method", ["lr", "wald"])
def test_dif_with_anchors_finds_the_dif_item(two_groups: pd.DataFrame, method: str) -> None:
    out = ml.psychometrics.dif(two_groups, "grp", anchors=["item4", "item5", "item6"],
                               method=method)
    assert list(out.index) == ["item1", "item2", "item3"]
    assert out.loc["item1", "flag"] and not out.loc[["item2", "item3"], "flag"].any()
    assert (out["df"] == 4).all() and out.loc["item1", "esd_signed"] > 0.2


def test_dif_lr_and_wald_agree(two_groups: pd.DataFrame) -> None:
    anchors = ["item4", "item5", "item6"]
    lr = ml.psychometrics.dif(two_groups, "grp", anchors=anchors, method="lr")
    wald = ml.psychometrics.dif(two_groups, "grp", anchors=anchors, method="wald")
    assert wald.loc["item1", "stat"] == pytest.approx(lr.loc["item1", "stat"], rel=0.15)


def test_dif_without_anchors_and_ordinal_logistic(two_groups: pd.DataFrame) -> None:
    drop = ml.psychometrics.dif(two_groups, "grp", test=("d",))
    assert drop["flag"].idxmax() == "item1" and (drop["df"] == 3).all()
    olr = ml.psychometrics.dif(two_groups, "grp", method="ordinal-logistic")
    assert olr.loc["item1", "flag"] and olr.loc["item1", "chi2_13"] > 50
    assert {"r2_12", "r2_13", "r2_23"} <= set(olr.columns)
    assert olr.attrs["purification_iterations"] >= 2
    with pytest.raises(ValueError, match="needs 'anchors'"):
        ml.psychometrics.dif(two_groups, "grp", method="wald")
    with pytest.raises(ValueError, match="parameter 'method' must be one of"):
        ml.psychometrics.dif(two_groups, "grp", method="mh")


def test_all_equal_groups_equal_the_pooled_calibration(two_groups: pd.DataFrame) -> None:
    pooled = ml.psychometrics.irt(two_groups.drop(columns="grp"), se=None)
    equal = ml.psychometrics.irt(two_groups, groups="grp", invariance=("a", "d"), se=None)
    assert equal.loglik == pytest.approx(pooled.loglik, abs=1e-5)
    np.testing.assert_allclose(equal.coef.loc["foc"], pooled.coef, atol=1e-4)
    assert equal.n_parameters == pooled.n_parameters


def test_dif_with_three_groups_counts_every_focal_group() -> None:
    df = ml.psychometrics.simulate_irt(n=1800, n_items=5, n_categories=3, seed=1)
    df["g"] = np.repeat(["a", "b", "c"], 600)
    lr = ml.psychometrics.dif(df, "g", anchors=["item4", "item5"])
    wald = ml.psychometrics.dif(df, "g", anchors=["item4", "item5"], method="wald")
    assert (lr["df"] == 6).all() and (wald["df"] == 6).all() and not lr["flag"].any()
    np.testing.assert_allclose(wald["stat"], lr["stat"], rtol=0.2, atol=0.5)
