"""Ordinal items for WLSMV, as lavaan 0.6.14 computes them (``muthen1984``).

Step 1: thresholds of each item from its marginal proportions (univariate probit,
:math:`\\tau_{jk} = \\Phi^{-1}(P(y_j \\le k))`). Step 2: each polychoric correlation by
maximum likelihood with the thresholds held fixed. The asymptotic covariance matrix of
(thresholds, correlations) is the two-stage sandwich built from casewise scores,

.. math::

    \\Gamma = N\\, B^{-1} \\Big(\\sum_i s_i s_i^\\top\\Big) B^{-\\top},\\qquad
    B = \\begin{pmatrix} A_{11} & 0 \\\\ A_{21} & A_{22} \\end{pmatrix},

with :math:`A_{11}` the per-item outer products of threshold scores, :math:`A_{21}` the
cross-products of correlation scores with bivariate threshold scores and :math:`A_{22}` the
diagonal of the correlation-score outer products. DWLS uses the weights
:math:`W = \\mathrm{diag}(\\Gamma)^{-1}`; standard errors are the sandwich
:math:`N^{-1}(\\Delta^\\top W\\Delta)^{-1}\\Delta^\\top W\\Gamma W\\Delta
(\\Delta^\\top W\\Delta)^{-1}`
and the test is the scaled-shifted statistic :math:`aT + b` with
:math:`a = \\sqrt{df/\\mathrm{tr}((U\\Gamma)^2)}`, :math:`b = df - a\\,\\mathrm{tr}(U\\Gamma)`,
:math:`U = W - W\\Delta(\\Delta^\\top W\\Delta)^{-1}\\Delta^\\top W`.

The bivariate normal probabilities use Genz's (2004) algorithm (as in lavaan's
``pbinorm``), accurate to about 1e-15.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize
from scipy.special import ndtr

from ..errors import DataError, Diagnostic, Location
from ._sem_engine import vech_offdiag_idx

_SQRT2PI = math.sqrt(2 * math.pi)
_GL = {n: np.polynomial.legendre.leggauss(n) for n in (6, 12, 20)}


def _phi(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(-0.5 * np.asarray(x, dtype=float) ** 2) / _SQRT2PI
    return np.where(np.isfinite(x), out, 0.0)


def _bvnu(h: float, k: float, r: float) -> float:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (Genz, BVNU)."""
    if r == 0:
        return float(ndtr(-h) * ndtr(-k))
    ar = abs(r)
    x, w = _GL[6] if ar < 0.3 else (_GL[12] if ar < 0.75 else _GL[20])
    hk = h * k
    if ar < 0.925:
        hs = (h * h + k * k) / 2
        asr = math.asin(r)
        sn = np.sin(asr * (x + 1) / 2)
        bvn = float(np.sum(w * np.exp((sn * hk - hs) / (1 - sn * sn))))
        return bvn * asr / (4 * math.pi) + float(ndtr(-h) * ndtr(-k))
    if r < 0:
        k = -k
        hk = -hk
    bvn = 0.0
    if ar < 1:
        as_ = (1 - r) * (1 + r)
        a = math.sqrt(as_)
        bs = (h - k) ** 2
        c = (4 - hk) / 8
        d = (12 - hk) / 16
        bvn = a * math.exp(-(bs / as_ + hk) / 2) * (
            1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5
        )
        if hk > -160:
            b = math.sqrt(bs)
            bvn -= (math.exp(-hk / 2) * math.sqrt(2 * math.pi) * float(ndtr(-b / a)) * b
                    * (1 - c * bs * (1 - d * bs / 5) / 3))
        a = a / 2
        xs = (a * (x + 1)) ** 2
        rs = np.sqrt(1 - xs)
        terms = np.exp(-bs / (2 * xs) - hk / (1 + rs)) / rs - np.exp(-(bs / xs + hk) / 2) * (
            1 + c * xs * (1 + d * xs)
        )
        bvn += float(a * np.sum(w * terms))
        bvn = -bvn / (2 * math.pi)
    if r > 0:
        bvn += float(ndtr(-max(h, k)))
    else:
        bvn = -bvn
        if k > h:
            bvn += float(ndtr(k) - ndtr(h))
    return bvn


def pbinorm(x: float, y: float, r: float) -> float:
    """P(X <= x, Y <= y), with infinite limits allowed."""
    if x == -math.inf or y == -math.inf:
        return 0.0
    if x == math.inf:
        return float(ndtr(y))
    if y == math.inf:
        return float(ndtr(x))
    return _bvnu(-x, -y, r)


def _dbinorm(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    fin = np.isfinite(x) & np.isfinite(y)
    xx = np.where(fin, x, 0.0)
    yy = np.where(fin, y, 0.0)
    s = 1 - r * r
    val = np.exp(-(xx * xx - 2 * r * xx * yy + yy * yy) / (2 * s)) / (2 * math.pi * math.sqrt(s))
    return np.where(fin, val, 0.0)


class _Pair:
    """Bivariate table of two ordinal items with fixed thresholds."""

    def __init__(self, y1: np.ndarray, y2: np.ndarray, th1: np.ndarray, th2: np.ndarray):
        self.k1, self.k2 = len(th1) + 1, len(th2) + 1
        self.y1, self.y2 = y1, y2
        self.freq = np.zeros((self.k1, self.k2))
        np.add.at(self.freq, (y1, y2), 1.0)
        self.t1 = np.concatenate([[-np.inf], th1, [np.inf]])
        self.t2 = np.concatenate([[-np.inf], th2, [np.inf]])

    def cdf_grid(self, r: float) -> np.ndarray:
        f = np.zeros((self.k1 + 1, self.k2 + 1))
        for a in range(self.k1 + 1):
            for b in range(self.k2 + 1):
                f[a, b] = pbinorm(self.t1[a], self.t2[b], r)
        return f

    def probs(self, r: float) -> np.ndarray:
        f = self.cdf_grid(r)
        out: np.ndarray = f[1:, 1:] - f[:-1, 1:] - f[1:, :-1] + f[:-1, :-1]
        return out

    def dprob_drho(self, r: float) -> np.ndarray:
        x = self.t1[:, None] * np.ones((1, self.k2 + 1))
        y = np.ones((self.k1 + 1, 1)) * self.t2[None, :]
        d = _dbinorm(x, y, r)
        out: np.ndarray = d[1:, 1:] - d[:-1, 1:] - d[1:, :-1] + d[:-1, :-1]
        return out

    def score_rho(self, r: float) -> float:
        p = self.probs(r)
        dp = self.dprob_drho(r)
        return float(np.sum(self.freq * dp / p))

    def fit(self) -> float:
        """ML polychoric correlation with fixed thresholds (root of the score)."""
        grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999]
        f0 = self.score_rho(0.0)
        if f0 == 0:
            return 0.0
        sign = 1.0 if f0 > 0 else -1.0
        prev = 0.0
        for g in grid[1:]:
            r = sign * g
            fr = self.score_rho(r)
            if not np.isfinite(fr) or fr * f0 <= 0:
                if not np.isfinite(fr):
                    return prev
                lo, hi = sorted((prev, r))
                return float(optimize.brentq(self.score_rho, lo, hi, xtol=1e-14, rtol=1e-15))
            prev = r
        return prev

    def casewise_scores(self, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores of rho and of the thresholds of y1 and y2, one row per case."""
        p = self.probs(r)
        dp = self.dprob_drho(r)
        s = math.sqrt(1 - r * r)
        t1, t2 = self.t1, self.t2
        # dF/dx at (t1[a], t2[b]) and dF/dy
        with np.errstate(invalid="ignore"):
            z1 = (t2[None, :] - r * t1[:, None]) / s
            z2 = (t1[:, None] - r * t2[None, :]) / s
        g1 = _phi(t1)[:, None] * np.where(np.isnan(z1), 0.0, ndtr(np.nan_to_num(z1, nan=0.0)))
        g1[:, -1] = _phi(t1)  # y = +inf
        g1[:, 0] = 0.0
        g2 = _phi(t2)[None, :] * np.where(np.isnan(z2), 0.0, ndtr(np.nan_to_num(z2, nan=0.0)))
        g2[-1, :] = _phi(t2)
        g2[0, :] = 0.0
        a, b = self.y1, self.y2
        pc = p[a, b]
        srho = dp[a, b] / pc
        n = len(a)
        sth1 = np.zeros((n, self.k1 - 1))
        sth2 = np.zeros((n, self.k2 - 1))
        # threshold k (0-based) of y1 is t1[k+1]; cell a uses t1[a+1] (upper) and t1[a] (lower)
        up = a < self.k1 - 1
        rows = np.nonzero(up)[0]
        sth1[rows, a[up]] += (g1[a[up] + 1, b[up] + 1] - g1[a[up] + 1, b[up]]) / pc[up]
        lo = a > 0
        rows = np.nonzero(lo)[0]
        sth1[rows, a[lo] - 1] -= (g1[a[lo], b[lo] + 1] - g1[a[lo], b[lo]]) / pc[lo]
        up = b < self.k2 - 1
        rows = np.nonzero(up)[0]
        sth2[rows, b[up]] += (g2[a[up] + 1, b[up] + 1] - g2[a[up], b[up] + 1]) / pc[up]
        lo = b > 0
        rows = np.nonzero(lo)[0]
        sth2[rows, b[lo] - 1] -= (g2[a[lo] + 1, b[lo]] - g2[a[lo], b[lo]]) / pc[lo]
        return srho, sth1, sth2


def prepare_ordinal(stats: list[Any], ov: list[str]) -> list[int]:
    """Thresholds, polychoric correlations, NACOV and DWLS weights for every group."""
    nth_all: list[int] | None = None
    p = len(ov)
    ri, ci = vech_offdiag_idx(p)
    for st in stats:
        x = st.rows
        codes = []
        levels = []
        for j in range(p):
            vals = np.unique(x[:, j])
            if len(vals) < 2:
                raise DataError(Diagnostic(
                    "cfa-non-numeric", f"item {ov[j]!r} has a single response category "
                    f"({vals[0]:g}) in {'group ' + st.label if st.label else 'the data'}",
                    "An ordinal item needs at least two observed categories.",
                    Location(field=ov[j])), title="An ordinal item does not vary")
            levels.append(vals)
            codes.append(np.searchsorted(vals, x[:, j]))
        nth = [len(v) - 1 for v in levels]
        if nth_all is None:
            nth_all = nth
        elif nth != nth_all:
            raise DataError(Diagnostic(
                "cfa-non-numeric", "the items do not have the same observed categories in "
                "every group", "Collapse empty categories so that each group observes all "
                "categories of each item.", Location()), title="Categories differ by group")
        n = x.shape[0]
        th = []
        sc_th = []
        for j in range(p):
            counts = np.bincount(codes[j], minlength=nth[j] + 1).astype(float)
            tj = np.asarray(_ndtri(np.cumsum(counts)[:-1] / n))
            th.append(tj)
            # univariate scores
            tt = np.concatenate([[-np.inf], tj, [np.inf]])
            pr = ndtr(tt[1:]) - ndtr(tt[:-1])
            c = codes[j]
            s = np.zeros((n, nth[j]))
            up = c < nth[j]
            s[np.nonzero(up)[0], c[up]] += _phi(tj[c[up]]) / pr[c[up]]
            lo = c > 0
            s[np.nonzero(lo)[0], c[lo] - 1] -= _phi(tj[c[lo] - 1]) / pr[c[lo]]
            sc_th.append(s)
        th_start = np.concatenate([[0], np.cumsum(nth)])
        ntot = int(th_start[-1])
        pstar = len(ri)
        cor = np.eye(p)
        sc_cor = np.zeros((n, pstar))
        a21 = np.zeros((pstar, ntot))
        for k, (i, j) in enumerate(zip(ri, ci)):
            pair = _Pair(codes[i], codes[j], th[i], th[j])
            rho = pair.fit()
            cor[i, j] = cor[j, i] = rho
            srho, s1, s2 = pair.casewise_scores(rho)
            sc_cor[:, k] = srho
            a21[k, th_start[i]:th_start[i + 1]] = srho @ s1
            a21[k, th_start[j]:th_start[j + 1]] = srho @ s2
        sc = np.hstack(sc_th + [sc_cor])
        inner = sc.T @ sc
        a11 = np.zeros((ntot, ntot))
        for j in range(p):
            sl = slice(th_start[j], th_start[j + 1])
            a11[sl, sl] = inner[sl, sl]
        a22_diag = np.sum(sc_cor**2, axis=0)
        a11_inv = np.linalg.inv(a11)
        a22_inv = np.diag(1.0 / a22_diag)
        a21_inv = -a22_inv @ a21 @ a11_inv
        b_inv = np.block([[a11_inv, np.zeros((ntot, pstar))], [a21_inv, a22_inv]])
        # lavaan's DWLS weights and test statistics use NACOV * n / (n - 1); its robust
        # SEs use NACOV itself with the divisor N - G (lav_model_vcov)
        gamma_raw = b_inv @ inner @ b_inv.T * n
        gamma = gamma_raw * n / (n - 1)
        st.gamma = gamma
        st.gamma_raw = gamma_raw
        st.wls_obs = np.concatenate(th + [cor[ri, ci]])
        st.wls_w = 1.0 / np.diag(gamma)
        st.cov = cor
        st.mean = np.zeros(p)
        st.levels = levels
    return list(nth_all or [])


def _ndtri(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    out: np.ndarray = ndtri(p)
    return out


def wlsmv_robust(model: Any, stats: list[Any], theta: np.ndarray, obj: Any,
                 df: float) -> tuple[np.ndarray, dict[str, float]]:
    """Robust (sandwich) vcov and the scaled-shifted test (lavaan's WLSMV defaults)."""
    ntotal = int(sum(s.n for s in stats))
    deltas = obj.delta(theta)
    q = model.npar
    e = np.zeros((q, q))
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        e += fg * deltas[g].T @ (st.wls_w[:, None] * deltas[g])
    e_inv = np.linalg.inv(e)
    meat = np.zeros((q, q))
    blocks_g = []
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        wd = st.wls_w[:, None] * deltas[g]
        meat += fg * wd.T @ st.gamma_raw @ wd
    vcov = e_inv @ meat @ e_inv / (ntotal - len(stats))
    # U Gamma over all groups (block structure)
    v_all = [fg_w for fg_w in (st.n / ntotal * st.wls_w for st in stats)]
    for st in stats:
        blocks_g.append(st.gamma / (st.n / ntotal))
    d_all = np.vstack(deltas)
    v_diag = np.concatenate(v_all)
    vd = v_diag[:, None] * d_all
    u = np.diag(v_diag) - vd @ e_inv @ vd.T
    from scipy.linalg import block_diag

    g_all = block_diag(*blocks_g)
    ug = u @ g_all
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    chisq = 2.0 * ntotal * obj.value(theta)
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    out: dict[str, float] = {
        "chisq_scaled": a * chisq + b,
        "df_scaled": df,
        "chisq_scaling_factor": 1.0 / a,
        "chisq_shift_parameter": b,
        "_trace_ugamma": tr1,
        "_scaled_shifted": 1.0,
        "_c_hat": (1.0 / a) * (df - b) / df,
    }
    from scipy import stats as sst

    out["pvalue_scaled"] = float(sst.chi2.sf(out["chisq_scaled"], df))
    # baseline: thresholds free, correlations zero
    x2b = 0.0
    ub_blocks = []
    for st in stats:
        fg = st.n / ntotal
        nth = len(model.th_item)
        rho = st.wls_obs[nth:]
        x2b += st.n * float(np.sum(st.wls_w[nth:] * rho**2))
        ub = np.zeros(len(st.wls_w))
        ub[nth:] = fg * st.wls_w[nth:]
        ub_blocks.append(ub)
    ub_all = np.concatenate(ub_blocks)
    ugb = ub_all[:, None] * g_all
    trb1 = float(np.trace(ugb))
    trb2 = float(np.sum(ugb * ugb.T))
    dfb = float(len(stats) * len(model.ov) * (len(model.ov) - 1) // 2)
    ab = math.sqrt(dfb / trb2)
    bb = dfb - ab * trb1
    out["_baseline_chisq"] = x2b
    out["_baseline_df"] = dfb
    out["_baseline_chisq_scaled"] = ab * x2b + bb
    out["_baseline_df_scaled"] = dfb
    out["_baseline_scaling"] = 1.0 / ab
    out["_c_hat_null"] = (1.0 / ab) * (dfb - bb) / dfb
    out.update(_catml_robust(model, stats, theta, deltas, e_inv, df, ntotal))
    return vcov, out


def _catml_robust(model: Any, stats: list[Any], theta: np.ndarray, deltas: list[np.ndarray],
                  e_inv: np.ndarray, df: float, ntotal: int) -> dict[str, float]:
    """lavaan's lav_fit_catml_dwls: robust CFI/RMSEA from the ML fit to the polychorics.

    The ML discrepancy between the polychoric matrix R and the DWLS-implied correlation
    matrix gives :math:`T_3`; its scaling :math:`\\hat c_3 = \\mathrm{tr}(U^\\top V U\\Gamma)/df`
    with :math:`U = I - \\Delta E^{-1}\\Delta^\\top W` (Savalei 2021).
    """
    p = model.p
    ri, ci = vech_offdiag_idx(p)
    nth = len(model.th_item)
    xx3 = 0.0
    xx3_null = 0.0
    v_blocks, w_blocks, g_blocks, d_blocks = [], [], [], []
    for g, (sigma, _, _) in enumerate(model.implied(theta)):
        st = stats[g]
        fg = st.n / ntotal
        r = st.cov
        si = np.linalg.inv(sigma)
        ld_s = np.linalg.slogdet(sigma)[1]
        ld_r = np.linalg.slogdet(r)[1]
        xx3 += st.n * (ld_s + float(np.sum(r * si)) - ld_r - p)
        xx3_null += st.n * (-ld_r)
        base = si[np.ix_(ri, ri)] * si[np.ix_(ci, ci)] + si[np.ix_(ri, ci)] * si[np.ix_(ci, ri)]
        v_blocks.append(fg * base)
        w_blocks.append(fg * st.wls_w[nth:])
        # lavTech(, "gamma") as used by lav_fit_catml_dwls lacks the n / (n - 1) factor
        g_blocks.append(st.gamma[nth:, nth:] * (st.n - 1) / st.n / fg)
        d_blocks.append(deltas[g][nth:, :])
    from scipy.linalg import block_diag

    v_all = block_diag(*v_blocks)
    w_all = np.concatenate(w_blocks)
    g_all = block_diag(*g_blocks)
    d_all = np.vstack(d_blocks)
    wiu = np.eye(len(w_all)) - d_all @ e_inv @ d_all.T * w_all[None, :]
    th_params = {r_.free for r_ in model.rows if r_.op == "|" and r_.free > 0}
    df3 = float(len(stats) * len(ri) - (model.npar - len(th_params)))
    ks = float(np.trace(wiu.T @ v_all @ wiu @ g_all))
    c3 = ks / df3
    df3_null = float(len(stats) * len(ri))
    c3_null = float(np.trace(g_all)) / df3_null
    return {"_xx3": xx3, "_df3": df3, "_c_hat3": c3, "_xx3_scaled": xx3 / c3,
            "_xx3_null": xx3_null, "_c_hat3_null": c3_null}
