"""Data protection: each team's retention period, and the erasure of one person.

**Retention.** A team may set ``retention_months`` (and ``retention_action``: delete or
anonymise). ``measurelib serve retention`` (``--dry-run`` to only count) then, for each
such team, removes the forms of every episode closed that many months ago or more
(:meth:`measurelib.Store.apply_retention`) and the service's own records of those
episodes: links and hand-overs (tokens), paper keyings, actioned alerts raised during the
episode, and the episode itself, so that completion reports stay consistent (an episode
whose forms are gone is no longer expected to have them). Open alerts are never removed.
Each episode removed gets an entry in the audit log. The person's registration stays
until they are erased.

**Erasure.** :func:`erase_person` deletes everything held of one person: their forms,
scores, offers and episodes in the Store (:meth:`measurelib.Store.erase_respondent`) and
their registration with contact details, episodes, links, alerts, paper keyings and FHIR
receipts in the service. The audit log keeps its entries, and one more saying who erased
the person and how many records went.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from measurelib.serve import _library as lib
from measurelib.serve._auth import audit, person_for, role_required
from measurelib.serve.models import (
    AlertTask,
    Collection,
    Episode,
    PaperEntry,
    Person,
    Team,
)

__all__ = ["TeamRetention", "erase_person", "person_erase", "preview", "run_retention"]


@dataclass
class TeamRetention:
    """What retention did (or would do) for one team."""

    team: str
    service: str
    months: int
    action: str
    cutoff: dt.date
    dry_run: bool
    n_episodes: int
    n_administrations: int
    n_scores: int
    n_offers: int
    n_service_records: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the command's output (counts only: no ids)."""
        verb = "anonymised" if self.action == "anonymise" else "deleted"
        if self.dry_run:
            verb = f"would be {verb}"
        return (f"{self.team} ({self.service}): keep {self.months} month(s) after an "
                f"episode closes; {self.n_episodes} episode(s) closed on or before "
                f"{self.cutoff}: {self.n_administrations} form(s), {self.n_scores} score(s), "
                f"{self.n_offers} offer record(s) {verb}"
                + (f"; {self.n_service_records} record(s) of the service removed"
                   if not self.dry_run else ""))


def _team_retention(team: Team, *, dry_run: bool, today: dt.date) -> TeamRetention:
    months = int(team.retention_months or 0)
    res = lib.store().apply_retention(team.service, months, action=team.retention_action,
                                      today=today, dry_run=dry_run)
    # the service's own episodes closed by the cutoff (those without forms count too)
    eps = list(Episode.objects.filter(person__team=team, closed_on__isnull=False,
                                      closed_on__lte=res.cutoff).select_related("person"))
    out = TeamRetention(team.name, team.service, months, team.retention_action, res.cutoff,
                        dry_run, len({(e.person.respondent_id, e.number) for e in eps}
                                     | set(res.episodes)),
                        res.n_administrations, res.n_scores, res.n_offers)
    if dry_run:
        return out
    n = 0
    for ep in eps:
        person = ep.person
        with transaction.atomic():
            n += Collection.objects.filter(person=person, episode=ep.number).delete()[0]
            n += PaperEntry.objects.filter(person=person, episode=ep.number).delete()[0]
            n += AlertTask.objects.filter(
                person=person, actioned_at__isnull=False,
                created_at__date__gte=ep.opened_on,
                created_at__date__lte=res.cutoff).delete()[0]
            n += Episode.objects.filter(pk=ep.pk).delete()[0]
        audit(None, "retention-applied", person=person.respondent_id, team=team,
              detail=f"episode {ep.number} closed {ep.closed_on}: its forms "
                     f"{'anonymised' if team.retention_action == 'anonymise' else 'deleted'} "
                     f"({months} month(s) after closing)", username="retention")
    out.n_service_records = n
    return out


def run_retention(*, dry_run: bool = False, today: dt.date | None = None,
                  teams: Any = None) -> list[TeamRetention]:
    """Apply every team's retention period (``dry_run``: count only, change nothing)."""
    day = today or timezone.localdate()
    qs = teams if teams is not None else Team.objects.all()
    return [_team_retention(t, dry_run=dry_run, today=day)
            for t in qs.filter(retention_months__isnull=False, retention_months__gt=0)]


def preview(team: Team, today: dt.date | None = None) -> TeamRetention | None:
    """What retention would do for ``team`` now (None when it keeps everything)."""
    if not team.retention_months:
        return None
    return _team_retention(team, dry_run=True, today=today or timezone.localdate())


def erase_person(request: Any, person: Person) -> dict[str, int]:
    """Delete everything held of one person, in the Store and in the service; the audit
    log keeps its entries and gains one. Returns the counts removed.
    """
    rid = person.respondent_id
    team = person.team
    stored = lib.store().erase_respondent(rid)
    counts = {"forms": stored.n_administrations, "scores": stored.n_scores,
              "offer records": stored.n_offers}
    with transaction.atomic():
        for name, qs in (("links and hand-overs", person.collections.all()),
                         ("alerts", person.alerts.all()), ("paper keyings", person.paper.all()),
                         ("episodes", person.episodes.all()),
                         ("FHIR receipts", person.fhir_receipts.all())):
            counts[name] = qs.count()
        Person.objects.filter(pk=person.pk).delete()  # the rest goes with it (cascade)
    # a person's own respondent pages hold nothing any more; sessions of open links end with
    # their collection (a deleted collection is an unknown link)
    audit(request, "person-erased", person=rid, team=team,
          detail="; ".join(f"{v} {k}" for k, v in counts.items()))
    return counts


@role_required("administrator")
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Erase a person: everything held of them, after typing their id to confirm."""
    p = person_for(request, respondent_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != p.respondent_id:
            error = f"Type {p.respondent_id} to confirm."
        else:
            counts = erase_person(request, p)
            messages.success(request, f"{respondent_id} erased: "
                              + ", ".join(f"{v} {k}" for k, v in counts.items() if v) + ".")
            return redirect("serve:people")
    else:
        audit(request, "view-erase-person", person=p)
    return render(request, "serve/person_erase.html", {"person": p, "error": error},
                  status=400 if error else 200)
