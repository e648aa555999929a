"""Forms: accessible web forms, paper (print, PDF), read-aloud scripts, entry sheets, submissions.

:func:`render` makes a form from a measure; :func:`parse_submission` reads what the web form
posts; :func:`write_entry_sheet` writes the Excel sheet for keying paper forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.forms._context import (
        FormContext,
        RenderOptions,
        build_context,
        load_overlay,
    )
    from measurelib.forms._entry_sheet import (
        HEADER_FIELDS,
        entry_columns,
        write_entry_sheet,
    )
    from measurelib.forms._graphics import (
        PICTOGRAM_SETS,
        graphic_data_uri,
        pictogram_names,
        resolve_graphic,
    )
    from measurelib.forms._i18n import ui_text
    from measurelib.forms._render import (
        ASK_FIELDS,
        FORMATS,
        render,
        with_overlay,
    )
    from measurelib.forms._submission import (
        METADATA_FIELDS,
        SubmissionResult,
        parse_submission,
        submission_messages,
    )

_LAZY = {
    "FORMATS": "_render",
    "render": "_render",
    "with_overlay": "_render",
    "ASK_FIELDS": "_render",
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
    "SubmissionResult": "_submission",
    "parse_submission": "_submission",
    "submission_messages": "_submission",
    "ui_text": "_i18n",
}
__all__ = [
    "ASK_FIELDS",
    "FORMATS",
    "FormContext",
    "HEADER_FIELDS",
    "METADATA_FIELDS",
    "PICTOGRAM_SETS",
    "RenderOptions",
    "SubmissionResult",
    "build_context",
    "entry_columns",
    "graphic_data_uri",
    "load_overlay",
    "parse_submission",
    "pictogram_names",
    "render",
    "resolve_graphic",
    "submission_messages",
    "ui_text",
    "with_overlay",
    "write_entry_sheet",
]
#: names of earlier releases: old -> (new, removed in)
_DEPRECATED = {"Submission": ("SubmissionResult", "0.3.0")}
__getattr__, __dir__ = attach(__name__, _LAZY, _DEPRECATED)
