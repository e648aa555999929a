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

from measurelib.definition._catalog import CatalogEntry, catalog
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
from measurelib.definition._load import load, loads
from measurelib.definition._model import Measure

__version__ = "0.1.0"

# Public names defined in modules that load on first access.
_LAZY: dict[str, str] = {
    "psychometrics": "measurelib.psychometrics",
    "assess": "measurelib.assess._assess:assess",
    "write_rci": "measurelib.assess._assess:write_rci",
    "build": "measurelib.compose._compose:build",
    "lint": "measurelib.lint._linter:lint",
    "licence_report": "measurelib.compose._licence:licence_report",
    "version_map": "measurelib.compose._compose:version_map",
    "derive": "measurelib.compose._compose:derive",
    "Store": "measurelib.outcomes.store:Store",
    "change": "measurelib.outcomes._change:change",
    "parse_submission": "measurelib.forms._submission:parse_submission",
    "score_partitions": "measurelib.scoring._score:score_partitions",
    "score_spark": "measurelib.scoring._score:score_spark",
    "validate_responses": "measurelib.scoring._score:validate_responses",
    "export": "measurelib.interop.export:export",
    "import_definition": "measurelib.interop._import:import_definition",
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
