"""FHIR R4 Questionnaire (SDC) export: validity, SDC rules, scoring parity, responses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models

import measurelib as ml
from measurelib.interop._export._fhir import (
    EXT_CALC,
    EXT_ORDINAL,
    EXT_TRANSLATION,
    EXT_VARIABLE,
    EXT_XHTML,
    observations,
    questionnaire_response,
    rows_from_fhir,
)

R4 = models["r4"]


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for it in items:
        out.append(it)
        out.extend(_items(it.get("item", [])))
    return out


_COMPILED: dict[str, Any] = {}


def _fp(expression: str, resource: dict[str, Any], env: dict[str, Any]) -> list[Any]:
    """Evaluate FHIRPath with fhirpathpy (parsed once per expression: parsing is slow)."""
    fn = _COMPILED.get(expression)
    if fn is None:
        fn = _COMPILED[expression] = fp_compile(expression, R4)
    return list(fn(resource, dict(env)))


def fhir_scores(q: dict[str, Any], qr: dict[str, Any]) -> dict[str, float | None]:
    """Evaluate the Questionnaire's variables and calculated expressions, as SDC engines do."""
    env: dict[str, Any] = {"resource": qr}
    for e in q.get("extension", []):
        if e["url"] == EXT_VARIABLE:
            ve = e["valueExpression"]
            env[ve["name"]] = _fp(ve["expression"], qr, env)
    out: dict[str, float | None] = {}
    for it in q["item"]:
        for e in it.get("extension", []):
            if e["url"] == EXT_CALC:
                r = _fp(e["valueExpression"]["expression"], qr, env)
                assert len(r) <= 1
                out[it["linkId"].removeprefix("score.")] = float(r[0]) if r else None
    return out


def test_every_shipped_measure_is_a_valid_sdc_questionnaire(shipped: ml.Measure) -> None:
    res = ml.export(shipped, to="fhir")
    q = res.content
    Questionnaire.model_validate(q)  # R4B model: raises on any invalid element
    assert q["url"].endswith(f"/Questionnaire/{shipped.id}") and q["version"] == shipped.version
    items = _items(q["item"])
    links = [it["linkId"] for it in items]
    assert len(links) == len(set(links)), "linkIds must be unique"
    questions = [it for it in items if it["type"] not in ("display", "group")]
    assert {it["linkId"] for it in questions} >= set(shipped.response_columns())
    for it in items:
        if "answerOption" in it:
            # SDC / R4: answerOption only on choice items, one value[x] type per item
            assert it["type"] in ("choice", "open-choice")
            kinds = {next(k for k in o if k.startswith("value")) for o in it["answerOption"]}
            assert kinds == {"valueCoding"}
            codes = [o["valueCoding"]["code"] for o in it["answerOption"]]
            assert len(codes) == len(set(codes))
        if any(e["url"] == EXT_CALC for e in it.get("extension", [])):
            assert it.get("readOnly") is True
        assert it["type"] != "display" or "answerOption" not in it
    for e in q["extension"]:
        if e["url"] == EXT_VARIABLE:
            fp_compile(e["valueExpression"]["expression"], R4)
    assert q["copyright"]


def test_scores_computed_by_fhirpath_equal_measurelib(shipped: ml.Measure, rows_of: Any,
                                                      own_scores: Any, close: Any,
                                                      table_scores: Any) -> None:
    q = ml.export(shipped, to="fhir").content
    rows = rows_of(shipped, 40, seed=3)
    expected = own_scores(shipped, rows)
    # IRT scores: the Questionnaire computes EAP for summed scores from the conversion
    # table (complete answers only), so it is checked against measurelib's EAP_sum
    sum_scores = table_scores(shipped, rows)
    n_checked = n_irt = 0
    for row, want, want_sum in zip(rows, expected, sum_scores):
        qr = questionnaire_response(shipped, row)
        got = fhir_scores(q, qr)
        for sid, value in got.items():
            if shipped.score_rule(sid).method == "irt":
                assert close(value, want_sum[sid]), (sid, row, value, want_sum[sid])
                n_irt += want_sum[sid] is not None
            else:
                assert close(value, want[sid]), (sid, row, value, want[sid])
            n_checked += 1
    if any(s.method == "irt" for s in shipped.scores):
        assert n_irt > 0  # every third row is complete
    expressible = [s for s in shipped.scores if s.method != "value_set"
                   and not (s.transform and s.transform.table is not None)]
    assert n_checked == len(rows) * len(expressible)


def test_irt_score_is_the_conversion_table_lookup() -> None:
    """wellbeing-cat: a Questionnaire-level %sum variable, the table, the lookup, the note."""
    res = ml.export("wellbeing-cat", to="fhir")
    q = res.content
    names = [e["valueExpression"]["name"] for e in q["extension"] if e["url"] == EXT_VARIABLE]
    assert "sum1wellbeingt" in names
    assert names.index("sum1wellbeingt") == len(names) - 1  # after the answers it uses
    si = next(it for it in q["item"] if it["linkId"] == "score.wellbeing_t")
    urls = [e["url"] for e in si["extension"]]
    assert EXT_VARIABLE not in urls  # no item-level variable: one place, at the root
    table = json.loads(next(e["valueString"] for e in si["extension"]
                            if e["url"].endswith("/irt-sum-score-conversion")))
    assert table["estimator"] == "EAP for summed scores"
    assert table["metric"]["name"] == "T"
    m = ml.load("wellbeing-cat")
    assert [r["sum"] for r in table["table"]] == list(range(len(m.items), 5 * len(m.items) + 1))
    # the lowest sum: every answer the lowest scored value
    row = {it.id: (5 if it.reverse else 1) for it in m.items}
    got = fhir_scores(q, questionnaire_response(m, row))
    assert got == {"wellbeing_t": table["table"][0]["score"]}
    row.pop(m.items[0].id)  # a skipped answer: no score from the table
    assert fhir_scores(q, questionnaire_response(m, row)) == {"wellbeing_t": None}
    assert "export-irt-conversion" in [d.code for d in res.diagnostics]
    assert "conversion table" in q["description"]


def test_unexpressible_scores_are_reported_in_result_and_file() -> None:
    res = ml.export("swemwbs", to="fhir")
    codes = [d.code for d in res.diagnostics]
    assert "export-score-not-expressible" in codes
    assert "lookup table" in res.content["description"]


def test_phq9_answer_options_carry_scored_values() -> None:
    q = ml.export("phq-9", to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == "interest")
    ords = [next(e["valueDecimal"] for e in o["extension"] if e["url"] == EXT_ORDINAL)
            for o in item["answerOption"]]
    assert ords == [0, 1, 2, 3]
    assert item["code"][0] == {"system": "http://loinc.org", "code": "44250-9"}
    # LOINC answer codes where the measure has them; the stored value rides along
    first = item["answerOption"][0]
    assert first["valueCoding"]["system"] == "http://loinc.org"
    assert first["valueCoding"]["code"] == "LA6568-5"
    m = ml.load("phq-9")
    row = {it.id: 2 for it in m.items}
    qr = questionnaire_response(m, row)
    assert qr["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6570-1"
    assert rows_from_fhir(m, qr) == [row]
    assert fhir_scores(ml.export(m, to="fhir").content, qr) == {"total": 18.0}


def test_reversed_item_ordinal_values_are_reversed() -> None:
    m = ml.load("core-10")
    rev = next(it for it in m.items if it.reverse)
    q = ml.export(m, to="fhir").content
    item = next(it for it in q["item"] if it["linkId"] == rev.id)
    ords = [next(e["valueDecimal"] for e in o["extension"] if e["url"] == EXT_ORDINAL)
            for o in item["answerOption"]]
    assert ords == sorted(ords, reverse=True)


def test_translations_and_pictures() -> None:
    q = ml.export(ml.load("instruments/examples/feeling-today-cy-ar.yaml"), to="fhir").content
    mood = next(it for it in q["item"] if it["linkId"] == "mood")
    langs = {[x for x in e["extension"] if x["url"] == "lang"][0]["valueCode"]
             for e in mood["_text"]["extension"] if e["url"] == EXT_TRANSLATION}
    assert langs == {"cy", "ar"}
    opt = mood["answerOption"][0]["valueCoding"]
    xhtml = next(e for e in opt["_display"]["extension"] if e["url"] == EXT_XHTML)
    assert 'alt="very sad face"' in xhtml["valueString"]
    assert "data:image/svg+xml;base64," in xhtml["valueString"]
    ar = ml.export("instruments/examples/feeling-today-cy-ar.yaml", to="fhir", lang="ar")
    assert ar.content["language"] == "ar"


def test_licence_withholds_text_unless_overlay(tmp_path: Any) -> None:
    m = ml.load("swemwbs")
    assert m.licence.text_redistribution == "forbidden"
    q = ml.export(m, to="fhir").content
    texts = [it.get("text", "") for it in q["item"] if it["linkId"] in m.response_columns()]
    assert all("licensed text not included" in t for t in texts)
    # a measure carrying text it may not redistribute: the export drops it
    data = m.to_dict()
    data["items"][0]["text"] = "SECRET WORDING"
    data["instructions"] = "SECRET INSTRUCTIONS"
    leaky = ml.Measure.model_validate(data)
    res = ml.export(leaky, to="fhir")
    assert "SECRET" not in json.dumps(res.content)
    assert any(d.code == "export-text-withheld" and d.severity == "warning"
               for d in res.diagnostics)
    overlay = "instruments/examples/swemwbs-overlay.example.yaml"
    res2 = ml.export(m, to="fhir", overlay=overlay)
    assert "PLACEHOLDER: SWEMWBS item 1" in json.dumps(res2.content)


def test_questionnaire_response_round_trip(rows_of: Any) -> None:
    m = ml.load("instruments/examples/feeling-today-cy-ar.yaml")
    rows = rows_of(m, 20, seed=5)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": questionnaire_response(m, r, subject=f"p{i}", authored="2026-01-02")}
        for i, r in enumerate(rows)]}
    Bundle.model_validate(bundle)
    for e in bundle["entry"]:
        QuestionnaireResponse.model_validate(e["resource"])
    back = rows_from_fhir(m, json.dumps(bundle))
    for i, (row, got) in enumerate(zip(rows, back)):
        assert got.pop("respondent_id") == f"p{i}" and got.pop("date") == "2026-01-02"
        assert got == row


def test_scores_out_as_observations() -> None:
    import pandas as pd

    m = ml.load("phq-9")
    df = pd.DataFrame({"respondent_id": ["a", "b"], "date": ["2026-01-01", "2026-02-01"],
                       **{it.id: [1, 3] for it in m.items}})
    bundle = observations(m, m.score(df))
    Bundle.model_validate(bundle)
    obs = bundle["entry"][0]["resource"]
    assert obs["code"]["coding"][0]["code"] == "44261-6"
    assert obs["valueQuantity"]["value"] == 9.0
    assert obs["subject"] == {"reference": "Patient/a"}
    assert obs["interpretation"][0]["text"] == "Mild"


def test_rows_from_fhir_rejects_other_resources() -> None:
    with pytest.raises(ml.DataError, match="QuestionnaireResponse"):
        rows_from_fhir(ml.load("phq-9"), {"resourceType": "Patient"})
    with pytest.raises(TypeError, match="resource"):
        rows_from_fhir(ml.load("phq-9"), 3)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`to` must be one of"):
        ml.export("phq-9", to="pdf")
    with pytest.raises(ValueError, match="`lang`"):
        ml.export("phq-9", to="fhir", lang="xx")
    with pytest.raises(TypeError, match="measure"):
        ml.export(3, to="fhir")


@pytest.mark.parametrize("fmt", ["fhir", "xlsform", "redcap", "jsonschema"])
def test_no_format_ships_text_the_licence_forbids(fmt: str) -> None:
    import io

    m = ml.load("wemwbs")
    data = m.to_dict()
    for it in data["items"]:
        it["text"] = f"SECRET {it['id']}"
        it["help"] = "SECRET help"
    data["instructions"] = "SECRET instructions"
    leaky = ml.Measure.model_validate(data)
    res = ml.export(leaky, to=fmt)
    if fmt == "xlsform":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(res.content))
        text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                        for c in row if c.value is not None)
    else:
        text = res.content if isinstance(res.content, str) else json.dumps(res.content)
    assert "SECRET" not in text
    assert any(d.code == "export-text-withheld" for d in res.diagnostics)


def test_overlay_option_labels_reach_the_questionnaire(tmp_path: Any) -> None:
    """An overlay's per-item answer wording (ASCOT) is what the Questionnaire shows."""
    import yaml

    m = ml.load("ascot-sct4")
    items = {it.id: {"text": f"Q {it.id}?",
                     "options": {v: f"{it.id} statement {v}" for v in (1, 2, 3, 4)}}
             for it in m.items}
    path = tmp_path / "ascot.yaml"
    path.write_text(yaml.safe_dump({"measure": "ascot-sct4", "items": items}), encoding="utf-8")
    q = ml.export(m, to="fhir", overlay=path).content
    control = next(i for i in q["item"] if i["linkId"] == "control")
    assert control["text"] == "Q control?"
    assert [o["valueCoding"]["display"] for o in control["answerOption"]] == [
        f"control statement {v}" for v in (1, 2, 3, 4)]
    assert [o["valueCoding"]["code"] for o in control["answerOption"]] == ["1", "2", "3", "4"]
    # without the overlay: no state names presented as answers
    bare = ml.export(m, to="fhir").content
    assert "Ideal state" not in str([i.get("answerOption") for i in bare["item"]])
    control = next(i for i in bare["item"] if i["linkId"] == "control")
    assert control["answerOption"][0]["valueCoding"]["display"] == (
        "[ascot-sct4 answer 1 of control: licensed text not included]")
