"""Paper forms keyed twice: each keying on a screen laid out like the paper form (the
measure's own web form), a side-by-side reconciliation of any differences, then the Store.

The two keyings are kept (in the service's tables) only until the form is stored.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._auth import PEOPLE_ROLES, audit, people_of, person_for, role_required
from measurelib.serve._respond import form_policy, record
from measurelib.serve.forms import PaperForm
from measurelib.serve.models import PaperEntry, Person


class _Answers:
    """Keyed answers in the shape ``record`` expects from a parsed submission."""

    def __init__(self, responses: dict[str, Any]) -> None:
        self.responses = responses
        self.metadata: dict[str, str] = {"respondent_type": "self"}


def paper_form(person: Person, data: Any = None) -> PaperForm:
    titles = dict(lib.collectable_measures())
    measures = [(m, titles.get(m, m)) for m in person.team.measure_ids() if m in titles]
    episodes = [e.number for e in person.episodes.order_by("-opened_on", "-pk")] or ["1"]
    return PaperForm(data, measures=measures, episodes=episodes,
                     initial={"episode": episodes[0], "completed_on": timezone.localdate()})


@role_required(*PEOPLE_ROLES)
@require_POST
def paper_start(request: HttpRequest, respondent_id: str) -> HttpResponse:
    p = person_for(request, respondent_id)
    form = paper_form(p, request.POST)
    if not form.is_valid():
        return render(request, "serve/message.html", {
            "title": "The paper form could not be started",
            "text": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            status=400)
    entry = PaperEntry.objects.create(person=p, **form.cleaned_data)
    audit(request, "paper-started", person=p, detail=f"{entry.measure_id} {entry.timepoint}")
    return redirect("serve:paper_key", pk=entry.pk)


def entry_for(request: HttpRequest, pk: int) -> PaperEntry:
    """A keying of a person of the user's teams (else 404)."""
    return get_object_or_404(PaperEntry.objects.select_related("person", "person__team"),
                             pk=pk, person__in=people_of(request.user))


def store_entry(request: HttpRequest, entry: PaperEntry, responses: dict[str, Any]) -> None:
    """Store keyed answers once, with the entry's mode (``paper`` or ``telephone``)."""
    measure = lib.load_measure(entry.measure_id)
    claimed = PaperEntry.objects.filter(pk=entry.pk, stored_at__isnull=True).update(
        stored_at=timezone.now(), stored_by=request.user)
    if claimed != 1:
        raise Http404("already stored")
    try:
        record(request, entry.person, measure, _Answers(responses), episode=entry.episode,
               timepoint=entry.timepoint, mode=entry.mode, worker=request.user.get_username(),
               date=entry.completed_on.isoformat(),
               responsible=entry.person.key_worker or request.user)
    except Exception:
        PaperEntry.objects.filter(pk=entry.pk).update(stored_at=None, stored_by=None)
        raise
    PaperEntry.objects.filter(pk=entry.pk).update(first="", second="")


_ANSWER_CODES = ("invalid-answer", "not-a-number", "answer-required", "form-wrong-measure")


def problems_page(request: HttpRequest, exc: Any, measure: ml.Measure,
                  title: str) -> HttpResponse:
    """Why keyed answers cannot be used or stored (what was keyed is kept, so nothing is
    lost).
    """
    errors = list(getattr(exc, "errors", []))
    answers = [d for d in errors if d.code in _ANSWER_CODES]
    # a keyed answer: its question by the number the keying screen shows; else (the store
    # refused the form) the store's own words
    problems = lib.form_problems(measure, answers, "en") if answers else []
    problems += [d.message for d in errors if d.code not in _ANSWER_CODES]
    return render(request, "serve/message.html", {
        "title": title, "text": " ".join(dict.fromkeys(problems)) or str(exc)}, status=400)


def _refused(request: HttpRequest, exc: Any, measure: ml.Measure) -> HttpResponse:
    """The store refused the form (both keyings are kept, so nothing is lost)."""
    return problems_page(request, exc, measure, "These answers cannot be stored")


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def paper_key(request: HttpRequest, pk: int) -> HttpResponse:
    """The keying screen: the first keying, then the second."""
    entry = entry_for(request, pk)
    if entry.mode == "telephone":
        return redirect("serve:telephone_key", pk=entry.pk)
    if entry.stored_at is not None:
        return redirect("serve:person", respondent_id=entry.person.respondent_id)
    if entry.first and entry.second:
        return redirect("serve:paper_reconcile", pk=entry.pk)
    measure = lib.load_measure(entry.measure_id)
    which = "first" if not entry.first else "second"
    if request.method == "POST":
        try:
            sub = lib.parse_form(measure, request.POST)
        except ml.DataError as exc:
            return problems_page(request, exc, measure, "These answers cannot be used")
        keyed = json.dumps(sub.responses, sort_keys=True)
        if which == "first":
            PaperEntry.objects.filter(pk=entry.pk).update(first=keyed, first_by=request.user)
            audit(request, "paper-keyed", person=entry.person, detail="first keying")
            return redirect("serve:paper_key", pk=entry.pk)
        PaperEntry.objects.filter(pk=entry.pk).update(second=keyed, second_by=request.user)
        audit(request, "paper-keyed", person=entry.person, detail="second keying")
        if json.loads(entry.first) == sub.responses:
            try:
                store_entry(request, entry, dict(sub.responses))
            except ml.DataError as exc:  # e.g. a timepoint the schedule does not declare
                return _refused(request, exc, measure)
            from django.contrib import messages

            messages.success(request, "Both keyings agree; the form is stored.")
            return redirect("serve:person", respondent_id=entry.person.respondent_id)
        return redirect("serve:paper_reconcile", pk=entry.pk)
    audit(request, "view-paper-form", person=entry.person, detail=f"{which} keying")
    page = lib.form_html(measure, action=reverse("serve:paper_key", kwargs={"pk": entry.pk}),
                         csrf_token=get_token(request))
    script_url = reverse("serve:script", kwargs={"respondent_id": entry.person.respondent_id,
                                                 "measure_id": entry.measure_id})
    banner = format_html(
        '<p class="keying-banner"><strong>{} keying</strong> of the paper form of {}: {}, {}, '
        'dated {}. <a href="{}" target="_blank" rel="noopener">Read-aloud script</a> '
        '(opens in a new tab; for answers given by telephone, start a telephone form on '
        'the person\'s page instead: it shows the script beside the form).</p>',
        which.capitalize(), entry.person.respondent_id, entry.measure_id, entry.timepoint,
        entry.completed_on.isoformat(), script_url)
    page = page.replace("<main>", "<main>\n" + banner, 1)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def paper_reconcile(request: HttpRequest, pk: int) -> HttpResponse:
    """Side by side: the answers the two keyings disagree on; choose the one on paper."""
    entry = entry_for(request, pk)
    if entry.mode == "telephone" or entry.stored_at is not None or not (entry.first
                                                                       and entry.second):
        return redirect("serve:paper_key", pk=entry.pk)
    first, second = json.loads(entry.first), json.loads(entry.second)
    measure = lib.load_measure(entry.measure_id)
    columns = measure.response_columns()
    differ = [c for c in columns if first.get(c) != second.get(c)]
    error = ""
    if request.method == "POST":
        chosen = dict(first)
        for col in differ:
            pick = request.POST.get(f"pick_{col}")
            if pick not in ("first", "second"):
                error = "Choose, for every difference, the answer that is on the paper form."
                break
            chosen[col] = first.get(col) if pick == "first" else second.get(col)
        if not error:
            try:
                store_entry(request, entry, chosen)
            except ml.DataError as exc:  # e.g. a timepoint the schedule does not declare
                return _refused(request, exc, measure)
            audit(request, "paper-reconciled", person=entry.person,
                  detail=f"{len(differ)} difference(s)")
            from django.contrib import messages

            messages.success(request, "Differences reconciled; the form is stored.")
            return redirect("serve:person", respondent_id=entry.person.respondent_id)
    rows = [{"column": c, "first": first.get(c), "second": second.get(c)} for c in differ]
    audit(request, "view-paper-differences", person=entry.person,
          detail=f"{len(differ)} difference(s)")
    return render(request, "serve/paper_reconcile.html", {
        "entry": entry, "rows": rows, "error": error}, status=400 if error else 200)


@role_required(*PEOPLE_ROLES)
def script(request: HttpRequest, respondent_id: str, measure_id: str) -> HttpResponse:
    """The measure's read-aloud (telephone) script, to read beside the keying screen."""
    return _document(request, respondent_id, measure_id, "script")


@role_required(*PEOPLE_ROLES)
def printable(request: HttpRequest, respondent_id: str, measure_id: str) -> HttpResponse:
    """The measure's A4 paper form, to print (write the person's id in its header box)."""
    return _document(request, respondent_id, measure_id, "print")


def _document(request: HttpRequest, respondent_id: str, measure_id: str,
              fmt: str) -> HttpResponse:
    p = person_for(request, respondent_id)
    if measure_id not in p.team.measure_ids():
        raise Http404
    page = str(lib.load_measure(measure_id).render(fmt))
    audit(request, f"view-{fmt}", person=p, detail=measure_id)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response
