"""Follow-up conditions (`when:`) travel as FHIR enableWhenExpression, XLSForm `relevant` and
REDCap branching logic, and each evaluates as measurelib's condition does."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models
from openpyxl import load_workbook

import measurelib as ml
from measurelib.interop._export._evaluate import evaluate_redcap, evaluate_xpath
from measurelib.interop._export._fhir import EXT_ENABLE_EXPR, questionnaire_response

OPS = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
       "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def _measure(write_yaml: Any, op: str, value: Any) -> ml.Measure:
    when = f"{{item: pain, op: {op}" + (f", value: {value}" if value is not None else "") + "}"
    path = write_yaml(f"""
        format: 1
        id: follow-up-test
        version: 1.0.0
        title: Follow-ups
        licence: {{holder: x, text_redistribution: allowed, modification: allowed}}
        scales:
          level: {{type: ordinal, options: [{{value: 0, label: None}}, {{value: 1, label: Some}},
                                            {{value: 2, label: Lots}}]}}
          yn: {{type: yesno}}
        items:
          - id: pain
            text: Pain?
            scale: level
            codes: []
            follow_up: [{{id: help, text: "Want help?", scale: yn, when: {when}}}]
        """)
    return ml.load(path)


@pytest.mark.parametrize("op,value", [("gt", 0), ("ge", 1), ("lt", 2), ("le", 0), ("eq", 1),
                                      ("ne", 1), ("in", "[0, 2]"), ("answered", None)])
def test_conditions_agree(write_yaml: Any, op: str, value: Any) -> None:
    m = _measure(write_yaml, op, value)
    q = ml.export(m, to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == "pain_help")
    expr = next(e for e in item["extension"] if e["url"] == EXT_ENABLE_EXPR)
    fn = fp_compile(expr["valueExpression"]["expression"], models["r4"])
    survey = load_workbook(io.BytesIO(ml.export(m, to="xlsform").content))["survey"]
    head = [c.value for c in survey[1]]
    relevant = next(r[head.index("relevant")] for r in survey.iter_rows(min_row=2,
                                                                        values_only=True)
                    if r[1] == "pain_help")
    rc = ml.export(m, to="redcap").content
    branching = next(r["Branching Logic (Show field only if...)"]
                     for r in csv.DictReader(io.StringIO(rc))
                     if r["Variable / Field Name"] == "pain_help")
    for answer in (None, 0, 1, 2):
        if op == "answered":
            want = answer is not None
        elif answer is None:
            want = False
        elif op == "in":
            want = answer in (0, 2)
        else:
            want = OPS[op](answer, value)
        qr = questionnaire_response(m, {} if answer is None else {"pain": answer})
        got = fn(qr, {"resource": qr})
        assert (got == [True]) == want, ("fhir", op, answer, got)
        vals = {} if answer is None else {"pain": str(answer)}
        assert bool(evaluate_xpath(f"if({relevant}, 1, 0)", vals)) == want, ("xpath", op)
        assert bool(evaluate_redcap(f"if({branching}, 1, 0)", vals)) == want, ("redcap", op)
