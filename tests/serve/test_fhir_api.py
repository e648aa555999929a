"""FHIR QuestionnaireResponse input on the JSON API, on SQLite and PostgreSQL: read by
measurelib's FHIR reader, located errors as OperationOutcome, alerts, idempotent on the
identifier, token-scoped.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_api import _auth  # noqa: E402

import measurelib as ml  # noqa: E402


@pytest.fixture
def token(world: Any) -> Any:
    """A new API client of a team (team A by default) with its scopes; its token."""
    from measurelib.serve.models import ApiClient, new_token

    def make(scopes: str = "measures:read responses:write scores:read",
             team: Any = None) -> str:
        raw, digest = new_token()
        ApiClient.objects.create(name=f"client-{digest[:8]}", team=team or world.team_a,
                                 token_hash=digest, scopes=scopes)
        return raw

    return make

URL = "/api/v1/fhir/QuestionnaireResponse"
EXT = "https://measurelib.org/fhir/StructureDefinition/"
ITEMS = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
         "psychomotor", "self_harm", "difficulty"]


def qr(world: Any, *, value: str = "qr-1", timepoint: str | None = "review",
       **answers: int) -> dict[str, Any]:
    row = {i: answers.get(i, 1) for i in ITEMS}
    res = ml.interop.questionnaire_response(
        ml.load("phq-9"), row, subject=f"Patient/{world.person_a.respondent_id}",
        authored="2026-11-30T10:15:00Z")
    res["identifier"] = {"system": "urn:ehr:forms", "value": f"{value}-{world.tag}"}
    if timepoint:
        res["extension"] = [{"url": EXT + "timepoint", "valueCode": timepoint}]
    return res


def _send(c: Any, raw: str, resource: Any, query: str = "") -> Any:
    return c.post(URL + query, json.dumps(resource), content_type="application/fhir+json",
                  **_auth(raw))


def _stored(world: Any) -> Any:
    from measurelib.serve import _library

    return _library.store().administrations("phq-9", respondent_id=world.person_a.respondent_id)


def _issues(r: Any) -> list[tuple[str, str]]:
    doc = r.json()
    assert doc["resourceType"] == "OperationOutcome"
    return [(i["diagnostics"], (i.get("expression") or [""])[0]) for i in doc["issue"]]


def test_questionnaire_response_stored_with_alert(world: Any, token: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import AlertTask, AuditEvent

    raw = token()
    r = _send(Client(), raw, qr(world, self_harm=2))
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["stored"] is True and doc["alerts"] == ["self_harm_thoughts"]
    adm = _stored(world)
    assert len(adm) == 1
    rec = adm.iloc[0]
    assert (rec["timepoint"], str(rec["date"].date()), rec["mode"]) == (
        "review", "2026-11-30", "online")
    assert json.loads(rec["responses"])["self_harm"] == 2
    assert int(rec["pk"]) == doc["administration"]
    assert AlertTask.objects.filter(person=world.person_a, alert_id="self_harm_thoughts",
                                    timepoint="review").count() == 1
    assert AuditEvent.objects.filter(person=world.person_a.respondent_id,
                                     action="api-response").exists()


def test_same_identifier_is_stored_once(world: Any, token: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import AlertTask

    raw = token()
    c = Client()
    first = _send(c, raw, qr(world, self_harm=2))
    again = _send(c, raw, qr(world, self_harm=2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["administration"] == first.json()["administration"]
    assert len(_stored(world)) == 1
    assert AlertTask.objects.filter(person=world.person_a).count() == 1
    other = _send(c, raw, qr(world, down=3))  # same identifier, other content
    assert other.status_code == 409
    assert _issues(other)[0][1] == "QuestionnaireResponse.identifier"
    # a new identifier with other answers for the same occasion: refused by the Store
    clash = _send(c, raw, qr(world, value="qr-2", down=3))
    assert clash.status_code == 409 and "already stored" in _issues(clash)[0][0]
    assert len(_stored(world)) == 1


def test_concurrent_retries_store_once(world: Any, token: Any, backend: str) -> None:
    from django.db import connections
    from django.test import Client

    raw = token()
    statuses: list[int] = []

    def post() -> None:
        try:
            statuses.append(_send(Client(), raw, qr(world, value="race")).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(201) == 1 and set(statuses) <= {200, 201}
    assert len(_stored(world)) == 1


def test_located_errors(world: Any, token: Any) -> None:
    from django.test import Client

    raw = token()
    c = Client()
    bad = qr(world)
    bad["status"] = "in-progress"
    del bad["identifier"]
    bad["authored"] = "next week"
    bad["subject"] = {"reference": f"Patient/{world.person_b.respondent_id}"}  # other team
    r = _send(c, raw, bad)
    assert r.status_code == 400
    where = {w for _m, w in _issues(r)}
    assert where == {"QuestionnaireResponse.status", "QuestionnaireResponse.identifier",
                     "QuestionnaireResponse.authored", "QuestionnaireResponse.subject"}
    r = _send(c, raw, qr(world, timepoint=None))
    assert r.status_code == 400 and _issues(r)[0][1] == "QuestionnaireResponse.extension"
    assert _send(c, raw, qr(world, timepoint=None), "?timepoint=review").status_code == 201
    wrong = qr(world, value="q9")
    wrong["item"][1]["answer"] = [{"valueInteger": 7}]  # "down" out of range
    r = _send(c, raw, wrong)
    assert r.status_code == 400
    assert ("QuestionnaireResponse.item.where(linkId='down')" in
            {w for _m, w in _issues(r)})
    unknown = qr(world, value="q10")
    unknown["questionnaire"] = "https://example.org/Questionnaire/gad-2"
    r = _send(c, raw, unknown)
    assert _issues(r)[0][1] == "QuestionnaireResponse.questionnaire"
    assert _send(c, raw, {"resourceType": "Patient"}).status_code == 400
    assert c.post(URL, "{", content_type="application/fhir+json",
                  **_auth(raw)).status_code == 400
    assert len(_stored(world)) == 1  # only the one with ?timepoint=


def test_token_scope_and_team(world: Any, token: Any) -> None:
    from django.test import Client

    c = Client()
    assert _send(c, "nope", qr(world)).status_code == 401
    assert _send(c, token("measures:read"), qr(world)).status_code == 403
    r = _send(c, token(team=world.team_b), qr(world))  # the person is in team A
    assert r.status_code == 400
    # GET is the export of the team's forms, which needs the scope responses:read
    assert c.get(URL, **_auth(token())).status_code == 403
    assert _stored(world).empty


def test_openapi_documents_it(world: Any) -> None:
    from django.test import Client

    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"][URL]["post"]
    assert "identifier" in op["summary"] and "409" in op["responses"]
    assert "application/fhir+json" in op["requestBody"]["content"]


@pytest.mark.parametrize("field", ["questionnaire", "subject", "authored", "item"])
def test_hostile_values_never_crash(world: Any, token: Any, field: str) -> None:
    from django.test import Client

    raw = token()
    c = Client()
    for value in (None, 7, "x" * 5000, [], {}, [{"linkId": None}], {"reference": 3},
                  [{"linkId": "down", "answer": 5}], [{"linkId": "down", "answer": [7]}],
                  [{"linkId": "down", "item": "x"}], [3]):
        res = copy.deepcopy(qr(world, value=f"h-{field}"))
        res[field] = value
        r = _send(c, raw, res)
        assert r.status_code in (400, 409), (field, value, r.status_code)


def test_subject_access_export_lists_receipts(world: Any, token: Any, client_for: Any) -> None:
    from django.test import Client

    assert _send(Client(), token(), qr(world, value="sar")).status_code == 201
    doc = client_for("administrator").get(
        f"/people/{world.person_a.respondent_id}/export/").json()
    assert [r["identifier"] for r in doc["fhir_receipts"]] == [
        f"urn:ehr:forms|sar-{world.tag}"]
    assert doc["store"]["administrations"][0]["responses"]["down"] == 1
