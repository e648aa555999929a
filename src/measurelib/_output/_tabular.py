r"""The one neutraliser of spreadsheet formulas: every tabular writer passes its cells here.

A text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so that Excel and LibreOffice
show it as text (OWASP, "CSV Injection"). Numbers, including signed ones, are unchanged.
Line breaks inside a cell become ``\n`` (a bare carriage return is what spreadsheets read
as a new row, so it must never reach a file unquoted), and the CSV writers here quote every
cell holding one. Column headings are cells too.

Every writer of a table that a person may open in a spreadsheet uses this module:
:func:`neutralise` for one value, :func:`neutralise_frame` for a DataFrame (vectorised,
headings included), :func:`write_csv` for CSV/TSV, :class:`XlsxStream` for ``.xlsx`` (a
write-only workbook: rows go to disk as they come, so memory does not grow with the
table) and :func:`neutralise_workbook` for an openpyxl workbook built cell by cell.
Expressions meant for a program (XLSForm calculations, REDCap branching logic) use
``neutralise(value, expression=True)``, which wraps them in parentheses instead: the
meaning is kept and no spreadsheet reads them as a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TextIO

__all__ = ["DANGEROUS", "XlsxStream", "is_neutral", "neutralise", "neutralise_frame",
           "neutralise_workbook", "write_csv", "write_xlsx"]

#: First characters that make a spreadsheet read a text cell as a formula.
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CR = re.compile(r"\r\n?")


def neutralise(value: Any, *, expression: bool = False) -> Any:
    r"""A text cell made safe for spreadsheets; numbers and other values unchanged.

    Parameters
    ----------
    value
        Any cell value; only ``str`` is changed.
    expression : bool, default False
        The text is an expression for a program (an XLSForm calculation, REDCap logic):
        wrap it in parentheses rather than prefix an apostrophe.

    >>> neutralise("=1+1"), neutralise("-3"), neutralise("plain"), neutralise("a\r=1")
    ("'=1+1", '-3', 'plain', 'a\n=1')
    """
    if not isinstance(value, str):
        return value
    if "\r" in value:
        value = _CR.sub("\n", value)
    if value.startswith(DANGEROUS) and not _NUMBER.match(value):
        return f"({value})" if expression else "'" + value
    return value


def is_neutral(value: Any) -> bool:
    """True when a cell read back from a file cannot be taken for a formula."""
    if not isinstance(value, str):
        return True
    if "\r" in value:
        return False
    return not value.startswith(DANGEROUS) or bool(_NUMBER.match(value))


def _text_like(series: Any) -> bool:
    import pandas as pd

    dtype = series.dtype
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def neutralise_frame(frame: Any) -> Any:
    """A DataFrame with every text cell and every heading neutralised (vectorised).

    The frame is returned as it is when nothing needs changing; otherwise a shallow copy
    with the changed columns replaced. Categorical columns have their categories
    neutralised (a cheap operation on the few labels, not on the rows).
    """
    import pandas as pd

    headings = [neutralise(str(c)) if isinstance(c, str) else c for c in frame.columns]
    out = frame
    if headings != list(frame.columns):
        out = frame.set_axis(headings, axis=1)  # a new frame sharing the data
    replaced: dict[int, Any] = {}
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
                fixed = [neutralise(c) for c in cats]
                if fixed != list(cats):
                    replaced[i] = s.cat.rename_categories(
                        _unique_labels(fixed))
            continue
        if not _text_like(s):
            continue
        try:
            text = s.str
        except AttributeError:  # an object column without any text
            continue
        risky = text.startswith(DANGEROUS, na=False) | text.contains("\r", regex=False,
                                                                      na=False)
        mask = risky.to_numpy(dtype=bool)
        if mask.any():
            col = s.astype(object).copy()
            col[mask] = [neutralise(v) for v in s[mask]]
            replaced[i] = col
    if not replaced:
        return out
    if out is frame:
        out = frame.copy(deep=False)
    for i, col in replaced.items():
        out.isetitem(i, col)
    return out


def _unique_labels(labels: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for lab in labels:
        while lab in seen:
            lab = f"{lab} "
        seen.add(lab)
        out.append(lab)
    return out


def write_csv(frame: Any, target: str | Path | TextIO, *, sep: str = ",", header: bool = True,
              append: bool = False) -> None:
    r"""Write a DataFrame as CSV (or TSV with ``sep="\t"``), neutralised, UTF-8, no index.

    Cells with line breaks are quoted; nothing else is. ``append`` adds to an existing file
    (chunked writers).
    """
    safe = neutralise_frame(frame)
    kw: dict[str, Any] = {"index": False, "header": header, "sep": sep, "lineterminator": "\n"}
    if isinstance(target, (str, Path)):
        safe.to_csv(target, mode="a" if append else "w", encoding="utf-8", **kw)
    else:
        safe.to_csv(target, **kw)


class XlsxStream:
    """A write-only ``.xlsx`` workbook: rows go to disk as they come (bounded memory).

    Built on XlsxWriter's ``constant_memory`` mode, which writes each row as soon as the
    next one starts; every text cell and heading is neutralised, and text is always written
    as text (never turned into a formula, number or link). Several sheets may be written one
    after the other.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    """

    MAX_ROWS = 1_048_576

    def __init__(self, path: str | Path) -> None:
        import xlsxwriter

        self.path = str(path)
        self._book = xlsxwriter.Workbook(self.path, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "nan_inf_to_errors": False})
        self._sheet: Any = None
        self._row = 0
        self._bold = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})

    @property
    def rows(self) -> int:
        """Rows written to the current sheet, its heading included."""
        return self._row

    def sheet(self, name: str, headings: list[Any]) -> None:
        """Start a sheet and write its headings (neutralised, bold, frozen)."""
        self._sheet = self._book.add_worksheet(name[:31])
        self._row = 0
        self._sheet.freeze_panes(1, 0)
        for j, h in enumerate(headings):
            self._sheet.write_string(0, j, str(neutralise(str(h))), self._bold)
        self._row = 1

    def write_frame(self, frame: Any) -> None:
        """Append the rows of a DataFrame (column by column types; missing cells blank).

        Text is neutralised column by column (:func:`neutralise_frame`: vectorised string
        tests, only cells that start like a formula change), each column becomes one list
        of cells (None: blank) and each column gets its one XlsxWriter call (number, string,
        boolean), so that the loop over the cells does nothing but call it.
        """
        if self._sheet is None:
            self.sheet("Sheet1", list(frame.columns))
        n = len(frame)
        if self._row + n > self.MAX_ROWS:
            raise ValueError(f"{self._row - 1 + n:,} rows do not fit in an Excel sheet "
                             f"(at most {self.MAX_ROWS - 1:,})")
        sheet = self._sheet
        safe = neutralise_frame(frame)
        columns = [(j, *self._column(safe.iloc[:, j], sheet)) for j in range(frame.shape[1])]
        r0 = self._row
        for k in range(n):
            r = r0 + k
            for j, write, cells in columns:
                v = cells[k]
                if v is not None:
                    write(r, j, v)
        self._row = r0 + n

    @staticmethod
    def _column(s: Any, sheet: Any) -> tuple[Any, list[Any]]:
        """The XlsxWriter call for a column's cells, and the cells (None: left blank)."""
        import numpy as np
        import pandas as pd

        dtype = s.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return sheet.write_boolean, [None if v is None else bool(v) for v in
                                         s.astype(object).where(s.notna(), None).tolist()]
        if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
            vals = s.to_numpy(dtype=np.float64, na_value=np.nan)
            lst: list[Any] = vals.tolist()
            if not np.isfinite(vals).all():
                lst = [None if v != v or v in (np.inf, -np.inf) else v for v in lst]
            return sheet.write_number, lst
        if pd.api.types.is_datetime64_any_dtype(dtype):
            txt = s.dt.strftime("%Y-%m-%d").astype(object)  # missing dates: None, not NaN
            return sheet.write_string, txt.where(txt.notna(), None).tolist()
        obj = s.astype(object)
        cells = obj.where(obj.notna(), None).tolist()
        if all(type(v) is str or v is None for v in cells):
            return sheet.write_string, [v if v else None for v in cells]  # "" left blank
        return _write_any(sheet), [None if v == "" else v for v in cells]

    def close(self) -> None:
        """Finish the workbook (writes the zip)."""
        self._book.close()


def _write_any(sheet: Any) -> Any:
    """A cell writer for an object column of mixed types (text neutralised)."""

    def write(r: int, j: int, v: Any) -> None:
        if isinstance(v, str):
            sheet.write_string(r, j, v)
        elif isinstance(v, bool):
            sheet.write_boolean(r, j, v)
        elif isinstance(v, (int, float)):
            sheet.write(r, j, v)
        else:
            sheet.write_string(r, j, str(neutralise(str(v))))

    return write


def write_xlsx(sheets: dict[str, Any], path: str | Path) -> Path:
    """Write DataFrames to one ``.xlsx`` file, one sheet each, through :class:`XlsxStream`."""
    out = XlsxStream(path)
    try:
        for name, frame in sheets.items():
            out.sheet(name, list(frame.columns))
            out.write_frame(frame)
    finally:
        out.close()
    return Path(path)


def neutralise_workbook(workbook: Any) -> Any:
    """Neutralise every text cell of an openpyxl workbook in place (before saving it).

    For workbooks built cell by cell (entry sheets, XLSForm): openpyxl would save text
    starting with ``=`` as a formula. Data validations and other formulas that the
    workbook sets on purpose are not cell values and are kept.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str):
                    safe = neutralise(v)
                    if safe is not v or cell.data_type == "f":
                        cell.value = safe
                        cell.data_type = "s"
    return workbook
