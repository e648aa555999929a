"""Interoperability: exports (FHIR R4, XLSForm, REDCap, JSON Schema, SPSS/Stata/Parquet data)
and imports of definitions from FHIR Questionnaires, XLSForms and REDCap dictionaries."""

from __future__ import annotations

from measurelib._lazy import attach

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
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
