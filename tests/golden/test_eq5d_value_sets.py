"""EQ-5D-5L index values of the shipped value sets, scored through ``Measure.score``.

Expected values come from published state values, not from the coefficients in the
definition:

- England (Devlin et al. 2018, Health Econ 27:7-22): the worst state -0.285 is in the
  abstract; the other states are those asserted in fragla/eq5d's tests
  (tests/testthat/test-eq5d5l.R, commit bfdc7ca) and in the precomputed state values of
  sheejamk/valueEQ5D (data-raw/EQ5D5L_indexvalues.csv, column England, commit 24a8cba).
- UK (Rowen et al. 2026, Value Health, doi:10.1016/j.jval.2026.03.008): state values of
  Maths in Health's eq5dsuite-value-sets, EQ-5D-5L/UK.csv (commit 3604fbb).
- UK crosswalk (van Hout et al. 2012, Value Health 15:708-715, to the UK 3L value set of
  Dolan 1997): state values of the EuroQol crosswalk calculator as copied, identically, in
  fragla/eq5d (data-raw/CW.csv, column UK) and sheejamk/valueEQ5D
  (data-raw/EQ5D5L_crosswalk_indexvalues.csv, column UK); 55555 = -0.594 is the UK 3L value
  of the worst 3L state (33333).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import measurelib as ml

DIMS = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression"]

ENGLAND = {
    "11111": 1.0,
    "55555": -0.285,   # abstract: "extreme problems on all dimensions"
    "23245": 0.247,    # fragla/eq5d test
    "11112": 0.922,    # fragla/eq5d test
    "11121": 0.937,    # fragla/eq5d test
    "11211": 0.950,    # fragla/eq5d test; abstract: a 0.950 state
    "12111": 0.950,    # fragla/eq5d test (the abstract's "21111" does not give 0.950)
    "21111": 0.942,    # fragla/eq5d test
    "54321": 0.436,    # valueEQ5D state table
}

UK_2026 = {
    "11111": 1.0,
    "55555": -0.567,
    # one dimension at a time: levels 2-5 of each dimension
    "21111": 0.968, "31111": 0.942, "41111": 0.821, "51111": 0.721,
    "12111": 0.962, "13111": 0.940, "14111": 0.838, "15111": 0.794,
    "11211": 0.951, "11311": 0.914, "11411": 0.816, "11511": 0.788,
    "11121": 0.944, "11131": 0.934, "11141": 0.629, "11151": 0.521,
    "11112": 0.959, "11113": 0.874, "11114": 0.687, "11115": 0.609,
    # mixed states
    "12345": 0.114, "23245": 0.097, "33333": 0.604, "34512": 0.527,
    "44444": -0.209, "45355": -0.341, "52555": -0.399,
}

UK_CROSSWALK = {
    "11111": 1.0, "55555": -0.594, "11112": 0.879, "21111": 0.877, "11211": 0.906,
    "12345": 0.063, "23245": -0.004, "33333": 0.516, "44444": 0.036, "54321": 0.071,
}


def _row(state: str, vas: float = 50) -> dict[str, Any]:
    return {**{d: int(c) for d, c in zip(DIMS, state)}, "vas": vas}


def _score(rows: list[dict[str, Any]]) -> Any:
    result = ml.load("eq-5d-5l").score(pd.DataFrame(rows))
    assert len(result.rejected) == 0, result.rejected
    assert result.account.rows_in == result.account.rows_scored == len(rows)
    return result


@pytest.mark.parametrize(("score_id", "expected"), [("index_england", ENGLAND),
                                                     ("index_uk", UK_2026),
                                                     ("index_uk_crosswalk", UK_CROSSWALK)])
def test_published_state_values(score_id: str, expected: dict[str, float]) -> None:
    states = list(expected)
    scores = _score([_row(s) for s in states]).scores.reset_index(drop=True)
    got = dict(zip(states, scores[score_id].tolist()))
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("score_id", "label"), [("index_england", "eq5d5l-england 2018"),
                                                 ("index_uk", "eq5d5l-uk 2026"),
                                                 ("index_uk_crosswalk", "eq5d5l-uk-crosswalk 2012")])
def test_value_set_is_recorded(score_id: str, label: str) -> None:
    result = _score([_row("11111"), _row("12345")])
    assert result.scores[f"{score_id}_value_set"].astype(str).tolist() == [label, label]
    vs_id, version = label.split()
    assert result.value_sets[score_id] == {"id": vs_id, "version": version}


def test_missing_dimension_gives_no_index_and_vas_is_not_needed() -> None:
    rows = [{**_row("11111"), "pain_discomfort": float("nan")},
            {**_row("21111"), "vas": float("nan")}]
    s = _score(rows).scores.reset_index(drop=True)
    for score_id in ("index_england", "index_uk", "index_uk_crosswalk"):
        assert math.isnan(s.loc[0, score_id])
        assert s.loc[0, f"{score_id}_n_missing"] == 1
    assert s.loc[1, "index_england"] == pytest.approx(0.942)
    assert s.loc[1, "index_uk"] == pytest.approx(0.968)
    assert s.loc[1, "index_uk_crosswalk"] == pytest.approx(0.877)
    assert math.isnan(s.loc[1, "vas"])


def test_ranges_and_primary_score() -> None:
    m = ml.load("eq-5d-5l")
    assert m.primary_score is not None and m.primary_score.id == "vas"
    assert m.score_range("index_england") == pytest.approx((-0.285, 1.0))
    assert m.score_range("index_uk") == pytest.approx((-0.567, 1.0))
    assert m.score_range("index_uk_crosswalk") == pytest.approx((-0.594, 1.0))


def test_index_values_carry_no_binary_noise() -> None:
    # 1 - 1.285 is -0.28500000000000014 in binary floating point; the index is the
    # published -0.285, so that written files show the value set's own figures
    s = _score([_row("55555")]).scores.reset_index(drop=True)
    assert s.loc[0, "index_england"] == -0.285
    assert repr(float(s.loc[0, "index_england"])) == "-0.285"
