"""Interoperability: exports (FHIR R4, XLSForm, REDCap, JSON Schema, SPSS/Stata/Parquet data)
and imports of definitions from FHIR Questionnaires, XLSForms and REDCap dictionaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.interop._export import (
        FORMATS as EXPORT_FORMATS,
    )
    from measurelib.interop._export import (
        ExportResult,
        export,
    )
    from measurelib.interop._import import (
        ImportDefinitionResult,
        from_fhir,
        from_redcap,
        from_xlsform,
        import_definition,
    )

_LAZY = {
    "EXPORT_FORMATS": "_export:FORMATS",
    "ExportResult": "_export",
    "export": "_export",
    "ImportDefinitionResult": "_import",
    "from_fhir": "_import",
    "from_redcap": "_import",
    "from_xlsform": "_import",
    "import_definition": "_import",
}
__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "ImportDefinitionResult",
    "export",
    "from_fhir",
    "from_redcap",
    "from_xlsform",
    "import_definition",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
