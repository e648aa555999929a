"""Sphinx configuration: the guides (Markdown) and the API reference (from docstrings)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import measurelib  # noqa: E402

project = "measurelib"
author = "measurelib contributors"
release = measurelib.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples", "img/*.py"]

# numpydoc renders the Parameters/Returns/... sections; the class member lists come from
# autodoc's :members:, so numpydoc does not add a second one.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "model_config, model_fields, model_computed_fields"}
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]
suppress_warnings = ["myst.header"]

html_theme = "alabaster"
html_title = f"measurelib {release}"
