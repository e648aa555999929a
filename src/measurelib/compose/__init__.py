"""Composition: build bespoke measures from item banks and validated measures, with licences.

:func:`as_measure` is the one front door every stage uses to turn an id, a path or a
Measure into a (built) Measure; :func:`build` resolves ``compose:``, applies overlays,
checks each source's licence and locks the result; :func:`licence_report` shows what the
licences of a composer's sources allow.
"""

from __future__ import annotations

from measurelib.compose._compose import (
    Overlay,
    Plan,
    SourceUse,
    VersionMapResult,
    apply_overlay,
    assemble,
    build,
    canonical_json,
    content_hash,
    derive,
    fallback_message,
    global_overlays,
    load_overlays,
    merge_text,
    overlays_from_mapping,
    plan,
    variant_fallbacks,
    version_map,
)
from measurelib.compose._front import as_measure, check_composition, licence_report
from measurelib.compose._licence import (
    LicenceReportResult,
    LicenceRow,
    locked_findings,
    obligations,
    terms,
)
from measurelib.compose._licence import assess as assess_licences

__all__ = [
    "LicenceReportResult",
    "LicenceRow",
    "Overlay",
    "Plan",
    "SourceUse",
    "VersionMapResult",
    "apply_overlay",
    "as_measure",
    "assemble",
    "assess_licences",
    "build",
    "canonical_json",
    "check_composition",
    "content_hash",
    "derive",
    "fallback_message",
    "global_overlays",
    "licence_report",
    "load_overlays",
    "locked_findings",
    "merge_text",
    "obligations",
    "overlays_from_mapping",
    "plan",
    "terms",
    "variant_fallbacks",
    "version_map",
]

#: names of earlier releases: old -> (new, removed in)
_DEPRECATED = {"LicenceReport": ("LicenceReportResult", "0.3.0")}


def __getattr__(name: str) -> object:
    if name in _DEPRECATED:
        import warnings

        new, removed_in = _DEPRECATED[name]
        warnings.warn(f"measurelib.compose.{name} is deprecated and will be removed in "
                      f"measurelib {removed_in}; use measurelib.compose.{new}",
                      DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module 'measurelib.compose' has no attribute {name!r}")
