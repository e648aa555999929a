"""The JSON API for systems that integrate with the service: per-client bearer tokens with
scopes, one team per client. Documented by ``GET /api/v1/openapi.json`` (OpenAPI 3.1).

==================================== =================== =================================
``GET  /api/v1/measures``            ``measures:read``   the team's measures
``GET  /api/v1/measures/{id}/fhir``  ``measures:read``   a FHIR R4 Questionnaire
``POST /api/v1/responses``           ``responses:write`` store one form's answers
``GET  /api/v1/people/{id}/scores``  ``scores:read``     a person's administrations, scores
==================================== =================== =================================

``POST /api/v1/fhir/Questionnaire/$next-question`` (``responses:write``) drives an adaptive
questionnaire, as FHIR SDC describes (``serve/_cat.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._auth import audit
from measurelib.serve.models import ApiClient, Person, hash_token

MODES = ("online", "tablet", "paper", "telephone", "sms", "assisted")


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="measurelib"'
    return response


def api(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Authenticate the bearer token and require ``scope``; the client is passed on."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer ") or len(header) > 200:
                return _error(401, "send the client's token as 'Authorization: Bearer …'")
            client = ApiClient.objects.select_related("team").filter(
                token_hash=hash_token(header[7:].strip()), revoked_at__isnull=True).first()
            if client is None:
                return _error(401, "unknown or withdrawn token")
            if not client.has_scope(scope):
                return _error(403, f"this client does not have the scope {scope!r}")
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
            return view(request, client, *args, **kwargs)

        return wrapped

    return decorator


def _who(client: ApiClient) -> str:
    return f"api:{client.name}"


@require_GET
@api("measures:read")
def measures(request: HttpRequest, client: ApiClient) -> HttpResponse:
    titles = dict(lib.collectable_measures())
    out = [{"id": mid, "title": titles[mid], "version": lib.load_measure(mid).version}
           for mid in client.team.measure_ids() if mid in titles]
    return JsonResponse({"measures": out})


@require_GET
@api("measures:read")
def questionnaire(request: HttpRequest, client: ApiClient, measure_id: str) -> HttpResponse:
    if measure_id not in client.team.measure_ids():
        return _error(404, "no such measure for this team")
    result = ml.export(lib.load_measure(measure_id), "fhir")
    return JsonResponse(result.content, content_type="application/fhir+json")


@require_POST
@api("responses:write")
def responses(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """Store one form: ``{"measure_id", "respondent_id", "timepoint", "episode", "date",
    "mode", "answers": {item: value}}``.
    """
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _error(400, "the body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        return _error(400, "send an object with measure_id, respondent_id, timepoint and "
                           "answers")
    measure_id = str(body.get("measure_id", ""))
    if measure_id not in client.team.measure_ids():
        return _error(404, "no such measure for this team")
    person = Person.objects.filter(team=client.team,
                                   respondent_id=str(body.get("respondent_id", ""))).first()
    if person is None:
        return _error(404, "no such person in this team")
    timepoint = str(body.get("timepoint", ""))
    mode = str(body.get("mode", "online"))
    if not timepoint or mode not in MODES:
        return _error(400, f"give a timepoint, and a mode of {', '.join(MODES)}")
    date = str(body.get("date") or timezone.localdate().isoformat())
    try:
        import datetime as dt

        dt.date.fromisoformat(date)
    except ValueError:
        return _error(400, "date must be YYYY-MM-DD")
    measure = lib.load_measure(measure_id)
    form = {"measure_id": measure_id,
            **{str(k): "" if v is None else str(v) for k, v in body["answers"].items()}}

    class _Post(dict[str, str]):
        def getlist(self, key: str) -> list[str]:
            return [self[key]]

    try:
        submission = lib.parse_form(measure, _Post(form))
    except ml.DataError as exc:
        return _error(400, "the answers cannot be used", problems=[
            {"code": d.code, "message": d.message,
             "field": getattr(d.location, "field", None)} for d in exc.errors])
    return _store(request, client, person, measure, submission,
                  episode=str(body.get("episode", "1")), timepoint=timepoint, mode=mode,
                  date=date)


def _store(request: HttpRequest, client: ApiClient, person: Person, measure: ml.Measure,
           submission: Any, *, episode: str, timepoint: str, mode: str, date: str,
           extra: dict[str, Any] | None = None) -> HttpResponse:
    """Store one form for the API: 201 stored, 200 already stored, 409 another form at the
    same occasion, 400 refused by the Store.
    """
    from measurelib.serve._respond import record

    try:
        stored = record(request, person, measure, submission, episode=episode,
                        timepoint=timepoint, mode=mode, worker=_who(client), date=date,
                        responsible=person.key_worker)
    except ml.DataError as exc:
        conflict = any(d.code == "store-form-conflict" for d in exc.errors)
        return _error(409 if conflict else 400, "the form was not stored", problems=[
            {"code": d.code, "message": d.message,
             "field": getattr(d.location, "field", None)} for d in exc.errors])
    open_alerts = list(person.alerts.filter(actioned_at__isnull=True, measure_id=measure.id,
                                            timepoint=timepoint)
                       .values_list("alert_id", flat=True))
    audit(request, "api-response", person=person, username=_who(client),
          detail=f"{measure.id} {timepoint}")
    return JsonResponse({"stored": bool(stored.created), "already_stored": not stored.created,
                         "administration": stored.administration,
                         "alerts": [a.alert_id for a in stored.alerts],
                         "open_alerts": open_alerts, **(extra or {})},
                        status=201 if stored.created else 200)


@require_GET
@api("scores:read")
def scores(request: HttpRequest, client: ApiClient, respondent_id: str) -> HttpResponse:
    person = Person.objects.filter(team=client.team, respondent_id=respondent_id).first()
    if person is None:
        return _error(404, "no such person in this team")
    audit(request, "api-scores", person=person, username=_who(client))
    return JsonResponse({"respondent_id": respondent_id,
                         "administrations": lib.person_scores(respondent_id)})


def openapi(request: HttpRequest) -> HttpResponse:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "measurelib serve API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": bearer,
        "paths": {
            "/api/v1/measures": {"get": {
                "summary": "The team's measures (scope measures:read)",
                "responses": {"200": {"description": "{measures: [{id, title, version}]}"}}}},
            "/api/v1/measures/{measure_id}/fhir": {"get": {
                "summary": "A FHIR R4 Questionnaire (SDC) of the measure (scope measures:read)",
                "parameters": [{"name": "measure_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "application/fhir+json"},
                              "404": {"description": "not one of the team's measures"}}}},
            "/api/v1/responses": {"post": {
                "summary": "Store one form's answers for a person of the team "
                           "(scope responses:write)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["measure_id", "respondent_id", "timepoint", "answers"],
                    "properties": {
                        "measure_id": {"type": "string"}, "respondent_id": {"type": "string"},
                        "timepoint": {"type": "string"}, "episode": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "mode": {"enum": list(MODES)},
                        "answers": {"type": "object"}}}}}},
                "responses": {"201": {"description": "stored: {stored, already_stored, "
                                                     "administration, alerts, open_alerts}"},
                              "200": {"description": "the same form was already stored"},
                              "409": {"description": "another form with other answers is "
                                                     "stored for that person, episode, "
                                                     "measure, timepoint and date"},
                              "400": {"description": "{error, problems: [{code, message, "
                                                     "field}]}"},
                              "404": {"description": "unknown measure or person"}}}},
            "/api/v1/fhir/QuestionnaireResponse": {"post": {
                "summary": "Store one FHIR R4 QuestionnaireResponse of a team's measure for "
                           "a person of the team (scope responses:write); idempotent on "
                           "its identifier",
                "description": (
                    "questionnaire: the canonical URL of GET /api/v1/measures/{id}/fhir; "
                    "subject: Patient/<respondent id>; authored: the form's date; status: "
                    "completed; identifier {system, value}: required, the same identifier "
                    "sent again is stored once; the timepoint (and episode) in the "
                    "extensions https://measurelib.org/fhir/StructureDefinition/timepoint "
                    "and .../episode, or the query parameters."),
                "parameters": [
                    {"name": n, "in": "query", "required": False,
                     "schema": {"type": "string"}, "description": d}
                    for n, d in (("timepoint", "when not in the extension"),
                                 ("episode", "when not in the extension (default 1)"),
                                 ("mode", "how it was collected (default online)"))],
                "requestBody": {"required": True, "content": {"application/fhir+json": {
                    "schema": {"type": "object", "required": [
                        "resourceType", "questionnaire", "subject", "authored", "status",
                        "identifier", "item"],
                        "properties": {"resourceType": {"const": "QuestionnaireResponse"}}}}}},
                "responses": {
                    "201": {"description": "stored: {stored, already_stored, administration, "
                                           "alerts, open_alerts, identifier}"},
                    "200": {"description": "already received (same identifier and content)"},
                    "400": {"description": "OperationOutcome: each issue with its "
                                           "expression (where the problem is)"},
                    "409": {"description": "OperationOutcome: the identifier was used for "
                                           "other content, or another form is stored for "
                                           "that occasion"}}}},
            "/api/v1/fhir/Questionnaire/$next-question": {"post": {
                "summary": "FHIR SDC next-question: drive an adaptive questionnaire "
                           "(scope responses:write); see serve/_cat.py",
                "requestBody": {"required": True, "content": {"application/fhir+json": {
                    "schema": {"type": "object", "description": "a QuestionnaireResponse, "
                               "or Parameters with 'questionnaire-response'"}}}},
                "responses": {"200": {"description": "the QuestionnaireResponse with the "
                                                     "next question, or completed with "
                                                     "the score and its SE"},
                              "400": {"description": "an OperationOutcome"},
                              "404": {"description": "unknown measure, person or test"}}}},
            "/api/v1/people/{respondent_id}/scores": {"get": {
                "summary": "A person's administrations and scores (scope scores:read)",
                "parameters": [{"name": "respondent_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "{respondent_id, administrations}"}}}},
        },
    }
    from measurelib.serve._fhir_export import openapi_paths

    paths: Any = doc["paths"]
    openapi_paths(paths)
    return JsonResponse(doc)
