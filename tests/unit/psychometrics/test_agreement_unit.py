"""Unit tests of icc(), test_retest() and convergent_validity()."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from measurelib.errors import DataError, SmallSampleWarning
from measurelib.psychometrics import (
    CorrelationResult,
    ICCResult,
    TestRetestResult,
    convergent_validity,
    icc,
    simulate,
    test_retest,
)

ROOT = Path(__file__).resolve().parents[3]
HS = pd.read_csv(ROOT / "tests" / "data" / "holzinger_swineford_1939.csv")
SF = pd.DataFrame({"J1": [9, 6, 8, 7, 10, 6], "J2": [2, 1, 4, 1, 5, 2],
                   "J3": [5, 3, 6, 2, 6, 4], "J4": [8, 2, 8, 6, 9, 7]})


def test_icc_table_and_names() -> None:
    res = icc(HS[["x1", "x2", "x3"]])
    assert isinstance(res, ICCResult)
    assert list(res.table.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert res.table.loc["ICC2", "description"] == (
        "two-way random effects, absolute agreement, single rater")
    assert res.table.loc["ICC3", "mcgraw_wong"] == "ICC(C,1)"
    assert res.table.loc["ICC2k", "shrout_fleiss"] == "ICC(2,k)"
    assert set(res.table["koo_li"]) <= {"poor", "moderate", "good", "excellent"}
    assert res.n == 301 and res.n_raters == 3
    assert res["ICC3"] == res.table.loc["ICC3", "icc"]
    json.loads(res.to_json())
    assert "ICC2" in res.summary()


def test_shrout_fleiss_published_values() -> None:
    # Shrout & Fleiss (1979), table 4: .17, .29, .71, .44, .62, .91
    with pytest.warns(SmallSampleWarning):
        res = icc(SF)
    expect = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    np.testing.assert_allclose(res.table["icc"].round(2), expect)


# pingouin 0.7 calls DataFrame.dropna(inplace=True), deprecated in pandas 3.1
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_icc_matches_pingouin() -> None:
    pg = pytest.importorskip("pingouin")
    wide = HS[["x4", "x5", "x6"]]
    long = wide.reset_index().melt(id_vars="index", var_name="rater", value_name="score")
    ref = pg.intraclass_corr(long, targets="index", raters="rater", ratings="score")
    ref = ref.set_index("Type")  # pingouin names the forms as McGraw & Wong do
    ours = icc(wide).table.set_index("mcgraw_wong")
    names = ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]
    np.testing.assert_allclose(ours["icc"], ref.loc[names, "ICC"], atol=1e-10)
    np.testing.assert_allclose(ours["F"], ref.loc[names, "F"], atol=1e-8)


def test_icc_missing_rows_reported() -> None:
    df = HS[["x1", "x2", "x3"]].copy()
    df.iloc[[3, 10], 1] = np.nan
    res = icc(df)
    assert res.n == 299 and res.n_excluded == 2 and res.excluded_rows == [5, 12]
    assert any("missing" in w for w in res.warnings)


def test_icc_constant_and_too_few() -> None:
    with pytest.raises(DataError):
        icc(pd.DataFrame({"a": [1, 1, 1], "b": [1, 1, 1]}))
    with pytest.raises(DataError):
        icc(HS[["x1"]])
    with pytest.raises(ValueError, match="ci_level"):
        icc(HS[["x1", "x2"]], ci_level=95)


def _two_waves(seed: int = 0, n: int = 80):
    rng = np.random.default_rng(seed)
    true = rng.normal(20, 5, n)
    first = pd.DataFrame({"id": np.arange(n), "score": true + rng.normal(0, 2, n)})
    second = pd.DataFrame({"id": np.arange(n), "score": true + 0.5 + rng.normal(0, 2, n)})
    return first, second


def test_test_retest_accounts_for_every_id() -> None:
    first, second = _two_waves()
    first = first.drop(index=[0, 1])  # ids 0, 1 only in second
    second = second.drop(index=[5])  # id 5 only in first
    second.loc[second["id"] == 7, "score"] = np.nan
    res = test_retest(first, second, "id", "score")
    assert isinstance(res, TestRetestResult)
    assert res.only_in_second == [0, 1] and res.only_in_first == [5]
    assert res.n_only_in_first == 1 and res.n_only_in_second == 2
    assert res.incomplete_ids == [7] and res.n_incomplete_pairs == 1
    assert res.n_pairs == 80 - 3 - 1
    # rows in = pairs + unmatched + incomplete, for each administration
    assert res.n_first == res.n_pairs + res.n_only_in_first + res.n_incomplete_pairs
    assert res.n_second == res.n_pairs + res.n_only_in_second + res.n_incomplete_pairs
    assert res.warnings


def test_test_retest_values() -> None:
    first, second = _two_waves()
    res = test_retest(first, second, "id", "score")
    d = second["score"].to_numpy() - first["score"].to_numpy()
    n = len(d)
    md, sd = d.mean(), d.std(ddof=1)
    assert res.mean_difference == pytest.approx(md)
    assert res.limits_of_agreement == pytest.approx((md - 1.96 * sd, md + 1.96 * sd))
    t = stats.t.ppf(0.975, n - 1)
    assert res.mean_difference_ci == pytest.approx((md - t * sd / math.sqrt(n),
                                                    md + t * sd / math.sqrt(n)))
    half = t * sd * math.sqrt(3 / n)
    assert res.upper_limit_ci == pytest.approx((md + 1.96 * sd - half, md + 1.96 * sd + half))
    direct = icc(pd.DataFrame({"a": first["score"], "b": second["score"]})).table
    pd.testing.assert_frame_equal(res.icc, direct)
    assert res.sem == pytest.approx(sd / math.sqrt(2))
    assert "limits of agreement" in res.summary()
    assert json.loads(res.to_json())["n_pairs"] == n
    assert len(res.to_frame()) == 6


def test_test_retest_sums_items_and_matches_order() -> None:
    df = simulate({"n_items": 4}, 60, seed=2)
    first = df.assign(id=[f"p{i}" for i in range(60)])
    second = first.sample(frac=1.0, random_state=1)  # same people, shuffled
    res = test_retest(first, second, "id", items=["item1", "item2", "item3", "item4"])
    assert res.n_pairs == 60
    assert res.mean_difference == pytest.approx(0.0)
    assert res.icc.loc["ICC2", "icc"] == 1.0  # perfect agreement once matched by id
    assert list(res.item_icc.index) == ["item1", "item2", "item3", "item4"]
    assert (res.item_icc["icc_agreement"] == 1.0).all()


def test_test_retest_item_icc() -> None:
    df1 = simulate({"n_items": 3}, 120, seed=4).assign(id=range(120))
    df2 = simulate({"n_items": 3}, 120, seed=5).assign(id=range(120))
    df2.loc[0, "item2"] = np.nan
    res = test_retest(df1, df2, "id", items=["item1", "item2", "item3"])
    tab = res.item_icc
    assert tab.loc["item2", "n_pairs"] == 119 and tab.loc["item1", "n_pairs"] == 120
    direct = icc(pd.DataFrame({"a": df1["item1"], "b": df2["item1"]})).table
    assert tab.loc["item1", "icc_agreement"] == pytest.approx(direct.loc["ICC2", "icc"])
    assert tab.loc["item1", "icc_consistency_lower"] == pytest.approx(
        direct.loc["ICC3", "ci_lower"])
    assert res.n_incomplete_pairs == 1  # the sum score is missing for id 0
    assert res.score.startswith("sum of")
    assert res.simulated and res.to_dict()["note"] == "computed on simulated data"


def test_icc_perfect_agreement() -> None:
    with pytest.warns(SmallSampleWarning):
        res = icc(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]}))
    assert (res.table["icc"] == 1).all() and (res.table["ci_lower"] == 1).all()


def test_test_retest_duplicate_ids() -> None:
    first, second = _two_waves()
    first.loc[3, "id"] = 4
    with pytest.raises(DataError) as err:
        test_retest(first, second, "id", "score")
    assert err.value.errors[0].code == "data-duplicate-id"
    assert err.value.errors[0].location.row == 5


def test_test_retest_bad_usage() -> None:
    first, second = _two_waves()
    with pytest.raises(ValueError, match="id_column"):
        test_retest(first, second, "person", "score")
    with pytest.raises(TypeError, match="first"):
        test_retest(first.to_numpy(), second, "id", "score")


def test_test_retest_small_sample_warns() -> None:
    first, second = _two_waves(n=12)
    with pytest.warns(SmallSampleWarning):
        test_retest(first, second, "id", "score")


def test_convergent_validity_pearson_and_spearman() -> None:
    a, b = HS["x1"], HS["x4"]
    res = convergent_validity(a, b)
    assert isinstance(res, CorrelationResult)
    r, p = stats.pearsonr(a, b)
    assert res.r == pytest.approx(r) and res.p == pytest.approx(p)
    z = math.atanh(r)
    se = 1 / math.sqrt(len(a) - 3)
    assert res.ci == pytest.approx((math.tanh(z - 1.959963984540054 * se),
                                    math.tanh(z + 1.959963984540054 * se)))
    assert json.loads(res.to_json())["method"] == "pearson"
    assert res.to_frame().loc[0, "n"] == len(a)
    rs = convergent_validity(a, b, method="spearman")
    assert rs.r == pytest.approx(stats.spearmanr(a, b)[0])
    assert "rho" in rs.summary()


def test_convergent_validity_missing_and_errors() -> None:
    a = HS["x1"].copy()
    a.iloc[:5] = np.nan
    res = convergent_validity(a, HS["x4"])
    assert res.n == 296 and res.n_excluded == 5
    with pytest.raises(ValueError, match="method"):
        convergent_validity(a, HS["x4"], method="kendall")
    with pytest.raises(ValueError, match="same length"):
        convergent_validity([1, 2, 3, 4, 5], [1, 2, 3, 4])
    with pytest.raises(DataError):
        convergent_validity([1, 1, 1, 1, 1], [1, 2, 3, 4, 5])


def test_reml_pools_a_negative_rater_component() -> None:
    from measurelib.psychometrics._agreement import _reml_mean_squares

    # no violation: the mean squares themselves
    th = _reml_mean_squares({"B": 90.0, "J": 10.0, "E": 18.0}, {"B": 9, "J": 2, "E": 18})
    assert th == pytest.approx({"B": 10.0, "J": 5.0, "E": 1.0})
    # rater mean square 0.5 < residual 1.0: pooled (1 + 18) / (2 + 18)
    th = _reml_mean_squares({"B": 90.0, "J": 1.0, "E": 18.0}, {"B": 9, "J": 2, "E": 18})
    assert th["J"] == th["E"] == pytest.approx(19.0 / 20.0) and th["B"] == 10.0
    # both below: everything pooled
    th = _reml_mean_squares({"B": 4.5, "J": 1.0, "E": 18.0}, {"B": 9, "J": 2, "E": 18})
    assert th["B"] == th["J"] == th["E"] == pytest.approx(23.5 / 29.0)


def test_icc_reml_equals_anova_without_boundary() -> None:
    df = HS[["x1", "x2", "x3"]]
    a = icc(df).table
    r = icc(df, method="reml").table
    np.testing.assert_allclose(r["icc"], a["icc"], atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        icc(df, method="lmer")
    first, second = _two_waves()
    res = test_retest(first, second, "id", "score", icc_method="reml")
    assert res.icc.loc["ICC1", "icc"] == pytest.approx(
        test_retest(first, second, "id", "score").icc.loc["ICC1", "icc"])
    with pytest.raises(ValueError, match="icc_method"):
        test_retest(first, second, "id", "score", icc_method="x")
