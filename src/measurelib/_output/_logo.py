"""The organisation's logo on reports: a PNG or JPEG read safely and inlined as a data URL.

Used by every report that names the organisation (the impact report, the assessment
report).
"""

from __future__ import annotations

from pathlib import Path

from measurelib.errors import DataError, Diagnostic, Location

__all__ = ["LOGO_MAX_BYTES", "read_logo"]

#: The largest logo accepted (bytes); logos are inlined into every report.
LOGO_MAX_BYTES = 512 * 1024
_LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def read_logo(path: str | Path, *, base: str | Path | None = None,
              max_bytes: int = LOGO_MAX_BYTES) -> str:
    """A PNG or JPEG logo as a ``data:`` URL, read from inside ``base`` (default: cwd).

    The file must resolve (symbolic links followed) to a path inside ``base`` and be at most
    ``max_bytes`` long; it is identified by its first bytes, not its name. SVG is refused:
    it can reference other files.
    """
    import base64

    root = Path(base if base is not None else Path.cwd()).resolve()
    target = Path(root, path).resolve()

    def fail(msg: str, hint: str) -> DataError:
        return DataError([Diagnostic("report-logo", msg, hint, Location(file=str(path)))])

    if target != root and root not in target.parents:
        raise fail(f"the logo {str(path)!r} is outside {root}",
                   "Copy the logo into the folder you run the report from.")
    if not target.is_file():
        raise fail(f"the logo {str(path)!r} is not a file", "Give a PNG or JPEG file.")
    size = target.stat().st_size
    if size > max_bytes:
        raise fail(f"the logo is {size} bytes; the limit is {max_bytes}",
                   "Use a smaller image (a logo of a few hundred pixels is enough).")
    data = target.read_bytes()[:max_bytes + 1]
    mime = next((m for magic, m in _LOGO_TYPES.items() if data.startswith(magic)), None)
    if mime is None:
        raise fail(f"the logo {str(path)!r} is not a PNG or JPEG image",
                   "Save the logo as .png or .jpg.")
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
