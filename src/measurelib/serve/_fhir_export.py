"""FHIR R4 exports of the stored forms: Bundles of QuestionnaireResponses (the answers) and
of Observations (the scores), made by the library's FHIR writer.

- **Download** (leads and administrators, on the reports page):
  ``/reports/<team>/<measure>/fhir/QuestionnaireResponse.json`` and ``…/Observation.json``,
  optionally ``?start=YYYY-MM-DD&end=YYYY-MM-DD`` (the forms' dates, inclusive).
- **API** (bearer token): ``GET /api/v1/fhir/QuestionnaireResponse?measure=…&start=…&end=…``
  (scope ``responses:read``) and ``GET /api/v1/fhir/Observation?measure=…`` (scope
  ``scores:read``), the client's team only. ``POST`` on the first stays the FHIR input
  (``_fhir``).
- The person's **subject access** export carries both Bundles of that person.

Every export is in the audit log. Answers are carried exactly as stored (a FHIR file is not
a spreadsheet: the spreadsheet downloads neutralise formulas); no answer can be read as
markup, since ``<``, ``>`` and ``&`` are written as JSON escapes, and files are sent as
``application/fhir+json`` attachments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt

from measurelib.serve import _library as lib
from measurelib.serve._api import _error, api
from measurelib.serve._auth import audit, role_required, teams_of
from measurelib.serve.models import ApiClient

__all__ = ["KINDS", "download", "fhir_observations", "fhir_questionnaire_responses",
           "person_bundles"]

#: The two exports: resource type -> (bundle index, API scope).
KINDS = {"QuestionnaireResponse": (0, "responses:read"), "Observation": (1, "scores:read")}
FHIR_JSON = "application/fhir+json; charset=utf-8"


def _period(request: HttpRequest) -> tuple[dt.date | None, dt.date | None, str | None]:
    """``start`` and ``end`` from the query (dates), or why they cannot be used."""
    out: list[dt.date | None] = []
    for key in ("start", "end"):
        value = request.GET.get(key, "").strip()
        if not value:
            out.append(None)
            continue
        try:
            out.append(dt.date.fromisoformat(value))
        except ValueError:
            return None, None, f"{key} must be a date (YYYY-MM-DD), not {value[:20]!r}"
    if out[0] is not None and out[1] is not None and out[0] > out[1]:
        return None, None, "start is after end"
    return out[0], out[1], None


def _response(resource: dict[str, Any], name: str | None) -> HttpResponse:
    response = HttpResponse(lib.fhir_json(resource), content_type=FHIR_JSON)
    if name:
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _what(measure_id: str, start: Any, end: Any, n: int, kind: str) -> str:
    period = f" {start or '…'} to {end or '…'}" if start or end else ""
    return f"{measure_id}{period}: {n} {kind}(s) as FHIR"


@role_required("administrator", "lead")
def download(request: HttpRequest, pk: int, measure_id: str, kind: str) -> HttpResponse:
    """A team's forms (or scores) of one measure in a period, as a FHIR Bundle file."""
    team = get_object_or_404(teams_of(request.user), pk=pk)
    if measure_id not in team.measure_ids() or kind not in KINDS:
        raise Http404
    start, end, problem = _period(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    bundle = lib.fhir_bundles(measure_id=measure_id, service=team.service, start=start,
                              end=end)[KINDS[kind][0]]
    audit(request, "fhir-exported", team=team,
          detail=_what(measure_id, start, end, len(bundle["entry"]), kind))
    suffix = f"-{start or 'start'}-to-{end or 'now'}" if start or end else ""
    return _response(bundle, f"{team.service}-{measure_id}{suffix}-{kind}.json")


def _api_export(request: HttpRequest, client: ApiClient, kind: str) -> HttpResponse:
    measure_id = request.GET.get("measure", "").strip()
    if measure_id not in client.team.measure_ids():
        return _error(404, "give ?measure= one of the team's measures")
    start, end, problem = _period(request)
    if problem:
        return _error(400, problem)
    bundle = lib.fhir_bundles(measure_id=measure_id, service=client.team.service,
                              start=start, end=end)[KINDS[kind][0]]
    audit(request, "api-fhir-export", team=client.team, username=f"api:{client.name}",
          detail=_what(measure_id, start, end, len(bundle["entry"]), kind))
    return _response(bundle, None)


@api("responses:read")
def _qr_search(request: HttpRequest, client: ApiClient) -> HttpResponse:
    return _api_export(request, client, "QuestionnaireResponse")


@csrf_exempt
def fhir_questionnaire_responses(request: HttpRequest) -> HttpResponse:
    """``GET``: the team's forms of a measure as a Bundle (scope ``responses:read``);
    ``POST``: one form in (``_fhir.questionnaire_response``, scope ``responses:write``).
    """
    from measurelib.serve import _fhir

    if request.method == "POST":
        return _fhir.questionnaire_response(request)
    if request.method != "GET":
        return JsonResponse({"error": "GET or POST"}, status=405)
    return _qr_search(request)


@api("scores:read")
def fhir_observations(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """``GET``: the team's scores of a measure as a Bundle of Observations."""
    if request.method != "GET":
        return JsonResponse({"error": "GET only"}, status=405)
    return _api_export(request, client, "Observation")


def person_bundles(respondent_id: str) -> dict[str, Any]:
    """One person's forms and scores as FHIR Bundles (for the subject access export)."""
    forms, scores = lib.fhir_bundles(respondent_id=respondent_id)
    return {"QuestionnaireResponse": forms, "Observation": scores}


def openapi_paths(paths: dict[str, Any]) -> None:
    """Add the FHIR exports to the API's OpenAPI document."""
    params = [{"name": "measure", "in": "query", "required": True,
               "schema": {"type": "string"}, "description": "one of the team's measures"}] + [
        {"name": n, "in": "query", "required": False,
         "schema": {"type": "string", "format": "date"},
         "description": f"forms dated on or {w} this day"} for n, w in (("start", "after"),
                                                                         ("end", "before"))]
    for kind, (_, scope) in KINDS.items():
        paths.setdefault(f"/api/v1/fhir/{kind}", {})["get"] = {
            "summary": f"The team's {'forms' if kind == 'QuestionnaireResponse' else 'scores'}"
                       f" of a measure as a FHIR R4 Bundle of {kind}s (scope {scope})",
            "parameters": params,
            "responses": {"200": {"description": "application/fhir+json: a Bundle"},
                          "400": {"description": "a date that cannot be read"},
                          "404": {"description": "not one of the team's measures"}}}
