r"""The compiled E-step: numba kernels over response patterns (optional extra ``fast``).

The E-step needs, for every response pattern :math:`p` and quadrature node :math:`q`,
:math:`\log L_{pq} = \log w_q + \sum_j \log P_{j x_{pj}}(\theta_q)`, the posterior
:math:`\pi_{pq} \propto e^{\log L_{pq}}`, and the expected counts
:math:`r_{jcq} = \sum_p f_p \pi_{pq} [x_{pj} = c]`. Without numba these are two dense
products of the one-hot pattern matrix with the log-probabilities (BLAS). With numba
(``pip install measurelib[fast]``) the kernel below gathers and scatters rows instead,
which is fewer operations, and never builds the one-hot matrix:

* **Item blocks.** Consecutive items are grouped so that the product of their numbers
  of states (categories plus "missing") is at most :data:`BLOCK_STATES`; a block's
  log-probability table holds :math:`\sum_{j \in b} \log P_{j c_j}` for every
  combination of its items' answers. A pattern then reads and writes one row per block
  (5-category items: 10 rows for 20 items instead of 20), and the block's expected counts
  are summed back to items once per E-step. The sums are the same, in another order.
* **Fixed widths.** The grid is padded to a multiple of 8 nodes (padded nodes have log
  weight :math:`-\infty` and posterior exactly 0) so that every loop over nodes has a
  trip count the compiler vectorises.
* **Exponentials** are computed branch-free by Cody–Waite range reduction and a
  degree-13 Taylor polynomial (relative error below 3e-16 on the range used; tested
  against ``numpy.exp``), because the libm call does not vectorise. Weights below
  :math:`e^{-708}` relative to the pattern's largest are 0, as in ``numpy.exp``
  (double precision underflows there too).

Skipping quadrature nodes whose posterior weight is negligible was measured and not kept:
with 61 nodes, variable loop bounds cost more than the skipped work saves.

All kernels are plain Python functions compiled on first use with
``numba.njit(cache=True)`` (the machine code is cached beside this file, so the compile
happens once per installation); numba is imported only then. Patterns are processed in
chunks of :data:`CHUNK` whose partial sums are added in a fixed order, so the numbers do
not depend on the number of threads that ran them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["BLOCK_STATES", "CHUNK", "EStepKernel", "compiled", "fast_exp"]

BLOCK_STATES = 64  # largest product of (categories + 1) over a block of items
CHUNK = 16384  # patterns per unit of work (partial sums added in this order)
_WIDTH = 8  # nodes per vector; the grid is padded to a multiple of this
_LOWEST = -708.0  # exp() below this underflows in double precision: weight 0

# Cody–Waite reduction: x = k ln 2 + r, |r| <= ln 2 / 2; ln 2 split in two parts
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding and subtracting it rounds to an integer
_C2, _C3, _C4, _C5 = 1 / 2, 1 / 6, 1 / 24, 1 / 120
_C6, _C7, _C8, _C9 = 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880
_C10, _C11, _C12, _C13 = 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800


def _exp_into(x: Any, out: Any, bits: Any, n: int) -> None:
    """``out[:n] = exp(x[:n])`` for ``x <= 0``; ``bits`` is the int64 view of a scratch array."""
    for i in range(n):
        xi = max(x[i], _LOWEST)
        k = (xi * _INV_LN2 + _ROUND) - _ROUND
        r = (xi - k * _LN2_HI) - k * _LN2_LO
        out[i] = 1.0 + r * (1.0 + r * (_C2 + r * (_C3 + r * (_C4 + r * (_C5 + r * (
            _C6 + r * (_C7 + r * (_C8 + r * (_C9 + r * (_C10 + r * (_C11 + r * (
                _C12 + r * _C13))))))))))))
        bits[i] = np.int64(np.int32(k) + 1023) << 52  # 2**k, as the bits of a double


_PLAIN_EXP = _exp_into  # the Python function (the global name is rebound when compiled)


def _fast_exp(x: Any, out: Any, scratch: Any) -> None:
    n = x.shape[0]
    bits = scratch.view(np.int64)
    _exp_into(x, out, bits, n)
    for i in range(n):
        out[i] = out[i] * scratch[i] if x[i] >= _LOWEST else 0.0


def _tables(logp: Any, state_rows: Any, out: Any) -> None:
    """Each block state's row: the sum of its items' log-probability rows (-1: none)."""
    n_states, width = state_rows.shape
    nq = logp.shape[1]
    for s in range(n_states):
        for q in range(nq):
            out[s, q] = 0.0
        for i in range(width):
            row = state_rows[s, i]
            if row >= 0:
                for q in range(nq):
                    out[s, q] += logp[row, q]


def _unfold(rt: Any, state_rows: Any, r: Any) -> None:
    """Expected counts of block states summed back to (item, category) rows."""
    n_states, width = state_rows.shape
    nq = r.shape[1]
    for s in range(n_states):
        for i in range(width):
            row = state_rows[s, i]
            if row >= 0:
                for q in range(nq):
                    r[row, q] += rt[s, q]


def _estep(bcodes: Any, freq: Any, table: Any, logw: Any, rt: Any, nq: Any, post: Any,
           scatter: bool) -> float:
    """One chunk of patterns: log-likelihood; adds expected counts to ``rt`` and ``nq``.

    ``post`` is (n, Q) to receive each pattern's normalised posterior, or (0, Q).
    """
    n, nb = bcodes.shape
    width = logw.shape[0]
    ll = np.empty(width)
    e = np.empty(width)
    scratch = np.empty(width)
    bits = scratch.view(np.int64)
    keep = post.shape[0] > 0
    total = 0.0
    for p in range(n):
        for q in range(width):
            ll[q] = logw[q]
        for b in range(nb):
            s = bcodes[p, b]
            for q in range(width):
                ll[q] += table[s, q]
        mx = ll[0]
        for q in range(width):
            mx = max(mx, ll[q])
        for q in range(width):
            ll[q] -= mx
        _exp_into(ll, e, bits, width)
        sm = 0.0
        for q in range(width):
            v = e[q] * scratch[q] if ll[q] >= _LOWEST else 0.0
            e[q] = v
            sm += v
        total += freq[p] * (mx + math.log(sm))
        if keep:
            inv = 1.0 / sm
            for q in range(width):
                post[p, q] = e[q] * inv
        if not scatter:
            continue
        scale = freq[p] / sm
        for q in range(width):
            e[q] *= scale
            nq[q] += e[q]
        for b in range(nb):
            s = bcodes[p, b]
            for q in range(width):
                rt[s, q] += e[q]
    return total


_STATE: dict[str, Any] = {}


def compiled() -> Any | None:
    """The compiled kernels (a namespace), or ``None`` without numba.

    numba is imported on the first call only. ``MEASURELIB_NUMBA=0`` in the environment
    turns the kernels off (the NumPy path runs; the estimates agree to 1e-6).
    """
    if "kernels" not in _STATE:
        _STATE["kernels"] = _compile()
    return _STATE["kernels"]


def _compile() -> Any | None:
    if os.environ.get("MEASURELIB_NUMBA", "").strip() == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    from types import SimpleNamespace

    # reassociation lets the compiler vectorise the sums and the maximum over nodes;
    # no flag that assumes finite values (padded nodes are -inf)
    opts: dict[str, Any] = {"cache": True, "nogil": True,
                            "fastmath": {"reassoc", "contract"}}
    jit = numba.njit(**opts)
    glob = globals()
    # the kernels call each other through module globals: replace them by their
    # compiled versions first (numba resolves globals at compile time)
    try:  # compile (or load from the cache) now: a kernel that cannot be built is not used
        exp_into = glob["_exp_into"] = jit(_PLAIN_EXP)
        kernels = SimpleNamespace(
            exp_into=exp_into,
            fast_exp=jit(_fast_exp),
            tables=jit(_tables),
            unfold=jit(_unfold),
            estep=jit(_estep),
        )
        _warm(kernels)
    except Exception as exc:  # noqa: BLE001 - any compiler failure: the NumPy path runs
        import warnings

        glob["_exp_into"] = _PLAIN_EXP
        warnings.warn(f"irt(): the compiled E-step is not used ({type(exc).__name__}: "
                      f"{exc}); the NumPy path runs instead", RuntimeWarning, stacklevel=3)
        return None
    return kernels


def _warm(k: Any) -> None:
    """Each kernel once, on the smallest inputs (the types irt() passes)."""
    w = _WIDTH
    rows = np.zeros((1, 1), dtype=np.int64)
    one = np.zeros((1, w))
    k.tables(one, rows, np.zeros((1, w)))
    k.unfold(one, rows, np.zeros((1, w)))
    k.estep(np.zeros((1, 1), dtype=np.int32), np.ones(1), one, np.zeros(w), np.zeros((1, w)),
            np.zeros(w), np.zeros((0, w)), True)
    k.fast_exp(np.zeros(1), np.zeros(1), np.zeros(1))


def fast_exp(x: Any) -> Any:
    """``exp(x)`` for ``x <= 0`` by the kernel's method (compiled when numba is present)."""
    x = np.ascontiguousarray(x, dtype=np.float64).ravel()
    out = np.empty_like(x)
    scratch = np.empty_like(x)
    k = compiled()
    (k.fast_exp if k is not None else _fast_exp)(x, out, scratch)
    return out


def _blocks(ncat: Sequence[int], start: Sequence[int]) -> tuple[Any, Any]:
    """Group consecutive items; returns (state rows (S, width), per item: (block, stride, base))."""
    groups: list[list[int]] = []
    size = 1
    for j, k in enumerate(ncat):
        if not groups or size * (k + 1) > BLOCK_STATES:
            groups.append([])
            size = 1
        groups[-1].append(j)
        size *= k + 1
    place = np.zeros((len(ncat), 3), dtype=np.int64)
    width = max(len(items) for items in groups)
    parts = []
    base = 0
    for b, items in enumerate(groups):
        sizes = np.asarray([ncat[j] + 1 for j in items], dtype=np.int64)
        strides = np.cumprod(np.r_[1, sizes[:-1]])
        n_states = int(np.prod(sizes))
        code = (np.arange(n_states)[:, None] // strides[None, :]) % sizes[None, :]  # 0: missing
        rows = np.full((n_states, width), -1, dtype=np.int64)
        rows[:, : len(items)] = np.where(
            code > 0, np.asarray([start[j] for j in items])[None, :] + code - 1, -1)
        parts.append(rows)
        for j, st in zip(items, strides):
            place[j] = (b, st, base)
        base += n_states
    return np.concatenate(parts), place


class EStepKernel:
    """The compiled E-step of one pattern table (codes 0..K-1, -1 missing) on one grid."""

    def __init__(self, kernels: Any, codes: Any, freq: Any, ncat: Sequence[int],
                 start: Sequence[int], n_nodes: int) -> None:
        self.k = kernels
        self.state_rows, place = _blocks(ncat, start)
        n_blocks = int(place[:, 0].max()) + 1 if len(place) else 0
        bc = np.zeros((codes.shape[0], n_blocks), dtype=np.int32)
        for j in range(codes.shape[1]):
            b, stride, base = (int(v) for v in place[j])
            bc[:, b] += ((codes[:, j].astype(np.int32) + 1) * stride).astype(np.int32)
        bc += np.asarray([place[place[:, 0] == b][0, 2] for b in range(n_blocks)],
                         dtype=np.int32)[None, :]
        self.bcodes = bc
        self.freq = np.ascontiguousarray(freq, dtype=np.float64)
        self.n_nodes = n_nodes
        self.width = -(-n_nodes // _WIDTH) * _WIDTH
        self.n_rows = int(sum(ncat))

    def run(self, logp: Any, logw: Any, keep_post: bool = False,
            scatter: bool = True) -> tuple[float, Any, Any, Any]:
        """Log-likelihood, expected counts (C, Q), node counts (Q,), posterior or None."""
        k = self.k
        q, width = self.n_nodes, self.width
        lp = np.zeros((logp.shape[0], width))
        lp[:, :q] = logp
        lw = np.full(width, -np.inf)
        lw[:q] = logw
        table = np.empty((self.state_rows.shape[0], width))
        k.tables(lp, self.state_rows, table)
        n = self.bcodes.shape[0]
        post = np.empty((n, width)) if keep_post else np.empty((0, width))
        starts = list(range(0, n, CHUNK)) or [0]
        parts: list[Any] = [None] * len(starts)

        def work(i: int) -> None:
            lo = starts[i]
            hi = min(lo + CHUNK, n)
            rt = np.zeros_like(table) if scatter else np.zeros((0, width))
            nq = np.zeros(width)
            ll = k.estep(self.bcodes[lo:hi], self.freq[lo:hi], table, lw, rt, nq,
                         post[lo:hi] if keep_post else post, scatter)
            parts[i] = (ll, rt, nq)

        threads = min(len(starts), _threads())
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as ex:
                list(ex.map(work, range(len(starts))))
        else:
            for i in range(len(starts)):
                work(i)
        loglik = 0.0
        for ll, _, _ in parts:
            loglik += ll
        if not scatter:
            return loglik, None, None, None
        rt = parts[0][1]
        nq = parts[0][2]
        for _, rti, nqi in parts[1:]:
            rt += rti
            nq += nqi
        r = np.zeros((self.n_rows, width))
        k.unfold(rt, self.state_rows, r)
        return (loglik, r[:, :q], nq[:q],
                post[:, :q] if keep_post else None)


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
