"""Change between a baseline and a follow-up: per person and for a service.

:func:`change` pairs each person's baseline with their follow-up (per episode of care) and
classifies the change with the reliable change index of Jacobson & Truax (1991) and, where
the measure declares a clinical cut-off, clinically significant change ("recovery").
Service-level figures (completion, mean change with its CI, paired effect sizes, the share
in each category with Wilson intervals) come out by site, service, worker or period, with an
attrition check comparing the baseline scores of people with and without a follow-up.

Everything is computed with pandas group-bys; no Python loop runs per person.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from measurelib._results import Result
from measurelib.compose import as_measure
from measurelib.definition import Measure, ScoreRule
from measurelib.errors import DataError, Diagnostic, Location

__all__ = ["CATEGORIES", "ChangeResult", "change", "wilson_interval"]

Z95 = 1.959963984540054
RCI_CRITERION = 1.96  # as published by Jacobson & Truax (1991)
CATEGORIES = ("reliably improved", "no reliable change", "reliably deteriorated")
JT_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")
GROUPABLE = ("site", "service", "worker", "mode", "respondent_type", "period", "age_band", "sex",
             "ethnicity", "deprivation_decile", "first_language")


def wilson_interval(k: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    r"""Wilson score interval for a proportion ``k / n`` (vectorised; NaN where n = 0).

    .. math::

        \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    References
    ----------
    .. [1] Wilson EB (1927). Probable inference, the law of succession, and statistical
       inference. J Am Stat Assoc 22(158):209-212.
    """
    import numpy as np

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def resolve_score(measure: Measure | str, score: str | None) -> tuple[Measure, ScoreRule]:
    """The measure (through :func:`measurelib.as_measure`) and its score rule ``score``."""
    measure = as_measure(measure, caller="change(measure=...)")
    if not measure.scores:
        raise ValueError(f"change(measure=...): {measure.id} has no score rules")
    if score is None:
        rule = measure.scores[0]
    else:
        try:
            rule = measure.score_rule(score)
        except KeyError:
            raise ValueError(f"change(score=...): allowed values are "
                             f"{', '.join(s.id for s in measure.scores)}; got {score!r}") from None
    if rule.higher_is_better is None:
        raise ValueError(f"change(): score {rule.id!r} of {measure.id} does not declare "
                         "`higher_is_better`; add it to the score rule so that improvement "
                         "has a direction")
    return measure, rule


def _scores_frame(source: Any, measure: Measure, rule: ScoreRule) -> Any:
    import pandas as pd

    from measurelib.outcomes.store import Store

    if isinstance(source, Store):
        df = source.scores(measure.id, rule.id)
    elif isinstance(source, pd.DataFrame):
        df = source
    else:
        raise TypeError(f"change(store_or_frame=...): expected a Store or a pandas DataFrame, "
                        f"got {type(source).__name__}")
    need = [c for c in ("respondent_id", "timepoint", "date") if c not in df.columns]
    if need:
        raise ValueError(f"change(store_or_frame=...): the frame needs columns {need}")
    se = None
    if "score_id" in df.columns and "value" in df.columns:
        df = df[df["score_id"] == rule.id]
        value = df["value"]
        se = df["se"] if "se" in df.columns else None
    elif rule.id in df.columns:
        value = df[rule.id]
        se = df[f"{rule.id}_se"] if f"{rule.id}_se" in df.columns else None
    elif "value" in df.columns:
        value = df["value"]
    else:
        raise ValueError(f"change(store_or_frame=...): the frame has no score column "
                         f"{rule.id!r} (nor `score_id`/`value` columns)")
    out = pd.DataFrame({
        "respondent_id": df["respondent_id"].astype("string"),
        "episode": (df["episode"].astype("string").fillna("1") if "episode" in df.columns
                    else pd.Series("1", index=df.index, dtype="string")),
        "timepoint": df["timepoint"].astype("string").str.lower(),
        "date": pd.to_datetime(df["date"]),
        "value": pd.to_numeric(value, errors="coerce").astype(float),
        "se": (pd.to_numeric(se, errors="coerce").astype(float) if se is not None
               and rule.method == "irt" else float("nan")),
    })
    for col in GROUPABLE:
        if col in df.columns and col != "period":
            out[col] = df[col]
    out = out[out["respondent_id"].notna() & out["value"].notna() & out["date"].notna()]
    return out


def _reliable_change(people: Any, rule: ScoreRule, warnings: list[str]
                     ) -> tuple[str | None, float | None, float | None, Any, Any]:
    r"""Each person's reliable change: sets ``people["rci"]`` (and ``s_diff`` for per-person
    standard errors) and returns ``(method, threshold, s_diff, reliable, assessed)``.

    An IRT score (``method: irt``) with both standard errors stored uses them
    (``"irt-se"``): :math:`S_{diff} = \sqrt{SE_1^2 + SE_2^2}`. Pairs without them fall
    back to the declared criterion; with none declared they are not classified.
    """
    import numpy as np
    import pandas as pd

    rc = rule.reliable_change
    method: str | None = None
    threshold: float | None = None
    s_diff: float | None = None
    change = people["change"]
    assessed = pd.Series(True, index=people.index)
    if rc is not None and rc.threshold is not None:
        method, threshold = "threshold", float(rc.threshold)
        s_diff = threshold / RCI_CRITERION
        reliable = change.abs() >= threshold - 1e-9
    elif rc is not None and rc.reliability is not None and rc.sd is not None:
        method = "jacobson-truax"
        s_diff = float(rc.sd) * math.sqrt(2 * (1 - float(rc.reliability)))
        threshold = RCI_CRITERION * s_diff
        reliable = (change / s_diff).abs() > RCI_CRITERION
    else:
        reliable = pd.Series(False, index=people.index)
        assessed = pd.Series(False, index=people.index)
    people["rci"] = change / s_diff if s_diff else np.nan
    if "baseline_se" in people.columns:
        pair = np.sqrt(people["baseline_se"] ** 2 + people["follow_up_se"] ** 2)
        own = (pair > 0) & pair.notna() & people["follow_up"].notna()
        if own.any():
            people["s_diff"] = pair.where(own)
            people.loc[own, "rci"] = change[own] / pair[own]
            reliable = reliable.where(~own, (change / pair).abs() > RCI_CRITERION)
            assessed = assessed | own
            n_fallback = int((people["follow_up"].notna() & ~own).sum())
            if n_fallback:
                warnings.append(
                    f"{n_fallback} pair(s) of {rule.id!r} scores have no stored standard "
                    "errors: " + (f"the declared criterion ({method}) was used for them"
                                  if method else "they are not classified"))
            return "irt-se", None, None, reliable, assessed
    if method is None:
        warnings.append(f"score {rule.id!r} declares no reliable_change criterion: reliable "
                        "change categories are not reported")
    return method, threshold, s_diff, reliable, assessed


def _in_clinical(values: Any, cutoff: Any) -> Any:
    import numpy as np

    v = float(cutoff.value)
    ops = {"ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less}
    return ops[cutoff.clinical](values, v)


def _stats(g: Any) -> Any:
    """Service-level figures from per-person columns grouped by ``g`` (a GroupBy)."""
    import numpy as np
    import pandas as pd
    from scipy.special import stdtrit  # the t quantile (scipy.stats costs ~1 s to import)

    names = {"has_baseline": "n_baseline", "paired": "n_paired", "b": "s_b", "f": "s_f",
             "d": "s_d", "b2": "ss_b", "f2": "ss_f", "d2": "ss_d", "bf": "s_bf",
             "improved": "n_improved", "unchanged": "n_unchanged",
             "deteriorated": "n_deteriorated", "clin_b": "n_clinical_baseline",
             "recovered": "n_recovered", "rel_recovered": "n_reliable_recovery"}
    # one grouped pass over every column (the same sums as one named aggregation each)
    agg = g[list(names)].sum().rename(columns=names)
    n = agg["n_paired"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mb, mf, md = agg["s_b"] / n, agg["s_f"] / n, agg["s_d"] / n
        vb = (agg["ss_b"] - n * mb * mb) / (n - 1)
        vf = (agg["ss_f"] - n * mf * mf) / (n - 1)
        vd = (agg["ss_d"] - n * md * md) / (n - 1)
        cov = (agg["s_bf"] - n * mb * mf) / (n - 1)
        sb, sf, sd = np.sqrt(vb.clip(lower=0)), np.sqrt(vf.clip(lower=0)), np.sqrt(
            vd.clip(lower=0))
        r = cov / (sb * sf)
        tcrit = stdtrit(np.asarray(n - 1, dtype=float), 0.975)
        se = sd / np.sqrt(n)
        dz = md / sd
        se_dz = np.sqrt(1 / n + dz * dz / (2 * n))
        dav = md / ((sb + sf) / 2)
        se_dav = np.sqrt((1 / n + dav * dav / (2 * n)) * 2 * (1 - r))
    # the columns gathered first and framed once (assigning ~40 columns one by one cost
    # more than the statistics on a small store)
    n_baseline = agg["n_baseline"].astype(int)
    n_paired = agg["n_paired"].astype(int)
    cols: dict[str, Any] = {"n_baseline": n_baseline, "n_paired": n_paired}
    cols["completion_rate"] = n_paired / n_baseline.where(n_baseline > 0)
    cols["completion_ci_low"], cols["completion_ci_high"] = wilson_interval(n_paired,
                                                                            n_baseline)
    cols["mean_baseline"], cols["sd_baseline"] = mb, sb
    cols["mean_follow_up"], cols["sd_follow_up"] = mf, sf
    cols["mean_change"], cols["sd_change"] = md, sd
    cols["change_ci_low"], cols["change_ci_high"] = md - tcrit * se, md + tcrit * se
    cols["r_baseline_follow_up"] = r
    cols["d_z"], cols["d_z_ci_low"], cols["d_z_ci_high"] = (dz, dz - Z95 * se_dz,
                                                            dz + Z95 * se_dz)
    cols["d_av"], cols["d_av_ci_low"], cols["d_av_ci_high"] = (dav, dav - Z95 * se_dav,
                                                               dav + Z95 * se_dav)
    for name, col in (("improved", "n_improved"), ("no_change", "n_unchanged"),
                      ("deteriorated", "n_deteriorated")):
        cols[f"n_{name}"] = agg[col].astype(int)
        cols[f"share_{name}"] = agg[col] / n.where(n > 0)
        lo, hi = wilson_interval(agg[col], n)
        cols[f"share_{name}_ci_low"], cols[f"share_{name}_ci_high"] = lo, hi
    cols["n_clinical_baseline"] = agg["n_clinical_baseline"].astype(int)
    cols["n_recovered"] = agg["n_recovered"].astype(int)
    cols["n_reliable_recovery"] = agg["n_reliable_recovery"].astype(int)
    ncb = agg["n_clinical_baseline"].astype(float)
    cols["recovery_rate"] = agg["n_recovered"] / ncb.where(ncb > 0)
    lo, hi = wilson_interval(agg["n_recovered"], ncb)
    cols["recovery_ci_low"], cols["recovery_ci_high"] = lo, hi
    cols["reliable_recovery_rate"] = agg["n_reliable_recovery"] / ncb.where(ncb > 0)
    lo, hi = wilson_interval(agg["n_reliable_recovery"], ncb)
    cols["reliable_recovery_ci_low"], cols["reliable_recovery_ci_high"] = lo, hi
    out = pd.DataFrame(cols, index=agg.index)
    return out


class ChangeResult(Result):
    """Baseline-to-follow-up change of one score, per person and for the service.

    Attributes
    ----------
    people : pandas.DataFrame
        One row per person and episode with a baseline: baseline and follow-up scores and
        dates, ``change`` (follow-up − baseline), ``improvement`` (change signed so that
        positive is better), ``rci``, ``category`` (reliably improved / no reliable change /
        reliably deteriorated; missing when unpaired), ``clinical_baseline``,
        ``clinical_follow_up``, ``recovered``, ``reliable_recovery`` and ``jt_category``
        (Jacobson & Truax: recovered / improved / unchanged / deteriorated).
    overall : dict
        Service-level figures for everyone (see :attr:`groups` for the columns).
    groups : pandas.DataFrame
        The same figures by each variable in ``by``: ``by``, ``group`` and the figures.
    attrition : dict
        Baseline scores of people with and without a follow-up compared (means, SDs,
        Welch t, p, standardised difference).
    warnings : list of str
        Caveats found (attrition bias, no reliable-change criterion, small numbers).
    """

    measure_id: str
    measure_version: str
    score_id: str
    baseline: str
    follow_up: str
    higher_is_better: bool
    rc_method: str | None
    rc_threshold: float | None
    s_diff: float | None
    cutoff: dict[str, Any] | None
    n_baseline: int
    n_paired: int
    by: list[str]
    people: Any
    overall: dict[str, Any]
    groups: Any
    attrition: dict[str, Any]
    warnings: list[str]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.people

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out = super().to_dict()
        out.pop("people")
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        o = self.overall
        lines = [
            f"{self.measure_id} {self.score_id}: {self.n_baseline} with a baseline, "
            f"{self.n_paired} paired ({_pct(o.get('completion_rate'))})",
        ]
        if self.n_paired:
            lines.append(
                f"mean change {o['mean_change']:+.2f} (95% CI {o['change_ci_low']:+.2f} to "
                f"{o['change_ci_high']:+.2f}); d_z {o['d_z']:.2f}, d_av {o['d_av']:.2f}")
            if self.rc_method:
                lines.append(
                    f"reliably improved {o['n_improved']} ({_pct(o['share_improved'])}), "
                    f"no reliable change {o['n_no_change']}, reliably deteriorated "
                    f"{o['n_deteriorated']}")
            if self.cutoff:
                lines.append(f"recovered {o['n_recovered']} of {o['n_clinical_baseline']} in "
                             f"the clinical range at baseline")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{100 * float(v):.0f}%"


def change(store_or_frame: Any, measure: Measure | str, baseline: str = "baseline",
           follow_up: str = "last", score: str | None = None, *,
           by: Sequence[str] | str | None = None, period: str = "Q",
           start: Any = None, end: Any = None, service: str | None = None,
           attrition_threshold: float = 0.2) -> ChangeResult:
    r"""Pair baselines with follow-ups and classify each person's change.

    Parameters
    ----------
    store_or_frame : Store or pandas.DataFrame
        A :class:`~measurelib.Store`, or a frame with ``respondent_id``, ``timepoint``,
        ``date``, optionally ``episode`` (default ``1``), and the score: a column named as
        the score id, or ``score_id`` + ``value`` columns (as :meth:`Store.scores` gives).
    measure : Measure or str
        The measure (or its catalog id).
    baseline : str, default "baseline"
        Timepoint label of the baseline; the earliest such administration per episode.
    follow_up : str, default "last"
        ``"last"``: the latest administration after the baseline date; ``"first"``: the
        earliest; or a timepoint label (e.g. ``"exit"``: the latest with that label).
    score : str, optional
        Score id (default: the measure's first score).
    by : str or list of str, optional
        Break the service figures down by ``site``, ``service``, ``worker``, ``mode``,
        ``period`` (of the baseline date), or an equity field.
    period : {"M", "Q", "Y"}, default "Q"
        Length of ``period`` groups.
    start, end : date-like, optional
        Only episodes whose baseline falls in ``[start, end]``.
    service : str, optional
        Only administrations of this service.
    attrition_threshold : float, default 0.2
        Warn when the standardised difference of baseline means between people with and
        without a follow-up is at least this large.

    Returns
    -------
    ChangeResult

    Notes
    -----
    Improvement is the change signed by the score's ``higher_is_better``. With a declared
    ``reliable_change.reliability`` :math:`r_{xx}` and reference ``sd`` :math:`s_1`
    (Jacobson & Truax 1991):

    .. math::

        S_{diff} = s_1\sqrt{2(1-r_{xx})}, \qquad RCI = \frac{x_2 - x_1}{S_{diff}}

    and the change is reliable when :math:`|RCI| > 1.96`. With a declared
    ``reliable_change.threshold`` (e.g. 6 points on the PHQ-9, as the NHS Talking Therapies
    manual publishes it) the change is reliable when :math:`|x_2 - x_1| \ge` threshold, and
    ``rci`` is reported on the same scale (change / (threshold / 1.96)). A declared
    threshold takes precedence over reliability and SD.

    An IRT score (``method: irt``) carries each person's standard error (stored as
    ``<score>_se``; in a frame, a ``se`` column beside ``value`` or a ``<score>_se``
    column). Where both of a pair's SEs are known, the change is judged against that
    person's own :math:`S_{diff} = \sqrt{SE_1^2 + SE_2^2}` — reliable when
    :math:`|x_2 - x_1| > 1.96\,S_{diff}` — and ``rc_method`` is ``"irt-se"``; ``people``
    then has ``baseline_se``, ``follow_up_se`` and ``s_diff``. Pairs without SEs use the
    declared criterion (with a warning).

    *Recovered* means in the clinical range at baseline (by ``clinical_cutoff``) and not at
    follow-up; *reliable recovery* adds reliable improvement, which is Jacobson & Truax's
    "recovered" category (clinically significant change).

    Effect sizes: :math:`d_z = \bar d / s_d` (the paired, "standardised response mean")
    with the normal-approximation standard error :math:`\sqrt{1/n + d_z^2/2n}`; and
    :math:`d_{av} = \bar d / ((s_1 + s_2)/2)` (Lakens 2013) with the standard error of
    Borenstein et al. (2009, eq. 4.28), :math:`\sqrt{(1/n + d^2/2n)\,2(1-r)}`. Their sign
    follows the score (negative when scores fall). Proportions have Wilson intervals; the
    mean change a t interval.

    The attrition check compares baseline scores of people with and without a follow-up by
    Welch's t test and the standardised difference
    :math:`(\bar x_{paired} - \bar x_{lost}) / \sqrt{(s^2_{paired} + s^2_{lost})/2}`.

    References
    ----------
    .. [1] Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to
       defining meaningful change in psychotherapy research. J Consult Clin Psychol
       59(1):12-19. doi:10.1037/0022-006X.59.1.12
    .. [2] Lakens D (2013). Calculating and reporting effect sizes to facilitate cumulative
       science. Front Psychol 4:863. doi:10.3389/fpsyg.2013.00863
    .. [3] Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to
       Meta-Analysis. Wiley, ch. 4.
    .. [4] Wilson EB (1927). J Am Stat Assoc 22(158):209-212.

    Examples
    --------
    >>> import pandas as pd, measurelib as ml
    >>> df = pd.DataFrame({"respondent_id": ["a", "a", "b", "b"],
    ...                    "timepoint": ["baseline", "exit"] * 2,
    ...                    "date": ["2025-01-01", "2025-03-01"] * 2,
    ...                    "total": [18, 8, 12, 11]})
    >>> res = ml.change(df, "phq-9")
    >>> res.people["category"].tolist()
    ['reliably improved', 'no reliable change']
    """
    import pandas as pd

    measure, rule = resolve_score(measure, score)
    if not isinstance(baseline, str) or not baseline:
        raise ValueError(f"change(baseline=...): expected a timepoint label, got {baseline!r}")
    if not isinstance(follow_up, str) or not follow_up:
        raise ValueError(f"change(follow_up=...): expected 'last', 'first' or a timepoint "
                         f"label, got {follow_up!r}")
    if period not in ("M", "Q", "Y"):
        raise ValueError(f"change(period=...): allowed values are 'M', 'Q', 'Y'; got {period!r}")
    by_list = [by] if isinstance(by, str) else list(by or [])
    bad = [b for b in by_list if b not in GROUPABLE]
    if bad:
        raise ValueError(f"change(by=...): allowed values are {', '.join(GROUPABLE)}; got {bad}")
    base_label, fu_label = baseline.lower(), follow_up.lower()
    from measurelib.outcomes.store import Store

    if isinstance(store_or_frame, Store):  # paired by the database, one row per person
        pairs = _store_pairs(store_or_frame, measure, rule, base_label, fu_label, service)
    else:
        pairs = _frame_pairs(_scores_frame(store_or_frame, measure, rule), base_label,
                             fu_label, service)
    if pairs is None:
        where = f" for service {service!r}" if service is not None else ""
        raise DataError([Diagnostic(
            "no-baseline", f"no {base_label!r} scores of {measure.id} {rule.id}{where}: "
            "nothing to compare", "Import the forms first (`measurelib import`), or check "
            "the measure, the service and the timepoint labels.", Location())])
    direction = 1.0 if rule.higher_is_better else -1.0
    if start is not None:
        pairs = pairs[(pairs["baseline_date"] >= pd.Timestamp(start)).to_numpy(dtype=bool)]
    if end is not None:
        pairs = pairs[(pairs["baseline_date"] <= pd.Timestamp(end)).to_numpy(dtype=bool)]
    pairs = pairs.sort_values(["respondent_id", "episode"], kind="stable") \
        .reset_index(drop=True)
    extra = [c for c in GROUPABLE if c in pairs.columns]
    people = pairs[["respondent_id", "episode", "baseline_date", "baseline", *extra]].copy()
    people["period"] = people["baseline_date"].dt.to_period(period).astype("string")
    for col in ("follow_up_date", "follow_up_timepoint", "follow_up", "follow_up_se"):
        people[col] = pairs[col]
    paired = people["follow_up"].notna()
    people["change"] = people["follow_up"] - people["baseline"]
    people["improvement"] = people["change"] * direction
    if rule.method == "irt":
        people.insert(people.columns.get_loc("baseline") + 1, "baseline_se",
                      pairs["baseline_se"])

    warnings: list[str] = []
    rc_method, threshold, s_diff, reliable, assessed = _reliable_change(
        people, rule, warnings)
    improved = paired & reliable & (people["improvement"] > 0)
    deteriorated = paired & reliable & (people["improvement"] < 0)
    unchanged = paired & assessed & ~improved & ~deteriorated
    cat = pd.Series(pd.NA, index=people.index, dtype="string")
    if rc_method:
        cat = cat.mask(improved, CATEGORIES[0]).mask(unchanged, CATEGORIES[1]).mask(
            deteriorated, CATEGORIES[2])
    people["category"] = cat
    cut = rule.clinical_cutoff
    if cut is not None:
        clin_b = pd.Series(_in_clinical(people["baseline"].to_numpy(), cut), index=people.index)
        clin_f = pd.Series(_in_clinical(people["follow_up"].to_numpy(), cut),
                           index=people.index).where(paired)
        people["clinical_baseline"] = clin_b
        people["clinical_follow_up"] = clin_f.astype("boolean")
        recovered = paired & clin_b & (clin_f == False)  # noqa: E712 - NaN-aware
        people["recovered"] = recovered.where(paired).astype("boolean")
        rel_rec = recovered & improved
        people["reliable_recovery"] = rel_rec.where(paired).astype("boolean")
    else:
        clin_b = pd.Series(False, index=people.index)
        recovered = rel_rec = pd.Series(False, index=people.index)
    jt = pd.Series(pd.NA, index=people.index, dtype="string")
    if rc_method:
        jt = jt.mask(unchanged, "unchanged").mask(deteriorated, "deteriorated").mask(
            improved, "improved")
        if cut is not None:
            jt = jt.mask(rel_rec, "recovered")
    people["jt_category"] = jt
    people = people.reset_index(drop=True)

    # ----------------------------------------------------------------- service level
    work = pd.DataFrame({
        "has_baseline": 1, "paired": paired.to_numpy().astype(int),
        "b": people["baseline"].where(paired.to_numpy()),
        "f": people["follow_up"],
        "d": people["change"],
        "improved": improved.to_numpy().astype(int),
        "unchanged": unchanged.to_numpy().astype(int),
        "deteriorated": deteriorated.to_numpy().astype(int),
        "clin_b": (clin_b & paired).to_numpy().astype(int),
        "recovered": recovered.to_numpy().astype(int),
        "rel_recovered": rel_rec.to_numpy().astype(int),
    })
    work["b2"], work["f2"], work["d2"] = work["b"] ** 2, work["f"] ** 2, work["d"] ** 2
    work["bf"] = work["b"] * work["f"]
    work["__all"] = "all"
    overall = _stats(work.groupby("__all"))
    overall_dict = {c: _plain(overall[c].iloc[0]) for c in overall.columns} if len(overall) else \
        {"n_baseline": 0, "n_paired": 0}
    frames = []
    for b in by_list:
        if b not in people.columns:
            continue
        work["__g"] = _labels(people[b]).fillna("(not recorded)").to_numpy()
        st = _stats(work.groupby("__g", sort=True))
        st.insert(0, "group", st.index.astype(str))
        st.insert(0, "by", b)
        frames.append(st.reset_index(drop=True))
    groups = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["by", "group", *overall.columns])

    # ----------------------------------------------------------------- attrition
    kept = people.loc[paired.to_numpy(), "baseline"]
    lost = people.loc[~paired.to_numpy(), "baseline"]
    attrition: dict[str, Any] = {"n_followed_up": int(len(kept)), "n_lost": int(len(lost)),
                                 "mean_followed_up": _plain(kept.mean()),
                                 "mean_lost": _plain(lost.mean()),
                                 "sd_followed_up": _plain(kept.std()),
                                 "sd_lost": _plain(lost.std()),
                                 "welch_t": None, "df": None, "p": None,
                                 "standardised_difference": None, "differs": False}
    if len(kept) >= 2 and len(lost) >= 2:
        sk, sl = float(kept.std()), float(lost.std())
        pooled = math.sqrt((sk * sk + sl * sl) / 2)
        if pooled > 0:
            vk, vl = sk * sk / len(kept), sl * sl / len(lost)
            dof = (vk + vl) ** 2 / (vk * vk / (len(kept) - 1) + vl * vl / (len(lost) - 1))
            t_stat, p_value = _welch(float(kept.mean()) - float(lost.mean()), vk + vl, dof)
            smd = (float(kept.mean()) - float(lost.mean())) / pooled
            differs = abs(smd) >= attrition_threshold or p_value < 0.05
            attrition.update(welch_t=t_stat, df=float(dof), p=p_value,
                             standardised_difference=smd, differs=bool(differs))
            if differs:
                better = (smd * direction) > 0
                warnings.append(
                    f"people followed up had {'better' if better else 'worse'} baseline scores "
                    f"than those without a follow-up (standardised difference {smd:+.2f}, "
                    f"Welch p = {p_value:.3f}): the change seen may not hold for "
                    "everyone who started")
    n_paired = int(paired.sum())
    if 0 < n_paired < 10:
        warnings.append(f"only {n_paired} people have a baseline and a follow-up: figures are "
                        "uncertain")
    return ChangeResult(
        measure_id=measure.id, measure_version=measure.version, score_id=rule.id,
        baseline=base_label, follow_up=fu_label, higher_is_better=bool(rule.higher_is_better),
        rc_method=rc_method, rc_threshold=threshold, s_diff=s_diff,
        cutoff=None if cut is None else {"value": float(cut.value), "clinical": cut.clinical,
                                         "label": measure.text(cut.label)},
        n_baseline=int(len(people)), n_paired=n_paired, by=by_list, people=people,
        overall=overall_dict, groups=groups, attrition=attrition, warnings=warnings)


_FU = ("follow_up_date", "follow_up_timepoint", "follow_up", "follow_up_se")


def _frame_pairs(df: Any, base_label: str, fu_label: str, service: str | None) -> Any:
    """Baselines and their follow-ups from a frame of scores (pandas), one row per person
    and episode; None when the frame holds no baseline. See :func:`_store_pairs`.
    """
    import pandas as pd

    if service is not None and "service" in df.columns:
        df = df[df["service"] == service]
    if not len(df) or not (df["timepoint"].astype(str).str.lower() == base_label).any():
        return None
    key = ["respondent_id", "episode"]
    # one integer code per person and episode: every later step works on integers
    df = df.assign(_k=df.groupby(key, sort=False, dropna=False).ngroup().to_numpy())
    df = df.sort_values(["_k", "date"], kind="stable")
    is_base = (df["timepoint"] == base_label).to_numpy(dtype=bool, na_value=False)
    base = df[is_base].drop_duplicates("_k", keep="first").set_index("_k")
    rest = df[~is_base]
    if fu_label not in ("last", "first"):
        rest = rest[(rest["timepoint"] == fu_label).to_numpy(dtype=bool, na_value=False)]
    base_date = rest["_k"].map(base["date"])
    rest = rest[(rest["date"] > base_date).to_numpy(dtype=bool)]
    fu = rest.drop_duplicates("_k", keep="first" if fu_label == "first" else "last") \
        .set_index("_k")
    pairs = pd.DataFrame({
        "respondent_id": base["respondent_id"], "episode": base["episode"],
        "baseline_date": base["date"], "baseline": base["value"],
        "baseline_se": base["se"]}, index=base.index)
    for c in GROUPABLE:
        if c in base.columns:
            pairs[c] = base[c]
    return pairs.join(fu[["date", "timepoint", "value", "se"]].rename(columns=dict(
        zip(("date", "timepoint", "value", "se"), _FU))))


def _store_pairs(store: Any, measure: Measure, rule: ScoreRule, base_label: str,
                 fu_label: str, service: str | None) -> Any:
    """Baselines and their follow-ups paired in SQL (:func:`paired_scores`): the same rows
    as :func:`_frame_pairs` on ``store.scores()``, without reading every score.
    """
    import pandas as pd

    from measurelib.outcomes.store._queries import paired_scores

    cols = [c for c in GROUPABLE if c != "period"]
    df = paired_scores(store, measure.id, rule.id, base_label, fu_label, service=service,
                       columns=cols, se=rule.method == "irt")
    if not len(df):
        return None
    for col in ("respondent_id", "episode", "follow_up_timepoint"):
        df[col] = df[col].astype("string")
    df["baseline_date"] = pd.to_datetime(df["baseline_date"])
    df["follow_up_date"] = pd.to_datetime(df["follow_up_date"]).astype(
        df["baseline_date"].dtype)
    for col in ("baseline", "follow_up", "baseline_se", "follow_up_se"):
        df[col] = (pd.to_numeric(df[col]).astype(float) if col in df.columns
                   else float("nan"))
    return df


def _labels(values: Any) -> Any:
    """Group labels as text; whole numbers held as floats (a decile column with a missing
    value) print as ``3``, not ``3.0``.
    """
    import numpy as np
    import pandas as pd

    if pd.api.types.is_float_dtype(values):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(v)
        if bool((v[ok] == np.round(v[ok])).all()):
            return values.astype("Int64").astype("string")
    return values.astype("string")


def _welch(diff: float, var: float, dof: float) -> tuple[float, float]:
    """Welch's t statistic and two-sided p (``scipy.stats.ttest_ind(equal_var=False)``).

    ``diff`` is the difference of the means, ``var`` the sum of the squared standard errors.
    A zero variance (identical values in both groups) gives an infinite or undefined t, as
    SciPy does.
    """
    import numpy as np
    from scipy.special import stdtr

    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(np.float64(diff) / np.sqrt(np.float64(var)))
    p = float(2 * stdtr(dof, -abs(t))) if not math.isnan(t) else math.nan
    return t, p


def _plain(v: Any) -> Any:
    import numpy as np

    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
