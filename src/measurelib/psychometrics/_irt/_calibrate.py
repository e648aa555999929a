"""``irt()``: calibrate a unidimensional IRT model by marginal maximum likelihood."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from measurelib._progress import progress as progress_bar
from measurelib.psychometrics._reliability import _check_choice

from ._result import IRTResult

__all__ = ["irt"]


def irt(
    data: Any,
    items: Sequence[str] | None = None,
    model: str | Mapping[str, str] = "graded",
    groups: Any = None,
    invariance: Sequence[str] = (),
    se: str | None = "louis",
    quadrature: int = 61,
    max_iter: int = 2000,
    tol: float = 1e-5,
    progress: bool | None = None,
) -> IRTResult:
    r"""Calibrate a unidimensional item response theory model by marginal ML (EM).

    Parameters
    ----------
    data : DataFrame or 2-D array
        One row per respondent, one column per item, answers coded as integers as on
        the form (``1..4`` or ``0..1``); missing answers are allowed. Rows with no answer
        are excluded and counted in ``n_excluded``.
    items : list of str, optional
        Columns to calibrate (default: all).
    model : {"graded", "gpcm", "pcm", "rsm", "2pl", "rasch"} or dict
        Samejima's graded response model, Muraki's generalized partial credit model, the
        partial credit and rating scale models, the 2PL, or the Rasch model (dichotomous
        items; partial credit for polytomous items, as mirt's ``"Rasch"``). A dict maps
        item -> model (others graded), as mirt's ``itemtype`` vector.
    groups : str or array, optional
        A column of ``data`` or one label per row: multiple-group calibration, as mirt's
        ``multipleGroup``. The first group (in order of appearance) is the reference,
        N(0, 1); ``.coef`` and ``.se`` are then indexed by (group, item) and
        ``.group(label)`` scores a group.
    invariance : sequence of str
        With ``groups``: ``"a"`` (slopes) and/or ``"d"`` (intercepts) equal across
        groups, anchor item names (all their parameters equal), ``"free_means"`` and
        ``"free_var"`` (estimate the other groups' latent means and variances). Standard
        errors of multiple-group calibrations use Oakes's identity.
    se : {"louis", "oakes", "sem"} or None
        Standard errors from the observed information: Louis's (1982) identity computed
        exactly, Oakes's (1999) identity (the Jacobian of the Fisher score, numerically),
        or the supplemented EM algorithm (Meng & Rubin, 1991). ``None`` skips them.
    quadrature : int
        Points of the rectangular grid on [-6, 6] (mirt: 61 for one dimension).
    max_iter, tol
        EM cycles at most, and the convergence tolerance on the largest absolute change
        of a parameter in one accelerated EM cycle (mirt: 500 and 1e-4; we default to
        tighter values so that agreement is limited by the other program).
    progress : bool, optional
        Print EM progress to stderr (default: only when stderr is a terminal and the
        calibration is large).

    Returns
    -------
    IRTResult

    Notes
    -----
    The marginal log-likelihood of the response patterns :math:`x_p` with frequencies
    :math:`f_p` is approximated on the grid :math:`\theta_q` with normalised N(0, 1)
    weights :math:`w_q` (Bock & Aitkin, 1981):

    .. math:: \ell = \sum_p f_p \log \sum_q w_q \prod_j P_{j x_{pj}}(\theta_q)

    The E-step computes :math:`\log L_{pq}` as one matrix product of the one-hot
    pattern matrix with the log category probabilities or, when numba is installed
    (``pip install measurelib[fast]``), with a compiled kernel that gathers the same sums
    by blocks of items (estimates equal to 1e-6; ``MEASURELIB_NUMBA=0`` turns it off; the
    first calibration of a process then pays numba's import). Estimation defaults follow mirt
    (``mirt::mirt(data, 1, itemtype)``): 61 quadrature points on [-6, 6], N(0, 1) latent
    density; Rasch-family models fix slopes at 1 and estimate the latent variance.

    References
    ----------
    1. Samejima, F. (1969). Estimation of latent ability using a response pattern of
       graded scores. Psychometrika Monograph Supplement, 17.
    2. Muraki, E. (1992). A generalized partial credit model: Application of an EM
       algorithm. Applied Psychological Measurement, 16(2), 159-176.
    3. Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
       parameters: Application of an EM algorithm. Psychometrika, 46(4), 443-459.
    4. Louis, T. A. (1982). Finding the observed information matrix when using the EM
       algorithm. JRSS B, 44(2), 226-233.
    5. Oakes, D. (1999). Direct calculation of the information matrix via the EM
       algorithm. JRSS B, 61(2), 479-482.
    6. Meng, X.-L., & Rubin, D. B. (1991). Using EM to obtain asymptotic variance-covariance
       matrices: The SEM algorithm. JASA, 86(416), 899-909.
    7. Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for
       accelerating the convergence of any EM algorithm. Scand. J. Statist., 35, 335-353.
    8. Chalmers, R. P. (2012). mirt: A multidimensional item response theory package for
       the R environment. Journal of Statistical Software, 48(6), 1-29.

    Examples
    --------
    >>> import measurelib as ml
    >>> df = ml.psychometrics.simulate_irt(n=500, n_items=6, n_categories=4, seed=1)
    >>> fit = ml.psychometrics.irt(df, model="graded")
    >>> fit.coef.shape
    (6, 4)
    """
    import numpy as np
    import pandas as pd

    from measurelib.psychometrics._numeric import single_thread

    from ._estimate import Engine, collapse, fit, prepare
    from ._estimate import quadrature as grid

    if invariance and groups is None:
        raise ValueError("irt(): parameter 'invariance' needs 'groups' (a column name or one "
                         "label per row)")
    _check_choice("se", se, ("louis", "oakes", "sem", None), "irt")
    if not isinstance(quadrature, int) or quadrature < 5:
        raise ValueError(f"irt(): parameter 'quadrature' must be an integer >= 5; got "
                         f"{quadrature!r}")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"irt(): parameter 'max_iter' must be a positive integer; got "
                         f"{max_iter!r}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"irt(): parameter 'tol' must be a number in (0, 1); got {tol!r}")
    if isinstance(groups, str):
        if not isinstance(data, pd.DataFrame) or groups not in data.columns:
            raise ValueError(f"irt(): parameter 'groups' names column {groups!r}, which is not "
                             "in the data")
        group_labels = data[groups].to_numpy()
        if items is None:
            items = [str(c) for c in data.columns if c != groups]
    else:
        group_labels = groups
    codes, design, used = prepare(data, items, model)
    theta, w = grid(quadrature)
    if group_labels is not None:
        from ._multigroup_result import calibrate_groups

        return calibrate_groups(data, codes, design, used, group_labels, invariance, se,
                                theta, w, quadrature, max_iter, float(tol), progress)
    pats = collapse(codes[used], design.ncat)
    engine = Engine(design, pats, theta, w)
    big = pats.codes.shape[0] * design.n_beta > 5_000_000
    show = (None if big else False) if progress is None else bool(progress)

    bar = progress_bar(total=max_iter, desc="irt calibration", unit="EM cycle", enabled=show)

    def report(it: int, ll: float) -> None:
        bar.update(it - bar.n)
        bar.set_postfix_str(f"log-likelihood {ll:.4f}", refresh=False)

    # large problems use every core for the E-step; small ones run faster on one thread
    ctx = single_thread() if not big else _nullcontext()
    with ctx:
        cal = fit(engine, max_iter, float(tol), se, report if show else None)
    bar.close()
    n = int(used.sum())
    nfree = int(design.M.shape[1])
    beta = cal.beta
    _warn_runaway_slopes(design, beta, cal.messages)
    scale = 1.0
    var = 1.0
    var_se = float("nan")
    names = design.items
    kmax = max(design.ncat) - 1
    dcols = [f"d{k}" for k in range(1, kmax + 1)]
    bcols = [f"b{k}" for k in range(1, kmax + 1)]
    cmat = np.full((len(names), kmax + 1), np.nan)
    bmat = cmat.copy()
    smat = cmat.copy()
    sbmat = cmat.copy()
    vb = None
    if cal.vcov is not None:
        vb = design.M @ cal.vcov @ design.M.T
        se_beta = np.sqrt(np.maximum(np.diag(vb), 0))
        fixed = ~np.any(design.M != 0, axis=1)
        se_beta[fixed] = np.nan
    else:
        se_beta = np.full(design.n_beta, np.nan)
    if design.shared_slope:
        scale = float(beta[design.start[0]])
        var = scale**2
        if cal.vcov is not None:
            var_se = float(2 * abs(scale) * math.sqrt(max(cal.vcov[0, 0], 0)))
    for j in range(len(names)):
        b = design.item_beta(beta, j)
        s = design.start[j]
        k = design.ncat[j]
        a = 1.0 if design.shared_slope else float(b[0])
        d = b[1:]
        cmat[j, 0] = bmat[j, 0] = a
        cmat[j, 1:k] = d
        smat[j, 0] = np.nan if design.shared_slope else se_beta[s]
        smat[j, 1:k] = se_beta[s + 1: s + k]
        bmat[j, 1:k] = -d / a if design.kinds[j] == "graded" else -np.diff(np.r_[0.0, d]) / a
        if vb is not None:
            sbmat[j, 0] = smat[j, 0]
            sbmat[j, 1:k] = _threshold_se(vb[s:s + k, s:s + k], a, d, design.kinds[j],
                                          design.shared_slope)
    index = pd.Index(names, name="item")
    coef = pd.DataFrame(cmat, index=index, columns=["a", *dcols])
    se_frame = pd.DataFrame(smat, index=index, columns=["a", *dcols])
    coef_irt = pd.DataFrame(bmat, index=index, columns=["a", *bcols])
    se_irt = (pd.DataFrame(sbmat, index=index, columns=["a", *bcols]) if vb is not None
              else None)
    # degrees of freedom of the full multinomial, as mirt's extract.mirt(x, "df")
    df = float(np.prod(np.asarray(design.ncat, dtype=np.float64))) - 1 - nfree
    labels = [f"{i}.{p}" for i, p in design.free_labels]
    simulated = bool(getattr(data, "attrs", {}).get("simulated", False))
    return IRTResult(
        coef=coef, coef_irt=coef_irt, se=se_frame, se_irt=se_irt, loglik=cal.loglik,
        aic=-2 * cal.loglik + 2 * nfree, bic=-2 * cal.loglik + nfree * math.log(n), df=df,
        n=n, n_rows=int(codes.shape[0]), n_excluded=int((~used).sum()),
        n_items=len(names), n_parameters=nfree, items=list(names),
        models=dict(zip(names, design.models)),
        categories={nm: v for nm, v in zip(names, design.values)},
        converged=cal.converged, iterations=cal.iterations, group_means=[0.0],
        group_vars=[var], group_vars_se=[var_se], vcov=cal.vcov, parameter_labels=labels,
        se_method=se, quadrature=quadrature, tol=float(tol), max_iter=max_iter,
        simulated=simulated, warnings=cal.messages, design_=design, beta_=beta,
        scale_=scale, codes_=pats.codes, freq_=pats.freq, inverse_=pats.inverse, used_=used,
    )


#: a slope beyond which the likelihood is taken to have no finite maximum along it
RUNAWAY_SLOPE = 20.0


def _warn_runaway_slopes(design: Any, beta: Any, messages: list[str]) -> None:
    """Warn about slopes beyond :data:`RUNAWAY_SLOPE` (a Heywood-like case).

    The differential check against OpenMx found that such fits (a near-duplicate item,
    answers that separate people perfectly) have no finite maximum: EM (ours, OpenMx's,
    mirt's) crawls along a ridge and stops wherever its tolerance says, at slopes of 20 to
    thousands with log-likelihoods that differ by up to 0.02. The numbers are then
    arbitrary, so the calibration says so instead of reporting them silently.
    """
    import warnings

    from measurelib.errors import ConvergenceWarning

    if design.shared_slope:
        return
    big = {design.items[j]: float(design.item_beta(beta, j)[0])
           for j in range(len(design.items))
           if abs(float(design.item_beta(beta, j)[0])) > RUNAWAY_SLOPE}
    if not big:
        return
    listed = ", ".join(f"{name!r} (a = {a:.1f})" for name, a in big.items())
    msg = (f"slope above {RUNAWAY_SLOPE:g} for {listed}: the likelihood keeps increasing as "
           "the slope grows (an item that nearly duplicates another, or answers that "
           "separate people perfectly), so these items' parameters, their standard errors "
           "and the fit statistics are arbitrary; drop or merge the item, or collapse "
           "sparse categories")
    messages.append(msg)
    warnings.warn(f"irt(): {msg}", ConvergenceWarning, stacklevel=3)


def _threshold_se(v: Any, a: float, d: Any, kind: str, shared_slope: bool) -> Any:
    r"""Standard errors of the thresholds ``b`` by the delta method.

    ``v`` is the covariance of the item's ``(a, d_1..d_K)``. Graded/2PL:
    :math:`b_k = -d_k/a`; divide-by-total models: :math:`b_k = -(d_k - d_{k-1})/a`
    (:math:`d_0 = 0`). With a common slope (Rasch family, reported ``a = 1``) the slope is
    not a free parameter of the item and only the intercepts vary.
    """
    import numpy as np

    k = len(d)
    jac = np.zeros((k, k + 1))
    step = d if kind == "graded" else np.diff(np.r_[0.0, d])
    jac[:, 0] = 0.0 if shared_slope else step / (a * a)
    for i in range(k):
        jac[i, 1 + i] = -1.0 / a
        if kind != "graded" and i > 0:
            jac[i, i] = 1.0 / a
    cov = np.array(v, dtype=np.float64)
    if shared_slope:
        cov[0, :] = cov[:, 0] = 0.0
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, cov, jac), 0.0))


def _nullcontext() -> Any:
    import contextlib

    return contextlib.nullcontext()
