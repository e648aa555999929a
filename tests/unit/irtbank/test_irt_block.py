"""The `irt:` block of items and the `calibration:` block: parsing and located errors."""

from __future__ import annotations

import pytest

import measurelib as ml
from measurelib.errors import DefinitionError

from .conftest import BANK


def _errors(text: str) -> list[tuple[str, str, int | None]]:
    with pytest.raises(DefinitionError) as exc:
        ml.loads(text)
    return [(d.code, d.message, d.location.line) for d in exc.value.errors]


def test_a_calibrated_bank_loads_with_its_parameters() -> None:
    m = ml.loads(BANK)
    assert m.item("q1").irt is not None and m.item("q1").irt.b == [-1, 0, 1]
    assert m.item("q1").irt.intercepts == pytest.approx([1.5, 0, -1.5])
    # GPCM: d_k = -a * cumulative sum of the step difficulties
    assert m.item("q4").irt.intercepts == pytest.approx([-0.4, 0.0, -0.8])
    assert m.calibration is not None and m.calibration.metric.mean == 50
    assert m.calibration.sample.simulated is True
    # round trip: YAML -> model -> YAML -> model
    assert ml.loads(m.to_yaml()) == m


def test_thresholds_out_of_order_are_a_located_error() -> None:
    bad = BANK.replace("b: [-1, 0, 1]", "b: [0, -1, 1]")
    (code, message, line), = _errors(bad)
    assert code == "invalid-irt" and "increase" in message
    assert line == 15  # the line of q1


def test_wrong_number_of_thresholds_names_the_item_and_the_count() -> None:
    bad = BANK.replace("b: [-1, 0, 1]", "b: [-1, 1]")
    errs = _errors(bad)
    assert ("irt-categories", "item 'q1' has 2 thresholds in its irt block but 4 scored "
            "options (needs 3)", 15) in errs


def test_both_b_and_d_or_a_negative_slope_are_errors() -> None:
    both = BANK.replace("a: 1.5, b: [-1, 0, 1]", "a: 1.5, b: [-1, 0, 1], d: [1, 0, -1]")
    assert _errors(both)[0][0] == "invalid-irt"
    assert _errors(BANK.replace("a: 1.5,", "a: -1.5,"))[0][0] == "invalid-value"


def test_an_irt_score_needs_calibrated_items_and_no_transform() -> None:
    bad = BANK.replace("  - {id: q4, text: four, scale: s4, irt: {model: gpcm, a: 0.8, b: [0.5, -0.5, 1.0]}}",
                       "  - {id: q4, text: four, scale: s4}")
    codes = [c for c, _m, _l in _errors(bad)]
    assert codes == ["irt-score", "irt-score"]
    bad = BANK.replace("irt: {estimator: EAP_sum, se: false}}",
                       "irt: {estimator: EAP_sum}, transform: {linear: {multiply: 2}}}")
    assert [c for c, _m, _l in _errors(bad)] == ["irt-score"]


def test_target_needs_a_range() -> None:
    bad = BANK.replace("target: {theta: [-1.5, 1.0]}", "target: {theta: [1.0, -1.5]}")
    assert _errors(bad)[0][0] == "invalid-value"
