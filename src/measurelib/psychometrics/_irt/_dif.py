"""Differential item functioning: multiple-group likelihood-ratio and Wald tests (as
mirt's ``DIF()``), and the ordinal-logistic screening of lordif.

References
----------
1. Thissen, D., Steinberg, L., & Wainer, H. (1993). Detection of differential item
   functioning using the parameters of item response models. In P. W. Holland & H. Wainer
   (Eds.), Differential item functioning (pp. 67-113). Erlbaum.
2. Chalmers, R. P., Counsell, A., & Flora, D. B. (2016). It might not make a big DIF:
   Improved differential test functioning statistics that account for sampling
   variability. Educational and Psychological Measurement, 76(1), 114-140.
3. Choi, S. W., Gibbons, L. E., & Crane, P. K. (2011). lordif: An R package for detecting
   differential item functioning using iterative hybrid ordinal logistic regression/item
   response theory and Monte Carlo simulations. J. Stat. Softw., 39(8), 1-30.
4. Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B,
   57(1), 289-300.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["dif"]


def _bh(p: Any) -> Any:
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    order = np.argsort(p)
    adj = np.empty(n)
    prev = 1.0
    for rank, i in zip(range(n, 0, -1), order[::-1]):
        prev = min(prev, p[i] * n / rank)
        adj[i] = prev
    return adj


def _expected_item(fit: Any, group: str, item: str, theta: Any) -> Any:
    from ._models import item_probs

    res = fit.group_results_[group]
    d = res.design_
    j = d.items.index(item)
    internal = (theta - res.group_means[0]) / res.scale_
    p = item_probs(d.kinds[j], res.beta_[d.start[j]: d.start[j] + d.ncat[j]][None, :], internal)
    return np.arange(d.ncat[j]) @ p[0]


def _effect(fit: Any, ref: str, foc: str, item: str) -> tuple[float, float]:
    """Signed and unsigned expected-score differences (focal - reference) over the focal
    group's latent density (mirt's DRF / empirical_ES style).
    """
    gi = fit.groups.index(foc)
    mu, var = fit.group_means[gi], fit.group_vars[gi]
    t = np.linspace(mu - 6 * math.sqrt(var), mu + 6 * math.sqrt(var), 121)
    w = np.exp(-0.5 * (t - mu) ** 2 / var)
    w /= w.sum()
    diff = _expected_item(fit, foc, item, t) - _expected_item(fit, ref, item, t)
    return float(w @ diff), float(w @ np.abs(diff))


def dif(
    data: Any,
    group: Any,
    items: Sequence[str] | None = None,
    anchors: Sequence[str] | None = None,
    test: Sequence[str] = ("a", "d"),
    method: str = "lr",
    model: str = "graded",
    alpha: float = 0.01,
) -> Any:
    r"""Differential item functioning across groups, one row per tested item.

    Parameters
    ----------
    data : DataFrame
        Answers (and the group column when ``group`` names one).
    group : str or array
        Group column name or one label per row; the first group is the reference.
    items : list of str, optional
        Items to calibrate (default: all columns but the group column).
    anchors : list of str, optional
        Items assumed free of DIF. With anchors, each other item is tested by
        constraining its ``test`` parameters equal across groups in a model where anchors
        are equal and the latent means and variances free (mirt's ``DIF(scheme = "add")``
        on ``multipleGroup(invariance = c(anchors, "free_means", "free_var"))``). Without
        anchors every item is tested by freeing its parameters in the model where all
        items are equal (``scheme = "drop"``).
    test : sequence of {"a", "d"}
        Parameters tested (slopes, intercepts).
    method : {"lr", "wald", "ordinal-logistic"}
        Likelihood-ratio test, Wald test (needs anchors), or lordif's nested ordinal
        logistic regressions of each item on the IRT ability, the group and their
        interaction, with McFadden pseudo-R^2 changes; as lordif, abilities are then
        re-estimated with group-specific parameters for the flagged items (the others
        anchor a multiple-group calibration) until the flags no longer change
        (``attrs["purification_iterations"]``).
    model : str
        The IRT model (as in ``irt()``).
    alpha : float
        Flagging level of the BH-adjusted p value (lordif: the chi-square test of
        model 1 vs 3).

    Returns
    -------
    DataFrame indexed by item: ``stat``, ``df``, ``p``, ``p_adjusted`` (Benjamini–Hochberg),
    ``flag``, and the effect sizes ``esd_signed`` / ``esd_unsigned`` (difference of the
    item's expected score, focal minus reference, averaged over the focal group's latent
    density; with more than two groups, for the second group against the first, while the
    tests cover every group). For ``"ordinal-logistic"``: ``chi2_12``, ``chi2_13``, ``chi2_23`` with their
    p values and ``r2_12``, ``r2_13``, ``r2_23`` (McFadden).

    Notes
    -----
    .. math:: G^2 = 2(\ell_{free} - \ell_{constrained}),\quad
              W = (L\hat\phi)'(L \hat V L')^{-1}(L\hat\phi)

    Same statistics as ``mirt::DIF(..., Wald = FALSE | TRUE)`` and ``lordif::lordif``.
    """
    import pandas as pd

    from measurelib.psychometrics._reliability import _check_choice

    from ._estimate import prepare, quadrature
    from ._multigroup_result import calibrate_groups

    _check_choice("method", method, ("lr", "wald", "ordinal-logistic"), "dif")
    bad = [t for t in test if t not in ("a", "d")]
    if bad or not test:
        raise ValueError(f"dif(): parameter 'test' takes 'a' and/or 'd'; got {list(test)}")
    if isinstance(group, str):
        if not isinstance(data, pd.DataFrame) or group not in data.columns:
            raise ValueError(f"dif(): parameter 'group' names column {group!r}, not in the data")
        labels = data[group].to_numpy()
        if items is None:
            items = [str(c) for c in data.columns if c != group]
    else:
        labels = np.asarray(group)
    codes, design, used = prepare(data, items, model)
    names = design.items
    anchors = list(anchors or [])
    unknown = [a for a in anchors if a not in names]
    if unknown:
        raise ValueError(f"dif(): parameter 'anchors' names {unknown}, not calibrated items")
    tested = [i for i in names if i not in anchors]
    if method == "ordinal-logistic":
        return _lordif(data, names, labels, codes, used, model, alpha)
    if method == "wald" and not anchors:
        raise ValueError("dif(): method='wald' needs 'anchors' (items assumed free of DIF) to "
                         "identify the groups' latent means and variances")
    theta, w = quadrature(61)
    tset = set(test)

    def run(inv: Sequence[str], equal: dict[str, set[str]] | None = None,
            free: dict[str, set[str]] | None = None, se: str | None = None) -> Any:
        return calibrate_groups(data, codes, design, used, labels, inv, se, theta, w, 61, 2000,
                                1e-6, False, item_equal=equal or {}, item_free=free or {})

    rows = []
    if anchors:
        base = run([*anchors, "free_means", "free_var"], se="oakes" if method == "wald" else None)
        ref, foc = base.groups[0], base.groups[1]
        for item in tested:
            if method == "lr":
                con = run([*anchors, "free_means", "free_var"], equal={item: tset})
                stat = 2 * (base.loglik - con.loglik)
                df = _n_params(base, item, tset)
            else:
                stat, df = _wald(base, item, tset)
            s_es, u_es = _effect(base, ref, foc, item)
            rows.append({"item": item, "stat": stat, "df": df, "esd_signed": s_es,
                         "esd_unsigned": u_es})
    else:
        base = run(["a", "d", "free_means", "free_var"])
        ref, foc = base.groups[0], base.groups[1]
        for item in tested:
            fr = run(["a", "d", "free_means", "free_var"], free={item: tset})
            stat = 2 * (fr.loglik - base.loglik)
            df = _n_params(fr, item, tset)
            s_es, u_es = _effect(fr, ref, foc, item)
            rows.append({"item": item, "stat": stat, "df": df, "esd_signed": s_es,
                         "esd_unsigned": u_es})
    from .._numeric import chi2_sf

    out = pd.DataFrame(rows).set_index("item")
    out["stat"] = out["stat"].clip(lower=0.0)
    out["p"] = chi2_sf(out["stat"], out["df"])
    out["p_adjusted"] = _bh(out["p"].to_numpy())
    out["flag"] = out["p_adjusted"] < alpha
    out.attrs.update({"method": method, "anchors": anchors, "test": list(test),
                      "groups": list(base.groups)})
    return out[["stat", "df", "p", "p_adjusted", "flag", "esd_signed", "esd_unsigned"]]


def _n_params(fit: Any, item: str, kinds: set[str]) -> int:
    """Parameters of ``item`` that differ between groups in ``fit`` (per extra group)."""
    n = 0
    for g, it, p in fit.engine_.labels_free:
        if it == item and g == fit.groups[1] and (("a" if p == "a" else "d") in kinds):
            n += 1
    return n * (len(fit.groups) - 1)  # one set of differences per focal group


def _wald(fit: Any, item: str, kinds: set[str]) -> tuple[float, int]:
    eng = fit.engine_
    lab = eng.labels_free
    ref, others = fit.groups[0], fit.groups[1:]
    rows = []
    for i, (g, it, p) in enumerate(lab):
        if it != item or g != ref or ("a" if p == "a" else "d") not in kinds:
            continue
        for other in others:
            j = lab.index((other, it, p))
            r = np.zeros(len(lab))
            r[j], r[i] = 1.0, -1.0
            rows.append(r)
    if not rows:
        return float("nan"), 0
    big_l = np.stack(rows)
    diff = big_l @ fit.phi_
    v = big_l @ fit.vcov @ big_l.T
    return float(diff @ np.linalg.solve(v, diff)), len(rows)


def _cumlogit(y: Any, x: Any) -> float:
    """Log-likelihood of a cumulative logit model P(Y >= k) = sigmoid(alpha_k + x'b)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    k = int(y.max()) + 1
    n, p = x.shape

    def nll(par: Any) -> float:
        alpha = np.cumsum(np.r_[par[0], -np.exp(par[1: k - 1])])
        eta = x @ par[k - 1:] if p else np.zeros(n)
        cum = np.ones((n, k + 1))
        cum[:, k] = 0.0
        cum[:, 1:k] = expit(alpha[None, :] + eta[:, None])
        prob = cum[np.arange(n), y] - cum[np.arange(n), y + 1]
        return -float(np.log(np.maximum(prob, 1e-300)).sum())

    props = np.bincount(y, minlength=k) / n
    cum = np.clip(np.cumsum(props[::-1])[::-1][1:], 1e-4, 1 - 1e-4)
    a0 = np.log(cum / (1 - cum))
    start = np.r_[a0[0], np.log(np.maximum(-np.diff(a0), 1e-3)), np.zeros(p)]
    res = minimize(nll, start, method="BFGS", options={"gtol": 1e-8, "maxiter": 2000})
    return -float(res.fun)


def _lordif(data: Any, names: list[str], labels: Any, codes: Any, used: Any, model: str,
            alpha: float, max_purify: int = 10) -> Any:
    """Lordif's iterative hybrid: ordinal logistic tests on IRT abilities, re-estimating the
    abilities with group-specific parameters for the flagged items until the flags settle.
    """
    import pandas as pd

    from ._calibrate import irt

    frame = pd.DataFrame(codes[used], columns=names).replace(-1, np.nan)
    grp_labels = pd.Series(np.asarray(labels)[used]).astype(str)
    levels = list(pd.unique(grp_labels))
    g = (grp_labels != levels[0]).to_numpy(dtype=np.float64)
    theta = irt(frame, model=model, se=None).scores(frame)["theta"].to_numpy()
    out = _lordif_tests(names, codes[used], theta, g, alpha)
    flagged: list[str] = []
    iterations = 1
    while iterations < max_purify:
        now = [i for i in names if out.loc[i, "flag"]]
        if now == flagged or not now or len(now) == len(names):
            break
        flagged = now
        anchors = [i for i in names if i not in flagged]
        mg = irt(frame.assign(_group=grp_labels.to_numpy()), items=names, model=model,
                 groups="_group", invariance=(*anchors, "free_means", "free_var"), se=None)
        theta = np.empty(len(frame))
        for lab in levels:
            sel = (grp_labels == lab).to_numpy()
            theta[sel] = mg.group(lab).scores(frame[sel])["theta"].to_numpy()
        out = _lordif_tests(names, codes[used], theta, g, alpha)
        iterations += 1
    out.attrs.update({"method": "ordinal-logistic", "groups": levels,
                      "purification_iterations": iterations})
    return out


def _lordif_tests(names: list[str], codes: Any, theta: Any, g: Any, alpha: float) -> Any:
    import pandas as pd

    from .._numeric import chi2_sf

    rows = []
    for j, item in enumerate(names):
        ok = (codes[:, j] >= 0) & np.isfinite(theta)
        y = codes[ok, j].astype(np.int64)
        t, gg = theta[ok], g[ok]
        ll0 = _cumlogit(y, np.zeros((len(y), 0)))
        ll1 = _cumlogit(y, t[:, None])
        ll2 = _cumlogit(y, np.column_stack([t, gg]))
        ll3 = _cumlogit(y, np.column_stack([t, gg, t * gg]))
        r2 = [1 - ll / ll0 for ll in (ll1, ll2, ll3)]
        c12, c13, c23 = 2 * (ll2 - ll1), 2 * (ll3 - ll1), 2 * (ll3 - ll2)
        rows.append({"item": item, "chi2_12": c12, "p_12": chi2_sf(c12, 1),
                     "chi2_13": c13, "p_13": chi2_sf(c13, 2),
                     "chi2_23": c23, "p_23": chi2_sf(c23, 1),
                     "r2_12": r2[1] - r2[0], "r2_13": r2[2] - r2[0], "r2_23": r2[2] - r2[1]})
    out = pd.DataFrame(rows).set_index("item")
    out["p_adjusted"] = _bh(out["p_13"].to_numpy())
    out["flag"] = out["p_13"] < alpha
    return out
