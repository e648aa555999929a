"""Calibrate a bank's items on response data and write the parameters into the definition.

``calibrate(bank, data)`` fits a unidimensional IRT model per trait (by marginal maximum
likelihood, :func:`measurelib.psychometrics.irt`) to the items' scored answers and
returns the bank with an ``irt:`` block on every calibrated item and a ``calibration:``
block recording the sample, population, date, software, estimation and fit.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from measurelib._results import Result
from measurelib._version import __version__
from measurelib.compose import as_measure
from measurelib.definition import Measure, scored_values
from measurelib.errors import DataError, Diagnostic, Location

__all__ = ["CalibrationResult", "calibrate"]


class CalibrationResult(Result):
    """A bank calibrated on data: the new definition and one IRT fit per trait."""

    measure: Any
    """The bank with ``irt:`` blocks and a ``calibration:`` block."""
    fits: dict[str, Any]
    """Trait (``"all"`` for a one-trait bank) → :class:`~measurelib.psychometrics.IRTResult`."""
    n: int
    simulated: bool

    def to_dict(self) -> dict[str, Any]:
        """The calibration block and the item parameters as plain data."""
        m = self.measure
        return {"measure": m.id, "version": m.version, "n": self.n,
                "simulated": self.simulated,
                "calibration": m.calibration.model_dump(mode="json", exclude_defaults=True),
                "items": {it.id: it.irt.model_dump(mode="json", exclude_defaults=True)
                          for it in m.items if it.irt is not None}}

    def to_frame(self) -> Any:
        """One row per calibrated item: trait, model, a and thresholds."""
        import pandas as pd

        rows = []
        for it in self.measure.items:
            if it.irt is not None:
                rows.append({"item": it.id, "trait": it.irt.trait, "model": it.irt.model,
                             "a": it.irt.a, **{f"b{k + 1}": b for k, b in
                                               enumerate(it.irt.b or [])}})
        return pd.DataFrame(rows).set_index("item")

    def summary(self) -> str:
        """Fit per trait, in a few lines."""
        cal = self.measure.calibration
        lines = [f"{self.measure.id}: calibrated on n = {self.n}"
                 + (" SIMULATED answers" if self.simulated else "")
                 + f"; metric {cal.metric.name} = {cal.metric.mean:g} + {cal.metric.sd:g}θ"]
        for f in cal.fit:
            bits = [f"{f.items} items", f"logLik {f.loglik:.2f}"]
            if f.m2 is not None:
                bits.append(f"{f.m2_type} {f.m2:.2f} (df {f.df:g}), RMSEA {f.rmsea:.3f}")
            if f.rxx is not None:
                bits.append(f"marginal reliability {f.rxx:.3f}")
            lines.append(f"  {f.trait or 'all items'}: " + ", ".join(bits))
        return "\n".join(lines)

    def to_yaml(self) -> str:
        """The calibrated definition as YAML."""
        return str(self.measure.to_yaml())


def _item_codes(measure: Measure, frame: Any, items: list[str], columns: Any,
                on_invalid: str, file: str | None) -> Any:
    """Validated answers as categories 0..K-1 of the scored values (NaN: missing)."""
    import numpy as np
    import pandas as pd

    from measurelib.scoring import scored_item_values, validate_responses

    checked = validate_responses(measure, frame, dict(columns) if columns else None,
                                 on_invalid, file=file)  # type: ignore[arg-type]
    values = checked.values
    out = {}
    for item_id in items:
        vals = np.asarray(scored_values(measure, item_id), dtype=np.float64)
        if item_id not in values:
            out[item_id] = np.full(len(values), np.nan)
            continue
        x = scored_item_values(measure, item_id, values[item_id].to_numpy(float))
        idx = np.clip(np.searchsorted(vals, np.round(x, 9)), 0, len(vals) - 1)
        out[item_id] = np.where(np.isclose(vals[idx], x), idx.astype(np.float64), np.nan)
    return pd.DataFrame(out, index=values.index)


def _empty_categories(measure: Measure, codes: Any) -> list[Diagnostic]:
    problems = []
    for item_id in codes.columns:
        k = len(scored_values(measure, item_id))
        seen = set(codes[item_id].dropna().astype(int))
        unused = [int(scored_values(measure, item_id)[c]) if float(
            scored_values(measure, item_id)[c]).is_integer() else scored_values(measure, item_id)[c]
            for c in range(k) if c not in seen]
        if unused:
            problems.append(Diagnostic(
                "irt-empty-category", f"item {item_id!r}: nobody in the data chose scored "
                f"value(s) {', '.join(str(u) for u in unused)}, so their thresholds cannot be "
                "estimated", "Calibrate on more data, or merge the unused option with its "
                "neighbour (a new scale) before calibrating.", Location(field=item_id)))
    return problems


def _fit_summary(fit: Any, trait: str | None) -> dict[str, Any]:
    import math

    out: dict[str, Any] = {"items": fit.n_items, "loglik": round(fit.loglik, 4),
                           "aic": round(fit.aic, 4), "bic": round(fit.bic, 4),
                           "converged": bool(fit.converged)}
    if trait is not None:
        out = {"trait": trait, **out}
    kinds = ["M2"] if all(len(v) == 2 for v in fit.categories.values()) else ["C2", "M2"]
    for kind in kinds:
        try:
            row = fit.m2(kind).iloc[0]
        except ValueError:  # no degrees of freedom for this statistic
            continue
        if math.isfinite(float(row["stat"])):
            out.update({"m2": round(float(row["stat"]), 4), "m2_type": kind,
                        "df": float(row["df"]), "rmsea": round(float(row["RMSEA"]), 5),
                        "srmsr": round(float(row["SRMSR"]), 5),
                        "cfi": round(float(row["CFI"]), 5)})
            break
    out["rxx"] = round(float(fit.sum_score_table().attrs["rxx"]), 5)
    return out


def _parameter_se(fit: Any, item_id: str, k: int) -> dict[str, Any] | None:
    """The ``se:`` of an item's irt block: ``a`` (when free) and ``b``, rounded to 6."""
    import math

    table = fit.se_irt
    if table is None:
        return None
    row = table.loc[item_id]
    b = [float(row[f"b{j}"]) for j in range(1, k + 1)]
    if not all(math.isfinite(x) for x in b):
        return None
    out: dict[str, Any] = {}
    if math.isfinite(float(row["a"])):
        out["a"] = round(float(row["a"]), 6)
    out["b"] = [round(x, 6) for x in b]
    return out


def calibrate(  # noqa: C901 - one pass: traits, data, fit, write-back
    bank: Measure | str,
    data: Any,
    *,
    traits: Sequence[str] | None = None,
    items: Sequence[str] | None = None,
    model: str = "graded",
    metric: Mapping[str, Any] | None = None,
    population: str | None = None,
    description: str | None = None,
    simulated: bool = False,
    source: str | None = None,
    date: str | None = None,
    target: Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    on_invalid: str = "error",
    quadrature: int = 61,
    se: str | None = "louis",
) -> CalibrationResult:
    r"""Calibrate a bank's items on responses and write the parameters into the definition.

    Parameters
    ----------
    bank : Measure or str
        The bank (or measure): a path, catalog id or :class:`Measure`.
    data : DataFrame or path
        Responses, one row per person, columns by item id or code (as ``score`` reads
        them). Answers are scored (recode, reverse) before calibration, so the categories
        of every ``irt`` block are the item's scored values in increasing order.
    traits : list of str, optional
        Tags that each form one trait, calibrated separately (e.g. the five domains of a
        personality bank); default: all calibratable items form one trait.
    items : list of str, optional
        The items to calibrate (default: every ordinal and yes/no item).
    model : str
        ``"graded"`` (default), ``"gpcm"``, ``"2pl"``, ... as :func:`~measurelib.psychometrics.irt`.
    metric : dict, optional
        The reported metric, e.g. ``{"name": "T", "mean": 50, "sd": 10}`` (the default).
    population, description, simulated, source, date
        Provenance recorded in ``calibration:``: the reference population, a description
        of the sample, whether the answers were simulated, the data source and the date
        (default: today, UTC).
    target : dict, optional
        The range subsets must measure well, e.g. ``{"score": [35, 60]}`` (checked by
        ``lint``); default: the bank's existing target, if any.
    se : {"louis", "oakes", "sem", None}
        How the parameters' standard errors are computed (``se:`` in each ``irt`` block:
        ``a`` and the thresholds ``b``, by the delta method); None leaves them out.

    Returns
    -------
    CalibrationResult
        ``.measure`` is the calibrated bank; ``.fits`` the :class:`IRTResult` per trait.

    Notes
    -----
    θ is fixed at N(0, 1) in the calibration sample, which becomes the reference
    population; a score is ``metric.mean + metric.sd × θ`` (T = 50 + 10θ by default).
    Items are estimated by marginal maximum likelihood (EM, 61 quadrature points on
    [−6, 6], as mirt) with the item's categories scored ``0..K-1``.
    """
    import pandas as pd

    from measurelib.psychometrics import irt
    from measurelib.scoring import read_responses

    m = as_measure(bank, caller="calibrate(bank=...)")
    file = None
    if not isinstance(data, pd.DataFrame):
        file = str(data)
        data = read_responses(data)
    usable = [it.id for it in m.items if it.personalised is None
              and it.scale in m.scales and m.scales[it.scale].type in ("ordinal", "yesno")]
    if items is not None:
        unknown = [i for i in items if i not in usable]
        if unknown:
            raise ValueError(f"calibrate(): parameter 'items' names {unknown}, which are not "
                             f"ordinal items of {m.id}; allowed: {usable}")
        usable = [i for i in usable if i in items]
    groups: dict[str | None, list[str]] = {}
    if traits:
        for t in traits:
            ids = [i for i in usable if t in m.item(i).tags]
            if len(ids) < 2:
                raise ValueError(f"calibrate(): trait {t!r} needs at least 2 items carrying "
                                 f"that tag; {m.id} has {ids}")
            groups[t] = ids
    else:
        groups[None] = usable
    codes = _item_codes(m, data, sorted({i for v in groups.values() for i in v},
                                        key=usable.index), columns, on_invalid, file)
    problems = _empty_categories(m, codes)
    if problems:
        raise DataError(problems)
    params: dict[str, dict[str, Any]] = {}
    fits: dict[str, Any] = {}
    fit_rows = []
    n_used = 0
    for trait, ids in groups.items():
        fit = irt(codes[ids], model=model, se=se, quadrature=quadrature)
        fits[trait or "all"] = fit
        n_used = max(n_used, int(fit.n))
        for item_id in ids:
            row = fit.coef_irt.loc[item_id]
            k = len(fit.categories[item_id]) - 1
            block: dict[str, Any] = {"model": fit.models[item_id],
                                     "a": round(float(row["a"]), 6),
                                     "b": [round(float(row[f"b{j}"]), 6) for j in range(1, k + 1)]}
            if block["model"] == "graded":
                block.pop("model")
            ses = _parameter_se(fit, item_id, k)
            if ses is not None:
                block["se"] = ses
            if trait is not None:
                block["trait"] = trait
            params[item_id] = block
        fit_rows.append(_fit_summary(fit, trait))
    doc = m.to_dict()
    for it in doc.get("items", []):
        if it["id"] in params:
            it["irt"] = params[it["id"]]
    old = m.calibration
    cal: dict[str, Any] = {
        "sample": {"n": n_used, **({"description": description} if description else {}),
                   **({"simulated": True} if simulated else {}),
                   **({"source": source} if source else {})},
        **({"population": population} if population else {}),
        "date": date or _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        "software": "measurelib", "version": __version__,
        "method": f"marginal maximum likelihood (EM), {quadrature} quadrature points on "
                  f"[-6, 6], {model} model; theta ~ N(0, 1) in the sample",
        "fit": fit_rows,
        "metric": dict(metric) if metric else
        (old.metric.model_dump(mode="json") if old is not None else
         {"name": "T", "mean": 50, "sd": 10}),
    }
    if target is not None:
        cal["target"] = dict(target)
    elif old is not None and old.target is not None:
        cal["target"] = old.target.model_dump(mode="json", exclude_defaults=True)
    doc["calibration"] = cal
    new = Measure.model_validate(doc).with_origin(m.origin)
    return CalibrationResult(measure=new, fits=fits, n=n_used, simulated=simulated)
