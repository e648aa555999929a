"""Forms: accessible web forms, paper (print, PDF), read-aloud scripts, entry sheets, submissions.

:func:`render` makes a form from a measure; :func:`parse_submission` reads what the web form
posts; :func:`write_entry_sheet` writes the Excel sheet for keying paper forms.
"""

from __future__ import annotations

from measurelib._lazy import attach

_LAZY = {
    "FORMATS": "_render",
    "render": "_render",
    "FormContext": "_context",
    "RenderOptions": "_context",
    "build_context": "_context",
    "load_overlay": "_context",
    "HEADER_FIELDS": "_entry_sheet",
    "entry_columns": "_entry_sheet",
    "write_entry_sheet": "_entry_sheet",
    "PICTOGRAM_SETS": "_graphics",
    "graphic_data_uri": "_graphics",
    "pictogram_names": "_graphics",
    "resolve_graphic": "_graphics",
    "METADATA_FIELDS": "_submission",
    "Submission": "_submission",
    "parse_submission": "_submission",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
