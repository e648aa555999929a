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


def _number_texts(values: Any) -> Any:
    """Score values as JSON numbers: whole numbers without a point, missing as ``null``.

    Non-finite values (which no score rule gives) are stored as ``null``, like NaN.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    out = np.full(len(v), "null", dtype=object)
    finite = np.isfinite(v)
    whole = finite & (np.abs(v) < 1e15)
    whole[whole] = v[whole] == np.floor(v[whole])
    out[whole] = v[whole].astype(np.int64).astype(str).astype(object)
    other = finite & ~whole
    out[other] = [repr(x) for x in v[other].tolist()]
    return out


def encode_scores(scored: Any, index: Any, layout: list[list[Any]],
                  score_ids: list[str] | None = None
                  ) -> tuple[list[str | None], list[str | None]]:
    """The ``scores`` JSON and ``bands`` text of each row of ``index``.

    ``scored`` is the long frame of :func:`score_frame` (``index``, ``score_id``, ``value``,
    ``band``); ``layout`` the run's band labels (``[[score id, [label, ...]], ...]``). Rows
    without any score get ``None`` in both.

    ``score_ids`` (a list, extended in place with score ids it lacks) names the positions
    of the run's arrays: a row holding a leading part of them is stored as a JSON array of
    values (``[17]``, migration 0011); any other row, or every row when ``score_ids`` is
    None, as a JSON object (``{"total":17}``).
    """
    import json

    import numpy as np
    import pandas as pd

    n = len(index)
    if not len(scored) or not n:
        return [None] * n, [None] * n
    ids = list(dict.fromkeys(scored["score_id"].tolist()))
    order = ids if score_ids is None else score_ids
    if score_ids is not None:
        score_ids.extend(s for s in ids if s not in score_ids)
    texts: Any = None
    arrays: Any = np.full(n, "", dtype=object)
    held = np.zeros((n, len(order)), dtype=bool)
    for j, sid in enumerate(order):
        part = scored[scored["score_id"] == sid]
        where = pd.Index(part["index"].to_numpy()).get_indexer(index)
        has = held[:, j] = where >= 0
        values = np.full(n, np.nan)
        values[has] = part["value"].to_numpy(dtype=float)[where[has]]
        numbers = _number_texts(values)
        arrays = numbers if j == 0 else np.where(has, arrays + "," + numbers, arrays)
        pieces = json.dumps(sid) + ":" + numbers
        pieces[~has] = ""
        texts = pieces if texts is None else np.where(
            (texts != "") & (pieces != ""), texts + "," + pieces, texts + pieces)
    present: Any = held.any(axis=1)
    count = held.sum(axis=1)
    positional = (held == (np.arange(len(order)) < count[:, None])).all(axis=1) & (
        score_ids is not None)
    out: list[str | None] = [
        None if not p else "[" + a + "]" if pos else "{" + t + "}"
        for t, a, p, pos in zip(texts.tolist(), arrays.tolist(), present.tolist(),
                                positional.tolist())]
    if not layout:
        return out, [None] * n
    numbers = []
    for sid, labels in layout:
        part = scored[scored["score_id"] == sid]
        where = pd.Index(part["index"].to_numpy()).get_indexer(index)
        codes = {label: str(i) for i, label in reversed(list(enumerate(labels)))}
        bands = part["band"].to_numpy(dtype=object)
        numbers.append([codes.get(bands[w], "") if w >= 0 and bands[w] is not None else ""
                        for w in where.tolist()])
    joined = [",".join(parts) for parts in zip(*numbers)]
    return out, [j if p else None for j, p in zip(joined, present.tolist())]
