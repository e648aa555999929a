"""Computerised adaptive testing (CAT) on a calibrated item bank.

A :class:`Session` chooses the next item for one respondent, takes the answer, updates
the estimate of θ and its standard error, and says when to stop; it serialises with
``to_dict()`` / ``Session.from_dict()`` so that a test survives a server restart and can be
stored with the administration. :func:`simulate` runs many simulated tests against a bank
and reports test length, bias, RMSE, correlation with full-bank scores and item exposure.
:data:`STOP_PRESETS` holds the published PROMIS stopping rules. The bank is an
:class:`~measurelib.psychometrics.IRTResult` (from :func:`measurelib.psychometrics.irt` or
``IRTResult.from_coef``). See docs/irt.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.psychometrics._irt._cat import (
        STOP_PRESETS,
        CATSimulationResult,
        Session,
        simulate,
    )

_LAZY = {
    "STOP_PRESETS": "measurelib.psychometrics._irt._cat",
    "CATSimulationResult": "measurelib.psychometrics._irt._cat",
    "Session": "measurelib.psychometrics._irt._cat",
    "simulate": "measurelib.psychometrics._irt._cat",
}
__all__ = [
    "CATSimulationResult",
    "STOP_PRESETS",
    "Session",
    "simulate",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
