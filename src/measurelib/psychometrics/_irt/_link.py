"""Linking a calibration to a bank's metric, and assembling short forms from a bank.

References
----------
1. Marco, G. L. (1977). Item characteristic curve solutions to three intractable testing
   problems. Journal of Educational Measurement, 14(2), 139-160. (mean/sigma)
2. Stocking, M. L., & Lord, F. M. (1983). Developing a common metric in item response
   theory. Applied Psychological Measurement, 7(2), 201-210.
3. Kolen, M. J., & Brennan, R. L. (2014). Test equating, scaling, and linking (3rd ed.).
   Springer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from measurelib._results import Result, to_jsonable

from ._result import IRTResult

__all__ = ["LinkResult", "ShortFormResult", "link", "short_form"]


def _b_params(fit: IRTResult, items: Sequence[str]) -> Any:
    vals = fit.coef_irt.loc[list(items)].drop(columns="a").to_numpy().ravel()
    return vals[~np.isnan(vals)]


def _transform(fit: IRTResult, big_a: float, big_b: float) -> Any:
    """Slope–intercept parameters on the new metric theta* = A theta + B."""
    coef = fit.coef.copy()
    for j, item in enumerate(fit.items):
        a = float(coef.loc[item, "a"])
        k = len(fit.categories[item])
        dcols = [f"d{c}" for c in range(1, k)]
        d = coef.loc[item, dcols].to_numpy(dtype=np.float64)
        shift = a * big_b / big_a
        if fit.design_.kinds[j] == "graded":
            coef.loc[item, dcols] = d - shift
        else:
            coef.loc[item, dcols] = d - shift * np.arange(1, k)
        coef.loc[item, "a"] = a / big_a
    return coef


class LinkResult(Result):
    """A calibration placed on a bank's metric: ``theta_bank = A * theta_new + B``."""

    A: float
    B: float
    method: str
    anchors: list[str]
    criterion: float
    linked: Any
    constants: dict[str, dict[str, float]]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame([{"method": m, **v} for m, v in self.constants.items()])

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out = {k: to_jsonable(getattr(self, k)) for k in type(self).model_fields if k != "linked"}
        out["linked"] = self.linked.to_dict()
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (f"{self.method} linking on {len(self.anchors)} anchor items: A = {self.A:.4f}, "
                f"B = {self.B:.4f} (theta_bank = A theta_new + B)")


def link(new_fit: IRTResult, bank: IRTResult, anchors: Sequence[str] | None = None,
         method: str = "stocking-lord") -> LinkResult:
    r"""Place ``new_fit`` on the metric of ``bank`` through common (anchor) items.

    Parameters
    ----------
    new_fit, bank : IRTResult
        A new calibration and the bank (a calibration or ``IRTResult.from_coef``).
    anchors : list of str, optional
        Common items (default: every item in both).
    method : {"stocking-lord", "mean-sigma"}
        Stocking & Lord's (1983) characteristic-curve method or Marco's (1977)
        mean/sigma method on the anchors' thresholds; both constants are reported.

    Returns
    -------
    LinkResult with ``A``, ``B`` and ``linked`` (``new_fit``'s items on the bank metric,
    its population N(B, A^2)).

    Notes
    -----
    .. math:: a^* = a / A,\quad b^* = A b + B,\qquad
              SL(A, B) = \sum_q w_q \Big[\sum_{j \in anchors}
              \big(E_j^{bank}(\theta_q) - E_j^{*}(\theta_q; A, B)\big)\Big]^2

    with :math:`\theta_q` and :math:`w_q` the bank's N(mean, var) quadrature.
    """
    from scipy.optimize import minimize

    from measurelib.psychometrics._reliability import _check_choice

    _check_choice("method", method, ("stocking-lord", "mean-sigma"), "link")
    common = [i for i in new_fit.items if i in bank.items]
    anchors = common if anchors is None else [str(a) for a in anchors]
    bad = [a for a in anchors if a not in common]
    if bad:
        raise ValueError(f"link(): parameter 'anchors' names {bad}, not in both calibrations")
    if len(anchors) < 1:
        raise ValueError("link(): needs at least one common item")
    for a in anchors:
        if len(new_fit.categories[a]) != len(bank.categories[a]):
            raise ValueError(f"link(): anchor {a!r} has different categories in the two "
                             "calibrations")
    bn, bb = _b_params(new_fit, anchors), _b_params(bank, anchors)
    a_ms = float(np.std(bb) / np.std(bn)) if np.std(bn) > 0 else 1.0
    b_ms = float(np.mean(bb) - a_ms * np.mean(bn))
    from ._models import item_probs

    mean, sd = bank.group_means[0], math.sqrt(bank.group_vars[0])
    grid = np.linspace(mean - 4 * sd, mean + 4 * sd, 41)
    w = np.exp(-0.5 * ((grid - mean) / sd) ** 2)
    w /= w.sum()

    def tcc(fit: IRTResult, a_mult: float, shift: float) -> Any:
        """Anchors' expected summed score on ``grid`` with slopes a / A and intercepts
        moved by the shift of the location B (see ``_transform``).
        """
        total = np.zeros_like(grid)
        for item in anchors:
            j = fit.items.index(item)
            kind = fit.design_.kinds[j]
            k = len(fit.categories[item])
            a = float(fit.coef.loc[item, "a"])
            d = fit.coef.loc[item, [f"d{c}" for c in range(1, k)]].to_numpy(dtype=np.float64)
            steps = np.ones(k - 1) if kind == "graded" else np.arange(1, k)
            d = d - steps * a * shift * a_mult
            p = item_probs(kind, np.r_[a * a_mult, d][None, :], grid)
            total += np.arange(k) @ p[0]
        return total

    tcc_bank = tcc(bank, 1.0, 0.0)

    def crit(par: Any) -> float:
        big_a, big_b = float(par[0]), float(par[1])
        if big_a <= 0:
            return 1e12
        return float(w @ (tcc_bank - tcc(new_fit, 1.0 / big_a, big_b)) ** 2)

    res = minimize(crit, np.array([a_ms, b_ms]), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
    a_sl, b_sl = float(res.x[0]), float(res.x[1])
    big_a, big_b = (a_sl, b_sl) if method == "stocking-lord" else (a_ms, b_ms)
    linked = IRTResult.from_coef(_transform(new_fit, big_a, big_b), model=new_fit.models,
                                 categories=new_fit.categories,
                                 group_mean=big_a * new_fit.group_means[0] + big_b,
                                 group_var=big_a**2 * new_fit.group_vars[0])
    return LinkResult(A=big_a, B=big_b, method=method, anchors=list(anchors),
                      criterion=crit([big_a, big_b]), linked=linked,
                      constants={"stocking-lord": {"A": a_sl, "B": b_sl},
                                 "mean-sigma": {"A": a_ms, "B": b_ms}})


class ShortFormResult(Result):
    """Items chosen from a bank for a target range, with their conversion table."""

    items: list[str]
    n_items: int
    target: Any
    information: Any
    conversion: Any
    reliability: float
    bank_items: int

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.conversion

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (f"short form of {self.n_items} of {self.bank_items} items: "
                f"{', '.join(self.items)}; marginal reliability {self.reliability:.3f}")


def short_form(fit: IRTResult, n_items: int,
               target: tuple[float, float] | Callable[[Any], Any] | None = None,
               constraints: Mapping[str, tuple[int, int]] | None = None,
               tags: Mapping[str, Sequence[str]] | None = None) -> ShortFormResult:
    r"""Choose ``n_items`` items that maximise information over a target.

    Parameters
    ----------
    fit : IRTResult
        A calibration or a calibrated bank.
    n_items : int
        Length of the short form.
    target : (low, high), callable or None
        A theta range (uniform weight over it), a density function of theta, or None
        for the bank's population N(mean, var).
    constraints, tags
        ``{tag: (min, max)}`` item counts per tag, with ``tags`` giving each item's tags.

    Returns
    -------
    ShortFormResult with the items, the target-weighted information of each bank item,
    and the summed-score conversion table of the short form (its EAP for each sum, on
    the bank's metric, so the short form stays comparable with the bank).

    Notes
    -----
    The criterion :math:`\sum_{j \in S} \int I_j(\theta) w(\theta) d\theta` is additive,
    so taking the best items (filling tag minima first, respecting maxima) is optimal
    when each item has one tag.
    """
    import pandas as pd

    if not isinstance(n_items, int) or not 1 <= n_items <= fit.n_items:
        raise ValueError(f"short_form(): parameter 'n_items' must be an integer in 1.."
                         f"{fit.n_items}; got {n_items!r}")
    mean, sd = fit.group_means[0], math.sqrt(fit.group_vars[0])
    grid = np.linspace(mean - 5 * sd, mean + 5 * sd, 201)
    if target is None:
        w = np.exp(-0.5 * ((grid - mean) / sd) ** 2)
    elif callable(target):
        w = np.asarray(target(grid), dtype=np.float64)
    else:
        lo, hi = float(target[0]), float(target[1])
        if not lo < hi:
            raise ValueError(f"short_form(): parameter 'target' must be (low, high) with low < "
                             f"high; got {target!r}")
        grid = np.linspace(lo, hi, 201)
        w = np.ones_like(grid)
    w = w / w.sum()
    info = fit.information(grid).drop(columns="total")
    score = pd.Series(w @ info.to_numpy(), index=fit.items, name="information")
    constraints = dict(constraints or {})
    tags = {str(k): list(v) for k, v in (tags or {}).items()}
    order = list(score.sort_values(ascending=False).index)
    chosen: list[str] = []
    count = dict.fromkeys(constraints, 0)

    def fits(item: str) -> bool:
        return all(count[t] < constraints[t][1] for t in tags.get(item, []) if t in count)

    def take(item: str) -> None:
        chosen.append(item)
        for t in tags.get(item, []):
            if t in count:
                count[t] += 1

    for t, (lo_n, _) in constraints.items():
        for item in order:
            if count[t] >= lo_n or len(chosen) >= n_items:
                break
            if item not in chosen and t in tags.get(item, []) and fits(item):
                take(item)
    for item in order:
        if len(chosen) >= n_items:
            break
        if item not in chosen and fits(item):
            take(item)
    if len(chosen) < n_items:
        raise ValueError(f"short_form(): the constraints allow only {len(chosen)} items; asked "
                         f"for {n_items}")
    chosen = [i for i in fit.items if i in chosen]
    sub = IRTResult.from_coef(fit.coef.loc[chosen], model={i: fit.models[i] for i in chosen},
                              categories={i: fit.categories[i] for i in chosen},
                              group_mean=mean, group_var=sd**2, quadrature=fit.quadrature)
    table = sub.sum_score_table()
    return ShortFormResult(items=chosen, n_items=n_items,
                           target=list(target) if isinstance(target, tuple) else
                           ("population" if target is None else "density"),
                           information=score.to_frame(), conversion=table,
                           reliability=float(table.attrs["rxx"]), bank_items=fit.n_items)
