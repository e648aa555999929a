"""FHIR R4 exports of the service, on SQLite and PostgreSQL: Bundles of
QuestionnaireResponses and Observations per team, measure and period (download and JSON
API), and inside the subject access export — made by the library's FHIR writer, valid
R4B resources (fhir.resources), answers read back exactly, no markup, audit-logged."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bespoke import ITEMS, publish, store_forms  # noqa: E402

HOSTILE = '=HYPERLINK("http://x","y") <script>alert(1)</script> & <b onmouseover=1>'


def _valid(doc: dict[str, Any], kind: str) -> None:
    Bundle.model_validate(doc)
    model = QuestionnaireResponse if kind == "QuestionnaireResponse" else Observation
    for entry in doc["entry"]:
        assert entry["resource"]["resourceType"] == kind
        model.model_validate(entry["resource"])
        assert entry["fullUrl"].startswith("urn:uuid:")


def _client(world: Any, scopes: str) -> tuple[Any, str]:
    from django.test import Client

    from measurelib.serve.models import ApiClient, new_token

    token, digest = new_token()
    ApiClient.objects.create(name=f"sys-{world.tag}-{scopes}", team=world.team_a,
                             token_hash=digest, scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}"), token


def test_download_answers_and_scores(world: Any, client_for: Any) -> None:
    import measurelib as ml
    from measurelib.serve import _library
    from measurelib.serve.models import AuditEvent

    mid = publish(world)
    ids = store_forms(world, mid, 4, text=HOSTILE)
    lead = client_for("lead")
    r = lead.get(f"/reports/{world.team_a.pk}/{mid}/fhir/QuestionnaireResponse.json")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/fhir+json")
    assert r["Content-Disposition"].startswith("attachment;")
    raw = r.content.decode()
    assert "<" not in raw and ">" not in raw and "&" not in raw  # no markup, even escaped
    doc = json.loads(raw)
    _valid(doc, "QuestionnaireResponse")
    assert len(doc["entry"]) == 4
    # read back by the library's FHIR reader: exactly the stored answers, free text too
    rows = ml.interop.read_fhir(_library.load_measure(mid), doc)
    stored = _library.store().administrations(mid)
    assert sorted(rows["respondent_id"]) == sorted(ids)
    for rec in stored.to_dict("records"):
        back = rows[rows["respondent_id"] == rec["respondent_id"]].iloc[0]
        answers = json.loads(rec["responses"])
        assert {i: int(back[i]) for i in ITEMS} == {i: answers[i] for i in ITEMS}
        assert back["anything_else"] == HOSTILE
    qr = doc["entry"][0]["resource"]
    assert {e["url"].rsplit("/", 1)[1]: e["valueString"] for e in qr["extension"]} == {
        "timepoint": "baseline", "episode": "1"}
    # scores
    r = lead.get(f"/reports/{world.team_a.pk}/{mid}/fhir/Observation.json")
    obs = json.loads(r.content)
    _valid(obs, "Observation")
    scores = _library.store().scores(mid)
    assert sorted(e["resource"]["valueQuantity"]["value"] for e in obs["entry"]) == \
        sorted(float(v) for v in scores["value"])
    forms = {e["fullUrl"] for e in doc["entry"]}
    assert all(e["resource"]["derivedFrom"][0]["reference"] in forms for e in obs["entry"])
    events = AuditEvent.objects.filter(action="fhir-exported", team=world.team_a.service)
    assert {e.detail for e in events} == {f"{mid}: 4 QuestionnaireResponse(s) as FHIR",
                                          f"{mid}: 4 Observation(s) as FHIR"}


def test_period_and_team_scope(world: Any, client_for: Any) -> None:
    mid = publish(world)
    store_forms(world, mid, 3)  # dated 2026-03-02
    lead = client_for("lead")
    base = f"/reports/{world.team_a.pk}/{mid}/fhir/QuestionnaireResponse.json"
    assert len(json.loads(lead.get(base + "?start=2026-03-02&end=2026-03-02").content)[
        "entry"]) == 3
    assert json.loads(lead.get(base + "?start=2026-03-03").content)["entry"] == []
    assert json.loads(lead.get(base + "?end=2026-03-01").content)["entry"] == []
    assert lead.get(base + "?start=March").status_code == 400
    assert lead.get(base + "?start=2026-03-05&end=2026-03-01").status_code == 400
    # forms of the same measure stored for another service are not in team A's export
    store_forms(world, mid, 2, service=world.team_b.service)
    assert len(json.loads(lead.get(base).content)["entry"]) == 3
    # roles: workers and viewers cannot export; another team's lead cannot name team A
    for role in ("worker", "viewer", "other_worker"):
        assert client_for(role).get(base).status_code == 403
    assert client_for("lead").get(
        f"/reports/{world.team_b.pk}/phq-9/fhir/QuestionnaireResponse.json").status_code == 404
    assert lead.get(f"/reports/{world.team_a.pk}/{mid}/fhir/Patient.json").status_code == 404


def test_api_bundles_with_scopes(world: Any) -> None:
    from measurelib.serve.models import AuditEvent

    mid = publish(world)
    store_forms(world, mid, 2, text=HOSTILE)
    reader, _ = _client(world, "responses:read")
    r = reader.get(f"/api/v1/fhir/QuestionnaireResponse?measure={mid}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/fhir+json")
    _valid(json.loads(r.content), "QuestionnaireResponse")
    assert reader.get(f"/api/v1/fhir/Observation?measure={mid}").status_code == 403
    assert reader.get("/api/v1/fhir/QuestionnaireResponse?measure=nope").status_code == 404
    assert reader.get("/api/v1/fhir/QuestionnaireResponse?measure=phq-9&start=x"
                      ).status_code == 400
    scores, _ = _client(world, "scores:read")
    r = scores.get(f"/api/v1/fhir/Observation?measure={mid}&start=2026-01-01")
    _valid(json.loads(r.content), "Observation")
    assert len(json.loads(r.content)["entry"]) == 2
    assert scores.get(f"/api/v1/fhir/QuestionnaireResponse?measure={mid}").status_code == 403
    assert AuditEvent.objects.filter(action="api-fhir-export",
                                     username__startswith="api:sys-").count() == 2
    doc = json.loads(reader.get("/api/v1/openapi.json").content)
    assert "get" in doc["paths"]["/api/v1/fhir/QuestionnaireResponse"]
    assert "post" in doc["paths"]["/api/v1/fhir/QuestionnaireResponse"]
    assert "get" in doc["paths"]["/api/v1/fhir/Observation"]


def test_api_export_is_the_clients_team_only(world: Any) -> None:
    from django.test import Client

    from measurelib.serve.models import ApiClient, new_token

    mid = publish(world)
    store_forms(world, mid, 2)
    token, digest = new_token()
    ApiClient.objects.create(name=f"b-{world.tag}", team=world.team_b, token_hash=digest,
                             scopes="responses:read scores:read")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for kind in ("QuestionnaireResponse", "Observation"):
        assert other.get(f"/api/v1/fhir/{kind}?measure={mid}").status_code == 404
        r = other.get(f"/api/v1/fhir/{kind}?measure=phq-9")
        assert r.status_code == 200 and json.loads(r.content)["entry"] == []
    assert Client().get(f"/api/v1/fhir/Observation?measure={mid}").status_code == 401


@pytest.mark.parametrize("kind", ["QuestionnaireResponse", "Observation"])
def test_subject_access_export_carries_the_persons_bundles(world: Any, client_for: Any,
                                                           kind: str) -> None:
    mid = publish(world)
    rid = store_forms(world, mid, 2, text=HOSTILE)[0]
    r = client_for("administrator").get(f"/people/{rid}/export/")
    doc = json.loads(r.content)
    bundle = doc["fhir"][kind]
    _valid(bundle, kind)
    assert len(bundle["entry"]) == 1
    assert bundle["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{rid}"
