"""The respondent side, on SQLite and PostgreSQL: forms saved page by page (one page or one
question per page, back/next, Save and finish later, resumed from the same link), partial
forms kept out of the Store and its reports, the person's own feedback sheet after the
thank-you, and the team's risk texts per alert for the person and the worker."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PASSWORD  # noqa: E402
from test_flows import PHQ9, answers, make_link, start_tablet, stored  # noqa: E402

FORM = {"measure_id": "phq-9", "measure_version": "1.0.0", "lang": "en",
        "respondent_type": "self"}


def fieldsets(page: str) -> list[str]:
    return re.findall(r'<fieldset class="item[^"]*" id="item-([^"]+)"', page)


def checked(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="([^"]+)" value="([^"]+)" checked', page))


def paged(team: Any, how: str = "question", by_measure: str = "") -> None:
    team.paging = how
    team.paging_by_measure = by_measure
    team.save(update_fields=["paging", "paging_by_measure"])


def test_one_question_per_page_back_next_and_one_store(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Collection

    paged(world.team_a)
    rid = world.person_a.respondent_id
    c = client_for("worker")
    start_tablet(c, rid)
    page = c.get("/tablet/").content.decode()
    assert fieldsets(page) == ["interest"] and "Question 1 of 10" in page
    assert 'name="serve_page" value="0"' in page
    # the first button (the one Enter presses) goes on; Back is not offered on page 1
    buttons = re.findall(r'<button type="submit" name="serve_nav" value="(\w+)"', page)
    assert buttons == ["next", "save"]
    r = c.post("/tablet/", {**FORM, "serve_page": "0", "serve_nav": "next", "interest": "2"})
    assert r.status_code == 302 and r["Location"] == "/tablet/?page=1"
    page = c.get("/tablet/?page=1").content.decode()
    assert fieldsets(page) == ["down"] and "Question 2 of 10" in page
    assert re.findall(r'name="serve_nav" value="(\w+)"', page) == ["next", "back", "save"]
    # Back keeps what was given on this page too, and shows the earlier answer
    r = c.post("/tablet/", {**FORM, "serve_page": "1", "serve_nav": "back", "down": "3"})
    assert r["Location"] == "/tablet/?page=0"
    assert checked(c.get("/tablet/?page=0").content.decode()) == {"interest": "2"}
    assert checked(c.get("/tablet/?page=1").content.decode()) == {"down": "3"}
    # changing an answer on its page replaces it
    c.post("/tablet/", {**FORM, "serve_page": "0", "serve_nav": "next", "interest": "1"})
    collection = Collection.objects.get(person=world.person_a)
    assert collection.partial and collection.n_answered == 2 and collection.paging == "question"
    assert stored(rid).empty  # nothing reaches the Store before the form is sent
    for i, item in enumerate(PHQ9[2:], start=2):
        r = c.post("/tablet/", {**FORM, "serve_page": str(i), "serve_nav": "next", item: "0"})
        assert r["Location"] == f"/tablet/?page={i + 1}"
    page = c.get("/tablet/?page=9").content.decode()
    assert fieldsets(page) == ["difficulty"]
    assert re.findall(r'name="serve_nav" value="(\w+)"', page)[0] == "finish"
    r = c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish", "difficulty": "1"})
    assert r["Location"] == "/tablet/done/"
    rows = stored(rid)
    assert len(rows) == 1
    collection.refresh_from_db()
    assert collection.used_at is not None and collection.answers == "" and not collection.partial
    # sending again cannot store twice
    r = c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish", "difficulty": "1"})
    assert r.status_code == 302 and r["Location"] == "/tablet/done/"
    assert len(stored(rid)) == 1
    c.post("/tablet/unlock/", {"password": PASSWORD})
    assert "total: 4" in c.get(f"/people/{rid}/").content.decode()


def test_problems_on_send_are_listed_and_answers_kept(world: Any, client_for: Any) -> None:
    paged(world.team_a)
    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", {**FORM, "serve_page": "0", "serve_nav": "next", "interest": "1"})
    r = c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish", "difficulty": "7"})
    assert r.status_code == 400
    text = r.content.decode()
    # told by the question's number, in the form's words; no code, column or value
    assert "<li>Question 10: choose one of the answers given.</li>" in text
    assert "Back to the questions" in text and "difficulty" not in text.split("<main")[-1]
    assert 'href="/tablet/"' in text
    assert stored(world.person_a.respondent_id).empty
    # the form reopens where the first unanswered question is, answers kept
    page = c.get("/tablet/").content.decode()
    assert fieldsets(page) == ["down"]
    assert checked(c.get("/tablet/?page=0").content.decode()) == {"interest": "1"}


def test_save_and_finish_later_on_a_link_resumes_on_another_device(
        world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import Collection

    rid = world.person_a.respondent_id
    worker = client_for("worker")
    link = make_link(worker, rid)
    phone = Client()
    assert phone.get(link)["Location"] == "/respond/"
    page = phone.get("/respond/").content.decode()
    assert len(fieldsets(page)) == 10  # the team's default: one page
    assert re.findall(r'name="serve_nav" value="(\w+)"', page) == ["finish", "save"]
    # a half-answered form, saved: kept as partial, not in the Store
    half = {**FORM, "serve_page": "0", "serve_nav": "save", "interest": "2", "down": "1", "sleep": "0"}
    r = phone.post("/respond/", half)
    assert r["Location"] == "/respond/saved/"
    assert "open the same link again" in phone.get("/respond/saved/").content.decode()
    assert stored(rid).empty
    collection = Collection.objects.get(person=world.person_a, kind="link")
    assert collection.partial and collection.n_answered == 3 and collection.state == "open"
    person_page = worker.get(f"/people/{rid}/").content.decode()
    assert re.search(r"partial</span> \(3 answers saved", person_page)
    # partials are not administrations: the reports and completion do not count them
    from measurelib.serve import _library
    from measurelib.serve._due import completion_for_team, due_for_team

    assert _library.service_administrations(world.team_a.service).empty
    assert all(row.completed == 0 for row in completion_for_team(world.team_a))
    assert any(d.person.pk == world.person_a.pk and d.timepoint == "baseline"
               for d in due_for_team(world.team_a))  # still due
    # the same link on another device resumes with the answers given
    other = Client()
    assert other.get(link)["Location"] == "/respond/"
    resumed = other.get("/respond/").content.decode()
    assert checked(resumed) == {"interest": "2", "down": "1", "sleep": "0"}
    r = other.post("/respond/", {**answers(), "serve_page": "0", "serve_nav": "finish"})
    assert r["Location"] == "/respond/thanks/"
    assert len(stored(rid)) == 1
    collection.refresh_from_db()
    assert not collection.partial and collection.state == "completed"
    # the first device cannot send it again
    assert phone.post("/respond/", {**answers(), "serve_nav": "finish"}).status_code in (404, 410)
    assert len(stored(rid)) == 1


def test_abandoned_tablet_form_stays_partial(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import Collection

    rid = world.person_a.respondent_id
    c = client_for("worker")
    start_tablet(c, rid)
    r = c.post("/tablet/", {**FORM, "serve_page": "0", "serve_nav": "save", "interest": "1"})
    assert r["Location"] == "/tablet/saved/"
    saved = c.get("/tablet/saved/").content.decode()
    assert "hand the device back" in saved and "Carry on answering now" in saved
    assert c.get("/people/")["Location"] == "/tablet/"  # still locked
    c.post("/tablet/unlock/", {"password": PASSWORD})
    collection = Collection.objects.get(person=world.person_a)
    assert collection.state == "withdrawn" and collection.partial
    # subject access: the saved answers are in everything held about the person
    import json

    held = json.loads(client_for("administrator").get(f"/people/{rid}/export/").content)
    assert json.loads(held["collections"][0]["answers"]) == {"interest": ["1"]}
    assert "partial</span> (1 answer saved" in c.get(f"/people/{rid}/").content.decode()
    assert stored(rid).empty


def test_paging_by_measure(world: Any, client_for: Any) -> None:
    paged(world.team_a, "page", "gad-7: question")
    assert world.team_a.paging_for("gad-7") == "question"
    assert world.team_a.paging_for("phq-9") == "page"
    lead = client_for("lead")
    url = f"/manage/teams/{world.team_a.pk}/"
    base = {"name": world.team_a.name, "measures": "phq-9\ngad-7",
            "schedule": world.team_a.schedule, "risk_text": "x", "paging": "page"}
    bad = lead.post(url, {**base, "paging_by_measure": "gad-7 question"})
    assert bad.status_code == 200 and "Line 1 (&#x27;gad-7 question&#x27;)" in \
        bad.content.decode()
    ok = lead.post(url, {**base, "paging": "question", "paging_by_measure": "phq-9: page"})
    assert ok.status_code == 302
    world.team_a.refresh_from_db()
    assert world.team_a.paging_for("phq-9") == "page"
    assert world.team_a.paging_for("gad-7") == "question"


def test_feedback_sheet_after_thanks_only_where_allowed(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import Episode, Person

    rid = world.person_a.respondent_id
    # someone else in the same team, with other answers already stored
    other = Person.objects.create(team=world.team_a, respondent_id=Person.new_id())
    Episode.objects.create(person=other, number="1")
    worker = client_for("worker")
    phone = Client()
    phone.get(make_link(worker, other.respondent_id))
    phone.post("/respond/", answers(self_harm=0, interest="3"))
    # not allowed (the default): no offer, and the address answers nothing
    phone = Client()
    phone.get(make_link(worker, rid))
    phone.post("/respond/", answers())
    thanks = phone.get("/respond/thanks/").content.decode()
    assert "See your results" not in thanks
    assert phone.get("/respond/feedback/").status_code == 404
    # allowed
    world.team_a.respondent_feedback = True
    world.team_a.save(update_fields=["respondent_feedback"])
    thanks = phone.get("/respond/thanks/").content.decode()
    assert 'href="/respond/feedback/"' in thanks
    sheet = phone.get("/respond/feedback/")
    assert sheet.status_code == 200 and "script-src 'none'" in sheet["Content-Security-Policy"]
    text = sheet.content.decode()
    assert "Your latest score is <strong>8</strong>" in text  # theirs (the other's is 10)
    assert "<td>10</td>" not in text and 'href="/respond/thanks/"' in text
    # a session that sent nothing sees nothing
    assert Client().get("/respond/feedback/").status_code == 404
    # on a tablet too, for the form just sent on it only
    c = client_for("worker")
    start_tablet(c, rid, "review")
    c.post("/tablet/", answers())
    assert 'href="/tablet/feedback/"' in c.get("/tablet/done/").content.decode()
    page = c.get("/tablet/feedback/").content.decode()
    assert "Your latest score is <strong>8</strong>" in page and "<td>10</td>" not in page
    assert "/people/" not in page and 'href="/tablet/done/"' in page


def test_risk_texts_per_alert_for_person_and_worker(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve._risk import DEFAULT_RESPONDENT_TEXT
    from measurelib.serve.models import AlertTask

    rid = world.person_a.respondent_id
    lead = client_for("lead")
    url = f"/manage/teams/{world.team_a.pk}/risk/"
    form = lead.get(url).content.decode()
    assert "phq-9/self_harm_thoughts" in form and DEFAULT_RESPONDENT_TEXT[:40] in form
    # the built-in text until the team writes its own
    phone = Client()
    phone.get(make_link(client_for("worker"), rid))
    phone.post("/respond/", answers(self_harm=1))
    assert DEFAULT_RESPONDENT_TEXT[:40] in phone.get("/respond/thanks/").content.decode()
    fields = re.findall(r'name="(person_\d+|worker_\d+)"', form)
    index = fields[0].split("_")[1]
    r = lead.post(url, {"respondent_default": "Default: ring us on 0100 111 111.",
                        "worker_default": "Default procedure.",
                        f"person_{index}": "Ring the crisis line on 0800 000 000 now.",
                        f"worker_{index}": "Call the person within the hour."})
    assert r.status_code == 302
    world.team_a.refresh_from_db()
    assert world.team_a.risk_text == "Default procedure."
    # the person sees the alert's own text at once, and only when an alert is set off
    phone = Client()
    phone.get(make_link(client_for("worker"), rid, "review"))
    phone.post("/respond/", answers(self_harm=2))
    thanks = phone.get("/respond/thanks/").content.decode()
    assert "Ring the crisis line on 0800 000 000 now." in thanks
    assert 'role="alert"' in thanks
    calm = Client()
    calm.get(make_link(client_for("worker"), rid, "exit"))
    calm.post("/respond/", answers(self_harm=0))
    assert "crisis line" not in calm.get("/respond/thanks/").content.decode()
    # the worker's alert shows the alert's procedure and what the person was shown
    task = AlertTask.objects.filter(person=world.person_a).latest("created_at")
    page = client_for("worker").get(f"/alerts/{task.pk}/").content.decode()
    assert "Call the person within the hour." in page
    assert "Ring the crisis line on 0800 000 000 now." in page
    assert "Default procedure." not in page
    # an empty per-alert text falls back to the team's defaults
    lead.post(url, {"respondent_default": "Default: ring us on 0100 111 111.",
                    "worker_default": "Default procedure."})
    page = client_for("worker").get(f"/alerts/{task.pk}/").content.decode()
    assert "Default procedure." in page and "ring us on 0100 111 111" in page


def test_risk_text_shown_on_the_next_page_when_endorsed(world: Any, client_for: Any) -> None:
    paged(world.team_a)
    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", {**FORM, "serve_page": "8", "serve_nav": "next", "self_harm": "0"})
    assert 'class="risk-notice"' not in c.get("/tablet/?page=9").content.decode()
    from measurelib.serve.models import AlertTask

    assert not AlertTask.objects.filter(person=world.person_a).exists()
    c.post("/tablet/", {**FORM, "serve_page": "8", "serve_nav": "next", "self_harm": "2"})
    page = c.get("/tablet/?page=9").content.decode()
    assert 'class="risk-notice" role="alert"' in page and "116 123" in page
    # the worker's alert is raised at once, before the form is sent (and only once)
    task = AlertTask.objects.get(person=world.person_a)
    assert task.alert_id == "self_harm_thoughts" and "not yet sent" in task.text
    c.post("/tablet/", {**FORM, "serve_page": "8", "serve_nav": "save", "self_harm": "3"})
    assert AlertTask.objects.filter(person=world.person_a).count() == 1
    # sending the form stores it and raises no second alert; the person still sees the text
    rest = {item: "0" for item in PHQ9[:8]}
    for i, item in enumerate(PHQ9[:8]):
        c.post("/tablet/", {**FORM, "serve_page": str(i), "serve_nav": "next", item: rest[item]})
    r = c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish", "difficulty": "0"})
    assert r["Location"] == "/tablet/done/" and len(stored(world.person_a.respondent_id)) == 1
    assert AlertTask.objects.filter(person=world.person_a).count() == 1
    assert "116 123" in c.get("/tablet/done/").content.decode()


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", '" onfocus="x'])
def test_saved_answers_are_escaped(world: Any, client_for: Any, value: str) -> None:
    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id)
    c.post("/tablet/", {**FORM, "serve_page": "0", "serve_nav": "save", "interest": value})
    page = c.get("/tablet/").content.decode()
    assert value not in page


_VALUE = st.sampled_from(["0", "1", "2", "3", ""])
_STEP = st.tuples(st.integers(0, 9), st.sampled_from(["next", "back", "save"]), _VALUE)


class _Post(dict):  # a QueryDict-like post: getlist
    def getlist(self, key: str) -> list[str]:
        return [self[key]]


@settings(max_examples=300, deadline=None)
@given(st.lists(_STEP, max_size=30))
def test_merge_keeps_the_last_answer_of_each_question(steps: list[Any]) -> None:
    """Whatever the order of pages and buttons, the saved answers are the last given on
    each page (an emptied answer is unanswered), and nothing but the measure's columns."""
    from measurelib.serve import _library, _pages

    measure = _library.load_measure("phq-9")
    plan = _pages.pages(measure, "question")
    saved: dict[str, list[str]] = {}
    model: dict[str, str] = {}
    for index, _nav, value in steps:
        name = PHQ9[index] if index < 9 else "difficulty"
        post = _Post({**FORM, "serve_page": str(index), name: value, "respondent_id": "X"})
        saved = _pages.merge(measure, saved, post, plan[index])
        if value:
            model[name] = value
        else:
            model.pop(name, None)
    assert saved == {k: [v] for k, v in model.items()}


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_STEP, min_size=1, max_size=6), st.lists(_VALUE, min_size=10, max_size=10))
def test_any_path_through_the_pages_stores_once(world: Any, client_for: Any, steps: list[Any],
                                                final: list[str]) -> None:
    """Any sequence of page posts, then the remaining answers and Send: one administration
    with the last answer given to each question; sending again stores nothing more."""
    from measurelib.serve.models import Episode, Person

    paged(world.team_a)
    person = Person.objects.create(team=world.team_a, respondent_id=Person.new_id())
    Episode.objects.create(person=person, number="1")
    rid = person.respondent_id
    before = 0
    c = client_for("worker")
    start_tablet(c, rid)
    names = [*PHQ9, "difficulty"]
    model: dict[str, str] = {}
    for index, nav, value in steps:
        c.post("/tablet/", {**FORM, "serve_page": str(index), "serve_nav": nav,
                            names[index]: value})
        if c.session.get("serve_tablet") is None:
            break
        model[names[index]] = value
    for index, value in enumerate(final):
        if names[index] not in model or not model[names[index]]:
            model[names[index]] = value
            c.post("/tablet/", {**FORM, "serve_page": str(index), "serve_nav": "next",
                                names[index]: value})
    r = c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish",
                            "difficulty": model["difficulty"]})
    assert r.status_code == 302 and r["Location"] == "/tablet/done/"
    c.post("/tablet/", {**FORM, "serve_page": "9", "serve_nav": "finish"})
    rows = stored(rid)
    assert len(rows) == before + 1
    import json

    answers_stored = json.loads(rows.iloc[-1]["responses"])
    for name in names:
        expected = int(model[name]) if model.get(name) else None
        assert answers_stored.get(name) == expected, name


def test_a_form_the_store_refuses_keeps_its_answers(world: Any, client_for: Any) -> None:
    """A timepoint the team's schedule does not declare: a 400 page saying so, the answers
    kept as partial, nothing stored, and no server error."""
    from measurelib.serve.models import Collection

    c = client_for("worker")
    start_tablet(c, world.person_a.respondent_id, "week-3")
    r = c.post("/tablet/", {**answers(), "serve_page": "0", "serve_nav": "finish"})
    assert r.status_code == 400
    text = r.content.decode()
    assert "week-3" in text and "Your answers are kept" in text
    collection = Collection.objects.get(person=world.person_a)
    assert collection.partial and collection.used_at is None and collection.n_answered == 9
    assert stored(world.person_a.respondent_id).empty
