"""Interoperability: exports (FHIR, XLSForm, REDCap, data files) and imports of definitions.

Exports: FHIR R4 Questionnaire, QuestionnaireResponse and Observation; XLSForm; REDCap data
dictionary; JSON Schema of a response row; SPSS, Stata, Parquet, CSV and Excel data files.
Imports: definitions from FHIR Questionnaires, XLSForms and REDCap dictionaries.
"""

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
    from measurelib.interop._export._data import (
        DATA_FORMATS,
        read_data,
        read_fhir,
        read_redcap,
        write_data,
    )
    from measurelib.interop._export._fhir import (
        observations,
        questionnaire,
        questionnaire_response,
    )
    from measurelib.interop._export._jsonschema import (
        response_schema,
    )
    from measurelib.interop._export._redcap import (
        data_dictionary,
    )
    from measurelib.interop._export._xlsform import (
        xlsform,
    )
    from measurelib.interop._import import (
        ImportDefinitionResult,
        from_fhir,
        from_redcap,
        from_xlsform,
        import_definition,
    )

_LAZY = {
    "write_data": "_export._data",
    "read_data": "_export._data",
    "read_fhir": "_export._data",
    "read_redcap": "_export._data",
    "DATA_FORMATS": "_export._data",
    "observations": "_export._fhir",
    "questionnaire": "_export._fhir",
    "questionnaire_response": "_export._fhir",
    "xlsform": "_export._xlsform",
    "data_dictionary": "_export._redcap",
    "response_schema": "_export._jsonschema",
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
    "DATA_FORMATS",
    "EXPORT_FORMATS",
    "ExportResult",
    "ImportDefinitionResult",
    "data_dictionary",
    "export",
    "from_fhir",
    "from_redcap",
    "from_xlsform",
    "import_definition",
    "observations",
    "questionnaire",
    "questionnaire_response",
    "read_data",
    "read_fhir",
    "read_redcap",
    "response_schema",
    "write_data",
    "xlsform",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
