"""Optional compiled loops: numba, when the ``fast`` extra is installed.

A few psychometric computations are long loops over tiny arrays (a rotation's 1,000
gradient-projection steps on a 50 x 3 matrix), where NumPy's cost per call, not the
arithmetic, is the time. For those, the loop is also written once in plain scalar Python
that numba compiles (``@njit(cache=True)``: compiled on first use, then loaded from
numba's cache). Without numba, or with ``MEASURELIB_NUMBA=0`` in the environment, the
NumPy code runs instead: the same algorithm, the same results up to rounding (tested).

numba is imported on the first call of a kernel, never at import time, so commands that
do not use one start as fast as before.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Kernel", "kernel", "numba_enabled"]

_LOCK = threading.Lock()


def numba_enabled() -> bool:
    """Whether compiled kernels may be used: numba importable and not switched off.

    ``MEASURELIB_NUMBA=0`` (or ``off``/``false``/``no``) switches them off.
    """
    if os.environ.get("MEASURELIB_NUMBA", "").strip().lower() in ("0", "off", "false", "no"):
        return False
    try:
        import numba  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


class Kernel:
    """A scalar Python loop compiled by numba on first use (``get()`` is None without it)."""

    def __init__(self, fn: Callable[..., Any], helpers: tuple[Callable[..., Any], ...]) -> None:
        self.fn = fn
        self.helpers = helpers
        self._compiled: Any = None
        self._tried = False

    def disable(self) -> None:
        """Use NumPy from now on (numba could not compile or load the loop)."""
        self._compiled = None
        self._tried = True

    def get(self) -> Callable[..., Any] | None:
        """The compiled function, or None when numba is missing or switched off."""
        if not numba_enabled():
            return None
        if not self._tried:
            with _LOCK:
                if not self._tried:
                    try:
                        from numba import njit  # type: ignore[import-not-found,unused-ignore]

                        # helpers the loop calls are compiled too, and rebound in their
                        # module so that the compiled loop finds them by name
                        for h in self.helpers:
                            vars(sys.modules[h.__module__])[h.__name__] = njit(cache=True)(h)
                        self._compiled = njit(cache=True, nogil=True)(self.fn)
                    except Exception:  # noqa: BLE001 - a broken numba install: use NumPy
                        self._compiled = None
                    self._tried = True
        return self._compiled  # type: ignore[no-any-return]


def kernel(fn: Callable[..., Any], *helpers: Callable[..., Any]) -> Kernel:
    """Mark ``fn`` (plain scalar Python over NumPy arrays) as a compiled kernel.

    ``helpers`` are the functions of the same kind that ``fn`` calls.
    """
    return Kernel(fn, helpers)
