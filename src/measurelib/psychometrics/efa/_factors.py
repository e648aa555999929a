"""Exploratory factor structure: KMO, Bartlett, parallel analysis and EFA, as R's ``psych``."""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

from measurelib._progress import progress as progress_bar
from measurelib._results import Result
from measurelib.errors import (
    ConvergenceWarning,
    DataError,
    Diagnostic,
    HeywoodWarning,
    Location,
    MeasurelibWarning,
    SmallSampleWarning,
    register,
)
from measurelib.psychometrics._numeric import blas_policy

__all__ = [
    "FactorAnalysisResult",
    "align_factors",
    "FactorStructureResult",
    "bartlett_sphericity",
    "fa",
    "factor_structure",
    "kmo",
    "parallel_analysis",
]

register(
    "singular-correlation",
    "Singular correlation matrix",
    "The items are linearly dependent (for example a total score is included, or one item "
    "duplicates another), so the correlation matrix cannot be inverted.",
    "Remove the redundant item(s) named.",
    area="data",
)
register(
    "too-many-factors",
    "Too many factors",
    "The factor model has more parameters than the correlation matrix has distinct elements.",
    "Ask for fewer factors.",
    area="data",
)

METHODS = ("minres", "ml", "pa")
ROTATIONS = ("oblimin", "varimax", "promax", "quartimax", "geominQ", "Promax", "none")
CORS = ("pearson", "polychoric")
MISSING = ("pairwise", "listwise")

#: Kaiser's (1974) labels for the measure of sampling adequacy.
KAISER_LABELS = (
    (0.90, "marvelous"),
    (0.80, "meritorious"),
    (0.70, "middling"),
    (0.60, "mediocre"),
    (0.50, "miserable"),
    (-math.inf, "unacceptable"),
)


def kaiser_label(msa: float) -> str:
    """Kaiser's (1974) verbal label of a KMO value (in the 'marvelous' … 'unacceptable' scale)."""
    if math.isnan(msa):
        return "not available"
    for cut, label in KAISER_LABELS:
        if msa >= cut:
            return label
    return "unacceptable"  # pragma: no cover


def _choice(name: str, value: Any, allowed: tuple[str, ...], caller: str) -> None:
    if value not in allowed:
        raise ValueError(
            f"{caller}(): parameter {name!r} must be one of "
            f"{', '.join(repr(a) for a in allowed)}; got {value!r}"
        )


# --------------------------------------------------------------------------- input checks
def _to_matrix(data: Any, caller: str) -> tuple[Any, list[str]]:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        try:
            arr = data.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
            raise TypeError(
                f"{caller}(): parameter 'data' must hold numeric item responses; "
                f"non-numeric columns: {bad} ({exc})"
            ) from None
    elif isinstance(data, np.ndarray) and data.ndim == 2:
        arr = np.asarray(data, dtype=np.float64)
        names = [f"V{i + 1}" for i in range(arr.shape[1])]
    else:
        raise TypeError(
            f"{caller}(): parameter 'data' must be a pandas DataFrame or a 2-D numpy array; "
            f"got {type(data).__name__}"
        )
    return arr, names


def _check_items(arr: Any, names: list[str], caller: str, min_items: int = 3) -> None:
    """Refuse data the methods cannot use: too few items, constant or empty items."""
    import numpy as np

    if arr.shape[1] < min_items:
        raise DataError(
            Diagnostic(
                "too-few-items",
                f"{caller} needs at least {min_items} items; got {arr.shape[1]}",
                f"Give {min_items} or more item columns.",
            ),
            title=f"{caller}(): too few items",
        )
    diags = []
    for j, nm in enumerate(names):
        col = arr[:, j]
        col = col[np.isfinite(col)]
        if col.size < 2 or np.all(col == col[0]):
            what = (
                "has fewer than 2 answers"
                if col.size < 2
                else "has no variance (every answer is the same)"
            )
            diags.append(
                Diagnostic(
                    "constant-item",
                    f"item {nm!r} {what}",
                    "Drop the item: a constant item has no correlation with the others.",
                    Location(field=nm),
                )
            )
    if diags:
        raise DataError(diags, title=f"{caller}(): unusable items")


def _is_correlation(x: Any) -> bool:
    import numpy as np

    return bool(
        x.ndim == 2
        and x.shape[0] == x.shape[1]
        and np.all(np.isfinite(x))
        and np.allclose(x, x.T, atol=1e-12, rtol=0)
        and np.allclose(np.diag(x), 1.0, atol=1e-8)
    )


def _check_singular(r: Any, names: list[str], caller: str) -> None:
    import numpy as np

    vals, vecs = np.linalg.eigh(r)
    if vals[0] < 1e-10 * max(vals[-1], 1.0):
        v = vecs[:, 0]
        involved = [names[i] for i in np.argsort(-np.abs(v)) if abs(v[i]) > 0.1][:6]
        raise DataError(
            Diagnostic(
                "singular-correlation",
                f"the correlation matrix is singular (smallest eigenvalue {vals[0]:.3g}); the "
                f"dependency involves {', '.join(repr(n) for n in involved)}",
                "Remove a redundant item (e.g. a total score, or a duplicated item).",
            ),
            title=f"{caller}(): singular correlation matrix",
        )


# --------------------------------------------------------------------------- alignment
@blas_policy
def align_factors(loadings: Any, target: Any) -> tuple[Any, Any, Any]:
    """Reorder and reflect the columns of ``loadings`` to best match ``target``.

    Factors are identified only up to order and sign, so solutions from different
    programs (or samples) are compared after matching each factor to the target factor
    with which its Tucker congruence is largest in absolute value (Hungarian assignment)
    and flipping its sign when the congruence is negative.

    Returns ``(aligned, order, signs)`` with ``aligned[:, j] = signs[j] * loadings[:, order[j]]``.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    L = np.asarray(loadings, dtype=np.float64)
    T = np.asarray(target, dtype=np.float64)
    if L.shape != T.shape:
        raise ValueError(
            "align_factors(): 'loadings' and 'target' must have the same shape; "
            f"got {L.shape} and {T.shape}"
        )
    num = T.T @ L
    den = np.sqrt(np.sum(T**2, axis=0))[:, None] * np.sqrt(np.sum(L**2, axis=0))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        cong = np.where(den > 0, num / den, 0.0)
    rows, cols = linear_sum_assignment(-np.abs(cong))
    order = cols[np.argsort(rows)]
    signs = np.sign(cong[np.arange(T.shape[1]), order])
    signs[signs == 0] = 1.0
    return L[:, order] * signs, order, signs


# --------------------------------------------------------------------------- KMO & Bartlett
def kmo(r: Any) -> tuple[float, Any]:
    r"""Kaiser–Meyer–Olkin measure of sampling adequacy, as ``psych::KMO``.

    .. math::

        \mathrm{MSA} = \frac{\sum_{i\ne j} r_{ij}^2}
                            {\sum_{i\ne j} r_{ij}^2 + \sum_{i\ne j} q_{ij}^2},
        \qquad q_{ij} = \frac{(R^{-1})_{ij}}{\sqrt{(R^{-1})_{ii}(R^{-1})_{jj}}}

    (the :math:`q_{ij}` are the anti-image correlations, i.e. minus the partial
    correlations); ``MSAi`` uses the column sums.  Returns ``(MSA, MSAi)``.
    """
    import numpy as np

    try:
        Q = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        Q = r.copy()
    d = np.sqrt(np.diag(Q))
    Q = Q / d[:, None] / d[None, :]
    np.fill_diagonal(Q, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    sumq2 = float(np.sum(Q**2))
    sumr2 = float(np.sum(r0**2))
    tot = sumr2 + sumq2
    msa = sumr2 / tot if tot > 0 else float("nan")  # R: 0/0 is NaN
    with np.errstate(divide="ignore", invalid="ignore"):
        msai = np.sum(r0**2, axis=0) / (np.sum(r0**2, axis=0) + np.sum(Q**2, axis=0))
    return msa, msai


def bartlett_sphericity(r: Any, n: int) -> dict[str, float]:
    r"""Bartlett's (1950) test that the correlations are zero, as ``psych::cortest.bartlett``.

    .. math::

        \chi^2 = -\ln|R|\,\Bigl(n - 1 - \frac{2p + 5}{6}\Bigr),\qquad df = \frac{p(p-1)}{2}.
    """
    import numpy as np

    from measurelib.psychometrics._numeric import chi2_sf

    p = r.shape[0]
    rr = r.copy()
    np.fill_diagonal(rr, 1.0)
    sign, logdet = np.linalg.slogdet(rr)
    stat = -logdet * (n - 1 - (2 * p + 5) / 6) if sign > 0 else math.inf
    df = p * (p - 1) / 2
    return {"chi2": float(stat), "df": float(df), "p": float(chi2_sf(stat, df))}


# --------------------------------------------------------------------------- parallel analysis
#: principal-axes steps until max|g| falls below this, then Newton steps
_NEWTON_SWITCH = 1e-3
_PSI_LO, _PSI_HI = 0.005, 1.0


def _start_uniquenesses(C: Any) -> Any:
    """Psych's start for each matrix of a stack: ``1 - SMC`` (bounded to [0.005, 1])."""
    import numpy as np

    psi = 1.0 / np.einsum("bii->bi", _spd_inverse_each(C))
    bad = ~np.isfinite(psi).all(axis=1)
    if bad.any():
        from measurelib.psychometrics._numeric import smc

        psi[bad] = np.stack([1.0 - smc(c) for c in C[bad]])
    return np.clip(psi, _PSI_LO, _PSI_HI)


def _spd_inverse_each(A: Any) -> Any:
    """Inverse of each symmetric positive definite matrix of a stack (Cholesky, LAPACK).

    A matrix that is not positive definite is inverted by LU instead, and a singular one
    gives a matrix of nan.
    """
    import numpy as np
    from scipy.linalg import lapack

    if A.shape[1] < 16:  # small matrices: one batched call costs less than k LAPACK calls
        try:
            return np.linalg.inv(A)
        except np.linalg.LinAlgError:
            pass
    out = np.empty_like(A)
    for i in range(A.shape[0]):
        cf, info = lapack.dpotrf(A[i], lower=1, clean=0)
        if info == 0:
            ci, info = lapack.dpotri(cf, lower=1)
        if info == 0:
            out[i] = ci  # the lower triangle; mirrored below
        else:
            try:
                out[i] = np.tril(np.linalg.inv(A[i]))
            except np.linalg.LinAlgError:
                out[i] = np.nan
    il, jl = np.tril_indices(A.shape[1], -1)
    out[:, jl, il] = out[:, il, jl]
    return out


def _leading_eigenpairs(S: Any) -> tuple[Any, Any]:
    """Largest eigenvalue and its vector of each symmetric matrix of a stack.

    LAPACK's ``dsyevx`` (bisection and inverse iteration) for the one eigenpair costs a
    third of a full ``eigh``.
    """
    import numpy as np
    from scipy.linalg import lapack

    k, p, _ = S.shape
    if p < 16:  # small matrices: one batched call costs less than k LAPACK calls
        vals, vecs = np.linalg.eigh(S)
        return vals[:, -1], vecs[:, :, -1]
    lam = np.empty(k)
    v = np.empty((k, p))
    for i in range(k):
        w, z, m, _, info = lapack.dsyevx(S[i], range="I", il=p, iu=p, lower=1)
        if info == 0 and m == 1:
            lam[i] = w[0]
            v[i] = z[:, 0]
        else:  # pragma: no cover - LAPACK failure
            vals, vecs = np.linalg.eigh(S[i])
            lam[i] = vals[-1]
            v[i] = vecs[:, -1]
    return lam, v


def _minres1_values_batch(C: Any) -> Any:
    r"""Eigenvalues of each ``C`` with one-factor minres communalities on the diagonal.

    This is what ``fa(C, nfactors = 1)$values`` gives, for a stack of correlation
    matrices at once (the random part of parallel analysis).  psych's minres optimum is
    where its gradient :math:`g = \psi + \lambda_1 v_1^2 - 1` vanishes (uniquenesses
    bounded to [0.005, 1]).  From psych's start (:math:`1 - \mathrm{SMC}`) the stack
    takes principal-axes steps :math:`\psi \leftarrow \psi - g` (a descent step of the
    least-squares criterion, so it stays in the basin an optimiser started there would
    reach) until :math:`\max|g| < 10^{-3}`, then Newton steps with the analytic
    derivative of the leading eigenpair polish to :math:`10^{-10}`; a Newton step that
    makes :math:`\max|g|` larger sends the matrix back to principal-axes steps for good.
    Matrices that do not converge are refitted one by one with R's L-BFGS-B settings.

    Only the leading eigenpair is computed at each step (LAPACK ``dsyevx``), and the
    Newton derivative :math:`\sum_{k>1} u_k u_k' / (\lambda_1 - \lambda_k)` is
    :math:`(\lambda_1 I - S + v_1 v_1')^{-1} - v_1 v_1'`: the same steps as
    :func:`_minres1_values_reference`, which takes a full ``eigh`` at every step.
    """
    import numpy as np

    from measurelib.psychometrics.efa._core import extract

    b, p, _ = C.shape
    idx = np.arange(p)
    psi = _start_uniquenesses(C)
    lo, hi = _PSI_LO, _PSI_HI
    done = np.zeros(b, dtype=bool)
    newton = np.zeros(b, dtype=bool)
    prev_g = np.full(b, np.inf)
    load = np.zeros((b, p))
    for _ in range(400):
        ai = np.nonzero(~done)[0]
        if ai.size == 0:
            break
        pa = psi[ai]
        S = C[ai]  # a copy
        S[:, idx, idx] = 1.0 - pa
        lam, v = _leading_eigenpairs(S)
        lam0 = np.maximum(lam, 0.0)
        g = pa + lam0[:, None] * v**2 - 1.0
        interior = ~(((pa <= lo) & (g > 0)) | ((pa >= hi) & (g < 0)))
        gmax = np.max(np.abs(np.where(interior, g, 0.0)), axis=1)
        conv = gmax < 1e-10
        # a Newton step that made things worse: back to principal-axes steps for good
        worse = newton[ai] & (gmax > prev_g[ai])
        newton[ai[worse]] = False
        prev_g[ai] = gmax
        done[ai[conv]] = True
        load[ai[conv]] = v[conv] * np.sqrt(lam0[conv])[:, None]
        newton[ai] = newton[ai] | ((gmax < _NEWTON_SWITCH) & ~worse)
        step = g.copy()
        use_n = newton[ai] & ~conv
        if use_n.any():
            k = np.nonzero(use_n)[0]
            vk = v[k]
            vv = vk[:, :, None] * vk[:, None, :]
            B = vv - S[k]
            B[:, idx, idx] += lam[k, None]
            M = _spd_inverse_each(B) - vv
            v2 = vk**2
            J = -v2[:, :, None] * v2[:, None, :] - 2.0 * lam0[k, None, None] * vv * M
            J[:, idx, idx] += 1.0
            sn = _solve_each(J, g[k])
            step[k] = np.where(np.isfinite(sn), sn, g[k])
        newpsi = np.clip(pa - step, lo, hi)
        psi[ai] = np.where(conv[:, None], pa, newpsi)
    out = np.empty((b, p))
    ok = np.nonzero(done)[0]
    if ok.size:
        S2 = C[ok]
        S2[:, idx, idx] = load[ok] ** 2
        out[ok] = np.linalg.eigvalsh(S2)[:, ::-1]
    for i in np.nonzero(~done)[0]:
        load1 = extract(C[i], 1, "minres")[0]
        S2 = C[i].copy()
        np.fill_diagonal(S2, np.sum(load1**2, axis=1))
        out[i] = np.linalg.eigvalsh(S2)[::-1]
    return out


def _solve_each(J: Any, F: Any) -> Any:
    """``solve(J[i], F[i])`` for a stack; a singular ``J[i]`` gives a row of nan."""
    import numpy as np

    try:
        return np.linalg.solve(J, F[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        out = np.full(F.shape, np.nan)
        for i in range(J.shape[0]):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(J[i], F[i])
        return out


def _minres1_values_reference(C: Any) -> Any:
    r""":func:`_minres1_values_batch` the plain way (full ``eigh`` at every step).

    Principal-axes steps until :math:`\max|g| < 10^{-3}`, then Newton steps on
    :math:`\psi` with the analytic derivative of the leading eigenpair to
    :math:`\max|g| < 10^{-10}`; matrices that do not converge are refitted one by one
    with R's L-BFGS-B settings.  The reference for :func:`_minres1_values_batch`.
    """
    import numpy as np

    from measurelib.psychometrics.efa._core import extract

    b, p, _ = C.shape
    idx = np.arange(p)
    try:
        inv = np.linalg.inv(C)
        psi = 1.0 / np.einsum("bii->bi", inv)  # 1 - smc
    except np.linalg.LinAlgError:
        from measurelib.psychometrics._numeric import smc

        psi = np.stack([1.0 - smc(c) for c in C])
    psi = np.clip(psi, _PSI_LO, _PSI_HI)
    lo, hi = _PSI_LO, _PSI_HI
    done = np.zeros(b, dtype=bool)
    newton = np.zeros(b, dtype=bool)
    prev_g = np.full(b, np.inf)
    for _ in range(400):
        act = ~done
        if not act.any():
            break
        S = C[act].copy()
        S[:, idx, idx] = 1.0 - psi[act]
        vals, vecs = np.linalg.eigh(S)
        lam = vals[:, -1]
        v = vecs[:, :, -1]
        pa = psi[act]
        g = pa + np.maximum(lam, 0.0)[:, None] * v**2 - 1.0
        interior = ~(((pa <= lo) & (g > 0)) | ((pa >= hi) & (g < 0)))
        gmax = np.max(np.abs(np.where(interior, g, 0.0)), axis=1)
        ai = np.nonzero(act)[0]
        conv = gmax < 1e-10
        # a Newton step that made things worse: back to principal-axes steps for good
        worse = newton[ai] & (gmax > prev_g[ai])
        newton[ai[worse]] = False
        prev_g[ai] = gmax
        done[ai[conv]] = True
        newton[ai] = newton[ai] | ((gmax < _NEWTON_SWITCH) & ~worse)
        step = g.copy()
        use_n = newton[ai] & ~conv
        if use_n.any():
            k = np.nonzero(use_n)[0]
            gaps = lam[k, None] - vals[k, :-1]
            U = vecs[k][:, :, :-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                M = np.einsum("bik,bjk->bij", U / np.where(gaps == 0, np.inf, gaps)[:, None, :], U)
            vk = v[k]
            v2 = vk**2
            J = (
                np.eye(p)[None]
                - v2[:, :, None] * v2[:, None, :]
                - 2.0 * np.maximum(lam[k], 0.0)[:, None, None] * vk[:, :, None] * M * vk[:, None, :]
            )
            try:
                sn = np.linalg.solve(J, g[k][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                sn = g[k]
            sn = np.where(np.isfinite(sn), sn, g[k])
            step[k] = sn
        newpsi = np.clip(pa - step, lo, hi)
        psi[ai] = np.where(conv[:, None], pa, newpsi)
    out = np.empty((b, p))
    for i in range(b):
        if not done[i]:
            load1 = extract(C[i], 1, "minres")[0]
            S2 = C[i].copy()
            np.fill_diagonal(S2, np.sum(load1**2, axis=1))
            out[i] = np.linalg.eigvalsh(S2)[::-1]
            continue
        S = C[i].copy()
        np.fill_diagonal(S, 1.0 - psi[i])
        vals, vecs = np.linalg.eigh(S)
        load = vecs[:, -1] * math.sqrt(max(vals[-1], 0.0))
        S2 = C[i].copy()
        np.fill_diagonal(S2, load**2)
        out[i] = np.linalg.eigvalsh(S2)[::-1]
    return out


#: table slots of the bootstrap draws (12 random bits per entry; small enough for the cache)
_SLOTS = 2**12


def _resample_tables(cols: Any) -> tuple[list[Any], list[Any], Any, list[Any]]:
    """The draw of :func:`_column_resampler` for each column (``cols``: one per row).

    Per column: the distinct values, how many of the ``_SLOTS`` table slots each one fills
    (in order, from slot 0), the first slot ``thr[j]`` that calls for a second draw, and
    the integer weights of the values in that second draw.  Value :math:`a` of column
    ``j`` has probability (its slots + its weight / n) / ``_SLOTS`` = :math:`c_a / n`.
    """
    import numpy as np

    nsub = cols.shape[1]
    values: list[Any] = []
    shares: list[Any] = []
    weights: list[Any] = []
    thr = np.empty(cols.shape[0], dtype=np.int64)
    for j, col in enumerate(cols):
        vals, counts = np.unique(col, return_counts=True)
        share = counts * _SLOTS // nsub
        left = _SLOTS - int(share.sum())
        if left == 0:  # keep one slot for the second draw
            share[np.argmax(share)] -= 1
            left = 1
        values.append(vals)
        shares.append(share)
        weights.append(counts * _SLOTS - share * nsub)  # sums to left * nsub
        thr[j] = _SLOTS - left
    return values, shares, thr, weights


def _table_row(values: Any, share: Any, thr: int, dtype: Any) -> Any:
    """The look-up slots of one column (those from ``thr`` on are never kept)."""
    import numpy as np

    row = np.empty(_SLOTS, dtype=dtype)
    row[:thr] = np.repeat(values, share)
    row[thr:] = values[0]
    return row


def _column_resampler(arr: Any, dt: Any, rng: Any) -> Any:
    r"""A function filling ``out[j, k, :]`` with a bootstrap resample of column ``j``.

    Every entry is an independent draw among the ``nsub`` values of its column, each row
    with probability ``1/nsub``: psych's ``apply(x, 2, sample, replace = TRUE)``.  A column
    with distinct values :math:`a` of counts :math:`c_a` is drawn from that distribution
    directly, with 12 random bits per entry: a table of :math:`2^{12}` slots gives value
    :math:`a` :math:`\lfloor 2^{12} c_a / n \rfloor` slots, and the few slots left over
    (fewer than the number of distinct values) stand for a second, exact draw of the
    remaining probability (:math:`(2^{12} c_a \bmod n) / (2^{12} n)` for value
    :math:`a`).  For Likert items that second draw is needed for about one entry in 1000,
    so this costs a look-up in a table that stays in the cache instead of a bounded
    integer draw and a gather from the whole column.  Data with many distinct values
    draw row indices instead.
    """
    import numpy as np

    nsub, p = arr.shape
    cols = np.ascontiguousarray(arr.T, dtype=dt)
    values, shares, thr, weights = _resample_tables(cols)
    if np.sum(_SLOTS - thr) > 0.02 * _SLOTS * p:
        # many distinct values: uniform row indices, then a gather
        itype = np.int32 if nsub < 2**31 else np.int64

        def draw_rows(out: Any) -> None:
            for j in range(out.shape[0]):
                np.take(cols[j], rng.integers(0, nsub, size=out.shape[1:], dtype=itype), out=out[j])

        return draw_rows

    rows: list[Any] | None = None
    if p * _SLOTS * cols.itemsize <= 2**24:  # keep the tables (up to 16 MB)
        rows = [_table_row(values[j], shares[j], int(thr[j]), dt) for j in range(p)]
    thr16 = thr.astype(np.uint16)[:, None, None]
    cum = np.cumsum(np.concatenate(weights))
    ends = np.cumsum([int(w.sum()) for w in weights])
    starts = ends - np.array([int(w.sum()) for w in weights])
    flat_values = np.concatenate(values)

    def draw(out: Any) -> None:
        shape = out.shape
        size = int(np.prod(shape))
        u = rng.bit_generator.random_raw(-(-size // 4)).view(np.uint16)[:size].reshape(shape)
        np.bitwise_and(u, np.uint16(_SLOTS - 1), out=u)
        for j in range(shape[0]):
            row = rows[j] if rows is not None else _table_row(values[j], shares[j], int(thr[j]), dt)
            np.take(row, u[j], out=out[j], mode="clip")  # in range: the fast loop
        second = np.flatnonzero(u >= thr16)
        if second.size:
            where = np.unravel_index(second, shape)
            jj = where[0]
            r = starts[jj] + rng.integers(0, ends[jj] - starts[jj])
            out[where] = flat_values[np.searchsorted(cum, r, side="right")]

    return draw


def parallel_analysis(
    data: Any,
    n_iter: int = 100,
    seed: int | None = None,
    cor: str = "pearson",
    quantile: float = 0.95,
    resample: bool = True,
    progress: bool | None = None,
    _r: Any = None,
) -> dict[str, Any]:
    """Horn's parallel analysis as ``psych::fa.parallel(x, fa = "both")``.

    Observed eigenvalues of the correlation matrix (components) and of the one-factor
    minres reduced matrix (factors) are compared with those of ``n_iter`` data sets of
    independent normal variables of the same size (simulated) and of column-wise
    resamples of the data (resampled).  The suggested numbers are the counts of leading
    observed eigenvalues above the ``quantile`` of the simulated ones (psych's ``nfact``,
    ``ncomp``).  Simulated correlation matrices are built and decomposed in batches.

    Returns a dict with the observed, mean simulated, quantile and mean resampled
    eigenvalues, the suggestions, the per-iteration simulated factor eigenvalues and the
    stability of the factor suggestion under resampling of the iterations.
    """
    del cor  # simulated data use Pearson correlations, as psych does

    from measurelib.psychometrics._numeric import single_thread

    with single_thread():
        return _parallel_analysis(data, n_iter, seed, quantile, resample, progress, _r)


def _parallel_analysis(
    data: Any,
    n_iter: int,
    seed: int | None,
    quantile: float,
    resample: bool,
    progress: bool | None,
    _r: Any,
) -> dict[str, Any]:
    import numpy as np

    from measurelib.psychometrics.efa._core import eigen_desc, extract, pairwise_cor, pairwise_cor_batch

    arr = np.asarray(data, dtype=np.float64)
    nsub, p = arr.shape
    if _r is None:
        r, _ = pairwise_cor(arr)
    else:
        r = _r
    pc_obs = eigen_desc(r)[0]
    # fit_fa(r, 1, "minres").values, without the fit statistics
    load1 = extract(r, 1, "minres")[0]
    r1 = r.copy()
    np.fill_diagonal(r1, np.sum(load1**2, axis=1))
    fa_obs = eigen_desc(r1)[0]
    rng = np.random.default_rng(seed)
    # Simulated data: the correlation matrix of nsub independent N(0, I_p) rows is the
    # cov2cor of a Wishart(nsub - 1, I_p) matrix, drawn directly by Bartlett's
    # decomposition (the same distribution as psych's cor(matrix(rnorm(nsub * p), nsub)),
    # at O(p^2) instead of O(nsub p^2) cost per iteration).
    Lw = np.zeros((n_iter, p, p))
    il, jl = np.tril_indices(p, -1)
    Lw[:, il, jl] = rng.standard_normal((n_iter, il.size))
    dfs = (nsub - 1) - np.arange(p)
    Lw[:, np.arange(p), np.arange(p)] = np.sqrt(rng.chisquare(dfs, size=(n_iter, p)))
    W = Lw @ np.swapaxes(Lw, 1, 2)
    dw = np.sqrt(np.einsum("bii->bi", W))
    C = W / dw[:, :, None] / dw[:, None, :]
    res_C = np.full((n_iter if resample else 0, p, p), np.nan)
    if resample:
        # column-wise bootstrap (psych: apply(x, 2, sample, replace = TRUE)), in chunks
        complete = bool(np.isfinite(arr).all())
        # small integer codes (Likert data): cross-products are exact in float32
        exact32 = bool(
            complete
            and np.all(arr == np.round(arr))
            and nsub * float(np.max(np.abs(arr))) ** 2 < 2.0**24
        )
        dt = np.float32 if exact32 else np.float64
        chunk = max(1, min(n_iter, int(1e7 // max(nsub * p, 1))))
        starts = list(range(0, n_iter, chunk))
        # Xt[j, k, :] is resample k of column j; a row of ones gives the column sums
        # within the cross-product matrix
        Xt = np.empty((p + 1, chunk, nsub), dtype=dt)
        Xt[p] = 1.0
        draw = _column_resampler(arr, dt, rng)
        for s in progress_bar(starts, total=len(starts), desc="parallel analysis",
                              unit="batch", enabled=progress):
            b = min(chunk, n_iter - s)
            draw(Xt[:p, :b, :])
            if complete:
                Xb = np.swapaxes(Xt[:, :b, :], 0, 1)
                cp = (Xb @ np.swapaxes(Xb, 1, 2)).astype(np.float64)
                sums = cp[:, p, :p]
                cov = cp[:, :p, :p] - sums[:, :, None] * sums[:, None, :] / nsub
                d = np.sqrt(np.einsum("bii->bi", cov))
                with np.errstate(divide="ignore", invalid="ignore"):
                    Cr = cov / d[:, :, None] / d[:, None, :]
                Cr[:, np.arange(p), np.arange(p)] = 1.0
            else:
                Cr = pairwise_cor_batch(np.transpose(Xt[:p, :b, :], (1, 2, 0)))
            res_C[s : s + b] = Cr
    # all random matrices at once: simulated, then the usable resampled ones
    ok = np.isfinite(res_C).all(axis=(1, 2))
    allC = np.concatenate([C, res_C[ok]])
    pcs = np.linalg.eigvalsh(allC)[:, ::-1]
    fas = _minres1_values_batch(allC)
    sim_pc, sim_fa = pcs[:n_iter], fas[:n_iter]
    res_pc = np.full((res_C.shape[0], p), np.nan)
    res_fa = np.full((res_C.shape[0], p), np.nan)
    res_pc[ok] = pcs[n_iter:]
    res_fa[ok] = fas[n_iter:]
    q_pc = np.quantile(sim_pc, quantile, axis=0)
    q_fa = np.quantile(sim_fa, quantile, axis=0)

    def first_fail(obs: Any, crit: Any) -> int:
        fails = np.nonzero(~(obs > crit))[0]
        return int(fails[0]) if fails.size else int(obs.size)

    nfact = first_fail(fa_obs, q_fa)
    ncomp = first_fail(pc_obs, q_pc)
    # stability: resample the iterations and recompute the suggestion
    boot_rng = np.random.default_rng(None if seed is None else seed + 1)
    nb = 500
    ii = boot_rng.integers(0, n_iter, size=(nb, n_iter))

    def boot_suggestions(obs: Any, sims: Any) -> dict[int, float]:
        # first_fail(obs, quantile of sims[ii[k]]) for each k; a column's quantiles are
        # computed only for the resamples still passing
        sugg = np.full(nb, obs.size)
        rest = np.arange(nb)
        for j in range(obs.size):
            if rest.size == 0:
                break
            fail = ~(obs[j] > np.quantile(sims[ii[rest], j], quantile, axis=1))
            sugg[rest[fail]] = j
            rest = rest[~fail]
        ks, ns = np.unique(sugg, return_counts=True)
        return {int(k): int(c) / nb for k, c in zip(ks, ns, strict=True)}

    return {
        "pc_values": pc_obs,
        "fa_values": fa_obs,
        "pc_sim": sim_pc.mean(axis=0),
        "fa_sim": sim_fa.mean(axis=0),
        "pc_sim_q": q_pc,
        "fa_sim_q": q_fa,
        "pc_simr": np.nanmean(res_pc, axis=0) if resample else np.full(p, np.nan),
        "fa_simr": np.nanmean(res_fa, axis=0) if resample else np.full(p, np.nan),
        "nfact": nfact,
        "ncomp": ncomp,
        "sim_fa_all": sim_fa,
        "sim_pc_all": sim_pc,
        "stability": boot_suggestions(fa_obs, sim_fa),
        "stability_components": boot_suggestions(pc_obs, sim_pc),
    }


# --------------------------------------------------------------------------- results
class FactorAnalysisResult(Result):
    """One exploratory factor solution (``psych::fa``).

    Attributes
    ----------
    loadings : pandas.DataFrame
        Items × factors pattern loadings, reflected so each factor's loadings sum
        positive and ordered by variance accounted for (psych's conventions).
    communalities, uniquenesses : pandas.Series
        ``h2`` (from the unrotated solution) and ``u2 = 1 - h2``.
    factor_correlations : pandas.DataFrame or None
        Factor correlations (oblique rotations only).
    variance_explained : pandas.DataFrame
        psych's ``Vaccounted``: SS loadings, proportion, cumulative, proportion explained.
    eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix (psych's ``$e.values``).
    reduced_eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix with communalities on the diagonal
        (psych's ``$values``).
    fit : dict
        chi2 (likelihood), df, p, rmsea (+ 90% CI), tli, bic, sabic, objective,
        rms, crms, empirical chi2, null-model chi2/df, fit, fit_off.
    """

    loadings: Any
    communalities: Any
    uniquenesses: Any
    factor_correlations: Any
    variance_explained: Any
    eigenvalues: Any
    reduced_eigenvalues: Any
    structure: Any
    fit: dict[str, Any]
    n: int | None
    n_items: int
    n_factors: int
    method: str
    rotation: str
    converged: bool
    heywood: bool
    warnings: list[str]

    def to_frame(self) -> Any:
        out = self.loadings.copy()
        out["h2"] = self.communalities
        out["u2"] = self.uniquenesses
        return out

    def summary(self) -> str:
        f = self.fit
        parts = [f"{self.n_factors}-factor {self.method} solution, rotation {self.rotation}"]
        if f.get("chi2") is not None and not _isnan(f.get("chi2")):
            parts.append(
                f"chi2({f['df']:g}) = {f['chi2']:.2f}, RMSEA = {f['rmsea']:.3f}, "
                f"TLI = {f['tli']:.3f}"
            )
        return "; ".join(parts)


def _isnan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


class FactorStructureResult(FactorAnalysisResult):
    """Factor-structure evidence: sampling adequacy, sphericity, parallel analysis and EFA.

    Extends :class:`FactorAnalysisResult` with ``kmo``, ``kmo_items``, ``kmo_label``,
    ``bartlett``, ``parallel`` (observed vs simulated/resampled eigenvalues),
    ``n_factors_suggested``, ``n_components_suggested``, ``n_factors_stability`` (share of
    bootstrap resamples of the parallel-analysis iterations that give each count),
    ``cor`` and ``missing``.
    """

    kmo: float
    kmo_items: Any
    kmo_label: str
    bartlett: dict[str, float]
    parallel: Any
    n_factors_suggested: int
    n_components_suggested: int
    n_factors_stability: dict[int, float]
    n_components_stability: dict[int, float]
    cor: str
    missing: str
    seed: int | None
    n_iter: int

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        b = self.bartlett
        return "\n".join(
            [
                f"KMO = {self.kmo:.2f} ({self.kmo_label}); "
                f"Bartlett chi2({b['df']:g}) = {b['chi2']:.1f}, p = {b['p']:.3g}",
                f"Parallel analysis suggests {self.n_factors_suggested} factor(s) and "
                f"{self.n_components_suggested} component(s) (n_iter = {self.n_iter})",
                super().summary(),
            ]
        )


# --------------------------------------------------------------------------- fa
def _prepare(
    data: Any, cor: str, missing: str, caller: str
) -> tuple[Any, Any, list[str], int | None, Any, list[str], Any]:
    """Correlations (and counts) from data; or pass a correlation matrix through."""
    import numpy as np

    from measurelib.psychometrics.efa._core import pairwise_cor

    arr, names = _to_matrix(data, caller)
    msgs: list[str] = []
    if _is_correlation(arr):
        d = np.sqrt(np.diag(arr))
        return arr / d[:, None] / d[None, :], None, names, None, None, msgs, True
    if missing == "listwise":
        keep = np.isfinite(arr).all(axis=1)
        if (~keep).any():
            msgs.append(
                f"{int((~keep).sum())} rows with missing answers were dropped (missing='listwise')."
            )
        arr = arr[keep]
    _check_items(arr, names, caller)
    if cor == "polychoric":
        import pandas as pd

        from measurelib.psychometrics._polychoric import polychoric

        pr = polychoric(pd.DataFrame(arr, columns=names))
        r = pr.rho.to_numpy()
        msgs.extend(pr.warnings)
        obs = np.isfinite(arr).astype(np.float64)
        npo = obs.T @ obs
    else:
        r, npo = pairwise_cor(arr)
    if not np.isfinite(r).all():
        bad = sorted({names[i] for i in np.nonzero(~np.isfinite(r))[0]})
        raise DataError(
            Diagnostic(
                "constant-item",
                f"some correlations cannot be computed (no overlapping answers) for {bad}",
                "Drop the items with too few answers, or use missing='pairwise' with more data.",
            )
        )
    return r, npo, names, int(arr.shape[0]), arr, msgs, False


def _warn_singular(r: Any, names: list[str], n: int | None, caller: str, msgs: list[str]) -> None:
    """Warn that the likelihood statistics of a singular correlation matrix mean nothing.

    psych computes them from ``log(det(.))`` of the matrix (smoothed by ``cor.smooth`` when
    an eigenvalue falls below machine epsilon), so for a singular matrix they are set by
    rounding: R's own values change with the platform's eigen solver.
    """
    import numpy as np

    vals, vecs = np.linalg.eigh(r)
    if vals[0] >= 1e-10 * max(float(vals[-1]), 1.0):
        return
    v = vecs[:, 0]
    involved = [names[i] for i in np.argsort(-np.abs(v)) if abs(v[i]) > 0.1][:6]
    why = (
        f"only {n} respondents for {len(names)} items"
        if n is not None and n <= len(names)
        else f"a dependency among {', '.join(repr(x) for x in involved)}"
    )
    m = (
        f"the correlation matrix is singular ({why}): the likelihood statistics (objective, "
        "chi2, p, TLI, RMSEA, BIC, null chi2) rest on its determinant, which rounding sets; "
        "do not interpret them (the loadings and residual statistics are unaffected). "
        "Remove a redundant item or collect more responses."
    )
    msgs.append(m)
    warnings.warn(f"{caller}(): {m}", MeasurelibWarning, stacklevel=4)


def _fa_from_r(
    r: Any,
    npo: Any,
    names: list[str],
    n: int | None,
    n_factors: int,
    method: str,
    rotation: str,
    msgs: list[str],
    caller: str,
) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from measurelib.psychometrics.efa._core import fit_fa

    p = r.shape[0]
    dof = p * (p - 1) / 2 - p * n_factors + n_factors * (n_factors - 1) / 2
    if n_factors > p or dof < 0:
        raise ValueError(
            f"{caller}(): parameter 'n_factors' = {n_factors} is too many for {p} items "
            f"(model degrees of freedom {dof:g} < 0); use at most the largest number with df >= 0"
        )
    from measurelib.psychometrics._numeric import single_thread

    with np.errstate(all="ignore"), single_thread():
        f = fit_fa(r, n_factors, method, rotation, n_obs=n, np_obs=npo)
    msgs = list(msgs) + f.messages
    _warn_singular(r, names, n, caller, msgs)
    converged = f.converged and f.rotation_converged
    if not converged:
        for m in f.messages:
            warnings.warn(f"{caller}(): {m}", ConvergenceWarning, stacklevel=3)
    heywood = False
    if np.max(f.communality) > 1.0:
        heywood = True
        m = "An ultra-Heywood case was detected (a communality > 1). Examine the results carefully."
        msgs.append(m)
        warnings.warn(f"{caller}(): {m}", HeywoodWarning, stacklevel=3)
    elif method in ("minres", "ml") and np.any(1.0 - f.communalities <= 0.005 + 1e-9):
        heywood = True
        items = [names[i] for i in np.nonzero(1.0 - f.communalities <= 0.005 + 1e-9)[0]]
        m = (
            f"Heywood case: the uniqueness of {items} reached the lower bound 0.005 "
            "(communality near 1). Consider fewer factors or removing the item."
        )
        msgs.append(m)
        warnings.warn(f"{caller}(): {m}", HeywoodWarning, stacklevel=3)
    prefix = {"minres": "MR", "ml": "ML", "pa": "PA"}[method]
    fnames = [f"{prefix}{i + 1}" for i in range(n_factors)]
    L = f.loadings
    phi = f.phi
    vx = np.sum(L**2, axis=0) if phi is None else np.diag(phi @ L.T @ L)
    vtotal = float(np.sum(f.communality + f.uniquenesses))
    rows = {"SS loadings": vx, "Proportion Var": vx / vtotal}
    if n_factors > 1:
        rows["Cumulative Var"] = np.cumsum(vx / vtotal)
        rows["Proportion Explained"] = vx / vx.sum()
        rows["Cumulative Proportion"] = np.cumsum(vx / vx.sum())
    st = f.stats
    fit = {
        "chi2": st["STATISTIC"],
        "df": st["dof"],
        "p": st["PVAL"],
        "rmsea": st["RMSEA"][0],
        "rmsea_lower": st["RMSEA"][1],
        "rmsea_upper": st["RMSEA"][2],
        "tli": st["TLI"],
        "bic": st["BIC"],
        "sabic": st["SABIC"],
        "objective": st["objective"],
        "rms": st["rms"],
        "crms": st["crms"],
        "empirical_chi2": st["chi"],
        "empirical_p": st["EPVAL"],
        "empirical_bic": st["EBIC"],
        "null_chi2": st["null_chisq"],
        "null_df": st["null_dof"],
        "fit": st["fit"],
        "fit_off": st["fit_off"],
        "harmonic_n": st["nh"],
    }
    structure = L if phi is None else L @ phi
    return {
        "loadings": pd.DataFrame(L, index=names, columns=fnames),
        "communalities": pd.Series(f.communality, index=names, name="h2"),
        "uniquenesses": pd.Series(f.uniquenesses, index=names, name="u2"),
        "factor_correlations": None
        if phi is None
        else pd.DataFrame(phi, index=fnames, columns=fnames),
        "variance_explained": pd.DataFrame(rows, index=fnames).T,
        "eigenvalues": pd.Series(f.e_values, index=range(1, p + 1), name="eigenvalue"),
        "reduced_eigenvalues": pd.Series(f.values, index=range(1, p + 1), name="eigenvalue"),
        "structure": pd.DataFrame(structure, index=names, columns=fnames),
        "fit": fit,
        "n": n,
        "n_items": p,
        "n_factors": n_factors,
        "method": method,
        "rotation": rotation,
        "converged": converged,
        "heywood": heywood,
        "warnings": msgs,
    }


def _check_common(
    n_factors: Any, method: str, rotation: str, caller: str, allow_none: bool
) -> None:
    _choice("method", method, METHODS, caller)
    _choice("rotation", rotation, ROTATIONS, caller)
    if n_factors is None and allow_none:
        return
    if not isinstance(n_factors, int) or isinstance(n_factors, bool) or n_factors < 1:
        raise ValueError(
            f"{caller}(): parameter 'n_factors' must be an integer >= 1; got {n_factors!r}"
        )


@blas_policy
def fa(
    corr_or_data: Any,
    n_factors: int = 1,
    method: str = "minres",
    rotation: str = "oblimin",
    n_obs: int | None = None,
    *,
    cor: str = "pearson",
    missing: str = "pairwise",
) -> FactorAnalysisResult:
    r"""Exploratory factor analysis, the same numbers as ``psych::fa``.

    The common factor model :math:`R = \Lambda\Phi\Lambda' + \Psi` is fitted by

    * ``minres`` (psych's default): :math:`\min_\Psi \sum_{i<j}(r_{ij} - (\Lambda\Lambda')_{ij})^2`;
    * ``ml``: :math:`\min_\Psi \operatorname{tr}(\Sigma^{-1}R) - \ln|\Sigma^{-1}R| - p`;
    * ``pa``: principal axes iterated from squared multiple correlations until the
      communalities change by less than 0.001 (at most 50 iterations),

    using the same optimiser settings as psych (``optim`` L-BFGS-B, uniquenesses in
    [0.005, 1], ``parscale = 0.01``).  The solution is rotated (``oblimin`` — GPArotation's
    quartimin, ``varimax`` — ``stats::varimax`` with Kaiser normalisation, ``promax`` —
    psych's ``kaiser(…, "Promax")`` with power 4, ``quartimax``, ``geominQ``), every factor is
    reflected to a positive loading sum and the factors are ordered by the variance they
    account for.  Fit statistics are psych's ``factor.stats``: the likelihood chi-square
    :math:`\chi^2 = F\,(n - 1 - (2p+5)/6 - 2k/3)`, RMSEA
    :math:`\sqrt{\max(\chi^2/(df\,n) - 1/(n-1), 0)}` with its 90% interval, Tucker–Lewis
    index and :math:`BIC = \chi^2 - df \ln n`.

    Parameters
    ----------
    corr_or_data : pandas.DataFrame or numpy.ndarray
        Respondents × items, or a correlation matrix (then give ``n_obs`` for the fit
        statistics).
    n_factors : int, default 1
    method : {"minres", "ml", "pa"}, default "minres"
    rotation : {"oblimin", "varimax", "promax", "quartimax", "geominQ", "Promax", "none"}
    n_obs : int, optional
        Number of respondents when a correlation matrix is given.
    cor : {"pearson", "polychoric"}, default "pearson"
    missing : {"pairwise", "listwise"}, default "pairwise"
        Pairwise-complete correlations (R's ``use = "pairwise"``), or complete rows only.
        Nothing is imputed.

    Returns
    -------
    FactorAnalysisResult

    Raises
    ------
    DataError
        ``method="ml"`` on a correlation matrix that is not positive definite (R stops
        with "L-BFGS-B needs finite values of 'fn'").

    Warns
    -----
    ConvergenceWarning
        The extraction or the rotation did not converge.
    HeywoodWarning
        A communality exceeds 1, or a uniqueness sits at its lower bound.
    MeasurelibWarning
        The correlation matrix is singular: the likelihood statistics mean nothing.

    Notes
    -----
    R: ``psych::fa(x, nfactors, fm = method, rotate = rotation)`` (psych 2.2.9,
    GPArotation 2022.10).  ``factor_analyzer.FactorAnalyzer`` differs by default: promax
    rotation, median imputation of missing values, and no reflection or ordering.

    References
    ----------
    .. [1] Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and
       Personality Research* (R package version 2.2.9).
    .. [2] Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
       (minres). *Psychometrika*, 31(3), 351–368.
    .. [3] Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and
       software for arbitrary rotation criteria in factor analysis. *Educational and
       Psychological Measurement*, 65(5), 676–696.
    .. [4] Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor
       analysis. *Psychometrika*, 23(3), 187–200.
    .. [5] Hendrickson, A. E., & White, P. O. (1964). Promax: a quick method for rotation
       to oblique simple structure. *British Journal of Statistical Psychology*, 17, 65–70.

    Examples
    --------
    >>> from measurelib.datasets import load_dataset
    >>> from measurelib.psychometrics.efa._factors import fa
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = fa(hs[[f"x{i}" for i in range(1, 10)]], n_factors=3)
    >>> res.loadings.shape
    (9, 3)
    """
    caller = "fa"
    _check_common(n_factors, method, rotation, caller, allow_none=False)
    _choice("cor", cor, CORS, caller)
    _choice("missing", missing, MISSING, caller)
    if n_obs is not None and (not isinstance(n_obs, int) or isinstance(n_obs, bool) or n_obs < 2):
        raise ValueError(f"fa(): parameter 'n_obs' must be an integer >= 2 or None; got {n_obs!r}")
    r, npo, names, n, _arr, msgs, is_corr = _prepare(corr_or_data, cor, missing, caller)
    if is_corr:
        n = n_obs
    out = _fa_from_r(r, npo, names, n, n_factors, method, rotation, msgs, caller)
    return FactorAnalysisResult(**out)


@blas_policy
def factor_structure(
    data: Any,
    n_factors: int | None = None,
    method: str = "minres",
    rotation: str = "oblimin",
    cor: str = "pearson",
    seed: int | None = None,
    n_iter: int = 100,
    missing: str = "pairwise",
    *,
    progress: bool | None = None,
) -> FactorStructureResult:
    r"""Is the data fit for factoring, how many factors, and what structure?

    Computes, on the item correlations (pairwise-complete Pearson, or polychoric):

    * **KMO** (Kaiser 1974), ``psych::KMO``: overall and per item, with Kaiser's labels
      (≥ .90 marvelous, ≥ .80 meritorious, ≥ .70 middling, ≥ .60 mediocre, ≥ .50 miserable,
      below unacceptable; .60 is the usual minimum);
    * **Bartlett's test of sphericity** (Bartlett 1950), ``psych::cortest.bartlett`` with
      :math:`n` the number of rows:
      :math:`\chi^2 = -\ln|R|\,(n - 1 - (2p+5)/6)`, :math:`df = p(p-1)/2`;
    * **parallel analysis** (Horn 1965), ``psych::fa.parallel(fa = "both")``: the observed
      component and (one-factor minres) factor eigenvalues against the 95th percentile of
      those of ``n_iter`` simulated normal data sets of the same size, plus the means of
      ``n_iter`` column-wise resamples; the suggestion is the number of leading observed
      factor eigenvalues above the simulated percentile.  Because that count varies with
      the random draws (R's default of 20 iterations flips between runs), the share of
      500 bootstrap resamples of the iterations giving each count is reported in
      ``n_factors_stability``;
    * the **exploratory factor solution** of :func:`fa` with ``n_factors`` (default: the
      parallel-analysis suggestion, at least 1).

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Respondents × items (numeric codes; NaN for missing).
    n_factors : int, optional
        Number of factors; default the parallel-analysis suggestion.
    method : {"minres", "ml", "pa"}, default "minres"
    rotation : {"oblimin", "varimax", "promax", "quartimax", "geominQ", "Promax", "none"}
        Default ``"oblimin"`` as psych (factor_analyzer defaults to promax).
    cor : {"pearson", "polychoric"}, default "pearson"
    seed : int, optional
        Seed of the random draws of the parallel analysis (results are reproducible).
    n_iter : int, default 100
        Parallel-analysis iterations.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Nothing is imputed (factor_analyzer silently imputes medians).
    progress : bool, optional
        Show a progress bar on stderr; default only when stderr is a terminal.

    Returns
    -------
    FactorStructureResult

    Raises
    ------
    DataError
        Fewer than 3 items, constant items, or a singular correlation matrix.

    Warns
    -----
    SmallSampleWarning
        Fewer respondents than items.
    ConvergenceWarning, HeywoodWarning
        See :func:`fa`.

    Notes
    -----
    R: ``psych::KMO(x)``, ``psych::cortest.bartlett(x)``, ``psych::fa.parallel(x, fa = "both")``
    and ``psych::fa(x, nfactors, fm = method, rotate = rotation)``.  The observed
    eigenvalues agree with R to ~1e-12; the simulated ones are random (R's and numpy's
    generators differ), so only their distribution is comparable.  With
    ``cor="polychoric"`` the resampled eigenvalues are not computed (psych recomputes
    polychoric correlations for every resample); simulated data use Pearson correlations
    as in psych; KMO and Bartlett's test use the polychoric matrix (R:
    ``KMO(polychoric(x)$rho)``, ``cortest.bartlett(polychoric(x)$rho, n = nrow(x))``).

    References
    ----------
    .. [1] Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika*, 39(1), 31–36.
    .. [2] Bartlett, M. S. (1950). Tests of significance in factor analysis. *British
       Journal of Statistical Psychology*, 3(2), 77–85.
    .. [3] Horn, J. L. (1965). A rationale and test for the number of factors in factor
       analysis. *Psychometrika*, 30(2), 179–185.
    .. [4] Revelle, W. (2022). *psych* (R package version 2.2.9).

    Examples
    --------
    >>> from measurelib.datasets import load_dataset
    >>> from measurelib.psychometrics import factor_structure
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> fs = factor_structure(hs[[f"x{i}" for i in range(1, 10)]], seed=1, n_iter=20)
    >>> round(fs.kmo, 3), fs.kmo_label
    (0.752, 'middling')
    """
    import numpy as np
    import pandas as pd

    caller = "factor_structure"
    _check_common(n_factors, method, rotation, caller, allow_none=True)
    _choice("cor", cor, CORS, caller)
    _choice("missing", missing, MISSING, caller)
    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 1:
        raise ValueError(
            f"factor_structure(): parameter 'n_iter' must be an integer >= 1; got {n_iter!r}"
        )
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        raise TypeError(
            f"factor_structure(): parameter 'seed' must be an integer or None; got {seed!r}"
        )
    arr0, _ = _to_matrix(data, caller)
    if _is_correlation(arr0):
        raise ValueError(
            "factor_structure(): parameter 'data' must be item responses (respondents × items), "
            "not a correlation matrix; use fa() with n_obs for a correlation matrix"
        )
    r, npo, names, n, arr, msgs, _ = _prepare(data, cor, missing, caller)
    if n is None or arr is None:  # pragma: no cover - _prepare only skips these for matrices
        raise ValueError("factor_structure(): parameter 'data' must be item responses")
    p = r.shape[0]
    if n < p:
        m = f"only {n} respondents for {p} items: the solution is unstable; collect more data."
        msgs.append(m)
        warnings.warn(f"factor_structure(): {m}", SmallSampleWarning, stacklevel=2)
    _check_singular(r, names, caller)
    msa, msai = kmo(r)
    bart = bartlett_sphericity(r, n)
    pa = parallel_analysis(
        arr, n_iter=n_iter, seed=seed, cor=cor, resample=(cor == "pearson"), progress=progress, _r=r
    )
    suggested = int(pa["nfact"])
    nf = n_factors if n_factors is not None else max(1, suggested)
    if n_factors is None:
        maxf = max(k for k in range(1, p + 1) if p * (p - 1) / 2 - p * k + k * (k - 1) / 2 >= 0)
        if nf > maxf:
            msgs.append(
                f"parallel analysis suggested {nf} factors; "
                f"{maxf} (the most identifiable) were fitted"
            )
            nf = maxf
    par = pd.DataFrame(
        {
            "pc_observed": pa["pc_values"],
            "pc_simulated": pa["pc_sim"],
            "pc_simulated_q95": pa["pc_sim_q"],
            "pc_resampled": pa["pc_simr"],
            "fa_observed": pa["fa_values"],
            "fa_simulated": pa["fa_sim"],
            "fa_simulated_q95": pa["fa_sim_q"],
            "fa_resampled": pa["fa_simr"],
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    out = _fa_from_r(r, npo, names, n, nf, method, rotation, msgs, caller)
    return FactorStructureResult(
        **out,
        kmo=msa,
        kmo_items=pd.Series(msai, index=names, name="MSA"),
        kmo_label=kaiser_label(msa),
        bartlett=bart,
        parallel=par,
        n_factors_suggested=suggested,
        n_components_suggested=int(pa["ncomp"]),
        n_factors_stability=pa["stability"],
        n_components_stability=pa["stability_components"],
        cor=cor,
        missing=missing,
        seed=None if seed is None else int(seed),
        n_iter=n_iter,
    )
