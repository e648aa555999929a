"""Resource limits: how large an input measurelib reads before it stops with a clear error.

Every limit has a name, a default, a unit and a description, and is registered here once
(:func:`register_limit`); ``docs/limits.md`` lists them all (a test checks that every
registered limit has its row there). There is **one** way to raise a limit, with three
doors onto it:

* the environment variable ``MEASURELIB_LIMIT_<NAME>`` (upper case), e.g.
  ``MEASURELIB_LIMIT_DEFINITION_BYTES=200MB``;
* on the command line, the global option ``--limit NAME=VALUE`` (repeatable), e.g.
  ``measurelib --limit definition_bytes=200MB validate big.yaml``;
* in Python, the context manager :func:`limits`, e.g.
  ``with ml.limits(definition_bytes="200MB"): ml.load("big.yaml")``.

An option given in Python or on the command line wins over the environment. Values are
whole numbers; byte sizes may end in ``KB``, ``MB`` or ``GB`` (powers of 1024), and ``0``
or ``none`` switches a limit off.

The same mechanism carries the list of extra folders that definitions may read files
from (:func:`allowed_folders`, ``MEASURELIB_ALLOW_FOLDERS``, ``--allow-folder``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LIMITS", "Limit", "allowed_folders", "format_limit", "limit", "limits",
           "parse_limit_value", "raise_hint", "register_limit"]


@dataclass(frozen=True)
class Limit:
    """One resource limit: its name, default, unit and what it bounds."""

    name: str
    default: int
    unit: str  # "bytes" or a plural noun ("items", "levels", ...)
    description: str
    area: str = "definition"

    @property
    def env(self) -> str:
        """The environment variable that raises it."""
        return "MEASURELIB_LIMIT_" + self.name.upper()


LIMITS: dict[str, Limit] = {}

_OVERRIDES: contextvars.ContextVar[dict[str, int | None]] = contextvars.ContextVar(
    "measurelib_limits", default={})  # noqa: B039 - never mutated, always replaced
_FOLDERS: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "measurelib_allow_folders", default=())


def register_limit(name: str, default: int, unit: str, description: str,
                   area: str = "definition") -> Limit:
    """Register a limit (idempotent for the same definition) and return it."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"register_limit: name must be snake_case, not {name!r}")
    lim = Limit(name, default, unit, description, area)
    existing = LIMITS.get(name)
    if existing is not None and existing != lim:
        raise ValueError(f"register_limit: limit {name!r} is already registered differently")
    LIMITS[name] = lim
    return lim


_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_FACTOR = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_limit_value(name: str, value: Any) -> int | None:
    """``"200MB"`` → 209715200; ``0``/``"none"`` → None (no limit).

    Raises
    ------
    ValueError
        The name is not a registered limit, or the value is not a whole number or size.
    """
    if name not in LIMITS:
        known = ", ".join(sorted(LIMITS))
        raise ValueError(f"limits: unknown limit {name!r}; the limits are: {known}")
    if isinstance(value, bool):
        raise ValueError(f"limits: {name} must be a whole number, not {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if text.lower() in ("none", "off", "unlimited"):
            return None
        match = _SIZE.match(text)
        if not match:
            raise ValueError(f"limits: {name} must be a whole number (sizes may end in KB, MB "
                             f"or GB), not {text[:40]!r}")
        number = int(match.group(1)) * _FACTOR[(match.group(2) or "")[:1].lower()]
    if number < 0:
        raise ValueError(f"limits: {name} must not be negative, not {number}")
    return number or None


def limit(name: str) -> int | None:
    """The value of limit ``name`` now (None: switched off)."""
    overrides = _OVERRIDES.get()
    if name in overrides:
        return overrides[name]
    lim = LIMITS[name]
    env = os.environ.get(lim.env)
    if env is not None and env.strip():
        try:
            return parse_limit_value(name, env)
        except ValueError:
            return lim.default  # a bad variable must not switch a limit off
    return lim.default


@contextlib.contextmanager
def limits(*, allow_folders: Any = (), **values: Any) -> Iterator[None]:
    """Raise (or lower) limits, or allow extra folders, for the code inside the block.

    Parameters
    ----------
    allow_folders
        Folders that definitions may read files from besides their own (pictures, table
        files, overlays).
    **values
        ``name=value`` for registered limits (see ``docs/limits.md``); sizes may be given
        as ``"200MB"``; ``0`` or ``None`` switches a limit off.

    Raises
    ------
    ValueError
        An unknown limit name or a value that is not a whole number.

    Examples
    --------
    >>> import measurelib as ml
    >>> with ml.limits(items=50_000):
    ...     ml.limit("items")
    50000
    """
    parsed = {k: (None if v is None else parse_limit_value(k, v)) for k, v in values.items()}
    folders = tuple(Path(f).resolve() for f in ([allow_folders] if isinstance(
        allow_folders, (str, os.PathLike)) else allow_folders))
    token = _OVERRIDES.set({**_OVERRIDES.get(), **parsed})
    token_f = _FOLDERS.set(_FOLDERS.get() + folders)
    try:
        yield
    finally:
        _FOLDERS.reset(token_f)
        _OVERRIDES.reset(token)


def allowed_folders() -> tuple[Path, ...]:
    """Extra folders definitions may read files from (``MEASURELIB_ALLOW_FOLDERS``, ...)."""
    env = os.environ.get("MEASURELIB_ALLOW_FOLDERS", "")
    from_env = tuple(Path(p).resolve() for p in env.split(os.pathsep) if p.strip())
    return _FOLDERS.get() + from_env


def format_limit(name: str, value: int | None = None) -> str:
    """A limit's value for messages: ``10 MB``, ``5,000 items``."""
    lim = LIMITS[name]
    v = limit(name) if value is None else value
    if v is None:
        return "no limit"
    if lim.unit == "bytes":
        for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
            if v >= factor and v % factor == 0:
                return f"{v // factor} {unit}"
        return f"{v:,} bytes"
    return f"{v:,} {lim.unit}"


def raise_hint(name: str) -> str:
    """How to raise limit ``name``: the sentence every limit error ends with."""
    env = LIMITS[name].env
    return (f"If the input is genuine, raise the limit: `--limit {name}=N` on the command line, "
            f"{env}=N in the environment, or `ml.limits({name}=N)` in Python "
            "(see docs/limits.md).")


# ----------------------------------------------------------------------------- the limits
register_limit("definition_bytes", 10 * 1024 ** 2, "bytes",
               "Size of a definition, bank, overlay or schedule file (YAML).")
register_limit("definition_values", 200_000, "values",
               "Values (scalars, lists and mappings) in one YAML document, counting each "
               "alias each time it is used.")
register_limit("alias_values", 20_000, "values",
               "Values that aliases (`*name`) add to a YAML document when expanded.")
register_limit("nesting_depth", 64, "levels",
               "How deeply lists and mappings may nest in a YAML document.")
register_limit("scalar_chars", 1_000_000, "characters",
               "Length of one text or number in a YAML document (numbers: 4,300 digits at "
               "most, Python's own bound).")
register_limit("items", 10_000, "items", "Items in one measure or bank (after composition).")
register_limit("scale_options", 1_000, "options", "Options of one ordinal or yes/no scale.")
register_limit("table_file_bytes", 20 * 1024 ** 2, "bytes",
               "Size of a CSV file named by `tables: {name: {file: ...}}`.")
register_limit("table_rows", 200_000, "rows", "Rows of one lookup table (file or inline).")
register_limit("cell_chars", 32_767, "characters",
               "Length of one cell of a table file or a data file (Excel's own maximum).")
register_limit("graphic_bytes", 2 * 1024 ** 2, "bytes",
               "Size of a picture file named by `graphic:` (it is embedded in forms).")
# data files: responses read by score, import and assess, and workbooks read by import-definition
register_limit("data_file_bytes", 20 * 1024 ** 3, "bytes",
               "Size of a data file (CSV, TSV, Excel or Parquet) read by `score`, `import` "
               "or `assess` (a 10-million-row CSV is a few GB).", area="data")
register_limit("data_columns", 16_384, "columns",
               "Columns of a data file or of a sheet of an imported workbook (Excel's own "
               "maximum), counted from the heading row before the body is read.", area="data")
register_limit("unzipped_bytes", 2 * 1024 ** 3, "bytes",
               "Decompressed size of an Excel workbook (all its parts, as declared and as "
               "actually unpacked), checked before the workbook is opened; and of one row "
               "group of a Parquet file.", area="data")
register_limit("form_rows", 50_000, "rows",
               "Rows of one sheet of an XLSForm, or lines of a REDCap data dictionary, "
               "read by `import-definition`.", area="data")
