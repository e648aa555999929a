"""Invariants of scoring, checked on random measures and random (dirty) data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import assume, given
from hypothesis import strategies as st

import measurelib as ml
from measurelib.definition._checks import _in, band_intervals, reachable
from measurelib.scoring._score import _band_codes

LICENCE = {"holder": "T", "spdx": "CC0-1.0", "text_redistribution": "allowed",
           "modification": "allowed"}


def build(scale: dict[str, Any], reverse: list[bool], scores: list[dict[str, Any]]) -> ml.Measure:
    items = [{"id": f"i{j}", "text": "x", "scale": "s", "reverse": r}
             for j, r in enumerate(reverse)]
    return ml.Measure.model_validate({
        "format": 1, "id": "p", "version": "1.0.0", "title": "P", "licence": LICENCE,
        "scales": {"s": scale}, "items": items, "scores": scores})


@st.composite
def scales(draw: Any) -> tuple[dict[str, Any], list[float]]:
    lo = draw(st.integers(-2, 2))
    width = draw(st.integers(1, 5))
    if draw(st.booleans()):
        opts = [{"value": lo + i} for i in range(width + 1)]
        return {"type": "ordinal", "options": opts}, [float(lo + i) for i in range(width + 1)]
    step = draw(st.sampled_from([1, 0.5]))
    values = [lo + i * step for i in range(int(width / step) + 1)]
    return {"type": "numeric", "min": lo, "max": lo + width, "step": step}, values


@st.composite
def cases(draw: Any, methods: tuple[str, ...] = ("sum", "mean", "weighted_sum"),
          complete: bool = False) -> tuple[ml.Measure, pd.DataFrame, list[float]]:
    scale, values = draw(scales())
    k = draw(st.integers(1, 5))
    reverse = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    method = draw(st.sampled_from(methods))
    rule: dict[str, Any] = {"id": "total", "items": "all", "method": method}
    if method == "weighted_sum":
        rule["weights"] = {f"i{j}": draw(st.sampled_from([0.5, 1, 2, 3])) for j in range(k)}
    if not complete:
        prorate = method != "mean" and draw(st.booleans())
        rule["missing"] = {"max_missing": draw(st.integers(0, k - 1)), "prorate": prorate,
                           "round_prorated": prorate and draw(st.booleans())}
    m = build(scale, reverse, [rule])
    n = draw(st.integers(1, 25))
    cell = st.sampled_from(values) if complete else st.one_of(
        st.sampled_from(values), st.just(math.nan))
    rows = draw(st.lists(st.lists(cell, min_size=k, max_size=k), min_size=n, max_size=n))
    return m, pd.DataFrame(rows, columns=[f"i{j}" for j in range(k)], dtype=float), values


@given(cases())
def test_score_never_leaves_score_range(case):
    m, df, _ = case
    lo, hi = m.score_range("total")
    got = m.score(df).scores["total"].to_numpy()
    got = got[~np.isnan(got)]
    assert np.all(got >= lo - 1e-9) and np.all(got <= hi + 1e-9), (lo, hi, got)


@given(cases(methods=("sum", "mean", "weighted_sum")), st.data())
def test_raising_an_item_moves_the_score_its_way(case, data):
    m, df, values = case
    cells = [(r, c) for r in range(len(df)) for c in range(df.shape[1])
             if not math.isnan(df.iat[r, c]) and df.iat[r, c] < values[-1]]
    assume(cells)
    row, col = data.draw(st.sampled_from(cells))
    old = df.iat[row, col]
    higher = [v for v in values if v > old]
    raised = df.copy()
    raised.iat[row, col] = data.draw(st.sampled_from(higher))
    before = m.score(df.iloc[[row]]).scores["total"].iloc[0]
    after = m.score(raised.iloc[[row]]).scores["total"].iloc[0]
    assume(not math.isnan(before))
    if m.items[col].reverse:
        assert after <= before + 1e-9
    else:
        assert after >= before - 1e-9


@given(cases(methods=("sum", "weighted_sum"), complete=True), st.integers(1, 4), st.booleans())
def test_prorating_with_nothing_missing_equals_plain_score(case, max_missing, round_pro):
    m, df, _ = case
    k = len(m.items)
    rule = m.scores[0].model_dump(exclude_defaults=True)
    prorated = dict(rule, id="pro", missing={"max_missing": min(max_missing, k - 1),
                                             "prorate": True, "round_prorated": round_pro})
    scale = m.scales["s"].model_dump(exclude_defaults=True)
    m2 = build(scale, [it.reverse for it in m.items], [rule, prorated])
    s = m2.score(df).scores
    np.testing.assert_allclose(s["pro"], s["total"])


@given(cases(methods=("sum", "mean")), st.data())
def test_bands_partition_the_range(case, data):
    m, df, _ = case
    values = reachable(m, m.scores[0])
    assume(values)
    lo, hi = min(values), max(values)
    assume(hi > lo)
    n_cuts = data.draw(st.integers(1, 3))
    cuts = sorted(set(data.draw(st.lists(st.sampled_from(sorted(values)[:-1]),
                                         min_size=n_cuts, max_size=n_cuts))))
    if data.draw(st.booleans()):  # max-only bands: "up to and including"
        bands = [{"max": c, "label": f"b{i}"} for i, c in enumerate(cuts)] + [{"label": "top"}]
    else:  # min-only bands: "from ... upwards", starting just above each cut
        starts = [min(v for v in values if v > c) for c in cuts]
        bands = [{"label": "bottom"}] + [{"min": c, "label": f"b{i}"}
                                          for i, c in enumerate(starts)]
    rule = dict(m.scores[0].model_dump(exclude_defaults=True), bands=bands)
    scale = m.scales["s"].model_dump(exclude_defaults=True)
    try:
        m2 = build(scale, [it.reverse for it in m.items], [rule])
    except ml.DefinitionError:
        assume(False)  # e.g. two cuts that collapse into one band
        return
    intervals = band_intervals(m2.scores[0].bands)
    grid = np.array(sorted(values) + list(np.linspace(lo, hi, 41)))
    codes = _band_codes(m2.scores[0], grid)
    for v, c in zip(grid, codes):
        hits = [i for i, iv in enumerate(intervals) if _in(round(float(v), 9), iv)]
        assert len(hits) == 1 and hits[0] == c, (v, hits, c)
    got = m2.score(df).scores
    assert got["total_band"].isna().tolist() == got["total"].isna().tolist()


POOL = ["0", "1", "2", "3", " 2 ", "2.0", "", "NA", "#N/A", "-", "4", "-1", "x", "1.5", "nan",
        None, 2, 3.0, 7]


@given(st.lists(st.lists(st.sampled_from(POOL), min_size=4, max_size=4), min_size=0,
                max_size=40),
       st.sampled_from(["reject", "missing"]))
def test_rows_in_equal_scored_plus_rejected(rows, mode):
    m = ml.loads("""\
format: 1
id: acct
version: 1.0.0
title: A
licence: {holder: T, spdx: CC0-1.0, text_redistribution: allowed, modification: allowed}
scales:
  f4:
    type: ordinal
    options: [{value: 0}, {value: 1}, {value: 2}, {value: 3}]
items:
  - {id: a, text: A, scale: f4}
  - {id: b, text: B, scale: f4, reverse: true}
  - {id: c, text: C, scale: f4}
  - {id: d, text: D, scale: f4}
scores:
  - {id: total, items: all, missing: {max_missing: 1, prorate: true}}
alerts:
  - {id: any_d, when: {item: d, op: ge, value: 2}, text: D}
""")
    df = pd.DataFrame(rows, columns=list("abcd"), dtype=object)
    res = m.score(df, on_invalid=mode)
    acc = res.account
    assert acc.rows_in == len(df) == acc.rows_scored + acc.rows_rejected
    assert len(res.scores) == acc.rows_scored
    assert (res.rejected["row"].nunique() if len(res.rejected) else 0) == acc.rows_rejected
    if mode == "missing":
        assert acc.rows_rejected == 0


@given(cases(methods=("sum", "mean", "weighted_sum")))
def test_reverse_keying_twice_is_the_identity(case):
    m, df, values = case
    lo, hi = values[0], values[-1]
    flipped_items = [not it.reverse for it in m.items]
    scale = m.scales["s"].model_dump(exclude_defaults=True)
    m_flipped = build(scale, flipped_items, [m.scores[0].model_dump(exclude_defaults=True)])
    # reversing every item in the data, then scoring with every item's key reversed,
    # gives back the original scores
    df_rev = (lo + hi) - df
    a = m.score(df).scores["total"].to_numpy()
    b = m_flipped.score(df_rev).scores["total"].to_numpy()
    np.testing.assert_allclose(a, b, atol=1e-9)
    assert np.array_equal((lo + hi) - ((lo + hi) - df.to_numpy()), df.to_numpy(),
                          equal_nan=True)
