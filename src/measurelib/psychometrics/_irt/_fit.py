"""Goodness of fit: S-X2 item fit, M2 / C2 limited-information fit, local dependence.

References
----------
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for dichotomous item
response theory models. Applied Psychological Measurement, 24(1), 50-64.
Maydeu-Olivares, A., & Joe, H. (2006). Limited information goodness-of-fit testing in
multidimensional contingency tables. Psychometrika, 71(4), 713-732.
Cai, L., & Hansen, M. (2013). Limited-information goodness-of-fit testing of
hierarchical item factor models. British Journal of Mathematical and Statistical
Psychology, 66(2), 245-276.
Cai, L., & Monroe, S. (2014). A new statistic for evaluating item response theory models
for ordinal data. CRESST Report 839.
Chen, W.-H., & Thissen, D. (1997). Local dependence indexes for item pairs using item
response theory. Journal of Educational and Behavioral Statistics, 22(3), 265-289.
Yen, W. M. (1984). Effects of local item dependence on the fit and equating performance of
the three-parameter logistic model. Applied Psychological Measurement, 8(2), 125-145.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._estimate import Design
from ._models import item_derivatives, item_probs
from ._scoring import lord_wingersky

__all__ = ["collapse_cells", "ld_pairs", "m2_statistic", "s_x2_tables"]


def s_x2_tables(design: Design, beta: Any, theta: Any, w: Any,
                codes: Any, freq: Any) -> list[tuple[Any, Any]]:
    """Observed and expected tables (summed score 1..max-1 by category) per item."""
    total = lord_wingersky(design, beta, theta)  # (S+1, Q)
    ltot = total @ w
    smax = total.shape[0] - 1
    sums = codes.sum(axis=1)
    nk = np.bincount(sums, weights=freq, minlength=smax + 1)
    out = []
    probs = {}
    for kind, k, grp in design.groups:
        p = item_probs(kind, design.group_beta(beta, grp, k), theta)
        for i, j in enumerate(grp):
            probs[int(j)] = p[i]
    n_items = len(design.items)
    for j in range(n_items):
        rest = [i for i in range(n_items) if i != j]
        lrest = lord_wingersky(design, beta, theta, rest)
        k = design.ncat[j]
        e = np.full((smax + 1, k), np.nan)
        for c in range(k):
            num = lrest @ (probs[j][c] * w)
            rows = np.arange(lrest.shape[0]) + c
            e[rows, c] = num / ltot[rows]
        o = np.zeros((smax + 1, k))
        np.add.at(o, (sums, codes[:, j]), freq)
        e = e[1:-1] * nk[1:-1, None]
        out.append((o[1:-1], e))
    return out


def collapse_cells(o: Any, e: Any, mincell: float = 1.0) -> tuple[Any, Any]:
    """Mirt's collapsing of sparse S-X2 cells (``collapseCells`` in mirt's R/utils.R)."""
    o = o.copy()
    e = e.copy()
    drop = np.nonzero(np.isnan(e).any(axis=1))[0]
    e[np.isnan(e)] = 0.0
    if drop.size:
        half = drop.size // 2
        up = np.arange(drop[0], drop[half - 1] + 1)
        low = np.arange(drop[half], drop[-1] + 1)
        iu = up.max() + 1
        il = low.min() - 1
        e[iu] = e[np.r_[up, iu]].sum(axis=0)
        o[iu] = o[np.r_[up, iu]].sum(axis=0)
        e[il] = e[np.r_[low, il]].sum(axis=0)
        o[il] = o[np.r_[low, il]].sum(axis=0)
        keep = np.setdiff1d(np.arange(e.shape[0]), np.r_[up, low])
        e, o = e[keep], o[keep]
    if o.shape[0] == 0:
        return o, e
    keep = o.sum(axis=1) != 0
    o, e = o[keep], e[keep]
    small = e < mincell
    dropped = []
    for j in range(o.shape[0] - 1):
        if o[j].sum() == 1:
            dropped.append(j)
            o[j + 1] += o[j]
            e[j + 1] += e[j]
    if dropped:
        keep = np.setdiff1d(np.arange(o.shape[0]), dropped)
        o, e = o[keep], e[keep]
        small = small[keep]
    if o.shape[0] == 0:
        return o, e
    if o[-1].sum() == 1 and o.shape[0] > 1:
        o[-2] += o[-1]
        e[-2] += e[-1]
        o, e = o[:-1], e[:-1]
        small = small[:-1]
    ncol = e.shape[1]
    if ncol > 2:
        for j in range(e.shape[0]):
            if not small[j].any():
                continue
            tmp = list(e[j])
            tmp2 = list(o[j])
            while len(tmp) > 2:
                m = min(tmp)
                whc = max(i for i, t in enumerate(tmp) if t == m)
                if whc == 0:
                    tmp[1] += tmp[0]
                    tmp2[1] += tmp2[0]
                elif whc == len(tmp) - 1:
                    tmp[-2] += tmp[-1]
                    tmp2[-2] += tmp2[-1]
                else:
                    left = min(tmp[whc - 1], tmp[whc + 1]) == tmp[whc - 1]
                    pick = whc - 1 if left else whc + 1
                    tmp[pick] += tmp[whc]
                    tmp2[pick] += tmp2[whc]
                del tmp[whc]
                del tmp2[whc]
                if all(t >= mincell for t in tmp):
                    break
            e[j] = tmp + [np.nan] * (ncol - len(tmp))
            o[j] = tmp2 + [0.0] * (ncol - len(tmp2))
    e[np.isnan(e)] = 0.0
    if e.shape[1] > 2:
        while True:
            pick = e.sum(axis=0) < mincell * np.ceil(e.shape[0] * 0.1)
            if not pick[-1] or e.shape[1] == 2:
                break
            o[:, -2] += o[:, -1]
            e[:, -2] += e[:, -1]
            o, e = o[:, :-1], e[:, :-1]
    dropcol = np.zeros(e.shape[1], dtype=bool)
    for j in range(e.shape[1] - 1, 0, -1):
        if (e[:, j] > 0).sum() / e.shape[0] < 0.05:
            dropcol[j] = True
            e[:, j - 1] += e[:, j]
            o[:, j - 1] += o[:, j]
    e, o = e[:, ~dropcol], o[:, ~dropcol]
    while e.shape[0] > 1:
        bad = (e < mincell) & (e != 0)
        if not bad.any():
            break
        whc = int(np.nonzero(bad.any(axis=1))[0][0])
        if whc == 0:
            e[1] += e[0]
            o[1] += o[0]
            e, o = e[1:], o[1:]
        elif whc == e.shape[0] - 1:
            e[-2] += e[-1]
            o[-2] += o[-1]
            e, o = e[:-1], o[:-1]
        else:
            up = o[whc - 1].sum() <= o[whc + 1].sum()
            pick = whc - 1 if up else whc + 1
            e[pick] += e[whc]
            o[pick] += o[whc]
            keep = np.arange(e.shape[0]) != whc
            e, o = e[keep], o[keep]
    e = np.where(e == 0, np.nan, e)
    return o, e


def _gamma(tab: Any) -> float:
    """Goodman–Kruskal gamma of a contingency table."""
    t = np.asarray(tab, dtype=np.float64)
    r, c = t.shape
    conc = disc = 0.0
    for i in range(r):
        for j in range(c):
            conc += t[i, j] * t[i + 1:, j + 1:].sum()
            disc += t[i, j] * t[i + 1:, :j].sum()
    return (conc - disc) / (conc + disc) if conc + disc > 0 else float("nan")


def ld_pairs(design: Design, beta: Any, theta: Any, w: Any, codes: Any,
             freq: Any) -> list[dict[str, Any]]:
    """Chen & Thissen (1997) LD X2 per item pair, with mirt's signed Cramér's V."""
    probs = {}
    for kind, k, grp in design.groups:
        p = item_probs(kind, design.group_beta(beta, grp, k), theta)
        for i, j in enumerate(grp):
            probs[int(j)] = p[i]
    out = []
    n_items = len(design.items)
    for i in range(n_items):
        for j in range(i + 1, n_items):
            ok = (codes[:, i] >= 0) & (codes[:, j] >= 0)
            tab = np.zeros((design.ncat[i], design.ncat[j]))
            np.add.at(tab, (codes[ok, i], codes[ok, j]), freq[ok])
            nn = tab.sum()
            etab = nn * (probs[i] * w) @ probs[j].T
            x2 = float(((tab - etab) ** 2 / etab).sum())
            s = _gamma(tab) - _gamma(etab)
            sign = 1.0 if s == 0 or np.isnan(s) else float(np.sign(s))
            df = (design.ncat[i] - 1) * (design.ncat[j] - 1)
            v = sign * np.sqrt(abs(x2) / (nn * (min(design.ncat[i], design.ncat[j]) - 1)))
            out.append({"item1": design.items[i], "item2": design.items[j], "X2": x2,
                        "df": df, "cramer_v": float(v)})
    return out


def _moment_spec(design: Design, kind: str) -> list[tuple[tuple[int, int], ...]]:
    """Moments as tuples of (item, function); function c >= 1 is the indicator of category
    c, function -1 the item score.
    """
    n = len(design.items)
    uni: list[tuple[tuple[int, int], ...]] = (
        [((j, -1),) for j in range(n)] if kind == "M2*" else
        [((j, c),) for j in range(n) for c in range(1, design.ncat[j])])
    if kind == "M2":
        bi: list[tuple[tuple[int, int], ...]] = [((i, c), (j, d)) for i in range(n) for j in range(i + 1, n)
              for c in range(1, design.ncat[i]) for d in range(1, design.ncat[j])]
    else:
        bi = [((i, -1), (j, -1)) for i in range(n) for j in range(i + 1, n)]
    return uni + bi


def _fvals(k: int, f: int) -> Any:
    if f == -1:
        return np.arange(k, dtype=np.float64)
    v = np.zeros(k)
    v[f] = 1.0
    return v


def m2_statistic(design: Design, beta: Any, M: Any, theta: Any, w: Any, codes: Any,
                 freq: Any, kind: str, free: Any | None = None) -> dict[str, float]:
    """M2 (Maydeu-Olivares & Joe, 2006), M2* (Cai & Hansen, 2013: item means and
    cross-products) or C2 (Cai & Monroe, 2014).

    ``codes`` may have missing answers (-1): each observed moment is then taken over the
    rows that answered its items, and the statistic weights the residuals by those
    numbers of rows as mirt's ``M2()`` does.
    """
    n_items = len(design.items)
    moments = _moment_spec(design, kind)
    m = len(moments)
    q = theta.shape[0]
    probs: dict[int, Any] = {}
    dlogs: dict[int, Any] = {}
    for kd, k, grp in design.groups:
        p, dl, _ = item_derivatives(kd, design.group_beta(beta, grp, k), theta, second=False)
        for i, j in enumerate(grp):
            probs[int(j)] = p[i]
            dlogs[int(j)] = dl[i]
    # conditional means of every function of every item
    fidx: dict[tuple[int, int], int] = {}
    for j in range(n_items):
        for f in [0] + list(range(1, design.ncat[j])) + [-1]:
            fidx[(j, f)] = len(fidx)
    nf = len(fidx)
    fval = np.zeros((nf, max(design.ncat)))
    fitem = np.zeros(nf, dtype=int)
    for (j, f), ix in fidx.items():
        fitem[ix] = j
        fval[ix, : design.ncat[j]] = 1.0 if f == 0 else _fvals(design.ncat[j], f)
    cond = np.stack([fval[ix, : design.ncat[fitem[ix]]] @ probs[fitem[ix]] for ix in range(nf)])
    # moment -> items, functions
    items_of = np.full((m, 2), -1)
    f_of = np.full((m, 2), -1)
    for a, mom in enumerate(moments):
        for t, (j, f) in enumerate(mom):
            items_of[a, t] = j
            f_of[a, t] = fidx[(j, f)]
    # pi and Delta
    mu = np.ones((m, q))
    for t in range(2):
        sel = items_of[:, t] >= 0
        mu[sel] *= cond[f_of[sel, t]]
    pi = mu @ w
    nb = design.n_beta
    dbeta = np.zeros((m, nb))
    for a in range(m):
        for t in range(2):
            j = items_of[a, t]
            if j < 0:
                continue
            other = np.ones(q)
            u = items_of[a, 1 - t]
            if u >= 0:
                other = cond[f_of[a, 1 - t]]
            fv = fval[f_of[a, t], : design.ncat[j]]
            dmean = np.einsum("k,kq,kqb->qb", fv, probs[j], dlogs[j])  # (Q, K)
            s = design.start[j]
            dbeta[a, s: s + design.ncat[j]] += (other * w) @ dmean
    delta = dbeta @ M
    if free is not None:
        delta = delta[:, free]
    # Xi = sum_q w_q E[u u' | q] - pi pi'; given theta, items are independent, so
    # E[u_a u_b | q] is a product over the (at most four) items the two moments involve
    ef = np.zeros((nf, nf, q))
    for j in range(n_items):
        fsel = np.nonzero(fitem == j)[0]
        k = design.ncat[j]
        vals = fval[fsel, :k]
        ef[fsel[:, None], fsel[None, :]] = np.einsum("ak,bk,kq->abq", vals, vals, probs[j])
    xi = np.zeros((m, m))
    for a in range(m):
        prod = np.ones((m, q))
        own = np.zeros((m, 2), dtype=bool)
        for t in range(2):
            j = items_of[a, t]
            if j < 0:
                continue
            fa = f_of[a, t]
            factor = np.broadcast_to(cond[fa], (m, q)).copy()
            for s in range(2):
                hit = items_of[:, s] == j
                own[:, s] |= hit
                factor[hit] = ef[fa, f_of[hit, s]]
            prod *= factor
        for s in range(2):
            rest = (items_of[:, s] >= 0) & ~own[:, s]
            prod[rest] *= cond[f_of[rest, s]]
        xi[a] = prod @ w
    xi -= np.outer(pi, pi)
    # observed moments, each over the rows that answered its items (mirt's M2(): item
    # means over an item's answers, cross-products over the pairs answered together);
    # nstar is that number of rows per moment, n every row
    n = freq.sum()
    obs = np.zeros(m)
    nstar = np.zeros(m)
    for a, mom in enumerate(moments):
        val = np.ones(codes.shape[0])
        avail = np.ones(codes.shape[0], dtype=bool)
        for j, f in mom:
            avail &= codes[:, j] >= 0
            val = val * (codes[:, j] if f == -1 else (codes[:, j] == f))
        nstar[a] = freq[avail].sum()
        if nstar[a] == 0:
            names = " and ".join(repr(design.items[j]) for j, _ in mom)
            raise ValueError(
                f"IRTResult.m2(): no respondent answered {names} together, so their "
                "moments have no observed value; limited-information fit needs every pair "
                "answered by someone (fit the items that were asked together)")
        obs[a] = (val * freq)[avail].sum() / nstar[a]
    if m <= delta.shape[1]:
        # the full M2 has the most moments; when even it has no degrees of freedom (three
        # dichotomous items: 6 moments for 6 parameters) no type helps (mirt: "Statistic
        # cannot be calculated (too few degrees of freedom)")
        others = [t for t in ("C2", "M2") if t != kind
                  and len(_moment_spec(design, t)) > delta.shape[1]]
        hint = (f"use type={others[0]!r}" if others else "the test has too few items for a "
                "limited-information statistic; use the item-level checks (itemfit(), "
                "residuals())")
        raise ValueError(
            f"IRTResult.m2(): type={kind!r} has {m} moments for {delta.shape[1]} parameters, "
            f"so no degrees of freedom; {hint}")
    # the orthogonal complement of the column space of Delta, its rank found at machine
    # precision (numpy's matrix_rank rule), not at R's qr() tolerance of 1e-7 that mirt
    # uses (see docs/irt.md on M2*); exactly dependent columns (the independence model's
    # intercepts under M2*) reduce the rank and add to the degrees of freedom
    u, sv, _ = np.linalg.svd(delta, full_matrices=True)
    tol = sv[0] * max(delta.shape) * np.finfo(np.float64).eps if sv.size else 0.0
    rank = int((sv > tol).sum())
    dc = u[:, rank:]
    try:
        cmat = dc @ np.linalg.solve(dc.T @ xi @ dc, dc.T)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"IRTResult.m2(): the model's covariance of the {kind} moments is singular on "
            "the orthogonal complement of their derivatives (mirt: 'Could not invert "
            "orthogonal complement matrix'), usually because some answer probabilities are "
            "0 or 1 on the grid (a very steep item, or an estimate that did not converge); "
            "check the calibration's slopes and warnings, or use type='C2'") from None
    # mirt's weighting for moments observed on different numbers of rows:
    # (1/n) sum_ab nstar_a e_a C_ab nstar_b e_b, which is n e'Ce for complete data
    e = (obs - pi) * (nstar / n)
    stat = float(n * e @ cmat @ e)
    df = m - rank
    condition = float(sv[0] / sv[rank - 1]) if rank else float("inf")
    return {"stat": stat, "df": float(df), "n": float(n), "condition": condition,
            "rank": float(rank)}
