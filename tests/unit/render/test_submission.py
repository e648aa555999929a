"""parse_submission: what an HTML form posts → a validated response row, scored as data."""

from __future__ import annotations

from pathlib import Path

import pytest

import measurelib as ml

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


@pytest.fixture(scope="module")
def phq9() -> ml.Measure:
    return ml.load("phq-9")


def full_post(m: ml.Measure, value: str = "1") -> dict[str, str]:
    data = {"measure_id": m.id, "measure_version": m.version, "respondent_type": "self",
            "lang": "en", "respondent_id": "R001", "timepoint": "baseline"}
    data.update({it.id: value for it in m.items})
    return data


def test_parse_and_score(phq9: ml.Measure) -> None:
    sub = ml.parse_submission(phq9, full_post(phq9, "2"))
    assert sub.responses["interest"] == 2 and isinstance(sub.responses["interest"], int)
    assert sub.metadata == {"respondent_id": "R001", "timepoint": "baseline",
                            "respondent_type": "self"}
    assert sub.n_answered == 10 and sub.n_missing == 0
    assert sub.row["respondent_id"] == "R001"
    scores = phq9.score(sub.to_frame()).scores
    assert float(scores["total"].iloc[0]) == 18.0
    assert "self_harm_thoughts" in scores["alerts"].iloc[0]


def test_unanswered_items_are_missing(phq9: ml.Measure) -> None:
    sub = ml.parse_submission(phq9, {"measure_id": "phq-9", "interest": "0", "down": ""})
    assert sub.responses["down"] is None and sub.responses["sleep"] is None
    assert sub.n_answered == 1


def test_invalid_answer_is_a_data_error(phq9: ml.Measure) -> None:
    with pytest.raises(ml.DataError) as exc:
        ml.parse_submission(phq9, {"interest": "4", "down": "two"})
    codes = {(d.code, d.location.field) for d in exc.value.errors}
    assert ("invalid-answer", "interest") in codes
    assert any(f == "down" for _, f in codes)
    sub = ml.parse_submission(phq9, {"interest": "4"}, on_invalid="missing")
    assert sub.responses["interest"] is None


def test_wrong_measure_or_version(phq9: ml.Measure) -> None:
    with pytest.raises(ml.DataError) as exc:
        ml.parse_submission(phq9, {"measure_id": "gad-7", "interest": "1"})
    assert exc.value.errors[0].code == "form-wrong-measure"
    with pytest.raises(ml.DataError) as exc:
        ml.parse_submission(phq9, {"measure_id": "phq-9", "measure_version": "2.0.0"})
    assert "2.0.0" in exc.value.errors[0].message
    sub = ml.parse_submission(phq9, {"measure_id": "gad-7"}, check_measure=False)
    assert sub.measure_id == "phq-9"


def test_multidict_and_lists(phq9: ml.Measure) -> None:
    class MultiDict(dict):  # the getlist protocol of Werkzeug / Django QueryDict
        def getlist(self, key: str) -> list[str]:
            v = self[key]
            return v if isinstance(v, list) else [v]

    sub = ml.parse_submission(phq9, MultiDict(interest=["3"], down="1", extra="x"))
    assert sub.responses["interest"] == 3 and sub.ignored == ["extra"]
    with pytest.raises(ml.DataError, match="more than once|2 times"):
        ml.parse_submission(phq9, {"interest": ["1", "2"]})
    with pytest.raises(TypeError, match="form_data"):
        ml.parse_submission(phq9, "interest=1")
    with pytest.raises(ValueError, match="on_invalid"):
        ml.parse_submission(phq9, {}, on_invalid="reject")


def test_text_and_numeric_items() -> None:
    m = ml.load(EXAMPLE)
    sub = ml.parse_submission(m, {"mood": "5", "calm": "4", "talk": "3", "coping": "10",
                                  "comments": "  <b>Thanks</b> & bye ", "lang": "cy"})
    assert sub.responses["comments"] == "<b>Thanks</b> & bye"
    assert sub.responses["coping"] == 10 and sub.lang == "cy"
    assert float(m.score(sub.to_frame()).scores["wellbeing"].iloc[0]) == 12.0
    with pytest.raises(ml.DataError):
        ml.parse_submission(m, {"coping": "11"})


def test_respondent_type_checked(phq9: ml.Measure) -> None:
    with pytest.raises(ml.DataError, match="respondent_type"):
        ml.parse_submission(phq9, {"respondent_type": "carer"})


def test_round_trip_from_rendered_form(phq9: ml.Measure) -> None:
    """Field names and values come straight from the rendered form."""
    import re

    html = phq9.render("html", hidden={"respondent_id": "R9"})
    fields: dict[str, str] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        fields[name] = value
    for name in {it.id for it in phq9.items}:
        values = re.findall(rf'name="{name}" value="([^"]+)"', html)
        fields[name] = values[-1]  # the last option
    sub = ml.parse_submission(phq9, fields)
    assert sub.metadata["respondent_id"] == "R9"
    assert float(phq9.score(sub.to_frame()).scores["total"].iloc[0]) == 27.0
