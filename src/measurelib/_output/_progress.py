"""The one progress helper: a tqdm bar on stderr, silent when it is not a terminal.

Every long operation (scoring a big file, writing a large workbook) reports through
:func:`progress_bar`, so that all bars look alike and ``--quiet`` silences every one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["progress_bar"]


class _Silent:
    """The bar when nothing is shown: every call does nothing."""

    total: float | None = None
    n = 0

    def update(self, n: float = 1) -> None:
        self.n += int(n)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(total: float | None = None, *, desc: str = "", unit: str = "it",
                 quiet: bool = False, unit_scale: bool = False) -> Any:
    """A progress bar on stderr, or a silent stand-in.

    Parameters
    ----------
    total : number, optional
        The end of the bar (rows, bytes); None shows a count and a rate only.
    desc, unit : str
        What is done and in what unit (``"scoring"``, ``"rows"``).
    quiet : bool, default False
        No bar at all (``--quiet``).
    unit_scale : bool, default False
        Show large totals as k/M (for bytes).

    Returns
    -------
    object
        A ``tqdm`` bar, or an object with the same ``update``/``close`` methods that
        prints nothing: when ``quiet``, when stderr is not a terminal (pipes, CI, logs) or
        when ``TERM=dumb``.
    """
    if quiet or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        return _Silent()
    from tqdm import tqdm

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        width, height = size.columns, size.lines
    except (OSError, ValueError):
        width = height = 0
    # a terminal that reports no size (a bare pty) still gets a bar of 80 columns
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, leave=False,
                file=sys.stderr, dynamic_ncols=width > 0, ncols=None if width > 0 else 80,
                nrows=None if height > 0 else 24, mininterval=0.5)
