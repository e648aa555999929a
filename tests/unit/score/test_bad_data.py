"""Bad data: every on_invalid policy, blanks, numbers as text, and the row account."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib import validate_responses


def dirty() -> pd.DataFrame:
    return pd.DataFrame({
        "pid": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "Q1": ["1", " 2 ", "3.0", "6", "", "NA"],
        "Q2": [1, 2, 3, 1, 1, 1],
        "Q3": ["0", "x", "2.5", "1", "#N/A", "-"],
        "Q4": [0.0, 1.0, 2.0, 3.0, np.nan, 1.0],
    })


def test_error_lists_every_offending_cell(four):
    with pytest.raises(ml.DataError) as exc:
        four.score(dirty(), file="data.csv")
    errs = exc.value.errors
    got = [(d.location.row, d.location.field, d.code) for d in errs]
    # row numbers as a spreadsheet shows them: header = row 1, first data row = 2
    assert got == [(3, "Q3", "not-a-number"), (4, "Q3", "invalid-answer"),
                   (5, "Q1", "invalid-answer")]
    assert errs[2].message == "value 6 is not a valid answer (allowed: 0, 1, 2, 3, 9)"
    assert errs[1].message.startswith("value 2.5 is not a valid answer")
    assert errs[0].message.startswith("value 'x' is not a number")
    assert str(errs[2].location) == "data.csv: row 5, column 'Q1'"
    assert "3 invalid value(s) in 3 row(s)" in str(exc.value)


def test_reject_drops_rows_and_reports_them(four):
    res = four.score(dirty(), on_invalid="reject")
    assert res.scores["pid"].tolist() == ["p1", "p5", "p6"]
    rej = res.rejected
    assert rej[["row", "column", "reason"]].values.tolist() == [
        [3, "Q3", "not-a-number"], [4, "Q3", "invalid-answer"], [5, "Q1", "invalid-answer"]]
    assert rej["pid"].tolist() == ["p2", "p3", "p4"]
    acc = res.account
    assert (acc.rows_in, acc.rows_scored, acc.rows_rejected) == (6, 3, 3)
    assert acc.rejected_reasons == {"not-a-number": 1, "invalid-answer": 2}
    # blanks of kept rows only: p5 Q1 "", Q3 "#N/A", Q4 NaN; p6 Q1 "NA", Q3 "-"
    assert acc.missing_reasons == {"blank": 5}
    assert acc.balanced
    # numbers as text are accepted: p1 = 1 + 1 + (3 - 0) + 0
    assert res.scores["total"].iloc[0] == 5.0


def test_missing_treats_invalid_cells_as_missing(four):
    res = four.score(dirty(), on_invalid="missing")
    s = res.scores
    assert len(s) == 6 and res.account.rows_rejected == 0
    # p2: Q3 'x' -> missing; prorated: (2 + 2 + 1) * 4/3
    assert math.isnan(s["total"].iloc[1])
    assert s["pro"].iloc[1] == pytest.approx(5 * 4 / 3)
    assert s["total_n_missing"].tolist() == [0, 1, 1, 1, 3, 2]
    reasons = res.account.missing_reasons
    assert reasons["invalid-answer"] == 2 and reasons["not-a-number"] == 1
    assert reasons["blank"] == 5
    assert res.account.cells_missing == 8
    assert all(d.severity == "warning" for d in res.diagnostics)
    assert len(res.diagnostics) == 3


def test_blank_tokens_are_missing_not_invalid(four):
    blanks = ["", " ", "NA", "n/a", "N/A", "#N/A", "-", ".", "null", "None", "nan", None]
    df = pd.DataFrame({"a": blanks, "b": ["1"] * len(blanks), "c": ["1"] * len(blanks),
                       "d": ["1"] * len(blanks)})
    res = four.score(df)
    assert res.account.missing_reasons == {"blank": len(blanks)}
    assert res.scores["pro"].tolist() == pytest.approx([(1 + 2 + 1) * 4 / 3] * len(blanks))


def test_numbers_as_text_and_excel_floats(four):
    df = pd.DataFrame({"a": ["3", " 3 ", "3.0"], "b": [3.0, 3.0, 3.0],
                       "c": pd.array([0, 0, 0], dtype="Int64"), "d": [True, False, True]})
    s = four.score(df).scores
    assert s["total"].tolist() == [10.0, 9.0, 10.0]


def test_option_label_in_cell_gets_a_hint(four):
    with pytest.raises(ml.DataError) as exc:
        four.score(pd.DataFrame({"a": ["Often"], "b": [1], "c": [1], "d": [1]}))
    assert "enter 2" in exc.value.errors[0].hint


def test_bad_on_invalid_value(four):
    with pytest.raises(ValueError, match="on_invalid must be one of 'error', 'reject', 'missing'"):
        four.score(dirty(), on_invalid="drop")


def test_alerts_survive_missing_data_and_rejection(four):
    df = pd.DataFrame({"a": [None, "7", 3], "b": [None, 1, 3], "c": [None, 1, 0],
                       "d": [3, 3, 3]})
    res = four.score(df, on_invalid="reject")
    # row 1 has three missing answers (no score) but d = 3 fires the alert
    assert res.scores["alerts"].tolist() == ["d_high", "d_high;total_high"]
    assert math.isnan(res.scores["total"].iloc[0])
    # the rejected row (a = 7) still reports its alert on the valid answers
    assert res.rejected["alerts"].tolist() == ["d_high"]
    assert res.account.alerts == {"d_high": 3, "total_high": 1}


def test_validate_responses_public_api(four):
    v = validate_responses(four, dirty(), on_invalid="reject")
    assert list(v.values.columns) == ["a", "b", "c", "d"]
    assert v.values.index.tolist() == [0, 4, 5]
    assert v.rows.tolist() == [2, 6, 7]
    assert v.passthrough == ["pid"]
    assert v.column_map == {"a": "Q1", "b": "Q2", "c": "Q3", "d": "Q4"}
    # raw answers, not reversed; "Don't know" (9) would be NaN
    assert v.matrix[0].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert v.to_dict()["n_rejected"] == 3
    assert "6 row(s) in, 3 kept" in v.summary()


@pytest.mark.parametrize("mode", ["reject", "missing"])
def test_account_balances_on_random_dirty_data(four, mode):
    rng = np.random.default_rng(7)
    pool = np.array(["0", "1", "2", "3", "9", "", "NA", "4", "x", "1.5", " 2 "], dtype=object)
    df = pd.DataFrame({c: rng.choice(pool, 300) for c in "abcd"})
    res = four.score(df, on_invalid=mode)
    acc = res.account
    assert acc.rows_in == 300 == acc.rows_scored + acc.rows_rejected
    assert len(res.scores) == acc.rows_scored
    assert res.rejected["row"].nunique() == acc.rows_rejected


def test_frame_sharing_a_2d_array_is_screened_in_row_blocks(four):
    from measurelib.scoring._validate import stack_view

    rng = np.random.default_rng(11)
    x = rng.integers(0, 4, size=(5000, 4)).astype(float)
    x[rng.random((5000, 4)) < 0.05] = np.nan
    x[17, 2] = 9.0  # "Don't know": valid, counts as missing
    view = pd.DataFrame(x, columns=list("abcd"), copy=False)  # strided columns
    assert stack_view([view[c].to_numpy() for c in "abcd"]) is not None
    copied = pd.DataFrame({c: x[:, j].copy() for j, c in enumerate("abcd")})
    a, b = four.score(view), four.score(copied)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    assert a.account == b.account
    x[99, 1] = 2.5
    with pytest.raises(ml.DataError, match="row 101, column 'b'"):
        four.score(pd.DataFrame(x, columns=list("abcd"), copy=False))


def test_records_and_single_submission(four):
    one = {"Q1": "1", "Q2": "2", "Q3": "0", "Q4": "3", "respondent_id": "r1"}
    v = validate_responses(four, one)
    assert v.values.iloc[0].tolist() == [1.0, 2.0, 0.0, 3.0] and v.passthrough == ["respondent_id"]
    res = four.score([one, dict(one, Q1="")], on_invalid="missing")
    assert res.scores["pro"].tolist() == pytest.approx([9.0, 8 * 4 / 3])


def test_wrong_file_gives_one_message_naming_both_sides():
    df = pd.DataFrame({"name": ["a"], "postcode": ["X1"]})
    with pytest.raises(ml.DataError) as err:
        ml.load("phq-9").score(df)
    (diag,) = err.value.errors
    assert diag.code == "missing-column"
    assert "none of the 9 item columns" in diag.message
    assert "'interest'" in diag.message and "'postcode'" in diag.message
    assert "right file" in diag.hint


def test_one_missing_column_is_named_with_a_guess():
    m = ml.load("phq-9")
    df = pd.DataFrame({i.id: [1] for i in m.items if i.id != "sleep"} | {"slep": [1]})
    with pytest.raises(ml.DataError) as err:
        m.score(df)
    (diag,) = err.value.errors
    assert "'sleep'" in diag.message and "slep" in diag.hint
