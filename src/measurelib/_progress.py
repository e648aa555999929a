"""The one progress bar of measurelib (tqdm), for operations that can take more than a few seconds.

Bars go to standard error and only when it is a terminal, so logs, pipes and CI output stay
clean; :func:`quiet` (the CLI's ``--quiet``) turns them off everywhere. Nothing of the data
is shown: a bar names the operation and counts rows or iterations.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["progress", "quiet"]

_STATE = threading.local()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress bars inside this block (in this thread)."""
    before = getattr(_STATE, "quiet", False)
    _STATE.quiet = True
    try:
        yield
    finally:
        _STATE.quiet = before


def _enabled() -> bool:
    if getattr(_STATE, "quiet", False) or os.environ.get("MEASURELIB_QUIET"):
        return False
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty()) and \
        os.environ.get("TERM") != "dumb"


def progress(iterable: Iterable[Any] | None = None, *, total: float | None = None,
             desc: str = "", unit: str = "it", min_total: float = 0,
             enabled: bool | None = None, quiet: bool = False,
             unit_scale: bool = False) -> Any:
    """A tqdm progress bar, or a silent stand-in with the same methods.

    Parameters
    ----------
    iterable
        Wrap this iterable (as ``tqdm(iterable)``); or None and call ``update(n)``.
    total
        The expected count (rows, bytes, iterations), if known.
    desc, unit
        What the bar names and counts.
    min_total
        Show no bar when ``total`` is below this (quick operations need none).
    enabled
        None (default): a bar only on a terminal and outside :func:`quiet`; True or False
        to force it on or off (a function's own ``progress=`` option).
    quiet
        No bar at all (a command's ``--quiet``).
    unit_scale
        Show large totals as k/M (for bytes).
    """
    show = (_enabled() if enabled is None else enabled) and not quiet
    if not show or (total is not None and total < min_total):
        return _Silent(iterable)
    from tqdm.auto import tqdm

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        width, height = size.columns, size.lines
    except (OSError, ValueError):
        width = height = 0
    # a terminal that reports no size (a bare pty) still gets a bar of 80 columns
    return tqdm(iterable, total=total, desc=desc, unit=unit, unit_scale=unit_scale,
                leave=False, file=sys.stderr, dynamic_ncols=width > 0,
                ncols=None if width > 0 else 80, nrows=None if height > 0 else 24,
                mininterval=0.5)


class _Silent:
    """The interface of a tqdm bar that shows nothing."""

    def __init__(self, iterable: Iterable[Any] | None) -> None:
        self._iterable = iterable
        self.total: float | None = None
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterable if self._iterable is not None else ())

    def update(self, n: float = 1) -> None:
        """Count ``n`` more (nothing is shown)."""
        self.n += int(n)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """Nothing is shown."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
