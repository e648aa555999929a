"""Follow-up and completion rates by team and key worker on the due and reports pages, on
SQLite and PostgreSQL: the library's figures (``ml.outcomes.follow_up_rates``) with each
person under their key worker, the definitions on the page, and the impact report's
disclosure rule for viewers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


def make_user(username: str, role: str, teams: list[Any]) -> Any:
    from django.contrib.auth import get_user_model

    from measurelib.serve.models import StaffProfile

    user = get_user_model().objects.create_user(username=username, password="x" * 16)
    StaffProfile.objects.create(user=user, role=role).teams.set(teams)
    return user


def _people(world: Any, n: int, key_worker: Any, *, baseline: int, review: int) -> list[Any]:
    """``n`` people of team A whose episode began 50 days ago; the first ``baseline`` have
    their baseline stored, the first ``review`` their first review too."""
    import measurelib as ml
    from measurelib.serve import _library
    from measurelib.serve.models import Episode, Person

    start = dt.date.today() - dt.timedelta(days=50)
    measure = ml.load("phq-9")
    out = []
    for i in range(n):
        p = Person.objects.create(team=world.team_a, respondent_id=Person.new_id(),
                                  key_worker=key_worker)
        Episode.objects.create(person=p, number="1", opened_on=start)
        _library.open_episode(p.respondent_id, "1", world.team_a.service, start)
        for tp, day, upto in (("baseline", start, baseline), ("review", start +
                                                               dt.timedelta(days=42), review)):
            if i < upto:
                _library.store().add_submission(
                    measure, dict.fromkeys(measure.response_columns(), 1),
                    respondent_id=p.respondent_id, episode="1", timepoint=tp, mode="paper",
                    service=world.team_a.service, worker="someone", date=day.isoformat())
        out.append(p)
    return out


def _row(page: str, who: str) -> list[str]:
    m = re.search(rf'<th scope="row">{re.escape(who)}</th>(.*?)</tr>', page, re.S)
    assert m is not None, who
    return re.findall(r"<td>(.*?)</td>", m.group(1))


def test_rates_by_team_and_key_worker(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent

    other = make_user(f"kim-{world.tag}", "worker", [world.team_a])
    mine = _people(world, 6, world.users["worker"], baseline=6, review=3)
    theirs = _people(world, 2, other, baseline=1, review=0)
    c = client_for("worker")
    record = {"respondent_id": theirs[1].respondent_id, "episode": "1",
              "measure_id": "phq-9", "timepoint": "baseline", "status": "declined",
              "reason": "not today"}
    assert c.post("/due/record/", record).status_code == 302
    page = c.get("/due/").content.decode()
    assert "Follow-up and completion, by team and key worker" in page
    # columns: due, done, declined, not possible, offered, nothing recorded, completion,
    # with a baseline, followed up, follow-up rate
    assert _row(page, world.users["worker"].username) == [
        "12", "9", "0", "0", "0", "3", "75%", "6", "3", "50%"]
    assert _row(page, other.username) == ["4", "1", "1", "0", "0", "2", "25%", "1", "0", "0%"]
    assert _row(page, "Whole team") == ["16", "10", "1", "0", "0", "5", "62%", "7", "3", "43%"]
    # the definitions are written on the page
    assert "Forms of the schedule whose window has closed" in page
    assert "Followed up ÷ with a baseline" in page
    lead = client_for("lead").get("/reports/").content.decode()
    assert _row(lead, "Whole team")[0] == "16" and mine[0].respondent_id not in lead
    assert AuditEvent.objects.filter(action="view-reports").exists()


def test_viewer_sees_small_numbers_suppressed_as_the_impact_report(world: Any,
                                                                   client_for: Any) -> None:
    import measurelib as ml
    from measurelib.serve import _library

    _people(world, 6, world.users["worker"], baseline=6, review=3)
    page = client_for("viewer").get("/reports/").content.decode()
    worker_row = _row(page, world.users["worker"].username)
    team_row = _row(page, "Whole team")
    # exactly the library's protection with the configured min_cell, nothing else
    expected = ml.outcomes.follow_up_rates(
        _library.store(), service=world.team_a.service, min_cell=5,
        worker_of={p.respondent_id: (p.key_worker.get_username() if p.key_worker else None)
                   for p in world.team_a.people.all()}).rows()
    assert team_row[0] == str(expected[0]["due"])
    assert "[c]" in worker_row + team_row  # 3 followed up, 3 nothing recorded: hidden
    for cell in worker_row + team_row:
        if cell.isdigit():
            assert int(cell) == 0 or int(cell) >= 5
    assert "Counts from 1 to 4 are shown as [c]" in page
    # staff who work with the people see the whole figures
    assert _row(client_for("lead").get("/reports/").content.decode(),
                world.users["worker"].username)[7:9] == ["6", "3"]


def test_team_without_schedule_says_why(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Team

    Team.objects.filter(pk=world.team_a.pk).update(service=f"none-{world.tag}")
    page = client_for("lead").get("/reports/").content.decode()
    assert "No figures yet: the team has no schedule yet" in page


def test_own_measure_scheduled_before_its_first_form_is_counted(world: Any,
                                                                 client_for: Any) -> None:
    """A published measure on the schedule with no form yet: its forms are due (not an
    'unknown measure' refusal), whether the schedule was saved through the service or
    stored before the service recorded published measures."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _bespoke import publish

    from measurelib.serve import _library
    from measurelib.serve.models import Team

    mid = publish(world)
    schedule = (f"measures: [{mid}]\ntimepoints:\n"
                "  - {id: baseline, at: entry, tolerance: {days: 7}}\n")
    _library.store().configure_service(world.team_a.service, schedule=schedule)
    Team.objects.filter(pk=world.team_a.pk).update(schedule=schedule)
    _people(world, 2, world.users["worker"], baseline=0, review=0)
    page = client_for("lead").get("/reports/").content.decode()
    assert "No figures yet" not in page
    assert _row(page, "Whole team")[:2] == ["2", "0"]
    _library.check_schedule(world.team_a.service, schedule)  # the team page's save
    assert mid in _library.store().measure_ids()
