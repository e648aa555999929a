"""XLSForm export: pyxform converts it (and ODK Validate accepts it); calculate parity."""

from __future__ import annotations

import io
import shutil
from typing import Any

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

import measurelib as ml
from measurelib.interop._export._common import fmt_num
from measurelib.interop._export._evaluate import evaluate_xpath

HAVE_JAVA = shutil.which("java") is not None


def sheet_rows(content: bytes, sheet: str) -> list[dict[str, Any]]:
    wb = load_workbook(io.BytesIO(content))
    ws = wb[sheet]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_every_shipped_measure_converts_with_pyxform(shipped: ml.Measure) -> None:
    res = ml.export(shipped, to="xlsform")
    warnings: list[str] = []
    # validate=True runs ODK Validate (JavaRosa) when Java is installed
    out = convert(xlsform=io.BytesIO(res.content), warnings=warnings, validate=HAVE_JAVA,
                  file_type=".xlsx")
    assert "<h:html" in out.xform
    assert not warnings, warnings
    survey = sheet_rows(res.content, "survey")
    names = [r["name"] for r in survey]
    assert len(names) == len(set(names))
    assert set(shipped.response_columns()) <= set(names)
    settings = sheet_rows(res.content, "settings")[0]
    assert settings["form_id"] == shipped.id.replace("-", "_")


def test_calculations_equal_measurelib(shipped: ml.Measure, rows_of: Any, own_scores: Any,
                                       close: Any) -> None:
    res = ml.export(shipped, to="xlsform")
    calcs = {r["name"]: r["calculation"] for r in sheet_rows(res.content, "survey")
             if r["type"] == "calculate"}
    rows = rows_of(shipped, 60, seed=11)
    expected = own_scores(shipped, rows)
    checked = 0
    for row, want in zip(rows, expected):
        values = {k: v if isinstance(v, str) else fmt_num(v) for k, v in row.items()}
        for rule in shipped.scores:
            name = next(n for n in calcs if n.rstrip("_") == f"score_{rule.id}")
            if calcs[name] == "''":
                continue
            got = evaluate_xpath(calcs[name], values)
            assert close(got, want[rule.id]), (rule.id, row, got, want[rule.id])
            checked += 1
    assert checked or all(r.method == "value_set" or r.transform for r in shipped.scores)


def test_translations_pictures_and_notes() -> None:
    res = ml.export("instruments/examples/feeling-today-cy-ar.yaml", to="xlsform")
    survey = sheet_rows(res.content, "survey")
    mood = next(r for r in survey if r["name"] == "mood")
    assert mood["label::Welsh (cy)"] == "Sut rydych chi'n teimlo heddiw?"
    assert mood["label::Arabic (ar)"] == "كيف تشعر اليوم؟"
    assert mood["type"] == "select_one faces5"
    choices = sheet_rows(res.content, "choices")
    first = next(c for c in choices if c["list_name"] == "faces5")
    assert first["media::image::English (en)"] == "faces-1.svg"
    assert res.media["faces-1.svg"].startswith(b"<svg") or b"<svg" in res.media["faces-1.svg"]
    coping = next(r for r in survey if r["name"] == "coping")
    assert coping["type"] == "range" and coping["parameters"] == "start=0 end=10 step=1"
    sw = ml.export("swemwbs", to="xlsform")
    metric = next(r for r in sheet_rows(sw.content, "survey") if r["name"] == "score_metric")
    assert metric["calculation"] == "''" and "lookup table" in metric["hint::English (en)"]
    assert any(d.code == "export-score-not-expressible" for d in sw.diagnostics)


def test_follow_up_relevance() -> None:
    survey = sheet_rows(ml.export("dialog", to="xlsform").content, "survey")
    names = [r["name"] for r in survey]
    assert "mental_health_help" in names


def test_write_puts_media_beside(tmp_path: Any) -> None:
    out = ml.export("instruments/examples/feeling-today-cy-ar.yaml", to="xlsform",
                    path=tmp_path / "form.xlsx")
    assert (tmp_path / "form.xlsx").stat().st_size > 1000
    assert sorted(p.name for p in (tmp_path / "form-media").iterdir()) == sorted(out.media)


@pytest.mark.skipif(not HAVE_JAVA, reason="ODK Validate needs Java")
def test_odk_validate_rejects_a_broken_form() -> None:
    from pyxform.errors import PyXFormError
    from pyxform.validators.odk_validate import ODKValidateError

    res = ml.export("phq-9", to="xlsform")
    wb = load_workbook(io.BytesIO(res.content))
    ws = wb["survey"]
    head = [c.value for c in ws[1]]
    col = head.index("calculation") + 1
    ws.cell(row=ws.max_row, column=col, value="if(${interest} = , 1)")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises((PyXFormError, ODKValidateError)):
        convert(xlsform=io.BytesIO(buf.getvalue()), validate=True, file_type=".xlsx")


def test_text_starting_with_equals_is_text_not_a_formula(write_yaml: Any) -> None:
    path = write_yaml("""
        format: 1
        id: eq-text
        version: 1.0.0
        title: "=HYPERLINK(\\"x\\")"
        licence: {holder: x, text_redistribution: allowed, modification: allowed}
        scales:
          s: {type: ordinal, options: [{value: 0, label: "=1+1"}, {value: 1, label: ok}]}
        items:
          - {id: a, text: "=cmd()", scale: s}
        """)
    res = ml.export(path, to="xlsform")
    wb = load_workbook(io.BytesIO(res.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
