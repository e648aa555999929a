"""Linting: wording, scales, scores, burden and licences of a measure, before anyone answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.linting._linter import (
        SEVERITIES,
        LintResult,
        burden,
        lint,
    )
    from measurelib.linting._readability import (
        Readability,
        readability,
    )

_LAZY = {
    "SEVERITIES": "_linter",
    "LintResult": "_linter",
    "lint": "_linter",
    "burden": "_linter",
    "Readability": "_readability",
    "readability": "_readability",
}
__all__ = [
    "LintResult",
    "Readability",
    "SEVERITIES",
    "burden",
    "lint",
    "readability",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
