"""Limits on data files (docs/limits.md): hostile workbooks, CSVs and dictionaries are refused.

Every hostile file is built here, in ``tmp_path``: a real zip bomb (a sheet of many MB of
repeated rows compressed to kilobytes), archives whose directory declares a huge size or
lies about it, a 400 KB shared string, an XLSForm with a 100,000-row survey sheet, a
50,001-column CSV, cells longer than ``cell_chars``. Each must end in a located
``limit-exceeded`` error naming the file, the limit, its value and how to raise it — and a
refused file must never reach openpyxl or the body parser (asserted by making those fail).
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib import DataError, DefinitionError
from measurelib.scoring import check_workbook, read_responses

ROOT = Path(__file__).resolve().parents[3]
ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>1</v></c></row>'  # r= is optional


# ----------------------------------------------------------------------------- builders
def workbook(path: Path, rows: list[list[Any]], sheets: tuple[str, ...] = ("Sheet",)) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    for extra in sheets[1:]:
        wb.create_sheet(extra)
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def replace_part(path: Path, part: str, data: bytes | Any) -> Path:
    """Rewrite the archive with ``part``'s content replaced (``data``: bytes or chunks)."""
    src = zipfile.ZipFile(path)
    members = [(i, src.read(i)) for i in src.infolist()]
    src.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, content in members:
            if info.filename != part:
                out.writestr(info.filename, content)
                continue
            with out.open(part, "w", force_zip64=True) as fh:
                for chunk in ([data] if isinstance(data, bytes) else data):
                    fh.write(chunk)
    return path


def sheet_xml(n_rows: int) -> Any:
    yield b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/' \
          b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>' \
          b'type</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
    step = 10_000
    for start in range(0, n_rows, step):
        yield ROW * min(step, n_rows - start)
    yield b"</sheetData></worksheet>"


def cells_xml(rows: list[list[str]]) -> bytes:
    """A sheet of text cells written by hand (openpyxl cuts text at 32,767 characters)."""
    body = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in r)
                   + "</row>" for r in rows)
    return ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>').encode()


def set_declared_size(path: Path, part: str, size: int) -> Path:
    """Patch the uncompressed size ``part`` declares (local header and directory)."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    assert info.file_size < 0xFFFFFFFF and size < 0xFFFFFFFF  # no ZIP64 fields to patch
    local = info.header_offset
    struct.pack_into("<I", data, local + 22, size)
    central = -1
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == name:
            struct.pack_into("<I", data, pos + 24, size)
            central = pos
        pos += 4
    assert central >= 0
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """openpyxl must not be reached: any call fails the test."""
    calls: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append("load_workbook")
        raise AssertionError("openpyxl was given a refused file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", refuse)
    return calls


def limit_error(exc: pytest.ExceptionInfo[Any], name: str, file: Path) -> ml.Diagnostic:
    (d,) = exc.value.errors
    assert d.code == "limit-exceeded"
    assert str(file) in d.message or d.location.file == str(file)
    assert d.location.file == str(file)
    assert f"--limit {name}=" in d.hint and f"MEASURELIB_LIMIT_{name.upper()}" in d.hint
    return d


# ----------------------------------------------------------------------------- workbooks
def test_a_real_zip_bomb_is_refused_before_openpyxl(tmp_path: Path, no_openpyxl: list[str]
                                                    ) -> None:
    path = workbook(tmp_path / "bomb.xlsx", [["type", "name"]])
    replace_part(path, "xl/worksheets/sheet1.xml", sheet_xml(600_000))
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert path.stat().st_size < 1024 ** 2 < 32 * 1024 ** 2 < unpacked  # KB in, many MB out
    with ml.limits(unzipped_bytes="16MB"), pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "unzipped_bytes", path)
    assert "16 MB" in d.message
    assert no_openpyxl == []


def test_the_default_refuses_a_declared_size_of_gigabytes(tmp_path: Path,
                                                          no_openpyxl: list[str]) -> None:
    path = workbook(tmp_path / "huge.xlsx", [["a", "b"], [1, 2]])
    set_declared_size(path, "xl/worksheets/sheet1.xml", 3 * 1024 ** 3)
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "unzipped_bytes", path)
    assert "2 GB" in d.message
    assert no_openpyxl == []


def test_a_part_that_unpacks_to_more_than_it_declares(tmp_path: Path,
                                                      no_openpyxl: list[str]) -> None:
    path = workbook(tmp_path / "liar.xlsx", [["type", "name"]])
    replace_part(path, "xl/worksheets/sheet1.xml", sheet_xml(100_000))
    set_declared_size(path, "xl/worksheets/sheet1.xml", 2_000)
    with pytest.raises(DataError) as exc:
        read_responses(path)
    (d,) = exc.value.errors
    assert d.code == "data-unreadable"
    assert "more than the 2,000 bytes it declares" in d.message
    assert no_openpyxl == []


def test_one_huge_shared_string_is_refused_before_openpyxl(tmp_path: Path,
                                                           no_openpyxl: list[str]) -> None:
    path = workbook(tmp_path / "cell.xlsx", [])
    replace_part(path, "xl/worksheets/sheet1.xml", cells_xml([["id", "note"],
                                                              ["1", "Z" * 400_000]]))
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert "32,767 characters" in d.message
    assert no_openpyxl == []


def test_a_long_cell_within_the_scan_bound_is_located(tmp_path: Path) -> None:
    path = workbook(tmp_path / "long.xlsx", [])
    replace_part(path, "xl/worksheets/sheet1.xml", cells_xml(
        [["id", "note"], ["1", "fine"], ["2", "Z" * 40_000]]))
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert (d.location.row, d.location.field) == (3, "note")
    with ml.limits(cell_chars=50_000):
        assert len(read_responses(path).loc[3, "note"]) == 40_000


def test_too_many_columns_in_a_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path / "wide.xlsx", [[f"c{j}" for j in range(60)], list(range(60))])
    with ml.limits(data_columns=50), pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "data_columns", path)
    assert "60 columns, more than 50 columns" in d.message


def test_genuine_workbook_still_reads(tmp_path: Path) -> None:
    path = workbook(tmp_path / "ok.xlsx", [["id", "q1"], ["007", 3], ["008", 2]])
    scan = check_workbook(path)
    assert scan.unzipped > 0 and not scan.cells_may_exceed()
    frame = read_responses(path)
    assert frame["id"].tolist() == ["007", "008"]


def test_not_a_zip_archive(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(DataError) as exc:
        read_responses(path)
    assert exc.value.errors[0].code == "data-unreadable"


# ----------------------------------------------------------------------------- text files
def test_fifty_thousand_columns_are_refused_from_the_heading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wide.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(f"c{j}" for j in range(50_001)) + "\n")
        for _ in range(20):
            fh.write(",".join("1" for _ in range(50_001)) + "\n")

    def body_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body of a refused file was parsed")

    monkeypatch.setattr(pd, "read_csv", body_read)
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "data_columns", path)
    assert "50,001 columns, more than 16,384 columns" in d.message
    assert d.location.row == 1


def test_a_heading_row_without_end_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "endless.csv"
    path.write_bytes(b"a" * (300 * 1024))  # one heading, no newline, no separator
    with ml.limits(data_columns=100, cell_chars=1000), pytest.raises(DataError) as exc:
        read_responses(path)
    limit_error(exc, "cell_chars", path)
    path.write_bytes((b"a" * 299 + b",") * 999)  # 999 headings of 299 bytes, no newline
    with ml.limits(data_columns=1000), pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "data_columns", path)
    assert "longer than 256,000 bytes" in d.message


def test_a_huge_cell_is_refused_without_reading_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cell.csv"
    with open(path, "wb") as fh:
        fh.write(b"id,note,q1\n1,short,2\n2,")
        fh.write(b"Z" * (10 * 1024 ** 2))  # far more than a record of 3 cells can hold
        fh.write(b",3\n")
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert (d.location.row, d.location.field) == (3, "note")


def test_a_cell_just_over_the_limit_is_located(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,note\n1,ok\n\n3," + "é" * 33_000 + "\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert (d.location.row, d.location.field) == (4, "note")
    assert "32,767 characters" in d.message
    with ml.limits(cell_chars="40000"):
        assert len(read_responses(path).loc[4, "note"]) == 33_000


def test_a_quoted_cell_that_never_closes_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id,note\n1,"open\n' + "more text\n" * 5_000, encoding="utf-8")
    with ml.limits(cell_chars=1_000), pytest.raises(DataError) as exc:
        ml.scoring.iter_response_chunks(path, chunksize=100).__next__()
    d = limit_error(exc, "cell_chars", path)  # the open record grew past its bound
    assert d.location.row == 2
    with ml.limits(cell_chars=1_000), pytest.raises(DataError) as exc:
        read_responses(path)  # all in one block: the same
    assert limit_error(exc, "cell_chars", path).location.row == 2
    path.write_text('id,note\n1,"open\n' + "more text\n" * 5, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_responses(path)  # short and never closed: a quoting error
    assert exc.value.errors[0].code == "data-unreadable"


def test_a_long_cell_made_of_short_lines_is_found(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('id,note\n1,ok\n2,"open\n' + "more text\n" * 500 + 'end"\n',
                    encoding="utf-8")
    with ml.limits(cell_chars=1_000), pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert (d.location.row, d.location.field) == (3, "note")
    assert len(read_responses(path).loc[3, "note"]) > 5_000


def test_data_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,q1\n" + "1,2\n" * 1000, encoding="utf-8")
    with ml.limits(data_file_bytes="2KB"), pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "data_file_bytes", path)
    assert "larger than 2 KB" in d.message
    assert len(read_responses(path)) == 1000  # the default is far above


def test_parquet_columns_and_cells(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "d.parquet"
    pd.DataFrame({"id": ["1", "2"], "note": ["ok", "Z" * 40_000]}).to_parquet(path)
    with pytest.raises(DataError) as exc:
        read_responses(path)
    d = limit_error(exc, "cell_chars", path)
    assert (d.location.row, d.location.field) == (3, "note")
    with ml.limits(data_columns=1), pytest.raises(DataError) as exc:
        read_responses(path)
    limit_error(exc, "data_columns", path)


def test_scoring_in_chunks_meets_the_same_limits(tmp_path: Path) -> None:
    path = tmp_path / "phq.csv"
    path.write_text("respondent_id," + ",".join(f"Q{j}" for j in range(1, 10)) + "\n"
                    + "1," + "Z" * 40_000 + ",0,0,0,0,0,0,0,0\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        ml.score_file("phq-9", path, str(tmp_path / "out.csv"))
    limit_error(exc, "cell_chars", path)


# ----------------------------------------------------------------------------- XLSForm, REDCap
def xlsform(path: Path) -> Path:
    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["select_one yn", "q1", "Question one"])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yn", "1", "Yes"])
    choices.append(["yn", "0", "No"])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["T", "t"])
    wb.save(path)
    return path


def test_xlsform_with_a_100k_row_survey_is_refused_before_openpyxl(
        tmp_path: Path, no_openpyxl: list[str]) -> None:
    path = xlsform(tmp_path / "form.xlsx")
    replace_part(path, "xl/worksheets/sheet1.xml", sheet_xml(100_000))
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    d = limit_error(exc, "form_rows", path)
    assert "sheet 'survey'" in d.message and "50,000 rows" in d.message
    assert no_openpyxl == []


def test_xlsform_rows_are_bounded_when_read_too(tmp_path: Path) -> None:
    path = xlsform(tmp_path / "form.xlsx")
    with ml.limits(form_rows=2), pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    limit_error(exc, "form_rows", path)
    assert ml.import_definition(path).measure.items[0].id == "q1"


def test_xlsform_bomb_and_wide_rows_and_long_cells(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = xlsform(tmp_path / "form.xlsx")
    set_declared_size(path, "xl/worksheets/sheet1.xml", 3 * 1024 ** 3)
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    limit_error(exc, "unzipped_bytes", path)

    wide = xlsform(tmp_path / "wide.xlsx")
    wb = openpyxl.load_workbook(wide)
    wb["survey"].append(["note", "n1", "x"] + ["y"] * 100)
    wb.save(wide)
    with ml.limits(data_columns=50), pytest.raises(DefinitionError) as exc:
        ml.import_definition(wide)
    assert exc.value.errors[0].location.row == 3
    limit_error(exc, "data_columns", wide)

    long = xlsform(tmp_path / "long.xlsx")
    replace_part(long, "xl/worksheets/sheet1.xml", cells_xml(
        [["type", "name", "label"], ["note", "n1", "Z" * 40_000]]))
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(long)
    limit_error(exc, "cell_chars", long)

    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(garbage)
    assert exc.value.errors[0].code == "import-invalid"


def test_xlsform_bytes_are_checked_too() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (1024 ** 2))
    with pytest.raises(DefinitionError) as exc:
        ml.interop.from_xlsform(buf.getvalue())
    assert exc.value.errors[0].code == "limit-exceeded"


def redcap_header() -> str:
    from measurelib.interop._export._redcap import COLUMNS

    return ",".join(f'"{c}"' for c in COLUMNS) + "\n"


def test_redcap_dictionary_limits(tmp_path: Path) -> None:
    path = tmp_path / "dict.csv"
    path.write_text(redcap_header() + "q{},f,,radio,Q,\"1, a | 2, b\"\n" * 3, encoding="utf-8")
    with ml.limits(form_rows=2), pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    d = limit_error(exc, "form_rows", path)
    assert d.location.row == 3
    path.write_text(redcap_header() + "q1,f,," + "Z" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    limit_error(exc, "cell_chars", path)
    path.write_bytes(redcap_header().encode() + b"q1,f\n" * 3_000_000)
    with pytest.raises(DefinitionError) as exc:
        ml.import_definition(path)
    assert exc.value.errors[0].code == "limit-exceeded"
    assert "definition_bytes" in exc.value.errors[0].hint


# ----------------------------------------------------------------------------- the commands
def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_commands_report_limits_without_a_traceback(tmp_path: Path) -> None:
    bomb = workbook(tmp_path / "bomb.xlsx", [["type", "name"]])
    replace_part(bomb, "xl/worksheets/sheet1.xml", sheet_xml(600_000))
    r = cli("--limit", "unzipped_bytes=16MB", "score", "phq-9", "bomb.xlsx", "-o", "o.csv",
            cwd=tmp_path)
    assert r.returncode in (1, 2), r.stderr
    assert "limit-exceeded" in r.stderr and "bomb.xlsx" in r.stderr and "16 MB" in r.stderr
    assert "--limit unzipped_bytes=" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout

    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{j}" for j in range(50_001)) + "\n1\n", encoding="utf-8")
    for args in (("score", "phq-9", "wide.csv", "-o", "o.csv"),
                 ("import", "phq-9", "wide.csv", "--db", "sqlite:///s.db")):
        r = cli(*args, cwd=tmp_path)
        assert r.returncode in (1, 2), r.stderr
        assert "limit-exceeded" in r.stderr and "data_columns" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr + r.stdout

    form = xlsform(tmp_path / "form.xlsx")
    replace_part(form, "xl/worksheets/sheet1.xml", sheet_xml(100_000))
    r = cli("import-definition", "form.xlsx", cwd=tmp_path)
    assert r.returncode in (1, 2), r.stderr
    assert "limit-exceeded" in r.stderr and "form_rows" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"<", b"a", b"<row ", b"xy"]), max_size=80).map(b"".join),
       st.lists(st.integers(1, 40), max_size=10))
@example(data=b"<row ", cuts=[1, 1])  # a row tag cut into pieces shorter than the tail
def test_the_scan_measures_text_runs_and_rows_across_pieces(data: bytes, cuts: list[int]) -> None:
    from measurelib.scoring._guard import _Counter

    counter = _Counter(count_rows=True)
    at = 0
    for n in cuts + [len(data)]:
        if at < len(data):
            counter.feed(data[at:at + n])
            at += n
    assert counter.size == len(data)
    assert counter.longest == max(map(len, data.split(b"<")))
    assert counter.rows == data.count(b"<row ")
