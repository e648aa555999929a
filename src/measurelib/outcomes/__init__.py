"""Outcomes: the store, change and reliable change, schedules and due lists, impact and feedback.

The :class:`Store` (SQLite by default, PostgreSQL for services) holds administrations and
scores; :func:`change` turns them into before/after evidence; :func:`impact_report` and
:func:`feedback_sheet` show it to commissioners and to the people themselves;
:func:`due` lists who is due for follow-up.
"""

from __future__ import annotations

from measurelib._lazy import attach

_LAZY = {
    "CATEGORIES": "_change",
    "GROUPABLE": "_change",
    "ChangeResult": "_change",
    "change": "_change",
    "resolve_score": "_change",
    "wilson_interval": "_change",
    "ImpactReport": "_impact",
    "feedback_sheet": "_impact",
    "impact_report": "_impact",
    "write_feedback": "_impact",
    "xmr_limits": "_impact",
    "Duration": "_schedule",
    "Schedule": "_schedule",
    "Timepoint": "_schedule",
    "completion": "_schedule",
    "due": "_schedule",
    "load_schedule": "_schedule",
    "loads_schedule": "_schedule",
    "stored_schedules": "_schedule",
    "ImportResult": "store",
    "Store": "store",
    "compare_entries": "store",
    "measure_hash": "store",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
