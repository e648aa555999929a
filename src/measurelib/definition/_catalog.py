"""The catalog of shipped measures and item banks (``instruments/``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from measurelib._resources import data_dir
from measurelib.definition._checks import did_you_mean
from measurelib.definition._document import parse_document
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location

__all__ = ["INDEX_NAME", "CatalogEntry", "build_index", "catalog", "resolve"]


@dataclass(frozen=True)
class CatalogEntry:
    """One shipped definition: its id, version, title, kind and licence in one line."""

    id: str
    version: str
    title: str
    kind: str
    licence: str
    text_included: bool
    path: Path

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "kind": self.kind,
            "licence": self.licence,
            "text_included": self.text_included,
            "path": str(self.path),
        }


def _licence_summary(lic: dict[str, Any]) -> str:
    parts = [str(lic.get("spdx") or "proprietary")]
    if lic.get("text_redistribution") == "forbidden":
        parts.append("text not shipped")
    if lic.get("modification") == "forbidden":
        parts.append("no changes")
    if lic.get("commercial_use") == "forbidden":
        parts.append("non-commercial")
    elif lic.get("commercial_use") == "licence_required":
        parts.append("commercial licence needed")
    if lic.get("registration_required"):
        parts.append("registration")
    return ", ".join(parts)


def _title(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or next(iter(value.values()), ""))
    return str(value or "")


INDEX_NAME = "catalog-index.json"


def _entry_fields(path: Path, raw: bytes) -> dict[str, Any] | None:
    """The catalog fields of one definition file, or None if it is not a definition."""
    try:
        data = parse_document(raw.decode("utf-8"), str(path)).data
    except (DefinitionError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or "id" not in data or "version" not in data:
        return None
    lic = data.get("licence") or {}
    items = data.get("items") or []
    return {
        "id": str(data["id"]),
        "version": str(data["version"]),
        "title": _title(data.get("title"), str(data.get("language", "en"))),
        "kind": str(data.get("kind", "measure")),
        "licence": _licence_summary(lic if isinstance(lic, dict) else {}),
        "text_included": any(isinstance(i, dict) and i.get("text") for i in items),
    }


def _files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.yaml") if "examples" not in p.relative_to(base).parts)


def build_index(root: str | Path) -> dict[str, Any]:
    """The catalog index of the definitions under ``root`` (written at packaging time).

    Each entry carries the SHA-256 of its file; :func:`catalog` uses an entry only while
    the file still has that hash, so an index left stale by an edit is never used.
    """
    base = Path(root)
    entries = []
    for path in _files(base):
        raw = path.read_bytes()
        fields = _entry_fields(path, raw)
        entries.append({"file": path.relative_to(base).as_posix(),
                        "sha256": hashlib.sha256(raw).hexdigest(), "entry": fields})
    return {"format": 1, "files": entries}


def _read_index(base: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((base / INDEX_NAME).read_text(encoding="utf-8"))
        return {f["file"]: f for f in data["files"]} if data.get("format") == 1 else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


@lru_cache(maxsize=4)
def _scan(root: str) -> tuple[CatalogEntry, ...]:
    base = Path(root)
    index = _read_index(base)
    entries: list[CatalogEntry] = []
    for path in _files(base):
        raw = path.read_bytes()
        known = index.get(path.relative_to(base).as_posix())
        if known is not None and known.get("sha256") == hashlib.sha256(raw).hexdigest():
            fields = known.get("entry")
        else:  # not indexed, or edited since: read it
            fields = _entry_fields(path, raw)
        if fields:
            entries.append(CatalogEntry(**fields, path=path))
    entries.sort(key=lambda e: (e.kind != "measure", e.id, _version_key(e.version)))
    return tuple(entries)


def _version_key(version: str) -> tuple[int, ...]:
    core = version.split("-")[0].split("+")[0]
    try:
        return tuple(int(x) for x in core.split("."))
    except ValueError:
        return (0,)


def catalog() -> list[CatalogEntry]:
    """The shipped measures and banks, measures first, by id."""
    return list(_scan(str(data_dir("instruments"))))


def resolve(ref: str) -> Path:
    """The file of a catalog reference ``id`` or ``id@version`` (newest version if omitted)."""
    ident, _, version = ref.partition("@")
    entries = [e for e in catalog() if e.id == ident]
    if not entries:
        looks_like_path = any(c in ref for c in "/\\") or ref.endswith((".yaml", ".yml"))
        if looks_like_path:
            raise DefinitionError([Diagnostic("file-not-found", f"{ref}: no such file",
                                              CODES["file-not-found"].hint, Location(ref))])
        suggestion = did_you_mean(ident, [e.id for e in catalog()])
        hint = (suggestion.capitalize() + " " if suggestion else "") + \
            "Run `measurelib catalog` to list the shipped ids, or give a path to a .yaml file."
        raise DefinitionError([Diagnostic("catalog-unknown", f"{ref!r} is neither a file nor a "
                                          "catalog id", hint, Location(ref))])
    if version:
        for e in entries:
            if e.version == version:
                return e.path
        have = ", ".join(e.version for e in entries)
        raise DefinitionError([Diagnostic("catalog-version", f"the catalog has {ident} version(s) "
                                          f"{have}, not {version}",
                                          f"Use one of: {have}.", Location(ref))])
    return max(entries, key=lambda e: _version_key(e.version)).path
