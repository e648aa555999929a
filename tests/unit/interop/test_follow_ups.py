"""Follow-up conditions (`when:`) travel as FHIR ``enableWhen`` (a boolean-valued
enableWhenExpression only where plain enableWhen cannot say it), XLSForm `relevant` and
REDCap branching logic, and each evaluates as measurelib's condition does."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import measurelib as ml
from measurelib.interop._export._evaluate import evaluate_redcap, evaluate_xpath
from measurelib.interop._export._fhir import (
    EXT_ENABLE_EXPR,
    EXT_ENTRY_FORMAT,
    questionnaire_response,
    rows_from_fhir,
)

OPS = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
       "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def _measure(write_yaml: Any, op: str, value: Any, numeric: bool = False) -> ml.Measure:
    when = f"{{item: pain, op: {op}" + (f", value: {value}" if value is not None else "") + "}"
    scale = "rating" if numeric else "level"
    path = write_yaml(f"""
        format: 1
        id: follow-up-test
        version: 1.0.0
        title: Follow-ups
        licence: {{holder: x, text_redistribution: allowed, modification: allowed}}
        scales:
          level: {{type: ordinal, options: [{{value: 0, label: None}}, {{value: 1, label: Some}},
                                            {{value: 2, label: Lots}}]}}
          rating: {{type: numeric, min: 0, max: 2,
                    anchors: [{{value: 0, label: No pain}}, {{value: 2, label: Worst pain}}]}}
          yn: {{type: yesno}}
        items:
          - id: pain
            text: Pain?
            scale: {scale}
            codes: []
            follow_up: [{{id: help, text: "Want help?", scale: yn, when: {when}}}]
        """)
    return ml.load(path)


def _answer_matches(ew: dict[str, Any], answers: list[dict[str, Any]]) -> bool:
    """FHIR R4 enableWhen, as a form filler evaluates it (independent of the exporter)."""
    if ew["operator"] == "exists":
        return bool(answers) == ew["answerBoolean"]
    key = next(k for k in ew if k.startswith("answer"))
    want = ew[key]
    for a in answers:
        if key == "answerCoding":
            got = a.get("valueCoding", {})
            if ew["operator"] == "=" and (got.get("system"), got.get("code")) == (
                    want.get("system"), want.get("code")):
                return True
            continue
        v = a.get("valueInteger", a.get("valueDecimal"))
        if v is not None and {"=": v == want, "!=": v != want, ">": v > want,
                              ">=": v >= want, "<": v < want, "<=": v <= want}[ew["operator"]]:
            return True
    return False


def _enabled(item: dict[str, Any], qr: dict[str, Any]) -> bool:
    """Whether a filler enables ``item`` given the response ``qr``; expressions must be
    boolean (FHIR requires it), never empty."""
    if "enableWhen" in item:
        results = []
        for ew in item["enableWhen"]:
            answers = next((i.get("answer", []) for i in qr.get("item", [])
                            if i["linkId"] == ew["question"]), [])
            results.append(_answer_matches(ew, answers))
        return any(results) if item.get("enableBehavior") == "any" else all(results)
    expr = next(e for e in item.get("extension", []) if e["url"] == EXT_ENABLE_EXPR)
    fn = fp_compile(expr["valueExpression"]["expression"], models["r4"])
    got = fn(qr, {"resource": qr})
    assert got in ([True], [False]), ("not a boolean", expr, got)
    return bool(got == [True])


@pytest.mark.parametrize("op,value", [("gt", 0), ("ge", 1), ("lt", 2), ("le", 0), ("eq", 1),
                                      ("ne", 1), ("in", "[0, 2]"), ("answered", None)])
@pytest.mark.parametrize("numeric", [False, True], ids=["choice", "numeric"])
def test_conditions_agree(write_yaml: Any, op: str, value: Any, numeric: bool) -> None:
    m = _measure(write_yaml, op, value, numeric)
    q = ml.export(m, to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == "pain_help")
    if not (numeric and op == "ne"):
        # plain enableWhen wherever it can say the condition (fillers need no FHIRPath)
        assert "enableWhen" in item
        assert all(e["url"] != EXT_ENABLE_EXPR for e in item.get("extension", []))
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
        assert _enabled(item, qr) == want, ("fhir", op, answer)
        vals = {} if answer is None else {"pain": str(answer)}
        assert bool(evaluate_xpath(f"if({relevant}, 1, 0)", vals)) == want, ("xpath", op)
        assert bool(evaluate_redcap(f"if({branching}, 1, 0)", vals)) == want, ("redcap", op)


@pytest.mark.parametrize("op,value", [("gt", 0), ("ne", 1), ("in", "[0, 2]")])
def test_expression_conditions_are_boolean_when_parent_unanswered(write_yaml: Any, op: str,
                                                                   value: Any) -> None:
    """Where an expression is needed it is false, not empty, for an unanswered parent."""
    from measurelib.interop._export._fhir import _condition_fhirpath

    for numeric in (False, True):
        m = _measure(write_yaml, op, value, numeric)
        expr = _condition_fhirpath(m, "pain", m.items[0].follow_up[0].when)
        fn = fp_compile(expr, models["r4"])
        for answer in (None, 0, 1, 2):
            qr = questionnaire_response(m, {} if answer is None else {"pain": answer})
            assert fn(qr, {"resource": qr}) in ([True], [False]), (expr, answer)


def test_answers_of_disabled_follow_ups_are_dropped(write_yaml: Any) -> None:
    """A filler that keeps a hidden follow-up's answer: reading it back drops the answer."""
    m = _measure(write_yaml, "gt", 0)
    qr = questionnaire_response(m, {"pain": 2, "pain_help": 1})
    for it in qr["item"]:
        if it["linkId"] == "pain":  # the parent is changed to 0 after the follow-up was answered
            it["answer"] = [{"valueCoding": {**it["answer"][0]["valueCoding"], "code": "0"}}]
    assert rows_from_fhir(m, qr) == [{"pain": 0}]
    kept = questionnaire_response(m, {"pain": 2, "pain_help": 1})
    assert rows_from_fhir(m, kept) == [{"pain": 2, "pain_help": 1}]


def test_scale_end_labels_travel_as_entry_format(write_yaml: Any) -> None:
    m = _measure(write_yaml, "gt", 0, numeric=True)
    q = ml.export(m, to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == "pain")
    fmt = [e["valueString"] for e in item["extension"] if e["url"] == EXT_ENTRY_FORMAT]
    assert fmt == ["0 = No pain … 2 = Worst pain"]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-3, 12), min_size=2, max_size=6, unique=True),
       op=st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne", "in", "answered"]),
       target=st.integers(-4, 13), targets=st.lists(st.integers(-4, 13), min_size=1,
                                                      max_size=3),
       numeric=st.booleans())
def test_enable_when_agrees_with_measurelib_for_any_condition(
        values: list[int], op: str, target: int, targets: list[int], numeric: bool) -> None:
    """Whatever the condition and the scale, a filler enables the follow-up exactly when
    measurelib's condition holds, and never sees an empty (non-boolean) expression."""
    import json as _json

    from measurelib.interop._export._fhir import condition_holds

    value: Any = None if op == "answered" else (targets if op == "in" else target)
    when = {"item": "pain", "op": op, **({} if value is None else {"value": value})}
    scale = ({"type": "numeric", "min": min(values), "max": max(values)} if numeric else
             {"type": "ordinal", "options": [{"value": v, "label": f"L{v}"}
                                             for v in sorted(values)]})
    m = ml.loads(_json.dumps({
        "format": 1, "id": "fu", "version": "1.0.0", "title": "t",
        "licence": {"holder": "x", "text_redistribution": "allowed", "modification": "allowed"},
        "scales": {"s": scale, "yn": {"type": "yesno"}},
        "items": [{"id": "pain", "text": "Pain?", "scale": "s",
                   "follow_up": [{"id": "help", "text": "Help?", "scale": "yn",
                                  "when": when}]}]}))
    q = ml.export(m, to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == "pain_help")
    answers = list(range(min(values), max(values) + 1)) if numeric else sorted(values)
    for answer in [None, *answers]:
        qr = questionnaire_response(m, {} if answer is None else {"pain": answer})
        if answer is None:
            want = False
        elif op == "answered":
            want = True
        elif op == "in":
            want = answer in targets
        else:
            want = OPS[op](answer, target)
        assert _enabled(item, qr) == want, (op, value, answer)
        assert condition_holds(m.items[0].follow_up[0].when, answer) == want
