"""Loading definitions: a parsed YAML document validated as a model, with positions.

Every error carries the file, line and column, and the path inside the document
(``items[3].scale``). A loaded :class:`~measurelib.definition.Measure` keeps its
:class:`~measurelib.definition.Origin` (the file and the parsed document), so later stages
(build, render, export) never read the file again.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from measurelib.definition._catalog import resolve
from measurelib.definition._checks import did_you_mean
from measurelib.definition._document import (
    Document,
    display_path,
    format_path,
    parse_document,
    read_text,
)
from measurelib.definition._files import confine, read_confined
from measurelib.definition._limits import format_limit, limit, raise_hint
from measurelib.definition._model import Measure, Origin
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location

__all__ = ["error_path", "load", "load_document", "loads"]


# ----------------------------------------------------------------------------- pydantic errors
def _real_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """Map a pydantic error location onto the document, dropping union-member labels.

    A pydantic location mixes keys of the document (``scales``, ``s``, ``options``, ``2``,
    ``value``) with labels of its own: the tag of a discriminated union (``ordinal``), the
    member type tried (``int``, ``str``, ``function-after[...]``). A part that is not in
    the document is a label when the parts after it lead further into the document; it is
    a missing or unknown field only when nothing after it does. So an option's bad value
    is located at ``scales.s.options[2].value``, not at a field ``ordinal``.
    """
    path: list[Any] = []
    labels: list[str] = []
    blocked = False  # after a type label, a name is no longer a field of the document
    cur = data
    for k, part in enumerate(loc):
        step = _child(cur, part)
        if step is not None:
            path.append(step[0])
            cur = step[1]
            continue
        labels.append(str(part))
        if not isinstance(cur, dict) or blocked or not _is_field_name(part):
            blocked = True
        elif not _leads_on(cur, loc[k + 1:]):  # a field missing or unknown at this level
            labels.pop()
            path.append(part)
            cur = None
            blocked = True
        # else: a union tag; the location goes on inside the same mapping
    return tuple(path), labels


def error_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path in ``data`` of a pydantic error location, without pydantic's own labels.

    Parameters
    ----------
    data
        The document (mappings and lists) that was validated.
    loc
        ``error["loc"]`` of a :class:`pydantic.ValidationError`.

    Returns
    -------
    tuple
        Keys and list indexes into ``data`` (plus a missing or unknown field's name last),
        e.g. ``("scales", "s", "options", 2, "value")`` for
        ``("scales", "s", "ordinal", "options", 2, "value", "int")``.

    Examples
    --------
    >>> error_path({"scales": {"s": {"type": "ordinal", "options": [{"value": "x"}]}}},
    ...            ("scales", "s", "ordinal", "options", 0, "value", "int"))
    ('scales', 's', 'options', 0, 'value')
    """
    return _real_path(data, loc)[0]


def _child(cur: Any, part: Any) -> tuple[Any, Any] | None:
    """(key, value) of ``part`` inside ``cur`` when the document has it there."""
    if isinstance(cur, dict):
        if part in cur:
            return part, cur[part]
        if isinstance(part, str) and part.isdigit() and int(part) in cur:
            return int(part), cur[int(part)]
    elif isinstance(cur, list) and isinstance(part, int) and not isinstance(part, bool) \
            and 0 <= part < len(cur):
        return part, cur[part]
    return None


def _leads_on(cur: Any, rest: tuple[Any, ...]) -> bool:
    """Whether some later part of a location is a key of ``cur`` or of a field it lacks.

    True when the location, with labels skipped, goes on inside ``cur``: then the part
    before ``rest`` was a label. A field name directly after labels counts too (a field
    missing or unknown inside the union member the label names).
    """
    for part in rest:
        if _child(cur, part) is not None:
            return True
        if _is_field_name(part) and not _looks_like_label(part):
            return True
    return False


def _looks_like_label(part: Any) -> bool:
    """A pydantic type label (``int``, ``str``, ``float``, ``bool``...), not a field name."""
    return part in _TYPE_LABELS


_TYPE_LABELS = frozenset({"int", "str", "float", "bool", "list", "dict", "none", "decimal",
                          "date", "datetime", "tagged-union", "nullable"})


def _is_field_name(part: Any) -> bool:
    return isinstance(part, str) and bool(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", part)) \
        and not part.startswith(("function-", "union", "dict[", "list[", "literal["))


def _model_fields_at(model: type[BaseModel], path: tuple[Any, ...]) -> list[str] | None:
    """Field names (aliases) valid at ``path`` inside ``model``, best effort."""
    current: Any = model
    for part in path:
        current = _descend(current, part)
        if current is None:
            return None
    candidates = _models_in(current)
    if not candidates:
        return None
    names: list[str] = []
    for cls in candidates:
        for name, info in cls.model_fields.items():
            names.append(info.alias or name)
    return sorted(set(names))


def _field_description(model: type[BaseModel], path: tuple[Any, ...]) -> str | None:
    current: Any = model
    for part in path[:-1]:
        current = _descend(current, part)
        if current is None:
            return None
    for cls in _models_in(current):
        for name, info in cls.model_fields.items():
            if path and path[-1] in (name, info.alias) and info.description:
                return info.description.split("\n")[0]
    return None


def _models_in(ann: Any) -> list[type[BaseModel]]:
    import typing

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(ann):
        if typing.get_origin(arg) in (list, dict):
            continue
        out.extend(_models_in(arg))
    return out


def _descend(ann: Any, part: Any) -> Any:
    import typing

    for cls in _models_in(ann):
        for name, info in cls.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
    # containers
    stack = [ann]
    while stack:
        a = stack.pop()
        origin = typing.get_origin(a)
        if origin is list and isinstance(part, int):
            return typing.get_args(a)[0]
        if origin is dict and not isinstance(part, int):
            return typing.get_args(a)[1]
        stack.extend(typing.get_args(a))
    return None


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "literal_error": None,
}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def _diagnostics_from_validation(
    exc: ValidationError, doc: Document, root: type[BaseModel]
) -> list[Diagnostic]:
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    order: list[tuple[Any, ...]] = []
    for err in exc.errors(include_url=False):
        path, _labels = _real_path(doc.data, tuple(err["loc"]))
        if path not in grouped:
            grouped[path] = []
            order.append(path)
        grouped[path].append(dict(err))
    out: list[Diagnostic] = []
    for path in order:
        errs = grouped[path]
        out.append(_one_diagnostic(path, errs, doc, root))
    return out


def _one_diagnostic(
    path: tuple[Any, ...], errs: list[dict[str, Any]], doc: Document, root: type[BaseModel]
) -> Diagnostic:
    types = [e["type"] for e in errs]
    field = path[-1] if path else "document"
    where = format_path(path) or "document"
    custom = [e for e in errs if e["type"] in CODES]
    if custom:
        e = custom[0]
        return Diagnostic(e["type"], e["msg"], CODES[e["type"]].hint, doc.location(path))
    if "missing" in types:
        parent = path[:-1]
        hint = CODES["missing-field"].hint
        description = _field_description(root, path)
        if description:
            hint = f"Add `{field}:` ({description.rstrip('.')}). " + hint
        return Diagnostic("missing-field", f"required field `{field}` is missing"
                          + (f" in {format_path(parent)}" if parent else ""), hint,
                          doc.location(parent) if parent else Location(doc.file, 1, 1))
    if "extra_forbidden" in types:
        known = _model_fields_at(root, path[:-1]) or []
        suggestion = did_you_mean(str(field), known)
        hint = (suggestion.capitalize() + " " if suggestion else "") + (
            f"Fields allowed here: {', '.join(known)}." if known else "Remove it.")
        return Diagnostic("unknown-field", f"unknown field `{field}`", hint,
                          doc.location(path, key=True))
    value = errs[0].get("input")
    if "union_tag_invalid" in types or "union_tag_not_found" in types:
        e = errs[types.index("union_tag_invalid" if "union_tag_invalid" in types
                             else "union_tag_not_found")]
        expected = e.get("ctx", {}).get("expected_tags", "")
        return Diagnostic("invalid-value", f"{where}: {e['msg']}",
                          f"Set `type:` to one of {expected}.", doc.location(path))
    if "literal_error" in types or "enum" in types:
        e = errs[types.index("literal_error" if "literal_error" in types else "enum")]
        expected = e.get("ctx", {}).get("expected", "")
        return Diagnostic("invalid-value", f"`{field}` is {_describe(value)}; it must be "
                          f"{expected}", f"Use one of {expected}.", doc.location(path))
    if "string_pattern_mismatch" in types:
        if field == "version":
            return Diagnostic("invalid-version", f"version {_describe(value)} is not a semantic "
                              "version", CODES["invalid-version"].hint, doc.location(path))
        if field in ("id",) or (len(path) >= 2 and path[-2] in ("scales",)):
            return Diagnostic("invalid-id", f"id {_describe(value)} is not a valid id",
                              "Use lowercase letters, digits, `_` and `-`, starting with a "
                              "letter (measure ids: letters, digits and `-`).", doc.location(path))
        e = errs[types.index("string_pattern_mismatch")]
        return Diagnostic("invalid-value", f"`{field}` is {_describe(value)}: {e['msg']}",
                          CODES["invalid-value"].hint, doc.location(path))
    range_types = {"greater_than", "greater_than_equal", "less_than", "less_than_equal",
                   "too_short", "too_long", "string_too_long", "string_too_short"}
    ranged = [e for e in errs if e["type"] in range_types]
    if ranged:
        return Diagnostic("invalid-value", f"`{field}` is {_describe(value)}: {ranged[0]['msg']}",
                          CODES["invalid-value"].hint, doc.location(path))
    expected_words = [w for w in (_TYPE_WORDS.get(t) for t in types) if w]
    if field == "version" and "string_type" in types:
        return Diagnostic("invalid-version", f"version {_describe(value)} is a number, not a "
                          "semantic version", "Write three parts, e.g. `version: 1.0.0`.",
                          doc.location(path))
    if expected_words:
        uniq = list(dict.fromkeys(expected_words))
        if uniq == ["text", "a mapping"]:
            expect = "text, or a map of language code → text"
        else:
            expect = " or ".join(uniq)
        return Diagnostic("wrong-type", f"`{field}` is {_describe(value)}; expected {expect}",
                          f"Change `{where}` to {expect}.", doc.location(path))
    e = errs[0]
    return Diagnostic("invalid-value", f"{where}: {e['msg']}", CODES["invalid-value"].hint,
                      doc.location(path))


# ----------------------------------------------------------------------------- public
def load_document(doc: Document, model: type[BaseModel] | None = None) -> Any:
    """Validate a parsed document as ``model`` (default :class:`Measure`)."""
    model = model or Measure
    if not isinstance(doc.data, dict):
        raise DefinitionError([Diagnostic(
            "not-a-mapping", f"the document is {_describe(doc.data)}, not a mapping of fields",
            "Start the file with `format: 1` and the other fields, one per line.",
            Location(doc.file, 1, 1))])
    if model is Measure:
        _check_sizes(doc)
    data = _read_table_files(doc) if model is Measure else doc.data
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        diags = _diagnostics_from_validation(exc, doc, model)
        raise DefinitionError(diags) from None
    except DefinitionError as exc:
        raise DefinitionError([doc.locate(d) for d in exc.errors]) from None
    if isinstance(value, Measure):
        value = value.with_origin(Origin(path=None, display=doc.file, document=doc,
                                         folder=doc.base))
    return value


def _check_sizes(doc: Document) -> None:
    """The ``items`` and ``scale_options`` limits, located, before any validation work."""
    data = doc.data
    problems: list[Diagnostic] = []
    items = data.get("items")
    cap = limit("items")
    if isinstance(items, list) and cap is not None and len(items) > cap:
        problems.append(Diagnostic(
            "limit-exceeded", f"the measure has {len(items):,} items, more than "
            f"{format_limit('items')}", raise_hint("items"), doc.location(("items", cap))))
    scales = data.get("scales")
    cap = limit("scale_options")
    if isinstance(scales, dict) and cap is not None:
        for sid, scale in scales.items():
            options = scale.get("options") if isinstance(scale, dict) else None
            if isinstance(options, list) and len(options) > cap:
                problems.append(Diagnostic(
                    "limit-exceeded", f"scale {sid!r} has {len(options):,} options, more than "
                    f"{format_limit('scale_options')}", raise_hint("scale_options"),
                    doc.location(("scales", sid, "options", cap))))
    if problems:
        raise DefinitionError(problems)


def loads(text: str, file: str = "<string>") -> Any:
    """Load a measure from YAML text. Raises :class:`DefinitionError` listing every problem."""
    return load_document(parse_document(text, file))


def load(source: str | os.PathLike[str]) -> Any:
    """Load a measure from a YAML file or a catalog id (``phq-9``, ``swemwbs@1.0.0``).

    Raises
    ------
    DefinitionError
        With ``.errors`` listing every problem, each with file, line, column and a hint.
    """
    path = Path(source)
    text_source = str(source)
    if not path.exists():
        path = resolve(text_source)
    display = text_source if Path(text_source).exists() else display_path(path)
    doc = parse_document(read_text(path, display), display, path.parent)
    measure = load_document(doc)
    return measure.with_origin(Origin(path=path.resolve(), display=display, document=doc,
                                      folder=path.resolve().parent))


# ----------------------------------------------------------------------------- table files
def _read_table_files(doc: Document) -> Any:
    """``tables: {name: {file: x.csv}}`` → the table read from the CSV beside the definition.

    Returns the document's data with every file table replaced by its ``key → value``
    mapping (the document itself is not changed); every problem is collected and raised
    together, located at the ``file:`` line or at the CSV row.
    """
    data = doc.data
    tables = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, dict) or not any(
            isinstance(t, dict) and "file" in t for t in tables.values()):
        return data
    problems: list[Diagnostic] = []
    resolved: dict[Any, Any] = {}
    for name, spec in tables.items():
        if not (isinstance(spec, dict) and "file" in spec):
            resolved[name] = spec
            continue
        where = ("tables", name)
        extra = sorted(set(map(str, spec)) - {"file", "key", "value"})
        if extra:
            problems.append(Diagnostic(
                "table-file", f"table {name!r}: unknown field(s) {', '.join(extra)}",
                "A file table takes `file:` and, optionally, `key:` and `value:` (column names).",
                doc.location((*where, extra[0]), key=True)))
            continue
        table, errs = _read_table_csv(doc, name, spec)
        problems.extend(errs)
        resolved[name] = table
    if problems:
        raise DefinitionError(problems)
    return {**data, "tables": resolved}


def _read_table_csv(doc: Document, name: Any, spec: dict[str, Any]
                    ) -> tuple[dict[float, float], list[Diagnostic]]:
    import csv
    import io

    here = doc.location(("tables", name, "file"))
    rel = spec.get("file")
    if not isinstance(rel, str) or not rel.strip():
        return {}, [Diagnostic("table-file", f"table {name!r}: `file:` must name a CSV file",
                               "Write e.g. `file: value-set.csv` (a path relative to this "
                               "definition).", here)]
    try:
        path = confine(doc.base, rel, what=f"table {name!r}", location=here)
        raw = read_confined(path, limit_name="table_file_bytes", what=f"table {name!r}",
                            name=rel, location=here)
    except DefinitionError as exc:
        return {}, [d if d.code != "file-not-found" else Diagnostic(
            "table-file", d.message, d.hint, d.location) for d in exc.errors]
    shown = rel
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, [Diagnostic("table-file", f"table {name!r}: {shown} is not UTF-8 text",
                               "Save the CSV file as UTF-8.", here)]
    max_rows = limit("table_rows")
    max_cell = limit("cell_chars")
    if max_cell is not None:
        csv.field_size_limit(max(max_cell, 1))
    rows: list[list[str]] = []
    try:
        for lineno, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if max_rows is not None and lineno > max_rows + 1:
                return {}, [Diagnostic(
                    "limit-exceeded", f"table {name!r}: {shown} has more than "
                    f"{format_limit('table_rows')}", raise_hint("table_rows"),
                    Location(shown, lineno, 1))]
            rows.append(row)
    except csv.Error:
        return {}, [Diagnostic(
            "limit-exceeded", f"table {name!r}: a cell of {shown} is longer than "
            f"{format_limit('cell_chars')}, or a quote is never closed",
            raise_hint("cell_chars"), Location(shown, len(rows) + 1, 1))]
    finally:
        csv.field_size_limit(131072)
    if len(rows) < 2:
        return {}, [Diagnostic("table-file", f"table {name!r}: {shown} has no rows below its "
                               "header", "Give a header row, then one `key,value` row per entry.",
                               Location(shown, 1, 1))]
    header = [h.strip() for h in rows[0]]
    cols: list[int] = []
    for role, default in (("key", 0), ("value", 1)):
        wanted = spec.get(role)
        if wanted is None:
            cols.append(default)
        elif str(wanted) in header:
            cols.append(header.index(str(wanted)))
        else:
            columns = ", ".join(h[:30] for h in header[:12]) + (", ..." if len(header) > 12 else "")
            return {}, [Diagnostic("table-file", f"table {name!r}: {shown} has no column "
                                   f"{str(wanted)[:40]!r} (its columns: {columns})",
                                   f"Correct `{role}:` or the CSV header.",
                                   doc.location(("tables", name, role)))]
    table: dict[float, float] = {}
    problems: list[Diagnostic] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        try:
            key, value = (_csv_number(row[c]) for c in cols)
        except (IndexError, ValueError):
            problems.append(Diagnostic(
                "table-file", f"table {name!r}: row {lineno} of {shown} is not two numbers "
                "(in its key and value columns)", "Each row holds a numeric key and a numeric "
                "value.", Location(shown, lineno, 1)))
            if len(problems) >= 10:
                break
            continue
        if key in table:
            problems.append(Diagnostic(
                "table-file", f"table {name!r}: key {_fmt_key(key)} appears twice in {shown} "
                f"(row {lineno})", "Keep one row per key.", Location(shown, lineno, 1)))
            continue
        table[key] = value
    return table, problems


def _fmt_key(key: float) -> str:
    return str(int(key)) if float(key).is_integer() else f"{key:g}"


def _csv_number(text: str) -> float:
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value
