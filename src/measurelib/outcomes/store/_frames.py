"""Reading response files and checking the metadata columns of an import, vectorised."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from measurelib.outcomes.store._tables import EQUITY_FIELDS, MODES, RESPONDENT_TYPES

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


def check_metadata(df: Any, *, anonymous: bool) -> tuple[Any, Any]:
    """Normalise the metadata columns; return (frame, problems).

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
        flag(rid.str.len().fillna(0) > 64, "respondent_id", "invalid-value",
             "respondent id is longer than 64 characters")
        out["respondent_id"] = rid
    out["episode"] = text("episode").fillna("1") if not anonymous else text("episode")
    dates = parse_dates(df["date"]) if "date" in df.columns else pd.Series(
        pd.NaT, index=df.index, dtype="datetime64[ns]")
    flag(dates.isna(), "date", "store-invalid-date",
         "date missing or not a date (write YYYY-MM-DD or DD/MM/YYYY)")
    out["date"] = dates
    tp = text("timepoint")
    flag(tp.isna(), "timepoint", "store-missing-timepoint",
         "no timepoint (e.g. baseline, review, exit)")
    out["timepoint"] = tp.str.lower()
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
    a = first.astype("string").apply(lambda s: s.str.strip()).copy()
    b = second.astype("string").apply(lambda s: s.str.strip()).copy()
    a["__row"] = range(2, len(a) + 2)
    b["__row"] = range(2, len(b) + 2)
    if not key:
        a["__pos"] = range(len(a))
        b["__pos"] = range(len(b))
        key = ["__pos"]
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
            out.append(pd.DataFrame({
                **{k: sub[k] for k in key},
                "row_first": sub["__row__1"], "row_second": sub["__row__2"],
                "column": c, "first": sub[f"{c}__1"], "second": sub[f"{c}__2"]}))
    cols_out = [*key, "row_first", "row_second", "column", "first", "second"]
    if not out:
        return pd.DataFrame(columns=[c for c in cols_out if c != "__pos"])
    table = pd.concat(out, ignore_index=True)[cols_out]
    table = table.sort_values(["row_first", "column"], na_position="last").reset_index(drop=True)
    return table.drop(columns=["__pos"], errors="ignore")


class _Bar:
    """The scoring reader's progress protocol (``total``, ``update``) drawn by tqdm."""

    def __init__(self, desc: str, enabled: bool) -> None:
        self.total: int | None = None
        self.bar: Any = None
        self.desc, self.enabled = desc, enabled

    def update(self, done: int, rows: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            import importlib

            tqdm = importlib.import_module("tqdm.auto").tqdm
            self.bar = tqdm(total=self.total, desc=self.desc, unit="B", unit_scale=True,
                            leave=False, file=sys.stderr)
        self.bar.n = done
        self.bar.set_postfix_str(f"{rows:,} rows", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def progress_wanted(progress: bool | None) -> bool:
    """``progress`` if given, else whether stderr is a terminal."""
    if progress is not None:
        return progress
    return bool(getattr(sys.stderr, "isatty", lambda: False)()) and \
        os.environ.get("TERM") != "dumb"


def iter_file_chunks(path: str | Path, chunksize: int, *,
                     progress: bool | None = None) -> Iterator[tuple[Any, Any]]:
    """``(frame, row numbers)`` chunks of a response file, read as :func:`read_responses` reads.

    Text files and Parquet are streamed ``chunksize`` rows at a time; an Excel workbook is
    read whole (a sheet holds at most 1,048,576 rows) and then cut. Cells are text, a blank
    cell is missing, wholly blank rows are not rows, and row numbers are those a
    spreadsheet shows (the heading is row 1).
    """
    import numpy as np

    from measurelib.errors import DataError, Diagnostic, Location
    from measurelib.scoring import read_responses
    from measurelib.scoring._io import iter_response_chunks

    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file() or suffix in (".xlsx", ".xlsm") or suffix not in (
            ".csv", ".tsv", ".txt", ".parquet", ".pq"):
        df = read_responses(p)  # its errors for missing files and types it does not read
        rows = df.index.to_numpy()
        df = df.reset_index(drop=True)
        for start in range(0, len(df), chunksize):
            yield (df.iloc[start:start + chunksize].reset_index(drop=True),
                   rows[start:start + chunksize])
        return
    bar = _Bar(f"importing {p.name}", progress_wanted(progress))
    start = 0
    try:
        for frame in iter_response_chunks(p, chunksize, progress=bar):  # type: ignore[arg-type]
            frame.columns = [str(c).strip() for c in frame.columns]
            if suffix not in (".parquet", ".pq"):
                frame = frame.mask(frame == "")
            rows = np.arange(start, start + len(frame)) + 2
            start += len(frame)
            keep = frame.notna().any(axis=1).to_numpy() if len(frame.columns) else \
                np.ones(len(frame), dtype=bool)
            yield frame[keep].reset_index(drop=True), rows[keep]
    except UnicodeDecodeError:
        raise DataError([Diagnostic("file-not-found", f"{path} is not UTF-8 text",
                                    "Save the file as CSV UTF-8.", Location(str(path)))]) from None
    except (ValueError, OSError) as exc:
        from pandas.errors import ParserError

        if not isinstance(exc, (ParserError, OSError)) and "Error tokenizing" not in str(exc):
            raise
        raise DataError([Diagnostic("file-not-found", f"cannot read {path}: {exc}",
                                    "Check that the file is a valid CSV or Parquet file.",
                                    Location(str(path)))]) from None
    finally:
        bar.close()


def encode_responses(values: Any, columns: list[str]) -> list[str]:
    """Each row's answers as a compact JSON array in the order of ``columns``.

    ``[1,2,0,null,"free text"]``: the measure's response columns (stored once per measure
    version in ``measures.response_columns``) name the positions, so no row repeats them.
    Whole numbers are written without ``.0``; missing answers are ``null``.
    """
    import json

    import numpy as np
    import pandas as pd

    n = len(values)
    if not columns:
        return ["[]"] * n
    parts = []
    for col in columns:
        if col not in values.columns:
            parts.append(pd.Series(["null"] * n, dtype=object))
            continue
        s = values[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            arr = s.to_numpy(dtype=float, na_value=np.nan)
            ok = ~np.isnan(arr)
            if bool((arr[ok] == np.round(arr[ok])).all()) and bool(
                    (np.abs(arr[ok]) < 2**53).all()):
                text = pd.Series(arr).astype("Int64").astype("string").astype(object)
            else:
                text = pd.Series([repr(float(v)) for v in arr], dtype=object)
            parts.append(text.where(ok, "null"))
        else:
            obj = s.astype(object)
            parts.append(obj.map(lambda v: "null" if v is None or v is pd.NA or (
                isinstance(v, float) and v != v) else json.dumps(str(v), ensure_ascii=False)))
    out = "[" + parts[0]
    for p in parts[1:]:
        out = out + "," + p
    return list(out + "]")


def decode_responses(texts: Any, columns_of: Any) -> list[str]:
    """JSON objects (``{"item": answer}``) from stored answers of either form.

    ``texts`` are stored ``responses``; ``columns_of`` gives, per row, the measure's column
    list for arrays (rows stored before the compact form are objects already).
    """
    import json

    out = []
    for text, cols in zip(texts, columns_of):
        if isinstance(text, str) and text.startswith("[") and cols is not None:
            out.append(json.dumps(dict(zip(cols, json.loads(text))), ensure_ascii=False))
        else:
            out.append(text)
    return out
