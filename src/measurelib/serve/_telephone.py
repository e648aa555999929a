"""Telephone administrations: the worker reads the measure's read-aloud script to the person
and keys their answers as they are given, on one screen with the script beside the form.

A telephone administration is its own way of collecting (stored with the Store's mode
``telephone``, shown so in timelines, exports and the impact report's breakdown by mode).
It is keyed once: the answers are given live, so there is no paper to key a second time
against. Starting, viewing and storing it are audit-logged like paper keying.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._auth import PEOPLE_ROLES, audit, person_for, role_required
from measurelib.serve._paper import entry_for, problems_page, store_entry
from measurelib.serve._respond import form_policy
from measurelib.serve.forms import PaperForm
from measurelib.serve.models import PaperEntry, Person

__all__ = ["TelephoneForm", "script_beside", "telephone_form", "telephone_key",
           "telephone_start"]

MODE = "telephone"


class TelephoneForm(PaperForm):
    """A telephone administration to start: measure, timepoint, episode, date of the call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "phone_%s")  # beside the paper form on the same page
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].label = "Date of the call (YYYY-MM-DD)"


def telephone_form(person: Person, data: Any = None) -> TelephoneForm:
    """The start form of a person's page (their team's measures and their episodes)."""
    titles = dict(lib.collectable_measures())
    measures = [(m, titles.get(m, m)) for m in person.team.measure_ids() if m in titles]
    episodes = [e.number for e in person.episodes.order_by("-opened_on", "-pk")] or ["1"]
    return TelephoneForm(data, measures=measures, episodes=episodes,
                         initial={"episode": episodes[0], "completed_on": timezone.localdate()})


@role_required(*PEOPLE_ROLES)
@require_POST
def telephone_start(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Start a telephone administration for a person and timepoint."""
    p = person_for(request, respondent_id)
    form = telephone_form(p, request.POST)
    if not form.is_valid():
        return render(request, "serve/message.html", {
            "title": "The telephone form could not be started",
            "text": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            status=400)
    if form.cleaned_data["completed_on"] > timezone.localdate():
        return render(request, "serve/message.html", {
            "title": "The telephone form could not be started",
            "text": "completed_on: the date of the call cannot be in the future."}, status=400)
    entry = PaperEntry.objects.create(person=p, mode=MODE, **form.cleaned_data)
    audit(request, "telephone-started", person=p,
          detail=f"{entry.measure_id} {entry.timepoint}")
    return redirect("serve:telephone_key", pk=entry.pk)


_ID = re.compile(r'\b(id|for|aria-labelledby|aria-describedby)="([^"]*)"')


def script_beside(measure: ml.Measure) -> str:
    """The measure's read-aloud script (``Measure.render("script")``) as an ``<aside>`` to
    show beside the keying form: its main part only, headings two levels down (under the
    aside's own heading, below the form's title) and every id
    prefixed so that none clashes with the form's.
    """
    script = str(measure.render("script"))
    found = re.search(r"<main>(.*?)</main>", script, flags=re.S)
    body = found.group(1) if found else ""
    body = re.sub(r"<(/?)h([1-4])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}", body)
    body = _ID.sub(lambda m: f'{m.group(1)}="' + " ".join(
        f"script-{v}" for v in m.group(2).split()) + '"', body)
    body = body.replace('href="#', 'href="#script-')
    return ('<aside class="read-aloud" aria-labelledby="read-aloud-h">'
            '<h2 id="read-aloud-h" class="read-aloud-title">Read-aloud script</h2>' + body + "</aside>")


_LAYOUT = """<style>
.telephone-layout { display: grid; gap: 1.5rem; grid-template-columns: minmax(0, 1fr); }
@media (min-width: 60em) { .telephone-layout { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } }
.telephone-layout > main { max-width: none; margin: 0; }
.read-aloud { border: 2px solid #1d3557; padding: .75rem 1rem; background: #f3f2f1; }
.read-aloud .cue { font-variant: small-caps; font-weight: 700; }
.read-aloud-title { font-size: 1.25rem; margin-top: 0; }
.keying-banner { background: #fff7bf; border-left: 5px solid #1d3557; padding: .5rem 1rem; }
</style>
"""


def _page(request: HttpRequest, entry: PaperEntry, measure: ml.Measure) -> HttpResponse:
    page = lib.form_html(measure, action=reverse("serve:telephone_key",
                                                 kwargs={"pk": entry.pk}),
                         csrf_token=get_token(request))
    banner = format_html(
        '<p class="keying-banner"><strong>Telephone</strong>: the answers of {} to {} ({}, '
        'episode {}), given on the call of {}. Read the script (beside this form) aloud, '
        'exactly as written, and tick each answer as it is given; then send. The form is '
        'keyed once and stored with the mode <em>telephone</em>.</p>',
        entry.person.respondent_id, entry.measure_id, entry.timepoint, entry.episode,
        entry.completed_on.isoformat())
    page = page.replace("</head>", _LAYOUT + "</head>", 1)
    page = page.replace("<main>", '<div class="telephone-layout">\n<main>\n' + banner, 1)
    page = page.replace("</main>", "</main>\n" + script_beside(measure) + "\n</div>", 1)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def telephone_key(request: HttpRequest, pk: int) -> HttpResponse:
    """The telephone keying screen: the form, with the read-aloud script beside it."""
    entry = entry_for(request, pk)
    if entry.mode != MODE:
        return redirect("serve:paper_key", pk=entry.pk)
    if entry.stored_at is not None:
        return redirect("serve:person", respondent_id=entry.person.respondent_id)
    measure = lib.load_measure(entry.measure_id)
    if request.method == "POST":
        try:
            sub = lib.parse_form(measure, request.POST)
        except ml.DataError as exc:
            return problems_page(request, exc, measure, "These answers cannot be used")
        try:
            store_entry(request, entry, dict(sub.responses))
        except ml.DataError as exc:  # e.g. another form for that occasion
            return problems_page(request, exc, measure, "These answers cannot be stored")
        audit(request, "telephone-keyed", person=entry.person,
              detail=f"{entry.measure_id} {entry.timepoint}")
        from django.contrib import messages

        messages.success(request, "The answers given by telephone are stored.")
        return redirect("serve:person", respondent_id=entry.person.respondent_id)
    audit(request, "view-telephone-form", person=entry.person,
          detail=f"{entry.measure_id} {entry.timepoint}")
    return _page(request, entry, measure)
