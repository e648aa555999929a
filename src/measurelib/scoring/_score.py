"""Scoring: response data in, scores, bands and alerts out.

>>> import measurelib as ml, pandas as pd
>>> phq9 = ml.load("phq-9")
>>> df = pd.DataFrame({"id": ["a", "b"], "Q1": [0, 3], "Q2": [1, 3], "Q3": [0, 3],
...                    "Q4": [1, 3], "Q5": [0, 3], "Q6": [0, 3], "Q7": [0, 3], "Q8": [0, 3],
...                    "Q9": [0, 1]})
>>> res = phq9.score(df)
>>> res.scores[["id", "total", "total_band", "alerts"]].values.tolist()
[['a', 2.0, 'None-minimal', ''], ['b', 25.0, 'Severe', 'self_harm_thoughts']]
>>> print(res.account.summary())
rows: 2 in, 2 scored, 0 rejected
cells treated as missing: 0

Scoring is a pure function of the rows given, vectorised with NumPy over whole columns:
it scales to millions of rows in memory, to larger files in chunks
(``measurelib score --chunksize``) and to clusters with :func:`score_partitions`.
``docs/scoring.md`` gives the formulas and the policies.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from measurelib._results import Result, to_jsonable
from measurelib.compose import as_measure
from measurelib.definition import Measure, band_intervals, scored_values
from measurelib.errors import CODES, DefinitionError, Diagnostic, Location
from measurelib.scoring._validate import (
    ON_INVALID,
    OnInvalid,
    ValidationResult,
    validate_responses,
)
from measurelib.scoring._values import _ROUND, item_value_map, scored_item_values

if TYPE_CHECKING:
    from measurelib.definition import Measure, ScoreRule

__all__ = [
    "ScoreAccount",
    "ScoreResult",
    "ValidationResult",
    "output_columns",
    "score",
    "score_partitions",
    "score_spark",
    "validate_responses",
]

_EPS = 1e-9


# ----------------------------------------------------------------------------- results
class ScoreAccount(Result):
    """Where every row and cell went: rows in = rows scored + rows rejected, always.

    Attributes
    ----------
    rows_in, rows_scored, rows_rejected : int
        Rows read, rows in ``.scores`` and rows in ``.rejected``.
    rejected_reasons : dict
        Problems that caused rejection, by reason code (a row can have several).
    cells_missing : int
        Response cells treated as missing.
    missing_reasons : dict
        Those cells by reason: ``blank``, ``missing-option`` (an answer such as "Don't
        know" flagged ``missing: true``), and with ``on_invalid="missing"`` the codes of the
        invalid values that were set to missing.
    scores : dict
        Per score id: ``computed`` (rows with a score), ``not_computed`` (too many missing
        answers; the row is still in ``.scores`` with an empty score), ``prorated``.
    alerts : dict
        Per alert id, rows where it fired (scored and rejected rows alike).
    """

    rows_in: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    rejected_reasons: dict[str, int] = {}
    cells_missing: int = 0
    missing_reasons: dict[str, int] = {}
    scores: dict[str, dict[str, int]] = {}
    alerts: dict[str, int] = {}

    @property
    def balanced(self) -> bool:
        """True when rows in = rows scored + rows rejected."""
        return self.rows_in == self.rows_scored + self.rows_rejected

    def __add__(self, other: ScoreAccount) -> ScoreAccount:
        """The account of two batches of rows scored separately (e.g. chunks of a file)."""
        if not isinstance(other, ScoreAccount):
            return NotImplemented

        def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            out = dict(a)
            for k, v in b.items():
                out[k] = out.get(k, 0) + v
            return out

        scores = {k: dict(v) for k, v in self.scores.items()}
        for k, v in other.scores.items():
            scores[k] = add(scores.get(k, {}), v)
        return ScoreAccount(
            rows_in=self.rows_in + other.rows_in,
            rows_scored=self.rows_scored + other.rows_scored,
            rows_rejected=self.rows_rejected + other.rows_rejected,
            rejected_reasons=add(self.rejected_reasons, other.rejected_reasons),
            cells_missing=self.cells_missing + other.cells_missing,
            missing_reasons=add(self.missing_reasons, other.missing_reasons),
            scores=scores,
            alerts=add(self.alerts, other.alerts),
        )

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        rows = [("rows", "in", self.rows_in), ("rows", "scored", self.rows_scored),
                ("rows", "rejected", self.rows_rejected)]
        rows += [("rejected", k, v) for k, v in sorted(self.rejected_reasons.items())]
        rows += [("missing", k, v) for k, v in sorted(self.missing_reasons.items())]
        for sid, d in self.scores.items():
            rows += [(f"score {sid}", k, v) for k, v in d.items()]
        rows += [("alert", k, v) for k, v in self.alerts.items()]
        return pd.DataFrame(rows, columns=["what", "detail", "n"])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"rows: {self.rows_in} in, {self.rows_scored} scored, "
                 f"{self.rows_rejected} rejected"]
        if self.rejected_reasons:
            lines.append("  rejected because of: " + ", ".join(
                f"{k} ({v})" for k, v in sorted(self.rejected_reasons.items())))
        lines.append(f"cells treated as missing: {self.cells_missing}" + (
            " (" + ", ".join(f"{k} {v}" for k, v in sorted(self.missing_reasons.items())) + ")"
            if self.missing_reasons else ""))
        return "\n".join(lines)


class ScoreResult(Result):
    """Scores of a batch of administrations.

    Attributes
    ----------
    measure_id, measure_version : str
        The measure scored.
    scores : pandas.DataFrame
        One row per scored administration (the input's index): the pass-through columns,
        then per score rule ``<id>``, ``<id>_band`` (when bands are declared),
        ``<id>_n_missing`` and, for value sets, ``<id>_value_set``; the item scores of a
        profile measure; validated follow-up columns; and ``alerts`` (ids of the alert
        rules that fired, separated by ``;``, empty when none).
    rejected : pandas.DataFrame
        One line per problem of each row not scored: ``row`` (spreadsheet row number,
        header = row 1), ``column``, ``reason``, ``message``, the pass-through columns and
        ``alerts`` (alerts are evaluated on the valid answers of rejected rows too).
    account : ScoreAccount
        Rows in, scored, rejected, cells treated as missing, with reasons.
    diagnostics : list of Diagnostic
        Cells treated as missing because they were invalid, and other notes.
    value_sets : dict
        Per value-set score, ``{"id": ..., "version": ...}`` of the value set used.
    options : dict
        The options used (``on_invalid``, ``lang``, ``columns``).
    column_map : dict
        Response column → data heading, as matched.
    """

    measure_id: str
    measure_version: str
    scores: Any
    rejected: Any
    account: ScoreAccount
    diagnostics: list[Any] = []
    value_sets: dict[str, dict[str, str]] = {}
    options: dict[str, Any] = {}
    column_map: dict[str, str] = {}
    score_ids: list[str] = []

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.scores

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "measure": {"id": self.measure_id, "version": self.measure_version},
            "options": to_jsonable(self.options),
            "account": self.account.to_dict(),
            "statistics": self.statistics(),
            "value_sets": self.value_sets,
            "column_map": self.column_map,
            "scores": to_jsonable(self.scores),
            "rejected": to_jsonable(self.rejected),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    def statistics(self) -> dict[str, Any]:
        """Per score: n, mean, sd, min, max, band counts; alerts fired (aggregates only)."""
        out: dict[str, Any] = {}
        frame = self.scores
        for sid in self.score_ids:
            col = frame[sid]
            vals = col.to_numpy(dtype=np.float64, na_value=np.nan)
            ok = vals[~np.isnan(vals)]
            d: dict[str, Any] = {"n": int(ok.size)}
            if ok.size:
                d.update(mean=float(ok.mean()), sd=float(ok.std(ddof=1)) if ok.size > 1 else None,
                         min=float(ok.min()), max=float(ok.max()))
            band = f"{sid}_band"
            if band in frame.columns:
                counts = frame[band].value_counts(sort=False, dropna=True)
                d["bands"] = {str(k): int(v) for k, v in counts.items()}
            out[sid] = d
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"{self.measure_id} {self.measure_version}", self.account.summary()]
        for sid, d in self.statistics().items():
            if d["n"]:
                sd = "–" if d.get("sd") is None else f"{d['sd']:.2f}"
                lines.append(f"{sid}: n={d['n']} mean={d['mean']:.2f} sd={sd} "
                             f"min={d['min']:g} max={d['max']:g}")
            else:
                lines.append(f"{sid}: n=0")
            if d.get("bands"):
                lines.append("  bands: " + ", ".join(f"{k} {v}" for k, v in d["bands"].items()))
        if self.account.alerts:
            lines.append("alerts fired: " + ", ".join(
                f"{k} {v}" for k, v in self.account.alerts.items()))
        else:
            lines.append("alerts fired: 0")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers
def round_half_away(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round half away from zero (2.5 → 3, −2.5 → −3), as scoring manuals do."""
    f = 10.0 ** decimals
    return np.asarray(np.sign(x) * np.floor(np.abs(x) * f + 0.5 + _EPS) / f)


def _table_of(measure: Measure, table: Any) -> dict[float, float]:
    if isinstance(table, str):
        table = measure.tables.get(table, {})
    return {float(k): float(v) for k, v in table.items()}


def _lookup(values: np.ndarray, table: dict[float, float], *, what: str, rule_id: str,
            rows: np.ndarray, code: str, measure: Measure) -> np.ndarray:
    keys = np.array(sorted(table))
    outs = np.array([table[k] for k in keys])
    r = np.round(values, _ROUND)
    idx = np.clip(np.searchsorted(keys, r), 0, max(len(keys) - 1, 0))
    ok = np.isnan(r)
    hit = keys[idx] == r if len(keys) else np.zeros(len(r), dtype=bool)
    bad = ~hit & ~ok
    if bad.any():
        pos = np.flatnonzero(bad)
        missing_vals = sorted({float(v) for v in r[pos]})
        shown = ", ".join(_fmt(v) for v in missing_vals[:8])
        more = f" and {len(missing_vals) - 8} more" if len(missing_vals) > 8 else ""
        row_list = ", ".join(str(int(x)) for x in rows[pos[:10]])
        raise DefinitionError([Diagnostic(
            code, f"score {rule_id!r} of {measure.id}: the {what} has no row for "
            f"{shown}{more} (data rows {row_list}{' ...' if pos.size > 10 else ''})",
            "Add the missing rows to the table in the definition.",
            Location(path=f"scores[{rule_id}]"))])
    out = np.full(len(r), np.nan)
    if len(keys):
        out[hit] = outs[idx[hit]]
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# ----------------------------------------------------------------------------- engine
class _Computed:
    __slots__ = ("band", "n_missing", "prorated", "se", "value", "value_set")

    def __init__(self) -> None:
        self.value: np.ndarray | None = None
        self.se: np.ndarray | None = None
        self.n_missing: np.ndarray | None = None
        self.band: Any = None
        self.value_set: str | None = None
        self.prorated = 0


# rows per block: the block's sums stay in the CPU's cache while each column's block is
# added (measured: 32,768 rows take 0.75x the time of 8,192 for 14 columns; fewer blocks
# also mean fewer gathers of the rows with a missing answer)
_BLOCK = 1 << 15


def _linear_sum(terms: list[tuple[np.ndarray, float]], const: float, n: int,
                block: int = _BLOCK) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """``const + Σ coef × column`` block by block, NaN-propagating.

    Returns the sums, the positions of the rows whose sum is NaN (a missing answer) and,
    for each term, its values on those rows, gathered while the block is in the cache.
    """
    out = np.empty(n)
    size = min(n, block)
    tmp = np.empty(size)
    nan = np.empty(size, dtype=bool)
    subs: list[np.ndarray] = []
    gathered: list[list[np.ndarray]] = [[] for _ in terms]
    for s in range(0, n, block):
        e = min(n, s + block)
        acc = out[s:e]
        acc.fill(const)
        for arr, coef in terms:
            b = arr[s:e]
            if coef == 1.0:
                np.add(acc, b, out=acc)
            elif coef == -1.0:
                np.subtract(acc, b, out=acc)
            else:
                t = tmp[: e - s]
                np.multiply(b, coef, out=t)
                np.add(acc, t, out=acc)
        m = nan[: e - s]
        np.isnan(acc, out=m)
        if m.any():
            loc = np.flatnonzero(m)
            subs.append(loc + s)
            for j, (arr, _coef) in enumerate(terms):
                gathered[j].append(arr[s:e][loc])
    if not subs:
        return out, np.empty(0, dtype=np.intp), [np.empty(0) for _ in terms]
    return out, np.concatenate(subs), [np.concatenate(g) for g in gathered]


def _general(rule: ScoreRule, columns: list[tuple[np.ndarray, float, bool]],
             n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum/mean/weighted score of rows that may have missing answers.

    ``columns`` holds (scored values, weight, optional) per column. Returns the raw score
    (NaN where not computed), the missing count, the computed mask and the prorated mask.
    """
    weighted = rule.method == "weighted_sum"
    total = np.zeros(n)
    answered = np.zeros(n, dtype=np.int64)
    expected = np.zeros(n, dtype=np.int64)
    w_answered = np.zeros(n)
    w_expected = np.zeros(n)
    for v, w, is_opt in columns:
        m = ~np.isnan(v)
        answered += m
        aw = abs(w)
        if is_opt:
            expected += m
            if weighted:
                w_expected += m * aw
        else:
            expected += 1
            if weighted:
                w_expected += aw
        if weighted:
            w_answered += m * aw
            total += np.where(m, v * w, 0.0)
        else:
            total += np.where(m, v, 0.0)
    n_missing = expected - answered
    ok = (n_missing <= rule.missing.max_missing) & (answered > 0)
    prorated = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        if rule.method == "mean":
            value = total / answered
        else:
            value = total
            if rule.missing.prorate:
                prorated = ok & (n_missing > 0)
                if prorated.any():
                    factor = w_expected / w_answered if weighted else expected / answered
                    pro = total * factor
                    if rule.missing.round_prorated:
                        pro = np.floor(pro + 0.5 + _EPS)
                    value = np.where(prorated, pro, value)
    value = np.where(ok, value, np.nan)
    return value, n_missing, ok, prorated


def _compute_rule(measure: Measure, rule: ScoreRule, raw: dict[str, np.ndarray], n: int,
                  rows: np.ndarray, optional: set[str]) -> _Computed:
    out = _Computed()
    cols = measure.score_columns(rule)
    item_of: dict[str, str] = {}
    for item_id in measure.score_items(rule):
        for c in measure.item(item_id).columns():
            item_of[c] = item_id
    if rule.method == "irt":
        return _irt_rule(measure, rule, raw, n, cols, item_of)
    if rule.method == "value_set":
        answered = np.zeros(n, dtype=np.int64)
        expected = 0
        for c in cols:
            v = raw.get(c)
            if v is not None:
                answered += ~np.isnan(v)
            if c not in optional:
                expected += 1
        n_missing = expected - answered
        ok = n_missing == 0
        value = _value_set_index(measure, rule, raw, cols, item_of, ok, n, rows)
        vs = rule.value_set
        out.value_set = f"{vs.id} {vs.version}" if vs is not None else None
    else:
        weights = rule.weights or {}
        weighted = rule.method == "weighted_sum"
        # per column: the raw array with coef/constant (reverse folded in), or mapped values
        terms: list[tuple[np.ndarray, float]] = []
        info: list[tuple[float, float | None, bool]] = []  # weight, lo + hi if reversed, optional
        const = 0.0
        for c in cols:
            v = raw.get(c)
            if v is None:  # an absent optional column (e.g. goal_3): nothing to add
                continue
            item_id = item_of[c]
            w = float(weights.get(item_id, 1.0)) if weighted else 1.0
            mapping, reverse = item_value_map(measure, item_id)
            if mapping is not None:
                terms.append((scored_item_values(measure, item_id, v), w))
                info.append((w, None, c in optional))
            elif reverse:
                lo, hi = _scale_ends(measure, item_id)
                terms.append((v, -w))
                const += w * (lo + hi)
                info.append((w, lo + hi, c in optional))
            else:
                terms.append((v, w))
                info.append((w, None, c in optional))
        k = sum(1 for _w, _r, o in info if not o)
        n_missing = np.zeros(n, dtype=np.int64)
        prorated_n = 0
        if terms:
            total, sub, gathered = _linear_sum(terms, const, n)
            if rule.method == "mean":
                total /= len(terms)
        else:
            total, sub, gathered = np.full(n, np.nan), np.arange(n), []
        # rows with any missing answer (NaN in the plain sum) take the general path
        if sub.size:
            if not gathered:
                value_s = np.full(sub.size, np.nan)
                nm_s = np.full(sub.size, k, dtype=np.int64)
                pro_s = np.zeros(sub.size, dtype=bool)
            else:
                columns = [((lohi - g) if lohi is not None else g, w, o)
                           for g, (w, lohi, o) in zip(gathered, info)]
                value_s, nm_s, _ok_s, pro_s = _general(rule, columns, sub.size)
            total[sub] = value_s
            n_missing[sub] = nm_s
            prorated_n = int(np.count_nonzero(pro_s))
        value = total
        out.prorated = prorated_n
    tr = rule.transform
    if tr is not None:
        if tr.table is not None:
            value = _lookup(value, _table_of(measure, tr.table), what="lookup table",
                            rule_id=rule.id, rows=rows, code="table-missing-value",
                            measure=measure)
        elif tr.linear is not None:
            value = value * float(tr.linear.multiply) + float(tr.linear.add)
        if tr.decimals is not None:
            value = round_half_away(value, tr.decimals)
    out.value = value
    out.n_missing = n_missing
    return out


def _categories(measure: Measure, item_id: str, scored: np.ndarray) -> np.ndarray:
    """Scored answers as the categories ``0..K-1`` of the item's irt block (NaN: none)."""
    vals = np.asarray(scored_values(measure, item_id), dtype=np.float64)
    idx = np.clip(np.searchsorted(vals, np.round(scored, _ROUND)), 0, len(vals) - 1)
    return np.where(np.isclose(vals[idx], scored), idx.astype(np.float64), np.nan)


def _irt_rule(measure: Measure, rule: ScoreRule, raw: dict[str, np.ndarray], n: int,
              cols: list[str], item_of: dict[str, str]) -> _Computed:
    """A ``method: irt`` score: EAP (pattern or summed score) on the bank's metric.

    Answers become the categories of the items' ``irt`` blocks (scored values, after recode
    and reverse); skipped answers are allowed (unless the rule declares a ``missing:``
    policy, which then applies), a row with no answer has no score.
    """
    from measurelib.psychometrics import measure_bank

    out = _Computed()
    item_ids = [item_of[c] for c in cols]
    bank = measure_bank(measure, item_ids)
    frame = pd.DataFrame({
        item_id: _categories(measure, item_id, scored_item_values(measure, item_id, raw[c]))
        if c in raw else np.full(n, np.nan)
        for c, item_id in zip(cols, item_ids)})
    n_missing = frame.isna().sum(axis=1).to_numpy(dtype=np.int64)
    options = rule.irt
    estimator = options.estimator if options is not None else "EAP"
    complete = not n_missing.any()
    if complete:
        frame = frame.astype(np.int64)
    est = bank.scores(frame, method="EAPsum" if estimator == "EAP_sum" else "EAP")
    theta = est["theta"].to_numpy(dtype=np.float64)
    se = est["se"].to_numpy(dtype=np.float64)
    metric = measure.calibration.metric if measure.calibration is not None else None
    mean, sd = (metric.mean, metric.sd) if metric is not None else (0.0, 1.0)
    value = mean + sd * theta
    se = sd * se
    ok = n_missing < len(cols)
    if "missing" in rule.model_fields_set:
        ok &= n_missing <= rule.missing.max_missing
    out.value = np.where(ok, value, np.nan)
    out.se = np.where(ok, se, np.nan)
    out.n_missing = n_missing
    return out


def _scale_ends(measure: Measure, item_id: str) -> tuple[float, float]:
    vals = measure.scale_of(item_id).values()
    return float(vals[0]), float(vals[-1])


def _value_set_index(measure: Measure, rule: ScoreRule, raw: dict[str, np.ndarray],
                     cols: list[str], item_of: dict[str, str], ok: np.ndarray, n: int,
                     rows: np.ndarray) -> np.ndarray:
    vs = rule.value_set
    if vs is None:  # pragma: no cover - the checks require it
        raise DefinitionError(f"score {rule.id!r} has method value_set but no value_set")
    if vs.table is not None:
        state = np.zeros(n)
        for c in cols:
            v = raw.get(c)
            if v is None:
                return np.full(n, np.nan)
            state = state * 10 + np.where(np.isnan(v), 0, v)
        state = np.where(ok, state, np.nan)
        return _lookup(state, _table_of(measure, vs.table), what=f"value set {vs.id} "
                       f"{vs.version} table (health state)", rule_id=rule.id, rows=rows,
                       code="table-missing-value", measure=measure)
    index = np.full(n, float(vs.constant))
    for c in cols:
        v = raw.get(c)
        if v is None:
            return np.full(n, np.nan)
        dec = vs.decrements.get(item_of[c])
        if not dec:
            continue
        table = {float(k): float(x) for k, x in dec.items()}
        keys = np.array(sorted(table))
        vals = np.array([table[k] for k in keys])
        r = np.round(v, _ROUND)
        idx = np.clip(np.searchsorted(keys, r), 0, len(keys) - 1)
        hit = keys[idx] == r
        index += np.where(hit, vals[idx], 0.0)
    # the sum of decimal decrements carries binary rounding noise (1 - 1.285 is
    # -0.28500000000000014): round it away, as the value set's own tables show
    return np.where(ok, np.round(index, _ROUND), np.nan)


def _band_codes(rule: ScoreRule, value: np.ndarray) -> np.ndarray:
    """Index of the band of each value (-1: none, or no score), as band_intervals defines."""
    iv = band_intervals(list(rule.bands))
    contiguous = all(iv[i][0] == iv[i - 1][2] and iv[i][1] != iv[i - 1][3]
                     for i in range(1, len(iv)))
    with np.errstate(invalid="ignore"):
        if contiguous and len(iv) < 127:
            # a value lies above an inclusive upper edge e when v > e + eps, above an
            # exclusive one when v >= e - eps: the band index counts the edges passed
            codes = np.zeros(len(value), dtype=np.int8)
            for _lo, _li, hi, hi_inc in iv[:-1]:
                codes += (value > hi + _EPS) if hi_inc else (value > hi - _EPS)
            lo, lo_inc, hi, hi_inc = iv[0][0], iv[0][1], iv[-1][2], iv[-1][3]
            outside = np.isnan(value)
            if math.isfinite(lo):
                outside |= (value < lo - _EPS) if lo_inc else (value <= lo + _EPS)
            if math.isfinite(hi):
                outside |= (value > hi + _EPS) if hi_inc else (value >= hi - _EPS)
            codes[outside] = -1
            return codes
        codes = np.full(len(value), -1, dtype=np.int64)
        for i, (lo, lo_inc, hi, hi_inc) in enumerate(iv):
            above = (value >= lo - _EPS) if lo_inc else (value > lo + _EPS)
            below = (value <= hi + _EPS) if hi_inc else (value < hi - _EPS)
            codes[above & below & (codes == -1)] = i
        return codes


def _bands(measure: Measure, rule: ScoreRule, value: np.ndarray, lang: str) -> Any:
    labels = [measure.text(b.label, lang) or "" for b in rule.bands]
    codes = _band_codes(rule, value)
    if len(set(labels)) == len(labels):
        return pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    arr = np.array(labels + [None], dtype=object)
    return arr[codes]


def _condition(cond: Any, raw: dict[str, np.ndarray], values: dict[str, np.ndarray],
               measure: Measure, n: int) -> np.ndarray:
    if cond.item is not None:
        arrays = [raw[c] for c in measure.item(cond.item).columns() if c in raw]
    else:
        arrays = [values[cond.score]] if cond.score in values else []
    fired = np.zeros(n, dtype=bool)
    for v in arrays:
        with np.errstate(invalid="ignore"):
            if cond.op == "answered":
                m = ~np.isnan(v)
            elif cond.op == "in":
                m = np.isin(np.round(v, _ROUND), [float(x) for x in cond.value])
            else:
                x = float(cond.value)
                m = {"gt": v > x, "ge": v >= x, "lt": v < x, "le": v <= x,
                     "eq": np.isclose(v, x, rtol=0, atol=_EPS),
                     "ne": ~np.isclose(v, x, rtol=0, atol=_EPS) & ~np.isnan(v)}[cond.op]
        fired |= m
    return fired


def _alert_strings(masks: list[tuple[str, np.ndarray]], n: int) -> Any:
    """The ``alerts`` column: fired alert ids joined by ``;`` ("" when none), categorical."""
    if not masks:
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""])
    if len(masks) > 30:
        out = np.full(n, "", dtype=object)
        for aid, m in masks:
            out[m] = np.where(out[m] == "", aid, out[m] + ";" + aid)
        return pd.Categorical(out)
    code = np.zeros(n, dtype=np.int64)
    for i, (_aid, m) in enumerate(masks):
        code |= m.astype(np.int64) << i
    present = np.unique(code) if n else np.zeros(1, dtype=np.int64)
    if 0 not in present:
        present = np.concatenate([[0], present])
    labels = [";".join(aid for i, (aid, _m) in enumerate(masks) if c >> i & 1) for c in present]
    return pd.Categorical.from_codes(np.searchsorted(present, code), categories=labels)


def output_columns(measure: Measure, passthrough: list[Any] | None = None) -> list[str]:
    """Names of the columns :func:`score` adds (after the pass-through columns), in order."""
    cols: list[str] = []
    for rule in measure.scores:
        cols.append(rule.id)
        if rule.method == "irt" and (rule.irt is None or rule.irt.se):
            cols.append(f"{rule.id}_se")
        if rule.bands:
            cols.append(f"{rule.id}_band")
        cols.append(f"{rule.id}_n_missing")
        if rule.method == "value_set":
            cols.append(f"{rule.id}_value_set")
    cols.extend(_profile_items(measure))
    for item in measure.items:
        for fu in item.follow_up:
            scale = measure.scales.get(fu.scale)
            if scale is not None and scale.is_numeric:
                cols.append(f"{item.id}_{fu.id}")
    cols.append("alerts")
    return cols


def _profile_items(measure: Measure) -> list[str]:
    if not measure.profile:
        return []
    score_ids = {r.id for r in measure.scores}
    out = []
    for item in measure.items:
        scale = measure.scales.get(item.scale)
        if scale is None or not scale.is_numeric or item.personalised is not None:
            continue
        if item.id not in score_ids:
            out.append(item.id)
    return out


def _as_measure(measure: Any) -> Measure:
    # Scores come from a locked definition: a composer must be built (and its lock
    # recorded) before scoring, so it is not built here (``measure-not-built``).
    return as_measure(measure, build=False, caller="score(measure=...)")


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (list, tuple)) and all(isinstance(r, dict) for r in data):
        return pd.DataFrame(list(data))
    if isinstance(data, dict):
        return pd.DataFrame({k: (v if isinstance(v, (list, tuple)) else [v])
                             for k, v in data.items()})
    raise TypeError(f"data must be a pandas DataFrame (one row per administration), not "
                    f"{type(data).__name__}")


# ----------------------------------------------------------------------------- score
def score(
    measure: Measure | str,
    data: Any,
    *,
    columns: dict[str, str] | None = None,
    on_invalid: OnInvalid = "error",
    lang: str | None = None,
    file: str | None = None,
    first_row: int = 2,
    row_numbers: Any = None,
) -> ScoreResult:
    r"""Score response data.

    Parameters
    ----------
    measure : Measure, str or path
        The measure (or a path / catalog id to load it from).
    data : pandas.DataFrame
        Wide data, one row per administration. Response columns are matched by item id or
        by item ``code`` (as printed on paper forms); all other columns (respondent id,
        date, timepoint, worker, ...) pass through untouched.
    columns : dict, optional
        Data heading → item id or code, for files that use other headings.
    on_invalid : {"error", "reject", "missing"}
        Policy for values that are not valid answers: raise :class:`~measurelib.DataError`
        listing every offending cell (default), drop those rows into ``.rejected``, or treat
        the cells as missing (then the missing-data rule of each score applies).
    lang : str, optional
        Language of band labels (default: the measure's language).
    file : str, optional
        Name of the data file, used in messages.
    first_row : int
        Spreadsheet row number of the first data row (default 2: header = row 1).
    row_numbers : array of int, optional
        Spreadsheet row number of each row when they are not consecutive (blank rows of a
        file dropped, as :func:`~measurelib.read_responses` does); overrides ``first_row``.

    Returns
    -------
    ScoreResult
        ``.scores``, ``.rejected``, ``.account`` and ``summary()``.

    Raises
    ------
    DataError
        Required columns are absent, the column map names unknown columns, or (with
        ``on_invalid="error"``) values are not valid answers.

    Notes
    -----
    For a score over items :math:`i = 1..k` with scored answers :math:`x_i` (reversed items
    give :math:`\min + \max - x`), of which :math:`a` are answered:

    .. math::

        \text{sum} = \sum_i x_i, \qquad
        \text{mean} = \frac{1}{a}\sum_i x_i, \qquad
        \text{weighted} = \sum_i w_i x_i, \qquad
        \text{prorated} = \frac{k}{a}\sum_i x_i

    A score is computed when at most ``max_missing`` answers are missing; otherwise it is
    empty (the row stays in ``.scores``, and its alerts are still evaluated).

    Examples
    --------
    >>> import measurelib as ml, pandas as pd
    >>> m = ml.load("swemwbs")
    >>> df = pd.DataFrame({"S1": [3], "S2": [4], "S3": [3], "S4": [4], "S5": [3],
    ...                    "S6": [4], "S7": [3]})
    >>> r = m.score(df)
    >>> float(r.scores["raw"].iloc[0]), float(r.scores["metric"].iloc[0])
    (24.0, 21.54)
    """
    m = _as_measure(measure)
    if m.compose:

        raise DefinitionError([Diagnostic(
            "measure-not-built", f"{m.id} takes items from other measures or banks and has not "
            "been built", CODES["measure-not-built"].hint, Location(path="compose"))])
    frame = _as_frame(data)
    if on_invalid not in ON_INVALID:
        raise ValueError(f"score(): on_invalid must be one of "
                         f"{', '.join(map(repr, ON_INVALID))}; got {on_invalid!r}")
    lang = lang or m.language
    if lang not in m.all_languages:
        raise ValueError(f"score(): lang must be one of {', '.join(m.all_languages)}; "
                         f"got {lang!r}")
    checked = validate_responses(m, frame, columns, on_invalid, file=file, first_row=first_row,
                                 lang=lang, row_numbers=row_numbers)
    return score_validated(m, frame, checked, lang=lang, columns=columns)


def _rule_columns(out: dict[Any, Any], rule: ScoreRule, comp: _Computed, sel: Any,
                  n: int) -> None:
    """The output columns of one score rule, in :func:`output_columns` order."""
    out[rule.id] = sel(comp.value)
    if comp.se is not None and (rule.irt is None or rule.irt.se):
        out[f"{rule.id}_se"] = sel(comp.se)
    if rule.bands:
        out[f"{rule.id}_band"] = sel(comp.band)
    out[f"{rule.id}_n_missing"] = sel(comp.n_missing)
    if rule.method == "value_set":
        out[f"{rule.id}_value_set"] = pd.Categorical.from_codes(
            np.zeros(n, dtype=np.int8), categories=[comp.value_set])


def _not_computed(value: np.ndarray | None, sel: Any) -> int:
    """How many kept rows have no score (NaN)."""
    return int(np.count_nonzero(np.isnan(sel(value)))) if value is not None else 0


def score_validated(m: Measure, frame: pd.DataFrame, checked: ValidationResult, *,
                     lang: str, columns: dict[str, str] | None) -> ScoreResult:
    """Score responses that :func:`validate_responses` has already checked."""
    n = checked.n_rows
    raw: dict[str, np.ndarray] = checked.arrays
    first_row = checked.first_row
    all_rows: Any = pd.RangeIndex(first_row, first_row + n) if checked.row_numbers is None \
        else checked.row_numbers  # row numbers, lazily when consecutive
    optional: set[str] = set()
    for item in m.items:
        if item.personalised is not None:
            optional.update(item.columns()[item.personalised.min_count:])
    computed: dict[str, _Computed] = {}
    values: dict[str, np.ndarray] = {}
    for rule in m.scores:
        comp = _compute_rule(m, rule, raw, n, all_rows, optional)
        computed[rule.id] = comp
        values[rule.id] = comp.value  # type: ignore[assignment]
        if rule.bands:
            comp.band = _bands(m, rule, comp.value, lang)  # type: ignore[arg-type]

    alert_masks = [(a.id, _condition(a.when, raw, values, m, n)) for a in m.alerts]
    alerts = _alert_strings(alert_masks, n)

    keep = checked.keep
    def sel(a: Any) -> Any:
        return a if keep is None else a[keep]

    out: dict[Any, Any] = {}
    added = output_columns(m)
    replaced = [h for h in checked.passthrough if str(h) in set(added)]
    diagnostics = list(checked.diagnostics)
    for h in replaced:
        diagnostics.append(Diagnostic(
            "column-replaced", f"the data's column {str(h)!r} was replaced by the computed "
            "column of the same name", "Rename the column in the data to keep both.",
            Location(field=str(h)), "warning"))
    kept_pt = [h for h in checked.passthrough if h not in replaced]
    index = frame.index if keep is None else frame.index[keep]
    for rule in m.scores:
        _rule_columns(out, rule, computed[rule.id], sel, len(index))
    for item_id in _profile_items(m):
        if item_id in raw:
            out[item_id] = sel(scored_item_values(m, item_id, raw[item_id]))
        else:
            out[item_id] = np.full(len(index), np.nan)
    for item in m.items:
        for fu in item.follow_up:
            name = f"{item.id}_{fu.id}"
            scale = m.scales.get(fu.scale)
            if scale is not None and scale.is_numeric:
                out[name] = sel(raw[name]) if name in raw else np.full(len(index), np.nan)
    out["alerts"] = sel(alerts)
    computed_frame = pd.DataFrame(out, index=index, copy=False)
    if kept_pt:
        base = frame[kept_pt] if keep is None else frame.loc[keep, kept_pt]
        scores = _concat_columns(base, computed_frame)
    else:
        scores = computed_frame
    rejected = checked.rejected
    if len(rejected) and keep is not None:
        if checked.row_numbers is None:
            rej_pos = rejected["row"].to_numpy() - first_row
        else:
            rej_pos = np.searchsorted(checked.row_numbers, rejected["row"].to_numpy())
        rejected = rejected.copy()
        rejected["alerts"] = np.asarray(alerts[rej_pos], dtype=object)
    elif "alerts" not in rejected.columns:
        rejected = rejected.copy()
        rejected["alerts"] = pd.Series(dtype=object)

    n_scored = len(index)
    missing_reasons = dict(checked.missing)
    account = ScoreAccount(
        rows_in=n, rows_scored=n_scored, rows_rejected=n - n_scored,
        rejected_reasons=dict(checked.reject_codes),
        cells_missing=sum(missing_reasons.values()),
        missing_reasons=missing_reasons,
        scores={rid: {"computed": n_scored - k, "not_computed": k, "prorated": c.prorated}
                for rid, c, k in ((rid, c, _not_computed(c.value, sel))
                                  for rid, c in computed.items())},
        alerts={aid: int(np.count_nonzero(mk)) for aid, mk in alert_masks},
    )
    value_sets = {r.id: {"id": r.value_set.id, "version": r.value_set.version}
                  for r in m.scores if r.method == "value_set" and r.value_set is not None}
    return ScoreResult(
        measure_id=m.id, measure_version=m.version, scores=scores, rejected=rejected,
        account=account, diagnostics=diagnostics, value_sets=value_sets,
        options={"on_invalid": checked.on_invalid, "lang": lang,
                 "columns": dict(columns) if columns else None},
        column_map={k: str(v) for k, v in checked.column_map.items()},
        score_ids=[r.id for r in m.scores],
    )


def _concat_columns(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Side-by-side frames with the same index (no alignment work, no copies if possible)."""
    if not right.index.equals(left.index):
        right = right.set_axis(left.index, axis=0)
    return pd.concat([left, right], axis=1)


# ----------------------------------------------------------------------------- dask
def score_partitions(ddf: Any, measure: Measure | str, **kw: Any) -> Any:
    """Score a Dask DataFrame partition by partition; returns a lazy Dask DataFrame.

    Scoring is a pure function of a partition's rows, so this is
    ``ddf.map_partitions(...)`` with an explicit ``meta``. Rows are numbered as in one file
    read in order (the partition lengths are computed first, which costs one pass over the
    data). Options are those of :func:`score`; with ``on_invalid="reject"`` rejected rows are
    dropped from the result: use ``measurelib score --rejected`` or score partitions with
    :func:`score` yourself to keep them.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Wide response data.
    measure : Measure, str or path
        The measure.
    **kw
        Options of :func:`score` (``columns``, ``on_invalid``, ``lang``).

    Returns
    -------
    dask.dataframe.DataFrame
        The ``.scores`` of every partition.
    """
    try:
        import dask.dataframe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("score_partitions needs Dask: pip install 'measurelib[dask]'") from exc
    m = _as_measure(measure)
    for bad in ("first_row", "file"):
        if bad in kw:
            raise TypeError(f"score_partitions(): {bad!r} is set per partition; do not pass it")
    unknown = set(kw) - {"columns", "on_invalid", "lang"}
    if unknown:
        raise TypeError(f"score_partitions() got unexpected keyword argument(s): "
                        f"{', '.join(sorted(unknown))}; allowed: columns, on_invalid, lang")
    empty = ddf._meta if hasattr(ddf, "_meta") else ddf.head(0)
    meta = score(m, empty.iloc[:0], **kw).scores
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths))[:-1]]).astype(int).tolist()

    def _one(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
        number = partition_info["number"] if partition_info else 0
        res = score(m, part, first_row=2 + offsets[number], **kw)
        return res.scores

    return ddf.map_partitions(_one, meta=meta)


def score_spark(sdf: Any, measure: Measure | str, *, columns: dict[str, str] | None = None,
                on_invalid: OnInvalid = "missing", lang: str | None = None) -> Any:
    """Score a Spark DataFrame with ``mapInPandas``; returns a lazy Spark DataFrame.

    Each Arrow batch is scored independently by :func:`score` on the executors; the result
    has the columns of :func:`score`'s ``.scores`` in the same order: the pass-through
    columns (identifiers, free-text answers) with their Spark types, then the columns of
    :func:`output_columns` (scores ``double``, missing counts ``bigint``, bands, value-set
    names and alerts ``string``). Missing item columns are reported at once, before any
    job runs. Item columns may be strings (as ``spark.read.csv`` gives
    them) or numbers: codes are validated as in :func:`score`.

    ``on_invalid`` is ``"missing"`` (default: an invalid answer counts as missing and the
    score's missing-data rule applies) or ``"reject"`` (rows with an invalid answer are left
    out; score the same rows with :func:`score` to see why). ``"error"`` is refused: rows of
    a distributed table have no position to report, and a failure on an executor would
    stop the whole job.

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
        Wide response data.
    measure : Measure, str or path
        The measure (a pydantic model: it is pickled to the executors).
    columns : dict, optional
        Data heading → item id or code.
    on_invalid : {"missing", "reject"}
    lang : str, optional
        Language of band labels.
    """
    try:
        from pyspark.sql import types as T
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("score_spark needs PySpark: pip install 'measurelib[spark]'") from exc
    if on_invalid not in ("missing", "reject"):
        raise ValueError(
            f"score_spark(): on_invalid must be 'missing' or 'reject', got {on_invalid!r}: "
            "rows of a distributed table have no position to report an error against. Score "
            "a sample with measurelib.score(..., on_invalid='error') to list invalid cells.")
    m = _as_measure(measure)
    added = set(output_columns(m))
    # the columns of .scores, in order: scoring an empty frame of the same headings says
    # which pass through (identifiers, free-text answers) and checks the column mapping
    empty = pd.DataFrame({f.name: pd.Series([], dtype=object) for f in sdf.schema.fields})
    meta = score(m, empty, columns=columns, on_invalid=on_invalid, lang=lang).scores
    spark_fields = {f.name: f for f in sdf.schema.fields}
    fields = []
    for name in meta.columns:
        if name not in added and name in spark_fields:
            fields.append(spark_fields[name])
            continue
        if name.endswith("_n_missing"):
            typ: Any = T.LongType()
        elif name == "alerts" or name.endswith(("_band", "_value_set")):
            typ = T.StringType()
        else:
            typ = T.DoubleType()
        fields.append(T.StructField(name, typ, True))
    schema = T.StructType(fields)
    names = [f.name for f in fields]
    strings = [f.name for f in fields if isinstance(f.dataType, T.StringType)]

    def _batches(batches: Any) -> Any:
        for pdf in batches:
            out = score(m, pdf, columns=columns, on_invalid=on_invalid, lang=lang).scores
            out = out.reset_index(drop=True)
            for col in strings:
                if col in out.columns:
                    vals = out[col].astype(object)
                    out[col] = vals.where(out[col].notna(), None)
            yield out[names]

    return sdf.mapInPandas(_batches, schema)
