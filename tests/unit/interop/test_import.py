"""Import of definitions (FHIR, XLSForm, REDCap) and the round trip YAML → format → YAML."""

from __future__ import annotations

import json
from typing import Any

import pytest

import measurelib as ml
from measurelib.interop import from_fhir, from_redcap, from_xlsform, import_definition


def carried(m: ml.Measure, langs: list[str] | None = None) -> list[tuple[Any, ...]]:
    """What every format carries: item ids, texts and their scales' options or ranges."""
    langs = langs or m.all_languages

    def t(value: Any) -> Any:
        return tuple(m.text(value, x) for x in langs) if value is not None else None

    out = []
    for it in m.items:
        sc = m.scales[it.scale]
        if sc.type in ("ordinal", "yesno"):
            shape: Any = tuple((float(o.value), t(o.label)) for o in sc.options)
        elif sc.type in ("numeric", "vas"):
            shape = (float(sc.min), float(sc.max), float(getattr(sc, "step", 1)))
        else:
            shape = "text"
        out.append((it.id, t(it.text), shape, it.required))
    return out


def _reimport(m: ml.Measure, fmt: str) -> Any:
    res = ml.export(m, to=fmt)
    if fmt == "fhir":
        return from_fhir(res.content)
    if fmt == "xlsform":
        return from_xlsform(res.content)
    return from_redcap("dictionary.csv", text=res.content)


@pytest.mark.parametrize("fmt", ["fhir", "xlsform", "redcap"])
def test_round_trip_keeps_items_scales_options_translations(shipped: ml.Measure,
                                                            fmt: str) -> None:
    flat = not any(it.follow_up or it.personalised for it in shipped.items)
    if fmt != "fhir" and not flat:
        pytest.skip("follow-ups and personalised items come back as plain items")
    res = _reimport(shipped, fmt)
    back = res.measure
    langs = [shipped.language] if fmt == "redcap" else None
    assert carried(back, langs) == carried(shipped, langs)
    if fmt == "fhir":
        assert back.to_dict()["scores"] == shipped.to_dict().get("scores", []) or not \
            shipped.scores
        assert back.licence == shipped.licence
        assert [it.reverse for it in back.items] == [it.reverse for it in shipped.items]
    elif shipped.scores:
        assert any("not carried" in d.message for d in res.diagnostics)


def test_translations_survive_xlsform_and_fhir() -> None:
    m = ml.load("instruments/examples/feeling-today-cy-ar.yaml")
    for fmt in ("fhir", "xlsform"):
        back = _reimport(m, fmt).measure
        assert back.languages == ["en", "cy", "ar"]
        assert back.item("mood").text == m.item("mood").text


def test_fhir_follow_ups_and_goals_come_back() -> None:
    for mid in ("dialog", "gbo"):
        m = ml.load(mid)
        back = _reimport(m, "fhir").measure
        assert back.response_columns() == m.response_columns()


def test_import_definition_files_and_yaml(tmp_path: Any) -> None:
    m = ml.load("phq-9")
    for fmt, suffix in (("fhir", ".json"), ("xlsform", ".xlsx"), ("redcap", ".csv")):
        path = ml.export(m, to=fmt, path=tmp_path / f"phq9{suffix}")
        assert path is not None
        res = import_definition(tmp_path / f"phq9{suffix}")
        text = res.to_yaml()
        assert text.startswith("# yaml-language-server: $schema=")
        again = ml.loads(text)
        assert [it.id for it in again.items] == [it.id for it in m.items]


def test_foreign_questionnaire_reports_what_is_lost() -> None:
    q = {"resourceType": "Questionnaire", "status": "active", "title": "Mood check",
         "version": "2", "language": "en", "publisher": "Some Trust",
         "copyright": "© Some Trust",
         "item": [
             {"linkId": "1", "type": "choice", "text": "Low mood?", "answerOption": [
                 {"valueCoding": {"system": "http://loinc.org", "code": "LA6568-5",
                                  "display": "Not at all"}},
                 {"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3",
                                  "display": "Several days"}}]},
             {"linkId": "2", "type": "integer", "text": "Rate 0-10"},
             {"linkId": "total", "type": "decimal", "readOnly": True, "text": "Total"},
             {"linkId": "3", "type": "string", "text": "Anything else?"}]}
    res = from_fhir(q)
    m = res.measure
    assert [it.id for it in m.items] == ["q_1", "q_2", "total", "q_3"]
    assert m.scales[m.items[0].scale].options[1].value == 2
    msgs = " ".join(d.message for d in res.diagnostics)
    assert "licence" in msgs and "semantic" in msgs and "minValue" in msgs
    assert m.licence.holder == "Some Trust"


def test_bad_files(tmp_path: Any) -> None:
    with pytest.raises(ml.DefinitionError, match="not a FHIR Questionnaire"):
        from_fhir({"resourceType": "Patient"})
    bad = tmp_path / "x.json"
    bad.write_text("{nope")
    with pytest.raises(ml.DefinitionError, match="not JSON"):
        import_definition(bad)
    csvf = tmp_path / "x.csv"
    csvf.write_text("a,b\n1,2\n")
    with pytest.raises(ml.DefinitionError, match="not a REDCap data dictionary"):
        import_definition(csvf)
    xl = tmp_path / "x.xlsx"
    xl.write_bytes(b"not a workbook")
    with pytest.raises(ml.DefinitionError, match="readable"):
        import_definition(xl)
    with pytest.raises(ml.DefinitionError, match="no file"):
        import_definition(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="`format`"):
        import_definition(tmp_path / "x.txt")
    assert json.loads(json.dumps({"ok": 1}))


@pytest.mark.parametrize("mid", ["wellbeing-cat", "instruments/banks/wellbeing-bank.yaml",
                                 "instruments/banks/ipip-bfi.yaml"])
@pytest.mark.parametrize("fmt", ["fhir", "redcap"])
def test_round_trip_keeps_irt_calibration(mid: str, fmt: str) -> None:
    """Items' irt blocks (parameters, their SEs, traits) come back; FHIR keeps the
    calibration block (metric, sample) too, so IRT scores score the same after import."""
    m = ml.load(mid)
    back = _reimport(m, fmt).measure
    calibrated = [it for it in m.items if it.irt is not None]
    assert calibrated and all(it.irt.se is not None for it in calibrated if it.irt)
    for it in m.items:
        assert back.item(it.id).irt == it.irt, it.id
    if fmt == "fhir":
        assert back.calibration == m.calibration
        if any(s.method == "irt" for s in m.scores):
            rows = [{it.id: (i + k) % 5 + 1 for k, it in enumerate(m.items)} for i in range(5)]
            rows[1].pop(m.items[0].id)  # a skipped answer: pattern EAP still scores
            a, b = m.score(rows), back.score(rows)
            for sid in a.scores.columns:
                assert list(a.scores[sid]) == list(b.scores[sid]), sid


def test_redcap_irt_annotation_that_is_not_json_is_reported() -> None:
    res = ml.export("wellbeing-cat", to="redcap")
    text = res.content.replace("measurelib irt {", "measurelib irt {oops", 1)
    back = from_redcap("dictionary.csv", text=text)
    assert any("not valid JSON" in d.message for d in back.diagnostics)
    assert sum(it.irt is not None for it in back.measure.items) == len(back.measure.items) - 1
