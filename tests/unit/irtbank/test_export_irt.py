"""FHIR (and XLSForm) exports carry an IRT score as its summed-score conversion table."""

from __future__ import annotations

import json

import measurelib as ml
from measurelib.psychometrics import conversion_table

from .conftest import BANK


def test_fhir_carries_the_conversion_table_and_says_so() -> None:
    m = ml.loads(BANK)
    res = ml.export(m, "fhir")
    q = res.content
    diag = [d for d in res.diagnostics if d.code == "export-irt-conversion"]
    assert len(diag) == 2 and "calculatedExpression cannot" in diag[0].message
    score = next(i for i in q["item"] if i["linkId"] == "score.wb")
    ext = {e["url"].rsplit("/", 1)[-1]: e for e in score["extension"]}
    table = json.loads(ext["irt-sum-score-conversion"]["valueString"])
    ref = conversion_table(m)
    assert table["metric"]["name"] == "T"
    assert [r["sum"] for r in table["table"]] == list(ref["sum"])
    assert [r["score"] for r in table["table"]] == [round(x, 1) for x in ref["score"]]
    calc = ext["sdc-questionnaire-calculatedExpression"]["valueExpression"]["expression"]
    assert calc.startswith("iif(%sum1wb = 4, ") and calc.count("iif(") == len(ref)
    assert "conversion table" in q["description"]
    # the summed score is a Questionnaire-level variable, so SDC fillers evaluate it
    names = [e["valueExpression"]["name"] for e in q["extension"] if "valueExpression" in e]
    assert names[-2:] == ["sum1wb", "sum2wbs"]  # one per IRT score, unique
