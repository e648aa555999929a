"""The one neutraliser of spreadsheet formulas: every tabular writer passes its cells here.

A text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so that Excel and LibreOffice
show it as text (OWASP, "CSV Injection"). Numbers, including signed ones, are unchanged.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["neutralise"]

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """A text cell made safe for spreadsheets; numbers and other values unchanged.

    >>> neutralise("=1+1"), neutralise("-3"), neutralise("plain")
    ("'=1+1", '-3', 'plain')
    """
    if isinstance(value, str) and value.startswith(_DANGEROUS) and not _NUMBER.match(value):
        return "'" + value
    return value
