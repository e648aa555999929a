"""Scores on the latent trait: EAP, MAP, ML, WLE and EAP for summed scores.

Everything is computed on response patterns (identical patterns scored once) in the
calibration's internal metric (theta ~ N(0, 1), slopes possibly scaled) and then mapped
to the reported metric by ``theta = mean + scale * theta*``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from measurelib.errors import ConvergenceWarning

from ._estimate import Design, one_hot
from ._models import item_probs, item_theta_derivatives

__all__ = ["eap", "lord_wingersky", "newton_scores", "test_information"]


def eap(design: Design, beta: Any, onehot: Any, theta: Any, logw: Any,
        chunk: int = 65536) -> tuple[Any, Any]:
    """Posterior mean and SD on the grid, one matrix product per chunk of patterns."""
    logp = design.log_probs(beta, theta)
    n = onehot.shape[0]
    mean = np.empty(n)
    sd = np.empty(n)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        ll = onehot[lo:hi] @ logp
        ll += logw
        ll -= ll.max(axis=1, keepdims=True)
        np.exp(ll, out=ll)
        ll /= ll.sum(axis=1, keepdims=True)
        m = ll @ theta
        mean[lo:hi] = m
        sd[lo:hi] = np.sqrt(np.maximum(ll @ (theta * theta) - m * m, 0.0))
    return mean, sd


def _pattern_derivs(design: Design, beta: Any, onehot: Any,
                    th: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Per pattern at its own theta: dlogL, d2logL, test information I, dI/dtheta and
    log L (answered items only).
    """
    n = th.shape[0]
    c = design.n_beta
    p = np.empty((c, n))
    d1 = np.empty((c, n))
    d2 = np.empty((c, n))
    starts = np.asarray(design.start)
    for kind, k, idx in design.groups:
        pp, dd1, dd2 = item_theta_derivatives(kind, design.group_beta(beta, idx, k), th)
        rows = (starts[idx][:, None] + np.arange(k)[None, :]).ravel()
        p[rows] = pp.reshape(-1, n)
        d1[rows] = dd1.reshape(-1, n)
        d2[rows] = dd2.reshape(-1, n)
    ps = np.maximum(p, 1e-300)
    x = onehot.T  # (C, n)
    with np.errstate(all="ignore"):
        r1 = d1 / ps  # d log P / d theta, finite even where P underflows
        r2 = d2 / ps
    r1 = np.nan_to_num(r1, nan=0.0, posinf=0.0, neginf=0.0)
    r2 = np.nan_to_num(r2, nan=0.0, posinf=0.0, neginf=0.0)
    g = (x * r1).sum(axis=0)
    h = (x * (r2 - r1 * r1)).sum(axis=0)
    # information of the answered items: mask each item's categories by "answered"
    answered = np.zeros((c, n))
    for j in range(len(design.items)):
        s = design.start[j]
        k = design.ncat[j]
        answered[s: s + k] = x[s: s + k].sum(axis=0)
    info = (answered * d1 * r1).sum(axis=0)
    # dI/dtheta = sum (2 P' P'' / P - P'^3 / P^2)
    dinfo = (answered * (2 * r1 * d2 - r1 * r1 * d1)).sum(axis=0)
    logl = (x * np.log(ps)).sum(axis=0)
    return g, h, info, dinfo, logl


def newton_scores(design: Design, beta: Any, onehot: Any, method: str, start: Any,
                  max_theta: float = 20.0, max_iter: int = 100,
                  tol: float = 1e-10) -> tuple[Any, Any, Any]:
    """ML, MAP (N(0,1) prior) or WLE (Warm, 1989: maximise log L + log sqrt(I)).

    Newton's method from ``start`` with steps of at most 1 that are halved until the
    criterion does not decrease (a plain Newton step can cycle around the maximum when a
    steep item makes the curvature change quickly, and stopped after ``max_iter`` steps
    away from it). Returns theta, se and a convergence flag per pattern.
    """
    th = np.clip(np.asarray(start, dtype=np.float64).copy(), -max_theta, max_theta)
    done = np.zeros(th.shape[0], dtype=bool)

    def criterion(t: Any) -> tuple[Any, Any, Any]:
        """The criterion, its gradient and its curvature at t."""
        g, h, info, dinfo, logl = _pattern_derivs(design, beta, onehot, t)
        if method == "MAP":
            return logl - 0.5 * t * t, g - t, h - 1.0
        if method == "ML":
            return logl, g, h
        with np.errstate(divide="ignore"):
            val = logl + 0.5 * np.log(info)
        gw = g + dinfo / (2 * np.maximum(info, 1e-300))
        eps = 1e-5
        gp, _, ip, dip, _ = _pattern_derivs(design, beta, onehot, t + eps)
        gm, _, im, dim_, _ = _pattern_derivs(design, beta, onehot, t - eps)
        hw = ((gp + dip / (2 * np.maximum(ip, 1e-300)))
              - (gm + dim_ / (2 * np.maximum(im, 1e-300)))) / (2 * eps)
        return val, gw, hw

    val, g, h = criterion(th)
    for _ in range(max_iter):
        hh = np.where(h < -1e-8, h, -np.maximum(np.abs(h), 1e-2))
        step = np.clip(-g / hh, -1.0, 1.0)
        step[done] = 0.0
        # halve the steps that decrease the criterion (at most 40 times)
        for _h in range(40):
            cand = np.clip(th + step, -max_theta, max_theta)
            cval, cg, ch = criterion(cand)
            worse = ~done & ~(cval >= val - 1e-12 * np.maximum(1.0, np.abs(val)))
            if not worse.any():
                break
            step[worse] *= 0.5
        th, val, g, h = cand, cval, cg, ch
        done |= np.abs(step) < tol
        if done.all():
            break
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(h < 0, np.sqrt(-1.0 / h), np.nan)
    return th, se, done


def extreme_patterns(design: Design, codes: Any) -> tuple[Any, Any]:
    """Patterns whose answered items are all in the lowest / all in the highest category."""
    ans = codes >= 0
    top = np.asarray(design.ncat)[None, :] - 1
    low = np.where(ans, codes == 0, True).all(axis=1) & ans.any(axis=1)
    high = np.where(ans, codes == top, True).all(axis=1) & ans.any(axis=1)
    return low, high


def lord_wingersky(design: Design, beta: Any, theta: Any, items: Any = None) -> Any:
    """P(summed score = s | theta) for every node (Lord & Wingersky, 1984): (S+1, Q)."""
    idx = range(len(design.items)) if items is None else items
    dist = np.ones((1, theta.shape[0]))
    starts = np.asarray(design.start)
    probs: dict[int, Any] = {}
    for kind, k, grp in design.groups:
        p = item_probs(kind, design.group_beta(beta, grp, k), theta)
        for i, j in enumerate(grp):
            probs[int(j)] = p[i]
    del starts
    for j in idx:
        p = probs[int(j)]
        k = p.shape[0]
        new = np.zeros((dist.shape[0] + k - 1, theta.shape[0]))
        for c in range(k):
            new[c: c + dist.shape[0]] += dist * p[c]
        dist = new
    return dist


def test_information(design: Design, beta: Any, theta: Any) -> Any:
    """Item information (n_items, T): sum_c P'_c^2 / P_c."""
    out = np.empty((len(design.items), theta.shape[0]))
    for kind, k, grp in design.groups:
        p, d1, _ = item_theta_derivatives(kind, design.group_beta(beta, grp, k), theta)
        out[grp] = (d1 * d1 / np.maximum(p, 1e-300)).sum(axis=1)
    return out


def codes_for(design: Design, frame: Any, caller: str) -> Any:
    """Map a DataFrame of answers to category codes 0..K-1 (-1 missing).

    Columns of calibrated items that are absent are unanswered (scoring a subset of a bank).
    """
    import pandas as pd

    n = len(frame)
    present = [i for i in design.items if i in frame.columns]
    if len(present) == len(design.items) and all(
            pd.api.types.is_integer_dtype(frame[i].dtype) for i in design.items):
        # fast path: integer columns without missing values
        arr = frame[design.items].to_numpy()
        mins = np.asarray([v[0] for v in design.values])
        top = np.asarray([len(v) - 1 for v in design.values])
        codes64 = arr - mins.astype(arr.dtype)
        bad = (codes64 < 0) | (codes64 > top)
        if not bad.any():
            return codes64.astype(np.int16)
    codes = np.full((n, len(design.items)), -1, dtype=np.int16)
    if not present:
        raise ValueError(f"{caller}(): parameter 'data' has none of the calibrated items "
                         f"{design.items}; got columns {[str(c) for c in frame.columns]}")
    for j, name in enumerate(design.items):
        if name not in frame.columns:
            continue
        raw = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        bad_text = np.isnan(raw) & frame[name].notna().to_numpy()
        vals = design.values[j]
        ok = ~np.isnan(raw)
        code = raw - vals[0]
        bad = bad_text | (ok & ((code != np.round(code)) | (code < 0) | (code > len(vals) - 1)))
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            raise ValueError(
                f"{caller}(): item {name!r}, row {i + 1}: answer {frame[name].iloc[i]} is not "
                f"one of the calibrated categories {[int(v) for v in vals]}")
        codes[ok, j] = code[ok].astype(np.int16)
    return codes


def warn_infinite(n: int, caller: str) -> None:
    warnings.warn(
        f"{caller}(): {n} response pattern(s) have every answer in the lowest or highest "
        "category; their ML estimate is -inf or +inf (as mirt). Use method='EAP', 'MAP' "
        "or 'WLE' for finite scores.", ConvergenceWarning, stacklevel=3)


__all__ += ["codes_for", "extreme_patterns", "one_hot", "warn_infinite"]
