"""Invariants of every shipped EQ-5D-5L value set, checked on all 3,125 health states.

For each index score: full health (11111) scores exactly 1 and no other state reaches it;
no state scores above 1; a worse level on any one dimension never raises the index; and the
worst state (55555) is the minimum. The state space is small, so every state is checked
rather than a sample.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import measurelib as ml

DIMS = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression"]
STATES = ["".join(map(str, s)) for s in itertools.product(range(1, 6), repeat=len(DIMS))]
MEASURE = ml.load("eq-5d-5l")
INDEX_SCORES = [r.id for r in MEASURE.scores if r.method == "value_set"]


@pytest.fixture(scope="module")
def index_by_state() -> pd.DataFrame:
    rows = pd.DataFrame([{**{d: int(c) for d, c in zip(DIMS, s)}, "vas": 50} for s in STATES])
    result = MEASURE.score(rows)
    assert len(result.rejected) == 0
    scores = result.scores.reset_index(drop=True)
    scores.index = pd.Index(STATES)
    return scores[INDEX_SCORES]


def test_every_value_set_score_is_checked() -> None:
    assert INDEX_SCORES == ["index_uk", "index_england"]


@pytest.mark.parametrize("score_id", INDEX_SCORES)
def test_index_never_exceeds_one(index_by_state: pd.DataFrame, score_id: str) -> None:
    values = index_by_state[score_id]
    assert not values.isna().any()
    assert values["11111"] == 1
    assert (values.drop("11111") < 1).all()
    assert values.min() == values["55555"]


@pytest.mark.parametrize("score_id", INDEX_SCORES)
def test_worse_level_never_raises_index(index_by_state: pd.DataFrame, score_id: str) -> None:
    values = index_by_state[score_id]
    raised = []
    for state in STATES:
        for i, level in enumerate(state):
            if level == "5":
                continue
            worse = state[:i] + str(int(level) + 1) + state[i + 1:]
            if values[worse] > values[state] + 1e-12:
                raised.append((state, worse))
    assert raised == []


@pytest.mark.parametrize("score_id", INDEX_SCORES)
def test_index_is_reported_for_every_state(index_by_state: pd.DataFrame, score_id: str) -> None:
    assert np.isfinite(index_by_state[score_id].to_numpy()).all()
    assert len(index_by_state) == 5 ** len(DIMS)
