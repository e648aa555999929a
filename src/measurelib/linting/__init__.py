"""Linting: wording, scales, scores, burden and licences of a measure, before anyone answers it."""

from __future__ import annotations

from measurelib._lazy import attach

_LAZY = {
    "SEVERITIES": "_linter",
    "LintResult": "_linter",
    "lint": "_linter",
    "burden": "_linter",
    "Readability": "_readability",
    "readability": "_readability",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
