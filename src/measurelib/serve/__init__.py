"""measurelib serve: a self-hosted web service for collecting and following up measures.

Staff accounts with roles and teams, people and episodes, collection by tablet hand-over and
by single-use links, alerts for risk answers, due lists and aggregate reports, on the same
database as the measurelib Store. Built on Django (``pip install 'measurelib[serve]'``)::

    measurelib serve --db postgresql+psycopg://proms@dbhost/proms --workers 2

The service uses measurelib only through its public API (``import measurelib as ml``).
Nothing in measurelib imports this package.
"""

from __future__ import annotations

__all__ = ["add_arguments", "run"]


def add_arguments(parser: object) -> None:
    """Add the ``measurelib serve`` options to an argparse parser."""
    from measurelib.serve._command import add_arguments as _add

    _add(parser)  # type: ignore[arg-type]


def run(args: object) -> int:
    """Run ``measurelib serve`` with parsed arguments; returns the exit code."""
    from measurelib.serve._command import run as _run

    return _run(args)  # type: ignore[arg-type]
