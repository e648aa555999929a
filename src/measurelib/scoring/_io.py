"""Response files in and out: the one reader and writer of data files, and ``score_file``.

Every stage that reads a file of responses (scoring, the store's import, the assessment,
the importers) reads it with :func:`read_responses`, so that blank rows, blank cells and
row numbers follow one rule: cells are text exactly as the file holds them, a blank cell is
missing, a wholly blank row is not a row, and the row number in a message is the row a
spreadsheet shows (the heading is row 1). :func:`score_file` scores a file of any size in
chunks, with memory bounded by the chunk size.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from measurelib._output import XlsxStream, check_output, neutralise_frame, write_csv
from measurelib._progress import progress
from measurelib._results import to_jsonable
from measurelib.compose import as_measure
from measurelib.definition import format_limit, limit
from measurelib.errors import DataError, Diagnostic, Location
from measurelib.scoring._guard import (
    cell_too_long,
    check_cells,
    check_columns,
    check_size,
    check_workbook,
    limit_error,
)
from measurelib.scoring._score import ScoreAccount, score

__all__ = ["READ_SUFFIXES", "WRITE_SUFFIXES", "FileUsageError", "ResponseWriter", "ScoreFileResult",
           "ScoreStats", "check_data_file", "detect_separator", "iter_response_chunks",
           "read_responses", "records", "score_file", "spreadsheet_safe", "summary_text",
           "suppress_counts"]

READ_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
WRITE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")


# ----------------------------------------------------------------------------- reading
_EXCEL = (".xlsx", ".xlsm")
_PARQUET = (".parquet", ".pq")
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx)", ".xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", ".xls"),
    (b"PAR1", "a Parquet file", ".parquet"),
)


def _where(path: Path) -> str:
    return str(path)


def check_data_file(path: str | os.PathLike[str]) -> str:
    """The kind of a data file (``"text"``, ``"excel"``, ``"parquet"``), checked by content.

    Raises :class:`DataError` (``file-not-found``, ``usage``, ``data-file-type``) when the
    file is missing, of a type not read, or not what its name says: an Excel workbook
    renamed ``.csv`` is named as such, with what to do.
    """
    p = Path(path)
    shown = _where(p)
    if p.is_dir():
        raise DataError([Diagnostic("usage", f"{shown} is a folder, not a data file",
                                    "Give the path of a .csv, .tsv, .xlsx or .parquet file "
                                    "inside it.", Location(shown))])
    if not p.is_file():
        raise DataError([Diagnostic("file-not-found", f"{shown}: no such file",
                                    "Check the path of the data file.", Location(shown))])
    suffix = p.suffix.lower()
    if suffix not in READ_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        raise DataError([Diagnostic("usage", f"{shown}: cannot read {kind}",
                                    "Give a .csv, .tsv, .xlsx or .parquet file.", Location(shown))])
    check_size(p, shown)
    with open(p, "rb") as fh:
        head = fh.read(8)
    found = next(((what, ext) for sig, what, ext in _SIGNATURES if head.startswith(sig)), None)
    expected = "excel" if suffix in _EXCEL else "parquet" if suffix in _PARQUET else "text"
    actual = "text" if found is None else ("parquet" if found[1] == ".parquet" else "excel")
    if found is not None and found[1] == ".xls":
        raise DataError([Diagnostic(
            "data-file-type", f"{shown} is {found[0]}, which is not read",
            "Open it in Excel and save it as .xlsx or as CSV UTF-8.", Location(shown))])
    if actual != expected:
        if found is not None:
            msg = f"{shown} is {found[0]}, not a {suffix} file"
            hint = f"Rename it to {p.stem}{found[1]}, or save it from Excel as CSV UTF-8."
        else:
            msg = f"{shown} is not {'an Excel workbook' if expected == 'excel' else 'a Parquet file'}"
            hint = "Rename it to .csv if it is text, or save it again from the program that made it."
        raise DataError([Diagnostic("data-file-type", msg, hint, Location(shown))])
    return expected


def detect_separator(path: Path) -> str:
    """The field separator of a delimited text file: the one rule for every reader.

    Tab for ``.tsv``; otherwise the most frequent of comma, semicolon and tab in the heading
    row (outside double quotes), comma when there is none.
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    outside = "".join(head.split('"')[::2])  # drop quoted parts
    counts = {s: outside.count(s) for s in (",", ";", "\t")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def _column_label(j: int) -> str:
    """Spreadsheet column letters of 0-based column ``j`` (0 → A, 26 → AA)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _check_headings(headings: list[Any], shown: str) -> list[str]:
    """Headings stripped of spaces; a heading that appears twice is a located error."""
    names = ["" if h is None else str(h).strip() for h in headings]
    seen: dict[str, int] = {}
    problems = []
    for j, h in enumerate(names):
        if h and h in seen:
            problems.append(Diagnostic(
                "ambiguous-column", f"the heading {h!r} appears twice (columns "
                f"{_column_label(seen[h])} and {_column_label(j)})",
                "Rename or remove one of the two columns.",
                Location(file=shown, row=1, field=h)))
        seen.setdefault(h, j)
    if problems:
        raise DataError(problems, title=f"duplicate column headings in {shown}")
    return names


#: Bytes a heading row may take per allowed column (``data_columns``): far above any name.
HEADING_BYTES = 256


def _text_headings(path: Path, sep: str) -> tuple[list[str], int]:
    """The heading row of a text file and the byte offset just after it.

    The row is read with a bound (``data_columns`` × 256 bytes) and its columns and cells
    are checked against the limits before any of the body is read.
    """
    shown = _where(path)
    columns = limit("data_columns")
    bound = -1 if columns is None else columns * HEADING_BYTES
    with open(path, "rb") as fh:
        first = fh.readline(bound)
        offset = fh.tell()
    endless = bound > 0 and len(first) >= bound and not first.endswith(b"\n")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not endless:
            raise _not_utf8(path, 1) from None
        text = first.decode("utf-8-sig", errors="ignore")  # cut inside a character
    row = next(csv.reader([text.rstrip("\r\n")], delimiter=sep), []) if text else []
    check_columns(len(row), shown)
    cells = limit("cell_chars")
    for j, h in enumerate(row):
        if cells is not None and len(h) > cells:
            raise cell_too_long(shown, 1, _column_label(j))
    if endless:
        raise limit_error("data_columns", f"the heading row of {shown} is longer than "
                          f"{bound:,} bytes ({HEADING_BYTES} per column allowed by "
                          f"data_columns = {columns:,})", Location(shown, row=1))
    return _check_headings(row, shown), offset


def _not_utf8(path: Path, row: int | None) -> DataError:
    where = f" (at row {row} or after)" if row and row > 1 else ""
    return DataError([Diagnostic(
        "data-not-utf8", f"{_where(path)} is not UTF-8 text{where}",
        "Save the file as CSV UTF-8 (Excel: File > Save As > CSV UTF-8).",
        Location(_where(path), row=row))])


def _too_many_fields(block: bytes, sep: str, n_fields: int, first_row: int,
                     path: Path) -> DataError:
    """Every row of a block with more fields than the heading row, located."""
    text = block.decode("utf-8", errors="replace")
    problems = []
    for k, fields in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=sep)):
        if len(fields) > n_fields:
            problems.append(Diagnostic(
                "data-too-many-fields", f"row {first_row + k} has {len(fields)} fields but the "
                f"heading row has {n_fields}",
                "Remove the extra separators in that row, or put the cell that holds one in "
                "double quotes.", Location(_where(path), row=first_row + k)))
            if len(problems) >= 50:
                break
    if not problems:
        problems.append(Diagnostic("data-unreadable", f"{_where(path)}: rows from {first_row} "
                                   "cannot be read as CSV", "Check the quotes in those rows.",
                                   Location(_where(path), row=first_row)))
    return DataError(problems, title=f"{len(problems)} malformed row(s) in {_where(path)}")


def _line_blocks(fh: Any, chunksize: int, max_record: int, first_row: int,
                 on_long: Any) -> Any:
    """Blocks of whole records (at most ``chunksize`` lines; never cutting a quoted cell).

    Yields ``(block, longest)``: the bytes and the length of its longest line (a quoted
    cell running over lines counts whole). No record is read past ``max_record`` bytes
    (-1: no bound): ``on_long(row, text)`` is called with the row and the cut text and
    must raise.
    """
    import itertools

    row = first_row
    read = iter(lambda: fh.readline(max_record), b"")
    while True:
        lines = list(itertools.islice(read, chunksize))
        if not lines:
            return
        longest = max(map(len, lines))
        if max_record > 0 and longest >= max_record:
            for k, line in enumerate(lines):
                if len(line) >= max_record and not line.endswith(b"\n"):
                    on_long(row + k, line)
        block = b"".join(lines)
        if b'"' in block and any(line.count(b'"') % 2 for line in lines):
            longest = len(block)  # a quoted cell spans lines: its length is not a line's
        if block.count(b'"') % 2:  # a quoted cell runs on: take lines until it closes
            start, parity = 0, 0
            for k, line in enumerate(lines):  # where the open record starts
                if not parity:
                    start = k
                parity ^= line.count(b'"') & 1
            record = sum(map(len, lines[start:]))
            while True:
                if max_record > 0 and record > max_record:
                    on_long(row + start, block[-record:])
                more = fh.readline(max_record)
                if not more:
                    break
                block += more
                record += len(more)
                longest = max(longest, record)
                parity ^= more.count(b'"') & 1
                if not parity:
                    break
        row += len(lines)
        yield block, longest


@dataclass
class _Chunk:
    frame: Any  # rows kept (blank rows dropped); index = spreadsheet row numbers
    raw: bytes | None  # the text of a CSV block read with numeric columns, to read again
    rows_read: int  # records read, blank ones included
    done: int  # progress: bytes or rows so far
    again: Any = None  # () -> the same rows read as text

    def reread(self) -> Any:
        return self.again() if self.again is not None else self.frame


def _blank_rows(frame: Any) -> Any:
    """Wholly blank rows (every cell missing or empty), found column by column."""
    import numpy as np

    n = len(frame)
    if n == 0 or frame.shape[1] == 0:
        return np.zeros(n, dtype=bool)
    blank = np.ones(n, dtype=bool)
    for j in range(frame.shape[1]):
        idx = np.flatnonzero(blank)
        if idx.size == 0:
            break
        col = frame.iloc[idx, j]
        arr = col.to_numpy()
        if arr.dtype.kind == "f":
            empty = np.isnan(arr)
        else:
            empty = col.isna().to_numpy() | (col.astype(object) == "").to_numpy()
        blank[idx[~empty]] = False
    return blank


def _finish(frame: Any, first_row: int) -> Any:
    """Blank rows dropped; the index is each row's spreadsheet row number."""
    import pandas as pd

    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    blank = _blank_rows(frame)
    return frame.loc[~blank] if blank.any() else frame


def _read_block(block: bytes, headings: list[str], sep: str, numeric: set[str] | None,
                path: Path, first_row: int) -> Any:
    import pandas as pd
    from pandas.errors import ParserError

    dtype: Any = str
    if numeric:
        dtype = {h: (np.float64 if h in numeric else object) for h in headings}
    # the parser takes the first row's extra fields silently (later rows raise): check it
    nl = block.find(b"\n")
    first_line = block[: nl if nl >= 0 else len(block)]
    if first_line.count(sep.encode()) >= len(headings) and len(next(csv.reader(
            [first_line.decode("utf-8", errors="replace")], delimiter=sep), [])) > len(headings):
        raise _too_many_fields(block, sep, len(headings), first_row, path)
    try:
        return pd.read_csv(io.BytesIO(block), header=None, names=headings, sep=sep,
                           index_col=False, dtype=dtype, keep_default_na=False,
                           na_values=[""], skip_blank_lines=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(path, first_row) from None
    except ParserError:
        raise _too_many_fields(block, sep, len(headings), first_row, path) from None


def _text_chunks(path: Path, chunksize: int, numeric: set[str] | None) -> Any:
    import pandas as pd

    sep = detect_separator(path)
    headings, offset = _text_headings(path, sep)
    if len(set(headings)) < len(headings):  # blank headings twice: name them by position
        headings = [h or f"column {_column_label(j)}" for j, h in enumerate(headings)]
    numeric = {h for h in headings if h in numeric} if numeric else None
    cells = limit("cell_chars")
    # a record of the heading row's width, every cell at the limit, quoted and in 4-byte
    # characters, is the longest that can be genuine: nothing longer is ever read whole
    max_record = -1 if cells is None else max(1, len(headings)) * (4 * cells + 3) + 2

    def on_long(row: int, text: bytes) -> None:
        line = text.decode("utf-8", errors="ignore")
        n_fields = "".join(line.split('"')[::2]).count(sep) + 1  # separators outside quotes
        if n_fields > len(headings):
            raise DataError([Diagnostic(
                "data-too-many-fields", f"row {row} has at least {n_fields:,} fields but "
                f"the heading row has {len(headings):,}", "Remove the extra separators in "
                "that row, or put the cell that holds one in double quotes.",
                Location(_where(path), row=row))])
        j = n_fields - 1
        raise cell_too_long(_where(path), row, headings[j] if j < len(headings) else None)

    first = 2
    any_rows = False
    with open(path, "rb") as fh:
        fh.seek(offset)
        for block, longest in _line_blocks(fh, chunksize, max_record, first, on_long):
            def as_text(block: bytes = block, first: int = first) -> Any:
                return _finish(_read_block(block, headings, sep, None, path, first), first)

            frame = None
            if numeric:
                try:
                    frame = _read_block(block, headings, sep, numeric, path, first)
                except DataError:
                    raise
                except ValueError:  # a cell that is not a number: read the block as text
                    frame = None
            if cells is not None and longest > cells:  # some cell may be too long: look
                check_cells(as_text(), _where(path))
            if frame is None:
                text = _read_block(block, headings, sep, None, path, first)
                n = len(text)
                yield _Chunk(_finish(text, first), None, n, fh.tell())
            else:
                n = len(frame)
                yield _Chunk(_finish(frame, first), block, n, fh.tell(), as_text)
            any_rows = True
            first += n
    if not any_rows:
        yield _Chunk(pd.DataFrame({h: pd.Series(dtype=object) for h in headings}), None, 0, 0)


def _excel_chunks(path: Path, chunksize: int, sheet: str | None) -> Any:
    import pandas as pd
    from openpyxl import load_workbook

    scan = check_workbook(path, shown=_where(path))  # sizes and cells, before openpyxl
    long_cells = scan.cells_may_exceed()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure of openpyxl is a bad workbook
        raise DataError([Diagnostic("data-unreadable", f"{_where(path)} cannot be read as an "
                                    f"Excel workbook ({type(exc).__name__})",
                                    "Open it in Excel and save it again as .xlsx.",
                                    Location(_where(path)))]) from None
    closing: list[Any] = []  # the sheet's reader: closed before the workbook
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise DataError([Diagnostic("usage", f"{_where(path)} has no sheet {sheet!r} (it "
                                        f"has {', '.join(map(repr, wb.sheetnames))})",
                                        "Name one of its sheets with --sheet.",
                                        Location(_where(path)))])
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        closing.append(rows)
        head = next(rows, None) or ()
        headings = _check_headings(list(head), _where(path))
        while headings and not headings[-1]:
            headings.pop()
        width = len(headings)
        check_columns(width, _where(path))
        if long_cells:
            check_cells(pd.DataFrame([headings], index=[1], dtype=object,
                                     columns=[_column_label(j) for j in range(width)]),
                        _where(path))
        first = 2
        pending: list[list[Any]] = []  # trailing blank rows are held back, then dropped
        buf: list[list[Any]] = []
        n_read = 0
        for row in rows:
            cells = [None if v is None or v == "" else _cell_text(v) for v in row[:width]]
            if len(cells) < width:
                cells += [None] * (width - len(cells))
            if all(c is None for c in cells):
                pending.append(cells)
                continue
            buf.extend(pending)
            pending.clear()
            buf.append(cells)
            if len(buf) >= chunksize:
                frame = _finish(pd.DataFrame(buf, columns=headings, dtype=object), first)
                if long_cells:
                    check_cells(frame, _where(path))
                n_read += len(buf)
                yield _Chunk(frame, None, len(buf), n_read)
                first += len(buf)
                buf = []
        if buf or not n_read:
            frame = _finish(pd.DataFrame(buf, columns=headings, dtype=object), first)
            if long_cells:
                check_cells(frame, _where(path))
            n_read += len(buf)
            yield _Chunk(frame, None, len(buf), n_read)
    finally:
        for gen in closing:
            gen.close()
        wb.close()


def _check_arrow_cells(batch: Any, first: int, shown: str) -> None:
    """Refuse the first text cell of a Parquet batch longer than ``cell_chars``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cap = limit("cell_chars")
    if cap is None:
        return
    found: tuple[int, str] | None = None
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        over = pc.greater(pc.fill_null(pc.utf8_length(col), 0), cap)
        k = pc.index(over, True).as_py()
        if k >= 0 and (found is None or first + k < found[0]):
            found = (first + k, str(name))
    if found is not None:
        raise cell_too_long(shown, *found)


def _parquet_file(path: Path) -> Any:
    """The Parquet file opened for reading (its footer read): a damaged file is a located
    ``data-unreadable`` problem, as a damaged workbook is.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise FileUsageError("reading Parquet needs pyarrow", "pip install 'measurelib[dask]' "
                             "(or pyarrow)") from None
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - any failure of the reader is a damaged file
        raise _unreadable_parquet(_where(path), exc) from None


def _unreadable_parquet(what: str, exc: BaseException) -> DataError:
    return DataError([Diagnostic(
        "data-unreadable", f"{what} cannot be read as a Parquet file ({type(exc).__name__})",
        "Write it again with the program that made it, or save the data as CSV UTF-8.",
        Location(what.split(": ")[0]))])


def _parquet_chunks(path: Path, chunksize: int, pf: Any) -> Any:
    shown = _where(path)
    check_columns(len(pf.schema_arrow.names), shown)
    _check_headings(list(pf.schema_arrow.names), shown)
    cap = limit("unzipped_bytes")
    for g in range(pf.metadata.num_row_groups):  # a group is unpacked whole: bound it first
        size = pf.metadata.row_group(g).total_byte_size
        if cap is not None and size > cap:
            raise limit_error("unzipped_bytes", f"row group {g + 1} of {shown} unpacks to "
                              f"{size:,} bytes, more than {format_limit('unzipped_bytes')}",
                              Location(shown))
    first, done = 2, 0
    batches = pf.iter_batches(batch_size=chunksize)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - a damaged page or row group
            raise _unreadable_parquet(f"{shown}: rows from {first}", exc) from None
        _check_arrow_cells(batch, first, shown)
        frame = batch.to_pandas()
        n = len(frame)
        done += n
        yield _Chunk(_finish(frame, first), None, n, done)
        first += n
    if not done:
        yield _Chunk(pf.schema_arrow.empty_table().to_pandas(), None, 0, 0)


def _chunks(path: Path, chunksize: int, sheet: str | None = None,
            numeric: set[str] | None = None) -> tuple[Any, int | None, str]:
    """The chunk generator of a file, the total for a progress bar, and its unit."""
    if chunksize < 1:
        raise ValueError(f"chunksize must be 1 or more, got {chunksize}")
    chunksize = min(chunksize, 2**31 - 1)  # "at most N rows": more than any file holds
    kind = check_data_file(path)
    if kind == "excel":
        return _excel_chunks(path, chunksize, sheet), None, "rows"
    if kind == "parquet":
        pf = _parquet_file(path)
        return _parquet_chunks(path, chunksize, pf), pf.metadata.num_rows, "rows"
    return _text_chunks(path, chunksize, numeric), path.stat().st_size, "B"


def iter_response_chunks(path: str | os.PathLike[str], chunksize: int = 100_000,
                         sheet: str | None = None) -> Any:
    """Yield the rows of a data file as DataFrames of at most ``chunksize`` rows.

    The same rule as :func:`read_responses`, chunk by chunk: cells are text as the file
    holds them (Parquet keeps its column types), wholly blank rows are dropped, and the
    index of each row is its spreadsheet row number (the heading is row 1), continuing
    across chunks. Memory is bounded by the chunk size.
    """
    gen, _total, _unit = _chunks(Path(path), chunksize, sheet)
    for chunk in gen:
        yield chunk.frame


class FileUsageError(Exception):
    """A data file that cannot be used as asked (a type not read, too many rows for Excel)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


# ----------------------------------------------------------------------------- writing
def spreadsheet_safe(frame: Any) -> Any:
    """Text cells and headings that a spreadsheet would run as formulas made inert.

    The one neutraliser (:func:`measurelib._output.neutralise_frame`), vectorised.
    """
    return neutralise_frame(frame)


class ResponseWriter:
    """Writes frames chunk by chunk: CSV/TSV and Parquet appended, Excel row by row."""

    def __init__(self, path: str | None, *, quiet: bool = True) -> None:
        self.path = path
        self.kind = Path(path).suffix.lower() if path else ".csv"
        self.started = False
        self.frames: list[Any] = []
        self.parquet: Any = None
        self.xlsx: Any = None
        self.quiet = quiet

    def write(self, frame: Any) -> None:
        """Write one chunk of rows (formula-neutralised for CSV, TSV and Excel)."""
        if self.kind == "collect":
            self.frames.append(frame)
            return
        if self.kind == ".xlsx":
            if self.xlsx is None:
                self.xlsx = XlsxStream(str(self.path))
                self.xlsx.sheet("scores", list(frame.columns))
            if self.xlsx.rows - 1 + len(frame) > XlsxStream.MAX_ROWS - 1:
                raise FileUsageError(f"more than {XlsxStream.MAX_ROWS - 1:,} rows do not fit "
                                     "in an Excel sheet", "Write .csv or .parquet instead.")
            self.xlsx.write_frame(frame)
            self.started = True
            return
        if self.kind == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.path, table.schema)
            self.parquet.write_table(table.cast(self.parquet.schema))
            self.started = True
            return
        sep = "\t" if self.kind == ".tsv" else ","
        write_csv(frame, sys.stdout if self.path is None else self.path, sep=sep,
                  header=not self.started, append=self.started)
        self.started = True

    def close(self, empty: Any = None) -> None:
        """Finish the file; write ``empty``'s headings if nothing was written."""
        if not self.started and empty is not None and self.kind != "collect":
            self.write(empty)
        if self.xlsx is not None:
            self.xlsx.close()
            self.xlsx = None
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None

    def discard(self) -> None:
        """Remove what was written (nothing is left behind after an error)."""
        if self.xlsx is not None:
            with contextlib.suppress(Exception):  # the file is removed next
                self.xlsx.close()
            self.xlsx = None
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None
        if self.path and self.kind != "collect" and os.path.exists(self.path):
            os.remove(self.path)



# ----------------------------------------------------------------------------- statistics
class ScoreStats:
    """Streaming n / mean / sd / min / max and band counts, summed over chunks."""

    def __init__(self, score_ids: list[str]) -> None:
        self.ids = score_ids
        self.n = dict.fromkeys(score_ids, 0)
        self.mean = dict.fromkeys(score_ids, 0.0)
        self.m2 = dict.fromkeys(score_ids, 0.0)
        self.min = dict.fromkeys(score_ids, math.inf)
        self.max = dict.fromkeys(score_ids, -math.inf)
        self.bands: dict[str, dict[str, int]] = {}

    def add(self, frame: Any) -> None:
        """Add one chunk of scored rows to the running statistics."""
        import numpy as np

        for sid in self.ids:
            vals = frame[sid].to_numpy(dtype=np.float64, na_value=np.nan)
            vals = vals[~np.isnan(vals)]
            if vals.size:
                n_b, mean_b = vals.size, float(vals.mean())
                m2_b = float(((vals - mean_b) ** 2).sum())
                n_a, mean_a = self.n[sid], self.mean[sid]
                n = n_a + n_b
                delta = mean_b - mean_a
                self.mean[sid] = mean_a + delta * n_b / n
                self.m2[sid] += m2_b + delta * delta * n_a * n_b / n
                self.n[sid] = n
                self.min[sid] = min(self.min[sid], float(vals.min()))
                self.max[sid] = max(self.max[sid], float(vals.max()))
            band = f"{sid}_band"
            if band in frame.columns:
                counts = self.bands.setdefault(sid, {})
                col = frame[band]
                cats = list(col.cat.categories) if hasattr(col, "cat") else []
                for c in cats:
                    counts.setdefault(str(c), 0)
                for k, v in col.value_counts(sort=False, dropna=True).items():
                    counts[str(k)] = counts.get(str(k), 0) + int(v)

    def to_dict(self) -> dict[str, Any]:
        """n, mean, sd, min and max per score, and band counts, as plain data."""
        out: dict[str, Any] = {}
        for sid in self.ids:
            n = self.n[sid]
            d: dict[str, Any] = {"n": n}
            if n:
                d.update(mean=self.mean[sid],
                         sd=math.sqrt(self.m2[sid] / (n - 1)) if n > 1 else None,
                         min=self.min[sid], max=self.max[sid])
            if sid in self.bands:
                d["bands"] = self.bands[sid]
            out[sid] = d
        return out


def _protected(stats: dict[str, Any], alerts: dict[str, int], below: int) -> Any:
    """The disclosure decision for a score summary (one mechanism for every output).

    Cells: each score's ``n`` and band counts (bands add up to ``n`` when every score falls
    in a band), each alert's count and the number fired (their sum). Primary and
    complementary suppression as in :mod:`measurelib._output._disclosure`.
    """
    from measurelib._output import Cells, protect

    cells = Cells(max(below, 1))
    for sid, d in stats.items():
        n_key = cells.add((sid, "n"), d["n"])
        bands = d.get("bands") or {}
        keys = [cells.add((sid, "band", k), v) for k, v in bands.items()]
        if keys and sum(bands.values()) == d["n"]:
            cells.relate(n_key, keys)
    keys = [cells.add(("alert", k), v) for k, v in alerts.items()]
    cells.add(("alerts",), sum(alerts.values()))
    if keys:
        cells.relate(("alerts",), keys)
    return protect(cells)


def suppress_counts(stats: dict[str, Any], alerts: dict[str, int],
              below: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Statistics and alert counts with hidden counts replaced by None (JSON output).

    Small counts (1 to ``below - 1``) and the counts that would reveal one by subtraction
    are hidden; a score whose ``n`` is hidden, or below ``below``, keeps no statistics.
    """
    if below <= 1:
        return stats, dict(alerts)
    prot = _protected(stats, alerts, below)
    out: dict[str, Any] = {}
    for sid, d in stats.items():
        d = dict(d)
        if not prot.shown(group=(sid, "n")) and d["n"]:
            d = {"n": None, **({"bands": d["bands"]} if "bands" in d else {})}
        if "bands" in d:
            d["bands"] = {k: (None if (sid, "band", k) in prot.hidden else v)
                          for k, v in d["bands"].items()}
        out[sid] = d
    return out, {k: (None if ("alert", k) in prot.hidden else v) for k, v in alerts.items()}


def summary_text(measure: Any, account: Any, stats: dict[str, Any], out: str | None,
                  rejected_path: str | None, below: int = 0) -> str:
    prot = _protected(stats, account.alerts, below) if below > 1 else None

    def show(key: Any, v: int) -> str:
        return str(v) if prot is None else str(prot.count(key))

    lines = [f"{measure.id} {measure.version}: {account.summary()}"]
    for sid, d in stats.items():
        if d["n"] and (prot is None or prot.shown(group=(sid, "n"))):
            sd = "-" if d.get("sd") is None else f"{d['sd']:.2f}"
            lines.append(f"{sid}: n={d['n']} mean={d['mean']:.2f} sd={sd} min={d['min']:g} "
                         f"max={d['max']:g}")
        else:
            lines.append(f"{sid}: n={show((sid, 'n'), d['n'])}")
        if d.get("bands"):
            lines.append("  bands: " + ", ".join(
                f"{k} {show((sid, 'band', k), v)}" for k, v in d["bands"].items()))
    fired = sum(account.alerts.values())
    lines.append(f"alerts fired: {show(('alerts',), fired)}" + (" (" + ", ".join(
        f"{k} {show(('alert', k), v)}" for k, v in account.alerts.items() if v) + ")"
        if fired else ""))
    if prot is not None:
        lines.append(f"([c]: counts from 1 to {below - 1}, and counts that would reveal one "
                     "by subtraction, are hidden)")
    if out:
        lines.append(f"scores written to {out}")
    if rejected_path and account.rows_rejected:
        lines.append(f"rejected rows written to {rejected_path}")
    return "\n".join(lines)


def records(frame: Any) -> list[Any]:
    return list(to_jsonable(frame.reset_index(drop=True)))




def read_responses(path: str | os.PathLike[str], *, sheet: str | None = None) -> Any:
    """Read a whole file of responses (CSV/TSV, Excel or Parquet) as text cells.

    The one reader of response files: ``score``, ``import``, ``assess`` and the importers
    all use it, and :func:`iter_response_chunks` (behind ``measurelib score``) follows the
    same rule chunk by chunk. Cells are text as the file holds them (nothing is guessed:
    ``007`` stays ``007``); Excel dates become ISO ``YYYY-MM-DD`` text and whole numbers
    lose Excel's ``.0``; a blank cell is missing; wholly blank rows are dropped, and the
    index of each row is its row number as a spreadsheet shows it (the heading is row 1).
    The separator of a text file is detected from its heading (comma, semicolon or tab).
    Headings are stripped of spaces; a heading that appears twice is an error.

    Raises
    ------
    DataError
        ``file-not-found`` when the file does not exist, ``usage`` for a type not read,
        ``data-file-type`` when the content is not what the name says (an Excel workbook
        named ``.csv``), ``data-not-utf8``, ``data-too-many-fields`` (naming each row),
        ``ambiguous-column`` for a repeated heading, ``data-unreadable`` otherwise.
    """
    import pandas as pd

    p = Path(path)
    try:
        frames = list(iter_response_chunks(p, 1_000_000, sheet))
    except FileUsageError as err:
        raise DataError([Diagnostic("usage", err.message, err.hint, Location(str(p)))]) from None
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file for the user
        raise _unreadable(p, exc) from None
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames)


def _unreadable(path: Path, exc: BaseException) -> DataError:
    return DataError([Diagnostic(
        "data-unreadable", f"{path} cannot be read as a data file ({type(exc).__name__})",
        "Check that it is a CSV (UTF-8), Excel (.xlsx) or Parquet file; open it in the "
        "program that made it and save it again.", Location(str(path)))])


def _cell_text(v: Any) -> str:
    """A cell of a workbook as the text a person sees (dates ISO, whole numbers bare)."""
    import datetime as dt

    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.strftime("%Y-%m-%d")
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


@dataclass
class ScoreFileResult:
    """What :func:`score_file` did: the row account, statistics, and where it wrote."""

    measure_id: str
    measure_version: str
    data: str
    output: str | None
    rejected_file: str | None
    account: Any
    statistics: dict[str, Any]
    errors: list[Diagnostic] = field(default_factory=list)
    frames: list[Any] = field(default_factory=list)
    """The scored rows, when they were collected rather than written (``output="collect"``)."""

    @property
    def valid(self) -> bool:
        """True when every value was a valid answer (or was dealt with by ``on_invalid``)."""
        return not self.errors


def score_file(measure: Any, data: str | os.PathLike[str], output: str | None = None, *,
               columns: dict[str, str] | None = None, on_invalid: str = "error",
               rejected: str | None = None, chunksize: int = 100_000, sheet: str | None = None,
               lang: str | None = None, quiet: bool = True) -> ScoreFileResult:
    """Score a data file of any size in chunks, writing the scores as it goes.

    Parameters
    ----------
    measure
        A :class:`~measurelib.Measure`, a catalog id or a definition file.
    data
        Responses: ``.csv``, ``.tsv``, ``.xlsx`` or ``.parquet``, one row per administration.
        Read as :func:`read_responses` reads (blank rows dropped, row numbers kept).
    output
        Where the scores go (``.csv``, ``.tsv``, ``.xlsx``, ``.parquet``); None writes CSV
        to stdout; ``"collect"`` keeps the scored frames in the result.
    columns, on_invalid, lang
        As :func:`measurelib.scoring.score`.
    rejected
        A ``.csv``, ``.tsv`` or ``.xlsx`` file for the rejected rows (row, column, reason).
    chunksize
        Rows read and scored at a time, for every input type; memory is bounded by it
        (``docs/performance.md`` gives the bound).
    quiet
        No progress bar (one is shown on a terminal only).

    Returns
    -------
    ScoreFileResult
        When ``errors`` is not empty (invalid values with ``on_invalid="error"``), nothing
        was written.

    Notes
    -----
    Response columns of CSV and TSV files are parsed straight to numbers by the CSV
    parser; a chunk holding anything else (text, a value off the scale) is read again as
    text, so that every message and the rejected file show the cell as the file has it.
    """
    from measurelib.scoring._validate import resolve_columns

    m = as_measure(measure, build=False, caller="score_file(measure=...)")
    data_path = Path(data)
    kind = check_data_file(data_path)
    for name, target in (("output", output), ("rejected", rejected)):
        if target is not None and target != "collect":  # nothing read or written yet
            check_output(target, inputs=[data_path], option=name, error=DataError,
                         others=[("rejected", rejected)] if name == "output" else [])
    numeric: set[str] | None = None
    if kind == "text":
        try:
            headings, _ = _text_headings(data_path, detect_separator(data_path))
            mapping, _specs = resolve_columns(m, headings, columns, file=data_path.name)
            numeric = {str(h) for h in mapping.values()} or None
        except DataError:
            numeric = None  # the first chunk reports it, located
    collect = output == "collect"
    writer = ResponseWriter(None if collect else output)
    if collect:
        writer.kind = "collect"
    rej_writer = ResponseWriter(rejected) if rejected else None
    account = ScoreAccount()
    stats = ScoreStats([r.id for r in m.scores])
    errors: list[Diagnostic] = []
    empty = None
    gen, total, unit = _chunks(data_path, chunksize, sheet, numeric)
    bar = progress(total=total, desc=f"scoring {data_path.name}", unit=unit, quiet=quiet,
                   unit_scale=unit == "B")
    kw: dict[str, Any] = {"columns": columns, "on_invalid": on_invalid, "lang": lang,
                          "file": data_path.name}
    try:
        for chunk in gen:
            bar.update(chunk.done - bar.n)
            res = None
            try:
                res = _score_chunk(m, chunk.frame, kw)
                redo = chunk.raw is not None and bool(res.diagnostics or len(res.rejected))
            except DataError as err:
                if not any(d.code in _INVALID for d in err.errors):
                    raise
                if chunk.raw is None:
                    errors.extend(err.errors)
                    continue
                redo = True
            if redo:  # echo the cells as the file has them: score the text of the block
                try:
                    res = _score_chunk(m, chunk.reread(), kw)
                except DataError as err:
                    if not any(d.code in _INVALID for d in err.errors):
                        raise
                    errors.extend(err.errors)
                    continue
            assert res is not None
            account = account + res.account
            if errors:
                continue  # keep validating, write nothing
            stats.add(res.scores)
            writer.write(res.scores)
            if empty is None:
                empty = res.scores.iloc[:0]
            if rej_writer is not None and len(res.rejected):
                rej_writer.write(res.rejected)
        bar.close()
        if errors:
            writer.discard()
            if rej_writer is not None:
                rej_writer.discard()
        else:
            import pandas as pd

            writer.close(empty)
            if rej_writer is not None:
                rej_writer.close(pd.DataFrame(columns=["row", "column", "reason", "message",
                                                       "alerts"]))
    except BaseException:
        bar.close()
        writer.discard()
        if rej_writer is not None:
            rej_writer.discard()
        raise
    return ScoreFileResult(m.id, m.version, str(data_path), output, rejected, account,
                           stats.to_dict(), errors, writer.frames if collect else [])


_INVALID = ("invalid-answer", "not-a-number", "invalid-respondent-id")


def _score_chunk(m: Any, frame: Any, kw: dict[str, Any]) -> Any:
    """Score the rows of one chunk; its index holds the spreadsheet row numbers."""
    import numpy as np

    index = frame.index
    n = len(index)
    first = int(index[0]) if n else 2
    contiguous = n == 0 or int(index[-1]) - first == n - 1
    rows = None if contiguous else np.asarray(index, dtype=np.int64)
    return score(m, frame, first_row=first, row_numbers=rows, **kw)
