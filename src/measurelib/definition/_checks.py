"""Cross-reference checks of a measure definition, and the reachable range of its scores.

All problems are collected and returned together, each with the YAML path where it is
(``items[3].scale``); the loader turns paths into file:line:column.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import typing
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from measurelib.definition._types import Text
from measurelib.errors import CODES, Diagnostic, Location

if TYPE_CHECKING:
    from measurelib.definition._model import Band, Measure, ScoreRule

_MAX_REACHABLE = 200_000
_MAX_COLUMN_VALUES = 10_000
_MAX_WORK = 400_000  # additions one sum-set may do before the checks turn analytic
_ROUND = 9


def _d(code: str, message: str, path: str, hint: str = "", severity: str = "error") -> Diagnostic:
    return Diagnostic(code, message, hint, Location(path=path), severity)  # type: ignore[arg-type]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A "did you mean" suggestion, or an empty string."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else ""


def _unknown_hint(name: str, choices: Iterable[str], what: str) -> str:
    choices = list(choices)
    suggestion = did_you_mean(name, choices)
    if suggestion:
        return suggestion.capitalize()
    shown = ", ".join(sorted(choices)[:12]) or "none declared"
    return f"Known {what}: {shown}."


# ----------------------------------------------------------------------------- ranges
def round_half_away(v: float, decimals: int) -> float:
    """Round half away from zero (2.5 → 3, −2.5 → −3), as scoring manuals do."""
    f = 10.0 ** decimals
    return math.copysign(math.floor(abs(v) * f + 0.5 + 1e-9) / f, v)


def _column_values(measure: Measure, item_id: str) -> list[float] | None:
    """Scored values an item column can take: option scores, recode, then reverse.

    None when the scale has more than ``_MAX_COLUMN_VALUES`` values (a numeric scale of
    0–100,000,000): the checks then work from the ends of the range, not from every value.
    """
    item = measure.item(item_id)
    scale = measure.scales[item.scale]
    n_values = getattr(scale, "n_values", None)
    if n_values is not None and n_values() > _MAX_COLUMN_VALUES:
        return None
    vals = scale.values()
    mapping = {float(o.value): float(o.score) for o in getattr(scale, "options", None) or []
               if getattr(o, "score", None) is not None}
    mapping.update({float(k): float(v) for k, v in (getattr(item, "recode", None) or {}).items()})
    if mapping and vals:
        vals = sorted({mapping.get(v, v) for v in vals})
    if item.reverse and vals:
        lo, hi = vals[0], vals[-1]
        vals = sorted(lo + hi - v for v in vals)
    return vals


def _column_ends(measure: Measure, item_id: str) -> tuple[float, float] | None:
    """Lowest and highest scored value of an item column, without listing its values."""
    vals = _column_values(measure, item_id)
    if vals is not None:
        return (vals[0], vals[-1]) if vals else None
    scale = measure.scales[measure.item(item_id).scale]
    lo, hi = scale.min_value, scale.max_value
    if lo is None or hi is None:
        return None
    return float(lo), float(hi)


def _integer_range(measure: Measure, rule: ScoreRule) -> tuple[float, float] | None:
    """(lo, hi) when the score takes exactly every whole number from lo to hi, else None.

    True of an untransformed sum whose items are numeric scales with whole-number steps
    and no missing answers allowed, however large: the band checks of a 0–100,000,000
    scale then need no list of its values.
    """
    if rule.method != "sum" or rule.transform is not None or rule.missing.max_missing:
        return None
    lo = hi = 0.0
    for item_id in measure.score_items(rule):
        item = measure.item(item_id)
        scale = measure.scales.get(item.scale)
        if scale is None:
            return None
        vals = _column_values(measure, item_id)
        if vals is None:  # a huge scale: whole steps from a whole number?
            if scale.type != "numeric" or getattr(item, "recode", None) or not (
                    float(scale.step) == 1 and float(scale.min).is_integer()):
                return None
            if scale.min_value is None or scale.max_value is None:
                return None
            a, b = float(scale.min_value), float(scale.max_value)
        else:
            if not vals or not all(float(v).is_integer() for v in vals) \
                    or len(vals) != int(vals[-1] - vals[0]) + 1:
                return None
            a, b = vals[0], vals[-1]
        for _ in item.columns():
            lo, hi = lo + a, hi + b
    return lo, hi


def scored_values(measure: Measure, item_id: str) -> list[float]:
    """The scored values an item's answers can take (after recode and reverse), increasing:
    the categories of its ``irt`` block, the lowest being category 0.
    """
    vals = _column_values(measure, item_id)
    return list(vals) if vals is not None else []


def _is_continuous(measure: Measure, item_id: str) -> bool:
    return measure.scales[measure.item(item_id).scale].type == "vas"


def _table(measure: Measure, rule: ScoreRule) -> dict[float, float] | None:
    if rule.transform is None or rule.transform.table is None:
        return None
    table = rule.transform.table
    if isinstance(table, str):
        table = measure.tables.get(table, {})
    return {float(k): float(v) for k, v in table.items()}


def _apply_transform(measure: Measure, rule: ScoreRule, values: Iterable[float]) -> list[float]:
    out: list[float] = []
    table = _table(measure, rule)
    for v in values:
        if table is not None:
            if round(v, _ROUND) not in table:
                continue
            v = table[round(v, _ROUND)]
        elif rule.transform is not None and rule.transform.linear is not None:
            lin = rule.transform.linear
            v = v * float(lin.multiply) + float(lin.add)
        if rule.transform is not None and rule.transform.decimals is not None:
            v = round_half_away(v, rule.transform.decimals)
        out.append(v)
    return out


def _sumset(sets: list[list[float]], budget: list[int] | None = None) -> set[float] | None:
    """Every sum of one value from each set; None once ``budget`` (additions) runs out."""
    budget = budget if budget is not None else [_MAX_WORK]
    acc = {0.0}
    for s in sets:
        budget[0] -= len(acc) * len(s) + 1
        if budget[0] < 0:
            return None
        acc = {round(a + b, _ROUND) for a in acc for b in s}
        if len(acc) > _MAX_REACHABLE:
            return None
    return acc


def raw_reachable(measure: Measure, rule: ScoreRule) -> set[float] | None:  # noqa: C901 - exact sums, bounded sums and the shared-scale shortcut in one place
    """Every raw (pre-transform) value the score can take, or None if continuous/too many."""
    if rule.method == "irt":
        return None  # continuous: EAP on the bank's metric
    item_ids = measure.score_items(rule)
    columns: list[tuple[str, list[float]]] = []
    for item_id in item_ids:
        if _is_continuous(measure, item_id):
            return None
        vals = _column_values(measure, item_id)
        if not vals:
            return None
        for _col in measure.item(item_id).columns():
            columns.append((item_id, vals))
    if not columns:
        return set()
    k = len(columns)
    if rule.method == "value_set":
        vs = rule.value_set
        if vs is None:
            return None
        if vs.table is not None:
            return {round(float(v), _ROUND) for v in measure.tables.get(vs.table, {}).values()}
        sets = [
            [float(x) for x in vs.decrements.get(item_id, {0: 0}).values()]
            for item_id, _ in columns
        ]
        got = _sumset(sets)
        return None if got is None else {round(float(vs.constant) + v, _ROUND) for v in got}
    weights = rule.weights or {}
    scaled = [
        [float(weights.get(item_id, 1.0)) * v for v in vals] if rule.method == "weighted_sum" else vals
        for item_id, vals in columns
    ]
    m = min(rule.missing.max_missing, k - 1) if k else 0
    out: set[float] = set()
    # With missing answers allowed, any subset of size j in [k-m, k] may be answered.
    if m > 0 and k > 12 and len({tuple(s) for s in scaled}) > 1:
        return None  # too many distinct subsets to enumerate exactly
    alike = len({tuple(s) for s in scaled}) == 1
    first = scaled[0]
    if alike and rule.method != "weighted_sum" and all(float(v).is_integer() for v in first) \
            and len(first) == int(first[-1] - first[0]) + 1:
        # k columns of the same whole-number run a..b: sums of j of them are ja..jb exactly
        spans = [(j, j * first[0], j * first[-1]) for j in range(k - m, k + 1)]
        if sum(int(b - a) + 1 for _, a, b in spans) <= _MAX_REACHABLE:
            for j, a, b in spans:
                for whole in range(int(a), int(b) + 1):
                    if rule.method == "mean":
                        v = whole / j
                    elif j < k and rule.missing.prorate:
                        v = whole * k / j
                        if rule.missing.round_prorated:
                            v = math.floor(v + 0.5 + 1e-9)
                    else:
                        v = float(whole)
                    out.add(round(v, _ROUND))
            return out
    budget = [_MAX_WORK]  # one budget for every subset: the check stays bounded
    for j in range(k - m, k + 1):
        if alike:
            subsets: Iterable[tuple[int, ...]] = [tuple(range(j))]
        else:
            subsets = itertools.combinations(range(k), j)
        for subset in subsets:
            sums = _sumset([scaled[i] for i in subset], budget)
            if sums is None:
                return None
            for s in sums:
                if rule.method == "mean":
                    v = s / j
                elif j < k and rule.missing.prorate:
                    if rule.method == "weighted_sum":  # prorate by the weight answered
                        w_all = sum(abs(float(weights.get(c[0], 1.0))) for c in columns)
                        w_sub = sum(abs(float(weights.get(columns[i][0], 1.0))) for i in subset)
                        v = s * w_all / w_sub
                    else:
                        v = s * k / j
                    if rule.missing.round_prorated:
                        v = math.floor(v + 0.5 + 1e-9)
                else:
                    v = s
                out.add(round(v, _ROUND))
            if len(out) > _MAX_REACHABLE:
                return None
    return out


def reachable(measure: Measure, rule: ScoreRule) -> set[float] | None:
    """Every final value the score can take, or None if continuous or too many to list."""
    raw = raw_reachable(measure, rule)
    if raw is None:
        return None
    if rule.transform is None:
        return raw
    return {round(v, _ROUND) for v in _apply_transform(measure, rule, raw)}


def score_range(measure: Measure, rule: ScoreRule) -> tuple[float, float]:
    """Lowest and highest value the score can take."""
    if rule.method == "irt":
        # EAP lies inside the quadrature grid, theta in [-6, 6]
        metric = measure.calibration.metric if measure.calibration is not None else None
        mean, sd = (metric.mean, metric.sd) if metric is not None else (0.0, 1.0)
        return mean - 6 * sd, mean + 6 * sd
    values = reachable(measure, rule)
    if values:
        return min(values), max(values)
    # continuous or very large: bound from the item ranges
    lo = hi = 0.0
    cols = 0
    weights = rule.weights or {}
    for item_id in measure.score_items(rule):
        ends = _column_ends(measure, item_id)
        if ends is None:
            continue
        for _ in measure.item(item_id).columns():
            w = float(weights.get(item_id, 1.0)) if rule.method == "weighted_sum" else 1.0
            a, b = w * ends[0], w * ends[1]
            lo += min(a, b)
            hi += max(a, b)
            cols += 1
    if rule.method == "mean" and cols:
        lo, hi = lo / cols, hi / cols
    if rule.transform is not None:
        moved = _apply_transform(measure, rule, [lo, hi])
        if len(moved) == 2:
            lo, hi = min(moved), max(moved)
    return lo, hi


def band_intervals(bands: list[Band]) -> list[tuple[float, bool, float, bool]]:
    """Each band as (low, low inclusive, high, high inclusive), following the band rules."""
    out: list[tuple[float, bool, float, bool]] = []
    prev_hi: float | None = None
    for band in bands:
        if band.min is not None:
            lo, lo_inc = float(band.min), True
        elif prev_hi is not None:
            lo, lo_inc = prev_hi, False
        else:
            lo, lo_inc = -math.inf, False
        hi, hi_inc = (float(band.max), True) if band.max is not None else (math.inf, False)
        out.append((lo, lo_inc, hi, hi_inc))
        prev_hi = hi
    # an open upper bound followed by a band with a min: close it at that min (exclusive)
    fixed: list[tuple[float, bool, float, bool]] = []
    for i, (lo, lo_inc, hi, hi_inc) in enumerate(out):
        if math.isinf(hi) and i + 1 < len(out) and not math.isinf(out[i + 1][0]):
            hi, hi_inc = out[i + 1][0], not out[i + 1][1]
        fixed.append((lo, lo_inc, hi, hi_inc))
    return fixed


def _in(v: float, iv: tuple[float, bool, float, bool]) -> bool:
    lo, lo_inc, hi, hi_inc = iv
    above = v > lo or (lo_inc and v == lo)
    below = v < hi or (hi_inc and v == hi)
    return above and below


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _check_bands(measure: Measure, rule: ScoreRule, path: str) -> Iterator[Diagnostic]:
    bands = rule.bands
    if not bands:
        return
    for i, band in enumerate(bands):
        if band.min is not None and band.max is not None and band.min > band.max:
            yield _d("invalid-range", f"band min {_fmt(band.min)} is above its max {_fmt(band.max)}",
                     f"{path}.bands[{i}]")
            return
        if band.max is None and band.min is None and i not in (0, len(bands) - 1):
            yield _d("band-order", "only the first or last band may leave both bounds open",
                     f"{path}.bands[{i}]", "Give this band a `max:`.")
            return
    intervals = band_intervals(bands)
    for i in range(1, len(intervals)):
        if intervals[i][2] < intervals[i - 1][2] or intervals[i][0] < intervals[i - 1][0]:
            yield _d("band-order", f"band {i + 1} lies below band {i}", f"{path}.bands[{i}]",
                     "List bands from the lowest score to the highest.")
            return
    values = reachable(measure, rule)
    lo, hi = (min(values), max(values)) if values else score_range(measure, rule)
    if values is not None:
        gaps, overlaps = [], []
        for v in sorted(values):
            hits = [j for j, iv in enumerate(intervals) if _in(v, iv)]
            if not hits:
                gaps.append(v)
            elif len(hits) > 1:
                overlaps.append((v, hits))
        if overlaps:
            v, hits = overlaps[0]
            more = f" (and {len(overlaps) - 1} more values)" if len(overlaps) > 1 else ""
            yield _d("band-overlap", f"score {_fmt(v)} falls in bands {hits[0] + 1} and "
                     f"{hits[1] + 1}{more}", f"{path}.bands[{hits[1]}]",
                     "Make each band start after the previous one ends.")
        outside = [v for v in gaps if v < intervals[0][0] or v > intervals[-1][2]]
        inside = [v for v in gaps if v not in outside]
        if outside:
            yield _d("band-range", f"reachable score(s) {', '.join(_fmt(v) for v in outside[:5])} "
                     f"fall outside every band (the score ranges {_fmt(lo)}–{_fmt(hi)})",
                     f"{path}.bands", "Extend the first or last band, or leave its bound open.")
        if inside:
            shown = ", ".join(_fmt(v) for v in inside[:5])
            yield _d("band-gap", f"reachable score(s) {shown} fall in no band",
                     f"{path}.bands", "Widen a band so that consecutive bands meet; for "
                     "fractional scores (means, prorated sums) use only `max:` bounds.")
        return
    whole = _integer_range(measure, rule)
    if whole is not None:
        yield from _check_integer_bands(intervals, whole, path, len(bands))
        return
    # continuous scores: consecutive intervals must meet exactly
    for i in range(1, len(intervals)):
        p_hi, p_inc = intervals[i - 1][2], intervals[i - 1][3]
        c_lo, c_inc = intervals[i][0], intervals[i][1]
        if c_lo > p_hi or (c_lo == p_hi and not p_inc and not c_inc):
            yield _d("band-gap", f"scores between {_fmt(p_hi)} and {_fmt(c_lo)} fall in no band "
                     "(this score can take fractional values)", f"{path}.bands[{i}]",
                     "Use only `max:` bounds so that consecutive bands meet.")
        elif c_lo < p_hi or (c_lo == p_hi and p_inc and c_inc):
            yield _d("band-overlap", f"bands {i} and {i + 1} overlap at {_fmt(c_lo)}",
                     f"{path}.bands[{i}]", "Make each band start after the previous one ends.")
    first, last = intervals[0], intervals[-1]
    if first[0] > lo or (first[0] == lo and not first[1]):
        yield _d("band-range", f"the lowest reachable score {_fmt(lo)} falls in no band",
                 f"{path}.bands[0]", "Lower or remove the first band's `min:`.")
    if last[2] < hi or (last[2] == hi and not last[3]):
        yield _d("band-range", f"the highest reachable score {_fmt(hi)} falls in no band",
                 f"{path}.bands[{len(bands) - 1}]", "Raise or remove the last band's `max:`.")


def _first_whole_after(x: float, inclusive: bool) -> float:
    """The smallest whole number not covered by an interval ending at ``x``."""
    if float(x).is_integer():
        return x + 1 if inclusive else x
    return float(math.ceil(x))


def _check_integer_bands(intervals: list[tuple[float, bool, float, bool]],
                         whole: tuple[float, float], path: str, n_bands: int
                         ) -> Iterator[Diagnostic]:
    """Band checks of a score that takes every whole number in ``whole``: analytic."""
    lo, hi = whole
    for i in range(1, len(intervals)):
        p_hi, p_inc = intervals[i - 1][2], intervals[i - 1][3]
        c_lo, c_inc = intervals[i][0], intervals[i][1]
        gap = _first_whole_after(p_hi, p_inc)
        if lo <= gap <= hi and (gap < c_lo or (gap == c_lo and not c_inc)):
            yield _d("band-gap", f"reachable score(s) {_fmt(gap)} fall in no band",
                     f"{path}.bands", "Widen a band so that consecutive bands meet.")
            return
        first = math.ceil(c_lo) if c_inc else _first_whole_after(c_lo, True)
        if lo <= first <= hi and (first < p_hi or (first == p_hi and p_inc)):
            yield _d("band-overlap", f"score {_fmt(first)} falls in bands {i} and {i + 1}",
                     f"{path}.bands[{i}]", "Make each band start after the previous one ends.")
            return
    if not _in(lo, intervals[0]):
        yield _d("band-range", f"the lowest reachable score {_fmt(lo)} falls in no band",
                 f"{path}.bands[0]", "Lower or remove the first band's `min:`.")
    if not _in(hi, intervals[-1]):
        yield _d("band-range", f"the highest reachable score {_fmt(hi)} falls in no band",
                 f"{path}.bands[{n_bands - 1}]", "Raise or remove the last band's `max:`.")


# ----------------------------------------------------------------------------- texts
def _text_fields(cls: type) -> tuple[list[str], list[str]]:
    """Names of the fields of a model class that hold Text, and that hold dicts of Text."""
    cache = _TEXT_FIELD_CACHE.get(cls)
    if cache is not None:
        return cache
    plain, mapped = [], []
    for name, info in cls.model_fields.items():  # type: ignore[attr-defined]
        ann = info.annotation
        if ann == Text or ann == typing.Optional[Text]:
            plain.append(name)
        elif typing.get_origin(ann) is dict and typing.get_args(ann)[1] == Text:
            mapped.append(name)
    _TEXT_FIELD_CACHE[cls] = (plain, mapped)
    return plain, mapped


_TEXT_FIELD_CACHE: dict[type, tuple[list[str], list[str]]] = {}


def _walk_texts(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        plain, mapped = _text_fields(type(obj))
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            alias = type(obj).model_fields[name].alias or name
            sub = f"{path}.{alias}" if path else alias
            if name in plain:
                if value is not None:
                    yield sub, value
            elif name in mapped:
                for k, v in (value or {}).items():
                    yield f"{sub}.{k}", v
            elif sub != "lock":  # the lock records each source as it is, untranslated
                yield from _walk_texts(value, sub)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_texts(v, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (BaseModel, list)):
                yield from _walk_texts(v, f"{path}.{k}")


# Invisible characters that have no place in questionnaire text: zero-width spaces and the
# word joiner family, the byte-order mark, and the direction embeddings, overrides and
# isolates (a right-to-left override shows the words after it reversed). The direction
# marks (U+200E, U+200F, U+061C) and the zero-width (non-)joiners that Arabic, Persian and
# Indic text need are not among them.
_HIDDEN_IN_TEXT = re.compile("[\u180e\u200b\u2060-\u2064\u202a-\u202e\u2066-\u2069\ufeff]")


def hidden_text_warnings(measure: Measure) -> Iterator[Diagnostic]:
    """``text-hidden-character`` warnings: each text of ``measure`` (every language) holding
    an invisible character that changes how it shows or is read aloud, located by path.
    """
    import unicodedata

    for path, value in _walk_texts(measure, ""):
        pairs = value.items() if isinstance(value, dict) else [("", value)]
        for lang, text in pairs:
            found = _HIDDEN_IN_TEXT.search(text) if isinstance(text, str) else None
            if found is None:
                continue
            char = found.group()
            where = f"{path}.{lang}" if lang else path
            yield _d("text-hidden-character",
                     f"the text holds {unicodedata.name(char, 'an invisible character')} "
                     f"(U+{ord(char):04X}) after {text[:found.start()][-20:]!r}: invisible, it "
                     "changes how the text shows or is read aloud", where,
                     CODES["text-hidden-character"].hint, "warning")


def _check_translations(measure: Measure) -> Iterator[Diagnostic]:
    langs = measure.all_languages
    declared = set(langs)
    multi = len(langs) > 1
    if measure.language not in declared:
        yield _d("undeclared-language", f"the default language {measure.language!r} is not in "
                 "`languages`", "languages", f"Add {measure.language!r} to `languages:`.")
    for path, value in _walk_texts(measure, ""):
        if isinstance(value, str):
            if multi:
                missing = [lang for lang in langs if lang != measure.language]
                yield _d("missing-translation", f"text has no {', '.join(missing)} translation",
                         path, f"Write it as a map: {{{', '.join(f'{x}: ...' for x in langs)}}}.")
            continue
        keys = set(value)
        for lang in langs:
            if lang not in keys:
                yield _d("missing-translation", f"text has no {lang!r} translation", path,
                         f"Add `{lang}: ...` to this text, or remove {lang!r} from `languages:`.")
        for lang in sorted(keys - declared):
            yield _d("undeclared-language", f"text has language {lang!r}, which the measure does "
                     "not declare", f"{path}.{lang}", f"Add {lang!r} to `languages:`.")


# ----------------------------------------------------------------------------- main check
def _check_item_irt(measure: Measure, item: Any, path: str) -> Iterator[Diagnostic]:
    scale = measure.scales[item.scale]
    irt = item.irt
    key = "b" if irt.b is not None else "d"
    if scale.type not in ("ordinal", "yesno", "numeric"):
        yield _d("irt-categories", f"item {item.id!r} has an irt block but its scale "
                 f"{item.scale!r} is {scale.type}", f"{path}.irt",
                 "IRT items need an ordinal, yes/no or numeric scale.")
        return
    n_cat = len(scored_values(measure, item.id))
    n_thr = len(irt.b if irt.b is not None else irt.d or [])
    if n_thr != n_cat - 1:
        yield _d("irt-categories", f"item {item.id!r} has {n_thr} thresholds in its irt block "
                 f"but {n_cat} scored options (needs {n_cat - 1})", f"{path}.irt.{key}",
                 f"Give {n_cat - 1} thresholds: one fewer than the options.")


def _check_irt_score(measure: Measure, rule: ScoreRule, used: list[str],
                     path: str) -> Iterator[Diagnostic]:
    if rule.method != "irt":
        yield _d("irt-score", f"score {rule.id!r} has `irt:` options but method "
                 f"{rule.method!r}", f"{path}.irt", "Use `method: irt` or remove `irt:`.")
        return
    bare = [i for i in used if measure.item(i).irt is None]
    if bare:
        yield _d("irt-score", f"score {rule.id!r} uses item(s) without an irt block: "
                 f"{', '.join(bare[:8])}", f"{path}.items",
                 "Calibrate the items (`measurelib calibrate`) or score them with `sum`.")
        return
    want = rule.irt.trait if rule.irt is not None else None
    traits = sorted({str(measure.item(i).irt.trait) for i in used})  # type: ignore[union-attr]
    if want is None and len(traits) > 1:
        yield _d("irt-score", f"score {rule.id!r} mixes items of traits {', '.join(traits)}",
                 f"{path}.items", "Score one trait per rule: select items by its tag, or "
                 "set `irt: {trait: ...}`.")
    elif want is not None and traits != [want]:
        yield _d("irt-score", f"score {rule.id!r} asks for trait {want!r} but its items "
                 f"measure {', '.join(traits)}", f"{path}.irt.trait",
                 "Select only that trait's items.")
    if rule.transform is not None:
        yield _d("irt-score", f"score {rule.id!r}: an irt score is on the bank's metric and "
                 "takes no transform", f"{path}.transform",
                 "Remove `transform:`; set the metric in `calibration.metric`.")
    if rule.missing.prorate:
        yield _d("irt-score", f"score {rule.id!r}: an irt score needs no prorating (skipped "
                 "answers are allowed)", f"{path}.missing.prorate", "Remove `prorate: true`.")
    if measure.calibration is None:
        yield _d("irt-score", f"score {rule.id!r} has no `calibration:` block, so its metric "
                 "is plain θ (mean 0, SD 1) and its provenance unknown", path,
                 "Add `calibration:` with the sample and `metric:` (e.g. T: mean 50, sd 10).",
                 "warning")


def check_measure(measure: Measure) -> list[Diagnostic]:  # noqa: C901 - the cross-reference checks of the format, one block per field
    """All cross-reference problems of a structurally valid measure (errors and warnings)."""
    out: list[Diagnostic] = []
    scale_ids = list(measure.scales)

    # scales
    for sid, scale in measure.scales.items():
        if scale.type in ("ordinal", "yesno"):
            seen: dict[float, int] = {}
            for j, opt in enumerate(scale.options):
                v = float(opt.value)
                if v in seen:
                    out.append(_d("duplicate-option-value", f"scale {sid!r} has value {_fmt(v)} "
                                  f"on options {seen[v] + 1} and {j + 1}",
                                  f"scales.{sid}.options[{j}].value",
                                  "Give each option its own value."))
                seen[v] = j
                if opt.graphic and opt.alt is None:
                    out.append(_d("graphic-without-alt", f"option {j + 1} of scale {sid!r} has a "
                                  "graphic but no alt text", f"scales.{sid}.options[{j}]",
                                  "Add `alt:` describing the picture.", "warning"))
        elif scale.type in ("numeric", "vas") and not scale.min < scale.max:
            out.append(_d("invalid-range", f"scale {sid!r}: min {scale.min} is not below max "
                          f"{scale.max}", f"scales.{sid}", "Swap or correct the bounds."))

    # items
    item_ids: dict[str, int] = {}
    columns: dict[str, str] = {}
    for i, item in enumerate(measure.items):
        path = f"items[{i}]"
        if item.id in item_ids:
            out.append(_d("duplicate-id", f"item id {item.id!r} is used by items "
                          f"{item_ids[item.id] + 1} and {i + 1}", f"{path}.id",
                          "Give each item a unique id."))
        item_ids.setdefault(item.id, i)
        if item.scale not in measure.scales:
            out.append(_d("unknown-scale", f"item {item.id!r} uses scale {item.scale!r}, which is "
                          "not declared", f"{path}.scale",
                          _unknown_hint(item.scale, scale_ids, "scales")))
        elif item.reverse and not measure.scales[item.scale].is_ordered:
            out.append(_d("reverse-non-ordinal", f"item {item.id!r} is reversed but its scale "
                          f"{item.scale!r} is {measure.scales[item.scale].type}",
                          f"{path}.reverse", "Remove `reverse: true`, or use an ordinal scale."))
        if item.irt is not None and item.scale in measure.scales:
            out.extend(_check_item_irt(measure, item, path))
        if item.graphic and item.alt is None:
            out.append(_d("graphic-without-alt", f"item {item.id!r} has a graphic but no alt text",
                          f"{path}.graphic", "Add `alt:` describing the picture.", "warning"))
        for j, fu in enumerate(item.follow_up):
            if fu.scale not in measure.scales:
                out.append(_d("unknown-scale", f"follow-up {fu.id!r} of item {item.id!r} uses "
                              f"undeclared scale {fu.scale!r}", f"{path}.follow_up[{j}].scale",
                              _unknown_hint(fu.scale, scale_ids, "scales")))
            if fu.when is not None and fu.when.item not in (None, item.id):
                out.append(_d("invalid-condition", f"a follow-up's condition must test its own "
                              f"item {item.id!r}, not {fu.when.item!r}",
                              f"{path}.follow_up[{j}].when.item", f"Use `item: {item.id}`."))
        gen = [*item.columns(), *(f"{item.id}_{fu.id}" for fu in item.follow_up)]
        if item.personalised is not None:
            gen += [f"{c}_text" for c in item.columns()]
        for col in gen:
            if col in columns and columns[col] != item.id:
                out.append(_d("duplicate-id", f"response column {col!r} of item {item.id!r} "
                              f"clashes with item {columns[col]!r}", f"{path}.id",
                              "Rename one of the items."))
            columns.setdefault(col, item.id)
        if item.text is None and measure.licence.text_redistribution == "allowed" \
                and measure.lock is None:
            out.append(_d("missing-field", f"item {item.id!r} has no text", f"{path}",
                          "Add `text:`; only measures whose licence forbids redistribution "
                          "may omit it.", "warning"))
    all_tags = {t for it in measure.items for t in it.tags}
    if measure.compose:
        # An unbuilt composer: scores and alerts may refer to items it takes from other
        # measures; `measurelib build` checks them on the flat, built measure.
        out.extend(_check_translations(measure))
        out.extend(hidden_text_warnings(measure))
        return out

    # scores
    score_ids: dict[str, int] = {}
    for i, rule in enumerate(measure.scores):
        path = f"scores[{i}]"
        if rule.id in score_ids:
            out.append(_d("duplicate-id", f"score id {rule.id!r} is used twice", f"{path}.id",
                          "Give each score a unique id."))
        score_ids.setdefault(rule.id, i)
        problems_before = len(out)
        stem = rule.id[:-3] if rule.id.endswith("_se") else None
        if stem is not None and any(r.id == stem and r.method == "irt" for r in measure.scores):
            out.append(_d("duplicate-id", f"score id {rule.id!r} clashes with the standard "
                          f"error of IRT score {stem!r}, written as {rule.id!r}", f"{path}.id",
                          "Rename the score."))
        if isinstance(rule.items, list):
            for j, item_id in enumerate(rule.items):
                if item_id not in item_ids:
                    out.append(_d("unknown-item", f"score {rule.id!r} uses item {item_id!r}, which "
                                  "does not exist", f"{path}.items[{j}]",
                                  _unknown_hint(item_id, item_ids, "items")))
            counts = Counter(rule.items)
            dup = [x for x, n in counts.items() if n > 1]
            for x in dup:
                out.append(_d("duplicate-id", f"score {rule.id!r} lists item {x!r} twice",
                              f"{path}.items", "List each item once."))
        elif isinstance(rule.items, dict):
            for j, tag in enumerate(rule.items.get("tags", [])):
                if tag not in all_tags:
                    out.append(_d("unknown-tag", f"score {rule.id!r} selects tag {tag!r}, which no "
                                  "item carries", f"{path}.items.tags[{j}]",
                                  _unknown_hint(tag, all_tags, "tags")))
        if len(out) > problems_before:
            continue
        used = measure.score_items(rule)
        if not used:
            out.append(_d("score-no-items", f"score {rule.id!r} selects no items", f"{path}.items",
                          "List items, use `all`, or a tag that items carry."))
            continue
        bad_scale = False
        for item_id in used:
            maybe_scale = measure.scales.get(measure.item(item_id).scale)
            if maybe_scale is None:
                bad_scale = True
            elif not maybe_scale.is_numeric:
                out.append(_d("score-non-numeric-item", f"score {rule.id!r} uses free-text item "
                              f"{item_id!r}", f"{path}.items", "Remove it from the score."))
                bad_scale = True
        if bad_scale:
            continue
        n_cols = len(measure.score_columns(rule))
        if rule.missing.max_missing >= n_cols:
            out.append(_d("max-missing-too-large", f"score {rule.id!r} allows {rule.missing.max_missing}"
                          f" missing of {n_cols} items", f"{path}.missing.max_missing",
                          f"Use at most {n_cols - 1}."))
            continue
        if rule.method == "weighted_sum":
            w = rule.weights or {}
            if set(w) != set(used):
                missing = sorted(set(used) - set(w))
                extra = sorted(set(w) - set(used))
                msg = []
                if missing:
                    msg.append(f"no weight for {', '.join(missing)}")
                if extra:
                    msg.append(f"weights for items not in the score: {', '.join(extra)}")
                out.append(_d("weights-mismatch", f"score {rule.id!r}: {'; '.join(msg)}",
                              f"{path}.weights", "Give one weight per item of the score."))
                continue
        elif rule.weights is not None:
            out.append(_d("invalid-value", f"score {rule.id!r} has weights but method "
                          f"{rule.method!r}", f"{path}.weights", "Use `method: weighted_sum`."))
        if rule.method == "irt" or rule.irt is not None:
            problems = list(_check_irt_score(measure, rule, used, path))
            out.extend(problems)
            if any(p.severity == "error" for p in problems):
                continue
        if rule.method == "value_set":
            if rule.value_set is None:
                out.append(_d("missing-field", f"score {rule.id!r} uses method value_set but has no "
                              "`value_set`", path, "Add a `value_set:` block."))
                continue
            if rule.value_set.table is not None and rule.value_set.table not in measure.tables:
                out.append(_d("unknown-table", f"value set table {rule.value_set.table!r} is not "
                              "declared", f"{path}.value_set.table",
                              _unknown_hint(rule.value_set.table, measure.tables, "tables")))
                continue
            for key in rule.value_set.decrements:
                if key not in item_ids:
                    out.append(_d("unknown-item", f"value set decrements name unknown item {key!r}",
                                  f"{path}.value_set.decrements.{key}",
                                  _unknown_hint(key, item_ids, "items")))
        if rule.transform is not None and isinstance(rule.transform.table, str) \
                and rule.transform.table not in measure.tables:
            out.append(_d("unknown-table", f"score {rule.id!r} uses table "
                          f"{rule.transform.table!r}, which is not declared",
                          f"{path}.transform.table",
                          _unknown_hint(rule.transform.table, measure.tables, "tables")))
            continue
        table = _table(measure, rule)
        if table is not None:
            raw = raw_reachable(measure, rule)
            if raw is not None:
                missing_raw = sorted(v for v in raw if v not in table)
                if missing_raw:
                    shown = ", ".join(_fmt(v) for v in missing_raw[:8])
                    more = f" and {len(missing_raw) - 8} more" if len(missing_raw) > 8 else ""
                    hint = "Add rows for them."
                    if any(not float(v).is_integer() for v in missing_raw):
                        hint += (" Prorated sums can be fractional: set "
                                 "`missing.round_prorated: true` or turn prorating off.")
                    out.append(_d("table-missing-value", f"score {rule.id!r}: the lookup table "
                                  f"has no row for raw score(s) {shown}{more}",
                                  f"{path}.transform.table", hint))
                    continue
        out.extend(_check_bands(measure, rule, path))
        if rule.reliable_change is not None and rule.higher_is_better is None:
            out.append(_d("missing-field", f"score {rule.id!r} declares reliable change but not "
                          "`higher_is_better`", path, "Add `higher_is_better: true` or `false`.",
                          "warning"))

    # alerts
    alert_ids: set[str] = set()
    for i, alert in enumerate(measure.alerts):
        path = f"alerts[{i}]"
        if alert.id in alert_ids:
            out.append(_d("duplicate-id", f"alert id {alert.id!r} is used twice", f"{path}.id",
                          "Give each alert a unique id."))
        alert_ids.add(alert.id)
        cond = alert.when
        if cond.item is not None and cond.item not in item_ids:
            out.append(_d("unknown-item", f"alert {alert.id!r} tests item {cond.item!r}, which does "
                          "not exist", f"{path}.when.item", _unknown_hint(cond.item, item_ids, "items")))
        if cond.score is not None and cond.score not in score_ids:
            out.append(_d("unknown-score", f"alert {alert.id!r} tests score {cond.score!r}, which "
                          "does not exist", f"{path}.when.score",
                          _unknown_hint(cond.score, score_ids, "scores")))

    out.extend(_check_translations(measure))
    out.extend(hidden_text_warnings(measure))
    return out
