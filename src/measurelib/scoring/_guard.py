"""Bounds on data files and workbooks, checked before a parser is given the file.

An Excel workbook is a zip archive of XML parts: a few kilobytes can unpack to gigabytes
("zip bomb"), one shared string can be a gigabyte long, and a sheet can declare a million
rows. :func:`check_workbook` reads the archive's directory (the *declared* sizes) and then
unpacks every part as a stream, counting the bytes it *actually* yields, the longest text
between two XML tags and the rows of each sheet — never holding more than a megabyte — so
that such a file is refused with a ``limit-exceeded`` error before openpyxl or pandas
sees it. The limits are the registry's (``docs/limits.md``): ``unzipped_bytes``,
``cell_chars``, ``data_columns``, ``form_rows``.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from measurelib.definition import format_limit, limit, raise_hint
from measurelib.errors import DataError, Diagnostic, Location

__all__ = ["WorkbookScan", "cell_too_long", "check_cells", "check_columns", "check_size",
           "check_workbook", "limit_error", "run_cap"]

_PIECE = 1 << 20  # bytes unpacked at a time
_ROW = (b"<row ", b"<row>")


def limit_error(name: str, message: str, location: Location) -> DataError:
    """A ``limit-exceeded`` :class:`DataError` whose hint says how to raise limit ``name``."""
    return DataError([Diagnostic("limit-exceeded", message, raise_hint(name), location)],
                     title=message)


def run_cap() -> int | None:
    """Longest text between two XML tags a workbook may hold, in bytes (None: no bound).

    A character takes at most 10 bytes in XML (``&#x10FFFF;``), so a longer run certainly
    holds a cell longer than ``cell_chars``; 64 KB at least, so that no tag of a genuine
    workbook is taken for a cell however low the limit is set. Cells between the limit and
    this bound are found, with their row and column, by the reader.
    """
    cap = limit("cell_chars")
    return None if cap is None else max(10 * cap, 64 * 1024)


@dataclass
class WorkbookScan:
    """What :func:`check_workbook` found: sizes, the longest text run, rows per sheet."""

    unzipped: int = 0
    longest_text: int = 0
    rows: dict[str, int] | None = None

    def cells_may_exceed(self) -> bool:
        """Whether some cell may be longer than ``cell_chars`` (then the reader checks each)."""
        cap = limit("cell_chars")
        return cap is not None and self.longest_text > cap


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Member name → sheet name, from the workbook part (small; best effort)."""
    try:
        book = zf.read("xl/workbook.xml") if zf.getinfo("xl/workbook.xml").file_size < 1 << 22 \
            else b""
        rels = zf.read("xl/_rels/workbook.xml.rels") \
            if zf.getinfo("xl/_rels/workbook.xml.rels").file_size < 1 << 22 else b""
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error, NotImplementedError):
        return {}
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        rid = re.search(rb'\bId="([^"]*)"', tag)
        target = re.search(rb'\bTarget="([^"]*)"', tag)
        if rid and target:
            t = target.group(1).decode("utf-8", "replace").lstrip("/")
            targets[rid.group(1)] = t if t.startswith("xl/") else "xl/" + t
    out = {}
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", book):
        name = re.search(rb'\bname="([^"]*)"', tag)
        rid = re.search(rb'\b\w+:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            out[targets[rid.group(1)]] = name.group(1).decode("utf-8", "replace")
    return out


class _Counter:
    """Streams one part: its size, the longest run between tags, its rows."""

    def __init__(self, count_rows: bool) -> None:
        self.size = 0
        self.run = 0  # length of the run still open at the end of the last piece
        self.longest = 0
        self.rows = 0
        self.count_rows = count_rows
        self.tail = b""

    def feed(self, piece: bytes) -> None:
        self.size += len(piece)
        tags = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 60)  # where "<" is
        if tags.size == 0:
            self.run += len(piece)
            self.longest = max(self.longest, self.run)
        else:
            self.longest = max(self.longest, self.run + int(tags[0]))
            if tags.size > 1:
                self.longest = max(self.longest, int(np.diff(tags).max()) - 1)
            self.run = len(piece) - int(tags[-1]) - 1
            self.longest = max(self.longest, self.run)  # the open run so far counts too
        if self.count_rows:
            text = self.tail + piece
            self.rows += text.count(_ROW[0]) + text.count(_ROW[1])
            self.tail = text[-4:]  # a row tag cut across pieces, however small the pieces


def _data_start(fh: IO[bytes], info: zipfile.ZipInfo) -> int:
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    return int( info.header_offset + 30 + name_len + extra_len)


def _unpack(fh: IO[bytes], zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int,
            counter: _Counter, stop: Any) -> None:
    """Feed ``counter`` the part's bytes as actually unpacked; ``stop()`` after each piece.

    Raises ``_Overflow`` as soon as more than ``cap`` bytes come out.
    """
    if info.flag_bits & 0x1:
        raise zipfile.BadZipFile("encrypted part")
    if info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        fh.seek(_data_start(fh, info))
        left = info.compress_size
        inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        pending = b""
        while True:
            if not pending:
                if left <= 0:
                    break
                pending = fh.read(min(64 * 1024, left))
                if not pending:
                    break
                left -= len(pending)
            if inflate is None:
                out, pending = pending, b""
            else:
                out = inflate.decompress(pending, _PIECE)
                pending = inflate.unconsumed_tail
            if out:
                counter.feed(out)
                if counter.size > cap:
                    raise _Overflow
                stop()
            if inflate is not None and inflate.eof:
                break
        return
    with zf.open(info) as part:  # other methods: zipfile stops at the declared size
        while piece := part.read(_PIECE):
            counter.feed(piece)
            if counter.size > cap:
                raise _Overflow
            stop()


class _Overflow(Exception):
    pass


def check_workbook(source: str | os.PathLike[str] | bytes, *, shown: str | None = None,
                   rows_limit: str | None = None) -> WorkbookScan:
    """Check an Excel workbook against the limits before it is opened; return what was found.

    Parameters
    ----------
    source : path or bytes
        The ``.xlsx``/``.xlsm`` file (or its bytes).
    shown : str, optional
        How the file is named in messages (default: the path).
    rows_limit : str, optional
        The name of a limit on the rows of each sheet (``"form_rows"`` for XLSForms); data
        workbooks are read as a stream and have none.

    Returns
    -------
    WorkbookScan
        The unpacked size, the longest text between two tags (to tell whether any cell
        can be longer than ``cell_chars``) and, with ``rows_limit``, rows per sheet.

    Raises
    ------
    DataError
        ``limit-exceeded`` when the parts declare, or actually unpack to, more than
        ``unzipped_bytes``, when some cell is certainly longer than ``cell_chars``, or a
        sheet has more rows than ``rows_limit``; ``data-unreadable`` when the file is not
        a zip archive or a part unpacks to more than it declares.
    """
    where = shown or ("<workbook>" if isinstance(source, bytes) else str(source))
    loc = Location(where)
    cap = limit("unzipped_bytes")
    text_cap = run_cap()
    max_rows = limit(rows_limit) if rows_limit else None
    fh: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115 - closed below
    try:
        try:
            zf = zipfile.ZipFile(fh)
            infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise _unreadable(where, "it is not a zip archive") from None
        declared = sum(i.file_size for i in infos)
        if cap is not None and declared > cap:
            raise limit_error("unzipped_bytes", f"{where} unpacks to {declared:,} bytes, more "
                              f"than {format_limit('unzipped_bytes')}", loc)
        names = _sheet_names(zf) if rows_limit else {}
        scan = WorkbookScan(rows={} if rows_limit else None)
        for info in infos:
            if info.is_dir():
                continue
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(
                ".xml")
            counter = _Counter(bool(rows_limit) and is_sheet)
            sheet = names.get(info.filename, info.filename)

            def stop(counter: _Counter = counter, sheet: str = sheet) -> None:
                if text_cap is not None and counter.longest > text_cap:
                    raise limit_error("cell_chars", f"{where} holds a cell longer than "
                                      f"{format_limit('cell_chars')} (in {sheet})", loc)
                if max_rows is not None and counter.rows > max_rows:
                    raise limit_error(rows_limit or "", f"sheet {sheet!r} of {where} has more "
                                      f"than {format_limit(rows_limit or '')}", loc)

            room = info.file_size if cap is None else min(info.file_size, cap - scan.unzipped)
            try:
                _unpack(fh, zf, info, room, counter, stop)
            except _Overflow:
                if counter.size > info.file_size:
                    raise _unreadable(where, f"its part {info.filename} unpacks to more than "
                                      f"the {info.file_size:,} bytes it declares") from None
                raise limit_error("unzipped_bytes", f"{where} unpacks to more than "
                                  f"{format_limit('unzipped_bytes')}", loc) from None
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                raise _unreadable(where, f"its part {info.filename} is damaged ({exc})") from None
            scan.unzipped += counter.size
            scan.longest_text = max(scan.longest_text, counter.longest)
            if scan.rows is not None and is_sheet:
                scan.rows[sheet] = counter.rows
        return scan
    finally:
        fh.close()


def _unreadable(where: str, why: str) -> DataError:
    return DataError([Diagnostic("data-unreadable", f"{where} is not a readable Excel "
                                 f"workbook: {why}", "Open it in Excel and save it again as "
                                 ".xlsx.", Location(where))])


def check_size(path: Path, shown: str) -> None:
    """Refuse a data file larger than ``data_file_bytes``."""
    cap = limit("data_file_bytes")
    size = path.stat().st_size
    if cap is not None and size > cap:
        raise limit_error("data_file_bytes", f"{shown} is {size:,} bytes, larger than "
                          f"{format_limit('data_file_bytes')}", Location(shown))


def check_columns(n: int, shown: str) -> None:
    """Refuse a heading row of more than ``data_columns`` columns."""
    cap = limit("data_columns")
    if cap is not None and n > cap:
        raise limit_error("data_columns", f"{shown} has {n:,} columns, more than "
                          f"{format_limit('data_columns')}", Location(shown, row=1))


def cell_too_long(shown: str, row: int | None, column: str | None) -> DataError:
    """The ``limit-exceeded`` error of a cell longer than ``cell_chars``, located."""
    where = f"row {row}" if row is not None else "a row"
    if column:
        where += f", column {column!r},"
    return limit_error("cell_chars", f"{where} of {shown} holds a cell longer than "
                       f"{format_limit('cell_chars')}", Location(shown, row=row, field=column))


def check_cells(frame: Any, shown: str) -> None:
    """Refuse the first cell (in row order) of ``frame`` longer than ``cell_chars``.

    ``frame``'s index holds spreadsheet row numbers; only text columns are looked at.
    """
    cap = limit("cell_chars")
    if cap is None or not len(frame):
        return
    first: tuple[int, str] | None = None
    for col in frame.columns:
        values = frame[col]
        if values.dtype != object and str(values.dtype) not in ("string", "str"):
            continue
        try:
            lengths = values.str.len()
        except AttributeError:  # no text in the column
            continue
        over = lengths.fillna(0) > cap
        if over.any():
            row = int(over.idxmax())
            if first is None or row < first[0]:
                first = (row, str(col))
    if first is not None:
        raise cell_too_long(shown, *first)
