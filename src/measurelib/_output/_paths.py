"""Where an output may be written, checked before any work is done, so that nothing is lost.

A command that reads a file and writes another must never write over what it reads: the
scores of a file written over that file would destroy the responses (and, read in chunks,
would be read back while being written). :func:`check_output` refuses that, a folder given
as a file, a folder that does not exist, and two outputs of one run named alike, each as a
located ``output-path`` problem saying what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from measurelib.errors import Diagnostic, Location, MeasurelibError

__all__ = ["check_output", "same_file"]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (through links, ``..`` and case-folding file systems
    alike); False when either does not exist.
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                 others: Iterable[tuple[str, str | os.PathLike[str] | None]] = (),
                 option: str = "-o", error: type[MeasurelibError] = MeasurelibError) -> None:
    """Refuse an output path that cannot be written or would destroy an input.

    Parameters
    ----------
    path
        The output file.
    inputs
        Files the same run reads: the output must not be one of them.
    others
        Other outputs of the run, as ``(option, path)``: none may be the same file.
    option
        How the output is named to the user (``-o``, ``--rejected``).
    error
        The error class raised (a :class:`~measurelib.errors.MeasurelibError`).

    Raises
    ------
    MeasurelibError
        ``output-path``: the path is a folder, names an input, names another output, or
        is inside a folder that does not exist.
    """
    p = Path(path)
    shown = str(path)

    def refuse(message: str, hint: str) -> None:
        raise error([Diagnostic("output-path", f"{option} {shown}: {message}", hint,
                                Location(shown))])

    other_name = p.with_name(f"{p.stem}-out{p.suffix}")
    if p.is_dir():
        refuse("is a folder", f"Name a file in it, e.g. {p / ('output' + (p.suffix or '.csv'))}.")
    for src in inputs:
        if same_file(p, src):
            refuse(f"is the file being read ({src}): writing it would replace it",
                   f"Write to another file, e.g. {other_name}.")
    for opt, other in others:
        if other is not None and (same_file(p, other) or
                                  os.path.abspath(p) == os.path.abspath(other)):
            refuse(f"is also given to {opt}: the two would overwrite each other",
                   f"Give {opt} and {option} different files.")
    folder = p.parent
    if not folder.is_dir():
        refuse(f"the folder {folder} does not exist",
               "Create the folder first, or give a path in a folder that exists.")
