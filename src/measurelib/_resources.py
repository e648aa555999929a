"""Where the shipped instruments and templates live (in the wheel, or in a source checkout)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """The folder of shipped data ``name`` (``instruments`` or ``templates``)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / name
    if packaged.is_dir():
        return packaged
    return here.parent.parent / name
