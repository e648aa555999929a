"""Marginal maximum likelihood by EM (Bock & Aitkin, 1981) for unidimensional IRT models.

The E-step is one matrix product of the one-hot response-pattern matrix (identical
patterns collapsed, with their frequencies) with the log category probabilities at the
quadrature points, or the compiled kernel of ``_kernel`` (numba installed) that computes
the same sums by gathering rows. The M-step is Newton's method on the expected complete-data
log-likelihood, exact because that function is concave in the slope–intercept
parameters of both model families. EM steps are accelerated with SQUAREM (Varadhan &
Roland, 2008) and monotonicity is enforced. Standard errors come from the observed
information: Louis's (1982) identity evaluated exactly, Oakes's (1999) identity by
differentiating the Fisher score, or the supplemented EM of Meng & Rubin (1991).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from measurelib.errors import ConvergenceWarning

from ._models import graded_newton, item_derivatives, item_probs

__all__ = ["MODELS", "Calibration", "Design", "Patterns", "fit", "prepare"]

MODELS = ("graded", "gpcm", "pcm", "rsm", "2pl", "rasch")
_RASCH_FAMILY = ("rasch", "pcm", "rsm")


def _caller_error(param: str, msg: str) -> ValueError:
    return ValueError(f"irt(): parameter {param!r}: {msg}")


class Patterns:
    """Unique response patterns (codes 0..K-1, -1 missing) with frequencies.

    ``onehot`` (n_unique, C) is made on first use: the compiled E-step never needs it.
    """

    def __init__(self, codes: Any, freq: Any, inverse: Any, ncat: Sequence[int],
                 onehot: Any = None) -> None:
        self.codes = codes  # (n_unique, J) int16
        self.freq = freq  # (n_unique,) float
        self.inverse = inverse  # (n_rows_used,) row -> pattern
        self.ncat = list(ncat)
        self._onehot = onehot

    @property
    def onehot(self) -> Any:
        """The one-hot matrix (n_unique, C) float64."""
        if self._onehot is None:
            self._onehot = one_hot(self.codes, self.ncat)
        return self._onehot

    @onehot.setter
    def onehot(self, value: Any) -> None:
        self._onehot = value


def one_hot(codes: Any, ncat: Sequence[int]) -> Any:
    offsets = np.concatenate([[0], np.cumsum(ncat)[:-1]]).astype(np.int64)
    n, j = codes.shape
    x = np.zeros((n, int(sum(ncat))))
    rows = np.repeat(np.arange(n), j)
    cols = (codes + offsets[None, :]).ravel()
    ok = (codes >= 0).ravel()
    x[rows[ok], cols[ok]] = 1.0
    return x


def _unique_rows(codes: Any, ncat: Sequence[int]) -> tuple[Any, Any]:
    """First row of each distinct pattern and each row's pattern, patterns in key order.

    Each row is coded as integers in mixed radix (categories + 1 for "missing" per
    item), as many items per 62-bit key as fit; one key is one sort of integers, more
    keys a stable lexicographic sort, so the first row of a run is its first occurrence.
    """
    keys = []
    key = np.zeros(codes.shape[0], dtype=np.int64)
    room = 1
    for j, k in enumerate(ncat):
        if room * (k + 1) >= 2**62:
            keys.append(key)
            key = np.zeros(codes.shape[0], dtype=np.int64)
            room = 1
        key += (codes[:, j].astype(np.int64) + 1) * room
        room *= k + 1
    keys.append(key)
    if len(keys) == 1:
        _, first, inverse = np.unique(keys[0], return_index=True, return_inverse=True)
        return first, inverse.ravel()
    order = np.lexsort(keys[::-1])
    new = np.zeros(len(order), dtype=bool)
    new[0] = True
    for kk in keys:
        s = kk[order]
        new[1:] |= s[1:] != s[:-1]
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def collapse(codes: Any, ncat: Sequence[int], weights: Any = None) -> Patterns:
    codes = np.ascontiguousarray(codes, dtype=np.int16)
    if codes.shape[0] == 0:
        return Patterns(codes, np.zeros(0), np.zeros(0, dtype=np.int64), ncat)
    first, inverse = _unique_rows(codes, ncat)
    uniq = codes[first]
    w = np.ones(codes.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    freq = np.bincount(inverse.ravel(), weights=w, minlength=uniq.shape[0])
    return Patterns(uniq, freq, inverse.ravel(), ncat)


@dataclass
class Design:
    """Items, models, categories and the linear map from free parameters to item parameters.

    Item parameters ``beta`` (a, d_1..d_{K-1} per item, stacked) are ``M @ phi + c0``.
    """

    items: list[str]
    models: list[str]
    kinds: list[str]
    ncat: list[int]
    values: list[list[float]]  # category codes as in the data, per item
    start: list[int]  # offset of each item's beta
    M: Any
    c0: Any
    free_labels: list[tuple[str, str]]
    shared_slope: bool
    groups: list[tuple[str, int, Any]] = field(default_factory=list)  # (kind, K, item idx)

    @property
    def identity(self) -> bool:
        """Every item parameter is its own free parameter (no fixed or shared ones)."""
        cached = self.__dict__.get("_identity")
        if cached is None:
            m = self.M
            cached = bool(m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0]))
                          and not self.c0.any())
            self.__dict__["_identity"] = cached
        return bool(cached)

    @property
    def n_beta(self) -> int:
        return int(sum(self.ncat))

    def beta(self, phi: Any) -> Any:
        return self.M @ phi + self.c0

    def item_beta(self, beta: Any, j: int) -> Any:
        return beta[self.start[j]: self.start[j] + self.ncat[j]]

    def group_beta(self, beta: Any, idx: Any, k: int) -> Any:
        starts = np.asarray(self.start)[idx]
        return beta[starts[:, None] + np.arange(k)[None, :]]

    def log_probs(self, beta: Any, theta: Any) -> Any:
        """Log P for every (item, category) row and every theta column: (C, Q)."""
        out = np.empty((self.n_beta, theta.shape[0]))
        for kind, k, idx in self.groups:
            p = item_probs(kind, self.group_beta(beta, idx, k), theta)
            rows = np.asarray(self.start)[idx][:, None] + np.arange(k)[None, :]
            out[rows.ravel()] = np.log(np.maximum(p, 1e-300)).reshape(-1, theta.shape[0])
        return out

    def valid(self, beta: Any) -> bool:
        for j, kind in enumerate(self.kinds):
            if kind == "graded" and self.ncat[j] > 2:
                d = self.item_beta(beta, j)[1:]
                if np.any(np.diff(d) >= 0):
                    return False
        return bool(np.all(np.isfinite(beta)))


def _item_codes(col: Any, name: str) -> tuple[Any, list[float]]:
    if col.dtype.kind in "iub":  # integer answers: no parsing, no missing values
        v = col.astype(np.float64)
    else:
        import pandas as pd

        s = pd.to_numeric(pd.Series(col), errors="coerce")
        raw = pd.Series(col)
        bad = s.isna() & raw.notna()
        if bad.any():
            i = int(np.nonzero(bad.to_numpy())[0][0])
            raise ValueError(
                f"irt(): item {name!r} has a non-numeric answer {raw.iloc[i]!r} in row "
                f"{i + 1}; code answers as integers (e.g. 1..4 or 0..1) and leave missing "
                "answers empty"
            )
        v = s.to_numpy(dtype=np.float64)
    obs = v[~np.isnan(v)]
    if obs.size and np.any(obs != np.round(obs)):
        raise ValueError(f"irt(): item {name!r} has non-integer codes; categories must be "
                         "integers as printed on the form")
    cats = np.unique(obs).tolist()
    if len(cats) < 2:
        raise ValueError(
            f"irt(): item {name!r} has {'no answers' if not cats else 'one category only'} "
            f"({cats}); an item needs answers in at least two categories — drop the item"
        )
    full = list(range(int(cats[0]), int(cats[-1]) + 1))
    empty = [c for c in full if c not in cats]
    if empty:
        raise ValueError(
            f"irt(): item {name!r} has empty categories {empty} (observed {[int(c) for c in cats]}); "
            "no one chose them, so their thresholds cannot be estimated — collapse them with a "
            "neighbouring category or recode the item"
        )
    codes = np.where(np.isnan(v), -1, v - cats[0]).astype(np.int16)
    return codes, [float(c) for c in full]


def _integer_codes(block: Any) -> tuple[Any, list[list[float]]] | None:
    """Codes of an all-integer table, every item at once; ``None`` to go item by item.

    The same codes as :func:`_item_codes` column by column; ``None`` also when an item
    has fewer than two or empty categories, so that the item-by-item path names it.
    """
    if block.dtype.kind not in "iub" or block.size == 0:
        return None
    lo = block.min(axis=0).astype(np.int64)
    span = block.max(axis=0).astype(np.int64) - lo + 1
    if np.any(span < 2) or np.any(span > 1000):
        return None
    codes = (block - lo[None, :]).astype(np.int16)
    offsets = np.concatenate([[0], np.cumsum(span)[:-1]])
    seen = np.bincount((codes + offsets[None, :]).ravel(), minlength=int(span.sum()))
    if np.any(seen == 0):
        return None
    return codes, [[float(c) for c in range(a, a + k)] for a, k in zip(lo.tolist(),
                                                                      span.tolist())]


def prepare(data: Any, items: Sequence[str] | None, model: Any) -> tuple[Any, Design, Any]:
    """Validate the data and models; returns (codes, design, row mask of rows used)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise _caller_error("data", f"needs a 2-D table of answers; got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[f"item{i + 1}" for i in range(arr.shape[1])])
    if items is None:
        names = [str(c) for c in frame.columns]
    else:
        names = [str(i) for i in items]
        missing = [i for i in names if i not in frame.columns]
        if missing:
            raise _caller_error("items", f"columns {missing} are not in the data; available: "
                                f"{[str(c) for c in frame.columns]}")
    if len(names) < 2:
        raise _caller_error("items", f"needs at least two items; got {names}")
    if isinstance(model, str):
        models = [model] * len(names)
    elif isinstance(model, Mapping):
        unknown = [k for k in model if str(k) not in names]
        if unknown:
            raise _caller_error("model", f"names items {unknown} that are not calibrated")
        models = [str(model.get(n, "graded")) for n in names]
    else:
        raise _caller_error("model", f"must be one of {MODELS} or a dict item -> model; got "
                            f"{model!r}")
    for n, m in zip(names, models):
        if m not in MODELS:
            raise _caller_error("model", f"must be one of {', '.join(repr(x) for x in MODELS)} "
                                f"(item {n!r}); got {m!r}")
    # one selection (pandas deep-copies .attrs on every selection: avoided when every
    # column is calibrated)
    block = (frame.to_numpy() if names == [str(c) for c in frame.columns]
             else frame[names].to_numpy())
    fast = _integer_codes(block)
    if fast is not None:
        codes, values = fast
    else:  # item by item (missing answers, text, or an item to refuse by name)
        cols = []
        values = []
        for i, n in enumerate(names):
            c, v = _item_codes(block[:, i], n)
            cols.append(c)
            values.append(v)
        codes = np.stack(cols, axis=1) if cols else np.zeros((len(frame), 0), np.int16)
    ncat = [len(v) for v in values]
    for n, m, k in zip(names, models, ncat):
        if m == "2pl" and k != 2:
            raise _caller_error("model", f"'2pl' needs a dichotomous item; item {n!r} has {k} "
                                "categories (use 'graded' or 'gpcm')")
    design = _design(names, models, ncat, values)
    used = (codes >= 0).any(axis=1)
    return codes, design, used


def _design(names: list[str], models: list[str], ncat: list[int],
            values: list[list[float]]) -> Design:
    kinds = ["graded" if m in ("graded", "2pl") or (m == "rasch" and k == 2) else "gpcm"
             for m, k in zip(models, ncat)]
    shared = all(m in _RASCH_FAMILY for m in models)
    starts = list(np.concatenate([[0], np.cumsum(ncat)[:-1]]).astype(int))
    nb = int(sum(ncat))
    cols: list[Any] = []
    labels: list[tuple[str, str]] = []
    c0 = np.zeros(nb)

    def new_col(label: tuple[str, str]) -> Any:
        v = np.zeros(nb)
        cols.append(v)
        labels.append(label)
        return v

    slope = new_col(("(slope)", "a")) if shared else None
    rsm_items = [j for j, m in enumerate(models) if m == "rsm"]
    if rsm_items and len({ncat[j] for j in rsm_items}) > 1:
        raise _caller_error("model", "'rsm' items must share one set of categories; got "
                            f"{ {names[j]: ncat[j] for j in rsm_items} }")
    tau = [new_col(("(rsm)", f"t{m}")) for m in range(1, ncat[rsm_items[0]])] if rsm_items else []
    for j, (n, m, k) in enumerate(zip(names, models, ncat)):
        s = starts[j]
        if m in _RASCH_FAMILY:
            if slope is not None:
                slope[s] = 1.0
            else:
                c0[s] = 1.0
        else:
            new_col((n, "a"))[s] = 1.0
        if m == "rsm":
            if j != rsm_items[0]:
                cj = new_col((n, "c"))
                for c in range(1, k):
                    cj[s + c] = float(c)
            for c in range(1, k):
                tau[c - 1][s + c] = 1.0
        else:
            for c in range(1, k):
                new_col((n, f"d{c}"))[s + c] = 1.0
    mat = np.stack(cols, axis=1)
    groups: dict[tuple[str, int], list[int]] = {}
    for j, (kind, k) in enumerate(zip(kinds, ncat)):
        groups.setdefault((kind, k), []).append(j)
    return Design(names, models, kinds, ncat, values, starts, mat, c0, labels, shared,
                  [(kd, k, np.asarray(ix)) for (kd, k), ix in groups.items()])


def quadrature(n: int, lim: float = 6.0) -> tuple[Any, Any]:
    """Mirt's rectangular grid: ``seq(-6, 6, length.out = n)``, N(0, 1) weights summing to 1."""
    theta = np.linspace(-lim, lim, n)
    w = np.exp(-0.5 * theta**2)
    return theta, w / w.sum()


def start_values(design: Design, pats: Patterns) -> Any:
    """Slopes from item–rest correlations, intercepts from the observed marginals.

    With the normal-ogive approximation a loading ``l`` (taken as the item–rest-score
    correlation) gives ``a = 1.702 l / sqrt(1 - l^2)``; the marginal proportion
    ``P(X >= c)`` then gives ``d_c = 1.702 z_c sqrt(1 + (a / 1.702)^2)`` (graded), and
    the adjacent-category logits of the marginals are scaled alike (divide-by-total).
    """
    from scipy.special import ndtri

    n_items = len(design.items)
    ok = pats.codes >= 0
    f = pats.freq
    x = np.where(ok, pats.codes, 0).astype(np.float64)
    # every item at once: weighted counts of the categories, and the weighted
    # correlation of each item with the rest score among those who answered it
    offsets = np.asarray(design.start)
    counts_all = np.bincount((pats.codes + offsets)[ok], minlength=design.n_beta,
                             weights=np.broadcast_to(f[:, None], ok.shape)[ok]) + 0.5
    # (weighted moments as products with the frequencies; x is 0 where missing and
    # the rest score is T - x among those who answered)
    okf = ok.astype(np.float64)
    total = x.sum(axis=1)
    ft = f * total
    sw = f @ okf
    sx, sxx, stx = f @ x, f @ (x * x), ft @ x
    sr = ft @ okf - sx
    srr = (ft * total) @ okf - 2.0 * stx + sxx
    cov = (stx - sxx) - sx * sr / sw
    den = np.sqrt(np.maximum(sxx - sx * sx / sw, 0.0) * np.maximum(srr - sr * sr / sw, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(den > 0, cov / np.where(den > 0, den, 1.0), 0.5)
    beta = np.zeros(design.n_beta)
    for j in range(n_items):
        k = design.ncat[j]
        s = design.start[j]
        counts = counts_all[s: s + k]
        p = counts / counts.sum()
        r = float(np.clip(corr[j], 0.1, 0.9))
        a = 1.702 * r / np.sqrt(1 - r * r)
        scale = np.sqrt(1 + (a / 1.702) ** 2)
        beta[s] = a
        if design.kinds[j] == "graded":
            cum = np.cumsum(p[::-1])[::-1][1:]  # P(X >= c), c = 1..K-1
            beta[s + 1: s + k] = 1.702 * ndtri(cum) * scale
        else:
            beta[s + 1: s + k] = np.cumsum(np.log(p[1:] / p[:-1])) * scale
    if design.shared_slope or np.any(design.c0 != 0):
        for j in range(n_items):
            if not np.any(design.M[design.start[j]] != 0) or design.shared_slope:
                # fixed or shared slopes: put the item's intercepts on the slope-1 scale
                s = design.start[j]
                k = design.ncat[j]
                a = beta[s]
                beta[s + 1: s + k] /= np.sqrt(1 + (a / 1.702) ** 2) / np.sqrt(1 + 1 / 1.702**2)
                beta[s] = 1.0
    # least squares projection on the free parameters (fixed slopes stay at c0)
    phi, *_ = np.linalg.lstsq(design.M, beta - design.c0, rcond=None)
    return phi


@dataclass
class _EStep:
    loglik: float
    r: Any  # (C, Q) expected counts
    post: Any | None = None  # (n_unique, Q) posterior, normalised per pattern
    nq: Any | None = None  # (Q,) expected number of respondents at each node


class Engine:
    """E-step, M-step and derivatives for one design, one pattern table, one grid."""

    def __init__(self, design: Design, pats: Patterns, theta: Any, weights: Any,
                 compiled: bool = True) -> None:
        from . import _kernel

        self.design = design
        self.pats = pats
        self.theta = theta
        self.logw = np.log(weights)
        self.n_evals = 0
        self.newton_per_mstep = 1
        kernels = _kernel.compiled() if compiled else None
        # the compiled E-step (numba installed), else the one-hot products (BLAS)
        self.kernel: Any = (None if kernels is None else _kernel.EStepKernel(
            kernels, pats.codes, pats.freq, design.ncat, design.start, theta.shape[0]))
        self._xa: Any = None
        self.xa32: Any = None  # the one-hot matrix in single precision, while it is used

    @property
    def mixed_precision(self) -> bool:
        """Whether ``fit`` may run early E-steps in float32 (the BLAS path only)."""
        return self.kernel is None

    @property
    def xa(self) -> Any:
        """The one-hot matrix with a column of ones (made on first use).

        The product adds the log prior, and the transposed product's last row is the
        expected count at each node.
        """
        if self._xa is None:
            x = self.pats.onehot
            self._xa = np.empty((x.shape[0], x.shape[1] + 1))
            self._xa[:, :-1] = x
            self._xa[:, -1] = 1.0
            self.pats.onehot = self._xa[:, :-1]  # one copy in memory
        return self._xa

    def single_precision(self, on: bool) -> None:
        """Run the E-step's two products in float32 (``on``) or float64.

        The one-hot matrix is exact in float32; the log-probabilities and posteriors
        lose digits beyond the 7th, which moves EM steps by far less than they are
        while the estimates are still far from the maximum. ``fit`` therefore switches
        to float64 before testing convergence, and the fixed point is float64's. The
        float32 copy is freed when switched off. The compiled E-step is float64 always.
        """
        self.xa32 = self.xa.astype(np.float32) if on and self.kernel is None else None

    def estep(self, beta: Any, keep_post: bool = False) -> _EStep:
        self.n_evals += 1
        if self.kernel is not None:
            loglik, r, nq, post = self.kernel.run(self.design.log_probs(beta, self.theta),
                                                  self.logw, keep_post)
            return _EStep(loglik, r, post, nq)
        logp = np.vstack([self.design.log_probs(beta, self.theta), self.logw[None, :]])
        single = self.xa32 is not None and not keep_post
        xa = self.xa32 if single else self.xa
        f = self.pats.freq
        ll = xa @ (logp.astype(np.float32) if single else logp)
        mx = ll.max(axis=1, keepdims=True)
        np.subtract(ll, mx, out=ll)
        np.exp(ll, out=ll)
        s = ll.sum(axis=1, dtype=np.float64)
        loglik = float(f @ (mx[:, 0] + np.log(s)))
        if single:
            ll *= (f / s).astype(np.float32)[:, None]
            ra = (xa.T @ ll).astype(np.float64)
            return _EStep(loglik, ra[:-1], None, ra[-1])
        if keep_post:
            ll /= s[:, None]
            post = ll.copy()
            ll *= f[:, None]
        else:
            post = None
            ll *= (f / s)[:, None]
        ra = xa.T @ ll
        return _EStep(loglik, ra[:-1], post, ra[-1])

    def loglik_only(self, beta: Any) -> float:
        """The marginal log-likelihood at ``beta`` (no expected counts)."""
        if self.kernel is None:
            return self.estep(beta).loglik
        self.n_evals += 1
        return float(self.kernel.run(self.design.log_probs(beta, self.theta), self.logw,
                                     scatter=False)[0])

    def _blocks(self, beta: Any, r: Any, second: bool = True) -> tuple[Any, Any, float]:
        """Gradient and Hessian of sum r log P in beta space, and its value."""
        d = self.design
        g = np.zeros(d.n_beta)
        h = np.zeros((d.n_beta, d.n_beta))
        val = 0.0
        starts = np.asarray(d.start)
        for kind, k, idx in d.groups:
            p, dl, d2 = item_derivatives(kind, d.group_beta(beta, idx, k), self.theta, second)
            rows = starts[idx][:, None] + np.arange(k)[None, :]
            rg = r[rows.ravel()].reshape(len(idx), k, -1)
            val += float((rg * np.log(np.maximum(p, 1e-300))).sum())
            gg = np.einsum("nkq,nkqb->nb", rg, dl)
            g[rows.ravel()] = gg.ravel()
            if second:
                hh = np.einsum("nkq,nkqbc->nbc", rg, d2)
                for i, row in enumerate(rows):
                    h[np.ix_(row, row)] = hh[i]
        return g, h, val

    def q_value(self, beta: Any, r: Any) -> float:
        logp = self.design.log_probs(beta, self.theta)
        return float((r * logp).sum())

    def _mstep_items(self, phi: Any, r: Any, max_newton: int) -> Any:
        """M-step when every item parameter is free and unshared: batched Newton per item."""
        d = self.design
        beta = phi.copy()
        starts = np.asarray(d.start)
        for kind, k, idx in d.groups:
            rows = starts[idx][:, None] + np.arange(k)[None, :]
            rg = r[rows.ravel()].reshape(len(idx), k, -1)
            b = beta[rows]
            val, g, h = self._newton_terms(kind, b, rg)
            for it in range(max_newton):
                with np.errstate(invalid="ignore", over="ignore"):
                    try:
                        step = np.linalg.solve(-h, g[..., None])[..., 0]
                    except np.linalg.LinAlgError:
                        step = g / np.maximum(np.abs(np.einsum("nbb->nb", h)), 1e-8)
                # a numerically singular Hessian (a slope running away on a flat
                # likelihood) can give an infinite Newton step without an error: such an
                # item takes a gradient step scaled by the Hessian's diagonal instead, or
                # none, rather than a NaN trial point
                stuck = ~np.all(np.isfinite(step), axis=1)
                if stuck.any():
                    with np.errstate(invalid="ignore", over="ignore"):
                        step[stuck] = g[stuck] / np.maximum(
                            np.abs(np.einsum("nbb->nb", h[stuck])), 1e-8)
                    stuck = ~np.all(np.isfinite(step), axis=1)
                    step[stuck] = 0.0
                t = np.ones(len(idx))
                todo = ~stuck
                new = b.copy()
                for _h in range(30):
                    cand = b + t[:, None] * step
                    pc = item_probs(kind, cand, self.theta)
                    ok = np.all(pc > 0, axis=(1, 2))
                    if kind == "graded" and k > 2:
                        ok &= np.all(np.diff(cand[:, 1:], axis=1) < 0, axis=1)
                    vc = np.where(ok, (rg * np.log(np.maximum(pc, 1e-300))).sum(axis=(1, 2)),
                                  -np.inf)
                    good = todo & (vc >= val - 1e-12 * np.maximum(1.0, np.abs(val)))
                    new[good] = cand[good]
                    val = np.where(good, vc, val)
                    todo &= ~good
                    if not todo.any():
                        break
                    t = np.where(todo, t * 0.5, t)
                moved = float(np.max(np.abs(new - b)))
                b = new
                if moved < 1e-10 or it == max_newton - 1:
                    break  # (no derivatives for a Newton step that will not be taken)
                _, g, h = self._newton_terms(kind, b, rg)
            beta[rows] = b
        return beta

    def _newton_terms(self, kind: str, b: Any, rg: Any) -> tuple[Any, Any, Any]:
        """Per item: sum r log P, its gradient and Hessian (graded ones in closed form)."""
        if kind == "graded":
            return graded_newton(b, self.theta, rg)
        p, dl, d2 = item_derivatives(kind, b, self.theta)
        val = (rg * np.log(np.maximum(p, 1e-300))).sum(axis=(1, 2))
        return (val, np.einsum("nkq,nkqb->nb", rg, dl),
                np.einsum("nkq,nkqbc->nbc", rg, d2))

    def mstep(self, phi: Any, r: Any, max_newton: int = 25, tol: float = 1e-11) -> Any:
        d = self.design
        if d.identity:
            return self._mstep_items(phi, r, self.newton_per_mstep)
        m = d.M
        beta = d.beta(phi)
        g, h, val = self._blocks(beta, r)
        for _ in range(max_newton):
            gp = m.T @ g
            hp = m.T @ h @ m
            try:
                step = np.linalg.solve(-hp, gp)
                if not np.all(np.isfinite(step)) or gp @ step <= 0:
                    raise np.linalg.LinAlgError
            except np.linalg.LinAlgError:
                lam = 1e-6 * max(1.0, float(np.max(np.abs(np.diag(hp)))))
                step = np.linalg.solve(-hp + lam * np.eye(len(phi)) + 1e-8 * np.eye(len(phi)), gp)
            t = 1.0
            accepted = False
            for _h in range(40):
                cand = phi + t * step
                bc = d.beta(cand)
                if d.valid(bc):
                    v = self.q_value(bc, r)
                    if v >= val - 1e-12 * max(1.0, abs(val)):
                        accepted = True
                        break
                t *= 0.5
            if not accepted:
                break
            phi = cand
            beta = bc
            if float(np.max(np.abs(t * step))) < tol:
                break
            g, h, val = self._blocks(beta, r)
        return phi

    def start(self) -> Any:
        return start_values(self.design, self.pats)

    def valid(self, phi: Any) -> bool:
        return self.design.valid(self.design.beta(phi))

    def beta_of(self, phi: Any) -> Any:
        return self.design.beta(phi)

    def loglik(self, phi: Any) -> float:
        """The marginal log-likelihood at ``phi`` (one E-step)."""
        return self.loglik_only(self.design.beta(phi))

    def em_map(self, phi: Any) -> tuple[Any, float]:
        e = self.estep(self.design.beta(phi))
        return self.mstep(phi, e.r), e.loglik

    def gradient(self, phi: Any) -> tuple[Any, float]:
        """Score of the marginal log-likelihood (Fisher's identity) and its value."""
        beta = self.design.beta(phi)
        e = self.estep(beta)
        g, _, _ = self._blocks(beta, e.r, second=False)
        return self.design.M.T @ g, e.loglik

    def louis_information(self, phi: Any, chunk: int = 2048) -> tuple[Any, Any]:
        """Observed information by Louis's identity, exactly; returns (info, score)."""
        from scipy.linalg.blas import dsyrk

        d = self.design
        m = d.M
        beta = d.beta(phi)
        e = self.estep(beta, keep_post=True)
        g, h, _ = self._blocks(beta, e.r)
        q = self.theta.shape[0]
        npar = m.shape[1]
        # complete-data score of each item's categories at every node: (K, Q, K) per item
        scores: list[Any] = [None] * len(d.items)
        for kind, k, idx in d.groups:
            _, dl, _ = item_derivatives(kind, d.group_beta(beta, idx, k), self.theta, False)
            for i, j in enumerate(idx):
                # a zero row for "missing" (code -1 indexes the appended row)
                scores[int(j)] = np.concatenate([dl[i], np.zeros((1, q, k))])
        codes = self.pats.codes
        f = self.pats.freq
        post = e.post
        assert post is not None  # keep_post=True
        identity = d.identity
        a = np.zeros((npar, npar))
        bsum = np.zeros((npar, npar))
        for lo in range(0, codes.shape[0], chunk):
            hi = min(lo + chunk, codes.shape[0])
            # per pattern and node, the score is a gather of each item's rows (no products)
            sb = np.empty((hi - lo, q, d.n_beta))
            for j in range(len(d.items)):
                st = d.start[j]
                sb[:, :, st: st + d.ncat[j]] = scores[j][codes[lo:hi, j]]
            sp = sb if identity else sb @ m
            wpost = post[lo:hi] * f[lo:hi, None]
            flat = sp.reshape(-1, npar) * np.sqrt(wpost).reshape(-1, 1)
            # symmetric rank-k update (upper triangle), half the work of a full product
            a += dsyrk(1.0, flat, trans=1)
            mean = np.einsum("nq,nqa->na", post[lo:hi], sp)
            bsum += (mean * f[lo:hi, None]).T @ mean
        a = np.triu(a) + np.triu(a, 1).T
        hess = m.T @ h @ m + a - bsum
        info = -0.5 * (hess + hess.T)
        return info, m.T @ g

    def oakes_information(self, phi: Any) -> Any:
        """Observed information by Oakes's identity: the Jacobian of the Fisher score."""
        n = len(phi)
        jac = np.zeros((n, n))
        for i in range(n):
            hstep = 1e-5 * max(1.0, abs(phi[i]))
            up = phi.copy()
            dn = phi.copy()
            up[i] += hstep
            dn[i] -= hstep
            jac[:, i] = (self.gradient(up)[0] - self.gradient(dn)[0]) / (2 * hstep)
        return -0.5 * (jac + jac.T)

    def sem_information(self, phi: Any) -> Any:
        """Supplemented EM (Meng & Rubin, 1991): I_obs = I_c (I - DM)."""
        d = self.design
        beta = d.beta(phi)
        e = self.estep(beta)
        _, h, _ = self._blocks(beta, e.r)
        ic = -(d.M.T @ h @ d.M)
        n = len(phi)
        jac = np.zeros((n, n))
        for i in range(n):
            hstep = 1e-4 * max(1.0, abs(phi[i]))
            up = phi.copy()
            dn = phi.copy()
            up[i] += hstep
            dn[i] -= hstep
            jac[:, i] = (self.em_map(up)[0] - self.em_map(dn)[0]) / (2 * hstep)
        info = ic @ (np.eye(n) - jac)
        return 0.5 * (info + info.T)


@dataclass
class Calibration:
    phi: Any
    beta: Any
    loglik: float
    iterations: int
    converged: bool
    info: Any | None
    score: Any | None
    vcov: Any | None
    messages: list[str]


_SINGLE_UNTIL = 1e-3  # largest EM step at which fit() leaves float32 E-steps


def fit(engine: Any, max_iter: int, tol: float, se: str | None,
        progress: Any = None) -> Calibration:
    """EM with SQUAREM acceleration to ``tol`` (max absolute EM step), then the SEs.

    Converged when one EM step (either of a cycle's two) or one accelerated cycle moves
    no parameter by ``tol`` or more.
    """
    phi = engine.start()
    messages: list[str] = []
    converged = False
    it = 0
    ll = -math.inf
    # float32 E-steps while the EM steps are large; float64 from the first cycle whose
    # step is below ``_SINGLE_UNTIL`` (and always for the convergence test)
    single = engine.single_precision if getattr(engine, "mixed_precision", False) else None
    if single is not None:
        single(True)
    while it < max_iter:
        it += 1
        p1, ll0 = engine.em_map(phi)
        r = p1 - phi
        # only a cycle begun in float64 may end the iterations
        final = single is None
        if single is not None and float(np.max(np.abs(r))) < max(_SINGLE_UNTIL, 100 * tol):
            single(False)  # the rest of this cycle, and all later ones, in float64
            single = None
        if final and float(np.max(np.abs(r))) < tol:
            phi, ll, converged = p1, ll0, True
            break
        p2, ll1 = engine.em_map(p1)
        if final and float(np.max(np.abs(p2 - p1))) < tol:
            # the cycle's second EM step is already below tol (the same test as the first)
            phi, ll, converged = p2, ll1, True
            break
        v = p2 - p1 - r
        nv = float(np.sqrt(v @ v))
        alpha = -1.0 if nv == 0 else min(-1.0, -float(np.sqrt(r @ r)) / nv)
        nxt = p2
        if alpha < -1.0:
            cand = phi - 2 * alpha * r + alpha * alpha * v
            if engine.valid(cand):
                p3, ll3 = engine.em_map(cand)
                if np.isfinite(ll3) and ll3 >= ll1 - 1e-9 * abs(ll1):
                    nxt = p3
                    ll1 = ll3
        step = float(np.max(np.abs(nxt - phi)))
        phi, ll = nxt, ll1
        if progress is not None:
            progress(it, ll)
        if step < tol and final:
            converged = True
            break
    if single is not None:
        single(False)
    if not converged:
        msg = (f"EM stopped after {max_iter} cycles without reaching tol={tol:g}; "
               "increase max_iter or check items with very few answers in a category")
        messages.append(msg)
        warnings.warn(f"irt(): {msg}", ConvergenceWarning, stacklevel=3)
    info = score = vcov = None
    if se is not None:
        if se == "louis":
            info, score = engine.louis_information(phi)
            # one Newton step on the marginal likelihood polishes the EM solution
            try:
                delta = np.linalg.solve(info, score)
                if float(np.max(np.abs(delta))) < 1e-3 and engine.valid(phi + delta):
                    phi = phi + delta
            except np.linalg.LinAlgError:
                pass
        elif se == "oakes":
            info = engine.oakes_information(phi)
        else:
            info = engine.sem_information(phi)
        try:
            vcov = np.linalg.inv(info)
            if np.any(np.diag(vcov) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            msg = "the information matrix is not positive definite; standard errors are NaN"
            messages.append(msg)
            warnings.warn(f"irt(): {msg}", ConvergenceWarning, stacklevel=3)
            vcov = np.full((len(phi), len(phi)), np.nan)
    if se is None:  # the log-likelihood at the estimates is all that is needed
        ll = engine.loglik(phi)
    else:
        score_final, ll = engine.gradient(phi)
        if score is None:
            score = score_final
    return Calibration(phi, engine.beta_of(phi), ll, it, converged, info, score, vcov, messages)
