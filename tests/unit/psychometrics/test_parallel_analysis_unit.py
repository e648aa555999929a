"""Unit tests of the parallel-analysis internals: the one-factor minres fits of the random
matrices and the column-wise bootstrap draws."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from measurelib.psychometrics.efa._factors import (
    _SLOTS,
    _column_resampler,
    _minres1_values_batch,
    _minres1_values_reference,
    _resample_tables,
    _table_row,
    parallel_analysis,
)


def _null_correlations(rng: np.random.Generator, b: int, n: int, p: int) -> np.ndarray:
    """Correlation matrices of ``n`` independent normal rows (a Wishart by Bartlett's method)."""
    low = np.zeros((b, p, p))
    il, jl = np.tril_indices(p, -1)
    low[:, il, jl] = rng.standard_normal((b, il.size))
    low[:, np.arange(p), np.arange(p)] = np.sqrt(rng.chisquare((n - 1) - np.arange(p), size=(b, p)))
    w = low @ np.swapaxes(low, 1, 2)
    d = np.sqrt(np.einsum("bii->bi", w))
    out: np.ndarray = w / d[:, :, None] / d[:, None, :]
    return out


def _factor_correlations(
    rng: np.random.Generator, b: int, n: int, p: int, nf: int, lo: float, hi: float
) -> np.ndarray:
    out = []
    for _ in range(b):
        lam = np.zeros((p, nf))
        for j in range(p):
            lam[j, j % nf] = rng.uniform(lo, hi)
        e = rng.standard_normal((n, p)) * np.sqrt(np.maximum(1 - np.sum(lam**2, axis=1), 0.01))
        out.append(np.corrcoef((rng.standard_normal((n, nf)) @ lam.T + e).T))
    return np.array(out)


def _bootstrap_correlations(rng: np.random.Generator, b: int, n: int, p: int) -> np.ndarray:
    base = rng.standard_normal((n, 1)) * 0.6 + rng.standard_normal((n, p))
    x = np.digitize(base, [-1.5, -0.5, 0.4, 1.3]) + 1.0
    return np.array(
        [np.corrcoef(np.stack([rng.choice(x[:, j], n) for j in range(p)])) for _ in range(b)]
    )


# ----------------------------------------------------------------------------- minres fits
@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("null", (40, 10_000, 50)),
        ("null", (60, 200, 30)),
        ("null", (30, 100, 10)),
        ("null", (20, 50, 3)),
        ("bootstrap", (30, 1000, 20)),
        ("factors", (30, 300, 12, 1, 0.5, 0.9)),
        ("factors", (30, 100, 6, 1, 0.85, 0.99)),
        ("factors", (30, 500, 15, 3, 0.4, 0.8)),
    ],
)
def test_minres1_fast_path_matches_reference(kind: str, args: tuple[Any, ...]) -> None:
    rng = np.random.default_rng(zlib.crc32(repr((kind, args)).encode()))
    make = {
        "null": _null_correlations,
        "bootstrap": _bootstrap_correlations,
        "factors": _factor_correlations,
    }[kind]
    c = make(rng, *args)
    ref = _minres1_values_reference(c)
    fast = _minres1_values_batch(c)
    np.testing.assert_allclose(fast, ref, atol=1e-8, rtol=0)


def test_minres1_bounded_and_degenerate_cases_match_reference() -> None:
    rng = np.random.default_rng(3)
    f = rng.standard_normal((300, 1))
    x = f @ np.array([[0.9, 0.9, 0.6, 0.5, 0.4, 0.5]]) + 0.4 * rng.standard_normal((300, 6))
    # an item nearly duplicating another: its uniqueness sits on the 0.005 bound
    x[:, 1] = x[:, 0] + 0.02 * rng.standard_normal(300)
    c = np.stack([np.corrcoef(x.T), np.eye(6), _null_correlations(rng, 1, 100, 6)[0]])
    np.testing.assert_allclose(
        _minres1_values_batch(c), _minres1_values_reference(c), atol=1e-8, rtol=0
    )


# ----------------------------------------------------------------------------- bootstrap draws
def _distinct(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vals, counts = np.unique(col, return_counts=True)
    return vals, counts


@pytest.mark.parametrize(
    "col",
    [
        np.array([1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0]),
        np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], [900, 2500, 3100, 2400, 1100]),
        np.array([4.0] * 10),  # constant
        np.array([1.0, 2.0, np.nan, np.nan, 2.0]),  # missing answers are resampled too
        np.arange(3.0),
        np.arange(float(_SLOTS)),  # every slot used once: one is kept for the second draw
        np.random.default_rng(0).standard_normal(30_000),
    ],
)
def test_resample_tables_give_exact_probabilities(col: np.ndarray) -> None:
    values, shares, thr, weights = _resample_tables(col[None, :])
    nsub, slots = col.size, _SLOTS
    vals, counts = _distinct(col)
    np.testing.assert_array_equal(values[0], vals)
    assert 0 < slots - thr[0] <= vals.size
    assert np.all(weights[0] >= 0)
    assert int(weights[0].sum()) == (slots - thr[0]) * nsub
    head = _table_row(values[0], shares[0], int(thr[0]), np.float64)[: thr[0]]
    where = np.searchsorted(vals, head)  # nan sorts last in both
    np.testing.assert_array_equal(vals[where], head)
    k = np.bincount(where, minlength=vals.size)
    # P(value) = (slots in the head + weight / nsub) / _SLOTS = count / nsub, in integers
    np.testing.assert_array_equal(k * nsub + weights[0], counts * slots)


class _ForcedBits:
    """A generator whose raw bits always call for the second draw."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self.bit_generator = self

    def random_raw(self, size: int) -> np.ndarray:
        return np.full(size, np.iinfo(np.uint64).max, dtype=np.uint64)

    def integers(self, *args: Any, **kwargs: Any) -> Any:
        return self._rng.integers(*args, **kwargs)


def _chi2_ok(observed: np.ndarray, probs: np.ndarray) -> bool:
    from scipy.stats import chisquare

    expected = probs / probs.sum() * observed.sum()
    return bool(chisquare(observed, expected).pvalue > 1e-4)


def test_column_resampler_draws_each_column_from_its_values() -> None:
    rng = np.random.default_rng(11)
    n = 24
    cols = [
        np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], [3, 7, 1, 9, 4]),
        np.repeat([0.0, 1.0], [5, 19]),
        np.repeat([2.0, 7.0, 9.0], [8, 8, 8]),
    ]
    arr = np.stack([rng.permutation(c) for c in cols], axis=1)
    out = np.empty((3, 50, 20_000))
    _column_resampler(arr, np.float64, np.random.default_rng(5))(out)
    for j, col in enumerate(cols):
        vals, counts = _distinct(col)
        observed = np.array([np.sum(out[j] == v) for v in vals])
        assert observed.sum() == out[j].size
        assert _chi2_ok(observed, counts / n)
    # columns are drawn independently of each other
    r = np.corrcoef(out[0].ravel(), out[1].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(out[0].size)


def test_column_resampler_second_draw_uses_the_left_over_probability() -> None:
    col = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], [3, 7, 1, 9, 4])
    values, _, _, weights = _resample_tables(col[None, :])
    out = np.empty((1, 10, 20_000))
    _column_resampler(col[:, None], np.float64, _ForcedBits(2))(out)
    observed = np.array([np.sum(out[0] == v) for v in values[0]])
    w = weights[0]
    assert observed.sum() == out.size
    assert np.all(observed[w == 0] == 0)
    assert _chi2_ok(observed[w > 0], w[w > 0].astype(float))


def test_column_resampler_many_distinct_values_draws_rows() -> None:
    x = np.random.default_rng(1).standard_normal((5000, 3))
    out = np.empty((3, 4, 5000))
    _column_resampler(x, np.float64, np.random.default_rng(2))(out)
    for j in range(3):
        assert np.isin(out[j], x[:, j]).all()
        # each row is equally likely
        idx = np.searchsorted(np.sort(x[:, j]), out[j].ravel())
        assert _chi2_ok(np.bincount(idx // 500, minlength=10), np.ones(10))


def test_resampled_eigenvalues_agree_with_a_plain_bootstrap() -> None:
    rng = np.random.default_rng(4)
    f = rng.standard_normal((300, 1))
    x = np.digitize(f * 0.7 + rng.standard_normal((300, 8)), [-1.2, -0.3, 0.5, 1.4]) + 1.0
    n_iter = 300
    pa = parallel_analysis(x, n_iter=n_iter, seed=9, progress=False)
    plain = np.array(
        [
            np.linalg.eigvalsh(np.corrcoef(np.stack([rng.choice(x[:, j], 300) for j in range(8)])))[
                ::-1
            ]
            for _ in range(n_iter)
        ]
    )
    se = plain.std(axis=0, ddof=1) * np.sqrt(2 / n_iter)
    z = np.abs(pa["pc_simr"] - plain.mean(axis=0)) / se
    assert np.all(z < 4.5), z


def test_stability_is_the_bootstrap_of_the_iterations() -> None:
    x = np.random.default_rng(8).standard_normal((200, 6))
    x[:, 1] += x[:, 0]
    x[:, 2] += x[:, 0]
    pa = parallel_analysis(x, n_iter=30, seed=3, progress=False)
    ii = np.random.default_rng(4).integers(0, 30, size=(500, 30))
    for key, obs, sims in (
        ("stability", pa["fa_values"], pa["sim_fa_all"]),
        ("stability_components", pa["pc_values"], pa["sim_pc_all"]),
    ):
        q = np.quantile(sims[ii], 0.95, axis=1)
        fails = [np.nonzero(~(obs > qk))[0] for qk in q]
        ks = [int(f[0]) if f.size else obs.size for f in fails]
        expected = {k: ks.count(k) / 500 for k in sorted(set(ks))}
        assert pa[key] == expected


def test_column_resampler_builds_tables_per_column_when_many_items() -> None:
    # 520 float64 columns would need more than 16 MB of tables: built as needed
    rng = np.random.default_rng(6)
    n, p = 40, 520
    x = rng.integers(1, 6, size=(n, p)).astype(float)
    out = np.empty((p, 2, 500))
    _column_resampler(x, np.float64, np.random.default_rng(7))(out)
    pooled_obs = np.zeros(5)
    pooled_exp = np.zeros(5)
    for j in range(p):
        assert np.isin(out[j], x[:, j]).all()
        for v in range(1, 6):
            pooled_obs[v - 1] += np.sum(out[j] == v)
            pooled_exp[v - 1] += np.mean(x[:, j] == v) * out[j].size
    assert _chi2_ok(pooled_obs, pooled_exp)
