"""Excel entry sheets: columns = paper-form codes, drop-downs, codes sheet; keyed data scores."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import measurelib as ml
from measurelib.cli._main import main
from measurelib.forms import entry_columns, write_entry_sheet

openpyxl = pytest.importorskip("openpyxl")
ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


def test_columns_and_validation(tmp_path: Path) -> None:
    m = ml.load("phq-9")
    out = write_entry_sheet(m, tmp_path / "entry.xlsx", rows=50)
    wb = openpyxl.load_workbook(out)
    ws = wb["entry"]
    headings = [c.value for c in ws[1]]
    assert headings == ["respondent_id", "date", "timepoint", "worker"] + [
        f"Q{i}" for i in range(1, 11)]
    assert ws.freeze_panes == "B2"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 10
    assert all(dv.formula1 == '"0,1,2,3"' for dv in lists)
    assert any(str(dv.sqref) == "E2:E51" for dv in lists)
    codes = wb["codes"]
    rows = [[c.value for c in r] for r in codes.iter_rows()]
    assert rows[0] == ["column", "item id", "question", "answer code", "answer"]
    assert ["Q1", "interest", "Little interest or pleasure in doing things", "0",
            "Not at all"] in rows


def test_keyed_sheet_scores_with_no_mapping(tmp_path: Path) -> None:
    m = ml.load("phq-9")
    path = write_entry_sheet(m, tmp_path / "entry.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["entry"]
    ws.append(["R1", datetime.date(2024, 5, 1), "baseline", "AB", 1, 2, 0, 1, 3, 0, 1, 0, 0, 1])
    ws.append(["R2", datetime.date(2024, 8, 1), "review", "AB", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    wb.save(path)
    import pandas as pd

    result = m.score(pd.read_excel(path))
    assert list(result.scores["total"]) == [8.0, 0.0]
    assert list(result.scores["respondent_id"]) == ["R1", "R2"]
    assert result.account.rows_rejected == 0


def test_numeric_and_text_columns(tmp_path: Path) -> None:
    m = ml.load(EXAMPLE)
    assert [h for h, _, _ in entry_columns(m)] == ["F1", "F2", "F3", "F4", "F5"]
    wb = openpyxl.load_workbook(write_entry_sheet(m, tmp_path / "e.xlsx", lang="cy"))
    dvs = {str(dv.sqref).split(":")[0]: dv for dv in wb["entry"].data_validations.dataValidation}
    assert dvs["H2"].formula1 == '"' + ",".join(str(i) for i in range(11)) + '"'
    assert "I2" not in dvs  # free text: no validation
    rows = [[c.value for c in r] for r in wb["codes"].iter_rows()]
    assert any(r[4] == "Anhapus iawn" for r in rows)


def test_licensed_text_is_not_written(tmp_path: Path) -> None:
    m = ml.load("swemwbs")
    wb = openpyxl.load_workbook(write_entry_sheet(m, tmp_path / "s.xlsx"))
    assert [c.value for c in wb["entry"][1]][4:] == ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]
    questions = {r[2] for r in ([c.value for c in r] for r in wb["codes"].iter_rows(min_row=2))}
    assert questions <= {"", None}


def test_bad_arguments(tmp_path: Path) -> None:
    m = ml.load("phq-9")
    with pytest.raises(ValueError, match="rows"):
        write_entry_sheet(m, tmp_path / "x.xlsx", rows=0)
    with pytest.raises(TypeError, match="measure"):
        write_entry_sheet("phq-9", tmp_path / "x.xlsx")  # type: ignore[arg-type]


def test_cli_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "entry.xlsx"
    assert main(["template", "phq-9", "-o", str(out)]) == 0
    assert out.exists() and "Q10" in capsys.readouterr().out
    assert main(["template", "phq-9", "-o", str(tmp_path / "e.csv")]) == 2
    assert main(["template", "no-such-measure", "-o", str(out)]) == 2
    assert main(["template", "phq-9", "-o", str(out), "--format", "json"]) == 0
    assert '"columns"' in capsys.readouterr().out
