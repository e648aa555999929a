"""Graphic prompts: shipped pictograms (``faces/1``) and images beside a definition file.

Every graphic is embedded in the form as a ``data:`` URI inside an ``<img>`` with alt text,
so the form stays self-contained and an SVG file can never run script in the page (browsers
do not run script in images).
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

from measurelib._resources import data_dir

__all__ = ["PICTOGRAM_SETS", "graphic_data_uri", "pictogram_names", "resolve_graphic"]

_MIME = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_SHIPPED = re.compile(r"^[a-z0-9_-]+/[a-z0-9_-]+$")
_MAX_BYTES = 2_000_000

PICTOGRAM_SETS = ("faces", "frequency", "amount")


def pictogram_names() -> list[str]:
    """Names of every shipped pictogram, e.g. ``faces/1``."""
    root = data_dir("templates") / "pictograms"
    return sorted(f"{p.parent.name}/{p.stem}" for p in root.glob("*/*.svg"))


def resolve_graphic(name: str, base_dir: Path | None) -> Path | None:
    """The file a ``graphic:`` value refers to, or None when there is none."""
    if _SHIPPED.match(name):
        shipped = data_dir("templates") / "pictograms" / f"{name}.svg"
        if shipped.is_file():
            return shipped
    if base_dir is None:
        return None
    candidate = (base_dir / name).resolve()
    if candidate.suffix.lower() not in _MIME or not candidate.is_file():
        return None
    return candidate


@lru_cache(maxsize=256)
def _encode(path: str, mtime: float) -> str:
    raw = Path(path).read_bytes()
    mime = _MIME[Path(path).suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def graphic_data_uri(path: Path) -> str | None:
    """The image at ``path`` as a ``data:`` URI (None if it is too big to embed)."""
    stat = path.stat()
    if stat.st_size > _MAX_BYTES:
        return None
    return _encode(str(path), stat.st_mtime)
