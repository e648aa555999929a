"""Follow-up and completion rates on the due and reports pages, per team and key worker.

The figures are the library's (:func:`measurelib.outcomes.follow_up_rates`): the team's
stored schedule laid out over the episodes the service records in the Store, the forms
collected and the offers recorded. Each person counts under their key worker. Viewers
(commissioners) see the counts protected by the impact report's disclosure rule
(``min_cell`` of the configuration); staff who work with the people see them whole.
"""

from __future__ import annotations

from typing import Any

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve.models import Person, Team

__all__ = ["COLUMNS", "rate_sections"]

#: The table's columns: (key in the library's rows, heading).
COLUMNS = (("due", "Due"), ("done", "Done"), ("declined", "Offered, declined"),
           ("not_possible", "Not possible"), ("offered", "Offered, not returned"),
           ("no_record", "Nothing recorded"), ("completion_rate", "Completion rate"),
           ("baseline", "With a baseline"), ("followed_up", "Followed up"),
           ("follow_up_rate", "Follow-up rate"))


def _cell(key: str, value: Any) -> str:
    if key.endswith("_rate"):
        return "—" if value is None else f"{100 * float(value):.0f}%"
    return str(value)


def _section(team: Team, min_cell: int) -> dict[str, Any]:
    workers = {p.respondent_id: p.key_worker.get_username() if p.key_worker else None
               for p in Person.objects.filter(team=team).select_related("key_worker")}
    try:
        lib.team_schedule_known(team.schedule)
        res = lib.follow_up_rates(team.service, workers, min_cell)  # type: ignore[arg-type]
    except ml.MeasurelibError as exc:
        errors = list(getattr(exc, "errors", []) or [])
        reason = errors[0].message if errors else str(exc).splitlines()[0]
        if "no schedule is stored" in reason:
            reason = "the team has no schedule yet (a lead sets one under Teams)"
        return {"team": team, "rows": [], "reason": reason, "hidden": 0, "marker": "[c]"}
    rows = []
    for r in res.rows():
        who = ("Whole team" if r["level"] == "service"
               else r["worker"] if r["worker"] is not None else "No key worker")
        rows.append({"who": who, "total": r["level"] == "service",
                     "cells": [_cell(k, r[k]) for k, _ in COLUMNS]})
    return {"team": team, "rows": rows, "reason": "", "hidden": res.n_hidden,
            "marker": res.marker, "on": res.on}


def rate_sections(teams: Any, *, suppress: bool, min_cell: int) -> dict[str, Any]:
    """The template context of the rates: one section per team, the column headings, the
    definitions written on the page and the protection used.
    """
    cell = int(min_cell) if suppress else 1
    return {"sections": [_section(t, cell) for t in teams],
            "columns": [h for _, h in COLUMNS],
            "definitions": [(h, ml.outcomes.FOLLOW_UP_DEFINITIONS[k]) for k, h in COLUMNS],
            "min_cell": cell, "suppressed": suppress}
