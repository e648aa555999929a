"""The shared output layer: one Jinja environment, one PDF writer, charts, safe tabular cells.

Used by forms (``measurelib.forms``) and by reports (outcomes, assessment); it imports no
pipeline stage.
"""

from __future__ import annotations

from measurelib._lazy import attach

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
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
