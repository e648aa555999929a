"""Reading YAML safely, with the position of every value and key.

YAML is read with PyYAML's safe loader, with three changes that matter for questionnaires:

* **duplicate mapping keys are an error** (plain PyYAML silently keeps the last one);
* only ``true``/``false`` are booleans, so an option labelled ``No`` or ``Yes`` stays text
  (YAML 1.1 would turn it into a boolean — the "Norway problem");
* dates and sexagesimal numbers are not converted (``2024-05-01`` stays text, ``1:30`` too).

A :class:`Document` keeps the parsed data with the line and column of every value, so that
every later error can name its place (``items[3].scale``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from measurelib.definition._limits import format_limit, limit, raise_hint
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location

__all__ = ["Document", "display_path", "dump_yaml", "format_path", "parse_document", "parse_path",
           "read_text"]

#: Texts up to this size that libyaml rejects are parsed again by the pure-Python parser,
#: whose messages show the offending line; larger ones report libyaml's message.
_FALLBACK_CHARS = 50_000
#: Texts with more brackets than this are checked for nesting depth from parser events
#: before any node is built (a shipped measure has a few hundred).
_BRACKETS_SCANNED = 5_000


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

if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):
        """The same resolvers on libyaml's parser: composes nodes (with positions) in C."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FAST: type[Any] | None = _CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _FAST = None


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
        self.depth = 0
        self.seen: set[int] = set()
        self.in_alias = 0
        self.alias_count = 0
        self.max_alias = limit("alias_values")
        self.max_values = limit("definition_values")
        self.max_depth = limit("nesting_depth")
        self.max_chars = limit("scalar_chars")

    def loc(self, mark: yaml.Mark, path: tuple[Any, ...] = ()) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1, format_path(path) or None)

    def build(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        self.count += 1
        if self.max_values is not None and self.count > self.max_values:
            raise _Limit(node, "definition_values",
                         f"the document holds more than {format_limit('definition_values')} "
                         "(aliases count each time they are used)")
        if self.in_alias:
            self.alias_count += 1
            if self.max_alias is not None and self.alias_count > self.max_alias:
                raise _Limit(node, "alias_values", "aliases expand to more than "
                             f"{format_limit('alias_values')}")
        self.value_marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in self.active:
            raise _Recursive(node)
        if node.tag not in _ALLOWED_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"the tag {_shown_tag(node.tag)} is not allowed", node.start_mark)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            self.depth += 1
            if self.max_depth is not None and self.depth > self.max_depth:
                raise _Limit(node, "nesting_depth", "lists and mappings nest more than "
                             f"{format_limit('nesting_depth')} deep")
            alias = id(node) in self.seen  # built before: this use is through an alias
            self.seen.add(id(node))
            self.in_alias += alias
            self.active.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.active.discard(id(node))
                self.depth -= 1
                self.in_alias -= alias
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar node; a value its tag cannot read is a located error."""
        text = str(node.value)
        if self.max_chars is not None and len(text) > self.max_chars:
            raise _Limit(node, "scalar_chars", f"a value is {len(text):,} characters long, more "
                         f"than {format_limit('scalar_chars')}")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError,
                ArithmeticError) as exc:
            kind = _TAG_WORDS.get(node.tag, "a value")
            shown = text if len(text) <= 30 else text[:27] + "..."
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown!r} cannot be read as {kind}", node.start_mark) from exc

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
            if key_node.tag not in _ALLOWED_TAGS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the tag {_shown_tag(key_node.tag)} is not allowed",
                    key_node.start_mark)
            key = self.scalar(key_node)
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


_TAG_WORDS = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "null",
}


def _shown_tag(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return repr(short if len(short) <= 40 else short[:37] + "...")


class _Limit(Exception):
    def __init__(self, node: yaml.Node, name: str, message: str):
        self.node = node
        self.name = name
        self.message = message


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


def _limit_error(name: str, message: str, location: Location) -> DefinitionError:
    return DefinitionError([Diagnostic("limit-exceeded", message, raise_hint(name), location)])


def _syntax_error(exc: yaml.YAMLError, text: str, file: str) -> DefinitionError:
    """A located ``yaml-syntax`` diagnostic for a parser's error."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else 0
        return DefinitionError([Diagnostic(
            "yaml-syntax", f"the text contains a control character (#x{char:04x}) "
            "that YAML does not allow", "Remove the character (often pasted from another program).",
            Location(file, line, column))])
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        return DefinitionError([Diagnostic("yaml-syntax", msg, CODES["yaml-syntax"].hint, loc)])
    return DefinitionError([Diagnostic("yaml-syntax", str(exc)[:200], CODES["yaml-syntax"].hint,
                                       Location(file))])


def _compose(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """(loader, root node) of ``text``: libyaml when present, the Python parser otherwise.

    libyaml composes the node tree (with the line and column of every node) in C; when it
    rejects the text, small texts are parsed again by the pure-Python parser, whose
    messages name the problem more plainly.
    """
    if _FAST is not None:
        loader = _FAST(text)
        try:
            return loader, loader.get_single_node()
        except yaml.YAMLError as exc:
            loader.dispose()
            if "maximum nesting depth" in str(exc):
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                raise _limit_error("nesting_depth", "lists and mappings nest more than "
                                   f"{format_limit('nesting_depth')} deep", Location(
                                       file, mark.line + 1 if mark else 1,
                                       mark.column + 1 if mark else 1)) from None
            if len(text) > _FALLBACK_CHARS:
                raise _syntax_error(exc, text, file) from None
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, file) from None
    try:
        return loader, loader.get_single_node()
    except yaml.YAMLError as exc:
        loader.dispose()
        raise _syntax_error(exc, text, file) from None
    except RecursionError:
        loader.dispose()
        raise _limit_error("nesting_depth", "lists and mappings nest more than "
                           f"{format_limit('nesting_depth')} deep", Location(file, 1, 1)) from None


def _check_depth(text: str, file: str) -> None:
    """Stop at the first list or mapping nested deeper than ``nesting_depth``, from events.

    Composing the nodes of thousands of deeply nested flow collections takes seconds even
    in libyaml; reading events only, and stopping at the first one too deep, takes none.
    Syntax errors are left to the full parse, which words them.
    """
    cap = limit("nesting_depth")
    if cap is None:
        return
    parser = (_FAST or _Loader)(text)
    depth = 0
    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > cap:
                    mark = event.start_mark
                    raise _limit_error("nesting_depth", "lists and mappings nest more than "
                                       f"{format_limit('nesting_depth')} deep", Location(
                                           file, mark.line + 1 if mark else 1,
                                           mark.column + 1 if mark else 1))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return
    finally:
        parser.dispose()


def parse_document(text: str, file: str = "<string>", base: Path | None = None) -> Document:
    """Parse YAML text into a :class:`Document`; raise DefinitionError on syntax problems.

    ``base`` is the folder of the definition file (files it names are read from there);
    by default the folder of ``file`` if that is a file, else the working folder.
    Every problem, including a value that its tag cannot read (``!!int abc``) and an input
    beyond a limit (``docs/limits.md``), is a located DefinitionError.
    """
    cap = limit("definition_bytes")
    if cap is not None and len(text) > cap:
        raise _limit_error("definition_bytes", f"the text is {len(text):,} characters long, "
                           f"more than {format_limit('definition_bytes')}", Location(file))
    if text.count("[") + text.count("{") > _BRACKETS_SCANNED:
        _check_depth(text, file)
    loader, node = _compose(text, file)
    try:
        if node is None:
            raise DefinitionError([Diagnostic("not-a-mapping", "the file is empty",
                                              "Start the file with `format: 1`.",
                                              Location(file, 1, 1))])
        builder = _Builder(loader, file)
        try:
            data = builder.build(node, ())
        except _Limit as exc:
            raise _limit_error(exc.name, exc.message, builder.loc(exc.node.start_mark)) from None
        except _Recursive as exc:
            raise DefinitionError([Diagnostic(
                "yaml-syntax", "an alias refers to the mapping or list that contains it",
                "Remove the recursive alias.", builder.loc(exc.node.start_mark))]) from None
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            raise DefinitionError([Diagnostic(
                "yaml-syntax", f"{exc.problem or 'value cannot be read'}",
                "Only plain YAML is allowed: remove tags such as `!!python/...` or `!!int`, "
                "and write the value plainly.", loc)]) from None
        except RecursionError:  # pragma: no cover - the depth limit comes first
            raise _limit_error("nesting_depth", "the document is nested too deeply",
                               Location(file, 1, 1)) from None
        if builder.errors:
            raise DefinitionError(builder.errors)
        if base is None:
            base = Path(file).parent if file != "<string>" and Path(file).is_file() else None
        return Document(data, file, builder.value_marks, builder.key_marks, base)
    finally:
        loader.dispose()


def read_text(path: Path, display: str | None = None, *, limit_name: str = "definition_bytes"
              ) -> str:
    """Read a definition file as UTF-8, turning OS errors into a DefinitionError.

    At most the ``limit_name`` limit of bytes is read (``docs/limits.md``): a larger file,
    or a device that never ends (``/dev/zero``), is a ``limit-exceeded`` error at once.
    """
    shown = display or str(path)
    cap = limit(limit_name)
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if cap is None else fh.read(cap + 1)
    except IsADirectoryError:
        raise DefinitionError([Diagnostic("file-not-found", f"{shown} is a folder, not a file",
                                          "Give the path of a .yaml file.",
                                          Location(shown))]) from None
    except OSError as exc:
        raise DefinitionError([Diagnostic("file-not-found", f"cannot read {shown}: "
                                          f"{exc.strerror or exc}",
                                          CODES["file-not-found"].hint, Location(shown))]) from None
    if cap is not None and len(raw) > cap:
        raise _limit_error(limit_name, f"{shown} is larger than {format_limit(limit_name)}",
                           Location(shown))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError([Diagnostic("yaml-syntax", "the file is not UTF-8 text",
                                          "Save the file as UTF-8.",
                                          Location(shown, line, None))]) from None


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


