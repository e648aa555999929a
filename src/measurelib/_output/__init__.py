"""The shared output layer: one Jinja environment, one PDF writer, charts, safe tabular cells.

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
    from measurelib._output._render import (
        asset,
        environment,
        render_template,
        write_pdf,
    )
    from measurelib._output._tabular import (
        neutralise,
    )

_LAZY = {
    "environment": "_render",
    "render_template": "_render",
    "asset": "_render",
    "write_pdf": "_render",
    "neutralise": "_tabular",
    "Series": "_charts",
    "bar_chart": "_charts",
    "hbar_chart": "_charts",
    "heatmap": "_charts",
    "line_chart": "_charts",
    "run_chart": "_charts",
}
__all__ = [
    "Series",
    "asset",
    "bar_chart",
    "environment",
    "hbar_chart",
    "heatmap",
    "line_chart",
    "neutralise",
    "render_template",
    "run_chart",
    "write_pdf",
]
__getattr__, __dir__ = attach(__name__, _LAZY)
