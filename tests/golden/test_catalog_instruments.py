"""Worked examples for every shipped instrument, scored through ``Measure.score``.

Each expected value comes from the instrument's published source, cited in the test: the
paper, manual or official page that gives the scoring rule, the conversion table or the
band boundaries. Where a source gives only a rule (a sum, a mean, a prorating formula),
the example applies that rule by hand to a response pattern, and the comment shows the
arithmetic.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import measurelib as ml

NaN = float("nan")


def _score(measure_id: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    measure = ml.load(measure_id)
    result = measure.score(pd.DataFrame(rows))
    assert len(result.rejected) == 0, result.rejected
    assert result.account.rows_in == result.account.rows_scored == len(rows)
    return result.scores.reset_index(drop=True)


def _same(items: list[str], value: Any) -> dict[str, Any]:
    return {item: value for item in items}


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ----------------------------------------------------------------------------- SWEMWBS
SWEMWBS = ["optimistic", "useful", "relaxed", "dealing_with_problems", "thinking_clearly",
           "close_to_others", "own_mind"]


def test_swemwbs_conversion_table() -> None:
    # Stewart-Brown et al. (2009) HQLO 7:15 conversion table: raw 21 -> 19.25,
    # raw 7 -> 7.00, raw 35 -> 35.00, raw 28 -> 25.03.
    rows = [
        dict(zip(SWEMWBS, [3, 3, 3, 3, 3, 3, 3])),   # raw 21
        _same(SWEMWBS, 1),                           # raw 7
        _same(SWEMWBS, 5),                           # raw 35
        _same(SWEMWBS, 4),                           # raw 28
        {**_same(SWEMWBS, 3), "own_mind": NaN},      # one item missing: no score
    ]
    s = _score("swemwbs", rows)
    assert s["raw"].tolist()[:4] == [21, 7, 35, 28]
    assert s["metric"].tolist()[:4] == pytest.approx([19.25, 7.00, 35.00, 25.03])
    assert _is_missing(s.loc[4, "metric"]) and _is_missing(s.loc[4, "raw"])


def test_swemwbs_reliable_change() -> None:
    # Shah et al. (2018) HQLO 16:239: 2.77 x SEM (1.03) = 2.87 metric points.
    rule = ml.load("swemwbs").score_rule("metric")
    assert rule.reliable_change is not None
    assert rule.reliable_change.threshold == pytest.approx(2.87)


# ----------------------------------------------------------------------------- WEMWBS
WEMWBS = ["optimistic", "useful", "relaxed", "interested_in_people", "energy",
          "dealing_with_problems", "thinking_clearly", "good_about_myself", "close_to_others",
          "confident", "own_mind", "loved", "interested_in_new_things", "cheerful"]


def test_wemwbs_sum() -> None:
    # Tennant et al. (2007) HQLO 5:63: simple sum of 14 items scored 1-5, range 14-70.
    mixed = dict(zip(WEMWBS, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4]))  # 40
    rows = [_same(WEMWBS, 1), _same(WEMWBS, 5), mixed, {**mixed, "cheerful": NaN}]
    s = _score("wemwbs", rows)
    assert s["total"].tolist()[:3] == [14, 70, 40]
    assert _is_missing(s.loc[3, "total"])


def test_wemwbs_shares_swemwbs_item_ids() -> None:
    # The seven SWEMWBS items are WEMWBS items 1, 2, 3, 6, 7, 9 and 11 (Stewart-Brown 2009).
    wem = [it.id for it in ml.load("wemwbs").items]
    assert [wem[i - 1] for i in (1, 2, 3, 6, 7, 9, 11)] == SWEMWBS
    # Warwick FAQ: a change of about 3 or more points can be considered significant.
    assert ml.load("wemwbs").score_rule("total").reliable_change.threshold == 3


# ----------------------------------------------------------------------------- PHQ-9
PHQ9 = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
        "psychomotor", "self_harm"]


def _phq9_total(total: int) -> dict[str, Any]:
    # spread a total over the first items, 3 points each, with item 9 at 0
    row = _same(PHQ9, 0)
    for item in PHQ9[:-1]:
        take = min(3, total)
        row[item] = take
        total -= take
    return row


def test_phq9_band_boundaries() -> None:
    # Kroenke, Spitzer & Williams (2001) JGIM 16:606: severity cut points 5, 10, 15, 20.
    totals = [4, 5, 9, 10, 14, 15, 19, 20, 24]
    s = _score("phq-9", [_phq9_total(t) for t in totals])
    assert s["total"].tolist() == totals
    assert s["total_band"].astype(str).tolist() == [
        "None-minimal", "Mild", "Mild", "Moderate", "Moderate", "Moderately severe",
        "Moderately severe", "Severe", "Severe"]


def test_phq9_item9_alert_and_missing() -> None:
    # Any answer above "Not at all" on item 9 raises the risk alert, whatever the total.
    rows = [{**_same(PHQ9, 0), "self_harm": 1}, {**_same(PHQ9, 1), "sleep": NaN}]
    s = _score("phq-9", rows)
    assert s.loc[0, "total"] == 1
    assert "self_harm_thoughts" in s.loc[0, "alerts"]
    assert _is_missing(s.loc[1, "total"])          # no proration rule verified: no total
    assert s.loc[1, "alerts"] == "self_harm_thoughts"


# ----------------------------------------------------------------------------- GAD-7
GAD7 = ["nervous", "uncontrolled_worry", "worry_too_much", "trouble_relaxing", "restless",
        "irritable", "afraid"]


def _gad7_total(total: int) -> dict[str, Any]:
    row = _same(GAD7, 0)
    for item in GAD7:
        take = min(3, total)
        row[item] = take
        total -= take
    return row


def test_gad7_band_boundaries() -> None:
    # Spitzer et al. (2006) Arch Intern Med 166:1092: cut points 5, 10 and 15.
    totals = [0, 4, 5, 9, 10, 14, 15, 21]
    s = _score("gad-7", [_gad7_total(t) for t in totals])
    assert s["total"].tolist() == totals
    assert s["total_band"].astype(str).tolist() == [
        "Minimal", "Minimal", "Mild", "Mild", "Moderate", "Moderate", "Severe", "Severe"]


def test_gad7_missing_and_cutoffs() -> None:
    s = _score("gad-7", [{**_same(GAD7, 2), "afraid": NaN}])
    assert _is_missing(s.loc[0, "total"])
    rule = ml.load("gad-7").score_rule("total")
    # NHS Talking Therapies: caseness >= 8, reliable improvement = a fall of 4 or more.
    assert (rule.clinical_cutoff.value, rule.clinical_cutoff.clinical) == (8, "ge")
    assert rule.reliable_change.threshold == 4


# ----------------------------------------------------------------------------- K10
K10 = ["tired", "nervous", "so_nervous", "hopeless", "restless", "so_restless", "depressed",
       "so_depressed", "effort", "worthless"]


def _k10_total(total: int) -> dict[str, Any]:
    # 1-5 coding (ABS): start from all 1s (10) and add up to 4 per item
    row = _same(K10, 1)
    extra = total - 10
    for item in K10:
        take = min(4, extra)
        row[item] += take
        extra -= take
    return row


def test_k10_abs_bands() -> None:
    # ABS 4817.0.55.001 (2012), Tables D and E: items 1-5, total 10-50;
    # 10-15 low, 16-21 moderate, 22-29 high, 30-50 very high.
    totals = [10, 15, 16, 21, 22, 29, 30, 50]
    s = _score("k10", [_k10_total(t) for t in totals])
    assert s["total"].tolist() == totals
    assert s["total_band"].astype(str).tolist() == [
        "Low", "Low", "Moderate", "Moderate", "High", "High", "Very high", "Very high"]


def test_k10_missing() -> None:
    s = _score("k10", [{**_same(K10, 3), "worthless": NaN}])
    assert _is_missing(s.loc[0, "total"])


# ----------------------------------------------------------------------------- ONS4
def test_ons4_thresholds() -> None:
    # ONS thresholds (FOI response): satisfaction, worthwhile, happy: 0-4 low, 5-6 medium,
    # 7-8 high, 9-10 very high; anxiety: 0-1 very low, 2-3 low, 4-5 medium, 6-10 high.
    rows = [
        dict(life_satisfaction=4, worthwhile=5, happy=6, anxious=1),
        dict(life_satisfaction=7, worthwhile=8, happy=9, anxious=2),
        dict(life_satisfaction=10, worthwhile=0, happy=NaN, anxious=6),
        dict(life_satisfaction=5, worthwhile=5, happy=5, anxious=5),
    ]
    s = _score("ons4", rows)
    band = {c: s[f"{c}_band"].astype(str).tolist()
            for c in ("life_satisfaction", "worthwhile", "happy", "anxious")}
    assert band["life_satisfaction"] == ["Low", "High", "Very high", "Medium"]
    assert band["worthwhile"] == ["Medium", "High", "Low", "Medium"]
    assert band["happy"][:2] == ["Medium", "Very high"]
    assert band["anxious"] == ["Very low", "Low", "High", "Medium"]
    # each question stands alone: a missing answer empties only its own score
    assert _is_missing(s.loc[2, "happy"]) and s.loc[2, "life_satisfaction"] == 10


def test_ons4_is_a_profile_with_anxiety_reversed_in_meaning() -> None:
    m = ml.load("ons4")
    assert m.profile is True
    assert [r.higher_is_better for r in m.scores] == [True, True, True, False]


# ----------------------------------------------------------------------------- CORE-10
CORE10 = ["tense", "support", "coping", "talking", "panic", "plans_end_life", "sleep",
          "despairing", "unhappy", "unwanted_images"]


def test_core10_reversed_items_and_prorating() -> None:
    # Connell & Barkham (2007) manual / CORE System Trust: clinical score = sum of the ten
    # items (items 2 and 3 reverse-scored, 4 - answer), range 0-40; with exactly one item
    # missing, 10 x the mean of the nine answered items; two missing: no score.
    full = dict(zip(CORE10, [2, 1, 0, 2, 1, 0, 3, 2, 2, 1]))
    # 2 + (4-1) + (4-0) + 2 + 1 + 0 + 3 + 2 + 2 + 1 = 20
    one_missing = {**full, "tense": NaN}             # 18 over 9 items -> 10 x 18/9 = 20
    odd = {**full, "unwanted_images": NaN, "tense": 3}  # 3+3+4+2+1+0+3+2+2 = 20 -> 22.22
    two_missing = {**full, "tense": NaN, "panic": NaN}
    s = _score("core-10", [full, one_missing, odd, two_missing])
    assert s.loc[0, "clinical"] == 20
    assert s.loc[1, "clinical"] == pytest.approx(20.0)
    assert s.loc[2, "clinical"] == pytest.approx(200 / 9)
    assert _is_missing(s.loc[3, "clinical"])
    assert s["clinical_n_missing"].tolist() == [0, 1, 1, 2]


def test_core10_bands_and_cutoff() -> None:
    # Manual Figure 1 bands (0-5 healthy, 6-10 low level, 11-14 mild, 15-19 moderate,
    # 20-24 moderate to severe, 25-40 severe); Barkham et al. (2013): clinical cut-off 11,
    # reliable change index 6.
    def total(t: int) -> dict[str, Any]:
        row = {**_same(CORE10, 0), "support": 4, "coping": 4}   # reversed items at 0 points
        for item in [c for c in CORE10 if c not in ("support", "coping", "plans_end_life")]:
            take = min(4, t)
            row[item] = take
            t -= take
        return row

    totals = [5, 6, 10, 11, 14, 15, 19, 20, 24, 25]
    s = _score("core-10", [total(t) for t in totals])
    assert s["clinical"].tolist() == totals
    assert s["clinical_band"].astype(str).tolist() == [
        "Healthy", "Low level", "Low level", "Mild", "Mild", "Moderate", "Moderate",
        "Moderate to severe", "Moderate to severe", "Severe"]
    rule = ml.load("core-10").score_rule("clinical")
    assert (rule.clinical_cutoff.value, rule.clinical_cutoff.clinical) == (11, "ge")
    assert rule.reliable_change.threshold == 6


def test_core10_prorated_scores_at_the_cutoff() -> None:
    # One item missing: 10 x mean of nine. A sum of 10 over nine items gives 11.11 (clinical
    # range, "Mild"); a sum of 9 gives 10.0 ("Low level").
    base = {**_same(CORE10, 0), "support": 4, "coping": 4, "sleep": NaN}   # reversed: 0 points
    s = _score("core-10", [{**base, "tense": 4, "talking": 4, "panic": 2},
                           {**base, "tense": 4, "talking": 4, "panic": 1}])
    assert s["clinical"].tolist() == pytest.approx([100 / 9, 10.0])
    assert s["clinical_band"].astype(str).tolist() == ["Mild", "Low level"]


def test_core10_risk_alert() -> None:
    # Item 6 ("I made plans to end my life") above 0 raises the alert.
    s = _score("core-10", [{**_same(CORE10, 0), "plans_end_life": 1},
                           _same(CORE10, 0)])
    assert s.loc[0, "alerts"] == "plans_to_end_life"
    assert s.loc[1, "alerts"] == ""


# ----------------------------------------------------------------------------- ReQoL-10
REQOL = [f"q{i}" for i in range(1, 11)]


def test_reqol10_total() -> None:
    # ReQoL: summative score, higher = better quality of life; ten items scored 0-4
    # (total 0-40). Item scores are entered as given by the licensed scoring instructions.
    rows = [_same(REQOL, 4), _same(REQOL, 0), dict(zip(REQOL, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0])),
            {**_same(REQOL, 2), "q10": NaN}]
    s = _score("reqol-10", rows)
    assert s["total"].tolist()[:3] == [40, 0, 20]
    assert _is_missing(s.loc[3, "total"])
    assert ml.load("reqol-10").score_range("total") == (0, 40)


# ----------------------------------------------------------------------------- DIALOG
LIFE = ["mental_health", "physical_health", "job", "accommodation", "leisure", "friendships",
        "partner_family", "safety"]
TREATMENT = ["medication", "practical_help", "meetings"]


def test_dialog_means_and_interpretation() -> None:
    # ELFT DIALOG page: SQOL = mean of the 8 life items, treatment satisfaction = mean of
    # the 3 treatment items; < 4 explicit dissatisfaction, 4 neutral, > 4 satisfaction.
    neutral = {**_same(LIFE, 4), **_same(TREATMENT, 4)}
    low = {**neutral, "job": 3}                     # 31 / 8 = 3.875: dissatisfied
    high = {**neutral, "job": 5, "meetings": 7}     # 33 / 8 = 4.125; (4+4+7)/3 = 5
    rows = [neutral, low, high, {**neutral, "safety": NaN}]
    s = _score("dialog", rows)
    assert s["sqol"].tolist()[:3] == pytest.approx([4.0, 3.875, 4.125])
    assert s["sqol_band"].astype(str).tolist()[:3] == ["Neutral", "Dissatisfied", "Satisfied"]
    assert s["treatment_satisfaction"].tolist()[:3] == pytest.approx([4.0, 4.0, 5.0])
    assert _is_missing(s.loc[3, "sqol"])
    assert s.loc[3, "treatment_satisfaction"] == 4.0


def test_dialog_help_follow_up_on_every_item() -> None:
    # Each of the 11 items carries the "do you want more help?" follow-up (yes = 1, no = 0).
    m = ml.load("dialog")
    assert len(m.items) == 11
    assert all([fu.id for fu in it.follow_up] == ["help"] for it in m.items)
    row = {**_same(LIFE, 5), **_same(TREATMENT, 5), "job_help": 1, "safety_help": 0}
    s = _score("dialog", [row])
    assert s.loc[0, "job_help"] == 1 and s.loc[0, "safety_help"] == 0
    assert _is_missing(s.loc[0, "meetings_help"])


# ----------------------------------------------------------------------------- GBO
def test_gbo_mean_of_goal_ratings() -> None:
    # GBO v2 (Law 2018): up to three goals, each rated 0-10 (0 goal not at all met,
    # 5 half way, 10 goal reached); the summary here is the mean of the goals rated.
    rows = [
        dict(goal_1=3, goal_1_text="Go back to college", goal_2=5, goal_3=10),  # 18 / 3 = 6
        dict(goal_1=4, goal_1_text="Sleep better"),                             # one goal: 4
        dict(goal_1=0, goal_2=5),                                               # 2.5
    ]
    s = _score("gbo", rows)
    assert s["mean"].tolist() == pytest.approx([6.0, 4.0, 2.5])
    assert s["goal_1_text"].tolist()[:2] == ["Go back to college", "Sleep better"]


def test_gbo_is_personalised_and_non_commercial() -> None:
    m = ml.load("gbo")
    goal = m.item("goal")
    assert goal.personalised is not None and goal.personalised.max_count == 3
    assert m.score_columns(m.primary_score) == ["goal_1", "goal_2", "goal_3"]
    assert m.licence.commercial_use == "forbidden" and m.licence.spdx == "CC-BY-NC-SA-4.0"


# ----------------------------------------------------------------------------- PROMIS Global-10
def _promis(g07r: int, level: int = 3, **over: int) -> dict[str, Any]:
    row = {i: level for i in ("global01", "global02", "global03", "global04", "global05",
                              "global09r", "global06", "global10r", "global08r")}
    row["global07r"] = g07r
    row.update(over)
    return row


def test_promis_gph_gmh_tables() -> None:
    # Hays et al. (2009) working files: GPH raw 12 -> T 39.8; raw 4 -> 16.2; raw 20 -> 67.7;
    # GMH raw 12 -> 43.5; raw 20 -> 67.6; GMH raw 4 -> 21.2 in the later published tables
    # (21.1 in Hays's June 2009 working file).
    rows = [
        _promis(5),                 # GPH 3 + 3 + recode(5)=3 + 3 = 12; GMH 12
        _promis(10, level=1),       # GPH 1 + 1 + recode(10)=1 + 1 = 4; GMH 4
        _promis(0, level=5),        # GPH 5 + 5 + recode(0)=5 + 5 = 20; GMH 20
    ]
    s = _score("promis-global-10", rows)
    assert s["gph_raw"].tolist() == [12, 4, 20]
    assert s["gph"].tolist() == pytest.approx([39.8, 16.2, 67.7])
    assert s["gmh"].tolist() == pytest.approx([43.5, 21.2, 67.6])


def test_promis_global07r_recode() -> None:
    # Global07r pain 0-10 collapsed for GPH: 0 -> 5; 1-3 -> 4; 4-6 -> 3; 7-9 -> 2; 10 -> 1.
    pains = list(range(11))
    s = _score("promis-global-10", [_promis(p) for p in pains])
    recoded = [5, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1]
    assert s["gph_raw"].tolist() == [9 + r for r in recoded]


def test_promis_missing_item_gives_no_t_score() -> None:
    # The raw-sum tables need all four items (HealthMeasures recommends IRT scoring otherwise).
    row = _promis(5)
    row["global08r"] = NaN
    s = _score("promis-global-10", [row])
    assert _is_missing(s.loc[0, "gph"])
    assert s.loc[0, "gmh"] == pytest.approx(43.5)


# ----------------------------------------------------------------------------- UCLA-3
UCLA = ["lack_companionship", "left_out", "isolated"]


def test_ucla3_sum() -> None:
    # Hughes et al. (2004): three items, hardly ever = 1, some of the time = 2, often = 3,
    # summed (3-9), higher = lonelier.
    rows = [_same(UCLA, 1), _same(UCLA, 3), dict(zip(UCLA, [1, 2, 3])),
            {**_same(UCLA, 2), "isolated": NaN}]
    s = _score("ucla-3", rows)
    assert s["total"].tolist()[:3] == [3, 9, 6]
    assert _is_missing(s.loc[3, "total"])


# ----------------------------------------------------------------------------- EQ-5D-5L
DIMS = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression"]


def test_eq5d5l_profile_and_vas() -> None:
    # Herdman et al. (2011): five dimensions with five levels form a profile (e.g. 11223);
    # the EQ VAS (0-100) is reported on its own; an index needs all five dimensions.
    rows: list[dict[str, Any]] = [dict(zip(DIMS, [1, 1, 2, 2, 3]), vas=75),
                                  dict(zip(DIMS, [5, 5, 5, 5, 5]), vas=0),
                                  {**dict(zip(DIMS, [1, 1, 1, 1, 1])), "mobility": NaN, "vas": 100}]
    s = _score("eq-5d-5l", rows)
    profile = ["".join(str(int(s.loc[i, d])) for d in DIMS) for i in range(2)]
    assert profile == ["11223", "55555"]
    assert s["vas"].tolist() == [75, 0, 100]
    assert _is_missing(s.loc[2, "mobility"]) and s.loc[2, "self_care"] == 1
    assert _is_missing(s.loc[2, "index_uk"]) and _is_missing(s.loc[2, "index_england"])


def test_eq5d5l_value_sets_and_no_text() -> None:
    # Value sets: UK 5L (Rowen et al. 2026) and England 5L (Devlin et al. 2018, which NICE's
    # position statement ECD16 does not recommend); index values are checked in
    # test_eq5d_value_sets.py. The VAS stays the primary score; no item text is shipped.
    m = ml.load("eq-5d-5l")
    assert m.scores[0].id == "vas"
    sets = {r.id: (r.value_set.id, r.value_set.version)
            for r in m.scores if r.method == "value_set" and r.value_set is not None}
    assert sets == {"index_uk": ("eq5d5l-uk", "2026"), "index_england": ("eq5d5l-england", "2018")}
    assert "not recommended by NICE" in str(m.score_rule("index_england").title)
    assert all(it.text is None for it in m.items)


# ----------------------------------------------------------------------------- ASCOT SCT4
ASCOT = ["control", "personal_care", "food_drink", "safety", "social", "occupation",
         "accommodation", "dignity"]


def test_ascot_domain_states() -> None:
    # PSSRU: eight SCRQoL domains, each in one of four outcome states (ideal state,
    # no needs, some needs, high-order needs). The weighted index is not shipped.
    rows = [dict(zip(ASCOT, [1, 2, 3, 4, 1, 2, 3, 4])), {**_same(ASCOT, 1), "dignity": NaN}]
    s = _score("ascot-sct4", rows)
    assert s.loc[0, [f"{d}_band" for d in ASCOT[:4]]].astype(str).tolist() == [
        "Ideal state", "No needs", "Some needs", "High-order needs"]
    assert _is_missing(s.loc[1, "dignity"]) and s.loc[1, "control"] == 1
    assert len(ml.load("ascot-sct4").items) == 8
