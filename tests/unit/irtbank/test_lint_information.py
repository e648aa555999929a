"""The linter warns where a calibrated subset measures the target range too imprecisely."""

from __future__ import annotations

import measurelib as ml

from .conftest import BANK


def _info_findings(text: str) -> list[dict[str, object]]:
    res = ml.lint(ml.loads(text))
    return [f for f in res.findings if f["code"] == "irt-low-information"]


def test_three_items_are_too_few_for_promis_information_of_10() -> None:
    found = _info_findings(BANK)
    assert {f["severity"] for f in found} == {"warning"}
    assert len(found) == 2  # both irt scores
    msg = str(found[0]["message"])
    assert "below 10" in msg and "target [-1.5, 1]" in msg and "PROMIS" in msg
    assert found[0]["location"]["path"] == "scores[0]"  # type: ignore[index]


def test_a_lower_threshold_or_no_target_is_quiet() -> None:
    assert _info_findings(BANK.replace("target: {theta: [-1.5, 1.0]}",
                                       "target: {score: [35, 60], min_information: 1}")) == []
    assert _info_findings(BANK.replace("  target: {theta: [-1.5, 1.0]}\n", "")) == []


def test_the_target_on_the_metric_equals_the_target_on_theta() -> None:
    on_theta = _info_findings(BANK)
    on_metric = _info_findings(BANK.replace("target: {theta: [-1.5, 1.0]}",
                                            "target: {score: [35, 60]}"))
    assert [f["message"] for f in on_theta] == [f["message"] for f in on_metric]
