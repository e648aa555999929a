"""Reading response files and checking the metadata columns of an import, vectorised."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from measurelib._progress import progress as progress_bar
from measurelib.outcomes.store._tables import (
    EQUITY_FIELDS,
    MODES,
    RESPONDENT_TYPES,
    administrations,
)

META_COLUMNS = ("respondent_id", "episode", "date", "timepoint", "mode", "respondent_type",
                "site", "service", "worker", "retrospective", "simulated")
"""Columns of an import file that describe the administration rather than answer items."""

KEY_COLUMNS = ("respondent_id", "episode", "timepoint", "date")

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_dates(values: Any) -> Any:
    """Parse ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY`` dates; unparseable values become NaT."""
    import pandas as pd

    text = values.astype("string").str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    stamp = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    return iso.fillna(uk).fillna(stamp)


def parse_bools(values: Any) -> tuple[Any, Any]:
    """Map yes/no/true/false/1/0 to booleans; returns (booleans, mask of unreadable cells)."""
    text = values.astype("string").str.strip().str.lower().fillna("")
    true = text.isin(_TRUE)
    bad = ~(true | text.isin(_FALSE))
    return true, bad


def _flag_hidden(out: Any, flag: Any) -> None:
    """Flag labels (episode, timepoint, site, service, worker, the equity fields) holding a
    control or invisible character: "North" and "North" with a zero-width space would be
    two sites in every report, and a direction override shows a label reversed.
    """
    import pandas as pd

    from measurelib.scoring import hidden_characters

    for col in out.columns:
        if col == "respondent_id" or out[col].dtype != "string":
            continue  # the id has its own check and code
        hidden = hidden_characters(out[col], allow_joiners=True)
        flag(pd.Series(hidden, index=out.index), col, "hidden-character",
             f"{col} holds a control or invisible character (line break, tab, zero-width "
             "space, direction mark): remove it")


def _flag_too_long(out: Any, flag: Any) -> None:
    """Flag text longer than its column holds (episode, timepoint, site, service, worker,
    the equity fields), with the limits of the store's own table definitions: PostgreSQL
    refuses a longer value and SQLite would keep it, so the import says so first.
    """
    for col in out.columns:
        if col in ("respondent_id", "mode", "respondent_type") or col not in administrations.c:
            continue
        limit = getattr(administrations.c[col].type, "length", None)
        values = out[col]
        if limit is None or values.dtype != "string":
            continue
        lengths = values.str.len()
        flag(lengths.gt(limit).fillna(False), col, "value-too-long",
             f"{col} is longer than the {limit} characters the store keeps: shorten it")


def check_metadata(df: Any, *, anonymous: bool, timepoints: Any = None,
                   today: Any = None) -> tuple[Any, Any]:
    """Normalise the metadata columns; return (frame, problems).

    ``timepoints``: the declared timepoint labels (any other is a ``timepoint-unknown``
    problem, with a did-you-mean); ``today``: dates after it are ``date-in-future``.

    ``problems`` is a DataFrame with one row per bad cell: ``index`` (the frame's index),
    ``column``, ``code`` and ``message``.
    """
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    problems: list[Any] = []

    def flag(mask: Any, column: str, code: str, message: str) -> None:
        if bool(mask.any()):
            idx = df.index[mask.to_numpy()]
            problems.append(pd.DataFrame({"index": idx, "column": column, "code": code,
                                          "message": message}))

    def text(col: str) -> Any:
        if col not in df.columns:
            return pd.Series(pd.NA, index=df.index, dtype="string")
        s = df[col].astype("string").str.strip()
        return s.mask(s == "")

    rid = text("respondent_id")
    if anonymous:
        out["respondent_id"] = pd.Series(pd.NA, index=df.index, dtype="string")
    else:
        flag(rid.isna(), "respondent_id", "store-missing-respondent",
             "no respondent id (a pseudonymous id is needed to follow a person over time)")
        from measurelib.scoring import invalid_respondent_ids

        raw_id = df["respondent_id"] if "respondent_id" in df.columns else rid
        flag(pd.Series(invalid_respondent_ids(raw_id), index=df.index), "respondent_id",
             "invalid-respondent-id", "respondent id is longer than 64 characters or holds a "
             "control or invisible character (line break, tab, zero-width space, direction "
             "mark)")
        out["respondent_id"] = rid
    out["episode"] = text("episode").fillna("1") if not anonymous else text("episode")
    dates = parse_dates(df["date"]) if "date" in df.columns else pd.Series(
        pd.NaT, index=df.index, dtype="datetime64[ns]")
    flag(dates.isna(), "date", "store-invalid-date",
         "date missing or not a date (write YYYY-MM-DD or DD/MM/YYYY)")
    if today is not None:
        flag(dates.notna() & (dates > pd.Timestamp(today)), "date", "date-in-future",
             f"the date is after today ({today}): correct it")
    out["date"] = dates
    tp = text("timepoint")
    flag(tp.isna(), "timepoint", "store-missing-timepoint",
         "no timepoint (e.g. baseline, review, exit)")
    out["timepoint"] = tp.str.lower()
    if timepoints is not None:
        from measurelib.outcomes._schedule import timepoint_problems

        problems.extend(timepoint_problems(out["timepoint"], timepoints))
    mode = text("mode").str.lower()
    flag(mode.notna() & ~mode.isin(MODES), "mode", "invalid-value",
         f"mode must be one of {', '.join(MODES)}")
    out["mode"] = mode
    rtype = text("respondent_type").str.lower()
    flag(rtype.notna() & ~rtype.isin(RESPONDENT_TYPES), "respondent_type", "invalid-value",
         "respondent_type must be self or proxy")
    out["respondent_type"] = rtype.fillna("self")
    for col in ("site", "service", "worker"):
        out[col] = text(col)
    if "retrospective" in df.columns:
        retro, bad = parse_bools(df["retrospective"])
        flag(bad, "retrospective", "invalid-value", "retrospective must be yes/no (or 1/0)")
        out["retrospective"] = retro.astype(bool)
    else:
        out["retrospective"] = False
    if "simulated" in df.columns:
        sim, bad = parse_bools(df["simulated"])
        flag(bad, "simulated", "invalid-value", "simulated must be yes/no (or 1/0)")
        out["simulated"] = sim.astype(bool)
    else:
        out["simulated"] = False
    for col in EQUITY_FIELDS:
        if col == "deprivation_decile":
            raw = text(col)
            num = pd.to_numeric(raw, errors="coerce")
            flag(raw.notna() & ~num.isin(list(range(1, 11))), col, "invalid-value",
                 "deprivation_decile must be a whole number from 1 to 10")
            out[col] = num.where(num.isin(list(range(1, 11)))).astype("Int64")
        else:
            out[col] = text(col)
    _flag_too_long(out, flag)
    _flag_hidden(out, flag)
    table = (pd.concat(problems, ignore_index=True) if problems
             else pd.DataFrame(columns=["index", "column", "code", "message"]))
    return out, table


def compare_entries(first: Any, second: Any, *, key: list[str] | None = None) -> Any:
    """Compare two independently keyed copies of the same paper forms, cell by cell.

    Parameters
    ----------
    first, second : pandas.DataFrame
        The two keyings (read as text). Columns must match.
    key : list of str, optional
        Columns that identify a form. Default: the natural key columns present
        (respondent_id, episode, timepoint, date), else the row position.

    Returns
    -------
    pandas.DataFrame
        One row per disagreement: the key values, ``row_first``/``row_second`` (spreadsheet
        row numbers), ``column``, ``first`` and ``second``. A form keyed in only one file
        is listed with ``column`` = ``<whole row>``.
    """
    import pandas as pd

    if not isinstance(first, pd.DataFrame) or not isinstance(second, pd.DataFrame):
        raise TypeError("compare_entries(first, second): both must be pandas DataFrames, got "
                        f"{type(first).__name__} and {type(second).__name__}")
    if key is None:
        key = [c for c in KEY_COLUMNS if c in first.columns and c in second.columns]
    # compare what the values mean, not how they were typed: 2025-01-23 = 23/01/2025,
    # 3 = 3.0, blank = NA; the values reported are those of the files
    a = first.apply(_normalised).copy()
    b = second.apply(_normalised).copy()
    shown_a = first.astype("string").apply(lambda s: s.str.strip())
    shown_b = second.astype("string").apply(lambda s: s.str.strip())
    a["__row"] = _row_numbers(first)
    b["__row"] = _row_numbers(second)
    a["__i"] = range(len(a))
    b["__i"] = range(len(b))
    cols = [c for c in dict.fromkeys([*first.columns, *second.columns]) if c not in key]
    for c in cols:
        if c not in a.columns:
            a[c] = pd.NA
        if c not in b.columns:
            b[c] = pd.NA
    a["__occ"] = a.groupby(key, dropna=False).cumcount()
    b["__occ"] = b.groupby(key, dropna=False).cumcount()
    merged = a.merge(b, on=[*key, "__occ"], how="outer", suffixes=("__1", "__2"),
                     indicator=True)
    out: list[Any] = []
    only = merged[merged["_merge"] != "both"]
    if len(only):
        out.append(pd.DataFrame({
            **{k: only[k] for k in key},
            "row_first": only["__row__1"], "row_second": only["__row__2"],
            "column": "<whole row>",
            "first": only["_merge"].map({"left_only": "present", "right_only": "absent"}),
            "second": only["_merge"].map({"left_only": "absent", "right_only": "present"}),
        }))
    both = merged[merged["_merge"] == "both"]
    for c in cols:
        x, y = both[f"{c}__1"], both[f"{c}__2"]
        differ = (x.fillna("\0") != y.fillna("\0")).to_numpy(dtype=bool)
        if differ.any():
            sub = both[differ]
            i1 = sub["__i__1"].to_numpy(dtype=int)
            i2 = sub["__i__2"].to_numpy(dtype=int)
            out.append(pd.DataFrame({
                **{k: sub[k] for k in key},
                "row_first": sub["__row__1"], "row_second": sub["__row__2"],
                "column": c,
                "first": _shown(shown_a, c, i1, sub.index),
                "second": _shown(shown_b, c, i2, sub.index)}))
    cols_out = [*key, "row_first", "row_second", "column", "first", "second"]
    if not out:
        return pd.DataFrame(columns=[c for c in cols_out if c != "__pos"])
    table = pd.concat(out, ignore_index=True)[cols_out]
    table = table.sort_values(["row_first", "column"], na_position="last").reset_index(drop=True)
    return table.drop(columns=["__pos"], errors="ignore")


def _row_numbers(frame: Any) -> Any:
    """Spreadsheet row numbers: the index that ``read_responses`` gives, else 2, 3, ..."""
    import pandas as pd

    idx = frame.index
    rows_like = (len(idx) > 0 and pd.api.types.is_integer_dtype(idx.dtype) and idx.is_unique
                 and idx.is_monotonic_increasing and int(idx[0]) >= 2)
    return idx.to_numpy() if rows_like else range(2, len(frame) + 2)


def _shown(shown: Any, column: str, pos: Any, index: Any) -> Any:
    import pandas as pd

    if column not in shown.columns:
        return pd.Series(pd.NA, index=index, dtype="string")
    return pd.Series(shown[column].to_numpy()[pos], index=index, dtype="string")


def _normalised(values: Any) -> Any:
    """Cells compared by meaning: blanks are missing, numbers canonical, dates ISO."""
    import numpy as np
    import pandas as pd

    from measurelib.scoring import BLANKS

    text = values.astype("string").str.strip()
    text = text.mask(text.isna() | text.str.casefold().isin(BLANKS))
    num = pd.to_numeric(text, errors="coerce")
    is_num = num.notna().to_numpy(dtype=bool)
    out = text.copy()
    if is_num.any():
        out[is_num] = [repr(float(v)) for v in num[is_num]]
    rest = text.notna().to_numpy(dtype=bool) & ~is_num
    if rest.any():
        dates = parse_dates(text[rest])
        ok = dates.notna().to_numpy(dtype=bool)
        if ok.any():
            where = np.flatnonzero(rest)[ok]
            out.iloc[where] = dates[ok].dt.strftime("%Y-%m-%d").to_numpy()
    return out


def double_entry_message(rec: Any, first: str, second: str) -> str:
    """One disagreement of :func:`compare_entries`, naming both rows and the column."""
    import pandas as pd

    def row(v: Any) -> int | None:
        return None if v is None or pd.isna(v) else int(v)

    r1, r2 = row(rec.row_first), row(rec.row_second)
    if rec.column == "<whole row>":
        if r2 is None:
            return f"the form on row {r1} of {first} is not in {second}"
        return f"the form on row {r2} of {second} is not in {first}"
    return (f"{rec.column}: first keying {rec.first!r}, second keying {rec.second!r} "
            f"(row {r2} of {second})")


def iter_file_chunks(path: str | Path, chunksize: int, *,
                     progress: bool | None = None) -> Iterator[tuple[Any, Any]]:
    """``(frame, row numbers)`` chunks of a response file, by the one reader rule.

    The chunks of :func:`measurelib.scoring.iter_response_chunks` (text cells, wholly blank
    rows dropped, row numbers those a spreadsheet shows, memory bounded by the chunk), with
    a blank cell read as missing; a progress bar on a terminal (``progress``).
    """
    from measurelib.scoring import read_responses
    from measurelib.scoring._io import iter_response_chunks

    p = Path(path)
    if not p.is_file():
        read_responses(p)  # raises the located file-not-found error
    text = p.suffix.lower() not in (".parquet", ".pq")
    bar = progress_bar(desc=f"importing {p.name}", unit="rows", enabled=progress)
    try:
        for frame in iter_response_chunks(p, chunksize):
            frame.columns = [str(c).strip() for c in frame.columns]
            if text:
                frame = frame.mask(frame == "")
            rows = frame.index.to_numpy()
            bar.update(len(frame))
            yield frame.reset_index(drop=True), rows
    finally:
        bar.close()


def encode_responses(values: Any, columns: list[str]) -> list[str]:
    """Each row's answers in the order of ``columns``, as digits or a JSON array.

    The measure's response columns (stored once per measure version in
    ``measures.response_columns``) name the positions, so no row repeats them. When every
    answer of the chunk is a whole number from 0 to 9 (most questionnaires), a row is one
    character per answer, ``.`` for a missing one: ``1200320.2`` (9 bytes instead of 21).
    Otherwise a JSON array, ``[1,2,0,null,"free text"]``, whole numbers without ``.0``.
    :func:`decode_responses` reads both (and the JSON objects of older stores).

    >>> import pandas as pd
    >>> encode_responses(pd.DataFrame({"a": [1, None], "b": [0, 3]}), ["a", "b", "c"])
    ['10.', '.3.']
    >>> encode_responses(pd.DataFrame({"a": [10, None], "b": ["x", None]}), ["a", "b"])
    ['[10,"x"]', '[null,null]']
    """
    import json

    import numpy as np
    import pandas as pd

    n = len(values)
    if not columns:
        return ["[]"] * n
    digits = _digit_rows(values, columns)
    if digits is not None:
        return digits
    parts: list[list[str]] = []
    for col in columns:
        if col not in values.columns:
            parts.append(["null"] * n)
            continue
        s = values[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            arr = s.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(arr)
            if bool((arr[ok] == np.round(arr[ok])).all()) and bool(
                    (np.abs(arr[ok]) < 2**53).all()):
                text = np.where(ok, arr, 0).astype(np.int64).astype(str).astype(object)
            else:
                # json.dumps: repr's digits, and Infinity (which Python's reader takes
                # back) where repr would write "inf", which no JSON reader takes
                text = np.array([json.dumps(float(v)) for v in arr], dtype=object)
            text[~ok] = "null"
            parts.append(text.tolist())
        else:
            parts.append(["null" if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                          else json.dumps(str(v), ensure_ascii=False)
                          for v in s.astype(object).tolist()])
    return [f"[{','.join(row)}]" for row in zip(*parts)]


def _digit_rows(values: Any, columns: list[str]) -> list[str] | None:
    """Rows as one character per answer (``0``-``9``, ``.`` missing), or ``None`` when an
    answer of the chunk is not a whole number from 0 to 9.
    """
    import numpy as np
    import pandas as pd

    n = len(values)
    codes = np.full((n, len(columns)), ord("."), dtype=np.uint8)
    for j, col in enumerate(columns):
        if col not in values.columns:
            continue
        s = values[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            if bool(s.notna().any()):
                return None
            continue
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(arr)
        given = arr[ok]
        if not bool(((given >= 0) & (given <= 9) & (given == np.round(given))).all()):
            return None
        codes[ok, j] = given.astype(np.uint8) + ord("0")
    return list(codes.view(f"S{len(columns)}").ravel().astype(f"U{len(columns)}").tolist())


def decode_responses(texts: Any, columns_of: Any) -> list[str]:
    """JSON objects (``{"item": answer}``) from stored answers of any form.

    ``texts`` are stored ``responses``: digit strings (``10.2``) or JSON arrays, whose
    positions ``columns_of`` names per row (the measure's column list), or the JSON objects
    of rows stored before migration 0006.

    >>> decode_responses(["10.", '[10,"x"]', '{"a": 1}'], [["a", "b", "c"], ["a", "b"], None])
    ['{"a": 1, "b": 0, "c": null}', '{"a": 10, "b": "x"}', '{"a": 1}']
    """
    import json

    out = []
    for text, cols in zip(texts, columns_of):
        if not isinstance(text, str) or cols is None or text.startswith("{"):
            out.append(text)
        elif text.startswith("["):
            out.append(json.dumps(dict(zip(cols, json.loads(text))), ensure_ascii=False))
        else:
            out.append(json.dumps(dict(zip(cols, [None if c == "." else int(c)
                                                  for c in text])), ensure_ascii=False))
    return out


def band_labels(layout: list[list[Any]] | None, numbers: str | None) -> dict[str, str]:
    """The band of each banded score of one row: its ``bands`` text read with its run's
    labels (``[[score id, [label, ...]], ...]``).

    >>> band_labels([["total", ["low", "high"]]], "1")
    {'total': 'high'}
    """
    if not layout or not numbers:
        return {}
    out = {}
    for (sid, labels), n in zip(layout, numbers.split(",")):
        if n:
            out[sid] = labels[int(n)]
    return out


def score_dict(value: Any, ids: list[str] | None) -> dict[str, Any]:
    """One row's stored ``scores`` as ``{score id: value}``.

    A JSON array (migration 0011) is read with its run's ``score_ids`` (``ids``); a JSON
    object (rows of earlier layouts the migration left as they were) as it is; NULL as
    no score.

    >>> score_dict("[17, null]", ["total", "total_se"]), score_dict('{"total": 3}', None)
    ({'total': 17, 'total_se': None}, {'total': 3})
    """
    import json

    if value is None:
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict):
        return value
    return dict(zip(ids or [], value))


def expand_scores(rows: Any, layouts: dict[int, list[list[Any]]], score: str | None,
                  score_ids: dict[int, list[str]] | None = None) -> Any:
    """One row per administration and score from rows holding ``scores``, ``bands``, ``run_pk``.

    Adds ``score_id``, ``value``, ``band`` and ``se`` (an IRT score's standard error, the
    entry ``<score>_se``), scores in the order of their ids; a standard error is not a row of
    its own beside its score unless ``score`` asks for it. ``score_ids``: the positions of
    each run's score arrays (``{run key: [score id, ...]}``).
    """
    import numpy as np
    import pandas as pd

    picked: list[int] = []
    ids: list[str] = []
    values: list[float] = []
    bands: list[str | None] = []
    ses: list[float] = []
    nan = float("nan")
    for i, (text, numbers, run) in enumerate(zip(rows["scores"].tolist(),
                                                 rows["bands"].tolist(),
                                                 rows["run_pk"].tolist())):
        has_run = run is not None and run == run
        got = score_dict(text, (score_ids or {}).get(int(run)) if has_run else None)
        band_of = band_labels(layouts.get(int(run)), numbers) if has_run else {}
        for sid in ([score] if score in got else []) if score is not None else sorted(got):
            if score is None and sid.endswith("_se") and sid[:-3] in got:
                continue
            value, se = got[sid], got.get(sid + "_se")
            picked.append(i)
            ids.append(sid)
            values.append(nan if value is None else float(value))
            bands.append(band_of.get(sid))
            ses.append(nan if se is None else float(se))
    out = rows.drop(columns=["scores", "bands", "run_pk"]).iloc[
        np.asarray(picked, dtype=np.int64)].reset_index(drop=True)
    out["score_id"] = pd.Series(ids)  # inferred, as read from a table
    out["value"] = np.asarray(values, dtype=float)
    out["band"] = pd.Series(bands)
    out["se"] = np.asarray(ses, dtype=float)
    return out
