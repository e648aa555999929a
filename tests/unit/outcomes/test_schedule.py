"""Schedules: validation with positions, due lists and completion against the schedule."""

from __future__ import annotations

import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes import completion, due, load_schedule

SCHEDULE = """\
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
  - {id: exit, at: exit, tolerance: {days: 14}}
"""


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_text(SCHEDULE)
    store = ml.Store(":memory:")
    m = ml.load("phq-9")
    df = pd.DataFrame({
        "respondent_id": ["a", "a", "b", "c", "d"],
        "timepoint": ["baseline", "review", "baseline", "baseline", "baseline"],
        "date": ["2025-01-01", "2025-02-12", "2025-01-20", "2025-03-01", "2024-11-01"],
        "worker": ["w1", "w1", "w2", "w1", "w2"]})
    for it in m.items[:9]:
        df[it.id] = 1
    store.import_frame(m, df)
    store.close_episode("c", "1", "2025-03-05")
    yield store, load_schedule(path)
    store.close()


def test_due_list(setup) -> None:
    store, schedule = setup
    table = due(store, schedule, on="2025-03-10")
    got = {(r.respondent_id, r.timepoint, r.occasion, r.status, r.due_date)
           for r in table.itertuples()}
    assert got == {
        # b started 20 Jan: review 1 due 3 Mar, window to 10 Mar
        ("b", "review", 1, "due", "2025-03-03"),
        # c was discharged on 5 Mar: only the exit measure, within 14 days
        ("c", "exit", 0, "due", "2025-03-05"),
        # d started 1 Nov 2024: reviews 1 (13 Dec) and 2 (24 Jan) were missed; review 3
        # (7 Mar) is due now
        ("d", "review", 3, "due", "2025-03-07"),
    }
    assert list(table.columns[:2]) == ["respondent_id", "episode"]
    w1 = due(store, schedule, on="2025-03-10", worker="w1")
    assert set(w1["respondent_id"]) == {"c"}
    late = due(store, schedule, on="2025-03-20")
    assert late.set_index("respondent_id").loc["b", "status"] == "overdue"
    assert late.set_index("respondent_id").loc["b", "days_overdue"] == 10


def test_completion(setup) -> None:
    store, schedule = setup
    comp = completion(store, schedule, on="2025-03-10").set_index("timepoint")
    assert comp.loc["baseline", "expected"] == 4 and comp.loc["baseline", "completed"] == 4
    # windows closed by 10 Mar: a's review 1 (done), d's reviews 1 and 2 (missed)
    assert comp.loc["review", "expected"] == 3 and comp.loc["review", "completed"] == 1


def test_invalid_schedule_has_positions(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("measures: [phq-9]\ntimepoints:\n  - {id: baseline, at: entry, "
                   "every: {weeks: 2}}\n  - {id: review, evry: {weeks: 6}}\n")
    with pytest.raises(ml.DefinitionError) as err:
        load_schedule(bad)
    text = str(err.value)
    assert "bad.yaml:3:5" in text and "schedule-invalid" in text
    assert "bad.yaml:4:18" in text and "Did you mean 'every'" in text


def test_stored_schedule(setup) -> None:
    from measurelib.outcomes import stored_schedules

    store, schedule = setup
    store.configure_service("counselling", schedule=SCHEDULE)
    (stored,) = stored_schedules(store)
    assert stored.service == "counselling" and stored.timepoints == schedule.timepoints
    with pytest.raises(ml.DefinitionError, match="schedule of service x"):
        store.configure_service("x", schedule="measures: []\ntimepoints: []\n")
