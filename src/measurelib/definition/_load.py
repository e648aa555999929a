"""Loading definitions from YAML: safely, with positions for every error.

YAML is read with PyYAML's safe loader, with three changes that matter for questionnaires:

* **duplicate mapping keys are an error** (plain PyYAML silently keeps the last one);
* only ``true``/``false`` are booleans, so an option labelled ``No`` or ``Yes`` stays text
  (YAML 1.1 would turn it into a boolean — the "Norway problem");
* dates and sexagesimal numbers are not converted (``2024-05-01`` stays text, ``1:30`` too).

Every error carries the file, line and column, and the path inside the document
(``items[3].scale``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from measurelib.definition._checks import did_you_mean
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location

__all__ = ["dump_yaml", "load", "load_document", "loads", "parse_document"]

_MAX_NODES = 200_000


# ----------------------------------------------------------------------------- YAML
class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars (no yes/no booleans, no dates, no base 60)."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9]*)?\.[0-9]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9]+\.(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


class _Dumper(yaml.SafeDumper):
    """Quotes any string that YAML 1.1 *or* our 1.2-like loader would read as a non-string."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if kind is yaml.ScalarNode and implicit[0] and tag == self.DEFAULT_SCALAR_TAG:
            ours = _Loader.resolve(_LOADER_RESOLVER, kind, value, implicit)  # type: ignore[no-untyped-call]
            if ours != self.DEFAULT_SCALAR_TAG:
                return ours
        return tag


_LOADER_RESOLVER = _Loader.__new__(_Loader)


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any, *, schema_comment: str | None = None) -> str:
    """Dump plain data as YAML that :func:`loads` reads back unchanged."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    if schema_comment:
        text = f"# yaml-language-server: $schema={schema_comment}\n{text}"
    return text


Marks = dict[tuple[Any, ...], tuple[int, int]]


class _Builder:
    """Turns a composed YAML node tree into Python data, recording where each value is."""

    def __init__(self, loader: _Loader, file: str):
        self.loader = loader
        self.file = file
        self.value_marks: Marks = {}
        self.key_marks: Marks = {}
        self.errors: list[Diagnostic] = []
        self.count = 0
        self.active: set[int] = set()

    def loc(self, mark: yaml.Mark, path: tuple[Any, ...] = ()) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1, format_path(path) or None)

    def build(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooLarge(node)
        self.value_marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in self.active:
            raise _Recursive(node)
        if node.tag not in _ALLOWED_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag {node.tag!r} is not allowed", node.start_mark)
        if isinstance(node, yaml.MappingNode):
            self.active.add(id(node))
            try:
                return self._mapping(node, path)
            finally:
                self.active.discard(id(node))
        if isinstance(node, yaml.SequenceNode):
            self.active.add(id(node))
            try:
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.active.discard(id(node))
        return self.loader.construct_object(node, deep=True)

    def _pairs(
        self, node: yaml.MappingNode
    ) -> Iterator[tuple[yaml.Node, yaml.Node, bool]]:
        """Key/value nodes; merged (``<<``) pairs first, flagged, so explicit keys win."""
        explicit = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if isinstance(src, yaml.MappingNode):
                        for k, v, _ in self._pairs(src):
                            yield k, v, True
                    else:
                        self.errors.append(Diagnostic(
                            "yaml-syntax", "a merge key (<<) must refer to a mapping",
                            CODES["yaml-syntax"].hint, self.loc(src.start_mark)))
            else:
                explicit.append((key_node, value_node))
        for key_node, value_node in explicit:
            yield key_node, value_node, False

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, yaml.Mark] = {}
        merged: set[Any] = set()
        for key_node, value_node, from_merge in self._pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                self.errors.append(Diagnostic(
                    "wrong-type", "a mapping key must be plain text, not a list or mapping",
                    "Write the key as a plain word.", self.loc(key_node.start_mark, path)))
                continue
            key = self.loader.construct_object(key_node)
            try:
                hash(key)
            except TypeError:  # pragma: no cover - scalars are hashable
                key = str(key)
            sub = (*path, key)
            if from_merge:
                if key not in result:
                    merged.add(key)
                    result[key] = self.build(value_node, sub)
                continue
            if key in merged:
                merged.discard(key)
                del result[key]
            if key in result:
                prev = first_seen[key]
                self.errors.append(Diagnostic(
                    "yaml-duplicate-key",
                    f"duplicate key {key!r} (first defined at line {prev.line + 1})",
                    "Remove or rename one of the two keys; YAML would otherwise silently keep "
                    "the last one.",
                    self.loc(key_node.start_mark, sub)))
                continue
            first_seen[key] = key_node.start_mark
            self.key_marks[sub] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, sub)
        return result


_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                          ("map", "seq", "str", "int", "float", "bool", "null"))


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


class _Recursive(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


def format_path(path: tuple[Any, ...]) -> str:
    """``('items', 3, 'scale')`` → ``items[3].scale``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Document:
    """A parsed YAML document with the positions of its values and keys."""

    def __init__(self, data: Any, file: str, value_marks: Marks, key_marks: Marks,
                 base: Path | None = None):
        self.data = data
        self.file = file
        self.value_marks = value_marks
        self.key_marks = key_marks
        #: folder that files named in the document (table files) are relative to
        self.base = base

    def location(self, path: tuple[Any, ...], *, key: bool = False) -> Location:
        """The position of ``path`` (or of its nearest existing ancestor)."""
        p = tuple(path)
        while True:
            marks = self.key_marks if key else self.value_marks
            if p in marks:
                line, col = marks[p]
                return Location(self.file, line, col, format_path(path) or None)
            if key and p in self.value_marks:
                line, col = self.value_marks[p]
                return Location(self.file, line, col, format_path(path) or None)
            if not p:
                return Location(self.file, 1, 1, format_path(path) or None)
            p = p[:-1]

    def locate(self, diag: Diagnostic) -> Diagnostic:
        """Add the file position to a diagnostic that has only a YAML path."""
        if diag.location.line is not None or diag.location.path is None:
            if diag.location.file is None:
                return diag.with_location(Location(self.file, diag.location.line,
                                                   diag.location.column, diag.location.path))
            return diag
        path = parse_path(diag.location.path)
        return diag.with_location(self.location(path))


def parse_path(text: str) -> tuple[Any, ...]:
    """``items[3].scale`` → ``('items', 3, 'scale')``."""
    out: list[Any] = []
    for token in re.finditer(r"([^.\[\]]+)|\[(\d+)\]", text):
        if token.group(2) is not None:
            out.append(int(token.group(2)))
        else:
            name = token.group(1)
            out.append(name)
    return tuple(out)


def parse_document(text: str, file: str = "<string>", base: Path | None = None) -> Document:
    """Parse YAML text into a :class:`Document`; raise DefinitionError on syntax problems.

    ``base`` is the folder of the definition file (files it names are read from there);
    by default the folder of ``file`` if that is a file, else the working folder.
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        raise DefinitionError([Diagnostic(
            "yaml-syntax", f"the text contains a control character (#x{exc.character:04x}) "
            "that YAML does not allow", "Remove the character (often pasted from another program).",
            Location(file, line, column))]) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            msg = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
            loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            raise DefinitionError([Diagnostic("yaml-syntax", msg, CODES["yaml-syntax"].hint,
                                              loc)]) from None
        except yaml.YAMLError as exc:
            raise DefinitionError([Diagnostic("yaml-syntax", str(exc), CODES["yaml-syntax"].hint,
                                              Location(file))]) from None
        if node is None:
            raise DefinitionError([Diagnostic("not-a-mapping", "the file is empty",
                                              "Start the file with `format: 1`.",
                                              Location(file, 1, 1))])
        builder = _Builder(loader, file)
        try:
            data = builder.build(node, ())
        except _TooLarge as exc:
            raise DefinitionError([Diagnostic(
                "yaml-syntax", f"the document expands to more than {_MAX_NODES} values "
                "(aliases repeated too often)", "Write the repeated parts out, or use fewer aliases.",
                builder.loc(exc.node.start_mark))]) from None
        except _Recursive as exc:
            raise DefinitionError([Diagnostic(
                "yaml-syntax", "an alias refers to the mapping or list that contains it",
                "Remove the recursive alias.", builder.loc(exc.node.start_mark))]) from None
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            raise DefinitionError([Diagnostic(
                "yaml-syntax", f"{exc.problem or 'value cannot be read'}",
                "Only plain YAML is allowed: remove tags such as `!!python/...`.", loc)]) from None
        except RecursionError:
            raise DefinitionError([Diagnostic(
                "yaml-syntax", "the document is nested too deeply", "Flatten the document.",
                Location(file, 1, 1))]) from None
        if builder.errors:
            raise DefinitionError(builder.errors)
        if base is None:
            base = Path(file).parent if file != "<string>" and Path(file).is_file() else None
        return Document(data, file, builder.value_marks, builder.key_marks, base)
    finally:
        loader.dispose()


# ----------------------------------------------------------------------------- pydantic errors
def _real_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    """Map a pydantic error location onto the document, dropping union-member labels."""
    path: list[Any] = []
    labels: list[str] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and part.isdigit() and int(part) in cur:
            path.append(int(part))
            cur = cur[int(part)]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and not labels and _is_field_name(part):
            # a field that is missing or unknown at this level
            path.append(part)
            cur = None
        else:
            labels.append(str(part))
    return tuple(path), labels


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
    from measurelib.definition._model import Measure

    model = model or Measure
    if not isinstance(doc.data, dict):
        raise DefinitionError([Diagnostic(
            "not-a-mapping", f"the document is {_describe(doc.data)}, not a mapping of fields",
            "Start the file with `format: 1` and the other fields, one per line.",
            Location(doc.file, 1, 1))])
    data = _read_table_files(doc) if model is Measure else doc.data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        diags = _diagnostics_from_validation(exc, doc, model)
        raise DefinitionError(diags) from None
    except DefinitionError as exc:
        raise DefinitionError([doc.locate(d) for d in exc.errors]) from None


def loads(text: str, file: str = "<string>") -> Any:
    """Load a measure from YAML text. Raises :class:`DefinitionError` listing every problem."""
    return load_document(parse_document(text, file))


def read_text(path: Path, display: str | None = None) -> str:
    """Read a definition file as UTF-8, turning OS errors into a DefinitionError."""
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DefinitionError([Diagnostic("file-not-found", f"{shown} is a folder, not a file",
                                          "Give the path of a .yaml file.",
                                          Location(shown))]) from None
    except OSError as exc:
        raise DefinitionError([Diagnostic("file-not-found", f"cannot read {shown}: "
                                          f"{exc.strerror or exc}",
                                          CODES["file-not-found"].hint, Location(shown))]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError([Diagnostic("yaml-syntax", "the file is not UTF-8 text",
                                          "Save the file as UTF-8.",
                                          Location(shown, line, None))]) from None


def load(source: str | os.PathLike[str]) -> Any:
    """Load a measure from a YAML file or a catalog id (``phq-9``, ``swemwbs@1.0.0``).

    Raises
    ------
    DefinitionError
        With ``.errors`` listing every problem, each with file, line, column and a hint.
    """
    from measurelib.definition._catalog import resolve

    path = Path(source)
    text_source = str(source)
    if not path.exists():
        path = resolve(text_source)
    display = text_source if Path(text_source).exists() else _display_path(path)
    measure = load_document(parse_document(read_text(path, display), display, path.parent))
    from measurelib._resources import remember_source

    remember_source(measure, path)
    return measure


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


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

    here = doc.location(("tables", name, "file"))
    rel = spec.get("file")
    if not isinstance(rel, str) or not rel.strip():
        return {}, [Diagnostic("table-file", f"table {name!r}: `file:` must name a CSV file",
                               "Write e.g. `file: value-set.csv` (a path relative to this "
                               "definition).", here)]
    base = doc.base if doc.base is not None else Path.cwd()
    path = (base / rel) if not Path(rel).is_absolute() else Path(rel)
    shown = os.path.relpath(path) if path.is_absolute() else str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return {}, [Diagnostic("table-file", f"table {name!r}: cannot read {shown}: "
                               f"{exc.strerror or exc}",
                               "Put the CSV file beside the definition, or correct `file:` "
                               "(paths are relative to the definition's folder).", here)]
    rows = list(csv.reader(text.splitlines()))
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
            return {}, [Diagnostic("table-file", f"table {name!r}: {shown} has no column "
                                   f"{wanted!r} (its columns: {', '.join(header)})",
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
                "table-file", f"table {name!r}: row {lineno} of {shown} is not two numbers: "
                f"{','.join(row)!r}", "Each row holds a numeric key and a numeric value.",
                Location(shown, lineno, 1)))
            if len(problems) >= 10:
                break
            continue
        if key in table:
            problems.append(Diagnostic(
                "table-file", f"table {name!r}: key {row[cols[0]]} appears twice in {shown} "
                f"(row {lineno})", "Keep one row per key.", Location(shown, lineno, 1)))
            continue
        table[key] = value
    return table, problems


def _csv_number(text: str) -> float:
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value
