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
