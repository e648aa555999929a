r"""Category response functions of the unidimensional IRT models, with derivatives.

Every model is written in mirt's slope–intercept form. An item with ``K`` categories
(scored ``0..K-1``) has the parameter vector ``beta = (a, d_1, ..., d_{K-1})``.

``graded`` (Samejima, 1969), also the 2PL when ``K = 2``:

.. math:: P^*_k(\theta) = \frac{1}{1 + e^{-(a\theta + d_k)}},\quad
          P_c = P^*_c - P^*_{c+1},\ P^*_0 = 1,\ P^*_K = 0.

``gpcm`` (Muraki, 1992), also the partial credit and rating scale models:

.. math:: P_c(\theta) = \frac{e^{c a\theta + d_c}}{\sum_{m=0}^{K-1} e^{m a\theta + d_m}},
          \quad d_0 = 0.

Functions are vectorised over a leading axis of items that share a kind and a number of
categories; ``theta`` is the quadrature grid (or any vector of abilities).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["KINDS", "graded_newton", "item_derivatives", "item_probs", "item_theta_derivatives"]

KINDS = ("graded", "gpcm")
_TINY = 1e-300


def _graded_parts(beta: Any, theta: Any) -> tuple[Any, Any, Any, Any]:
    r"""Boundary curves and category probabilities of graded items, without cancellation.

    Returns ``ps`` (n, K+1, Q) with :math:`P^*_0 = 1`, :math:`P^*_K = 0`, ``qs`` its
    complement :math:`1 - P^*` computed as :math:`\sigma(-z)` (not as a difference),
    ``w`` :math:`= P^*(1 - P^*)` and ``p`` (n, K, Q). A middle category's probability is
    :math:`P^*_c - P^*_{c+1} = \sigma(z_c)\,\sigma(-z_{c+1})\,(1 - e^{z_{c+1} - z_c})`,
    which keeps its relative precision where both curves round to 1 (steep items, the
    ends of the grid): the plain difference is then exactly 0, which made calibrations
    stop short of the maximum (a category "impossible" at a far quadrature point).
    The logistic is ``scipy.special.expit`` (no overflow for any slope).
    """
    from scipy.special import expit

    beta = np.asarray(beta, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n, k = beta.shape
    q = theta.shape[-1]
    z = beta[:, 0][:, None, None] * theta + beta[:, 1:][:, :, None]
    ps = np.empty((n, k + 1, q))
    qs = np.empty((n, k + 1, q))
    ps[:, 0], qs[:, 0] = 1.0, 0.0
    ps[:, k], qs[:, k] = 0.0, 1.0
    ps[:, 1:k] = expit(z)
    qs[:, 1:k] = expit(-z)
    p = np.empty((n, k, q))
    p[:, 0] = qs[:, 1]
    p[:, k - 1] = ps[:, k - 1]
    if k > 2:
        gap = z[:, 1:] - z[:, :-1]  # <= 0 when the intercepts are ordered
        mid = ps[:, 1:k - 1] * qs[:, 2:k] * -np.expm1(np.minimum(gap, 0.0))
        # disordered intercepts (a line search's trial point): the plain, negative difference
        p[:, 1:k - 1] = np.where(gap > 0, ps[:, 1:k - 1] - ps[:, 2:k], mid)
    return ps, qs, ps * qs, p


def _z_design(kind: str, k: int, theta: Any) -> Any:
    """dz/dbeta as an array (n_z, Q, K): z linear in beta = (a, d_1..d_{K-1})."""
    q = theta.shape[0]
    if kind == "graded":
        # z_1..z_{K-1} plus the two constant ends P*_0 = 1, P*_K = 0 (rows of zeros)
        zd = np.zeros((k + 1, q, k))
        for m in range(1, k):
            zd[m, :, 0] = theta
            zd[m, :, m] = 1.0
        return zd
    zd = np.zeros((k, q, k))
    for c in range(k):
        zd[c, :, 0] = c * theta
        if c >= 1:
            zd[c, :, c] = 1.0
    return zd


def item_probs(kind: str, beta: Any, theta: Any) -> Any:
    """Category probabilities, shape (n_items, K, Q), for ``beta`` of shape (n_items, K)."""
    beta = np.asarray(beta, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n, k = beta.shape
    a = beta[:, 0][:, None, None]
    d = beta[:, 1:][:, :, None]
    if kind == "graded":
        return _graded_parts(beta, theta)[3]
    cs = np.arange(k, dtype=np.float64)[None, :, None]
    z = cs * a * theta
    z[:, 1:] += d
    z -= z.max(axis=1, keepdims=True)
    ez = np.exp(z)
    return ez / ez.sum(axis=1, keepdims=True)


def item_derivatives(kind: str, beta: Any, theta: Any, second: bool = True) -> tuple[Any, Any, Any]:
    """P, d log P / d beta and d^2 log P / d beta d beta'.

    Shapes (n, K, Q), (n, K, Q, K) and (n, K, Q, K, K).
    """
    beta = np.asarray(beta, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n, k = beta.shape
    zd = _z_design(kind, k, theta)
    if kind == "graded":
        ps, qs, w, p = _graded_parts(beta, theta)  # w is zero at both ends
        psafe = np.maximum(p, _TINY)
        # dP_c = w_c dz_c - w_{c+1} dz_{c+1}
        dp = w[:, :-1, :, None] * zd[None, :-1] - w[:, 1:, :, None] * zd[None, 1:]
        dlog = dp / psafe[..., None]
        d2 = None
        if second:
            w2 = w * (qs - ps)
            zz = zd[:, :, :, None] * zd[:, :, None, :]
            d2p = (w2[:, :-1, :, None, None] * zz[None, :-1]
                   - w2[:, 1:, :, None, None] * zz[None, 1:])
            d2 = d2p / psafe[..., None, None] - dlog[..., :, None] * dlog[..., None, :]
        return p, dlog, d2
    p = item_probs(kind, beta, theta)
    zbar = np.einsum("nkq,kqb->nqb", p, zd)
    dlog = zd[None] - zbar[:, None]
    d2 = None
    if second:
        ezz = np.einsum("nkq,kqb,kqc->nqbc", p, zd, zd)
        cov = ezz - zbar[..., :, None] * zbar[..., None, :]
        d2 = np.broadcast_to(-cov[:, None], (n, k, theta.shape[0], k, k))
    return p, dlog, d2


def graded_newton(beta: Any, theta: Any, r: Any) -> tuple[Any, Any, Any]:
    r"""Value, gradient and Hessian of :math:`\sum_{c,q} r_{cq} \log P_c(\theta_q)`, graded.

    The same numbers as contracting :func:`item_derivatives` with ``r``, without its
    (n, K, Q, K, K) arrays: with :math:`w_m = P^*_m (1 - P^*_m)`, only ``a`` and the
    two intercepts next to a category enter its derivative,
    :math:`\partial P_c = w_c z'_c - w_{c+1} z'_{c+1}` with :math:`z'_m = (\theta, e_m)`, and
    the second derivative of :math:`P^*_m` is :math:`w_m (1 - 2 P^*_m)\, z'_m z'^T_m`.
    ``beta`` is (n, K), ``r`` the expected counts (n, K, Q); returns (n,), (n, K), (n, K, K).
    """
    beta = np.asarray(beta, dtype=np.float64)
    n, k = beta.shape
    q = theta.shape[0]
    ps, qs, w, p = _graded_parts(beta, theta)  # w is zero at both ends
    p = np.maximum(p, _TINY)
    u = r / p
    val = (r * np.log(p)).sum(axis=(1, 2))
    # dP (n, K, Q, K): column 0 is d/da, column m is d/dd_m
    dp = np.zeros((n, k, q, k))
    dp[..., 0] = theta * (w[:, :-1] - w[:, 1:])
    for m in range(1, k):
        dp[:, m, :, m] = w[:, m]
        dp[:, m - 1, :, m] = -w[:, m]
    dlog = (dp / p[..., None]).reshape(n, k * q, k)  # 0 where a probability saturates to 0
    rflat = np.ascontiguousarray(r).reshape(n, 1, k * q)
    g = np.matmul(rflat, dlog)[:, 0]
    rd = rflat.transpose(0, 2, 1) * dlog
    h = -np.matmul(rd.transpose(0, 2, 1), dlog)  # batched (k x kq) @ (kq x k)
    # u_c d2P_c summed over c: each P*_m enters P_m (+) and P_{m-1} (-)
    s = (w * (qs - ps))[:, 1:k] * (u[:, 1:] - u[:, :-1])  # (n, K-1, Q)
    st = s @ theta
    h[:, 0, 0] += s.sum(axis=1) @ (theta * theta)
    h[:, 0, 1:] += st
    h[:, 1:, 0] += st
    idx = np.arange(1, k)
    h[:, idx, idx] += s.sum(axis=2)
    return val, g, h


def item_theta_derivatives(kind: str, beta: Any, theta: Any) -> tuple[Any, Any, Any]:
    """P, dP/dtheta and d^2P/dtheta^2, each of shape (n, K, Q)."""
    beta = np.asarray(beta, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n, k = beta.shape
    a = beta[:, 0][:, None, None]
    if kind == "graded":
        ps, qs, w, p = _graded_parts(beta, theta)
        w2 = w * (qs - ps)
        d1 = a * (w[:, :-1] - w[:, 1:])
        d2 = a * a * (w2[:, :-1] - w2[:, 1:])
        return p, d1, d2
    p = item_probs(kind, beta, theta)
    cs = np.arange(k, dtype=np.float64)[None, :, None]
    mean = (p * cs).sum(axis=1, keepdims=True)
    var = (p * (cs - mean) ** 2).sum(axis=1, keepdims=True)
    dl = a * (cs - mean)  # d log P / d theta
    d1 = p * dl
    # d^2 P = P (dl^2 + d dl/dtheta), d dl/dtheta = -a^2 var
    d2 = p * (dl * dl - a * a * var)
    return p, d1, d2
