"""Timepoints come from one declared list; anything else (and a future date) is a located error."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes import allowed_timepoints, loads_schedule

PHQ9 = ml.load("phq-9")
ITEMS = {it.id: 1 for it in PHQ9.items[:9]}


def frame(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"respondent_id": r, "timepoint": t, "date": d, **ITEMS}
                         for r, t, d in rows])


def test_unknown_timepoints_and_future_dates_are_located_errors(tmp_path) -> None:
    store = ml.Store(tmp_path / "s.db")
    df = frame(("a", "baseline", "2025-01-01"), ("b", "start", "2025-01-02"),
               ("c", "basline", "2025-01-03"), ("d", "baseline", "2099-01-01"))
    with pytest.raises(ml.DataError) as err:
        store.import_frame(PHQ9, df)
    text = str(err.value)
    assert "row 3" in text and "timepoint" in text and "'start'" in text
    assert "row 4" in text and "did you mean 'baseline'?" in text
    assert "row 5" in text and "date-in-future" in text
    assert "baseline, review, exit" in text
    assert store.scores("phq-9").empty  # nothing stored
    res = store.import_frame(PHQ9, df, reject_bad_rows=True)
    assert res.n_stored == 1 and res.n_rejected == 3


def test_the_schedule_is_the_declared_list(tmp_path) -> None:
    store = ml.Store(tmp_path / "s.db")
    store.configure_service("counselling", schedule=(
        "measures: [phq-9]\ntimepoints:\n  - {id: start, at: entry}\n"
        "  - {id: end, at: exit}\n"))
    assert allowed_timepoints(PHQ9, store) == ("start", "end")
    store.import_frame(PHQ9, frame(("a", "start", "2025-01-01")))
    with pytest.raises(ml.DataError, match="'baseline' is not one of the declared"):
        store.import_frame(PHQ9, frame(("b", "baseline", "2025-01-01")))


def test_the_measure_declares_its_timepoints() -> None:
    m = ml.loads(_with_timepoints("[intake, week6, discharge]"))
    assert m.timepoint_ids == ("intake", "week6", "discharge")
    assert allowed_timepoints(m) == ("intake", "week6", "discharge")
    with pytest.raises(ml.DefinitionError, match="listed twice"):
        ml.loads(_with_timepoints("[intake, intake]"))
    with pytest.raises(ml.DefinitionError):
        ml.loads(_with_timepoints("[Intake Week]"))


def _with_timepoints(tps: str) -> str:
    return f"""format: 1
id: tp-test
version: 1.0.0
title: Timepoint test
licence: {{holder: x, text_redistribution: allowed, modification: allowed}}
timepoints: {tps}
scales:
  s: {{type: numeric, min: 0, max: 3}}
items:
  - {{id: a, scale: s, text: How are you}}
scores:
  - {{id: total, items: all, higher_is_better: true}}
"""


def test_forms_and_entry_sheet_offer_exactly_the_declared_timepoints(tmp_path) -> None:
    from openpyxl import load_workbook

    m = ml.loads(_with_timepoints("[intake, week6, discharge]"))
    html = m.render("print")
    assert "Timepoint (intake, week6, discharge)" in html
    assert "start, review, end" not in html
    assert "Timepoint (baseline, review, exit)" in PHQ9.render("print")
    from measurelib.forms import write_entry_sheet

    path = write_entry_sheet(m, tmp_path / "entry.xlsx", rows=10)
    ws = load_workbook(path)["entry"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    tp = [dv for dv in lists if "C2" in str(dv.sqref)]
    assert tp and tp[0].formula1 == '"intake,week6,discharge"'


def test_schedule_timepoints_must_agree_with_the_measure(tmp_path) -> None:
    from measurelib.outcomes import check_schedule

    sched = loads_schedule("measures: [phq-9]\ntimepoints:\n  - {id: baseline, at: entry}\n")
    assert check_schedule(sched) == []  # phq-9 declares none: the schedule's list stands


def test_import_cli_names_row_and_column(tmp_path) -> None:
    df = frame(("a", "baseline", "2025-01-01"), ("b", "basline", "2025-01-02"))
    df.to_csv(tmp_path / "forms.csv", index=False)
    r = subprocess.run([sys.executable, "-m", "measurelib", "import", "phq-9", "forms.csv",
                        "--db", "s.db"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "timepoint-unknown" in r.stderr and "did you mean 'baseline'?" in r.stderr
    assert "Traceback" not in r.stderr


def test_template_offers_a_schedules_timepoints(tmp_path) -> None:
    from openpyxl import load_workbook

    (tmp_path / "s.yaml").write_text("measures: [phq-9]\ntimepoints:\n"
                                     "  - {id: start, at: entry}\n  - {id: end, at: exit}\n")
    r = subprocess.run([sys.executable, "-m", "measurelib", "template", "phq-9", "-o", "e.xlsx",
                        "--schedule", "s.yaml"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    ws = load_workbook(tmp_path / "e.xlsx")["entry"]
    tp = [dv for dv in ws.data_validations.dataValidation if "C2" in str(dv.sqref)]
    assert tp[0].formula1 == '"start,end"'
