"""The paper form of an IRT-scored measure prints its sum → score conversion table."""

from __future__ import annotations

import re

import measurelib as ml
from measurelib.psychometrics import conversion_table

from .conftest import BANK


def test_print_form_shows_the_sum_to_t_table() -> None:
    m = ml.loads(BANK)
    html = str(m.render("print"))
    assert "For office use" in html and "T score" in html
    table = conversion_table(m)
    rows = re.findall(r"<tr><td>(\d+)</td><td>([\d.]+)</td><td>([\d.]+)</td></tr>", html)
    assert [int(r[0]) for r in rows[: len(table)]] == list(table["sum"].astype(int))
    assert [r[1] for r in rows[: len(table)]] == [f"{x:.0f}" for x in table["score"]]
    assert "count 5 − the number ticked" in html  # q2 is reversed on a 1-4 scale


def test_web_form_and_sum_scored_measures_print_no_table() -> None:
    assert "For office use" not in str(ml.load("phq-9").render("print"))


TRILINGUAL = """\
format: 1
id: t3
version: 1.0.0
title: {en: T, cy: T, ar: T}
language: en
languages: [en, cy, ar]
licence: {holder: x, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
calibration:
  sample: {n: 500, simulated: true}
  metric: {name: T, mean: 50, sd: 10}
scales:
  s3:
    type: ordinal
    options:
      - {value: 1, label: {en: a, cy: a, ar: a}}
      - {value: 2, label: {en: b, cy: b, ar: b}}
      - {value: 3, label: {en: c, cy: c, ar: c}}
items:
  - {id: q1, text: {en: one, cy: un, ar: واحد}, scale: s3, irt: {a: 1.5, b: [-1, 1]}}
  - {id: q2, text: {en: two, cy: dau, ar: اثنان}, scale: s3, reverse: true, irt: {a: 2.0, b: [-0.5, 0.8]}}
scores:
  - {id: wb, title: {en: Wellbeing, cy: Lles, ar: الرفاه}, items: all, method: irt}
"""


def test_conversion_table_text_is_in_the_forms_language() -> None:
    from markupsafe import escape

    from measurelib.forms._i18n import UI

    m = ml.loads(TRILINGUAL)
    english = str(m.render("print"))
    assert "For office use: Wellbeing" in english and "count 4 − the number ticked" in english
    welsh = str(m.render("print", lang="cy"))
    arabic = str(m.render("print", lang="ar"))
    for html, lang, title in ((welsh, "cy", "Lles"), (arabic, "ar", "الرفاه")):
        words = {k: str(escape(v)) for k, v in UI[lang].items()}
        assert f"{words['for_office']}: {title}" in html
        assert words["conv_add"].format(metric="T") in html
        assert words["conv_reversed_item"].format(item="q2", total="4") in html
        assert words["conv_complete"] in html and words["conv_simulated"] in html
        assert f'<th scope="col">{words["conv_sum"]}</th>' in html
        assert "For office use" not in html and "the number ticked" not in html
    assert 'dir="rtl"' in arabic


def test_every_conversion_word_is_translated() -> None:
    from measurelib.forms._i18n import UI

    keys = {k for k in UI["en"] if k.startswith("conv_")} | {"for_office"}
    for lang in ("cy", "ar"):
        assert keys <= set(UI[lang]), (lang, keys - set(UI[lang]))
