"""McDonald's omega from a Schmid–Leiman transformation, as ``psych::omega``."""

from __future__ import annotations

import math
import warnings
from typing import Any

from measurelib._results import Result
from measurelib.errors import (
    DataError,
    Diagnostic,
    HeywoodWarning,
    MeasurelibWarning,
    register,
)
from measurelib.psychometrics._numeric import blas_policy

__all__ = ["OmegaResult", "omega", "schmid_leiman"]

register(
    "general-factor-not-estimable",
    "General factor not estimable",
    "The Schmid–Leiman general factor cannot be identified with the number of group "
    "factors and items given.",
    "Use at least three group factors with at least three items each, or report omega total only.",
    area="data",
)

_FMS = ("minres", "ml", "pa")
_ROTS = ("oblimin", "promax", "Promax", "geominQ", "quartimin")


class OmegaResult(Result):
    """Omega hierarchical, omega total and the Schmid–Leiman solution (``psych::omega``).

    Attributes
    ----------
    omega_hierarchical : float
        Share of total-score variance due to the general factor (``$omega_h``).
    omega_total : float
        Share of total-score variance due to all common factors (``$omega.tot``).
    omega_limit : float
        ``omega_h / omega_total`` as psych's ``$omega.lim`` (asymptotic omega_h).
    alpha : float
        Cronbach's alpha of the (flipped) items, from the correlation matrix.
    g6 : float
        Guttman's lambda 6 (``$G6``).
    ecv : float
        Explained common variance of the general factor (``$ECV``).
    omega_subscales : pandas.DataFrame
        One row for ``g`` and one per group factor, columns ``total``, ``general``,
        ``group`` (``$omega.group``): omega of the items whose largest group loading
        is on that factor.
    g_loadings : pandas.Series
        Loadings on the general factor.
    schmid_leiman : pandas.DataFrame
        ``g``, ``F1*`` … group loadings, ``h2``, ``u2``, ``p2`` (``$schmid$sl``).
    factor_correlations : pandas.DataFrame
        Correlations of the oblique group factors the general factor was extracted from.
    keys : pandas.Series
        +1/-1 per item: items with negative general loadings are reversed (psych ``flip``).
    general_factor_estimable : bool
        False with one group factor, or two (then psych sets the general loadings equal,
        which identifies the solution only by assumption).
    """

    omega_hierarchical: float
    omega_total: float
    omega_limit: float
    alpha: float
    g6: float
    ecv: float
    omega_subscales: Any
    g_loadings: Any
    schmid_leiman: Any
    factor_correlations: Any
    keys: Any
    n: int | None
    n_items: int
    n_factors: int
    fm: str
    rotation: str
    poly: bool
    general_factor_estimable: bool
    converged: bool
    warnings: list[str]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.schmid_leiman.copy()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (
            f"omega_h = {self.omega_hierarchical:.3f}, omega_t = {self.omega_total:.3f}, "
            f"alpha = {self.alpha:.3f}, ECV = {self.ecv:.3f} "
            f"({self.n_items} items, {self.n_factors} group factors, fm={self.fm})"
        )


def _is_correlation(x: Any) -> bool:
    import numpy as np

    return bool(
        x.ndim == 2
        and x.shape[0] == x.shape[1]
        and np.all(np.isfinite(x))
        and np.allclose(x, x.T, atol=1e-12, rtol=0)
        and np.allclose(np.diag(x), 1.0, atol=1e-8)
    )


def schmid_leiman(
    r: Any,
    n_factors: int,
    fm: str = "minres",
    rotation: str = "oblimin",
    n_obs: float | None = None,
) -> dict[str, Any]:
    """``psych::schmid``: Schmid–Leiman transformation of an oblique solution.

    Returns a dict with ``sl`` (items × [g, F1*, …, h2, u2, p2]), ``phi`` (group-factor
    correlations), ``gloading`` (loadings of the group factors on g), ``oblique`` (pattern),
    ``orthog`` (varimax loadings), ``messages`` and ``converged``.
    """
    import numpy as np

    from measurelib.psychometrics.efa._core import fit_fa
    from measurelib.psychometrics.efa._rotation import gpf_oblique, promax_psych, rotate

    msgs: list[str] = []
    fact = fit_fa(r, n_factors, fm, "varimax", n_obs=n_obs, stats=False)  # fit not reported
    msgs.extend(fact.messages)
    converged = fact.converged and fact.rotation_converged
    orth = fact.loadings
    p = r.shape[0]
    if n_factors == 1:
        fload = orth
        phi = np.ones((1, 1))
        gload = np.array([1.0])
        msgs.append("Omega_h for 1 factor is not meaningful, just omega_t")
    else:
        if rotation in ("oblimin", "quartimin"):
            try:
                ob = gpf_oblique(orth, "oblimin", gam=0.0)
                if not ob.converged:
                    msgs.append("oblimin rotation did not converge in 1000 iterations")
                    converged = False
            except np.linalg.LinAlgError:
                ob = promax_psych(orth)
                msgs.append("The oblimin solution failed, Promax used instead.")
        elif rotation == "geominQ":
            ob = gpf_oblique(orth, "geomin", delta=0.01)
        else:
            ob = rotate(orth, rotation)
        fload = ob.loadings
        phi = ob.phi if ob.phi is not None else np.eye(n_factors)
        if n_factors > 2:
            gf = fit_fa(phi, 1, fm, "none", stats=False)
            gload = gf.loadings[:, 0]
            msgs.extend(f"higher-order factor: {m}" for m in gf.messages)
        else:
            c = phi[0, 1]
            gload = np.array([math.sqrt(abs(c)), math.copysign(1.0, c) * math.sqrt(abs(c))])
            msgs.append(
                "Three factors are required for identification -- general factor loadings set "
                "to be equal (psych option = 'equal'). Proceed with caution."
            )
    g = fload @ gload
    h2 = np.sum(orth**2, axis=1)
    dm = np.diag(r)
    u2 = dm - h2
    uniq = dm[:, None] - fload**2
    primeload = fload * gload[None, :]
    uniq2 = dm[:, None] - uniq - primeload**2
    uniq2 = np.where(uniq2 < 0, 0.0, uniq2)
    sm = np.sign(fload) * np.sqrt(uniq2)
    p2 = g**2 / h2
    sl = np.column_stack([g, sm, h2, u2, p2])
    del p
    return {
        "sl": sl,
        "phi": phi,
        "gloading": gload,
        "oblique": fload,
        "orthog": orth,
        "messages": msgs,
        "converged": converged,
    }


@blas_policy
def omega(
    data_or_corr: Any,
    n_factors: int = 3,
    fm: str = "minres",
    rotation: str = "oblimin",
    n_obs: int | None = None,
    poly: bool = False,
) -> OmegaResult:
    r"""McDonald's omega hierarchical and omega total, as ``psych::omega``.

    A factor model with ``n_factors`` group factors is fitted (``psych::fa`` with
    varimax, then oblimin), a general factor is extracted from the factor correlations
    (a one-factor ``fa`` of :math:`\Phi`, or equal loadings when there are two group
    factors), and the Schmid–Leiman transformation gives every item a general loading
    :math:`g_i` and group loadings :math:`f_{ij}`.  Items whose general loading is
    negative are reversed (psych's ``flip = TRUE``).  With :math:`V_t = \mathbf 1' R
    \mathbf 1` the variance of the unit-weighted total and :math:`u_i^2` the uniquenesses,

    .. math::

        \omega_h = \frac{(\sum_i g_i)^2}{V_t}, \qquad
        \omega_t = \frac{V_t - \sum_i u_i^2}{V_t}, \qquad
        \mathrm{ECV} = \frac{\sum_i g_i^2}{\sum_i g_i^2 + \sum_{i,j} f_{ij}^2}.

    For each group factor, ``omega_subscales`` gives, over the items whose largest group
    loading is on it, :math:`\omega_{total} = ((\sum f)^2 + (\sum g)^2)/V_{gr}`,
    :math:`\omega_{general} = (\sum g)^2 / V_{gr}` and :math:`\omega_{group} = (\sum f)^2/V_{gr}`.

    Parameters
    ----------
    data_or_corr : pandas.DataFrame or numpy.ndarray
        Respondents × items (Pearson correlations on pairwise-complete cases, or
        polychoric with ``poly=True``), or a correlation matrix.
    n_factors : int, default 3
        Number of group factors.
    fm : {"minres", "ml", "pa"}, default "minres"
    rotation : {"oblimin", "promax", "Promax", "geominQ"}, default "oblimin"
    n_obs : int, optional
        Sample size when a correlation matrix is given (for the fit statistics).
    poly : bool, default False
        Use polychoric correlations of the data (``psych::omega(poly = TRUE)``).

    Returns
    -------
    OmegaResult

    Raises
    ------
    ValueError
        A parameter outside its allowed values.
    DataError
        Fewer than 3 items, or more factors than the items can identify.

    Warns
    -----
    MeasurelibWarning
        When the general factor is not estimable (one group factor) or only identified
        by assuming equal loadings (two group factors).
    HeywoodWarning
        When a communality reaches 1.

    Notes
    -----
    Same numbers as ``psych::omega(x, nfactors, fm, rotate = rotation, plot = FALSE)``
    (``$omega_h``, ``$omega.tot``, ``$alpha``, ``$omega.lim``, ``$G6``, ``$ECV``,
    ``$omega.group``, ``$schmid$sl``) with psych 2.2.9 and GPArotation 2022.10.

    References
    ----------
    .. [1] McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Erlbaum.
    .. [2] Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
       solutions. *Psychometrika*, 22(1), 53–61.
    .. [3] Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's α,
       Revelle's β, and McDonald's ωH. *Psychometrika*, 70(1), 123–133.
    .. [4] Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the
       glb. *Psychometrika*, 74(1), 145–154.

    Examples
    --------
    >>> from measurelib.datasets import load_dataset
    >>> from measurelib.psychometrics import omega
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = omega(hs[[f"x{i}" for i in range(1, 10)]], n_factors=3)
    >>> round(res.omega_total, 2)
    0.85
    """
    import numpy as np
    import pandas as pd

    from measurelib.psychometrics._numeric import smc
    from measurelib.psychometrics.efa._core import pairwise_cor

    if not isinstance(n_factors, int) or isinstance(n_factors, bool) or n_factors < 1:
        raise ValueError(
            f"omega(): parameter 'n_factors' must be an integer >= 1; got {n_factors!r}"
        )
    if fm not in _FMS:
        raise ValueError(f"omega(): parameter 'fm' must be one of {_FMS}; got {fm!r}")
    if rotation not in _ROTS:
        raise ValueError(f"omega(): parameter 'rotation' must be one of {_ROTS}; got {rotation!r}")
    if n_obs is not None and (not isinstance(n_obs, (int, np.integer)) or n_obs < 2):
        raise ValueError(
            f"omega(): parameter 'n_obs' must be an integer >= 2 or None; got {n_obs!r}"
        )

    if isinstance(data_or_corr, pd.DataFrame):
        names = [str(c) for c in data_or_corr.columns]
        try:
            arr = data_or_corr.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"omega(): parameter 'data_or_corr' must be numeric; {exc}") from None
    elif isinstance(data_or_corr, np.ndarray) and data_or_corr.ndim == 2:
        arr = np.asarray(data_or_corr, dtype=np.float64)
        names = [f"V{i + 1}" for i in range(arr.shape[1])]
    else:
        raise TypeError(
            "omega(): parameter 'data_or_corr' must be a DataFrame or 2-D array of item "
            f"responses or correlations; got {type(data_or_corr).__name__}"
        )
    msgs: list[str] = []
    nvar = arr.shape[1]
    if nvar < 3:
        raise DataError(
            Diagnostic("too-few-items", f"omega needs at least 3 items; got {nvar}", "Add items."),
            title="omega(): too few items",
        )
    is_corr = _is_correlation(arr)
    n: int | None
    if is_corr:
        if poly:
            raise ValueError("omega(): poly=True needs item responses, not a correlation matrix")
        d = np.sqrt(np.diag(arr))
        r = arr / d[:, None] / d[None, :]
        n = int(n_obs) if n_obs is not None else None
    elif poly:
        from measurelib.psychometrics._polychoric import polychoric

        pr = polychoric(pd.DataFrame(arr, columns=names))
        r = pr.rho.to_numpy()
        n = pr.n
        msgs.extend(pr.warnings)
    else:
        from measurelib.psychometrics.efa._factors import _check_items

        _check_items(arr, names, "omega")
        r, _npw = pairwise_cor(arr)
        n = arr.shape[0]
    dof = nvar * (nvar - 1) / 2 - nvar * n_factors + n_factors * (n_factors - 1) / 2
    if n_factors >= nvar or dof < 0:
        raise DataError(
            Diagnostic(
                "general-factor-not-estimable",
                f"{n_factors} group factors cannot be identified from {nvar} items "
                f"(degrees of freedom {dof:g} < 0)",
                "Use fewer group factors (psych's default is 3, with at least 3 items each).",
            ),
            title="omega(): too many factors for the number of items",
        )
    estimable = n_factors >= 3
    sch = schmid_leiman(r, n_factors, fm, rotation, n_obs=n)
    msgs.extend(sch["messages"])
    sl = sch["sl"].copy()
    nf = n_factors
    g = sl[:, 0]
    key = np.sign(g)
    key[key == 0] = 1.0
    m = r.copy()
    if key.sum() < nvar:
        m = key[:, None] * m * key[None, :]
        sl[:, : nf + 1] = key[:, None] * sl[:, : nf + 1]
    vt = float(m.sum())
    vitem = float(np.trace(m))
    gload = sl[:, 0]
    gsq = float(gload.sum()) ** 2
    uniq = float(sl[:, nf + 2].sum())
    om_tot = (vt - uniq) / vt
    om_lim = gsq / (vt - uniq)
    alpha = ((vt - vitem) / vt) * (nvar / (nvar - 1))
    g6 = (vt + float(smc(m).sum()) - vitem) / vt
    ev = np.sum(sl[:, : nf + 1] ** 2, axis=0)
    ecv = float(ev[0] / ev.sum())
    groups = ["g"] + [f"F{i + 1}*" for i in range(nf)]
    omt = np.full(nf + 1, np.nan)
    omgo = np.full(nf + 1, np.nan)
    omg = np.full(nf + 1, np.nan)
    sub = np.argmax(np.abs(sl[:, 1 : nf + 1]), axis=1) if nf > 1 else np.zeros(nvar, dtype=int)
    grs = 0.0
    for grp in range(nf):
        gi = np.nonzero(sub == grp)[0]
        if gi.size > 0:
            vgr = float(m[np.ix_(gi, gi)].sum())
            gr = float(sl[gi, grp + 1].sum())
            grs += gr**2
            omg[grp + 1] = gr**2 / vgr
            omgo[grp + 1] = float(sl[gi, 0].sum()) ** 2 / vgr
            omt[grp + 1] = (gr**2 + float(sl[gi, 0].sum()) ** 2) / vgr
        else:
            msgs.append(f"No item has its largest group loading on {groups[grp + 1]}.")
    omgo[0] = float(sl[:, 0].sum()) ** 2 / vt
    omg[0] = grs / vt
    omt[0] = om_tot
    counts = np.bincount(sub, minlength=nf)
    if nf >= 2 and counts.min() < 3:
        msgs.append(
            "Some group factors have fewer than 3 items with their largest loading on them; "
            "the general factor may be poorly determined."
        )
    if nf == 1:
        warnings.warn(
            "omega(): with one factor the general factor is not distinguishable from it; "
            "omega_hierarchical equals omega_total's common part and is not meaningful.",
            MeasurelibWarning,
            stacklevel=2,
        )
        msgs.append("omega_hierarchical is not meaningful with one factor.")
    elif nf == 2:
        warnings.warn(
            "omega(): with two group factors the general factor is identified only by assuming "
            "equal general loadings of both factors (psych option = 'equal').",
            MeasurelibWarning,
            stacklevel=2,
        )
    if np.any(sl[:, nf + 1] >= 1.0):
        msg = "A communality reached 1 (Heywood case) in the Schmid-Leiman solution."
        msgs.append(msg)
        warnings.warn(msg, HeywoodWarning, stacklevel=2)
    sl_cols = groups + ["h2", "u2", "p2"]
    names_ix = pd.Index(names)  # one index for the three tables (each conversion costs)
    return OmegaResult(
        omega_hierarchical=gsq / vt,
        omega_total=om_tot,
        omega_limit=om_lim,
        alpha=alpha,
        g6=g6,
        ecv=ecv,
        omega_subscales=pd.DataFrame({"total": omt, "general": omgo, "group": omg}, index=groups),
        g_loadings=pd.Series(sl[:, 0], index=names_ix, name="g"),
        schmid_leiman=pd.DataFrame(sl, index=names_ix, columns=sl_cols),
        factor_correlations=pd.DataFrame(
            sch["phi"],
            index=[f"F{i + 1}" for i in range(nf)],
            columns=[f"F{i + 1}" for i in range(nf)],
        ),
        keys=pd.Series(key.astype(int), index=names_ix, name="key"),
        n=n,
        n_items=nvar,
        n_factors=nf,
        fm=fm,
        rotation=rotation,
        poly=bool(poly),
        general_factor_estimable=estimable,
        converged=bool(sch["converged"]),
        warnings=msgs,
    )
