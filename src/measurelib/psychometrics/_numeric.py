"""Numerical kernels shared by the factor-analysis modules.

* :func:`brent_fmin` — R's ``optimize()``: Brent's minimiser (Brent 1973, *Algorithms for
  Minimization without Derivatives*, ch. 5; the public-domain netlib ``fmin`` of Forsythe,
  Malcolm & Moler 1977, which R's ``optimize()`` uses), vectorised so that many independent
  one-dimensional problems advance in lock step with exactly the iterates R makes.
* :func:`r_uniroot` — R's ``uniroot()``: Brent's zero finder (Brent 1973, ch. 4) in the
  form of netlib's public-domain C ``zeroin``, with ``uniroot``'s defaults.
* :func:`bvn_rect` — bivariate normal rectangle probabilities with Genz's ``BVNU``
  (Drezner–Wesolowsky with Gauss–Legendre quadrature, ~1e-15 accuracy), the routine
  that ``mnormt::sadmvn`` calls (through ``biv.nt.prob``) for two dimensions.
* :func:`cor_smooth` — ``psych::cor.smooth``.
* :func:`smc` — ``psych::smc`` (squared multiple correlations through a pseudo-inverse).
* :func:`chi2_sf`, :func:`chi2_cdf`, :func:`f_ppf`, :func:`norm_ppf` — the distribution
  functions the statistics need, from ``scipy.special`` (the functions ``scipy.stats``
  itself calls, so the values are the same) without importing ``scipy.stats``, which
  takes about 0.3 s and would be most of a small ``assess``.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

F = TypeVar("F", bound=Callable[..., Any])

FloatArray = NDArray[np.float64]

DBL_EPSILON = float(np.finfo(np.float64).eps)
DBL_MAX = float(np.finfo(np.float64).max)
#: R's default tolerance of ``optimize()``: ``.Machine$double.eps^0.25``.
R_OPTIMIZE_TOL = DBL_EPSILON**0.25

_TWOPI = 2.0 * math.pi


def r_uniroot(f: Callable[[float], float], lower: float, upper: float,
              tol: float = R_OPTIMIZE_TOL, maxiter: int = 1000) -> float:
    """A zero of ``f`` in ``[lower, upper]`` by Brent's method, as R's ``uniroot()`` finds it.

    The algorithm is Brent's (R. P. Brent, *Algorithms for Minimization without
    Derivatives*, Prentice-Hall 1973, ch. 4, procedure ``zero``), in the form of the
    public-domain netlib C ``zeroin`` (netlib ``c/brent.shar``): keep a bracket ``[b, c]``
    with ``f(b)`` and ``f(c)`` of opposite signs and ``b`` the better end; each step is the
    secant (two distinct points) or inverse quadratic interpolation (three) through the last
    points, accepted only if it falls well inside the bracket and is less than half of the
    previous step, and otherwise bisection; no step is shorter than the actual tolerance
    ``2 eps |b| + tol / 2``.  R's ``uniroot`` uses this form with the documented defaults
    ``tol = .Machine$double.eps^0.25`` and ``maxiter = 1000``, and returns an end point at
    which ``f`` is exactly zero.  That tolerance is loose (~1e-4), so the root agrees with
    R's to rounding only because the steps are the same ones.

    Returns NaN where ``uniroot`` stops with an error: ``f`` not finite at an end point,
    or of the same sign at both.
    """
    f_lo, f_hi = f(lower), f(upper)
    if not (math.isfinite(f_lo) and math.isfinite(f_hi)) or f_lo * f_hi > 0:
        return float("nan")
    if f_lo == 0.0:
        return lower
    if f_hi == 0.0:
        return upper
    # b: current estimate; a: the previous one; c: the end of the bracket opposite to b
    a, fa, b, fb = lower, f_lo, upper, f_hi
    c, fc = a, fa
    for _ in range(maxiter + 1):
        step_before = b - a
        if abs(fc) < abs(fb):  # b must be the end with the smaller residual
            a, fa = b, fb
            b, fb = c, fc
            c, fc = a, fa
        tol_b = 2 * DBL_EPSILON * abs(b) + tol / 2
        half = (c - b) / 2
        if abs(half) <= tol_b or fb == 0.0:
            return b
        step = half  # bisection unless interpolation is acceptable
        if abs(step_before) >= tol_b and abs(fa) > abs(fb):
            step = _interpolation_step(a, fa, b, fb, c, fc, step_before, tol_b, half)
        if abs(step) < tol_b:
            step = tol_b if step > 0 else -tol_b
        a, fa = b, fb
        b += step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def _interpolation_step(a: float, fa: float, b: float, fb: float, c: float, fc: float,
                        step_before: float, tol_b: float, half: float) -> float:
    """Brent's interpolation step from ``b``, or ``half`` (bisection) if it is rejected.

    Secant when ``a == c``, otherwise inverse quadratic interpolation through ``(a, fa)``,
    ``(b, fb)``, ``(c, fc)``; the step ``p / q`` is kept with ``p >= 0`` and is accepted
    only if ``2p < 3 (c - b) q - |tol q|`` (it lands well inside the bracket) and
    ``p < |step_before q / 2|`` (it is less than half the previous step).
    """
    cb = c - b
    if a == c:
        s = fb / fa
        p = cb * s
        q = 1.0 - s
    else:
        qa = fa / fc
        r = fb / fc
        s = fb / fa
        p = s * (cb * qa * (qa - r) - (b - a) * (r - 1.0))
        q = (qa - 1.0) * (r - 1.0) * (s - 1.0)
    if p > 0:
        q = -q
    else:
        p = -p
    if p < (0.75 * cb * q - abs(tol_b * q) / 2) and p < abs(step_before * q / 2):
        return p / q
    return half


def brent_fmin(
    f: Callable[[FloatArray, NDArray[np.intp]], FloatArray],
    n: int,
    lower: float = -1.0,
    upper: float = 1.0,
    tol: float = R_OPTIMIZE_TOL,
) -> tuple[FloatArray, FloatArray]:
    """Minimise ``n`` independent functions on ``[lower, upper]`` as R's ``optimize()``.

    ``f(x, idx)`` evaluates the functions numbered ``idx`` at the points ``x`` (same
    length) and returns their values.  Every problem follows exactly the sequence of
    golden-section and parabolic steps of R's ``Brent_fmin`` (same interval, same
    tolerance), so the minima agree with R's to the last bits rather than only to
    ``tol``.  Non-finite values are replaced by the largest double, as R does.

    Returns the minima and the objective at the minima (``optimize()$minimum`` and
    ``$objective``).
    """

    def fe(xx: FloatArray, idx: NDArray[np.intp]) -> FloatArray:
        val = np.asarray(f(xx, idx), dtype=np.float64)
        return np.where(np.isfinite(val), val, DBL_MAX)

    c = (3.0 - math.sqrt(5.0)) * 0.5
    eps = math.sqrt(DBL_EPSILON)
    a = np.full(n, float(lower))
    b = np.full(n, float(upper))
    v = a + c * (b - a)
    w = v.copy()
    x = v.copy()
    d = np.zeros(n)
    e = np.zeros(n)
    allidx = np.arange(n, dtype=np.intp)
    fx = fe(x, allidx) if n else np.zeros(0)
    fv = fx.copy()
    fw = fx.copy()
    tol3 = tol / 3.0
    active = np.ones(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        while True:
            xm = (a + b) * 0.5
            tol1 = eps * np.abs(x) + tol3
            t2 = tol1 * 2.0
            active &= ~(np.abs(x - xm) <= t2 - (b - a) * 0.5)
            if not active.any():
                break
            fit = np.abs(e) > tol1
            r_ = (x - w) * (fx - fv)
            q_ = (x - v) * (fx - fw)
            p_ = (x - v) * q_ - (x - w) * r_
            q_ = (q_ - r_) * 2.0
            p_ = np.where(q_ > 0.0, -p_, p_)
            q_ = np.abs(q_)
            p = np.where(fit, p_, 0.0)
            q = np.where(fit, q_, 0.0)
            r = np.where(fit, e, 0.0)
            e = np.where(fit & active, d, e)
            golden = (np.abs(p) >= np.abs(q * 0.5 * r)) | (p <= q * (a - x)) | (p >= q * (b - x))
            e_g = np.where(x < xm, b - x, a - x)
            d_g = c * e_g
            d_p = p / q
            u_p = x + d_p
            near = (u_p - a < t2) | (b - u_p < t2)
            d_p = np.where(near, np.where(x >= xm, -tol1, tol1), d_p)
            e = np.where(golden & active, e_g, e)
            d_new = np.where(golden, d_g, d_p)
            d = np.where(active, d_new, d)
            u = np.where(np.abs(d) >= tol1, x + d, np.where(d > 0.0, x + tol1, x - tol1))
            idx = np.nonzero(active)[0]
            fu = np.full(n, np.nan)
            fu[idx] = fe(u[idx], idx)
            le = active & (fu <= fx)
            gt = active & ~(fu <= fx)
            ult = u < x
            # fu <= fx: the new point becomes the best one
            nb = np.where(le & ult, x, b)
            na = np.where(le & ~ult, x, a)
            # fu > fx: shrink the bracket towards x
            na = np.where(gt & ult, u, na)
            nb = np.where(gt & ~ult, u, nb)
            c1 = gt & ((fu <= fw) | (w == x))
            c2 = gt & ~c1 & ((fu <= fv) | (v == x) | (v == w))
            nv = np.where(le, w, np.where(c1, w, np.where(c2, u, v)))
            nfv = np.where(le, fw, np.where(c1, fw, np.where(c2, fu, fv)))
            nw = np.where(le, x, np.where(c1, u, w))
            nfw = np.where(le, fx, np.where(c1, fu, fw))
            nx = np.where(le, u, x)
            nfx = np.where(le, fu, fx)
            a, b, v, fv, w, fw, x, fx = na, nb, nv, nfv, nw, nfw, nx, nfx
    obj = fe(x, allidx) if n else np.zeros(0)
    return x, obj


# Gauss-Legendre half-rules of Genz's BVNU (6, 12 and 20 points).
def _gl_half(npts: int) -> tuple[FloatArray, FloatArray]:
    xs, ws = np.polynomial.legendre.leggauss(npts)
    keep = xs < 0
    return xs[keep], ws[keep]


_GL = [_gl_half(6), _gl_half(12), _gl_half(20)]


def _phi(z: FloatArray) -> FloatArray:
    from scipy.special import ndtr

    return np.asarray(ndtr(z), dtype=np.float64)


def r_sum(x: Any) -> Any:
    """R's ``sum()`` over the last axis: the terms added one after another in extended
    precision (``long double``), rounded once to a double (0 for no terms).

    psych's objectives are R sums; on flat stretches an optimiser follows their last bits.
    """
    x = np.asarray(x)
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1]) if x.ndim > 1 else 0.0
    out = np.cumsum(x, axis=-1, dtype=np.longdouble)[..., -1].astype(np.float64)
    return float(out) if out.ndim == 0 else out


def chi2_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.chi2.sf(x, df)``: the same values and edges (``x < 0`` gives 1, ``df``
    not above 0 gives NaN); a float for scalars, an array otherwise.
    """
    from scipy.special import chdtrc

    return _chi2(chdtrc, x, df)


def chi2_cdf(x: Any, df: Any) -> Any:
    """``scipy.stats.chi2.cdf(x, df)``: the same values and edges (``x < 0`` gives 0)."""
    from scipy.special import chdtr

    return _chi2(chdtr, x, df)


def _chi2(fn: Any, x: Any, df: Any) -> Any:
    xs, dfs = np.asarray(x, dtype=np.float64), np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.where(dfs > 0, fn(dfs, np.maximum(xs, 0.0)), np.nan)
    return float(out) if out.ndim == 0 else out


def f_ppf(q: float, dfn: float, dfd: float) -> float:
    """``scipy.stats.f.ppf(q, dfn, dfd)``."""
    from scipy.special import fdtri

    return float(fdtri(dfn, dfd, q))


def norm_ppf(q: Any) -> Any:
    """``scipy.stats.norm.ppf(q)``."""
    from scipy.special import ndtri

    out = ndtri(np.asarray(q, dtype=np.float64))
    return float(out) if np.ndim(out) == 0 else out


def bvnu(h: FloatArray, k: FloatArray, r: FloatArray) -> FloatArray:
    """Upper bivariate normal probability ``P(X > h, Y > k)`` with correlation ``r``.

    Genz's ``BVNU`` (Drezner & Wesolowsky 1990, Genz 2004), the algorithm behind
    ``mnormt::biv.nt.prob`` and ``mvtnorm::pmvnorm`` for two dimensions.  Inputs are
    finite arrays of one shape.
    """
    h, k, r = np.broadcast_arrays(
        np.asarray(h, dtype=np.float64),
        np.asarray(k, dtype=np.float64),
        np.asarray(r, dtype=np.float64),
    )
    shape = h.shape
    h = h.ravel()
    k = k.ravel()
    r = r.ravel()
    out = np.empty(h.shape, dtype=np.float64)
    absr = np.abs(r)
    ng = np.where(absr < 0.3, 0, np.where(absr < 0.75, 1, 2))
    with np.errstate(all="ignore"):
        for g in range(3):
            xg, wg = _GL[g]
            sel_g = ng == g
            # |r| < 0.925
            sel = sel_g & (absr < 0.925)
            if sel.any():
                hh, kk, rr = h[sel], k[sel], r[sel]
                hk = hh * kk
                hs = (hh * hh + kk * kk) / 2.0
                asr = np.arcsin(rr)
                bvn = np.zeros(hh.shape)
                for xi, wi in zip(xg, wg, strict=True):
                    sn = np.sin(asr * (xi + 1.0) / 2.0)
                    bvn = bvn + wi * np.exp((sn * hk - hs) / (1.0 - sn * sn))
                    sn = np.sin(asr * (-xi + 1.0) / 2.0)
                    bvn = bvn + wi * np.exp((sn * hk - hs) / (1.0 - sn * sn))
                out[sel] = bvn * asr / (2.0 * _TWOPI) + _phi(-hh) * _phi(-kk)
            sel = sel_g & ~(absr < 0.925)
            if sel.any():
                hh, kk, rr = h[sel], k[sel].copy(), r[sel]
                hk = hh * kk
                neg = rr < 0
                kk = np.where(neg, -kk, kk)
                hk = np.where(neg, -hk, hk)
                bvn = np.zeros(hh.shape)
                lt1 = np.abs(rr) < 1.0
                if lt1.any():
                    h1, k1, hk1, r1 = hh[lt1], kk[lt1], hk[lt1], rr[lt1]
                    as_ = (1.0 - r1) * (1.0 + r1)
                    a = np.sqrt(as_)
                    bs = (h1 - k1) ** 2
                    c = (4.0 - hk1) / 8.0
                    d = (12.0 - hk1) / 16.0
                    val = (
                        a
                        * np.exp(-(bs / as_ + hk1) / 2.0)
                        * (
                            1.0
                            - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0
                            + c * d * as_ * as_ / 5.0
                        )
                    )
                    b = np.sqrt(bs)
                    corr = (
                        np.exp(-hk1 / 2.0)
                        * math.sqrt(_TWOPI)
                        * _phi(-b / a)
                        * b
                        * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0)
                    )
                    val = np.where(hk1 > -160.0, val - corr, val)
                    a = a / 2.0
                    for xi, wi in zip(xg, wg, strict=True):
                        xs = (a * (xi + 1.0)) ** 2
                        rs = np.sqrt(1.0 - xs)
                        val = val + a * wi * (
                            np.exp(-bs / (2.0 * xs) - hk1 / (1.0 + rs)) / rs
                            - np.exp(-(bs / xs + hk1) / 2.0) * (1.0 + c * xs * (1.0 + d * xs))
                        )
                        xs = as_ * (-xi + 1.0) ** 2 / 4.0
                        rs = np.sqrt(1.0 - xs)
                        val = val + a * wi * np.exp(-(bs / xs + hk1) / 2.0) * (
                            np.exp(-hk1 * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
                            - (1.0 + c * xs * (1.0 + d * xs))
                        )
                    bvn[lt1] = -val / _TWOPI
                pos = rr > 0
                bvn = np.where(pos, bvn + _phi(-np.maximum(hh, kk)), bvn)
                bvn = np.where(neg, -bvn + np.maximum(0.0, _phi(-hh) - _phi(-kk)), bvn)
                out[sel] = bvn
    return out.reshape(shape)


def bvn_rect(
    lower1: FloatArray,
    upper1: FloatArray,
    lower2: FloatArray,
    upper2: FloatArray,
    r: FloatArray,
) -> FloatArray:
    """``P(l1 < X < u1, l2 < Y < u2)`` for standard bivariate normals with correlation ``r``.

    Follows ``mnormt::sadmvn`` → ``biv.nt.prob`` → Genz's ``BVNMVN`` case by case
    (infinite limits, degenerate rectangles), so the probabilities are those R uses.
    """
    l1, u1, l2, u2, rr = (
        np.asarray(a, dtype=np.float64).ravel()
        for a in np.broadcast_arrays(lower1, upper1, lower2, upper2, r)
    )
    shape = np.broadcast_shapes(
        np.shape(lower1), np.shape(upper1), np.shape(lower2), np.shape(upper2), np.shape(r)
    )

    def code(lo: FloatArray, up: FloatArray) -> NDArray[np.int_]:
        inf_lo = np.isneginf(lo)
        inf_up = np.isposinf(up)
        return np.where(inf_lo & inf_up, -1, np.where(inf_up, 1, np.where(inf_lo, 0, 2)))

    i1 = code(l1, u1)
    i2 = code(l2, u2)
    out = np.zeros(l1.shape)
    # finite stand-ins so that unused branches stay quiet
    fl1 = np.where(np.isfinite(l1), l1, 0.0)
    fu1 = np.where(np.isfinite(u1), u1, 0.0)
    fl2 = np.where(np.isfinite(l2), l2, 0.0)
    fu2 = np.where(np.isfinite(u2), u2, 0.0)
    degenerate = (l1 == u1) | (l2 == u2)
    one_dim = ~degenerate & ((i1 == -1) | (i2 == -1))
    if one_dim.any():
        both = one_dim & (i1 == -1) & (i2 == -1)
        out[both] = 1.0
        s1 = one_dim & (i1 != -1) & (i2 == -1)
        out[s1] = _phi(u1[s1]) - _phi(l1[s1])
        s2 = one_dim & (i2 != -1) & (i1 == -1)
        out[s2] = _phi(u2[s2]) - _phi(l2[s2])
    two = ~degenerate & ~one_dim
    cases: list[tuple[int, int, list[tuple[float, FloatArray, FloatArray, float]]]] = [
        (
            2,
            2,
            [
                (1.0, fl1, fl2, 1.0),
                (-1.0, fu1, fl2, 1.0),
                (-1.0, fl1, fu2, 1.0),
                (1.0, fu1, fu2, 1.0),
            ],
        ),
        (2, 1, [(1.0, fl1, fl2, 1.0), (-1.0, fu1, fl2, 1.0)]),
        (1, 2, [(1.0, fl1, fl2, 1.0), (-1.0, fl1, fu2, 1.0)]),
        (2, 0, [(1.0, -fu1, -fu2, 1.0), (-1.0, -fl1, -fu2, 1.0)]),
        (0, 2, [(1.0, -fu1, -fu2, 1.0), (-1.0, -fu1, -fl2, 1.0)]),
        (1, 0, [(1.0, fl1, -fu2, -1.0)]),
        (0, 1, [(1.0, -fu1, fl2, -1.0)]),
        (1, 1, [(1.0, fl1, fl2, 1.0)]),
        (0, 0, [(1.0, -fu1, -fu2, 1.0)]),
    ]
    for c1, c2, terms in cases:
        sel = two & (i1 == c1) & (i2 == c2)
        if not sel.any():
            continue
        acc = np.zeros(int(sel.sum()))
        for sign, hh, kk, rsign in terms:
            acc = acc + sign * bvnu(hh[sel], kk[sel], rsign * rr[sel])
        out[sel] = acc
    return out.reshape(shape)


def cor_smooth(r: FloatArray, eig_tol: float = 1e-12) -> tuple[FloatArray, bool]:
    """``psych::cor.smooth``: rescale eigenvalues when the matrix is not positive definite.

    Returns the (possibly) smoothed matrix and whether smoothing was done.
    """
    vals, vecs = np.linalg.eigh(r)
    if vals.min() < DBL_EPSILON:
        vals = np.where(vals < eig_tol, 100.0 * eig_tol, vals)
        nvar = r.shape[0]
        vals = vals * nvar / vals.sum()
        x = (vecs * vals) @ vecs.T
        s = 1.0 / np.sqrt(np.diag(x))
        x = x * s[:, None] * s[None, :]
        return x, True
    return r, False


def pinv(x: FloatArray) -> FloatArray:
    """``psych::Pinv``: Moore–Penrose inverse via the SVD (tolerance ``sqrt(eps)``)."""
    u, s, vt = np.linalg.svd(x)
    tol = math.sqrt(DBL_EPSILON)
    keep = s > tol * s[0]
    if not keep.any():
        return np.zeros_like(x.T)
    out: FloatArray = (vt[keep].T / s[keep]) @ u[:, keep].T
    return out


def smc(r: FloatArray) -> FloatArray:
    """``psych::smc`` for a correlation matrix: ``1 - 1/diag(Pinv(R))`` clipped to [0, 1]."""
    d = np.sqrt(np.diag(r))
    rr = r / d[:, None] / d[None, :]
    inv = pinv(rr)
    out = 1.0 - 1.0 / np.diag(inv)
    if np.all(np.isnan(out)):
        out = np.ones_like(out)
    out = np.where(out > 1.0, 1.0, out)
    out = np.where(out < 0.0, 0.0, out)
    return np.asarray(out, dtype=np.float64)


def single_thread() -> Any:
    """Limit BLAS/LAPACK to one thread (small dense problems run faster that way).

    scipy.linalg is imported first: threadpoolctl limits only the BLAS libraries already
    loaded, and scipy brings its own OpenBLAS. threadpoolctl is a dependency of measurelib.
    """
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    # finding the loaded libraries reads /proc (about 3 ms): done again only when
    # modules have been imported since, which is how another BLAS would arrive
    key = len(sys.modules)
    if _CONTROLLER.get("key") != key:
        _CONTROLLER["controller"] = ThreadpoolController()
        _CONTROLLER["key"] = key
    return _CONTROLLER["controller"].limit(limits=1)


_CONTROLLER: dict[str, Any] = {}


_POLICY = threading.local()


def blas_policy(fn: F) -> F:
    """Run ``fn`` under the one BLAS thread policy of measurelib.psychometrics.

    Psychometric computations are many small dense problems (eigen-decompositions,
    inverses and products of k x k matrices, k = the number of items) after at most a few
    large cross-products. Multi-threaded BLAS loses on the small problems, by as much as
    25 times on a 50 x 50 eigen-decomposition on a busy machine, and gains less than 2 on
    the cross-products, so every public function of this package runs with one BLAS
    thread. The policy is entered once at the outermost call (nested public functions
    run under it without entering again). BLAS thread counts are per process: a program
    that runs psychometrics in several threads at once shares the one-thread limit.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_POLICY, "active", False):
            return fn(*args, **kwargs)
        _POLICY.active = True
        try:
            with single_thread():
                return fn(*args, **kwargs)
        finally:
            _POLICY.active = False

    return wrapper  # type: ignore[return-value]


def as_float_matrix(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)
