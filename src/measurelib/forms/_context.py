"""From a :class:`~measurelib.definition._model.Measure` and render options to what templates show.

Everything language-, respondent- and licence-dependent is decided here, so the templates
only lay out plain values (and Jinja2 escapes every one of them).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from markupsafe import Markup, escape

from measurelib.compose import load_overlays
from measurelib.definition import (
    Measure,
    NumericScale,
    OrdinalScale,
    TextScale,
    VisualAnalogueScale,
    YesNoScale,
    format_limit,
    parse_path,
    scored_values,
)
from measurelib.errors import DefinitionError, Diagnostic, Location, MeasurelibError
from measurelib.forms._graphics import graphic_data_uri, resolve_graphic
from measurelib.forms._i18n import ui_text

__all__ = ["FormContext", "RenderOptions", "build_context", "load_overlay"]

HEADER_FIELDS = ("respondent_id", "date", "timepoint", "worker")
_INSTRUCTIONS = "__instructions__"  # key of an overlay's instructions in load_overlay()


@dataclass(frozen=True)
class RenderOptions:
    """Validated options of :func:`measurelib.forms._render.render`."""

    fmt: str
    lang: str
    large_print: bool = False
    easy_read: bool = False
    respondent: Literal["self", "proxy"] = "self"
    action: str = ""
    method: str = "post"
    base_dir: Path | None = None
    overlay: dict[str, Any] = field(default_factory=dict)
    header: bool = True
    hidden: dict[str, str] = field(default_factory=dict)
    overlay_instructions: Any = None
    ask: tuple[str, ...] = ()  # who/when fields the web form asks: respondent_id, timepoint, date
    timepoints: tuple[str, ...] = ()  # the timepoints a timepoint field offers
    placeholders: bool = False  # a PDF may show placeholders for missing licensed text
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # answers to pre-fill
    items: tuple[str, ...] | None = None  # the questions shown (None: all)
    stamp: dict[str, str] | None = None  # paper header: a code and its picture (QR code)

    @property
    def standalone(self) -> bool:
        """A web form without a target: it saves the answers as a file instead of posting."""
        return self.fmt == "html" and not self.action


@dataclass
class GraphicView:
    src: str
    alt: str


@dataclass
class OptionView:
    value: str
    label: str
    input_id: str
    graphic: GraphicView | None = None
    missing: bool = False
    show_code: bool = True


@dataclass
class AnchorView:
    value: str
    label: str
    graphic: GraphicView | None = None


@dataclass
class QuestionView:
    """One answerable question: an item, a follow-up or one slot of a personalised item."""

    name: str  # form field / response column
    code: str
    number: str
    text: str
    kind: Literal["choice", "numeric", "vas", "text"]
    options: list[OptionView] = field(default_factory=list)
    anchors: list[AnchorView] = field(default_factory=list)
    min: str = ""
    max: str = ""
    step: str = ""
    max_length: int | None = None
    required: bool = False
    help: str | None = None
    graphic: GraphicView | None = None
    condition: str | None = None
    text_field: str | None = None  # personalised items: the column for the person's wording
    text_label: str | None = None
    compact: bool = False  # a numeric rating shown as a row of numbered choices
    recall: str | None = None  # the item's own recall period, when it differs from the measure's
    sub: list[QuestionView] = field(default_factory=list)


@dataclass
class FormContext:
    """Everything a form template needs."""

    measure_id: str
    measure_version: str
    title: str
    lang: str
    dir: str
    instructions: str | None
    recall: str | None  # the measure's recall period, when the instructions do not say it
    purpose: dict[str, str]
    validation_status: str | None
    validation_text: str
    validation_note: str | None
    attribution: list[str]
    licence_holder: str
    questions: list[QuestionView]
    options: RenderOptions
    header_fields: tuple[str, ...] = HEADER_FIELDS
    proxy: bool = False
    timepoints: tuple[str, ...] = ()  # the measure's declared timepoints, in the header
    #: attribution lines printed in another language than the form's: line -> language
    attribution_lang: dict[str, str] = field(default_factory=dict)
    #: licensed texts shown as placeholders (what is missing, e.g. "question A1")
    placeholders: list[str] = field(default_factory=list)
    #: variant wording asked for but missing: variant -> items ("3 (A3)") shown as standard
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    #: summed-score conversion tables of IRT scores, printed for scoring by hand
    conversions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fallback_notes(self) -> list[str]:
        """One note per variant that falls back, for forms staff read (print, PDF, script)."""
        return [self.ui_plain("fallback_note", variant=self.ui_plain(f"variant_{v}"),
                              items=", ".join(ids)) for v, ids in self.fallbacks.items()]

    def ui(self, key: str, **fmt: Any) -> Markup:
        """A form word, marked with its language when it falls back to English."""
        text, code = ui_text(key, self.lang)
        if key == "timepoint":
            fmt.setdefault("timepoints", ", ".join(self.timepoints))
        if fmt:
            text = text.format(**fmt)
        if code.split("-")[0] != self.lang.split("-")[0]:
            return Markup('<span lang="{}" dir="ltr">{}</span>').format(code, text)
        return escape(text)

    def ui_plain(self, key: str, **fmt: Any) -> str:
        """An interface string of the form in its language, as plain text."""
        text, _ = ui_text(key, self.lang)
        if key == "timepoint":
            fmt.setdefault("timepoints", ", ".join(self.timepoints))
        return text.format(**fmt) if fmt else text


def _num(v: float | int) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def overlay_block(blocks: dict[str, Any], measure: Measure, where: str) -> Any:
    """The block of ``blocks`` (overlays by measure id) for ``measure``; located errors when
    there is none or it is for another version.
    """
    block = blocks.get(measure.id)
    if block is None:
        raise DefinitionError([Diagnostic(
            "overlay-invalid", f"the overlay {where} has no text for {measure.id} (it is for "
            f"{', '.join(sorted(blocks))})", f"Use the overlay file for {measure.id}.",
            Location(where))])
    if block.version and block.version != measure.version:
        raise DefinitionError([Diagnostic(
            "overlay-invalid", f"the overlay {where} is for {measure.id} {block.version}, not "
            f"{measure.version}", "Use the overlay for this version of the measure.",
            Location(where, path="measure"))])
    return block


def load_overlay(overlay: Any, measure: Measure) -> dict[str, Any]:
    """Normalise ``overlay`` (mapping or YAML file path) to ``{item_id: Text}``."""
    if overlay is None:
        return {}
    where = "overlay"
    if isinstance(overlay, (str, os.PathLike)):

        where = str(overlay)
        blocks = load_overlays(overlay, default_measure=measure.id)
        block = overlay_block(blocks, measure, where)
        data: Any = block.items
        if block.instructions is not None:
            data = {**data, _INSTRUCTIONS: block.instructions}
    elif isinstance(overlay, dict):
        data = overlay
        if "items" in data and isinstance(data.get("items"), (dict, list)):
            data = data["items"]
            if isinstance(data, list):
                data = {e.get("id"): e.get("text") for e in data if isinstance(e, dict)}
    else:
        raise TypeError(
            "render(): `overlay` must be a mapping of item id to text or the path of a YAML "
            f"file, not {type(overlay).__name__}"
        )
    if not isinstance(data, dict):
        raise DefinitionError([Diagnostic(
            "overlay-invalid", "the overlay is not a mapping of item id to text",
            "Write it as `items: {item_id: text, ...}`.", Location(where))])
    known = {it.id for it in measure.items} | {_INSTRUCTIONS}
    problems = []
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay names item {key!r}, which {measure.id} does not "
                "have", f"Item ids of {measure.id}: {', '.join(sorted(known))}.",
                Location(where, path=f"items.{key}")))
        elif not (isinstance(value, str) or (isinstance(value, dict) and all(
                isinstance(v, str) for v in value.values()))):
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay text of item {key!r} is not text",
                "Give the text as a string, or a map of language code to string.",
                Location(where, path=f"items.{key}")))
        else:
            out[key] = value
    if problems:
        raise DefinitionError(problems)
    return out


class _Builder:
    def __init__(self, measure: Measure, opts: RenderOptions):
        self.m = measure
        self.o = opts
        self.lang = opts.lang
        self.missing_translation: list[Diagnostic] = []
        self.found_in_lang = 0  # texts found in the form's language (not its own)
        self.first_missing = ""
        self.missing_text: list[str] = []
        self.placeholders: list[str] = []
        self.fallbacks: dict[str, list[str]] = {}
        self.graphic_problems: list[Diagnostic] = []
        self.licensed = measure.licence.text_redistribution == "forbidden"
        src = measure.origin.path if measure.origin is not None else None
        self.base_dir = opts.base_dir or measure.folder
        self.file = str(src) if src else None

    def where(self, path: str) -> Location:
        """``path`` in the definition, with its line and column when the file has it there."""
        doc = self.m.origin.document if self.m.origin is not None else None
        if doc is not None:
            with contextlib.suppress(ValueError, TypeError):
                key = parse_path(path)
                if key in doc.value_marks:
                    line, column = doc.value_marks[key]
                    return Location(self.file or doc.file, line, column, path)
        return Location(self.file, path=path)

    # -------------------------------------------------------------- texts
    def tr(self, value: Any, path: str, what: str) -> str | None:
        """Text in the form's language; records a missing translation."""
        if value is None:
            return None
        if isinstance(value, str):
            if self.lang.split("-")[0] == self.m.language.split("-")[0]:
                return value
            found = None
        else:
            found = value.get(self.lang)
            if found is None and "-" in self.lang:
                found = value.get(self.lang.split("-")[0])
        if found is None:
            if self.found_in_lang == 0 and not self.missing_translation:
                self.first_missing = path
            self.missing_translation.append(Diagnostic(
                "missing-translation",
                f"{what} has no {self.lang!r} translation",
                f"Add `{self.lang}: ...` to the text at {path}, or render in one of "
                f"{', '.join(self.m.all_languages)}.",
                self.where(path)))
            return self.m.text(value) or ""
        self.found_in_lang += 1
        return str(found)

    def placeholder(self, what: str, key: str = "", **fmt: Any) -> str:
        """The visible stand-in for licensed text that was not supplied.

        ``what`` (English) is recorded for messages to staff; the form shows the form word
        ``key`` formatted with ``fmt`` in the form's language (``what`` when no key).
        """
        self.placeholders.append(what)
        shown = ui_text(key, self.lang)[0].format(**fmt) if key else what
        return ui_text("placeholder", self.lang)[0].format(what=shown)

    def checked(self, text: str | None, what: str) -> str | None:
        """``text``, recording it as a placeholder when it is one (``[PLACEHOLDER ...``, as
        the example overlays write them).
        """
        if text is not None and text.lstrip().upper().startswith("[PLACEHOLDER"):
            self.placeholders.append(what)
        return text

    def legal_text(self, value: Any) -> tuple[str | None, str | None]:
        """Text in the form's language, else as written; and its language when that is
        another one.
        """
        base = self.lang.split("-")[0]
        if isinstance(value, str):
            same = self.m.language.split("-")[0] == base
            return value, None if same else self.m.language
        found = value.get(self.lang) or value.get(base)
        if found is not None:
            return str(found), None
        fallback = self.m.language if self.m.language in value else next(iter(value))
        return str(value[fallback]), fallback

    def variant_text(self, item: Any, path: str, number: str = "") -> str | None:
        label = f"{number} ({item.code or item.id})" if number else (item.code or item.id)
        for wanted in (["proxy"] if self.o.respondent == "proxy" else []) + (
                ["easy_read"] if self.o.easy_read else []):
            if wanted not in item.variants:
                self.fallbacks.setdefault(wanted, []).append(label)
        order: list[str] = []
        if self.o.respondent == "proxy":
            order.append("proxy")
        if self.o.fmt in ("script", "script-text"):
            order.append("telephone")
        if self.o.easy_read:
            order.append("easy_read")
        what = f"question {label}"
        for key in order:
            if key in item.variants:
                return self.checked(self.tr(item.variants[key], f"{path}.variants.{key}",
                                            f"item {item.id!r}"), what)
        text = item.text if item.text is not None else self.o.overlay.get(item.id)
        if text is None:
            if self.licensed:
                return self.placeholder(what, "ph_question", label=label)
            self.missing_text.append(item.id)
            return ""
        return self.checked(self.tr(text, f"{path}.text", f"item {item.id!r}"), what)

    # -------------------------------------------------------------- graphics
    def graphic(self, name: str | None, alt: Any, path: str, what: str) -> GraphicView | None:
        if not name:
            return None
        try:
            file = resolve_graphic(name, self.base_dir)
        except MeasurelibError as exc:
            self.graphic_problems.extend(
                d.with_location(self.where(f"{path}.graphic")) for d in exc.errors)
            return None
        uri = graphic_data_uri(file) if file is not None else None
        if uri is None:
            where = f" (looked in {self.base_dir})" if self.base_dir else ""
            reason = (f"is too large to embed (over {format_limit('graphic_bytes')})"
                      if file is not None else "was not found")
            self.graphic_problems.append(Diagnostic(
                "unknown-graphic", f"the graphic {name!r} of {what} {reason}{where}",
                "Use a shipped pictogram (faces/1..5, frequency/1..5, amount/1..5) or an image "
                "file relative to the definition file (pass base_dir= when the measure was not "
                "loaded from a file).", self.where(f"{path}.graphic")))
            return None
        alt_text = self.tr(alt, f"{path}.alt", what) if alt is not None else ""
        return GraphicView(uri, alt_text or "")

    # -------------------------------------------------------------- questions
    def question(self, name: str, code: str, number: str, text: str, scale_id: str,
                 item: Any, path: str) -> QuestionView:
        scale = self.m.scales[scale_id]
        q = QuestionView(name=name, code=code, number=number, text=text, kind="choice")
        if isinstance(scale, (OrdinalScale, YesNoScale)):
            for j, opt in enumerate(scale.options):
                label = self.tr(opt.label, f"scales.{scale_id}.options[{j}].label",
                                f"option {j + 1} of scale {scale_id!r}")
                value = _num(opt.value)
                what = f"answer {value} of question {code}"
                if label is None and opt.graphic is None and self.licensed:
                    label = self.placeholder(what, "ph_answer", value=value, code=code)
                else:
                    label = self.checked(label, what)
                q.options.append(OptionView(
                    value=value, label=label if label is not None else value,
                    input_id=f"{name}-{value}".replace(".", "_"),
                    graphic=self.graphic(opt.graphic, opt.alt, f"scales.{scale_id}.options[{j}]",
                                         f"option {j + 1} of scale {scale_id!r}"),
                    missing=opt.missing))
        elif isinstance(scale, NumericScale):
            q.min, q.max, q.step = _num(scale.min), _num(scale.max), _num(scale.step)
            q.anchors = self.anchors(scale, scale_id)
            values = scale.values()
            if len(values) <= 11:
                q.compact = True
                for v in values:
                    value = _num(v)
                    q.options.append(OptionView(
                        value=value, label=value, input_id=f"{name}-{value}".replace(".", "_"),
                        show_code=False))
            else:
                q.kind = "numeric"
        elif isinstance(scale, VisualAnalogueScale):
            q.kind = "vas"
            q.min, q.max, q.step = _num(scale.min), _num(scale.max), "any"
            q.anchors = self.anchors(scale, scale_id)
        elif isinstance(scale, TextScale):
            q.kind = "text"
            q.max_length = scale.max_length
        return q

    def anchors(self, scale: Any, scale_id: str) -> list[AnchorView]:
        out = []
        for j, a in enumerate(scale.anchors):
            path = f"scales.{scale_id}.anchors[{j}]"
            out.append(AnchorView(
                _num(a.value), self.tr(a.label, f"{path}.label", f"anchor {j + 1} of {scale_id!r}")
                or "", self.graphic(a.graphic, a.alt, path, f"anchor {j + 1} of {scale_id!r}")))
        return out

    def condition_text(self, when: Any) -> str | None:
        if when is None:
            return None
        return ui_text("skip_if", self.lang)[0]

    def items(self) -> list[QuestionView]:
        out: list[QuestionView] = []
        for i, item in enumerate(self.m.items):
            path = f"items[{i}]"
            code = item.code or item.id
            number = str(i + 1)
            text = self.variant_text(item, path, number) or ""
            help_text = self.tr(item.help, f"{path}.help", f"item {item.id!r}")
            graphic = self.graphic(item.graphic, item.alt, path, f"item {item.id!r}")
            if item.personalised is not None:
                label = self.tr(item.personalised.label, f"{path}.personalised.label",
                                f"item {item.id!r}") or ui_text("goal", self.lang)[0]
                q = QuestionView(name=item.id, code=code, number=number, text=text, kind="text",
                                 help=help_text, graphic=graphic)
                q.kind = "choice"
                for n, col in enumerate(item.columns(), start=1):
                    sub = self.question(col, f"{code}_{n}", f"{number}.{n}", f"{label} {n}",
                                        item.scale, item, path)
                    sub.text_field = f"{col}_text"
                    sub.text_label = ui_text("goal_text", self.lang)[0]
                    sub.required = item.required and n <= item.personalised.min_count
                    q.sub.append(sub)
                out.append(q)
                continue
            q = self.question(item.id, code, number, text, item.scale, item, path)
            q.required, q.help, q.graphic = item.required, help_text, graphic
            if item.recall is not None and (self.m.recall is None
                                            or item.recall.text != self.m.recall.text):
                q.recall = self.tr(item.recall.text, f"{path}.recall.text", f"item {item.id!r}")
            for k, fu in enumerate(item.follow_up):
                fpath = f"{path}.follow_up[{k}]"
                ftext = self.tr(fu.text, f"{fpath}.text", f"follow-up {fu.id!r} of {item.id!r}")
                sub = self.question(f"{item.id}_{fu.id}", f"{code}_{fu.id}",
                                    f"{number}{chr(97 + k)}", ftext or "", fu.scale, item, fpath)
                sub.condition = self.condition_text(fu.when)
                q.sub.append(sub)
            out.append(q)
        return out

    # -------------------------------------------------------------- whole form
    def build(self) -> FormContext:
        m = self.m
        if self.o.respondent == "proxy" and "proxy" not in m.respondents:
            raise DefinitionError([Diagnostic(
                "proxy-not-allowed", f"{m.id} lists only {', '.join(m.respondents)} under "
                "`respondents:`, so it has no proxy form",
                "Render with respondent='self', or add `proxy` to `respondents:` if the "
                "measure may be answered by a carer.", self.where("respondents"))])
        questions = self.items()
        if self.missing_text:
            raise DefinitionError([Diagnostic(
                "missing-item-text", f"item {iid!r} has no text", "Add `text:` to the item or "
                "supply it with overlay=.", Location(self.file, path=f"items[{i}].text"))
                for i, iid in enumerate(it.id for it in m.items) if iid in self.missing_text])
        title = self.tr(m.title, "title", "the title") or m.id
        instructions = self.tr(m.instructions, "instructions", "the instructions")
        recall = self.tr(m.recall.text, "recall.text", "the recall period") if m.recall else None
        if instructions is None and self.o.overlay_instructions is not None:
            instructions = self.tr(self.o.overlay_instructions, "instructions",
                                   "the overlay's instructions")
        if recall and instructions and recall.casefold() in instructions.casefold():
            recall = None  # the instructions already say it
        purpose: dict[str, str] = {}
        if m.purpose is not None:
            for key in ("why", "who_sees", "how_used"):
                value = getattr(m.purpose, key)
                if value is not None:
                    purpose[key] = self.tr(value, f"purpose.{key}", "the purpose") or ""
        status = m.validation.status if m.validation else "untested"
        note = None
        if m.validation is not None and m.validation.note is not None:
            note = self.tr(m.validation.note, "validation.note", "the validation note")
        attribution: list[str] = []
        sources = [(m.licence.attribution, "licence.attribution")] + [
            (a, f"attributions[{k}]") for k, a in enumerate(getattr(m, "attributions", []) or [])]
        attribution_lang: dict[str, str] = {}
        for value, _apath in sources:
            if value is None:
                continue
            # a copyright notice without a translation is printed as written (marked with
            # its language): a legal notice, not something the respondent answers
            text, in_lang = self.legal_text(value)
            for line in (text or "").splitlines():
                if line.strip() and line.strip() not in attribution:
                    attribution.append(line.strip())
                    if in_lang is not None:
                        attribution_lang[line.strip()] = in_lang
        if self.missing_translation and self.found_in_lang == 0:
            # no text at all in that language: one message, not one per text
            where = self.where("languages") if "languages" in (
                m.origin.document.data if m.origin is not None and m.origin.document is not None
                and isinstance(m.origin.document.data, dict) else {}) else self.where(
                self.first_missing)
            self.missing_translation = [Diagnostic(
                "missing-translation", f"{m.id} has no text in {self.lang!r} (none of its "
                f"{len({d.message for d in self.missing_translation})} texts has a "
                "translation); it is written "
                f"in {', '.join(m.all_languages)}",
                f"Render in one of {', '.join(m.all_languages)}, or add the {self.lang!r} "
                "texts (in the definition, or in an overlay: see docs/licences.md).", where)]
        problems = self.missing_translation + self.graphic_problems
        if problems:
            # one diagnostic per item is enough to say what to fix
            seen: set[str] = set()
            unique = []
            for d in problems:
                if d.message not in seen:
                    seen.add(d.message)
                    unique.append(d)
            heading: str | None = None
            if self.missing_translation:
                heading = (f"cannot render {m.id} in {self.lang!r} (it has "
                           f"{', '.join(m.all_languages)}): texts without a translation follow")
            raise DefinitionError(unique, title=heading)
        return FormContext(
            measure_id=m.id, measure_version=m.version, title=title, lang=self.lang,
            dir=m.direction(self.lang), instructions=instructions, recall=recall,
            purpose=purpose, validation_status=status,
            validation_text=ui_text(f"status_{status}", self.lang)[0],
            validation_note=note, attribution=attribution, licence_holder=m.licence.holder,
            attribution_lang=attribution_lang,
            questions=questions, options=self.o, proxy=self.o.respondent == "proxy",
            placeholders=list(dict.fromkeys(self.placeholders)), fallbacks=self.fallbacks,
            timepoints=m.timepoint_ids, conversions=irt_conversions(m, self.lang))


def irt_conversions(m: Measure, lang: str) -> list[dict[str, Any]]:
    """Per ``method: irt`` score, the table a worker scores a paper form with: the sum of
    the ticked answers (reversed items counted reversed) → score and SE on the bank's metric.
    """
    if not any(r.method == "irt" for r in m.scores):
        return []
    from measurelib.psychometrics import conversion_table

    out = []
    for rule in m.scores:
        items = m.score_items(rule)
        if rule.method != "irt" or any(m.item(i).irt is None for i in items):
            continue
        table = conversion_table(m, items)
        mt = m.calibration.metric if m.calibration is not None else None
        dec = mt.decimals if mt is not None and mt.decimals is not None else (
            0 if mt is not None and mt.sd >= 5 else 2)
        reversed_items = []  # (question, the number to subtract the ticked one from)
        for i in items:
            if m.item(i).reverse:
                vals = scored_values(m, i)
                reversed_items.append((m.item(i).code or m.item(i).id,
                                       f"{vals[0] + vals[-1]:g}"))
        out.append({
            "title": m.text(rule.title, lang) or rule.id,
            "metric": mt.name if mt is not None else "θ",
            "rows": [(f"{r.sum:g}", f"{r.score:.{dec}f}", f"{r.se:.{dec}f}")
                     for r in table.itertuples()],
            "reversed": reversed_items,
            "simulated": bool(m.calibration is not None and m.calibration.sample.simulated),
        })
    return out


def build_context(measure: Measure, opts: RenderOptions) -> FormContext:
    """Resolve texts, variants, graphics and licence for one form."""
    return _Builder(measure, opts).build()
