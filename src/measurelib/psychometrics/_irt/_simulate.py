"""Simulated answers from an IRT model (labelled as simulated, like ``simulate``)."""

from __future__ import annotations

from typing import Any

__all__ = ["simulate_irt"]


def simulate_irt(
    n: int = 1000,
    n_items: int = 10,
    n_categories: int = 5,
    model: str = "graded",
    a: Any = None,
    d: Any = None,
    theta: Any = None,
    start: int = 1,
    seed: int | None = None,
) -> Any:
    """Answers drawn from a graded or (generalized) partial credit model.

    Parameters
    ----------
    n, n_items, n_categories
        Respondents, items and categories per item (ignored where ``a``/``d`` or ``theta``
        fix them).
    model : {"graded", "gpcm", "pcm", "rsm", "2pl", "rasch"}
        The response model; the Rasch family uses slopes of 1.
    a : array (n_items,), optional
        Slopes (default: uniform on [0.8, 2.2], or 1 for the Rasch family).
    d : array (n_items, n_categories - 1), optional
        Intercepts in mirt's slope–intercept form (default: ordered thresholds
        ``b`` spread over [-2, 2] with a random shift per item, ``d = -a b``; for
        divide-by-total models ``d_c = -a (b_1 + ... + b_c)``).
    theta : array (n,), optional
        Abilities (default: standard normal draws).
    start : int
        Code of the lowest category (1 gives answers 1..K, 0 gives 0..K-1).
    seed : int, optional
        Seed of numpy's default generator.

    Returns
    -------
    DataFrame with columns ``item1..itemJ``; ``attrs`` holds ``simulated=True`` and the
    generating ``a`` and ``d`` (lists), and ``theta`` when n <= 10,000.
    """
    import numpy as np
    import pandas as pd

    from ._models import item_probs

    models = ("graded", "gpcm", "pcm", "rsm", "2pl", "rasch")
    if model not in models:
        raise ValueError(f"simulate_irt(): parameter 'model' must be one of "
                         f"{', '.join(repr(m) for m in models)}; got {model!r}")
    rng = np.random.default_rng(seed)
    if model in ("2pl", "rasch") and d is None:
        n_categories = 2
    if a is not None:
        a = np.asarray(a, dtype=np.float64)
        n_items = a.shape[0]
    if d is not None:
        d = np.asarray(d, dtype=np.float64)
        if d.ndim == 1:
            d = d[:, None]
        n_items, n_categories = d.shape[0], d.shape[1] + 1
    if n_categories < 2 or n_items < 1:
        raise ValueError("simulate_irt(): needs n_categories >= 2 and n_items >= 1; got "
                         f"{n_categories} and {n_items}")
    if a is None:
        a = np.ones(n_items) if model in ("rasch", "pcm", "rsm") else rng.uniform(0.8, 2.2, n_items)
    kind = "graded" if model in ("graded", "2pl") or (model == "rasch" and n_categories == 2) \
        else "gpcm"
    if d is None:
        base = np.linspace(-2, 2, n_categories + 1)[1:-1] if n_categories > 2 else np.zeros(1)
        shift = rng.uniform(-0.75, 0.75, n_items)
        if model == "rsm":
            b = base[None, :] + shift[:, None]
        else:
            b = np.sort(base[None, :] + shift[:, None]
                        + rng.normal(0, 0.15, (n_items, n_categories - 1)), axis=1)
        d = -a[:, None] * b if kind == "graded" else -a[:, None] * np.cumsum(b, axis=1)
    if theta is None:
        theta = rng.standard_normal(n)
    theta = np.asarray(theta, dtype=np.float64)
    beta = np.column_stack([a, d])
    p = item_probs(kind, beta, theta)  # (J, K, N)
    cum = np.cumsum(p, axis=1)
    u = rng.random((n_items, 1, theta.shape[0]))
    codes = (u > cum).sum(axis=1).T  # (N, J)
    frame = pd.DataFrame(codes + start, columns=[f"item{j + 1}" for j in range(n_items)])
    # plain lists keep the attrs comparable and cheap to copy (pandas copies attrs often)
    frame.attrs.update({"simulated": True, "model": model, "a": a.tolist(), "d": d.tolist()})
    if theta.shape[0] <= 10_000:
        frame.attrs["theta"] = theta.tolist()
    return frame
