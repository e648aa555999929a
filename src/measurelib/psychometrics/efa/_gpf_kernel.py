"""GPArotation's oblique gradient projection with the oblimin criterion, as one scalar loop.

The loop of :func:`measurelib.psychometrics.efa._rotation.gpf_oblique` written out element
by element, for numba (:mod:`measurelib.psychometrics._jit`): the same steps in the same
order (step doubling, at most 11 halvings, the same acceptance test, the same iterate
returned after ``maxit``), with the k x k inverse by LU with partial pivoting (LAPACK's
``dgesv``, which NumPy's ``inv`` calls). Results agree with the NumPy loop to rounding.

It reports a status instead of raising or warning: 0 done, 1 a singular matrix or a
non-finite value met. On status 1 the caller runs the NumPy loop from the start, so
degenerate inputs raise and warn exactly as they always did.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from measurelib.psychometrics._jit import kernel

__all__ = ["oblimin_gpf"]


def _inverse(T: Any, out: Any, lu: Any, piv: Any) -> bool:
    """``out = inv(T)`` by LU with partial pivoting; False when T is singular."""
    k = T.shape[0]
    for i in range(k):
        for j in range(k):
            lu[i, j] = T[i, j]
    for c in range(k):
        best = c
        big = abs(lu[c, c])
        for r in range(c + 1, k):
            v = abs(lu[r, c])
            if v > big:
                big = v
                best = r
        piv[c] = best
        if big == 0.0 or big != big:
            return False
        if best != c:
            for j in range(k):
                tmp = lu[c, j]
                lu[c, j] = lu[best, j]
                lu[best, j] = tmp
        d = lu[c, c]
        for r in range(c + 1, k):
            lu[r, c] = lu[r, c] / d
            m = lu[r, c]
            for j in range(c + 1, k):
                lu[r, j] -= m * lu[c, j]
    # solve LU x = P e_j for every column j of the identity
    for j in range(k):
        for i in range(k):
            out[i, j] = 1.0 if i == j else 0.0
    for c in range(k):
        p = piv[c]
        if p != c:
            for j in range(k):
                tmp = out[c, j]
                out[c, j] = out[p, j]
                out[p, j] = tmp
    for j in range(k):
        for i in range(k):
            acc = out[i, j]
            for m2 in range(i):
                acc -= lu[i, m2] * out[m2, j]
            out[i, j] = acc
        for i in range(k - 1, -1, -1):
            acc = out[i, j]
            for m2 in range(i + 1, k):
                acc -= lu[i, m2] * out[m2, j]
            out[i, j] = acc / lu[i, i]
    return True


def _criterion(A: Any, Tinv: Any, gam: float, L: Any, Gq: Any, colsum: Any) -> float:
    """``L = A @ Tinv.T``; oblimin's gradient ``Gq`` and value (GPArotation's ``vgQ.oblimin``)."""
    p, k = A.shape
    f = 0.0
    for i in range(p):
        rs = 0.0
        for j in range(k):
            acc = 0.0
            for c in range(k):
                acc += A[i, c] * Tinv[j, c]
            L[i, j] = acc
            rs += acc * acc
        for j in range(k):
            Gq[i, j] = rs - L[i, j] * L[i, j]  # row sum of squares less its own square
    if gam != 0.0:
        for j in range(k):
            acc = 0.0
            for i in range(p):
                acc += Gq[i, j]
            colsum[j] = gam / p * acc
        for i in range(p):
            for j in range(k):
                Gq[i, j] -= colsum[j]
    for i in range(p):
        for j in range(k):
            sq = L[i, j] * L[i, j]
            f += sq * Gq[i, j]
            Gq[i, j] = L[i, j] * Gq[i, j]
    return f / 4.0


def _gradient(Tinv: Any, Gq: Any, L: Any, M: Any, G: Any) -> None:
    """``G = -(Tinv.T @ Gq.T @ L)``."""
    p, k = L.shape
    for a in range(k):
        for b in range(k):
            acc = 0.0
            for i in range(p):
                acc += Gq[i, a] * L[i, b]
            M[a, b] = acc
    for a in range(k):
        for b in range(k):
            acc = 0.0
            for c in range(k):
                acc += Tinv[c, a] * M[c, b]
            G[a, b] = -acc


def _oblimin_gpf(A: Any, T: Any, gam: float, eps: float, maxit: int,
                 L: Any) -> tuple[int, int, float]:
    """The GPFoblq loop; ``T`` (the start) is updated in place, ``L`` receives the pattern.

    Returns (status, iterations, s): status 0 done, 1 singular or non-finite (use NumPy).
    """
    p, k = A.shape
    Tinv = np.empty((k, k))
    lu = np.empty((k, k))
    piv = np.empty(k, dtype=np.int64)
    Gq = np.empty((p, k))
    Lt = np.empty((p, k))
    Gqt = np.empty((p, k))
    colsum = np.empty(k)
    M = np.empty((k, k))
    G = np.empty((k, k))
    Gp = np.empty((k, k))
    Tt = np.empty((k, k))
    Tinvt = np.empty((k, k))
    if not _inverse(T, Tinv, lu, piv):
        return 1, 0, math.inf
    f = _criterion(A, Tinv, gam, L, Gq, colsum)
    _gradient(Tinv, Gq, L, M, G)
    al = 1.0
    s = math.inf
    it = 0
    for it in range(maxit + 1):
        # Gp = G - T @ diag(colSums(T * G))
        ss = 0.0
        for b in range(k):
            acc = 0.0
            for a in range(k):
                acc += T[a, b] * G[a, b]
            for a in range(k):
                v = G[a, b] - T[a, b] * acc
                Gp[a, b] = v
                ss += v * v
        s = math.sqrt(ss)
        if not math.isfinite(s):
            return 1, it, s
        if s < eps:
            break
        al = 2.0 * al
        ft = 0.0
        for _ in range(11):
            for b in range(k):
                acc = 0.0
                for a in range(k):
                    v = T[a, b] - al * Gp[a, b]
                    Tt[a, b] = v
                    acc += v * v
                nrm = math.sqrt(acc)
                for a in range(k):
                    Tt[a, b] = Tt[a, b] / nrm
            if not _inverse(Tt, Tinvt, lu, piv):
                return 1, it, s
            ft = _criterion(A, Tinvt, gam, Lt, Gqt, colsum)
            if not math.isfinite(ft):
                return 1, it, s
            if f - ft > 0.5 * s * s * al:
                break
            al = al / 2.0
        for a in range(k):
            for b in range(k):
                T[a, b] = Tt[a, b]
                Tinv[a, b] = Tinvt[a, b]
        for i in range(p):
            for j in range(k):
                L[i, j] = Lt[i, j]
        f = ft
        _gradient(Tinv, Gqt, L, M, G)
    return 0, it, s


_KERNEL = kernel(_oblimin_gpf, _inverse, _criterion, _gradient)


def oblimin_gpf(A: Any, T: Any, gam: float, eps: float,
                maxit: int) -> tuple[Any, Any, int, float] | None:
    """Run the compiled loop: ``(L, T, iterations, s)``, or None (no numba, or status 1).

    ``T`` is the starting rotation (not modified).
    """
    fn = _KERNEL.get()
    if fn is None:
        return None
    A = np.ascontiguousarray(A, dtype=np.float64)
    T = np.array(T, dtype=np.float64, order="C")
    L = np.empty_like(A)
    try:
        status, it, s = fn(A, T, float(gam), float(eps), int(maxit), L)
    except Exception:  # noqa: BLE001 - numba could not compile or load it: NumPy's loop
        _KERNEL.disable()
        return None
    if status != 0:
        return None
    return L, T, int(it), float(s)
