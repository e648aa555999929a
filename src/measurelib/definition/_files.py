"""Files a definition names (pictures, table files, overlays): confined to its folder.

A definition is data, often written by someone else: it must not be able to make
measurelib read, embed or print any other file on the machine. Every file it names is

* resolved against the definition's folder, following symbolic links, and refused unless
  the real path lies inside that folder or a folder allowed explicitly
  (``--allow-folder``, ``MEASURELIB_ALLOW_FOLDERS``, ``ml.limits(allow_folders=[...])``)
  — so ``../..``, absolute paths and links that point out of the folder are refused;
* refused unless it is a regular file (not ``/dev/zero``, a FIFO or a folder);
* read with a size cap (a limit of ``docs/limits.md``).

Error messages name the path as written in the definition and never show the file's content.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from measurelib.definition._limits import allowed_folders, format_limit, limit, raise_hint
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location

__all__ = ["confine", "read_confined"]


def _shown(name: str) -> str:
    text = name if len(name) <= 80 else name[:77] + "..."
    return repr(text)


def confine(base: Path | None, name: str, *, what: str, location: Location | None = None) -> Path:
    """The real path of the file ``name`` (relative to ``base``), if the definition may read it.

    Parameters
    ----------
    base
        The definition's folder (None: the working folder).
    name
        The path as written in the definition.
    what
        What the file is, for the message (``"the picture"``, ``"table 't'"``).
    location
        Where the definition names it.

    Raises
    ------
    DefinitionError
        ``file-outside-folder`` when the file lies outside the folder (and every allowed
        folder) or is not a regular file; ``file-not-found`` when it does not exist.
    """
    loc = location or Location()
    folder = Path(os.path.realpath(base if base is not None else Path.cwd()))
    if "\x00" in name:
        raise DefinitionError([Diagnostic("file-outside-folder", f"{what}: the path {_shown(name)} "
                                          "holds a NUL character", "Write a plain relative path.",
                                          loc)])
    real = Path(os.path.realpath(folder / name))
    roots = (folder, *allowed_folders())
    if not any(real == r or r in real.parents for r in roots):
        raise DefinitionError([Diagnostic(
            "file-outside-folder", f"{what}: {_shown(name)} lies outside the definition's folder",
            CODES["file-outside-folder"].hint, loc)])
    try:
        st = os.stat(real)
    except OSError:
        raise DefinitionError([Diagnostic(
            "file-not-found",
            f"{what}: cannot read {_shown(name)}: it does not exist in the definition's folder",
            "Put the file beside the definition, or correct the path (paths are relative to "
            "the definition's folder).", loc)]) from None
    if not stat.S_ISREG(st.st_mode):
        raise DefinitionError([Diagnostic(
            "file-outside-folder", f"{what}: {_shown(name)} is not a regular file",
            "Name a file, not a folder or a device.", loc)])
    return real


def read_confined(path: Path, *, limit_name: str, what: str, name: str,
                  location: Location | None = None) -> bytes:
    """The bytes of a confined file, at most the ``limit_name`` limit (else limit-exceeded)."""
    cap = limit(limit_name)
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if cap is None else fh.read(cap + 1)
    except OSError as exc:
        raise DefinitionError([Diagnostic(
            "file-not-found", f"{what}: cannot read {_shown(name)}: {exc.strerror or 'error'}",
            CODES["file-not-found"].hint, location or Location())]) from None
    if cap is not None and len(raw) > cap:
        raise DefinitionError([Diagnostic(
            "limit-exceeded", f"{what}: {_shown(name)} is larger than {format_limit(limit_name)}",
            raise_hint(limit_name), location or Location())])
    return raw
