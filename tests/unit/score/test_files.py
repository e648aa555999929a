"""Data files in and out: one rule for blank rows and row numbers, located file errors,
values echoed as written, and no live formula in any tabular output."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib._output import is_neutral, neutralise, neutralise_frame, write_csv
from measurelib.errors import DataError
from measurelib.scoring import iter_response_chunks, read_responses, score_file

HEADER = ["respondent_id", "date", *[f"Q{i}" for i in range(1, 10)]]
GOOD = "p{i},2024-01-02,0,1,0,1,0,0,0,0,0"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write_rows(path: Path, lines: list[str], sep: str = ",") -> Path:
    text = sep.join(HEADER) + "\n" + "\n".join(x.replace(",", sep) for x in lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- point 5
def test_blank_lines_are_not_rows_in_score(tmp_path):
    lines = [GOOD.format(i=i) for i in range(100)]
    lines.insert(40, "")
    lines.insert(70, ",,,,,,,,,,")  # a row of empty cells is blank too
    write_rows(tmp_path / "data.csv", lines)
    r = run("score", "phq-9", "data.csv", "-o", "out.csv", "--chunksize", "30", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "rows: 100 in, 100 scored, 0 rejected" in r.stdout
    assert len(pd.read_csv(tmp_path / "out.csv")) == 100


def test_row_numbers_across_chunks_skip_blank_rows(tmp_path):
    lines = [GOOD.format(i=i) for i in range(20)]
    lines.insert(3, "")
    lines.insert(4, "")
    lines[15] = "bad,2024-01-02,0,1,0,1,0,0,9,0,0"  # file row 17 (heading = row 1)
    path = write_rows(tmp_path / "data.csv", lines)
    res = score_file("phq-9", path, "collect", chunksize=4)
    assert [(d.location.row, d.location.field) for d in res.errors] == [(17, "Q7")]
    res = score_file("phq-9", path, "collect", chunksize=4, on_invalid="reject",
                     rejected=str(tmp_path / "rej.csv"))
    assert res.account.rows_in == 20 and res.account.rows_rejected == 1
    assert pd.read_csv(tmp_path / "rej.csv")["row"].tolist() == [17]
    kept = pd.concat(res.frames)
    assert 5 not in kept.index and 6 not in kept.index and kept.index[-1] == 23


@settings(max_examples=40, deadline=None)
@given(blanks=st.lists(st.integers(0, 30), max_size=8), n=st.integers(0, 30),
       chunk=st.integers(1, 12))
def test_chunked_reader_follows_read_responses(tmp_path_factory, blanks, n, chunk):
    lines = [GOOD.format(i=i) for i in range(n)]
    for b in sorted(blanks, reverse=True):
        lines.insert(min(b, len(lines)), "" if b % 2 else ",,,")
    path = write_rows(tmp_path_factory.mktemp("c") / "d.csv", lines)
    whole = read_responses(path)
    parts = list(iter_response_chunks(path, chunk))
    joined = pd.concat(parts) if parts else whole.iloc[:0]
    assert len(whole) == n
    assert list(joined.index) == list(whole.index)
    assert joined.fillna("").astype(str).to_numpy().tolist() == \
        whole.fillna("").astype(str).to_numpy().tolist()


def test_duplicate_heading_is_a_located_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("respondent_id,Q1,Q2,Q1\np1,1,1,1\n", encoding="utf-8")
    for call in (lambda: read_responses(path), lambda: score_file("phq-9", path, "collect")):
        with pytest.raises(DataError) as err:
            call()
        d = err.value.errors[0]
        assert d.code == "ambiguous-column"
        assert (d.location.row, d.location.field) == (1, "Q1")
        assert "columns B and D" in d.message
    r = run("score", "phq-9", "dup.csv", cwd=tmp_path)
    assert r.returncode == 1 and "row 1, column 'Q1'" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(("sep", "name"), [(";", "semi.csv"), ("\t", "tabs.csv"),
                                           ("\t", "tabs.tsv")])
def test_semicolon_and_tab_delimited_files(tmp_path, sep, name):
    lines = [GOOD.format(i=i) for i in range(5)] + [""]
    path = write_rows(tmp_path / name, lines, sep=sep)
    df = read_responses(path)
    assert list(df.columns) == HEADER and len(df) == 5
    res = score_file("phq-9", path, "collect", chunksize=2)
    assert res.account.rows_in == 5 and res.account.rows_scored == 5
    r = run("score", "phq-9", name, "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 0 and "rows: 5 in, 5 scored" in r.stdout


# ----------------------------------------------------------------------------- point 6
def test_double_entry_compares_meaning_and_names_row_and_column():
    from measurelib.outcomes.store._frames import compare_entries, double_entry_message

    a = pd.DataFrame({"respondent_id": ["a", "b", "c"], "timepoint": ["baseline"] * 3,
                      "date": ["2025-01-23", "2025-02-01", "2025-03-01"],
                      "Q1": ["3", "2", "1"], "Q2": ["", "1", "1"]}, index=[2, 4, 5])
    b = pd.DataFrame({"respondent_id": ["a", "b"], "timepoint": ["baseline"] * 2,
                      "date": ["23/01/2025", "01/02/2025"],
                      "Q1": ["3.0", "1"], "Q2": ["NA", "1"]}, index=[2, 3])
    diff = compare_entries(a, b)
    cells = diff[diff["column"] != "<whole row>"]
    assert cells[["row_first", "row_second", "column", "first", "second"]].values.tolist() == \
        [[4, 3, "Q1", "2", "1"]]
    whole = diff[diff["column"] == "<whole row>"].iloc[0]
    assert whole["row_first"] == 5
    msg = double_entry_message(whole, "keyA.csv", "keyB.csv")
    assert msg == "the form on row 5 of keyA.csv is not in keyB.csv" and "None" not in msg


# ----------------------------------------------------------------------------- point 17
def test_values_echoed_as_the_file_has_them(tmp_path):
    lines = [GOOD.format(i=0), "p1,2024-01-02,3.0000001,1,0,1,0,0,0,0,1e308"]
    path = write_rows(tmp_path / "d.csv", lines)
    msgs = [d.message for d in score_file("phq-9", path, "collect").errors]
    assert msgs[0].startswith("value 3.0000001 is not a valid answer")
    assert msgs[1].startswith("value 1e308 is not a valid answer")
    # the same from a frame of floats (Excel cells), and no 309-digit number
    m = ml.load("phq-9")
    df = pd.DataFrame({f"Q{i}": [1.0] for i in range(1, 10)})
    df["Q1"], df["Q9"] = 3.0000001, 1e308
    with pytest.raises(DataError) as err:
        m.score(df)
    shown = [d.message for d in err.value.errors]
    assert shown[0].startswith("value 3.0000001 ") and shown[1].startswith("value 1e+308 ")


def test_excel_workbook_named_csv(tmp_path):
    pd.DataFrame({"Q1": [1]}).to_excel(tmp_path / "book.xlsx", index=False)
    (tmp_path / "book.xlsx").rename(tmp_path / "data.csv")
    with pytest.raises(DataError) as err:
        read_responses(tmp_path / "data.csv")
    d = err.value.errors[0]
    assert d.code == "data-file-type" and "Excel workbook" in d.message
    assert "data.xlsx" in d.hint
    r = run("score", "phq-9", "data.csv", cwd=tmp_path)
    assert r.returncode == 2
    assert "data-file-type" in r.stderr and "not UTF-8" not in r.stderr


def test_extra_field_names_the_row(tmp_path):
    lines = [GOOD.format(i=i) for i in range(6)]
    lines[4] += ",extra"  # file row 6
    write_rows(tmp_path / "d.csv", lines)
    for chunk in ("2", "100"):
        r = run("score", "phq-9", "d.csv", "--chunksize", chunk, cwd=tmp_path)
        assert r.returncode == 1
        assert "row 6 has 12 fields but the heading row has 11" in r.stderr
        assert "tokeniz" not in r.stderr.lower() and "C error" not in r.stderr
    with pytest.raises(DataError) as err:
        read_responses(tmp_path / "d.csv")
    assert err.value.errors[0].location.row == 6


def test_cli_hints_use_cli_options(tmp_path):
    write_rows(tmp_path / "d.csv", ["p1,2024-01-02,9,1,0,1,0,0,0,0,0"])
    r = run("score", "phq-9", "d.csv", cwd=tmp_path)
    assert r.returncode == 1 and "--on-invalid" in r.stderr
    assert "on_invalid=" not in r.stderr
    (tmp_path / "e.csv").write_text("respondent_id,Q1,q1\np,1,1\n", encoding="utf-8")
    r = run("score", "phq-9", "e.csv", cwd=tmp_path)
    assert "columns=" not in r.stderr and "--column" in r.stderr


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    lines = [GOOD.format(i=i) for i in range(9)]
    lines[1] = "p1,2024-01-02,x,1,0,1,0,0,0,0,0"  # text: row 3
    lines[7] = "p7,2024-01-02,0,1,0,7,0,0,0,0,0"  # off the scale, a later chunk: row 9
    path = write_rows(tmp_path / "d.csv", lines)
    errs = score_file("phq-9", path, "collect", chunksize=3).errors
    assert [(d.code, d.location.row) for d in errs] == [("not-a-number", 3),
                                                       ("invalid-answer", 9)]


# ----------------------------------------------------------------------------- point 18
HOSTILE = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "ok\r=HYPERLINK(1)",
           "a\r\n=2", "=HYPERLINK(\"x\")"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r\n a1.e'\"")), max_size=8))
def test_neutralise_makes_any_text_inert(text):
    safe = neutralise(text)
    assert is_neutral(safe)
    assert neutralise(safe) == safe  # idempotent
    buf = io.StringIO()
    write_csv(pd.DataFrame({text or "h": [text]}), buf)
    out = buf.getvalue()
    assert "\r" not in out  # a bare carriage return never reaches the file
    for row in csv.reader(io.StringIO(out, newline="")):
        assert all(is_neutral(c) for c in row)


def _csv_cells(path: Path, sep: str = ",") -> list[str]:
    raw = path.read_bytes().decode("utf-8")
    assert "\r" not in raw
    return [c for row in csv.reader(io.StringIO(raw, newline=""), delimiter=sep) for c in row]


def _xlsx_cells(path: Path) -> list[object]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells]


def test_every_tabular_output_is_neutralised(tmp_path):
    # data in: hostile pass-through values and headings (ids with a carriage return are
    # refused at the door, so they go through the rejected file)
    n = len(HOSTILE)
    df = pd.DataFrame({"site": HOSTILE, "worker": HOSTILE[::-1], "=evil": HOSTILE,
                       **{f"Q{i}": [1] * n for i in range(1, 10)}})
    df.loc[0, "Q1"] = 9  # one rejected row
    df.to_csv(tmp_path / "in.csv", index=False)
    outputs = []
    for out in ("s.csv", "s.tsv", "s.xlsx"):
        for rej in ("r.csv", "r.xlsx"):
            res = score_file("phq-9", tmp_path / "in.csv", str(tmp_path / out),
                             on_invalid="reject", rejected=str(tmp_path / rej))
            assert res.account.rows_rejected == 1
            outputs += [tmp_path / out, tmp_path / rej]
    # the data export, both kinds
    frame = df.rename(columns={"site": "@site"})
    from measurelib.interop._export._data import write_data

    write_data(frame, tmp_path / "e.csv")
    write_data(frame, tmp_path / "e.xlsx")
    outputs += [tmp_path / "e.csv", tmp_path / "e.xlsx"]
    # definitions' author text: entry sheet (template), REDCap dictionary, XLSForm
    hostile_measure = ml.loads("""\
format: 1
id: hostile
version: 1.0.0
title: "=HYPERLINK(\\"x\\")"
licence: {holder: "=x", text_redistribution: allowed, modification: allowed}
scales:
  s: {type: ordinal, options: [{value: 0, label: "=1+1"}, {value: 1, label: "@ok"}]}
items:
  - {id: a, text: "=cmd()", scale: s}
  - {id: b, text: "+2", scale: s}
scores:
  - {id: total, items: all, method: sum}
""")
    from measurelib.forms import write_entry_sheet

    write_entry_sheet(hostile_measure, tmp_path / "t.xlsx")
    outputs.append(tmp_path / "t.xlsx")
    red = ml.export(hostile_measure, to="redcap")
    (tmp_path / "dict.csv").write_bytes(red.content if isinstance(red.content, bytes)
                                        else red.content.encode())
    outputs.append(tmp_path / "dict.csv")
    xls = ml.export(hostile_measure, to="xlsform")
    (tmp_path / "form.xlsx").write_bytes(xls.content)
    outputs.append(tmp_path / "form.xlsx")
    checked = 0
    for path in outputs:
        if path.suffix == ".xlsx":
            cells = _xlsx_cells(path)
        else:
            cells = _csv_cells(path, "\t" if path.suffix == ".tsv" else ",")
        live = [c for c in cells if not is_neutral(c)]
        assert not live, (path.name, live)
        checked += len(cells)
    assert checked > 500


def test_respondent_id_with_control_characters_refused_at_the_door(tmp_path):
    m = ml.load("phq-9")
    df = pd.DataFrame({"respondent_id": ["ok", "b\r=1+1", "x" * 65],
                       **{f"Q{i}": [1, 1, 1] for i in range(1, 10)}})
    with pytest.raises(DataError) as err:
        m.score(df)
    assert [(d.code, d.location.row) for d in err.value.errors] == [
        ("invalid-respondent-id", 3), ("invalid-respondent-id", 4)]
    res = m.score(df, on_invalid="missing")
    assert res.account.rows_scored == 1 and res.account.rows_rejected == 2
    from measurelib.outcomes.store._frames import check_metadata

    meta = df.assign(date="2025-01-01", timepoint="baseline")
    _out, problems = check_metadata(meta, anonymous=False)
    assert sorted(problems.loc[problems["code"] == "invalid-respondent-id", "index"]) == [1, 2]


def test_neutralise_frame_is_vectorised_and_keeps_numbers():
    df = pd.DataFrame({"=h": ["=1", "-3", "a"], "n": [-1.0, 2.0, 3.0],
                       "c": pd.Categorical(["@x", "y", "@x"])})
    out = neutralise_frame(df)
    assert list(out.columns) == ["'=h", "n", "c"]
    assert out["'=h"].tolist() == ["'=1", "-3", "a"]
    assert out["n"].tolist() == [-1.0, 2.0, 3.0]
    assert list(out["c"].astype(str)) == ["'@x", "y", "'@x"]
    assert df.columns[0] == "=h"  # the input is not changed


def test_excel_and_parquet_follow_the_same_rule(tmp_path):
    rows = [[f"p{i}", "2024-01-02", *([1] * 9)] for i in range(7)]
    rows[4][4] = 9  # Q3 of file row 6 ... before the blank rows are inserted
    df = pd.DataFrame(rows, columns=HEADER)
    blank = pd.DataFrame([[None] * len(HEADER)], columns=HEADER)
    with_blank = pd.concat([df.iloc[:2], blank, df.iloc[2:]], ignore_index=True)
    with_blank.to_excel(tmp_path / "d.xlsx", index=False)
    df.to_parquet(tmp_path / "d.parquet", index=False)
    for name, row in (("d.xlsx", 7), ("d.parquet", 6)):
        res = score_file("phq-9", tmp_path / name, "collect", chunksize=2)
        assert [(e.location.row, e.location.field) for e in res.errors] == [(row, "Q3")], name
        res = score_file("phq-9", tmp_path / name, str(tmp_path / "o.xlsx"), chunksize=2,
                         on_invalid="reject")
        assert res.account.rows_in == 7 and res.account.rows_rejected == 1
        out = pd.read_excel(tmp_path / "o.xlsx", dtype=str)
        assert len(out) == 6 and out["respondent_id"].iloc[0] == "p0"
    whole = read_responses(tmp_path / "d.xlsx")
    assert list(whole.index) == [2, 3, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("kind", ["int64", "Int64", "float64", "object"])
def test_every_frame_kind_validates_alike(kind):
    m = ml.load("phq-9")
    df = pd.DataFrame({f"Q{i}": [0, 1, 2, 3] for i in range(1, 10)})
    df.loc[2, "Q4"] = 4
    df = df.astype(kind if kind != "object" else str).astype(kind)
    with pytest.raises(DataError) as err:
        m.score(df)
    assert [(d.location.row, d.location.field) for d in err.value.errors] == [(4, "Q4")]
    ok = df.drop(index=2)
    assert m.score(ok).scores["total"].tolist() == [0.0, 9.0, 27.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["0", "1", "2", " 3 ", "3.0", "", None, "NA", "x", "-",
                                 "2.5", "1e308", "Often"]), min_size=1, max_size=40),
       st.integers(4096, 6000))
def test_text_codes_parse_through_distinct_values_as_cell_by_cell(cells, n):
    import numpy as np

    import measurelib.scoring._validate as v

    series = pd.Series((cells * (n // len(cells) + 1))[:n], dtype=object)
    fast = v._parse(series)
    slow_path = v._parse_by_codes
    v._parse_by_codes = lambda s, memo=None: None  # type: ignore[assignment]
    try:
        slow = v._parse(series)
    finally:
        v._parse_by_codes = slow_path
    assert np.array_equal(fast[0], slow[0], equal_nan=True)
    assert (fast[1] is None) == (slow[1] is None)
    if fast[1] is not None:
        assert np.array_equal(fast[1], slow[1])


def test_damaged_parquet_is_a_located_problem(tmp_path):
    """A damaged footer or a damaged row group is `data-unreadable`, naming where it failed."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = [i.id for i in ml.as_measure("phq-9").items]
    n = 40
    table = pa.table({"respondent_id": [f"R{i}" for i in range(n)],
                      **{c: pa.array(np.arange(n) % 4) for c in items}})
    good = tmp_path / "good.parquet"
    pq.write_table(table, good, row_group_size=20)
    data = bytearray(good.read_bytes())
    start = pq.ParquetFile(good).metadata.row_group(1).column(1).data_page_offset
    data[start:start + 8] = b"\xff" * 8  # the page header of a column of the second group
    (tmp_path / "group.parquet").write_bytes(bytes(data))
    (tmp_path / "footer.parquet").write_bytes(good.read_bytes()[:-12] + b"\0" * 8 + b"PAR1")

    for name, where in (("group.parquet", "group.parquet: rows from 22 cannot be read"),
                        ("footer.parquet", "footer.parquet cannot be read")):
        with pytest.raises(DataError) as exc:
            score_file("phq-9", tmp_path / name, tmp_path / "out.csv", chunksize=20)
        (d,) = exc.value.errors
        assert d.code == "data-unreadable"
        assert where in d.message and "as a Parquet file" in d.message
        assert d.location.file == str(tmp_path / name)
    assert score_file("phq-9", good, tmp_path / "ok.csv", chunksize=20).account.rows_scored == n


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_hidden_characters_are_exactly_control_and_invisible_ones(text):
    import re
    import unicodedata

    from measurelib.scoring import hidden_characters, invalid_respondent_ids

    invisible = {"\u00ad", "\u061c", "\u180e", "\ufeff", *map(chr, range(0x200b, 0x2010)),
                 *map(chr, range(0x2028, 0x202f)), *map(chr, range(0x2060, 0x2065)),
                 *map(chr, range(0x2066, 0x2070))}
    expected = any(unicodedata.category(c) == "Cc" or c in invisible for c in text)
    assert bool(hidden_characters([text])[0]) is expected
    joiners_ok = any(unicodedata.category(c) == "Cc" or (c in invisible and c not in
                     "\u200c\u200d") for c in text)
    assert bool(hidden_characters([text], allow_joiners=True)[0]) is joiners_ok
    assert bool(invalid_respondent_ids([text])[0]) is (expected or len(text) > 64)
    assert not re.search("[\u200b\u202e]", "plain") and not hidden_characters([None])[0]
