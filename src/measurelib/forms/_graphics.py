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
from measurelib.definition import DefinitionError, confine, limit, read_confined

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

PICTOGRAM_SETS = ("faces", "frequency", "amount")


def pictogram_names() -> list[str]:
    """Names of every shipped pictogram, e.g. ``faces/1``."""
    root = data_dir("templates") / "pictograms"
    return sorted(f"{p.parent.name}/{p.stem}" for p in root.glob("*/*.svg"))


def resolve_graphic(name: str, base_dir: Path | None) -> Path | None:
    """The file a ``graphic:`` value refers to, or None when there is none.

    A shipped pictogram (``faces/1``) or a picture inside the definition's folder (or a
    folder allowed explicitly); see :func:`measurelib.definition.confine`.

    Raises
    ------
    DefinitionError
        ``file-outside-folder``: the path leads out of the folder (``../``, an absolute
        path, a symbolic link) or is not a regular file.
    """
    if _SHIPPED.match(name):
        shipped = data_dir("templates") / "pictograms" / f"{name}.svg"
        if shipped.is_file():
            return shipped
    if base_dir is None:
        return None
    if Path(name).suffix.lower() not in _MIME:
        return None
    try:
        return confine(base_dir, name, what="the picture")
    except DefinitionError as exc:
        if all(d.code == "file-not-found" for d in exc.errors):
            return None
        raise


@lru_cache(maxsize=256)
def _encode(path: str, mtime: float, cap: int | None) -> str | None:
    try:
        raw = read_confined(Path(path), limit_name="graphic_bytes", what="the picture",
                            name=Path(path).name)
    except DefinitionError:
        return None
    mime = _MIME[Path(path).suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def graphic_data_uri(path: Path) -> str | None:
    """The image at ``path`` as a ``data:`` URI (None if it is larger than ``graphic_bytes``)."""
    stat = path.stat()
    cap = limit("graphic_bytes")
    if cap is not None and stat.st_size > cap:
        return None
    return _encode(str(path), stat.st_mtime, cap)
