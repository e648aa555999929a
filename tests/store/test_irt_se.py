"""IRT scores' standard errors in the store and the per-person reliable change built on them.

Run on SQLite and PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes._impact import change_sentence

BANK = """\
format: 1
id: se-bank
version: 1.0.0
title: SE bank
licence: {holder: x, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
calibration:
  sample: {n: 500, simulated: true}
  metric: {name: T, mean: 50, sd: 10}
scales:
  s4:
    type: ordinal
    options: [{value: 1, label: a}, {value: 2, label: b}, {value: 3, label: c}, {value: 4, label: d}]
items:
  - {id: q1, text: one, scale: s4, irt: {a: 1.5, b: [-1, 0, 1]}}
  - {id: q2, text: two, scale: s4, irt: {a: 2.0, b: [-1.5, -0.2, 0.8]}}
  - {id: q3, text: three, scale: s4, irt: {a: 1.0, d: [2, 0, -2]}}
  - {id: q4, text: four, scale: s4, irt: {a: 1.2, b: [-0.5, 0.5, 1.5]}}
scores:
  - id: wb
    items: all
    method: irt
    higher_is_better: true
    reliable_change: {reliability: 0.5, sd: 10}
  - {id: plain, items: all, method: sum}
"""


@pytest.fixture(scope="module")
def bank() -> ml.Measure:
    return ml.loads(BANK, "se-bank.yaml")


def _forms() -> pd.DataFrame:
    # a: 1,1,1,1 -> 4,4,4,4 (big change); b: 2,2,2,2 -> 2,2,3,2 (small);
    # c: 1,1,1,1 -> 1,1,1,2 with q4 skipped at baseline (larger SE)
    rows = [("a", "baseline", "2025-01-06", 1, 1, 1, 1), ("a", "exit", "2025-03-03", 4, 4, 4, 4),
            ("b", "baseline", "2025-01-06", 2, 2, 2, 2), ("b", "exit", "2025-03-03", 2, 2, 3, 2),
            ("c", "baseline", "2025-01-06", 1, 1, 1, None),
            ("c", "exit", "2025-03-03", 1, 2, 2, 2),
            ("d", "baseline", "2025-01-08", 3, 3, 3, 3)]
    df = pd.DataFrame(rows, columns=["respondent_id", "timepoint", "date", "q1", "q2", "q3",
                                     "q4"])
    df["q4"] = df["q4"].astype("Int64")
    return df


def test_store_keeps_the_se_beside_the_score(store: ml.Store, bank: ml.Measure,
                                             tmp_path) -> None:
    df = _forms()
    store.import_frame(bank, df, source="t.csv")
    direct = bank.score(df.drop(columns=["respondent_id", "timepoint", "date"])).scores
    sc = store.scores("se-bank", "wb").sort_values(["respondent_id", "date"])
    assert len(sc) == 7
    np.testing.assert_allclose(sc["value"].to_numpy(), direct["wb"].to_numpy()[[0, 1, 2, 3,
                                                                                4, 5, 6]])
    np.testing.assert_allclose(sc["se"].to_numpy(), direct["wb_se"].to_numpy(), rtol=1e-12)
    assert (sc["se"] > 0).all()
    # the skipped answer gives a larger SE at the same answers otherwise
    assert sc["se"].iloc[4] > sc["se"].iloc[0]
    # every score: the SE rows are not scores of their own; a plain sum has no SE
    every = store.scores("se-bank")
    assert sorted(every["score_id"].unique()) == ["plain", "wb"]
    assert every.loc[every["score_id"] == "plain", "se"].isna().all()
    assert every.loc[every["score_id"] == "wb", "se"].notna().all()
    # asked for by name, they are rows
    raw = store.scores("se-bank", "wb_se")
    assert len(raw) == 7 and raw["value"].notna().all()
    # the export writes wb_se beside wb
    out = store.export_responses(bank, tmp_path / "out.csv")
    assert "wb_se" in out.columns and "plain_se" not in out.columns
    written = pd.read_csv(tmp_path / "out.csv")
    np.testing.assert_allclose(np.sort(written["wb_se"].to_numpy()),
                               np.sort(sc["se"].to_numpy()), rtol=1e-9)


def test_change_uses_each_persons_standard_errors(store: ml.Store, bank: ml.Measure) -> None:
    store.import_frame(bank, _forms(), source="t.csv")
    res = ml.change(store, bank, "baseline", "exit", "wb")
    assert res.rc_method == "irt-se"
    assert res.rc_threshold is None and res.s_diff is None
    people = res.people.set_index("respondent_id")
    sc = store.scores("se-bank", "wb")
    for pid in ("a", "b", "c"):
        mine = sc[sc["respondent_id"] == pid].sort_values("date")
        se1, se2 = mine["se"].tolist()
        s_diff = math.sqrt(se1 ** 2 + se2 ** 2)
        diff = mine["value"].iloc[1] - mine["value"].iloc[0]
        assert people.loc[pid, "baseline_se"] == pytest.approx(se1, rel=1e-12)
        assert people.loc[pid, "follow_up_se"] == pytest.approx(se2, rel=1e-12)
        assert people.loc[pid, "s_diff"] == pytest.approx(s_diff, rel=1e-12)
        assert people.loc[pid, "rci"] == pytest.approx(diff / s_diff, rel=1e-12)
        expected = ("reliably improved" if diff / s_diff > 1.96 else "no reliable change")
        assert people.loc[pid, "category"] == expected
    assert people.loc["a", "category"] == "reliably improved"
    # the declared Jacobson-Truax threshold (1.96 * 10 * 1 = 19.6 T points) would have
    # called b's change unreliable as well; the person's own SEs decide here
    assert res.overall["n_improved"] + res.overall["n_no_change"] == 3
    assert pd.isna(people.loc["d", "category"])
    assert not any("no stored standard errors" in w for w in res.warnings)


def test_pairs_without_se_fall_back_to_the_declared_criterion(bank: ml.Measure) -> None:
    frame = pd.DataFrame({
        "respondent_id": ["a", "a", "b", "b"], "timepoint": ["baseline", "exit"] * 2,
        "date": ["2025-01-01", "2025-03-01"] * 2, "wb": [40.0, 55.0, 40.0, 55.0],
        "wb_se": [3.0, 3.0, None, 3.0]})
    res = ml.change(frame, bank, "baseline", "exit", "wb")
    people = res.people.set_index("respondent_id")
    assert res.rc_method == "irt-se"
    # a: 15 > 1.96 * sqrt(18) = 8.3; b: 15 < 19.6 (reliability 0.5, SD 10)
    assert people.loc["a", "category"] == "reliably improved"
    assert people.loc["b", "category"] == "no reliable change"
    assert people.loc["b", "rci"] == pytest.approx(15 / (10 * math.sqrt(1.0)))
    assert any("1 pair(s)" in w and "jacobson-truax" in w for w in res.warnings)


def test_impact_methods_text_names_the_per_person_se(store: ml.Store, bank: ml.Measure) -> None:
    store.import_frame(bank, _forms(), source="t.csv")
    report = ml.impact_report(store, bank, baseline="baseline", follow_up="exit",
                              score="wb", min_cell=1)
    section = report.data["sections"][0]
    assert section["reliable_change"]["method"] == "irt-se"
    assert "own standard errors" in section["reliable_change"]["text"]
    assert "SE₁² + SE₂²" in report.to_html()


def test_feedback_sentence_uses_the_persons_se(bank: ml.Measure) -> None:
    rule = bank.score_rule("wb")
    since = pd.Timestamp("2025-01-01")
    # declared: 19.6 points; own: 1.96 * 5 = 9.8 points
    assert "big enough" in change_sentence(12.0, rule, 2, since, ses=(3.0, 4.0))
    assert "at least 9.8" in change_sentence(9.0, rule, 2, since, ses=(3.0, 4.0))
    assert "at least 19.6" in change_sentence(12.0, rule, 2, since)
    assert "at least 19.6" in change_sentence(12.0, rule, 2, since,
                                              ses=(float("nan"), 4.0))


def test_a_score_named_as_an_se_column_is_refused() -> None:
    text = BANK.replace("  - {id: plain, items: all, method: sum}",
                        "  - {id: wb_se, items: all, method: sum}")
    with pytest.raises(ml.DefinitionError) as err:
        ml.loads(text, "clash.yaml")
    assert "wb_se" in str(err.value) and "duplicate-id" in str(err.value)
