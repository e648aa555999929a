"""Factor extraction as ``psych::fa`` (``psych:::fac``) computes it, and ``psych::factor.stats``.

Extraction methods:

* ``minres`` — minimise the off-diagonal squared residuals over the uniquenesses with
  R's ``optim(method = "L-BFGS-B")`` settings (``parscale = 0.01``, bounds ``[0.005, 1]``,
  ``lmm = 5``, ``factr = 1e7``, ``maxit = 100``) and psych's (approximate) gradient;
* ``ml`` — minimise the ML discrepancy over the uniquenesses the same way;
* ``pa`` — iterated principal axes from squared multiple correlations
  (``min.err = 0.001``, ``max.iter = 50``).

Then psych's conventions: columns reflected so each sums positive, rotated, reflected
again, and ordered by the variance each accounts for.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from measurelib.errors import DataError, Diagnostic
from measurelib.psychometrics._numeric import (
    DBL_EPSILON,
    FloatArray,
    chi2_cdf,
    chi2_sf,
    cor_smooth,
    r_sum,
    smc,
)
from measurelib.psychometrics.efa._rotation import rotate as _rotate

METHODS = ("minres", "ml", "pa")


@dataclass
class FAFit:
    """Everything ``psych::fa`` returns that measurelib uses (plain arrays)."""

    loadings: FloatArray  # items x factors, rotated, reflected and sorted
    unrotated: FloatArray
    phi: FloatArray | None
    communality: FloatArray  # diag(model) (unrotated loadings)
    communalities: FloatArray  # 1 - optimiser uniquenesses (minres/ml) or PA's sum
    uniquenesses: FloatArray  # diag(r - model)
    values: FloatArray  # eigenvalues of r with communalities on the diagonal
    e_values: FloatArray  # eigenvalues of r
    converged: bool
    rotation_converged: bool
    iterations: int
    stats: dict[str, Any]
    rotmat: FloatArray | None
    messages: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ correlations
def pairwise_cor(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Pearson correlations on pairwise-complete cases (R's ``cor(use = "pairwise")``).

    Returns the correlation matrix and the pairwise counts (``psych::pairwiseCount``).
    """
    obs = np.isfinite(x)
    if obs.all():
        xc = x - x.mean(axis=0)
        cov = xc.T @ xc
        d = np.sqrt(np.diag(cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cov / d[:, None] / d[None, :]
        np.fill_diagonal(r, 1.0)
        n = np.full((x.shape[1], x.shape[1]), float(x.shape[0]))
        return r, n
    m = obs.astype(np.float64)
    # centre by column means (correlation is shift-invariant) to limit cancellation
    mu = np.nanmean(x, axis=0)
    x0 = np.where(obs, x - mu, 0.0)
    n = m.T @ m
    sxy = x0.T @ x0
    sx = x0.T @ m  # sx[i, j] = sum of x_i over rows where j is observed (and i)
    sxx = (x0**2).T @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * sx.T / n
        vx = sxx - sx**2 / n
        r = cov / np.sqrt(vx * vx.T)
    np.fill_diagonal(r, 1.0)
    return r, n


def pairwise_cor_batch(x: FloatArray) -> FloatArray:
    """Pairwise-complete correlations of a stack of data sets ``(b, n, p)`` → ``(b, p, p)``."""
    obs = np.isfinite(x)
    if obs.all():
        xc = x - x.mean(axis=1, keepdims=True)
        cov = np.einsum("bni,bnj->bij", xc, xc, optimize=True)
        d = np.sqrt(np.einsum("bii->bi", cov))
        out: FloatArray = cov / d[:, :, None] / d[:, None, :]
        return out
    m = obs.astype(np.float64)
    mu = np.nanmean(x, axis=1, keepdims=True)
    x0 = np.where(obs, x - mu, 0.0)
    mt = np.swapaxes(m, 1, 2)
    x0t = np.swapaxes(x0, 1, 2)
    n = mt @ m
    sxy = x0t @ x0
    sx = x0t @ m
    sxx = (x0t**2) @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - sx * np.swapaxes(sx, 1, 2) / n
        vx = sxx - sx**2 / n
        r = cov / np.sqrt(vx * np.swapaxes(vx, 1, 2))
    idx = np.arange(x.shape[2])
    r[:, idx, idx] = 1.0
    return r


# ------------------------------------------------------------------ eigen helpers
def eigen_desc(s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Eigenvalues in decreasing order with their vectors (R's ``eigen(symmetric=TRUE)``)."""
    vals, vecs = np.linalg.eigh(s)
    return vals[::-1], vecs[:, ::-1]


class _Eigen:
    """The last symmetric eigen-decomposition, reused for the same matrix.

    minres's objective and its gradient decompose the same matrix at each point
    (``S`` with ``1 - psi`` on the diagonal), and the optimiser asks for both: decomposing
    it once gives the same numbers (the same input to the same LAPACK call) in half the time.
    """

    def __init__(self) -> None:
        self.m: FloatArray | None = None
        self.out: tuple[FloatArray, FloatArray] = (np.empty(0), np.empty((0, 0)))

    def __call__(self, m: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.m is None or not np.array_equal(self.m, m):
            self.out = eigen_desc(m)
            self.m = m.copy()
        return self.out


@functools.lru_cache(maxsize=8)
def _lower(p: int) -> tuple[Any, Any]:
    """``np.tril_indices(p, -1)`` (kept: the objective is evaluated dozens of times)."""
    il, jl = np.tril_indices(p, -1)
    il.flags.writeable = False
    jl.flags.writeable = False
    return il, jl


def _fit_residuals(psi: FloatArray, S: FloatArray, nf: int,
                   eig: Any = eigen_desc) -> float:
    Sd = S.copy()
    np.fill_diagonal(Sd, 1.0 - psi)
    vals, vecs = eig(Sd)
    vals = np.where(vals < DBL_EPSILON, 100 * DBL_EPSILON, vals)
    load = vecs[:, :nf] * np.sqrt(vals[:nf])
    model = load @ load.T
    res = (Sd - model)[_lower(S.shape[0])]
    return float(np.sum(res**2))


def _gr_minres(psi: FloatArray, S: FloatArray, nf: int, eig: Any = eigen_desc) -> FloatArray:
    Sstar = S - np.diag(psi)
    vals, vecs = eig(Sstar)
    load = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf], 0.0))
    g = load @ load.T + np.diag(psi) - S
    return np.asarray(np.diag(g), dtype=np.float64)


def _fa_fn(psi: FloatArray, S: FloatArray, nf: int) -> float:
    sc = 1.0 / np.sqrt(psi)
    Sstar = S * sc[:, None] * sc[None, :]
    e = np.linalg.eigvalsh(Sstar)[::-1][nf:]
    val = float(r_sum(np.log(e) - e)) - nf + S.shape[0]
    return float(-val)


def _fa_gr(psi: FloatArray, S: FloatArray, nf: int) -> FloatArray:
    sc = 1.0 / np.sqrt(psi)
    Sstar = S * sc[:, None] * sc[None, :]
    vals, vecs = eigen_desc(Sstar)
    load = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf] - 1.0, 0.0))
    load = np.sqrt(psi)[:, None] * load
    g = load @ load.T + np.diag(psi) - S
    return np.asarray(np.diag(g) / psi**2, dtype=np.float64)


class _NonFiniteObjective(ArithmeticError):
    """The objective was not finite at a point the optimiser asked for."""


def _lbfgsb(
    fn: Any, gr: Any, start: FloatArray, upper: float, args: tuple[Any, ...]
) -> tuple[FloatArray, bool, int]:
    """R's ``optim(start, fn, gr, method = "L-BFGS-B", lower = 0.005, upper = upper,
    control = list(parscale = rep(0.01, p)))``, with scipy's L-BFGS-B (version 3.0).

    Raises :class:`_NonFiniteObjective` where R stops with "L-BFGS-B needs finite values
    of 'fn'" (an objective that is not finite at a point asked for).
    """
    from scipy.optimize import minimize

    ps = 0.01

    def f(z: FloatArray) -> float:
        val = float(fn(z * ps, *args))
        if not math.isfinite(val):
            raise _NonFiniteObjective
        return val

    res = minimize(
        f,
        start / ps,
        jac=lambda z: gr(z * ps, *args) * ps,
        method="L-BFGS-B",
        bounds=[(0.005 / ps, upper / ps)] * start.size,
        options={
            "maxcor": 5,
            "ftol": 1e7 * DBL_EPSILON,
            "gtol": 0.0,
            "maxiter": 100,
            "maxfun": 10**6,
        },
    )
    return (
        np.asarray(res.x * ps, dtype=np.float64),
        bool(res.nit < 100 and res.status == 0),
        int(res.nit),
    )


# ------------------------------------------------------------------ extraction
def _ml_undefined(r: FloatArray) -> DataError:
    """R stops here with "L-BFGS-B needs finite values of 'fn'"; say why and what to do."""
    low = float(np.linalg.eigvalsh(r)[0])
    return DataError(
        Diagnostic(
            "singular-correlation",
            "the maximum-likelihood fit is not defined: the correlation matrix is not "
            f"positive definite (smallest eigenvalue {low:.3g}), so its log-determinant is "
            "not finite (R's psych::fa stops with \"L-BFGS-B needs finite values of 'fn'\")",
            "Use method='minres' or 'pa', which do not need the inverse; or remove redundant "
            "items and collect more respondents than items.",
        ),
        title="maximum-likelihood factor analysis cannot be fitted",
    )


def extract(
    r: FloatArray, nf: int, fm: str, *, min_err: float = 0.001, max_iter: int = 50
) -> tuple[FloatArray, FloatArray, FloatArray | None, bool, int, list[str]]:
    """Unrotated loadings as ``psych:::fac`` (before reflection).

    Returns loadings, the communality estimates (1 - optimiser uniquenesses; for ``pa``
    the eigenvalues of the last iteration instead, which psych reports as ``$values``),
    the optimiser's uniquenesses, convergence flag, iteration count and messages.
    """
    p = r.shape[0]
    msgs: list[str] = []
    if fm == "pa":
        rmat = r.copy()
        if nf <= p:
            np.fill_diagonal(rmat, smc(r))
        comm = float(np.trace(rmat))
        err = comm
        i = 1
        converged = True
        comm1 = comm
        load = np.zeros((p, nf))
        vals = np.zeros(p)
        while err > min_err:
            vals, vecs = eigen_desc(rmat)
            with np.errstate(invalid="ignore"):
                load = vecs[:, :nf] * np.sqrt(vals[:nf])
            new = np.sum(load**2, axis=1)
            comm1 = float(new.sum())
            np.fill_diagonal(rmat, new)
            err = abs(comm - comm1)
            if math.isnan(err):
                msgs.append(
                    "imaginary eigenvalue encountered in principal axes; iterations stopped"
                )
                converged = False
                break
            comm = comm1
            i += 1
            if i > max_iter:
                msgs.append(f"principal axes: maximum iterations ({max_iter}) exceeded")
                converged = False
                err = 0.0
        return load, vals, None, converged, i - 1, msgs
    s_smc = smc(r)
    upper = max(float(np.max(s_smc)), 1.0)
    if fm == "minres":
        start = np.diag(r) - s_smc
        eig = _Eigen()
        psi, conv, nit = _lbfgsb(_fit_residuals, _gr_minres, start, upper, (r, nf, eig))
        Sd = r.copy()
        np.fill_diagonal(Sd, np.diag(r) - psi)
        vals, vecs = eig(Sd)
        load = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf], 0.0))
    elif fm == "ml":
        start = np.full(nf, 0.5) if np.sum(s_smc) == nf and nf > 1 else np.diag(r) - s_smc
        try:
            psi, conv, nit = _lbfgsb(_fa_fn, _fa_gr, start, upper, (r, nf))
        except _NonFiniteObjective:
            raise _ml_undefined(r) from None
        sc = 1.0 / np.sqrt(psi)
        Sstar = r * sc[:, None] * sc[None, :]
        vals, vecs = eigen_desc(Sstar)
        load = vecs[:, :nf] * np.sqrt(np.maximum(vals[:nf] - 1.0, 0.0))
        load = np.sqrt(psi)[:, None] * load
    else:
        raise ValueError(f"method must be one of {METHODS}; got {fm!r}")
    if not conv:
        msgs.append(f"{fm}: the optimiser did not converge in 100 iterations (R's optim maxit)")
    return load, 1.0 - psi, psi, conv, nit, msgs


def fit_fa(
    r: FloatArray,
    nf: int,
    fm: str = "minres",
    rotation: str = "oblimin",
    n_obs: float | None = None,
    np_obs: FloatArray | None = None,
    *,
    stats: bool = True,
) -> FAFit:
    """``psych::fa(r, nfactors = nf, fm = fm, rotate = rotation, n.obs = n_obs)``.

    With ``stats=False`` the fit statistics (``psych::factor.stats``, whose RMSEA interval
    is a root search over the non-central chi-square) are left out: ``.stats`` is empty.
    """
    load, comms, _psi, conv, nit, msgs = extract(r, nf, fm)
    e_values = eigen_desc(r)[0]
    model0 = load @ load.T
    if fm == "pa":
        # psych reports the eigenvalues of the last principal-axes iteration
        values = comms
        comms = np.sum(load**2, axis=1)
    else:
        S = r.copy()
        np.fill_diagonal(S, np.diag(model0))
        values = eigen_desc(S)[0]
    # reflect so that every column sums positive
    sgn = np.sign(load.sum(axis=0))
    sgn[sgn == 0] = 1.0
    load = load * sgn
    load = np.where(load == 0, 1e-15, load)
    unrot = load.copy()
    model = load @ load.T
    rot_conv = True
    phi: FloatArray | None = None
    rotmat: FloatArray | None = None
    if rotation != "none" and nf > 1:
        rot = _rotate(load, rotation)
        load = rot.loadings
        phi = rot.phi
        rotmat = rot.rotmat
        rot_conv = rot.converged
        if not rot_conv:
            msgs.append(f"{rotation} rotation did not converge ({rot.iterations} iterations)")
    signed = np.sign(load.sum(axis=0))
    signed[signed == 0] = 1.0
    load = load * signed
    if phi is not None:
        phi = signed[:, None] * phi * signed[None, :]
    if nf > 1:
        ev_rot = np.diag(load.T @ load) if phi is None else np.diag(phi @ load.T @ load)
        order = np.argsort(-ev_rot, kind="stable")
        load = load[:, order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    fit = factor_stats(r, load, phi, n_obs=n_obs, np_obs=np_obs) if stats else {}
    communality = np.diag(model)
    uniq = np.diag(r - model)
    communalities = comms
    return FAFit(
        loadings=load,
        unrotated=unrot,
        phi=phi,
        communality=communality,
        communalities=communalities,
        uniquenesses=uniq,
        values=values,
        e_values=e_values,
        converged=conv,
        rotation_converged=rot_conv,
        iterations=nit,
        stats=fit,
        rotmat=rotmat,
        messages=msgs,
    )


# ------------------------------------------------------------------ fit statistics
def _rmsea_bound(chisq: float, df: float, n_obs: float, target: float) -> float:
    """The RMSEA bound as psych finds it, with R's ``uniroot``.

    psych: ``uniroot(function(x) pchisq(chisq, df, ncp = x) - target, c(0, max))``.
    R's ``uniroot`` stops at its default tolerance (~1e-4 on the non-centrality scale);
    its steps are followed (:func:`r_uniroot`), so the bound is R's, not a more precise
    root.  NaN where R's ``uniroot`` stops with an error.
    """
    from scipy.special import chndtr  # scipy.stats.ncx2.cdf's values, without scipy.stats

    from measurelib.psychometrics._numeric import r_uniroot

    hi = max(n_obs, chisq) + 2 * n_obs

    def g(x: float) -> float:
        return float(chndtr(chisq, df, x) if x > 0 else _chi2_cdf(chisq, df)) - target

    root = r_uniroot(g, 0.0, hi)
    return math.sqrt(root / (n_obs - 1) / df)


def _chi2_cdf(x: float, df: float) -> float:
    return float(chi2_cdf(x, df))


def _chi2_sf(x: float, df: float) -> float:
    return float(chi2_sf(x, df))


def factor_stats(
    r: FloatArray,
    f: FloatArray,
    phi: FloatArray | None = None,
    n_obs: float | None = None,
    np_obs: FloatArray | None = None,
    alpha: float = 0.1,
    smooth: bool = True,
) -> dict[str, Any]:
    """``psych::factor.stats`` (``fa.stats``): fit of a factor model to a correlation matrix.

    Returns a dict with psych's names: ``dof``, ``objective``, ``STATISTIC`` (the
    likelihood chi-square), ``PVAL``, ``null_chisq``, ``null_dof``, ``null_model``, ``TLI``,
    ``RMSEA`` (estimate, lower, upper at ``1 - alpha``), ``BIC``, ``SABIC``, ``rms``,
    ``crms``, ``chi`` (empirical chi-square), ``EPVAL``, ``EBIC``, ``ESABIC``, ``fit``,
    ``fit_off``, ``complexity``, ``nh``.
    """
    n = r.shape[0]
    nfactors = f.shape[1]
    model = f @ f.T if phi is None else f @ phi @ f.T
    residual = r - model
    r2 = float(np.sum(r * r))
    rstar2 = float(np.sum(residual * residual))
    out: dict[str, Any] = {}
    dof = n * (n - 1) / 2 - n * nfactors + nfactors * (nfactors - 1) / 2
    out["dof"] = dof
    r2_off = r2 - float(np.trace(r))
    res0 = residual.copy()
    np.fill_diagonal(res0, 0.0)
    has_n = n_obs is not None and not (isinstance(n_obs, float) and math.isnan(n_obs))
    if np_obs is None:
        rstar_off = float(np.sum(res0**2))
        if has_n:
            out["chi"] = rstar_off * float(n_obs)  # type: ignore[arg-type]
            out["nh"] = float(n_obs)  # type: ignore[arg-type]
        else:
            out["chi"] = float("nan")
            out["nh"] = float("nan")
        out["rms"] = math.sqrt(rstar_off / (n * (n - 1)))
        crms_den = 2 * dof
        nh = out["nh"]
    else:
        rstar_off = float(np.sum(res0**2 * np_obs))
        rr = r * r * np_obs
        r2_off = float(np.sum(rr) - np.trace(rr))
        out["chi"] = rstar_off
        nh = 1.0 / float(np.mean(1.0 / np_obs))
        out["nh"] = nh
        out["rms"] = math.sqrt(rstar_off / (nh * n * (n - 1)))
        crms_den = 2 * nh * dof
    if dof > 0 and not math.isnan(out["chi"]):
        out["EPVAL"] = _chi2_sf(out["chi"], dof)
        out["crms"] = math.sqrt(rstar_off / crms_den)
        out["EBIC"] = out["chi"] - dof * math.log(nh)
        out["ESABIC"] = out["chi"] - dof * math.log((nh + 2) / 24)
    else:
        out["EPVAL"] = out["crms"] = out["EBIC"] = out["ESABIC"] = float("nan")
        if dof > 0:
            out["crms"] = math.sqrt(rstar_off / crms_den) if np_obs is None else out["crms"]
    out["fit"] = 1 - rstar2 / r2
    out["fit_off"] = 1 - rstar_off / r2_off
    out["complexity"] = np.sum(f**2, axis=1) ** 2 / np.sum(f**4, axis=1)
    m2 = model.copy()
    np.fill_diagonal(m2, np.diag(r))
    m2, _ = cor_smooth(m2)
    rs = cor_smooth(r)[0] if smooth else r
    try:
        m_inv_r = np.linalg.solve(m2, rs)
    except np.linalg.LinAlgError:
        m_inv_r = np.eye(n)
    sign, logdet = np.linalg.slogdet(m_inv_r)
    objective = float(np.trace(m_inv_r) - (logdet if sign > 0 else np.inf) - n)
    if math.isinf(objective):
        objective = rstar2
    out["objective"] = objective
    nm = float("nan")
    if has_n:
        nn = float(n_obs)  # type: ignore[arg-type]
        nm = (nn - 1) - (2 * n + 5) / 6 - (2 * nfactors) / 3
        chisq = objective * nm
        if chisq < 0:
            chisq = 0.0
        out["STATISTIC"] = chisq
        out["PVAL"] = _chi2_sf(chisq, dof) if dof > 0 else float("nan")
    else:
        out["STATISTIC"] = out["PVAL"] = float("nan")
    sign0, logdet0 = np.linalg.slogdet(rs)
    F0 = float(np.trace(rs) - (logdet0 if sign0 > 0 else np.inf) - n)
    if math.isinf(F0):
        F0 = r2
    Mm = objective / dof if dof != 0 else float("nan")
    M0 = F0 * 2 / (n * (n - 1))
    out["null_model"] = F0
    out["null_dof"] = n * (n - 1) / 2
    out["TLI"] = out["null_chisq"] = float("nan")
    out["RMSEA"] = [float("nan")] * 3
    out["BIC"] = out["SABIC"] = float("nan")
    if has_n:
        nn = float(n_obs)  # type: ignore[arg-type]
        out["null_chisq"] = F0 * ((nn - 1) - (2 * n + 5) / 6)
        out["TLI"] = (M0 - Mm) / (M0 - 1 / nm)
        if dof > 0:
            chisq = out["STATISTIC"]
            rmsea = math.sqrt(max(chisq / (dof * nn) - 1 / (nn - 1), 0.0))
            tail = alpha / 2
            upper = 0.0
            if _chi2_cdf(chisq, dof) > tail:
                upper = _rmsea_bound(chisq, dof, nn, tail)
                if math.isnan(upper) and rmsea <= 0:  # psych: a failed search with RMSEA 0
                    upper = 0.0
            lower = 0.0
            if _chi2_cdf(chisq, dof) > 1 - tail:
                lower = _rmsea_bound(chisq, dof, nn, 1 - tail)
            if not math.isnan(upper) and upper < rmsea:
                upper = float("nan")
            if not math.isnan(lower) and lower > rmsea:
                lower = float("nan")
            out["RMSEA"] = [rmsea, lower, upper]
            out["BIC"] = chisq - dof * math.log(nn)
            out["SABIC"] = chisq - dof * math.log((nn + 2) / 24)
    out["n_obs"] = float(n_obs) if has_n else float("nan")  # type: ignore[arg-type]
    return out
