"""Matching data columns to items: ids, codes, maps, and clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

import measurelib as ml


def test_match_by_code_and_by_id(four):
    by_code = pd.DataFrame({"Q1": [1], "Q2": [1], "Q3": [1], "Q4": [1]})
    by_id = pd.DataFrame({"a": [1], "b": [1], "c": [1], "d": [1]})
    assert four.score(by_code).scores["total"].iloc[0] == four.score(by_id).scores["total"].iloc[0]


def test_case_and_space_insensitive_fallback(four):
    df = pd.DataFrame({" q1 ": [1], "Q2": [1], "C": [1], "d": [1]})
    res = four.score(df)
    assert res.column_map == {"a": " q1 ", "b": "Q2", "c": "C", "d": "d"}


def test_column_map(four):
    df = pd.DataFrame({"Item 1": [1], "Item 2": [2], "Q3": [3], "Q4": [0]})
    res = four.score(df, columns={"Item 1": "a", "Item 2": "Q2"})
    assert res.scores["total"].iloc[0] == 1 + 2 + 0 + 0


def test_missing_column_names_it_with_did_you_mean(four):
    df = pd.DataFrame({"Q1": [1], "Q2": [1], "Q_3": [1], "Q4": [1]})
    with pytest.raises(ml.DataError) as exc:
        four.score(df, file="x.csv")
    (d,) = exc.value.errors
    assert d.code == "missing-column"
    assert "'c'" in d.message and "'Q3'" in d.message
    assert "Did you mean 'Q_3'?" in d.hint


def test_every_missing_column_is_listed(four):
    with pytest.raises(ml.DataError) as exc:
        four.score(pd.DataFrame({"Q1": [1]}))
    assert [d.location.field for d in exc.value.errors] == ["b", "c", "d"]


def test_unknown_map_entries(four):
    df = pd.DataFrame({"Q1": [1], "Q2": [1], "Q3": [1], "Q4": [1], "extra": [0]})
    with pytest.raises(ml.DataError) as exc:
        four.score(df, columns={"Q11": "a", "extra": "dd"})
    codes = [d.code for d in exc.value.errors]
    assert codes == ["unknown-column", "unknown-column"]
    assert "Did you mean 'Q1'?" in exc.value.errors[0].hint
    assert "Did you mean 'd'?" in exc.value.errors[1].hint


def test_ambiguous_columns(four):
    df = pd.DataFrame({"a": [1], "Q1": [1], "Q2": [1], "Q3": [1], "Q4": [1]})
    with pytest.raises(ml.DataError) as exc:
        four.score(df)
    assert exc.value.errors[0].code == "ambiguous-column"
    # a map settles it; the other column passes through
    res = four.score(df, columns={"Q1": "a"})
    assert "a" in res.scores.columns


def test_columns_must_be_a_dict(four):
    with pytest.raises(TypeError, match="columns"):
        four.score(pd.DataFrame({"a": [1]}), columns=[("Q1", "a")])


def test_unscored_items_are_optional(four):
    phq = ml.load("phq-9")
    df = pd.DataFrame({f"Q{i}": [0] for i in range(1, 10)})  # no Q10 (difficulty)
    assert phq.score(df).scores["total"].iloc[0] == 0


def test_computed_column_replaces_stale_one(four):
    df = pd.DataFrame({"a": [1], "b": [1], "c": [1], "d": [1], "total": [99]})
    res = four.score(df)
    assert res.scores["total"].iloc[0] == 1 + 1 + 2 + 1
    assert [d.code for d in res.diagnostics] == ["column-replaced"]


def test_unbuilt_composer_is_a_clear_error():
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "instruments" / "examples" / \
        "charity-wellbeing.yaml"
    m = ml.load(path)
    assert m.compose
    with pytest.raises(ml.DefinitionError) as exc:
        m.score(pd.DataFrame({"x": [1]}))
    assert exc.value.errors[0].code == "measure-not-built"
    assert "measurelib build" in exc.value.errors[0].hint
