"""XLSForm (ODK Collect, KoboToolbox, Enketo): survey, choices and settings sheets.

- one ``survey`` row per response column (``name`` = the column): choices as
  ``select_one <scale id>``, numeric ratings as ``range`` (start/end/step), text as
  ``text``; follow-ups get a ``relevant`` expression on their item;
- ``label::<Language> (<code>)`` columns per language (``hint`` likewise for help), and
  ``media::image::<Language> (<code>)`` for pictures (files listed in
  :attr:`ExportResult.media`, to upload with the form);
- who and when first: ``respondent_id`` (text, required), ``timepoint`` (a ``select_one``
  of the timepoints given, else text, required) and ``date`` (ODK's ``today``), so that the
  form's data export is a file ``measurelib import`` reads;
- each score as a ``calculate`` row ``score_<id>`` in ODK XPath; a score converted with a
  lookup table (SWEMWBS raw → metric) gets a ``calculate`` ``score_<id>_raw`` and the lookup
  as nested ``if()`` on it (an IRT score: its summed-score conversion table, EAP for summed
  scores with complete answers, and a hint saying so); a score the form cannot compute
  (value set) is a ``calculate`` of ``''`` whose label says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from measurelib._output import neutralise, neutralise_workbook
from measurelib.errors import Diagnostic
from measurelib.forms import resolve_graphic
from measurelib.interop._export._common import (
    IRT_NOTE,
    ColumnSpec,
    Expr,
    Term,
    column_specs,
    flatten_sum,
    fmt_num,
    irt_exported,
    not_expressible,
    placeholder,
    score_plans,
    texts,
)

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = ["LANGUAGE_NAMES", "language_column", "to_xpath", "xlsform"]

LANGUAGE_NAMES = {
    "en": "English", "cy": "Welsh", "ar": "Arabic", "fr": "French", "de": "German",
    "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish",
    "ur": "Urdu", "bn": "Bengali", "pa": "Punjabi", "gu": "Gujarati", "so": "Somali",
    "ro": "Romanian", "tr": "Turkish", "zh": "Chinese", "gd": "Gaelic", "ga": "Irish",
    "fa": "Persian", "he": "Hebrew", "hi": "Hindi", "ta": "Tamil", "ru": "Russian",
    "uk": "Ukrainian", "sw": "Swahili", "ja": "Japanese", "ko": "Korean",
}


#: XLSForm columns that hold expressions (XPath), not text for people.
_EXPRESSIONS = frozenset({"relevant", "constraint", "calculation", "choice_filter",
                          "repeat_count", "default", "required"})

def language_column(code: str) -> str:
    """XLSForm's language label, e.g. ``English (en)``."""
    return f"{LANGUAGE_NAMES.get(code.split('-')[0], code)} ({code})"


def _ref(col: str) -> str:
    return "${" + col + "}"


def _val0(t: Term, spec: ColumnSpec | None) -> str:
    ref = _ref(t.column)
    if t.kind == "map":
        choice = spec is not None and spec.kind == "choice"
        out = "0"
        for v, s in sorted(t.mapping.items(), reverse=True):
            cond = f"{ref} = '{fmt_num(v)}'" if choice else f"number({ref}) = {fmt_num(v)}"
            out = f"if({cond}, {fmt_num(s)}, {out})"
        return out
    if t.b == 1 and t.a == 0:
        return f"if({ref} = '', 0, {ref})"
    return f"if({ref} = '', 0, {fmt_num(t.a)} - {ref})"


def _ans(t: Term, spec: ColumnSpec | None) -> str:
    ref = _ref(t.column)
    if t.kind == "map" and spec is not None and spec.kind == "choice":
        conds = " or ".join(f"{ref} = '{fmt_num(v)}'" for v in sorted(t.mapping))
        return f"if({conds}, 1, 0)"
    if t.kind == "map":
        conds = " or ".join(f"number({ref}) = {fmt_num(v)}" for v in sorted(t.mapping))
        return f"if({conds}, 1, 0)"
    return f"if({ref} = '', 0, 1)"


def to_xpath(e: Expr, specs: dict[str, ColumnSpec]) -> str:
    """Print an expression tree in ODK XPath."""
    op, a = e.op, e.args
    if op == "num":
        return fmt_num(a[0]) if a[0] >= 0 else f"(0 - {fmt_num(-a[0])})"
    if op == "val0":
        return _val0(a[0], specs.get(a[0].column))
    if op == "ans":
        return _ans(a[0], specs.get(a[0].column))
    if op == "+":
        return "(" + " + ".join(to_xpath(x, specs) for x in flatten_sum(e)) + ")"
    if op in ("-", "*", "/"):
        sym = "div" if op == "/" else op
        return f"({to_xpath(a[0], specs)} {sym} {to_xpath(a[1], specs)})"
    if op in ("<", "<=", ">", ">=", "="):
        return f"({to_xpath(a[0], specs)} {op} {to_xpath(a[1], specs)})"
    if op == "and":
        return f"({to_xpath(a[0], specs)} and {to_xpath(a[1], specs)})"
    if op == "if":
        return f"if({to_xpath(a[0], specs)}, {to_xpath(a[1], specs)}, {to_xpath(a[2], specs)})"
    if op == "floor":
        return f"floor({to_xpath(a[0], specs)})"
    if op == "empty":
        return "''"
    raise ValueError(f"unknown expression op {op!r}")


def _relevant(m: Measure, item_id: str, cond: Any, specs: dict[str, ColumnSpec]) -> str:
    ref = _ref(item_id)
    if cond.op == "answered":
        return f"{ref} != ''"
    if cond.op == "in":
        return "(" + " or ".join(f"number({ref}) = {fmt_num(v)}" for v in cond.value) + ")"
    ops = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=", "ne": "!="}
    return f"{ref} != '' and number({ref}) {ops[cond.op]} {fmt_num(cond.value)}"


def _media_name(graphic: str) -> str:
    base = graphic.replace("\\", "/").split("/")
    name = "-".join(p for p in base if p not in ("", ".", ".."))
    return name if "." in name.rsplit("-", 1)[-1] else name + ".svg"


def _lookup_xpath(ref: str, table: dict[float, float]) -> str:
    """``if(ref = 7, 7, if(ref = 8, 9.51, ''))``: a lookup table in ODK XPath."""
    out = "''"
    for k in sorted(table, reverse=True):
        out = f"if({ref} = {fmt_num(k)}, {fmt_num(table[k])}, {out})"
    return out


_WHO = {"respondent_id": "Respondent ID", "timepoint": "Timepoint", "date": "Date"}


def xlsform(m: Measure, lang: str | None = None, *, timepoints: list[str] | None = None  # noqa: C901 - one branch per XLSForm sheet and question type
            ) -> tuple[Any, list[Diagnostic], dict[str, bytes]]:
    """The XLSForm workbook (openpyxl), notes, and media files of a prepared measure."""
    from openpyxl import Workbook

    lang = lang or m.language
    langs = [lang] + [x for x in m.all_languages if x != lang]
    diags: list[Diagnostic] = []
    media: dict[str, bytes] = {}

    def add_media(graphic: str) -> str:
        name = _media_name(graphic)
        path = resolve_graphic(graphic, m.folder)
        if path is not None:
            name = _media_name(graphic.rsplit(".", 1)[0] + path.suffix) if "." not in \
                graphic.rsplit("/", 1)[-1] else name
            media[name] = path.read_bytes()
        else:
            diags.append(Diagnostic(
                "export-media-missing", f"picture {graphic!r} was not found; the form names "
                f"the file {name!r}", "Upload the picture with the form.", severity="warning"))
        return name

    lcols = [f"label::{language_column(x)}" for x in langs]
    hcols = [f"hint::{language_column(x)}" for x in langs]
    icols = [f"media::image::{language_column(x)}" for x in langs]
    survey_head = ["type", "name", *lcols, *hcols, "required", "relevant", "appearance",
                   "parameters", "constraint", "calculation", "read_only", *icols]
    rows: list[dict[str, Any]] = []

    def labels(value: Any, prefix: str, fallback: str | None = None) -> dict[str, Any]:
        t = texts(value, m)
        out = {}
        for x in langs:
            v = t.get(x) or t.get(m.language) or fallback
            if v is not None:
                out[f"{prefix}::{language_column(x)}"] = v
        return out

    specs = {s.column: s for s in column_specs(m)}
    choice_lists: dict[str, list[Any]] = {}
    who = [c for c in _WHO if c not in specs]  # a measure's own column of that name wins
    if "respondent_id" in who:
        rows.append({"type": "text", "name": "respondent_id", "required": "yes",
                     **labels(_WHO["respondent_id"], "label")})
    if "timepoint" in who:
        tp: dict[str, Any] = {"name": "timepoint", "required": "yes",
                              **labels(_WHO["timepoint"], "label")}
        if timepoints:
            tp["type"] = "select_one timepoints"
            choice_lists["timepoints"] = [{"name": t, "label": t} for t in timepoints]
        else:
            tp["type"] = "text"
            tp.update({c: "e.g. baseline, review, exit" for c in hcols})
        rows.append(tp)
    if "date" in who:
        rows.append({"type": "today", "name": "date"})
    if m.instructions is not None:
        rows.append({"type": "note", "name": "instructions",
                     **labels(m.instructions, "label")})
    for spec in specs.values():
        it = m.item(spec.item_id)
        r: dict[str, Any] = {"name": spec.column}
        text = spec.text
        if spec.goal_text_of is not None:
            n = spec.goal_text_of.rsplit("_", 1)[1]
            t = texts(text, m) or {m.language: "Goal"}
            text = {k: f"{v} {n}" for k, v in t.items()}
        if text is None:
            r.update(labels(None, "label", placeholder(m, spec.item_id)))
        else:
            r.update(labels(text, "label"))
        if spec.follow_up_of is None and spec.goal_text_of is None:
            if it.help is not None:
                r.update(labels(it.help, "hint"))
            if it.graphic:
                name = add_media(it.graphic)
                r.update({c: name for c in icols})
        if spec.kind == "choice":
            r["type"] = f"select_one {spec.scale_id}"
            choice_lists.setdefault(spec.scale_id, spec.options)
        elif spec.kind in ("integer", "decimal"):
            r["type"] = "range"
            r["parameters"] = (f"start={fmt_num(spec.minimum or 0)} "
                               f"end={fmt_num(spec.maximum or 0)} step={fmt_num(spec.step or 1)}")
            sc = m.scales[spec.scale_id]
            anchors = "; ".join(f"{fmt_num(a.value)} = {m.text(a.label, lang)}"
                                for a in getattr(sc, "anchors", []))
            if anchors and not any(k.startswith("hint::") for k in r):
                r.update({c: anchors for c in hcols})
        else:
            r["type"] = "text"
        if spec.required:
            r["required"] = "yes"
        if spec.follow_up_of is not None and spec.when is not None:
            r["relevant"] = _relevant(m, spec.follow_up_of, spec.when, specs)
        rows.append(r)
    names = set(specs) | {"instructions", *who}
    for p in score_plans(m):
        name = f"score_{p.rule.id}"
        while name in names:
            name += "_"
        names.add(name)
        title = p.rule.title if p.rule.title is not None else p.rule.id
        r = {"type": "calculate", "name": name, **labels(title, "label")}
        if p.expr is None and p.raw is not None and p.lookup:
            raw_name = f"{name}_raw"
            names.add(raw_name)
            rows.append({"type": "calculate", "name": raw_name,
                         **labels(f"{m.text(title, lang) or p.rule.id} (raw)", "label"),
                         "calculation": to_xpath(p.raw, specs)})
            r["calculation"] = _lookup_xpath(_ref(raw_name), p.lookup)
            if p.rule.method == "irt":  # say what the form computes: not pattern EAP
                diags.append(irt_exported(p, "form calculation", "the form looks the "
                                          f"summed score ({raw_name}) up in the IRT "
                                          "conversion table (EAP for summed scores)"))
                r.update({c: IRT_NOTE for c in hcols})
        elif p.expr is None:
            diags.append(not_expressible(p, "XLSForm calculate"))
            r["calculation"] = "''"
            note = f"not calculated in this form ({p.reason}); score with measurelib"
            r.update({c: note for c in hcols})
        else:
            r["calculation"] = to_xpath(p.expr, specs)
        rows.append(r)

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    used = [h for h in survey_head if h in ("type", "name") or any(h in r for r in rows)]
    ws.append(used)
    for r in rows:  # expressions keep their meaning: wrapped, never prefixed
        ws.append([neutralise(r.get(h), expression=h in _EXPRESSIONS) for h in used])
    ch = wb.create_sheet("choices")
    clabels = [f"label::{language_column(x)}" for x in langs]
    crows = []
    for list_name, options in choice_lists.items():
        for o in options:
            if isinstance(o, dict):  # the timepoint list
                crows.append({"list_name": list_name, "name": o["name"],
                              **{c: o["label"] for c in clabels}})
                continue
            cr: dict[str, Any] = {"list_name": list_name, "name": fmt_num(o.value)}
            if o.label is not None:
                cr.update(labels(o.label, "label"))
            else:
                cr.update({c: fmt_num(o.value) for c in clabels})
            if o.graphic:
                name = add_media(o.graphic)
                cr.update({c: name for c in icols})
            crows.append(cr)
    chead = ["list_name", "name", *clabels, *icols]
    chead = [h for h in chead if h in ("list_name", "name") or any(h in r for r in crows)]
    ch.append(chead)
    for cr in crows:
        ch.append([cr.get(h) for h in chead])
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version", "default_language", "style"])
    st.append([m.text(m.title, lang), m.id.replace("-", "_"), _version(m.version),
               language_column(lang), "pages" if len(rows) > 15 else None])
    neutralise_workbook(wb)  # the one neutraliser: text such as "=x" is never a formula
    return wb, diags, media


def _version(v: str) -> str:
    """ODK form versions compare as strings: ``1.2.3`` → ``001002003``."""
    core = v.split("-", 1)[0].split("+", 1)[0]
    return "".join(f"{int(x):03d}" for x in core.split("."))
