"""Assemble the IRTResult of a multiple-group calibration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurelib._progress import progress as progress_bar

from ._result import IRTResult

__all__ = ["calibrate_groups"]


def calibrate_groups(data: Any, codes: Any, design: Any, used: Any, group_labels: Any,
                     invariance: Sequence[str], se: str | None, theta: Any, w: Any,
                     quadrature: int, max_iter: int, tol: float,
                     progress: bool | None,
                     item_equal: dict[str, set[str]] | None = None,
                     item_free: dict[str, set[str]] | None = None) -> IRTResult:
    import pandas as pd

    from measurelib.psychometrics._numeric import single_thread

    from ._estimate import fit
    from ._multigroup import MultiEngine, parse_invariance, split_groups, warn_identification

    flags, anchors = parse_invariance(invariance, design.items)
    if item_equal is None and item_free is None:
        warn_identification(flags, anchors)
    labels, pats, lab = split_groups(codes, used, group_labels, design.ncat, codes.shape[0])
    engine = MultiEngine(design, pats, labels, theta, w, flags, anchors, item_equal, item_free)
    se_used = None if se is None else "oakes"
    show = bool(progress)

    bar = progress_bar(total=max_iter, desc="irt calibration", unit="EM cycle", enabled=show)

    def report(it: int, ll: float) -> None:
        bar.update(it - bar.n)
        bar.set_postfix_str(f"log-likelihood {ll:.4f}", refresh=False)

    with single_thread():
        cal = fit(engine, max_iter, tol, se_used, report if show else None)
    bar.close()
    phi = cal.phi
    slope = float(engine.beta_g(phi, 0)[design.start[0]]) if design.shared_slope else 1.0
    names = design.items
    kmax = max(design.ncat) - 1
    dcols = [f"d{k}" for k in range(1, kmax + 1)]
    bcols = [f"b{k}" for k in range(1, kmax + 1)]
    coef_rows, se_rows, irt_rows, index = [], [], [], []
    means, variances = [], []
    group_results: dict[str, IRTResult] = {}
    for g, label in enumerate(labels):
        beta = engine.beta_g(phi, g)
        if cal.vcov is not None:
            vb = engine.Ms[g] @ cal.vcov @ engine.Ms[g].T
            se_b = np.sqrt(np.maximum(np.diag(vb), 0))
            se_b[~np.any(engine.Ms[g] != 0, axis=1)] = np.nan
        else:
            se_b = np.full(design.n_beta, np.nan)
        mu, var = engine.group_moments(phi, g)
        means.append(slope * mu)
        variances.append(slope**2 * var)
        cm = np.full((len(names), kmax + 1), np.nan)
        sm = cm.copy()
        bm = cm.copy()
        for j in range(len(names)):
            s = design.start[j]
            k = design.ncat[j]
            a = 1.0 if design.shared_slope else float(beta[s])
            d = beta[s + 1: s + k]
            cm[j, 0] = bm[j, 0] = a
            cm[j, 1:k] = d
            sm[j, 0] = np.nan if design.shared_slope else se_b[s]
            sm[j, 1:k] = se_b[s + 1: s + k]
            bm[j, 1:k] = -d / a if design.kinds[j] == "graded" else -np.diff(np.r_[0.0, d]) / a
        coef_rows.append(cm)
        se_rows.append(sm)
        irt_rows.append(bm)
        index += [(label, n) for n in names]
        frame = pd.DataFrame(cm, index=pd.Index(names, name="item"), columns=["a", *dcols])
        group_results[label] = IRTResult.from_coef(
            frame, model=dict(zip(names, design.models)),
            categories=dict(zip(names, design.values)), group_mean=means[-1],
            group_var=variances[-1], quadrature=quadrature)
    mi = pd.MultiIndex.from_tuples(index, names=["group", "item"])
    coef = pd.DataFrame(np.vstack(coef_rows), index=mi, columns=["a", *dcols])
    se_frame = pd.DataFrame(np.vstack(se_rows), index=mi, columns=["a", *dcols])
    coef_irt = pd.DataFrame(np.vstack(irt_rows), index=mi, columns=["a", *bcols])
    n = int(used.sum())
    nfree = engine.n_par
    df = len(labels) * (float(np.prod(np.asarray(design.ncat, dtype=np.float64))) - 1) - nfree
    messages = list(cal.messages)
    if se is not None and se != "oakes":
        messages.append(f"multiple-group standard errors use Oakes's identity (se={se!r} "
                        "is available for one group)")
    ref = group_results[labels[0]]
    simulated = bool(getattr(data, "attrs", {}).get("simulated", False))
    var_se = [float("nan")] * len(labels)
    if cal.vcov is not None:
        for g, which, col in engine.latent:
            if which == 1:
                e = engine.eta(phi, g)
                # var = -1 / (2 eta2): d var / d eta2 = 1 / (2 eta2^2), times slope^2
                var_se[g] = float(slope**2 * math.sqrt(max(cal.vcov[col, col], 0))
                                  / (2 * e[1] ** 2))
    ref_pats = pats[0]
    return IRTResult(
        coef=coef, coef_irt=coef_irt, se=se_frame, loglik=cal.loglik,
        aic=-2 * cal.loglik + 2 * nfree, bic=-2 * cal.loglik + nfree * math.log(n), df=df,
        n=n, n_rows=int(codes.shape[0]), n_excluded=int((~used).sum()),
        n_items=len(names), n_parameters=nfree, items=list(names),
        models=dict(zip(names, design.models)),
        categories={nm: v for nm, v in zip(names, design.values)},
        converged=cal.converged, iterations=cal.iterations, group_means=means,
        group_vars=variances, group_vars_se=var_se, vcov=cal.vcov,
        parameter_labels=[f"{g}.{i}.{p}" for g, i, p in engine.labels_free],
        se_method=se_used, quadrature=quadrature, tol=tol, max_iter=max_iter,
        simulated=simulated, warnings=messages, design_=ref.design_, beta_=ref.beta_,
        scale_=ref.scale_, codes_=ref_pats.codes, freq_=ref_pats.freq,
        inverse_=ref_pats.inverse, used_=np.ones(len(ref_pats.inverse), dtype=bool),
        groups=labels, invariance=sorted(flags) + sorted(anchors),
        group_results_=group_results, group_n=[int(p.freq.sum()) for p in pats],
        engine_=engine, phi_=phi,
    )
