"""The measure assessment: psychometric evidence about a measure, with plain verdicts.

:func:`assess` gathers, from the responses a service already has, everything a
commissioner's researcher asks about a (bespoke) measure — internal consistency, item
analysis and keying, factor structure, confirmatory factor analysis of the structure the
measure declares, floor and ceiling effects, test–retest agreement and convergent
validity — and judges each against a published criterion that the report cites. It also
proposes a reliable-change threshold from the local data (Jacobson & Truax 1991), which
:func:`write_rci` records as a new version of the measure.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings as _warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from measurelib._results import Result, to_jsonable
from measurelib.compose import as_measure
from measurelib.definition import Measure, ScoreRule
from measurelib.errors import DataError, Diagnostic, Location, MeasurelibWarning
from measurelib.scoring import (
    apply_map,
    item_value_map,
    read_responses,
    scored_item_values,
    validate_responses,
)

__all__ = ["CRITERIA", "MIN_RCI_RELIABILITY", "MIN_RESPONSES_PER_ITEM", "AssessmentResult",
           "SampleRequirement", "Verdict", "assess", "responses_from_store",
           "sample_requirement", "write_rci"]

Status = Literal["meets", "does not meet", "cannot conclude", "not assessable", "information"]

#: No reliable-change threshold is proposed from a score less reliable than this (alpha):
#: Nunnally's 0.70 for group use, the threshold below which a measure's scores are not
#: considered reliable enough to judge change (Jacobson & Truax 1991 assume a reliable
#: measure; Wise 2004, J Pers Assess 82:50-59, recommends published reliabilities ≥ 0.70).
MIN_RCI_RELIABILITY = 0.70
#: Fewer complete (distinct) responses than this many per item is an *inadequate* sample
#: for factor analysis by COSMIN's standard (Mokkink et al. 2018): the report then gives no
#: verdict on the measure's structure. :func:`sample_requirement` asks for at least this.
MIN_RESPONSES_PER_ITEM = 5
#: The null-model RMSEA below which CFA fit is not informative (Kenny 2015, "Measuring model
#: fit", davidakenny.net/cm/fit.htm): the items hardly correlate, so any model "fits".
BASELINE_RMSEA_MIN = 0.158

#: The published criteria the verdicts use: key → (text, citation).
CRITERIA: dict[str, tuple[str, str]] = {
    "alpha": ("Cronbach's alpha ≥ 0.70 for group-level use",
              "Nunnally JC (1978). Psychometric theory, 2nd ed. McGraw-Hill; Terwee CB et al. "
              "(2007). J Clin Epidemiol 60:34-42."),
    "alpha_high": ("alpha > 0.95 suggests redundant items",
                   "Streiner DL (2003). J Pers Assess 80:99-103; Terwee CB et al. (2007)."),
    "omega": ("McDonald's omega total ≥ 0.70",
              "McDonald RP (1999). Test theory: a unified treatment. Erlbaum; "
              "Revelle W, Zinbarg RE (2009). Psychometrika 74:145-154."),
    "r_drop": ("corrected item-total correlation ≥ 0.30",
               "Nunnally JC, Bernstein IH (1994). Psychometric theory, 3rd ed. McGraw-Hill."),
    "kmo": ("Kaiser-Meyer-Olkin measure ≥ 0.60 (Kaiser's 'mediocre' or better)",
            "Kaiser HF (1974). Psychometrika 39:31-36."),
    "bartlett": ("Bartlett's test of sphericity p < 0.05",
                 "Bartlett MS (1950). Br J Stat Psychol 3:77-85."),
    "loading": ("every item loads ≥ 0.40 on its factor",
                "Stevens JP (2002). Applied multivariate statistics for the social sciences, "
                "4th ed. Erlbaum."),
    "parallel": ("the number of factors suggested by parallel analysis equals the number the "
                 "measure declares", "Horn JL (1965). Psychometrika 30:179-185."),
    "cfi": ("CFI ≥ 0.95", "Hu L, Bentler PM (1999). Struct Equ Modeling 6:1-55."),
    "tli": ("TLI ≥ 0.95", "Hu L, Bentler PM (1999). Struct Equ Modeling 6:1-55."),
    "rmsea": ("RMSEA ≤ 0.06", "Hu L, Bentler PM (1999). Struct Equ Modeling 6:1-55."),
    "srmr": ("SRMR ≤ 0.08", "Hu L, Bentler PM (1999). Struct Equ Modeling 6:1-55."),
    "floor_ceiling": ("no more than 15% of respondents at the lowest or highest possible score",
                      "Terwee CB et al. (2007). J Clin Epidemiol 60:34-42."),
    "icc": ("test-retest ICC (two-way, absolute agreement) ≥ 0.70; Koo & Li's bands: < 0.50 "
            "poor, 0.50-0.75 moderate, 0.75-0.90 good, > 0.90 excellent",
            "Terwee CB et al. (2007). J Clin Epidemiol 60:34-42; Koo TK, Li MY (2016). "
            "J Chiropr Med 15:155-163."),
    "convergent": ("correlation with a measure of a related construct ≥ 0.50 (a large "
                   "correlation)", "Cohen J (1988). Statistical power analysis for the "
                   "behavioral sciences, 2nd ed. Erlbaum; Prinsen CAC et al. (2018). Qual Life "
                   "Res 27:1147-1157 (COSMIN)."),
    "sample_structural": ("COSMIN sample size for factor analysis: very good ≥ 7 × items and "
                          "≥ 100; adequate ≥ 5 × items and ≥ 100 (or ≥ 6 × items below 100); "
                          "doubtful ≥ 5 × items below 100; inadequate < 5 × items",
                          "Mokkink LB et al. (2018). COSMIN Risk of Bias checklist, user "
                          "manual; Prinsen CAC et al. (2018). Qual Life Res 27:1147-1157."),
    "sample_retest": ("COSMIN sample size for reliability studies: very good ≥ 100, adequate "
                      "50-99, doubtful 30-49, inadequate < 30",
                      "Terwee CB et al. (2012). Qual Life Res 21:651-657; Mokkink LB et al. "
                      "(2018). COSMIN Risk of Bias checklist."),
    "rci": ("reliable change: |change| > 1.96 × SEdiff, SEdiff = SD × sqrt(2 × (1 − r))",
            "Jacobson NS, Truax P (1991). J Consult Clin Psychol 59:12-19."),
}


class Verdict(Result):
    """One plain-language judgement against a published criterion."""

    topic: str
    statistic: str
    value: float | None
    criterion: str
    source: str
    status: Status
    text: str


class AssessmentResult(Result):
    """Everything :func:`assess` found, with the verdicts and the inputs it used."""

    measure_id: str
    measure_version: str
    measure_title: str
    validation_status: str | None
    n_rows: int
    n_items: int
    items: list[str]
    sample: dict[str, Any]
    reliability: dict[str, Any]
    keying: Any | None
    factors: Any | None
    declared_structure: dict[str, list[str]]
    cfa: Any | None
    cfa_error: str | None
    floor_ceiling: dict[str, dict[str, Any]]
    retest: Any | None
    convergent: Any | None
    rci: dict[str, dict[str, Any]]
    verdicts: list[Verdict]
    seed: int
    simulated: bool
    warnings: list[str]
    created: str

    def to_frame(self) -> pd.DataFrame:
        """One row per verdict."""
        return pd.DataFrame([v.to_dict() for v in self.verdicts])

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Result):
                out[name] = value.to_dict()
            elif isinstance(value, dict) and value and all(
                    isinstance(v, Result) for v in value.values()):
                out[name] = {k: v.to_dict() for k, v in value.items()}
            else:
                out[name] = to_jsonable(value)
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"{self.measure_title} ({self.measure_id} {self.measure_version}): "
                 f"{self.sample['n_used']} respondents, {self.n_items} items"]
        if self.simulated:
            lines.append("NOTE: these responses are SIMULATED, not real data.")
        for v in self.verdicts:
            mark = {"meets": "ok", "does not meet": "NO", "cannot conclude": "??",
                    "not assessable": "na", "information": "--"}[v.status]
            lines.append(f"  [{mark}] {v.topic}: {v.text}")
        return "\n".join(lines)

    def render(self, fmt: Literal["html", "pdf"] = "html", path: Any = None, *,
               organisation: str | None = None, logo: Any = None,
               logo_base: Any = None) -> str | bytes:
        """The self-contained HTML report (or PDF); written to ``path`` when given.

        ``organisation`` is printed above the title, with ``logo`` (a PNG or JPEG inside
        ``logo_base``, as for :func:`measurelib.impact_report`) inlined beside it.
        """
        from measurelib.assessment._report import render_report

        return render_report(self, fmt, path, organisation=organisation, logo=logo,
                             logo_base=logo_base)


# ----------------------------------------------------------------------------- helpers
def _as_measure(measure: Measure | str) -> Measure:
    return as_measure(measure, caller="assess(measure=...)")


def _as_frame(data: Any, name: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):

        return read_responses(data)
    raise TypeError(f"assess(): `{name}` must be a pandas DataFrame or a path to a CSV/Excel "
                    f"file, not {type(data).__name__}")


def _item_matrix(measure: Measure, frame: pd.DataFrame, columns: Mapping[str, str] | None,
                 on_invalid: str, file: str | None) -> tuple[pd.DataFrame, Any]:
    """Validated answers turned into scored item values (recodes and reverse keys applied)."""
    checked = validate_responses(measure, frame, dict(columns) if columns else None,
                                 on_invalid, file=file)  # type: ignore[arg-type]
    values = checked.values
    used: list[str] = []
    for rule in measure.scores:
        for item_id in measure.score_items(rule):
            item = measure.item(item_id)
            if item.personalised is not None or item_id in used:
                continue
            if measure.scales[item.scale].type in ("ordinal", "numeric", "yesno"):
                used.append(item_id)
    out = {}
    for item_id in used:
        if item_id in values:
            out[item_id] = scored_item_values(measure, item_id, values[item_id].to_numpy(float))
    return pd.DataFrame(out, index=values.index), checked


def _flat_items(items: pd.DataFrame) -> dict[str, str]:
    """Items with no answers or a single answer value, each with why (for the note)."""
    flat: dict[str, str] = {}
    for item in items.columns:
        answers = items[item].dropna()
        if answers.empty:
            flat[str(item)] = "has no answers"
        elif answers.nunique() == 1:
            flat[str(item)] = f"has no variance (all {len(answers)} answers are " \
                              f"{float(answers.iloc[0]):g})"
    return flat


def _scored_range(measure: Measure, item_id: str) -> tuple[float, float]:

    vals = np.array(measure.scale_of(item_id).values(), dtype=float)
    scored = scored_item_values(measure, item_id, vals)
    return float(np.nanmin(scored)), float(np.nanmax(scored))


def declared_structure(measure: Measure) -> dict[str, list[str]]:
    """The factor model a measure declares: its multi-item score rules.

    A rule whose items are exactly the union of other rules' items (a total of subscales)
    is left out, so that the subscales are the factors. With no multi-item subscales the
    primary score's items form one factor. Personalised and free-text items are left out.
    """

    def usable(rule: ScoreRule) -> list[str]:
        return [i for i in measure.score_items(rule)
                if measure.item(i).personalised is None
                and measure.scales[measure.item(i).scale].type in ("ordinal", "numeric", "yesno")]

    rules = [(r.id, usable(r)) for r in measure.scores if r.method != "value_set"]
    rules = [(rid, items) for rid, items in rules if len(items) >= 2]
    unique: list[tuple[str, list[str]]] = []
    for rid, items in rules:
        if not any(set(items) == set(other) for _, other in unique):
            unique.append((rid, items))
    sub = []
    for rid, items in unique:
        others = [set(o) for oid, o in unique if oid != rid and set(o) < set(items)]
        if others and set().union(*others) == set(items):
            continue  # a total made of subscales
        sub.append((rid, items))
    # keep factors that do not share items (CFA needs a simple structure)
    chosen: list[tuple[str, list[str]]] = []
    for rid, items in sub:
        if all(not (set(items) & set(c)) for _, c in chosen):
            chosen.append((rid, items))
    return {rid: items for rid, items in chosen}


def _verdict(topic: str, statistic: str, value: float | None, key: str, status: Status,
             text: str) -> Verdict:
    crit, source = CRITERIA[key]
    return Verdict(topic=topic, statistic=statistic, value=value, criterion=crit,
                   source=source, status=status, text=text)


def _fmt(v: float | None, nd: int = 2) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{nd}f}"


def _cosmin_structural(n: int, k: int) -> str:
    if n >= 100 and n >= 7 * k:
        return "very good"
    if (n >= 100 and n >= 5 * k) or (n < 100 and n >= 6 * k):
        return "adequate"
    if n >= MIN_RESPONSES_PER_ITEM * k:
        return "doubtful"
    return "inadequate"


def _distinct_complete(items_df: pd.DataFrame, complete: int, n_identical: int) -> int:
    """Complete responses, counting exact copies once (the same forms keyed twice)."""
    if not n_identical:
        return complete
    return complete - int(items_df[items_df.notna().all(axis=1)].duplicated().sum())


class SampleRequirement(Result):
    """Whether responses are enough for an assessment report (:func:`sample_requirement`)."""

    measure_id: str
    measure_version: str
    n_items: int
    n_rows: int
    n_complete: int
    n_needed: int
    enough: bool
    rating: str
    criterion: str
    source: str
    text: str

    def to_frame(self) -> pd.DataFrame:
        """One row: the counts and the verdict."""
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        """The plain sentence."""
        return self.text


def sample_requirement(measure: Measure | str, responses: Any, *,
                       id_column: str | None = None,
                       columns: Mapping[str, str] | None = None,
                       on_invalid: Literal["error", "reject", "missing"] = "missing",
                       ) -> SampleRequirement:
    """Whether ``responses`` are enough for :func:`assess` to judge the measure, and if not,
    how many are needed and why.

    The responses are counted as :func:`assess` counts them (each respondent's first row,
    complete answers to the scored items, exact copies once). At least
    :data:`MIN_RESPONSES_PER_ITEM` complete responses per item are needed: below that COSMIN
    rates the sample *inadequate* for factor analysis, and the report would give no verdict
    on the measure's structure.

    Examples
    --------
    >>> import pandas as pd, measurelib as ml
    >>> m = ml.load("gad-7")
    >>> few = pd.DataFrame([dict.fromkeys(m.response_columns(), 1)] * 10)
    >>> req = ml.assessment.sample_requirement(m, few)
    >>> req.enough, req.n_complete, req.n_needed
    (False, 1, 35)
    """
    m = _as_measure(measure)
    frame = _as_frame(responses, "responses")
    file = str(responses) if not isinstance(responses, pd.DataFrame) else None
    items_df, _ = _item_matrix(m, frame, columns, on_invalid, file)
    frame, dup = _deduplicate(frame, id_column)
    if dup["n_same_id"] or dup["n_identical"]:
        items_df = items_df.loc[items_df.index.intersection(frame.index)]
    k = int(items_df.shape[1])
    complete = int(items_df.notna().all(axis=1).sum())
    distinct = _distinct_complete(items_df, complete, dup["n_identical"])
    needed = max(MIN_RESPONSES_PER_ITEM * k, 2 * MIN_RESPONSES_PER_ITEM)
    rating = _cosmin_structural(distinct, k) if k else "inadequate"
    enough = k >= 2 and distinct >= needed
    criterion, source = CRITERIA["sample_structural"]
    if k < 2:
        text = (f"{m.id} has {k} scored item(s): an assessment needs a score of at least two "
                "items.")
    elif enough:
        text = (f"{distinct} complete responses for {k} items: enough for the assessment "
                f"report ({rating} by COSMIN's standard).")
    else:
        text = (f"{distinct} complete response(s) for {k} items; at least {needed} are needed "
                f"({MIN_RESPONSES_PER_ITEM} per item). With fewer, COSMIN rates the sample "
                "inadequate for factor analysis and the report could not judge the "
                "measure's structure.")
    return SampleRequirement(measure_id=m.id, measure_version=m.version, n_items=k,
                             n_rows=int(len(frame) + dup["n_same_id"]), n_complete=distinct,
                             n_needed=needed, enough=enough, rating=rating,
                             criterion=criterion, source=source, text=text)


def _cosmin_retest(n: int) -> str:
    return "very good" if n >= 100 else "adequate" if n >= 50 else "doubtful" if n >= 30 \
        else "inadequate"


# ----------------------------------------------------------------------------- main
def assess(  # noqa: C901 - one pass of checks in report order; split in the assessment rework
    measure: Measure | str,
    responses: Any,
    retest: Any = None,
    reference: Any = None,
    *,
    id_column: str | None = None,
    reference_score: str | None = None,
    columns: Mapping[str, str] | None = None,
    on_invalid: Literal["error", "reject", "missing"] = "error",
    seed: int = 20261123,
    n_iter: int = 100,
    score: str | None = None,
) -> AssessmentResult:
    r"""Assess a measure's reliability and validity from its responses.

    Parameters
    ----------
    measure : Measure or str
        The measure (or a catalog id / path). Its score rules declare the structure that is
        tested; its reverse flags and recodes are applied before any statistic.
    responses : DataFrame or path
        One row per administration, matched to items as :func:`measurelib.scoring._score.score` does.
    retest : DataFrame or path, optional
        A second administration of the same people, for test–retest agreement; needs
        ``id_column``.
    reference : DataFrame or path, optional
        Scores on a reference measure of a related construct (``id_column`` plus the
        column ``reference_score``), for convergent validity.
    id_column : str, optional
        Column identifying respondents in ``responses``, ``retest`` and ``reference``.
    reference_score : str, optional
        Column of ``reference`` holding the reference score (default: its only numeric
        column other than ``id_column``).
    columns : mapping, optional
        Data heading → item id, for files with other headings.
    on_invalid : {"error", "reject", "missing"}
        What to do with invalid answers (see :func:`measurelib.scoring._score.score`).
    seed : int
        Seed of every random step (parallel analysis, bootstrap); reported.
    n_iter : int
        Parallel-analysis iterations.
    score : str, optional
        The score whose reliability drives the reliable-change proposal (default: the
        primary score).

    Returns
    -------
    AssessmentResult
        Statistics, verdicts (each with its criterion and citation), and the proposed
        reliable-change thresholds. ``.render("html")`` gives the report.

    Notes
    -----
    Reliability follows ``psych::alpha`` (pairwise covariances, Feldt CI), omega
    ``psych::omega``, factor analysis ``psych::fa`` (minres, oblimin) with ``psych::fa.parallel``,
    and CFA ``lavaan::cfa`` (ML, or WLSMV when every item is ordinal with at most 7
    options and the sample allows it). The reliable-change proposal is Jacobson & Truax's:

    .. math:: SEM = SD\sqrt{1-\alpha}, \qquad RC = 1.96\sqrt{2}\,SEM

    References
    ----------
    .. [1] Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to
       defining meaningful change in psychotherapy research. J Consult Clin Psychol 59:12-19.
    .. [2] Terwee CB et al. (2007). Quality criteria were proposed for measurement properties
       of health status questionnaires. J Clin Epidemiol 60:34-42.
    .. [3] Hu L, Bentler PM (1999). Cutoff criteria for fit indexes in covariance structure
       analysis. Struct Equ Modeling 6:1-55.
    """
    from measurelib import psychometrics as pm

    m = _as_measure(measure)
    frame = _as_frame(responses, "responses")
    if on_invalid not in ("error", "reject", "missing"):
        raise ValueError(f"assess(): on_invalid must be 'error', 'reject' or 'missing', not "
                         f"{on_invalid!r}")
    file = str(responses) if not isinstance(responses, pd.DataFrame) else None
    items_df, checked = _item_matrix(m, frame, columns, on_invalid, file)
    # an item nobody answered, or everybody answered alike, can correlate with nothing: like
    # psych::alpha, leave it out of every statistic (with a note) instead of stopping
    flat = _flat_items(items_df)
    items_df = items_df.drop(columns=list(flat))
    if items_df.shape[1] < 2:
        flat_text = "".join(f"; {item!r} {why}" for item, why in flat.items())
        raise DataError([Diagnostic(
            "assess-too-few-items", f"{m.id} has {items_df.shape[1]} scorable item(s) in the "
            f"data that vary: nothing to assess{flat_text}",
            "Check that the data's columns are the measure's items, and that the responses "
            "are the real ones (every answer alike is often a test file).", Location())])
    warns: list[str] = [
        f"item {item!r} {why}: it is left out of reliability, factor analysis and CFA (it "
        "cannot correlate with anything)"
        + ("" if why == "has no answers" else "; its answers still count in the scores")
        for item, why in flat.items()]
    frame, dup = _deduplicate(frame, id_column)
    if dup["n_same_id"] or dup["n_identical"]:
        items_df = items_df.loc[items_df.index.intersection(frame.index)]
    simulated = bool(frame.attrs.get("simulated")) or (
        "simulated" in frame.columns and bool(frame["simulated"].astype(bool).all()))
    n_rows = len(frame) + dup["n_same_id"]
    complete = int(items_df.notna().all(axis=1).sum())
    missing_share = {c: float(items_df[c].isna().mean()) for c in items_df}
    sample: dict[str, Any] = {
        "n_rows": n_rows, "n_used": int(len(items_df)), "n_complete": complete,
        "n_rejected": int(n_rows - len(items_df)), "missing_share": missing_share,
        "simulated": simulated, "items_left_out": flat, **dup,
    }
    verdicts: list[Verdict] = []
    structure = declared_structure(m)
    k_all = items_df.shape[1]
    # identical rows may be the same forms entered twice: rate the sample on distinct rows
    distinct = _distinct_complete(items_df, complete, dup["n_identical"])
    rating = _cosmin_structural(distinct, k_all)
    sample["cosmin_structural"] = rating
    if dup["n_same_id"]:
        warns.append(f"{dup['n_same_id']} row(s) repeat a respondent id already in the data "
                     f"(column {dup['id_column']!r}): only each respondent's first row is used.")
    if dup["n_identical"]:
        warns.append(f"{dup['n_identical']} row(s) are exact copies of an earlier row: if they "
                     "are the same forms entered twice, remove them (or give the respondent id "
                     "column with --id-column). The sample size is rated on distinct rows.")
    if rating in ("doubtful", "inadequate"):
        warns.append(f"The sample ({distinct} complete, distinct responses for {k_all} items) "
                     f"is {rating} for factor analysis by COSMIN's standard"
                     + (": no verdict is given on factor structure." if rating == "inadequate"
                        else ": treat the factor results as provisional."))
    verdicts.append(_verdict(
        "Sample size", "complete responses", float(distinct), "sample_structural",
        "meets" if rating in ("very good", "adequate") else "cannot conclude",
        f"{distinct} complete{', distinct' if dup['n_identical'] else ''} responses for "
        f"{k_all} items: {rating} by COSMIN's standard."))
    powered = rating != "inadequate"

    # -- reliability per declared score ---------------------------------------------------
    reliability: dict[str, Any] = {}
    rules = [r for r in m.scores if r.method in ("sum", "mean", "weighted_sum")]
    primary = score or (rules[0].id if rules else None)
    seen_sets: dict[frozenset[str], str] = {}
    for rule in rules:
        ids = [i for i in m.score_items(rule) if i in items_df]
        if len(ids) < 2:
            continue
        if frozenset(ids) in seen_sets:  # e.g. a raw and a converted score of the same items
            reliability[rule.id] = reliability[seen_sets[frozenset(ids)]]
            continue
        seen_sets[frozenset(ids)] = rule.id
        ranges = {_scored_range(m, i) for i in ids}
        scale_range = next(iter(ranges)) if len(ranges) == 1 else None
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            rel = pm.reliability(items_df[ids], ci="feldt", seed=seed, scale_range=scale_range)
        # the items come keyed by the definition: the fix is there, not in keys=
        warns.extend(f"{rule.id}: {w.message}".replace(
            "(pass keys=)", "(check their `reverse:` flags in the definition)").replace(
            "(keys=)", "(`reverse:` in the definition)") for w in caught
            if issubclass(w.category, (MeasurelibWarning, RuntimeWarning, UserWarning)))
        reliability[rule.id] = rel
        topic = f"Internal consistency — {rule.id}"
        a = rel.alpha
        lo, hi = rel.alpha_ci
        if len(ids) < 3:
            verdicts.append(_verdict(topic, "alpha", a, "alpha", "cannot conclude",
                                     f"only {len(ids)} items: alpha {_fmt(a)} cannot show "
                                     "internal consistency."))
        elif a is not None and a >= 0.70:
            extra = " (above 0.95: some items may be redundant)" if a > 0.95 else ""
            verdicts.append(_verdict(topic, "alpha", a, "alpha", "meets",
                                     f"alpha {_fmt(a)} (95% CI {_fmt(lo)}–{_fmt(hi)}, Feldt) "
                                     f"is at least 0.70{extra}."))
        else:
            verdicts.append(_verdict(topic, "alpha", a, "alpha", "does not meet",
                                     f"alpha {_fmt(a)} (95% CI {_fmt(lo)}–{_fmt(hi)}, Feldt) is "
                                     "below 0.70."))
        if rel.omega_total is not None and len(ids) >= 3:
            ok = rel.omega_total >= 0.70
            verdicts.append(_verdict(topic, "omega total", rel.omega_total, "omega",
                                     "meets" if ok else "does not meet",
                                     f"omega total {_fmt(rel.omega_total)} "
                                     f"({'at least' if ok else 'below'} 0.70)."))
        if len(ids) < 3:
            continue
        stats = rel.item_stats
        weak = [str(i) for i, r in stats["r_drop"].items() if r < 0.30]
        verdicts.append(_verdict(
            f"Item analysis — {rule.id}", "corrected item-total r",
            float(stats["r_drop"].min()), "r_drop",
            "meets" if not weak else "does not meet",
            "every item correlates at least 0.30 with the rest of the scale." if not weak else
            f"weak items (r_drop < 0.30): {', '.join(weak)}; removing one raises alpha where "
            "its 'alpha if deleted' is higher."))

    # -- keying ---------------------------------------------------------------------------
    keying = None
    try:
        raw = checked.values[[c for c in items_df.columns if c in checked.values]]
        keyed_raw = pd.DataFrame({c: _recoded(m, c, raw[c].to_numpy(float)) for c in raw},
                                 index=raw.index)
        keying = pm.keying_check(keyed_raw, m, groups=structure or None)
        contradicted = list(getattr(keying, "contradicted", []) or [])
        verdicts.append(Verdict(
            topic="Keying", statistic="items whose declared direction the data contradict",
            value=float(len(contradicted)),
            criterion="every item's reverse flag agrees with the sign of its correlation with "
            "the rest of its scale", source="measurelib keying check (item-rest correlation "
            "and first principal component signs)",
            status="meets" if not contradicted else "does not meet",
            text="every reverse flag agrees with the data." if not contradicted else
            f"the data contradict the declared direction of: {', '.join(contradicted)} "
            "(a missing or wrong reverse flag lowers alpha)."))
    except Exception as exc:  # noqa: BLE001 - the report goes on without this section
        warns.append(f"keying check not possible: {exc}")

    # -- factor structure -----------------------------------------------------------------
    factors = None
    struct_items = [i for items in structure.values() for i in items if i in items_df] \
        or list(items_df.columns)
    if len(struct_items) >= 3 and complete > len(struct_items):
        try:
            with _warnings.catch_warnings(record=True) as caught:
                _warnings.simplefilter("always")
                factors = pm.factor_structure(
                    items_df[struct_items], n_factors=max(1, len(structure) or 1),
                    seed=seed, n_iter=n_iter, progress=False)
            warns.extend(f"factor analysis: {w.message}" for w in caught
                         if issubclass(w.category, Warning))
        except Exception as exc:  # noqa: BLE001
            warns.append(f"factor analysis not possible: {exc}")
    if factors is not None and not powered:
        verdicts.append(_not_assessable(
            "Factor structure (EFA)", "sample_structural",
            f"the sample is inadequate by COSMIN's standard ({distinct} complete responses "
            f"for {k_all} items): KMO, parallel analysis and loadings are shown for "
            "information only."))
    if factors is not None and powered:
        kmo = float(factors.kmo)
        verdicts.append(_verdict("Sampling adequacy", "KMO", kmo, "kmo",
                                 "meets" if kmo >= 0.60 else "does not meet",
                                 f"KMO {_fmt(kmo)} ({factors.kmo_label})."))
        b = factors.bartlett
        p = float(_get(b, "p"))
        p_text = "< 0.001" if p < 0.001 else "= " + _fmt(p, 3)
        verdicts.append(_verdict("Sampling adequacy", "Bartlett p", p, "bartlett",
                                 "meets" if p < 0.05 else "does not meet",
                                 f"Bartlett's test chi2 = {_fmt(float(_get(b, 'chi2')), 1)}, "
                                 f"df = {int(_get(b, 'df'))}, p {p_text}."))
        declared = max(1, len(structure))
        suggested = factors.n_factors_suggested
        stab = factors.n_factors_stability
        verdicts.append(_verdict(
            "Dimensionality", "factors suggested by parallel analysis",
            None if suggested is None else float(suggested), "parallel",
            "meets" if suggested == declared else "does not meet",
            f"parallel analysis ({n_iter} iterations, seed {seed}) suggests {suggested} "
            f"factor(s); the measure declares {declared}. Stability across iterations: "
            f"{_stability_text(stab)}."))
        loadings = factors.loadings
        low = [str(i) for i in loadings.index if float(np.nanmax(np.abs(loadings.loc[i]))) < 0.40]
        verdicts.append(_verdict("Factor loadings", "smallest salient loading",
                                 float(np.nanmin(np.nanmax(np.abs(loadings.to_numpy()), axis=1))),
                                 "loading", "meets" if not low else "does not meet",
                                 "every item loads at least 0.40 on a factor." if not low else
                                 f"items loading below 0.40 on every factor: {', '.join(low)}."))

    # -- CFA of the declared structure ----------------------------------------------------
    cfa_result = None
    cfa_error = None
    model = {f: [i for i in items if i in items_df] for f, items in structure.items()}
    model = {f: items for f, items in model.items() if len(items) >= 2}
    if model and sum(len(v) for v in model.values()) >= 3:
        try:
            with _warnings.catch_warnings(record=True) as caught:
                _warnings.simplefilter("always")
                cfa_result = pm.cfa(items_df[[i for v in model.values() for i in v]], model)
            warns.extend(f"CFA: {w.message}" for w in caught if issubclass(w.category, Warning))
        except Exception as exc:  # noqa: BLE001
            cfa_error = str(exc)
            warns.append(f"CFA of the declared structure not possible: {exc}")
    improper = _improper(cfa_result) if cfa_result is not None else []
    if cfa_result is not None:
        base_rmsea = _baseline_rmsea(cfa_result.fit)
        if base_rmsea is not None and base_rmsea < BASELINE_RMSEA_MIN:
            improper.append(f"the items hardly correlate (RMSEA of the independence model "
                            f"{base_rmsea:.3f} < {BASELINE_RMSEA_MIN}, Kenny 2015), so there "
                            "is no common structure to confirm and any model fits")
    if cfa_result is not None and (improper or not powered):
        why = "; ".join(improper) if improper else (
            f"the sample is inadequate by COSMIN's standard ({distinct} complete responses "
            f"for {k_all} items)")
        verdicts.append(_not_assessable(
            "Structural validity (CFA)", "cfi",
            f"{why}: the fit indices of this model cannot be interpreted, so no verdict is "
            "given."))
    elif cfa_result is not None:
        fit = cfa_result.fit
        for key, name, op, cut in (("cfi", "CFI", ">=", 0.95), ("tli", "TLI", ">=", 0.95),
                                   ("rmsea", "RMSEA", "<=", 0.06), ("srmr", "SRMR", "<=", 0.08)):
            v = fit.get(key)
            if v is None or not math.isfinite(float(v)):
                continue
            ok = float(v) >= cut if op == ">=" else float(v) <= cut
            if int(fit.get("df", 0) or 0) == 0:
                status: Status = "cannot conclude"
                text = f"{name} {_fmt(float(v), 3)}: the model has 0 degrees of freedom, so fit " \
                       "cannot be tested."

            else:
                status = "meets" if ok else "does not meet"
                text = f"{name} {_fmt(float(v), 3)} ({'meets' if ok else 'misses'} {op} {cut})."
            verdicts.append(_verdict("Structural validity (CFA)", name, float(v), key, status,
                                     text))

    # -- floor and ceiling of each score --------------------------------------------------
    floor_ceiling: dict[str, dict[str, Any]] = {}
    rci: dict[str, dict[str, Any]] = {}
    scored = m.score(frame, columns=dict(columns) if columns else None, on_invalid=on_invalid)
    for rule in rules:
        if rule.id not in scored.scores:
            continue
        values = pd.to_numeric(scored.scores[rule.id], errors="coerce").dropna()
        if values.empty:
            continue
        lo_s, hi_s = m.score_range(rule)
        at_floor = float((np.isclose(values, lo_s)).mean())
        at_ceiling = float((np.isclose(values, hi_s)).mean())
        floor_ceiling[rule.id] = {"n": int(len(values)), "min_possible": lo_s,
                                  "max_possible": hi_s, "floor": at_floor,
                                  "ceiling": at_ceiling, "mean": float(values.mean()),
                                  "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                                  "histogram": _histogram(values, lo_s, hi_s)}
        worst = max(at_floor, at_ceiling)
        verdicts.append(_verdict(
            f"Floor and ceiling — {rule.id}", "largest share at an end", worst, "floor_ceiling",
            "meets" if worst <= 0.15 else "does not meet",
            f"{at_floor:.0%} at the lowest possible score ({lo_s:g}), {at_ceiling:.0%} at the "
            f"highest ({hi_s:g})."))
        rel = reliability.get(rule.id)
        sd = floor_ceiling[rule.id]["sd"]
        if rel is not None and rel.alpha is not None and sd and 0 < rel.alpha < 1 and \
                rel.alpha < MIN_RCI_RELIABILITY:
            rci[rule.id] = {"alpha": rel.alpha, "sd": sd, "sem": None, "threshold": None,
                            "n": int(len(values)), "declared": _declared_threshold(rule),
                            "refused": f"alpha {rel.alpha:.2f} is below "
                                       f"{MIN_RCI_RELIABILITY:.2f}"}
        elif rel is not None and rel.alpha is not None and sd and 0 < rel.alpha < 1:
            sem = sd * math.sqrt(1 - rel.alpha)
            rci[rule.id] = {"alpha": rel.alpha, "sd": sd, "sem": sem,
                            "threshold": 1.96 * math.sqrt(2) * sem, "n": int(len(values)),
                            "declared": _declared_threshold(rule)}

    # -- test-retest ----------------------------------------------------------------------
    retest_result = None
    if retest is not None:
        if id_column is None:
            raise ValueError("assess(): `retest` needs `id_column`, the column that identifies "
                             "respondents in both administrations")
        second = _as_frame(retest, "retest")
        scored2 = m.score(second, columns=dict(columns) if columns else None,
                          on_invalid=on_invalid).scores
        target = primary or next(iter(floor_ceiling), None)
        if target is None:
            raise ValueError("assess(): the measure has no score to test for retest agreement")
        for df_, name in ((scored.scores, "responses"), (scored2, "retest")):
            if id_column not in df_:
                raise DataError([Diagnostic("missing-column", f"the {name} data have no column "
                                            f"{id_column!r}", "Give the respondent id column "
                                            "with --id-column.", Location(field=id_column))])
        retest_result = pm.test_retest(scored.scores[[id_column, target]],
                                       scored2[[id_column, target]], id_column=id_column,
                                       items=target)
        icc_v = _icc_agreement(retest_result)
        n_pairs = int(retest_result.n_pairs)
        r_rating = _cosmin_retest(n_pairs)
        status2: Status = "cannot conclude" if r_rating == "inadequate" else (
            "meets" if icc_v is not None and icc_v >= 0.70 else "does not meet")
        verdicts.append(_verdict(
            f"Test-retest — {target}", "ICC(A,1)", icc_v, "icc", status2,
            f"ICC (two-way random, absolute agreement, single) {_fmt(icc_v)} on {n_pairs} "
            f"pairs ({r_rating} sample by COSMIN)."))

    # -- convergent validity --------------------------------------------------------------
    convergent = None
    if reference is not None:
        if id_column is None:
            raise ValueError("assess(): `reference` needs `id_column`")
        ref = _as_frame(reference, "reference")
        ref_col = reference_score or _only_numeric(ref, id_column)
        target = primary or next(iter(floor_ceiling), None)
        merged = scored.scores[[id_column, target]].merge(ref[[id_column, ref_col]],
                                                          on=id_column, how="inner")
        convergent = pm.convergent_validity(merged[target], merged[ref_col])
        r = float(convergent.r)
        verdicts.append(_verdict(
            f"Convergent validity — {target}", f"r with {ref_col}", r, "convergent",
            "meets" if abs(r) >= 0.50 else "does not meet",
            f"r = {_fmt(r)} with {ref_col} (n = {len(merged)})."))

    if primary in rci and rci[primary]["threshold"] is None:
        est = rci[primary]
        verdicts.append(_verdict(
            f"Reliable change — {primary}", "proposed threshold", None, "rci", "not assessable",
            f"no reliable-change threshold is proposed: {est['refused']} (the least "
            f"reliability for one, after Nunnally 1978 and Wise 2004), so a threshold from it "
            "would be meaningless."))
    elif primary in rci:
        est = rci[primary]
        verdicts.append(_verdict(
            f"Reliable change — {primary}", "proposed threshold", est["threshold"], "rci",
            "information",
            f"SEM = {est['sd']:.2f} × sqrt(1 − {est['alpha']:.2f}) = {est['sem']:.2f}; a change "
            f"of more than {est['threshold']:.2f} points is reliable (Jacobson & Truax)."
            + (f" The measure declares {est['declared']:g}." if est["declared"] else "")))
    if sample["n_used"] < 100:
        warns.append(f"Only {sample['n_used']} respondents: estimates are imprecise; COSMIN asks "
                     "for at least 100 for very good ratings.")
    if simulated:
        warns.insert(0, "These responses are simulated: the results describe the simulation, "
                        "not the measure.")
    return AssessmentResult(
        measure_id=m.id, measure_version=m.version,
        measure_title=m.text(m.title) or m.id,
        validation_status=m.validation.status if m.validation else None,
        n_rows=n_rows, n_items=k_all, items=list(items_df.columns), sample=sample,
        reliability=reliability, keying=keying, factors=factors,
        declared_structure=structure, cfa=cfa_result, cfa_error=cfa_error,
        floor_ceiling=floor_ceiling, retest=retest_result, convergent=convergent, rci=rci,
        verdicts=verdicts, seed=seed, simulated=simulated, warnings=warns,
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _not_assessable(topic: str, key: str, why: str) -> Verdict:
    crit, source = CRITERIA[key]
    return Verdict(topic=topic, statistic="verdict", value=None, criterion=crit,
                   source=source, status="not assessable", text=f"not assessable: {why}")


def _improper(cfa: Any) -> list[str]:
    """Why a CFA solution cannot be interpreted: non-convergence, Heywood cases."""
    out = []
    if not cfa.converged:
        out.append(f"the model did not converge ({cfa.iterations} iterations)")
    est = cfa.estimates
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])]
    neg = var[var["est"].astype(float) < 0]
    if len(neg):
        out.append("a variance is negative (Heywood case: " + ", ".join(
            sorted(set(neg["lhs"].astype(str)))) + ")")
    if "std_all" in est.columns:
        loads = est[est["op"] == "=~"]
        big = loads[np.abs(loads["std_all"].astype(float)) > 1]
        if len(big):
            out.append("a standardised loading exceeds 1 (" + ", ".join(
                sorted(set(big["rhs"].astype(str)))) + ")")
    return out


def _baseline_rmsea(fit: Mapping[str, Any]) -> float | None:
    """RMSEA of the independence (baseline) model, from its chi-square and df."""
    chi, df, n = fit.get("baseline_chisq"), fit.get("baseline_df"), fit.get("ntotal")
    if chi is None or not df or not n:
        return None
    return math.sqrt(max(0.0, (float(chi) - float(df)) / (float(df) * (float(n) - 1))))


def _deduplicate(frame: pd.DataFrame, id_column: str | None) -> tuple[pd.DataFrame,
                                                                        dict[str, Any]]:
    """Drop repeated respondent ids (keeping the first row); count identical rows."""
    col = id_column if id_column is not None else (
        "respondent_id" if "respondent_id" in frame.columns else None)
    n_same = 0
    if col is not None and col in frame.columns:
        ids = frame[col].astype("string")
        rep = ids.notna() & ids.duplicated(keep="first")
        n_same = int(rep.sum())
        frame = frame[~rep.to_numpy()]
    identical = int(frame.duplicated(keep="first").sum())
    return frame, {"id_column": col, "n_same_id": n_same, "n_identical": identical}


def responses_from_store(store: Any, measure: Measure | str, *,
                         timepoint: str | None = None, service: str | None = None,
                         version: str | None = None) -> pd.DataFrame:
    """The stored answers to ``measure``, one row per respondent, for :func:`assess`.

    Each respondent's first administration (earliest date), or their first at
    ``timepoint``; anonymous forms each count once. Simulated forms are left out unless
    every form is simulated (then the frame is marked ``attrs["simulated"]``).
    ``service`` keeps only that service's forms (read in the database); ``version`` only
    forms given on that version of the measure.
    """
    import json

    m = as_measure(measure, caller="responses_from_store(measure=...)")
    adm = store.administrations(m.id, service=service)
    if timepoint is not None:
        adm = adm[adm["timepoint"] == timepoint]
    if version is not None:
        adm = adm[adm["measure_version"] == version]
    sim = adm["simulated"].astype(bool)
    all_sim = bool(len(adm)) and bool(sim.all())
    if not all_sim:
        adm = adm[~sim.to_numpy()]
    if adm.empty:
        raise DataError([Diagnostic(
            "no-baseline", f"the store holds no forms of {m.id}"
            + (f" version {version}" if version else "")
            + (f" for service {service!r}" if service else "")
            + (f" at timepoint {timepoint!r}" if timepoint else ""),
            "Import the forms first (`measurelib import`), or check the measure id.",
            Location())])
    adm = adm.sort_values(["date", "pk"], kind="stable")
    named = adm[adm["respondent_id"].notna()].drop_duplicates("respondent_id", keep="first")
    adm = pd.concat([named, adm[adm["respondent_id"].isna()]])
    answers = pd.DataFrame([json.loads(t) for t in adm["responses"]], index=adm.index)
    out = pd.concat([adm[["respondent_id"]], answers], axis=1).reset_index(drop=True)
    out.attrs["simulated"] = all_sim
    return out


def _recoded(measure: Measure, item_id: str, vals: np.ndarray) -> np.ndarray:
    """Answers with option scores and recodes applied, but not reverse-keyed."""
    mapping, _ = item_value_map(measure, item_id)
    return apply_map(vals, mapping) if mapping else vals


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, Mapping) else getattr(obj, key)


def _stability_text(stab: Any) -> str:
    if not stab:
        return "not available"
    if isinstance(stab, Mapping):
        parts = [f"{k}: {float(v):.0%}" for k, v in sorted(stab.items(), key=lambda kv: str(kv[0]))]
        return ", ".join(parts)
    return str(stab)


def _histogram(values: pd.Series, lo: float, hi: float, bins: int = 12) -> dict[str, list[float]]:
    uniq = np.unique(values)
    if len(uniq) <= 20:
        counts = [float((np.isclose(values, u)).sum()) for u in uniq]
        return {"x": [float(u) for u in uniq], "count": counts}
    edges = np.linspace(lo, hi, bins + 1)
    binned, _ = np.histogram(values, bins=edges)
    mids = (edges[:-1] + edges[1:]) / 2
    return {"x": [float(x) for x in mids], "count": [float(c) for c in binned]}


def _declared_threshold(rule: ScoreRule) -> float | None:
    rc = rule.reliable_change
    if rc is None:
        return None
    if rc.threshold is not None:
        return float(rc.threshold)
    if rc.reliability is not None and rc.sd is not None:
        return 1.96 * float(rc.sd) * math.sqrt(2 * (1 - float(rc.reliability)))
    return None


def _icc_agreement(result: Any) -> float | None:
    """ICC(A,1) — Shrout & Fleiss ICC(2,1) — of a test-retest result."""
    table = result.icc if isinstance(result.icc, pd.DataFrame) else result.icc.table
    return float(table.loc["ICC2", "icc"]) if "ICC2" in table.index else None


def _only_numeric(frame: pd.DataFrame, id_column: str) -> str:
    cols = [c for c in frame.columns if c != id_column and pd.api.types.is_numeric_dtype(frame[c])]
    if len(cols) != 1:
        raise ValueError(f"assess(): say which column of `reference` holds its score "
                         f"(reference_score=...); numeric columns: {cols}")
    return str(cols[0])


# ----------------------------------------------------------------------------- write RCI
def write_rci(measure: Measure | str, result: AssessmentResult, score: str | None = None,
              *, bump: Literal["minor", "patch"] = "minor") -> Measure:
    """A new version of ``measure`` whose score records the locally estimated reliable change.

    The score's ``reliable_change`` gets the alpha and SD the assessment measured (so the
    threshold follows Jacobson & Truax), with a ``source`` naming the data, its size and
    the date; the version's minor number is raised. Later scoring and the outcomes report
    use it.
    """
    m = _as_measure(measure)
    target = score or (next(iter(result.rci)) if result.rci else None)
    if target is None or target not in result.rci:
        raise ValueError(f"write_rci(): no reliable-change estimate for score {target!r}; "
                         f"available: {sorted(result.rci)}")
    est = result.rci[target]
    if est["threshold"] is None:
        raise ValueError(f"write_rci(): no reliable-change threshold for score {target!r}: "
                         f"{est['refused']} (at least {MIN_RCI_RELIABILITY:.2f} is needed)")
    major, minor, patch = (int(x) for x in m.version.split("-")[0].split("+")[0].split("."))
    version = f"{major}.{minor + 1}.0" if bump == "minor" else f"{major}.{minor}.{patch + 1}"
    data = m.to_dict()
    for rule in data["scores"]:
        if rule["id"] == target:
            rule["reliable_change"] = {
                "reliability": round(float(est["alpha"]), 4),
                "sd": round(float(est["sd"]), 4),
                "source": (f"Estimated by measurelib assess from {est['n']} local responses on "
                           f"{result.created[:10]}: alpha {est['alpha']:.3f}, SD {est['sd']:.3f}, "
                           f"threshold 1.96 × SD × sqrt(2(1 − alpha)) = {est['threshold']:.2f} "
                           "(Jacobson & Truax 1991)."),
            }
    data["version"] = version
    data.pop("lock", None)
    return Measure.model_validate(data)
