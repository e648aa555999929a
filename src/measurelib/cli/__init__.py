"""The ``measurelib`` command line: one thin module per command over the library.

Nothing in the library imports this package; it sits on top of every stage.
"""

from __future__ import annotations

from measurelib.cli._main import main

__all__ = ["main"]
