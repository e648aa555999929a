"""A team's own risk texts: per declared alert (``measure_id/alert_id``) and a default, one
for the person who gave the answer and one for the worker's alert task.

The person sees theirs as soon as the answer is sent (on the thank-you page, and on the
next page of a form shown one question per page); the worker sees theirs on the alert.
Configured under Teams → the team → Risk texts by administrators and the team's leads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._auth import audit, role_required, teams_of
from measurelib.serve.models import AlertTask, RiskText, Team

#: shown to a person who sets off an alert when the team has written no text of its own
#: (in the language of their form: the forms' word ``risk_default``)
DEFAULT_RESPONDENT_TEXT = ml.forms.ui_text("risk_default", "en")[0]


def alert_key(measure_id: str, alert_id: str) -> str:
    """How one declared alert is named in a team's risk texts."""
    return f"{measure_id}/{alert_id}"


def texts(team: Team, measure_id: str, alert_id: str,
          lang: str = "en") -> tuple[str, str]:
    """(for the person, for the worker): the alert's own texts, else the team's defaults,
    else the built-in text for the person (in ``lang``, the language of their form).
    """
    own = RiskText.objects.filter(team=team, alert=alert_key(measure_id, alert_id)).first()
    person = (own.respondent_text if own else "").strip() or team.respondent_risk_text.strip() \
        or ml.forms.ui_text("risk_default", lang)[0]
    worker = (own.worker_text if own else "").strip() or team.risk_text.strip()
    return person, worker


def for_person(team: Team, measure_id: str, alert_ids: list[str],
               lang: str = "en") -> list[str]:
    """The texts a person is shown for the alerts their answers set off (each once); the
    built-in one in ``lang``, the language of their form (a team's own texts as written).
    """
    out: list[str] = []
    for alert_id in alert_ids:
        text = texts(team, measure_id, alert_id, lang)[0]
        if text not in out:
            out.append(text)
    return out


def for_task(task: AlertTask) -> dict[str, str]:
    """The worker's risk text of an alert task and what the person was shown."""
    person, worker = texts(task.team, task.measure_id, task.alert_id)
    return {"worker": worker, "person": person}


def declared_alerts(team: Team) -> list[tuple[str, str, str]]:
    """(key, measure id, what the alert is) of every alert the team's measures declare."""
    out = []
    for mid in team.measure_ids():
        try:
            measure = lib.load_measure(mid)
        except Exception:  # a measure no longer in the catalog has no alerts to configure
            continue
        for alert in measure.alerts:
            out.append((alert_key(mid, alert.id), mid, measure.text(alert.text) or alert.id))
    return out


class RiskTextsForm(forms.Form):
    """The team's default texts and, for each declared alert, its own (empty: default)."""

    respondent_default = forms.CharField(
        label="For the person (every alert without its own text)", required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Empty: the built-in text (999, Samaritans 116 123, NHS 111).")
    worker_default = forms.CharField(
        label="For the worker (every alert without its own text)", required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your risk procedure and contacts.")

    def __init__(self, *args: Any, alerts: list[tuple[str, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alerts = alerts
        for i, (key, _mid, _what) in enumerate(alerts):
            self.fields[f"person_{i}"] = forms.CharField(
                label=f"{key}: for the person", required=False, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[f"worker_{i}"] = forms.CharField(
                label=f"{key}: for the worker", required=False, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}))

    def alert_rows(self) -> list[dict[str, Any]]:
        """The per-alert fields, with what each alert is, for the template."""
        return [{"key": key, "what": what, "person": self[f"person_{i}"],
                 "worker": self[f"worker_{i}"]}
                for i, (key, _mid, what) in enumerate(self.alerts)]


@role_required("administrator", "lead")
@require_http_methods(["GET", "POST"])
def risk_texts(request: HttpRequest, pk: int) -> HttpResponse:
    """A team's risk texts: defaults and one pair per declared alert."""
    team = get_object_or_404(teams_of(request.user), pk=pk)
    alerts = declared_alerts(team)
    own = {r.alert: r for r in RiskText.objects.filter(team=team)}
    initial: dict[str, str] = {"respondent_default": team.respondent_risk_text,
                               "worker_default": team.risk_text}
    for i, (key, _mid, _what) in enumerate(alerts):
        row = own.get(key)
        initial[f"person_{i}"] = row.respondent_text if row else ""
        initial[f"worker_{i}"] = row.worker_text if row else ""
    form = RiskTextsForm(request.POST or None, alerts=alerts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        Team.objects.filter(pk=team.pk).update(respondent_risk_text=data["respondent_default"],
                                               risk_text=data["worker_default"])
        for i, (key, _mid, _what) in enumerate(alerts):
            RiskText.objects.update_or_create(team=team, alert=key, defaults={
                "respondent_text": data[f"person_{i}"], "worker_text": data[f"worker_{i}"]})
        audit(request, "risk-texts-changed", team=team, detail=", ".join(form.changed_data))
        messages.success(request, "Risk texts saved.")
        return redirect("serve:risk_texts", pk=team.pk)
    return render(request, "serve/risk_texts.html", {
        "team": team, "form": form, "builtin": DEFAULT_RESPONDENT_TEXT})
