from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import measurelib as ml

from .conftest import HEAD


def test_swemwbs_derived_from_wemwbs_items() -> None:
    derived = ml.derive("swemwbs", "wemwbs")
    wemwbs = ml.load("wemwbs")
    assert [it.id for it in derived.items] == ["optimistic", "useful", "relaxed",
                                               "dealing_with_problems", "thinking_clearly",
                                               "close_to_others", "own_mind"]
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.integers(1, 6, size=(20, 14)),
                        columns=[it.id for it in wemwbs.items])
    got = derived.score(data).scores["raw"].to_numpy()
    want = data[[it.id for it in derived.items]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(got, want)
    metric = derived.score(data).scores["metric"].to_numpy()
    table = ml.load("swemwbs").tables["swemwbs_metric"]
    np.testing.assert_allclose(metric, [table[int(x)] for x in want])


def test_derive_refuses_unrelated_measures() -> None:
    with pytest.raises(ml.DefinitionError) as exc:
        ml.derive("gad-7", "phq-9")
    assert {d.code for d in exc.value.errors} == {"compose-derive"}


def test_version_map_matches_items_and_judges_scores(write) -> None:
    v1 = write("v1.yaml", HEAD + """\
scales:
  agree5:
    type: ordinal
    options: [{value: 1, label: No}, {value: 2, label: A bit}, {value: 3, label: Yes}]
items:
  - {id: talk, text: I have someone to talk to., scale: agree5}
  - {id: cope, text: I can cope., scale: agree5}
  - {id: calm, text: I feel calm., scale: agree5}
scores:
  - {id: total, items: [talk, cope, calm], method: sum}
  - {id: support, items: [talk], method: sum}
""")
    v2 = write("v2.yaml", HEAD.replace("1.0.0", "2.0.0") + """\
scales:
  agree5:
    type: ordinal
    options: [{value: 1, label: No}, {value: 2, label: A bit}, {value: 3, label: Yes}]
items:
  - {id: someone, text: I have someone to talk to., scale: agree5}
  - {id: cope, text: I can cope with most things., scale: agree5}
  - {id: calm, text: I feel calm., scale: agree5}
scores:
  - {id: total, items: [someone, cope, calm], method: sum}
  - {id: support, items: [someone], method: sum}
""")
    vm = ml.version_map(v1, v2)
    matches = {(r["old"], r["new"]): r["match"] for r in vm.items}
    assert matches == {("talk", "someone"): "renamed", ("cope", "cope"): "text_changed",
                       ("calm", "calm"): "same"}
    verdict = {r["score"]: r["comparable"] for r in vm.scores}
    assert verdict == {"total": False, "support": True}
    assert not vm.comparable
    assert "NOT comparable" in vm.summary()


def test_version_map_of_identical_builds_is_comparable() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        vm = ml.version_map("instruments/examples/battery-phq9-gad7.yaml",
                            "instruments/examples/battery-phq9-gad7.yaml")
    assert vm.comparable and all(r["match"] == "same" for r in vm.items)


def test_licence_report_rows() -> None:
    rep = ml.licence_report("instruments/examples/charity-wellbeing.yaml")
    assert rep.ok and [r["source"] for r in rep.rows] == ["wellbeing-bank", "swemwbs"]
    swem = rep.rows[1]
    assert swem["status"] == "ok" and "text not shipped" in swem["terms"]
    assert any("register" in o for o in swem["obligations"])
    bad = ml.licence_report("instruments/examples/breaks-licence.yaml")
    assert not bad.ok and bad.violations[0]["source"] == "swemwbs"
    own = ml.licence_report("core-10")
    assert own.rows[0]["use"] == "this definition, as published"
    assert "non-commercial" in own.rows[0]["terms"]


def test_whole_bank_with_scores_scores_like_the_bank(write) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    path = write("m.yaml", HEAD + """\
scales:
  yn: {type: yesno}
items:
  - {id: consent, text: I agree to answer., scale: yn}
compose:
  - from: ipip-bfi@1.0.0
    scores: true
""")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        built = ml.build(path)
    bank = ml.load("ipip-bfi")
    df = pd.read_csv(root / "tests" / "data" / "bfi.csv")
    items = df[[c for c in df.columns if len(c) == 2]]
    got = built.score(items, on_invalid="reject").scores
    want = bank.score(items, on_invalid="reject").scores
    for trait in ("agreeableness", "conscientiousness", "extraversion", "neuroticism",
                  "openness"):
        np.testing.assert_allclose(got[f"ipip-bfi_{trait}"], want[trait], equal_nan=True)
    # by hand, as psych::scoreItems with the keys list (reverse = 7 - x), complete rows
    a = items[["A1", "A2", "A3", "A4", "A5"]].copy()
    a["A1"] = 7 - a["A1"]
    complete = a.notna().all(axis=1)
    np.testing.assert_allclose(got.loc[complete.to_numpy(), "ipip-bfi_agreeableness"],
                               a[complete].mean(axis=1))
    assert built.instructions.startswith("IPIP-BFI-25: Describe yourself")
