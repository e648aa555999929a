"""Follow-up and completion rates per service and worker (``ml.outcomes.follow_up_rates``),
on SQLite and PostgreSQL: the counts against a hand-worked schedule, the offers that explain
missing forms, the worker mapping, and the impact report's disclosure rule."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml

SCHEDULE = """\
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
  - {id: exit, at: exit, tolerance: {days: 14}}
"""


def _answers() -> dict[str, Any]:
    return dict.fromkeys(ml.load("phq-9").response_columns(), 1)


def _form(store: Any, rid: str, timepoint: str, date: str, worker: str | None) -> None:
    store.add_submission(ml.load("phq-9"), _answers(), respondent_id=rid, episode="1",
                         timepoint=timepoint, mode="paper", service="s", worker=worker,
                         date=date)


def _offer(store: Any, rid: str, timepoint: str, date: str, status: str) -> None:
    store.record_offers(pd.DataFrame([{
        "respondent_id": rid, "episode": "1", "measure_id": "phq-9", "timepoint": timepoint,
        "date": date, "status": status, "service": "s"}]))


@pytest.fixture
def service(store: Any) -> Any:
    """12 people starting on 5 January: 9 baselines (6 by w1, 3 by w2), 3 reviews (w1);
    P9 declined the baseline, P10 could not be offered it, P11 was offered the review."""
    store.configure_service("s", schedule=SCHEDULE)
    for i in range(12):
        store.open_episode(f"P{i}", service="s", start_date="2026-01-05")
        if i < 9:
            _form(store, f"P{i}", "baseline", "2026-01-05", "w1" if i < 6 else "w2")
        if i < 3:
            _form(store, f"P{i}", "review", "2026-02-16", "w1")
    _offer(store, "P9", "baseline", "2026-01-06", "declined")
    _offer(store, "P10", "baseline", "2026-01-06", "offered")
    _offer(store, "P10", "baseline", "2026-01-07", "not_offered")  # the latest counts
    _offer(store, "P11", "review", "2026-02-20", "offered")
    return store


def _by(res: Any) -> dict[Any, dict[str, Any]]:
    return {(r["level"], r["worker"]): r for r in res.rows()}


def test_counts_and_rates_by_worker_and_service(service: Any) -> None:
    res = ml.outcomes.follow_up_rates(service, service="s", on="2026-03-20")
    rows = _by(res)
    assert [(r["level"], r["worker"]) for r in res.rows()] == [
        ("service", None), ("worker", "w1"), ("worker", "w2"), ("worker", None)]
    team = rows[("service", None)]
    # 12 people x (baseline + the first review, whose window closed on 23 February)
    assert (team["due"], team["done"], team["declined"], team["not_possible"],
            team["offered"], team["no_record"]) == (24, 12, 1, 1, 1, 9)
    assert (team["baseline"], team["followed_up"]) == (9, 3)
    assert team["completion_rate"] == pytest.approx(12 / 24)
    assert team["follow_up_rate"] == pytest.approx(3 / 9)
    w1, w2, nobody = rows[("worker", "w1")], rows[("worker", "w2")], rows[("worker", None)]
    assert (w1["due"], w1["done"], w1["baseline"], w1["followed_up"]) == (12, 9, 6, 3)
    assert w1["follow_up_rate"] == pytest.approx(0.5)
    assert (w2["due"], w2["done"], w2["baseline"], w2["followed_up"]) == (6, 3, 3, 0)
    assert (nobody["due"], nobody["done"], nobody["declined"], nobody["not_possible"],
            nobody["offered"], nobody["baseline"]) == (6, 0, 1, 1, 1, 0)
    assert nobody["follow_up_rate"] is None  # nobody to follow up: no rate
    for r in res.rows():  # the parts add up to the forms due
        assert r["due"] == sum(r[k] for k in ("done", "declined", "not_possible", "offered",
                                               "no_record"))
    assert set(res.definitions) >= {"due", "done", "declined", "not_possible",
                                    "completion_rate", "follow_up_rate"}


def test_window_not_yet_closed_is_not_due(service: Any) -> None:
    # on 10 February the review window (9-23 February) is still open: the baselines count,
    # and of the reviews only the 3 already collected; the others are not due yet, so only
    # the people with a review count towards the follow-up rate
    team = _by(ml.outcomes.follow_up_rates(service, service="s", on="2026-02-10"))[
        ("service", None)]
    assert (team["due"], team["done"], team["no_record"]) == (15, 12, 1)
    assert (team["baseline"], team["followed_up"]) == (3, 3)


def test_worker_mapping_regroups_people(service: Any) -> None:
    key = {f"P{i}": ("kim" if i % 2 else "sam") for i in range(12)}
    rows = _by(ml.outcomes.follow_up_rates(service, service="s", on="2026-03-20",
                                            worker_of=key))
    assert set(rows) == {("service", None), ("worker", "kim"), ("worker", "sam")}
    assert rows[("worker", "kim")]["due"] + rows[("worker", "sam")]["due"] == 24
    # P0..P2 were followed up: P1 is kim's, P0 and P2 sam's
    assert rows[("worker", "kim")]["followed_up"] == 1
    assert rows[("worker", "sam")]["followed_up"] == 2


def test_small_numbers_are_protected_by_the_library_rule(service: Any) -> None:
    res = ml.outcomes.follow_up_rates(service, service="s", on="2026-03-20", min_cell=5)
    assert res.n_hidden > 0 and res.marker == "[c]"
    for r in res.rows():
        for k in ("due", "done", "declined", "not_possible", "offered", "no_record",
                  "baseline", "followed_up"):
            assert r[k] == "[c]" or r[k] == 0 or r[k] >= 5, (r, k)
        if r["completion_rate"] is not None:  # a rate only from shown counts, n >= 5
            assert r["done"] != "[c]" and r["due"] != "[c]" and r["due"] >= 5
        if r["follow_up_rate"] is not None:
            assert r["followed_up"] != "[c]" and r["baseline"] >= 5


def test_stored_schedule_is_required(store: Any) -> None:
    with pytest.raises(ml.DefinitionError, match="no schedule is stored for service"):
        ml.outcomes.follow_up_rates(store, service="nowhere")
    with pytest.raises(ValueError, match="min_cell"):
        ml.outcomes.follow_up_rates(store, min_cell=0)


def test_to_dict_and_summary(service: Any) -> None:
    res = ml.outcomes.follow_up_rates(service, service="s", on="2026-03-20")
    doc = res.to_dict()
    assert doc["table"][0]["due"] == 24 and doc["on"] == "2026-03-20"
    assert "w1: 9 of 12 done (75%)" in res.summary()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.sampled_from(["a", "b", "c"])),
                min_size=1, max_size=10),
       st.integers(min_value=1, max_value=6))
def test_property_rows_add_up_and_nothing_small_is_shown(store_url: str, people: Any,
                                                         min_cell: int) -> None:
    """Random services: worker rows sum to the service row, parts sum to the forms due,
    and with protection no count from 1 to min_cell - 1 is ever shown."""
    import secrets

    store = ml.Store(store_url)
    svc = f"s{secrets.token_hex(3)}"
    try:
        store.configure_service(svc, schedule=SCHEDULE)
        for i, (base, review, worker) in enumerate(people):
            rid = f"{svc}-{i}"
            store.open_episode(rid, service=svc, start_date="2026-01-05")
            for tp, date, done in (("baseline", "2026-01-05", base),
                                   ("review", "2026-02-16", review)):
                if done:
                    store.add_submission(ml.load("phq-9"), _answers(), respondent_id=rid,
                                         episode="1", timepoint=tp, mode="paper",
                                         service=svc, worker=worker, date=date)
        plain = ml.outcomes.follow_up_rates(store, service=svc, on="2026-03-20").rows()
        team = plain[0]
        assert team["due"] == 2 * len(people)
        assert team["done"] == sum(b for b, _, _ in people) + sum(r for _, r, _ in people)
        for k in ("due", "done", "baseline", "followed_up", "no_record"):
            assert team[k] == sum(r[k] for r in plain[1:])
        prot = ml.outcomes.follow_up_rates(store, service=svc, on="2026-03-20",
                                           min_cell=min_cell).rows()
        for r in prot:
            for k in ("due", "done", "baseline", "followed_up", "no_record"):
                assert r[k] == "[c]" or r[k] == 0 or r[k] >= min_cell
    finally:
        store.close()
