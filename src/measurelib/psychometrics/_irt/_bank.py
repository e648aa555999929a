"""Calibrated banks in measure definitions: the items' ``irt`` blocks as an :class:`IRTResult`.

A measure (or bank) whose items carry ``irt:`` blocks is a calibrated bank; these helpers
turn its parameters into an :class:`IRTResult` on the reference population's θ scale
(N(0, 1)), and map answers to the categories the parameters refer to (the item's scored
values, after recode and reverse, in increasing order).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from measurelib.definition import Measure

    from ._result import IRTResult

__all__ = ["bank_items", "measure_bank"]

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
