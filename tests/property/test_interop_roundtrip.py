"""Properties of the exports: random measures survive export → import, exported score
expressions agree with measurelib, and random response rows survive data export → import."""

from __future__ import annotations

import csv
import io
import math
import random
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import measurelib as ml
from measurelib.interop import from_fhir, from_redcap, from_xlsform
from measurelib.interop._export._common import column_specs, fmt_num
from measurelib.interop._export._data import read_data, read_fhir, write_data
from measurelib.interop._export._evaluate import evaluate_redcap, evaluate_xpath
from measurelib.interop._export._fhir import questionnaire_response
from measurelib.interop._export._redcap import scale_codes

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÀéß ,.?'!=-", min_size=1, max_size=12)
LABEL = WORD.map(lambda s: " ".join(s.split())).filter(lambda s: s != "" and s[0] not in "-=")
NAME = st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True).filter(
    lambda s: not s.endswith("_text"))


@st.composite
def measures(draw: Any) -> ml.Measure:
    langs = draw(st.sampled_from([["en"], ["en", "cy"]]))

    def text() -> Any:
        if len(langs) == 1:
            return draw(LABEL)
        return {x: draw(LABEL) for x in langs}

    scales: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 3))):
        values = draw(st.lists(st.sampled_from([-1, 0, 0.5, 1, 2, 3, 4, 5, 7, 10]),
                               min_size=2, max_size=5, unique=True))
        scales[f"s{i}"] = {"type": "ordinal", "options": [
            {"value": v, "label": text()} for v in sorted(values)]}
    if draw(st.booleans()):
        lo = draw(st.integers(0, 3))
        scales["num"] = {"type": "numeric", "min": lo, "max": lo + draw(st.integers(1, 10))}
    ids = draw(st.lists(NAME, min_size=1, max_size=6, unique=True))
    items = []
    for iid in ids:
        it: dict[str, Any] = {"id": iid, "text": text(),
                              "scale": draw(st.sampled_from(sorted(scales)))}
        if draw(st.booleans()):
            it["reverse"] = True
        if draw(st.integers(0, 4)) == 0:
            it["required"] = True
        items.append(it)
    used = sorted({it["scale"] for it in items})
    n = len(items)
    max_missing = draw(st.integers(0, n - 1))
    score: dict[str, Any] = {"id": "total", "items": "all",
                             "method": draw(st.sampled_from(["sum", "mean"])),
                             "missing": {"max_missing": max_missing,
                                         "prorate": draw(st.booleans()) and max_missing > 0}}
    data = {"format": 1, "id": "random-measure", "version": "1.2.3",
            "title": text(), "language": "en", "languages": langs if len(langs) > 1 else None,
            "licence": {"holder": "x", "text_redistribution": "allowed",
                        "modification": "allowed"},
            "scales": {k: scales[k] for k in used}, "items": items, "scores": [score]}
    return ml.Measure.model_validate({k: v for k, v in data.items() if v is not None})


def carried(m: ml.Measure, langs: list[str]) -> list[Any]:
    out = []
    for it in m.items:
        sc = m.scales[it.scale]
        shape = (tuple((float(o.value), tuple(m.text(o.label, x) for x in langs))
                       for o in sc.options) if sc.type == "ordinal"
                 else (float(sc.min), float(sc.max)))
        out.append((it.id, tuple(m.text(it.text, x) for x in langs), shape, it.required))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(measures())
def test_random_measures_survive_export_and_import(m: ml.Measure) -> None:
    fhir = from_fhir(ml.export(m, to="fhir").content).measure
    assert carried(fhir, m.all_languages) == carried(m, m.all_languages)
    assert fhir.to_dict()["scores"] == m.to_dict()["scores"]
    assert [it.reverse for it in fhir.items] == [it.reverse for it in m.items]
    xls = from_xlsform(ml.export(m, to="xlsform").content).measure
    assert carried(xls, m.all_languages) == carried(m, m.all_languages)
    rc = from_redcap("d.csv", text=ml.export(m, to="redcap").content).measure
    assert carried(rc, [m.language]) == carried(m, [m.language])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(measures(), st.integers(0, 10_000))
def test_exported_calculations_equal_measurelib(m: ml.Measure, seed: int) -> None:
    rng = random.Random(seed)
    specs = column_specs(m)
    rows = []
    for _ in range(12):
        row: dict[str, Any] = {}
        for s in specs:
            if rng.random() < 0.25:
                continue
            row[s.column] = (rng.choice(s.options).value if s.kind == "choice"
                             else rng.randint(int(s.minimum or 0), int(s.maximum or 0)))
        rows.append(row)
    want = m.score(pd.DataFrame(rows, columns=[s.column for s in specs])).scores["total"]
    x = ml.export(m, to="xlsform")
    ws = load_workbook(io.BytesIO(x.content))["survey"]
    head = [c.value for c in ws[1]]
    calc = next(r[head.index("calculation")] for r in ws.iter_rows(min_row=2, values_only=True)
                if r[0] == "calculate")
    rc = ml.export(m, to="redcap")
    rcalc = next(r["Choices, Calculations, OR Slider Labels"]
                 for r in csv.DictReader(io.StringIO(rc.content)) if r["Field Type"] == "calc")
    by = {s.column: s for s in specs}
    for row, w in zip(rows, want.tolist()):
        w = None if w is None or (isinstance(w, float) and math.isnan(w)) else w
        xv = {k: fmt_num(v) for k, v in row.items()}
        rv = {rc.field_map.get(k, k): (scale_codes(by[k].options)[float(v)]
                                       if by[k].kind == "choice" else fmt_num(v))
              for k, v in row.items()}
        for got in (evaluate_xpath(calc, xv), evaluate_redcap(rcalc, rv)):
            assert (got is None) == (w is None), (row, got, w)
            if got is not None:
                assert abs(got - w) < 1e-9, (row, got, w)


CELL = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, -2.25]))
TEXT = st.one_of(st.none(), st.text(alphabet="abc xyz", min_size=1, max_size=6).map(str.strip)
                 .filter(bool))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(CELL, CELL, TEXT), min_size=1, max_size=8),
       st.sampled_from([".csv", ".xlsx", ".parquet", ".sav", ".dta"]))
def test_random_rows_survive_data_export_and_import(rows: list[Any], suffix: str) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "note"])
    # rows carry an id (a row with nothing in it at all is dropped by spreadsheet readers)
    frame.insert(0, "respondent_id", [f"r{i}" for i in range(len(frame))])
    frame["a"] = frame["a"].astype(float)
    frame["b"] = frame["b"].astype(float)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"data{suffix}"
        write_data(frame, path)
        back = read_data(path)
    assert len(back) == len(frame)
    assert back["respondent_id"].tolist() == frame["respondent_id"].tolist()
    for col in ("a", "b"):
        for x, y in zip(frame[col], back[col]):
            assert (math.isnan(x) and (y is None or math.isnan(float(y)))) or float(y) == x
    def blank(v: Any) -> bool:
        return v is None or v == "" or (isinstance(v, float) and math.isnan(v))

    for x, y in zip(frame["note"], back["note"]):
        assert (blank(x) and blank(y)) or y == x


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(measures(), st.integers(0, 10_000))
def test_random_rows_survive_fhir_responses(m: ml.Measure, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(5):
        rows.append({s.column: (rng.choice(s.options).value if s.kind == "choice"
                                else rng.randint(int(s.minimum or 0), int(s.maximum or 0)))
                     for s in column_specs(m) if rng.random() < 0.8})
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": questionnaire_response(m, r)} for r in rows]}
    back = read_fhir(m, bundle)
    for i, row in enumerate(rows):
        for s in column_specs(m):
            got = back[s.column].iloc[i] if s.column in back else None
            want = row.get(s.column)
            if want is None:
                assert got is None or got != got
            else:
                assert float(got) == float(want)


_FP: dict[str, Any] = {}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(measures(), st.integers(0, 10_000))
def test_fhirpath_scores_equal_measurelib(m: ml.Measure, seed: int) -> None:
    from fhirpathpy import compile as fp_compile
    from fhirpathpy.models import models

    q = ml.export(m, to="fhir").content

    def run(expr: str, qr: dict[str, Any], env: dict[str, Any]) -> list[Any]:
        if expr not in _FP:
            _FP[expr] = fp_compile(expr, models["r4"])
        return list(_FP[expr](qr, dict(env)))

    rng = random.Random(seed)
    specs = column_specs(m)
    rows = [{s.column: (rng.choice(s.options).value if s.kind == "choice"
                        else rng.randint(int(s.minimum or 0), int(s.maximum or 0)))
             for s in specs if rng.random() < 0.75} for _ in range(6)]
    want = m.score(pd.DataFrame(rows, columns=[s.column for s in specs])).scores["total"]
    calc = next(e["valueExpression"]["expression"] for it in q["item"]
                for e in it.get("extension", []) if e["url"].endswith("calculatedExpression"))
    for row, w in zip(rows, want.tolist()):
        qr = questionnaire_response(m, row)
        env: dict[str, Any] = {"resource": qr}
        for e in q["extension"]:
            if e["url"].endswith("/variable"):
                ve = e["valueExpression"]
                env[ve["name"]] = run(ve["expression"], qr, env)
        got = run(calc, qr, env)
        if w is None or (isinstance(w, float) and math.isnan(w)):
            assert got == []
        else:
            assert len(got) == 1 and abs(float(got[0]) - w) < 1e-9, (row, got, w)
