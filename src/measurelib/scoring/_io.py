"""Reading whole data files (CSV/TSV, Excel, Parquet) into DataFrames of text cells."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from measurelib.errors import DataError, Diagnostic, Location


def read_table(path: str | os.PathLike[str], *, sheet: str | None = None) -> Any:
    """Read a data file as the scoring engine expects it (cells as text, blanks kept blank).

    Raises :class:`DataError` (code ``file-not-found``) when the file cannot be read.
    """
    import pandas as pd

    from measurelib.cli._score import _sep

    p = Path(path)
    if not p.is_file():
        raise DataError([Diagnostic("file-not-found", f"{p}: no such file",
                                    "Check the path of the data file.", Location(str(p)))])
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(p, sheet_name=sheet or 0, engine="openpyxl", dtype=object)
            return frame.dropna(how="all")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        return pd.read_csv(p, sep=_sep(p), dtype=str, keep_default_na=False, na_filter=False,
                           encoding="utf-8-sig", skip_blank_lines=True)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError([Diagnostic("file-not-found", f"cannot read {p}: {exc}",
                                    "Save the data as UTF-8 CSV or .xlsx.",
                                    Location(str(p)))]) from None
