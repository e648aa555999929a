"""Shared measures for the scoring tests (hand-made, each exercising a few rules)."""

from __future__ import annotations

import textwrap

import pytest

import measurelib as ml

HEAD = """\
format: 1
id: {id}
version: 1.0.0
title: Test
licence: {{holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}}
"""


def make(body: str, mid: str = "t") -> ml.Measure:
    """A measure from the YAML body below the standard header."""
    return ml.loads(HEAD.format(id=mid) + textwrap.dedent(body))


FOUR = """\
scales:
  f4:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
      - {value: 9, label: Don't know, missing: true}
items:
  - {id: a, code: Q1, text: A, scale: f4, tags: [x]}
  - {id: b, code: Q2, text: B, scale: f4, tags: [x]}
  - {id: c, code: Q3, text: C, scale: f4, reverse: true, tags: [y]}
  - {id: d, code: Q4, text: D, scale: f4, tags: [y]}
"""


@pytest.fixture
def four() -> ml.Measure:
    """Four 0-3 items (c reversed), total sum with bands, subscale means, prorated sum."""
    return make(FOUR + """\
scores:
  - id: total
    items: all
    bands:
      - {max: 4, label: Low}
      - {max: 8, label: Middle}
      - {label: High}
  - id: x_mean
    items: {tags: [x]}
    method: mean
    missing: {max_missing: 1}
  - id: pro
    items: all
    missing: {max_missing: 1, prorate: true}
alerts:
  - {id: d_high, when: {item: d, op: ge, value: 3}, text: D is high}
  - {id: total_high, when: {score: total, op: gt, value: 10}, text: Total is high}
""")


@pytest.fixture
def phq9_responses():
    """A maker of seeded PHQ-9 response frames (codes Q1-Q9, 5% of Q3 missing)."""
    import numpy as np
    import pandas as pd

    def make_responses(n: int = 1000, seed: int = 3) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        data = {f"Q{i}": rng.integers(0, 4, n).astype(float) for i in range(1, 10)}
        df = pd.DataFrame({"respondent_id": [f"r{i:04d}" for i in range(n)], **data})
        df.loc[rng.random(n) < 0.05, "Q3"] = np.nan
        return df

    return make_responses
