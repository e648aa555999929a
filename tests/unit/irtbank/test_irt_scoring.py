"""`method: irt` scores: EAP on the bank's metric with a standard error beside the score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.psychometrics import IRTResult, measure_bank

from .conftest import BANK


def _reference(answers: pd.DataFrame) -> pd.DataFrame:
    """The same scores straight from IRTResult.from_coef, codes by hand."""
    coef = pd.DataFrame({"a": [1.5, 2.0, 1.0, 0.8],
                         "d1": [1.5, 3.0, 2.0, -0.4], "d2": [0, 0.4, 0, 0.0],
                         "d3": [-1.5, -1.6, -2, -0.8]}, index=["q1", "q2", "q3", "q4"])
    fit = IRTResult.from_coef(coef, model={"q4": "gpcm"})
    codes = answers - 1
    codes["q2"] = 3 - codes["q2"]  # reversed item: scored value 5 - x, category 4 - x - 1
    return fit.scores(codes)


def test_scores_are_eap_on_the_t_metric_with_se() -> None:
    m = ml.loads(BANK)
    df = pd.DataFrame({"q1": [1, 4, 2, 3], "q2": [4, 1, 3, 2],
                       "q3": [1, 4, np.nan, 2], "q4": [1, 4, 2, np.nan]})
    got = m.score(df).scores
    ref = _reference(df)
    np.testing.assert_allclose(got["wb"], 50 + 10 * ref["theta"], rtol=1e-12)
    np.testing.assert_allclose(got["wb_se"], 10 * ref["se"], rtol=1e-12)
    assert list(got["wb_n_missing"]) == [0, 0, 1, 1]
    expected_bands = ["low" if v <= 40 else "ok" for v in got["wb"]]
    assert list(got["wb_band"].astype(str)) == expected_bands
    assert "wbs_se" not in got.columns  # se: false


def test_eap_sum_reads_the_conversion_table() -> None:
    m = ml.loads(BANK)
    table = measure_bank(m).sum_score_table()
    df = pd.DataFrame({"q1": [1, 2, 4], "q2": [4, 2, 1], "q3": [1, 3, 4], "q4": [1, 2, 4]})
    got = m.score(df).scores["wbs"].to_numpy()
    sums = (df - 1).assign(q2=4 - df["q2"]).sum(axis=1).to_numpy()
    np.testing.assert_allclose(got, 50 + 10 * table["theta"].to_numpy()[sums], rtol=1e-12)


def test_a_row_without_answers_has_no_score_and_a_declared_missing_policy_applies() -> None:
    m = ml.loads(BANK)
    df = pd.DataFrame({"q1": [np.nan, 2], "q2": [np.nan, np.nan], "q3": [np.nan, np.nan],
                       "q4": [np.nan, np.nan]})
    got = m.score(df).scores
    assert np.isnan(got["wb"].iloc[0]) and np.isfinite(got["wb"].iloc[1])
    strict = ml.loads(BANK.replace("method: irt, bands", "method: irt, missing: {max_missing: 1}, bands"))
    got = strict.score(df).scores
    assert np.isnan(got["wb"]).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.integers(1, 4)] * 4), min_size=1, max_size=30))
def test_a_subset_of_items_scores_on_the_same_metric(rows: list[tuple[int, ...]]) -> None:
    """Property: scoring only q1 and q3 equals the bank's EAP with the others unanswered."""
    m = ml.loads(BANK)
    df = pd.DataFrame(rows, columns=["q1", "q2", "q3", "q4"])
    sub = ml.loads(BANK.replace("items: all, method: irt, bands", "items: [q1, q3], method: irt, bands"))
    got = sub.score(df).scores["wb"].to_numpy()
    masked = df.astype(float).assign(q2=np.nan, q4=np.nan)
    ref = m.score(masked).scores["wb"].to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert (np.diff(measure_bank(m, ["q1", "q3"]).sum_score_table()["theta"]) > 0).all()


def test_score_range_of_an_irt_score_is_the_metric_grid() -> None:
    m = ml.loads(BANK)
    assert m.score_range("wb") == pytest.approx((-10.0, 110.0))


def test_reliable_change_from_per_person_standard_errors() -> None:
    from measurelib.psychometrics import irt_reliable_change

    m = ml.loads(BANK)
    first = pd.DataFrame({"q1": [1, 2], "q2": [4, 3], "q3": [1, 2], "q4": [1, 2]})
    second = pd.DataFrame({"q1": [4, 2], "q2": [1, 3], "q3": [4, 3], "q4": [4, 2]})
    before, after = m.score(first).scores, m.score(second).scores
    rc = irt_reliable_change(before["wb"], before["wb_se"], after["wb"], after["wb_se"])
    se = np.sqrt(before["wb_se"] ** 2 + after["wb_se"] ** 2).to_numpy()
    np.testing.assert_allclose(rc["rci"], (after["wb"] - before["wb"]).to_numpy() / se)
    assert list(rc["reliable"]) == [True, False]
