"""Impact report and feedback sheet: suppression, accessibility, formats."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes import feedback_sheet, impact_report, xmr_limits

PHQ9 = ml.load("phq-9")

WELLBEING = """
format: 1
id: feel-good
version: 1.0.0
title: Feel-good check
language: en
licence: {holder: example, text_redistribution: allowed, modification: allowed}
scales:
  five: {type: numeric, min: 0, max: 5}
items:
  - {id: a, scale: five, text: I feel good}
  - {id: b, scale: five, text: I sleep well}
scores:
  - id: total
    title: Feel-good score
    items: all
    higher_is_better: true
    reliable_change: 3
    bands:
      - {max: 3, label: Low, advice: Talk to your worker about extra support.}
      - {max: 7, label: Middle, advice: Keep going with what helps.}
      - {label: High, advice: You are doing well.}
"""


def service(n_a: int = 30, n_b: int = 3) -> pd.DataFrame:
    """Site A: n_a people; site B: n_b people (a small cell); all followed up."""
    rows = []
    for i in range(n_a + n_b):
        site = "A" if i < n_a else "B"
        base = 12 + i % 10
        rows += [{"respondent_id": f"p{i}", "site": site, "timepoint": "baseline",
                  "date": f"2025-{1 + i % 6:02d}-05", "total": base},
                 {"respondent_id": f"p{i}", "site": site, "timepoint": "exit",
                  "date": f"2025-{3 + i % 6:02d}-20", "total": base - 2 - i % 7}]
    return pd.DataFrame(rows)


def test_xmr_limits_by_hand() -> None:
    lim = xmr_limits([1.0, 2.0, 4.0])
    assert lim["centre"] == pytest.approx(7 / 3)
    assert lim["mean_moving_range"] == pytest.approx(1.5)
    assert lim["upper"] == pytest.approx(7 / 3 + 2.66 * 1.5)
    assert lim["lower"] == pytest.approx(7 / 3 - 2.66 * 1.5)
    assert xmr_limits([3.0])["upper"] is None


def test_small_numbers_are_suppressed_everywhere() -> None:
    rep = impact_report(service(), PHQ9, by=["site"])
    data = json.loads(rep.to_json())
    site_b = [r for r in data["data"]["breakdowns"] if r["group"] == "B"][0]
    assert site_b["n_baseline"] == "<5" and site_b["n_paired"] == "<5"
    assert site_b["mean_change"] == "<5" and site_b["completion_rate"] == "<5"

    def walk(obj, key=""):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield from walk(v, k)
        elif isinstance(obj, list):
            for v in obj:
                yield from walk(v, key)
        else:
            yield key, obj

    for key, value in walk(data["data"]):
        if key.startswith("n") and isinstance(value, int) and not isinstance(value, bool):
            assert value == 0 or value >= 5, (key, value)
    html = rep.to_html()
    assert "&lt;5" in html
    rep10 = impact_report(service(), PHQ9, min_cell=10)
    assert "<10" in rep10.to_json()


def test_html_is_self_contained_and_accessible() -> None:
    html = impact_report(service(), PHQ9).to_html()
    assert html.count('role="img"') >= 4
    assert html.count("<title id=") >= 4 and html.count("<desc id=") >= 4
    assert "<table>" in html and "<caption>" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "Jacobson NS, Truax P (1991)" in html and "Kroenke" in html
    assert "no comparison group" in html


def test_outputs_by_suffix(tmp_path) -> None:
    rep = impact_report(service(), PHQ9)
    assert rep.write(tmp_path / "r.json").read_text().startswith("{")
    assert "<svg" in rep.write(tmp_path / "r.html").read_text()
    pdf = rep.write(tmp_path / "r.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match="allowed file types"):
        rep.write(tmp_path / "r.docx")


def test_feedback_sheet(tmp_path) -> None:
    m = ml.loads(WELLBEING)
    store = ml.Store(tmp_path / "s.db")
    df = pd.DataFrame({"respondent_id": ["me", "me", "other"],
                       "timepoint": ["baseline", "review", "baseline"],
                       "date": ["2025-01-10", "2025-03-01", "2025-01-11"],
                       "a": [1, 4, 0], "b": [1, 4, 0]})
    store.import_frame(m, df)
    html = feedback_sheet(store, m, "me")
    assert "Your latest score is <strong>8</strong>" in html
    assert "You are doing well." in html
    assert "gone up by 6 points" in html and "That is better" in html
    assert "big enough change" in html
    assert 'role="img"' in html and "other" not in html
    with pytest.raises(ValueError, match="no feel-good scores"):
        feedback_sheet(store, m, "nobody")
    store.close()


def test_simulated_forms_are_flagged_in_the_report(tmp_path) -> None:
    """Forms marked `simulated` are stored as such, and the report says so in every format."""
    phq9 = ml.load("phq-9")
    items = [i.id for i in phq9.items[:9]]
    rows = []
    for k in range(8):
        for tp, date, v in (("baseline", "2026-01-05", 2), ("exit", "2026-03-02", 1)):
            rows.append({"respondent_id": f"s{k}", "timepoint": tp, "date": date,
                         "simulated": "yes", **{i: v for i in items}})
    store = ml.Store(tmp_path / "sim.db")
    store.import_frame(phq9, pd.DataFrame(rows))
    assert store.scores("phq-9")["simulated"].astype(bool).all()
    report = impact_report(store, phq9)
    assert report.data["simulated"] == 16
    assert report.data["caveats"][0].startswith("16 of these forms are SIMULATED")
    html = report.to_html() if hasattr(report, "to_html") else report.render("html")
    assert "Simulated data: 16 of these forms were generated by a model" in str(html)
    real = ml.Store(tmp_path / "real.db")
    real.import_frame(phq9, pd.DataFrame(rows).drop(columns="simulated"))
    assert impact_report(real, phq9).data["simulated"] == 0
