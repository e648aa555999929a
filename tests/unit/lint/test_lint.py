from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import measurelib as ml
from measurelib.linting import readability
from measurelib.linting._linter import double_barrelled, negations, polarity, recall_days

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "instruments" / "examples"

HEAD = """\
format: 1
id: lint-test
version: 1.0.0
title: Lint test
licence: {holder: Us, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  agree5:
    type: ordinal
    options:
      - {value: 1, label: Strongly disagree}
      - {value: 2, label: Disagree}
      - {value: 3, label: Not sure}
      - {value: 4, label: Agree}
      - {value: 5, label: Strongly agree}
"""


def lint_text(tmp_path: Path, body: str, **kw: object) -> ml.lint.__class__:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return ml.lint(str(path), **kw)


def codes(result: object) -> list[str]:
    return [f["code"] for f in result.findings]  # type: ignore[attr-defined]


def find(result: object, code: str) -> list[dict]:
    return [f for f in result.findings if f["code"] == code]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ helpers
@pytest.mark.parametrize("text, conj", [
    ("I feel sad or worried.", "or"),
    ("I have been sleeping well and eating well.", "and"),
    ("I feel happy and I enjoy my work.", "and"),
    ("Feeling down, depressed, or hopeless", "or"),
    ("I see friends and/or family.", "and/or"),
])
def test_double_barrelled_found(text: str, conj: str) -> None:
    assert double_barrelled(text) == conj


@pytest.mark.parametrize("text", [
    "I feel part of a group or community.",
    "I did something active, like walking or dancing.",
    "I spend time with family and friends.",
    "How are you feeling today?",
    "Over the last week, how often have you felt calm?",
])
def test_double_barrelled_not_found(text: str) -> None:
    assert double_barrelled(text) is None


def test_negations_and_polarity() -> None:
    assert negations("I do not feel unsafe at home.") == ["not", "unsafe"]
    assert negations("I don't talk a lot.") == ["don't"]
    assert polarity("I feel lonely.") == -1
    assert polarity("I feel optimistic about the future.") == 1
    assert polarity("I am not happy.") == -1
    assert polarity("Take charge.") == 0


def test_recall_days() -> None:
    assert recall_days("How are you feeling today?") == (0, "today")
    assert recall_days("In the past two weeks, how often") == (14, "the last 2 weeks")
    assert recall_days("During the past 30 days") == (30, "the last month")
    assert recall_days("I feel calm.") is None


def test_readability_uses_flesch_kincaid_plus_five() -> None:
    import textstat

    text = "I have felt that my difficulties were insurmountable and overwhelming."
    r = readability(text)
    assert r.reliable and r.words == 10
    assert r.reading_age == pytest.approx(round(textstat.flesch_kincaid_grade(text) + 5, 1))
    assert r.above(11)
    assert not readability("How are you feeling today?").above(11)
    short = readability("Moderately inaccurate")
    assert not short.reliable and short.hard_words == ("Moderately", "inaccurate")
    assert short.reading_age == 13 and short.above(11) and not short.above(13)


# ------------------------------------------------------------------ checks
def test_clean_measure_has_only_the_burden_note(tmp_path: Path) -> None:
    res = lint_text(tmp_path, """\
        instructions: Please tick one answer for each question.
        items:
          - {id: talk, text: I have someone I can talk to., scale: agree5}
          - {id: cope, text: I can cope when things go wrong., scale: agree5}
          - {id: calm, text: I can calm myself down., scale: agree5}
        scores:
          - {id: total, items: all, method: sum}
        """)
    assert codes(res) == ["lint-burden"]
    assert res.counts == {"info": 1, "warning": 0, "error": 0}
    assert res.burden["closed_items"] == 3 and res.burden["minutes"] < 1
    assert {r["where"] for r in res.readability} >= {"item 'talk'", "the instructions"}


def test_reading_age_with_position_and_target(tmp_path: Path) -> None:
    body = """\
        items:
          - id: hard
            text: I have found it difficult to concentrate on my everyday responsibilities.
            scale: agree5
        """
    res = lint_text(tmp_path, body)
    (f,) = find(res, "lint-reading-age")
    assert f["severity"] == "warning"
    loc = f["location"]
    assert loc["file"].endswith("m.yaml") and (loc["line"], loc["column"]) == (17, 11)
    assert "reading age" in f["message"] and f["hint"]
    assert not find(lint_text(tmp_path, body, reading_age=25), "lint-reading-age")


def test_wording_checks(tmp_path: Path) -> None:
    res = lint_text(tmp_path, """\
        instructions: Over the last 2 weeks, how often have you felt like this?
        recall: {text: over the last 2 weeks, days: 14}
        items:
          - {id: sad_worried, text: I felt sad or worried., scale: agree5}
          - {id: notunsafe, text: I did not feel unsafe., scale: agree5}
          - {id: today, text: Today I feel calm., scale: agree5}
          - {id: calm2, text: Today I feel calm!, scale: agree5}
        """)
    assert find(res, "lint-double-barrelled")[0]["location"]["line"] == 18
    assert find(res, "lint-double-negative")[0]["location"]["line"] == 19
    rc = find(res, "lint-recall-conflict")
    assert rc and "14 day" in rc[0]["message"]
    dup = find(res, "lint-near-duplicate")
    assert dup and "calm2" in dup[0]["message"] and "'today'" in dup[0]["message"]


def test_mixed_direction_without_reverse(tmp_path: Path) -> None:
    body = """\
        items:
          - {id: happy, text: I feel happy., scale: agree5}
          - {id: calm, text: I feel calm., scale: agree5}
          - {id: lonely, text: I feel lonely., scale: agree5%s}
        scores:
          - {id: total, items: all, method: sum}
        """
    res = lint_text(tmp_path, body % "")
    (f,) = find(res, "lint-mixed-direction")
    assert "'lonely'" in f["message"] and "not reversed" in f["message"]
    assert not find(lint_text(tmp_path, body % ", reverse: true"), "lint-mixed-direction")


def test_anchor_labels_graphics_and_few_items(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + """\
  nolabel:
    type: ordinal
    options: [{value: 0}, {value: 1, label: Some}, {value: 2}]
  ten: {type: numeric, min: 0, max: 10, anchors: [{value: 0, label: Not at all}]}
  faces:
    type: ordinal
    options:
      - {value: 1, label: Sad, graphic: faces/1}
      - {value: 2, label: Happy, graphic: faces/5, alt: Happy face}
items:
  - {id: a, text: "How much?", scale: nolabel}
  - {id: b, text: "How happy are you?", scale: ten}
  - {id: c, text: "How do you feel?", scale: faces, graphic: pics/me.png}
scores:
  - {id: two, items: [a, b]}
""")
    res = ml.lint(str(path))
    anchors = find(res, "lint-anchor-label")
    assert len(anchors) == 3  # ordinal low + high, numeric max
    assert len(find(res, "lint-graphic-alt")) == 2
    (few,) = find(res, "lint-few-items")
    assert few["severity"] == "warning" and "2 item(s)" in few["message"]


def test_burden_limit(tmp_path: Path) -> None:
    items = "".join(f"  - {{id: q{i}, text: I can cope with task number {i}., scale: agree5}}\n"
                    for i in range(60))
    path = tmp_path / "long.yaml"
    path.write_text(HEAD + "items:\n" + items)
    res = ml.lint(str(path), max_minutes=5)
    (f,) = find(res, "lint-burden")
    assert f["severity"] == "warning" and "above the limit of 5 minutes" in f["message"]
    assert res.burden["minutes"] > 5


def test_validated_measures_wording_is_info_only() -> None:
    res = ml.lint("phq-9")
    assert res.counts["warning"] == 0 and res.counts["error"] == 0
    assert any(f["code"] == "lint-double-barrelled" for f in res.findings)


def test_composed_measure_reports_licence_findings() -> None:
    res = ml.lint(str(EXAMPLES / "breaks-licence.yaml"))
    errors = res.at_or_above("error")
    assert [f["code"] for f in errors] == ["licence-modification"]
    assert errors[0]["location"]["line"] == 20
    charity = ml.lint(str(EXAMPLES / "charity-wellbeing.yaml"))
    assert "licence-registration" in codes(charity)
    assert "lint-no-text" in codes(charity)  # placeholder overlay text is not linted
    assert charity.burden["by_source"].keys() == {"wellbeing-bank", "swemwbs",
                                                  "charity-wellbeing"}


def test_battery_burden_is_combined() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        built = ml.build(EXAMPLES / "battery-phq9-gad7.yaml")
    res = ml.lint(built)
    phq, gad = ml.lint("phq-9").burden, ml.lint("gad-7").burden
    assert res.burden["closed_items"] == phq["closed_items"] + gad["closed_items"]
    assert set(res.burden["by_source"]) == {"phq-9", "gad-7"}


def test_api_misuse() -> None:
    with pytest.raises(ValueError, match="reading_age"):
        ml.lint("phq-9", reading_age=0)
    with pytest.raises(ValueError, match="max_minutes"):
        ml.lint("phq-9", max_minutes=-1)
    with pytest.raises(ValueError, match="severity"):
        ml.lint("phq-9").at_or_above("fatal")


# ------------------------------------------------------------------ CLI
def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", "lint", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_json() -> None:
    ok = run("phq-9")
    assert ok.returncode == 0 and "phq-9 1.0.0: 0 error(s)" in ok.stdout
    assert run("phq-9", "--fail-on", "info").returncode == 1
    bad = run(str(EXAMPLES / "breaks-licence.yaml"), "--format", "json")
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    assert doc["counts"]["error"] == 1 and doc["burden"]["minutes"] > 0
    bank = run(str(ROOT / "instruments/banks/ipip-bfi.yaml"), "--fail-on", "warning")
    assert bank.returncode == 1 and "lint-reading-age" in bank.stdout
    relaxed = run(str(ROOT / "instruments/banks/ipip-bfi.yaml"), "--fail-on", "warning",
                  "--reading-age", "25")
    assert relaxed.returncode == 0


def test_cli_usage_errors() -> None:
    r = run("no-such-measure")
    assert r.returncode == 2 and "catalog-unknown" in r.stderr and "Traceback" not in r.stderr
    r = run("phq-9", "--reading-age", "abc")
    assert r.returncode == 2


def test_built_measure_keeps_its_licence_findings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        built = ml.build(EXAMPLES / "charity-wellbeing.yaml")
    res = ml.lint(built)
    reg = find(res, "licence-registration")
    assert reg and reg[0]["severity"] == "warning" and "swemwbs 1.0.0" in reg[0]["message"]
    own = ml.lint("swemwbs")
    assert [f["severity"] for f in find(own, "licence-registration")] == ["info"]


def test_multilingual_measure_is_checked_in_english() -> None:
    res = ml.lint(str(EXAMPLES / "feeling-today-cy-ar.yaml"))
    assert res.readability and all(r["words"] > 0 for r in res.readability)
    assert res.counts["error"] == 0


def test_near_duplicate_needs_alike_differences() -> None:
    from measurelib.linting._linter import _norm, near_duplicate

    stem = "During the past 30 days, about how often did you feel "
    assert near_duplicate(_norm(stem + "nervous?"), _norm(stem + "hopeless?")) is None
    assert near_duplicate(_norm("I have someone I can talk to."),
                          _norm("I have someone to talk to.")) is not None
    assert near_duplicate(_norm("I feel optimistic about the future"),
                          _norm("I feel optimistc about the future")) is not None
    assert not find(ml.lint("k10"), "lint-near-duplicate")


def test_unpinned_source_and_composed_item_locations(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + """\
items:
  - {id: own, text: I can cope when things go wrong and I feel happy., scale: agree5}
compose:
  - from: wellbeing-bank
    items: [support_talk]
""", encoding="utf-8")
    res = ml.lint(str(path))
    (unpinned,) = find(res, "lint-unpinned-source")
    assert unpinned["location"]["line"] == 18 and "wellbeing-bank@1.0.0" in unpinned["hint"]
    (dbl,) = find(res, "lint-double-barrelled")
    assert dbl["location"]["line"] == 16  # the composer's own item, in the composer's file


def test_invisible_characters_are_found_and_located(tmp_path: Path) -> None:
    res = lint_text(tmp_path, """\
        items:
          - {id: a, text: "I feel \\u200bcalm", scale: agree5}
          - {id: b, text: I feel rested, scale: agree5}
          - {id: c, text: I feel hopeful, scale: agree5}
        scores:
          - {id: total, items: all, method: sum}
        """)
    (f,) = [f for f in res.findings if f["code"] == "text-hidden-character"]
    assert f["severity"] == "warning" and "ZERO WIDTH SPACE (U+200B) after 'I feel '" in f["message"]
    assert f["location"]["line"] == 16
