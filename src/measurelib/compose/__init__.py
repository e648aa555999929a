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
    assemble,
    build,
    canonical_json,
    content_hash,
    derive,
    global_overlays,
    load_overlays,
    plan,
    version_map,
)
from measurelib.compose._front import as_measure, check_composition, licence_report
from measurelib.compose._licence import (
    LicenceReport,
    LicenceRow,
    locked_findings,
    obligations,
    terms,
)
from measurelib.compose._licence import assess as assess_licences

__all__ = [
    "LicenceReport",
    "LicenceRow",
    "Overlay",
    "Plan",
    "SourceUse",
    "VersionMapResult",
    "as_measure",
    "assemble",
    "assess_licences",
    "build",
    "canonical_json",
    "check_composition",
    "content_hash",
    "derive",
    "global_overlays",
    "licence_report",
    "load_overlays",
    "locked_findings",
    "obligations",
    "plan",
    "terms",
    "version_map",
]
