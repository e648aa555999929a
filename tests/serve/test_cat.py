"""Adaptive tests (CAT) in the service, on SQLite and PostgreSQL: the one-question-per-page
web form of a link and a tablet, and FHIR SDC's ``Questionnaire/$next-question`` on the
JSON API. The stored score is the engine's final θ and SE on the bank's metric.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import measurelib as ml

MEASURE = "wellbeing-cat"
NEXT = "/api/v1/fhir/Questionnaire/$next-question"
EXT_TIMEPOINT = "https://measurelib.org/fhir/StructureDefinition/timepoint"


@pytest.fixture
def cat_world(world: Any) -> Any:
    from measurelib.serve.models import Team

    Team.objects.filter(pk__in=[world.team_a.pk, world.team_b.pk]).update(
        measures=f"phq-9\n{MEASURE}")
    world.team_a.refresh_from_db()
    return world


def _link(c: Any, rid: str, timepoint: str = "baseline") -> str:
    r = c.post(f"/people/{rid}/collect/", {"measure_id": MEASURE, "timepoint": timepoint,
                                           "episode": "1", "method": "link"})
    assert r.status_code == 200, r.content.decode()[:2000]
    m = re.search(r'value="(http://testserver/r/[A-Za-z0-9_-]+)"', r.content.decode())
    assert m is not None
    return m.group(1).removeprefix("http://testserver")


def _question(page: str) -> tuple[str, list[str]]:
    """The question shown (its item id, which is also its form field) and its options."""
    item = re.search(r'name="cat_item" value="([^"]+)"', page)
    assert item is not None, page[:3000]
    return item.group(1), re.findall(rf'name="{item.group(1)}" value="([^"]+)"', page)


def _answer_all(c: Any, url: str, choose: Any) -> list[tuple[str, str]]:
    """Answer question after question (``choose(item, values)`` picks a value)."""
    given = []
    for _ in range(20):
        r = c.get(url)
        if r.status_code == 302:
            return given
        assert r.status_code == 200
        page = r.content.decode()
        assert "<script" not in page
        item, values = _question(page)
        assert f"Question {len(given) + 1}" in page
        value = choose(item, values)
        r = c.post(url, {"cat_item": item, item: value})
        assert r.status_code == 302
        given.append((item, value))
        if r["Location"] != url:
            return given
    raise AssertionError("the adaptive test did not stop")


def _stored(rid: str) -> Any:
    from measurelib.serve import _library

    sc = _library.store().scores(MEASURE, "wellbeing_t")
    return sc[sc["respondent_id"] == rid]


def _engine_result(admin: Any) -> tuple[float, float, list[str]]:
    state = json.loads(admin.state)["engine"]
    return 50 + 10 * state["theta"], 10 * state["se"], state["administered"]


def test_link_is_adaptive_and_stores_the_final_theta_and_se(cat_world: Any,
                                                            client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import CatAdministration, Collection

    rid = cat_world.person_a.respondent_id
    url = _link(client_for("worker"), rid)
    respondent = Client()
    assert respondent.get(url).status_code == 302
    given = _answer_all(respondent, "/respond/", lambda item, values: values[len(values) // 2])
    assert 4 <= len(given) <= 12
    assert len({item for item, _ in given}) == len(given)
    assert respondent.get("/respond/thanks/").status_code == 200
    coll = Collection.objects.get(person=cat_world.person_a, measure_id=MEASURE)
    assert coll.state == "completed"
    admin = CatAdministration.objects.get(collection=coll)
    assert admin.finished_at is not None
    theta_t, se_t, administered = _engine_result(admin)
    assert administered == [item for item, _ in given]
    # the PROMIS rule: SE below 0.3 SD (3 T points) unless 12 questions were asked
    assert se_t < 3.0 or len(given) == 12
    stored = _stored(rid)
    assert len(stored) == 1
    assert stored["value"].iloc[0] == pytest.approx(theta_t, abs=1e-9)
    assert stored["se"].iloc[0] == pytest.approx(se_t, abs=1e-9)
    # only the questions asked are stored as answered
    from measurelib.serve import _library

    adm = _library.store().administrations(MEASURE)
    answers = json.loads(adm[adm["respondent_id"] == rid]["responses"].iloc[0])
    assert {k for k, v in answers.items() if v is not None} == set(administered)
    # and scoring those answers again gives the same score
    again = ml.load(MEASURE).score([{k: v for k, v in answers.items()}]).scores
    assert again["wellbeing_t"].iloc[0] == pytest.approx(theta_t, abs=1e-9)


def test_resume_stale_posts_and_bad_answers(cat_world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import CatAdministration

    rid = cat_world.person_a.respondent_id
    url = _link(client_for("worker"), rid, "review")
    first = Client()
    first.get(url)
    item1, values = _question(first.get("/respond/").content.decode())
    # no answer, or one that is not an option: the same question again, with the error
    for bad in ({"cat_item": item1}, {"cat_item": item1, item1: "99"}):
        r = first.post("/respond/", bad)
        assert r.status_code == 400
        page = r.content.decode()
        assert 'role="alert"' in page and "Choose one of the answers" in page
        assert _question(page)[0] == item1
    assert first.post("/respond/", {"cat_item": item1, item1: values[0]}).status_code == 302
    # the same page posted again (browser history): nothing is answered twice
    r = first.post("/respond/", {"cat_item": item1, item1: values[-1]})
    assert r.status_code == 302
    admin = CatAdministration.objects.get(collection__person=cat_world.person_a,
                                          collection__timepoint="review")
    assert json.loads(admin.state)["answers"] == {item1: float(values[0])}
    item2, _ = _question(first.get("/respond/").content.decode())
    assert item2 != item1
    # the link opened again (another device, or after a restart): the test goes on
    second = Client()
    assert second.get(url).status_code == 302
    page = second.get("/respond/").content.decode()
    assert _question(page)[0] == item2 and "Question 2" in page
    assert _stored(rid).empty


def test_tablet_handover_is_adaptive(cat_world: Any, client_for: Any) -> None:
    c = client_for("worker")
    rid = cat_world.person_a.respondent_id
    r = c.post(f"/people/{rid}/collect/", {"measure_id": MEASURE, "timepoint": "exit",
                                           "episode": "1", "method": "tablet"})
    assert r.status_code == 302
    given = _answer_all(c, "/tablet/", lambda item, values: values[0])
    assert 4 <= len(given) <= 12
    assert c.get("/tablet/done/").status_code == 200
    stored = _stored(rid)
    assert list(stored["timepoint"]) == ["exit"]
    # all answers at the lowest option: a low T score
    assert stored["value"].iloc[0] < 35


# ---------------------------------------------------------------- FHIR $next-question
@pytest.fixture
def token(cat_world: Any) -> Any:
    from measurelib.serve.models import ApiClient, new_token

    def make(scopes: str = "measures:read responses:write scores:read",
             team: Any = None) -> str:
        raw, digest = new_token()
        ApiClient.objects.create(name=f"client-{digest[:8]}", team=team or cat_world.team_a,
                                 token_hash=digest, scopes=scopes)
        return raw

    return make


def _next(c: Any, raw: str, body: Any) -> Any:
    return c.post(NEXT, json.dumps(body), content_type="application/fhir+json",
                  HTTP_AUTHORIZATION=f"Bearer {raw}")


def _start(rid: str, timepoint: str = "baseline") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse",
            "questionnaire": f"https://measurelib.org/fhir/Questionnaire/{MEASURE}|1.0.0",
            "status": "in-progress", "subject": {"reference": f"Patient/{rid}"},
            "extension": [{"url": EXT_TIMEPOINT, "valueString": timepoint}]}


def _with_answer(qr: dict[str, Any], choose: Any) -> dict[str, Any]:
    """The filler's step: answer the last question of the contained Questionnaire."""
    question = qr["contained"][0]["item"][-1]
    option = choose(question["answerOption"])
    out = json.loads(json.dumps(qr))
    out["item"].append({"linkId": question["linkId"],
                        "answer": [{"valueCoding": option["valueCoding"]}]})
    return out


def test_next_question_drives_a_test_to_its_score(cat_world: Any, token: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import CatAdministration

    raw = token()
    c = Client()
    rid = cat_world.person_a.respondent_id
    # as a Parameters resource, the operation's formal input
    r = _next(c, raw, {"resourceType": "Parameters", "parameter": [
        {"name": "questionnaire-response", "resource": _start(rid)}]})
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/fhir+json")
    qr = r.json()
    assert qr["status"] == "in-progress" and qr["id"]
    q = qr["contained"][0]
    assert qr["questionnaire"] == "#" + q["id"]
    assert {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
                   "sdc-questionnaire-questionnaireAdaptive", "valueBoolean": True} \
        in q["extension"]
    assert len(q["item"]) == 1 and qr["item"] == []
    # the same request again (a retry) changes nothing
    again = _next(c, raw, qr).json()
    assert again["contained"][0]["item"] == q["item"]
    steps = 0
    while qr["status"] != "completed":
        qr_next = _next(c, raw, _with_answer(qr, lambda opts: opts[-1]))
        assert qr_next.status_code == 200, qr_next.content
        qr = qr_next.json()
        steps += 1
        assert steps <= 12
    assert 4 <= steps <= 12
    links = [it["linkId"] for it in qr["contained"][0]["item"]]
    assert links[-2:] == ["wellbeing_t", "wellbeing_t_se"]
    answers = {it["linkId"]: it["answer"][0] for it in qr["item"]}
    admin = CatAdministration.objects.get(reference=qr["id"])
    theta_t, se_t, administered = _engine_result(admin)
    assert links[:-2] == administered
    assert answers["wellbeing_t"]["valueDecimal"] == pytest.approx(theta_t, abs=1e-6)
    assert answers["wellbeing_t_se"]["valueDecimal"] == pytest.approx(se_t, abs=1e-6)
    assert theta_t > 60  # every answer at the top
    stored = _stored(rid)
    assert len(stored) == 1
    assert stored["value"].iloc[0] == pytest.approx(theta_t, abs=1e-9)
    assert stored["se"].iloc[0] == pytest.approx(se_t, abs=1e-9)
    # a completed test answers with its result and stores nothing more
    done = _next(c, raw, qr)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert len(_stored(rid)) == 1


def test_next_question_refuses(cat_world: Any, token: Any) -> None:
    from django.test import Client

    c = Client()
    raw = token()
    rid = cat_world.person_a.respondent_id

    def outcome(r: Any, status: int, text: str) -> None:
        assert r.status_code == status, r.content
        body = r.json()
        assert body["resourceType"] == "OperationOutcome"
        assert text in body["issue"][0]["diagnostics"]

    assert _next(c, token("measures:read"), _start(rid)).status_code == 403
    assert c.post(NEXT, "{}", content_type="application/json").status_code == 401
    outcome(_next(c, raw, {"resourceType": "Patient"}), 400, "QuestionnaireResponse")
    outcome(_next(c, raw, _start(cat_world.person_b.respondent_id)), 404, "no such person")
    phq = _start(rid)
    phq["questionnaire"] = "https://measurelib.org/fhir/Questionnaire/phq-9"
    outcome(_next(c, raw, phq), 400, "not an adaptive questionnaire")
    no_tp = _start(rid)
    no_tp.pop("extension")
    outcome(_next(c, raw, no_tp), 400, "timepoint")
    qr = _next(c, raw, _start(rid)).json()
    # another client cannot continue this test
    outcome(_next(c, token(), qr), 404, "no adaptive test")
    # answering a question that was not asked
    other = next(i for i in ml.load(MEASURE).items
                 if i.id != qr["contained"][0]["item"][-1]["linkId"])
    wrong = json.loads(json.dumps(qr))
    wrong["item"].append({"linkId": other.id, "answer": [{"valueInteger": 1}]})
    outcome(_next(c, raw, wrong), 400, "only the question last returned")
    # changing an answer already given
    step = _next(c, raw, _with_answer(qr, lambda opts: opts[0])).json()
    changed = json.loads(json.dumps(step))
    changed["item"][0]["answer"] = [{"valueCoding": qr["contained"][0]["item"][-1][
        "answerOption"][-1]["valueCoding"]}]
    outcome(_next(c, raw, changed), 400, "cannot change")
    # a value that is not one of the options
    bad = json.loads(json.dumps(step))
    bad["item"].append({"linkId": step["contained"][0]["item"][-1]["linkId"],
                        "answer": [{"valueInteger": 42}]})
    outcome(_next(c, raw, bad), 400, "Choose one of the answers")
    assert _stored(rid).empty


# ---------------------------------------------------------------- the question page
def _with(monkeypatch: Any, change: Any) -> Any:
    """wellbeing-cat as the service loads it, changed by ``change(measure)``."""
    from measurelib.serve import _library

    original = _library.load_measure
    changed = change(original(MEASURE))
    monkeypatch.setattr(_library, "load_measure",
                        lambda mid: changed if mid == MEASURE else original(mid))
    return changed


def _items(measure: Any, update: Any) -> Any:
    return measure.model_copy(update={"items": [update(it) for it in measure.items]})


def test_question_page_is_the_forms_own_question(cat_world: Any, client_for: Any) -> None:
    from django.test import Client

    rid = cat_world.person_a.respondent_id
    respondent = Client()
    respondent.get(_link(client_for("worker"), rid))
    r = respondent.get("/respond/")
    page = r.content.decode()
    item, values = _question(page)
    measure = ml.load(MEASURE)
    # the measure's web form with only this question: its fieldset, options and pictures
    assert f'<fieldset class="item item-choice" id="item-{item}"' in page
    assert page.count('<fieldset class="item') == 1
    assert "Question 1." in page and "<title>Wellbeing (adaptive): question 1</title>" in page
    scale = measure.scale_of(item)
    pictures = [o.alt for o in scale.options if o.graphic]
    for alt in pictures:
        assert f'alt="{alt}"' in page and 'src="data:image/' in page
    assert values == [str(o.value) for o in scale.options]
    assert "<script" not in page and "script-src 'none'" in r["Content-Security-Policy"]
    # Next, and Skip (the items are not required); no other button
    assert re.findall(r'<button type="submit" name="serve_nav" value="(\w+)"', page) == [
        "next", "skip"]
    assert "Skip this question" in page and "Each question is chosen" in page


def test_skipping_a_question(cat_world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import CatAdministration

    rid = cat_world.person_a.respondent_id
    respondent = Client()
    respondent.get(_link(client_for("worker"), rid))
    first, values = _question(respondent.get("/respond/").content.decode())
    r = respondent.post("/respond/", {"cat_item": first, "serve_nav": "skip"})
    assert r.status_code == 302
    page = respondent.get("/respond/").content.decode()
    second, _ = _question(page)
    assert second != first and "Question 2." in page  # skipped questions are counted
    admin = CatAdministration.objects.get(collection__person=cat_world.person_a)
    state = json.loads(admin.state)
    assert state["skipped"] == {first: None} and state["engine"]["skipped"] == [first]
    assert state["engine"]["theta"] == pytest.approx(0.0, abs=1e-12)  # the prior mean
    # skip posted again from the browser's history: nothing more is skipped
    assert respondent.post("/respond/", {"cat_item": first, "serve_nav": "skip"}).status_code \
        == 302
    assert json.loads(CatAdministration.objects.get(pk=admin.pk).state)["skipped"] == {
        first: None}
    given = _answer_all_from(respondent, 2)
    # stored: the skipped question unanswered, the score the engine's
    theta_t, se_t, administered = _engine_result(CatAdministration.objects.get(pk=admin.pk))
    assert first not in administered and len(administered) == len(given)
    stored = _stored(rid)
    assert stored["value"].iloc[0] == pytest.approx(theta_t, abs=1e-9)
    assert stored["se"].iloc[0] == pytest.approx(se_t, abs=1e-9)
    from measurelib.serve import _library

    adm = _library.store().administrations(MEASURE)
    answers = json.loads(adm[adm["respondent_id"] == rid]["responses"].iloc[0])
    assert answers.get(first) is None


def _answer_all_from(c: Any, number: int) -> list[tuple[str, str]]:
    given = []
    for _ in range(20):
        r = c.get("/respond/")
        if r.status_code == 302:
            return given
        page = r.content.decode()
        item, values = _question(page)
        assert f"Question {number + len(given)}." in page
        r = c.post("/respond/", {"cat_item": item, item: values[2]})
        assert r.status_code == 302
        given.append((item, values[2]))
        if r["Location"] != "/respond/":
            return given
    raise AssertionError("the adaptive test did not stop")


def test_required_items_cannot_be_skipped(cat_world: Any, client_for: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import Client

    _with(monkeypatch, lambda m: _items(m, lambda it: it.model_copy(update={"required": True})))
    respondent = Client()
    respondent.get(_link(client_for("worker"), cat_world.person_a.respondent_id))
    page = respondent.get("/respond/").content.decode()
    item, _ = _question(page)
    assert "Skip this question" not in page
    r = respondent.post("/respond/", {"cat_item": item, "serve_nav": "skip"})
    assert r.status_code == 400 and "Choose one of the answers" in r.content.decode()
    assert _question(r.content.decode())[0] == item


def test_easy_read_wording_and_a_prefer_not_to_say_option(
        cat_world: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import Client

    from measurelib.serve.models import CatAdministration

    def change(m: Any) -> Any:
        m = _items(m, lambda it: it.model_copy(update={"variants": {
            **it.variants, "easy_read": f"Easy words: {m.text(it.text)}"}}))
        scales = {}
        for sid, sc in m.scales.items():
            opts = list(getattr(sc, "options", []))
            if opts:
                extra = opts[-1].model_copy(update={"value": 9, "label": "Prefer not to say",
                                                    "missing": True, "graphic": None,
                                                    "alt": None})
                sc = sc.model_copy(update={"options": [*opts, extra]})
            scales[sid] = sc
        return m.model_copy(update={"scales": scales})

    _with(monkeypatch, change)
    c = client_for("worker")
    rid = cat_world.person_a.respondent_id
    r = c.post(f"/people/{rid}/collect/", {"measure_id": MEASURE, "timepoint": "baseline",
                                           "episode": "1", "method": "link",
                                           "variant": "easy_read"})
    m = re.search(r'value="http://testserver(/r/[A-Za-z0-9_-]+)"', r.content.decode())
    assert m is not None, r.content.decode()[:2000]
    respondent = Client()
    respondent.get(m.group(1))
    page = respondent.get("/respond/").content.decode()
    item, values = _question(page)
    assert "Easy words: " in page and '<body class="screen easy-read">' in page
    assert values[-1] == "9" and "Prefer not to say" in page
    # "prefer not to say" is a skip: shown, not in the likelihood, kept as the form keeps it
    assert respondent.post("/respond/", {"cat_item": item, item: "9"}).status_code == 302
    admin = CatAdministration.objects.get(collection__person=cat_world.person_a)
    state = json.loads(admin.state)
    assert state["skipped"] == {item: 9.0}
    assert state["engine"]["theta"] == pytest.approx(0.0, abs=1e-12)
    assert "Question 2." in respondent.get("/respond/").content.decode()


def test_fhir_answers_to_skipped_questions_cannot_change(cat_world: Any) -> None:
    from measurelib.serve import _cat

    measure = ml.load(MEASURE)
    rule = _cat.adaptive_rule(measure)
    test = _cat._Test(_cat._session(measure, rule, seed=1))
    first = test.session.next_item()
    test.skip(first, 9.0)  # as if "prefer not to say" (value 9) had been chosen
    second = test.session.next_item()
    # the skip sent again, as given, with the answer to the question now asked: taken
    assert _cat._take_answers(measure, test, {first: 9.0, second: 3.0}) is None
    assert test.answers == {second: 3.0}
    # the skipped question answered later: refused
    problem = _cat._take_answers(measure, test, {first: 2.0})
    assert problem is not None and "already skipped" in problem


def test_next_question_skip_by_an_item_with_no_answer(cat_world: Any, token: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """SDC's way of leaving a question unanswered: the question sent back with no answer.
    It is skipped (shown, not in the likelihood), kept in place in the returned response,
    and refused for an item the measure requires."""
    from django.test import Client

    from measurelib.serve.models import CatAdministration

    c, raw = Client(), token()
    rid = cat_world.person_a.respondent_id
    qr = _next(c, raw, _start(rid)).json()
    first = qr["contained"][0]["item"][-1]["linkId"]
    body = json.loads(json.dumps(qr))
    body["item"].append({"linkId": first})  # shown, not answered
    qr = _next(c, raw, body).json()
    assert qr["item"] == [{"linkId": first, "text": qr["contained"][0]["item"][0]["text"]}]
    assert qr["contained"][0]["item"][0]["linkId"] == first
    assert qr["contained"][0]["item"][-1]["linkId"] != first  # the next question
    admin = CatAdministration.objects.get(reference=qr["id"])
    state = json.loads(admin.state)
    assert state["engine"]["skipped"] == [first] and state["order"] == [first]
    # the skip sent again with the next answer: taken once, in the order shown
    while qr["status"] != "completed":
        qr = _next(c, raw, _with_answer(qr, lambda opts: opts[0])).json()
    assert [it["linkId"] for it in qr["item"]][0] == first and "answer" not in qr["item"][0]
    stored = _stored(rid)
    assert len(stored) == 1

    # an item the measure requires cannot be skipped this way
    _with(monkeypatch, lambda m: _items(m, lambda it: it.model_copy(update={"required": True})))
    qr = _next(c, raw, _start(rid, "exit")).json()
    body = json.loads(json.dumps(qr))
    body["item"].append({"linkId": body["contained"][0]["item"][-1]["linkId"], "answer": []})
    r = _next(c, raw, body)
    assert r.status_code == 400 and "must be answered" in r.content.decode()
