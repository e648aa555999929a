"""Fit a parsed CFA model: estimation, standard errors, fit measures, standardized
solution and modification indices, as lavaan 0.6.14 computes them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from measurelib.errors import ConvergenceWarning, HeywoodWarning
from measurelib.psychometrics._numeric import chi2_sf
from measurelib.psychometrics.sem._cfa import (
    CFAResult,
    _build_model,
    _cfi,
    _check_identified,
    _check_positive_definite,
    _em_h1,
    _group_stats,
    _rmsea_block,
    _spec_to_dict,
    _srmr,
    _start_values,
    _tli,
)
from measurelib.psychometrics.sem._engine import (
    LOG2PI,
    DWLSObjective,
    FIMLObjective,
    MLObjective,
    Model,
    fisher_scoring,
    vech_offdiag_idx,
)
from measurelib.psychometrics.sem._syntax import ModelSpec


def fit_model(  # noqa: C901 - lavaan's estimator/missing/test combinations in one dispatch
    spec: ModelSpec,
    frame: Any,
    ov: list[str],
    *,
    estimator: str,
    missing: str,
    std_lv: bool,
    group_equal: list[str],
    group: str | None,
) -> CFAResult:

    categorical = estimator == "wlsmv"
    stats, labels, dropped = _group_stats(frame, ov, missing, need_rows=estimator in ("mlr",)
                                          or categorical)
    ngroups = len(stats)
    if not categorical and missing == "listwise":
        _check_positive_definite(stats, ov)
    meanstructure = ngroups > 1 or missing == "fiml" or categorical
    nth: list[int] = []
    if categorical:
        from measurelib.psychometrics.sem._ordinal import prepare_ordinal

        nth = prepare_ordinal(stats, ov)
    model = _build_model(spec, ov, ngroups, std_lv, meanstructure, group_equal,
                         categorical=categorical, nthresholds=nth)
    p = len(ov)
    if categorical:
        n_moments = ngroups * (sum(nth) + p * (p - 1) // 2)
    else:
        n_moments = ngroups * (p * (p + 1) // 2 + (p if meanstructure else 0))
    _check_identified(spec, model, n_moments)
    df = float(n_moments - model.npar)

    ntotal = int(sum(s.n for s in stats))
    h1_logl = 0.0
    if missing == "fiml":
        for st in stats:
            try:
                mu, sig, ll = _em_h1(st)
                np.linalg.cholesky(sig)
            except (np.linalg.LinAlgError, ValueError):
                _singular_em(st, ov)
            st.mean, st.cov = mu, sig
            h1_logl += ll
        obj: Any = FIMLObjective(model, stats)
    elif categorical:
        obj = DWLSObjective(model, stats)
    else:
        obj = MLObjective(model, stats)

    theta0 = _start_values(model, stats, spec)
    res = fisher_scoring(obj, theta0)
    theta = res.theta
    warns: list[str] = []
    if not res.converged:
        msg = f"the model did not converge after {res.iterations} iterations ({res.message})"
        warns.append(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)

    implied = model.implied(theta)
    # ------------------------------------------------------------------ vcov
    q = model.npar
    info = res.info if res.info is not None else obj.grad_info(theta)[2]
    extra_fit: dict[str, float] = {}
    if missing == "fiml":
        from measurelib.psychometrics.sem._robust import fiml_hessian

        a_mat = fiml_hessian(model, stats, theta)
    else:
        a_mat = info
    vcov = _safe_inv(a_mat) / ntotal
    if estimator == "mlr":
        from measurelib.psychometrics.sem._robust import mlr_robust

        vcov, extra_fit = mlr_robust(model, stats, theta, obj, a_mat, df, missing)
    elif categorical:
        from measurelib.psychometrics.sem._ordinal import wlsmv_robust

        vcov, extra_fit = wlsmv_robust(model, stats, theta, obj, df)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))

    # ------------------------------------------------------------------ fit measures
    fit: dict[str, float] = {"npar": float(q), "fmin": float(res.fmin)}
    if missing == "fiml":
        logl = -res.fmin * ntotal
        chisq = 2.0 * (h1_logl - logl)
        fit["fmin"] = chisq / (2 * ntotal)
    elif categorical:
        chisq = 2.0 * ntotal * res.fmin
        logl = math.nan
    else:
        logl = 0.0
        h1_logl = 0.0
        for st, (sigma, mu, _) in zip(stats, implied):
            si = np.linalg.inv(sigma)
            d = st.mean - mu
            quad = float(d @ si @ d) if meanstructure else 0.0
            logl += -0.5 * st.n * (p * LOG2PI + np.linalg.slogdet(sigma)[1]
                                   + float(np.sum(st.cov * si)) + quad)
            h1_logl += -0.5 * st.n * (p * LOG2PI + np.linalg.slogdet(st.cov)[1] + p)
        chisq = 2.0 * ntotal * res.fmin
    chisq = max(chisq, 0.0) if chisq > -1e-10 else chisq
    fit["chisq"] = chisq
    fit["df"] = df
    fit["pvalue"] = float(chi2_sf(chisq, df)) if df > 0 else math.nan
    fit.update({k: v for k, v in extra_fit.items() if not k.startswith("_")})
    fit.pop("_needs_chisq", None)

    x2b, dfb = _baseline(model, stats, missing, categorical, h1_logl, extra_fit)
    fit["baseline_chisq"] = x2b
    fit["baseline_df"] = dfb
    fit["baseline_pvalue"] = float(chi2_sf(x2b, dfb))
    fit["cfi"] = _cfi(chisq, df, x2b, dfb)
    fit["tli"] = _tli(chisq, df, x2b, dfb)
    fit.update(_other_incremental(chisq, df, x2b, dfb, q,
                                  ntotal - ngroups if categorical else ntotal,
                                  fit["tli"], n_wls=(len(stats[0].wls_obs) if categorical else 0)))
    if "_needs_chisq" in extra_fit:  # MLR with FIML: the statistic is known only now
        c_mlr = extra_fit["_c_hat"]
        x2s = chisq / c_mlr if df > 0 else chisq  # lavaan: unscaled when df = 0
        fit["chisq_scaled"] = extra_fit["chisq_scaled"] = x2s
        fit["df_scaled"] = df
        fit["pvalue_scaled"] = float(chi2_sf(x2s, df)) if df > 0 else math.nan
        fit["chisq_scaling_factor"] = c_mlr
        extra_fit["_baseline_chisq_scaled"] = x2b / extra_fit["_cb"]
    if missing == "fiml" and estimator == "ml":
        from measurelib.psychometrics.sem._robust import fiml_corrected

        extra_fit.update(fiml_corrected(model, stats, theta, df, dfb))
    robust_na = "_xx3" in extra_fit and math.isnan(extra_fit["_xx3"])
    if robust_na:  # lavaan 0.6.14 reports NA (WLSMV with thresholds equal across groups)
        extra_fit.pop("_xx3")
        for k in ("cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue",
                  "rmsea_notclose_pvalue"):
            fit[k + "_robust"] = math.nan
    if "_xx3" in extra_fit:
        xx3, df3, c3 = extra_fit["_xx3"], extra_fit["_df3"], extra_fit["_c_hat3"]
        xx3b, c3b = extra_fit["_xx3_null"], extra_fit["_c_hat3_null"]
        fit["cfi_robust"] = _cfi(xx3, df, xx3b, dfb, c3, c3b)
        fit["tli_robust"] = _tli(xx3, df, xx3b, dfb, c3, c3b)
    if "chisq_scaled" in extra_fit:
        x2bs = extra_fit["_baseline_chisq_scaled"]
        dfbs = extra_fit["_baseline_df_scaled"]
        fit["baseline_chisq_scaled"] = x2bs
        fit["baseline_df_scaled"] = dfbs
        fit["baseline_pvalue_scaled"] = float(chi2_sf(x2bs, dfbs))
        fit["baseline_chisq_scaling_factor"] = extra_fit["_baseline_scaling"]
        fit["cfi_scaled"] = _cfi(fit["chisq_scaled"], fit["df_scaled"], x2bs, dfbs)
        fit["tli_scaled"] = _tli(fit["chisq_scaled"], fit["df_scaled"], x2bs, dfbs)
    if not categorical:
        fit["logl"] = logl
        fit["unrestricted_logl"] = float(h1_logl)
        fit["aic"] = -2 * logl + 2 * q
        fit["bic"] = -2 * logl + q * math.log(ntotal)
        fit["bic2"] = -2 * logl + q * math.log((ntotal + 2) / 24)
    fit["ntotal"] = float(ntotal)
    # lavaan (lav_utils_get_ntotal): N for ML, N - G for the least-squares estimators
    n_fit = ntotal - ngroups if categorical else ntotal
    fit.update(_rmsea_block(chisq, df, n_fit, ngroups))
    if "chisq_scaled" in extra_fit:
        if extra_fit.get("_scaled_shifted"):
            xx2, df2 = fit["chisq_scaled"], df
        else:
            xx2, df2 = chisq, extra_fit["_trace_ugamma"]
            if df == 0 or not math.isfinite(df2) or df2 == 0:
                df2 = math.nan  # lavaan: NA when the trace is 0 (df = 0)
        blk = _rmsea_block(xx2, df2, n_fit, ngroups)
        for k in ("rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue",
                  "rmsea_notclose_pvalue"):
            fit[k + "_scaled"] = blk[k]
    if "_xx3" in extra_fit:
        xx3, df3, c3 = extra_fit["_xx3"], extra_fit["_df3"], extra_fit["_c_hat3"]
        c_ci = extra_fit.get("_c_hat_ci", c3)
        fit["rmsea_robust"] = _rmsea_block(xx3, df3, n_fit, ngroups, c_hat=c3)["rmsea"]
        blk = _rmsea_block(extra_fit["_xx3_scaled"], df3, n_fit, ngroups, c_hat=c_ci)
        for k in ("rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "rmsea_notclose_pvalue"):
            fit[k + "_robust"] = blk[k]
    fit.update(_srmr(stats, implied, meanstructure, ntotal, categorical))
    fit.update(_gfi(stats, implied, meanstructure, missing, categorical, df))

    # ------------------------------------------------------------------ estimates
    estimates = _estimates_table(model, theta, se, implied, labels)
    # Heywood cases
    for r, value in zip(model.rows, estimates["est"].to_numpy()):
        if r.op == "~~" and r.lhs == r.rhs and value < 0:
            grp = f" in group {labels[r.group - 1]}" if ngroups > 1 else ""
            msg = f"Heywood case: the variance of {r.lhs} is negative ({value:.4g}){grp}"
            warns.append(msg)
            warnings.warn(msg, HeywoodWarning, stacklevel=3)

    result = CFAResult(
        model=_spec_to_dict(spec), estimator=estimator, missing=missing, n=ntotal,
        n_groups=ngroups, groups=labels, n_per_group=[s.n for s in stats], n_items=p,
        n_rows_dropped=dropped, converged=res.converged, iterations=res.iterations, fit=fit,
        estimates=estimates,
        options={"std_lv": std_lv, "group": group, "group_equal": list(group_equal),
                 "ordered": list(ov) if categorical else []},
        warnings=warns,
    )
    kind = "dwls" if categorical else "fiml" if missing == "fiml" else "ml"
    result._mi_inputs = (model, _lean_stats(stats), theta, implied, ntotal, spec, kind)
    if categorical:  # for the scaled difference test of nested WLSMV fits (lavTestLRT)
        from measurelib.psychometrics.sem._ordinal import WLSFitInfo

        result._wls = WLSFitInfo(model=model, stats=stats, theta=theta, objective=obj)
    return result


def _gfi(stats: list[Any], implied: list[Any], meanstructure: bool, missing: str,
         categorical: bool, df: float) -> dict[str, float]:
    r"""GFI, AGFI and PGFI as lavaan's ``fitMeasures()`` (``lav_fit_gfi``).

    Per group :math:`\mathrm{GFI}_g = 1 - e^\top V e / s^\top V s`, with s the sample
    statistics (means when modelled, then vech of the covariance matrix; thresholds and
    polychoric correlations for WLSMV), e = s minus their model-implied values, and V
    lavaan's weight matrix: the expected information of the normal model at the implied
    moments (pattern by pattern under FIML), or the diagonal DWLS weights. Groups are
    averaged with weights :math:`n_g/N`; with e elements in all groups,
    :math:`\mathrm{AGFI} = 1 - (e/d)(1-\mathrm{GFI})` and
    :math:`\mathrm{PGFI} = (d/e)\,\mathrm{GFI}`.
    """
    gfis, ns = [], []
    nel = 0
    for st, (sigma, mu, tau) in zip(stats, implied):
        p = sigma.shape[0]
        if categorical:
            ri, ci = vech_offdiag_idx(p)
            obs = np.asarray(st.wls_obs, dtype=float)
            est = np.concatenate([tau, sigma[ri, ci]])
            w = np.asarray(st.wls_w, dtype=float)
            t1 = float(np.sum(w * (obs - est) ** 2))
            t2 = float(np.sum(w * obs**2))
            nel += len(obs)
        else:
            # blocks of the normal information: (Sigma^-1 for the means,
            # 1/2 D'(Sigma^-1 x Sigma^-1)D for vech), whose quadratic form in vech(M)
            # is tr(M Sigma^-1 M Sigma^-1) / 2
            if missing == "fiml":
                # lavaan's sample statistics under missing = "ml" (lav_samplestats_from_data):
                # available-case means and pairwise covariances times (N - 1) / N
                parts = [(pat.n / st.n, pat.obs) for pat in st.patterns]
                obs_m, obs_c = _pairwise_moments(st.patterns, p)
                obs_c = obs_c * (st.n - 1) / st.n
            else:
                parts = [(1.0, np.arange(p))]
                obs_m, obs_c = st.mean, st.cov
            res_c, res_m = obs_c - sigma, obs_m - mu
            t1 = t2 = 0.0
            for wt, o in parts:
                si = np.linalg.inv(sigma[np.ix_(o, o)])
                rc, oc = res_c[np.ix_(o, o)] @ si, obs_c[np.ix_(o, o)] @ si
                t1 += wt * 0.5 * float(np.sum(rc * rc.T))
                t2 += wt * 0.5 * float(np.sum(oc * oc.T))
                if meanstructure:
                    t1 += wt * float(res_m[o] @ si @ res_m[o])
                    t2 += wt * float(obs_m[o] @ si @ obs_m[o])
            nel += p * (p + 1) // 2 + (p if meanstructure else 0)
        gfis.append(1.0 - t1 / t2)
        ns.append(st.n)
    gfi = float(np.dot(ns, gfis) / np.sum(ns))
    agfi = 1.0 - (nel / df) * (1.0 - gfi) if df > 0 else 1.0
    return {"gfi": gfi, "agfi": agfi, "pgfi": (df / nel) * gfi if nel else math.nan}


def _pairwise_moments(patterns: list[Any], p: int) -> tuple[np.ndarray, np.ndarray]:
    """Available-case means and pairwise-complete covariances (divisor n_ij - 1, as R's
    ``cov(use = "pairwise")``) from the missing-data patterns' means and covariances.
    """
    cnt = np.zeros((p, p))
    sums = np.zeros((p, p))  # sums[i, j]: sum of x_i over the rows where i and j are observed
    for pat in patterns:
        o = np.zeros(p, dtype=bool)
        o[pat.obs] = True
        m = np.zeros(p)
        m[pat.obs] = pat.mean
        both = np.outer(o, o)
        cnt += pat.n * both
        sums += pat.n * both * m[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ij = sums / cnt  # mean of x_i over the rows complete on (i, j)
    cross = np.zeros((p, p))
    for pat in patterns:
        o = pat.obs
        mo_i = mean_ij[np.ix_(o, o)]
        dev_i = pat.mean[:, None] - mo_i
        dev_j = pat.mean[None, :] - mo_i.T
        cross[np.ix_(o, o)] += pat.n * (pat.cov + dev_i * dev_j)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = cross / (cnt - 1)
    return np.diag(mean_ij).copy(), cov


def _singular_em(st: Any, ov: list[str]) -> None:
    """Stop with a located error when the EM estimate of the saturated model is singular
    (lavaan warns that its smallest eigenvalue is below 1e-5 and does not converge).
    """
    from measurelib.errors import DataError, Diagnostic, Location
    from measurelib.psychometrics.sem._cfa import CODE_NOT_PD

    grp = f" in group {st.label!r}" if st.label else ""
    raise DataError(Diagnostic(
        CODE_NOT_PD,
        f"the maximum-likelihood (EM) covariance matrix of the {st.n} row(s){grp} is "
        f"singular: too few rows observe the {len(ov)} items together, or items are "
        "linearly dependent",
        "Remove the redundant item, or use more rows.", Location(field=ov[0]),
    ), title="The items' covariance matrix is not positive definite")


def _near_zero(x: float) -> bool:
    """R's ``isTRUE(all.equal(x, 0))``: within 1.5e-8 of zero."""
    return abs(x) < 1.5e-8


def _other_incremental(x2: float, df: float, x2b: float, dfb: float, npar: int, n: int,
                       tli: float, n_wls: int) -> dict[str, float]:
    """NNFI, RFI, NFI, PNFI, IFI, RNI, McDonald's MFI, ECVI and WRMR.

    Each follows lavaan 0.6.14's ``lav_fit_*`` function, edge cases included: RNI is not
    truncated (it exceeds 1 when T < d); RFI is 1 when either of its terms is negative or
    when d = 0; IFI is 1 when T_b < d; NFI is 1 when d = 0.
    """
    out = {"nnfi": tli}
    t2 = x2b - dfb
    out["rni"] = math.nan if _near_zero(t2) or not math.isfinite(t2) else 1.0 - (x2 - df) / t2
    if df > dfb or _near_zero(x2b):
        out["nfi"] = math.nan
    else:
        out["nfi"] = (x2b - x2) / x2b if df > 0 else 1.0
    if df > dfb:
        out["rfi"] = math.nan
    elif df > 0 and dfb > 0:
        r1, r2 = x2b / dfb - x2 / df, x2b / dfb
        out["rfi"] = 1.0 if r1 < 0 or r2 < 0 else r1 / r2
    else:
        out["rfi"] = 1.0
    out["pnfi"] = (df / dfb) * (x2b - x2) / x2b if dfb > 0 and x2b > 0 else math.nan
    i2 = x2b - df
    out["ifi"] = 1.0 if i2 < 0 else (math.nan if _near_zero(i2) else (x2b - x2) / i2)
    out["mfi"] = math.exp(-0.5 * (x2 - df) / n)
    if n_wls:  # least squares: WRMR instead of ECVI; N is N - G there (lavaan)
        out["wrmr"] = math.sqrt(x2 / n_wls)
    else:
        out["ecvi"] = x2 / n + 2 * npar / n
    return out


def _safe_inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def _baseline(model: Model, stats: list[Any], missing: str, categorical: bool,
              h1_logl: float, extra: dict[str, float]) -> tuple[float, float]:
    """Independence (baseline) model: variances (and means) free, covariances zero."""
    p = model.p
    if categorical:
        return extra["_baseline_chisq"], extra["_baseline_df"]
    dfb = float(len(stats) * p * (p - 1) // 2)
    if missing == "fiml":
        ll = 0.0
        for st in stats:
            for j in range(p):
                vals_n, s1, s2 = 0, 0.0, 0.0
                for pat in st.patterns:
                    hit = np.nonzero(pat.obs == j)[0]
                    if len(hit) == 0:
                        continue
                    k = int(hit[0])
                    vals_n += pat.n
                    s1 += pat.n * pat.mean[k]
                    s2 += pat.n * (pat.cov[k, k] + pat.mean[k] ** 2)
                mj = s1 / vals_n
                vj = s2 / vals_n - mj**2
                ll += -0.5 * vals_n * (LOG2PI + math.log(vj) + 1.0)
        return 2.0 * (float(h1_logl) - ll), dfb
    x2b = 0.0
    for st in stats:
        x2b += st.n * (float(np.sum(np.log(np.diag(st.cov)))) - np.linalg.slogdet(st.cov)[1])
    return float(x2b), dfb


def _estimates_table(model: Model, theta: np.ndarray, se: np.ndarray,
                     implied: list[Any], labels: list[str]) -> Any:
    """parameterEstimates() with standardizedSolution()'s est.std (std.all) as a frame."""
    import pandas as pd
    from scipy.special import ndtr

    rows = model.rows
    mats_list = model.matrices(theta)
    n_rows = len(rows)
    free = np.array([r.free for r in rows], dtype=np.intp)
    grp = np.array([r.group for r in rows], dtype=np.intp)
    est = np.array([r.value for r in rows], dtype=float)
    is_free = free > 0
    est[is_free] = theta[free[is_free] - 1]
    s = np.zeros(n_rows)
    s[is_free] = se[free[is_free] - 1]
    std = np.full(n_rows, np.nan)
    for k, r in enumerate(rows):
        mats = mats_list[r.group - 1]
        if not r.free and r.mat == "none" and r.op == "~~":  # delta-parameterization residuals
            est[k] = mats["theta"][r.row, r.col]
    for g, mats in enumerate(mats_list):
        sigma = implied[g][0]
        if model.categorical:  # latent-response variances 1/delta^2 (lavaan's computeVY)
            sigma = mats["lambda"] @ mats["psi"] @ mats["lambda"].T + mats["theta"]
        ov_sd = np.sqrt(np.diag(sigma))
        lv_sd = np.sqrt(np.clip(np.diag(mats["psi"]), 0, None))
        th = np.diag(mats["theta"])
        for k, r in enumerate(rows):
            if r.group != g + 1:
                continue
            value = est[k]
            if r.op == "~*~":  # scale factors
                std[k] = 1.0
            elif r.op == "=~":
                std[k] = value * lv_sd[r.col] / ov_sd[r.row]
            elif r.op == "~~" and r.mat == "psi":
                d = lv_sd[r.row] * lv_sd[r.col]
                std[k] = value / d if d > 0 else math.nan
            elif r.op == "~~":
                if r.row == r.col:
                    std[k] = value / sigma[r.row, r.row]
                else:
                    d = th[r.row] * th[r.col]
                    std[k] = value / math.sqrt(d) if d > 0 else math.nan
            elif r.op == "~1" and r.mat == "alpha":
                std[k] = value / lv_sd[r.row] if lv_sd[r.row] > 0 else math.nan
            elif r.op == "~1":
                std[k] = value / ov_sd[r.row]
            elif r.op == "|":
                std[k] = value / ov_sd[model.th_item[r.row]]
            else:
                std[k] = value
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, est / np.where(s > 0, s, 1.0), np.nan)
    pv = np.where(s > 0, 2.0 * ndtr(-np.abs(z)), np.nan)
    return pd.DataFrame({
        "lhs": [r.lhs for r in rows], "op": [r.op for r in rows],
        "rhs": [r.rhs for r in rows], "group": grp,
        "group_label": [labels[r.group - 1] for r in rows], "est": est, "se": s, "z": z,
        "pvalue": pv, "std_all": std,
    })


def _lean_stats(stats: list[Any]) -> list[Any]:
    """The sufficient statistics without the raw rows (kept for modification indices)."""
    from dataclasses import replace

    return [replace(st, rows=None, gamma=None, gamma_raw=None,
                    patterns=None if st.patterns is None
                    else [replace(pat, rows=None) for pat in st.patterns])
            for st in stats]


def _modindices(model: Model, stats: list[Any], theta: np.ndarray, implied: list[Any],
                ntotal: int, spec: ModelSpec, kind: str = "ml") -> Any:
    """Score tests for fixed cross-loadings, residual and factor covariances (modindices).

    As lavaan's ``modindices()``: the expected information of the model extended by the
    fixed parameters, evaluated at the estimates (``kind`` "ml": complete data; "fiml":
    the information of each missing-data pattern; "dwls": Delta' W Delta), and the
    gradient of the discrepancy function there.
    """
    import pandas as pd

    from measurelib.psychometrics.sem._engine import ParRow

    existing = {(r.lhs, r.op, r.rhs, r.group) for r in model.rows}
    existing |= {(r.rhs, r.op, r.lhs, r.group) for r in model.rows if r.op == "~~"}
    extra_rows: list[ParRow] = []
    extra_start: list[float] = []
    q = model.npar
    k = q
    for g in range(1, model.ngroups + 1):
        # fixed (marker) loadings: freeing one is identified once loadings are held equal
        # across groups; where it is not, V is singular and the row is dropped (lavaan)
        for r in model.rows:
            if r.group == g and r.op == "=~" and r.free == 0:
                k += 1
                extra_rows.append(ParRow(r.lhs, "=~", r.rhs, g, "lambda", r.row, r.col, k,
                                         r.value))
                extra_start.append(r.value)
        # covariances the model fixes (`f1 ~~ 0*f2`, `y1 ~~ 0*y2`): lavaan tests freeing them
        for r in model.rows:
            if r.group == g and r.op == "~~" and r.free == 0 and r.lhs != r.rhs:
                k += 1
                extra_rows.append(ParRow(r.lhs, "~~", r.rhs, g, r.mat, r.row, r.col, k,
                                         r.value))
                extra_start.append(r.value)
        for f in model.lv:
            for v in model.ov:
                if (f, "=~", v, g) not in existing:
                    k += 1
                    extra_rows.append(ParRow(f, "=~", v, g, "lambda", model.ov.index(v),
                                             model.lv.index(f), k, 0.0))
                    extra_start.append(0.0)
        for i, a in enumerate(model.ov):
            for b in model.ov[i + 1:]:
                if (a, "~~", b, g) not in existing:
                    k += 1
                    extra_rows.append(ParRow(a, "~~", b, g, "theta", model.ov.index(b),
                                             model.ov.index(a), k, 0.0))
                    extra_start.append(0.0)
    if not extra_rows:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
    big = type(model)(rows=list(model.rows) + extra_rows, ov=model.ov, lv=model.lv,
                ngroups=model.ngroups, meanstructure=model.meanstructure,
                categorical=model.categorical, th_item=list(model.th_item))
    tfull = np.concatenate([theta, np.array(extra_start)])
    obj: Any
    if kind == "fiml":
        obj = FIMLObjective(big, stats)
    elif kind == "dwls":
        obj = DWLSObjective(big, stats)
    else:
        obj = MLObjective(big, stats)
    grad = obj.gradient(tfull)
    block, diag = obj.info_blocks(tfull, q)
    i22 = block[:q]
    i12 = block[q:]
    # diagonal of V = I11 - I12 I22^-1 I21
    vd = diag[q:] - np.einsum("ij,ji->i", i12, np.linalg.solve(i22, i12.T))
    vd[vd < np.finfo(float).eps ** (1 / 3)] = np.nan
    score = grad[q:]
    mi = ntotal * score**2 / vd
    epc = -score / vd
    mats_list = model.matrices(theta)
    out = []
    for r, m_, e in zip(extra_rows, mi, epc):
        mats = mats_list[r.group - 1]
        sigma = implied[r.group - 1][0]
        if r.op == "=~":
            scale = mats["psi"][r.col, r.col] / sigma[r.row, r.row]
            s = e * math.sqrt(scale) if scale > 0 else math.nan
        else:  # covariance: std.all divides by the two variances (theta or psi)
            prod = mats[r.mat][r.row, r.row] * mats[r.mat][r.col, r.col]
            s = e / math.sqrt(prod) if prod > 0 else math.nan
        if not np.isfinite(m_):
            continue
        out.append({"lhs": r.lhs, "op": r.op, "rhs": r.rhs, "group": r.group,
                    "mi": float(m_), "epc": float(e), "sepc_all": float(s)})
    return pd.DataFrame(out)


def satorra_bentler_2001(m0: CFAResult, m1: CFAResult) -> tuple[float, float, float]:
    """Scaled chi-square difference (lavTestLRT method = "satorra.bentler.2001")."""
    f0, f1 = m0.fit, m1.fit
    t0, t1 = f0["chisq"], f1["chisq"]
    d0, d1 = f0["df"], f1["df"]
    c0, c1 = f0["chisq_scaling_factor"], f1["chisq_scaling_factor"]
    ddf = d1 - d0
    cd = (d1 * c1 - d0 * c0) / ddf
    stat = (t1 - t0) / cd
    return float(stat), float(ddf), float(chi2_sf(stat, ddf))
