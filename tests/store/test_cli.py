"""The outcomes commands, run as users run them: `python -m measurelib ...` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import measurelib as ml

PHQ9 = ml.load("phq-9")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def forms(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["respondent_id", "timepoint", "date", "answer"])
    for it in PHQ9.items[:9]:
        df[it.code] = df["answer"]
    return df.drop(columns="answer")


ROWS = [(f"p{i}", "baseline", "2025-01-06", 2 + i % 2) for i in range(8)] + \
       [(f"p{i}", "exit", "2025-03-06", i % 2) for i in range(6)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    forms(ROWS).to_csv(tmp_path / "forms.csv", index=False)
    return tmp_path


def test_import_report_feedback_due(folder: Path) -> None:
    res = run("import", "phq-9", "forms.csv", "--db", "s.db", "--site", "North", cwd=folder)
    assert res.returncode == 0, res.stderr
    assert "14 row(s): 14 stored" in res.stdout
    again = run("import", "phq-9", "forms.csv", "--db", "s.db", "--format", "json", cwd=folder)
    assert again.returncode == 0 and json.loads(again.stdout)["n_already_stored"] == 14
    rep = run("report", "--db", "s.db", "--measure", "phq-9", "-o", "impact.html", cwd=folder)
    assert rep.returncode == 0, rep.stderr
    assert "<svg" in (folder / "impact.html").read_text()
    rep = run("report", "--db", "s.db", "--measure", "phq-9", "-o", "impact.json",
              "--min-cell", "10", cwd=folder)
    data = json.loads((folder / "impact.json").read_text())
    assert data["data"]["sections"][0]["headline"]["n_paired"] == "[c]"
    fb = run("feedback", "--db", "s.db", "--respondent", "p1", "-o", "me.html", cwd=folder)
    assert fb.returncode == 0, fb.stderr
    assert "your results" in (folder / "me.html").read_text()
    (folder / "sched.yaml").write_text(
        "measures: [phq-9]\ntimepoints:\n  - {id: baseline, at: entry}\n"
        "  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}\n")
    due = run("due", "--db", "s.db", "--schedule", "sched.yaml", "--on", "2025-02-20",
              "-o", "due.csv", cwd=folder)
    assert due.returncode == 0, due.stderr
    table = pd.read_csv(folder / "due.csv")
    # review 1 falls due on 17 Feb (6 weeks after 6 Jan) for everyone
    assert set(table["respondent_id"]) == {f"p{i}" for i in range(8)}
    assert set(table["status"]) == {"due"} and set(table["due_date"]) == {"2025-02-17"}
    assert "name" not in " ".join(table.columns)


def test_bad_file_stores_nothing(folder: Path) -> None:
    df = forms(ROWS)
    df.loc[3, "Q2"] = 5
    df.to_csv(folder / "bad.csv", index=False)
    res = run("import", "phq-9", "bad.csv", "--db", "s.db", cwd=folder)
    assert res.returncode == 1
    assert "bad.csv: row 5, column 'Q2'" in res.stderr and "nothing was stored" in res.stderr
    assert "Traceback" not in res.stderr
    assert ml.Store(folder / "s.db").counts()["administrations"] == 0
    res = run("import", "phq-9", "bad.csv", "--db", "s.db", "--reject-bad-rows", cwd=folder)
    assert res.returncode == 1 and "13 stored" in res.stdout
    rejected = pd.read_csv(folder / "bad.csv.rejected.csv")
    assert rejected["row"].tolist() == [5] and "Q2" in rejected["reasons"].iloc[0]


def test_double_entry(folder: Path) -> None:
    second = forms(ROWS)
    second.loc[0, "Q7"] = 0
    second.to_csv(folder / "second.csv", index=False)
    res = run("import", "phq-9", "forms.csv", "--db", "s.db", "--verify", "second.csv",
              cwd=folder)
    assert res.returncode == 1
    assert "forms.csv: row 2, column 'Q7'" in res.stderr
    assert "first keying '2', second keying '0'" in res.stderr
    assert ml.Store(folder / "s.db").counts()["administrations"] == 0


def test_usage_errors(folder: Path) -> None:
    res = run("report", "--db", "s.db", "--measure", "phq-9", "-o", "x.docx", cwd=folder)
    assert res.returncode == 2 and "allowed file types" in res.stderr
    res = run("import", "phq-9", "missing.csv", "--db", "s.db", cwd=folder)
    assert res.returncode == 2 and "missing.csv" in res.stderr
    assert run("import", "phq-9", "forms.csv", "--db", "s.db", cwd=folder).returncode == 0
    res = run("due", "--db", "s.db", cwd=folder)
    assert res.returncode == 2 and "no schedule given" in res.stderr
    res = run("import", "phq-9", "forms.csv", "--db", "no/such/dir/s.db", cwd=folder)
    assert res.returncode == 2 and "cannot open the store" in res.stderr
    assert "Traceback" not in res.stderr
