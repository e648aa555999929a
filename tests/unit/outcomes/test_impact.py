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
    sec = data["data"]["sections"][0]
    site_b = [r for r in sec["breakdowns"] if r["group"] == "B"][0]
    assert site_b["n_baseline"] == "[c]" and site_b["n_paired"] == "[c]"
    assert site_b["mean_change"] is None and site_b["completion_rate"] is None
    # site A would give site B away by subtraction from the total: hidden too
    site_a = [r for r in sec["breakdowns"] if r["group"] == "A"][0]
    assert site_a["n_baseline"] == "[c]"

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
    assert "[c]: hidden to protect privacy" in html
    rep10 = impact_report(service(), PHQ9, min_cell=10)
    assert "Counts from 1 to 9 are shown as [c]" in rep10.to_json()


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
    assert "big enough to be sure it is real" in html
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


def _rule(yaml_rc: str):
    return ml.loads(WELLBEING.replace("reliable_change: 3", yaml_rc)).scores[0]


def test_feedback_change_is_compared_before_it_is_rounded() -> None:
    """2.80 against a threshold of 2.87 is not reliable, and never prints as '3 points'."""
    from measurelib.outcomes._impact import change_sentence

    since = pd.Timestamp("2025-01-10")
    text = change_sentence(2.8, _rule("reliable_change: 2.87"), 2, since)
    assert "by 2.80 points" in text and "at least 2.87 points" in text
    assert "3 points" not in text
    text = change_sentence(2.87, _rule("reliable_change: 2.87"), 2, since)
    assert "by 2.87 points" in text and "big enough" in text
    text = change_sentence(-6.0, _rule("reliable_change: 3"), 2, since)
    assert "down by 6 points" in text and "3 points or more" in text
    # no criterion: no claim either way about day-to-day ups and downs
    no_rc = ml.loads(WELLBEING.replace("    reliable_change: 3\n", "")).scores[0]
    text = change_sentence(2.0, no_rc, 2, since)
    assert "ups and downs" not in text and "does not say how big" in text


def test_no_criterion_means_no_category_anywhere() -> None:
    """No reliable-change criterion: no 0% headline, no category bar, no category column."""
    m = ml.loads(WELLBEING.replace("    reliable_change: 3\n", ""))
    df = service().rename(columns={"total": "a"}).assign(b=0)
    df["a"] = df["a"].clip(0, 5)
    rep = impact_report(df.rename(columns={"a": "total"}), m)
    sec = rep.data["sections"][0]
    assert sec["categories_reported"] is False
    assert "share_improved" not in sec["headline"]
    html = rep.to_html()
    assert "reliably improved" not in html.lower().replace("not reported", "")
    assert "No reliable change" not in html
    assert "not reported" in html
    assert "reliable change not reported" in rep.summary()


TWO_SCORES = WELLBEING.replace("""scores:
  - id: total""", """scores:
  - id: sub
    title: First item
    items: [a]
    higher_is_better: true
    reliable_change: 2
  - id: total""")


def test_one_report_covers_several_scores() -> None:
    m = ml.loads(TWO_SCORES)
    df = service().rename(columns={"total": "a"})
    df["a"] = df["a"] % 6
    df["b"] = 2
    store = ml.Store(":memory:")
    store.import_frame(m, df[["respondent_id", "site", "timepoint", "date", "a", "b"]])
    rep = impact_report(store, m, score="all")
    assert rep.score_ids == ["sub", "total"]
    assert [s["score_id"] for s in rep.data["sections"]] == ["sub", "total"]
    html = rep.to_html()
    assert html.count('id="h-headline-') == 2 and "First item" in html
    assert "Feel-good score" in html and html.count("<h1>") == 1
    rep2 = impact_report(store, m, score=["total"])
    assert rep2.score_ids == ["total"]
    with pytest.raises(ValueError, match="allowed values"):
        impact_report(store, m, score=["nope"])


def test_organisation_name_and_logo(tmp_path, monkeypatch) -> None:
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    (tmp_path / "logo.png").write_bytes(png)
    monkeypatch.chdir(tmp_path)
    rep = impact_report(service(), PHQ9, organisation="Northgate <Trust>", logo="logo.png")
    html = rep.to_html()
    assert 'src="data:image/png;base64,' in html and "Northgate &lt;Trust&gt;" in html
    assert 'alt="Northgate &lt;Trust&gt; logo"' in html
    outside = tmp_path.parent / "outside-logo.png"
    outside.write_bytes(png)
    for bad, msg in ((str(outside), "outside"), ("../outside-logo.png", "outside"),
                     ("missing.png", "not a file")):
        with pytest.raises(ml.DataError, match=msg):
            impact_report(service(), PHQ9, logo=bad)
    (tmp_path / "link.png").symlink_to(outside)
    with pytest.raises(ml.DataError, match="outside"):
        impact_report(service(), PHQ9, logo="link.png")
    (tmp_path / "fake.png").write_text("<svg onload=alert(1)>")
    with pytest.raises(ml.DataError, match="not a PNG or JPEG"):
        impact_report(service(), PHQ9, logo="fake.png")
    (tmp_path / "big.png").write_bytes(png + b"\0" * 600_000)
    with pytest.raises(ml.DataError, match="the limit is"):
        impact_report(service(), PHQ9, logo="big.png")


def test_report_cli_scores_and_logo(tmp_path) -> None:
    import subprocess
    import sys

    m = ml.loads(TWO_SCORES)
    (tmp_path / "m.yaml").write_text(TWO_SCORES)
    df = service().rename(columns={"total": "a"})
    df["a"] = df["a"] % 6
    df["b"] = 2
    store = ml.Store(tmp_path / "s.db")
    store.import_frame(m, df[["respondent_id", "site", "timepoint", "date", "a", "b"]])
    store.close()
    r = subprocess.run([sys.executable, "-m", "measurelib", "report", "--db", "s.db",
                        "--measure", "m.yaml", "--score", "all", "--organisation", "Trust",
                        "-o", "r.json"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["score_ids"] == ["sub", "total"] and doc["organisation"] == "Trust"
    r = subprocess.run([sys.executable, "-m", "measurelib", "report", "--db", "s.db",
                        "--measure", "m.yaml", "--logo", "/etc/hostname", "-o", "r.html"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1 and "report-logo" in r.stderr and "Traceback" not in r.stderr


def test_no_statistic_of_a_hidden_group_in_json() -> None:
    """n_lost hidden: no mean, SD or test statistic of those people anywhere."""
    df = service(n_a=30, n_b=0)
    keep = ~((df["timepoint"] == "exit") & df["respondent_id"].isin(["p1", "p2"]))
    rep = impact_report(df[keep], PHQ9)
    a = rep.data["sections"][0]["attrition"]
    assert a["n_lost"] == "[c]"
    assert a["mean_lost"] is None and a["sd_lost"] is None
    assert a["welch_t"] is None and a["p"] is None and a["standardised_difference"] is None
    # and 28 followed up of 30 started would give the 2 away: started or followed up hidden
    h = rep.data["sections"][0]["headline"]
    assert "[c]" in (h["n_baseline"], h["n_paired"])


def test_a_small_count_of_simulated_forms_is_suppressed(tmp_path) -> None:
    """Three simulated forms among real ones: the count is hidden like any small count."""
    phq9 = ml.load("phq-9")
    items = [i.id for i in phq9.items[:9]]
    rows = []
    for k in range(12):
        for tp, date, v in (("baseline", "2026-01-05", 2), ("exit", "2026-03-02", 1)):
            rows.append({"respondent_id": f"r{k}", "timepoint": tp, "date": date,
                         "simulated": "yes" if k == 0 and tp == "baseline" or k in (1, 2)
                         and tp == "exit" else "no", **{i: v for i in items}})
    store = ml.Store(tmp_path / "mixed.db")
    store.import_frame(phq9, pd.DataFrame(rows))
    assert int(store.scores("phq-9")["simulated"].astype(bool).sum()) == 3
    report = impact_report(store, phq9)
    assert report.data["simulated"] != 3 and not isinstance(report.data["simulated"], int)
    published = json.dumps(report.data, default=str)
    assert '"simulated": 3' not in published
    html = str(report.to_html() if hasattr(report, "to_html") else report.render("html"))
    assert "Simulated data: 3 of" not in html and "Simulated data:" in html
