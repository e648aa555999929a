"""measurelib: patient-reported outcome measures, from YAML to evidence.

>>> import measurelib as ml
>>> m = ml.load("phq-9")
>>> m.id, len(m.items), len(m.score_items(m.scores[0]))
('phq-9', 10, 9)

PHQ-9 has nine scored items and a tenth, unscored question on how difficult the problems
made life. Importing measurelib loads only the definition model; pandas, scipy and the
statistics libraries load when a function that needs them is first called.

The pipeline has one package per stage (:mod:`measurelib.definition`,
:mod:`measurelib.compose`, :mod:`measurelib.linting`, :mod:`measurelib.forms`,
:mod:`measurelib.scoring`, :mod:`measurelib.outcomes`, :mod:`measurelib.interop`,
:mod:`measurelib.assessment`, :mod:`measurelib.psychometrics`); the names below are the ones
most users need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._compat import install as install_deprecated_paths
from measurelib._lazy import attach
from measurelib._version import __version__
from measurelib.definition import CatalogEntry, Measure, catalog, limit, limits, load, loads
from measurelib.errors import (
    ConvergenceWarning,
    DataError,
    DefinitionError,
    Diagnostic,
    FormWarning,
    HeywoodWarning,
    LicenceError,
    LicenceWarning,
    Location,
    MeasurelibError,
    MeasurelibWarning,
    PlaceholderWarning,
    SmallSampleWarning,
    VariantFallbackWarning,
)

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib import (
        assessment,
        cat,
        compose,
        datasets,
        definition,
        forms,
        interop,
        linting,
        outcomes,
        psychometrics,
        scoring,
    )
    from measurelib.assessment import (
        assess,
        write_rci,
    )
    from measurelib.compose import (
        as_measure,
        build,
        derive,
        licence_report,
        version_map,
    )
    from measurelib.forms import (
        parse_submission,
        render,
        write_entry_sheet,
    )
    from measurelib.interop import (
        export,
        import_definition,
    )
    from measurelib.linting import (
        lint,
    )
    from measurelib.outcomes import (
        Store,
        change,
        due,
        feedback_sheet,
        impact_report,
        load_schedule,
    )
    from measurelib.scoring import (
        read_responses,
        score,
        score_file,
        score_partitions,
        score_spark,
        validate_responses,
    )

# Public names defined in stage packages that load on first access.
_LAZY: dict[str, str] = {
    "psychometrics": "measurelib.psychometrics:",
    "cat": "measurelib.cat:",
    "definition": "measurelib.definition:",
    "compose": "measurelib.compose:",
    "linting": "measurelib.linting:",
    "forms": "measurelib.forms:",
    "scoring": "measurelib.scoring:",
    "outcomes": "measurelib.outcomes:",
    "interop": "measurelib.interop:",
    "assessment": "measurelib.assessment:",
    "datasets": "measurelib.datasets:",
    "as_measure": "measurelib.compose",
    "assess": "measurelib.assessment",
    "write_rci": "measurelib.assessment",
    "build": "measurelib.compose",
    "derive": "measurelib.compose",
    "version_map": "measurelib.compose",
    "licence_report": "measurelib.compose",
    "lint": "measurelib.linting",
    "render": "measurelib.forms",
    "parse_submission": "measurelib.forms",
    "write_entry_sheet": "measurelib.forms",
    "score": "measurelib.scoring",
    "score_file": "measurelib.scoring",
    "score_partitions": "measurelib.scoring",
    "score_spark": "measurelib.scoring",
    "read_responses": "measurelib.scoring",
    "validate_responses": "measurelib.scoring",
    "Store": "measurelib.outcomes",
    "change": "measurelib.outcomes",
    "impact_report": "measurelib.outcomes",
    "feedback_sheet": "measurelib.outcomes",
    "load_schedule": "measurelib.outcomes",
    "due": "measurelib.outcomes",
    "export": "measurelib.interop",
    "import_definition": "measurelib.interop",
}

__all__ = [
    "CatalogEntry",
    "ConvergenceWarning",
    "DataError",
    "DefinitionError",
    "Diagnostic",
    "FormWarning",
    "HeywoodWarning",
    "LicenceError",
    "LicenceWarning",
    "Location",
    "Measure",
    "MeasurelibError",
    "MeasurelibWarning",
    "PlaceholderWarning",
    "SmallSampleWarning",
    "Store",
    "VariantFallbackWarning",
    "__version__",
    "as_measure",
    "assess",
    "assessment",
    "build",
    "cat",
    "catalog",
    "change",
    "compose",
    "datasets",
    "definition",
    "derive",
    "due",
    "export",
    "feedback_sheet",
    "forms",
    "impact_report",
    "import_definition",
    "interop",
    "licence_report",
    "limit",
    "limits",
    "lint",
    "linting",
    "load",
    "load_schedule",
    "loads",
    "outcomes",
    "parse_submission",
    "psychometrics",
    "read_responses",
    "render",
    "score",
    "score_file",
    "score_partitions",
    "score_spark",
    "scoring",
    "validate_responses",
    "version_map",
    "write_entry_sheet",
    "write_rci",
]

__getattr__, __dir__ = attach(__name__, _LAZY)

install_deprecated_paths()
