"""The block-by-block weighted sum under every score: the same as a straightforward sum.

``_linear_sum`` adds the columns of a rule block by block (the block's sums stay in the
CPU's cache) and gathers, while a block is in the cache, the answers of the rows whose sum
is NaN (a missing answer): those rows take the missing-data rule. Its result must not
depend on the block size: every row the same sum, the same NaN rows in order, and the
same gathered answers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from measurelib.scoring._score import _BLOCK, _linear_sum


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 3000), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.sampled_from([1, 7, 64, 1000, _BLOCK]), st.floats(-10, 10), st.floats(0, 0.3))
def test_block_sums_equal_the_plain_sum(n: int, k: int, seed: int, block: int, const: float,
                                        missing: float) -> None:
    rng = np.random.default_rng(seed)
    cols = [rng.integers(0, 5, n).astype(float) for _ in range(k)]
    for c in cols:
        c[rng.random(n) < missing] = np.nan
    coefs = [float(rng.choice([1.0, -1.0, 0.5, 2.0])) for _ in range(k)]
    terms = list(zip(cols, coefs))
    out, sub, gathered = _linear_sum(terms, const, n, block=block)
    expected = np.full(n, const)
    for c, w in terms:
        expected = expected + (c if w == 1.0 else -c if w == -1.0 else c * w)
    np.testing.assert_array_equal(out, expected)
    nan_rows = np.flatnonzero(np.isnan(expected))
    np.testing.assert_array_equal(sub, nan_rows)
    assert len(gathered) == k
    for g, c in zip(gathered, cols):
        np.testing.assert_array_equal(g, c[nan_rows])
