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


def schema_path() -> Path:
    """The committed JSON Schema of the definition format."""
    return Path(__file__).resolve().parent / "schema" / "measure.schema.json"


# Where each loaded measure came from, so that renderers can find images named relative
# to the definition file. Measures are frozen, unhashable models, so this is a table keyed
# by object id whose entries go when the measure is garbage-collected.
_SOURCES: dict[int, Path] = {}


def remember_source(measure: object, path: Path) -> None:
    """Record that ``measure`` was loaded from the file ``path``."""
    import weakref

    key = id(measure)
    _SOURCES[key] = Path(path).resolve()
    weakref.finalize(measure, _SOURCES.pop, key, None)


def source_path(measure: object) -> Path | None:
    """The file ``measure`` was loaded from, or None (built in memory or from a string)."""
    return _SOURCES.get(id(measure))
