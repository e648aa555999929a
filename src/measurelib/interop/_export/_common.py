"""Shared pieces of the exporters: measure preparation, licences, and score expressions.

Score rules are turned once into a small expression tree (:class:`Expr`) built from two
primitives per response column — the column's *scored value or 0* and *1 if answered
else 0* — plus arithmetic, comparisons, ``if`` and ``floor``. Each target (FHIRPath, ODK
XPath, REDCap calc) prints the same tree in its own syntax, so the three exports compute
the same numbers as :func:`measurelib.scoring._score.score`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from measurelib.compose import as_measure
from measurelib.definition import Measure, band_intervals
from measurelib.errors import Diagnostic, Location
from measurelib.forms import with_overlay
from measurelib.scoring import item_value_map, scored_item_values

if TYPE_CHECKING:
    from measurelib.definition import Measure, ScoreRule

__all__ = [
    "Expr",
    "ScorePlan",
    "Term",
    "column_specs",
    "fmt_num",
    "prepare",
    "score_plans",
]

FHIR_BASE = "https://measurelib.org/fhir"
MEASURELIB_EXT = "https://measurelib.org/fhir/StructureDefinition"


def fmt_num(v: float | int) -> str:
    """A number as short text: ``3`` not ``3.0``; ``0.5`` as is."""
    f = float(v)
    if f.is_integer():
        return str(int(f))
    return repr(f)


# ----------------------------------------------------------------------------- preparation
def resolve_measure(measure: Any, overlay: Any = None) -> Measure:
    """A Measure from a Measure, a catalog id or a path; composed measures are built."""
    return as_measure(measure, overlay=overlay, caller="export(measure=...)")


def prepare(measure: Any, overlay: Any = None) -> tuple[Measure, list[Diagnostic]]:
    """Resolve ``measure`` and apply its licence: withhold text it may not redistribute.

    When ``licence.text_redistribution`` is ``forbidden``, item texts, help, variants,
    follow-up texts and instructions are removed unless ``overlay`` supplies the item text
    (the user's licensed copy). Returns the measure to export and what was withheld.
    """
    m = resolve_measure(measure, overlay)
    diags: list[Diagnostic] = []
    licensed = [s.id for s in (m.lock.sources if m.lock else [])
                if s.licence is not None and s.licence.text_redistribution == "forbidden"]
    if licensed:
        diags.append(Diagnostic(
            "export-text-withheld",
            f"{m.id} is built from {', '.join(licensed)}, whose licence forbids "
            "redistributing the wording: the export holds the text of your overlay",
            "Keep the exported file private, as the licence requires.",
            Location(path="items"), "warning"))
    if m.licence.text_redistribution != "forbidden":
        return m, diags

    # the overlay (text, option labels, variants, translations) applied as forms apply it;
    # only item text it supplies is exported
    overlaid = with_overlay(m, overlay) if overlay is not None else m
    texts = {it.id: it.text for it in overlaid.items
             if it.text is not None and it.text != m.item(it.id).text}
    data = overlaid.to_dict()
    withheld: list[str] = []
    for it in data.get("items", []):
        if it["id"] in texts:
            it["text"] = texts[it["id"]]
        else:
            it.pop("text", None)
            withheld.append(it["id"])
        for key in ("help", "variants"):
            if it.pop(key, None):
                withheld.append(f"{it['id']}.{key}")
    if data.pop("instructions", None) is not None:
        withheld.append("instructions")

    m2 = Measure.model_validate(data).with_origin(m.origin)
    if withheld:
        diags.append(Diagnostic(
            "export-text-withheld",
            f"the licence of {m.id} forbids redistributing its wording: the export leaves out "
            f"{len(withheld)} text(s) ({', '.join(withheld[:6])}{' ...' if len(withheld) > 6 else ''}); "
            "a placeholder names each item",
            "Pass your licensed overlay (overlay=... or --overlay FILE) to include your "
            "licensed text in a file you keep private.",
            Location(path="items"), "warning"))
    elif texts:
        diags.append(Diagnostic(
            "export-text-withheld",
            f"the export of {m.id} holds licensed text from your overlay: do not publish it",
            "Keep the file private, as the licence requires.", Location(path="items"),
            "info"))
    return m2, diags


def placeholder(m: Measure, item_id: str) -> str:
    """The label shown where licensed item text is withheld."""
    return f"[{m.id} item {item_id}: licensed text not included]"


# ----------------------------------------------------------------------------- columns
@dataclass
class ColumnSpec:
    """One response column of a measure, as exporters see it."""

    column: str
    item_id: str
    kind: str  # "choice", "integer", "decimal", "text"
    scale_id: str
    text: Any  # Text or None
    options: list[Any] = field(default_factory=list)  # Option objects (choice)
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    follow_up_of: str | None = None
    when: Any = None  # Condition of a follow-up
    goal_text_of: str | None = None
    required: bool = False


def column_specs(m: Measure) -> list[ColumnSpec]:
    """Every response column with its type and options, in form order."""
    out: list[ColumnSpec] = []

    def spec(col: str, item_id: str, scale_id: str, text: Any, **kw: Any) -> ColumnSpec:
        sc: Any = m.scales[scale_id]
        if sc.type in ("ordinal", "yesno"):
            return ColumnSpec(col, item_id, "choice", scale_id, text, list(sc.options), **kw)
        if sc.type == "text":
            return ColumnSpec(col, item_id, "text", scale_id, text, **kw)
        step = float(getattr(sc, "step", 0) or 0)
        integer = (sc.type == "numeric" and float(sc.min).is_integer()
                   and float(step).is_integer())
        return ColumnSpec(col, item_id, "integer" if integer else "decimal", scale_id, text,
                          minimum=float(sc.min), maximum=float(sc.max),
                          step=step or None, **kw)

    for it in m.items:
        if it.personalised is None:
            out.append(spec(it.id, it.id, it.scale, it.text, required=it.required))
        else:
            label = it.personalised.label
            for i, col in enumerate(it.columns(), start=1):
                req = i <= it.personalised.min_count
                out.append(ColumnSpec(f"{col}_text", it.id, "text", "", label or it.text,
                                      goal_text_of=col, required=req))
                out.append(spec(col, it.id, it.scale, it.text, required=req))
        for fu in it.follow_up:
            out.append(spec(f"{it.id}_{fu.id}", it.id, fu.scale, fu.text,
                            follow_up_of=it.id, when=fu.when))
    return out


# ----------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Expr:
    """A node of a score expression: ``op`` with ``args``.

    ops: ``num`` (args: value), ``val0`` (args: Term — scored value, 0 when missing),
    ``ans`` (args: Term — 1 when answered else 0), ``+ - * /``, ``< <= > >= =``, ``and``,
    ``if`` (cond, then, else), ``floor``, ``empty`` (no value).
    """

    op: str
    args: tuple[Any, ...] = ()

    def __add__(self, o: Expr) -> Expr:
        return Expr("+", (self, o))

    def __sub__(self, o: Expr) -> Expr:
        return Expr("-", (self, o))

    def __mul__(self, o: Expr) -> Expr:
        return Expr("*", (self, o))

    def __truediv__(self, o: Expr) -> Expr:
        return Expr("/", (self, o))


def flatten_sum(e: Expr) -> list[Expr]:
    """The operands of a chain of ``+`` (for printing without nested parentheses)."""
    if e.op != "+":
        return [e]
    return flatten_sum(e.args[0]) + flatten_sum(e.args[1])


def num(v: float) -> Expr:
    return Expr("num", (float(v),))


def total(parts: list[Expr]) -> Expr:
    if not parts:
        return num(0)
    acc = parts[0]
    for p in parts[1:]:
        acc = acc + p
    return acc


@dataclass
class Term:
    """One response column in a score: how its answer becomes the scored value."""

    column: str
    item_id: str
    weight: float
    optional: bool
    kind: str  # "map" (choice or finite numeric) or "linear"
    mapping: dict[float, float] = field(default_factory=dict)  # stored → scored (answered)
    a: float = 0.0  # linear: scored = a + b × answer
    b: float = 1.0
    missing_values: list[float] = field(default_factory=list)  # options counted missing


@dataclass
class ScorePlan:
    """A score rule as an expression, or why a target cannot express it."""

    rule: ScoreRule
    terms: list[Term]
    expr: Expr | None
    reason: str | None = None
    #: a lookup-table transform: the raw score's expression and the table raw → converted
    #: (rounded as the rule says), for targets that can look a value up in a second step
    raw: Expr | None = None
    lookup: dict[float, float] | None = None


def _terms(m: Measure, rule: ScoreRule) -> list[Term]:
    import numpy as np

    optional: set[str] = set()
    for it in m.items:
        if it.personalised is not None:
            optional.update(it.columns()[it.personalised.min_count:])
    weights = rule.weights or {}
    terms: list[Term] = []
    for item_id in m.score_items(rule):
        item = m.item(item_id)
        sc: Any = m.scales[item.scale]
        w = float(weights.get(item_id, 1.0)) if rule.method == "weighted_sum" else 1.0
        mapping_raw, reverse = item_value_map(m, item_id)
        for col in item.columns():
            t = Term(col, item_id, w, col in optional, "linear")
            if sc.type in ("ordinal", "yesno"):
                vals = [float(o.value) for o in sc.options if not o.missing]
                t.missing_values = [float(o.value) for o in sc.options if o.missing]
                scored = scored_item_values(m, item_id, np.array(vals, dtype=float))
                t.kind = "map"
                t.mapping = {v: float(s) for v, s in zip(vals, scored)}
            elif mapping_raw is not None:
                vals = sc.values()
                if sc.type == "vas" or len(vals) > 400:
                    raise _NotExpressible(f"item {item_id} recodes a continuous scale")
                scored = scored_item_values(m, item_id, np.array(vals, dtype=float))
                t.kind = "map"
                t.mapping = {float(v): float(s) for v, s in zip(vals, scored)}
            elif reverse:
                lo, hi = float(sc.min), float(sc.max)
                t.a, t.b = lo + hi, -1.0
            terms.append(t)
    return terms


class _NotExpressible(Exception):
    pass


def _round_half_away(x: Expr, decimals: int) -> Expr:
    f = num(10.0 ** decimals)
    pos = Expr("floor", (x * f + num(0.5),)) / f
    neg = num(0) - Expr("floor", ((num(0) - x) * f + num(0.5),)) / f
    return Expr("if", (Expr("<", (x, num(0))), neg, pos))


def plan_rule(m: Measure, rule: ScoreRule) -> ScorePlan:
    """The expression of one score rule (``expr`` None with a ``reason`` if impossible)."""
    if rule.method == "value_set":
        return ScorePlan(rule, [], None, "a preference-based value set (index table) cannot "
                         "be written as an expression")
    if rule.method == "irt":
        return _irt_plan(m, rule)
    tr = rule.transform
    try:
        terms = _terms(m, rule)
    except _NotExpressible as exc:
        return ScorePlan(rule, [], None, str(exc))
    if not terms:
        return ScorePlan(rule, [], None, "the score has no scorable items")
    weighted = rule.method == "weighted_sum"
    val = [Expr("val0", (t,)) * num(t.weight) if weighted and t.weight != 1 else
           Expr("val0", (t,)) for t in terms]
    ans = [Expr("ans", (t,)) for t in terms]
    tot = total(val)
    n_ans = total(ans)
    req = [a for a, t in zip(ans, terms) if not t.optional]
    k_req = len(req)
    n_miss = num(k_req) - total(req) if req else num(0)
    ok = Expr("and", (Expr("<=", (n_miss, num(rule.missing.max_missing))),
                      Expr(">", (n_ans, num(0)))))
    if rule.method == "mean":
        value = tot / n_ans
    else:
        value = tot
        if rule.missing.prorate and rule.missing.max_missing > 0:
            if weighted:
                w_all = total([num(abs(t.weight)) for t in terms if not t.optional]
                              + [a * num(abs(t.weight)) for a, t in zip(ans, terms)
                                 if t.optional])
                w_ans = total([a * num(abs(t.weight)) for a, t in zip(ans, terms)])
                pro = tot * w_all / w_ans
            else:
                expected = num(k_req) + total(
                    [a for a, t in zip(ans, terms) if t.optional])
                pro = tot * expected / n_ans
            if rule.missing.round_prorated:
                pro = Expr("floor", (pro + num(0.5),))
            value = Expr("if", (Expr(">", (n_miss, num(0))), pro, value))
    if tr is not None and tr.table is not None:
        table = m.tables.get(tr.table, {}) if isinstance(tr.table, str) else tr.table
        lookup = {float(k): float(v) for k, v in table.items()}
        if tr.decimals is not None:  # round the table's values as scoring rounds the result
            f = 10.0 ** tr.decimals
            lookup = {k: math.copysign(math.floor(abs(v) * f + 0.5) / f, v)
                      for k, v in lookup.items()}
        return ScorePlan(rule, terms, None, "the raw score is converted with a lookup table",
                         raw=Expr("if", (ok, value, Expr("empty"))), lookup=lookup)
    if tr is not None and tr.linear is not None:
        value = value * num(tr.linear.multiply) + num(tr.linear.add)
    if tr is not None and tr.decimals is not None:
        value = _round_half_away(value, tr.decimals)
    expr = Expr("if", (ok, value, Expr("empty")))
    return ScorePlan(rule, terms, expr)


IRT_REASON = ("an IRT score (EAP) is not an expression of the answers; the summed-score "
              "conversion table (EAP for summed scores, complete answers only) is carried "
              "instead")


def irt_conversion(m: Measure, rule: ScoreRule) -> dict[float, tuple[float, float]]:
    """Sum of scored answers → (score, SE) on the bank's metric, rounded for printing."""
    from measurelib.psychometrics import conversion_table

    table = conversion_table(m, m.score_items(rule))
    mt = m.calibration.metric if m.calibration is not None else None
    dec = mt.decimals if mt is not None and mt.decimals is not None else (
        1 if mt is not None and mt.sd >= 5 else 3)
    return {float(r.sum): (round(float(r.score), dec), round(float(r.se), dec))
            for r in table.itertuples()}


def _irt_plan(m: Measure, rule: ScoreRule) -> ScorePlan:
    """An irt score for targets: the sum of every item (none missing) and the table."""
    try:
        terms = _terms(m, rule)
    except _NotExpressible as exc:
        return ScorePlan(rule, [], None, str(exc))
    val = [Expr("val0", (t,)) for t in terms]
    ans = [Expr("ans", (t,)) for t in terms]
    complete = Expr("=", (total(ans), num(len(terms))))
    lookup = {k: v for k, (v, _se) in irt_conversion(m, rule).items()}
    return ScorePlan(rule, terms, None, IRT_REASON,
                     raw=Expr("if", (complete, total(val), Expr("empty"))), lookup=lookup)


def score_plans(m: Measure) -> list[ScorePlan]:
    """A plan per score rule of ``m`` (profile measures: as declared)."""
    return [plan_rule(m, r) for r in m.scores]


#: What a form computes for a ``method: irt`` score (the note the exports print).
IRT_NOTE = ("EAP for summed scores: the sum of the scored answers looked up in the IRT "
            "conversion table, when every question is answered (no standard error); for EAP "
            "from the answer pattern, with skipped answers and standard errors, score the "
            "responses with measurelib")


def irt_exported(plan: ScorePlan, target: str, how: str) -> Diagnostic:
    """The ``export-irt-conversion`` note of an IRT score exported as its conversion table."""
    return Diagnostic(
        "export-irt-conversion", f"score {plan.rule.id!r} is an IRT (EAP) score, which "
        f"a {target} cannot compute: {how}",
        "Forms that leave a question unanswered get no score from the table: score "
        "the responses with measurelib for EAP with skipped answers and SEs.",
        Location(path=f"scores[{plan.rule.id}]"), "info")


def not_expressible(plan: ScorePlan, target: str) -> Diagnostic:
    return Diagnostic(
        "export-score-not-expressible",
        f"score {plan.rule.id!r} is not carried as a {target} expression: {plan.reason}",
        "Score the returned data with measurelib (`measurelib score`); the export says so in "
        "the score's description.", Location(path=f"scores[{plan.rule.id}]"), "warning")


def band_text(m: Measure, rule: ScoreRule, lang: str | None = None) -> str:
    """Bands as one line, e.g. ``0–4 None-minimal; 5–9 Mild; ...``."""
    parts = []
    for band, (lo, lo_inc, hi, hi_inc) in zip(rule.bands, band_intervals(list(rule.bands))):
        lab = m.text(band.label, lang) or ""
        lo_s = "" if not math.isfinite(lo) else ("≥" if lo_inc else ">") + fmt_num(lo)
        hi_s = "" if not math.isfinite(hi) else ("≤" if hi_inc else "<") + fmt_num(hi)
        parts.append(f"{' '.join(x for x in (lo_s, hi_s) if x) or 'any'} {lab}")
    return "; ".join(parts)


def texts(value: Any, m: Measure) -> dict[str, str]:
    """A Text as ``{lang: text}`` (plain strings in the measure's language)."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {m.language: value}
    return dict(value)
