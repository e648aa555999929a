"""The assessment report of an organisation's own measure, for leads and administrators.

``/reports/<team>/<measure>/assessment.html`` (or ``.pdf``; ``?version=`` for an earlier
published version) assesses the measure from the forms **that team** collected on that
version — each person's first form (:func:`measurelib.assessment.responses_from_store`) —
with the library's :func:`measurelib.assess`, headed by the organisation's name and logo.

Below the minimum the page says how many responses there are, how many are needed and why
(:func:`measurelib.assessment.sample_requirement`: 5 complete responses per item, COSMIN);
no report is computed.

The computation is bounded three ways: at most :data:`MAX_RESPONSES` people (the most
recent) are assessed; a report is kept (``AssessmentReport``) for the measure version and
a digest of the responses used, so the same data is never assessed twice (a new form
changes the digest and the report is made again); and each worker process computes one
report at a time — a second request waits up to :data:`WAIT_SECONDS`, then is told to try
again shortly (503) instead of holding a request thread for ever.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from measurelib.serve import _library as lib
from measurelib.serve._auth import audit, role_required, teams_of
from measurelib.serve.models import AssessmentReport, PublishedMeasure

__all__ = ["MAX_RESPONSES", "WAIT_SECONDS", "report"]

#: The most people one report assesses (the most recent first forms); beyond it the
#: report says so. Parallel analysis and CFA cost grows with the sample.
MAX_RESPONSES = 5000
#: How long a request waits for this process's one computing slot before a "try again
#: shortly" page.
WAIT_SECONDS = 20.0
_SLOT = threading.BoundedSemaphore(1)


def _digest(frame: Any) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def _busy(request: HttpRequest) -> HttpResponse:
    response = render(request, "serve/message.html", {
        "title": "The report is being prepared",
        "text": "Another assessment report is being computed on this server. Try again in "
                "a minute: once made, a report opens at once."}, status=503)
    response["Retry-After"] = "30"
    return response


def _made(team: Any, row: PublishedMeasure, frame: Any, fmt: str) -> AssessmentReport | None:
    """The kept report of exactly these data, computed (HTML, and PDF when asked) if need
    be; None when the computing slot stayed busy.
    """
    digest = _digest(frame)
    key = {"team": team, "measure_id": row.measure_id, "version": row.version,
           "sha256": row.sha256, "data_sha256": digest}
    kept = AssessmentReport.objects.filter(**key).first()
    if kept is not None and (fmt == "html" or kept.pdf is not None):
        return kept
    if not _SLOT.acquire(timeout=WAIT_SECONDS):
        return None
    try:
        kept = AssessmentReport.objects.filter(**key).first()
        if kept is not None and (fmt == "html" or kept.pdf is not None):
            return kept
        measure = lib.measure_version(row.measure_id, row.version)
        html = kept.html if kept is not None else str(lib.assessment_report(measure, frame,
                                                                            "html"))
        pdf = lib.assessment_report(measure, frame, "pdf") if fmt == "pdf" else None
        if kept is not None:
            AssessmentReport.objects.filter(pk=kept.pk).update(pdf=pdf)
            kept.pdf = pdf
            return kept
        # one report per team, measure and version: earlier data's report is replaced
        AssessmentReport.objects.filter(team=team, measure_id=row.measure_id,
                                        version=row.version).delete()
        try:
            with transaction.atomic():
                return AssessmentReport.objects.create(**key, n=len(frame), html=html,
                                                       pdf=pdf)
        except IntegrityError:  # made by another process meanwhile
            return AssessmentReport.objects.filter(**key).first()
    finally:
        _SLOT.release()


@role_required("administrator", "lead")
def report(request: HttpRequest, pk: int, measure_id: str, fmt: str) -> HttpResponse:
    """The assessment report of one of the organisation's own measures, from one team's
    forms, in the browser or as PDF; or why there is none yet.
    """
    from measurelib.serve.views import _document

    team = get_object_or_404(teams_of(request.user), pk=pk)
    if fmt not in ("html", "pdf") or measure_id not in team.measure_ids():
        raise Http404
    versions = list(PublishedMeasure.objects.filter(measure_id=measure_id).order_by(
        "-published_at", "-id"))
    wanted = request.GET.get("version")
    row = next((v for v in versions if v.version == wanted), None) if wanted else (
        versions[0] if versions else None)
    if row is None:  # not the organisation's own measure, or no such version
        raise Http404
    measure = lib.measure_version(measure_id, row.version)
    frame = lib.assessment_responses(measure, team.service, row.version)
    req = lib.sample_requirement(measure, frame)
    if frame is None or not req.enough:
        audit(request, "view-assessment", team=team,
              detail=f"{measure_id} {row.version}: not enough responses")
        return render(request, "serve/assessment.html", {
            "team": team, "measure": measure, "row": row, "req": req,
            "versions": versions, "none_yet": frame is None})
    capped = len(frame) > MAX_RESPONSES
    if capped:
        frame = frame.tail(MAX_RESPONSES).reset_index(drop=True)
    kept = _made(team, row, frame, fmt)
    if kept is None:
        return _busy(request)
    audit(request, "view-assessment", team=team,
          detail=f"{measure_id} {row.version} {fmt}: {kept.n} respondent(s)")
    if fmt == "pdf":
        response = HttpResponse(bytes(kept.pdf or b""), content_type="application/pdf")
        response["Content-Disposition"] = (f'attachment; filename="{team.service}-'
                                           f'{measure_id}-{row.version}-assessment.pdf"')
        return response
    return _document(kept.html)
