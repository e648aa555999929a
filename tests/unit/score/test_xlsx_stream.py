"""The write-only workbook writer: every cell as its column's type, text neutralised.

``XlsxStream.write_frame`` neutralises text column by column and writes each column with
its one XlsxWriter call; read back with openpyxl, every cell must be what the cell-by-cell
rule gives: blank for a missing value or ``""``, a number for a numeric column, a boolean
for a boolean column, an ISO date for a date, and text neutralised (a formula-like text
gets its apostrophe), for plain, Arrow-backed, categorical and mixed object columns.
"""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measurelib._output._tabular import XlsxStream, neutralise, write_xlsx

TEXTS = st.one_of(st.sampled_from(["", "=1+1", "-3", "+x", "@SUM(A1)", "a\rb", "\tx", "plain",
                                   "  spaced ", "é", "Mild", "10"]),
                  st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12))


def expected(v: Any) -> Any:
    """The cell-by-cell rule (what openpyxl reads back)."""
    if v is None or v is pd.NA or (isinstance(v, float) and (v != v or abs(v) == np.inf)):
        return None
    if isinstance(v, str):
        return neutralise(v) or None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return str(neutralise(str(v)))


def round_17(v: Any) -> Any:
    """Numbers as XlsxWriter writes them (``%.16G``: 16 significant digits)."""
    return float(f"{v:.15e}") if isinstance(v, float) else v


def read_back(path: Path, rows: int, cols: int) -> list[list[Any]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.worksheets[0]
    got = [[c for c in row] for row in sheet.iter_rows(min_row=2, max_row=rows + 1,
                                                          max_col=cols, values_only=True)]
    book.close()
    # trailing rows with no cell at all come back missing: pad them
    got += [[None] * cols for _ in range(rows - len(got))]
    return [[float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
             for v in (row + (None,) * (cols - len(row)) if isinstance(row, tuple) else
                       row + [None] * (cols - len(row)))] for row in got]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(TEXTS, st.one_of(st.none(), st.floats(allow_nan=True)),
                          st.one_of(st.none(), st.booleans()),
                          st.one_of(st.none(), TEXTS, st.integers(-5, 5), st.booleans(),
                                    st.just(decimal.Decimal("2.5")), st.floats(-1e6, 1e6))),
                min_size=1, max_size=40))
def test_write_frame_cells_are_the_cell_by_cell_rule(tmp_path: Path,
                                                     rows: list[tuple[Any, ...]]) -> None:
    text, num, flag, mixed = (list(c) for c in zip(*rows))
    frame = pd.DataFrame({
        "text": pd.Series(text, dtype=object),
        "str": pd.Series(text, dtype="str"),
        "num": pd.Series(num, dtype="float64"),
        "flag": pd.Series(flag, dtype="boolean"),
        "mixed": pd.Series(mixed, dtype=object),
        "band": pd.Series(text, dtype="category"),
    })
    path = tmp_path / "out.xlsx"
    write_xlsx({"scores": frame}, path)
    got = read_back(path, len(frame), frame.shape[1])
    for i in range(len(frame)):
        want = [expected(text[i]), expected(text[i]), expected(num[i]), expected(flag[i]),
                expected(mixed[i]), expected(text[i])]
        assert [round_17(v) for v in got[i]] == [round_17(v) for v in want], (i, got[i], want)


def test_dates_integers_and_headings(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "=when": pd.to_datetime(["2025-01-23", None, "2024-12-31"]),
        "n": pd.Series([1, 2, 3], dtype="int64"),
        "k": pd.Series([1, None, 3], dtype="Int64"),
    })
    path = tmp_path / "d.xlsx"
    out = XlsxStream(path)
    out.sheet("s", list(frame.columns))
    out.write_frame(frame)
    out.write_frame(frame.iloc[:1])  # a second chunk continues below the first
    out.close()
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert rows[0] == ["'=when", "n", "k"]
    assert rows[1] == ["2025-01-23", 1, 1]
    assert rows[2][0] is None and rows[2][2] is None and rows[2][1] == 2
    assert rows[3] == ["2024-12-31", 3, 3]
    assert rows[4] == ["2025-01-23", 1, 1]
    assert len(rows) == 5


def test_mixed_object_column_other_values_are_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": pd.Series([datetime.date(2025, 1, 2), "=A1", 3, True, "",
                                          None, decimal.Decimal("-1")], dtype=object)})
    path = tmp_path / "m.xlsx"
    write_xlsx({"s": frame}, path)
    got = [r[0] for r in read_back(path, len(frame), 1)]
    assert got == ["2025-01-02", "'=A1", 3.0, True, None, None, "-1"]  # a number stays
