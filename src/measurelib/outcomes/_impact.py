"""The impact report for commissioners, and the feedback sheet for the person.

:func:`impact_report` turns the store into one self-contained HTML page (or PDF, or JSON):
headline figures, before/after distributions, reliable-change categories, completion over
time with an XmR run chart, breakdowns, and a methods box with citations and caveats.
Disclosure control: every count from 1 to ``min_cell - 1`` (default 5), and every count
that would let one be worked out by subtraction, is shown as ``[c]`` in every format, and no
statistic of a hidden group is published (:mod:`measurelib._output._disclosure`).

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
from measurelib._output._logo import LOGO_MAX_BYTES, read_logo  # noqa: F401 - re-exported
from measurelib._results import Result, to_jsonable
from measurelib.compose import as_measure
from measurelib.definition import Measure, band_intervals, reachable
from measurelib.outcomes._change import GROUPABLE, change, resolve_score

__all__ = ["ImpactReportResult", "feedback_sheet", "impact_report", "xmr_limits"]

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
_CATS = (("improved", "Reliably improved"), ("no_change", "No reliable change"),
         ("deteriorated", "Reliably deteriorated"))
_EQUITY = ("mode", "age_band", "sex", "ethnicity", "deprivation_decile", "first_language")


class ImpactReportResult(Result):
    """The figures of an impact report, with disclosure control already applied.

    ``data`` is the one object every sentence, table, chart and JSON field is written from:
    ``data["sections"]`` holds one section per score (headline, reliable-change categories
    when a criterion is declared, bands, breakdowns, months, attrition, caveats), and
    ``data["participation"]`` the offers and anonymous forms. Hidden counts are
    ``data["marker"]`` (``"[c]"``); statistics of hidden groups are ``None``.
    """

    measure_id: str
    measure_version: str
    title: str
    score_id: str
    score_ids: list[str]
    generated: str
    period_from: str | None
    period_to: str | None
    service: str | None
    min_cell: int
    organisation: str | None = None
    logo: str | None = None
    data: dict[str, Any]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        rows = [{"score_id": s["score_id"], **b} for s in self.data["sections"]
                for b in s["breakdowns"]]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A short plain-text summary: one line per score."""
        lines = []
        for s in self.data["sections"]:
            h = s["headline"]
            line = (f"{s['score_title']}: {_fmt(h['n_baseline'])} started, "
                    f"{_fmt(h['n_paired'])} followed up")
            if s["categories_reported"]:
                shown = (_pct(h["share_improved"]) if h["share_improved"] is not None
                         else _fmt(h["n_improved"]))
                line += f"; reliably improved {shown}"
            else:
                line += "; reliable change not reported (no criterion declared)"
            lines.append(line)
        if self.data.get("n_hidden"):
            lines.append(f"({self.data['marker']}: hidden to protect privacy; see the "
                         "methods box)")
        return f"{self.title}\n" + "\n".join(lines) if len(self.data["sections"]) > 1 \
            else "\n".join(lines)

    def to_html(self) -> str:
        """One self-contained HTML page (inline CSS and SVG; no external requests)."""
        charts = [self._charts(s) for s in self.data["sections"]]
        return _render("report.html.j2", report=self, d=self.data, fmt=_fmt, pct=_pct,
                       charts=charts)

    def _charts(self, s: dict[str, Any]) -> dict[str, Markup]:
        h = s["headline"]
        charts: dict[str, str] = {}
        if s["categories_reported"]:
            cats = [(label, h[f"n_{key}"]) for key, label in _CATS]
            charts["categories"] = hbar_chart(
                cats, "Reliable change categories",
                "Number of people followed up in each category: " + "; ".join(
                    f"{k}: {_fmt(v)}" for k, v in cats),
                colours=["#00703c", "#b1b4b6", "#d4351c"])
        rows = []
        for r in s["distribution"]:
            rows += [(f"{r['band']}, before", r["baseline"]),
                     (f"{r['band']}, after", r["follow_up"])]
        if rows:
            charts["distribution"] = hbar_chart(
                rows, "Score bands before and after",
                "People in each band at baseline and follow-up: " + "; ".join(
                    f"{k}: {_fmt(v)}" for k, v in rows), colours=["#b1b4b6", "#1d70b8"])
        months = s["months"]
        lim = s["run_chart_limits"]
        charts["run_mean"] = run_chart(
            [(m["month"], m["mean"]) for m in months], "Mean score of all forms, by month",
            "Run chart (XmR) of the mean score of all forms each month, with the centre line "
            "and limits at mean ± 2.66 × mean moving range; months whose number of forms is "
            "hidden are left out. See the data table.", limits=lim["mean"])
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


def _rules(measure: Measure, score: str | Sequence[str] | None) -> list[Any]:
    if score is None:
        ids: list[str | None] = [None]
    elif score == "all":
        ids = [r.id for r in measure.scores if r.higher_is_better is not None]
        if not ids:
            raise ValueError(f"impact_report(score='all'): no score of {measure.id} declares "
                             "`higher_is_better`")
    elif isinstance(score, str):
        ids = [score]
    else:
        ids = list(dict.fromkeys(score))
        if not ids:
            raise ValueError("impact_report(score=...): give at least one score id")
    return [resolve_score(measure, sid)[1] for sid in ids]


def impact_report(store: Any, measure: Measure | str, *,
                  score: str | Sequence[str] | None = None,
                  start: Any = None, end: Any = None, service: str | None = None,
                  by: Sequence[str] = ("site",), min_cell: int = 5,
                  baseline: str = "baseline", follow_up: str = "last",
                  title: str | None = None, organisation: str | None = None,
                  logo: str | Path | None = None,
                  logo_base: str | Path | None = None) -> ImpactReportResult:
    """Compute the figures of an impact report from a store (or a frame of scores).

    Parameters
    ----------
    store : Store or pandas.DataFrame
    measure : Measure or str
    score : str, list of str or "all", optional
        Score id, several score ids (one section each), or ``"all"`` (every score that
        declares ``higher_is_better``). Default: the first score.
    start, end : date-like, optional
        Episodes whose baseline falls in this period.
    service : str, optional
        Only this service.
    by : sequence of str
        Breakdowns (``site``, ``service``, ``worker``, ...). Mode and the equity fields
        recorded are always broken down.
    min_cell : int, default 5
        Disclosure control: counts from 1 to ``min_cell - 1`` are hidden, and so are the
        counts that would let them be worked out by subtraction (complementary
        suppression, :mod:`measurelib._output._disclosure`); rates, means and statistics
        of hidden groups are not published. The same in HTML, PDF and JSON.
    title : str, optional
        Report title (default: the measure's title + "outcomes report").
    organisation : str, optional
        The organisation's name, printed under the title.
    logo : path, optional
        A PNG or JPEG logo (at most :data:`LOGO_MAX_BYTES`), inlined as a data URL; it must
        be inside ``logo_base`` (default: the current folder).
    """
    import pandas as pd

    from measurelib._output import MARKER, Cells, protect

    measure = as_measure(measure, caller="impact_report(measure=...)")
    rules = _rules(measure, score)
    cells = Cells(min_cell)
    logo_url = read_logo(logo, base=logo_base) if logo is not None else None
    raws = []
    for rule in rules:
        raws.append(_section_raw(store, measure, rule, cells, start, end, service, by,
                                 baseline, follow_up))
    part_raw = _participation_raw(store, measure.id, cells, start, end, service)
    simulated = raws[-1]["simulated"]  # forms of the last score's section, as before
    cells.add(("simulated",), simulated)
    prot = protect(cells)
    sections = [_section(measure, raw, prot) for raw in raws]
    participation = _participation(part_raw, prot)
    refs = [JT_CITATION]
    refs += [r.citation for r in measure.references]
    for rule in rules:
        refs += [r.citation for r in rule.references if r.citation not in refs]
    refs.append(XMR_CITATION)
    sim = prot.count(("simulated",))
    data = {
        "caveats": ([f"{_fmt(sim)} of these forms are SIMULATED (generated by a model, not "
                     "completed by people): the figures describe the simulation, not the "
                     "service."] if simulated else []),
        "marker": MARKER,
        "sections": sections,
        "simulated": sim,
        "validation": (measure.validation.status if measure.validation else None),
        "references": refs,
        "participation": participation,
        "suppression": (f"Counts from 1 to {min_cell - 1} are shown as {MARKER}, and so "
                        "are other counts that would let one be worked out by subtraction "
                        "from totals; rates, means and statistics of hidden groups are not "
                        "shown." if min_cell > 1 else "No counts are hidden (min_cell = 1)."),
        "n_hidden": prot.n_hidden,
    }
    data = to_jsonable(data)
    name = measure.text(measure.short_title) or measure.text(measure.title)
    return ImpactReportResult(
        measure_id=measure.id, measure_version=measure.version,
        title=title or f"{name}: outcomes report", score_id=rules[0].id,
        score_ids=[r.id for r in rules], generated=_dt.date.today().isoformat(),
        period_from=str(pd.Timestamp(start).date()) if start is not None else None,
        period_to=str(pd.Timestamp(end).date()) if end is not None else None,
        service=service, min_cell=min_cell, organisation=organisation, logo=logo_url,
        data=data)


def _relate(cells: Any, total: Any, parts: Sequence[Any]) -> None:
    """Declare total = sum(parts) when it holds (it always should; a mismatch is skipped)."""
    if sum(cells.values[p] for p in parts) == cells.values[total]:
        cells.relate(total, parts)


def _section_raw(store: Any, measure: Measure, rule: Any, cells: Any, start: Any, end: Any,
                 service: str | None, by: Sequence[str], baseline: str,
                 follow_up: str) -> dict[str, Any]:
    """Everything one score's section needs, with its counts added to ``cells``."""
    import numpy as np
    import pandas as pd

    sid = rule.id
    res = change(store, measure, baseline, follow_up, sid,
                 by=[b for b in dict.fromkeys([*by, *_EQUITY]) if b in GROUPABLE],
                 period="M", start=start, end=end, service=service)
    people = res.people
    reported = res.rc_method is not None
    o = res.overall
    head = (sid, "head")
    nb = cells.add((*head, "n_baseline"), o.get("n_baseline") or 0)
    np_ = cells.add((*head, "n_paired"), o.get("n_paired") or 0)
    lost = cells.add((*head, "n_lost"), res.attrition["n_lost"])
    _relate(cells, nb, [np_, lost])
    if reported:
        cats = [cells.add((*head, f"n_{k}"), o.get(f"n_{k}") or 0) for k, _ in _CATS]
        _relate(cells, np_, cats)
    if res.cutoff is not None:
        for k in ("n_clinical_baseline", "n_recovered", "n_reliable_recovery"):
            cells.add((*head, k), o.get(k) or 0)
    # before/after distribution over the bands (paired people)
    paired = people[people["follow_up"].notna()]
    dist_raw = []
    if rule.bands:
        ivs = band_intervals(rule.bands)

        def band_of(values: Any) -> Any:
            out = np.full(len(values), -1)
            v = values.to_numpy(dtype=float)
            for i, (lo, li, hi, hi_inc) in enumerate(ivs):
                m = ((v > lo) | (li & (v == lo))) & ((v < hi) | (hi_inc & (v == hi)))
                out[(out < 0) & m] = i
            return out

        idx = {"baseline": band_of(paired["baseline"]), "follow_up": band_of(paired["follow_up"])}
        for when, b_idx in idx.items():
            keys = [cells.add((sid, "dist", when, i), int(np.sum(b_idx == i)))
                    for i in range(len(rule.bands))]
            _relate(cells, np_, keys)
        dist_raw = [measure.text(b.label) for b in rule.bands]
    # breakdowns
    groups = []
    for name in res.by:
        sub = res.groups[res.groups["by"] == name]
        if name == "period" or sub.empty:
            continue
        if name in _EQUITY and set(sub["group"]) == {"(not recorded)"}:
            continue
        recs = sub.to_dict(orient="records")
        for col in ("n_baseline", "n_paired", *([f"n_{k}" for k, _ in _CATS] if reported
                                                else [])):
            keys = [cells.add((sid, "by", name, r["group"], col), r[col] or 0) for r in recs]
            _relate(cells, (*head, col), keys)
        if reported:
            for r in recs:
                g = (sid, "by", name, r["group"])
                _relate(cells, (*g, "n_paired"), [(*g, f"n_{k}") for k, _ in _CATS])
        groups.extend(recs)
    # run chart by month: mean score of all administrations and completion of baselines
    if isinstance(store, pd.DataFrame):
        frame = store
        if service is not None and "service" in frame.columns:
            frame = frame[frame["service"] == service]
        if "value" in frame.columns:
            frame = frame[frame["value"].notna()]
        if "score_id" in frame.columns:
            frame = frame[frame["score_id"] == sid]
        g, counts = _monthly_frame(frame, sid, start, end, baseline)
    else:  # counted by the database
        from measurelib.outcomes.store._queries import monthly_scores, score_counts

        g = monthly_scores(store, measure.id, sid, service=service, start=start, end=end)
        counts = score_counts(store, measure.id, sid, baseline, service=service)
    # change() found a baseline, so there are scores: the months always get their cells
    months = []
    comp = people.assign(month=people["baseline_date"].dt.to_period("M").astype(str)) \
        .groupby("month").agg(started=("baseline", "size"),
                              followed=("follow_up", lambda s: int(s.notna().sum())))
    lo_m = [x for x in (g.index.min() if len(g) else None,
                        comp.index.min() if len(comp) else None) if x is not None]
    hi_m = [x for x in (g.index.max() if len(g) else None,
                        comp.index.max() if len(comp) else None) if x is not None]
    all_months = (pd.period_range(min(lo_m), max(hi_m), freq="M").astype(str)
                  if lo_m else [])
    started_keys, followed_keys = [], []
    for mth in all_months:
        n = int(g["size"].get(mth, 0)) if len(g) else 0
        cells.add((sid, "month", mth, "forms"), n)
        started_keys.append(cells.add((sid, "month", mth, "started"),
                                      int(comp["started"].get(mth, 0)) if len(comp) else 0))
        followed_keys.append(cells.add((sid, "month", mth, "followed_up"),
                                       int(comp["followed"].get(mth, 0)) if len(comp)
                                       else 0))
        months.append({"month": mth, "mean": float(g["mean"].get(mth)) if n else None})
    _relate(cells, nb, started_keys)
    _relate(cells, np_, followed_keys)
    cells.add((sid, "retrospective"), counts["retrospective"])
    return {"rule": rule, "res": res, "dist": dist_raw, "groups": groups, "months": months,
            "simulated": counts["simulated"]}


def _monthly_frame(frame: Any, sid: str, start: Any, end: Any,
                   baseline: str) -> tuple[Any, dict[str, int]]:
    """Forms and mean per month, retrospective baselines and simulated forms of a frame
    of scores (what :func:`monthly_scores` and :func:`score_counts` count in a store).
    """
    import pandas as pd

    counts = {"retrospective": 0, "simulated": 0}
    if "retrospective" in frame.columns and "timepoint" in frame.columns:
        counts["retrospective"] = int((frame["retrospective"].fillna(False).astype(bool)
                                       & (frame["timepoint"] == baseline)).sum())
    if "simulated" in frame.columns:
        counts["simulated"] = int(frame["simulated"].fillna(False).astype(bool).sum())
    if not len(frame):
        return pd.DataFrame(columns=["size", "mean"]), counts
    fr = frame.assign(month=pd.to_datetime(frame["date"]).dt.to_period("M").astype(str))
    if start is not None:
        fr = fr[pd.to_datetime(fr["date"]) >= pd.Timestamp(start)]
    if end is not None:
        fr = fr[pd.to_datetime(fr["date"]) <= pd.Timestamp(end)]
    val = fr["value"] if "value" in fr.columns else fr[sid]
    return val.groupby(fr["month"]).agg(["size", "mean"]), counts


def _section(measure: Measure, raw: dict[str, Any], prot: Any) -> dict[str, Any]:
    """One score's section, written from the protected counts."""
    rule, res = raw["rule"], raw["res"]
    sid = rule.id
    head = (sid, "head")
    reported = res.rc_method is not None
    o = res.overall

    def figures(prefix: tuple[Any, ...], row: dict[str, Any], full: bool) -> dict[str, Any]:
        nb, np_ = (*prefix, "n_baseline"), (*prefix, "n_paired")
        out: dict[str, Any] = {"n_baseline": prot.count(nb), "n_paired": prot.count(np_),
                               "completion_rate": _val(row.get("completion_rate"))
                               if prot.shown(np_, group=nb) else None}
        stats = ("mean_baseline", "mean_follow_up", "mean_change", "change_ci_low",
                 "change_ci_high", "d_z", "d_z_ci_low", "d_z_ci_high", "d_av", "d_av_ci_low",
                 "d_av_ci_high") if full else ("mean_change", "change_ci_low",
                                               "change_ci_high")
        ok = prot.shown(group=np_)
        for k in stats:
            out[k] = _val(row.get(k)) if ok else None
        if reported:
            for key, _ in _CATS:
                cnt = (*prefix, f"n_{key}")
                out[f"n_{key}"] = prot.count(cnt)
                show = prot.shown(cnt, group=np_)
                for suffix in ("", "_ci_low", "_ci_high"):
                    out[f"share_{key}{suffix}"] = (_val(row.get(f"share_{key}{suffix}"))
                                                   if show else None)
        return out

    headline = figures(head, o, True)
    if res.cutoff is not None:
        ncb = (*head, "n_clinical_baseline")
        headline["n_clinical_baseline"] = prot.count(ncb)
        for name, col in (("recovered", "recovery"), ("reliable_recovery",
                                                      "reliable_recovery")):
            cnt = (*head, f"n_{name}")
            headline[f"n_{name}"] = prot.count(cnt)
            headline[f"{col}_rate"] = (_val(o.get(f"{col}_rate"))
                                       if prot.shown(cnt, group=ncb) else None)
    dist = [{"band": label, "baseline": prot.count((sid, "dist", "baseline", i)),
             "follow_up": prot.count((sid, "dist", "follow_up", i))}
            for i, label in enumerate(raw["dist"])]
    breakdowns = [{"by": r["by"], "group": r["group"],
                   **figures((sid, "by", r["by"], r["group"]), r, False)}
                  for r in raw["groups"]]
    months = []
    for m in raw["months"]:
        k = (sid, "month", m["month"])
        st, fu, forms = (*k, "started"), (*k, "followed_up"), (*k, "forms")
        months.append({
            "month": m["month"], "n": prot.count(forms),
            "mean": m["mean"] if prot.shown(group=forms) else None,
            "started": prot.count(st), "followed_up": prot.count(fu),
            "completion": (prot.values[fu] / prot.values[st]
                           if prot.shown(fu, group=st) else None)})
    means = [m["mean"] for m in months if isinstance(m["mean"], float)]
    comps = [m["completion"] for m in months if isinstance(m["completion"], float)]
    # attrition: each group's statistics only when its count is shown and large enough
    a = res.attrition
    kept_ok = prot.shown(group=(*head, "n_paired"))
    lost_ok = prot.shown(group=(*head, "n_lost"))
    both = kept_ok and lost_ok
    attrition = {
        "n_followed_up": prot.count((*head, "n_paired")), "n_lost": prot.count((*head, "n_lost")),
        "mean_followed_up": a["mean_followed_up"] if kept_ok else None,
        "sd_followed_up": a["sd_followed_up"] if kept_ok else None,
        "mean_lost": a["mean_lost"] if lost_ok else None,
        "sd_lost": a["sd_lost"] if lost_ok else None,
        **{k: (a[k] if both else None) for k in ("welch_t", "df", "p",
                                                 "standardised_difference")},
        "differs": bool(a["differs"]) if both else None,
    }
    rc = rule.reliable_change
    thr = res.rc_threshold
    if res.rc_method == "threshold":
        rc_text = (f"a change of at least {thr:g} points"
                   + (f" ({rc.source})" if rc is not None and rc.source else ""))
    elif res.rc_method == "irt-se":
        rc_text = ("each person's own standard errors (IRT scores): a change is reliable when "
                   "|RCI| > 1.96 with S_diff = √(SE₁² + SE₂²) from the person's two scores, "
                   "so the change needed is larger at the ends of the scale and when "
                   "questions were skipped")
    elif res.rc_method:
        rc_text = (f"|RCI| > 1.96 with S_diff = {_fmt(res.s_diff, 2)} (reliability "
                   f"{rc.reliability if rc else ''}, SD {rc.sd if rc else ''}), i.e. a change "
                   f"of more than {thr:.2f} points")
    else:
        rc_text = ("no reliable-change criterion is declared for this score, so the reliable "
                   "change categories are not reported")
    caveats = [
        "There is no comparison group: the change shown cannot be attributed to the "
        "service alone (people often improve with time, and extreme scores tend to move "
        "towards the average on re-testing).",
        f"Only people with both a baseline and a follow-up are in the change figures "
        f"({_fmt(headline['n_paired'])} of {_fmt(headline['n_baseline'])}).",
    ]
    if attrition["differs"]:
        smd = float(attrition["standardised_difference"])
        better = (smd * (1 if rule.higher_is_better else -1)) > 0
        caveats.append(
            f"People followed up had {'better' if better else 'worse'} baseline scores than "
            f"those without a follow-up (standardised difference {smd:+.2f}, Welch p = "
            f"{float(attrition['p']):.3f}): the change seen may not hold for everyone who "
            "started.")
    n_paired = prot.values[(*head, "n_paired")]
    if 0 < n_paired < 10:  # the number itself only when it is shown
        caveats.append((f"Only {n_paired} people have" if prot.shown((*head, "n_paired"))
                        else "Few people have") + " a baseline and a follow-up: the figures "
                       "are uncertain.")
    retro = prot.count((sid, "retrospective"))
    if retro != 0:
        caveats.append(f"{_fmt(retro)} baseline(s) were completed retrospectively (thinking "
                       "back to the start), which tends to exaggerate change.")
    return {
        "score_id": sid,
        "score_title": measure.text(rule.title) or sid,
        "direction": "higher is better" if rule.higher_is_better else "lower is better",
        "categories_reported": reported,
        "reliable_change": {"method": res.rc_method, "threshold": thr, "text": rc_text},
        "cutoff": res.cutoff,
        "headline": headline,
        "distribution": dist,
        "breakdowns": breakdowns,
        "months": months,
        "run_chart_limits": {"mean": xmr_limits(means), "completion": xmr_limits(comps)},
        "attrition": attrition,
        "bands": [{"label": b[2], "min": b[0], "max": b[1]}
                  for b in _band_ranges(measure, rule)],
        "caveats": caveats,
    }


def _val(v: Any) -> Any:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _participation_raw(store: Any, measure_id: str, cells: Any, start: Any, end: Any,
                       service: str | None) -> dict[str, Any]:
    """Offer records by status, and anonymous forms against forms handed out."""
    import pandas as pd

    out: dict[str, Any] = {"offers": [], "anonymous": []}
    if isinstance(store, pd.DataFrame):
        return out

    from measurelib.outcomes.store._queries import participation_counts

    counts = participation_counts(store, measure_id, start=start, end=end, service=service)
    for status, n in sorted(counts["offers"].items()):
        out["offers"].append(status)
        cells.add(("offers", status), n)
    got, given = counts["returned"], counts["handed_out"]
    for site in sorted(set(got) | set(given)):
        cells.add(("anonymous", site, "returned"), got.get(site, 0))
        cells.add(("anonymous", site, "handed_out"), given.get(site, 0))
        out["anonymous"].append(site)
    return out


def _participation(raw: dict[str, Any], prot: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "offers": [{"status": s.replace("_", " "), "n": prot.count(("offers", s))}
                   for s in raw["offers"]],
        "anonymous": []}
    for site in raw["anonymous"]:
        k, n = ("anonymous", site, "returned"), ("anonymous", site, "handed_out")
        out["anonymous"].append({
            "site": site, "returned": prot.count(k), "handed_out": prot.count(n),
            "response_rate": (prot.values[k] / prot.values[n]
                              if prot.values[n] and prot.shown(k, group=n) else None)})
    return out


# ----------------------------------------------------------------------------- feedback
def feedback_sheet(store: Any, measure: Measure | str, respondent_id: str, *,
                   score: str | None = None, episode: str | None = None,
                   lang: str | None = None) -> str:
    """A one-page, large-print HTML sheet of one person's scores over time.

    Shows each score against the bands, the advice of the band of the latest score and what
    changed since the first (with the reliable-change criterion, in plain words).
    """
    from measurelib.outcomes.store._queries import person_scores_se

    measure, rule = resolve_score(measure, score)
    lang = lang or measure.language
    # one person's rows from the database, by date (no pandas: a handful of rows)
    rows = person_scores_se(store, measure.id, rule.id, str(respondent_id), episode)
    mine = [(day, value) for day, value, _ in rows]
    if not mine:
        raise ValueError(f"feedback_sheet(respondent_id=...): no {measure.id} scores stored "
                         f"for {respondent_id!r}")
    points = [(d.strftime("%d %b %Y"), v) for d, v in mine if v is not None]
    bands = _band_ranges(measure, rule)
    lo, hi = measure.score_range(rule)
    chart = Markup(run_chart(
        points, f"Your {measure.text(rule.title, lang) or rule.id} over time",
        "Scores: " + "; ".join(f"{d}: {_fmt(v, 0)}" for d, v in points),
        bands=bands, y_range=(lo, hi), width=640, height=300, big=True))
    (first_date, first_value), (_, latest_value) = mine[0], mine[-1]
    latest = math.nan if latest_value is None else latest_value
    first = math.nan if first_value is None else first_value
    band_obj = None

    for band, (blo, bli, bhi, bhi_inc) in zip(rule.bands, band_intervals(rule.bands)):
        v = latest
        if (v > blo or (bli and v == blo)) and (v < bhi or (bhi_inc and v == bhi)):
            band_obj = band
            break
    diff = latest - first
    first_se, latest_se = rows[0][2], rows[-1][2]
    ses = ((math.nan if first_se is None else first_se,
            math.nan if latest_se is None else latest_se) if rule.method == "irt" else None)
    what = change_sentence(diff, rule, len(mine), first_date, ses=ses)
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
                   bands=bands, latest=_fmt(latest, 0), what=what,
                   direction=direction, dir=measure.direction(lang),
                   today=_dt.date.today().strftime("%d %B %Y"))


def _digits(*values: float) -> int:
    """Fewest decimals (0-6) at which every value prints as itself to within 1e-9."""
    for d in range(7):
        if all(abs(round(v, d) - v) < 1e-9 for v in values):
            return d
    return 6


def consistent_digits(change: float, threshold: float) -> int:
    """Decimals at which ``change`` and ``threshold``, both printed, compare as they are.

    The fewest decimals (at least those each value needs to print exactly, up to 2) such
    that the printed numbers are in the same order as the numbers themselves: a change of
    2.80 against a threshold of 2.87 prints as "2.8" and "2.87", never "3" and "2.87".
    """
    a, t = abs(change), threshold
    base = min(_digits(a), 2)
    for d in range(base, 7):
        ra, rt = round(a, d), round(t, d)
        same = (a < t) == (ra < rt) and (a >= t) == (ra >= rt)
        if same and (ra != rt or a == t):
            return d
    return 6


def change_sentence(diff: float, rule: Any, n_scores: int, since: Any,
                    ses: tuple[float, float] | None = None) -> str:
    """The feedback sheet's sentence about change: compared with the reliable-change
    threshold first, then printed with enough decimals to agree with that comparison.

    ``ses``: the standard errors of the first and latest score of an IRT score; when both
    are known the threshold is the person's own, 1.96 √(SE₁² + SE₂²).
    """
    rc = rule.reliable_change
    thr: float | None = None
    own = (ses is not None and getattr(rule, "method", None) == "irt"
           and all(math.isfinite(v) and v >= 0 for v in ses) and any(v > 0 for v in ses))
    if own and ses is not None:
        thr = 1.96 * math.hypot(*ses)
        rc = None
    elif rc is not None and rc.threshold is not None:
        thr = float(rc.threshold)
    elif rc is not None and rc.reliability is not None and rc.sd is not None:
        thr = 1.96 * float(rc.sd) * math.sqrt(2 * (1 - float(rc.reliability)))
    if n_scores < 2:
        return "This is your first score. Next time we can show you what has changed."
    if diff == 0:
        return "Your score is the same as the first time."
    better = (diff > 0) == bool(rule.higher_is_better)
    when = since.strftime("%d %B %Y")
    if thr is None:
        d = _digits(abs(diff)) if _digits(abs(diff)) <= 2 else 2
        return (f"Your score has gone {'up' if diff > 0 else 'down'} by {abs(diff):.{d}f} "
                f"points since {when}. {'That is better' if better else 'That is worse'}. "
                "This measure does not say how big a change must be to be sure it is real.")
    # reliable when |change| reaches the threshold (threshold rule) or exceeds it (RCI)
    reliable = abs(diff) >= thr - 1e-9 if rc is not None and rc.threshold is not None \
        else abs(diff) > thr
    d = max(consistent_digits(diff, thr), min(_digits(thr), 2))
    size = (f"a change of {thr:.{d}f} points or more is big enough to be sure it is real"
            if reliable else
            f"a change needs to be at least {thr:.{d}f} points to be sure it is real, so "
            "this one could be day-to-day ups and downs")
    return (f"Your score has gone {'up' if diff > 0 else 'down'} by {abs(diff):.{d}f} points "
            f"since {when}. {'That is better' if better else 'That is worse'}: {size}.")


def write_feedback(path: str | Path, html: str) -> Path:
    """Write a feedback sheet as ``.html`` or ``.pdf``."""
    return _write(path, lambda: html, None)
