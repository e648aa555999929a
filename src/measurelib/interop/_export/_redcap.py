"""REDCap data dictionary (the 18-column CSV of Project Setup → Data Dictionary).

- one field per response column; choices as ``radio`` with ``"1, label | 2, label"``,
  numeric ratings as ``text`` with ``integer``/``number`` validation and min/max, free
  text as ``notes``; follow-ups with branching logic;
- each score as a ``calc`` field in REDCap's calculation syntax (``if()``, ``rounddown()``);
  a score REDCap cannot compute (lookup table, value set) is a read-only hidden ``text``
  field whose annotation says why, ready for scores computed by measurelib;
- field names follow REDCap's rules (lowercase letters, digits and ``_``, starting with a
  letter, at most 26 characters, unique). Longer or invalid names are shortened
  deterministically (the first characters plus a short hash) and the mapping is
  returned in ``field_map`` and noted in each field's annotation;
- a calibrated item's ``irt`` block rides in its annotation (``measurelib irt {...}``,
  JSON), so that measurelib's import keeps the calibration.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from typing import TYPE_CHECKING, Any

from measurelib._output import neutralise
from measurelib.errors import Diagnostic, Location
from measurelib.interop._export._common import (
    ColumnSpec,
    Expr,
    Term,
    column_specs,
    flatten_sum,
    fmt_num,
    not_expressible,
    placeholder,
    score_plans,
)

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = ["COLUMNS", "MAX_NAME", "choice_code", "data_dictionary", "field_name", "to_calc"]

COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min",
    "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)",
    "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
]
MAX_NAME = 26
_LOGIC = {"Branching Logic (Show field only if...)"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^[A-Za-z0-9_]+$")


def field_name(column: str, taken: set[str]) -> str:
    """A REDCap field name for ``column``: valid, at most 26 characters, not in ``taken``."""
    base = re.sub(r"[^a-z0-9_]", "_", column.lower())
    if not base or not base[0].isalpha():
        base = "f_" + base
    name = base
    n = 0
    while len(name) > MAX_NAME or name in taken:
        digest = hashlib.sha1(f"{column}#{n}".encode()).hexdigest()[:4]
        name = base[: MAX_NAME - 5].rstrip("_") + "_" + digest
        n += 1
    return name


def choice_code(value: float, codes_ok: bool, index: int) -> str:
    """The raw REDCap code of an option: its value, or its position when not a valid code."""
    return fmt_num(value) if codes_ok else str(index)


def scale_codes(options: list[Any]) -> dict[float, str]:
    """Stored value → REDCap code for one scale (positions 1.. if any value is not a code)."""
    ok = all(_CODE.match(fmt_num(o.value)) for o in options)
    return {float(o.value): choice_code(float(o.value), ok, i)
            for i, o in enumerate(options, start=1)}


def _ref(name: str) -> str:
    return f"[{name}]"


def _val0(t: Term, spec: ColumnSpec | None, names: dict[str, str]) -> str:
    ref = _ref(names[t.column])
    if t.kind == "map":
        choice = spec is not None and spec.kind == "choice"
        codes = scale_codes(spec.options) if choice and spec is not None else {}
        out = "0"
        for v, s in sorted(t.mapping.items(), reverse=True):
            cond = f"{ref} = '{codes[v]}'" if choice else f"{ref} = {fmt_num(v)}"
            out = f"if({cond}, {fmt_num(s)}, {out})"
        return out
    if t.b == 1 and t.a == 0:
        return f"if({ref} = '', 0, {ref})"
    return f"if({ref} = '', 0, {fmt_num(t.a)} - {ref})"


def _ans(t: Term, spec: ColumnSpec | None, names: dict[str, str]) -> str:
    ref = _ref(names[t.column])
    if t.kind == "map" and spec is not None and spec.kind == "choice":
        codes = scale_codes(spec.options)
        conds = " or ".join(f"{ref} = '{codes[v]}'" for v in sorted(t.mapping))
        return f"if({conds}, 1, 0)"
    if t.kind == "map":
        conds = " or ".join(f"{ref} = {fmt_num(v)}" for v in sorted(t.mapping))
        return f"if({conds}, 1, 0)"
    return f"if({ref} = '', 0, 1)"


def to_calc(e: Expr, specs: dict[str, ColumnSpec], names: dict[str, str]) -> str:
    """Print an expression tree in REDCap's calculation syntax."""
    op, a = e.op, e.args

    def p(x: Expr) -> str:
        return to_calc(x, specs, names)

    if op == "num":
        return fmt_num(a[0]) if a[0] >= 0 else f"(0 - {fmt_num(-a[0])})"
    if op == "val0":
        return _val0(a[0], specs.get(a[0].column), names)
    if op == "ans":
        return _ans(a[0], specs.get(a[0].column), names)
    if op == "+":
        return "(" + " + ".join(p(x) for x in flatten_sum(e)) + ")"
    if op in ("-", "*", "/", "<", "<=", ">", ">=", "="):
        return f"({p(a[0])} {op} {p(a[1])})"
    if op == "and":
        return f"({p(a[0])} and {p(a[1])})"
    if op == "if":
        return f"if({p(a[0])}, {p(a[1])}, {p(a[2])})"
    if op == "floor":
        return f"rounddown({p(a[0])}, 0)"
    if op == "empty":
        return "''"
    raise ValueError(f"unknown expression op {op!r}")


def _clean(text: str | None) -> str:
    return "" if text is None else " ".join(str(text).split())


def data_dictionary(m: Measure, lang: str | None = None, *, record_id: bool = True,  # noqa: C901 - one branch per REDCap field type
                    ) -> tuple[str, list[Diagnostic], dict[str, str]]:
    """The data dictionary CSV of a prepared measure, notes, and renamed fields."""
    lang = lang or m.language
    diags: list[Diagnostic] = []
    form = re.sub(r"[^a-z0-9_]", "_", m.id.lower())[:50]
    if not form[0].isalpha():
        form = "f_" + form
    specs = {s.column: s for s in column_specs(m)}
    taken: set[str] = {"record_id"} if record_id else set()
    names: dict[str, str] = {}
    field_map: dict[str, str] = {}
    for col in specs:
        name = field_name(col, taken)
        taken.add(name)
        names[col] = name
        if name != col:
            field_map[col] = name
    rows: list[dict[str, str]] = []
    if record_id:
        rows.append({"Variable / Field Name": "record_id", "Form Name": form,
                     "Field Type": "text", "Field Label": "Record ID"})
    section = m.text(m.instructions, lang) if m.instructions is not None else None
    if len(m.all_languages) > 1:
        diags.append(Diagnostic(
            "export-translations-dropped", f"REDCap data dictionaries hold one language: "
            f"the export is in {lang}; {', '.join(x for x in m.all_languages if x != lang)} "
            "are left out", "Export once per language (lang=...), or add the translations "
            "with REDCap's Multi-Language Management.", severity="info"))
    for col, spec in specs.items():
        it = m.item(spec.item_id)
        r: dict[str, str] = {"Variable / Field Name": names[col], "Form Name": form}
        if section:
            r["Section Header"] = _clean(section)
            section = None
        text = m.text(spec.text, lang) if spec.text is not None else None
        if spec.goal_text_of is not None:
            text = f"{text or 'Goal'} {spec.goal_text_of.rsplit('_', 1)[1]}"
        elif spec.text is None:
            text = placeholder(m, spec.item_id)
        r["Field Label"] = _clean(text)
        notes = []
        if spec.kind == "choice":
            r["Field Type"] = "radio"
            codes = scale_codes(spec.options)
            parts = []
            for o in spec.options:
                label = _clean(m.text(o.label, lang)) or fmt_num(o.value)
                parts.append(f"{codes[float(o.value)]}, {label.replace('|', '/')}")
            r["Choices, Calculations, OR Slider Labels"] = " | ".join(parts)
            if any(codes[float(o.value)] != fmt_num(o.value) for o in spec.options):
                notes.append("codes " + ", ".join(f"{codes[float(o.value)]}={fmt_num(o.value)}"
                                                  for o in spec.options))
        elif spec.kind in ("integer", "decimal"):
            r["Field Type"] = "text"
            r["Text Validation Type OR Show Slider Number"] = (
                "integer" if spec.kind == "integer" else "number")
            r["Text Validation Min"] = fmt_num(spec.minimum or 0)
            r["Text Validation Max"] = fmt_num(spec.maximum or 0)
            sc = m.scales[spec.scale_id]
            anchors = "; ".join(f"{fmt_num(a.value)} = {m.text(a.label, lang)}"
                                for a in getattr(sc, "anchors", []))
            if anchors:
                r["Field Note"] = _clean(anchors)
        else:
            r["Field Type"] = "notes"
        if spec.follow_up_of is None and spec.goal_text_of is None:
            if it.help is not None and "Field Note" not in r:
                r["Field Note"] = _clean(m.text(it.help, lang))
            if it.code:
                r["Question Number (surveys only)"] = it.code
        if spec.required:
            r["Required Field?"] = "y"
        if spec.follow_up_of is not None and spec.when is not None:
            r["Branching Logic (Show field only if...)"] = _branching(
                names[spec.follow_up_of], spec.when, specs.get(spec.follow_up_of))
        if col in field_map:
            notes.append(f"measurelib column {col}")
        if it.irt is not None and spec.follow_up_of is None and spec.goal_text_of is None:
            # last: a calibrated item's parameters, read back by measurelib's import
            notes.append("measurelib irt " + json.dumps(
                it.irt.model_dump(mode="json", exclude_defaults=True), sort_keys=True))
        if notes:
            r["Field Annotation"] = "; ".join(notes)
        rows.append(r)
    for p in score_plans(m):
        name = field_name(f"score_{p.rule.id}", taken)
        taken.add(name)
        r = {"Variable / Field Name": name, "Form Name": form,
             "Field Label": _clean(m.text(p.rule.title, lang) if p.rule.title else p.rule.id)}
        if p.expr is None:
            diags.append(not_expressible(p, "REDCap calc"))
            r["Field Type"] = "text"
            r["Text Validation Type OR Show Slider Number"] = "number"
            r["Field Annotation"] = (f"@READONLY @HIDDEN-SURVEY not calculated in REDCap "
                                     f"({p.reason}); import the score from measurelib")
        else:
            r["Field Type"] = "calc"
            r["Choices, Calculations, OR Slider Labels"] = to_calc(p.expr, specs, names)
            r["Field Annotation"] = f"measurelib score {p.rule.id}"
        rows.append(r)
    if field_map:
        diags.append(Diagnostic(
            "export-field-renamed", "REDCap field names must be lowercase, at most "
            f"{MAX_NAME} characters and unique: renamed "
            + ", ".join(f"{k} → {v}" for k, v in field_map.items()),
            "Use field_map (or the annotations) to match REDCap exports back to the measure; "
            "measurelib's REDCap import does this for you.", Location(path="items"), "info"))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:  # every cell through the one neutraliser; logic and calculations keep
        # their meaning (wrapped in parentheses when they would start like a formula)
        calc = r.get("Field Type") == "calc"
        w.writerow({c: neutralise(r.get(c, ""), expression=c in _LOGIC or (
            calc and c == "Choices, Calculations, OR Slider Labels")) for c in COLUMNS})
    return buf.getvalue(), diags, field_map


def _branching(parent: str, cond: Any, spec: ColumnSpec | None) -> str:
    ref = _ref(parent)
    if cond.op == "answered":
        return f"{ref} <> ''"
    if cond.op == "in":
        return " or ".join(f"{ref} = '{fmt_num(v)}'" for v in cond.value)
    ops = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=", "ne": "<>"}
    return f"{ref} <> '' and {ref} {ops[cond.op]} {fmt_num(cond.value)}"
