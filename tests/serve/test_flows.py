"""The service's flows end to end through Django's test client, on SQLite and PostgreSQL:
registering a person, a tablet hand-over with a risk answer, a single-use link, due lists,
the timeline, reports and the audit log."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PASSWORD  # noqa: E402

PHQ9 = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
        "psychomotor", "self_harm"]


def answers(self_harm: int = 0, **extra: str) -> dict[str, str]:
    data = {item: "1" for item in PHQ9}
    data["self_harm"] = str(self_harm)
    data.update({"measure_id": "phq-9", "measure_version": "1.0.0"})
    data.update(extra)
    return data


def stored(respondent_id: str) -> Any:
    from measurelib.serve import _library

    adm = _library.store().administrations("phq-9")
    return adm[adm["respondent_id"] == respondent_id]


def start_tablet(c: Any, rid: str, timepoint: str = "baseline") -> Any:
    return c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": timepoint,
                                              "episode": "1", "method": "tablet"})


def make_link(c: Any, rid: str, timepoint: str = "baseline") -> str:
    r = c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": timepoint,
                                           "episode": "1", "method": "link"})
    assert r.status_code == 200
    m = re.search(r'value="(http://testserver/r/[A-Za-z0-9_-]+)"', r.content.decode())
    assert m is not None
    return m.group(1).removeprefix("http://testserver")


def test_register_person(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent, Person

    c = client_for("worker")
    r = c.post("/people/new/", {"team": world.team_a.pk, "consent": "given",
                                "consent_scope": "Outcome measures and reports",
                                "key_worker": world.users["worker"].pk})
    assert r.status_code == 302
    rid = r["Location"].rstrip("/").split("/")[-1]
    person = Person.objects.get(respondent_id=rid)
    assert re.fullmatch(r"P-[A-Z2-9]{8}", rid)
    assert person.team == world.team_a and person.episodes.count() == 1
    assert AuditEvent.objects.filter(person=rid, action="person-created").exists()
    # a worker cannot register someone into another team
    r = c.post("/people/new/", {"team": world.team_b.pk, "consent": "given"})
    assert r.status_code == 200 and not Person.objects.filter(team=world.team_b).exclude(
        pk=world.person_b.pk).exists()


def test_tablet_handover_with_risk_answer(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AlertTask, AuditEvent

    rid = world.person_a.respondent_id
    c = client_for("worker")
    r = start_tablet(c, rid)
    assert r.status_code == 302 and r["Location"] == "/tablet/"
    form = c.get("/tablet/")
    assert form.status_code == 200
    page = form.content.decode()
    assert 'action="/tablet/"' in page and "csrfmiddlewaretoken" in page
    assert "/people/" not in page and "<nav" not in page  # nothing to navigate out to
    assert "script-src 'none'" in form["Content-Security-Policy"]
    assert "'sha256-" in form["Content-Security-Policy"]
    # the device is locked to the form: every staff page leads back to it
    for path in ("/", "/people/", f"/people/{rid}/", "/manage/staff/"):
        assert c.get(path)["Location"] == "/tablet/"
    r = c.post("/tablet/", answers(self_harm=2))
    assert r.status_code == 302 and r["Location"] == "/tablet/done/"
    rows = stored(rid)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["timepoint"], row["mode"], row["service"], row["episode"]) == (
        "baseline", "tablet", world.team_a.service, "1")
    # still locked after submitting: thank-you, then the worker's password
    assert c.get("/people/")["Location"] == "/tablet/"
    assert c.get("/tablet/")["Location"] == "/tablet/done/"
    assert "hand the device back" in c.get("/tablet/done/").content.decode()
    before = c.session.session_key
    assert c.post("/tablet/unlock/", {"password": "wrong password"}).status_code == 403
    r = c.post("/tablet/unlock/", {"password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == f"/people/{rid}/"
    assert c.session.session_key != before
    # the alert is at the top of the key worker's dashboard until an action is recorded
    task = AlertTask.objects.get(person=world.person_a)
    assert task.responsible == world.users["worker"] and task.alert_id == "self_harm_thoughts"
    dash = c.get("/").content.decode()
    assert dash.index(rid) < dash.index("Due and overdue")
    assert "Call the duty worker" in c.get(f"/alerts/{task.pk}/").content.decode()
    r = c.post(f"/alerts/{task.pk}/", {"action_taken": "Phoned; safety plan reviewed."})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.actioned_at is not None and task.actioned_by == world.users["worker"]
    assert f"/alerts/{task.pk}/" not in c.get("/").content.decode()
    assert AuditEvent.objects.filter(person=rid, action="submission").exists()
    # the person's timeline shows the score
    timeline = c.get(f"/people/{rid}/").content.decode()
    assert "total: 10" in timeline and "baseline" in timeline


def test_no_alert_without_risk_answer(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AlertTask

    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    assert c.post("/tablet/", answers(self_harm=0)).status_code == 302
    assert not AlertTask.objects.filter(person=world.person_a).exists()


def test_unlock_before_submitting_cancels(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Collection

    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    assert c.post("/tablet/unlock/", {"password": PASSWORD}).status_code == 302
    assert Collection.objects.get(person=world.person_a).state == "withdrawn"
    assert c.get("/people/").status_code == 200
    assert len(stored(world.person_a.respondent_id)) == 0


def test_single_use_link(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import Collection

    rid = world.person_a.respondent_id
    path = make_link(client_for("worker"), rid)
    token = path.rsplit("/", 1)[-1]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    c = Collection.objects.get(person=world.person_a, kind="link")
    assert c.token_hash != token and token not in c.token_hash  # only the hash is kept
    phone = Client()
    r = phone.get(path)
    assert r.status_code == 302 and r["Location"] == "/respond/"
    form = phone.get("/respond/")
    assert form.status_code == 200 and 'action="/respond/"' in form.content.decode()
    r = phone.post("/respond/", answers())
    assert r.status_code == 302 and r["Location"] == "/respond/thanks/"
    assert "Thank you" in phone.get("/respond/thanks/").content.decode()
    rows = stored(rid)
    assert len(rows) == 1 and rows.iloc[0]["mode"] == "online"
    # single use: the link, and the page behind it, are closed now
    assert Client().get(path).status_code == 410
    assert phone.get("/respond/").status_code == 404
    assert phone.post("/respond/", answers()).status_code == 404
    assert len(stored(rid)) == 1


def test_link_cannot_be_used_twice_from_two_devices(world: Any, client_for: Any) -> None:
    from django.test import Client

    path = make_link(client_for("worker"), world.person_a.respondent_id)
    one, two = Client(), Client()
    one.get(path)
    two.get(path)
    assert one.post("/respond/", answers()).status_code == 302
    assert two.post("/respond/", answers()).status_code == 410
    assert len(stored(world.person_a.respondent_id)) == 1


def test_expired_withdrawn_and_unknown_links(world: Any, client_for: Any) -> None:
    from django.test import Client
    from django.utils import timezone

    from measurelib.serve.models import Collection

    worker = client_for("worker")
    expired = make_link(worker, world.person_a.respondent_id)
    Collection.objects.filter(person=world.person_a).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = Client().get(expired)
    assert r.status_code == 410 and "expired" in r.content.decode()
    withdrawn = make_link(worker, world.person_a.respondent_id, "review")
    c = Collection.objects.get(person=world.person_a, timepoint="review")
    assert worker.post(f"/links/{c.pk}/withdraw/").status_code == 302
    assert Client().get(withdrawn).status_code == 410
    assert Client().get("/r/" + "A" * 43).status_code == 404
    # expiry between opening the form and sending it
    late = make_link(worker, world.person_a.respondent_id, "exit")
    phone = Client()
    phone.get(late)
    Collection.objects.filter(person=world.person_a, timepoint="exit").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert phone.post("/respond/", answers()).status_code == 410
    assert len(stored(world.person_a.respondent_id)) == 0


def test_respondent_cannot_choose_whose_answers(world: Any, client_for: Any) -> None:
    from django.test import Client

    path = make_link(client_for("worker"), world.person_a.respondent_id)
    phone = Client()
    phone.get(path)
    forged = answers(respondent_id=world.person_b.respondent_id, service=world.team_b.service,
                     timepoint="exit", worker="someone")
    assert phone.post("/respond/", forged).status_code == 302
    rows = stored(world.person_a.respondent_id)
    assert len(rows) == 1 and rows.iloc[0]["service"] == world.team_a.service
    assert rows.iloc[0]["timepoint"] == "baseline"
    assert len(stored(world.person_b.respondent_id)) == 0


def test_invalid_answer_is_refused_without_storing(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import Collection

    path = make_link(client_for("worker"), world.person_a.respondent_id)
    phone = Client()
    phone.get(path)
    r = phone.post("/respond/", answers(interest="7"))
    assert r.status_code == 400
    assert "Question 1: choose one of the answers given." in r.content.decode()
    assert Collection.objects.get(person=world.person_a).state == "open"
    assert len(stored(world.person_a.respondent_id)) == 0


def test_due_list_follows_schedule_and_episodes(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Episode

    rid = world.person_a.respondent_id
    c = client_for("worker")
    due = c.get("/due/").content.decode()
    assert rid in due and "baseline" in due and world.person_b.respondent_id not in due
    start_tablet(c, rid)
    c.post("/tablet/", answers())
    c.post("/tablet/unlock/", {"password": PASSWORD})
    assert rid not in c.get("/due/").content.decode()
    # six weeks on, the review is due; once the episode is closed, the exit measure is
    Episode.objects.filter(person=world.person_a).update(
        opened_on=dt.date.today() - dt.timedelta(weeks=6))
    due = c.get("/due/").content.decode()
    assert rid in due and "review" in due
    r = c.post(f"/people/{rid}/episodes/1/close/", {"closed_on": dt.date.today().isoformat()})
    assert r.status_code == 302
    due = c.get("/due/").content.decode()
    assert "exit" in due and "review" not in due
    # overdue after the window
    Episode.objects.filter(person=world.person_b).update(
        opened_on=dt.date.today() - dt.timedelta(days=20))
    other = client_for("other_worker").get("/due/").content.decode()
    assert world.person_b.respondent_id in other and "overdue" in other


def test_episode_open(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    rid = world.person_a.respondent_id
    r = c.post(f"/people/{rid}/episodes/", {"opened_on": "2026-01-05"})
    assert r.status_code == 302
    assert world.person_a.episodes.filter(number="2", opened_on="2026-01-05").exists()


def test_reports_suppress_small_numbers(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    for _ in range(2):
        start_tablet(c, world.person_a.respondent_id)
        c.post("/tablet/", answers())
        c.post("/tablet/unlock/", {"password": PASSWORD})
    page = client_for("viewer").get("/reports/").content.decode()
    assert "[c]" in page and "Too few people" in page
    assert world.person_a.respondent_id not in page


def test_reports_page_hides_what_the_impact_report_hides(world: Any, client_for: Any,
                                                         tmp_path: Path) -> None:
    """The page's headline is the full impact report's: a count that the total and the
    other categories would give away is hidden too, not only counts below the threshold."""
    import measurelib as ml
    from measurelib.serve import _library as lib

    service = world.team_a.service
    rows = ["respondent_id,episode,timepoint,date,service," + ",".join(
        f"Q{i}" for i in range(1, 10))]
    for n in range(7):  # six reliably improved, one unchanged, none deteriorated
        rows.append(f"p{n},1,baseline,2026-01-05,{service}," + ",".join(["2"] * 9))
        after = "2" if n == 6 else "0"
        rows.append(f"p{n},1,review,2026-02-16,{service}," + ",".join([after] * 9))
    path = tmp_path / "forms.csv"
    path.write_text("\n".join(rows) + "\n")
    lib.store().import_file(ml.load("phq-9"), path)

    head = ml.impact_report(lib.store(), ml.load("phq-9"), service=service,
                            min_cell=5).data["sections"][0]["headline"]
    assert head["n_no_change"] == "[c]" and head["n_improved"] == "[c]"  # 7 - 6 - 0 = 1
    page = client_for("viewer").get("/reports/").content.decode()
    section = page.split(f"{world.team_a.name}: phq-9", 1)[1].split("</section>", 1)[0]
    shown = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<(]+)", section))
    assert shown["People with a baseline"].strip() == "7"
    assert shown["Reliably improved"].strip() == "[c]"  # 6, shown as 6 before
    assert shown["No reliable change"].strip() == "[c]"
    assert shown["Reliably deteriorated"].strip() == "0"


def test_audit_log_records_views_and_changes(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent

    rid = world.person_a.respondent_id
    c = client_for("worker")
    c.get(f"/people/{rid}/")
    c.post(f"/people/{rid}/edit/", {"consent": "withdrawn", "consent_scope": "",
                                    "key_worker": world.users["worker"].pk})
    actions = list(AuditEvent.objects.filter(person=rid).values_list("action", "username"))
    assert ("view-person", world.users["worker"].username) in actions
    assert ("person-changed", world.users["worker"].username) in actions
    event = AuditEvent.objects.filter(person=rid).first()
    assert event is not None
    event.detail = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    page = client_for("administrator").get(f"/manage/audit/?person={rid}").content.decode()
    assert "person-changed" in page


def _key(c: Any, pk: int, data: dict[str, str]) -> Any:
    return c.post(f"/paper/{pk}/", data)


def test_paper_double_entry_agreeing(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import PaperEntry

    rid = world.person_a.respondent_id
    c = client_for("worker")
    r = c.post(f"/people/{rid}/paper/", {"measure_id": "phq-9", "timepoint": "baseline",
                                         "episode": "1", "completed_on": "2026-11-20"})
    assert r.status_code == 302
    entry = PaperEntry.objects.get(person=world.person_a)
    page = c.get(f"/paper/{entry.pk}/")
    assert page.status_code == 200 and "First keying" in page.content.decode()
    # the read-aloud script, beside the keying screen, for answers given by telephone
    script = re.search(r'<a href="([^"]+)" target="_blank" rel="noopener">Read-aloud script',
                       page.content.decode())
    assert script is not None and script.group(1) == f"/people/{rid}/script/phq-9/"
    assert c.get(script.group(1)).status_code == 200
    assert _key(c, entry.pk, answers()).status_code == 302
    assert "Second keying" in client_for("lead").get(f"/paper/{entry.pk}/").content.decode()
    r = _key(client_for("lead"), entry.pk, answers())
    assert r.status_code == 302 and r["Location"] == f"/people/{rid}/"
    rows = stored(rid)
    assert len(rows) == 1 and rows.iloc[0]["mode"] == "paper"
    assert str(rows.iloc[0]["date"].date()) == "2026-11-20"
    entry.refresh_from_db()
    assert entry.state == "stored" and entry.first == "" and entry.second == ""


def test_paper_double_entry_reconciled(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AlertTask, PaperEntry

    rid = world.person_a.respondent_id
    c = client_for("worker")
    c.post(f"/people/{rid}/paper/", {"measure_id": "phq-9", "timepoint": "baseline",
                                     "episode": "1", "completed_on": "2026-11-20"})
    entry = PaperEntry.objects.get(person=world.person_a)
    _key(c, entry.pk, answers(self_harm=0))
    r = _key(c, entry.pk, answers(self_harm=2, down="3"))
    assert r["Location"] == f"/paper/{entry.pk}/reconcile/"
    page = c.get(r["Location"]).content.decode()
    assert "self_harm" in page and "down" in page and "interest" not in page
    assert c.post(r["Location"], {"pick_self_harm": "second"}).status_code == 400
    assert len(stored(rid)) == 0
    r = c.post(r["Location"], {"pick_self_harm": "second", "pick_down": "first"})
    assert r.status_code == 302
    rows = stored(rid)
    assert len(rows) == 1
    import json

    responses = json.loads(rows.iloc[0]["responses"])
    assert responses["self_harm"] == 2 and responses["down"] == 1
    assert AlertTask.objects.filter(person=world.person_a, alert_id="self_harm_thoughts").exists()
    # a stored entry cannot be keyed or reconciled again
    assert c.post(f"/paper/{entry.pk}/", answers()).status_code == 302
    assert len(stored(rid)) == 1


def test_read_aloud_script(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    rid = world.person_a.respondent_id
    r = c.get(f"/people/{rid}/script/phq-9/")
    assert r.status_code == 200 and "script-src 'none'" in r["Content-Security-Policy"]
    assert c.get(f"/people/{rid}/script/k10/").status_code == 404
    printed = c.get(f"/people/{rid}/print/phq-9/")
    assert printed.status_code == 200 and "style-src 'self' 'sha256-" in printed[
        "Content-Security-Policy"]
    person_page = c.get(f"/people/{rid}/").content.decode()
    assert "Due now" in person_page and "print/phq-9/" in person_page


def test_offers_and_completion(world: Any, client_for: Any) -> None:
    from measurelib.serve import _library
    from measurelib.serve.models import Episode

    rid = world.person_a.respondent_id
    c = client_for("worker")
    r = c.post("/due/record/", {"respondent_id": rid, "episode": "1", "measure_id": "phq-9",
                                "timepoint": "baseline", "status": "declined",
                                "reason": "<b>not today</b>"})
    assert r.status_code == 302
    offers = _library.store().table("offers")
    mine = offers[offers["respondent_id"] == rid]
    assert list(mine["status"]) == ["declined"]
    assert mine.iloc[0]["service"] == world.team_a.service
    page = c.get("/due/").content.decode()
    assert "declined (" in page and "<b>not today</b>" not in page
    # completion: person A's baseline window has closed without a form; B's was collected
    Episode.objects.filter(person=world.person_a).update(
        opened_on=dt.date.today() - dt.timedelta(days=20))
    _library.open_episode(rid, "1", world.team_a.service,
                          dt.date.today() - dt.timedelta(days=20))
    report = client_for("lead").get("/reports/").content.decode()
    assert "Follow-up and completion, by team and key worker" in report
    assert world.users["worker"].username in report  # per key worker
    # viewers see the same table with small counts hidden (tests/serve/test_rates.py)
    assert "[c]" in client_for("viewer").get("/reports/").content.decode()


def test_form_variants(world: Any, client_for: Any) -> None:
    from django.test import Client

    c = client_for("worker")
    rid = world.person_a.respondent_id
    r = c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": "baseline",
                                           "episode": "1", "method": "link",
                                           "variant": "large_print"})
    path = re.search(r'value="http://testserver(/r/[^"]+)"', r.content.decode())
    assert path is not None
    phone = Client()
    phone.get(path.group(1))
    assert "large-print" in phone.get("/respond/").content.decode()
    # a wording or language the measure does not have is refused when starting
    for extra in ({"respondent": "proxy"}, {"lang": "cy"}):
        r = c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": "review",
                                               "episode": "1", "method": "link", **extra})
        assert r.status_code == 400


def test_subject_access_export(world: Any, client_for: Any) -> None:
    import json

    from measurelib.serve.models import AuditEvent

    rid = world.person_a.respondent_id
    worker = client_for("worker")
    start_tablet(worker, rid)
    worker.post("/tablet/", answers(self_harm=1))
    worker.post("/tablet/unlock/", {"password": PASSWORD})
    r = client_for("administrator").get(f"/people/{rid}/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    doc = json.loads(r.content)
    assert doc["respondent_id"] == rid
    assert doc["store"]["administrations"][0]["responses"]["self_harm"] == 1
    assert doc["store"]["scores"][0]["scores"][0]["score_id"] == "total"
    assert doc["alerts"][0]["alert_id"] == "self_harm_thoughts"
    assert all("token_hash" not in c for c in doc["collections"])
    assert AuditEvent.objects.filter(person=rid, action="subject-access-export").exists()
    assert worker.get(f"/people/{rid}/export/").status_code == 403


def test_lead_sets_measures_and_schedule(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Team

    lead = client_for("lead")
    url = f"/manage/teams/{world.team_a.pk}/"
    base = {"name": world.team_a.name, "service": "renamed", "measures": "phq-9\ngad-7",
            "risk_text": "Ring the duty manager."}
    bad = lead.post(url, {**base, "schedule": "measures: [phq-9]\ntimepoints:\n  - {id: x}\n"})
    assert bad.status_code == 200 and "exactly one of" in bad.content.decode()
    wrong = lead.post(url, {**base, "measures": "swemwbs", "schedule": ""})
    assert wrong.status_code == 200 and "swemwbs" in wrong.content.decode()
    ok = lead.post(url, {**base, "schedule": "measures: [gad-7]\ntimepoints:\n"
                                             "  - {id: baseline, at: entry}\n"})
    assert ok.status_code == 302
    team = Team.objects.get(pk=world.team_a.pk)
    assert team.service == world.team_a.service  # the service name cannot change
    assert team.measure_ids() == ["phq-9", "gad-7"] and "gad-7" in team.schedule
    # only administrators create teams
    assert lead.post("/manage/teams/", {**base, "service": "new-team"}).status_code == 403


def test_one_link_sent_from_many_devices_at_once_is_stored_once(world: Any,
                                                                  client_for: Any) -> None:
    """Eight devices send the same link's form at the same moment: one is stored, the
    others are told the link is used (the claim on the link is atomic)."""
    import threading

    from django.db import connections
    from django.test import Client

    path = make_link(client_for("worker"), world.person_a.respondent_id)
    phones = []
    for _ in range(8):
        phone = Client()
        phone.get(path)
        phones.append(phone)
    statuses: list[int] = []
    barrier = threading.Barrier(len(phones))

    def send(phone: Any) -> None:
        try:
            barrier.wait()
            statuses.append(phone.post("/respond/", answers()).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [302] + [410] * 7
    assert len(stored(world.person_a.respondent_id)) == 1


def test_alert_email(world: Any, client_for: Any, cfg: Any, monkeypatch: Any) -> None:
    from django.core import mail

    monkeypatch.setattr(cfg, "email_host", "smtp.example.org")
    worker = world.users["worker"]
    worker.email = "sam@example.org"
    worker.save()
    mail.outbox.clear()
    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", answers(self_harm=3))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.org"]
    assert world.person_a.respondent_id in message.body and "/alerts/" in message.body
    assert "self_harm" not in message.body and "3" not in message.subject


def test_scores_export(world: Any, client_for: Any) -> None:
    import io

    import pandas as pd

    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", answers())
    lead = client_for("lead")
    r = lead.get(f"/reports/{world.team_a.pk}/phq-9.csv")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    df = pd.read_csv(io.BytesIO(r.content))
    assert list(df["respondent_id"].unique()) == [world.person_a.respondent_id]
    assert "name" not in df.columns and "phone" not in df.columns
    x = lead.get(f"/reports/{world.team_a.pk}/phq-9.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert lead.get(f"/reports/{world.team_b.pk}/phq-9.csv").status_code == 404
    assert lead.get(f"/reports/{world.team_a.pk}/phq-9.parquet").status_code == 404


def test_scores_export_spss_stata_and_neutralised(world: Any, client_for: Any, tmp_path: Any,
                                                  monkeypatch: Any) -> None:
    """SPSS and Stata files with the measure's labels; CSV and Excel through the one
    spreadsheet-formula neutraliser (a cell starting ``=`` is not a formula when opened)."""
    import pandas as pd
    import pyreadstat

    from measurelib.serve import _library

    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", answers())
    lead = client_for("lead")
    for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        r = lead.get(f"/reports/{world.team_a.pk}/phq-9.{fmt}")
        assert r.status_code == 200 and f"phq-9-scores.{fmt}" in r["Content-Disposition"]
        path = tmp_path / f"scores.{fmt}"
        path.write_bytes(r.content)
        df, meta = reader(str(path))
        assert list(df["respondent_id"].unique()) == [world.person_a.respondent_id]
        assert "value" in df.columns and len(df) >= 1
    real = _library.scored_table

    def with_formula(service: str, measure_id: str) -> Any:
        df = real(service, measure_id).copy()
        df["worker"] = "=HYPERLINK(\"http://evil.example\")"
        return df

    monkeypatch.setattr(_library, "scored_table", with_formula)
    r = lead.get(f"/reports/{world.team_a.pk}/phq-9.csv")
    text = r.content.decode("utf-8-sig")
    assert "HYPERLINK" in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
    x = lead.get(f"/reports/{world.team_a.pk}/phq-9.xlsx")
    sheet = pd.read_excel(__import__("io").BytesIO(x.content))
    assert not str(sheet["worker"].iloc[0]).startswith("=")


def test_erase_contact_details(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent, Collection, Person

    rid = world.person_a.respondent_id
    Person.objects.filter(pk=world.person_a.pk).update(name="Alex Doe", phone="0100",
                                                       email="alex@example.org", notes="x")
    make_link(client_for("worker"), rid)
    assert client_for("worker").post(f"/people/{rid}/erase-contact/").status_code == 403
    assert client_for("administrator").post(f"/people/{rid}/erase-contact/").status_code == 302
    p = Person.objects.get(pk=world.person_a.pk)
    assert (p.name, p.phone, p.email, p.notes, p.consent) == ("", "", "", "", "withdrawn")
    assert Collection.objects.get(person=p).state == "withdrawn"
    assert AuditEvent.objects.filter(person=rid, action="contact-erased").exists()


def test_impact_report_and_feedback_sheet(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Episode

    c = client_for("worker")
    rid = world.person_a.respondent_id
    start_tablet(c, rid)
    c.post("/tablet/", answers(self_harm=0))
    c.post("/tablet/unlock/", {"password": PASSWORD})
    Episode.objects.filter(person=world.person_a).update(opened_on=dt.date(2026, 1, 1))
    viewer = client_for("viewer")
    r = viewer.get(f"/reports/{world.team_a.pk}/phq-9/impact.html")
    assert r.status_code == 200
    assert rid not in r.content.decode()
    assert "script-src 'none'" in r["Content-Security-Policy"]
    assert world.team_a.name in r.content.decode()  # the report itself, titled
    pdf = viewer.get(f"/reports/{world.team_a.pk}/phq-9/impact.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert viewer.get(f"/reports/{world.team_b.pk}/phq-9/impact.html").status_code == 404
    sheet = c.get(f"/people/{rid}/feedback/phq-9/")
    assert sheet.status_code == 200 and "<script" not in sheet.content.decode()


def test_impact_report_names_the_organisation_with_its_logo(world: Any, client_for: Any,
                                                            tmp_path: Any,
                                                            monkeypatch: Any) -> None:
    """The configured organisation and logo (a PNG beside the configuration file) head the
    impact report, in the browser and as PDF."""
    from django.conf import settings
    from PIL import Image

    from measurelib.serve.models import Episode

    Image.new("RGB", (40, 20), (20, 60, 120)).save(tmp_path / "logo.png")
    cfg = settings.MEASURELIB_SERVE
    monkeypatch.setattr(cfg, "path", tmp_path / "measurelib-serve.toml")
    monkeypatch.setattr(cfg, "logo", "logo.png")
    monkeypatch.setattr(cfg, "organisation", "Riverside Mind")
    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", answers(self_harm=0))
    Episode.objects.filter(person=world.person_a).update(opened_on=dt.date(2026, 1, 1))
    viewer = client_for("viewer")
    page = viewer.get(f"/reports/{world.team_a.pk}/phq-9/impact.html").content.decode()
    assert "Riverside Mind" in page and "data:image/png;base64," in page
    assert world.team_a.name in page
    pdf = viewer.get(f"/reports/{world.team_a.pk}/phq-9/impact.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    # a logo outside the configuration's folder is refused, not read
    monkeypatch.setattr(cfg, "logo", "../../etc/passwd")
    r = viewer.get(f"/reports/{world.team_a.pk}/phq-9/impact.html")
    assert "data:image" not in r.content.decode() and "root:" not in r.content.decode()


def test_paper_form_the_store_refuses_keeps_both_keyings(world: Any, client_for: Any) -> None:
    """A timepoint outside the declared list: a 400 naming it, nothing stored, nothing lost."""
    from measurelib.serve.models import PaperEntry

    rid = world.person_a.respondent_id
    c = client_for("worker")
    c.post(f"/people/{rid}/paper/", {"measure_id": "phq-9", "timepoint": "fortnight",
                                     "episode": "1", "completed_on": "2026-11-20"})
    entry = PaperEntry.objects.get(person=world.person_a)
    assert _key(c, entry.pk, answers()).status_code == 302
    r = _key(c, entry.pk, answers())
    assert r.status_code == 400 and "fortnight" in r.content.decode()
    assert len(stored(rid)) == 0
    entry.refresh_from_db()
    assert entry.stored_at is None and entry.first and entry.second
