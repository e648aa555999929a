"""Reliable-change categories are symmetric under reversing the score's direction."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import measurelib as ml

TEMPLATE = """
format: 1
id: symmetric
version: 1.0.0
title: A numeric score
licence: {{holder: example, text_redistribution: forbidden, modification: forbidden}}
scales:
  n: {{type: numeric, min: -100, max: 100}}
items:
  - {{id: x, scale: n}}
scores:
  - id: total
    items: [x]
    higher_is_better: {hib}
    reliable_change: {rc}
"""

RC = st.one_of(st.integers(1, 20).map(lambda t: f"{{threshold: {t}}}"),
               st.tuples(st.sampled_from([0.7, 0.8, 0.9, 0.95]), st.integers(2, 15)).map(
                   lambda p: f"{{reliability: {p[0]}, sd: {p[1]}}}"))
pairs = st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1,
                 max_size=30)


def frame(pairs: list[tuple[int, int]], sign: int) -> pd.DataFrame:
    n = len(pairs)
    return pd.DataFrame({
        "respondent_id": [f"p{i}" for i in range(n)] * 2,
        "timepoint": ["baseline"] * n + ["exit"] * n,
        "date": ["2025-01-01"] * n + ["2025-02-01"] * n,
        "total": [sign * b for b, _ in pairs] + [sign * f for _, f in pairs]})


@given(pairs=pairs, rc=RC, hib=st.booleans())
def test_categories_symmetric_under_reversal(pairs: list[tuple[int, int]], rc: str,
                                             hib: bool) -> None:
    m = ml.loads(TEMPLATE.format(hib=str(hib).lower(), rc=rc))
    flipped = ml.loads(TEMPLATE.format(hib=str(not hib).lower(), rc=rc))
    a = ml.change(frame(pairs, 1), m).people
    b = ml.change(frame(pairs, -1), flipped).people
    assert a["category"].tolist() == b["category"].tolist()
    assert a["improvement"].tolist() == b["improvement"].tolist()
    assert (a["rci"] + b["rci"]).abs().max() < 1e-9
    # improvement and deterioration swap when only the direction is reversed
    c = ml.change(frame(pairs, 1), flipped).people
    swap = {"reliably improved": "reliably deteriorated",
            "reliably deteriorated": "reliably improved",
            "no reliable change": "no reliable change"}
    assert c["category"].map(swap).tolist() == a["category"].tolist()
