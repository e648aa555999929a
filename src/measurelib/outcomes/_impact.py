"""The impact report for commissioners, and the feedback sheet for the person.

:func:`impact_report` turns the store into one self-contained HTML page (or PDF, or JSON):
headline figures, before/after distributions, reliable-change categories, completion over
time with an XmR run chart, breakdowns, and a methods box with citations and caveats.
Every aggregate count below ``min_cell`` (default 5) is shown as ``<5``, in every format.

:func:`feedback_sheet` writes a one-page, large-print sheet for one person: their scores
over time against the measure's bands, with each band's advice, in the measure's language.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from measurelib._output import hbar_chart, render_template, run_chart, write_pdf
from measurelib._results import Result, to_jsonable
from measurelib.definition import Measure, band_intervals, reachable
from measurelib.outcomes._change import GROUPABLE, change, resolve_score

__all__ = ["ImpactReport", "feedback_sheet", "impact_report", "xmr_limits"]

JT_CITATION = ("Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to "
               "defining meaningful change in psychotherapy research. Journal of Consulting and "
               "Clinical Psychology 59(1):12-19. doi:10.1037/0022-006X.59.1.12")
XMR_CITATION = ("Provost LP, Murray SK (2011). The Health Care Data Guide: Learning from Data "
                "for Improvement. Jossey-Bass (XmR / individuals charts, limits mean ± 2.66 × "
                "mean moving range).")


def xmr_limits(values: Sequence[float]) -> dict[str, float | None]:
    """Individuals (XmR) chart limits: mean ± 2.66 × mean moving range.

    Returns ``{"centre", "mean_moving_range", "lower", "upper"}`` (None with < 2 values).
    """
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if len(vals) < 2:
        return {"centre": vals[0] if vals else None, "mean_moving_range": None,
                "lower": None, "upper": None}
    centre = sum(vals) / len(vals)
    mr = sum(abs(b - a) for a, b in zip(vals, vals[1:])) / (len(vals) - 1)
    return {"centre": centre, "mean_moving_range": mr, "lower": centre - 2.66 * mr,
            "upper": centre + 2.66 * mr}


# ----------------------------------------------------------------------------- suppression
class _Suppressor:
    def __init__(self, min_cell: int) -> None:
        if not isinstance(min_cell, int) or min_cell < 1:
            raise ValueError(f"min_cell must be a whole number ≥ 1; got {min_cell!r}")
        self.min_cell = min_cell
        self.label = f"<{min_cell}"

    def count(self, n: Any) -> Any:
        if n is None or (isinstance(n, float) and math.isnan(n)):
            return None
        n = int(n)
        return self.label if 0 < n < self.min_cell else n

    def share(self, k: Any, n: Any, value: Any) -> Any:
        """A proportion, hidden when its numerator or denominator is a small number."""
        if value is None or n is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if 0 < int(k) < self.min_cell or int(n) < self.min_cell:
            return self.label
        return float(value)

    def stat(self, n: Any, value: Any) -> Any:
        """A mean or other statistic, hidden when it rests on fewer than min_cell people."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return self.label if int(n or 0) < self.min_cell else float(value)


def _figures(row: dict[str, Any], sup: _Suppressor) -> dict[str, Any]:
    n = int(row.get("n_paired") or 0)
    nb = int(row.get("n_baseline") or 0)
    out: dict[str, Any] = {
        "n_baseline": sup.count(nb), "n_paired": sup.count(n),
        "completion_rate": sup.share(n, nb, row.get("completion_rate")),
    }
    for k in ("mean_baseline", "mean_follow_up", "mean_change", "change_ci_low",
              "change_ci_high", "d_z", "d_z_ci_low", "d_z_ci_high", "d_av", "d_av_ci_low",
              "d_av_ci_high"):
        out[k] = sup.stat(n, row.get(k))
    for name in ("improved", "no_change", "deteriorated"):
        cnt = int(row.get(f"n_{name}") or 0)
        out[f"n_{name}"] = sup.count(cnt)
        out[f"share_{name}"] = sup.share(cnt, n, row.get(f"share_{name}"))
        out[f"share_{name}_ci_low"] = sup.share(cnt, n, row.get(f"share_{name}_ci_low"))
        out[f"share_{name}_ci_high"] = sup.share(cnt, n, row.get(f"share_{name}_ci_high"))
    ncb = int(row.get("n_clinical_baseline") or 0)
    for name, col in (("recovered", "recovery"), ("reliable_recovery", "reliable_recovery")):
        cnt = int(row.get(f"n_{name}") or 0)
        out[f"n_{name}"] = sup.count(cnt)
        out[f"{col}_rate"] = sup.share(cnt, ncb, row.get(f"{col}_rate"))
    out["n_clinical_baseline"] = sup.count(ncb)
    return out


# ----------------------------------------------------------------------------- SVG
def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if isinstance(v, int):
        return str(v)
    return f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return f"{100 * float(v):.0f}%"


# ----------------------------------------------------------------------------- report
class ImpactReport(Result):
    """The figures of an impact report, with small numbers already suppressed."""

    measure_id: str
    measure_version: str
    title: str
    score_id: str
    generated: str
    period_from: str | None
    period_to: str | None
    service: str | None
    min_cell: int
    data: dict[str, Any]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.data.get("breakdowns", []))

    def summary(self) -> str:
        h = self.data["headline"]
        return (f"{self.title}: {h['n_baseline']} started, {h['n_paired']} followed up; "
                f"reliably improved {_pct(h['share_improved'])}")

    def to_html(self) -> str:
        """One self-contained HTML page (inline CSS and SVG; no external requests)."""
        return _render("report.html.j2", report=self, d=self.data, fmt=_fmt, pct=_pct,
                       charts=self._charts())

    def _charts(self) -> dict[str, Markup]:
        d, h = self.data, self.data["headline"]
        cats = [("Reliably improved", h["n_improved"]), ("No reliable change", h["n_no_change"]),
                ("Reliably deteriorated", h["n_deteriorated"])]
        charts = {"categories": hbar_chart(
            cats, "Reliable change categories",
            "Number of people followed up in each category: " + "; ".join(
                f"{k}: {_fmt(v)}" for k, v in cats),
            colours=["#00703c", "#b1b4b6", "#d4351c"])}
        rows = []
        for r in d["distribution"]:
            rows += [(f"{r['band']}, before", r["baseline"]), (f"{r['band']}, after",
                                                                 r["follow_up"])]
        charts["distribution"] = hbar_chart(
            rows, "Score bands before and after",
            "People in each band at baseline and follow-up: " + "; ".join(
                f"{k}: {_fmt(v)}" for k, v in rows), colours=["#b1b4b6", "#1d70b8"])
        months = d["months"]
        lim = d["run_chart_limits"]
        charts["run_mean"] = run_chart(
            [(m["month"], m["mean"]) for m in months], "Mean score of all forms, by month",
            "Run chart (XmR) of the mean score of all forms each month, with the centre line "
            "and limits at mean ± 2.66 × mean moving range; months with fewer than "
            f"{self.min_cell} forms are left out. See the data table.",
            limits=lim["mean"])
        charts["run_completion"] = run_chart(
            [(m["month"], m["completion"]) for m in months],
            "Follow-up completion by month of start",
            "Share of people starting each month who have a follow-up, with XmR limits. "
            "See the data table.", limits=lim["completion"], y_range=(0, 1),
            percent=True)
        return {name: Markup(svg) for name, svg in charts.items()}

    def write(self, path: str | Path) -> Path:
        """Write ``.html``, ``.pdf`` or ``.json`` by the file's suffix."""
        return _write(path, self.to_html, self.to_json)


def _write(path: str | Path, html: Any, json_text: Any) -> Path:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        p.write_text(html(), encoding="utf-8")
    elif suffix == ".pdf":
        p.write_bytes(write_pdf(html()))
    elif suffix == ".json" and json_text is not None:
        p.write_text(json_text(), encoding="utf-8")
    else:
        allowed = ".html, .pdf, .json" if json_text is not None else ".html, .pdf"
        raise ValueError(f"output: allowed file types are {allowed}; got {p.name!r}")
    return p


def _render(template: str, **context: Any) -> str:
    return render_template(f"outcomes/{template}", **context)


def _band_ranges(measure: Measure, rule: Any) -> list[tuple[float, float, str]]:

    if not rule.bands:
        return []
    lo_hi = measure.score_range(rule)
    values = reachable(measure, rule)
    whole = values is not None and all(float(v).is_integer() for v in values)
    out = []
    for band, (lo, li, hi, _hi) in zip(rule.bands, band_intervals(rule.bands)):
        if whole and not li and not math.isinf(lo) and float(lo).is_integer():
            lo += 1  # integer scores: "above 4" is "from 5"
        a = lo_hi[0] if math.isinf(lo) else lo
        b = lo_hi[1] if math.isinf(hi) else hi
        out.append((float(a), float(b), measure.text(band.label) or ""))
    return out


def impact_report(store: Any, measure: Measure | str, *, score: str | None = None,
                  start: Any = None, end: Any = None, service: str | None = None,
                  by: Sequence[str] = ("site",), min_cell: int = 5,
                  baseline: str = "baseline", follow_up: str = "last",
                  title: str | None = None) -> ImpactReport:
    """Compute the figures of an impact report from a store (or a frame of scores).

    Parameters
    ----------
    store : Store or pandas.DataFrame
    measure : Measure or str
    score : str, optional
        Score id (default the first).
    start, end : date-like, optional
        Episodes whose baseline falls in this period.
    service : str, optional
        Only this service.
    by : sequence of str
        Breakdowns (``site``, ``service``, ``worker``, ...). Mode and the equity fields
        recorded are always broken down.
    min_cell : int, default 5
        Counts from 1 to ``min_cell - 1`` are shown as ``<min_cell``, and proportions and
        means resting on them are hidden, in HTML, PDF and JSON alike.
    """
    import pandas as pd

    measure, rule = resolve_score(measure, score)
    sup = _Suppressor(min_cell)
    extra = ["mode", "age_band", "sex", "ethnicity", "deprivation_decile", "first_language"]
    res = change(store, measure, baseline, follow_up, rule.id,
                 by=[b for b in dict.fromkeys([*by, *extra]) if b in GROUPABLE],
                 period="M", start=start, end=end, service=service)
    people = res.people
    head = _figures(res.overall, sup)
    # before/after distribution over the bands (paired people)
    bands = _band_ranges(measure, rule)
    paired = people[people["follow_up"].notna()]
    dist = []
    if rule.bands:

        ivs = band_intervals(rule.bands)

        def band_of(values: Any) -> Any:
            import numpy as np

            out = np.full(len(values), -1)
            v = values.to_numpy(dtype=float)
            for i, (lo, li, hi, hi_inc) in enumerate(ivs):
                m = ((v > lo) | (li & (v == lo))) & ((v < hi) | (hi_inc & (v == hi)))
                out[(out < 0) & m] = i
            return out

        import numpy as np

        b_idx, f_idx = band_of(paired["baseline"]), band_of(paired["follow_up"])
        for i, band in enumerate(rule.bands):
            dist.append({"band": measure.text(band.label),
                         "baseline": sup.count(int(np.sum(b_idx == i))),
                         "follow_up": sup.count(int(np.sum(f_idx == i)))})
    # breakdowns
    breakdowns = []
    for rec in res.groups.to_dict(orient="records"):
        if rec["by"] in ("mode", "age_band", "sex", "ethnicity", "deprivation_decile",
                         "first_language") and set(res.groups.loc[
                res.groups["by"] == rec["by"], "group"]) == {"(not recorded)"}:
            continue
        if rec["by"] == "period":
            continue
        breakdowns.append({"by": rec["by"], "group": rec["group"], **_figures(rec, sup)})
    # run chart by month: mean score of all administrations and completion of baselines
    frame = store.scores(measure.id, rule.id) if not isinstance(store, pd.DataFrame) else store
    if service is not None and "service" in frame.columns:
        frame = frame[frame["service"] == service]
    frame = frame[frame["value"].notna()] if "value" in frame.columns else frame
    months = []
    if len(frame):
        fr = frame.assign(month=pd.to_datetime(frame["date"]).dt.to_period("M").astype(str))
        if start is not None:
            fr = fr[pd.to_datetime(fr["date"]) >= pd.Timestamp(start)]
        if end is not None:
            fr = fr[pd.to_datetime(fr["date"]) <= pd.Timestamp(end)]
        val = fr["value"] if "value" in fr.columns else fr[rule.id]
        g = val.groupby(fr["month"]).agg(["size", "mean"])
        comp = people.assign(month=people["baseline_date"].dt.to_period("M").astype(str)) \
            .groupby("month").agg(started=("baseline", "size"),
                                  followed=("follow_up", lambda s: int(s.notna().sum())))
        all_months = pd.period_range(min(g.index.min(), comp.index.min() if len(comp) else
                                         g.index.min()),
                                     max(g.index.max(), comp.index.max() if len(comp) else
                                         g.index.max()), freq="M").astype(str)
        for mth in all_months:
            n = int(g["size"].get(mth, 0))
            started = int(comp["started"].get(mth, 0)) if len(comp) else 0
            followed = int(comp["followed"].get(mth, 0)) if len(comp) else 0
            months.append({
                "month": mth, "n": sup.count(n),
                "mean": sup.stat(n, g["mean"].get(mth)) if n else None,
                "started": sup.count(started), "followed_up": sup.count(followed),
                "completion": sup.share(followed, started,
                                        followed / started if started else None)})
    means = [m["mean"] for m in months if isinstance(m["mean"], float)]
    comps = [m["completion"] for m in months if isinstance(m["completion"], float)]
    run = {"mean": xmr_limits(means), "completion": xmr_limits(comps)}
    # offers (the true denominator) and anonymous forms with response rates
    participation = _participation(store, measure.id, sup, start, end, service)
    refs = [JT_CITATION]
    refs += [r.citation for r in measure.references]
    refs += [r.citation for r in rule.references if r.citation not in refs]
    refs.append(XMR_CITATION)
    rc = rule.reliable_change
    if res.rc_method == "threshold":
        rc_text = (f"a change of at least {res.rc_threshold:g} points"
                   + (f" ({rc.source})" if rc is not None and rc.source else ""))
    elif res.rc_method:
        rc_text = (f"|RCI| > 1.96 with S_diff = {_fmt(res.s_diff, 2)} (reliability "
                   f"{rc.reliability if rc else ''}, SD {rc.sd if rc else ''}), i.e. a change "
                   f"of more than {res.rc_threshold:.2f} points")
    else:
        rc_text = "no reliable-change criterion is declared for this score"
    retro = 0
    if "retrospective" in frame.columns and "timepoint" in frame.columns:
        retro = int((frame["retrospective"].fillna(False).astype(bool)
                     & (frame["timepoint"] == baseline)).sum())
    caveats = [
        "There is no comparison group: the change shown cannot be attributed to the "
        "service alone (people often improve with time, and extreme scores tend to move "
        "towards the average on re-testing).",
        f"Only people with both a baseline and a follow-up are in the change figures "
        f"({_fmt(head['n_paired'])} of {_fmt(head['n_baseline'])}).",
        f"Counts below {min_cell} are shown as <{min_cell} to protect privacy; rates and "
        "means resting on them are hidden.",
        *res.warnings,
    ]
    simulated = 0
    if "simulated" in frame.columns:  # one row per administration of this score
        simulated = int(frame["simulated"].fillna(False).astype(bool).sum())
    if simulated:
        caveats.insert(0, f"{simulated} of these forms are SIMULATED (generated by a model, not "
                          "completed by people): the figures describe the simulation, not the "
                          "service.")
    if retro:
        caveats.append(f"{_fmt(sup.count(retro))} baseline(s) were completed retrospectively "
                       "(thinking back to the start), which tends to exaggerate change.")
    data = {
        "headline": head,
        "direction": "higher is better" if rule.higher_is_better else "lower is better",
        "reliable_change": rc_text,
        "cutoff": res.cutoff,
        "distribution": dist,
        "breakdowns": breakdowns,
        "months": months,
        "run_chart_limits": run,
        "attrition": {k: (sup.count(v) if k.startswith("n_") else v)
                      for k, v in res.attrition.items()},
        "references": refs,
        "caveats": caveats,
        "simulated": simulated,
        "validation": (measure.validation.status if measure.validation else None),
        "bands": [{"label": b[2], "min": b[0], "max": b[1]} for b in bands],
        "participation": participation,
    }
    data = to_jsonable(data)
    score_title = measure.text(rule.title) or rule.id
    return ImpactReport(
        measure_id=measure.id, measure_version=measure.version,
        title=title or f"{measure.text(measure.short_title) or measure.text(measure.title)}: "
        "outcomes report", score_id=rule.id,
        generated=_dt.date.today().isoformat(),
        period_from=str(pd.Timestamp(start).date()) if start is not None else None,
        period_to=str(pd.Timestamp(end).date()) if end is not None else None,
        service=service, min_cell=min_cell, data={**data, "score_title": score_title})


def _participation(store: Any, measure_id: str, sup: _Suppressor, start: Any, end: Any,
                   service: str | None) -> dict[str, Any]:
    """Offer records by status, and anonymous forms against forms handed out."""
    import pandas as pd

    out: dict[str, Any] = {"offers": [], "anonymous": []}
    if isinstance(store, pd.DataFrame):
        return out

    def window(df: Any) -> Any:
        d = pd.to_datetime(df["date"])
        keep = pd.Series(True, index=df.index)
        if start is not None:
            keep &= d >= pd.Timestamp(start)
        if end is not None:
            keep &= d <= pd.Timestamp(end)
        if service is not None:
            keep &= df["service"] == service
        return df[keep.to_numpy()]

    offers = window(store.table("offers"))
    offers = offers[offers["measure_id"] == measure_id]
    named = offers[offers["respondent_id"].notna()]
    for status, n in named.groupby("status")["count"].sum().items():
        out["offers"].append({"status": str(status).replace("_", " "), "n": sup.count(int(n))})
    adm = store.administrations(measure_id, responses=False)
    anon = window(adm[adm["anonymous"].astype(bool)])
    handed = offers[offers["respondent_id"].isna() & (offers["status"] == "offered")]
    if len(anon) or len(handed):
        got = anon.assign(site=anon["site"].fillna("(all)")).groupby("site").size()
        given = handed.assign(site=handed["site"].fillna("(all)")).groupby("site")["count"].sum()
        for site in sorted(set(got.index) | set(given.index)):
            k, n = int(got.get(site, 0)), int(given.get(site, 0))
            out["anonymous"].append({
                "site": site, "returned": sup.count(k), "handed_out": sup.count(n),
                "response_rate": sup.share(k, n, k / n if n else None)})
    return out


# ----------------------------------------------------------------------------- feedback
def feedback_sheet(store: Any, measure: Measure | str, respondent_id: str, *,
                   score: str | None = None, episode: str | None = None,
                   lang: str | None = None) -> str:
    """A one-page, large-print HTML sheet of one person's scores over time.

    Shows each score against the bands, the advice of the band of the latest score and what
    changed since the first (with the reliable-change criterion, in plain words).
    """
    import pandas as pd

    measure, rule = resolve_score(measure, score)
    lang = lang or measure.language
    frame = store.scores(measure.id, rule.id)
    mine = frame[frame["respondent_id"] == str(respondent_id)]
    if episode is not None:
        mine = mine[mine["episode"] == str(episode)]
    if mine.empty:
        raise ValueError(f"feedback_sheet(respondent_id=...): no {measure.id} scores stored "
                         f"for {respondent_id!r}")
    mine = mine.sort_values("date")
    points = [(pd.Timestamp(d).strftime("%d %b %Y"), float(v))
              for d, v in zip(mine["date"], mine["value"]) if pd.notna(v)]
    bands = _band_ranges(measure, rule)
    lo, hi = measure.score_range(rule)
    chart = Markup(run_chart(
        points, f"Your {measure.text(rule.title, lang) or rule.id} over time",
        "Scores: " + "; ".join(f"{d}: {_fmt(v, 0)}" for d, v in points),
        bands=bands, y_range=(lo, hi), width=640, height=300, big=True))
    latest = mine.iloc[-1]
    first = mine.iloc[0]
    band_obj = None

    for band, (blo, bli, bhi, bhi_inc) in zip(rule.bands, band_intervals(rule.bands)):
        v = float(latest["value"])
        if (v > blo or (bli and v == blo)) and (v < bhi or (bhi_inc and v == bhi)):
            band_obj = band
            break
    diff = float(latest["value"]) - float(first["value"])
    better = (diff > 0) == bool(rule.higher_is_better) and diff != 0
    rc = rule.reliable_change
    thr = None
    if rc is not None:
        thr = float(rc.threshold) if rc.threshold is not None else (
            1.96 * float(rc.sd or 0) * math.sqrt(2 * (1 - float(rc.reliability or 0))))
    if len(mine) < 2:
        what = "This is your first score. Next time we can show you what has changed."
    elif diff == 0:
        what = "Your score is the same as the first time."
    else:
        size = "a big enough change to be sure it is real" if thr and abs(diff) >= thr else \
            "a small change, which could be day-to-day ups and downs"
        what = (f"Your score has gone {'up' if diff > 0 else 'down'} by {_fmt(abs(diff), 0)} "
                f"points since {pd.Timestamp(first['date']).strftime('%d %B %Y')}. "
                f"{'That is better' if better else 'That is worse'}: {size}.")
    direction = ("Higher scores are better." if rule.higher_is_better else
                 "Lower scores are better.")
    return _render("feedback.html.j2", measure=measure, lang=lang,
                   title=measure.text(measure.short_title, lang) or measure.text(measure.title,
                                                                                 lang),
                   score_title=measure.text(rule.title, lang) or rule.id, chart=chart,
                   rows=[(d, _fmt(v, 0)) for d, v in points],
                   band=None if band_obj is None else {
                       "label": measure.text(band_obj.label, lang),
                       "advice": measure.text(band_obj.advice, lang)},
                   bands=bands, latest=_fmt(float(latest["value"]), 0), what=what,
                   direction=direction, dir=measure.direction(lang),
                   today=_dt.date.today().strftime("%d %B %Y"))


def write_feedback(path: str | Path, html: str) -> Path:
    """Write a feedback sheet as ``.html`` or ``.pdf``."""
    return _write(path, lambda: html, None)
