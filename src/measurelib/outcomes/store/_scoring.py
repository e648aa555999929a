"""Validation and scoring of an import: the same checks and rules as ``Measure.score``."""

from __future__ import annotations

from typing import Any

from measurelib.definition import Measure
from measurelib.scoring import score_validated, validate_responses


def score_frame(measure: Measure, df: Any,
                alerts_out: list[Any] | None = None) -> tuple[Any, Any, Any]:
    """Validate and score ``df`` (index 0..n-1).

    Returns ``(scores, problems, responses)``: scores in long form (``index``, ``score_id``,
    ``value``, ``band``) for the rows kept — the standard error of an IRT score is a row of
    its own, ``score_id`` ``<score>_se`` without a band; ``problems`` (``index``, ``column``, ``code``,
    ``message``) for the rows rejected; and the validated answers of every row (canonical
    column names, numbers; free-text answers as text) to store. ``alerts_out`` (a list)
    receives the scoring result's ``(scores, rejected)`` tables, whose ``alerts`` columns
    name the alerts each row set off (what a stored form reports, without scoring it again).
    """
    import numpy as np
    import pandas as pd

    checked = validate_responses(measure, df, None, "reject", first_row=2)
    result = score_validated(measure, df, checked, lang=measure.language, columns=None)
    rej = result.rejected
    if alerts_out is not None:
        alerts_out.append((result.scores, rej))
    problems = pd.DataFrame({
        "index": (rej["row"].to_numpy(dtype=int) - 2) if len(rej) else np.array([], dtype=int),
        "column": rej["column"].astype(str).to_numpy() if len(rej) else [],
        "code": rej["reason"].astype(str).to_numpy() if len(rej) else [],
        "message": rej["message"].astype(str).to_numpy() if len(rej) else [],
    })
    sc = result.scores
    parts = []
    for rule in measure.scores:
        band = (sc[f"{rule.id}_band"].astype(object) if f"{rule.id}_band" in sc.columns
                else pd.Series(None, index=sc.index, dtype=object))
        parts.append(pd.DataFrame({"index": sc.index.to_numpy(), "score_id": rule.id,
                                   "value": pd.to_numeric(sc[rule.id], errors="coerce")
                                   .to_numpy(dtype=float),
                                   "band": band.where(band.notna(), None).to_numpy()}))
        if f"{rule.id}_se" in sc.columns:  # IRT scores: the person's standard error
            parts.append(pd.DataFrame({
                "index": sc.index.to_numpy(), "score_id": f"{rule.id}_se",
                "value": pd.to_numeric(sc[f"{rule.id}_se"], errors="coerce")
                .to_numpy(dtype=float), "band": None}))
    scores = (pd.concat(parts, ignore_index=True) if parts else
              pd.DataFrame(columns=["index", "score_id", "value", "band"]))
    values = pd.DataFrame({k: v for k, v in checked.arrays.items()}, index=df.index)
    text_cols = [c for c in measure.response_columns() if c not in values.columns]
    for c in text_cols:
        if c in df.columns:
            s = df[c].astype("string")
            values[c] = s.where(s.str.strip() != "")
    return scores, problems, values
