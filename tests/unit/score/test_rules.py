"""Score rules, each checked against values computed by hand."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.scoring import score

HEAD = """\
format: 1
id: t
version: 1.0.0
title: Test
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
"""

FOUR = """\
scales:
  f4:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
      - {value: 9, label: Don't know, missing: true}
items:
  - {id: a, code: Q1, text: A, scale: f4, tags: [x]}
  - {id: b, code: Q2, text: B, scale: f4, tags: [x]}
  - {id: c, code: Q3, text: C, scale: f4, reverse: true, tags: [y]}
  - {id: d, code: Q4, text: D, scale: f4, tags: [y]}
"""


def make(body: str) -> ml.Measure:
    """A measure from the YAML body below a standard header."""
    return ml.loads(HEAD + textwrap.dedent(body))


def frame(**cols):
    return pd.DataFrame(cols)


def test_reverse_sum_bands_and_missing_count(four):
    # c is reversed: 0 + 3 - c
    df = frame(a=[0, 3, 1], b=[0, 3, 2], c=[3, 0, 2], d=[0, 3, 1])
    res = four.score(df)
    s = res.scores
    assert s["total"].tolist() == [0.0, 12.0, 5.0]  # 0+0+0+0, 3+3+3+3, 1+2+1+1
    assert s["total_band"].astype(str).tolist() == ["Low", "High", "Middle"]
    assert s["total_n_missing"].tolist() == [0, 0, 0]
    assert list(s["total_band"].cat.categories) == ["Low", "Middle", "High"]


def test_subscale_by_tag_mean_with_missing(four):
    df = frame(a=[1, 2, None], b=[2, None, None], c=[0, 0, 0], d=[0, 0, 0])
    s = four.score(df).scores
    assert s["x_mean"].iloc[0] == pytest.approx(1.5)
    assert s["x_mean"].iloc[1] == pytest.approx(2.0)  # one missing allowed: mean of answered
    assert math.isnan(s["x_mean"].iloc[2])  # two missing > max_missing 1
    assert s["x_mean_n_missing"].tolist() == [0, 1, 2]


def test_prorating_and_plain_sum_with_missing(four):
    df = frame(a=[1, 1, None], b=[2, 2, None], c=[3, None, 3], d=[1, 1, 1])
    s = four.score(df).scores
    # row 1 complete: 1 + 2 + 0 + 1 = 4 (prorating changes nothing)
    assert s["pro"].iloc[0] == 4.0
    # row 2: c missing: (1 + 2 + 1) * 4 / 3
    assert s["pro"].iloc[1] == pytest.approx(16 / 3)
    assert math.isnan(s["pro"].iloc[2])
    # total allows no missing answer
    assert math.isnan(s["total"].iloc[1])
    acct = four.score(df).account
    assert acct.scores["pro"] == {"computed": 2, "not_computed": 1, "prorated": 1}


def test_round_prorated_half_up():
    m = make(FOUR + """\
scores:
  - id: pro
    items: [a, b, d]
    missing: {max_missing: 1, prorate: true, round_prorated: true}
""")
    # (1 + 2) * 3 / 2 = 4.5 -> 5 (half up, not to even)
    s = m.score(frame(a=[1, 1], b=[2, 2], d=[None, 0])).scores
    assert s["pro"].tolist() == [5.0, 3.0]


def test_missing_option_counts_as_missing(four):
    df = frame(a=[9, 1], b=[1, 1], c=[1, 1], d=[1, 1])
    res = four.score(df)
    assert math.isnan(res.scores["total"].iloc[0])
    assert res.scores["total_n_missing"].iloc[0] == 1
    assert res.scores["pro"].iloc[0] == pytest.approx((1 + 2 + 1) * 4 / 3)
    assert res.account.missing_reasons == {"missing-option": 1}


def test_weighted_sum_and_weight_prorating():
    m = make(FOUR + """\
scores:
  - id: w
    items: [a, b, d]
    method: weighted_sum
    weights: {a: 2, b: 0.5, d: 1}
    missing: {max_missing: 1, prorate: true}
""")
    s = m.score(frame(a=[3, 3], b=[2, None], d=[1, 1])).scores
    assert s["w"].iloc[0] == pytest.approx(2 * 3 + 0.5 * 2 + 1)
    # b missing: (2*3 + 1*1) * (2 + 0.5 + 1) / (2 + 1)
    assert s["w"].iloc[1] == pytest.approx(7 * 3.5 / 3)


def test_linear_transform_and_decimals():
    m = make(FOUR + """\
scores:
  - id: pct
    items: [a, b, d]
    method: mean
    transform: {linear: {multiply: 33.333333, add: 0}, decimals: 1}
""")
    s = m.score(frame(a=[1, 3], b=[0, 3], d=[0, 3])).scores
    # mean 1/3 -> 11.111111 -> 11.1 ; mean 3 -> 99.999999 -> 100.0
    assert s["pct"].tolist() == [11.1, 100.0]


def test_transform_decimals_round_half_away_from_zero():
    m = make(FOUR + """\
scores:
  - id: half
    items: [a, b]
    method: mean
    transform: {linear: {multiply: 1, add: -2}, decimals: 0}
""")
    # means 0.5 and 2.5 -> -1.5 -> -2 and 0.5 -> 1
    s = m.score(frame(a=[0, 2], b=[1, 3])).scores
    assert s["half"].tolist() == [-2.0, 1.0]


def test_lookup_table_swemwbs_metric():
    m = ml.load("swemwbs")
    df = pd.DataFrame({c: [1, 5, 3] for c in ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]})
    df.loc[2, "S7"] = 4  # raw 22
    s = m.score(df).scores
    assert s["raw"].tolist() == [7.0, 35.0, 22.0]
    assert s["metric"].tolist() == [7.00, 35.00, 19.98]


def test_lookup_table_missing_value_is_an_error():
    # a continuous (VAS) raw score cannot be checked at load: the error comes when scoring
    m = make("""\
scales:
  v: {type: vas, min: 0, max: 2}
items:
  - {id: a, text: A, scale: v}
tables:
  small: {0: 10, 1: 11, 2: 12}
scores:
  - id: s
    items: [a]
    transform: {table: small}
""")
    assert m.score(frame(a=[0, 2])).scores["s"].tolist() == [10, 12]
    with pytest.raises(ml.DefinitionError) as exc:
        m.score(frame(a=[0, 1, 1.5]))
    text = str(exc.value)
    assert "no row for 1.5" in text and "data rows 4" in text


def test_numeric_item_step_and_vas():
    m = make("""\
scales:
  n10: {type: numeric, min: 0, max: 10, step: 0.5}
  vas: {type: vas, min: 0, max: 100}
items:
  - {id: pain, text: Pain, scale: n10}
  - {id: health, text: Health, scale: vas}
scores:
  - {id: pain_s, items: [pain]}
  - {id: health_s, items: [health]}
""")
    s = m.score(frame(pain=[0, 7.5, 10], health=[0, 33.3, 100])).scores
    assert s["pain_s"].tolist() == [0, 7.5, 10]
    assert s["health_s"].tolist() == [0, 33.3, 100]
    with pytest.raises(ml.DataError) as exc:
        m.score(frame(pain=[7.25, 11], health=[100.5, -1]))
    assert len(exc.value.errors) == 4
    assert "0 to 10 in steps of 0.5" in exc.value.errors[0].message
    assert "any value from 0 to 100" in exc.value.errors[1].message


def test_personalised_goals_beyond_min_count_are_absent():
    m = make("""\
scales:
  g: {type: numeric, min: 0, max: 10}
items:
  - id: goal
    text: Goal
    scale: g
    personalised: {min_count: 1, max_count: 3}
scores:
  - id: goals
    items: [goal]
    method: mean
""")
    # data may omit goal_3 entirely; goal_2 blank for one person
    df = frame(goal_1=[4, 6, None], goal_2=[8, None, 5])
    s = m.score(df).scores
    assert s["goals"].iloc[0] == 6.0
    assert s["goals"].iloc[1] == 6.0  # one goal set: not missing
    assert s["goals_n_missing"].tolist()[:2] == [0, 0]
    assert math.isnan(s["goals"].iloc[2])  # goal_1 (required) missing
    assert s["goals_n_missing"].iloc[2] == 1
    with pytest.raises(ml.DataError, match="goal_1"):
        m.score(frame(goal_2=[1]))


def test_value_set_decrements_and_state_table():
    levels = "\n".join(f"  - {{id: {d}, text: {d}, scale: l5}}" for d in
                       ["mo", "sc", "ua", "pd", "ad"])
    m = make(f"""\
scales:
  l5:
    type: ordinal
    options: [{{value: 1}}, {{value: 2}}, {{value: 3}}, {{value: 4}}, {{value: 5}}]
items:
{levels}
tables:
  states: {{11111: 1.0, 12345: 0.25, 55555: -0.285}}
scores:
  - id: index
    items: all
    method: value_set
    value_set:
      id: test-vs
      version: "2018"
      constant: 1
      decrements:
        mo: {{1: 0, 2: -0.05, 3: -0.1, 4: -0.2, 5: -0.3}}
        ad: {{1: 0, 2: -0.01, 3: -0.02, 4: -0.03, 5: -0.04}}
  - id: crosswalk
    items: all
    method: value_set
    value_set: {{id: test-cw, version: "1.0", table: states}}
""")
    df = frame(mo=[1, 1, 5], sc=[1, 2, 5], ua=[1, 3, 5], pd=[1, 4, 5], ad=[1, 5, 5])
    res = m.score(df)
    s = res.scores
    assert s["index"].tolist() == pytest.approx([1.0, 1 - 0.04, 1 - 0.3 - 0.04])
    assert s["crosswalk"].tolist() == pytest.approx([1.0, 0.25, -0.285])
    assert s["index_value_set"].astype(str).tolist() == ["test-vs 2018"] * 3
    assert res.value_sets["crosswalk"] == {"id": "test-cw", "version": "1.0"}
    with pytest.raises(ml.DefinitionError, match="54321"):
        m.score(frame(mo=[5], sc=[4], ua=[3], pd=[2], ad=[1]))
    one_missing = m.score(frame(mo=[1], sc=[1], ua=[None], pd=[1], ad=[1])).scores
    assert math.isnan(one_missing["index"].iloc[0])


def test_profile_measure_reports_items():
    m = make("""\
profile: true
scales:
  n10: {type: numeric, min: 0, max: 10}
items:
  - {id: satisfied, text: S, scale: n10}
  - {id: anxious, text: A, scale: n10, reverse: true}
""")
    s = m.score(frame(pid=["p1"], satisfied=[7], anxious=[2])).scores
    assert list(s.columns) == ["pid", "satisfied", "anxious", "alerts"]
    assert s["satisfied"].iloc[0] == 7 and s["anxious"].iloc[0] == 8  # reversed 0+10-2


def test_recode_before_reverse_and_option_scores():
    m = make("""\
scales:
  n10: {type: numeric, min: 0, max: 10}
  yn:
    type: yesno
    options: [{value: 1, label: Yes, score: 2}, {value: 0, label: No}]
items:
  - id: pain
    text: Pain
    scale: n10
    recode: {0: 5, 1: 4, 2: 4, 3: 4, 4: 3, 5: 3, 6: 3, 7: 2, 8: 2, 9: 2, 10: 1}
  - {id: help, text: Help, scale: yn}
scores:
  - {id: pain_r, items: [pain]}
  - {id: help_s, items: [help]}
""")
    s = m.score(frame(pain=[0, 3, 10], help=[1, 0, 1])).scores
    assert s["pain_r"].tolist() == [5, 4, 1]
    assert s["help_s"].tolist() == [2, 0, 2]
    assert m.score_range("pain_r") == (1, 5)


def test_follow_up_columns_validated_and_passed_through():
    m = make("""\
scales:
  s7: {type: numeric, min: 1, max: 7}
  yn: {type: yesno}
items:
  - id: health
    text: Health
    scale: s7
    follow_up: [{id: help, text: "More help?", scale: yn}]
scores:
  - {id: total, items: all}
""")
    s = m.score(frame(health=[3, 5], health_help=[1, 0])).scores
    assert s["health_help"].tolist() == [1, 0]
    with pytest.raises(ml.DataError, match="health_help"):
        m.score(frame(health=[3], health_help=[2]))


def test_passthrough_columns_untouched_and_first(four):
    df = pd.DataFrame({"id": ["007", "x"], "date": ["2024-01-01", None], "Q1": [0, 1],
                       "Q2": [0, 1], "Q3": [0, 1], "Q4": [0, 1], "worker": [1.5, None]})
    s = four.score(df).scores
    assert list(s.columns[:3]) == ["id", "date", "worker"]
    pd.testing.assert_series_equal(s["id"], df["id"])
    pd.testing.assert_series_equal(s["worker"], df["worker"])
    assert s.index.equals(df.index)


def test_rule_decimals_is_display_only():
    m = make(FOUR + """\
scores:
  - {id: m, items: [a, b, d], method: mean, decimals: 1}
""")
    s = m.score(frame(a=[1], b=[1], d=[0])).scores
    assert s["m"].iloc[0] == pytest.approx(2 / 3, abs=1e-9)


def test_bands_follow_band_intervals_min_only():
    # CORE-10 style: min-only bands so a prorated 10.6 stays below ">= 11"
    m = make(FOUR + """\
scores:
  - id: pro
    items: all
    missing: {max_missing: 1, prorate: true}
    bands:
      - {label: Low}
      - {min: 6, label: Mid}
      - {min: 8, label: High}
""")
    s = m.score(frame(a=[1, 2, 2], b=[1, 2, 2], c=[3, 1, None], d=[3, 2, 2])).scores
    # row 1: 1+1+0+3 = 5; row 2: 2+2+2+2 = 8; row 3: (2+2+2)*4/3 = 8
    assert s["pro"].tolist() == pytest.approx([5, 8, 8])
    assert s["pro_band"].astype(str).tolist() == ["Low", "High", "High"]
    s = m.score(frame(a=[2], b=[2], c=[None], d=[1])).scores  # 5 * 4/3 = 6.67
    assert s["pro_band"].astype(str).tolist() == ["Mid"]


def test_band_labels_in_requested_language():
    m = ml.loads("""\
format: 1
id: t
version: 1.0.0
title: {en: T, cy: T}
languages: [en, cy]
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  s: {type: numeric, min: 0, max: 4}
items:
  - {id: a, text: {en: A, cy: A}, scale: s}
scores:
  - id: total
    items: all
    bands:
      - {max: 1, label: {en: Low, cy: Isel}}
      - {label: {en: High, cy: Uchel}}
""")
    df = frame(a=[0, 4])
    assert m.score(df, lang="cy").scores["total_band"].astype(str).tolist() == ["Isel", "Uchel"]
    with pytest.raises(ValueError, match="lang"):
        m.score(df, lang="fr")


def test_empty_frame_gives_empty_result_with_all_columns(four):
    df = pd.DataFrame({"id": pd.Series(dtype=object), "a": [], "b": [], "c": [], "d": []})
    res = four.score(df)
    assert len(res.scores) == 0 and res.account.balanced
    assert "total_band" in res.scores.columns


def test_score_accepts_path_and_catalog_id(tmp_path):
    df = pd.DataFrame({f"Q{i}": [1] for i in range(1, 10)})
    assert score("phq-9", df).scores["total"].iloc[0] == 9
    with pytest.raises(TypeError, match="measure"):
        score(3, df)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DataFrame"):
        score("phq-9", "not a frame")


def test_large_integer_frame_matches_python(four):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4, size=(500, 4)).astype(float)
    data[rng.random((500, 4)) < 0.1] = np.nan
    df = pd.DataFrame(data, columns=list("abcd"))
    s = four.score(df).scores
    for i, row in enumerate(data):
        vals = [row[0], row[1], 3 - row[2], row[3]]
        answered = [v for v in vals if not math.isnan(v)]
        exp_total = sum(vals) if len(answered) == 4 else math.nan
        exp_pro = sum(answered) * 4 / len(answered) if len(answered) >= 3 else math.nan
        got_t, got_p = s["total"].iloc[i], s["pro"].iloc[i]
        assert (math.isnan(exp_total) and math.isnan(got_t)) or got_t == exp_total
        assert (math.isnan(exp_pro) and math.isnan(got_p)) or got_p == pytest.approx(exp_pro)
