"""Internal consistency (Cronbach's alpha, omega), item analysis and a keying check.

The numbers are those of R's ``psych::alpha`` (and ``psych::alpha.ci``, ``psych::omega``):
the golden tests compare them to 1e-6 on public datasets (``tests/golden``).
"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from measurelib._progress import progress
from measurelib._results import Result
from measurelib.errors import (
    DataError,
    Diagnostic,
    Location,
    MeasurelibError,
    MeasurelibWarning,
    SmallSampleWarning,
    register,
)
from measurelib.psychometrics._numeric import blas_policy

__all__ = ["KeyingResult", "ReliabilityResult", "keying_check", "reliability"]

# ----------------------------------------------------------------------------- diagnostics
register("data-unknown-column", "Unknown column", "A column named in the call is not in the "
         "data.", "Check the spelling; the message lists the columns found.", area="data")
register("data-non-numeric", "Non-numeric item", "An item column holds values that are not "
         "numbers.", "Recode the responses to their numeric values (e.g. with the measure's "
         "scales) or leave the column out with `items=`.", area="data")
register("data-constant-item", "Item has no variance", "Every respondent gave the same answer "
         "(or only one answer is present), so the item cannot correlate with anything.",
         "Leave the item out with `items=`; report its distribution separately.", area="data")
register("data-empty-item", "Item has no answers", "The item column is entirely missing.",
         "Leave the item out with `items=`.", area="data")
register("data-too-few-items", "Too few items", "Internal consistency needs at least two items.",
         "Pass two or more item columns.", area="data")
register("data-too-few-respondents", "Too few respondents", "Fewer than two usable respondents.",
         "Collect more responses before computing reliability.", area="data")
register("data-no-overlap", "Items never answered together", "Two items have fewer than two "
         "respondents in common, so their covariance cannot be estimated.",
         "Use listwise deletion only if enough complete rows remain, or drop one item.",
         area="data")
register("data-duplicate-id", "Duplicate id", "An id occurs more than once in one "
         "administration, so the two administrations cannot be matched.",
         "Keep one row per person per administration.", area="data")
register("data-bad-keys", "Invalid keys", "A key names an item that is not analysed, or "
         "a key value is not +1/-1.", "Give item names, or one +1/-1 per item.", area="usage")


# ----------------------------------------------------------------------------- helpers
def _check_choice(name: str, value: Any, allowed: Sequence[Any], caller: str) -> None:
    if value not in allowed:
        raise ValueError(
            f"{caller}(): parameter {name!r} must be one of "
            f"{', '.join(repr(a) for a in allowed)}; got {value!r}"
        )


def _is_measure(obj: Any) -> bool:
    return hasattr(obj, "items") and hasattr(obj, "scale_of") and not isinstance(obj, Mapping)


def _measure_range(measure: Any, item_id: str) -> tuple[float, float] | None:
    try:
        values = list(measure.scale_of(item_id).values())
    except (KeyError, AttributeError):
        return None
    if not values:
        return None
    return float(min(values)), float(max(values))


def _as_frame(data: Any, caller: str) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ValueError(
                f"{caller}(): parameter 'data' must be a 2-D array or a DataFrame; "
                f"got an array with {data.ndim} dimension(s)"
            )
        return pd.DataFrame(data, columns=[f"V{i + 1}" for i in range(data.shape[1])])
    raise TypeError(
        f"{caller}(): parameter 'data' must be a pandas DataFrame or a 2-D numpy array; "
        f"got {type(data).__name__}"
    )


def _numeric_block(frame: Any, columns: Sequence[str], caller: str) -> Any:
    """Float matrix of ``columns``; non-numeric values raise DataError naming the cell."""
    import numpy as np
    import pandas as pd

    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, list(frame.columns)[:30]))
        raise DataError([
            Diagnostic("data-unknown-column", f"column {c!r} is not in the data",
                       f"columns found: {found}", Location(field=str(c)))
            for c in missing
        ])
    all_dtypes = dict(zip(frame.columns, frame.dtypes))  # frame[c] copies attrs: slow
    dtypes = [all_dtypes[c] for c in columns]
    if all(isinstance(d, np.dtype) and d.kind in "biuf" for d in dtypes):
        # plain numpy dtypes: one conversion of the whole block (no column selection
        # when every column is used, in order: selecting copies the block)
        if len(columns) == frame.shape[1] and all(a == b for a, b in zip(columns, frame.columns)):
            return frame.to_numpy(dtype=float)
        return frame[list(columns)].to_numpy(dtype=float)
    problems: list[Diagnostic] = []
    out = np.empty((len(frame), len(columns)), dtype=float)
    for j, c in enumerate(columns):
        col = frame[c]
        if col.dtype.kind in "biuf":
            out[:, j] = col.to_numpy(dtype=float, na_value=np.nan)
            continue
        conv = pd.to_numeric(col, errors="coerce")
        bad = conv.isna() & col.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(Diagnostic(
                "data-non-numeric",
                f"item {c!r} holds a non-numeric value {str(col.iloc[pos])[:40]!r} "
                f"({int(bad.sum())} such value(s))",
                "Recode the responses to numbers, or leave the column out with `items=`.",
                Location(row=pos + 2, field=str(c)),
            ))
            continue
        out[:, j] = conv.to_numpy(dtype=float, na_value=np.nan)
    if problems:
        raise DataError(problems, title=f"{caller}(): the data has non-numeric item values")
    return out


def _parse_keys(keys: Any, items: list[str], caller: str) -> list[str]:
    """Names of the items to reverse."""
    if keys is None:
        return []
    if _is_measure(keys):
        return [it.id for it in keys.items if getattr(it, "reverse", False) and it.id in items]
    if isinstance(keys, str):
        keys = [keys]
    if isinstance(keys, Mapping):
        out = []
        for name, val in keys.items():
            if name not in items:
                raise ValueError(f"{caller}(): parameter 'keys' names {name!r}, which is not "
                                 f"among the items analysed ({', '.join(items)})")
            if val in (-1, 1, True, False) and not isinstance(val, str):
                if val == -1 or val is False:
                    out.append(name)
            else:
                raise ValueError(f"{caller}(): parameter 'keys' must map items to +1 or -1; "
                                 f"got {val!r} for {name!r}")
        return [i for i in items if i in out]
    seq = list(keys)
    if not seq:
        return []
    if all(isinstance(v, str) for v in seq):
        unknown = [v for v in seq if v.lstrip("-") not in items]
        if unknown:
            raise ValueError(f"{caller}(): parameter 'keys' names {unknown}, not among the "
                             f"items analysed ({', '.join(items)})")
        names = {v.lstrip("-") for v in seq}
        return [i for i in items if i in names]
    if len(seq) != len(items):
        raise ValueError(f"{caller}(): parameter 'keys' given as numbers must have one +1/-1 "
                         f"per item ({len(items)}); got {len(seq)} values")
    bad = [v for v in seq if v not in (-1, 1)]
    if bad:
        raise ValueError(f"{caller}(): parameter 'keys' values must be +1 or -1; got {bad[0]!r}")
    return [i for i, v in zip(items, seq) if v == -1]


def _simulated(frame: Any) -> bool:
    try:
        return bool(frame.attrs.get("simulated", False))
    except AttributeError:
        return False


class _Prepared:
    """Items selected, keyed and checked; the float matrix and its bookkeeping."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.X: Any = None
        self.reversed: list[str] = []
        self.lo: Any = None
        self.hi: Any = None
        self.range_source = "observed"
        self.n_rows = 0
        self.n_excluded = 0
        self.n_empty = 0
        self.nan: Any = None
        self.colstats: Any = None
        self.n_i: Any = None
        self.notes: list[str] = []
        self.simulated = False


def _prepare(data: Any, items: Sequence[str] | None, keys: Any, missing: str,
             scale_range: tuple[float, float] | None, caller: str,
             measure: Any = None) -> _Prepared:
    import numpy as np

    frame = _as_frame(data, caller)
    p = _Prepared()
    p.simulated = _simulated(frame)
    if measure is None and _is_measure(keys):
        measure = keys
    if items is None:
        if measure is not None:
            ids = [it.id for it in measure.items]
            items = [i for i in ids if i in frame.columns and _measure_range(measure, i)]
            absent = [i for i in ids if i not in frame.columns]
            if absent:
                p.notes.append(f"items of the measure not in the data were left out: "
                               f"{', '.join(absent)}")
        else:
            items = [c for c in frame.columns if c != "simulated"]
    elif isinstance(items, str):
        raise TypeError(f"{caller}(): parameter 'items' must be a list of column names; got "
                        f"the string {items!r} (write items=[{items!r}])")
    cols = list(items)  # column labels as in the frame (may be non-strings)
    items = [str(i) for i in cols]  # item names in results
    if len(set(items)) != len(items):
        raise ValueError(f"{caller}(): parameter 'items' lists a column twice: {items}")
    if len(items) < 2:
        raise DataError(Diagnostic(
            "data-too-few-items", f"{len(items)} item(s) given; at least 2 are needed",
            "Pass two or more item columns with `items=`."), title=f"{caller}(): too few items")
    X = _numeric_block(frame, cols, caller)
    p.n_rows = X.shape[0]
    p.items = list(items)
    # Listwise deletion drops every incomplete row; pairwise keeps every row (psych).
    dtypes = dict(zip(frame.columns, frame.dtypes))
    ints = all(isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "biu" for c in cols)
    # integer columns cannot hold NaN; for floats a column sum is NaN iff the column
    # holds a NaN (cheaper than a full mask when nothing is missing)
    colstats = _column_pass(X)
    has_nan = not ints and bool(np.isnan(colstats[0]).any())
    p.colstats = None if has_nan else colstats
    if has_nan:
        nan = np.isnan(X)
        empty = int(nan.all(axis=1).sum())
        if missing == "listwise":
            keep = ~nan.any(axis=1)
            X = X[keep]
            p.n_excluded = int((~keep).sum())
            p.notes.append(f"{p.n_excluded} of {p.n_rows} rows had a missing answer and were "
                           "not used (listwise deletion)")
        elif empty:
            p.n_empty = empty
            p.notes.append(f"{empty} of {p.n_rows} rows have no answer to any item; as in "
                           "psych::alpha they count in n (the n of the Feldt and Duhachek "
                           "intervals); drop them beforehand if they are not respondents")
    if has_nan and missing == "listwise":
        has_nan = False
        colstats = _column_pass(X)  # of the complete rows
        p.colstats = colstats
    p.nan = np.isnan(X) if has_nan else None
    p.n_i = (X.shape[0] - p.nan.sum(axis=0)) if has_nan else np.full(len(items), X.shape[0])
    p.X = X
    # Reversal range: the measure's option range, a stated range, or psych's pooled
    # observed minimum and maximum of all items.
    k = len(items)
    lo = np.full(k, np.nan)
    hi = np.full(k, np.nan)
    if measure is not None:
        for j, it in enumerate(items):
            r = _measure_range(measure, it)
            if r is not None:
                lo[j], hi[j] = r
        p.range_source = "measure" if not np.isnan(lo).any() else "measure+observed"
    if scale_range is not None:
        lo[:], hi[:] = float(scale_range[0]), float(scale_range[1])
        p.range_source = "given"
    if not X.shape[0]:
        obs_lo = obs_hi = np.full(k, np.nan)
    elif p.nan is None:
        obs_lo, obs_hi = colstats[1].copy(), colstats[2].copy()
    else:
        with np.errstate(all="ignore"), _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN items: checked later
            obs_lo = np.nanmin(X, axis=0)
            obs_hi = np.nanmax(X, axis=0)
    p.reversed = _parse_keys(keys, p.items, caller)
    if p.reversed:
        idx = [items.index(i) for i in p.reversed]
        pooled = float(np.nanmin(obs_lo)) + float(np.nanmax(obs_hi))
        if not X.flags.writeable:
            X = p.X = X.copy()
        for j in idx:
            adjust = lo[j] + hi[j] if not np.isnan(lo[j]) else pooled
            X[:, j] = adjust - X[:, j]
            if p.colstats is not None:
                sums, mins, maxs, nmin, nmax = p.colstats
                sums[j] = adjust * X.shape[0] - sums[j]
                mins[j], maxs[j] = adjust - maxs[j], adjust - mins[j]
                nmin[j], nmax[j] = nmax[j], nmin[j]
    # Floor/ceiling range: measure or stated range, else each item's observed range.
    flo = np.where(np.isnan(lo), obs_lo, lo)
    fhi = np.where(np.isnan(hi), obs_hi, hi)
    if p.reversed and p.range_source == "observed":
        # after reversal with the pooled range the reversed items' observed range moves
        pooled = float(np.nanmin(obs_lo)) + float(np.nanmax(obs_hi))
        idx = [items.index(i) for i in p.reversed]
        flo, fhi = flo.copy(), fhi.copy()
        flo[idx], fhi[idx] = pooled - obs_hi[idx], pooled - obs_lo[idx]
    p.lo, p.hi = flo, fhi
    return p


def _column_pass(X: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Sum, minimum, maximum and the counts of the minimum and maximum of every column,
    in one pass over memory: each column is read once while it sits in cache (the
    passes are memory-bound; separate whole-matrix reductions would each re-read it).
    """
    import numpy as np

    k = X.shape[1]
    sums, mins, maxs = np.empty(k), np.empty(k), np.empty(k)
    nmin, nmax = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
    if X.shape[0] == 0:
        return sums * np.nan, mins, maxs, nmin, nmax
    for j in range(k):
        c = X[:, j]
        sums[j] = c.sum()
        if sums[j] != sums[j]:  # NaN present: the caller switches to the missing-data path
            continue
        mins[j] = c.min()
        maxs[j] = c.max()
        nmin[j] = np.count_nonzero(c == mins[j])
        nmax[j] = np.count_nonzero(c == maxs[j])
    return sums, mins, maxs, nmin, nmax


def _count_equal(X: Any, j: int, value: float, colstats: Any, which: str) -> int:
    """How many answers of column j equal ``value`` (from the column pass when possible)."""
    import numpy as np

    if colstats is not None:
        _, mins, maxs, nmin, nmax = colstats
        if which == "floor":
            if value == mins[j]:
                return int(nmin[j])
            if value < mins[j]:
                return 0
        else:
            if value == maxs[j]:
                return int(nmax[j])
            if value > maxs[j]:
                return 0
    return int(np.count_nonzero(X[:, j] == value))


def _check_counts(p: _Prepared, caller: str) -> None:
    """Raise DataError for items with fewer than two answers, or too few rows."""
    import numpy as np

    problems: list[Diagnostic] = []
    for j, it in enumerate(p.items):
        if p.n_i[j] == 0:
            problems.append(Diagnostic("data-empty-item", f"item {it!r} has no answers",
                                       "Leave it out with `items=`.", Location(field=it)))
        elif p.n_i[j] == 1:
            val = p.X[~np.isnan(p.X[:, j]), j][0]
            problems.append(_constant(it, 1, val))
    if problems:
        raise DataError(problems, title=f"{caller}(): some items cannot be analysed")
    if p.X.shape[0] < 2:
        raise DataError(Diagnostic(
            "data-too-few-respondents", f"{p.X.shape[0]} usable respondent(s); at least 2 needed",
            "Collect more responses, or use missing='pairwise'."),
            title=f"{caller}(): too few respondents")


def _constant(item: str, n: int, value: float) -> Diagnostic:
    return Diagnostic(
        "data-constant-item", f"item {item!r} has no variance: all {int(n)} answers are {value:g}",
        "Leave it out with `items=` and report its distribution separately "
        "(psych::alpha drops such items with a warning).", Location(field=item))


def _check_variances(p: _Prepared, C: Any, means: Any, caller: str) -> Any:
    """Raise DataError for constant items; return the item standard deviations."""
    import numpy as np

    var = np.diag(C)
    tol = 1e-12 * np.maximum(1.0, means**2)
    bad = np.flatnonzero(~(var > tol))
    if len(bad):
        raise DataError([_constant(p.items[j], int(p.n_i[j]), float(means[j])) for j in bad],
                        title=f"{caller}(): some items cannot be analysed")
    return np.sqrt(var)


def _check_items(p: _Prepared, caller: str) -> tuple[Any, Any, Any]:
    """All checks; return (C, means, sd)."""
    _check_counts(p, caller)
    sums = None if p.colstats is None else p.colstats[0]
    C, means, _ = _covariance(p.X, caller, p.items, p.nan, sums)
    sd = _check_variances(p, C, means, caller)
    return C, means, sd


def _covariance(X: Any, caller: str, items: list[str],
                nan: Any = None, sums: Any = None) -> tuple[Any, Any, Any]:
    """Covariance matrix (pairwise complete, like R's ``cov(use="pairwise")``) and means.

    ``nan`` is the missing-value mask (None: no missing values). Returns
    ``(C, means, N)`` with N the pairwise counts (None for complete data).
    """
    import numpy as np

    n, k = X.shape
    if nan is None:
        m = (X.sum(axis=0) if sums is None else sums) / n
        G = X.T @ X
        C = (G - n * np.outer(m, m)) / (n - 1)
        # guard against cancellation when means are large relative to the spread
        if np.any(np.diag(C) <= 1e-9 * np.abs(np.diag(G)) / n):
            Xc = X - m
            C = (Xc.T @ Xc) / (n - 1)
        return (C + C.T) / 2, m, None
    M = (~nan).astype(float)
    N = M.T @ M
    m = np.where(nan, 0.0, X).sum(axis=0) / np.diag(N)
    X0 = np.where(nan, 0.0, X - m)
    low = np.argwhere(np.triu(N < 2, 1))
    if len(low):
        raise DataError([
            Diagnostic("data-no-overlap",
                       f"items {items[i]!r} and {items[j]!r} are answered together by "
                       f"{int(N[i, j])} respondent(s); at least 2 are needed",
                       "Drop one of the two items.", Location(field=items[i]))
            for i, j in low[:20]
        ], title=f"{caller}(): some item pairs cannot be correlated")
    S = X0.T @ M  # S[i, j] = sum of centred x_i over rows where j is observed
    P = X0.T @ X0
    with np.errstate(all="ignore"):
        C = (P - S * S.T / N) / (N - 1)
    return (C + C.T) / 2, m, N


def _eigh(R: Any) -> tuple[Any, Any]:
    """Eigen-decomposition of a small symmetric matrix (scipy's LAPACK call is much faster
    than numpy's for k ~ 50).
    """
    import numpy as np
    from scipy.linalg import eigh, eigvalsh

    k = R.shape[0]
    vals = eigvalsh(R)
    _, top = eigh(R, subset_by_index=[k - 1, k - 1])
    vecs = np.zeros((k, k))
    vecs[:, -1] = top[:, 0]  # only the first principal component is used
    return vals, vecs


def _alpha_parts(C: Any) -> dict[str, Any]:
    """Alpha, standardised alpha, average r and Duhachek's Q of a covariance matrix, and
    the same with each item dropped (vectorised: O(k^2)).
    """
    import numpy as np

    k = C.shape[0]
    d = np.diag(C).copy()
    sd = np.sqrt(d)
    R = C / np.outer(sd, sd)
    np.fill_diagonal(R, 1.0)
    sumC = float(C.sum())
    trC = float(d.sum())
    colC = C.sum(axis=0)
    sumR = float(R.sum())
    colR = R.sum(axis=0)
    out: dict[str, Any] = {"R": R}
    out["raw"] = (1 - trC / sumC) * k / (k - 1)
    out["std"] = (1 - k / sumR) * k / (k - 1)
    out["average_r"] = (sumR - k) / (k * (k - 1))
    trCC = float((C * C).sum())
    sumCC = float((colC * colC).sum())
    out["Q"] = (2 * k**2 / ((k - 1) ** 2 * sumC**3)) * (sumC * (trCC + trC**2) - 2 * trC * sumCC)
    # item dropped
    sumC_i = sumC - 2 * colC + d
    out["r_drop"] = (colC - d) / np.sqrt(d * sumC_i)
    out["r_total_cov"] = colC / np.sqrt(d * sumC)
    out["r_std"] = colR / math.sqrt(sumR)
    if k > 2:
        kk = k - 1
        tr_i = trC - d
        out["raw_drop"] = (1 - tr_i / sumC_i) * kk / (kk - 1)
        sumR_i = sumR - 2 * colR + 1
        out["std_drop"] = (1 - kk / sumR_i) * kk / (kk - 1)
        out["average_r_drop"] = (sumR_i - kk) / (kk * (kk - 1))
    else:
        out["raw_drop"] = np.full(k, np.nan)
        out["std_drop"] = np.full(k, np.nan)
        out["average_r_drop"] = np.full(k, np.nan)
    return out


def _alpha_raw_batch(Cs: Any) -> Any:
    """Raw alpha of a stack of covariance matrices (B, k, k)."""
    import numpy as np

    k = Cs.shape[-1]
    tr = np.trace(Cs, axis1=1, axis2=2)
    tot = Cs.sum(axis=(1, 2))
    return (1 - tr / tot) * k / (k - 1)


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    from measurelib.psychometrics._numeric import f_ppf

    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * f_ppf(1 - p / 2, df1, df2)
    upper = 1 - (1 - alpha) * f_ppf(p / 2, df1, df2)
    return float(lower), float(upper)


def _z(level: float) -> float:
    # psych::alpha prints Duhachek's interval with 1.96; use exactly that at 95 %.
    if abs(level - 0.95) < 1e-12:
        return 1.96
    from measurelib.psychometrics._numeric import norm_ppf

    return float(norm_ppf(1 - (1 - level) / 2))


def _bootstrap_alpha(X: Any, n_boot: int, seed: int | None, level: float) -> tuple[Any, Any]:
    """Percentile bootstrap of raw alpha: rows resampled with replacement, pairwise
    covariances (as ``psych::alpha(n.iter=)``), computed for all resamples at once from
    multinomial counts ``W`` (resamples × rows) with a few matrix products.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n, k = X.shape
    nan = np.isnan(X)
    complete = not nan.any()
    m = np.nanmean(X, axis=0)
    X0 = np.where(nan, 0.0, X - m)
    M = (~nan).astype(float)
    iu = np.triu_indices(k)
    # products of column pairs (upper triangle incl. diagonal), n × p
    P = X0[:, iu[0]] * X0[:, iu[1]]
    if not complete:
        MM = M[:, iu[0]] * M[:, iu[1]]
        SX = X0[:, iu[0]] * M[:, iu[1]]
        SY = M[:, iu[0]] * X0[:, iu[1]]
    # rows of W per chunk so that a chunk holds ~ 2e7 numbers
    chunk = max(1, min(n_boot, int(2e7 // max(n, 1))))
    alphas = np.empty(n_boot)
    bar = progress(total=n_boot, desc="bootstrap", unit="resample", min_total=200)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx_dtype = np.int32 if n < 2**31 else np.int64
        idx = rng.integers(0, n, size=(b, n), dtype=idx_dtype)
        W = np.empty((b, n))
        for r in range(b):  # counts row by row: cache-friendly, faster than one bincount
            W[r] = np.bincount(idx[r], minlength=n)
        if complete:
            S1 = W @ X0  # b × k
            Sxy = W @ P  # b × p
            cov_u = (Sxy - S1[:, iu[0]] * S1[:, iu[1]] / n) / (n - 1)
        else:
            Nn = W @ MM
            Sx = W @ SX
            Sy = W @ SY
            Sxy = W @ P
            with np.errstate(all="ignore"):
                cov_u = (Sxy - Sx * Sy / Nn) / (Nn - 1)
        Cs = np.empty((b, k, k))
        Cs[:, iu[0], iu[1]] = cov_u
        Cs[:, iu[1], iu[0]] = cov_u
        alphas[done:done + b] = _alpha_raw_batch(Cs)
        done += b
        bar.update(b)
    bar.close()
    ok = np.isfinite(alphas)
    p = 1 - level
    ci = np.quantile(alphas[ok], [p / 2, 1 - p / 2])
    return ci, alphas


def _bootstrap_ordinal(X: Any, n_boot: int, seed: int | None, level: float) -> tuple[Any, Any]:
    import numpy as np

    from measurelib.psychometrics._polychoric import polychoric

    rng = np.random.default_rng(seed)
    n, k = X.shape
    alphas = np.empty(n_boot)
    bar = progress(total=n_boot, desc="bootstrap (polychoric)", unit="resample", min_total=200)
    for b in range(n_boot):
        Xb = X[rng.integers(0, n, size=n)]
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            try:
                R = np.asarray(polychoric(Xb).rho, dtype=float)
                alphas[b] = (1 - k / R.sum()) * k / (k - 1)
            except Exception:  # a resample with a constant item
                alphas[b] = np.nan
        bar.update(1)
    bar.close()
    ok = np.isfinite(alphas)
    p = 1 - level
    return np.quantile(alphas[ok], [p / 2, 1 - p / 2]), alphas


# ----------------------------------------------------------------------------- result
class ReliabilityResult(Result):
    """Internal consistency of a set of items, with item analysis.

    Attributes mirror ``psych::alpha``: ``alpha`` is its ``raw_alpha``,
    ``alpha_standardized`` its ``std.alpha``, ``average_r`` its ``average_r``;
    ``item_stats`` joins its ``item.stats`` and ``alpha.drop``.
    """

    alpha: float
    alpha_standardized: float
    alpha_ci: tuple[float, float]
    ci_method: Literal["feldt", "duhachek", "bootstrap"]
    ci_level: float
    alpha_se: float
    omega_total: float | None
    omega_hierarchical: float | None
    average_r: float
    n: int
    n_rows: int
    n_excluded: int
    n_empty_rows: int
    n_items: int
    items: list[str]
    reversed_items: list[str]
    item_stats: Any
    option_range_source: str
    ordinal: bool
    missing: Literal["pairwise", "listwise"]
    n_boot: int | None
    seed: int | None
    omega_factors: int
    simulated: bool
    warnings: list[str]
    notes: list[str]
    method: str = "reliability"

    def to_frame(self, kind: Literal["statistics", "items"] = "statistics") -> Any:
        """Tidy table: one row per statistic (``kind="statistics"``) or per item."""
        import pandas as pd

        _check_choice("kind", kind, ("statistics", "items"), "ReliabilityResult.to_frame")
        if kind == "items":
            return self.item_stats.reset_index()
        rows = [
            {"statistic": "alpha", "estimate": self.alpha, "ci_lower": self.alpha_ci[0],
             "ci_upper": self.alpha_ci[1], "ci_method": self.ci_method},
            {"statistic": "alpha_standardized", "estimate": self.alpha_standardized},
            {"statistic": "average_r", "estimate": self.average_r},
            {"statistic": "omega_total", "estimate": self.omega_total},
            {"statistic": "omega_hierarchical", "estimate": self.omega_hierarchical},
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out = super().to_dict()
        if self.simulated:
            out["note"] = "computed on simulated data"
        return out

    def verdict(self) -> str:
        """Plain verdict against Nunnally's (1978) .70 (research) and .90 (clinical)."""
        a = self.alpha
        if a < 0:
            return "negative: items do not measure the same thing as keyed"
        if a < 0.7:
            return "below .70: too low for group comparisons (Nunnally 1978)"
        if a < 0.9:
            return "at least .70: adequate for group comparisons, not for individual decisions"
        return "at least .90: adequate for decisions about individuals (Nunnally 1978)"

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lo, hi = self.alpha_ci
        kind = "ordinal " if self.ordinal else ""
        lines = [
            f"{kind}Cronbach's alpha = {self.alpha:.3f} "
            f"({self.ci_level:.0%} CI {lo:.3f} to {hi:.3f}, {self.ci_method}); "
            f"standardised {self.alpha_standardized:.3f}; average r {self.average_r:.3f}",
            f"{self.n_items} items, n = {self.n} ({self.missing} deletion)"
            + (f"; reversed: {', '.join(self.reversed_items)}" if self.reversed_items else ""),
        ]
        if self.omega_total is not None:
            oh = ("not estimable" if self.omega_hierarchical is None
                  else f"{self.omega_hierarchical:.3f}")
            lines.append(f"omega total = {self.omega_total:.3f}; omega hierarchical = {oh}")
        lines.append(f"verdict: {self.verdict()}")
        if self.simulated:
            lines.append("note: computed on simulated data")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _warn(msgs: list[str], text: str, category: type[Warning] = MeasurelibWarning) -> None:
    msgs.append(text)
    _warnings.warn(text, category, stacklevel=3)


def _omega(X: Any, R: Any, items: list[str], n: int, n_factors: int,
           msgs: list[str]) -> tuple[float | None, float | None]:
    """omega_total and omega_hierarchical via psychometrics.omega (psych::omega).

    Given the keyed data ``X`` (psych::omega correlates it pairwise, each pair on its own
    complete cases) or, when ``X`` is None, the correlation matrix ``R`` (polychoric).
    """
    import pandas as pd

    k = len(items)
    if k < 3:
        msgs.append("omega not computed: it needs at least 3 items")
        return None, None
    from measurelib.psychometrics._omega import omega

    arg: Any
    if X is None:
        arg = R  # only omega_total and omega_hierarchical are read: no labels needed
        n_obs: int | None = n
    else:
        arg = pd.DataFrame(X, columns=items)
        n_obs = None

    def run(nf: int) -> Any:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            res = omega(arg, n_factors=nf, n_obs=n_obs)
        if nf == 1:
            return res  # omega_hierarchical of one factor is not reported: nothing to add
        for w in caught:
            text = f"omega: {w.message}".splitlines()[0]
            if text not in msgs:
                msgs.append(text)
        return res

    try:
        res = run(n_factors)
    except MeasurelibError as exc:
        reason = str(exc.errors[0].message) if exc.errors else str(exc)
        msgs.append(f"omega_hierarchical not estimable with {n_factors} group factors: "
                    f"{reason}; omega_total is from a one-factor model")
        try:
            res = run(1)
        except MeasurelibError as exc2:
            msgs.append(f"omega not computed: {exc2}".splitlines()[0])
            return None, None
        return float(res.omega_total), None
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        msgs.append(f"omega not computed: {exc}".splitlines()[0])
        return None, None
    ot = float(res.omega_total)
    if not getattr(res, "general_factor_estimable", True):
        msgs.append(f"omega_hierarchical not estimable: a general factor needs at least 3 "
                    f"group factors (omega_factors={n_factors})")
        return ot, None
    return ot, float(res.omega_hierarchical)


@blas_policy
def reliability(
    data: Any,
    items: Sequence[str] | None = None,
    keys: Any = None,
    ordinal: bool = False,
    missing: Literal["pairwise", "listwise"] = "pairwise",
    ci: Literal["feldt", "duhachek", "bootstrap"] = "feldt",
    n_boot: int = 1000,
    seed: int | None = None,
    *,
    ci_level: float = 0.95,
    scale_range: tuple[float, float] | None = None,
    omega_factors: int = 3,
    compute_omega: bool = True,
) -> ReliabilityResult:
    r"""Cronbach's alpha with a confidence interval, omega, and item analysis.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per respondent, one column per item (numeric responses; NaN = missing).
    items : list of str, optional
        Item columns to analyse. Default: the measure's items found in ``data`` when
        ``keys`` is a Measure, else every column.
    keys : list of str, dict, sequence of ±1, or Measure, optional
        Items to reverse before analysis (``max + min - x``): names, ``{item: -1}``, one
        ±1 per item, or a Measure whose items' ``reverse`` flags are used. The range is
        the measure's option range, else ``scale_range``, else the pooled observed
        minimum and maximum of all items (``psych::alpha``'s convention).
    ordinal : bool, default False
        Use polychoric correlations (ordinal alpha, ``alpha(polychoric(x)$rho)``).
    missing : {"pairwise", "listwise"}, default "pairwise"
        Pairwise-complete covariances (``psych::alpha``'s ``use="pairwise"``), or only
        complete rows (equal to ``psych::alpha(na.omit(x))``).
    ci : {"feldt", "duhachek", "bootstrap"}, default "feldt"
        Confidence interval of raw alpha.
    n_boot : int, default 1000
        Bootstrap resamples (``ci="bootstrap"``).
    seed : int, optional
        Seed of the bootstrap.
    ci_level : float, default 0.95
        Confidence level.
    scale_range : (float, float), optional
        Lowest and highest response option of every item, when no Measure gives them.
    omega_factors : int, default 3
        Group factors for omega (``psych::omega``'s ``nfactors``).
    compute_omega : bool, default True
        Set False to skip omega (it fits a factor model).

    Returns
    -------
    ReliabilityResult

    Raises
    ------
    DataError
        Non-numeric, empty or constant items, fewer than two items or respondents, item
        pairs never answered together; each diagnostic names the item.
    TypeError, ValueError
        Misuse of a parameter (the message names it and the allowed values).

    Warns
    -----
    MeasurelibWarning
        Two items only, negative alpha, items negatively related to the total, perfectly
        collinear items.
    SmallSampleWarning
        Fewer respondents than items.

    Notes
    -----
    With :math:`C` the :math:`k \times k` item covariance matrix, :math:`R` the
    correlation matrix and :math:`\mathbf 1` a vector of ones:

    .. math::

        \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\operatorname{tr} C}{\mathbf 1' C \mathbf 1}
        \Bigr),\qquad
        \alpha_{std} = \frac{k}{k-1}\Bigl(1 - \frac{k}{\mathbf 1' R \mathbf 1}\Bigr),\qquad
        \bar r = \frac{\mathbf 1' R \mathbf 1 - k}{k(k-1)}.

    Feldt's interval (Feldt, Woodruff & Salih 1987) with :math:`n` respondents:

    .. math::

        \bigl[\,1-(1-\alpha)F_{1-p/2}(n-1, (n-1)(k-1)),\;
                1-(1-\alpha)F_{p/2}(n-1, (n-1)(k-1))\,\bigr].

    Duhachek & Iacobucci's (2004) interval is :math:`\alpha \pm z\sqrt{Q/n}` with

    .. math::

        Q = \frac{2k^2}{(k-1)^2 (\mathbf 1'C\mathbf 1)^3}\Bigl[\mathbf 1'C\mathbf 1
        \bigl(\operatorname{tr} C^2 + (\operatorname{tr} C)^2\bigr)
        - 2 \operatorname{tr} C\; \mathbf 1' C^2 \mathbf 1\Bigr].

    The corrected item–total correlation is :math:`r_{drop,i} = (\mathbf 1'C_{\cdot i} -
    C_{ii}) / \sqrt{C_{ii}\,\mathbf 1'C_{-i,-i}\mathbf 1}` and alpha-if-deleted is
    alpha of :math:`C_{-i,-i}`; both are computed for all items from the one covariance
    matrix.

    Same numbers as ``psych::alpha(x, keys=)`` (``raw_alpha``, ``std.alpha``,
    ``average_r``, ``feldt``, the Duhachek row printed from ``total$ase`` with
    :math:`z = 1.96`, ``item.stats$r.drop``, ``alpha.drop``). As in psych, :math:`n` in
    both intervals is the number of rows used, including rows with some missing
    answers and even rows with no answer at all (``n_empty_rows`` reports them). With
    ``missing="listwise"`` :math:`n` is the number of complete rows, as in
    ``psych::alpha(na.omit(x))``; ``pingouin.cronbach_alpha`` uses the number of rows
    before deletion in its Feldt interval. The bootstrap resamples rows as
    ``psych::alpha(n.iter=)`` does (percentile interval, R's quantile type 7); its
    random numbers differ from R's.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
       Psychometrika, 16(3), 297–334.
    .. [2] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
       coefficient alpha. Applied Psychological Measurement, 11(1), 93–103.
    .. [3] Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate
       and precise confidence interval estimate. Journal of Applied Psychology, 89(5),
       792–808.
    .. [4] Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of
       coefficients alpha and theta for Likert rating scales. Journal of Modern Applied
       Statistical Methods, 6(1), 21–29.
    .. [5] Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and
       Personality Research (R package 2.2.9).

    Examples
    --------
    >>> import pandas as pd
    >>> from measurelib.psychometrics import reliability
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                    "c": [1, 3, 3, 4, 5, 2]})
    >>> res = reliability(df, compute_omega=False)
    >>> round(res.alpha, 3)
    0.932
    """
    import numpy as np
    import pandas as pd

    caller = "reliability"
    _check_choice("missing", missing, ("pairwise", "listwise"), caller)
    _check_choice("ci", ci, ("feldt", "duhachek", "bootstrap"), caller)
    if not isinstance(ordinal, (bool, np.bool_)):
        raise TypeError(f"{caller}(): parameter 'ordinal' must be True or False; got {ordinal!r}")
    if not (isinstance(n_boot, (int, np.integer)) and n_boot >= 10):
        raise ValueError(f"{caller}(): parameter 'n_boot' must be an integer ≥ 10; got {n_boot!r}")
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise ValueError(f"{caller}(): parameter 'ci_level' must be a float between 0 and 1; "
                         f"got {ci_level!r}")
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{caller}(): parameter 'seed' must be an integer or None; got {seed!r}")

    p = _prepare(data, items, keys, missing, scale_range, caller)
    C, means, item_sd = _check_items(p, caller)
    n_i = p.n_i
    complete = p.nan is None
    X = p.X
    n, k = X.shape
    msgs: list[str] = []
    notes = list(p.notes)
    if k == 2:
        _warn(msgs, "only 2 items: alpha is computed but is a poor summary of two items "
                    "(it equals the Spearman–Brown coefficient only for equal variances); "
                    "alpha-if-deleted needs at least 3 items")
    if n <= k:
        _warn(msgs, f"only {n} respondents for {k} items: the correlation matrix is singular "
                    "and alpha and its interval are unstable; collect more data",
              SmallSampleWarning)

    if ordinal:
        from measurelib.psychometrics._polychoric import polychoric

        poly = polychoric(pd.DataFrame(X, columns=p.items))
        for w in getattr(poly, "warnings", []) or []:
            msgs.append(f"polychoric: {w}")
        R_use = np.asarray(pd.DataFrame(poly.rho).loc[p.items, p.items], dtype=float)
        parts = _alpha_parts(R_use)
    else:
        parts = _alpha_parts(C)
    R = parts["R"]  # Pearson (from C) or polychoric

    # perfectly collinear items
    evals, evecs = _eigh(R)
    singular = bool(evals[0] < 1e-10 * max(evals[-1], 1.0))
    if singular and n > k:
        off = np.abs(R - np.eye(k))
        pairs = np.argwhere(np.triu(off > 1 - 1e-10, 1))
        named = ", ".join(f"{p.items[i]}~{p.items[j]}" for i, j in pairs[:10])
        what = (f"perfectly correlated pairs: {named}" if named
                else "one item is an exact linear combination of others")
        _warn(msgs, f"items are perfectly collinear ({what}); alpha is computed but omega "
                    "and factor models cannot be")

    alpha = float(parts["raw"])
    ase = math.sqrt(parts["Q"] / n) if parts["Q"] > 0 else float("nan")
    if ci == "feldt":
        ci_vals = _feldt(alpha, n, k, ci_level)
        boot_n: int | None = None
    elif ci == "duhachek":
        z = _z(ci_level)
        ci_vals = (alpha - z * ase, alpha + z * ase)
        boot_n = None
    else:
        if ordinal:
            lohi, _ = _bootstrap_ordinal(X, int(n_boot), seed, ci_level)
        else:
            lohi, _ = _bootstrap_alpha(X, int(n_boot), seed, ci_level)
        ci_vals = (float(lohi[0]), float(lohi[1]))
        boot_n = int(n_boot)

    # item-total correlation (psych's raw.r): total = mean of answered items
    r_total = parts["r_total_cov"] if complete and not ordinal else None
    if r_total is None:
        with np.errstate(all="ignore"), _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)  # rows with no answer
            total = np.nanmean(X, axis=1)
        r_total = np.empty(k)
        for j in range(k):
            ok = ~np.isnan(X[:, j]) & ~np.isnan(total)
            r_total[j] = np.corrcoef(total[ok], X[ok, j])[0, 1]

    floor = np.array([_count_equal(X, j, p.lo[j], p.colstats, "floor") for j in range(k)]) / n_i
    ceiling = np.array([_count_equal(X, j, p.hi[j], p.colstats, "ceiling")
                        for j in range(k)]) / n_i
    stats = pd.DataFrame(
        {
            "n": n_i.astype(int),
            "mean": means,
            "sd": item_sd,
            "r_total": r_total,
            "r_drop": parts["r_drop"],
            "alpha_if_deleted": parts["raw_drop"],
            "alpha_std_if_deleted": parts["std_drop"],
            "average_r_if_deleted": parts["average_r_drop"],
            "floor": floor,
            "ceiling": ceiling,
            "lowest_option": p.lo,
            "highest_option": p.hi,
            "reversed": [i in p.reversed for i in p.items],
        },
        index=pd.Index(p.items, name="item"),
    )

    # first principal component: items loading negatively probably need reversing
    load = evecs[:, -1] * math.sqrt(max(evals[-1], 0.0))
    if load.sum() < 0:
        load = -load
    neg_load = [p.items[j] for j in range(k) if load[j] < 0]
    if neg_load and not p.reversed and keys is None:
        _warn(msgs, f"items {', '.join(neg_load)} correlate negatively with the total scale "
                    "and probably should be reversed (pass keys=); as psych::alpha warns")
    if alpha < 0:
        neg = [p.items[j] for j in range(k) if parts["r_drop"][j] < 0]
        why = (f"items with a negative corrected item-total correlation: {', '.join(neg)}; "
               "they probably need reversing (keys=)" if neg
               else "the items' average covariance is negative")
        _warn(msgs, f"alpha is negative ({alpha:.3f}): {why}")

    if p.range_source == "observed":
        notes.append("floor and ceiling use each item's observed lowest and highest answer; "
                     "pass a Measure (keys=) or scale_range= to use the response options")

    omega_t = omega_h = None
    if compute_omega:
        if singular:
            msgs.append("omega not computed: the correlation matrix is singular"
                        + (" (fewer respondents than items)" if n <= k else ""))
        else:
            # with complete data the pairwise correlations psych::omega computes are the
            # Pearson matrix already in hand: no second pass over the data
            omega_t, omega_h = _omega(None if (ordinal or complete) else X, R, p.items, n,
                                      int(omega_factors), msgs)

    return ReliabilityResult(
        alpha=alpha,
        alpha_standardized=float(parts["std"]),
        alpha_ci=(float(ci_vals[0]), float(ci_vals[1])),
        ci_method=ci,
        ci_level=ci_level,
        alpha_se=ase,
        omega_total=omega_t,
        omega_hierarchical=omega_h,
        average_r=float(parts["average_r"]),
        n=int(n),
        n_rows=int(p.n_rows),
        n_excluded=int(p.n_excluded),
        n_empty_rows=int(p.n_empty),
        n_items=int(k),
        items=list(p.items),
        reversed_items=list(p.reversed),
        item_stats=stats,
        option_range_source=p.range_source,
        ordinal=bool(ordinal),
        missing=missing,
        n_boot=boot_n,
        seed=seed,
        omega_factors=int(omega_factors),
        simulated=p.simulated,
        warnings=msgs,
        notes=notes,
    )


# ----------------------------------------------------------------------------- keying
class KeyingResult(Result):
    """Whether the data agree with the direction (reverse flags) each item declares."""

    table: Any
    contradicted: list[str]
    ambiguous: list[str]
    n: int
    n_items: int
    groups: dict[str, list[str]]
    messages: list[str]
    simulated: bool
    method: str = "keying_check"

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.table.reset_index()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        if not self.contradicted and not self.ambiguous:
            return (f"All {self.n_items} items behave as keyed (n = {self.n}).")
        return "\n".join(self.messages)


@blas_policy
def keying_check(
    data: Any,
    measure_or_keys: Any,
    items: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> KeyingResult:
    r"""Check declared reverse-keying against the data.

    For each item, after applying the declared keys: the sign of its correlation with
    the rest score (sum of the other items of its group, pairwise covariances) and the
    sign of its loading on the first principal component of the keyed correlation
    matrix (oriented so that the loadings sum to a positive number, as
    ``psych::principal`` does). An item is *contradicted* when both are negative, and
    *ambiguous* when only one is.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one column per item.
    measure_or_keys : Measure, list of str, dict or sequence of ±1
        The declared keys: a Measure (its items' ``reverse`` flags) or the items reversed.
    items : list of str, optional
        Items to check (default: the measure's items in the data, or every column).
    groups : mapping of str to list of str, optional
        Check each group (subscale) separately, e.g. ``{"A": ["A1", ..., "A5"]}``.

    Returns
    -------
    KeyingResult
        ``table`` (one row per item: ``group``, ``declared_reverse``, ``r_rest``,
        ``pc1_loading``, ``status``) and ``contradicted``.

    Notes
    -----
    .. math::

        r_{rest,i} = \frac{\mathbf 1'C_{\cdot i} - C_{ii}}
                          {\sqrt{C_{ii}\;\mathbf 1'C_{-i,-i}\mathbf 1}}

    is ``psych::alpha``'s ``r.drop``; the loading is ``psych::principal(x, 1)``'s.
    """
    import pandas as pd

    caller = "keying_check"
    frame = _as_frame(data, caller)
    measure = measure_or_keys if _is_measure(measure_or_keys) else None
    if groups is None:
        p_all = _prepare(frame, items, measure_or_keys, "pairwise", None, caller, measure)
        group_map = {"all": p_all.items}
    else:
        if not isinstance(groups, Mapping):
            raise TypeError(f"{caller}(): parameter 'groups' must be a mapping of group name "
                            f"to item names; got {type(groups).__name__}")
        group_map = {str(g): list(v) for g, v in groups.items()}
    all_items = list(dict.fromkeys(i for its in group_map.values() for i in its))
    if measure is None:
        # resolve the keys once over all items, then give each group its own
        declared = set(_parse_keys(measure_or_keys, all_items, caller))
    rows = []
    n_used = 0
    for g, its in group_map.items():
        keys_g = measure if measure is not None else [i for i in its if i in declared]
        p = _prepare(frame, its, keys_g, "pairwise", None, caller, measure)
        C, _, _ = _check_items(p, caller)
        parts = _alpha_parts(C)
        R = parts["R"]
        evals, evecs = _eigh(R)
        load = evecs[:, -1] * math.sqrt(max(evals[-1], 0.0))
        if load.sum() < 0:
            load = -load
        n_used = max(n_used, p.X.shape[0])
        for j, it in enumerate(p.items):
            r_rest = float(parts["r_drop"][j])
            neg = int(r_rest < 0) + int(load[j] < 0)
            status = "contradicted" if neg == 2 else ("ambiguous" if neg == 1 else "consistent")
            rows.append({"item": it, "group": g, "declared_reverse": it in p.reversed,
                         "r_rest": r_rest, "pc1_loading": float(load[j]), "status": status})
    table = pd.DataFrame(rows).set_index("item")
    contradicted = [i for i, s in table["status"].items() if s == "contradicted"]
    ambiguous = [i for i, s in table["status"].items() if s == "ambiguous"]
    messages = []
    for i in contradicted:
        r = table.loc[i]
        stated = "reverse-scored" if r["declared_reverse"] else "not reverse-scored"
        want = "should not be" if r["declared_reverse"] else "should probably be"
        messages.append(
            f"{i}: declared {stated}, but once keyed it correlates negatively with the other "
            f"items (r with rest = {r['r_rest']:.2f}) and loads negatively on the first "
            f"component ({r['pc1_loading']:.2f}); it {want} reversed — check the item wording "
            f"and the data entry")
    for i in ambiguous:
        r = table.loc[i]
        messages.append(
            f"{i}: mixed evidence about its direction (r with rest = {r['r_rest']:.2f}, first "
            f"component loading = {r['pc1_loading']:.2f}); it relates weakly to the other items")
    return KeyingResult(
        table=table, contradicted=contradicted, ambiguous=ambiguous, n=int(n_used),
        n_items=len(table), groups=group_map, messages=messages,
        simulated=_simulated(frame),
    )
