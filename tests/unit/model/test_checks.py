"""Cross-reference checks: every problem is found, reported together, with a path and hint."""

from __future__ import annotations

import pandas as pd
import pytest

import measurelib as ml
from measurelib import DefinitionError


def problems(text: str) -> list[tuple[str, str | None]]:
    with pytest.raises(DefinitionError) as info:
        ml.loads(text, "m.yaml")
    for e in info.value.errors:
        assert e.location.line is not None, e
        assert e.hint, e
    return [(e.code, e.location.path) for e in info.value.errors]


def test_unknown_scale_with_suggestion(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("{id: b, text: Second question, scale: freq}",
                                "{id: b, text: Second question, scale: frequ}")
    with pytest.raises(DefinitionError) as info:
        ml.loads(text)
    (err,) = info.value.errors
    assert (err.code, err.location.path) == ("unknown-scale", "items[1].scale")
    assert err.hint == "Did you mean 'freq'?"


def test_many_problems_reported_together(minimal_yaml: str) -> None:
    text = (minimal_yaml
            .replace("{id: b, text: Second question, scale: freq}",
                     "{id: a, text: Second question, scale: freq}")
            .replace("{value: 2, label: Often}", "{value: 1, label: Often}")
            .replace("items: all", "items: [a, c, d]"))
    got = problems(text)
    assert ("duplicate-id", "items[1].id") in got
    assert ("duplicate-option-value", "scales.freq.options[2].value") in got
    assert ("unknown-item", "scores[0].items[2]") in got


def test_reverse_on_text_scale(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("scales:\n", "scales:\n  note: {type: text}\n").replace(
        "  - {id: c, text: Third question, scale: freq, reverse: true}",
        "  - {id: c, text: Third question, scale: freq, reverse: true}\n"
        "  - {id: n, text: Notes, scale: note, reverse: true}")
    assert ("reverse-non-ordinal", "items[3].reverse") in problems(text)


def test_band_overlap_gap_and_range(minimal_yaml: str) -> None:
    base = "      - {max: 3, label: Low}\n      - {max: 6, label: Middle}\n      - {label: High}\n"
    assert minimal_yaml.count(base) == 1
    overlap = minimal_yaml.replace(base, "      - {max: 3, label: Low}\n"
                                   "      - {min: 3, max: 9, label: High}\n")
    assert ("band-overlap", "scores[0].bands[1]") in problems(overlap)
    gap = minimal_yaml.replace(base, "      - {max: 3, label: Low}\n"
                               "      - {min: 5, label: High}\n")
    got = problems(gap)
    assert ("band-gap", "scores[0].bands") in got
    short = minimal_yaml.replace(base, "      - {min: 1, max: 3, label: Low}\n"
                                 "      - {max: 7, label: High}\n")
    codes = [c for c, _ in problems(short)]
    assert codes == ["band-range"]


def test_integer_bands_with_fractional_scores_leave_a_gap(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("    method: sum\n", "    method: mean\n").replace(
        "      - {max: 3, label: Low}\n      - {max: 6, label: Middle}\n      - {label: High}\n",
        "      - {min: 0, max: 1, label: Low}\n      - {min: 2, max: 3, label: High}\n")
    codes = [c for c, _ in problems(text)]
    assert "band-gap" in codes


def test_max_only_bands_cover_fractional_scores(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("    method: sum\n", "    method: mean\n").replace(
        "      - {max: 3, label: Low}\n      - {max: 6, label: Middle}\n      - {label: High}\n",
        "      - {max: 1, label: Low}\n      - {label: High}\n")
    m = ml.loads(text)  # no band-gap error: a max-only band ends where the next begins
    # a=1, b=1, c=3 reversed to 0 gives a mean of 2/3 (Low); a=1, b=2, c=2 (1) gives 4/3,
    # between 1 and 2, which falls in the open last band rather than in a gap
    scored = m.score(pd.DataFrame({"a": [1, 1], "b": [1, 2], "c": [3, 2]})).scores
    assert list(scored["total_band"].astype(str)) == ["Low", "High"]


def test_prorated_sum_is_checked_against_reachable_values(minimal_yaml: str) -> None:
    # with one missing of three and prorating, 1 answered... 4.5 is reachable: (3) * 3/2
    text = minimal_yaml.replace("    method: sum\n", "    method: sum\n"
                                "    missing: {max_missing: 1, prorate: true}\n").replace(
        "      - {max: 3, label: Low}\n      - {max: 6, label: Middle}\n      - {label: High}\n",
        "      - {min: 0, max: 4, label: Low}\n      - {min: 5, label: High}\n")
    with pytest.raises(DefinitionError) as info:
        ml.loads(text)
    (err,) = info.value.errors
    assert err.code == "band-gap" and "4.5" in err.message


def test_lookup_table_missing_reachable_raw(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("scales:\n", "tables:\n  conv: {0: 0, 1: 10, 2: 20, 3: 30}\n"
                                "scales:\n").replace(
        "    method: sum\n", "    method: sum\n    transform: {table: conv}\n").replace(
        "      - {max: 3, label: Low}\n      - {max: 6, label: Middle}\n      - {label: High}\n",
        "      - {label: All}\n")
    with pytest.raises(DefinitionError) as info:
        ml.loads(text)
    (err,) = info.value.errors
    assert err.code == "table-missing-value"
    assert "4, 5, 6, 7, 8, 9" in err.message
    assert err.location.path == "scores[0].transform.table"


def test_unknown_table_and_tag(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("    method: sum\n", "    method: sum\n"
                                "    transform: {table: conv}\n")
    assert ("unknown-table", "scores[0].transform.table") in problems(text)
    text = minimal_yaml.replace("items: all", "items: {tags: [coping]}")
    assert ("unknown-tag", "scores[0].items.tags[0]") in problems(text)


def test_max_missing_too_large(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("    method: sum\n", "    method: sum\n"
                                "    missing: {max_missing: 3}\n")
    assert ("max-missing-too-large", "scores[0].missing.max_missing") in problems(text)


def test_weighted_sum_needs_a_weight_per_item(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("    method: sum\n", "    method: weighted_sum\n"
                                "    weights: {a: 1, b: 2, z: 1}\n")
    got = problems(text)
    assert ("weights-mismatch", "scores[0].weights") in got


def test_alert_on_unknown_item_and_score(minimal_yaml: str) -> None:
    text = minimal_yaml + ("alerts:\n  - {id: x, when: {item: zz, op: gt, value: 0}, text: Hi}\n"
                           "  - {id: y, when: {score: totl, op: ge, value: 5}, text: Hi}\n")
    got = problems(text)
    assert ("unknown-item", "alerts[0].when.item") in got
    assert ("unknown-score", "alerts[1].when.score") in got


def test_condition_needs_one_target(minimal_yaml: str) -> None:
    text = minimal_yaml + "alerts:\n  - {id: x, when: {op: gt, value: 0}, text: Hi}\n"
    got = problems(text)
    assert got[0][0] == "invalid-condition"


def test_translations(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("title: Test measure", "title: {en: Test, cy: Prawf}\n"
                                "languages: [en, cy]")
    got = problems(text)
    # every plain-string text now lacks Welsh
    assert ("missing-translation", "items[0].text") in got
    assert ("missing-translation", "scales.freq.options[0].label") in got
    assert all(code == "missing-translation" for code, _ in got)
    text2 = minimal_yaml.replace("title: Test measure", "title: {en: Test, fr: Essai}")
    assert ("undeclared-language", "title.fr") in problems(text2)


def test_fully_translated_measure_loads(minimal_yaml: str) -> None:
    import re

    text = minimal_yaml.replace("title: Test measure", "title: Test measure\nlanguages: [en, ar]")
    text = re.sub(r"(label|text|title): ([A-Z][A-Za-z ]+)([},\n])",
                  lambda m: f"{m[1]}: {{en: {m[2]}, ar: ترجمة}}{m[3]}", text)
    m = ml.loads(text)
    assert m.text(m.items[0].text, "ar") == "ترجمة"
    assert m.direction("ar") == "rtl" and m.direction() == "ltr"


def test_personalised_and_follow_up_columns(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("scales:\n", "scales:\n  yn: {type: yesno}\n").replace(
        "  - {id: c, text: Third question, scale: freq, reverse: true}\n",
        "  - {id: c, text: Third question, scale: freq, reverse: true,\n"
        "     follow_up: [{id: help, text: 'More help?', scale: yn}]}\n"
        "  - {id: goal, text: My goal, scale: freq, personalised: {max_count: 2}}\n").replace(
        "items: all", "items: [a, b, c]")
    m = ml.loads(text)
    assert m.response_columns() == ["a", "b", "c", "c_help", "goal_1", "goal_1_text",
                                    "goal_2", "goal_2_text"]


def test_graphic_without_alt_is_a_warning(minimal_yaml: str) -> None:
    from measurelib.definition import check_measure

    text = minimal_yaml.replace("{value: 0, label: Never}", "{value: 0, label: Never, graphic: faces/1}")
    m = ml.loads(text)
    warnings = [d for d in check_measure(m) if d.code == "graphic-without-alt"]
    assert len(warnings) == 1 and warnings[0].severity == "warning"


def test_invisible_characters_in_texts_are_warned(minimal_yaml: str) -> None:
    """A right-to-left override reverses what follows it on screen, a zero-width space
    splits a word for screen readers: texts holding them are warned about, located; the
    direction marks and joiners that Arabic, Persian and Indic text need are not."""
    from measurelib.definition import check_measure

    text = minimal_yaml.replace("title: Test measure", "title: \"Test\u200f measure\"")
    text = text.replace("text: Second question", "text: \"Second \u202equestion\"")
    text = text.replace("label: Never", "label: \"Ne\u200bver\"")
    text = text.replace("text: Third question", "text: \"Third \u0642\u0631\u200c\u0627\"")
    m = ml.loads(text)
    found = sorted((d.location.path, d.severity) for d in check_measure(m)
                   if d.code == "text-hidden-character")
    assert found == [("items[1].text", "warning"), ("scales.freq.options[0].label", "warning")]
    (msg,) = [d.message for d in check_measure(m) if d.location.path == "items[1].text"
              and d.code == "text-hidden-character"]
    assert "RIGHT-TO-LEFT OVERRIDE (U+202E) after 'Second '" in msg


def test_score_range_and_reachable(minimal_yaml: str) -> None:
    m = ml.loads(minimal_yaml)
    assert m.score_range("total") == (0, 9)
    swemwbs = ml.load("swemwbs")
    assert swemwbs.score_range("metric") == (7.0, 35.0)


def test_shipped_phq9_bands() -> None:
    from measurelib.definition import band_intervals

    m = ml.load("phq-9")
    rule = m.score_rule("total")
    iv = band_intervals(rule.bands)
    assert iv[0][:2] == (float("-inf"), False) and iv[0][2:] == (4.0, True)
    assert iv[1] == (4.0, False, 9.0, True)
    assert iv[-1][0] == 19.0
