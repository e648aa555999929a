"""Assessment of a measure from its responses: reliability, structure, validity, with verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.assessment._assess import (
        CRITERIA,
        AssessmentResult,
        Verdict,
        assess,
        write_rci,
    )

_LAZY = {
    "CRITERIA": "_assess",
    "AssessmentResult": "_assess",
    "Verdict": "_assess",
    "assess": "_assess",
    "write_rci": "_assess",
}
__all__ = [
    "AssessmentResult",
    "CRITERIA",
    "Verdict",
    "assess",
    "write_rci",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
