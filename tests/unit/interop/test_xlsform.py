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
from measurelib.psychometrics import conversion_table

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
                                       close: Any, table_scores: Any) -> None:
    res = ml.export(shipped, to="xlsform")
    calcs = {r["name"]: r["calculation"] for r in sheet_rows(res.content, "survey")
             if r["type"] == "calculate"}
    rows = rows_of(shipped, 60, seed=11)
    expected = own_scores(shipped, rows)
    # IRT scores: the published design is EAP for summed scores from the conversion table,
    # complete answers only (docs/interop.md), so that is what the form is checked against
    sum_scores = table_scores(shipped, rows)
    checked = 0
    for row, want, want_sum in zip(rows, expected, sum_scores):
        values = {k: v if isinstance(v, str) else fmt_num(v) for k, v in row.items()}
        for rule in shipped.scores:
            name = next(n for n in calcs if n.rstrip("_") == f"score_{rule.id}")
            if calcs[name] == "''":
                continue
            if f"{name}_raw" in calcs:  # a lookup table: the raw score, then the lookup
                raw = evaluate_xpath(calcs[f"{name}_raw"], values)
                values[f"{name}_raw"] = "" if raw is None else fmt_num(raw)
            got = evaluate_xpath(calcs[name], values)
            if rule.method == "irt":
                assert close(got, want_sum[rule.id]), (rule.id, row, got, want_sum[rule.id])
            else:
                assert close(got, want[rule.id]), (rule.id, row, got, want[rule.id])
            checked += 1
    assert checked or all(r.method == "value_set" for r in shipped.scores)


def test_irt_score_is_the_summed_score_table_and_says_so() -> None:
    """wellbeing-cat: the raw sum, the table lookup, a hint and an info diagnostic."""
    res = ml.export("wellbeing-cat", to="xlsform")
    survey = {r["name"]: r for r in sheet_rows(res.content, "survey")}
    score, raw = survey["score_wellbeing_t"], survey["score_wellbeing_t_raw"]
    assert score["type"] == raw["type"] == "calculate"
    assert score["calculation"].startswith("if(${score_wellbeing_t_raw} = ")
    hint = next(v for k, v in score.items() if k.startswith("hint::"))
    assert "EAP for summed scores" in hint and "every question is answered" in hint
    assert "score the responses with measurelib" in hint
    d = next(d for d in res.diagnostics if d.code == "export-irt-conversion")
    assert d.severity == "info" and "wellbeing_t" in d.message
    assert "export-score-not-expressible" not in [x.code for x in res.diagnostics]
    m = ml.load("wellbeing-cat")
    table = conversion_table(m, m.score_items(m.scores[0]))
    low = {it.id: fmt_num(5 if it.reverse else 1) for it in m.items}
    total = evaluate_xpath(raw["calculation"], low)
    assert total == len(m.items)  # the lowest sum
    low["score_wellbeing_t_raw"] = fmt_num(total)
    assert evaluate_xpath(score["calculation"], low) == round(float(table["score"].iloc[0]), 1)


def test_lookup_table_scores_are_calculated() -> None:
    """SWEMWBS's metric score (raw → metric table) is a calculation, not an empty one."""
    res = ml.export("swemwbs", to="xlsform")
    calcs = {r["name"]: r["calculation"] for r in sheet_rows(res.content, "survey")
             if r["type"] == "calculate"}
    rule = next(r for r in ml.load("swemwbs").scores if r.transform and r.transform.table)
    name = f"score_{rule.id}"
    assert calcs[name] != "''" and f"${{{name}_raw}}" in calcs[name]
    assert evaluate_xpath(calcs[name], {f"{name}_raw": "7"}) == 7.0
    assert evaluate_xpath(calcs[name], {f"{name}_raw": "35"}) == 35.0
    assert evaluate_xpath(calcs[name], {f"{name}_raw": ""}) is None
    assert not [d for d in res.diagnostics if d.code == "export-score-not-expressible"
                and rule.id in d.message]


@pytest.mark.parametrize("timepoints", [None, ["baseline", "review", "exit"]])
def test_form_asks_who_and_when(timepoints: list[str] | None) -> None:
    """respondent_id, timepoint and date come first, so the data export can be imported."""
    res = ml.export("phq-9", to="xlsform", timepoints=timepoints)
    survey = sheet_rows(res.content, "survey")
    first = {r["name"]: r for r in survey[:3]}
    assert list(first) == ["respondent_id", "timepoint", "date"]
    assert first["respondent_id"]["type"] == "text" and first["respondent_id"]["required"]
    assert first["date"]["type"] == "today"
    if timepoints:
        assert first["timepoint"]["type"] == "select_one timepoints"
        names = [r["name"] for r in sheet_rows(res.content, "choices")
                 if r["list_name"] == "timepoints"]
        assert names == timepoints
    else:
        assert first["timepoint"]["type"] == "text"
    out = convert(xlsform=io.BytesIO(res.content), warnings=[], validate=False,
                  file_type=".xlsx")
    assert 'nodeset="/data/timepoint"' in out.xform or "/timepoint" in out.xform
    with pytest.raises(TypeError, match="timepoints"):
        ml.export("phq-9", to="xlsform", timepoints="baseline")  # type: ignore[arg-type]


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
    assert metric["calculation"].startswith("if(${score_metric_raw} = 7, 7, ")
    assert not any(d.code == "export-score-not-expressible" for d in sw.diagnostics)


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
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert not [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert {"'=cmd()", "'=1+1"} <= {c.value for c in cells}  # the one neutraliser's rule
