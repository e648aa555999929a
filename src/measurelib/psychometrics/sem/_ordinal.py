r"""Ordinal items for WLSMV, as lavaan 0.6.14 computes them (``muthen1984``).

Step 1: thresholds of each item from its marginal proportions (univariate probit,
:math:`\tau_{jk} = \Phi^{-1}(P(y_j \le k))`). Step 2: each polychoric correlation by
maximum likelihood with the thresholds held fixed. The asymptotic covariance matrix of
(thresholds, correlations) is the two-stage sandwich built from casewise scores,

.. math::

    \Gamma = N\, B^{-1} \Big(\sum_i s_i s_i^\top\Big) B^{-\top},\qquad
    B = \begin{pmatrix} A_{11} & 0 \\ A_{21} & A_{22} \end{pmatrix},

with :math:`A_{11}` the per-item outer products of threshold scores, :math:`A_{21}` the
cross-products of correlation scores with bivariate threshold scores and :math:`A_{22}` the
diagonal of the correlation-score outer products. DWLS uses the weights
:math:`W = \mathrm{diag}(\Gamma)^{-1}`; standard errors are the sandwich
:math:`N^{-1}(\Delta^\top W\Delta)^{-1}\Delta^\top W\Gamma W\Delta
(\Delta^\top W\Delta)^{-1}`
and the test is the scaled-shifted statistic :math:`aT + b` with
:math:`a = \sqrt{df/\mathrm{tr}((U\Gamma)^2)}`, :math:`b = df - a\,\mathrm{tr}(U\Gamma)`,
:math:`U = W - W\Delta(\Delta^\top W\Delta)^{-1}\Delta^\top W`.

The bivariate normal probabilities use Genz's (2004) algorithm (as in lavaan's
``pbinorm``), accurate to about 1e-15.

The model for several groups (:class:`OrdinalModel`) is lavaan's delta parameterization,
with the scale factors and latent means that lavaan frees when thresholds are held equal;
:func:`satorra_2000` is lavTestLRT's scaled-shifted difference test for nested fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from scipy.special import ndtr

from measurelib.errors import DataError, Diagnostic, Location
from measurelib.psychometrics.sem._engine import Model, vech_offdiag_idx

_SQRT2PI = math.sqrt(2 * math.pi)
_GL = {n: np.polynomial.legendre.leggauss(n) for n in (6, 12, 20)}


class OrdinalModel(Model):
    r"""Measurement model for ordinal items in lavaan's delta parameterization.

    Each item :math:`j` has a latent response :math:`y^*_j = \nu_j + \lambda_j^\top\eta
    + \epsilon_j` cut at thresholds :math:`\tau_{jk}`, and a scale factor
    :math:`\delta_j` (the inverse standard deviation of :math:`y^*_j`; op ``~*~``). The
    residual variances are not free: :math:`\theta_{jj} = \delta_j^{-2} -
    (\Lambda\Psi\Lambda^\top)_{jj}`. The moments fitted by DWLS are the standardized
    thresholds and the correlations of the latent responses,

    .. math::

        \tau^*_{jk} = \delta_j\,(\tau_{jk} - \nu_j - \lambda_j^\top\alpha),\qquad
        \rho^*_{ij} = \delta_i\delta_j\,(\Lambda\Psi\Lambda^\top + \Theta)_{ij}
        \quad (i \ne j),

    as lavaan's ``computeTH`` and ``computeSigmaHat`` with ``setResidualElements``. With one
    group (or no equality constraints) :math:`\delta = 1`, :math:`\nu = 0`,
    :math:`\alpha = 0`; when thresholds are held equal across groups lavaan frees
    :math:`\delta` and :math:`\alpha` in the groups after the first.

    ``implied`` returns, per group, :math:`(P^*, \mu, \tau^*)` with :math:`P^*` the
    implied correlation matrix (unit diagonal); ``matrices`` holds ``theta`` with the
    derived diagonal and ``delta``.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self._delta_index: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for g in range(self.ngroups):
            rs = [r for r in self.rows if r.group == g + 1 and r.mat == "delta"]
            self._delta_index.append((
                np.array([r.row for r in rs], dtype=np.intp),
                np.array([r.free for r in rs], dtype=np.intp),
                np.array([r.value for r in rs], dtype=float),
            ))

    def matrices(self, theta: np.ndarray) -> list[dict[str, np.ndarray]]:
        out = super().matrices(theta)
        tp = np.concatenate(([0.0], np.asarray(theta, dtype=float)))
        for mats, (ri, fr, fixed) in zip(out, self._delta_index):
            delta = np.ones(self.p)
            delta[ri] = np.where(fr > 0, tp[fr], fixed)
            mats["delta"] = delta
            lpl = mats["lambda"] @ mats["psi"] @ mats["lambda"].T
            np.fill_diagonal(mats["theta"], 1.0 / (delta * delta) - np.diag(lpl))
        return out

    def implied_from(  # type: ignore[override]
        self, mats_list: list[dict[str, np.ndarray]]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per group: latent-response correlations, means and standardized thresholds."""
        res = []
        ti = np.asarray(self.th_item, dtype=np.intp)
        for mats in mats_list:
            lam, psi, delta = mats["lambda"], mats["psi"], mats["delta"]
            vy = lam @ psi @ lam.T + mats["theta"]
            sigma = delta[:, None] * vy * delta[None, :]
            np.fill_diagonal(sigma, 1.0)
            mu = mats["nu"] + lam @ mats["alpha"]
            tau = delta[ti] * (mats["tau"] - mu[ti])
            res.append((sigma, mu, tau))
        return res

    def implied(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return self.implied_from(self.matrices(theta))

    def jacobian(
        self, theta: np.ndarray, mats_list: list[dict[str, np.ndarray]] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        r"""Per group: d(P*) (q, p, p) with a zero diagonal, dmu (q, p), d(tau*) (q, nth).

        From the derivatives of the unscaled :math:`\Lambda\Psi\Lambda^\top + \Theta`,
        :math:`\mu` and :math:`\tau` (the base model's), by the product rule for the
        scale factors.
        """
        if mats_list is None:
            mats_list = self.matrices(theta)
        ti = np.asarray(self.th_item, dtype=np.intp)
        idx = np.arange(self.p)
        out = []
        for g, (mats, (ds, dmu, dtau)) in enumerate(
                zip(mats_list, super().jacobian(theta, mats_list))):
            delta = mats["delta"]
            vy = mats["lambda"] @ mats["psi"] @ mats["lambda"].T + mats["theta"]
            mu = mats["nu"] + mats["lambda"] @ mats["alpha"]
            ri, fr, _ = self._delta_index[g]
            ddelta = np.zeros((self.npar, self.p))
            free = fr > 0
            ddelta[fr[free] - 1, ri[free]] = 1.0
            # correlations delta_i delta_j VY_ij
            dd = ddelta[:, :, None] * delta[None, None, :]
            dsc = ds * np.outer(delta, delta)[None] + (dd + dd.transpose(0, 2, 1)) * vy[None]
            dsc[:, idx, idx] = 0.0
            # thresholds delta_j (tau_k - mu_j)
            dts = delta[ti][None, :] * (dtau - dmu[:, ti]) + ddelta[:, ti] * (
                mats["tau"] - mu[ti])[None, :]
            out.append((dsc, dmu, dts))
        return out


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
        if self.k1 == 2 and self.k2 == 2 and int((self.freq == 0).sum()) == 1:
            # lavaan's default zero.add = c(0.5, 0) with zero.keep.margins: a 2x2 table with
            # one empty cell gets 0.5 added to that cell and its diagonal partner and 0.5
            # taken from the other two (margins kept) before rho is estimated
            sign = 1.0 if self.freq[0, 0] == 0 or self.freq[1, 1] == 0 else -1.0
            self.freq = self.freq + sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
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
        # only observed cells enter the likelihood: an empty cell whose probability
        # underflows to 0 near |rho| = 1 must add 0, not 0/0
        obs = self.freq > 0
        return float(np.sum(self.freq[obs] * dp[obs] / p[obs]))

    def fit(self) -> float:
        """ML polychoric correlation with fixed thresholds (root of the score)."""
        grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999]
        tab = self.freq
        if tab.shape == (2, 2) and tab[0, 0] * tab[1, 1] == tab[0, 1] * tab[1, 0]:
            return 0.0  # independence in a 2x2 table (lavaan)
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
    # the categories of an item are those observed in all the data (lavaan's levels); each
    # group must observe every one of them, or its thresholds would mean other cut-points
    pooled = [np.unique(np.concatenate([st.rows[:, j] for st in stats])) for j in range(p)]
    for st in stats:
        x = st.rows
        codes = []
        for j in range(p):
            vals = np.unique(x[:, j])
            if len(vals) < 2:
                raise DataError(Diagnostic(
                    "cfa-non-numeric", f"item {ov[j]!r} has a single response category "
                    f"({vals[0]:g}) in {'group ' + st.label if st.label else 'the data'}",
                    "An ordinal item needs at least two observed categories.",
                    Location(field=ov[j])), title="An ordinal item does not vary")
            if len(vals) < len(pooled[j]):
                empty = ", ".join(f"{v:g}" for v in np.setdiff1d(pooled[j], vals))
                raise DataError(Diagnostic(
                    "cfa-non-numeric", f"item {ov[j]!r} has no response in category {empty} "
                    f"in group {st.label}, which other groups use",
                    "Collapse empty categories so that each group observes all categories "
                    "of each item.", Location(field=ov[j])), title="Categories differ by group")
            codes.append(np.searchsorted(pooled[j], x[:, j]))
        nth = [len(v) - 1 for v in pooled]
        nth_all = nth
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
        st.levels = pooled
    return list(nth_all or [])


def _ndtri(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    out: np.ndarray = ndtri(p)
    return out


def wlsmv_robust(model: Any, stats: list[Any], theta: np.ndarray, obj: Any,
                 df: float) -> tuple[np.ndarray, dict[str, float]]:
    r"""Robust (sandwich) vcov and the scaled-shifted test (lavaan's WLSMV defaults).

    As lavaan, these use the weights :math:`W_g = \mathrm{diag}(\Gamma_g)^{-1}` of the
    NACOV :math:`\Gamma_g` itself and the group weights :math:`n_g/N` in the expected
    information :math:`E = \sum_g (n_g/N)\,\Delta_g^\top W_g\Delta_g` (the objective
    carries the extra :math:`(n_g-1)/n_g`). With parameters shared by groups the relative
    group weights matter.
    """
    ntotal = int(sum(s.n for s in stats))
    deltas = obj.delta(theta)
    q = model.npar
    fgs = [st.n / ntotal for st in stats]
    ws = [1.0 / np.diag(st.gamma_raw) for st in stats]
    e = np.zeros((q, q))
    meat = np.zeros((q, q))
    for g, st in enumerate(stats):
        wd = ws[g][:, None] * deltas[g]
        e += fgs[g] * deltas[g].T @ wd
        meat += fgs[g] * wd.T @ st.gamma_raw @ wd
    e_inv = np.linalg.inv(e)
    vcov = e_inv @ meat @ e_inv / (ntotal - len(stats))
    # U Gamma over all groups (block structure)
    from scipy.linalg import block_diag

    v_diag = np.concatenate([fg * w for fg, w in zip(fgs, ws)])
    g_all = block_diag(*[st.gamma_raw / fg for st, fg in zip(stats, fgs)])
    d_all = np.vstack(deltas)
    vd = v_diag[:, None] * d_all
    u = np.diag(v_diag) - vd @ e_inv @ vd.T
    ug = u @ g_all
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    chisq = 2.0 * ntotal * obj.value(theta)
    if df > 0:
        a = math.sqrt(df / tr2)
        b = df - a * tr1
        scaled, factor, c_hat = a * chisq + b, 1.0 / a, (1.0 / a) * (df - b) / df
    else:  # lavaan (lav_test_satorra_bentler): df = 0 keeps the standard test, factor NA
        b = factor = c_hat = math.nan
        scaled = chisq
    out: dict[str, float] = {
        "chisq_scaled": scaled,
        "df_scaled": df,
        "chisq_scaling_factor": factor,
        "chisq_shift_parameter": b,
        "_trace_ugamma": tr1,
        "_trace_ugamma2": tr2,
        "_scaled_shifted": 1.0,
        "_c_hat": c_hat,
    }
    from measurelib.psychometrics._numeric import chi2_sf

    out["pvalue_scaled"] = float(chi2_sf(scaled, df)) if df > 0 else math.nan
    # baseline: thresholds free, correlations zero
    x2b = 0.0
    ub_blocks = []
    nth = len(model.th_item)
    for st, fg, w in zip(stats, fgs, ws):
        rho = st.wls_obs[nth:]
        x2b += st.n * float(np.sum(st.wls_w[nth:] * rho**2))
        ub = np.zeros(len(w))
        ub[nth:] = fg * w[nth:]
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
    out.update(_catml_robust(model, stats, theta, deltas, e_inv, ws, ntotal))
    return vcov, out


def _catml_robust(model: Any, stats: list[Any], theta: np.ndarray, deltas: list[np.ndarray],
                  e_inv: np.ndarray, ws: list[np.ndarray], ntotal: int) -> dict[str, float]:
    r"""Lavaan's lav_fit_catml_dwls: robust CFI/RMSEA from the ML fit to the polychorics.

    The ML discrepancy between the polychoric matrix R and the DWLS-implied correlation
    matrix gives :math:`T_3`; its scaling :math:`\hat c_3 = \mathrm{tr}(U^\top V U\Gamma)/df`
    with :math:`U = I - \Delta E^{-1}\Delta^\top W` (Savalei 2021).

    lavaan builds that ML model from the parameter table without the thresholds and
    intercepts (``~1``) but keeps the equality constraints that name them; lavaan 0.6.14
    then fails and reports the robust indices as NA. So do these: when thresholds are held
    equal across groups, :math:`T_3` and its scalings are NaN.
    """
    th_rows = [r_ for r_ in model.rows if r_.op == "|" and r_.free > 0]
    th_params = {r_.free for r_ in th_rows}
    # lavaan (check.pd): NA when a polychoric matrix is not positive definite (an eigenvalue
    # below sqrt(machine epsilon)), where the ML discrepancy to it is undefined
    not_pd = any(float(np.linalg.eigvalsh(st.cov)[0]) < math.sqrt(np.finfo(float).eps)
                 for st in stats)
    if not_pd or len(th_params) < len(th_rows):  # or a threshold shared by groups
        nan = math.nan
        return {"_xx3": nan, "_df3": nan, "_c_hat3": nan, "_xx3_scaled": nan,
                "_xx3_null": nan, "_c_hat3_null": nan}
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
        w_blocks.append(fg * ws[g][nth:])
        g_blocks.append(st.gamma_raw[nth:, nth:] / fg)
        d_blocks.append(deltas[g][nth:, :])
    from scipy.linalg import block_diag

    v_all = block_diag(*v_blocks)
    w_all = np.concatenate(w_blocks)
    g_all = block_diag(*g_blocks)
    d_all = np.vstack(d_blocks)
    wiu = np.eye(len(w_all)) - d_all @ e_inv @ d_all.T * w_all[None, :]
    # the ML model lacks the thresholds and intercepts/means (ops "|" and "~1")
    dropped = {r_.free for r_ in model.rows if r_.op in ("|", "~1") and r_.free > 0}
    df3 = float(len(stats) * len(ri) - (model.npar - len(dropped)))
    ks = float(np.trace(wiu.T @ v_all @ wiu @ g_all))
    c3 = ks / df3 if df3 > 0 else math.inf  # R: the trace's rounding residue / 0
    df3_null = float(len(stats) * len(ri))
    c3_null = float(np.trace(g_all)) / df3_null
    return {"_xx3": xx3, "_df3": df3, "_c_hat3": c3, "_xx3_scaled": xx3 / c3,
            "_xx3_null": xx3_null, "_c_hat3_null": c3_null}


@dataclass
class WLSFitInfo:
    """What a scaled difference test needs from a WLSMV fit (kept on the CFAResult)."""

    model: Any
    stats: list[Any]
    theta: np.ndarray
    objective: Any

    def parts(self) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[float],
                             np.ndarray]:
        """Jacobians, DWLS weights, NACOVs and group weights (as lavaan), information."""
        ntotal = sum(st.n for st in self.stats)
        deltas = self.objective.delta(self.theta)
        ws = [1.0 / np.diag(st.gamma_raw) for st in self.stats]
        gammas = [st.gamma_raw for st in self.stats]
        fgs = [st.n / ntotal for st in self.stats]
        q = self.model.npar
        e = np.zeros((q, q))
        for d, w, fg in zip(deltas, ws, fgs):
            e += fg * d.T @ (w[:, None] * d)
        return deltas, ws, gammas, fgs, e


def satorra_2000(fit1: Any, fit0: Any) -> tuple[float, float, float]:
    r"""Scaled-shifted difference test of nested WLSMV fits (lavTestLRT's default for WLSMV).

    ``fit1`` is the less restricted model, ``fit0`` the model nested in it. As lavaan's
    ``lav_test_diff_Satorra2000`` (``A.method = "delta"``, ``scaled.shifted = TRUE``): with
    :math:`\Delta_1`, :math:`\Delta_0` the Jacobians of the moments (stacked over groups), the
    restrictions are the rows :math:`A` spanning the orthogonal complement of
    :math:`\Delta_1^+\Delta_0`; with :math:`P` the expected information of ``fit1``,

    .. math::

        U = V\Delta_1 P^{-1}A^\top (AP^{-1}A^\top)^{-1} A P^{-1}\Delta_1^\top V,\qquad
        a = \sqrt{m / \mathrm{tr}((U\Gamma)^2)},\quad b = m - a\,\mathrm{tr}(U\Gamma),

    (:math:`V` the DWLS weights, :math:`\Gamma` the NACOV of ``fit1`` with group weights
    :math:`n_g/N`) and the statistic is :math:`a(T_0 - T_1) + b` on
    :math:`m = df_0 - df_1` degrees of freedom, :math:`T` the unscaled DWLS statistics
    (Satorra 2000; Asparouhov & Muthén 2006). Returns (statistic, df, p-value).
    """
    from scipy import linalg

    from measurelib.psychometrics._numeric import chi2_sf

    info1, info0 = fit1._wls, fit0._wls
    if info1 is None or info0 is None:
        raise ValueError("the scaled difference test needs two WLSMV fits")
    t1, t0 = fit1.fit["chisq"], fit0.fit["chisq"]
    m = fit0.fit["df"] - fit1.fit["df"]
    if m == 0:
        return float(t0 - t1), 0.0, math.nan
    if m < 0:
        raise ValueError("the second model must be nested in the first (more degrees of freedom)")
    deltas, ws, gammas, fgs, p = info1.parts()
    d1 = np.vstack(deltas)
    d0 = np.vstack(info0.objective.delta(info0.theta))
    h = np.linalg.pinv(d1) @ d0
    a_mat = linalg.null_space(h.T).T  # rows: orthogonal complement of the columns of H
    p_inv = np.linalg.inv(p)
    apa = a_mat @ p_inv @ a_mat.T
    keep = ~((np.abs(apa.sum(axis=0)) < np.sqrt(np.finfo(float).eps))
             & (np.abs(apa.sum(axis=1)) < np.sqrt(np.finfo(float).eps)))
    a_mat = a_mat[keep]
    pa = p_inv @ a_mat.T
    x = pa @ np.linalg.pinv(a_mat @ pa) @ pa.T
    v_all = np.concatenate(ws)
    vd = v_all[:, None] * d1
    u = vd @ x @ vd.T
    ug = u @ linalg.block_diag(*[fg * g for fg, g in zip(fgs, gammas)])
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    a = math.sqrt(m / tr2)
    b = m - a * tr1
    stat = (t0 - t1) * a + b
    return float(stat), float(m), float(chi2_sf(stat, m))
