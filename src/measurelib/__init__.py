"""measurelib: patient-reported outcome measures, from YAML to evidence.

>>> import measurelib as ml
>>> m = ml.load("phq-9")
>>> m.id, len(m.items)
('phq-9', 9)

Importing measurelib loads only the definition model; pandas, scipy and the statistics
libraries load when a function that needs them is first called.
"""

from __future__ import annotations

import importlib
from typing import Any

from measurelib.catalog import CatalogEntry, catalog
from measurelib.errors import (
    ConvergenceWarning,
    DataError,
    DefinitionError,
    Diagnostic,
    HeywoodWarning,
    LicenceError,
    LicenceWarning,
    Location,
    MeasurelibError,
    MeasurelibWarning,
    SmallSampleWarning,
)
from measurelib.load import load, loads
from measurelib.model import Measure

__version__ = "0.1.0"

# Public names defined in modules that load on first access.
_LAZY: dict[str, str] = {
    "psychometrics": "measurelib.psychometrics",
    "assess": "measurelib.assessment:assess",
    "write_rci": "measurelib.assessment:write_rci",
    "build": "measurelib.compose:build",
    "lint": "measurelib.linter:lint",
    "licence_report": "measurelib.licence:licence_report",
    "version_map": "measurelib.compose:version_map",
    "derive": "measurelib.compose:derive",
    "Store": "measurelib.store:Store",
    "change": "measurelib.outcomes:change",
    "parse_submission": "measurelib.forms:parse_submission",
    "score_partitions": "measurelib.score:score_partitions",
    "score_spark": "measurelib.score:score_spark",
    "validate_responses": "measurelib.score:validate_responses",
    "export": "measurelib.exporters:export",
    "import_definition": "measurelib.importers:import_definition",
}

__all__ = [
    "CatalogEntry",
    "ConvergenceWarning",
    "DataError",
    "DefinitionError",
    "Diagnostic",
    "HeywoodWarning",
    "LicenceError",
    "LicenceWarning",
    "Location",
    "Measure",
    "MeasurelibError",
    "MeasurelibWarning",
    "SmallSampleWarning",
    "Store",
    "__version__",
    "assess",
    "build",
    "catalog",
    "change",
    "derive",
    "export",
    "import_definition",
    "licence_report",
    "lint",
    "load",
    "loads",
    "parse_submission",
    "psychometrics",
    "score_partitions",
    "score_spark",
    "validate_responses",
    "version_map",
    "write_rci",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'measurelib' has no attribute {name!r}")
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
