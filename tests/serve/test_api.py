"""The JSON API on SQLite and PostgreSQL: bearer tokens (stored hashed), scopes, one team
per client, and the answers going through the same checks and alerts as the web form."""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def token(world: Any) -> Any:
    from measurelib.serve.models import ApiClient, new_token

    def make(scopes: str = "measures:read responses:write scores:read",
             team: Any = None) -> str:
        raw, digest = new_token()
        ApiClient.objects.create(name=f"client-{digest[:8]}", team=team or world.team_a,
                                 token_hash=digest, scopes=scopes)
        return raw

    return make


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _post(c: Any, raw: str, body: Any) -> Any:
    return c.post("/api/v1/responses", json.dumps(body), content_type="application/json",
                  **_auth(raw))


def body(world: Any, **answers: int) -> dict[str, Any]:
    items = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
             "psychomotor", "self_harm"]
    return {"measure_id": "phq-9", "respondent_id": world.person_a.respondent_id,
            "timepoint": "review", "episode": "1", "date": "2026-11-30", "mode": "sms",
            "answers": {i: answers.get(i, 1) for i in items}}


def test_api_flow(world: Any, token: Any) -> None:
    from django.test import Client

    from measurelib.serve import _library
    from measurelib.serve.models import AlertTask, ApiClient

    raw = token()
    c = Client()
    assert c.get("/api/v1/openapi.json").json()["openapi"] == "3.1.0"
    listed = c.get("/api/v1/measures", **_auth(raw)).json()["measures"]
    assert [m["id"] for m in listed] == ["phq-9", "gad-7"]
    fhir = c.get("/api/v1/measures/phq-9/fhir", **_auth(raw))
    assert fhir.status_code == 200 and fhir.json()["resourceType"] == "Questionnaire"
    r = _post(c, raw, body(world, self_harm=2))
    assert r.status_code == 201, r.content
    first = r.json()
    assert first == {"stored": True, "already_stored": False,
                     "administration": first["administration"],
                     "alerts": ["self_harm_thoughts"], "open_alerts": ["self_harm_thoughts"]}
    again = _post(c, raw, body(world, self_harm=2))  # the same form again: stored once
    assert again.status_code == 200 and again.json()["already_stored"] is True
    assert again.json()["administration"] == first["administration"]
    other = _post(c, raw, body(world))  # other answers for the same occasion: refused
    assert other.status_code == 409, other.content
    assert other.json()["problems"][0]["code"] == "store-form-conflict"
    adm = _library.store().administrations("phq-9")
    row = adm[adm["respondent_id"] == world.person_a.respondent_id].iloc[0]
    assert (row["mode"], row["timepoint"], str(row["date"].date())) == (
        "sms", "review", "2026-11-30")
    assert AlertTask.objects.filter(person=world.person_a).count() == 1
    scores = c.get(f"/api/v1/people/{world.person_a.respondent_id}/scores", **_auth(raw))
    assert scores.json()["administrations"][0]["scores"][0]["value"] == 10
    assert ApiClient.objects.get(token_hash__isnull=False, team=world.team_a).last_used_at


def test_api_refuses(world: Any, token: Any) -> None:
    from django.test import Client

    c = Client()
    raw = token("measures:read")
    assert c.get("/api/v1/measures").status_code == 401
    assert c.get("/api/v1/measures", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    r = _post(c, raw, body(world))
    assert r.status_code == 403 and "responses:write" in r.json()["error"]
    assert c.get(f"/api/v1/people/{world.person_a.respondent_id}/scores",
                 **_auth(raw)).status_code == 403
    writer = token()
    bad = _post(c, writer, {**body(world), "answers": {"interest": "7"}})
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "interest"
    assert _post(c, writer, {**body(world), "date": "30/11/2026"}).status_code == 400
    assert _post(c, writer, {**body(world), "measure_id": "k10"}).status_code == 404
    # another team's person, through a client of team A or of team B's measures
    other = {**body(world), "respondent_id": world.person_b.respondent_id}
    assert _post(c, writer, other).status_code == 404
    b_client = token(team=world.team_b)
    assert c.get(f"/api/v1/people/{world.person_a.respondent_id}/scores",
                 **_auth(b_client)).status_code == 404
    assert c.get("/api/v1/measures/gad-7/fhir", **_auth(b_client)).status_code == 404
    # a withdrawn client is refused; a session cookie is no API credential
    from measurelib.serve.models import ApiClient

    ApiClient.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert c.get("/api/v1/measures", **_auth(writer)).status_code == 401


def test_api_clients_page(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import ApiClient

    admin = client_for("administrator")
    r = admin.post("/manage/api-clients/", {"name": f"EPR {world.tag}", "team": world.team_a.pk,
                                            "scopes": ["scores:read"]})
    assert r.status_code == 200
    shown = r.content.decode().split('id="token" class="wide" readonly value="')[1].split('"')[0]
    client = ApiClient.objects.get(name=f"EPR {world.tag}")
    assert client.token_hash != shown and len(shown) >= 43
    assert admin.post(f"/manage/api-clients/{client.pk}/withdraw/").status_code == 302
    client.refresh_from_db()
    assert client.revoked_at is not None
