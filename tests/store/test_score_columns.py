"""Scores kept in the administrations row (migration 0009): encoding and reading back."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.outcomes.store._frames import band_labels
from measurelib.outcomes.store._scoring import encode_scores

PHQ9 = ml.load("phq-9")
LABELS = [["total", ["low", "mid", "high"]]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                    st.integers(-10**12, 10**12).map(float)),
                          st.sampled_from([None, "low", "mid", "high"]),
                          st.one_of(st.none(), st.floats(0, 10))), min_size=1, max_size=30),
       st.randoms())
def test_values_and_bands_round_trip(rows: list[tuple[float, str | None, float | None]],
                                     rnd: object) -> None:
    """Every finite value reads back exactly (JSON number), NaN and ±inf as null; bands as
    numbers of the run's labels; a row without a score of its own gets no entry."""
    n = len(rows)
    index = pd.Index(np.arange(n) * 3 + 1)  # the chunk's positions, not 0..n-1
    long = [(index[i], "total", v, b) for i, (v, b, _se) in enumerate(rows)]
    long += [(index[i], "total_se", se, None) for i, (_v, _b, se) in enumerate(rows)
             if se is not None]
    scored = pd.DataFrame(long, columns=["index", "score_id", "value", "band"])
    scored = scored.sample(frac=1, random_state=1)  # any order
    texts, bands = encode_scores(scored, index, LABELS)
    for (value, band, se), text, numbers in zip(rows, texts, bands):
        got = json.loads(text)  # valid JSON, always
        want = value if math.isfinite(value) else None
        assert got["total"] == want and (want is None or type(got["total"]) in (int, float))
        assert ("total_se" in got) == (se is not None)
        if se is not None:
            assert got["total_se"] == se
        assert band_labels(LABELS, numbers).get("total") == band


def test_rows_without_scores_and_measures_without_bands() -> None:
    scored = pd.DataFrame({"index": [0, 2], "score_id": "total", "value": [1.5, 2.0],
                           "band": None})
    texts, bands = encode_scores(scored, pd.Index([0, 1, 2]), [])
    assert texts == ['{"total":1.5}', None, '{"total":2}'] and bands == [None] * 3
    empty = pd.DataFrame(columns=["index", "score_id", "value", "band"])
    assert encode_scores(empty, pd.Index([0, 1]), LABELS) == ([None, None], [None, None])


def test_scores_table_reads_as_it_did(store: ml.Store) -> None:
    """``Store.table("scores")`` and ``counts()["scores"]``: one row per administration and
    score, with value, band and run, as the table of earlier versions held them."""
    df = pd.DataFrame({"respondent_id": ["a", "b", "c"], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for k, it in enumerate(PHQ9.items[:9]):
        df[it.id] = [0, 2, 3] if k else [0, 2, None]
    store.import_frame(PHQ9, df, reject_bad_rows=True)
    table = store.table("scores")
    assert list(table.columns) == ["administration_pk", "score_id", "value", "band", "run_pk"]
    long = store.scores("phq-9")
    assert len(table) == len(long) == store.counts()["scores"]
    for col in ("value", "band"):
        pd.testing.assert_series_equal(table[col], long[col])
    assert table["value"].isna().tolist() == [False, False, True]  # missing: kept as null
    assert table["run_pk"].nunique() == 1
    stored = store.table("administrations")
    assert stored["scores"].notna().all() and stored["run_pk"].notna().all()


def test_non_finite_answers_are_valid_to_read_back() -> None:
    """A non-finite number among the answers (``inf`` from a text cell) is written so that
    the store's reader takes it back (``repr`` wrote ``inf``, which no JSON reader takes)."""
    from measurelib.outcomes.store._frames import decode_responses, encode_responses

    df = pd.DataFrame({"a": [float("inf"), 1.5], "b": [float("-inf"), None]})
    texts = encode_responses(df, ["a", "b"])
    back = [json.loads(t) for t in decode_responses(texts, [["a", "b"]] * 2)]
    assert back == [{"a": float("inf"), "b": float("-inf")}, {"a": 1.5, "b": None}]
