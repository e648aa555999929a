"""One person's records: episodes opened through the Store, filtered reads, one form's key
and alerts, the same occasion twice, erasure and retention — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.outcomes.store._records import months_before

PHQ9 = ml.load("phq-9")
CALM = {"interest": 1, "down": 2, "sleep": 1, "tired": 0, "appetite": 1, "failure": 0,
        "concentration": 1, "psychomotor": 0, "self_harm": 0, "difficulty": 1}
RISK = dict(CALM, self_harm=2)


def _add(store: Any, rid: str, answers: dict[str, int] = CALM, *, timepoint: str = "baseline",
         date: str = "2026-01-05", service: str = "north", episode: str = "1") -> Any:
    return store.add_submission(PHQ9, answers, respondent_id=rid, timepoint=timepoint,
                                date=date, service=service, episode=episode)


def test_open_episode_then_close(store: Any) -> None:
    assert store.open_episode("P-A", service="north", start_date="2026-01-01") is True
    assert store.open_episode("P-A", service="north", start_date="2026-02-01") is False
    ep = store.table("episodes")
    assert ep.to_dict("records") == [{"respondent_id": "P-A", "episode": "1",
                                      "service": "north", "start_date": dt.date(2026, 1, 1),
                                      "end_date": None}]
    store.close_episode("P-A", "1", "2026-03-01")  # no form stored yet: still closes
    assert store.table("episodes")["end_date"].tolist() == [dt.date(2026, 3, 1)]
    # the first form keeps the opened episode's start
    _add(store, "P-A", date="2026-01-05")
    assert store.table("episodes")["start_date"].tolist() == [dt.date(2026, 1, 1)]


def test_open_episode_refuses_a_bad_id(store: Any) -> None:
    with pytest.raises(ValueError, match="respondent_id"):
        store.open_episode("P\nA")
    with pytest.raises(ValueError, match="respondent_id"):
        store.open_episode("")


def test_reads_filtered_by_person_and_service(store: Any) -> None:
    _add(store, "P-A", service="north")
    _add(store, "P-B", service="north")
    _add(store, "P-C", service="south")
    assert store.scores(respondent_id="P-A")["respondent_id"].unique().tolist() == ["P-A"]
    assert sorted(store.scores(service="north")["respondent_id"].unique()) == ["P-A", "P-B"]
    assert store.administrations(respondent_id="P-C", service="north").empty
    adm = store.administrations(service="south", responses=False)
    assert adm["respondent_id"].tolist() == ["P-C"]
    store.record_offers(pd.DataFrame([
        {"respondent_id": "P-A", "measure_id": "phq-9", "date": "2026-01-04",
         "status": "declined", "service": "north"},
        {"respondent_id": "P-C", "measure_id": "phq-9", "date": "2026-01-04",
         "status": "offered", "service": "south"}]))
    assert store.offers(respondent_id="P-A")["status"].tolist() == ["declined"]
    assert store.offers(service="south")["respondent_id"].tolist() == ["P-C"]


def test_add_submission_returns_key_and_alerts(store: Any) -> None:
    first = _add(store, "P-A", RISK)
    assert isinstance(first, ml.outcomes.AddSubmissionResult)
    assert first.created and first.n_inserted == 1
    assert [a.alert_id for a in first.alerts] == ["self_harm_thoughts"]
    assert first.alerts[0].severity == "urgent"
    scores = store.scores(respondent_id="P-A")
    assert scores["administration"].unique().tolist() == [first.administration]
    calm = _add(store, "P-B", CALM)
    assert calm.alerts == () and calm.administration != first.administration


def test_same_form_twice_is_stored_once(store: Any) -> None:
    first = _add(store, "P-A", RISK)
    again = store.add_submission(PHQ9, {k: str(v) for k, v in RISK.items()},
                                 respondent_id="P-A", timepoint="baseline",
                                 date="2026-01-05", service="north")
    assert not again.created and again.n_already_stored == 1
    assert again.administration == first.administration
    assert [a.alert_id for a in again.alerts] == ["self_harm_thoughts"]  # a retry learns them
    assert len(store.administrations()) == 1


def test_other_answers_same_occasion_refused(store: Any) -> None:
    first = _add(store, "P-A", CALM)
    with pytest.raises(ml.DataError) as info:
        _add(store, "P-A", dict(CALM, down=3, sleep=3))
    diag = info.value.errors[0]
    assert diag.code == "store-form-conflict"
    assert f"administration {first.administration}" in diag.message
    assert "down, sleep" in diag.message
    assert diag.location.field == "timepoint"
    adm = store.administrations()
    assert len(adm) == 1 and adm["responses"].map(lambda t: '"down": 2' in t).all()
    # another timepoint or another day is another occasion
    assert _add(store, "P-A", dict(CALM, down=3), timepoint="review").created
    assert _add(store, "P-A", dict(CALM, down=3), date="2026-01-06").created


def _everything(store: Any) -> str:
    return "\n".join(store.table(name).to_csv() for name in store.counts())


def test_erase_respondent_leaves_nothing_of_them(store: Any) -> None:
    store.open_episode("P-GONE", service="north", start_date="2026-01-01")
    _add(store, "P-GONE", RISK)
    _add(store, "P-GONE", CALM, timepoint="review", date="2026-02-05")
    _add(store, "P-STAY", CALM)
    store.record_offers(pd.DataFrame([{"respondent_id": "P-GONE", "measure_id": "phq-9",
                                       "date": "2026-02-01", "status": "declined",
                                       "service": "north"}]))
    before = store.counts()
    result = store.erase_respondent("P-GONE")
    assert (result.n_administrations, result.n_scores, result.n_offers,
            result.n_episodes) == (2, 2, 1, 1)
    after = store.counts()
    assert after["administrations"] == before["administrations"] - 2
    assert after["scores"] == before["scores"] - 2
    assert after["respondents"] == before["respondents"] - 1
    assert "P-GONE" not in _everything(store)
    # the others are untouched and still consistent: every score has its administration
    assert store.scores()["respondent_id"].tolist() == ["P-STAY"]
    assert len(store.scores()) == after["scores"]
    assert store.erase_respondent("P-GONE").n_administrations == 0  # repeating is harmless


def _closed(store: Any, rid: str, closed: str, service: str = "north") -> None:
    store.open_episode(rid, service=service, start_date="2025-01-01")
    _add(store, rid, date="2025-01-05", service=service)
    store.record_offers(pd.DataFrame([{"respondent_id": rid, "episode": "1",
                                       "measure_id": "phq-9", "date": "2025-01-04",
                                       "status": "offered", "service": service}]))
    store.close_episode(rid, "1", closed)


def test_retention_deletes_only_long_closed_episodes(store: Any) -> None:
    _closed(store, "P-OLD", "2025-06-30")
    _closed(store, "P-RECENT", "2025-07-02")
    _closed(store, "P-SOUTH", "2025-01-31", service="south")
    store.open_episode("P-OPEN", service="north", start_date="2024-01-01")
    _add(store, "P-OPEN", date="2024-01-05")
    before = store.counts()
    dry = store.apply_retention("north", 12, today="2026-06-30", dry_run=True)
    assert dry.cutoff == dt.date(2025, 6, 30)
    assert dry.episodes == [("P-OLD", "1")]
    assert (dry.n_administrations, dry.n_scores, dry.n_offers) == (1, 1, 1)
    assert store.counts() == before  # a dry run changes nothing
    done = store.apply_retention("north", 12, today="2026-06-30")
    assert done.n_administrations == 1 and not done.dry_run
    assert "P-OLD" not in _everything(store)
    left = set(store.administrations()["respondent_id"])
    assert left == {"P-RECENT", "P-SOUTH", "P-OPEN"}
    assert store.counts()["scores"] == before["scores"] - 1
    # running it again finds nothing more
    assert store.apply_retention("north", 12, today="2026-06-30").n_administrations == 0


def test_retention_anonymise_keeps_aggregates(store: Any) -> None:
    _closed(store, "P-OLD", "2025-01-31")
    _closed(store, "P-NEW", "2026-05-31")
    mean_before = store.scores(service="north")["value"].mean()
    res = store.apply_retention("north", 6, action="anonymise", today="2026-06-30")
    assert res.n_administrations == 1 and res.action == "anonymise"
    sc = store.scores(service="north")
    assert len(sc) == 2 and sc["value"].mean() == pytest.approx(mean_before)
    assert sc["respondent_id"].isna().sum() == 1 and sc["anonymous"].sum() == 1
    assert "P-OLD" not in _everything(store)


def test_retention_refuses_bad_settings(store: Any) -> None:
    with pytest.raises(ValueError, match="months"):
        store.apply_retention("north", 0)
    with pytest.raises(ValueError, match="action"):
        store.apply_retention("north", 3, action="shred")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(dt.date(1901, 1, 1), dt.date(2999, 12, 31)), st.integers(1, 600))
def test_months_before_is_calendar_months(day: dt.date, months: int) -> None:
    back = months_before(day, months)
    assert (day.year * 12 + day.month) - (back.year * 12 + back.month) == months
    assert back.day == day.day or (back.day < day.day and
                                   (back + dt.timedelta(days=1)).day == 1)


_counter = iter(range(10**6))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["baseline", "review", "exit"]),
                          st.integers(1, 28), st.integers(0, 3)), min_size=1, max_size=25),
       st.integers(0, 5))
def test_erasure_property(store: Any, forms: list[tuple[int, str, int, int]],
                          victim: int) -> None:
    """Whatever the forms, erasing one person removes exactly their rows; every other
    person's forms and scores are untouched, and no score is left without its form."""
    tag = f"H{next(_counter)}-"
    rows = [{"respondent_id": f"{tag}{p}", "timepoint": tp, "date": f"2025-02-{d:02d}",
             "service": "north", **{k: v for k, v in CALM.items()}, "down": down}
            for p, tp, d, down in forms]
    store.import_frame(PHQ9, pd.DataFrame(rows).drop_duplicates(
        ["respondent_id", "timepoint", "date"]))
    before = store.administrations(responses=False)
    mine = before[before["respondent_id"].astype(str).str.startswith(tag)]
    target = f"{tag}{victim}"
    n_target = int((mine["respondent_id"] == target).sum())
    others = set(before.loc[before["respondent_id"] != target, "pk"])
    res = store.erase_respondent(target)
    assert res.n_administrations == n_target and res.n_scores == n_target
    after = store.administrations(responses=False)
    assert set(after["pk"]) == others
    assert set(store.scores()["administration"]) <= set(after["pk"])
    assert target not in set(store.table("respondents")["respondent_id"])


_forms = iter(range(10**6))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({k: st.one_of(st.none(), st.integers(0, 3)) for k in CALM}),
       st.sampled_from(["baseline", "review"]))
def test_a_new_forms_key_and_alerts_are_those_of_the_stored_row(
        store: Any, answers: dict[str, int | None], timepoint: str) -> None:
    """A new form's key and alerts come from the import that stored it (nothing read back,
    nothing scored again): the same as reading the row back and scoring the answers."""
    from measurelib.outcomes.store._records import fired_alerts

    rid = f"K{next(_forms)}"
    got = _add(store, rid, answers, timepoint=timepoint)  # type: ignore[arg-type]
    assert got.created and got.n_inserted == 1
    adm = store.administrations(respondent_id=rid, responses=False)
    assert adm["pk"].tolist() == [got.administration]
    expected = fired_alerts(PHQ9, pd.DataFrame([answers]))
    assert got.alerts == expected
    again = _add(store, rid, answers,  # type: ignore[arg-type]
                 timepoint=timepoint)  # the retry path reads it back: the same answer
    assert not again.created and again.administration == got.administration
    assert again.alerts == got.alerts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"]),
                          st.one_of(st.none(), st.sampled_from(["north", "south"])),
                          st.integers(1, 28)), min_size=1, max_size=80))
def test_episodes_of_a_chunk_are_the_same_by_pandas_and_by_python(
        rows: list[tuple[str, str, str | None, int]]) -> None:
    """A few rows are grouped in plain Python, many by pandas: the same episodes, services
    (the first given) and start dates (the earliest), in the same order."""
    import measurelib.outcomes.store._import as imp

    named = pd.DataFrame({
        "respondent_id": pd.Series([r[0] for r in rows], dtype="string"),
        "episode": pd.Series([r[1] for r in rows], dtype="string"),
        "service": pd.Series([r[2] for r in rows], dtype="string"),
        "date": pd.to_datetime([f"2026-01-{r[3]:02d}" for r in rows])})
    got = imp.episode_rows(named)
    big = pd.concat([named] * (65 // len(named) + 1), ignore_index=True)  # > 64: pandas
    assert imp.episode_rows(big) == got
    first: dict[tuple[str, str], list[object]] = {}
    for rid, ep, service, day in rows:
        g = first.setdefault((rid, ep), [None, 99])
        g[0] = g[0] if g[0] is not None else service
        g[1] = min(int(g[1]), day)  # type: ignore[call-overload]
    assert got == [(rid, ep, s, f"2026-01-{d:02d}") for (rid, ep), (s, d) in first.items()]
