"""Polychoric (and, for two-category items, tetrachoric) correlations as ``psych::polychoric``."""

from __future__ import annotations

import warnings
from typing import Any

from measurelib._results import Result
from measurelib.errors import DataError, Diagnostic, Location, MeasurelibWarning, register
from measurelib.psychometrics._numeric import blas_policy

__all__ = ["PolychoricResult", "polychoric"]

register(
    "too-many-categories",
    "Too many categories for polychoric correlations",
    "Polychoric correlations assume a few ordered categories; the data span more values "
    "than `max_categories`.",
    "Use Pearson correlations for (near-)continuous items, or raise `max_categories`.",
    area="data",
)
register(
    "non-integer-response",
    "Non-integer response",
    "Polychoric correlations need integer category codes.",
    "Recode the responses as whole numbers (1, 2, 3, ...).",
    area="data",
)
register(
    "constant-item",
    "Item has no variance",
    "Every non-missing answer to the item is the same, so no correlation can be estimated.",
    "Drop the item from the analysis.",
    area="data",
)
register(
    "too-few-items",
    "Too few items",
    "The analysis needs more items than were given.",
    "Give at least the number of items named.",
    area="data",
)


class PolychoricResult(Result):
    """Polychoric correlation matrix with its thresholds.

    Attributes
    ----------
    rho : pandas.DataFrame
        Items × items polychoric correlations (smoothed if not positive definite).
    thresholds : pandas.DataFrame
        Items × cut points: the global thresholds ``qnorm`` of cumulative proportions
        (``psych::polychoric()$tau``).
    n : int
        Number of rows of the data (``$n.obs``).
    n_pairwise : pandas.DataFrame
        Number of complete pairs behind each correlation.
    global_thresholds : bool
        Whether the global thresholds were used for every pair (all items have the same
        number of response alternatives) or each pair's own, with the continuity correction.
    correct : float
        The continuity correction used for empty cells when thresholds are per pair.
    n_corrected_pairs : int
        Number of pairs in which empty cells were replaced by the correction.
    smoothed : bool
        Whether the matrix was smoothed with ``psych::cor.smooth``.
    warnings : list of str
    """

    rho: Any
    thresholds: Any
    n: int
    n_pairwise: Any
    n_items: int
    global_thresholds: bool
    correct: float
    n_corrected_pairs: int
    smoothed: bool
    warnings: list[str]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.rho.copy()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (
            f"Polychoric correlations of {self.n_items} items (n = {self.n}); "
            f"{'global' if self.global_thresholds else 'pairwise'} thresholds"
            + (", smoothed" if self.smoothed else "")
        )


def _bvn_cells(rho: Any, rc: Any, cc: Any) -> Any:
    """``psych:::polyBinBvn`` for many pairs at once.

    ``rho`` (m,), ``rc`` (m, R-1), ``cc`` (m, C-1) → cell probabilities (m, R, C).
    """
    import numpy as np

    from measurelib.psychometrics._numeric import _phi, bvn_rect

    m, nr1 = rc.shape
    nc1 = cc.shape[1]
    nr, nc = nr1 + 1, nc1 + 1
    ninf = np.full((m, 1), -np.inf)
    pinf = np.full((m, 1), np.inf)
    rcuts = np.concatenate([ninf, rc, pinf], axis=1)
    ccuts = np.concatenate([ninf, cc, pinf], axis=1)
    P = np.zeros((m, nr, nc))
    lo1 = rcuts[:, : nr - 1][:, :, None]
    up1 = rcuts[:, 1:nr][:, :, None]
    lo2 = ccuts[:, : nc - 1][:, None, :]
    up2 = ccuts[:, 1:nc][:, None, :]
    shape = (m, nr - 1, nc - 1)
    P[:, : nr - 1, : nc - 1] = bvn_rect(
        np.broadcast_to(lo1, shape),
        np.broadcast_to(up1, shape),
        np.broadcast_to(lo2, shape),
        np.broadcast_to(up2, shape),
        np.broadcast_to(rho[:, None, None], shape),
    )
    prc = _phi(rc)
    pcc = _phi(cc)
    P[:, 0, nc - 1] = prc[:, 0] - P[:, 0, : nc - 1].sum(axis=1)
    P[:, nr - 1, 0] = pcc[:, 0] - P[:, : nr - 1, 0].sum(axis=1)
    for i in range(1, nr - 1):
        P[:, i, nc - 1] = prc[:, i] - prc[:, i - 1] - P[:, i, : nc - 1].sum(axis=1)
    for j in range(1, nc - 1):
        P[:, nr - 1, j] = pcc[:, j] - pcc[:, j - 1] - P[:, : nr - 1, j].sum(axis=1)
    if nc > 1:
        P[:, nr - 1, nc - 1] = 1.0 - prc[:, nr - 2] - P[:, nr - 1, : nc - 1].sum(axis=1)
    return P


def _poly_objective(rho: Any, rc: Any, cc: Any, tab: Any) -> Any:
    """``psych:::polyF``: minus the log-likelihood of the (proportion) table.

    ``-sum(tab * lP, na.rm = TRUE)`` is summed as R's ``sum`` does: in column-major order,
    one term after another, in extended precision (``long double``), rounded once.  Near
    ``rho = ±1`` (a table with an empty corner cell) the likelihood is flat to the last bit,
    and ``optimize`` then follows those last bits: a sum in another order or precision
    ends elsewhere on the flat stretch (up to 0.06 away on fresh data).
    """
    import numpy as np

    from measurelib.psychometrics._numeric import r_sum

    P = _bvn_cells(rho, rc, cc)
    with np.errstate(divide="ignore", invalid="ignore"):
        lP = np.log(np.where(P > 0, P, np.nan))
        lP = np.where(np.isfinite(lP), lP, np.nan)
        terms = tab * lP
    flat = np.swapaxes(terms, 1, 2).reshape(terms.shape[0], -1)
    return -r_sum(np.where(np.isnan(flat), 0.0, flat))


def _fit_pairs(tabs: Any, rcs: Any, ccs: Any) -> tuple[Any, Any]:
    """Maximum-likelihood rho for many tables of one shape, with R's ``optimize``."""
    import numpy as np

    from measurelib.psychometrics._numeric import brent_fmin

    def f(x: Any, idx: Any) -> Any:
        return _poly_objective(x, rcs[idx], ccs[idx], tabs[idx])

    return brent_fmin(f, tabs.shape[0], -1.0, 1.0) if tabs.shape[0] else (np.zeros(0), np.zeros(0))


def _at_boundary(tabs: Any, rcs: Any, ccs: Any, est: Any) -> Any:
    """Pairs whose likelihood is flat between the estimate and ±1 (the MLE is ±1).

    With an empty cell in a corner of the table the likelihood increases towards
    ``rho = ±1`` but flattens to the last bit well before it; R's ``optimize`` stops
    somewhere on that stretch, depending on the last bits of the probabilities.
    """
    import numpy as np

    cand = np.nonzero(np.abs(est) > 0.8)[0]
    out = np.zeros(est.shape, dtype=bool)
    if cand.size == 0:
        return out
    edge = np.sign(est[cand]) * (1.0 - 1e-6)
    f_est = _poly_objective(est[cand], rcs[cand], ccs[cand], tabs[cand])
    f_edge = _poly_objective(edge, rcs[cand], ccs[cand], tabs[cand])
    # psych drops cells of probability 0 from the likelihood; near ±1 that would make the
    # edge look better for the wrong reason, so every observed cell must keep a probability
    p_edge = _bvn_cells(edge, rcs[cand], ccs[cand])
    observed_ok = np.all((tabs[cand] == 0) | (p_edge > 0), axis=(1, 2))
    out[cand] = observed_ok & (f_edge <= f_est + 1e-9 * np.maximum(1.0, np.abs(f_est)))
    return out


def _check_data(data: Any, max_categories: int) -> tuple[Any, list[str]]:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, np.ndarray) and data.ndim == 2:
        frame = pd.DataFrame(data, columns=[f"V{i + 1}" for i in range(data.shape[1])])
    else:
        raise TypeError(
            "polychoric(): parameter 'data' must be a pandas DataFrame or a 2-D numpy array "
            f"of item responses; got {type(data).__name__}"
        )
    names = [str(c) for c in frame.columns]
    try:
        x = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "polychoric(): parameter 'data' must hold numeric item responses "
            f"(one column per item); conversion failed: {exc}"
        ) from None
    if x.shape[1] < 2:
        raise DataError(
            Diagnostic(
                "too-few-items",
                f"polychoric correlations need at least 2 items; got {x.shape[1]}",
                "Give two or more item columns.",
            )
        )
    finite = np.isfinite(x)
    nonint = finite & (x != np.round(x))
    if nonint.any():
        rows, cols = np.nonzero(nonint)
        diags = [
            Diagnostic(
                "non-integer-response",
                f"value {x[r, c]!r} is not a whole-number category",
                "Recode the responses as whole numbers.",
                Location(row=int(r) + 2, field=names[c]),
            )
            for r, c in list(zip(rows, cols, strict=True))[:20]
        ]
        raise DataError(diags, title="polychoric(): responses must be integer category codes")
    if not finite.any():
        raise DataError(Diagnostic("constant-item", "the data hold no responses"))
    nvalues = int(np.nanmax(x) - np.nanmin(x) + 1)
    if nvalues > max_categories:
        raise DataError(
            Diagnostic(
                "too-many-categories",
                f"the responses span {nvalues} values (from {np.nanmin(x):g} to {np.nanmax(x):g}), "
                f"more than max_categories={max_categories}",
                "Use Pearson correlations, or raise `max_categories`.",
            )
        )
    sds = np.array([np.nanstd(col) if np.isfinite(col).sum() > 1 else np.nan for col in x.T])
    bad = [i for i, s in enumerate(sds) if not (s > 0)]
    if bad:
        raise DataError(
            [
                Diagnostic(
                    "constant-item",
                    f"item {names[i]!r} has no variance (all non-missing answers equal)",
                    "Drop the item; psych::polychoric drops it with a message.",
                    Location(field=names[i]),
                )
                for i in bad
            ],
            title="polychoric(): constant items",
        )
    return x, names


@blas_policy
def polychoric(
    data: Any,
    correct: float = 0.5,
    *,
    smooth: bool = True,
    global_thresholds: bool = True,
    max_categories: int = 8,
) -> PolychoricResult:
    r"""Polychoric correlations of ordered-categorical items, as ``psych::polychoric``.

    Each pair's correlation maximises the bivariate-normal likelihood of its
    contingency table given the thresholds of the two items:

    .. math::

        \hat\rho = \arg\min_{\rho \in [-1, 1]}
            -\sum_{a,b} p_{ab}\,\log \pi_{ab}(\rho;\tau^x, \tau^y),\qquad
        \pi_{ab} = \int_{\tau^x_{a-1}}^{\tau^x_a}\!\int_{\tau^y_{b-1}}^{\tau^y_b}
            \phi_2(u, v; \rho)\,dv\,du,

    with :math:`p_{ab}` the observed proportions among the pair's complete cases and
    thresholds :math:`\tau_k = \Phi^{-1}(\text{cumulative proportion} \le k)`.

    Conventions (those of ``psych::polychoric`` 2.2.9, ``global = TRUE``):

    * thresholds are *global*: computed once per item from all its non-missing answers
      (so pairwise deletion only affects the table, not the thresholds);
    * with global thresholds no continuity correction is applied; if the items do not
      all have the same number of response alternatives psych switches to per-pair
      thresholds, drops empty rows and columns of each table and replaces empty cells by
      ``correct / n_pair`` (default 0.5) — this function does the same;
    * the optimiser is R's ``optimize()`` on ``[-1, 1]`` with its default tolerance
      ``.Machine$double.eps^0.25``: Brent's method is replicated step for step, so the
      estimates agree with R's to ~1e-12 rather than only to the tolerance;
    * bivariate normal probabilities use Genz's ``BVNU`` (as ``mnormt::sadmvn`` does), and
      the log-likelihood is summed as R's ``sum()`` does (extended precision), so that
      ``optimize()``'s path is R's where the likelihood is flat to the last bit;
    * a pair whose likelihood keeps rising to ±1 (an empty cell in a corner of its table)
      has no finite maximum: it is named in a warning (its value is where the optimiser
      stopped, in R too);
    * a matrix that is not positive definite is smoothed with ``psych::cor.smooth``.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        Respondents × items, integer category codes; missing values (NaN) are handled
        pairwise.
    correct : float, default 0.5
        Continuity correction for empty cells (only used with per-pair thresholds).
    smooth : bool, default True
        Smooth a non-positive-definite result (``psych::cor.smooth``).
    global_thresholds : bool, default True
        Use each item's global thresholds (psych's ``global = TRUE``).
    max_categories : int, default 8
        Refuse data spanning more distinct values than this (psych's ``max.cat``).

    Returns
    -------
    PolychoricResult

    Raises
    ------
    DataError
        Non-integer codes, constant items, fewer than two items, or too many categories.

    Warns
    -----
    MeasurelibWarning
        The matrix was smoothed, or some correlations are not determined by the data.

    Notes
    -----
    Same numbers as ``psych::polychoric(x)`` (``$rho``, ``$tau``, ``$n.obs``).  Binary items
    give tetrachoric correlations by the polychoric route; ``psych::tetrachoric`` uses its
    own correction for empty cells and can differ slightly when a 2×2 table has an empty cell.

    References
    ----------
    .. [1] Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
       coefficient. *Psychometrika*, 44(4), 443–460.
    .. [2] Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and
       Personality Research* (R package version 2.2.9).
    .. [3] Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate
       normal and t probabilities. *Statistics and Computing*, 14, 251–260.
    .. [4] Brent, R. (1973). *Algorithms for Minimization without Derivatives*.
       Prentice-Hall.

    Examples
    --------
    >>> import pandas as pd
    >>> from measurelib.psychometrics import polychoric
    >>> df = pd.DataFrame({"a": [1, 2, 3, 1, 2, 3, 2, 1], "b": [1, 2, 3, 2, 2, 3, 1, 1]})
    >>> round(float(polychoric(df).rho.loc["a", "b"]), 3)
    0.906
    """
    import numpy as np
    import pandas as pd
    from scipy.special import ndtri

    from measurelib.psychometrics._numeric import cor_smooth

    if not isinstance(correct, (int, float)) or isinstance(correct, bool) or correct < 0:
        raise ValueError(
            f"polychoric(): parameter 'correct' must be a number >= 0; got {correct!r}"
        )
    if not isinstance(max_categories, int) or max_categories < 2:
        raise ValueError(
            "polychoric(): parameter 'max_categories' must be an integer >= 2; "
            f"got {max_categories!r}"
        )
    x, names = _check_data(data, max_categories)
    nsub, nvar = x.shape
    msgs: list[str] = []
    nvalues = int(np.nanmax(x) - np.nanmin(x) + 1)
    xmin = np.nanmin(x)
    xi = np.where(np.isfinite(x), x - xmin + 1, 0).astype(np.int64)  # 1..nvalues, 0 = missing
    item_max = np.array([xi[:, j].max() for j in range(nvar)])
    use_global = bool(global_thresholds)
    if item_max.min() != item_max.max():
        use_global = False
        msgs.append(
            "The items do not have an equal number of response alternatives; "
            "per-pair thresholds with the continuity correction were used "
            "(psych: global set to FALSE)."
        )
    gmax = int(item_max.max())
    # global thresholds from each item's marginal frequencies
    freq = np.stack(
        [np.bincount(xi[:, j], minlength=nvalues + 1)[1 : nvalues + 1] for j in range(nvar)], 1
    )
    n_item = freq.sum(axis=0)
    prop = freq / n_item
    tau = ndtri(np.cumsum(prop, axis=0)[: nvalues - 1, :])  # (nvalues-1, nvar)
    # pairs in psych's order: i = 2..nvar, j = 1..i-1 (rows = item i)
    il, jl = np.tril_indices(nvar, -1)
    npair = il.size
    # pairwise tables (gmax x gmax), rows = item i, columns = item j
    tabs = np.zeros((npair, gmax, gmax))
    for k in range(npair):
        a = xi[:, il[k]]
        b = xi[:, jl[k]]
        ok = (a > 0) & (b > 0)
        tabs[k] = np.bincount((a[ok] - 1) + (b[ok] - 1) * gmax, minlength=gmax * gmax).reshape(
            gmax, gmax, order="F"
        )
    tots = tabs.sum(axis=(1, 2))
    rho = np.full(npair, np.nan)
    fixed = np.zeros(npair, dtype=bool)
    has = tots > 0
    if use_global:
        tabsn = np.where(has[:, None, None], tabs / np.where(has, tots, 1.0)[:, None, None], 0.0)
        taut = tau.T
        idx = np.nonzero(has)[0]
        # thresholds need gmax-1 cut points: with equal numbers of alternatives gmax == nvalues
        rc = taut[il[idx], : gmax - 1]
        cc = taut[jl[idx], : gmax - 1]
        est, _ = _fit_pairs(tabsn[idx], rc, cc)
        rho[idx] = est
        flat = idx[_at_boundary(tabsn[idx], rc, cc, est)]
        if flat.size:
            pairs = ", ".join(f"{names[il[k]]!r}-{names[jl[k]]!r}" for k in flat[:5])
            more = f" and {flat.size - 5} more" if flat.size > 5 else ""
            msg = (
                f"{flat.size} polychoric correlation(s) are not determined by the data "
                f"({pairs}{more}): the likelihood keeps rising to ±1 (an empty cell in a "
                "corner of the table), so the value is where the optimiser stopped on a flat "
                "stretch (R's too, which can differ in the 2nd decimal). Merge sparse "
                "categories or read these correlations as 'near ±1'."
            )
            msgs.append(msg)
            warnings.warn(msg, MeasurelibWarning, stacklevel=2)
    else:
        groups: dict[tuple[int, int], list[tuple[int, Any, Any, Any]]] = {}
        for k in range(npair):
            if not has[k]:
                continue
            t = tabs[k] / tots[k]
            t = t[~np.all(t == 0, axis=1)][:, ~np.all(t == 0, axis=0)]
            if correct > 0 and np.any(t == 0):
                fixed[k] = True
                t = np.where(t == 0, correct / tots[k], t)
            if min(t.shape) < 2:
                continue
            csum = t.sum(axis=0)
            rsum = t.sum(axis=1)
            cc_k = ndtri(np.cumsum(csum)[:-1])
            rc_k = ndtri(np.cumsum(rsum)[:-1])
            groups.setdefault(t.shape, []).append((k, t, rc_k, cc_k))
        for members in groups.values():
            ks = np.array([m[0] for m in members])
            est, _ = _fit_pairs(
                np.stack([m[1] for m in members]),
                np.stack([m[2] for m in members]),
                np.stack([m[3] for m in members]),
            )
            rho[ks] = est
        nfixed = int(fixed.sum())
        if nfixed and correct > 0:
            msgs.append(
                f"{nfixed} cells were adjusted for 0 values using the correction for continuity "
                f"(correct={correct:g}). Examine your data carefully."
            )
    mat = np.eye(nvar)
    mat[il, jl] = rho
    mat[jl, il] = rho
    smoothed = False
    if np.isnan(mat).any():
        msgs.append(
            "Some correlations could not be estimated (too few complete pairs); "
            "smoothing turned off."
        )
    elif smooth:
        mat, smoothed = cor_smooth(mat)
        if smoothed:
            msg = (
                "The polychoric matrix was not positive definite; "
                "it was smoothed (psych::cor.smooth)."
            )
            msgs.append(msg)
            warnings.warn(msg, MeasurelibWarning, stacklevel=2)
    npw = np.zeros((nvar, nvar), dtype=np.int64)
    obs = (xi > 0).astype(np.int64)
    npw = obs.T @ obs
    return PolychoricResult(
        rho=pd.DataFrame(mat, index=names, columns=names),
        thresholds=pd.DataFrame(tau.T, index=names, columns=[str(i) for i in range(1, nvalues)]),
        n=int(nsub),
        n_pairwise=pd.DataFrame(npw, index=names, columns=names),
        n_items=int(nvar),
        global_thresholds=use_global,
        correct=float(correct),
        n_corrected_pairs=int(fixed.sum()),
        smoothed=smoothed,
        warnings=msgs,
    )
