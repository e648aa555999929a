"""`measurelib score` run as a real command in a subprocess: exit codes, files, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

HEADER = "respondent_id,date,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9\n"
GOOD = [
    "007,2024-01-02,0,1,0,1,0,0,0,0,0",
    "008,2024-01-03,3,3,3,3,3,3,3,3,1",
    "009,2024-01-04,1,2,1,1,1,1,1,1,0",
    "010,2024-01-05,2,2,2,2,2,2,2,2,0",
]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", "score", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write(tmp_path: Path, lines: list[str], name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clean_file(tmp_path):
    write(tmp_path, GOOD)
    r = run("phq-9", "data.csv", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no progress bar when stderr is not a terminal
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["respondent_id"].tolist() == ["007", "008", "009", "010"]  # untouched
    assert out["total"].astype(float).tolist() == [2, 25, 9, 16]
    assert out["total_band"].tolist() == ["None-minimal", "Severe", "Mild", "Moderately severe"]
    assert out["alerts"].tolist() == ["", "self_harm_thoughts", "", ""]
    assert "rows: 4 in, 4 scored, 0 rejected" in r.stdout
    assert "total: n=4 mean=13.00" in r.stdout
    assert "alerts fired: 1" in r.stdout
    assert "007" not in r.stdout + r.stderr  # no respondent data in the summary


def test_invalid_values_listed_and_exit_1(tmp_path):
    lines = GOOD + ["011,2024-01-06,1,1,6,1,1,1,1,1,0", "012,2024-01-07,1,1,1,x,1,1,2.5,1,0"]
    write(tmp_path, lines)
    r = run("phq-9", "data.csv", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 1
    err = r.stderr.splitlines()
    assert err[:3] == [
        "data.csv: row 6, column 'Q3': value 6 is not a valid answer (allowed: 0, 1, 2, 3)",
        "data.csv: row 7, column 'Q4': value 'x' is not a number (allowed: 0, 1, 2, 3)",
        "data.csv: row 7, column 'Q7': value 2.5 is not a valid answer (allowed: 0, 1, 2, 3)",
    ]
    assert "3 invalid value(s) in 2 row(s)" in r.stderr
    assert not (tmp_path / "out.csv").exists()
    assert "Traceback" not in r.stderr


def test_errors_found_in_every_chunk_with_file_row_numbers(tmp_path):
    lines = GOOD * 3 + ["011,2024-01-06,1,1,6,1,1,1,1,1,0"]
    lines[1] = "008,2024-01-03,3,3,3,3,3,9,3,3,1"
    write(tmp_path, lines)
    r = run("phq-9", "data.csv", "-o", "out.csv", "--chunksize", "5", cwd=tmp_path)
    assert r.returncode == 1
    assert "row 3, column 'Q6'" in r.stderr and "row 14, column 'Q3'" in r.stderr


def test_reject_writes_rejected_file_and_balances(tmp_path):
    lines = GOOD + ["011,2024-01-06,1,1,6,1,1,1,1,1,2"]
    write(tmp_path, lines)
    r = run("phq-9", "data.csv", "-o", "out.csv", "--on-invalid", "reject",
            "--rejected", "rej.csv", "--chunksize", "2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rej = pd.read_csv(tmp_path / "rej.csv", dtype=str, keep_default_na=False)
    assert rej[["row", "column", "reason"]].values.tolist() == [["6", "Q3", "invalid-answer"]]
    assert rej["respondent_id"].tolist() == ["011"]
    assert rej["alerts"].tolist() == ["self_harm_thoughts"]
    assert "rows: 5 in, 4 scored, 1 rejected" in r.stdout
    assert "invalid-answer (1)" in r.stdout
    assert len(pd.read_csv(tmp_path / "out.csv")) == 4


def test_missing_policy_and_json(tmp_path):
    lines = GOOD + ["011,2024-01-06,1,1,6,1,1,1,1,1,0"]
    write(tmp_path, lines)
    r = run("phq-9", "data.csv", "-o", "out.csv", "--on-invalid", "missing", "--format",
            "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    acc = doc["account"]
    assert (acc["rows_in"], acc["rows_scored"], acc["rows_rejected"]) == (5, 5, 0)
    assert acc["missing_reasons"] == {"invalid-answer": 1}
    assert doc["statistics"]["total"]["n"] == 4
    assert doc["measure"] == {"id": "phq-9", "version": "1.0.0"}


def test_chunked_output_equals_single_chunk(tmp_path):
    lines = [f"{i:03d},2024-01-01,{i % 4},{(i + 1) % 4},{i % 3},1,0,2,,1,{i % 2}"
             for i in range(23)]
    write(tmp_path, lines)
    for name, size in (("one.csv", "1000"), ("many.csv", "4")):
        r = run("phq-9", "data.csv", "-o", name, "--chunksize", size, "--on-invalid",
                "missing", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "one.csv").read_text() == (tmp_path / "many.csv").read_text()


def test_column_map_options(tmp_path):
    (tmp_path / "data.csv").write_text(
        "id,Item 1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Nine\nA,1,1,1,1,1,1,1,1,0\n", encoding="utf-8")
    r = run("phq-9", "data.csv", "-o", "out.csv", "--column", "Item 1=interest",
            "--column", "Nine=Q9", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (tmp_path / "map.yaml").write_text("Item 1: interest\nNine: self_harm\n", encoding="utf-8")
    r = run("phq-9", "data.csv", "-o", "out2.csv", "--columns", "map.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "out2.csv")["total"].tolist() == [8]


def test_missing_column_is_exit_1_with_did_you_mean(tmp_path):
    (tmp_path / "data.csv").write_text("Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q_9\n0,0,0,0,0,0,0,0,0\n")
    r = run("phq-9", "data.csv", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 1
    assert "no column for item 'self_harm'" in r.stderr
    assert "Did you mean 'Q_9'?" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args, needle", [
    (["nonexistent-measure", "data.csv"], "neither a file nor a catalog id"),
    (["phq-9", "nothere.csv"], "nothere.csv: no such file"),
    (["phq-9", "data.json"], "cannot read .json"),
    (["phq-9", "."], "is a folder, not a data file"),
    (["phq-9", "data.csv", "--sheet", "S1"], "--sheet S1: data.csv is not an Excel workbook"),
    (["phq-9", "bad.parquet"], "bad.parquet cannot be read as a Parquet file (ArrowInvalid)"),
    (["phq-9", "data.csv", "-o", "out.pdf"], "unsupported file type"),
    (["phq-9", "data.csv", "--column", "Q1"], "is not HEADING=ITEM"),
    (["phq-9", "data.csv", "--chunksize", "0"], "--chunksize must be a positive"),
])
def test_usage_errors_exit_2(tmp_path, args, needle):
    write(tmp_path, GOOD)
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not a Parquet file")
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_a_chunk_larger_than_any_file_is_the_whole_file(tmp_path):
    write(tmp_path, GOOD)
    r = run("phq-9", "data.csv", "-o", "out.csv", "--chunksize", str(10**20), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "rows: 4 in, 4 scored" in r.stdout


def test_scores_to_stdout_without_output(tmp_path):
    write(tmp_path, GOOD)
    r = run("phq-9", "data.csv", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == "respondent_id,date,total,total_band,total_n_missing,alerts"
    assert "rows: 4 in, 4 scored" in r.stderr  # the summary moves to stderr


def test_excel_in_and_out(tmp_path):
    df = pd.DataFrame([line.split(",") for line in GOOD], columns=HEADER.strip().split(","))
    for c in df.columns[2:]:
        df[c] = df[c].astype(int)
    df.to_excel(tmp_path / "data.xlsx", index=False)
    r = run("phq-9", "data.xlsx", "-o", "out.xlsx", "--on-invalid", "reject",
            "--rejected", "rej.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pd.read_excel(tmp_path / "out.xlsx")
    assert out["total"].tolist() == [2, 25, 9, 16]
    assert out["total_band"].tolist()[1] == "Severe"
    assert len(pd.read_excel(tmp_path / "rej.xlsx")) == 0


def test_parquet_in_and_out(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame([line.split(",") for line in GOOD * 5], columns=HEADER.strip().split(","))
    for c in df.columns[2:]:
        df[c] = df[c].astype(float)
    df.to_parquet(tmp_path / "data.parquet")
    r = run("phq-9", "data.parquet", "-o", "out.parquet", "--chunksize", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["total"].tolist() == [2, 25, 9, 16] * 5
    assert "rows: 20 in, 20 scored" in r.stdout


def _on_a_terminal(tmp_path, *extra):
    pty = pytest.importorskip("pty")
    import os

    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "measurelib", "score", "phq-9", "data.csv", "-o", "out.csv",
             "--chunksize", "7", *extra], cwd=tmp_path, stdout=subprocess.PIPE,
            stderr=secondary, text=True, timeout=120, env={**os.environ, "TERM": "xterm"})
        os.close(secondary)
        chunks = []
        while True:
            try:
                data = os.read(primary, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(primary)
    return proc, b"".join(chunks).decode()


def test_progress_bar_only_on_a_terminal(tmp_path):
    write(tmp_path, GOOD * 10)
    proc, err = _on_a_terminal(tmp_path)
    assert proc.returncode == 0
    assert "scoring data.csv" in err  # the tqdm bar (the one progress helper)
    assert "rows: 40 in, 40 scored" in proc.stdout
    proc, err = _on_a_terminal(tmp_path, "--quiet")
    assert proc.returncode == 0 and err == ""


def _peak_kb(args: list[str], cwd) -> tuple[int, str]:
    """Run `measurelib ARGS` under a fresh parent process and return the child's peak RSS.

    (RUSAGE_CHILDREN of the test process would include every earlier subprocess of the
    session, so the measurement is made one level down.)
    """
    code = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'measurelib', *sys.argv[1:]],"
        " capture_output=True, text=True)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.stdout)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                         text=True, timeout=900)
    first, _, rest = out.stdout.partition("\n")
    rc, peak = (int(x) for x in first.split())
    assert rc == 0, out.stderr
    return peak, rest


@pytest.mark.slow
def test_large_file_in_bounded_memory(tmp_path):
    import numpy as np

    rows = 1_000_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"Q{i}": rng.integers(0, 4, rows) for i in range(1, 10)})
    frame.insert(0, "respondent_id", np.arange(rows))
    frame.to_csv(tmp_path / "big.csv", index=False)
    frame.iloc[:1000].to_csv(tmp_path / "small.csv", index=False)
    small_kb, _ = _peak_kb(["score", "phq-9", "small.csv", "-o", "small-out.csv"], tmp_path)
    peak_kb, stdout = _peak_kb(["score", "phq-9", "big.csv", "-o", "out.csv",
                                "--chunksize", "50000"], tmp_path)
    assert f"rows: {rows} in, {rows} scored" in stdout
    with open(tmp_path / "out.csv") as fh:
        assert sum(1 for _ in fh) == rows + 1
    # the whole file as strings in pandas would take well over 1 GB more than a tiny file;
    # scoring in chunks of 50,000 rows adds a few hundred MB at most
    assert peak_kb - small_kb < 400_000, (peak_kb, small_kb)


def test_row_numbers_count_blank_lines(tmp_path):
    (tmp_path / "data.csv").write_text(HEADER + GOOD[0] + "\n\n" +
                                       "011,2024-01-06,1,1,1,7,1,1,1,1,0\n", encoding="utf-8")
    r = run("phq-9", "data.csv", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 1
    assert "data.csv: row 4, column 'Q4': value 7" in r.stderr


def test_entry_sheet_scores_without_a_map(tmp_path):
    import openpyxl

    made = subprocess.run([sys.executable, "-m", "measurelib", "template", "phq-9", "-o",
                           "entry.xlsx"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    wb = openpyxl.load_workbook(tmp_path / "entry.xlsx")
    ws = wb.worksheets[0]
    headings = [c.value for c in ws[1]]
    row = {"respondent_id": "r1", "date": "2024-01-01", "timepoint": "baseline",
           **{f"Q{i}": 1 for i in range(1, 10)}}
    for j, h in enumerate(headings, start=1):
        if h in row:
            ws.cell(2, j, row[h])
    wb.save(tmp_path / "entry.xlsx")
    r = run("phq-9", "entry.xlsx", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["total"].tolist() == [9] and out["respondent_id"].tolist() == ["r1"]


def test_small_numbers_suppressed_on_request(tmp_path):
    write(tmp_path, GOOD)
    r = run("phq-9", "data.csv", "-o", "out.csv", "--suppress-below", "5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "total: n=[c]" in r.stdout and "Severe [c]" in r.stdout and "Moderate 0" in r.stdout
    assert "alerts fired: [c]" in r.stdout
    r = run("phq-9", "data.csv", "-o", "out.csv", "--suppress-below", "3", "--format", "json",
            cwd=tmp_path)
    doc = json.loads(r.stdout)
    # four bands of one person each: shown, n = 4 would give every band away, so it is hidden
    assert doc["statistics"]["total"]["n"] is None
    assert doc["statistics"]["total"]["bands"]["Severe"] is None
    assert doc["account"]["alerts"]["self_harm_thoughts"] is None
    assert doc["account"]["rows_in"] == 4  # row counts are the account, never suppressed


def test_formula_injection_is_neutralised_in_csv_and_excel(tmp_path):
    (tmp_path / "data.csv").write_text(
        "respondent_id,note,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9\n"
        "=HYPERLINK(\"http://x\"),@SUM(A1),0,1,2,3,0,1,2,3,0\n"
        "-5,+cmd,0,0,0,0,0,0,0,0,0\n", encoding="utf-8")
    for out in ("out.csv", "out.xlsx"):
        r = run("phq-9", "data.csv", "-o", out, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        back = (pd.read_csv(tmp_path / out, dtype=str) if out.endswith(".csv")
                else pd.read_excel(tmp_path / out, dtype=str))
        assert back["respondent_id"].tolist() == ["'=HYPERLINK(\"http://x\")", "-5"]
        assert back["note"].tolist() == ["'@SUM(A1)", "'+cmd"]
        assert [float(x) for x in back["total"]] == [12.0, 0.0]
