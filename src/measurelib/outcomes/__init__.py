"""Outcomes: the store, change and reliable change, schedules and due lists, impact and feedback.

The :class:`Store` (SQLite by default, PostgreSQL for services) holds administrations and
scores; :func:`change` turns them into before/after evidence; :func:`impact_report` and
:func:`feedback_sheet` show it to commissioners and to the people themselves;
:func:`due` lists who is due for follow-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.outcomes._change import (
        CATEGORIES,
        GROUPABLE,
        ChangeResult,
        change,
        resolve_score,
        wilson_interval,
    )
    from measurelib.outcomes._followup import (
        FOLLOW_UP_DEFINITIONS,
        FollowUpResult,
        follow_up_rates,
    )
    from measurelib.outcomes._impact import (
        ImpactReportResult,
        feedback_sheet,
        impact_report,
        write_feedback,
        xmr_limits,
    )
    from measurelib.outcomes._schedule import (
        DueResult,
        Duration,
        Schedule,
        Timepoint,
        allowed_timepoints,
        check_schedule,
        completion,
        due,
        due_list,
        load_schedule,
        loads_schedule,
        stored_schedules,
    )
    from measurelib.outcomes.store import (
        AddSubmissionResult,
        ErasureResult,
        FiredAlert,
        ImportResult,
        RetentionResult,
        Store,
        compare_entries,
        fired_alerts,
        measure_hash,
    )

_LAZY = {
    "CATEGORIES": "_change",
    "GROUPABLE": "_change",
    "ChangeResult": "_change",
    "change": "_change",
    "resolve_score": "_change",
    "wilson_interval": "_change",
    "FOLLOW_UP_DEFINITIONS": "_followup",
    "FollowUpResult": "_followup",
    "follow_up_rates": "_followup",
    "ImpactReportResult": "_impact",
    "feedback_sheet": "_impact",
    "impact_report": "_impact",
    "write_feedback": "_impact",
    "xmr_limits": "_impact",
    "DueResult": "_schedule",
    "Duration": "_schedule",
    "check_schedule": "_schedule",
    "allowed_timepoints": "_schedule",
    "due_list": "_schedule",
    "Schedule": "_schedule",
    "Timepoint": "_schedule",
    "completion": "_schedule",
    "due": "_schedule",
    "load_schedule": "_schedule",
    "loads_schedule": "_schedule",
    "stored_schedules": "_schedule",
    "AddSubmissionResult": "store",
    "ErasureResult": "store",
    "FiredAlert": "store",
    "ImportResult": "store",
    "RetentionResult": "store",
    "Store": "store",
    "compare_entries": "store",
    "fired_alerts": "store",
    "measure_hash": "store",
}
__all__ = [
    "AddSubmissionResult",
    "CATEGORIES",
    "ChangeResult",
    "DueResult",
    "Duration",
    "ErasureResult",
    "FOLLOW_UP_DEFINITIONS",
    "FiredAlert",
    "FollowUpResult",
    "GROUPABLE",
    "ImpactReportResult",
    "ImportResult",
    "RetentionResult",
    "Schedule",
    "Store",
    "Timepoint",
    "allowed_timepoints",
    "change",
    "check_schedule",
    "compare_entries",
    "completion",
    "due",
    "due_list",
    "feedback_sheet",
    "fired_alerts",
    "follow_up_rates",
    "impact_report",
    "load_schedule",
    "loads_schedule",
    "measure_hash",
    "resolve_score",
    "stored_schedules",
    "wilson_interval",
    "write_feedback",
    "xmr_limits",
]
#: names of earlier releases: old -> (new, removed in)
_DEPRECATED = {"ImpactReport": ("ImpactReportResult", "0.3.0")}
__getattr__, __dir__ = attach(__name__, _LAZY, _DEPRECATED)
