"""FHIR QuestionnaireResponse input on the JSON API.

``POST /api/v1/fhir/QuestionnaireResponse`` (scope ``responses:write``) takes one FHIR R4
QuestionnaireResponse of one of the team's measures, as a system that fills in the
Questionnaire of ``GET /api/v1/measures/{id}/fhir`` would send it:

- ``questionnaire``: the Questionnaire's canonical URL (``…/Questionnaire/phq-9``, with or
  without ``|version``) or ``Questionnaire/phq-9``;
- ``subject``: ``{"reference": "Patient/<respondent id>"}`` or ``{"identifier": {"value":
  "<respondent id>"}}``, a person of the client's team;
- ``authored``: when it was answered (its date is the form's date; not in the future);
- ``status``: ``completed`` (or ``amended``); a form still in progress is not stored;
- ``identifier``: ``{"system", "value"}``, required: the same identifier sent again is
  answered with the first result and stored once (a retry after a lost connection is
  safe); the same identifier with other content is refused (409);
- the timepoint and episode in the extensions ``…/StructureDefinition/timepoint`` and
  ``…/episode`` (``valueString`` or ``valueCode``), or the query parameters
  ``?timepoint=…&episode=…``; ``?mode=`` as in ``POST /api/v1/responses``.

The answers are read by measurelib's FHIR reader (:func:`measurelib.interop.read_fhir`)
and validated like any form; every problem is reported as a FHIR ``OperationOutcome``
whose issues name where it is (``expression``, e.g. ``QuestionnaireResponse.item.where(
linkId='down')``). The measure's alerts are raised as for any other form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._api import MODES, _store, api
from measurelib.serve.models import ApiClient, FhirReceipt, Person

__all__ = ["EXTENSION_BASE", "questionnaire_response"]

EXTENSION_BASE = "https://measurelib.org/fhir/StructureDefinition/"
QR = "QuestionnaireResponse"


def outcome(status: int, issues: list[tuple[str, str]], code: str = "invalid") -> JsonResponse:
    """An ``OperationOutcome`` of error issues: (message, FHIRPath expression) pairs."""
    doc = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": message,
         **({"expression": [where]} if where else {})} for message, where in issues]}
    return JsonResponse(doc, status=status, content_type="application/fhir+json")


def _measure_of(client: ApiClient, canonical: Any) -> str | None:
    if not isinstance(canonical, str):
        return None
    base = canonical.split("|", 1)[0].rstrip("/")
    for mid in client.team.measure_ids():
        url = _canonical_url(mid)
        if base in (url, f"Questionnaire/{mid}", mid):
            return mid
    return None


def _canonical_url(measure_id: str) -> str:
    return str(ml.export(lib.load_measure(measure_id), "fhir").content.get("url", ""))


def _subject(resource: dict[str, Any]) -> str | None:
    subject = resource.get("subject")
    if not isinstance(subject, dict):
        return None
    ref = subject.get("reference")
    if isinstance(ref, str) and ref.startswith("Patient/"):
        return ref.split("/", 1)[1]
    ident = subject.get("identifier")
    if isinstance(ident, dict) and isinstance(ident.get("value"), str):
        return str(ident["value"])
    return None


def _extension(resource: dict[str, Any], name: str) -> str | None:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == EXTENSION_BASE + name:
            for key in ("valueString", "valueCode"):
                if isinstance(ext.get(key), str) and ext[key].strip():
                    return str(ext[key]).strip()
    return None


def _identifier(resource: dict[str, Any]) -> str | None:
    ident = resource.get("identifier")
    if isinstance(ident, list):  # R5 allows several; the first is the business identifier
        ident = ident[0] if ident else None
    if not isinstance(ident, dict) or not isinstance(ident.get("value"), str) \
            or not ident["value"].strip():
        return None
    return f"{ident.get('system') or ''}|{ident['value'].strip()}"[:400]


def _envelope(request: HttpRequest, client: ApiClient,
              resource: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The checked envelope of a QuestionnaireResponse: measure, person, date, timepoint,
    episode, mode and identifier; or the problems, each with where it is.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(resource, dict) or resource.get("resourceType") != QR:
        return {}, [("send one FHIR QuestionnaireResponse resource", "resourceType")]
    out: dict[str, Any] = {}
    if resource.get("status") not in ("completed", "amended"):
        problems.append((f"status is {resource.get('status')!r}: only a completed form is "
                         "stored", f"{QR}.status"))
    out["identifier"] = _identifier(resource)
    if out["identifier"] is None:
        problems.append(("an identifier (system and value) is required, so that a form "
                         "sent again is stored once", f"{QR}.identifier"))
    out["measure_id"] = _measure_of(client, resource.get("questionnaire"))
    if out["measure_id"] is None:
        problems.append((f"questionnaire {str(resource.get('questionnaire'))[:200]!r} is not "
                         f"one of the team's measures", f"{QR}.questionnaire"))
    rid = _subject(resource)
    out["person"] = Person.objects.filter(team=client.team, respondent_id=rid).first() \
        if rid else None
    if out["person"] is None:
        problems.append(("subject must be Patient/<respondent id> of a person of the team",
                         f"{QR}.subject"))
    authored = str(resource.get("authored") or "")
    try:
        out["date"] = dt.date.fromisoformat(authored[:10])
        if out["date"] > timezone.localdate():
            problems.append((f"authored {authored[:10]} is in the future", f"{QR}.authored"))
    except ValueError:
        problems.append(("authored must be a date (YYYY-MM-DD, or a dateTime)",
                         f"{QR}.authored"))
    out["timepoint"] = _extension(resource, "timepoint") or request.GET.get("timepoint")
    if not out["timepoint"]:
        problems.append((f"give the timepoint in the extension {EXTENSION_BASE}timepoint or "
                         "?timepoint=", f"{QR}.extension"))
    out["episode"] = _extension(resource, "episode") or request.GET.get("episode") or "1"
    out["mode"] = request.GET.get("mode", "online")
    if out["mode"] not in MODES:
        problems.append((f"mode must be one of {', '.join(MODES)}", "mode"))
    return out, problems


def _answers(measure: ml.Measure, resource: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
    """The answers read by measurelib's FHIR reader and validated; or located problems."""
    if not isinstance(resource.get("item"), list) or not all(
            isinstance(i, dict) for i in resource["item"]):
        return None, [("item must be a list of answered items", f"{QR}.item")]
    try:
        frame = lib.read_fhir_response(measure, resource)
    except ml.DataError as exc:
        return None, [(d.message, f"{QR}.{getattr(d.location, 'path', '') or 'item'}")
                      for d in exc.errors]
    except (TypeError, AttributeError, KeyError, ValueError, IndexError):
        return None, [("the items could not be read: each needs a linkId and answer "
                       "[{valueCoding | valueInteger | valueDecimal | valueString}]",
                       f"{QR}.item")]
    row = frame.iloc[0].to_dict() if len(frame) else {}
    form = {"measure_id": measure.id}
    for col in measure.response_columns():
        value = row.get(col)
        form[col] = "" if value is None or value != value else str(value)
    if not any(form[c] for c in measure.response_columns()):
        return None, [(f"no item answers a question of {measure.id}", f"{QR}.item")]

    class _Post(dict[str, str]):
        def getlist(self, key: str) -> list[str]:
            return [self[key]]

    try:
        return lib.parse_form(measure, _Post(form)), []
    except ml.DataError as exc:
        return None, [(d.message, f"{QR}.item.where(linkId='{d.location.field}')"
                       if getattr(d.location, "field", None) else f"{QR}.item")
                      for d in exc.errors]


def _replay(receipt: FhirReceipt, digest: str) -> HttpResponse:
    if receipt.content_sha256 != digest:
        return outcome(409, [("this identifier was already used for a different "
                              "QuestionnaireResponse; nothing was stored",
                              f"{QR}.identifier")], code="duplicate")
    return JsonResponse({"stored": False, "already_stored": True,
                         "administration": receipt.administration,
                         "identifier": receipt.identifier}, status=200)


@require_POST
@api("responses:write")
def questionnaire_response(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """Store one FHIR QuestionnaireResponse (see the module docstring)."""
    try:
        resource = json.loads(request.body or b"")
    except ValueError:
        return outcome(400, [("the body is not JSON", "")], code="structure")
    env, problems = _envelope(request, client, resource)
    if problems:
        return outcome(400, problems)
    digest = hashlib.sha256(json.dumps(resource, sort_keys=True, separators=(",", ":"))
                            .encode("utf-8")).hexdigest()
    found = FhirReceipt.objects.filter(client=client, identifier=env["identifier"]).first()
    if found is not None:
        return _replay(found, digest)
    measure = lib.load_measure(env["measure_id"])
    submission, problems = _answers(measure, resource)
    if problems:
        return outcome(400, problems)
    response = _store(request, client, env["person"], measure, submission,
                      episode=env["episode"], timepoint=env["timepoint"], mode=env["mode"],
                      date=env["date"].isoformat(), extra={"identifier": env["identifier"]})
    if response.status_code in (400, 409):  # refused by the Store
        refused = json.loads(response.content).get("problems") or []
        return outcome(response.status_code, [
            (str(p.get("message")), f"{QR}.extension" if p.get("field") == "timepoint"
             else QR) for p in refused] or [("the form was not stored", QR)],
            code="conflict" if response.status_code == 409 else "invalid")
    if response.status_code in (200, 201):
        administration = json.loads(response.content).get("administration")
        try:
            with transaction.atomic():
                FhirReceipt.objects.create(
                    client=client, identifier=env["identifier"], content_sha256=digest,
                    person=env["person"], measure_id=measure.id, timepoint=env["timepoint"],
                    administration=administration)
        except IntegrityError:  # the same identifier at the same moment: one receipt
            found = FhirReceipt.objects.get(client=client, identifier=env["identifier"])
            if found.content_sha256 != digest or found.administration != administration:
                return _replay(found, digest)
    return response
