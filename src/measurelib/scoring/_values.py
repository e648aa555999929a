"""The values scores use: an item's answers recoded and reverse-keyed.

Kept apart from :mod:`measurelib.scoring._score` (which needs pandas) so that the
exporters, which spell each score's terms out, load NumPy only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = ["apply_map", "item_value_map", "scored_item_values"]

_ROUND = 9  # decimals a value is rounded to before it is looked up (scoring uses it too)


def item_value_map(measure: Measure, item_id: str) -> tuple[dict[float, float] | None, bool]:
    """The answer → scored value map of an item (None: identity), and whether reversed."""
    item = measure.item(item_id)
    scale = measure.scales[item.scale]
    mapping: dict[float, float] = {}
    for opt in getattr(scale, "options", None) or []:
        sc = getattr(opt, "score", None)
        if sc is not None:
            mapping[float(opt.value)] = float(sc)
    recode = getattr(item, "recode", None)
    if recode:
        for k, v in recode.items():
            mapping[float(k)] = float(v)
    return (mapping or None), bool(item.reverse)


def apply_map(vals: np.ndarray, mapping: dict[float, float]) -> np.ndarray:
    """Map item values through ``mapping`` (recoding and reverse-keying), keeping missing values."""
    keys = np.array(sorted(mapping))
    out_vals = np.array([mapping[k] for k in keys])
    r = np.round(vals, _ROUND)
    idx = np.clip(np.searchsorted(keys, r), 0, len(keys) - 1)
    hit = keys[idx] == r
    return np.where(hit, out_vals[idx], vals)


def scored_item_values(measure: Measure, item_id: str, vals: np.ndarray) -> np.ndarray:
    """Answers of one item column turned into the values scores use (recode, reverse)."""
    mapping, reverse = item_value_map(measure, item_id)
    out = vals
    if mapping is not None:
        out = apply_map(out, mapping)
    if reverse:
        svals = measure.scale_of(item_id).values()
        if mapping is not None:
            svals = sorted({mapping.get(v, v) for v in svals})
        lo, hi = float(svals[0]), float(svals[-1])
        out = (lo + hi) - out
    return out
