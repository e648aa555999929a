"""Assessment of a measure from its responses: reliability, structure, validity, with verdicts."""

from __future__ import annotations

from measurelib._lazy import attach

_LAZY = {
    "CRITERIA": "_assess",
    "AssessmentResult": "_assess",
    "Verdict": "_assess",
    "assess": "_assess",
    "write_rci": "_assess",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
