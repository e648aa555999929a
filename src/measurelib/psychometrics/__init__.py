"""Psychometric evidence about a measure: reliability, factor structure, CFA, agreement, IRT.

Reliability, omega, polychoric correlations, agreement and simulation are modules of this
package; exploratory factor analysis lives in ``efa/`` and confirmatory factor analysis
(lavaan's engine) in ``sem/``.

Functions load their implementation module on first use, so that ``import measurelib``
stays light (numpy, pandas and scipy are imported only when a statistic is computed).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> private module that defines it
_LAZY: dict[str, str] = {
    "reliability": "_reliability",
    "ReliabilityResult": "_reliability",
    "keying_check": "_reliability",
    "KeyingResult": "_reliability",
    "factor_structure": "efa._factors",
    "fa": "efa._factors",
    "align_factors": "efa._factors",
    "FactorStructureResult": "efa._factors",
    "polychoric": "_polychoric",
    "PolychoricResult": "_polychoric",
    "omega": "_omega",
    "OmegaResult": "_omega",
    "icc": "_agreement",
    "ICCResult": "_agreement",
    "test_retest": "_agreement",
    "TestRetestResult": "_agreement",
    "convergent_validity": "_agreement",
    "CorrelationResult": "_agreement",
    "simulate": "_simulate",
    "plan": "_simulate",
    "PlanResult": "_simulate",
    "cfa": "sem._cfa",
    "CFAResult": "sem._cfa",
    "invariance": "sem._cfa",
    "InvarianceResult": "sem._cfa",
    "irt": "_irt",
    "IRTResult": "_irt",
    "simulate_irt": "_irt",
    "dif": "_irt",
    "link": "_irt",
    "LinkResult": "_irt",
    "short_form": "_irt",
    "measure_bank": "_irt",
    "irt_reliable_change": "_irt",
    "conversion_table": "_irt",
    "short_form_measure": "_irt",
    "ShortFormMeasure": "_irt",
    "ShortFormResult": "_irt",
}

__all__ = [
    "CFAResult",
    "CorrelationResult",
    "FactorStructureResult",
    "ICCResult",
    "IRTResult",
    "InvarianceResult",
    "KeyingResult",
    "LinkResult",
    "OmegaResult",
    "PlanResult",
    "PolychoricResult",
    "ReliabilityResult",
    "ShortFormMeasure",
    "ShortFormResult",
    "TestRetestResult",
    "align_factors",
    "cfa",
    "convergent_validity",
    "conversion_table",
    "dif",
    "fa",
    "factor_structure",
    "icc",
    "invariance",
    "irt",
    "irt_reliable_change",
    "keying_check",
    "link",
    "measure_bank",
    "omega",
    "plan",
    "polychoric",
    "reliability",
    "short_form",
    "short_form_measure",
    "simulate",
    "simulate_irt",
    "test_retest",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'measurelib.psychometrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
