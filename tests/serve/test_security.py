"""Security tests of the service, on SQLite and PostgreSQL: the authorisation matrix (every
route x every role, plus a worker of another team), CSRF, session fixation and expiry,
login lock-out, cookie flags and headers, XSS in free-text fields, IDOR on every id in a
URL, single-use set-up links and the second factor."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PASSWORD  # noqa: E402

STAFF = ("administrator", "lead", "worker", "viewer", "other_worker")
PEOPLE = {"administrator", "lead", "worker"}
ALL = set(STAFF)


@dataclass
class Route:
    name: str
    method: str
    path: Callable[[Any], str]
    allowed: set[str]              # roles that may use it (for person_a / team A objects)
    public: bool = False           # anyone, logged in or not
    data: Callable[[Any], dict[str, Any]] | None = None


def _objects(world: Any) -> Any:
    """An alert, a link and the worker's staff profile, for routes that take their ids."""
    from django.utils import timezone

    from measurelib.serve.models import (
        AlertTask,
        Collection,
        PaperEntry,
        PrintedForm,
        hash_token,
    )

    if "alert" not in world.extra:
        world.extra["alert"] = AlertTask.objects.create(
            person=world.person_a, team=world.team_a, responsible=world.users["worker"],
            measure_id="phq-9", timepoint="baseline", alert_id="self_harm_thoughts",
            severity="urgent", text="Item 9 answered above 'Not at all'.")
        world.extra["link"] = Collection.objects.create(
            kind="link", person=world.person_a, measure_id="phq-9", timepoint="baseline",
            token_hash=hash_token(f"t-{world.tag}"), created_by=world.users["worker"],
            expires_at=timezone.now() + dt.timedelta(days=1))
        world.extra["paper"] = PaperEntry.objects.create(
            person=world.person_a, measure_id="phq-9", timepoint="baseline",
            completed_on=dt.date(2026, 11, 1))
        world.extra["telephone"] = PaperEntry.objects.create(
            person=world.person_a, measure_id="phq-9", timepoint="review", mode="telephone",
            completed_on=dt.date(2026, 11, 2))
        world.extra["printed"] = PrintedForm.objects.create(
            code=PrintedForm.new_code(), person=world.person_a, measure_id="phq-9",
            timepoint="review", created_by=world.users["worker"])
    return world.extra


def _composed(world: Any) -> Any:
    """A composer draft and a published version of team A (for the composer's routes)."""
    from measurelib.serve import _composer_lib
    from measurelib.serve.models import ComposerDraft, PublishedMeasure

    if "draft" not in world.extra:
        mid = f"sec-{world.tag}"
        text = _composer_lib.edit(_composer_lib.new_text(mid, "Security check", "Us"), "pick",
                                  {"picks": {"wellbeing-bank@1.0.0": ["feeling_today"]}})
        built = _composer_lib.check(text).built
        world.extra["draft"] = ComposerDraft.objects.create(team=world.team_a, measure_id=mid,
                                                            text=text)
        world.extra["published"] = PublishedMeasure.objects.create(
            team=world.team_a, measure_id=mid, version="1.0.0", title="Security check",
            composer=text, built=built.to_yaml(), sha256=built.lock.sha256)
    return world.extra


def _own(w: Any) -> str:
    """Team A's own published measure, in its measures (for the assessment report)."""
    from measurelib.serve.models import Team

    mid = str(_composed(w)["published"].measure_id)
    if mid not in w.team_a.measure_ids():
        Team.objects.filter(pk=w.team_a.pk).update(measures=f"phq-9\ngad-7\n{mid}")
        w.team_a.refresh_from_db()
    return mid


def _pa(w: Any) -> str:
    return str(w.person_a.respondent_id)


ROUTES = [
    Route("dashboard", "GET", lambda w: "/", ALL),
    Route("login", "GET", lambda w: "/login/", ALL, public=True),
    Route("logout", "POST", lambda w: "/logout/", ALL, public=True),
    Route("otp_verify", "GET", lambda w: "/otp/", ALL),
    Route("setup", "GET", lambda w: "/setup/not-a-token/", set()),
    Route("stylesheet", "GET", lambda w: "/static/serve.css", ALL, public=True),
    Route("people", "GET", lambda w: "/people/", PEOPLE | {"other_worker"}),
    Route("person_new", "GET", lambda w: "/people/new/", PEOPLE | {"other_worker"}),
    Route("person", "GET", lambda w: f"/people/{_pa(w)}/", PEOPLE),
    Route("person_edit", "GET", lambda w: f"/people/{_pa(w)}/edit/", PEOPLE),
    Route("person_export", "GET", lambda w: f"/people/{_pa(w)}/export/", {"administrator"}),
    Route("person_erase_contact", "POST", lambda w: f"/people/{_pa(w)}/erase-contact/",
          {"administrator"}),
    Route("person_erase", "GET", lambda w: f"/people/{_pa(w)}/erase/", {"administrator"}),
    Route("episode_open", "POST", lambda w: f"/people/{_pa(w)}/episodes/", PEOPLE,
          data=lambda w: {"opened_on": "2026-02-01"}),
    Route("episode_close", "POST", lambda w: f"/people/{_pa(w)}/episodes/1/close/", PEOPLE,
          data=lambda w: {"closed_on": "2026-12-01"}),
    Route("collect", "POST", lambda w: f"/people/{_pa(w)}/collect/", PEOPLE,
          data=lambda w: {"measure_id": "phq-9", "timepoint": "baseline", "episode": "1",
                          "method": "link"}),
    Route("paper_start", "POST", lambda w: f"/people/{_pa(w)}/paper/", PEOPLE,
          data=lambda w: {"measure_id": "phq-9", "timepoint": "baseline", "episode": "1",
                          "completed_on": "2026-11-01"}),
    Route("script", "GET", lambda w: f"/people/{_pa(w)}/script/phq-9/", PEOPLE),
    Route("telephone_start", "POST", lambda w: f"/people/{_pa(w)}/telephone/", PEOPLE,
          data=lambda w: {"measure_id": "phq-9", "timepoint": "review", "episode": "1",
                          "completed_on": "2026-11-01"}),
    Route("telephone_key", "GET", lambda w: f"/telephone/{_objects(w)['telephone'].pk}/",
          PEOPLE),
    Route("print", "GET", lambda w: f"/people/{_pa(w)}/print/phq-9/", PEOPLE),
    Route("print_start", "POST", lambda w: f"/people/{_pa(w)}/printed/", PEOPLE,
          data=lambda w: {"measure_id": "phq-9", "timepoint": "review", "episode": "1",
                          "fmt": "html"}),
    Route("printed", "GET", lambda w: f"/paper/printed/{_objects(w)['printed'].code}.html",
          PEOPLE),
    Route("paper_find", "GET", lambda w: "/paper/code/", PEOPLE | {"other_worker"}),
    Route("paper_code", "GET", lambda w: f"/paper/code/{_objects(w)['printed'].code}/",
          PEOPLE),
    Route("risk_texts", "GET", lambda w: f"/manage/teams/{w.team_a.pk}/risk/",
          {"administrator", "lead"}),
    Route("paper_key", "GET", lambda w: f"/paper/{_objects(w)['paper'].pk}/", PEOPLE),
    Route("paper_reconcile", "GET", lambda w: f"/paper/{_objects(w)['paper'].pk}/reconcile/",
          PEOPLE),
    Route("link_revoke", "POST", lambda w: f"/links/{_objects(w)['link'].pk}/withdraw/", PEOPLE),
    Route("link_send", "POST", lambda w: f"/links/{_objects(w)['link'].pk}/send/", PEOPLE,
          data=lambda w: {"token": f"t-{w.tag}", "channel": "email"}),
    Route("alert", "GET", lambda w: f"/alerts/{_objects(w)['alert'].pk}/", PEOPLE),
    Route("due", "GET", lambda w: "/due/", PEOPLE | {"other_worker"}),
    Route("due_record", "POST", lambda w: "/due/record/", PEOPLE,
          data=lambda w: {"respondent_id": _pa(w), "episode": "1", "measure_id": "phq-9",
                          "timepoint": "baseline", "status": "declined", "reason": "busy"}),
    Route("reports", "GET", lambda w: "/reports/", {"administrator", "lead", "viewer"}),
    Route("scores_export", "GET", lambda w: f"/reports/{w.team_a.pk}/phq-9.csv",
          {"administrator", "lead"}),
    Route("impact", "GET", lambda w: f"/reports/{w.team_a.pk}/phq-9/impact.html",
          {"administrator", "lead", "viewer"}),
    Route("feedback", "GET", lambda w: f"/people/{_pa(w)}/feedback/phq-9/", PEOPLE),
    Route("assessment", "GET",
          lambda w: f"/reports/{w.team_a.pk}/{_own(w)}/assessment.html",
          {"administrator", "lead"}),
    Route("fhir_export", "GET",
          lambda w: f"/reports/{w.team_a.pk}/phq-9/fhir/QuestionnaireResponse.json",
          {"administrator", "lead"}),
    Route("account", "GET", lambda w: "/account/", ALL),
    Route("totp_setup", "GET", lambda w: "/account/second-factor/", ALL),
    Route("manage_staff", "GET", lambda w: "/manage/staff/", {"administrator"}),
    Route("manage_staff_edit", "GET",
          lambda w: f"/manage/staff/{w.users['worker'].staff.pk}/", {"administrator"}),
    Route("manage_teams", "GET", lambda w: "/manage/teams/", {"administrator", "lead"}),
    Route("manage_team_edit", "GET", lambda w: f"/manage/teams/{w.team_a.pk}/",
          {"administrator", "lead"}),
    Route("audit_log", "GET", lambda w: "/manage/audit/", {"administrator"}),
    Route("manage_api_clients", "GET", lambda w: "/manage/api-clients/", {"administrator"}),
    Route("api_client_revoke", "POST", lambda w: "/manage/api-clients/999999/withdraw/",
          {"administrator"}),
    Route("composer_index", "GET", lambda w: "/measures/compose/", {"administrator", "lead"}),
    Route("composer_draft", "GET", lambda w: f"/measures/compose/{_composed(w)['draft'].pk}/",
          {"administrator", "lead"}),
    Route("composer_download", "GET",
          lambda w: f"/measures/compose/{_composed(w)['draft'].pk}/composer.yaml",
          {"administrator", "lead"}),
    Route("composer_preview", "GET",
          lambda w: f"/measures/compose/{_composed(w)['draft'].pk}/preview/web/",
          {"administrator", "lead"}),
    Route("composer_published", "GET",
          lambda w: f"/measures/published/{_composed(w)['published'].pk}.yaml",
          {"administrator", "lead"}),
    # the API takes bearer tokens, never the session: everyone here is refused (401)
    Route("api_openapi", "GET", lambda w: "/api/v1/openapi.json", ALL, public=True),
    Route("api_measures", "GET", lambda w: "/api/v1/measures", set()),
    Route("api_fhir", "GET", lambda w: "/api/v1/measures/phq-9/fhir", set()),
    Route("api_responses", "POST", lambda w: "/api/v1/responses", set()),
    Route("api_fhir_response", "POST", lambda w: "/api/v1/fhir/QuestionnaireResponse", set()),
    Route("api_fhir_observations", "GET", lambda w: "/api/v1/fhir/Observation?measure=phq-9",
          set()),
    Route("api_scores", "GET", lambda w: f"/api/v1/people/{_pa(w)}/scores", set()),
    Route("api_next_question", "POST", lambda w: "/api/v1/fhir/Questionnaire/$next-question",
          set()),
    Route("open_link", "GET", lambda w: "/r/" + "x" * 43, set()),
    Route("respond", "GET", lambda w: "/respond/", set()),
    Route("respond_thanks", "GET", lambda w: "/respond/thanks/", ALL, public=True),
    Route("respond_saved", "GET", lambda w: "/respond/saved/", set()),
    Route("respond_feedback", "GET", lambda w: "/respond/feedback/", set()),
    Route("tablet_form", "GET", lambda w: "/tablet/", set()),
    Route("tablet_saved", "GET", lambda w: "/tablet/saved/", set()),
    Route("tablet_feedback", "GET", lambda w: "/tablet/feedback/", set()),
    Route("tablet_done", "GET", lambda w: "/tablet/done/", set()),
    Route("tablet_unlock", "GET", lambda w: "/tablet/unlock/", set()),
]


def test_matrix_covers_every_route() -> None:
    from measurelib.serve.urls import urlpatterns

    names = {p.name for p in urlpatterns}
    assert names == {r.name for r in ROUTES}


@pytest.mark.parametrize("role", [None, *STAFF], ids=["anonymous", *STAFF])
def test_authorisation_matrix(world: Any, client_for: Any, role: str | None) -> None:
    """No role reaches a page it should not: anonymous users go to the login page, wrong
    roles get 403, people and objects of another team get 404 — never 200."""
    unexpected = []
    for route in ROUTES:
        c = client_for(role)
        path = route.path(world)
        data = route.data(world) if route.data else {}
        r = c.get(path) if route.method == "GET" else c.post(path, data)
        allowed = route.public or (role is not None and role in route.allowed)
        if route.name == "api_client_revoke" and allowed:
            ok = r.status_code == 404  # no such client
        elif route.name == "link_send" and allowed:
            ok = r.status_code in (400, 410)  # no address / withdrawn above: nothing sent
        elif route.name in ("api_measures", "api_fhir", "api_responses", "api_scores",
                            "api_fhir_response", "api_next_question",
                            "api_fhir_observations"):
            ok = r.status_code == 401
        elif allowed:
            ok = r.status_code in (200, 302) and not (
                r.status_code == 302 and "/login/" in r["Location"] and role is not None
                and route.name != "logout")
        elif role is None:
            ok = r.status_code in (302, 404, 410) and (
                r.status_code != 302 or "/login/" in r["Location"]
                or route.name.startswith("tablet"))
        else:
            ok = r.status_code in (403, 404, 410) or (
                r.status_code == 302 and route.name.startswith("tablet"))
        if not ok:
            unexpected.append(f"{route.method} {path} as {role}: {r.status_code}")
    assert not unexpected, "\n".join(unexpected)


def test_other_team_sees_nothing_of_team_a(world: Any, client_for: Any) -> None:
    c = client_for("other_worker")
    rid = world.person_a.respondent_id
    for path in ("/people/", f"/people/?q={rid[:4]}", "/due/", "/"):
        assert rid not in c.get(path).content.decode()
    assert world.person_b.respondent_id in c.get("/people/").content.decode()


def test_viewer_sees_no_person(world: Any, client_for: Any) -> None:
    c = client_for("viewer")
    for path in ("/", "/reports/", "/people/", "/due/"):
        page = c.get(path, follow=True).content.decode()
        assert world.person_a.respondent_id not in page


def test_idor_on_every_id(world: Any, client_for: Any) -> None:
    """Ids of another team's objects in every URL position: 404, and nothing changes."""
    from measurelib.serve.models import Collection, Episode

    objs = _objects(world)
    c = client_for("other_worker")
    rid = world.person_a.respondent_id
    for path in (f"/people/{rid}/", f"/people/{rid}/edit/", f"/alerts/{objs['alert'].pk}/",
                 f"/paper/{objs['paper'].pk}/", f"/paper/{objs['paper'].pk}/reconcile/",
                 f"/telephone/{objs['telephone'].pk}/",
                 f"/people/{rid}/script/phq-9/", f"/people/{rid}/print/phq-9/",
                 f"/people/{rid}/feedback/phq-9/", f"/paper/code/{objs['printed'].code}/",
                 f"/paper/printed/{objs['printed'].code}.pdf",
                 f"/paper/code/?code={objs['printed'].code}",
                 f"/manage/teams/{world.team_a.pk}/risk/",
                 f"/reports/{world.team_a.pk}/phq-9/fhir/QuestionnaireResponse.json",
                 f"/reports/{world.team_a.pk}/phq-9/fhir/Observation.json",
                 f"/reports/{world.team_a.pk}/{_own(world)}/assessment.pdf"):
        assert c.get(path).status_code in (403, 404), path
    posts = {
        f"/people/{rid}/edit/": {"consent": "withdrawn"},
        f"/people/{rid}/episodes/": {"opened_on": "2026-02-01"},
        f"/people/{rid}/episodes/1/close/": {"closed_on": "2026-03-01"},
        f"/people/{rid}/collect/": {"measure_id": "phq-9", "timepoint": "baseline",
                                    "episode": "1", "method": "link"},
        f"/links/{objs['link'].pk}/withdraw/": {},
        f"/alerts/{objs['alert'].pk}/": {"action_taken": "closed by someone else"},
        f"/people/{rid}/paper/": {"measure_id": "phq-9", "timepoint": "baseline",
                                  "episode": "1", "completed_on": "2026-11-01"},
        f"/paper/{objs['paper'].pk}/": {"measure_id": "phq-9", "interest": "1"},
        f"/people/{rid}/telephone/": {"measure_id": "phq-9", "timepoint": "review",
                                      "episode": "1", "completed_on": "2026-11-01"},
        f"/telephone/{objs['telephone'].pk}/": {"measure_id": "phq-9", "interest": "1"},
        "/due/record/": {"respondent_id": rid, "episode": "1", "measure_id": "phq-9",
                         "timepoint": "baseline", "status": "declined"},
        f"/people/{rid}/printed/": {"measure_id": "phq-9", "timepoint": "baseline",
                                    "episode": "1"},
        f"/paper/code/{objs['printed'].code}/": {"completed_on": "2026-11-01"},
    }
    for path, data in posts.items():
        assert c.post(path, data).status_code == 404, path
    world.person_a.refresh_from_db()
    objs["alert"].refresh_from_db()
    assert world.person_a.consent == "not_asked" and objs["alert"].actioned_at is None
    assert Episode.objects.filter(person=world.person_a).count() == 1
    assert Collection.objects.get(pk=objs["link"].pk).revoked_at is None
    assert Collection.objects.filter(person=world.person_a).count() == 1
    objs["paper"].refresh_from_db()
    assert objs["paper"].first == "" and world.person_a.paper.count() == 2  # + telephone
    objs["telephone"].refresh_from_db()
    assert objs["telephone"].stored_at is None
    # a lead cannot open another team's settings
    lead = client_for("lead")
    assert lead.get(f"/manage/teams/{world.team_b.pk}/").status_code == 404
    assert lead.post(f"/manage/teams/{world.team_b.pk}/", {"name": "x"}).status_code == 404
    # someone else's tablet hand-over is not reachable from another session
    worker = client_for("worker")
    worker.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": "baseline",
                                            "episode": "1", "method": "tablet"})
    lead_session = client_for("lead")
    session = lead_session.session
    session["serve_tablet"] = Collection.objects.filter(kind="tablet").latest("pk").pk
    session.save()
    assert lead_session.get("/tablet/")["Location"] == "/"


# ---------------------------------------------------------------- CSRF
def _token(page: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert m is not None
    return m.group(1)


def test_csrf_missing_or_wrong(world: Any, client_for: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import Person

    # login form
    c = Client(enforce_csrf_checks=True)
    c.get("/login/")
    login = {"username": world.users["worker"].username, "password": PASSWORD}
    assert c.post("/login/", login).status_code == 403
    assert c.post("/login/", {**login, "csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert "_auth_user_id" not in c.session
    good = _token(c.get("/login/").content.decode())
    assert c.post("/login/", {**login, "csrfmiddlewaretoken": good}).status_code == 302
    # a staff form
    staff = client_for("worker", enforce_csrf_checks=True)
    before = Person.objects.count()
    new = {"team": world.team_a.pk, "consent": "given"}
    assert staff.post("/people/new/", new).status_code == 403
    assert staff.post("/people/new/", {**new, "csrfmiddlewaretoken": "A" * 64}).status_code == 403
    assert Person.objects.count() == before
    good = _token(staff.get("/people/new/").content.decode())
    # a valid token posted from another site is refused too (Origin check)
    assert staff.post("/people/new/", {**new, "csrfmiddlewaretoken": good},
                      HTTP_ORIGIN="https://evil.example").status_code == 403
    assert Person.objects.count() == before
    assert staff.post("/people/new/", {**new, "csrfmiddlewaretoken": good}).status_code == 302
    # the respondent's form
    from test_flows import answers, make_link  # type: ignore[import-not-found]

    path = make_link(client_for("worker"), world.person_a.respondent_id)
    phone = Client(enforce_csrf_checks=True)
    phone.get(path)
    page = phone.get("/respond/").content.decode()
    assert phone.post("/respond/", answers()).status_code == 403
    assert phone.post("/respond/", {**answers(), "csrfmiddlewaretoken": "B" * 64}
                      ).status_code == 403
    r = phone.post("/respond/", {**answers(), "csrfmiddlewaretoken": _token(page)})
    assert r.status_code == 302


# ---------------------------------------------------------------- sessions and login
def test_session_fixation(world: Any) -> None:
    """A session key known before login (an attacker's) is not the one after it."""
    from django.contrib.sessions.models import Session
    from django.test import Client

    c = Client()
    session = c.session
    session["planted"] = "by attacker"
    session.save()
    planted = session.session_key
    r = c.post("/login/", {"username": world.users["worker"].username, "password": PASSWORD})
    assert r.status_code == 302
    assert c.session.session_key != planted
    assert not Session.objects.filter(session_key=planted).exists()
    fixated = Client()
    fixated.cookies["mlsession"] = planted
    assert fixated.get("/people/").status_code == 302  # the planted key logs no one in


def test_session_expires(world: Any) -> None:
    from django.contrib.sessions.models import Session
    from django.test import Client
    from django.utils import timezone

    c = Client()
    c.post("/login/", {"username": world.users["worker"].username, "password": PASSWORD})
    assert c.get("/people/").status_code == 200
    Session.objects.filter(session_key=c.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = c.get("/people/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_logout_ends_the_session(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    assert c.get("/logout/").status_code == 405  # logging out takes a POST (with CSRF)
    assert c.post("/logout/").status_code == 302
    assert c.get("/people/").status_code == 302


def test_brute_force_lockout(world: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import AuditEvent

    name = world.users["lead"].username
    c = Client()
    for _ in range(4):
        r = c.post("/login/", {"username": name, "password": "guess"})
        assert r.status_code == 200 and "_auth_user_id" not in c.session
    assert c.post("/login/", {"username": name, "password": "guess"}).status_code == 429
    r = c.post("/login/", {"username": name, "password": PASSWORD})
    assert r.status_code == 429 and "_auth_user_id" not in c.session
    # from another address too: the account itself is locked
    r = Client(REMOTE_ADDR="10.1.2.3").post("/login/", {"username": name, "password": PASSWORD})
    assert r.status_code == 429
    assert AuditEvent.objects.filter(username=name, action="login-failed").count() >= 5
    # other accounts are unaffected
    r = c.post("/login/", {"username": world.users["worker"].username, "password": PASSWORD})
    assert r.status_code == 302


def test_unknown_user_looks_like_wrong_password(world: Any) -> None:
    from django.test import Client

    wrong = Client().post("/login/", {"username": world.users["worker"].username,
                                      "password": "nope"})
    unknown = Client().post("/login/", {"username": f"nobody-{world.tag}", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200

    def text(r: Any) -> str:
        return re.sub(r'value="[^"]*"', "", r.content.decode())

    assert text(wrong) == text(unknown)


def test_password_hashing_is_argon2id(world: Any) -> None:
    hashed = world.users["worker"].password
    assert hashed.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_cookie_flags_and_headers(world: Any) -> None:
    from django.test import Client

    c = Client()
    r = c.post("/login/", {"username": world.users["worker"].username, "password": PASSWORD})
    cookie = r.cookies["mlsession"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    page = c.get("/people/")
    assert page.cookies == {} or all(m["secure"] for m in page.cookies.values())
    csp = page["Content-Security-Policy"]
    for part in ("default-src 'none'", "script-src 'none'", "frame-ancestors 'none'",
                 "form-action 'self'", "style-src 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]
    assert "<script" not in page.content.decode()
    csrf = c.get("/login/").cookies.get("csrftoken")
    if csrf is not None:
        assert csrf["secure"] and csrf["httponly"]


# ---------------------------------------------------------------- XSS
VECTORS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>',
           "javascript:alert(1)//'", "<svg/onload=alert(1)>"]


def _clean(page: str) -> bool:
    return not any(v in page for v in VECTORS[:2] + VECTORS[3:]) and "<svg/onload" not in page


@pytest.mark.parametrize("vector", VECTORS)
def test_xss_in_free_text(world: Any, client_for: Any, vector: str) -> None:
    from measurelib.serve.models import AlertTask, Team

    c = client_for("worker")
    rid = world.person_a.respondent_id
    r = c.post(f"/people/{rid}/edit/", {
        "name": vector, "phone": vector[:40], "email": "", "consent": "given",
        "consent_scope": vector, "notes": vector, "key_worker": world.users["worker"].pk})
    assert r.status_code == 302
    for path in (f"/people/{rid}/", f"/people/{rid}/edit/", f"/people/?q={vector}"):
        assert _clean(c.get(path).content.decode()), path
    task = AlertTask.objects.create(person=world.person_a, team=world.team_a,
                                    measure_id="phq-9", timepoint="baseline",
                                    alert_id="self_harm_thoughts", severity="urgent",
                                    text=vector)
    c.post(f"/alerts/{task.pk}/", {"action_taken": vector})
    assert _clean(c.get(f"/alerts/{task.pk}/").content.decode())
    Team.objects.filter(pk=world.team_a.pk).update(risk_text=vector)
    assert _clean(client_for("lead").get(f"/manage/teams/{world.team_a.pk}/").content.decode())
    admin = client_for("administrator")
    assert _clean(admin.get(f"/manage/audit/?person={vector}").content.decode())
    assert _clean(admin.get("/manage/teams/").content.decode())
    # and what a respondent types into a goal (GBO's free-text goals)
    from django.test import Client

    Team.objects.filter(pk=world.team_a.pk).update(measures="phq-9\ngbo")
    r = c.post(f"/people/{rid}/collect/", {"measure_id": "gbo", "timepoint": "baseline",
                                           "episode": "1", "method": "link"})
    path = re.search(r'value="http://testserver(/r/[^"]+)"', r.content.decode())
    assert path is not None
    phone = Client()
    phone.get(path.group(1))
    posted = phone.post("/respond/", {"measure_id": "gbo", "goal_1": "3",
                                      "goal_1_text": vector})
    assert posted.status_code == 302
    for page in (c.get(f"/people/{rid}/"), c.get("/"), admin.get("/manage/audit/")):
        assert _clean(page.content.decode())


# ---------------------------------------------------------------- first administrator
def test_setup_link_is_single_use(backend: str, cfg: Any) -> None:
    from django.test import Client
    from django.utils import timezone

    from measurelib.serve._command import setup_link
    from measurelib.serve.models import SetupToken, StaffProfile

    with _no_admins():
        link = setup_link(cfg, "http://testserver")
        assert link is not None
        path = link.removeprefix("http://testserver")
        token = path.strip("/").split("/")[-1]
        assert not SetupToken.objects.filter(token_hash=token).exists()
        c = Client()
        assert c.get(path).status_code == 200
        weak = c.post(path, {"username": "boss", "password1": "short", "password2": "short"})
        assert weak.status_code == 200 and not StaffProfile.objects.filter(
            role="administrator").exists()
        r = c.post(path, {"username": f"boss-{token[:6]}", "password1": PASSWORD,
                          "password2": PASSWORD})
        assert r.status_code == 302
        assert StaffProfile.objects.filter(role="administrator").count() == 1
        assert Client().get(path).status_code == 410
        assert setup_link(cfg, "http://x") is None
        # an expired link cannot be used either
        SetupToken.objects.update(expires_at=timezone.now())
        assert Client().get(path).status_code == 410


class _no_admins:
    """Run with no administrator (demote existing ones, restore them after)."""

    def __enter__(self) -> None:
        from measurelib.serve.models import StaffProfile

        self.ids = list(StaffProfile.objects.filter(role="administrator")
                        .values_list("pk", flat=True))
        StaffProfile.objects.filter(pk__in=self.ids).update(role="viewer")

    def __exit__(self, *exc: Any) -> None:
        from measurelib.serve.models import StaffProfile

        StaffProfile.objects.filter(role="administrator").delete()
        StaffProfile.objects.filter(pk__in=self.ids).update(role="administrator")


# ---------------------------------------------------------------- second factor
def test_totp_second_factor(world: Any) -> None:
    from django.test import Client
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = world.users["lead"]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    def code() -> str:
        t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return str(t.token()).zfill(device.digits)

    c = Client()
    assert c.post("/login/", {"username": user.username, "password": PASSWORD}
                  ).status_code == 302
    r = c.get("/manage/teams/")
    assert r.status_code == 302 and r["Location"] == "/otp/"
    assert c.post("/otp/", {"token": "000000" if code() != "000000" else "111111"}
                  ).status_code == 200
    assert c.get("/manage/teams/").status_code == 302
    time.sleep(1.1)  # django-otp throttles a device for 1 s after a wrong code
    assert c.post("/otp/", {"token": code()}).status_code == 302
    assert c.get("/manage/teams/").status_code == 200


def test_key_worker_choices_stay_in_team(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    page = c.get("/people/new/").content.decode()
    assert world.users["worker"].username in page
    assert world.users["other_worker"].username not in page
    r = c.post("/people/new/", {"team": world.team_a.pk, "consent": "given",
                                "key_worker": world.users["other_worker"].pk})
    assert r.status_code == 200  # refused: not a choice
