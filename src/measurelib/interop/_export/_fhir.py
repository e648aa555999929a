"""FHIR R4 Questionnaire (SDC), QuestionnaireResponse and Observation.

The Questionnaire follows the Structured Data Capture (SDC) conventions:

- ``url`` ``https://measurelib.org/fhir/Questionnaire/<id>`` and ``version`` from the measure;
- one item per response column, ``linkId`` = the column (item id, ``<item>_<follow-up>``,
  ``goal_1``), so a QuestionnaireResponse maps to a response row one to one;
- choices as ``answerOption.valueCoding`` (system ``.../CodeSystem/<measure>-<scale>``,
  code = the stored value) with the ``ordinalValue`` extension carrying the item's
  *scored* value (option score, recode and reverse-keying applied);
- ``itemControl`` ``radio-button`` for choices and ``slider`` for numeric ratings, with
  ``minValue``/``maxValue``, ``sliderStepValue`` and the end anchors as ``lower``/``upper``
  display items;
- pictures as ``rendering-xhtml`` (an ``<img>`` with its alt text), translations with the
  ``translation`` extension, the licence in ``copyright``;
- every score as a read-only ``decimal`` item ``score.<id>`` with an
  ``sdc-questionnaire-calculatedExpression`` (FHIRPath) over per-column ``variable``
  extensions ``%v_<column>`` (the scored value, empty when missing).
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import TYPE_CHECKING, Any

from measurelib.errors import DataError, Diagnostic, Location
from measurelib.forms import graphic_data_uri, resolve_graphic
from measurelib.interop._export._common import (
    FHIR_BASE,
    MEASURELIB_EXT,
    ColumnSpec,
    Expr,
    Term,
    band_text,
    column_specs,
    flatten_sum,
    fmt_num,
    irt_conversion,
    irt_exported,
    not_expressible,
    placeholder,
    score_plans,
    texts,
)

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = [
    "observations",
    "questionnaire",
    "questionnaire_response",
    "rows_from_fhir",
    "to_fhirpath",
]

EXT_ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT_XHTML = "http://hl7.org/fhir/StructureDefinition/rendering-xhtml"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_STEP = "http://hl7.org/fhir/StructureDefinition/questionnaire-sliderStepValue"
EXT_VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
#: The summed-score conversion table of an IRT score: JSON ``{"metric": ..., "table":
#: [{"sum": s, "score": x, "se": e}, ...]}`` (docs/interop.md).
EXT_IRT_CONVERSION = f"{MEASURELIB_EXT}/irt-sum-score-conversion"
EXT_CALC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
EXT_ENABLE_EXPR = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
EXT_ENTRY_FORMAT = "http://hl7.org/fhir/StructureDefinition/entryFormat"
EXT_HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
SDC_PROFILE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
EXT_ML_ITEM = f"{MEASURELIB_EXT}/item"
EXT_ML_SCORE = f"{MEASURELIB_EXT}/score-rule"
EXT_ML_MEASURE = f"{MEASURELIB_EXT}/measure"
EXT_ML_SCALE = f"{MEASURELIB_EXT}/scale"
CODE_SYSTEMS = {"loinc": "http://loinc.org", "snomed": "http://snomed.info/sct"}
SYSTEM_NAMES = {v: k for k, v in CODE_SYSTEMS.items()}


def code_system(m: Measure, scale_id: str) -> str:
    return f"{FHIR_BASE}/CodeSystem/{m.id}-{scale_id}"


def _coding(code: Any) -> dict[str, Any]:
    out = {"system": CODE_SYSTEMS.get(code.system, code.system), "code": code.code}
    if code.display:
        out["display"] = code.display
    return out


def _translations(value: Any, m: Measure, lang: str) -> list[dict[str, Any]]:
    out = []
    for code, text in texts(value, m).items():
        if code != lang:
            out.append({"url": EXT_TRANSLATION, "extension": [
                {"url": "lang", "valueCode": code}, {"url": "content", "valueString": text}]})
    return out


def _graphic_xhtml(m: Measure, graphic: str, alt: Any, label: str | None,
                   lang: str) -> dict[str, Any]:

    path = resolve_graphic(graphic, m.folder)
    src = graphic_data_uri(path) if path is not None else None
    alt_text = m.text(alt, lang) or ""
    img = f'<img src="{escape(src or graphic)}" alt="{escape(alt_text)}"/>'
    body = img + (f" {escape(label)}" if label else "")
    return {"url": EXT_XHTML,
            "valueString": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _text_field(obj: dict[str, Any], key: str, value: Any, m: Measure, lang: str,
                xhtml: dict[str, Any] | None = None) -> None:
    text = m.text(value, lang)
    if text is None:
        return
    obj[key] = text
    ext = _translations(value, m, lang)
    if xhtml is not None:
        ext.insert(0, xhtml)
    if ext:
        obj[f"_{key}"] = {"extension": ext}


def _item_control(code: str) -> dict[str, Any]:
    return {"url": EXT_ITEM_CONTROL, "valueCodeableConcept": {"coding": [
        {"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def _num_value(kind: str, v: float) -> dict[str, Any]:
    return {"valueInteger": int(v)} if kind == "integer" else {"valueDecimal": float(v)}


_VAR_INDEX: dict[str, int] = {}


def _var_name(col: str) -> str:
    """The SDC variable of a column: ``v<n><letters>`` (an FHIR id and FHIRPath name)."""
    n = _VAR_INDEX.setdefault(col, len(_VAR_INDEX) + 1)
    return f"v{n}" + re.sub(r"[^A-Za-z0-9]", "", col)


def scale_codings(m: Measure, spec: ColumnSpec) -> dict[float, tuple[str, str]]:
    """Stored value → (system, code) of each option of a choice column.

    Options with a LOINC answer code (``LA…``) use it; the others (or all, when the LOINC
    codes of a scale are not unique) use the measure's code system with the stored value.
    """
    loinc = {}
    for o in spec.options:
        code = next((c.code for c in o.codes if c.system in ("loinc", CODE_SYSTEMS["loinc"])),
                    None)
        if code is not None:
            loinc[float(o.value)] = code
    unique = len(set(loinc.values())) == len(loinc)
    own = code_system(m, spec.scale_id)
    return {float(o.value): (CODE_SYSTEMS["loinc"], loinc[float(o.value)])
            if unique and float(o.value) in loinc else (own, fmt_num(o.value))
            for o in spec.options}


def _choice_chain(codes: dict[float, tuple[str, str]], values: dict[float, float]) -> str:
    """``iif(code = 'a', 1, iif(code = 'b', 2))``: a coding's code → a number."""
    items = sorted(values.items())
    chain = ""
    for i, (v, s) in enumerate(items):
        last = i == len(items) - 1
        chain += f"iif(code = '{codes[v][1]}', {fmt_num(s)}" + (")" if last else ", ")
    return chain + ")" * (len(items) - 1)


# ----------------------------------------------------------------------------- FHIRPath
def _answer(col: str) -> str:
    return f"%resource.item.where(linkId='{col}').answer.value"


def _scored_var(m: Measure, t: Term) -> str:
    """FHIRPath of a column's scored value (empty when missing)."""
    if t.kind == "map":
        spec = _spec_of(m, t.column)
        if spec is not None and spec.kind == "choice":
            chain = _choice_chain(scale_codings(m, spec), t.mapping)
            return f"{_answer(t.column)}.select({chain})"
        items = sorted(t.mapping.items())
        chain = ""
        for i, (v, s) in enumerate(items):
            last = i == len(items) - 1
            chain += f"iif($this = {fmt_num(v)}, {fmt_num(s)}" + (")" if last else ", ")
        chain += ")" * (len(items) - 1)
        return f"{_answer(t.column)}.select({chain})"
    if t.b == 1 and t.a == 0:
        return _answer(t.column)
    return f"{_answer(t.column)}.select({fmt_num(t.a)} - $this)"


_SPECS: dict[int, dict[str, ColumnSpec]] = {}


def _spec_of(m: Measure, col: str) -> ColumnSpec | None:
    key = id(m)
    if key not in _SPECS:
        _SPECS.clear()
        _SPECS[key] = {s.column: s for s in column_specs(m)}
    return _SPECS[key].get(col)


def to_fhirpath(e: Expr) -> str:
    """Print an expression tree in FHIRPath (columns as ``%v_<column>`` variables)."""
    op, a = e.op, e.args
    if op == "num":
        return fmt_num(a[0]) if a[0] >= 0 else f"({fmt_num(a[0])})"
    if op == "val0":
        v = "%" + _var_name(a[0].column)
        return f"iif({v}.exists(), {v}, 0)"
    if op == "ans":
        return f"iif(%{_var_name(a[0].column)}.exists(), 1, 0)"
    if op == "+":
        return "(" + " + ".join(to_fhirpath(x) for x in flatten_sum(e)) + ")"
    if op in ("-", "*", "/"):
        return f"({to_fhirpath(a[0])} {op} {to_fhirpath(a[1])})"
    if op in ("<", "<=", ">", ">=", "="):
        return f"({to_fhirpath(a[0])} {op} {to_fhirpath(a[1])})"
    if op == "and":
        return f"({to_fhirpath(a[0])} and {to_fhirpath(a[1])})"
    if op == "if":
        if a[2].op == "empty":
            return f"iif({to_fhirpath(a[0])}, {to_fhirpath(a[1])})"
        return f"iif({to_fhirpath(a[0])}, {to_fhirpath(a[1])}, {to_fhirpath(a[2])})"
    if op == "floor":
        return f"{to_fhirpath(a[0])}.floor()"
    if op == "empty":
        return "{}"
    raise ValueError(f"unknown expression op {op!r}")


# ----------------------------------------------------------------------------- Questionnaire
def _question(m: Measure, spec: ColumnSpec, lang: str, scored: dict[float, float] | None,  # noqa: C901 - one branch per item kind of FHIR's Questionnaire.item
              item_meta: dict[str, Any] | None) -> dict[str, Any]:
    it = m.item(spec.item_id)
    q: dict[str, Any] = {"linkId": spec.column}
    text = spec.text
    if spec.goal_text_of is not None:
        text = text or "Goal"
    xhtml = None
    if spec.follow_up_of is None and spec.goal_text_of is None and it.graphic:
        xhtml = _graphic_xhtml(m, it.graphic, it.alt, m.text(text, lang), lang)
    if text is None:
        q["text"] = placeholder(m, spec.item_id)
    else:
        _text_field(q, "text", text, m, lang, xhtml)
        if spec.goal_text_of is not None and m.text(spec.text, lang):
            q["text"] = f"{m.text(spec.text, lang)} {spec.goal_text_of.rsplit('_', 1)[1]}"
    if spec.follow_up_of is None and spec.goal_text_of is None and it.code:
        q["prefix"] = it.code
    if spec.follow_up_of is None and spec.goal_text_of is None and it.codes:
        q["code"] = [_coding(c) for c in it.codes]
    if spec.required:
        q["required"] = True
    ext: list[dict[str, Any]] = []
    if item_meta:
        ext.append({"url": EXT_ML_ITEM, "valueString": json.dumps(item_meta, sort_keys=True)})
    if spec.kind == "choice":
        q["type"] = "choice"
        ext.append(_item_control("radio-button"))
        codings = scale_codings(m, spec)
        own = code_system(m, spec.scale_id)
        opts = []
        for o in spec.options:
            label = m.text(o.label, lang)
            system, code = codings[float(o.value)]
            coding: dict[str, Any] = {"system": system, "code": code}
            xh = _graphic_xhtml(m, o.graphic, o.alt, label, lang) if o.graphic else None
            if label is not None:
                _text_field(coding, "display", o.label, m, lang, xh)
            elif xh is not None:
                coding["_display"] = {"extension": [xh]}
            elif m.licence.text_redistribution == "forbidden":
                # licensed answer wording not supplied: say so rather than show a bare code
                coding["display"] = (f"[{m.id} answer {code} of {spec.item_id}: licensed text "
                                     "not included]")
            ao: dict[str, Any] = {"valueCoding": coding}
            oext: list[dict[str, Any]] = []
            if system != own:
                oext.append({"url": f"{MEASURELIB_EXT}/option-value",
                             "valueDecimal": float(o.value)})
            if scored is not None and float(o.value) in scored:
                oext.append({"url": EXT_ORDINAL, "valueDecimal": scored[float(o.value)]})
            if o.missing:
                oext.append({"url": f"{MEASURELIB_EXT}/missing", "valueBoolean": True})
            if o.score is not None:
                oext.append({"url": f"{MEASURELIB_EXT}/option-score",
                             "valueDecimal": float(o.score)})
            if oext:
                ao["extension"] = oext
            opts.append(ao)
        q["answerOption"] = opts
    elif spec.kind in ("integer", "decimal"):
        q["type"] = spec.kind
        sc = m.scales[spec.scale_id]
        ext.append({"url": EXT_MIN, **_num_value(spec.kind, spec.minimum or 0)})
        ext.append({"url": EXT_MAX, **_num_value(spec.kind, spec.maximum or 0)})
        ext.append(_item_control("slider"))
        if spec.step:
            ext.append({"url": EXT_STEP, "valueInteger": int(spec.step)} if float(
                spec.step).is_integer() else {"url": f"{MEASURELIB_EXT}/step",
                                              "valueDecimal": spec.step})
        children = []
        ends = _end_labels(m, sc, spec, lang)
        if ends:
            # fillers that show one help text per item (LHC-Forms) drop the lower/upper
            # display items; the entry format (shown in or beside the field) keeps both ends
            ext.append({"url": EXT_ENTRY_FORMAT, "valueString": ends})
        for anchor in getattr(sc, "anchors", []):
            where = ("lower" if float(anchor.value) == spec.minimum else
                     "upper" if float(anchor.value) == spec.maximum else None)
            if where is None:
                continue
            child: dict[str, Any] = {"linkId": f"{spec.column}.{where}", "type": "display"}
            _text_field(child, "text", anchor.label, m, lang)
            child["extension"] = [_item_control(where)]
            children.append(child)
        if children:
            q["item"] = children
    else:
        q["type"] = "text"
        tsc: Any = m.scales.get(spec.scale_id)
        if tsc is not None and getattr(tsc, "max_length", None):
            q["maxLength"] = tsc.max_length
    if spec.follow_up_of is not None and spec.when is not None:
        plain = _enable_when(m, spec.follow_up_of, spec.when)
        if plain is not None:
            q["enableWhen"] = plain
            if len(plain) > 1:
                q["enableBehavior"] = "any"
        else:
            ext.append({"url": EXT_ENABLE_EXPR, "valueExpression": {
                "language": "text/fhirpath",
                "expression": _condition_fhirpath(m, spec.follow_up_of, spec.when)}})
    if ext:
        q["extension"] = ext
    return q


def _end_labels(m: Measure, sc: Any, spec: ColumnSpec, lang: str) -> str | None:
    """``0 = Not at all … 10 = Completely``: the labelled ends of a numeric scale."""
    parts = []
    for anchor in sorted(getattr(sc, "anchors", []), key=lambda a: float(a.value)):
        label = m.text(anchor.label, lang)
        if label and float(anchor.value) in (spec.minimum, spec.maximum):
            parts.append(f"{fmt_num(anchor.value)} = {label}")
    return " … ".join(parts) or None


_OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=", "ne": "!="}
_TESTS = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
          "le": lambda a, b: a <= b, "eq": lambda a, b: abs(a - b) < 1e-9,
          "ne": lambda a, b: abs(a - b) >= 1e-9}


def condition_holds(cond: Any, value: Any) -> bool:
    """Whether a follow-up's condition holds for its parent's answer (``None``: unanswered).

    The same rule as scoring's: every comparison is false while the parent is unanswered.
    """
    if value is None or (isinstance(value, float) and value != value):
        return False
    if cond.op == "answered":
        return True
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    if cond.op == "in":
        return any(abs(v - float(x)) < 1e-9 for x in cond.value)
    return bool(_TESTS[cond.op](v, float(cond.value)))


def _enable_when(m: Measure, item_id: str, cond: Any) -> list[dict[str, Any]] | None:
    """Plain ``enableWhen`` entries (any of them enables the item) for ``cond``, or ``None``
    when the condition needs an expression.

    Choices compare codings, so an order (``gt``, ``in``, ``ne`` ...) becomes one ``=`` per
    option it admits. Numbers use the operator itself, except ``ne``: FHIR R4 leaves open
    whether ``!=`` holds for an unanswered question, and measurelib's rule is that it does not.
    """
    spec = _spec_of(m, item_id)
    if spec is None:
        return None
    if cond.op == "answered":
        return [{"question": item_id, "operator": "exists", "answerBoolean": True}]
    if spec.kind == "choice":
        codes = scale_codings(m, spec)
        admitted = [v for v in codes if condition_holds(cond, v)]
        if not admitted:
            return None
        return [{"question": item_id, "operator": "=",
                 "answerCoding": {"system": codes[v][0], "code": codes[v][1]}}
                for v in admitted]
    if spec.kind in ("integer", "decimal"):
        values = cond.value if cond.op == "in" else [cond.value]
        if cond.op == "ne" or (spec.kind == "integer" and not all(
                float(v).is_integer() for v in values)):
            return None
        op = "=" if cond.op == "in" else _OPS[cond.op]
        key = "answerInteger" if spec.kind == "integer" else "answerDecimal"
        return [{"question": item_id, "operator": op,
                 key: int(float(v)) if spec.kind == "integer" else float(v)} for v in values]
    return None


def _condition_fhirpath(m: Measure, item_id: str, cond: Any) -> str:
    """A boolean FHIRPath expression of ``cond``: ``false`` (never empty) while unanswered."""
    spec = _spec_of(m, item_id)
    value = _answer(item_id)
    if spec is not None and spec.kind == "choice":
        codes = scale_codings(m, spec)
        value += ".select(" + _choice_chain(codes, {v: v for v in codes}) + ")"
    if cond.op == "answered":
        return f"{_answer(item_id)}.exists()"
    if cond.op == "in":
        vals = " | ".join(fmt_num(v) for v in cond.value)
        return f"{value}.intersect({vals}).exists()"
    if spec is not None and spec.kind == "choice" and not any(
            condition_holds(cond, v) for v in scale_codings(m, spec)):
        return "false"
    return f"({value}.exists() and ({value} {_OPS[cond.op]} {fmt_num(cond.value)}))"


def _rule_meta(rule: Any) -> dict[str, Any]:
    out: dict[str, Any] = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return out


def questionnaire(m: Measure, lang: str | None = None) -> tuple[dict[str, Any], list[Diagnostic]]:  # noqa: C901 - one branch per element of FHIR's Questionnaire
    """The Questionnaire of a prepared measure, and notes on what it cannot carry."""
    lang = lang or m.language
    diags: list[Diagnostic] = []
    _VAR_INDEX.clear()
    _SPECS.clear()
    _SPECS[id(m)] = {s.column: s for s in column_specs(m)}
    for i, spec in enumerate(column_specs(m), start=1):
        _VAR_INDEX[spec.column] = i
    plans = score_plans(m)
    scored_maps: dict[str, dict[float, float]] = {}
    for p in plans:
        for t in p.terms:
            if t.kind == "map":
                scored_maps.setdefault(t.column, t.mapping)
    name = re.sub(r"[^A-Za-z0-9]", "", m.id.title().replace("-", "")) or "Measure"
    if not name[0].isupper():
        name = "M" + name
    q: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": m.id,
        "meta": {"profile": [SDC_PROFILE]},
        "language": lang,
        "url": f"{FHIR_BASE}/Questionnaire/{m.id}",
        "version": m.version,
        "name": name,
    }
    _text_field(q, "title", m.title, m, lang)
    q["status"] = "active"
    q["subjectType"] = ["Patient"]
    q["publisher"] = m.licence.holder
    desc = m.text(m.description, lang) or ""
    notes = []
    for p in plans:
        if p.expr is None and p.rule.method == "irt" and p.raw is not None:
            diags.append(irt_exported(
                p, "FHIRPath calculatedExpression", "the Questionnaire carries its "
                "summed-score conversion table instead (extension "
                f"{EXT_IRT_CONVERSION}, and a calculatedExpression looking the sum up in it)"))
            notes.append(f"Score '{p.rule.id}' is calculated from the summed score with the "
                         "IRT conversion table (EAP for summed scores; complete answers only).")
            continue
        if p.expr is None:
            diags.append(not_expressible(p, "FHIRPath"))
            notes.append(f"Score '{p.rule.id}' is not calculated in this Questionnaire "
                         f"({p.reason}); score the responses with measurelib.")
    if notes:
        desc = (desc + "\n\n" if desc else "") + "\n".join(notes)
    if desc:
        q["description"] = desc
    if m.purpose is not None:
        _text_field(q, "purpose", m.purpose.why, m, lang)
    q["copyright"] = _copyright(m, lang)
    if m.codes:
        q["code"] = [_coding(c) for c in m.codes]
    ext: list[dict[str, Any]] = []
    meta = {"format": 1, "licence": m.licence.model_dump(mode="json", exclude_defaults=True),
            "language": m.language, "languages": m.languages, "kind": m.kind,
            "profile": m.profile, "short_title": m.short_title,
            "calibration": m.calibration.model_dump(mode="json", exclude_defaults=True)
            if m.calibration is not None else None}
    ext.append({"url": EXT_ML_MEASURE, "valueString": json.dumps(
        {k: v for k, v in meta.items() if v not in (None, False)}, sort_keys=True,
        ensure_ascii=False)})
    for p in plans:
        if p.expr is None and not _irt_lookup(p):
            continue
        for t in p.terms:
            var = _var_name(t.column)
            if any(e.get("valueExpression", {}).get("name") == var for e in ext):
                continue
            ext.append({"url": EXT_VARIABLE, "valueExpression": {
                "name": var, "language": "text/fhirpath", "expression": _scored_var(m, t)}})
    for p in plans:  # after the answers' variables: SDC evaluates variables in order
        if _irt_lookup(p) and p.raw is not None:
            ext.append({"url": EXT_VARIABLE, "valueExpression": {
                "name": _sum_var(m, p.rule.id), "language": "text/fhirpath",
                "expression": to_fhirpath(p.raw)}})
    q["extension"] = ext
    items: list[dict[str, Any]] = []
    if m.instructions is not None:
        disp: dict[str, Any] = {"linkId": "instructions", "type": "display"}
        _text_field(disp, "text", m.instructions, m, lang)
        items.append(disp)
    for spec in column_specs(m):
        it = m.item(spec.item_id)
        meta_i = None
        if spec.follow_up_of is None and spec.goal_text_of is None:
            meta_i = {k: v for k, v in {
                "scale": it.scale, "reverse": it.reverse or None,
                "recode": {fmt_num(k): v for k, v in it.recode.items()} if it.recode else None,
                "tags": it.tags or None, "code": it.code,
                "personalised": it.personalised.model_dump(mode="json", exclude_defaults=True)
                if it.personalised else None,
                "irt": it.irt.model_dump(mode="json", exclude_defaults=True)
                if it.irt is not None else None}.items() if v is not None}
        elif spec.follow_up_of is not None:
            meta_i = {"scale": spec.scale_id, "follow_up": spec.column[len(it.id) + 1:]}
            if spec.when is not None:
                meta_i["when"] = spec.when.model_dump(mode="json", exclude_defaults=True)
        if (spec.kind == "choice" or spec.kind in ("integer", "decimal")) and meta_i is not None:
            meta_i["scale_def"] = _scale_meta(m, spec.scale_id)
        items.append(_question(m, spec, lang, scored_maps.get(spec.column), meta_i))
    for p in plans:
        si: dict[str, Any] = {"linkId": f"score.{p.rule.id}", "type": "decimal",
                              "readOnly": True}
        title = p.rule.title if p.rule.title is not None else p.rule.id
        _text_field(si, "text", title, m, lang)
        if p.rule.codes:
            si["code"] = [_coding(c) for c in p.rule.codes]
        sext: list[dict[str, Any]] = [{"url": EXT_ML_SCORE, "valueString": json.dumps(
            _rule_meta(p.rule), sort_keys=True, ensure_ascii=False)}]
        if p.expr is not None:
            sext.append({"url": EXT_CALC, "valueExpression": {
                "description": f"{p.rule.method} of {len(p.terms)} response(s)",
                "language": "text/fhirpath", "expression": to_fhirpath(p.expr)}})
        elif _irt_lookup(p):
            sext.extend(_irt_extensions(m, p))
        si["extension"] = sext
        children = []
        if p.rule.bands:
            children.append({"linkId": f"score.{p.rule.id}.bands", "type": "display",
                             "text": "Bands: " + band_text(m, p.rule, lang)})
        if p.expr is None and p.rule.method == "irt" and p.raw is not None:
            children.append({"linkId": f"score.{p.rule.id}.note", "type": "display",
                             "text": "Calculated here from the summed score with the "
                             "conversion table (EAP for summed scores), when every question "
                             "is answered; for EAP with skipped answers and standard errors "
                             "score the responses with measurelib."})
        elif p.expr is None:
            children.append({"linkId": f"score.{p.rule.id}.note", "type": "display",
                             "text": f"Not calculated here ({p.reason}); score the responses "
                             "with measurelib."})
        if children:
            si["item"] = children
        items.append(si)
    q["item"] = items
    if m.tables:
        meta_tables = {k: {fmt_num(a): b for a, b in v.items()} for k, v in m.tables.items()}
        q["extension"].append({"url": f"{MEASURELIB_EXT}/tables",
                               "valueString": json.dumps(meta_tables, sort_keys=True)})
    return q, diags


def _irt_lookup(p: Any) -> bool:
    """Whether plan ``p`` is an IRT score exported as its summed-score conversion table."""
    return p.expr is None and p.rule.method == "irt" and p.raw is not None


def _sum_var(m: Measure, rule_id: str) -> str:
    """The Questionnaire-level SDC variable holding an IRT score's summed score:
    ``sum<n><letters>``, n the rule's position (unique, like the answers' ``v<n><column>``).
    """
    n = next(i for i, r in enumerate(m.scores, start=1) if r.id == rule_id)
    return f"sum{n}" + re.sub(r"[^A-Za-z0-9]", "", rule_id)


def _irt_extensions(m: Measure, p: Any) -> list[dict[str, Any]]:
    """The conversion table of an IRT score, and a calculatedExpression looking it up.

    The summed score is the Questionnaire-level variable ``%sum<rule>`` (defined after the
    answers' variables it uses), so that any SDC filler evaluates the lookup.
    """
    table = irt_conversion(m, p.rule)
    metric = m.calibration.metric.model_dump(mode="json") if m.calibration is not None else \
        {"name": "theta", "mean": 0.0, "sd": 1.0}
    doc = {"metric": metric, "estimator": "EAP for summed scores",
           "table": [{"sum": s, "score": v, "se": e} for s, (v, e) in table.items()]}
    var = _sum_var(m, p.rule.id)
    expr = "{}"
    for s_, (v, _e) in sorted(table.items(), reverse=True):
        expr = f"iif(%{var} = {fmt_num(s_)}, {fmt_num(v)}, {expr})"
    return [
        {"url": EXT_IRT_CONVERSION, "valueString": json.dumps(doc, ensure_ascii=False)},
        {"url": EXT_CALC, "valueExpression": {
            "description": "EAP for the summed score, from the IRT conversion table",
            "language": "text/fhirpath", "expression": expr}},
    ]


def _scale_meta(m: Measure, scale_id: str) -> dict[str, Any]:
    out: dict[str, Any] = m.scales[scale_id].model_dump(
        mode="json", exclude_defaults=True, exclude={"options", "anchors"})
    out["type"] = m.scales[scale_id].type
    return out


def _copyright(m: Measure, lang: str) -> str:
    lic = m.licence
    parts = []
    if lic.attribution is not None:
        parts.append(m.text(lic.attribution, lang) or "")
    parts.append(f"© {lic.holder}.")
    parts.append(f"Licence: {lic.spdx}." if lic.spdx else "Licence: proprietary terms.")
    if lic.text_redistribution == "forbidden":
        parts.append("The item wording may not be redistributed; it is not included.")
    if lic.modification == "forbidden":
        parts.append("Do not change the wording, order or options.")
    if lic.commercial_use != "allowed":
        parts.append(f"Commercial use: {lic.commercial_use.replace('_', ' ')}.")
    if lic.registration_required:
        parts.append("Users must register with the licence holder.")
    if lic.url:
        parts.append(f"Terms: {lic.url}")
    return " ".join(p for p in parts if p)


# ----------------------------------------------------------------------------- responses
def questionnaire_response(m: Measure, row: dict[str, Any], *, subject: str | None = None,
                           authored: str | None = None, status: str = "completed",
                           ) -> dict[str, Any]:
    """A QuestionnaireResponse of one response row (``{column: stored value}``)."""
    items = []
    for spec in column_specs(m):
        v = row.get(spec.column)
        if v is None or (isinstance(v, float) and v != v) or v == "":
            continue
        if spec.kind == "choice":
            label = None
            for o in spec.options:
                if float(o.value) == float(v):
                    label = m.text(o.label)
            system, code = scale_codings(m, spec)[float(v)]
            coding = {"system": system, "code": code}
            if label:
                coding["display"] = label
            ans: dict[str, Any] = {"valueCoding": coding}
        elif spec.kind == "integer":
            ans = {"valueInteger": int(float(v))}
        elif spec.kind == "decimal":
            ans = {"valueDecimal": float(v)}
        else:
            ans = {"valueString": str(v)}
        items.append({"linkId": spec.column, "answer": [ans]})
    qr: dict[str, Any] = {"resourceType": "QuestionnaireResponse",
                          "questionnaire": f"{FHIR_BASE}/Questionnaire/{m.id}|{m.version}",
                          "status": status}
    if subject:
        qr["subject"] = {"reference": subject if "/" in subject else f"Patient/{subject}"}
    if authored:
        qr["authored"] = authored
    qr["item"] = items
    return qr


def rows_from_fhir(m: Measure, resource: Any) -> list[dict[str, Any]]:
    """Response rows from a QuestionnaireResponse or a Bundle of them.

    Each row holds the response columns found plus ``respondent_id`` (from
    ``subject.reference``) and ``date`` (``authored``) when given.
    """
    if isinstance(resource, (str, bytes)):
        resource = json.loads(resource)
    if not isinstance(resource, dict):
        raise TypeError("rows_from_fhir(): `resource` must be a QuestionnaireResponse or a "
                        f"Bundle (dict or JSON text), not {type(resource).__name__}")
    kind = resource.get("resourceType")
    if kind == "Bundle":
        out = []
        for entry in resource.get("entry", []) or []:
            res = entry.get("resource") or {}
            if res.get("resourceType") == "QuestionnaireResponse":
                out.extend(rows_from_fhir(m, res))
        return out
    if kind != "QuestionnaireResponse":

        raise DataError([Diagnostic(
            "import-invalid", f"expected a QuestionnaireResponse or a Bundle, found {kind!r}",
            "Export QuestionnaireResponse resources (or a Bundle of them) from the server.",
            Location(path="resourceType"))])
    specs = {s.column: s for s in column_specs(m)}
    back = {col: {code: v for v, code in scale_codings(m, s).items()}
            for col, s in specs.items() if s.kind == "choice"}
    row: dict[str, Any] = {}
    subj = (resource.get("subject") or {}).get("reference")
    if subj:
        row["respondent_id"] = subj.split("/", 1)[1] if subj.startswith("Patient/") else subj

    if resource.get("authored"):
        row["date"] = str(resource["authored"])[:10]

    def walk(items: list[dict[str, Any]]) -> None:
        for it in items or []:
            link = it.get("linkId")
            answers = it.get("answer") or []
            if link in specs and answers:
                a = answers[0]
                if "valueCoding" in a:
                    c = a["valueCoding"]
                    coded = (c.get("system"), c.get("code"))
                    value = back.get(link, {}).get(coded)
                    row[link] = _number(c.get("code")) if value is None else _number(value)
                else:
                    for key in ("valueInteger", "valueDecimal", "valueString"):
                        if key in a:
                            row[link] = a[key]
            walk(it.get("item") or [])
            for a in answers:
                walk(a.get("item") or [])

    walk(resource.get("item") or [])
    for col, s in specs.items():
        # a filler may keep answers of a follow-up that a later change of its parent hid:
        # those answers do not count (as the form would not have asked the question)
        if s.follow_up_of is not None and s.when is not None and col in row \
                and not condition_holds(s.when, row.get(s.follow_up_of)):
            del row[col]
    return [row]


def _number(code: Any) -> Any:
    try:
        f = float(code)
    except (TypeError, ValueError):
        return code
    return int(f) if f.is_integer() else f


def observations(m: Measure, scores: Any, *, subject_column: str = "respondent_id",
                 date_column: str = "date") -> dict[str, Any]:
    """Scores (``ScoreResult`` or its ``.scores`` frame) as a Bundle of Observations."""
    frame = getattr(scores, "scores", scores)
    entries = []
    for idx, row in frame.iterrows():
        for rule in m.scores:
            if rule.id not in frame.columns:
                continue
            val = row[rule.id]
            if val is None or val != val:
                continue
            obs: dict[str, Any] = {
                "resourceType": "Observation", "status": "final",
                "category": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "survey"}]}],
                "code": {"coding": [_coding(c) for c in rule.codes] or [
                    {"system": f"{FHIR_BASE}/CodeSystem/{m.id}-scores", "code": rule.id}],
                    "text": m.text(rule.title) or rule.id},
                "valueQuantity": {"value": float(val), "unit": "{score}",
                                  "system": "http://unitsofmeasure.org", "code": "{score}"},
            }
            if subject_column in frame.columns and row[subject_column] == row[subject_column]:
                obs["subject"] = {"reference": f"Patient/{row[subject_column]}"}
            if date_column in frame.columns and row[date_column] == row[date_column]:
                obs["effectiveDateTime"] = str(row[date_column])[:10]
            band = f"{rule.id}_band"
            if band in frame.columns and row[band] == row[band] and row[band] is not None:
                obs["interpretation"] = [{"text": str(row[band])}]
            obs["note"] = [{"text": f"{m.id} {m.version}, scored by measurelib (row {idx})"}]
            entries.append({"resource": obs})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
