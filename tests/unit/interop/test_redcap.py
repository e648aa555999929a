"""REDCap data dictionary: a checker written from REDCap's documented rules; calc parity."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import measurelib as ml
from measurelib.interop._export._common import column_specs, fmt_num
from measurelib.interop._export._evaluate import evaluate_redcap
from measurelib.interop._export._redcap import COLUMNS, field_name, scale_codes

FIELD_TYPES = {"text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc",
               "file", "slider", "descriptive", "sql"}
VALIDATIONS = {"", "integer", "number", "date_ymd", "date_dmy", "datetime_ymd", "email",
               "phone", "time", "zipcode", "alpha_only"}
RESERVED = {"redcap_event_name", "redcap_data_access_group", "redcap_repeat_instrument",
            "redcap_repeat_instance", "redcap_survey_identifier", "redcap_csrf_token"}


def check_dictionary(text: str) -> list[str]:
    """Problems REDCap's data dictionary upload would report (from its documented rules)."""
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if header != COLUMNS:
        problems.append(f"header is not the 18 standard columns: {header}")
    rows = [dict(zip(COLUMNS, r)) for r in reader]
    names = [r["Variable / Field Name"] for r in rows]
    forms = {r["Form Name"] for r in rows}
    if not rows or rows[0]["Field Type"] != "text":
        problems.append("the first field (the record id) must be a text field")
    seen: set[str] = set()
    for i, r in enumerate(rows, start=2):
        name, ftype = r["Variable / Field Name"], r["Field Type"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            problems.append(f"row {i}: field name {name!r}: lowercase letters, digits, _")
        if len(name) > 26:
            problems.append(f"row {i}: field name {name!r} is longer than 26 characters")
        if name in seen:
            problems.append(f"row {i}: duplicate field name {name!r}")
        seen.add(name)
        if name in RESERVED or any(name == f"{f}_complete" for f in forms):
            problems.append(f"row {i}: reserved field name {name!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", r["Form Name"]):
            problems.append(f"row {i}: form name {r['Form Name']!r}")
        if ftype not in FIELD_TYPES:
            problems.append(f"row {i}: unknown field type {ftype!r}")
        if not r["Field Label"].strip():
            problems.append(f"row {i}: empty field label")
        choices = r["Choices, Calculations, OR Slider Labels"]
        if ftype in ("radio", "dropdown", "checkbox"):
            codes = []
            for part in choices.split("|"):
                code, sep, label = part.strip().partition(",")
                if not sep or not label.strip():
                    problems.append(f"row {i}: choice {part!r} is not 'code, label'")
                if not re.fullmatch(r"[A-Za-z0-9_]+", code.strip()):
                    problems.append(f"row {i}: choice code {code!r}")
                codes.append(code.strip())
            if len(codes) != len(set(codes)):
                problems.append(f"row {i}: duplicate choice codes")
        elif ftype == "calc":
            if not choices.strip():
                problems.append(f"row {i}: calc field without a calculation")
            for ref in re.findall(r"\[([^\]]+)\]", choices):
                if ref not in names:
                    problems.append(f"row {i}: calculation refers to unknown field [{ref}]")
            if choices.count("(") != choices.count(")"):
                problems.append(f"row {i}: unbalanced parentheses")
        elif choices and ftype != "slider":
            problems.append(f"row {i}: choices on a {ftype} field")
        val = r["Text Validation Type OR Show Slider Number"]
        if ftype == "text" and val not in VALIDATIONS:
            problems.append(f"row {i}: unknown validation {val!r}")
        for key in ("Text Validation Min", "Text Validation Max"):
            if r[key] and val in ("integer", "number"):
                try:
                    float(r[key])
                except ValueError:
                    problems.append(f"row {i}: {key} {r[key]!r} is not a number")
        if r["Required Field?"] not in ("", "y"):
            problems.append(f"row {i}: Required Field? must be y or empty")
        for ref in re.findall(r"\[([^\]]+)\]", r["Branching Logic (Show field only if...)"]):
            if ref not in names:
                problems.append(f"row {i}: branching refers to unknown field [{ref}]")
    return problems


def test_every_shipped_measure_passes_the_checker(shipped: ml.Measure) -> None:
    res = ml.export(shipped, to="redcap")
    assert check_dictionary(res.content) == []


def test_checker_catches_problems() -> None:
    good = ml.export("phq-9", to="redcap").content
    assert check_dictionary(good) == []
    bad = good.replace("interest,phq_9", "Interest,phq_9").replace("0, Not at all", "0 Not at all")
    problems = check_dictionary(bad)
    assert any("Interest" in p for p in problems) and any("code, label" in p for p in problems)


def test_calc_fields_equal_measurelib(shipped: ml.Measure, rows_of: Any, own_scores: Any,
                                      close: Any) -> None:
    res = ml.export(shipped, to="redcap")
    rows_dd = list(csv.DictReader(io.StringIO(res.content)))
    calcs = {r["Field Annotation"].rsplit(" ", 1)[1]: r["Choices, Calculations, OR Slider Labels"]
             for r in rows_dd if r["Field Type"] == "calc"}
    specs = {s.column: s for s in column_specs(shipped)}
    rows = rows_of(shipped, 60, seed=7)
    expected = own_scores(shipped, rows)
    for row, want in zip(rows, expected):
        values = {}
        for col, v in row.items():
            s = specs[col]
            code = scale_codes(s.options)[float(v)] if s.kind == "choice" else (
                v if isinstance(v, str) else fmt_num(v))
            values[res.field_map.get(col, col)] = code
        for sid, expr in calcs.items():
            got = evaluate_redcap(expr, values)
            assert close(got, want[sid]), (sid, row, got, want[sid])


def test_field_names_are_shortened_deterministically() -> None:
    long = "a_very_long_item_identifier_that_redcap_refuses"
    a = field_name(long, set())
    assert len(a) <= 26 and a == field_name(long, set())
    b = field_name(long, {a})
    assert b != a and len(b) <= 26
    assert field_name("Bad-Name", set()) == "bad_name"
    assert field_name("9lives", set()).startswith("f_")


def test_long_ids_are_renamed_and_reported(write_yaml: Any) -> None:
    path = write_yaml("""
        format: 1
        id: long-ids
        version: 1.0.0
        title: Long ids
        licence: {holder: x, text_redistribution: allowed, modification: allowed}
        scales:
          s: {type: ordinal, options: [{value: -1, label: Less}, {value: 0.5, label: More}]}
        items:
          - {id: an_item_with_a_very_long_identifier_one, text: One, scale: s}
          - {id: an_item_with_a_very_long_identifier_two, text: Two, scale: s, reverse: true}
        scores:
          - {id: total, items: all, missing: {max_missing: 1, prorate: true}}
        """)
    res = ml.export(path, to="redcap")
    assert check_dictionary(res.content) == []
    assert set(res.field_map) == {"an_item_with_a_very_long_identifier_one",
                                  "an_item_with_a_very_long_identifier_two"}
    assert any(d.code == "export-field-renamed" for d in res.diagnostics)
    assert "1, Less | 2, More" in res.content  # -1 and 0.5 are not REDCap codes: positions
    m = ml.load(path)
    rows = [{"an_item_with_a_very_long_identifier_one": -1,
             "an_item_with_a_very_long_identifier_two": 0.5},
            {"an_item_with_a_very_long_identifier_two": -1}]
    import pandas as pd

    want = m.score(pd.DataFrame(rows)).scores["total"].tolist()
    calc = next(r for r in csv.DictReader(io.StringIO(res.content)) if r["Field Type"] == "calc")
    for row, w in zip(rows, want):
        values = {res.field_map[k]: {-1: "1", 0.5: "2"}[v] for k, v in row.items()}
        got = evaluate_redcap(calc["Choices, Calculations, OR Slider Labels"], values)
        assert abs(got - w) < 1e-9
