r"""MLR for complete data: Huber–White standard errors and the Yuan–Bentler (Mplus
variant) scaled test, as lavaan 0.6.14 (``estimator = "MLR"``: observed information,
``se = "robust.huber.white"``, ``test = "yuan.bentler.mplus"``).

With :math:`E` the observed information of the model, :math:`B_1` the mean cross-product
of the casewise scores of the saturated model and :math:`\Delta` the model Jacobian,

.. math::

    \mathrm{vcov} = \frac{1}{N} E^{-1} \Big(\sum_g \tfrac{n_g}{N}\Delta_g^\top B_{1g}
    \Delta_g\Big) E^{-1}, \qquad
    c = \frac{\sum_g \mathrm{tr}(B_{1g}A_{1g}^{-1}) - \sum_g \tfrac{n_g}{N}
    \mathrm{tr}(\Delta_g^\top B_{1g}\Delta_g E^{-1})}{df},

where :math:`A_{1g}` is the saturated model's information at the sample moments. The
scaled statistic is :math:`T/c`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from measurelib.psychometrics._numeric import chi2_sf
from measurelib.psychometrics.sem._engine import Model, numeric_hessian, vech_idx


def _scores(rows: np.ndarray, sigma: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Casewise scores of the saturated normal log-likelihood: [mean part, vech part]."""
    p = sigma.shape[0]
    si = np.linalg.inv(sigma)
    e = rows - mu
    a = e @ si  # n x p, rows are (Sigma^-1 e_i)'
    ri, ci = vech_idx(p)
    cov_part = a[:, ri] * a[:, ci] - si[ri, ci]
    diag = ri == ci
    cov_part[:, diag] *= 0.5
    return np.hstack([a, cov_part])


def _h1_info_unstructured(sigma: np.ndarray) -> np.ndarray:
    """Expected/observed saturated information at the sample moments (means first)."""
    p = sigma.shape[0]
    si = np.linalg.inv(sigma)
    ri, ci = vech_idx(p)
    # 0.5 * D' (Si x Si) D in vech coordinates
    a = si[np.ix_(ri, ri)] * si[np.ix_(ci, ci)] + si[np.ix_(ri, ci)] * si[np.ix_(ci, ri)]
    mult = np.where(ri == ci, 0.5, 1.0)
    i22 = 0.5 * a * np.outer(mult, mult) * 2.0
    k = len(ri)
    out = np.zeros((p + k, p + k))
    out[:p, :p] = si
    out[p:, p:] = i22
    return out


def _delta_full(model: Model, theta: np.ndarray) -> list[np.ndarray]:
    """Jacobian of [mu, vech Sigma] per group, (p + p*) x q."""
    p = model.p
    ri, ci = vech_idx(p)
    out = []
    for ds, dmu, _ in model.jacobian(theta):
        out.append(np.hstack([dmu, ds[:, ri, ci]]).T)
    return out


def _yb_trace(model_delta: list[np.ndarray], e_inv: np.ndarray, stats: list[Any],
              implied: list[tuple[np.ndarray, np.ndarray]], use_mean: bool,
              ntotal: int) -> tuple[float, np.ndarray, float]:
    """trace(U Gamma) (Mplus variant), the B0 meat, and sum of the h1 traces."""
    trace_h1 = 0.0
    trace_h0 = 0.0
    q = e_inv.shape[0]
    meat = np.zeros((q, q))
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        # h1 (lavaan's "unstructured" A1 and B1 = A1 Gamma A1): at the sample moments
        k0 = 0 if use_mean else st.cov.shape[0]
        s1 = _scores(st.rows, st.cov, st.mean)[:, k0:]
        b1 = s1.T @ s1 / st.n
        a1 = _h1_info_unstructured(st.cov)[k0:, k0:]
        trace_h1 += float(np.sum(b1 * np.linalg.inv(a1).T))
        # h0 (structured): casewise scores at the model-implied moments
        sigma, mu = implied[g]
        s0 = _scores(st.rows, sigma, mu if use_mean else st.mean)
        b1s = s0.T @ s0 / st.n
        dl = model_delta[g]
        b0 = dl.T @ b1s @ dl
        trace_h0 += fg * float(np.sum(b0 * e_inv.T))
        meat += fg * b0
    return trace_h1 - trace_h0, meat, trace_h1


def mlr_robust(model: Model, stats: list[Any], theta: np.ndarray, obj: Any, a_mat: np.ndarray,
               df: float, missing: str) -> tuple[np.ndarray, dict[str, float]]:
    """Robust vcov and the scaled test entries of the fit dictionary."""
    if missing == "fiml":
        return mlr_fiml(model, stats, theta, a_mat, df)
    ntotal = int(sum(s.n for s in stats))

    def gfun(t: np.ndarray) -> np.ndarray:
        return np.asarray(obj.grad_info(t)[1])

    e_obs = numeric_hessian(gfun, theta)
    e_inv = np.linalg.inv(e_obs)
    implied = [(s, m) for s, m, _ in model.implied(theta)]
    dl = _delta_full(model, theta)
    if not model.meanstructure:
        dl = [d.copy() for d in dl]
        for d in dl:
            d[: model.p, :] = 0.0
    trace_ug, meat, _ = _yb_trace(dl, e_inv, stats, implied, model.meanstructure, ntotal)
    vcov = e_inv @ meat @ e_inv / ntotal
    chisq = 2.0 * ntotal * obj.value(theta)
    # lavaan with df = 0: no scaling factor (NA), the scaled statistic is the unscaled one
    c = trace_ug / df if df > 0 else math.nan
    if c < 0:  # lavaan: a negative scaling factor (a fit far from its optimum) is NA
        c = math.nan
    chisq_scaled = chisq / c if df > 0 else chisq
    out: dict[str, float] = {
        "chisq_scaled": chisq_scaled,
        "df_scaled": df,
        "pvalue_scaled": float(chi2_sf(chisq_scaled, df)) if df > 0 else math.nan,
        "chisq_scaling_factor": c,
        "_trace_ugamma": trace_ug,
        "_c_hat": c,
        "_c_hat3": c,
    }
    # baseline (independence) model: variances (and means) free
    p = model.p
    ri, ci = vech_idx(p)
    diag_pos = np.nonzero(ri == ci)[0]
    x2b = 0.0
    tr_h1 = 0.0
    tr_h0 = 0.0
    for st in stats:
        x2b += st.n * (float(np.sum(np.log(np.diag(st.cov)))) - np.linalg.slogdet(st.cov)[1])
    # information of the baseline model (linear in its parameters): Delta' A Delta
    q_b = p * len(stats) * (2 if model.meanstructure else 1)
    e_b = np.zeros((q_b, q_b))
    deltas = []
    col = 0
    for st in stats:
        fg = st.n / ntotal
        sig_b = np.diag(np.diag(st.cov))
        a = _h1_info_observed(st.cov, st.mean, sig_b, st.mean)
        d = np.zeros((p + len(ri), q_b))
        for j, pos in enumerate(diag_pos):
            d[p + pos, col + j] = 1.0
        col += p
        if model.meanstructure:
            for j in range(p):
                d[j, col + j] = 1.0
            col += p
        deltas.append(d)
        e_b += fg * d.T @ a @ d
    e_b_inv = np.linalg.inv(e_b)
    k0 = 0 if model.meanstructure else p
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        s1 = _scores(st.rows, st.cov, st.mean)[:, k0:]
        b1 = s1.T @ s1 / st.n
        tr_h1 += float(np.sum(b1 * np.linalg.inv(_h1_info_unstructured(st.cov)[k0:, k0:]).T))
        sig_b = np.diag(np.diag(st.cov))
        s0 = _scores(st.rows, sig_b, st.mean)
        b1s = s0.T @ s0 / st.n
        d = deltas[g]
        tr_h0 += fg * float(np.sum((d.T @ b1s @ d) * e_b_inv.T))
    trace_b = tr_h1 - tr_h0
    dfb = float(len(stats) * p * (p - 1) // 2)
    cb = trace_b / dfb
    out["_baseline_chisq_scaled"] = x2b / cb
    out["_baseline_df_scaled"] = dfb
    out["_baseline_scaling"] = cb
    out["_c_hat_null"] = cb
    out.update({"_xx3": chisq, "_df3": df, "_xx3_scaled": chisq_scaled, "_xx3_null": x2b,
                "_c_hat3_null": cb, "_c_hat_ci": c})
    return vcov, out


def _h1_info_observed(s: np.ndarray, xbar: np.ndarray, sigma: np.ndarray,
                      mu: np.ndarray) -> np.ndarray:
    """Lavaan's lav_mvnorm_information_observed_samplestats (means first, then vech)."""
    p = s.shape[0]
    si = np.linalg.inv(sigma)
    d = xbar - mu
    w = s + np.outer(d, d)
    aaa = si @ (2 * w - sigma) @ si
    ri, ci = vech_idx(p)
    # 0.5 * D' (Si x AAA) D, symmetrised in vech coordinates
    full = 0.5 * (
        si[np.ix_(ri, ri)] * aaa[np.ix_(ci, ci)] + si[np.ix_(ri, ci)] * aaa[np.ix_(ci, ri)]
        + si[np.ix_(ci, ri)] * aaa[np.ix_(ri, ci)] + si[np.ix_(ci, ci)] * aaa[np.ix_(ri, ri)]
    )
    mult = np.where(ri == ci, 0.5, 1.0)
    i22 = 0.5 * full * np.outer(mult, mult) * 2.0
    k = len(ri)
    out = np.zeros((p + k, p + k))
    out[:p, :p] = si
    v = si @ d
    # I21 = D' ((Si d) x Si)
    i21 = (v[ri][:, None] * si[ci, :] + v[ci][:, None] * si[ri, :]) * mult[:, None]
    out[p:, :p] = i21
    out[:p, p:] = i21.T
    out[p:, p:] = i22
    return out


@lru_cache(maxsize=8)
def _flat_pairs(p: int) -> tuple[np.ndarray, ...]:
    """Flat indices of (i,k), (j,l), (i,l), (j,k) for vech pairs a = (i,j), b = (k,l)."""
    ri, ci = vech_idx(p)
    ik = (ri[:, None] * p + ri[None, :]).ravel()
    jl = (ci[:, None] * p + ci[None, :]).ravel()
    il = (ri[:, None] * p + ci[None, :]).ravel()
    jk = (ci[:, None] * p + ri[None, :]).ravel()
    mult = np.where(ri == ci, 0.5, 1.0)
    return ik, jl, il, jk, np.outer(mult, mult).ravel(), mult, ri, ci


def _h1_info_padded(si: np.ndarray, aaa: np.ndarray, v: np.ndarray) -> np.ndarray:
    """[[Si, I12], [I21, I22]] of lavaan's lav_mvnorm_*_information_observed, from the
    (zero-padded) inverse ``si``, ``aaa = si (2W - Sigma) si`` and ``v = si (xbar - mu)``.
    """
    p = si.shape[0]
    ik, jl, il, jk, mm, mult, ri, ci = _flat_pairs(p)
    s_f = si.ravel()
    a_f = aaa.ravel()
    k = len(ri)
    full = 0.5 * (s_f[ik] * a_f[jl] + s_f[il] * a_f[jk] + s_f[jk] * a_f[il] + s_f[jl] * a_f[ik])
    out = np.zeros((p + k, p + k))
    out[:p, :p] = si
    i21 = (v[ri][:, None] * si[ci, :] + v[ci][:, None] * si[ri, :]) * mult[:, None]
    out[p:, :p] = i21
    out[:p, p:] = i21.T
    out[p:, p:] = (full * mm).reshape(k, k)
    return out


def _missing_h1_info_observed(st: Any, sigma: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Observed information (per case) of the missing-data normal likelihood at (mu, Sigma)
    (lavaan's lav_mvnorm_missing_information_observed_samplestats).
    """
    p = sigma.shape[0]
    total = None
    for pat in st.patterns:
        o = pat.obs
        soo = sigma[np.ix_(o, o)]
        sinv = np.linalg.inv(soo)
        d = pat.mean - mu[o]
        w = pat.cov + np.outer(d, d)
        si = np.zeros((p, p))
        si[np.ix_(o, o)] = sinv
        aaa = np.zeros((p, p))
        aaa[np.ix_(o, o)] = sinv @ (2 * w - soo) @ sinv
        v = np.zeros(p)
        v[o] = sinv @ d
        part = pat.n * _h1_info_padded(si, aaa, v)
        total = part if total is None else total + part
    out: np.ndarray = np.asarray(total) / st.n
    return out


def fiml_corrected(model: Model, stats: list[Any], theta: np.ndarray, df: float,
                   dfb: float, version: str = "V6") -> dict[str, float]:
    r"""Robust CFI/TLI/RMSEA for FIML with ML (lavaan's lav_fit_fiml_corrected, "V6").

    :math:`T_3` is the complete-data ML statistic of the FIML estimates against the EM
    (H1) moments; its correction :math:`\hat c_3 = \mathrm{tr}(W_c W_m^{-1} U W_m^{-1})/df`
    uses the observed missing-data information :math:`W_m`, the complete-data information
    :math:`W_c` at the EM moments and :math:`U = W_m - W_m\Delta E^{-1}\Delta^\top W_m`
    (Zhang & Savalei 2023). With a scaled test (MLR) lavaan uses version "V3":
    :math:`\mathrm{tr}(U W_m^{-1} W_c W_m^{-1} U \Gamma)` with
    :math:`\Gamma = W_m^{-1} J_m W_m^{-1}` and :math:`J_m` the first-order information.
    """
    from scipy.linalg import block_diag

    ntotal = int(sum(s.n for s in stats))
    p = model.p
    ri, ci = vech_idx(p)
    diag_pos = np.nonzero(ri == ci)[0]
    implied = model.implied(theta)
    deltas = _delta_full(model, theta)
    xx3 = xx3_null = 0.0
    wc_b, wm_b, wmi_b, db_blocks, gam_b = [], [], [], [], []
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        sig_t, mu_t = st.cov, st.mean  # EM estimates
        sigma, mu = implied[g][0], implied[g][1]
        si = np.linalg.inv(sigma)
        d = mu_t - mu
        xx3 += st.n * (np.linalg.slogdet(sigma)[1] + float(np.sum(sig_t * si))
                       - np.linalg.slogdet(sig_t)[1] - p + float(d @ si @ d))
        # baseline (independence) FIML estimates: available-case means and variances
        mb, vb = _available_case(st, p)
        db = mu_t - mb
        xx3_null += st.n * (float(np.sum(np.log(vb))) + float(np.sum(np.diag(sig_t) / vb))
                            - np.linalg.slogdet(sig_t)[1] - p + float(np.sum(db**2 / vb)))
        wm = _missing_h1_info_observed(st, sig_t, mu_t)
        wc = _h1_info_unstructured(sig_t)
        wc_b.append(fg * wc)
        wm_b.append(fg * wm)
        wmi = np.linalg.inv(wm)
        wmi_b.append(wmi / fg)
        if version == "V3":
            sc = _missing_scores(st, sig_t, mu_t)
            jm = sc.T @ sc / st.n
            gam_b.append(wmi @ jm @ wmi / fg)
        # baseline model: Jacobian and its observed information (linear model)
        dB = np.zeros((p + len(ri), 2 * p))
        for j in range(p):
            dB[j, j] = 1.0
            dB[p + diag_pos[j], p + j] = 1.0
        db_blocks.append(dB)
    wc_all = block_diag(*wc_b)
    wm_all = block_diag(*wm_b)
    wmi_all = block_diag(*wmi_b)
    d_all = np.vstack(deltas)
    # lavaan switches to observed.information = "h1" (unstructured) before asking for the
    # inverted information, so E = Delta' W_m Delta here, not the Hessian used for the SEs
    e_inv = np.linalg.inv(d_all.T @ wm_all @ d_all)
    u = wm_all - wm_all @ d_all @ e_inv @ d_all.T @ wm_all
    if version == "V3":
        gam_all = block_diag(*gam_b)
        k_fimlc = float(np.trace(u @ wmi_all @ wc_all @ wmi_all @ u @ gam_all))
    else:
        k_fimlc = float(np.trace(wc_all @ wmi_all @ u @ wmi_all))
    # df = 0: lavaan divides the rounding residue of the trace by 0 and gets Inf, which makes
    # the robust CFI and TLI 1 and the robust RMSEA 0 (as for any just-identified model)
    c3 = k_fimlc / df if df > 0 else math.inf
    dB_all = block_diag(*db_blocks)
    eb_inv = np.linalg.inv(dB_all.T @ wm_all @ dB_all)
    ub = wm_all - wm_all @ dB_all @ eb_inv @ dB_all.T @ wm_all
    if version == "V3":
        kb = float(np.trace(ub @ wmi_all @ wc_all @ wmi_all @ ub @ gam_all))
    else:
        kb = float(np.trace(wc_all @ wmi_all @ ub @ wmi_all))
    c3b = kb / dfb
    return {"_xx3": xx3, "_df3": df, "_c_hat3": c3, "_xx3_scaled": xx3 / c3,
            "_xx3_null": xx3_null, "_c_hat3_null": c3b}


def fiml_hessian(model: Model, stats: list[Any], theta: np.ndarray) -> np.ndarray:
    r"""Analytic Hessian of the FIML discrepancy F = -logL / N (observed information).

    .. math:: \frac{\partial^2 F}{\partial\theta\partial\theta^\top} = \sum_g \frac{n_g}{N}
              \Delta_g^\top H_g \Delta_g + \sum_m \frac{\partial F}{\partial m}
              \frac{\partial^2 m}{\partial\theta\partial\theta^\top}

    with :math:`H_g` the observed information of the missing-data normal likelihood in
    :math:`m = (\mu, \mathrm{vech}\,\Sigma)`. The moments are quadratic in
    :math:`\theta`, so central differences of :math:`\Delta` give their second derivatives
    exactly.
    """
    ntotal = int(sum(s.n for s in stats))
    p = model.p
    q = model.npar
    ri, ci = vech_idx(p)
    mult = np.where(ri == ci, 1.0, 2.0)
    implied = model.implied(theta)
    deltas = _delta_full(model, theta)
    hess = np.zeros((q, q))
    gvecs = []
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        sigma, mu = implied[g][0], implied[g][1]
        gs = np.zeros((p, p))
        gm = np.zeros(p)
        for pat in st.patterns:
            o = pat.obs
            sinv = np.linalg.inv(sigma[np.ix_(o, o)])
            d = pat.mean - mu[o]
            mm = pat.cov + np.outer(d, d)
            gs[np.ix_(o, o)] += pat.n * 0.5 * (sinv - sinv @ mm @ sinv)
            gm[o] += -pat.n * (sinv @ d)
        gvecs.append(np.concatenate([gm, gs[ri, ci] * mult]) / ntotal)
        w_obs = _missing_h1_info_observed(st, sigma, mu)
        hess += fg * deltas[g].T @ w_obs @ deltas[g]
    for k in range(q):
        h = 1e-4 * max(1.0, abs(theta[k]))
        tp = theta.copy()
        tm = theta.copy()
        tp[k] += h
        tm[k] -= h
        dp = _delta_full(model, tp)
        dm = _delta_full(model, tm)
        for g in range(len(stats)):
            hess[:, k] += (dp[g] - dm[g]).T @ gvecs[g] / (2 * h)
    return 0.5 * (hess + hess.T)


def _missing_scores(st: Any, sigma: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Casewise scores of the missing-data normal log-likelihood in (mu, vech Sigma)."""
    p = sigma.shape[0]
    ri, ci = vech_idx(p)
    pos = np.zeros((p, p), dtype=int)
    pos[ri, ci] = np.arange(len(ri))
    pos[ci, ri] = np.arange(len(ri))
    blocks = []
    for pat in st.patterns:
        o = pat.obs
        sinv = np.linalg.inv(sigma[np.ix_(o, o)])
        a = (pat.rows - mu[o]) @ sinv
        out = np.zeros((pat.n, p + len(ri)))
        out[:, o] = a
        rs, cs = vech_idx(len(o))
        val = a[:, rs] * a[:, cs] - sinv[rs, cs]
        val[:, rs == cs] *= 0.5
        out[:, p + pos[o[rs], o[cs]]] = val
        blocks.append(out)
    return np.vstack(blocks)


def _available_case(st: Any, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Available-case means and variances (ML estimates of the independence model)."""
    mb = np.zeros(p)
    vb = np.zeros(p)
    for j in range(p):
        nj = s1 = s2 = 0.0
        for pat in st.patterns:
            hit = np.nonzero(pat.obs == j)[0]
            if len(hit):
                k = int(hit[0])
                nj += pat.n
                s1 += pat.n * pat.mean[k]
                s2 += pat.n * (pat.cov[k, k] + pat.mean[k] ** 2)
        mb[j] = s1 / nj
        vb[j] = s2 / nj - mb[j] ** 2
    return mb, vb


def mlr_fiml(model: Model, stats: list[Any], theta: np.ndarray, a_mat: np.ndarray,
             df: float) -> tuple[np.ndarray, dict[str, float]]:
    """MLR with missing data (lavaan ``estimator = "MLR", missing = "ml"``).

    Huber–White SEs from the observed information and the casewise missing-data scores;
    Yuan–Bentler (Mplus) scaled test with the saturated model's observed information and
    first-order information at the EM moments.
    """
    ntotal = int(sum(s.n for s in stats))
    p = model.p
    ri, ci = vech_idx(p)
    diag_pos = np.nonzero(ri == ci)[0]
    e_inv = np.linalg.inv(a_mat)
    implied = model.implied(theta)
    deltas = _delta_full(model, theta)
    q = model.npar
    meat = np.zeros((q, q))
    trace_h1 = trace_h0 = 0.0
    b0b_blocks, eb_blocks = [], []
    for g, st in enumerate(stats):
        fg = st.n / ntotal
        sigma, mu = implied[g][0], implied[g][1]
        s0 = _missing_scores(st, sigma, mu)
        b0 = deltas[g].T @ (s0.T @ s0 / st.n) @ deltas[g]
        meat += fg * b0
        trace_h0 += fg * float(np.sum(b0 * e_inv.T))
        s1 = _missing_scores(st, st.cov, st.mean)
        b1 = s1.T @ s1 / st.n
        a1 = _missing_h1_info_observed(st, st.cov, st.mean)
        trace_h1 += float(np.sum(b1 * np.linalg.inv(a1).T))
        # baseline
        mb, vb = _available_case(st, p)
        dB = np.zeros((p + len(ri), 2 * p))
        for j in range(p):
            dB[j, j] = 1.0
            dB[p + diag_pos[j], p + j] = 1.0
        sb = _missing_scores(st, np.diag(vb), mb)
        b0b_blocks.append((fg, dB.T @ (sb.T @ sb / st.n) @ dB))
        eb_blocks.append(fg * dB.T @ _missing_h1_info_observed(st, np.diag(vb), mb) @ dB)
    vcov = e_inv @ meat @ e_inv / ntotal
    trace_ug = trace_h1 - trace_h0
    c = trace_ug / df if df > 0 and trace_ug >= 0 else math.nan  # lavaan: negative -> NA
    from scipy.linalg import block_diag

    eb_inv = np.linalg.inv(block_diag(*eb_blocks))
    trace_b0 = 0.0
    col = 0
    for fg, b0b in b0b_blocks:
        k = b0b.shape[0]
        trace_b0 += fg * float(np.sum(b0b * eb_inv[col:col + k, col:col + k].T))
        col += k
    dfb = float(len(stats) * p * (p - 1) // 2)
    cb = (trace_h1 - trace_b0) / dfb
    out: dict[str, float] = {"_trace_ugamma": trace_ug, "_c_hat": c,
                             "_baseline_scaling": cb, "_baseline_df_scaled": dfb,
                             "chisq_scaling_factor": c, "df_scaled": df,
                             "_needs_chisq": 1.0, "_cb": cb}
    out.update(fiml_corrected(model, stats, theta, df, dfb, version="V3"))
    return vcov, out
