"""Response and score data out (CSV, Excel, Parquet, SPSS, Stata) and in (REDCap, FHIR)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

import measurelib as ml
from measurelib.interop._export._data import neutralise, read_data, read_fhir, read_redcap, write_data
from measurelib.interop._export._fhir import questionnaire_response
from measurelib.interop._export._redcap import scale_codes


def _phq9_scores() -> tuple[ml.Measure, Any]:
    m = ml.load("phq-9")
    df = pd.DataFrame({"respondent_id": ["a", "b", "c"], "note": ["=HYPERLINK(1)", "-3", "@x"],
                       **{it.id: [0, 1, 3] for it in m.items}})
    return m, m.score(df)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".sav", ".dta"])
def test_scores_round_trip(tmp_path: Any, suffix: str) -> None:
    m, res = _phq9_scores()
    path = tmp_path / f"scores{suffix}"
    write_data(res, path, measure=m)
    back = read_data(path)
    assert back["total"].tolist() == res.scores["total"].tolist()
    assert back["interest"].tolist() == [0, 1, 3] if "interest" in back else True
    assert [str(x) for x in back["total_band"]] == [str(x) for x in res.scores["total_band"]]


def test_spss_and_stata_labels(tmp_path: Any) -> None:
    m = ml.load("phq-9")
    df = pd.DataFrame({it.id: [0, 3] for it in m.items})
    write_data(df, tmp_path / "r.sav", measure=m)
    _, meta = pyreadstat.read_sav(str(tmp_path / "r.sav"))
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["interest"] == "Little interest or pleasure in doing things"
    assert meta.variable_value_labels["interest"][3.0] == "Nearly every day"
    write_data(df, tmp_path / "r.dta", measure=m)
    _, meta = pyreadstat.read_dta(str(tmp_path / "r.dta"))
    assert meta.variable_value_labels["interest"][0] == "Not at all"


def test_formula_injection_is_neutralised_but_numbers_stay(tmp_path: Any) -> None:
    assert neutralise("=1+1") == "'=1+1" and neutralise("+x") == "'+x"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("-x") == "'-x"
    assert neutralise("-3") == "-3" and neutralise(-3) == -3 and neutralise("fine") == "fine"
    m, res = _phq9_scores()
    write_data(res, tmp_path / "s.csv")
    text = (tmp_path / "s.csv").read_text()
    assert "'=HYPERLINK(1)" in text and "'@x" in text and ",-3," in text
    write_data(res, tmp_path / "s.xlsx")
    ws = load_workbook(tmp_path / "s.xlsx").active
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells
    neg = pd.DataFrame({"x": [-3, 2]})
    write_data(neg, tmp_path / "n.xlsx")
    assert [c.value for c in load_workbook(tmp_path / "n.xlsx").active["A"]][1:] == [-3, 2]


def test_read_redcap_export(rows_of: Any) -> None:
    m = ml.load("dialog")
    rows = rows_of(m, 10, seed=2)
    exp = ml.export(m, to="redcap")
    specs = {s.column: s for s in __import__(
        "measurelib.interop._export._common", fromlist=["x"]).column_specs(m)}
    out = []
    for i, r in enumerate(rows):
        line = {"record_id": str(i + 1), "redcap_event_name": "baseline_arm_1",
                "dialog_complete": "2"}
        for col, s in specs.items():
            v = r.get(col)
            name = exp.field_map.get(col, col)
            line[name] = "" if v is None else (scale_codes(s.options)[float(v)]
                                               if s.kind == "choice" else str(v))
        out.append(line)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(out[0]))
    w.writeheader()
    w.writerows(out)
    frame = read_redcap(m, pd.read_csv(io.StringIO(buf.getvalue()), dtype=str,
                                       keep_default_na=False))
    assert frame["respondent_id"].tolist() == [str(i + 1) for i in range(10)]
    for i, r in enumerate(rows):
        for col in specs:
            got = frame[col].iloc[i]
            want = r.get(col)
            assert (want is None and (got is None or got != got)) or got == want, (col, got, want)
    res = m.score(frame)
    assert res.account.rows_scored == 10


def test_read_redcap_file_goes_through_the_one_reader(tmp_path: Any) -> None:
    """A REDCap data file is read like every data file: limits and located errors."""
    m = ml.load("phq-9")
    ok = tmp_path / "ok.csv"
    ok.write_text("record_id;interest\n1;0\n\n2;3\n", encoding="utf-8")  # semicolons, a blank line
    frame = read_redcap(m, ok)
    assert frame["respondent_id"].tolist() == ["1", "2"]
    assert frame["interest"].tolist() == [0, 3]
    twice = tmp_path / "twice.csv"
    twice.write_text("record_id,interest,interest\n1,0,1\n", encoding="utf-8")
    with pytest.raises(ml.DataError) as err:
        read_redcap(m, twice)
    assert err.value.errors[0].code == "ambiguous-column"
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n", encoding="utf-8")
    with ml.limits(data_columns=1_000), pytest.raises(ml.DataError) as err:
        read_redcap(m, wide)
    assert err.value.errors[0].code == "limit-exceeded"
    with pytest.raises(ml.DataError) as err:
        read_redcap(m, tmp_path / "missing.csv")
    assert err.value.errors[0].code == "file-not-found"


def test_read_redcap_rejects_labels() -> None:
    m = ml.load("phq-9")
    frame = pd.DataFrame({"record_id": ["1"], "interest": ["Not at all"]})
    with pytest.raises(ml.DataError, match="raw"):
        read_redcap(m, frame)


def test_read_fhir_bundle(tmp_path: Any, rows_of: Any) -> None:
    import json

    m = ml.load("gbo")
    rows = rows_of(m, 8, seed=4)
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": questionnaire_response(m, r, subject=f"Patient/{i}")}
        for i, r in enumerate(rows)]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    frame = read_fhir(m, path)
    assert frame["respondent_id"].tolist() == [str(i) for i in range(8)]
    assert len(frame) == 8
    assert m.score(frame).account.rows_scored == 8
    with pytest.raises(ml.DataError):
        read_fhir(m, tmp_path / "missing.json")


def test_bad_suffix() -> None:
    with pytest.raises(ValueError, match="`path` must end in"):
        write_data(pd.DataFrame({"a": [1]}), "x.txt")
