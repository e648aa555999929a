"""Factor rotations, step for step as R's ``GPArotation`` and ``stats``/``psych`` code.

* :func:`gpf_oblique` — ``GPArotation::GPFoblq`` (gradient projection, oblique).
* :func:`gpf_orthogonal` — ``GPArotation::GPForth`` (gradient projection, orthogonal).
* :func:`varimax_stats` — ``stats::varimax`` (Kaiser normalisation, SVD iterations): what
  ``psych::fa(rotate = "varimax")`` calls.
* :func:`promax_psych` — ``psych::Promax`` (varimax then power-4 target), and
  :func:`rotate` which applies psych's wrapper for ``rotate = "promax"`` (``psych::kaiser``:
  rows weighted by the square root of their communality before ``Promax``).

Each returns a :class:`Rotation` with the rotated pattern, the factor correlations
(``None`` when orthogonal), the rotation matrix ``T`` and whether the iterations converged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from measurelib.psychometrics._numeric import DBL_EPSILON, FloatArray

__all__ = [
    "ROTATIONS",
    "Rotation",
    "gpf_oblique",
    "gpf_orthogonal",
    "promax_psych",
    "rotate",
    "varimax_stats",
]

#: Rotation names accepted by :func:`rotate` (psych's spelling).
ROTATIONS = ("oblimin", "quartimin", "geominQ", "varimax", "quartimax", "promax", "Promax", "none")


@dataclass(frozen=True)
class Rotation:
    loadings: FloatArray
    phi: FloatArray | None
    rotmat: FloatArray | None
    converged: bool
    iterations: int
    method: str


# --------------------------------------------------------------------------- criteria
def _vgq_oblimin(L: FloatArray, gam: float = 0.0) -> tuple[FloatArray, float]:
    L2 = L * L
    # (L^2) @ (1 - I): each entry is the row's sum of squares less its own square
    X = L2.sum(axis=1, keepdims=True) - L2
    if gam != 0.0:
        # (I - gam/p 11') @ X
        X = X - (gam / L.shape[0]) * X.sum(axis=0, keepdims=True)
    return L * X, float(np.vdot(L2, X)) / 4.0


def _vgq_geomin(L: FloatArray, delta: float = 0.01) -> tuple[FloatArray, float]:
    p, k = L.shape
    L2 = L**2 + delta
    pro = np.exp(np.log(L2).sum(axis=1) / k)
    return (2.0 / k) * (L / L2) * pro[:, None], float(pro.sum())


def _vgq_quartimax(L: FloatArray) -> tuple[FloatArray, float]:
    return -(L**3), float(-np.sum(np.diag((L**2).T @ (L**2))) / 4.0)


def _vgq_varimax(L: FloatArray) -> tuple[FloatArray, float]:
    QL = L**2 - (L**2).mean(axis=0)
    return -L * QL, float(-(np.sqrt(np.sum(np.diag(QL.T @ QL))) ** 2) / 4.0)


_CRITERIA = {
    "oblimin": _vgq_oblimin,
    "quartimin": _vgq_oblimin,
    "geomin": _vgq_geomin,
    "quartimax": _vgq_quartimax,
    "varimax": _vgq_varimax,
}


def gpf_oblique(
    A: FloatArray,
    method: str = "oblimin",
    Tmat: FloatArray | None = None,
    eps: float = 1e-5,
    maxit: int = 1000,
    **method_args: Any,
) -> Rotation:
    """``GPArotation::GPFoblq`` with ``normalize = FALSE`` (as psych's ``fa`` calls it).

    With numba (the ``fast`` extra) the oblimin loop runs compiled
    (:mod:`~measurelib.psychometrics.efa._gpf_kernel`); a singular or non-finite step
    there reruns this NumPy loop, so errors and warnings are NumPy's.
    """
    vgq = _CRITERIA[method]
    k = A.shape[1]
    T = np.eye(k) if Tmat is None else np.array(Tmat, dtype=np.float64)
    if method in ("oblimin", "quartimin") and set(method_args) <= {"gam"}:
        from measurelib.psychometrics.efa._gpf_kernel import oblimin_gpf

        done = oblimin_gpf(A, T, float(method_args.get("gam", 0.0)), eps, maxit)
        if done is not None:
            Lc, Tc, itc, sc = done
            return Rotation(Lc, Tc.T @ Tc, Tc, bool(sc < eps), itc, method)
    al = 1.0
    L = A @ np.linalg.inv(T).T
    Gq, f = vgq(L, **method_args)
    G = -(L.T @ Gq @ np.linalg.inv(T)).T
    s = np.inf
    it = 0
    Tt = T
    inv = np.linalg.inv
    for it in range(maxit + 1):  # noqa: B007 - the count is reported
        Gp = G - T * (T * G).sum(axis=0)  # T @ diag(colSums(T * G))
        s = math.sqrt(float(np.vdot(Gp, Gp)))
        if s < eps:
            break
        al = 2.0 * al
        for _ in range(11):
            X = T - al * Gp
            Tt = X / np.sqrt((X * X).sum(axis=0))
            Tinv = inv(Tt)
            L = A @ Tinv.T
            Gqt, ft = vgq(L, **method_args)
            if f - ft > 0.5 * s * s * al:
                break
            al = al / 2.0
        T = Tt
        f = ft
        G = -(Tinv.T @ Gqt.T @ L)
    converged = bool(s < eps)
    return Rotation(L, T.T @ T, T, converged, it, method)


def gpf_orthogonal(
    A: FloatArray,
    method: str = "varimax",
    Tmat: FloatArray | None = None,
    eps: float = 1e-5,
    maxit: int = 1000,
    **method_args: Any,
) -> Rotation:
    """``GPArotation::GPForth`` with ``normalize = FALSE``."""
    vgq = _CRITERIA[method]
    k = A.shape[1]
    T = np.eye(k) if Tmat is None else np.array(Tmat, dtype=np.float64)
    al = 1.0
    L = A @ T
    Gq, f = vgq(L, **method_args)
    G = A.T @ Gq
    s = np.inf
    it = 0
    Tt = T
    for it in range(maxit + 1):  # noqa: B007 - the count is reported
        M = T.T @ G
        S = (M + M.T) / 2.0
        Gp = G - T @ S
        s = float(np.sqrt(np.sum(Gp * Gp)))
        if s < eps:
            break
        al = 2.0 * al
        for _ in range(11):
            X = T - al * Gp
            u, _d, vt = np.linalg.svd(X)
            Tt = u @ vt
            L = A @ Tt
            Gqt, ft = vgq(L, **method_args)
            if ft < f - 0.5 * s**2 * al:
                break
            al = al / 2.0
        T = Tt
        f = ft
        G = A.T @ Gqt
    return Rotation(L, None, T, bool(s < eps), it, method)


def varimax_stats(x: FloatArray, normalize: bool = True, eps: float = 1e-5) -> Rotation:
    """``stats::varimax``: Kaiser-normalised varimax by SVD iterations (at most 1000)."""
    nc = x.shape[1]
    if nc < 2:
        return Rotation(x.copy(), None, np.eye(nc), True, 0, "varimax")
    sc = np.sqrt(np.sum(x**2, axis=1))
    z0 = x / sc[:, None] if normalize else x
    p = z0.shape[0]
    TT = np.eye(nc)
    d = 0.0
    converged = False
    i = 0
    for i in range(1, 1001):  # noqa: B007 - the count is reported
        z = z0 @ TT
        B = z0.T @ (z**3 - z @ np.diag(np.ones(p) @ z**2) / p)
        u, sv, vt = np.linalg.svd(B)
        TT = u @ vt
        dpast = d
        d = float(np.sum(sv))
        if d < dpast * (1 + eps):
            converged = True
            break
    z = z0 @ TT
    if normalize:
        z = z * sc[:, None]
    return Rotation(z, None, TT, converged, i, "varimax")


def promax_psych(x: FloatArray, m: float = 4.0) -> Rotation:
    """``psych::Promax``: ``stats::varimax`` then the power-``m`` target by least squares."""
    if x.shape[1] < 2:
        return Rotation(x.copy(), None, None, True, 0, "Promax")
    xx = varimax_stats(x)
    xv = xx.loadings
    Q = xv * np.abs(xv) ** (m - 1)
    U = np.linalg.lstsq(xv, Q, rcond=None)[0]
    try:
        d = np.diag(np.linalg.inv(U.T @ U))
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(U.T @ U)
        vals = np.where(vals < DBL_EPSILON, 100 * DBL_EPSILON, vals)
        UU = (vecs * vals) @ vecs.T
        np.fill_diagonal(UU, 1.0)
        d = np.diag(np.linalg.inv(UU))
    U = U @ np.diag(np.sqrt(d))
    z = xv @ U
    U = xx.rotmat @ U if xx.rotmat is not None else U
    ui = np.linalg.inv(U)
    phi = ui @ ui.T
    return Rotation(z, phi, U, xx.converged, xx.iterations, "Promax")


def rotate(loadings: FloatArray, method: str) -> Rotation:
    """Rotate unrotated loadings as ``psych::fa(..., rotate = method)`` does (before sorting).

    ``"promax"`` is psych's wrapper ``kaiser(loadings, rotate = "Promax")``: rows are divided
    by the square root of their communality, rotated by ``Promax`` (power 4), and scaled back.
    """
    L = np.asarray(loadings, dtype=np.float64)
    if method == "none" or L.shape[1] < 2:
        return Rotation(L.copy(), None, None, True, 0, method)
    if method in ("oblimin", "quartimin"):
        return gpf_oblique(L, "oblimin", gam=0.0)
    if method == "geominQ":
        return gpf_oblique(L, "geomin", delta=0.01)
    if method == "varimax":
        return varimax_stats(L)
    if method == "quartimax":
        return gpf_orthogonal(L, "quartimax")
    if method == "Promax":
        return promax_psych(L)
    if method == "promax":
        h2 = np.sum(L**2, axis=1)
        w = np.sqrt(h2)
        r = promax_psych(L / w[:, None])
        return Rotation(
            r.loadings * w[:, None], r.phi, r.rotmat, r.converged, r.iterations, "promax"
        )
    raise ValueError(
        f"rotation must be one of {', '.join(repr(m) for m in ROTATIONS)}; got {method!r}"
    )
