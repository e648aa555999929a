"""Disclosure control: no hidden small count can be worked out from what is published.

The attack is written from the *published* figures only (numbers and ``[c]`` markers) and
the identities a reader knows (totals are sums of their parts): for each hidden cell whose
true value is a small count, an integer programme finds the least and greatest value it
could take. The protection rule (docs/outcomes.md): at least two values remain possible,
and either two of them are below ``min_cell`` or one is ``min_cell`` or more.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

import measurelib as ml
from measurelib._output import MARKER, Cells, protect
from measurelib.outcomes import change, impact_report

K = 5


def attack(published: dict, relations: list, target) -> tuple[float, float]:
    """Integer range of ``target`` given published values ([c] = unknown integer ≥ 1)."""
    unknown = sorted({k for k, v in published.items() if v == MARKER}, key=repr)
    col = {k: i for i, k in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in relations:
        row = np.zeros(len(unknown))
        b = 0.0
        for k, sign in [(total, -1.0)] + [(p, 1.0) for p in parts]:
            if k in col:
                row[col[k]] += sign
            else:
                b -= sign * published[k]
        if row.any():
            rows.append(row)
            rhs.append(b)
        else:
            assert abs(b) < 1e-9  # a fully published identity must hold
    if not rows:
        return 1, math.inf
    cons = LinearConstraint(np.array(rows), rhs, rhs)
    bounds = Bounds(np.ones(len(unknown)), np.full(len(unknown), np.inf))
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(unknown))
        c[col[target]] = sign
        res = milp(c, constraints=cons, bounds=bounds, integrality=np.ones(len(unknown)))
        out.append(math.inf if res.x is None else round(res.x[col[target]]))
    return out[0], out[1]


def assert_protected(published: dict, truth: dict, relations: list, k: int = K) -> int:
    checked = 0
    for key, v in published.items():
        if v != MARKER:
            assert v == truth[key]
            assert not 0 < v < k, (key, v)
            continue
        if 0 < truth[key] < k:
            lo, hi = attack(published, relations, key)
            assert lo <= truth[key] <= hi
            assert hi - lo >= 1, (key, truth[key], lo, hi)  # never pinned down
            small = max(0, min(hi, k - 1) - max(lo, 1) + 1)
            assert hi >= k or small >= 2, (key, truth[key], lo, hi)
            checked += 1
    return checked


counts = st.integers(0, 14).map(lambda v: v if v % 3 else v // 3)  # many small counts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r))))
def test_two_way_tables_with_margins_are_protected(table) -> None:
    cells = Cells(K)
    r, c = len(table), len(table[0])
    for i in range(r):
        for j in range(c):
            cells.add((i, j), table[i][j])
    rel = []
    for i in range(r):
        cells.add(("row", i), sum(table[i]))
        rel.append((("row", i), [(i, j) for j in range(c)]))
    for j in range(c):
        cells.add(("col", j), sum(table[i][j] for i in range(r)))
        rel.append((("col", j), [(i, j) for i in range(r)]))
    cells.add("all", sum(map(sum, table)))
    rel += [("all", [("row", i) for i in range(r)]), ("all", [("col", j) for j in range(c)])]
    for t, ps in rel:
        cells.relate(t, ps)
    prot = protect(cells)
    published = {k: prot.count(k) for k in cells.values}
    assert_protected(published, cells.values, rel)


def test_the_issue_example_cannot_be_recovered() -> None:
    """6 followed up, 5 improved, 0 deteriorated: the 1 unchanged must not be derivable."""
    cells = Cells(K)
    for k, v in {"n": 6, "improved": 5, "unchanged": 1, "deteriorated": 0}.items():
        cells.add(k, v)
    cells.relate("n", ["improved", "unchanged", "deteriorated"])
    prot = protect(cells)
    assert prot.count("improved") == MARKER and prot.count("unchanged") == MARKER
    assert prot.count("n") == 6 and prot.count("deteriorated") == 0


RULE = """
format: 1
id: feel
version: 1.0.0
title: Feel
language: en
licence: {holder: example, text_redistribution: allowed, modification: allowed}
scales:
  s: {type: numeric, min: 0, max: 20}
items:
  - {id: a, scale: s, text: How do you feel}
scores:
  - id: total
    items: all
    higher_is_better: true
    reliable_change: 4
    bands: [{max: 7, label: Low}, {max: 13, label: Middle}, {label: High}]
"""
MEASURE = ml.loads(RULE)


def _published_relations(sec: dict) -> tuple[dict, list, dict]:
    """Published cells of one report section and the identities a reader knows."""
    pub: dict = {}
    rel: list = []
    h = sec["headline"]
    for k in ("n_baseline", "n_paired", "n_improved", "n_no_change", "n_deteriorated"):
        pub[("h", k)] = h[k]
    pub[("h", "n_lost")] = sec["attrition"]["n_lost"]
    rel.append((("h", "n_baseline"), [("h", "n_paired"), ("h", "n_lost")]))
    rel.append((("h", "n_paired"), [("h", f"n_{c}") for c in
                                     ("improved", "no_change", "deteriorated")]))
    for when in ("baseline", "follow_up"):
        keys = [("d", when, i) for i in range(len(sec["distribution"]))]
        for key, r in zip(keys, sec["distribution"]):
            pub[key] = r[when]
        rel.append((("h", "n_paired"), keys))
    by: dict = {}
    for r in sec["breakdowns"]:
        by.setdefault(r["by"], []).append(r)
        g = ("b", r["by"], r["group"])
        for k in ("n_baseline", "n_paired", "n_improved", "n_no_change", "n_deteriorated"):
            pub[(*g, k)] = r[k]
        rel.append(((*g, "n_paired"), [(*g, f"n_{c}") for c in
                                        ("improved", "no_change", "deteriorated")]))
    for name, rows in by.items():
        for k in ("n_baseline", "n_paired", "n_improved", "n_no_change", "n_deteriorated"):
            rel.append((("h", k), [("b", name, r["group"], k) for r in rows]))
    for col, tot in (("started", "n_baseline"), ("followed_up", "n_paired")):
        keys = [("m", m["month"], col) for m in sec["months"]]
        for key, m in zip(keys, sec["months"]):
            pub[key] = m[col]
        rel.append((("h", tot), keys))
    return pub, rel, by


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 20), st.integers(-8, 8),
                          st.booleans(), st.integers(1, 4)), min_size=1, max_size=40))
def test_impact_report_hides_every_recoverable_small_count(people) -> None:
    rows = []
    for i, (site, base, delta, followed, month) in enumerate(people):
        rows.append({"respondent_id": f"p{i}", "site": site, "timepoint": "baseline",
                     "date": f"2025-0{month}-03", "total": base})
        if followed:
            rows.append({"respondent_id": f"p{i}", "site": site, "timepoint": "exit",
                         "date": f"2025-0{month + 4}-03",
                         "total": min(20, max(0, base + delta))})
    df = pd.DataFrame(rows)
    rep = impact_report(df, MEASURE, by=["site"])
    sec = rep.to_dict()["data"]["sections"][0]
    pub, rel, _ = _published_relations(sec)
    # the truth, from the unprotected computation
    res = change(df, MEASURE, by=["site"], period="M")
    o = res.overall
    truth = {("h", k): int(o.get(k) or 0) for k in
             ("n_baseline", "n_paired", "n_improved", "n_no_change", "n_deteriorated")}
    truth[("h", "n_lost")] = res.attrition["n_lost"]
    for r in res.groups[res.groups["by"] == "site"].to_dict(orient="records"):
        for k in ("n_baseline", "n_paired", "n_improved", "n_no_change", "n_deteriorated"):
            truth[("b", "site", r["group"], k)] = int(r[k])
    paired = res.people[res.people["follow_up"].notna()]
    for when in ("baseline", "follow_up"):
        band = np.digitize(paired[when].to_numpy(), [7.5, 13.5])
        for i in range(3):
            truth[("d", when, i)] = int((band == i).sum())
    months = res.people["baseline_date"].dt.to_period("M").astype(str)
    for m in sec["months"]:
        sel = (months == m["month"]).to_numpy()
        truth[("m", m["month"], "started")] = int(sel.sum())
        truth[("m", m["month"], "followed_up")] = int(res.people["follow_up"][sel].notna().sum())
    assert_protected(pub, truth, rel)
    # no statistic of a hidden group is published
    for r in sec["breakdowns"]:
        if r["n_paired"] == MARKER or r["n_paired"] == 0:
            assert r["mean_change"] is None and r["share_improved"] is None
    a = sec["attrition"]
    if a["n_lost"] == MARKER:
        assert a["mean_lost"] is None and a["sd_lost"] is None and a["p"] is None


@pytest.mark.parametrize("k", [2, 3, 10])
def test_other_thresholds_are_protected_too(k) -> None:
    cells = Cells(k)
    for key, v in {"n": 12, "a": 11, "b": 1, "c": 0}.items():
        cells.add(key, v)
    cells.relate("n", ["a", "b", "c"])
    prot = protect(cells)
    published = {key: prot.count(key) for key in cells.values}
    assert published["b"] == MARKER
    assert_protected(published, cells.values, [("n", ["a", "b", "c"])], k=k)
