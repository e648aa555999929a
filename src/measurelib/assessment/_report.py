"""The self-contained HTML (and PDF) report of an assessment."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from measurelib._output import (
    Series,
    bar_chart,
    heatmap,
    line_chart,
    read_logo,
    render_template,
    write_pdf,
)

STATUS_LABEL = {"meets": "Meets", "does not meet": "Does not meet",
                "cannot conclude": "Cannot conclude", "not assessable": "Not assessable",
                "information": "For information"}


def _num(v: Any, nd: int = 2) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(f):
        return "—"
    return f"{f:.{nd}f}"


def _pct(v: Any) -> str:
    try:
        return f"{float(v):.0%}"
    except (TypeError, ValueError):
        return "—"


def _scree(factors: Any) -> tuple[str, list[dict[str, Any]]]:
    par = factors.parallel
    n = min(len(par), 20)
    par = par.iloc[:n]
    rows = [{"number": int(i), "observed": float(r["fa_observed"]),
             "simulated": float(r["fa_simulated"]), "pc_observed": float(r["pc_observed"]),
             "pc_simulated": float(r["pc_simulated"])} for i, r in par.iterrows()]
    svg = line_chart(
        [Series("Factor eigenvalues of the data", [r["observed"] for r in rows]),
         Series("Mean of simulated random data", [r["simulated"] for r in rows], dashed=True,
                markers=False)],
        [str(r["number"]) for r in rows],
        title="Scree plot with parallel analysis",
        desc=(f"Eigenvalues of the reduced correlation matrix for factors 1 to {n}, with the "
              "mean eigenvalues of random data of the same size. Factors whose eigenvalue lies "
              f"above the random line are retained: {factors.n_factors_suggested} here. "
              "The numbers are in the table that follows."),
        x_title="Factor number", y_title="Eigenvalue", hlines=[(0.0, "")])
    return svg, rows


def _loadings(factors: Any) -> tuple[str, list[str], list[dict[str, Any]]]:
    lo = factors.loadings
    cols = [str(c) for c in lo.columns]
    items = [str(i) for i in lo.index]
    values: list[list[float | None]] = [[float(x) for x in lo.loc[i]] for i in lo.index]
    rows = [{"item": item, "values": vals, "h2": float(factors.communalities.loc[i])}
            for item, vals, i in zip(items, values, lo.index)]
    svg = heatmap(items, cols, values,
                  title="Factor loadings",
                  desc=("Heatmap of the rotated factor loadings, items by factors; orange cells "
                        "are positive, blue negative, stronger colour is a larger loading. The "
                        "numbers are in the table that follows."))
    return svg, cols, rows


def _histograms(result: Any) -> dict[str, str]:
    out = {}
    for sid, fc in result.floor_ceiling.items():
        h = fc["histogram"]
        total = sum(h["count"]) or 1
        labels = [f"{x:g}" if float(x).is_integer() else f"{x:.1f}" for x in h["x"]]
        out[sid] = bar_chart(
            labels, [Series("Share of respondents", [c / total for c in h["count"]])],
            title=f"Distribution of {sid}",
            desc=(f"Share of respondents at each value of {sid}, from {fc['min_possible']:g} "
                  f"to {fc['max_possible']:g}; {fc['floor']:.0%} at the lowest possible score "
                  f"and {fc['ceiling']:.0%} at the highest. The 15% line marks Terwee's "
                  "floor/ceiling criterion."),
            y_title="Share", percent=True, hlines=[(0.15, "15%")], width=560, height=260)
    return out


def _p(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "—"
    return "< 0.001" if f < 0.001 else f"= {f:.3f}"


def _references(result: Any) -> list[str]:
    seen: list[str] = []
    for v in result.verdicts:
        for part in v.source.split("; "):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    return seen


def context(result: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"r": result, "num": _num, "pct": _pct, "pval": _p,
                           "status_label": STATUS_LABEL}
    ctx["reliability"] = []
    shown: dict[int, str] = {}
    for sid, rel in result.reliability.items():
        if id(rel) in shown:  # same items as a score already shown
            continue
        shown[id(rel)] = sid
        stats = rel.item_stats.reset_index().rename(columns={"index": "item"})
        first = stats.columns[0]
        ctx["reliability"].append({
            "id": sid, "rel": rel,
            "items": [{"item": str(row[first]), **{k: row[k] for k in stats.columns if k != first}}
                      for _, row in stats.iterrows()],
        })
    if result.factors is not None:
        ctx["scree_svg"], ctx["scree_rows"] = _scree(result.factors)
        ctx["loadings_svg"], ctx["loading_cols"], ctx["loading_rows"] = _loadings(result.factors)
        ctx["bartlett"] = result.factors.bartlett
    if result.cfa is not None:
        est = result.cfa.estimates
        std = est[est["op"] == "=~"] if isinstance(est, pd.DataFrame) and "op" in est else None
        ctx["cfa_loadings"] = [] if std is None else [
            {"factor": r["lhs"], "item": r["rhs"], "est": r.get("est"), "se": r.get("se"),
             "std": r.get("std_all", r.get("std.all"))} for _, r in std.iterrows()]
        ctx["cfa_fit"] = result.cfa.fit
    if result.retest is not None:
        icc = result.retest.icc
        table = icc if isinstance(icc, pd.DataFrame) else icc.table
        ctx["retest_rows"] = [{"form": r["mcgraw_wong"], "description": r["description"],
                               "icc": r["icc"], "lo": r["ci_lower"], "hi": r["ci_upper"]}
                              for _, r in table.iterrows()]
    ctx["histograms"] = _histograms(result)
    ctx["references"] = _references(result)
    if result.keying is not None:
        table = result.keying.table
        ctx["keying_rows"] = table.reset_index().to_dict(orient="records") \
            if isinstance(table, pd.DataFrame) else []
    ctx["np"] = np
    return ctx


def render_report(result: Any, fmt: str = "html", path: Any = None, *,
                  organisation: str | None = None, logo: Any = None,
                  logo_base: Any = None) -> str | bytes:

    if fmt not in ("html", "pdf"):
        raise ValueError(f"render(): fmt must be 'html' or 'pdf', not {fmt!r}")
    ctx = context(result)
    ctx["organisation"] = organisation
    ctx["logo"] = read_logo(logo, base=logo_base) if logo is not None else None
    html = render_template("assess/report.html.j2", **ctx)
    if fmt == "pdf":
        data = write_pdf(html)
        if path is not None:
            Path(path).write_bytes(data)
        return data
    if path is not None:
        Path(path).write_text(html, encoding="utf-8")
    return html
