"""The shared output layer: one Jinja environment, one PDF writer, charts, safe tabular cells,
disclosure control of published counts.

Used by forms (``measurelib.forms``) and by reports (outcomes, assessment); it imports no
pipeline stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib._output._charts import (
        Series,
        bar_chart,
        hbar_chart,
        heatmap,
        line_chart,
        run_chart,
    )
    from measurelib._output._disclosure import (
        MARKER,
        Cells,
        Protected,
        protect,
    )
    from measurelib._output._logo import (
        LOGO_MAX_BYTES,
        read_logo,
    )
    from measurelib._output._paths import (
        check_output,
        same_file,
    )
    from measurelib._output._render import (
        asset,
        environment,
        pdf_tagging,
        render_template,
        write_pdf,
    )
    from measurelib._output._tabular import (
        XlsxStream,
        is_neutral,
        neutralise,
        neutralise_frame,
        neutralise_workbook,
        write_csv,
        write_xlsx,
    )

_LAZY = {
    "MARKER": "_disclosure",
    "Cells": "_disclosure",
    "Protected": "_disclosure",
    "protect": "_disclosure",
    "check_output": "_paths",
    "same_file": "_paths",
    "LOGO_MAX_BYTES": "_logo",
    "read_logo": "_logo",
    "environment": "_render",
    "render_template": "_render",
    "asset": "_render",
    "write_pdf": "_render",
    "pdf_tagging": "_render",
    "neutralise": "_tabular",
    "neutralise_frame": "_tabular",
    "neutralise_workbook": "_tabular",
    "is_neutral": "_tabular",
    "write_csv": "_tabular",
    "write_xlsx": "_tabular",
    "XlsxStream": "_tabular",
    "Series": "_charts",
    "bar_chart": "_charts",
    "hbar_chart": "_charts",
    "heatmap": "_charts",
    "line_chart": "_charts",
    "run_chart": "_charts",
}
__all__ = [
    "Cells",
    "LOGO_MAX_BYTES",
    "MARKER",
    "Protected",
    "Series",
    "XlsxStream",
    "asset",
    "bar_chart",
    "check_output",
    "environment",
    "hbar_chart",
    "heatmap",
    "is_neutral",
    "line_chart",
    "neutralise",
    "neutralise_frame",
    "neutralise_workbook",
    "pdf_tagging",
    "protect",
    "read_logo",
    "render_template",
    "run_chart",
    "same_file",
    "write_csv",
    "write_pdf",
    "write_xlsx",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
