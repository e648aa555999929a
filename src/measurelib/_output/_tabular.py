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

import math
import re
import sys
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


_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MAX_TEXT = 32_767  # characters in an Excel cell
_BLOCK_ROWS = 10_000  # rows turned into XML at once (bounds the writer's memory)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><sz val="11"/>'
    '<name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/>'
    '<name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" '
    'borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle '
    'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _xml_char(m: re.Match[str]) -> str:
    t = m.group(0)
    if t in _XML_ESCAPES:
        return _XML_ESCAPES[t]
    if len(t) > 1:  # text that reads like Excel's own escape: escape its underscore
        return "_x005F" + t
    return f"_x{ord(t):04X}_"


def _xml_text(value: str) -> str:
    """Text for an inline-string cell: at most 32,767 characters, XML-escaped, control
    characters written as Excel's ``_xHHHH_`` escapes (as XlsxWriter and Excel do).
    """
    if len(value) > _MAX_TEXT:
        value = value[:_MAX_TEXT]
    return _XML_SPECIAL.sub(_xml_char, value) if _XML_SPECIAL.search(value) else value


def _column_letters(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _cells(series: Any, letters: str, rows: list[str]) -> list[str]:
    """One column of a chunk as cell XML ("" for a blank cell), built column-wise."""
    import numpy as np
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        vals = series.astype(object).where(series.notna(), None).tolist()
        return ["" if v is None else f'<c r="{letters}{r}" t="b"><v>{int(bool(v))}</v></c>'
                for v, r in zip(vals, rows)]
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        if isinstance(dtype, np.dtype) and dtype.kind in "iu":
            ints = series.to_numpy().tolist()  # never missing, exact
            return [f'<c r="{letters}{r}"><v>{v}</v></c>' for v, r in zip(ints, rows)]
        num = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(num).all():
            return [f'<c r="{letters}{r}"><v>{v!r}</v></c>' for v, r in zip(num.tolist(), rows)]
        ok = np.isfinite(num).tolist()
        return [f'<c r="{letters}{r}"><v>{v!r}</v></c>' if o else ""
                for v, o, r in zip(num.tolist(), ok, rows)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        series = series.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pd.CategoricalDtype):  # the few labels once, then gathered
        cats = [_text_cell(c) for c in dtype.categories]
        codes = series.cat.codes.to_numpy().tolist()
        return ["" if c < 0 or not cats[c] else f'<c r="{letters}{r}"{cats[c]}</c>'
                for c, r in zip(codes, rows)]
    col = neutralise_frame(series.to_frame()).iloc[:, 0]  # vectorised: few cells change
    vals = col.astype(object).where(col.notna(), None).tolist()
    try:  # which cells need XML escapes, in one vectorised pass over a text column
        need = col.str.contains(_XML_SPECIAL.pattern, regex=True, na=False).to_numpy(
            dtype=bool) | (col.str.len() > _MAX_TEXT).fillna(False).to_numpy(dtype=bool)
        escape = need.tolist()
    except (AttributeError, TypeError):  # not a text column: every cell on its own
        escape = [True] * len(vals)
    head, tail = ' t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
    out = []
    for v, e, r in zip(vals, escape, rows):
        if v is None or v == "":
            out.append("")
        elif type(v) is str:
            out.append(f'<c r="{letters}{r}"{head}{_xml_text(v) if e else v}{tail}')
        else:
            body = _text_cell(v)
            out.append(f'<c r="{letters}{r}"{body}</c>' if body else "")
    return out


def _text_cell(v: Any) -> str:
    """The attributes and content of a cell holding ``v`` (after ``<c r="…"``), or ""."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return f' t="b"><v>{int(v)}</v>'
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"><v>{float(v)!r}</v>" if math.isfinite(v) else ""
    text = neutralise(v if isinstance(v, str) else str(v))
    return f' t="inlineStr"><is><t xml:space="preserve">{_xml_text(text)}</t></is>'


_LEVEL = "compress_level" if sys.version_info >= (3, 13) else "_compresslevel"


class XlsxStream:
    """A write-only ``.xlsx`` workbook: rows go to disk as they come (bounded memory).

    Each chunk of rows is turned into the sheet's XML column by column (numbers as
    numbers, text as inline strings, blanks left out) and appended to a temporary file;
    the workbook (a zip of the sheets and a few fixed parts) is put together on
    :meth:`close`. Every text cell and heading is neutralised, and text is always written
    as text (never turned into a formula, number or link). Several sheets may be written
    one after the other. Memory holds one chunk's XML at most.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    """

    MAX_ROWS = 1_048_576

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._sheets: list[tuple[str, Any]] = []  # (name, temporary file of sheet XML)
        self._fh: Any = None
        self._row = 0

    @property
    def rows(self) -> int:
        """Rows written to the current sheet, its heading included."""
        return self._row

    def _end_sheet(self) -> None:
        if self._fh is not None:
            self._fh.write(b"</sheetData></worksheet>")
            self._fh = None

    def sheet(self, name: str, headings: list[Any]) -> None:
        """Start a sheet and write its headings (neutralised, bold, frozen)."""
        import tempfile

        self._end_sheet()
        title = name[:31]
        if any(title.lower() == t.lower() for t, _ in self._sheets):
            raise ValueError(f"a sheet named {title!r} was already written")
        self._fh = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._sheets.append((title, self._fh))
        heads = "".join(
            f'<c r="{_column_letters(j)}1" s="1" t="inlineStr"><is><t xml:space="preserve">'
            f"{_xml_text(str(neutralise(str(h))))}</t></is></c>"
            for j, h in enumerate(headings))
        self._fh.write((
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView '
            'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><sheetData><row r="1">{heads}</row>'
        ).encode())
        self._row = 1

    def write_frame(self, frame: Any) -> None:
        """Append the rows of a DataFrame (column by column types; missing cells blank)."""
        if self._fh is None:
            self.sheet("Sheet1", list(frame.columns))
        n = len(frame)
        if self._row + n > self.MAX_ROWS:
            raise ValueError(f"{self._row - 1 + n:,} rows do not fit in an Excel sheet "
                             f"(at most {self.MAX_ROWS - 1:,})")
        letters = [_column_letters(j) for j in range(frame.shape[1])]
        for s in range(0, n, _BLOCK_ROWS):  # the XML of a block of rows at a time
            block = frame.iloc[s:s + _BLOCK_ROWS]
            rows = [str(r) for r in range(self._row + 1, self._row + len(block) + 1)]
            cols = [_cells(block.iloc[:, j], letters[j], rows) for j in range(len(letters))]
            xml = "".join([f'<row r="{r}">{"".join(cells)}</row>'
                           for r, cells in zip(rows, zip(*cols))])
            self._fh.write(xml.encode("utf-8", "replace"))
            self._row += len(block)

    def close(self) -> None:
        """Finish the workbook (writes the zip)."""
        import shutil
        import zipfile

        self._end_sheet()
        if not self._sheets:
            self.sheet("Sheet1", [])
            self._end_sheet()
        k = len(self._sheets)
        types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{_CT}.worksheet+xml"/>' for i in range(1, k + 1))
        parts = {
            "[Content_Types].xml": (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                f'ContentType="{_CT}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
                f'ContentType="{_CT}.styles+xml"/>{types}</Types>'),
            "_rels/.rels": (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": (
                f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
                "</bookViews><sheets>" + "".join(
                    f'<sheet name="{_xml_text(t).replace(chr(34), "&quot;")}" '
                    f'sheetId="{i}" r:id="rId{i}"/>'
                    for i, (t, _) in enumerate(self._sheets, 1)) + "</sheets></workbook>"),
            "xl/_rels/workbook.xml.rels": (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}">' + "".join(
                    f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, k + 1))
                + f'<Relationship Id="rId{k + 1}" Type="{_REL}/styles" '
                'Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": _STYLES,
        }
        try:
            with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, text in parts.items():
                    zf.writestr(name, text)
                for i, (_, fh) in enumerate(self._sheets, 1):
                    info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml",
                                           date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    # level 1: four times faster than the default, 3 % larger
                    setattr(info, _LEVEL, 1)
                    info.file_size = fh.seek(0, 2)  # known size: zip64 only when needed
                    fh.seek(0)
                    with zf.open(info, "w") as dest:
                        shutil.copyfileobj(fh, dest, 1 << 20)
        finally:
            for _, fh in self._sheets:
                fh.close()
            self._sheets = []


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
