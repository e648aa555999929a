"""The streaming .xlsx writer: every cell type, hostile text, several sheets, bounded chunks."""

from __future__ import annotations

import math
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from measurelib._output import XlsxStream, write_xlsx


def excel_text(v):
    """Text as Excel shows it: ``_xHHHH_`` escapes decoded (openpyxl leaves them)."""
    if not isinstance(v, str):
        return v
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), v)


def read_back(path, sheet=None):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return wb, ws, [[excel_text(c.value) for c in row] for row in ws.iter_rows()]


def test_types_blanks_and_layout(tmp_path):
    frame = pd.DataFrame({
        "id": pd.Series(["p1", "p2", None], dtype="string"),
        "total": [1.5, np.nan, math.inf],
        "n": np.array([0, 3, -2], dtype=np.int64),
        "nullable": pd.array([1, None, 3], dtype="Int64"),
        "flag": pd.array([True, None, False], dtype="boolean"),
        "band": pd.Categorical(["Mild", None, "Severe"]),
        "when": pd.to_datetime(["2025-01-23", None, "2024-12-31"]),
        "mixed": pd.Series([2, "two", 2.5], dtype=object),
    })
    path = tmp_path / "out.xlsx"
    write_xlsx({"scores": frame}, path)
    wb, ws, rows = read_back(path)
    assert wb.sheetnames == ["scores"]
    assert rows[0] == list(frame.columns)
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert rows[1] == ["p1", 1.5, 0, 1, True, "Mild", "2025-01-23", 2]
    assert rows[2] == ["p2", None, 3, None, None, None, None, "two"]
    assert rows[3] == [None, None, -2, 3, False, "Severe", "2024-12-31", 2.5]
    assert isinstance(ws["C2"].value, int) and ws["B2"].data_type == "n"
    assert ws["A2"].data_type == "s"


HOSTILE = ["=1+1", "+SUM(A1)", "-3", "@cmd", "\t=x", "a\r=1", "<b>&amp;</b>", "_x0041_",
           "bell\x07here", "  padded  ", "line\nbreak", "émoji 😀", "x" * 40_000, '"quoted"']


def test_hostile_text_is_text(tmp_path):
    frame = pd.DataFrame({"=head": HOSTILE, "v": range(len(HOSTILE))})
    path = tmp_path / "h.xlsx"
    write_xlsx({"data": frame}, path)
    _, ws, rows = read_back(path)
    assert rows[0][0] == "'=head"
    got = [r[0] for r in rows[1:]]
    assert got[:4] == ["'=1+1", "'+SUM(A1)", "-3", "'@cmd"]
    assert got[4] == "'\t=x" and got[5] == "a\n=1"
    assert got[6] == "<b>&amp;</b>" and got[7] == "_x0041_"  # Excel's escape kept literal
    assert got[8] == "bell\x07here" and got[9] == "  padded  " and got[10] == "line\nbreak"
    assert got[11] == "émoji 😀" and got[12] == "x" * 32_767 and got[13] == '"quoted"'
    assert all(ws.cell(row=i, column=1).data_type == "s" for i in range(2, len(HOSTILE) + 2))
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "=1+1</t>" in xml


def test_chunks_sheets_and_row_limit(tmp_path):
    path = tmp_path / "s.xlsx"
    out = XlsxStream(path)
    out.sheet("scores", ["a", "b"])
    for start in range(0, 10, 4):
        out.write_frame(pd.DataFrame({"a": range(start, min(start + 4, 10)), "b": "x"}))
    assert out.rows == 11
    out.sheet("rejected", ["row", "reason"])
    out.write_frame(pd.DataFrame({"row": [3], "reason": ["invalid-answer"]}))
    with pytest.raises(ValueError, match="already written"):
        out.sheet("Scores", ["c"])
    out.close()
    wb, _, rows = read_back(path, "scores")
    assert wb.sheetnames == ["scores", "rejected"]
    assert [r[0] for r in rows[1:]] == list(range(10))
    assert [[c.value for c in r] for r in wb["rejected"].iter_rows()] == [
        ["row", "reason"], [3, "invalid-answer"]]
    big = XlsxStream(tmp_path / "big.xlsx")
    big.sheet("s", ["a"])
    big._row = XlsxStream.MAX_ROWS - 1
    with pytest.raises(ValueError, match="do not fit"):
        big.write_frame(pd.DataFrame({"a": [1, 2]}))
    big.close()


def test_empty_workbook_opens(tmp_path):
    out = XlsxStream(tmp_path / "e.xlsx")
    out.close()
    wb = openpyxl.load_workbook(tmp_path / "e.xlsx")
    assert wb.sheetnames == ["Sheet1"]
    write_xlsx({"only headings": pd.DataFrame(columns=["a", "b"])}, tmp_path / "h.xlsx")
    _, _, rows = read_back(tmp_path / "h.xlsx")
    assert rows == [["a", "b"]]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**9, 10**9))),
    min_size=1, max_size=30))
def test_any_text_and_numbers_round_trip(tmp_path_factory, cells):
    path = tmp_path_factory.mktemp("x") / "p.xlsx"
    frame = pd.DataFrame({"t": pd.Series([c[0] for c in cells], dtype=object),
                          "v": pd.Series([c[1] for c in cells], dtype=object)})
    write_xlsx({"data": frame}, path)
    _, _, rows = read_back(path)
    for (text, num), (got_t, got_v) in zip(cells, rows[1:]):
        from measurelib._output import neutralise

        want = neutralise(text)
        if want == "":
            assert got_t is None
        else:
            assert got_t == want
        if num is None or (isinstance(num, float) and not math.isfinite(num)):
            assert got_v is None
        else:
            assert got_v == num
