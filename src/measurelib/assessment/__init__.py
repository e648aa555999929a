"""Assessment of a measure from its responses: reliability, structure, validity, with verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.assessment._assess import (
        CRITERIA,
        MIN_RCI_RELIABILITY,
        MIN_RESPONSES_PER_ITEM,
        AssessmentResult,
        SampleRequirement,
        Verdict,
        assess,
        responses_from_store,
        sample_requirement,
        write_rci,
    )
    from measurelib.assessment._calibrate import CalibrationResult, calibrate

_LAZY = {
    "CRITERIA": "_assess",
    "MIN_RCI_RELIABILITY": "_assess",
    "MIN_RESPONSES_PER_ITEM": "_assess",
    "SampleRequirement": "_assess",
    "sample_requirement": "_assess",
    "responses_from_store": "_assess",
    "AssessmentResult": "_assess",
    "Verdict": "_assess",
    "assess": "_assess",
    "write_rci": "_assess",
    "CalibrationResult": "_calibrate",
    "calibrate": "_calibrate",
}
__all__ = [
    "AssessmentResult",
    "CRITERIA",
    "CalibrationResult",
    "MIN_RCI_RELIABILITY",
    "MIN_RESPONSES_PER_ITEM",
    "SampleRequirement",
    "Verdict",
    "assess",
    "calibrate",
    "responses_from_store",
    "sample_requirement",
    "write_rci",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
