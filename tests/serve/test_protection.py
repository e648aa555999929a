"""Episodes in the Store, the same occasion twice, retention and erasure in the service —
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_flows import answers, make_link  # noqa: E402

PHQ9_CALM = {"interest": 1, "down": 1, "sleep": 1, "tired": 1, "appetite": 1, "failure": 1,
             "concentration": 1, "psychomotor": 1, "self_harm": 0, "difficulty": 1}


def _store() -> Any:
    from measurelib.serve import _library

    return _library.store()


def _add(person: Any, *, date: str, timepoint: str = "baseline", episode: str = "1",
         **answers: int) -> Any:
    import measurelib as ml

    return _store().add_submission(ml.load("phq-9"), dict(PHQ9_CALM, **answers),
                                   respondent_id=person.respondent_id, episode=episode,
                                   timepoint=timepoint, date=date,
                                   service=person.team.service)


def test_episodes_are_kept_in_the_store(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    r = c.post("/people/new/", {"team": world.team_a.pk, "consent": "given",
                                "key_worker": world.users["worker"].pk})
    rid = r["Location"].rstrip("/").split("/")[-1]
    ep = _store().table("episodes")
    mine = ep[ep["respondent_id"] == rid].to_dict("records")
    assert mine == [{"respondent_id": rid, "episode": "1", "service": world.team_a.service,
                     "start_date": dt.date.today(), "end_date": None}]
    c.post(f"/people/{rid}/episodes/", {"opened_on": "2026-02-01"})
    assert c.post(f"/people/{rid}/episodes/1/close/",
                  {"closed_on": "2026-03-01"}).status_code == 302
    ep = _store().table("episodes")
    rows = {r["episode"]: r for r in ep[ep["respondent_id"] == rid].to_dict("records")}
    assert rows["1"]["end_date"] == dt.date(2026, 3, 1)
    assert rows["2"]["start_date"] == dt.date(2026, 2, 1) and rows["2"]["end_date"] is None
    # an episode the service opened before the Store kept them still closes
    from measurelib.serve.models import Episode

    Episode.objects.create(person=world.person_a, number="7", opened_on=dt.date(2026, 1, 1))
    pa = world.person_a.respondent_id
    assert client_for("worker").post(f"/people/{pa}/episodes/7/close/",
                                     {"closed_on": "2026-01-31"}).status_code == 302
    ep = _store().table("episodes")
    assert ep[(ep["respondent_id"] == pa) & (ep["episode"] == "7")]["end_date"].tolist() == [
        dt.date(2026, 1, 31)]


def test_other_answers_same_day_refused_and_link_kept(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import AuditEvent, Collection

    worker = client_for("worker")
    rid = world.person_a.respondent_id
    first, second = make_link(worker, rid), make_link(worker, rid)
    one, two = Client(), Client()
    one.get(first)
    assert one.post("/respond/", answers()).status_code == 302
    two.get(second)
    r = two.post("/respond/", answers(down="3"))
    assert r.status_code == 409
    page = r.content.decode()
    assert "already recorded for you today" in page and rid not in page
    assert len(_store().administrations(respondent_id=rid)) == 1
    link = Collection.objects.filter(person=world.person_a).order_by("-pk").first()
    assert link is not None and link.used_at is None  # still usable once it is sorted out
    assert AuditEvent.objects.filter(person=rid, action="submission-refused").exists()
    # the same answers again are simply "already stored"
    assert two.post("/respond/", answers()).status_code == 302
    assert len(_store().administrations(respondent_id=rid)) == 1


def test_a_repeated_form_makes_the_missing_alert_once(world: Any) -> None:
    import measurelib as ml
    from measurelib.serve._respond import record
    from measurelib.serve.models import AlertTask

    measure = ml.load("phq-9")
    sub = ml.parse_submission(measure, answers(self_harm=2))
    kw = dict(episode="1", timepoint="baseline", mode="online", worker=None,
              date="2026-11-20", responsible=world.users["worker"])
    first = record(None, world.person_a, measure, sub, **kw)  # type: ignore[arg-type]
    assert first.created and [a.alert_id for a in first.alerts] == ["self_harm_thoughts"]
    tasks = AlertTask.objects.filter(person=world.person_a)
    assert tasks.count() == 1
    tasks.delete()  # as if the process had stopped between the Store and the task
    again = record(None, world.person_a, measure, sub, **kw)  # type: ignore[arg-type]
    assert not again.created and again.administration == first.administration
    assert AlertTask.objects.filter(person=world.person_a).count() == 1
    record(None, world.person_a, measure, sub, **kw)  # type: ignore[arg-type]
    assert AlertTask.objects.filter(person=world.person_a).count() == 1


def _everything_in_service(rid: str) -> list[str]:
    """Every row of every service table (but the audit log) that mentions ``rid``."""
    from django.apps import apps
    from django.forms.models import model_to_dict

    found = []
    for model in apps.get_app_config("serve").get_models():
        if model.__name__ == "AuditEvent":
            continue
        for obj in model.objects.all():
            text = repr(model_to_dict(obj)) + repr(obj)
            if rid in text:
                found.append(f"{model.__name__} {obj.pk}")
    return found


def _everything_in_store(rid: str) -> list[str]:
    s = _store()
    return [name for name in s.counts() if rid in s.table(name).to_csv()]


def _person_with_everything(world: Any) -> Any:
    from django.utils import timezone

    from measurelib.serve.models import (
        AlertTask,
        ApiClient,
        Collection,
        Episode,
        FhirReceipt,
        PaperEntry,
        Person,
        hash_token,
    )

    p = Person.objects.create(team=world.team_a, respondent_id=Person.new_id(),
                              name="Ann Example", phone="07700 900123",
                              email="ann@example.org", key_worker=world.users["worker"])
    Episode.objects.create(person=p, number="1", opened_on=dt.date(2025, 1, 1),
                           closed_on=dt.date(2025, 3, 1))
    _store().open_episode(p.respondent_id, "1", service=world.team_a.service,
                          start_date="2025-01-01")
    adm = _add(p, date="2025-01-03", self_harm=2)
    _add(p, date="2025-03-01", timepoint="exit")
    _store().close_episode(p.respondent_id, "1", "2025-03-01")
    Collection.objects.create(kind="link", person=p, measure_id="phq-9",
                              timepoint="review", token_hash=hash_token(f"t-{p.pk}"),
                              created_by=world.users["worker"],
                              expires_at=timezone.now() + dt.timedelta(days=1))
    PaperEntry.objects.create(person=p, measure_id="phq-9", timepoint="baseline",
                              completed_on=dt.date(2025, 1, 3), first='{"down": 2}')
    AlertTask.objects.create(person=p, team=world.team_a, measure_id="phq-9",
                             timepoint="baseline", alert_id="self_harm_thoughts",
                             severity="urgent", text="Item 9",
                             created_at=timezone.make_aware(dt.datetime(2025, 1, 3, 12)),
                             action_taken="Called", actioned_at=timezone.now())
    client = ApiClient.objects.create(name=f"ehr-{p.pk}", team=world.team_a,
                                      token_hash=hash_token(f"api-{p.pk}"),
                                      scopes="responses:write")
    FhirReceipt.objects.create(client=client, identifier=f"urn:x|{p.pk}", person=p,
                               content_sha256="0" * 64, measure_id="phq-9",
                               timepoint="baseline", administration=adm.administration)
    return p


def test_erasure_leaves_nothing_of_the_person(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent

    p = _person_with_everything(world)
    rid = p.respondent_id
    other = _add(world.person_a, date="2026-11-02")
    assert _everything_in_service(rid) and _everything_in_store(rid)
    before_scores = len(_store().scores(service=world.team_a.service))
    audit_before = AuditEvent.objects.filter(person=rid).count()
    admin = client_for("administrator")
    assert client_for("worker").post(f"/people/{rid}/erase/",
                                     {"confirm": rid}).status_code == 403
    page = admin.get(f"/people/{rid}/erase/")
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert admin.post(f"/people/{rid}/erase/", {"confirm": "no"}).status_code == 400
    assert _everything_in_store(rid)  # a wrong confirmation erases nothing
    r = admin.post(f"/people/{rid}/erase/", {"confirm": rid})
    assert r.status_code == 302 and r["Location"] == "/people/"
    assert _everything_in_store(rid) == []
    assert _everything_in_service(rid) == []
    # aggregates: exactly the person's two forms went; others' forms are intact
    assert len(_store().scores(service=world.team_a.service)) == before_scores - 2
    assert other.administration in set(_store().scores()["administration"])
    # the audit log keeps every entry and records the erasure (counts, no details)
    events = AuditEvent.objects.filter(person=rid)
    assert events.count() == audit_before + 2  # the confirmation page and the erasure
    erased = events.get(action="person-erased")
    assert "2 forms" in erased.detail and "Ann" not in erased.detail
    assert admin.get(f"/people/{rid}/").status_code == 404


def test_retention(world: Any, client_for: Any, cfg: Any) -> None:
    from measurelib.serve._retention import run_retention
    from measurelib.serve.models import AuditEvent, Collection, Episode, Team

    old = _person_with_everything(world)  # episode closed 2025-03-01
    recent = _person_with_everything(world)
    Episode.objects.filter(person=recent).update(closed_on=dt.date(2026, 10, 1))
    _store().close_episode(recent.respondent_id, "1", "2026-10-01")
    team = Team.objects.get(pk=world.team_a.pk)
    assert run_retention(teams=Team.objects.filter(pk=team.pk)) == []  # none set: keep all
    Team.objects.filter(pk=team.pk).update(retention_months=12)
    today = dt.date(2026, 12, 1)
    before = _store().counts()
    dry = run_retention(dry_run=True, today=today, teams=Team.objects.filter(pk=team.pk))
    assert len(dry) == 1 and dry[0].n_episodes == 1 and dry[0].n_administrations == 2
    assert "would be deleted" in dry[0].summary() and old.respondent_id not in dry[0].summary()
    assert _store().counts() == before
    page = client_for("lead").get(f"/manage/teams/{team.pk}/").content.decode()
    assert "Retention" in page and "2 forms" in page and "12 months" in page
    done = run_retention(today=today, teams=Team.objects.filter(pk=team.pk))[0]
    assert done.n_administrations == 2 and done.n_service_records >= 3
    assert _everything_in_store(old.respondent_id) == []
    assert not Collection.objects.filter(person=old).exists()
    assert not Episode.objects.filter(person=old).exists()
    assert AuditEvent.objects.filter(person=old.respondent_id,
                                     action="retention-applied").count() == 1
    assert len(_store().administrations(respondent_id=recent.respondent_id)) == 2
    assert Collection.objects.filter(person=recent).exists()
    again = run_retention(today=today, teams=Team.objects.filter(pk=team.pk))[0]
    assert again.n_administrations == 0 and again.n_episodes == 0


def test_retention_anonymise_keeps_the_reports(world: Any) -> None:
    from measurelib.serve._retention import run_retention
    from measurelib.serve.models import Team

    old = _person_with_everything(world)
    Team.objects.filter(pk=world.team_a.pk).update(retention_months=6,
                                                   retention_action="anonymise")
    n = len(_store().scores(service=world.team_a.service))
    done = run_retention(today=dt.date(2026, 12, 1),
                         teams=Team.objects.filter(pk=world.team_a.pk))[0]
    assert done.n_administrations == 2 and "anonymised" in done.summary()
    after = _store().scores(service=world.team_a.service)
    assert len(after) == n and after["anonymous"].sum() >= 2
    assert _everything_in_store(old.respondent_id) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_retention_command(backend: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEASURELIB_SERVE_")}
    env.update({"MEASURELIB_SERVE_DATABASE": str(tmp_path / "s.db"),
                "MEASURELIB_SERVE_CONFIG": str(tmp_path / "serve.toml"),
                "PYTHONPATH": os.pathsep.join(sys.path)})
    cmd = [sys.executable, "-m", "measurelib.serve", "retention", "--dry-run"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "no team has a retention period" in r.stdout
    bad = subprocess.run([sys.executable, "-m", "measurelib.serve", "shred"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_retention_setting_on_the_team_page(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent, Team

    lead = client_for("lead")
    url = f"/manage/teams/{world.team_a.pk}/"
    form = {"name": world.team_a.name, "measures": "phq-9\ngad-7", "schedule": world.team_a.schedule,
            "risk_text": "Call the duty worker.", "retention_action": "anonymise"}
    r = lead.post(url, {**form, "retention_months": "0"})
    assert r.status_code == 200 and "greater than or equal to 1" in r.content.decode()
    assert Team.objects.get(pk=world.team_a.pk).retention_months is None
    assert "No retention period is set" in lead.get(url).content.decode()
    assert lead.post(url, {**form, "retention_months": "24"}).status_code == 302
    team = Team.objects.get(pk=world.team_a.pk)
    assert (team.retention_months, team.retention_action) == (24, "anonymise")
    assert "retention_months" in AuditEvent.objects.filter(
        action="team-changed", team=team.service).first().detail
    assert "24 months" in lead.get(url).content.decode()
