"""Change analysis: a hand-computed service of 12 people, and Jacobson & Truax (1991)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes import wilson_interval

PHQ9 = ml.load("phq-9")  # lower is better; reliable change 6 points; caseness >= 10

# id, site, baseline, follow-up (None: not followed up). Worked by hand below.
SERVICE = [
    ("p01", "A", 20, 8),    # -12 reliably improved; 20 >= 10 -> 8 < 10: recovered (reliable)
    ("p02", "A", 15, 12),   # -3  no reliable change; still a case
    ("p03", "A", 12, 5),    # -7  reliably improved; recovered (reliable)
    ("p04", "A", 9, 16),    # +7  reliably deteriorated; not a case at baseline
    ("p05", "A", 18, 11),   # -7  reliably improved; still a case (not recovered)
    ("p06", "B", 14, 9),    # -5  no reliable change; recovered but not reliably
    ("p07", "B", 22, 14),   # -8  reliably improved; still a case
    ("p08", "B", 10, 4),    # -6  reliably improved (a fall of 6 counts); recovered (reliable)
    ("p09", "B", 7, 6),     # -1  no reliable change; never a case
    ("p10", "B", 16, None),  # no follow-up
    ("p11", "A", 19, None),  # no follow-up
    ("p12", "B", 13, None),  # no follow-up
]


def service_frame() -> pd.DataFrame:
    rows = []
    for pid, site, base, fu in SERVICE:
        rows.append({"respondent_id": pid, "site": site, "timepoint": "baseline",
                     "date": "2025-01-10", "total": base})
        if fu is not None:
            rows.append({"respondent_id": pid, "site": site, "timepoint": "review",
                         "date": "2025-02-20", "total": (base + fu) // 2})
            rows.append({"respondent_id": pid, "site": site, "timepoint": "exit",
                         "date": "2025-04-01", "total": fu})
    # a follow-up without a baseline is not paired; an earlier form is not a follow-up
    rows.append({"respondent_id": "p13", "site": "A", "timepoint": "exit",
                 "date": "2025-04-01", "total": 3})
    rows.append({"respondent_id": "p09", "site": "B", "timepoint": "review",
                 "date": "2024-12-01", "total": 27})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def result() -> ml.outcomes.ChangeResult:
    return ml.change(service_frame(), PHQ9, by="site")


def test_people(result) -> None:
    p = result.people.set_index("respondent_id")
    assert p.loc["p01", "change"] == -12 and p.loc["p01", "improvement"] == 12
    assert p["category"].dropna().to_dict() == {
        "p01": "reliably improved", "p02": "no reliable change", "p03": "reliably improved",
        "p04": "reliably deteriorated", "p05": "reliably improved",
        "p06": "no reliable change", "p07": "reliably improved", "p08": "reliably improved",
        "p09": "no reliable change"}
    assert p["recovered"].dropna().astype(bool).to_dict() == {
        "p01": True, "p02": False, "p03": True, "p04": False, "p05": False, "p06": True,
        "p07": False, "p08": True, "p09": False}
    assert sorted(p.index[p["reliable_recovery"].fillna(False).astype(bool)]) == [
        "p01", "p03", "p08"]
    assert p["jt_category"].dropna().value_counts().to_dict() == {
        "recovered": 3, "unchanged": 3, "improved": 2, "deteriorated": 1}
    assert p.loc["p09", "follow_up"] == 6 and p.loc["p09", "baseline"] == 7
    assert p.loc["p01", "follow_up_timepoint"] == "exit"
    assert p.loc["p01", "rci"] == pytest.approx(-12 / (6 / 1.96))
    assert "p13" not in p.index


def test_service_figures(result) -> None:
    o = result.overall
    assert (result.n_baseline, result.n_paired) == (12, 9)
    assert o["completion_rate"] == 0.75
    assert o["mean_baseline"] == pytest.approx(127 / 9)
    assert o["mean_change"] == pytest.approx(-42 / 9)
    # sum of squared deviations of the changes = 230, so SD = sqrt(230 / 8)
    assert o["sd_change"] == pytest.approx(math.sqrt(28.75))
    assert o["d_z"] == pytest.approx((-42 / 9) / math.sqrt(28.75))
    # t(0.975, 8) = 2.306004
    half = 2.306004 * math.sqrt(28.75) / 3
    assert o["change_ci_low"] == pytest.approx(-42 / 9 - half, abs=1e-5)
    assert o["change_ci_high"] == pytest.approx(-42 / 9 + half, abs=1e-5)
    assert (o["n_improved"], o["n_no_change"], o["n_deteriorated"]) == (5, 3, 1)
    assert o["share_improved"] == pytest.approx(5 / 9)
    # Wilson interval for 5/9, worked by hand: (0.2667, 0.8112)
    assert o["share_improved_ci_low"] == pytest.approx(0.2667, abs=1e-4)
    assert o["share_improved_ci_high"] == pytest.approx(0.8112, abs=1e-4)
    assert (o["n_clinical_baseline"], o["n_recovered"], o["n_reliable_recovery"]) == (7, 4, 3)
    assert o["recovery_rate"] == pytest.approx(4 / 7)
    assert o["reliable_recovery_rate"] == pytest.approx(3 / 7)
    sb = pd.Series([20, 15, 12, 9, 18, 14, 22, 10, 7]).std()
    sf = pd.Series([8, 12, 5, 16, 11, 9, 14, 4, 6]).std()
    assert o["d_av"] == pytest.approx((-42 / 9) / ((sb + sf) / 2))


def test_by_site(result) -> None:
    g = result.groups.set_index("group")
    assert g.loc["A", "n_baseline"] == 6 and g.loc["A", "n_paired"] == 5
    assert g.loc["B", "n_baseline"] == 6 and g.loc["B", "n_paired"] == 4
    assert g.loc["A", "mean_change"] == pytest.approx(-4.4)
    assert g.loc["B", "mean_change"] == pytest.approx(-5.0)
    assert g.loc["A", "n_improved"] == 3 and g.loc["B", "n_improved"] == 2


def test_attrition(result) -> None:
    a = result.attrition
    assert (a["n_followed_up"], a["n_lost"]) == (9, 3)
    assert a["mean_followed_up"] == pytest.approx(127 / 9)
    assert a["mean_lost"] == pytest.approx(16.0)
    assert a["welch_t"] is not None and a["standardised_difference"] < 0


def test_follow_up_label_and_first(result) -> None:
    first = ml.change(service_frame(), PHQ9, follow_up="first")
    p = first.people.set_index("respondent_id")
    assert p.loc["p01", "follow_up_timepoint"] == "review"
    assert p.loc["p01", "follow_up"] == 14
    exit_only = ml.change(service_frame(), PHQ9, follow_up="exit")
    assert exit_only.n_paired == 9


def test_attrition_warning() -> None:
    rows = []
    for i in range(20):
        base = 20 if i < 10 else 10
        rows.append({"respondent_id": f"x{i}", "timepoint": "baseline", "date": "2025-01-01",
                     "total": base + i % 3})
        if i >= 10:
            rows.append({"respondent_id": f"x{i}", "timepoint": "exit", "date": "2025-03-01",
                         "total": 5})
    res = ml.change(pd.DataFrame(rows), PHQ9)
    assert res.attrition["differs"]
    assert any("better baseline scores" in w for w in res.warnings)


def test_episodes_are_paired_separately() -> None:
    df = pd.DataFrame({
        "respondent_id": ["a"] * 4, "episode": ["1", "1", "2", "2"],
        "timepoint": ["baseline", "exit", "baseline", "exit"],
        "date": ["2024-01-01", "2024-03-01", "2025-01-01", "2025-03-01"],
        "total": [20, 10, 15, 18]})
    res = ml.change(df, PHQ9)
    assert res.people["change"].tolist() == [-10, 3]


def test_errors() -> None:
    df = service_frame()
    with pytest.raises(ValueError, match="score"):
        ml.change(df, PHQ9, score="nope")
    with pytest.raises(ValueError, match="by"):
        ml.change(df, PHQ9, by="colour")
    with pytest.raises(TypeError, match="store_or_frame"):
        ml.change([1, 2], PHQ9)
    swem = ml.load("swemwbs")
    no_dir = ml.loads(swem.to_yaml().replace("higher_is_better: true", "higher_is_better: null"))
    with pytest.raises(ValueError, match="higher_is_better"):
        ml.change(df, no_dir)


# ----------------------------------------------------------------------------- J&T 1991
# Jacobson NS, Truax P (1991). Clinical significance: a statistical approach to defining
# meaningful change in psychotherapy research. J Consult Clin Psychol 59(1):12-19.
# Table 2 lists pre- and post-treatment Dyadic Adjustment Scale (DAS) scores of 30 couples;
# the text computes the reliable change index with the DAS's published SD of 17.8 and
# test-retest reliability of .96 (Spanier 1976): S_E = 17.8 * sqrt(1 - .96) = 3.56,
# S_diff = sqrt(2 * 3.56^2) = 5.03, so a change larger than 1.96 * 5.03 = 9.86 points is
# reliable. Higher DAS scores are better.
DAS_PRE = [90.5, 74, 97, 73.5, 61, 66.5, 68.5, 86.5, 88.5, 68.5, 98, 80.5, 89.5, 91.5, 83.5,
           60.5, 83, 88, 98.5, 78.5, 99.5, 79.5, 84.5, 92.5, 93, 85, 64, 61, 80, 82.5]
DAS_POST = [97, 124, 97.5, 88, 96.5, 62.5, 112.5, 103.5, 90, 82.5, 105, 99.5, 112.5, 101, 99.5,
            79.5, 88, 100.5, 119, 116, 116, 129, 113, 118, 92, 114, 68, 52, 60.5, 104.5]

DAS_YAML = """
format: 1
id: das-example
version: 1.0.0
title: Dyadic Adjustment Scale (total only, for the Jacobson & Truax example)
licence: {holder: example, text_redistribution: forbidden, modification: forbidden}
scales:
  n:
    type: numeric
    min: 0
    max: 151
items:
  - {id: total_item, scale: n}
scores:
  - id: total
    items: [total_item]
    higher_is_better: true
    reliable_change: {reliability: 0.96, sd: 17.8, source: Spanier 1976}
"""


def test_jacobson_truax_1991_das_example() -> None:
    das = ml.loads(DAS_YAML)
    n = len(DAS_PRE)
    df = pd.DataFrame({
        "respondent_id": [f"c{i + 1}" for i in range(n)] * 2,
        "timepoint": ["baseline"] * n + ["post"] * n,
        "date": ["1990-01-01"] * n + ["1990-06-01"] * n,
        "total": DAS_PRE + DAS_POST})
    res = ml.change(df, das)
    assert res.s_diff == pytest.approx(5.03, abs=0.005)
    assert res.rc_threshold == pytest.approx(9.86, abs=0.01)
    p = res.people.set_index("respondent_id")
    # RCs worked by hand: couple 2 (74 -> 124), 28 (61 -> 52), 29 (80 -> 60.5), 22 (79.5 -> 129)
    assert p.loc["c2", "rci"] == pytest.approx(50 / 5.0346, abs=1e-3)  # 9.931
    assert p.loc["c28", "rci"] == pytest.approx(-1.788, abs=1e-3)
    assert p.loc["c29", "rci"] == pytest.approx(-3.873, abs=1e-3)
    assert p.loc["c22", "rci"] == pytest.approx(9.832, abs=1e-3)
    assert p.loc["c2", "category"] == "reliably improved"
    assert p.loc["c28", "category"] == "no reliable change"
    assert p.loc["c29", "category"] == "reliably deteriorated"
    counts = p["category"].value_counts().to_dict()
    assert counts == {"reliably improved": 19, "no reliable change": 10,
                      "reliably deteriorated": 1}


def test_wilson_matches_hand_values() -> None:
    lo, hi = wilson_interval([0, 10], [10, 10])
    assert lo[0] == 0 and hi[0] == pytest.approx(0.27753, abs=1e-5)
    assert lo[1] == pytest.approx(0.72247, abs=1e-5) and hi[1] == pytest.approx(1)


def test_empty_store_or_frame_is_a_clear_error() -> None:
    import pandas as pd
    import pytest

    import measurelib as ml

    empty = pd.DataFrame({"respondent_id": [], "timepoint": [], "date": [], "total": []})
    with pytest.raises(ml.DataError) as info:
        ml.change(empty, "phq-9")
    assert info.value.errors[0].code == "no-baseline"
    assert "Import the forms first" in info.value.errors[0].hint


def test_attrition_check_with_identical_baselines_raises_no_warning() -> None:
    """Found by the disclosure property test: a group of identical baselines."""
    df = pd.DataFrame({
        "respondent_id": ["a", "b", "c", "d", "c", "d"],
        "timepoint": ["baseline"] * 4 + ["exit"] * 2,
        "date": ["2025-01-01"] * 4 + ["2025-03-01"] * 2,
        "total": [0, 1, 1, 1, 1, 1]})
    res = ml.change(df, "phq-9")
    assert res.attrition["n_lost"] == 2 and res.attrition["n_followed_up"] == 2
