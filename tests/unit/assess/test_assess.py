"""The measure assessment: statistics agree with the psychometric functions, verdicts cite
their criteria, the reliable-change proposal follows Jacobson & Truax, and the report is
self-contained."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib import psychometrics as pm
from measurelib.assessment._assess import CRITERIA, assess, declared_structure, write_rci

ROOT = Path(__file__).resolve().parents[3]
BFI = ROOT / "tests" / "data" / "bfi.csv"
BANK = ROOT / "instruments" / "banks" / "ipip-bfi.yaml"


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    df = pd.read_csv(BFI).iloc[:800].copy()
    df.insert(0, "respondent_id", [f"p{i:04d}" for i in range(len(df))])
    return df


@pytest.fixture(scope="module")
def result(bfi: pd.DataFrame) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ml.assess(ml.load(BANK), bfi, on_invalid="missing", n_iter=20, seed=7)


def test_reliability_equals_the_psychometrics_function(result, bfi) -> None:  # type: ignore[no-untyped-def]
    m = ml.load(BANK)
    items = [i.code for i in m.items if "agreeableness" in i.tags]
    keys = [c for c in items if m.item(c.lower()).reverse]
    direct = pm.reliability(bfi[items], keys=keys, scale_range=(1, 6))
    got = result.reliability["agreeableness"]
    assert got.alpha == pytest.approx(direct.alpha, abs=1e-12)
    assert got.alpha_ci == pytest.approx(direct.alpha_ci, abs=1e-12)
    assert got.n_items == 5


def test_every_verdict_names_its_criterion_and_source(result) -> None:  # type: ignore[no-untyped-def]
    sources = {src for _, src in CRITERIA.values()}
    assert result.verdicts
    for v in result.verdicts:
        assert v.criterion and v.source and v.text
        assert v.status in ("meets", "does not meet", "cannot conclude", "not assessable",
                            "information")
    topics = {v.topic.split(" — ")[0] for v in result.verdicts}
    assert {"Sample size", "Internal consistency", "Item analysis", "Keying",
            "Sampling adequacy", "Dimensionality", "Structural validity (CFA)",
            "Floor and ceiling", "Reliable change"} <= topics
    assert any("Hu L, Bentler PM (1999)" in v.source for v in result.verdicts)
    assert all(v.source in sources or v.topic == "Keying" for v in result.verdicts)


def test_openness_is_flagged_and_o4_is_the_weak_item(result) -> None:  # type: ignore[no-untyped-def]
    o = [v for v in result.verdicts if v.topic == "Item analysis — openness"][0]
    assert o.status == "does not meet" and "o4" in o.text


def test_cfa_uses_the_declared_structure(result) -> None:  # type: ignore[no-untyped-def]
    assert set(result.declared_structure) == {"agreeableness", "conscientiousness",
                                              "extraversion", "neuroticism", "openness"}
    assert result.cfa is not None and result.cfa.converged
    direct = pm.cfa(result_items(result), result.declared_structure)
    assert result.cfa.fit["chisq"] == pytest.approx(direct.fit["chisq"], rel=1e-9)


def result_items(result):  # type: ignore[no-untyped-def]
    m = ml.load(BANK)
    df = pd.read_csv(BFI).iloc[:800]
    from measurelib.scoring import scored_item_values

    out = {}
    for item in m.items:
        out[item.id] = scored_item_values(m, item.id, df[item.code].to_numpy(float))
    return pd.DataFrame(out)


def test_reliable_change_follows_jacobson_truax(result) -> None:  # type: ignore[no-untyped-def]
    e = result.rci["neuroticism"]
    scores = ml.load(BANK).score(pd.read_csv(BFI).iloc[:800], on_invalid="missing").scores
    sd = float(pd.to_numeric(scores["neuroticism"]).std(ddof=1))
    assert e["sd"] == pytest.approx(sd)
    assert e["sem"] == pytest.approx(sd * math.sqrt(1 - e["alpha"]))
    assert e["threshold"] == pytest.approx(1.96 * math.sqrt(2) * e["sem"])


def test_write_rci_records_a_new_version(result) -> None:  # type: ignore[no-untyped-def]
    m = ml.load(BANK)
    new = write_rci(m, result, "neuroticism")
    assert new.version == "1.1.0"
    rc = new.score_rule("neuroticism").reliable_change
    assert rc is not None and rc.reliability == pytest.approx(result.rci["neuroticism"]["alpha"],
                                                              abs=1e-4)
    assert "Jacobson & Truax" in (rc.source or "")
    assert ml.loads(new.to_yaml()) == new
    with pytest.raises(ValueError, match="available"):
        write_rci(m, result, "nope")


def test_json_and_report(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["measure_id"] == "ipip-bfi" and doc["seed"] == 7
    html = result.render("html", tmp_path / "r.html")
    assert isinstance(html, str) and html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count('role="img"') >= 3 and "<desc" in html
    assert "Hu L, Bentler PM (1999)" in html and "seed 7" in html
    pdf = result.render("pdf", tmp_path / "r.pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Assessment of" in text and "Cronbach" in text


def test_declared_structure_drops_totals_of_subscales() -> None:
    m = ml.loads("""
format: 1
id: sub
version: 1.0.0
title: Sub
licence: {holder: x, text_redistribution: allowed, modification: allowed}
scales:
  s: {type: ordinal, options: [{value: 0, label: a}, {value: 1, label: b}, {value: 2, label: c}]}
items:
  - {id: a1, text: a, scale: s, tags: [a]}
  - {id: a2, text: a, scale: s, tags: [a]}
  - {id: a3, text: a, scale: s, tags: [a]}
  - {id: b1, text: b, scale: s, tags: [b]}
  - {id: b2, text: b, scale: s, tags: [b]}
  - {id: b3, text: b, scale: s, tags: [b]}
scores:
  - {id: total, items: all}
  - {id: a, items: {tags: [a]}}
  - {id: b, items: {tags: [b]}}
""")
    assert declared_structure(m) == {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]}


def test_retest_and_convergent_validity(tmp_path: Path) -> None:
    m = ml.load("phq-9")
    sim = pm.simulate(m, 150, seed=3)
    sim.insert(0, "respondent_id", [f"r{i}" for i in range(len(sim))])
    rng = np.random.default_rng(4)
    second = sim.copy()
    items = [i.id for i in m.items if i.id != "difficulty"]
    flip = rng.random((len(sim), len(items))) < 0.15
    second[items] = np.clip(sim[items].to_numpy() + flip * rng.choice([-1, 1], flip.shape), 0, 3)
    second = second.iloc[5:]  # five people did not answer twice
    total = m.score(sim).scores["total"]
    reference = pd.DataFrame({"respondent_id": sim["respondent_id"],
                              "gad7": total + rng.normal(0, 2, len(sim))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = assess(m, sim, retest=second, reference=reference, id_column="respondent_id",
                   n_iter=10)
    assert r.simulated
    assert r.retest is not None and r.retest.n_pairs == 145 and r.retest.n_only_in_first == 5
    rt = [v for v in r.verdicts if v.topic.startswith("Test-retest")][0]
    assert rt.statistic == "ICC(A,1)" and 0.5 < (rt.value or 0) <= 1
    cv = [v for v in r.verdicts if v.topic.startswith("Convergent")][0]
    assert cv.value == pytest.approx(float(np.corrcoef(total, reference["gad7"])[0, 1]))
    html = str(r.render("html"))
    assert "Simulated data" in html and "Test–retest" in html


def test_cli(tmp_path: Path) -> None:
    small = tmp_path / "bfi.csv"
    pd.read_csv(BFI).iloc[:400].to_csv(small, index=False)
    report = tmp_path / "report.html"
    rci = tmp_path / "rci.yaml"
    out = subprocess.run([sys.executable, "-m", "measurelib", "assess", str(BANK), str(small),
                          "--on-invalid", "missing", "--iterations", "10", "--report",
                          str(report), "--write-rci", str(rci), "--score", "neuroticism"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Internal consistency — neuroticism" in out.stdout
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert ml.load(rci).version == "1.1.0"
    js = subprocess.run([sys.executable, "-m", "measurelib", "assess", str(BANK), str(small),
                         "--on-invalid", "missing", "--iterations", "5", "--format", "json"],
                        capture_output=True, text=True, timeout=600)
    assert js.returncode == 0 and json.loads(js.stdout)["n_items"] == 25


def test_cli_bad_input(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "measurelib", "assess", "phq-9", str(BFI)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    assert "missing-column" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "measurelib", "assess", "phq-9",
                          str(tmp_path / "none.csv")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "measurelib", "assess", "phq-9", str(BFI),
                          "--report", "x.docx"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2


def test_items_without_variance_or_answers_are_left_out_with_a_note() -> None:
    """An item everybody answered alike (no one endorsed self-harm in a small sample) or
    nobody answered stopped the whole assessment; like psych::alpha, it is left out of the
    statistics with a note, and the rest is assessed as without it."""
    rng = np.random.default_rng(11)
    items = [i.id for i in ml.load("phq-9").items][:9]
    latent = rng.normal(size=(150, 1))
    raw = np.clip(np.rint(1.2 + latent + rng.normal(scale=0.8, size=(150, 9))), 0, 3)
    df = pd.DataFrame(raw, columns=items)
    df["self_harm"] = 0.0
    df["psychomotor"] = np.nan
    df.insert(0, "respondent_id", [f"r{i}" for i in range(150)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = assess("phq-9", df, on_invalid="missing", n_iter=10, seed=3)
    assert res.sample["items_left_out"] == {
        "psychomotor": "has no answers",
        "self_harm": "has no variance (all 150 answers are 0)"}
    kept = [i for i in items if i not in ("psychomotor", "self_harm")]
    direct = pm.reliability(df[kept], ci="feldt", scale_range=(0, 3))
    assert res.reliability["total"].alpha == pytest.approx(direct.alpha, abs=1e-12)
    assert res.reliability["total"].n_items == 7
    notes = " ".join(res.warnings)
    assert "item 'self_harm' has no variance" in notes and "'psychomotor' has no answers" in notes
    df[kept] = 1.0
    with pytest.raises(ml.DataError) as err:
        assess("phq-9", df, on_invalid="missing", n_iter=10)
    (d,) = err.value.errors
    assert d.code == "assess-too-few-items" and "'interest' has no variance" in d.message
