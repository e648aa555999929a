"""Confirmatory factor analysis that reproduces lavaan's ``cfa()``.

:func:`cfa` fits a measurement model by ML (complete data or FIML), MLR or WLSMV and
returns a :class:`CFAResult`; :func:`invariance` fits the configural, metric and scalar
models across groups and returns an :class:`InvarianceResult`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from pydantic import PrivateAttr, computed_field

from measurelib._results import Result, to_jsonable
from measurelib.errors import (
    DataError,
    DefinitionError,
    Diagnostic,
    Location,
    register,
)
from measurelib.psychometrics._numeric import blas_policy
from measurelib.psychometrics.sem._syntax import CODE_UNIDENTIFIED, ModelSpec, parse_model

__all__ = ["CFAResult", "InvarianceResult", "cfa", "invariance"]

CODE_MISSING_ITEM = register(
    "cfa-missing-item", "Model item not in the data",
    "An item named in the CFA model is not a column of the data.",
    "Rename the item in the model or the column in the data.", area="data",
)
CODE_NON_NUMERIC = register(
    "cfa-non-numeric", "Non-numeric item",
    "A column used as an indicator holds values that are not numbers.",
    "Recode the responses as numbers (e.g. 1-5) before fitting.", area="data",
)
CODE_TOO_FEW_ROWS = register(
    "cfa-too-few-rows", "Too few complete rows",
    "After removing incomplete rows there are too few respondents to fit the model.",
    "Use missing='fiml', or collect more responses.", area="data",
)
CODE_NOT_PD = register(
    "cfa-covariance-not-positive-definite", "Sample covariance matrix not positive definite",
    "The items' sample covariance matrix (after listwise deletion, per group) is singular: "
    "an item has no variance or is a linear combination of others, or there are fewer "
    "complete rows than items. Maximum likelihood is undefined (lavaan stops too).",
    "Remove the constant or redundant item (a duplicate, a total score), or use more "
    "complete rows (missing='fiml').", area="data",
)

ESTIMATORS = ("ml", "mlr", "wlsmv")
MISSING = ("listwise", "fiml")
GROUP_EQUAL = (
    "loadings", "intercepts", "means", "thresholds", "residuals",
    "residual.covariances", "lv.variances", "lv.covariances",
)


# ============================================================================ results
class CFAResult(Result):
    """Result of :func:`cfa`; the numbers of lavaan's ``fitMeasures()``,
    ``parameterEstimates()``, ``standardizedSolution()`` and ``modindices()``.

    Attributes
    ----------
    fit : dict
        Fit measures named as lavaan's ``fitMeasures()`` with ``.`` replaced by ``_``.
    estimates : pandas.DataFrame
        One row per parameter: ``lhs, op, rhs, group, est, se, z, pvalue, std_all``
        (as ``parameterEstimates()`` plus ``standardizedSolution()$est.std``).
    standardized_loadings : pandas.DataFrame
        Loadings only, with ``std_all``.
    modification_indices : pandas.DataFrame
        As ``modindices()``: ``lhs, op, rhs, group, mi, epc, sepc_all`` for every
        estimator (ML, MLR, FIML, WLSMV); computed on first use.
    converged : bool
        Whether the optimizer reached the optimum (else a ConvergenceWarning was issued).
    n, n_groups, groups, n_per_group, n_items, n_rows_dropped
        Rows used, groups (labels, sizes), items, and rows dropped by listwise deletion
        (or empty rows under FIML).
    warnings : list of str
        Non-convergence and Heywood cases (negative variances).
    """

    model: dict[str, list[str]]
    estimator: str
    missing: str
    n: int
    n_groups: int
    groups: list[str]
    n_per_group: list[int]
    n_items: int
    n_rows_dropped: int
    converged: bool
    iterations: int
    fit: dict[str, float]
    estimates: Any
    options: dict[str, Any]
    warnings: list[str]
    _wls: Any = PrivateAttr(default=None)  # WLSMV internals for scaled difference tests
    # what the modification indices are computed from, on first use (they cost as much
    # as the fit itself on small models); None gives the empty table
    _mi_inputs: Any = PrivateAttr(default=None)

    @computed_field(repr=False)  # type: ignore[prop-decorator]
    @cached_property
    def modification_indices(self) -> Any:
        if self._mi_inputs is None:
            import pandas as pd

            return pd.DataFrame(columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all"])
        from measurelib.psychometrics.sem._fit import _modindices

        return _modindices(*self._mi_inputs)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out: dict[str, Any] = {}
        for key, value in super().to_dict().items():
            out[key] = value
            if key == "estimates":
                out["modification_indices"] = to_jsonable(self.modification_indices)
        return out

    @property
    def standardized_loadings(self) -> Any:
        """The completely standardised loadings (lavaan's ``std.all``), one row per indicator."""
        est = self.estimates
        return est[est["op"] == "=~"][["lhs", "op", "rhs", "group", "est", "std_all"]].reset_index(
            drop=True
        )

    def to_frame(self) -> Any:
        """The parameter table (``estimates``)."""
        return self.estimates.copy()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        f = self.fit
        lines = [
            f"CFA ({self.estimator.upper()}, missing={self.missing}) on n = {self.n}"
            + (f" in {self.n_groups} groups" if self.n_groups > 1 else "")
            + ("" if self.converged else "  [NOT CONVERGED]"),
            f"  chi-square = {f['chisq']:.3f}, df = {f['df']:.0f}, p = {f['pvalue']:.4g}",
        ]
        if "chisq_scaled" in f:
            lines.append(
                f"  scaled chi-square = {f['chisq_scaled']:.3f}, df = {f['df_scaled']:.4g}, "
                f"p = {f['pvalue_scaled']:.4g}"
            )
        key = "_robust" if self.estimator in ("mlr", "wlsmv") and "cfi_robust" in f else ""
        lines.append(
            f"  CFI{key} = {f['cfi' + key]:.3f}, TLI{key} = {f['tli' + key]:.3f}, "
            f"RMSEA{key} = {f['rmsea' + key]:.3f} "
            f"[{f['rmsea_ci_lower' + key]:.3f}, {f['rmsea_ci_upper' + key]:.3f}], "
            f"SRMR = {f['srmr']:.3f}"
        )
        verdicts = _verdicts(f, key)
        lines.append("  " + "; ".join(verdicts))
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _verdicts(f: Mapping[str, float], key: str) -> list[str]:
    """Hu & Bentler's guidelines; an index that is not available (NaN) gets no verdict."""
    def verdict(name: str, value: float, ok: bool, bad: str, cut: str) -> str:
        if math.isnan(value):
            return f"{name} not available"
        return f"{name} {'meets' if ok else bad} {cut}"

    cfi, tli, rmsea, srmr = f["cfi" + key], f["tli" + key], f["rmsea" + key], f["srmr"]
    return [verdict("CFI", cfi, cfi >= 0.95, "below", ".95"),
            verdict("TLI", tli, tli >= 0.95, "below", ".95"),
            verdict("RMSEA", rmsea, rmsea <= 0.06, "above", ".06"),
            verdict("SRMR", srmr, srmr <= 0.08, "above", ".08") + " (Hu & Bentler 1999)"]


class InvarianceResult(Result):
    """Result of :func:`invariance`: one row per step (configural, metric, scalar)."""

    model: dict[str, list[str]]
    group: str
    groups: list[str]
    estimator: str
    n: int
    table: Any
    fits: dict[str, Any]
    warnings: list[str]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.table.copy()

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"Measurement invariance across {self.group!r} ({', '.join(self.groups)}), "
                 f"n = {self.n}"]
        scaled = self.estimator in ("mlr", "wlsmv")
        for _, r in self.table.iterrows():
            chisq = f"scaled chisq = {r['chisq_scaled']:.3f}" if scaled else (
                f"chisq = {r['chisq']:.3f}")
            head = (f"  {r['step']:<10} {chisq} (df {r['df']:.0f}), "
                    f"CFI = {r['cfi']:.3f}, RMSEA = {r['rmsea']:.3f}, SRMR = {r['srmr']:.3f}")
            lines.append(head)
            if r["step"] != "configural":
                lines.append(
                    f"    Δχ² = {r['chisq_diff']:.3f} (Δdf {r['df_diff']:.0f}, p = "
                    f"{r['pvalue_diff']:.4g}), ΔCFI = {r['delta_cfi']:+.4f}, ΔRMSEA = "
                    f"{r['delta_rmsea']:+.4f}, ΔSRMR = {r['delta_srmr']:+.4f}: {r['verdict']}"
                )
        return "\n".join(lines)


# ============================================================================ validation
def _check_choice(name: str, value: Any, allowed: Sequence[str], func: str = "cfa") -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(
            f"{func}(): parameter {name!r} must be one of {', '.join(map(repr, allowed))}; "
            f"got {value!r}"
        )
    return value.lower()


def _did_you_mean(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _prepare_data(
    data: Any, items: list[str], group: str | None, func: str = "cfa"
) -> tuple[Any, Any]:
    """The items as a float array (rows x items) and the group labels (or None)."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{func}(): parameter 'data' must be a pandas DataFrame, got {type(data).__name__}"
        )
    columns = [str(c) for c in data.columns]
    shown = ", ".join(columns[:40]) + (", ..." if len(columns) > 40 else "")
    diags = []
    for it in items + ([group] if group is not None else []):
        if it not in data.columns:
            role = "group column" if it == group else "item"
            diags.append(Diagnostic(
                CODE_MISSING_ITEM,
                f"the {role} {it!r} named in the model is not a column of the data",
                f"{_did_you_mean(it, columns)}The data's columns are: {shown}",
                Location(field=it),
            ))
    if diags:
        raise DataError(diags, title="The CFA model names columns that the data lack")
    import numpy as np

    block = data if list(data.columns) == items else data[items]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
           for t in block.dtypes):
        # one read of the whole item block (a view when it is one float64 block)
        out = block.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = np.empty((len(data), len(items)))
        for j, it in enumerate(items):
            col = block.iloc[:, j]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                out[:, j] = col.to_numpy(dtype=float, na_value=np.nan)
                continue
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0]) + 2
                diags.append(Diagnostic(
                    CODE_NON_NUMERIC, f"column {it!r} holds non-numeric values, e.g. "
                    f"{str(col[bad].iloc[0])!r}", "Recode the responses as numbers.",
                    Location(row=row, field=it),
                ))
            out[:, j] = num.to_numpy(dtype=float, na_value=np.nan)
        if diags:
            raise DataError(diags, title="The CFA items must be numeric")
    groups = data[group].to_numpy() if group is not None else None
    return out, groups


# ============================================================================ model
def _spec_to_dict(spec: ModelSpec) -> dict[str, list[str]]:
    return {f: [t.name for t in terms] for f, terms in spec.factors.items()}


def _user_covariances(spec: ModelSpec, lv: list[str], ov: list[str]) -> dict[tuple[str, str], Any]:
    """The model's `~~` terms keyed (lhs, rhs) as lavaan names them.

    lavaan (``lav_partable_covariance_reorder``) puts the variable that comes first
    (factors, then items, each in model order) on the left: `y6 ~~ y1` is `y1 ~~ y6`.
    """
    order = {n: i for i, n in enumerate([*lv, *ov])}
    out: dict[tuple[str, str], Any] = {}
    for lhs, term in spec.covariances:
        a, b = (lhs, term.name) if order[lhs] <= order[term.name] else (term.name, lhs)
        out[(a, b)] = term
    return out


def _build_model(  # noqa: C901 - lavaan's model-syntax rules (fixed, free, equal, std.lv, groups)
    spec: ModelSpec,
    ov: list[str],
    ngroups: int,
    std_lv: bool,
    meanstructure: bool,
    group_equal: Sequence[str],
    categorical: bool = False,
    nthresholds: Sequence[int] = (),
) -> Any:
    from measurelib.psychometrics.sem._engine import Model, ParRow

    lv = list(spec.factors)
    oidx = {n: i for i, n in enumerate(ov)}
    lidx = {n: i for i, n in enumerate(lv)}
    rows: list[ParRow] = []
    counter = [0]
    first_free: dict[tuple[str, str, str], int] = {}
    kinds = {
        "=~": "loadings", "|": "thresholds", "~1ov": "intercepts", "~1lv": "means",
        "~~ov": "residuals", "~~ovcov": "residual.covariances", "~~lv": "lv.variances",
        "~~lvcov": "lv.covariances",
    }

    def add(lhs: str, op: str, rhs: str, g: int, mat: str, i: int, j: int,
            free: bool, value: float, kind: str) -> None:
        idx = 0
        if free:
            key = (lhs, op, rhs)
            if g > 1 and kinds.get(kind) in group_equal and key in first_free:
                idx = first_free[key]
            else:
                counter[0] += 1
                idx = counter[0]
                if g == 1:
                    first_free[key] = idx
        rows.append(ParRow(lhs, op, rhs, g, mat, i, j, idx, value))

    user_cov = _user_covariances(spec, lv, ov)
    th_item: list[int] = []
    for k, n in enumerate(nthresholds):
        th_item.extend([k] * n)
    for g in range(1, ngroups + 1):
        for f, terms in spec.factors.items():
            for k, t in enumerate(terms):
                if t.fixed is not None:
                    add(f, "=~", t.name, g, "lambda", oidx[t.name], lidx[f], False, t.fixed, "=~")
                elif k == 0 and not std_lv and not t.free:
                    add(f, "=~", t.name, g, "lambda", oidx[t.name], lidx[f], False, 1.0, "=~")
                else:
                    add(f, "=~", t.name, g, "lambda", oidx[t.name], lidx[f], True, math.nan, "=~")
        if categorical:
            pos = 0
            for k, n in enumerate(nthresholds):
                for th in range(n):
                    add(ov[k], "|", f"t{th + 1}", g, "tau", pos, 0, True, math.nan, "|")
                    pos += 1
        seen: set[tuple[str, str]] = set()
        for (a, b), term in user_cov.items():
            is_lv = a in lidx
            ia, ib = (lidx[a], lidx[b]) if is_lv else (oidx[a], oidx[b])
            kind = ("~~lv" if a == b else "~~lvcov") if is_lv else ("~~ov" if a == b else "~~ovcov")
            free = term.fixed is None
            val = term.fixed if term.fixed is not None else math.nan
            add(a, "~~", b, g, "psi" if is_lv else "theta", ia, ib, free, val, kind)
            seen.add((a, b))
            seen.add((b, a))
        for v in ov:
            if (v, v) not in seen:
                if categorical:
                    add(v, "~~", v, g, "none", oidx[v], oidx[v], False, math.nan, "~~ov")
                else:
                    add(v, "~~", v, g, "theta", oidx[v], oidx[v], True, math.nan, "~~ov")
        # with std_lv, equal loadings free the factor variances of groups 2.. (lavaan)
        free_lv_var = not std_lv or (
            g > 1 and "loadings" in group_equal and "lv.variances" not in group_equal)
        for f in lv:
            if (f, f) not in seen:
                add(f, "~~", f, g, "psi", lidx[f], lidx[f], free_lv_var, 1.0, "~~lv")
        for a_i, a in enumerate(lv):
            for b in lv[a_i + 1:]:
                if (a, b) not in seen:
                    add(a, "~~", b, g, "psi", lidx[b], lidx[a], True, math.nan, "~~lvcov")
        if categorical:
            # delta parameterization: scale factors fixed at 1, free in groups 2.. when the
            # thresholds are held equal (lavaan's lav_partable_flat, auto.delta)
            free_delta = g > 1 and "thresholds" in group_equal
            for v in ov:
                add(v, "~*~", v, g, "delta", oidx[v], oidx[v], free_delta, 1.0, "scale")
        if meanstructure:
            for v in ov:
                add(v, "~1", "", g, "nu", oidx[v], 0, not categorical,
                    0.0 if categorical else math.nan, "~1ov")
            free_means = (
                g > 1
                and ("intercepts" in group_equal or (categorical and "thresholds" in group_equal))
                and "means" not in group_equal
            )
            for f in lv:
                add(f, "~1", "", g, "alpha", lidx[f], 0, free_means, 0.0, "~1lv")
    if categorical:
        from measurelib.psychometrics.sem._ordinal import OrdinalModel

        return OrdinalModel(rows=rows, ov=ov, lv=lv, ngroups=ngroups,
                            meanstructure=meanstructure, categorical=True, th_item=th_item)
    return Model(rows=rows, ov=ov, lv=lv, ngroups=ngroups, meanstructure=meanstructure,
                 categorical=categorical, th_item=th_item)


def _check_identified(spec: ModelSpec, model: Any, n_moments: int) -> None:
    diags = []
    fixed_resid = {t.name for lhs, t in spec.covariances if lhs == t.name and t.fixed is not None}
    n_factors = len(spec.factors)
    for f, terms in spec.factors.items():
        k = len(terms)
        if k == 1 and terms[0].name not in fixed_resid:
            diags.append(Diagnostic(
                CODE_UNIDENTIFIED,
                f"factor {f!r} has one indicator ({terms[0].name}) and no constraint, so its "
                "variance and the item's residual variance cannot both be estimated",
                "Add indicators to the factor, or fix the residual variance "
                f"(`{terms[0].name} ~~ 0*{terms[0].name}`).",
                Location(path=f"model.{f}"),
            ))
        elif k == 2 and n_factors == 1:
            diags.append(Diagnostic(
                CODE_UNIDENTIFIED,
                f"factor {f!r} has only two indicators and no other factor to covary with",
                "A single-factor model needs at least three indicators.",
                Location(path=f"model.{f}"),
            ))
    df = n_moments - model.npar
    if not diags and df < 0:
        diags.append(Diagnostic(
            CODE_UNIDENTIFIED,
            f"the model has {model.npar} free parameters but the data give only {n_moments} "
            f"moments (df = {df}); factors: {', '.join(spec.factors)}",
            "Fix parameters, add items, or simplify the model.",
            Location(path="model"),
        ))
    if diags:
        raise DefinitionError(diags, title="The CFA model is not identified")


def _start_values(model: Any, stats: list[Any], spec: ModelSpec) -> Any:
    """Start values: fabin-like loadings, half the observed variances, zero covariances."""
    import numpy as np

    theta = np.zeros(model.npar)
    set_ = np.zeros(model.npar, dtype=bool)
    for g in range(model.ngroups):
        st = stats[g]
        s = st.cov
        lam_start: dict[tuple[str, str], float] = {}
        psi_start: dict[str, float] = {}
        for f, terms in spec.factors.items():
            idx = [model.ov.index(t.name) for t in terms]
            sub = s[np.ix_(idx, idx)]
            if len(idx) >= 2:
                vals, vecs = np.linalg.eigh(sub)
                v = vecs[:, -1] * math.sqrt(max(vals[-1], 1e-6))
            else:
                v = np.array([math.sqrt(max(sub[0, 0], 1e-6) * 0.5)])
            if v[0] < 0:
                v = -v
            marker = None
            for r in model.rows:
                if r.group == g + 1 and r.op == "=~" and r.lhs == f and r.free == 0:
                    marker = r
                    break
            if marker is not None and abs(v[[t.name for t in terms].index(marker.rhs)]) > 1e-8:
                mk = v[[t.name for t in terms].index(marker.rhs)]
                scale = marker.value / mk
                for t, val in zip(terms, v):
                    lam_start[(f, t.name)] = float(val * scale)
                psi_start[f] = float(1.0 / scale**2)
            else:
                for t, val in zip(terms, v):
                    lam_start[(f, t.name)] = float(val)
                psi_start[f] = 1.0
        for r in model.rows:
            if r.group != g + 1 or r.free == 0 or set_[r.free - 1]:
                continue
            k = r.free - 1
            if r.op == "=~":
                theta[k] = lam_start.get((r.lhs, r.rhs), 1.0)
            elif r.op == "~~" and r.mat == "theta":
                i = model.ov.index(r.lhs)
                if r.lhs == r.rhs:
                    theta[k] = 0.5 * s[i, i]
                else:
                    theta[k] = 0.0
            elif r.op == "~~" and r.mat == "psi":
                theta[k] = psi_start.get(r.lhs, 0.05) if r.lhs == r.rhs else 0.0
            elif r.op == "~1" and r.mat == "nu":
                theta[k] = st.mean[model.ov.index(r.lhs)]
            elif r.op == "|":
                theta[k] = st.wls_obs[r.row]
            elif r.op == "~*~":
                theta[k] = 1.0
            else:
                theta[k] = 0.0
            set_[k] = True
    return theta


# ============================================================================ statistics
def _group_stats(
    frame: tuple[Any, Any], ov: list[str], missing: str, need_rows: bool
) -> tuple[list[Any], list[str], int]:
    """Sufficient statistics per group (order of first appearance, as lavaan)."""
    import numpy as np
    import pandas as pd

    from measurelib.psychometrics.sem._engine import GroupStats, Pattern

    data, groups = frame
    if groups is not None:
        keep = pd.notna(groups)
        labels = list(pd.unique(groups[keep]))
        parts = [data[keep & (groups == lab)] for lab in labels]
    else:
        labels = [""]
        parts = [data]
    stats = []
    dropped = 0
    for lab, x in zip(labels, parts):
        if missing == "listwise":
            # a NaN anywhere makes its column sum NaN: one pass finds missing values
            colsum = x.sum(axis=0)
            if not np.isfinite(colsum).all():
                keep = ~np.isnan(x).any(axis=1)
                if not keep.all():
                    dropped += int((~keep).sum())
                    x = x[keep]
                colsum = x.sum(axis=0)
            n = x.shape[0]
            if n < 2:
                raise DataError(Diagnostic(
                    CODE_TOO_FEW_ROWS, f"group {lab!r} has {n} complete row(s)" if lab else
                    f"only {n} complete row(s)", "Use missing='fiml' or more data."),
                    title="Too few complete rows to fit the model")
            mean, cov = _mean_cov(x, colsum / n)
            stats.append(GroupStats(n=n, cov=cov, mean=mean, rows=x if need_rows else None,
                                    label=str(lab)))
        else:
            miss = np.isnan(x)
            allmiss = miss.all(axis=1)
            dropped += int(allmiss.sum())
            x = x[~allmiss]
            miss = miss[~allmiss]
            n = x.shape[0]
            keys, inverse = np.unique(miss, axis=0, return_inverse=True)
            inverse = np.asarray(inverse).reshape(-1)
            patterns = []
            for k in range(keys.shape[0]):
                o = np.nonzero(~keys[k])[0]
                xs = x[inverse == k][:, o]
                mp = xs.mean(axis=0)
                xc = xs - mp
                patterns.append(Pattern(obs=o, n=xs.shape[0], mean=mp, cov=xc.T @ xc / xs.shape[0],
                                        rows=xs if need_rows else None))
            mean = np.nanmean(x, axis=0)
            cov = np.diag(np.nanvar(x, axis=0))
            stats.append(GroupStats(n=n, cov=cov, mean=mean, patterns=patterns,
                                    rows=x if need_rows else None, label=str(lab)))
    return stats, [str(lab) for lab in labels], dropped


def _check_positive_definite(stats: list[Any], ov: list[str]) -> None:
    """Stop, as lavaan (``lav_samplestats_icov``), when a sample covariance matrix has no
    Cholesky factor; name the items of its (near-)null direction.
    """
    import numpy as np

    diags = []
    for st in stats:
        try:
            np.linalg.cholesky(st.cov)
            continue
        except np.linalg.LinAlgError:
            pass
        sd = np.sqrt(np.clip(np.diag(st.cov), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = st.cov / np.outer(sd, sd)
        flat = [ov[j] for j in np.nonzero(sd <= 0)[0]]
        items = list(ov)
        if st.n <= len(ov):
            what = f"there are fewer complete rows than items ({len(ov)})"
        elif flat:
            what = f"{', '.join(flat)} {'has' if len(flat) == 1 else 'have'} no variance"
        else:
            vec = np.linalg.eigh(corr)[1][:, 0]
            items = [ov[j] for j in np.nonzero(np.abs(vec) > 0.1)[0]]
            what = f"{', '.join(items)} are linearly dependent"
        grp = f" in group {st.label!r}" if st.label else ""
        diags.append(Diagnostic(
            CODE_NOT_PD,
            f"the sample covariance matrix of the {st.n} complete row(s){grp} is not "
            f"positive definite: {what}",
            "Remove the constant or redundant item (a duplicate, a total score), or use "
            "more complete rows (missing='fiml').",
            Location(field=(flat or items)[0]),
        ))
    if diags:
        raise DataError(diags, title="The items' covariance matrix is not positive definite")


def _mean_cov(x: Any, mean: Any) -> tuple[Any, Any]:
    r"""Mean and covariance (divisor n) of the rows of ``x`` given its column means.

    The covariance comes from one BLAS product, :math:`X^\top X / n - \bar x\bar x^\top`.
    That loses about :math:`\log_{10}(1 + \bar x_j^2 / s_j^2)` digits to cancellation,
    so when a mean is large next to its standard deviation (ratio above 30, i.e. more
    than three digits lost) the rows are centred first and the product taken again.
    """
    import numpy as np

    n = x.shape[0]
    xtx = x.T @ x
    cov = xtx / n - np.outer(mean, mean)
    var = np.diag(cov)
    if np.all(var > 0) and np.all(mean * mean <= 1e3 * var):
        cov = 0.5 * (cov + cov.T)
        return mean, cov
    xc = x - mean
    d = xc.sum(axis=0) / n  # corrects the rounding error of the first mean
    return mean + d, xc.T @ xc / n - np.outer(d, d)


def _em_h1(stats: Any, max_iter: int = 10000, tol: float = 1e-12) -> tuple[Any, Any, float]:
    """Saturated (H1) mean and covariance under missing data by EM, and its log-likelihood."""
    import numpy as np

    from measurelib.psychometrics.sem._engine import LOG2PI

    p = len(stats.mean)
    mu = stats.mean.copy()
    sigma = stats.cov.copy()
    n = stats.n
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for pat in stats.patterns:
            o = pat.obs
            mis = np.setdiff1d(np.arange(p), o)
            if len(mis) == 0:
                t1 += pat.n * pat.mean
                t2 += pat.n * (pat.cov + np.outer(pat.mean, pat.mean))
                continue
            soo = sigma[np.ix_(o, o)]
            beta = np.linalg.solve(soo, sigma[np.ix_(o, mis)])  # (o, mis)
            resid = sigma[np.ix_(mis, mis)] - sigma[np.ix_(mis, o)] @ beta
            # E[x_m | x_o] = mu_m + beta' (x_o - mu_o); use pattern mean and cov
            em = mu[mis] + beta.T @ (pat.mean - mu[o])
            full_mean = np.zeros(p)
            full_mean[o] = pat.mean
            full_mean[mis] = em
            cxx = np.zeros((p, p))
            cxx[np.ix_(o, o)] = pat.cov
            cxx[np.ix_(o, mis)] = pat.cov @ beta
            cxx[np.ix_(mis, o)] = beta.T @ pat.cov
            cxx[np.ix_(mis, mis)] = beta.T @ pat.cov @ beta + resid
            t1 += pat.n * full_mean
            t2 += pat.n * (cxx + np.outer(full_mean, full_mean))
        mu_new = t1 / n
        sigma_new = t2 / n - np.outer(mu_new, mu_new)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sigma_new - sigma)))
        mu, sigma = mu_new, sigma_new
        if delta < tol:
            break
    logl = 0.0
    for pat in stats.patterns:
        o = pat.obs
        soo = sigma[np.ix_(o, o)]
        si = np.linalg.inv(soo)
        d = pat.mean - mu[o]
        logl -= 0.5 * pat.n * (len(o) * LOG2PI + np.linalg.slogdet(soo)[1]
                               + np.sum(pat.cov * si) + d @ si @ d)
    return mu, sigma, float(logl)


# ============================================================================ fit measures
def _sqrt_nan(x: float) -> float:
    """R's sqrt: NaN (not an error) for a negative argument, e.g. a negative scaling."""
    return math.sqrt(x) if x >= 0 else math.nan


def _rmsea_block(x2: float, df: float, n: int, g: int, c_hat: float = 1.0) -> dict[str, float]:
    from scipy import optimize
    from scipy.special import chdtr, chndtr

    out: dict[str, float] = {}
    if not (math.isfinite(x2) and math.isfinite(df)):  # lavaan: NA in, NA out
        return dict.fromkeys(("rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue",
                              "rmsea_notclose_pvalue"), math.nan)
    if df > 0:
        out["rmsea"] = math.sqrt(max((x2 / n) / df - c_hat / n, 0.0)) * math.sqrt(g)
    else:
        out["rmsea"] = 0.0

    def pchisq(x: float, lam: float) -> float:
        # scipy.special's chdtr/chndtr: the same values as stats.chi2/ncx2.cdf, 100x faster
        return float(chdtr(df, x)) if lam <= 0 else float(chndtr(x, df, lam))

    def lower_f(lam: float) -> float:
        return pchisq(x2, lam) - 0.95

    def upper_f(lam: float) -> float:
        return pchisq(x2, lam) - 0.05

    if df < 1 or lower_f(0.0) < 0:
        lo = 0.0
    else:
        lam = optimize.brentq(lower_f, 0.0, x2, xtol=1e-12, rtol=1e-14)
        lo = _sqrt_nan(c_hat * lam / (n * df)) * (math.sqrt(g) if g > 1 else 1.0)
    n_rmsea = max(n, x2 * 4)
    if df < 1 or upper_f(n_rmsea) > 0 or upper_f(0.0) < 0:
        hi = 0.0
    else:
        lam = optimize.brentq(upper_f, 0.0, n_rmsea, xtol=1e-12, rtol=1e-14)
        hi = _sqrt_nan(c_hat * lam / (n * df)) * (math.sqrt(g) if g > 1 else 1.0)
    out["rmsea_ci_lower"] = lo
    out["rmsea_ci_upper"] = hi
    if df > 0:
        ncp = (n * df / c_hat * 0.05**2) / g
        out["rmsea_pvalue"] = 1.0 - pchisq(x2, ncp)
        ncp8 = (n * df / c_hat * 0.08**2) / g
        out["rmsea_notclose_pvalue"] = pchisq(x2, ncp8)
    else:
        out["rmsea_pvalue"] = math.nan
        out["rmsea_notclose_pvalue"] = math.nan
    return out


def _cfi(x2: float, df: float, x2b: float, dfb: float, c: float = 1.0, cb: float = 1.0) -> float:
    if any(math.isnan(v) for v in (x2, df, x2b, dfb, c, cb)):  # lavaan: anyNA -> NA
        return math.nan
    if df > 0 and c != 1.0 and cb != 1.0:
        t1 = max(x2 - c * df, 0.0)
        t2 = max(x2 - c * df, x2b - cb * dfb, 0.0)
    else:
        t1 = max(x2 - df, 0.0)
        t2 = max(x2 - df, x2b - dfb, 0.0)
    if abs(t1) < 1.5e-8 and abs(t2) < 1.5e-8:
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2: float, df: float, x2b: float, dfb: float, c: float = 1.0, cb: float = 1.0) -> float:
    if any(math.isnan(v) for v in (x2, df, x2b, dfb, c, cb)):  # lavaan: anyNA -> NA
        return math.nan
    if df > 0 and c != 1.0 and cb != 1.0:
        t1 = (x2 - c * df) * dfb
        t2 = (x2b - cb * dfb) * df
    else:
        t1 = (x2 - df) * dfb
        t2 = (x2b - dfb) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def _srmr(stats: list[Any], implied: list[Any], meanstructure: bool, ntotal: int,
          categorical: bool = False) -> dict[str, float]:
    """Bentler's SRMR (lavaan's ``srmr``), with and without the mean residuals."""
    import numpy as np

    from measurelib.psychometrics.sem._engine import vech_idx, vech_offdiag_idx

    tot, nomean = 0.0, 0.0
    for st, (sigma, mu, tau) in zip(stats, implied):
        p = sigma.shape[0]
        if categorical:
            # residual correlations over vech (diagonal residuals are zero), thresholds
            # as the "mean" part (lavaan: srmr = srmr_bentler_nomean)
            ri, ci = vech_offdiag_idx(p)
            ss = float(np.sum((st.cov[ri, ci] - sigma[ri, ci]) ** 2))
            nth = len(tau)
            th_res = st.wls_obs[:nth] - tau
            nomean += st.n / ntotal * math.sqrt(ss / (p * (p + 1) / 2))
            tot += st.n / ntotal * math.sqrt(
                (ss + float(np.sum(th_res**2))) / (p * (p + 1) / 2 + nth))
            continue
        sd = np.sqrt(np.diag(st.cov))
        ri, ci = vech_idx(p)
        r = (st.cov - sigma)[ri, ci] / (sd[ri] * sd[ci])
        ss = float(np.sum(r**2))
        nomean += st.n / ntotal * math.sqrt(ss / len(r))
        if meanstructure:
            rm = (st.mean - mu) / sd
            tot += st.n / ntotal * math.sqrt((ss + float(np.sum(rm**2))) / (len(r) + p))
        else:
            tot += st.n / ntotal * math.sqrt(ss / len(r))
    if categorical:
        return {"srmr": nomean, "srmr_bentler": tot, "srmr_bentler_nomean": nomean}
    return {"srmr": tot, "srmr_bentler": tot, "srmr_bentler_nomean": nomean}


# ============================================================================ public API
@blas_policy
def cfa(
    data: Any,
    model: Mapping[str, Sequence[str]] | str,
    estimator: str = "ml",
    missing: str = "listwise",
    ordered: Iterable[str] | bool | None = None,
    std_lv: bool = False,
    group: str | None = None,
    group_equal: Sequence[str] | str = (),
) -> CFAResult:
    r"""Fit a confirmatory factor analysis model, as lavaan's ``cfa()``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; the items named in ``model`` must be numeric columns.
    model : mapping or str
        ``{"factor": ["item1", "item2", ...], ...}`` or lavaan model syntax with ``=~``
        (and ``~~`` for residual or factor covariances), e.g.
        ``"visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"``.
    estimator : {"ml", "mlr", "wlsmv"}
        ``"ml"``: normal-theory maximum likelihood, SEs from the expected information.
        ``"mlr"``: ML estimates, Huber–White SEs and the Yuan–Bentler scaled test.
        ``"wlsmv"``: DWLS on polychoric correlations of ``ordered`` items, robust SEs
        and the mean-and-variance adjusted (scaled-shifted) test.
    missing : {"listwise", "fiml"}
        ``"fiml"`` is lavaan's ``missing = "ml"`` (casewise likelihood; SEs from the
        observed information).
    ordered : list of str or True, optional
        Items to treat as ordinal (WLSMV); ``True`` means every item.
    std_lv : bool
        Identify factors by fixing their variances to 1 instead of the first loading.
    group : str, optional
        Column holding the group of each row: multi-group model as lavaan's ``group=``.
    group_equal : sequence of str
        Parameters held equal across groups: ``"loadings"``, ``"intercepts"``,
        ``"thresholds"``, ``"residuals"``, ``"residual.covariances"``, ``"lv.variances"``,
        ``"lv.covariances"``, ``"means"``.

    Returns
    -------
    CFAResult

    Notes
    -----
    The ML discrepancy function (lavaan's ``likelihood = "normal"``, sample covariance
    with divisor N) for group g with :math:`n_g` of N rows is

    .. math::

        F = \sum_g \frac{n_g}{N}\, \tfrac12 \left[\log|\Sigma_g| + \operatorname{tr}
        (S_g\Sigma_g^{-1}) - \log|S_g| - p + (\bar x_g-\mu_g)^\top\Sigma_g^{-1}
        (\bar x_g-\mu_g)\right], \qquad T = 2NF_{\min}.

    Fit indices follow lavaan's ``fitMeasures()``:

    .. math::

        \mathrm{CFI} = 1 - \frac{\max(T-d, 0)}{\max(T-d, T_b-d_b, 0)},\quad
        \mathrm{TLI} = \frac{T_b/d_b - T/d}{T_b/d_b - 1},\quad
        \mathrm{RMSEA} = \sqrt{G}\sqrt{\max\left(\frac{T-d}{N d}, 0\right)},

    and SRMR is Bentler's root mean square of the correlation-scaled residuals. The
    same numbers come from ``lavaan::cfa()`` followed by ``fitMeasures()``,
    ``parameterEstimates()``, ``standardizedSolution()`` and ``modindices()``
    (checked against lavaan 0.6.14). Unlike semopy, RMSEA uses N, not N - 1.

    References
    ----------
    .. [1] Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
       Journal of Statistical Software, 48(2), 1-36.
    .. [2] Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance
       structure analysis. Structural Equation Modeling, 6(1), 1-55.
    .. [3] Browne, M. W., & Cudeck, R. (1993). Alternative ways of assessing model fit.
       In K. A. Bollen & J. S. Long (Eds.), Testing structural equation models (pp.
       136-162). Sage.

    Examples
    --------
    >>> from measurelib.datasets import load_dataset
    >>> from measurelib.psychometrics import cfa
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = cfa(hs, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
    ...                "speed": ["x7", "x8", "x9"]})
    >>> round(res.fit["chisq"], 3), res.fit["df"]
    (85.306, 24.0)
    """
    estimator = _check_choice("estimator", estimator, ESTIMATORS)
    missing = _check_choice("missing", missing, MISSING)
    if not isinstance(std_lv, bool):
        raise TypeError(f"cfa(): parameter 'std_lv' must be True or False, got {std_lv!r}")
    if group is not None and not isinstance(group, str):
        raise TypeError(f"cfa(): parameter 'group' must be a column name (str), got {group!r}")
    if isinstance(group_equal, str):
        group_equal = [group_equal]
    group_equal = list(group_equal)
    for ge in group_equal:
        if ge not in GROUP_EQUAL:
            raise ValueError(
                f"cfa(): parameter 'group_equal' accepts {', '.join(map(repr, GROUP_EQUAL))}; "
                f"got {ge!r}"
            )
    spec = parse_model(model)
    ov = spec.observed
    ordered_items: list[str] = []
    if ordered is True:
        ordered_items = list(ov)
    elif ordered not in (None, False):
        if isinstance(ordered, str):
            ordered = [ordered]
        ordered_items = list(ordered)  # type: ignore[arg-type]
        unknown = [o for o in ordered_items if o not in ov]
        if unknown:
            raise ValueError(
                f"cfa(): parameter 'ordered' names {', '.join(map(repr, unknown))}, which "
                f"the model does not use; the model's items are {', '.join(ov)}"
            )
    if estimator == "wlsmv":
        if not ordered_items:
            ordered_items = list(ov)
        if set(ordered_items) != set(ov):
            raise ValueError(
                "cfa(): estimator='wlsmv' needs every item in 'ordered' (mixed continuous and "
                f"ordinal items are not supported); not ordered: "
                f"{', '.join(o for o in ov if o not in ordered_items)}"
            )
        if missing == "fiml":
            raise ValueError("cfa(): missing='fiml' is not available with estimator='wlsmv'; "
                             "use missing='listwise'")
    elif ordered_items:
        raise ValueError(
            f"cfa(): parameter 'ordered' needs estimator='wlsmv'; got estimator={estimator!r}"
        )
    frame = _prepare_data(data, ov, group)
    from measurelib.psychometrics.sem._fit import fit_model

    return fit_model(spec, frame, ov, estimator=estimator, missing=missing, std_lv=std_lv,
                     group_equal=group_equal, group=group)


@blas_policy
def invariance(
    data: Any,
    model: Mapping[str, Sequence[str]] | str,
    group: str,
    estimator: str = "ml",
    missing: str = "listwise",
    std_lv: bool = False,
    ordered: Iterable[str] | bool | None = None,
) -> InvarianceResult:
    r"""Test configural, metric and scalar measurement invariance across groups.

    Fits the configural model, then equal loadings (metric), then equal loadings and
    intercepts (scalar; latent means free in all but the first group), as lavaan's
    ``cfa(group=, group.equal=)``, and compares each step with the previous one. For
    ordinal items (``estimator="wlsmv"``) the scalar step holds the thresholds (not the
    intercepts) equal, as below.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, with the items and the ``group`` column.
    model : mapping or str
        As for :func:`cfa`.
    group : str
        Column holding the group of each row (groups in order of first appearance).
    estimator : {"ml", "mlr", "wlsmv"}
        With ``"mlr"`` the difference tests are Satorra–Bentler (2001) scaled and the
        changes in fit use the robust CFI and RMSEA. With ``"wlsmv"`` (ordinal items) the
        difference tests are Satorra's (2000) scaled-shifted tests and the changes in fit
        use the scaled CFI and RMSEA.
    missing : {"listwise", "fiml"}
    std_lv : bool
        Identify factors by their variances instead of marker loadings.
    ordered : list of str or True, optional
        Ordinal items, as for :func:`cfa` (``estimator="wlsmv"`` treats every item as
        ordinal).

    Returns
    -------
    InvarianceResult
        ``table`` has one row per step (``configural``, ``metric``, ``scalar``) with
        ``chisq, df, pvalue`` (the unscaled statistic, as lavTestLRT's ``Chisq``),
        ``chisq_scaled, df_scaled, pvalue_scaled`` (MLR and WLSMV; the statistic to report
        per model), ``cfi, tli, rmsea, srmr, aic, bic``, the differences
        ``chisq_diff, df_diff, pvalue_diff, delta_cfi, delta_rmsea, delta_srmr`` and a
        plain-language ``verdict``; ``fits`` holds the three :class:`CFAResult`.

    Notes
    -----
    The likelihood-ratio test is lavaan's ``lavTestLRT()`` (for ML,
    :math:`\Delta\chi^2 = T_1 - T_0` on :math:`\Delta df` degrees of freedom).
    Changes in fit follow Chen (2007): for metric invariance a change
    :math:`\Delta\mathrm{CFI} \le -0.010` together with :math:`\Delta\mathrm{RMSEA}
    \ge 0.015` or :math:`\Delta\mathrm{SRMR} \ge 0.030` signals non-invariance; for
    scalar invariance the SRMR criterion is 0.010. Cheung & Rensvold (2002) proposed
    :math:`\Delta\mathrm{CFI} \le -0.01` alone.

    Ordinal items (WLSMV, lavaan's delta parameterization) follow lavaan's ``group.equal``,
    which is Mplus's ``MODEL = CONFIGURAL METRIC SCALAR`` for polytomous items: configural
    (scale factors 1 and latent means 0 in every group); metric, ``group.equal =
    "loadings"`` (factor variances free in groups 2..; scale factors and means as
    configural); scalar, ``group.equal = c("thresholds", "loadings")`` (scale factors and
    latent means free in groups 2..). The intercepts of ordinal items are fixed at 0, so
    adding ``"intercepts"`` does not change the scalar model. The difference test is
    lavTestLRT's default for WLSMV, ``method = "satorra.2000"`` (scaled-shifted). The CFI,
    TLI and RMSEA are the scaled versions (``cfi.scaled``, ``rmsea.scaled``; the values
    Mplus reports), because lavaan 0.6.14 gives no robust versions once thresholds are
    equal. Chen's cut-offs were derived for continuous data and ML; with ordinal data and
    WLSMV the changes in fit behave differently (Sass, Schmitt & Marsh 2014). Wu &
    Estabrook (2016) test thresholds before loadings under a different identification;
    that sequence (semTools' ``measEq.syntax``) is not this one.

    References
    ----------
    .. [1] Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
       measurement invariance. Structural Equation Modeling, 14(3), 464-504.
    .. [2] Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes
       for testing measurement invariance. Structural Equation Modeling, 9(2), 233-255.
    .. [3] Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test
       statistic for moment structure analysis. Psychometrika, 66, 507-514.
    .. [4] Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample
       analysis of moment structures. In R. D. H. Heijmans, D. S. G. Pollock & A. Satorra
       (Eds.), Innovations in multivariate statistical analysis (pp. 233-247). Kluwer.
    .. [5] Muthén, L. K., & Muthén, B. O. (1998-2017). Mplus user's guide (8th ed.),
       chapter 14 (measurement invariance for categorical outcomes).
    .. [6] Sass, D. A., Schmitt, T. A., & Marsh, H. W. (2014). Evaluating model fit with
       ordered categorical data within a measurement invariance framework: A comparison
       of estimators. Structural Equation Modeling, 21(2), 167-180.
    .. [7] Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis
       models of different levels of invariance for ordered categorical outcomes.
       Psychometrika, 81(4), 1014-1045.

    The same numbers come from ``lavaan::cfa(..., group =, group.equal =)``,
    ``fitMeasures()`` and ``lavTestLRT()``.

    Examples
    --------
    >>> from measurelib.datasets import load_dataset
    >>> from measurelib.psychometrics import invariance
    >>> hs = load_dataset("holzinger_swineford_1939")
    >>> res = invariance(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\n"
    ...                  "speed =~ x7 + x8 + x9", group="school")
    >>> res.table[["step", "df"]].values.tolist()
    [['configural', 48.0], ['metric', 54.0], ['scalar', 60.0]]
    >>> round(float(res.table.loc[2, "chisq_diff"]), 3)
    40.059
    """
    import pandas as pd

    from measurelib.psychometrics._numeric import chi2_sf

    if not isinstance(group, str):
        raise TypeError(f"invariance(): parameter 'group' must be a column name, got {group!r}")
    estimator = _check_choice("estimator", estimator, ESTIMATORS, func="invariance")
    ordinal = estimator == "wlsmv"
    scalar_eq = ["thresholds", "loadings"] if ordinal else ["loadings", "intercepts"]
    steps = [("configural", []), ("metric", ["loadings"]), ("scalar", scalar_eq)]
    fits: dict[str, CFAResult] = {}
    for name, eq in steps:
        fits[name] = cfa(data, model, estimator=estimator, missing=missing, std_lv=std_lv,
                         group=group, group_equal=eq, ordered=ordered)
    rows = []
    prev: CFAResult | None = None
    key = {"mlr": "_robust", "wlsmv": "_scaled"}.get(estimator, "")
    for name, _ in steps:
        f = fits[name].fit
        row: dict[str, Any] = {
            "step": name, "chisq": f["chisq"], "df": f["df"], "pvalue": f["pvalue"],
            "chisq_scaled": f.get("chisq_scaled", math.nan),
            "df_scaled": f.get("df_scaled", math.nan),
            "pvalue_scaled": f.get("pvalue_scaled", math.nan),
            "cfi": f["cfi" + key], "tli": f["tli" + key], "rmsea": f["rmsea" + key],
            "srmr": f["srmr"], "aic": f.get("aic", math.nan), "bic": f.get("bic", math.nan),
        }
        if prev is None:
            row.update(chisq_diff=math.nan, df_diff=math.nan, pvalue_diff=math.nan,
                       delta_cfi=math.nan, delta_rmsea=math.nan, delta_srmr=math.nan,
                       verdict="baseline (configural) model")
        else:
            pf = prev.fit
            if estimator == "mlr":
                from measurelib.psychometrics.sem._fit import satorra_bentler_2001

                d, ddf, pv = satorra_bentler_2001(prev, fits[name])
            elif ordinal:
                from measurelib.psychometrics.sem._ordinal import satorra_2000

                d, ddf, pv = satorra_2000(prev, fits[name])
            else:
                d = f["chisq"] - pf["chisq"]
                ddf = f["df"] - pf["df"]
                pv = float(chi2_sf(d, ddf)) if ddf > 0 else math.nan
            dcfi = f["cfi" + key] - pf["cfi" + key]
            drmsea = f["rmsea" + key] - pf["rmsea" + key]
            dsrmr = f["srmr"] - pf["srmr"]
            srmr_crit = 0.030 if name == "metric" else 0.010
            flagged = dcfi <= -0.010 and (drmsea >= 0.015 or dsrmr >= srmr_crit)
            verdict = (
                f"{name} invariance not supported: ΔCFI ≤ -0.010 with ΔRMSEA ≥ 0.015 or "
                f"ΔSRMR ≥ {srmr_crit:.3f} (Chen 2007)" if flagged else
                f"{name} invariance supported by the change in fit (Chen 2007)"
            )
            if not flagged and dcfi <= -0.010:
                verdict += "; ΔCFI ≤ -0.01 alone would reject it (Cheung & Rensvold 2002)"
            if not math.isnan(pv) and pv < 0.05:
                verdict += f"; the Δχ² test rejects equality (p = {pv:.3g})"
            row.update(chisq_diff=d, df_diff=ddf, pvalue_diff=pv, delta_cfi=dcfi,
                       delta_rmsea=drmsea, delta_srmr=dsrmr, verdict=verdict)
        rows.append(row)
        prev = fits[name]
    conf = fits["configural"]
    warns = sorted({w for r in fits.values() for w in r.warnings})
    return InvarianceResult(
        model=conf.model, group=group, groups=conf.groups, estimator=estimator, n=conf.n,
        table=pd.DataFrame(rows), fits=fits, warnings=warns,
    )
