"""Due and overdue forms of a team, from its schedule and its episodes of care.

The schedule is measurelib's schedule format (validated by the library when a lead saves
it, through :meth:`measurelib.Store.configure_service`)::

    measures: [phq-9]
    timepoints:
      - {id: baseline, at: entry, tolerance: {days: 7}}
      - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
      - {id: exit, at: exit, tolerance: {days: 14}}

The service opens episodes before anything is collected and records them in the Store as
it does (:meth:`measurelib.Store.open_episode`), so ``measurelib due --db`` on the
service's database sees them too. The lists here apply the schedule's rules to the
service's own episodes — which carry each person's key worker, for the per-worker lists
and completion — and the team's administrations, read from the Store for that service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml

from measurelib.serve.models import Episode, Team

__all__ = ["CompletionRow", "DueItem", "completion_for_team", "due_for_team"]


@dataclass
class DueItem:
    person: Any
    episode: str
    measure_id: str
    timepoint: str
    due_date: dt.date
    window_end: dt.date
    status: str
    offer: tuple[str, str] | None = None

    @property
    def days_overdue(self) -> int:
        return 0 if self.status == "due" else (dt.date.today() - self.window_end).days


def _days(spec: Any) -> int:
    if not isinstance(spec, dict):
        return 0
    return int(spec.get("weeks", 0) or 0) * 7 + int(spec.get("days", 0) or 0)


def _parse(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _plan(team: Team, day: dt.date, administrations: Any) -> list[tuple[DueItem, bool]]:
    """Every (episode, measure, timepoint) window of the schedule opened by ``day``, with
    whether it is done.
    """
    from measurelib.serve._library import service_administrations

    sched = _parse(team.schedule)
    timepoints = sched.get("timepoints") or []
    if not timepoints:
        return []
    adm = service_administrations(team.service) if administrations is None else administrations
    done: dict[tuple[str, str, str, str], list[dt.date]] = {}
    if adm is not None and len(adm):
        for rec in adm.itertuples(index=False):
            key = (str(rec.respondent_id), str(rec.episode), str(rec.measure_id),
                   str(rec.timepoint))
            done.setdefault(key, []).append(rec.date.date())
    out: list[tuple[DueItem, bool]] = []
    episodes = Episode.objects.filter(person__team=team).select_related(
        "person", "person__key_worker")
    for ep in episodes:
        rid = ep.person.respondent_id
        for tp in timepoints:
            if not isinstance(tp, dict) or "id" not in tp:
                continue
            tol = dt.timedelta(days=_days(tp.get("tolerance")))
            measures = tp.get("measures") or sched.get("measures") or []
            windows: list[tuple[dt.date, dt.date, dt.date, bool]] = []  # due, start, end, any
            if tp.get("at") == "entry":
                windows.append((ep.opened_on, ep.opened_on, ep.opened_on + tol, True))
            elif tp.get("at") == "exit":
                if ep.closed_on is not None:
                    windows.append((ep.closed_on, ep.closed_on - tol, ep.closed_on + tol, False))
            elif tp.get("every"):
                every = _days(tp["every"])
                if every <= 0 or ep.closed_on is not None:
                    continue
                k = ((day - ep.opened_on).days + tol.days) // every
                if k >= 1:
                    due = ep.opened_on + dt.timedelta(days=k * every)
                    windows.append((due, due - tol, due + tol, False))
            for due_date, start, end, anytime in windows:
                if start > day:
                    continue
                for mid in measures:
                    dates = done.get((rid, ep.number, str(mid), str(tp["id"])), [])
                    is_done = any(anytime or start <= d <= end for d in dates)
                    out.append((DueItem(ep.person, ep.number, str(mid), str(tp["id"]),
                                        due_date, end, "overdue" if end < day else "due"),
                                is_done))
    return out


def due_for_team(team: Team, *, today: dt.date | None = None,
                 administrations: Any = None) -> list[DueItem]:
    """Every form of the team's schedule whose window has opened and that is not done."""
    day = today or dt.date.today()
    out = [item for item, done in _plan(team, day, administrations) if not done]
    out.sort(key=lambda d: (d.status != "overdue", d.due_date, d.person.respondent_id))
    return out


@dataclass
class CompletionRow:
    team: str
    worker: str
    expected: int
    completed: int

    @property
    def rate(self) -> str:
        return f"{100 * self.completed / self.expected:.0f}%" if self.expected else ""


def completion_for_team(team: Team, *, today: dt.date | None = None,
                        administrations: Any = None) -> list[CompletionRow]:
    """Completion against the schedule: forms whose window has closed (or that are done),
    and how many were collected — for the team and for each key worker.
    """
    day = today or dt.date.today()
    counts: dict[str, list[int]] = {}
    for item, done in _plan(team, day, administrations):
        if not done and item.window_end >= day:
            continue  # still open: not yet expected
        kw = item.person.key_worker
        for key in ("(whole team)", kw.get_username() if kw is not None else "(no key worker)"):
            c = counts.setdefault(key, [0, 0])
            c[0] += 1
            c[1] += int(done)
    rows = [CompletionRow(team.name, k, v[0], v[1]) for k, v in counts.items()]
    rows.sort(key=lambda r: (r.worker != "(whole team)", r.worker))
    return rows
