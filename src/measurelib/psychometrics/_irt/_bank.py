"""Calibrated banks in measure definitions: the items' ``irt`` blocks as an :class:`IRTResult`.

A measure (or bank) whose items carry ``irt:`` blocks is a calibrated bank; these helpers
turn its parameters into an :class:`IRTResult` on the reference population's θ scale
(N(0, 1)), and map answers to the categories the parameters refer to (the item's scored
values, after recode and reverse, in increasing order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from measurelib._results import Result, to_jsonable
from measurelib._version import __version__
from measurelib.definition import Measure as _Measure
from measurelib.definition import scored_values

if TYPE_CHECKING:
    from measurelib.definition import Measure

    from ._result import IRTResult

__all__ = ["ShortFormMeasure", "bank_items", "conversion_table", "irt_reliable_change",
           "measure_bank", "short_form_measure"]

# the models of an irt block as IRTResult.from_coef names them
_FROM_COEF = {"graded": "graded", "2pl": "2pl", "gpcm": "gpcm", "pcm": "pcm", "rsm": "rsm",
              "rasch": "rasch"}


def bank_items(measure: Measure, trait: str | None = None) -> list[str]:
    """Ids of the measure's calibrated items (of one trait, when given), in item order."""
    return [it.id for it in measure.items if it.irt is not None
            and (trait is None or it.irt.trait == trait)]


def measure_bank(measure: Measure, items: Sequence[str] | None = None,
                 trait: str | None = None) -> IRTResult:
    """The calibrated bank of a measure as an :class:`IRTResult` (parameters only).

    Parameters
    ----------
    measure : Measure
        A measure or bank whose items carry ``irt:`` blocks.
    items : list of str, optional
        The items to include (default: every calibrated item, of ``trait`` if given).
    trait : str, optional
        Only items of this trait.

    Returns
    -------
    IRTResult
        Scores, information, conversion tables and adaptive tests on θ (the reference
        population's N(0, 1) scale); categories are coded ``0..K-1``. Multiply by the
        bank's ``calibration.metric`` for reported scores.
    """
    ids = list(items) if items is not None else bank_items(measure, trait)
    if not ids:
        raise ValueError(f"measure_bank(): {measure.id} has no calibrated items"
                         + (f" of trait {trait!r}" if trait else "")
                         + "; calibrate it first (`measurelib calibrate`)")
    rows = []
    for item_id in ids:
        irt = measure.item(item_id).irt
        if irt is None:
            raise ValueError(f"measure_bank(): item {item_id!r} of {measure.id} has no irt "
                             "block")
        rows.append((item_id, irt.model, float(irt.a), tuple(float(x) for x in irt.intercepts)))
    return _bank(tuple(rows))


@lru_cache(maxsize=64)
def _bank(rows: tuple[tuple[str, str, float, tuple[float, ...]], ...]) -> IRTResult:
    import numpy as np
    import pandas as pd

    from ._result import IRTResult

    kmax = max(len(r[3]) for r in rows)
    coef = pd.DataFrame(np.nan, index=[r[0] for r in rows],
                        columns=["a", *[f"d{k}" for k in range(1, kmax + 1)]])
    for item_id, _model, a, d in rows:
        coef.loc[item_id, "a"] = a
        coef.loc[item_id, [f"d{k}" for k in range(1, len(d) + 1)]] = list(d)
    models = {r[0]: _FROM_COEF[r[1]] for r in rows}
    cats = {r[0]: [float(c) for c in range(len(r[3]) + 1)] for r in rows}
    return IRTResult.from_coef(coef, model=models, categories=cats)


def conversion_table(measure: Measure, items: Sequence[str] | None = None,
                     trait: str | None = None) -> Any:
    """The summed-score conversion table of a calibrated measure, on its metric.

    Returns a DataFrame with ``sum`` (of the scored answers, as a worker adds them up on
    paper), ``score`` (EAP for that sum on the bank's metric), ``se`` (its posterior SD on
    the metric) and ``theta``; ``attrs`` holds ``rxx`` (marginal reliability), ``metric``
    and ``monotone``. Same numbers as ``mirt::fscores(method = "EAPsum",
    full.scores = FALSE)`` rescaled to the metric.
    """
    ids = list(items) if items is not None else bank_items(measure, trait)
    table = measure_bank(measure, ids).sum_score_table()
    metric = measure.calibration.metric if measure.calibration is not None else None
    mean, sd = (metric.mean, metric.sd) if metric is not None else (0.0, 1.0)
    lowest = sum(float(scored_values(measure, i)[0]) for i in ids)
    out = table[["sum", "theta", "se"]].copy()
    out["sum"] = out["sum"] + lowest
    out["score"] = mean + sd * table["theta"]
    out["se"] = sd * table["se"]
    out = out[["sum", "score", "se", "theta"]]
    out.attrs.update({"rxx": float(table.attrs["rxx"]), "monotone": table.attrs["monotone"],
                      "metric": metric.name if metric is not None else "theta"})
    return out


class ShortFormMeasure(Result):
    """A short form chosen from a calibrated bank: a composing definition and its table."""

    measure: Any
    """The short form: composes the chosen items from the bank, scored by ``method: irt``."""
    items: list[str]
    conversion: Any
    """Sum of the scored answers → score and SE on the bank's metric."""
    information: Any
    """Target-weighted information of every bank item (the selection criterion)."""
    reliability: float
    target: Any

    def to_frame(self) -> Any:
        """The conversion table."""
        return self.conversion

    def to_dict(self) -> dict[str, Any]:
        """Items, reliability, target and the conversion table as plain data."""
        return {"items": self.items, "reliability": self.reliability,
                "target": to_jsonable(self.target),
                "conversion": to_jsonable(self.conversion.round(4)),
                "measure": self.measure.to_dict()}

    def summary(self) -> str:
        """The items and the printed conversion table."""
        name = self.conversion.attrs.get("metric", "score")
        lines = [f"{len(self.items)}-item short form: {', '.join(self.items)}",
                 f"marginal reliability {self.reliability:.3f}", "",
                 f"{'sum':>5}  {name:>7}  {'SE':>5}"]
        for row in self.conversion.itertuples():
            lines.append(f"{row.sum:>5g}  {row.score:>7.1f}  {row.se:>5.1f}")
        return "\n".join(lines)


def short_form_measure(bank: Measure, n_items: int, *,
                       target: tuple[float, float] | None = None,
                       score_target: tuple[float, float] | None = None,
                       trait: str | None = None,
                       constraints: Mapping[str, tuple[int, int]] | None = None,
                       source: str | None = None, measure_id: str | None = None,
                       title: str | None = None) -> ShortFormMeasure:
    r"""The ``n_items`` items of a calibrated bank that measure best over a target.

    Parameters
    ----------
    bank : Measure
        A bank whose items carry ``irt:`` blocks.
    n_items : int
        Length of the short form.
    target, score_target : (low, high), optional
        The range to measure well, on θ or on the bank's metric (e.g. T 35–60); default:
        the bank's ``calibration.target``, else its whole reference population.
    trait : str, optional
        The trait, in a multi-trait bank.
    constraints : dict, optional
        ``{tag: (min, max)}`` item counts per tag.
    source : str, optional
        What the short form's ``compose: from:`` names (default ``<bank id>@<version>``).

    Returns
    -------
    ShortFormMeasure
        ``.measure`` composes the chosen items from the bank with one ``method: irt``
        score (``estimator: EAP_sum``, so scores equal the printed table);
        ``.conversion`` is its summed-score table on the bank's metric.
    """
    from ._link import short_form

    metric = bank.calibration.metric if bank.calibration is not None else None
    mean, sd = (metric.mean, metric.sd) if metric is not None else (0.0, 1.0)
    given: dict[str, Any] | None = None  # the target as the user gave it, for provenance
    if target is not None:
        given = {"theta": [float(target[0]), float(target[1])]}
    elif score_target is not None:
        given = {"score": [float(score_target[0]), float(score_target[1])]}
        target = ((score_target[0] - mean) / sd, (score_target[1] - mean) / sd)
    if target is None and bank.calibration is not None and bank.calibration.target is not None:
        t = bank.calibration.target
        given = t.model_dump(mode="json", exclude_defaults=True)
        lo, hi = t.theta if t.theta is not None else [(x - mean) / sd for x in t.score or []]
        target = (lo, hi)
    ids = bank_items(bank, trait)
    traits = {bank.item(i).irt.trait for i in ids}  # type: ignore[union-attr]
    if len(traits) > 1:
        raise ValueError(f"short_form_measure(): {bank.id} measures several traits "
                         f"({', '.join(sorted(str(t) for t in traits))}); choose one with "
                         "parameter 'trait'")
    fit = measure_bank(bank, ids)
    tags = {i: list(bank.item(i).tags) for i in ids}
    chosen = short_form(fit, n_items, target=target, constraints=constraints, tags=tags)
    items = [i for i in ids if i in chosen.items]
    table = conversion_table(bank, items)
    doc: dict[str, Any] = {
        "format": 1,
        "id": measure_id or f"{bank.id}-sf{n_items}"[:64],
        "version": "1.0.0",
        "title": title or f"{bank.text(bank.title)}: {n_items}-item short form",
        "licence": bank.licence.model_dump(mode="json", exclude_defaults=True),
        "compose": [{"from": source or f"{bank.id}@{bank.version}", "items": items,
                     "selection": _selection(n_items, given, constraints, trait, table)}],
        "scores": [{"id": (trait or (metric.name.lower() if metric else "theta")).replace(
                        "-", "_") + "_score",
                    "title": f"{bank.text(bank.short_title) or bank.id}"
                             + (f" {trait}" if trait else "")
                             + f" ({metric.name if metric else 'theta'} score)",
                    "items": items, "method": "irt",
                    "irt": {"estimator": "EAP_sum"}}],
    }
    if bank.instructions is not None:
        doc["instructions"] = bank.instructions

    m = _Measure.model_validate(doc)
    return ShortFormMeasure(measure=m, items=items, conversion=table,
                            information=chosen.information,
                            reliability=float(table.attrs["rxx"]),
                            target=list(target) if target is not None else "population")


def _selection(n_items: int, target: dict[str, Any] | None,
               constraints: Mapping[str, tuple[int, int]] | None, trait: str | None,
               table: Any) -> dict[str, Any]:
    """The short form's ``selection:`` record (how and over what its items were chosen)."""
    import datetime as dt

    out: dict[str, Any] = {"n_items": int(n_items)}
    if target is not None:
        out["target"] = target
    if constraints:
        out["constraints"] = {str(k): [int(v[0]), int(v[1])] for k, v in constraints.items()}
    if trait is not None:
        out["trait"] = trait
    out["reliability"] = round(float(table.attrs["rxx"]), 5)
    out.update(software="measurelib", version=__version__,
               date=dt.datetime.now(dt.timezone.utc).date().isoformat())
    return out


def irt_reliable_change(before: Any, se_before: Any, after: Any, se_after: Any,
                        criterion: float = 1.96) -> Any:
    r"""Reliable change of each person from IRT scores and their own standard errors.

    .. math:: RCI_i = \frac{x_{2i} - x_{1i}}{\sqrt{SE_{1i}^2 + SE_{2i}^2}}

    A change is reliable when :math:`|RCI_i| > 1.96` (two-sided 5%). Unlike Jacobson &
    Truax's one threshold for everyone, the per-person SE of an EAP score grows at the
    ends of the scale and with skipped answers, so the threshold differs by person.

    Parameters
    ----------
    before, se_before, after, se_after : array-like
        Scores and SEs on the same metric (the ``<score>`` and ``<score>_se`` columns).

    Returns
    -------
    DataFrame with ``change``, ``se_change``, ``rci`` and ``reliable`` (bool; NaN input
    gives ``reliable`` False and NaN statistics).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). Clinical significance. *J. Consult. Clin.
    Psychol.*, 59(1), 12–19. Brouwer, D., Meijer, R. R., & Zevalkink, J. (2013). Measuring
    individual significant change on the BDI-II through IRT-based statistics.
    *Psychotherapy Research*, 23(5), 489–501.
    """
    import numpy as np
    import pandas as pd

    x1, s1 = np.asarray(before, dtype=float), np.asarray(se_before, dtype=float)
    x2, s2 = np.asarray(after, dtype=float), np.asarray(se_after, dtype=float)
    change = x2 - x1
    se = np.sqrt(s1**2 + s2**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rci = change / se
    return pd.DataFrame({"change": change, "se_change": se, "rci": rci,
                         "reliable": np.nan_to_num(np.abs(rci), nan=0.0) > criterion})
