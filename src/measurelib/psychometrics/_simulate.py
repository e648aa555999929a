"""Simulated responses to a measure, and sample-size planning for the CI of alpha.

Simulated data is always labelled: ``df.attrs["simulated"] = True`` (and, on request, a
``simulated`` column); results computed from it say so in ``to_dict()`` and ``summary()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from measurelib._results import Result
from measurelib.psychometrics._reliability import _check_choice, _is_measure

__all__ = ["PlanResult", "plan", "simulate"]


class _ItemSpec:
    def __init__(self, id: str, values: list[float], reverse: bool, factor: str,
                 continuous: bool = False) -> None:
        self.id = id
        self.values = values
        self.reverse = reverse
        self.factor = factor
        self.continuous = continuous


def _items_from_measure(measure: Any, factors: Any) -> list[_ItemSpec]:
    assign: dict[str, str] = {}
    if isinstance(factors, Mapping):
        for f, ids in factors.items():
            for i in ids:
                assign.setdefault(str(i), str(f))
    elif factors == "scores":
        for rule in getattr(measure, "scores", []) or []:
            try:
                ids = measure.score_items(rule)
            except (AttributeError, KeyError):
                continue
            for i in ids:
                assign.setdefault(i, rule.id)
    out = []
    for it in measure.items:
        scale = measure.scale_of(it.id)
        values = [float(v) for v in scale.values()]
        if len(values) < 2:
            continue  # free text and other unscored items
        continuous = getattr(scale, "type", "") == "vas"
        out.append(_ItemSpec(it.id, values, bool(it.reverse), assign.get(it.id, "general"),
                             continuous))
    return out


def _items_from_spec(spec: Mapping[str, Any], factors: Any) -> list[_ItemSpec]:
    default_values = spec.get("values", [1, 2, 3, 4, 5])
    raw_items = spec.get("items")
    if raw_items is None:
        k = spec.get("n_items")
        if not isinstance(k, int) or k < 1:
            raise ValueError("simulate(): a spec needs 'items' (a list) or 'n_items' (an int); "
                             f"got keys {sorted(spec)}")
        raw_items = [f"item{i + 1}" for i in range(k)]
    assign: dict[str, str] = {}
    if isinstance(factors, Mapping):
        for f, ids in factors.items():
            for i in ids:
                assign.setdefault(str(i), str(f))
    out = []
    for entry in raw_items:
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, Mapping) or "id" not in entry:
            raise ValueError("simulate(): each spec item must be a name or a mapping with 'id'; "
                             f"got {entry!r}")
        values = sorted(float(v) for v in entry.get("values", default_values))
        if len(values) < 2:
            raise ValueError(f"simulate(): item {entry['id']!r} needs at least two values; got "
                             f"{values}")
        out.append(_ItemSpec(str(entry["id"]), values, bool(entry.get("reverse", False)),
                             str(entry.get("factor", assign.get(str(entry["id"]), "general"))),
                             bool(entry.get("continuous", False))))
    return out


def _default_cuts(n_cat: int) -> Any:
    """Thresholds giving a bell-shaped, plausible Likert distribution: category
    probabilities half binomial(n_cat - 1, 1/2), half uniform.
    """
    import numpy as np
    from scipy import stats

    binom = stats.binom.pmf(np.arange(n_cat), n_cat - 1, 0.5)
    probs = 0.5 * binom + 0.5 / n_cat
    return stats.norm.ppf(np.cumsum(probs)[:-1])


def simulate(  # noqa: C901 - one branch per generating model and option, validated up front
    measure_or_spec: Any,
    n: int,
    seed: int | None = None,
    loadings: float | Sequence[float] | Mapping[str, float] = 0.7,
    model: Literal["factor", "grm"] = "factor",
    *,
    factors: Mapping[str, Sequence[str]] | Literal["one", "scores"] = "one",
    factor_corr: float = 0.3,
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    discrimination: float | Mapping[str, float] | None = None,
    missing: float = 0.0,
    simulated_column: bool = False,
) -> Any:
    r"""Simulate plausible item responses from a stated measurement model.

    Parameters
    ----------
    measure_or_spec : Measure or dict
        A Measure (its items, their response options and ``reverse`` flags are used) or a
        spec: ``{"items": [{"id": "q1", "values": [1, 2, 3, 4, 5], "reverse": False,
        "factor": "f1"}, ...]}`` or ``{"n_items": 6, "values": [0, 1, 2, 3]}``.
    n : int
        Number of simulated respondents.
    seed : int, optional
        Random seed (the same seed gives the same data).
    loadings : float, sequence or mapping, default 0.7
        Standardised loading of each item on its factor, in (-1, 1).
    model : {"factor", "grm"}, default "factor"
        ``"factor"``: a normal latent response :math:`y^* = \lambda\theta +
        \sqrt{1-\lambda^2}\,\varepsilon` cut at thresholds onto the item's options.
        ``"grm"``: Samejima's graded response model.
    factors : "one", "scores" or mapping, default "one"
        One common factor; one factor per score of the measure (``"scores"``); or a mapping
        of factor name to item ids.
    factor_corr : float, default 0.3
        Correlation between factors.
    thresholds : sequence or mapping, optional
        Cut points on the latent scale (one fewer than the options), for all items or per
        item. Default: a bell-shaped distribution over the options.
    discrimination : float or mapping, optional
        GRM discrimination :math:`a`; default :math:`1.702\,\lambda/\sqrt{1-\lambda^2}`
        (the logistic equivalent of the factor model), difficulties
        :math:`b_j = \tau_j/\lambda`.
    missing : float, default 0.0
        Share of answers set missing completely at random.
    simulated_column : bool, default False
        Add a boolean ``simulated`` column (always True).

    Returns
    -------
    pandas.DataFrame
        One row per simulated respondent, one column per item; ``attrs["simulated"]`` is
        True and ``attrs["simulation"]`` records the model and its parameters.

    Notes
    -----
    Factor model: :math:`x = c` when :math:`\tau_{c-1} < y^* \le \tau_c`. GRM:

    .. math::

        P(X \ge c \mid \theta) = \frac{1}{1 + \exp\{-a(\theta - b_c)\}}.

    Reverse-keyed items are generated in the keyed direction and then reversed
    (``max + min - x``), so ``keys=`` recovers the model. The population alpha of
    parallel continuous items with loading :math:`\lambda` is
    :math:`k\lambda^2/(1 + (k-1)\lambda^2)`; categorising lowers it a little.

    References
    ----------
    .. [1] Samejima, F. (1969). Estimation of latent ability using a response pattern of
       graded scores. Psychometrika Monograph Supplement, 17.
    .. [2] Takane, Y., & de Leeuw, J. (1987). On the relationship between item response
       theory and factor analysis of discretized variables. Psychometrika, 52, 393–408.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    caller = "simulate"
    _check_choice("model", model, ("factor", "grm"), caller)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{caller}(): parameter 'n' must be a positive integer; got {n!r}")
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{caller}(): parameter 'seed' must be an integer or None; got {seed!r}")
    if not (0.0 <= float(missing) < 1.0):
        raise ValueError(f"{caller}(): parameter 'missing' must be in [0, 1); got {missing!r}")
    if not (-1.0 < float(factor_corr) < 1.0):
        raise ValueError(f"{caller}(): parameter 'factor_corr' must be in (-1, 1); got "
                         f"{factor_corr!r}")
    if not (isinstance(factors, Mapping) or factors in ("one", "scores")):
        raise ValueError(f"{caller}(): parameter 'factors' must be 'one', 'scores' or a mapping "
                         f"of factor name to item ids; got {factors!r}")
    if _is_measure(measure_or_spec):
        specs = _items_from_measure(measure_or_spec, factors)
        source = f"measure {getattr(measure_or_spec, 'id', '?')}"
    elif isinstance(measure_or_spec, Mapping):
        if factors == "scores":
            raise ValueError(f"{caller}(): factors='scores' needs a Measure; got a spec")
        specs = _items_from_spec(measure_or_spec, factors)
        source = "spec"
    else:
        raise TypeError(f"{caller}(): parameter 'measure_or_spec' must be a Measure or a dict "
                        f"spec; got {type(measure_or_spec).__name__}")
    if not specs:
        raise ValueError(f"{caller}(): the measure has no scored items to simulate")
    ids = [s.id for s in specs]
    k = len(specs)

    # loadings
    if isinstance(loadings, Mapping):
        unknown = [i for i in loadings if i not in ids]
        if unknown:
            raise ValueError(f"{caller}(): parameter 'loadings' names unknown items {unknown}")
        lam = np.array([float(loadings.get(i, 0.7)) for i in ids])
    elif isinstance(loadings, (int, float, np.floating, np.integer)):
        lam = np.full(k, float(loadings))
    else:
        lam = np.asarray(list(loadings), dtype=float)
        if lam.shape != (k,):
            raise ValueError(f"{caller}(): parameter 'loadings' must have one value per item "
                             f"({k}); got {lam.size}")
    if np.any(np.abs(lam) >= 1) or np.any(lam == 0) and model == "grm":
        raise ValueError(f"{caller}(): parameter 'loadings' must lie in (-1, 1) (and be "
                         f"non-zero for the GRM); got {lam.tolist()}")

    rng = np.random.default_rng(seed)
    fnames = list(dict.fromkeys(s.factor for s in specs))
    nf = len(fnames)
    phi = np.full((nf, nf), float(factor_corr))
    np.fill_diagonal(phi, 1.0)
    theta = rng.standard_normal((n, nf)) @ np.linalg.cholesky(phi).T
    fidx = np.array([fnames.index(s.factor) for s in specs])

    out = np.empty((n, k))
    for j, s in enumerate(specs):
        vals = np.asarray(s.values)
        K = len(vals)
        th = theta[:, fidx[j]]
        if thresholds is None:
            cuts = _default_cuts(K)
        elif isinstance(thresholds, Mapping):
            cuts = np.asarray(thresholds.get(s.id, _default_cuts(K)), dtype=float)
        else:
            cuts = np.asarray(thresholds, dtype=float)
        if not s.continuous and (cuts.shape != (K - 1,) or np.any(np.diff(cuts) <= 0)):
            raise ValueError(f"{caller}(): thresholds for item {s.id!r} must be {K - 1} "
                             f"increasing numbers; got {cuts.tolist()}")
        if model == "factor" or s.continuous:
            ystar = lam[j] * th + math.sqrt(1 - lam[j] ** 2) * rng.standard_normal(n)
            if s.continuous:
                x = vals[0] + (vals[-1] - vals[0]) * stats.norm.cdf(ystar)
                x = np.round(x)
            else:
                x = vals[np.searchsorted(cuts, ystar)]
        else:
            if discrimination is None:
                a = 1.702 * lam[j] / math.sqrt(1 - lam[j] ** 2)
            elif isinstance(discrimination, Mapping):
                a = float(discrimination.get(s.id, 1.702 * lam[j] / math.sqrt(1 - lam[j] ** 2)))
            else:
                a = float(discrimination)
            b = cuts / lam[j] if discrimination is None else cuts
            pstar = 1.0 / (1.0 + np.exp(-a * (th[:, None] - b[None, :])))  # n × (K-1)
            u = rng.random(n)
            x = vals[(u[:, None] < pstar).sum(axis=1)]
        if s.reverse:
            x = vals[0] + vals[-1] - x
        out[:, j] = x
    if missing > 0:
        out[rng.random(out.shape) < missing] = np.nan
    df = pd.DataFrame(out, columns=ids)
    if not np.isnan(out).any() and all(
            float(v).is_integer() for s in specs for v in s.values):
        df = df.astype("int64")
    if simulated_column:
        df["simulated"] = True
    df.attrs["simulated"] = True
    df.attrs["simulation"] = {
        "source": source, "model": model, "n": int(n), "seed": seed,
        "loadings": dict(zip(ids, lam.tolist())),
        "factors": {f: [s.id for s in specs if s.factor == f] for f in fnames},
        "factor_corr": float(factor_corr), "missing": float(missing),
        "reversed": [s.id for s in specs if s.reverse],
        "note": "simulated data, not responses of real people",
    }
    return df


# ----------------------------------------------------------------------------- planning
class PlanResult(Result):
    """Expected precision of Cronbach's alpha at given sample sizes."""

    table: Any
    n_items: int
    alpha: float
    ci_level: float
    n_sim: int
    seed: int | None
    target_width: float | None
    n_for_target: int | None
    simulated: bool = True
    method: str = "plan"

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.table.copy()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = []
        for _, r in self.table.iterrows():
            lines.append(
                f"n = {int(r['n'])}: alpha {self.alpha:.2f} with {self.n_items} items has a "
                f"{self.ci_level:.0%} Feldt CI of about {r['ci_lower']:.3f} to "
                f"{r['ci_upper']:.3f} (expected width {r['expected_width']:.3f}"
                + (f"; simulated {r['simulated_width']:.3f}, coverage "
                   f"{r['simulated_coverage']:.1%}" if self.n_sim else "") + ")")
        if self.n_for_target is not None:
            lines.append(f"n = {self.n_for_target} gives an expected width ≤ "
                         f"{self.target_width:.3f}")
        return "\n".join(lines)


def _feldt_quantiles(n: int, k: int, level: float) -> tuple[float, float]:
    from scipy import stats

    p = 1 - level
    d1, d2 = n - 1, (n - 1) * (k - 1)
    return float(stats.f.ppf(1 - p / 2, d1, d2)), float(stats.f.ppf(p / 2, d1, d2))


def _expected_width(n: int, k: int, alpha: float, level: float) -> float:
    fh, fl = _feldt_quantiles(n, k, level)
    # E[1 - alpha_hat] = (1 - alpha)(n - 1)/(n - 3) under Feldt's F distribution
    return (1 - alpha) * (n - 1) / (n - 3) * (fh - fl)


def plan(
    n_items: int,
    n: int | Sequence[int] | None = None,
    alpha: float = 0.8,
    *,
    ci_level: float = 0.95,
    width: float | None = None,
    n_sim: int = 1000,
    seed: int | None = 0,
) -> PlanResult:
    r"""How wide will the confidence interval of alpha be with ``n`` respondents?

    Parameters
    ----------
    n_items : int
        Number of items.
    n : int or sequence of int, optional
        Sample size(s) to evaluate.
    alpha : float, default 0.8
        The alpha you expect in the population.
    ci_level : float, default 0.95
    width : float, optional
        Target CI width: also report the smallest ``n`` whose expected width is at most
        this.
    n_sim : int, default 1000
        Simulated samples per ``n`` to check the analytic answer (0 to skip). Items are
        parallel and normal with the inter-item correlation that gives ``alpha``.
    seed : int, optional, default 0

    Returns
    -------
    PlanResult
        ``table``: per ``n``, the Feldt interval at the stated alpha (``ci_lower``,
        ``ci_upper``, ``width_at_alpha``), the ``expected_width`` and, from the simulation,
        ``simulated_width`` and ``simulated_coverage``.

    Notes
    -----
    Feldt et al. (1987): :math:`(1-\alpha)/(1-\hat\alpha) \sim F(n-1, (n-1)(k-1))`, so the
    interval's width is :math:`(1-\hat\alpha)(F_{1-p/2} - F_{p/2})` and its expectation

    .. math::

        E[w] = (1-\alpha)\,\frac{n-1}{n-3}\,\bigl(F_{1-p/2} - F_{p/2}\bigr).

    References
    ----------
    .. [1] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
       coefficient alpha. Applied Psychological Measurement, 11(1), 93–103.
    .. [2] Bonett, D. G. (2002). Sample size requirements for testing and estimating
       coefficient alpha. Journal of Educational and Behavioral Statistics, 27, 335–340.
    """
    import numpy as np
    import pandas as pd

    caller = "plan"
    if not isinstance(n_items, (int, np.integer)) or n_items < 2:
        raise ValueError(f"{caller}(): parameter 'n_items' must be an integer ≥ 2; got "
                         f"{n_items!r}")
    if not (0 < float(alpha) < 1):
        raise ValueError(f"{caller}(): parameter 'alpha' must be in (0, 1); got {alpha!r}")
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise ValueError(f"{caller}(): parameter 'ci_level' must be a float between 0 and 1; "
                         f"got {ci_level!r}")
    if n is None and width is None:
        raise ValueError(f"{caller}(): give 'n' (sample sizes) or 'width' (a target CI width)")
    ns: list[int] = []
    if n is not None:
        ns = [int(n)] if isinstance(n, (int, np.integer)) else [int(v) for v in n]
        bad = [v for v in ns if v < 4]
        if bad:
            raise ValueError(f"{caller}(): parameter 'n' values must be ≥ 4; got {bad}")
    if not isinstance(n_sim, (int, np.integer)) or n_sim < 0:
        raise ValueError(f"{caller}(): parameter 'n_sim' must be an integer ≥ 0; got {n_sim!r}")
    k = int(n_items)
    n_target: int | None = None
    if width is not None:
        if not (0 < float(width) < 2):
            raise ValueError(f"{caller}(): parameter 'width' must be in (0, 2); got {width!r}")
        lo, hi = 4, 8
        while _expected_width(hi, k, alpha, ci_level) > width:
            lo, hi = hi, hi * 2
            if hi > 10_000_000:
                raise ValueError(f"{caller}(): width {width} needs more than 10 million "
                                 "respondents")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _expected_width(mid, k, alpha, ci_level) > width:
                lo = mid
            else:
                hi = mid
        n_target = hi
        if n_target not in ns:
            ns.append(n_target)
    rng = np.random.default_rng(seed)
    rbar = alpha / (k - alpha * (k - 1))
    rows = []
    for nn in ns:
        fh, fl = _feldt_quantiles(nn, k, ci_level)
        row: dict[str, float] = {
            "n": nn, "ci_lower": 1 - (1 - alpha) * fh, "ci_upper": 1 - (1 - alpha) * fl,
            "width_at_alpha": (1 - alpha) * (fh - fl),
            "expected_width": _expected_width(nn, k, alpha, ci_level),
        }
        if n_sim:
            widths = np.empty(n_sim)
            cover = np.empty(n_sim, dtype=bool)
            chunk = max(1, int(2e7 // (nn * k)))
            done = 0
            while done < n_sim:
                b = min(chunk, n_sim - done)
                f = rng.standard_normal((b, nn, 1))
                X = math.sqrt(rbar) * f + math.sqrt(1 - rbar) * rng.standard_normal((b, nn, k))
                Xc = X - X.mean(axis=1, keepdims=True)
                C = np.einsum("bni,bnj->bij", Xc, Xc) / (nn - 1)
                a_hat = (1 - np.trace(C, axis1=1, axis2=2) / C.sum(axis=(1, 2))) * k / (k - 1)
                lo_ci = 1 - (1 - a_hat) * fh
                hi_ci = 1 - (1 - a_hat) * fl
                widths[done:done + b] = hi_ci - lo_ci
                cover[done:done + b] = (lo_ci <= alpha) & (alpha <= hi_ci)
                done += b
            row["simulated_width"] = float(widths.mean())
            row["simulated_width_sd"] = float(widths.std(ddof=1)) if n_sim > 1 else 0.0
            row["simulated_coverage"] = float(cover.mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype(int)
    return PlanResult(table=table, n_items=k, alpha=float(alpha), ci_level=ci_level,
                      n_sim=int(n_sim), seed=seed, target_width=width, n_for_target=n_target)
