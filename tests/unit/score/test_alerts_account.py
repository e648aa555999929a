"""Alert conditions of every kind, and adding up accounts."""

from __future__ import annotations

import pandas as pd

import measurelib as ml
from measurelib.scoring import ScoreAccount

MEASURE = """\
format: 1
id: alerts
version: 1.0.0
title: Alerts
licence: {holder: T, spdx: CC0-1.0, text_redistribution: allowed, modification: allowed}
scales:
  f4:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
      - {value: 8, label: Prefer not to say, missing: true}
  g: {type: numeric, min: 0, max: 10}
items:
  - {id: a, text: A, scale: f4}
  - {id: b, text: B, scale: f4}
  - {id: goal, text: Goal, scale: g, personalised: {min_count: 1, max_count: 2}}
scores:
  - {id: ab, items: [a, b], missing: {max_missing: 1}}
alerts:
  - {id: a_in, when: {item: a, op: in, value: [2, 3]}, text: x}
  - {id: a_eq, when: {item: a, op: eq, value: 1}, text: x}
  - {id: a_ne, when: {item: a, op: ne, value: 0}, text: x}
  - {id: b_lt, when: {item: b, op: lt, value: 1}, text: x}
  - {id: b_le, when: {item: b, op: le, value: 1}, text: x}
  - {id: b_answered, when: {item: b, op: answered}, text: x}
  - {id: goal_low, when: {item: goal, op: le, value: 2}, text: x}
  - {id: ab_ge, when: {score: ab, op: ge, value: 5}, text: x}
"""


def fired(df: pd.DataFrame) -> list[set[str]]:
    res = ml.loads(MEASURE).score(df)
    return [set(filter(None, str(x).split(";"))) for x in res.scores["alerts"]]


def test_each_operator():
    df = pd.DataFrame({"a": [3, 1, 0, None, 8], "b": [2, 0, 1, None, 3],
                       "goal_1": [5, 2, 9, None, 10], "goal_2": [None, None, 1, None, 3]})
    got = fired(df)
    assert got[0] == {"a_in", "a_ne", "b_answered", "ab_ge"}
    assert got[1] == {"a_eq", "a_ne", "b_lt", "b_le", "b_answered", "goal_low"}
    assert got[2] == {"b_le", "b_answered", "goal_low"}  # goal_2 = 1 fires the goal alert
    # nothing answered: nothing fires, not even `ne`
    assert got[3] == set()
    # "Prefer not to say" (a missing option) never fires an alert on its value
    assert got[4] == {"b_answered"}


def test_alert_counts_in_account():
    m = ml.loads(MEASURE)
    res = m.score(pd.DataFrame({"a": [3, 2], "b": [3, 3], "goal_1": [1, 1]}))
    assert res.account.alerts["a_in"] == 2 and res.account.alerts["ab_ge"] == 2
    assert res.account.alerts["a_eq"] == 0


def test_accounts_add_up():
    a = ScoreAccount(rows_in=3, rows_scored=2, rows_rejected=1,
                     rejected_reasons={"invalid-answer": 1}, cells_missing=2,
                     missing_reasons={"blank": 2}, scores={"t": {"computed": 2,
                                                                  "not_computed": 0,
                                                                  "prorated": 1}},
                     alerts={"x": 1})
    b = ScoreAccount(rows_in=2, rows_scored=2, rows_rejected=0, cells_missing=1,
                     missing_reasons={"missing-option": 1},
                     scores={"t": {"computed": 1, "not_computed": 1, "prorated": 0}},
                     alerts={"x": 0, "y": 2})
    c = a + b
    assert (c.rows_in, c.rows_scored, c.rows_rejected, c.cells_missing) == (5, 4, 1, 3)
    assert c.missing_reasons == {"blank": 2, "missing-option": 1}
    assert c.scores["t"] == {"computed": 3, "not_computed": 1, "prorated": 1}
    assert c.alerts == {"x": 1, "y": 2} and c.balanced
    assert list(c.to_frame().columns) == ["what", "detail", "n"]
