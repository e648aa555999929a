"""The adaptive-testing engine (measurelib.psychometrics._irt._cat)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.psychometrics._irt._cat import STOP_PRESETS, Session, simulate


@pytest.fixture(scope="module")
def bank() -> ml.psychometrics.IRTResult:
    df = ml.psychometrics.simulate_irt(n=2000, n_items=15, n_categories=5, seed=21)
    return ml.psychometrics.irt(df, se=None)


def test_session_runs_to_a_promis_stop(bank: ml.psychometrics.IRTResult) -> None:
    s = Session(bank, stop="promis")
    n = 0
    while (item := s.next_item()) is not None:
        assert s.next_item() == item  # asking twice gives the same item
        s.answer(item, 5)
        n += 1
    assert s.done and 4 <= n <= 12
    assert n == 12 or s.se < 0.3
    assert s.theta > 1


def test_scores_equal_full_bank_eap(bank: ml.psychometrics.IRTResult) -> None:
    rng = np.random.default_rng(1)
    row = {i: int(rng.integers(1, 6)) for i in bank.items}
    s = Session(bank, stop={"max_items": len(bank.items)}, select="MEPV")
    while (item := s.next_item()) is not None:
        s.answer(item, row[item])
    full = bank.scores(pd.DataFrame([row]))
    assert s.theta == pytest.approx(full["theta"].iloc[0], abs=1e-12)
    assert s.se == pytest.approx(full["se"].iloc[0], abs=1e-12)


def test_snapshot_round_trip_through_json(bank: ml.psychometrics.IRTResult) -> None:
    s = Session(bank, select="KL", exposure="randomesque", seed=7)
    for v in (2, 4, 3):
        s.answer(s.next_item(), v)
    nxt = s.next_item()
    snap = json.loads(json.dumps(s.to_dict()))
    r = Session.from_dict(bank, snap)
    assert r.next_item() == nxt and r.theta == s.theta and r.administered == s.administered
    s.answer(nxt, 1)
    r.answer(nxt, 1)
    assert r.next_item() == s.next_item()
    other = ml.psychometrics.IRTResult.from_coef(bank.coef.iloc[:5])
    with pytest.raises(ValueError, match="different bank"):
        Session.from_dict(other, snap)


def test_randomesque_spreads_exposure(bank: ml.psychometrics.IRTResult) -> None:
    plain = simulate(bank, 60, seed=2, stop={"max_items": 4})
    spread = simulate(bank, 60, seed=2, stop={"max_items": 4}, exposure="randomesque")
    assert max(spread.exposure.values()) < max(plain.exposure.values())
    assert plain.mean_length == 4 and "simulated CATs" in plain.summary()
    assert len(plain.to_frame()) == 60


def test_content_balancing(bank: ml.psychometrics.IRTResult) -> None:
    tags = {i: ["mood" if k % 2 else "function"] for k, i in enumerate(bank.items)}
    s = Session(bank, stop={"max_items": 6}, content={"mood": (3, 3), "function": (0, 3)},
                tags=tags)
    while (item := s.next_item()) is not None:
        s.answer(item, 3)
    got = [tags[i][0] for i in s.administered]
    assert got.count("mood") == 3 and got.count("function") == 3


def test_errors(bank: ml.psychometrics.IRTResult) -> None:
    with pytest.raises(ValueError, match="parameter 'select' must be one of"):
        Session(bank, select="MaxInfo")
    with pytest.raises(ValueError, match="parameter 'stop'"):
        Session(bank, stop="nhs")
    with pytest.raises(ValueError, match="unknown keys"):
        Session(bank, stop={"sem": 0.3})
    s = Session(bank)
    with pytest.raises(ValueError, match="answer 9 is not one of its categories"):
        s.answer(bank.items[0], 9)
    s.answer(bank.items[0], 1)
    with pytest.raises(ValueError, match="already answered"):
        s.answer(bank.items[0], 2)
    assert set(STOP_PRESETS) == {"promis", "promis-recommended", "promis-pediatric"}


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=15, max_size=15),
       st.sampled_from(["MFI", "MEPV", "KL"]))
def test_cat_with_whole_bank_equals_full_bank_eap(answers: list[int], select: str) -> None:
    df = ml.psychometrics.simulate_irt(n=1500, n_items=15, n_categories=5, seed=21)
    bank = _BANKS.setdefault("b", ml.psychometrics.irt(df, se=None))
    row = dict(zip(bank.items, answers))
    s = Session(bank, select=select, stop={"max_items": 15})
    while (item := s.next_item()) is not None:
        s.answer(item, row[item])
    full = bank.scores(pd.DataFrame([row]))
    assert abs(s.theta - full["theta"].iloc[0]) < 1e-10


_BANKS: dict[str, ml.psychometrics.IRTResult] = {}


def test_a_skipped_item_is_administered_without_a_response(
        bank: ml.psychometrics.IRTResult) -> None:
    s = Session(bank, stop={"max_items": 6, "min_items": 3}, select="MFI")
    given: dict[str, float] = {}
    skipped = []
    for k in range(6):
        item = s.next_item()
        assert item is not None and item not in given and item not in skipped
        if k in (1, 3):
            before = (s.theta, s.se)
            s.skip(item)
            skipped.append(item)
            assert (s.theta, s.se) == before  # not in the likelihood
            assert s.next_item() != item  # never asked again
        else:
            s.answer(item, 4 if k % 2 else 2)
            given[item] = 4 if k % 2 else 2
    assert s.done and s.next_item() is None  # six shown: max_items counts skipped ones
    assert s.skipped == skipped and list(s.responses) == list(given)
    # the estimate is the full-information EAP of the answers given (skipped = missing)
    row = {i: given.get(i, np.nan) for i in bank.items}
    full = bank.scores(pd.DataFrame([row]))
    assert s.theta == pytest.approx(full["theta"].iloc[0], abs=1e-12)
    assert s.se == pytest.approx(full["se"].iloc[0], abs=1e-12)
    with pytest.raises(ValueError, match="already skipped"):
        s.answer(skipped[0], 3)
    with pytest.raises(ValueError, match="already shown"):
        s.skip(skipped[0])


def test_min_items_and_se_change_count_answers_only(bank: ml.psychometrics.IRTResult) -> None:
    s = Session(bank, stop={"min_items": 2, "max_items": 10, "se_change": 0.5})
    s.skip(s.next_item())
    s.skip(s.next_item())
    assert not s.done  # no answer yet: min_items not met by skips
    s.answer(s.next_item(), 3)
    s.skip(s.next_item())
    assert not s.done  # a skip leaves the SE as it was: not a "change below 0.5"
    s.answer(s.next_item(), 3)
    assert len(s.administered) == 2


def test_skips_survive_a_snapshot(bank: ml.psychometrics.IRTResult) -> None:
    s = Session(bank, exposure="randomesque", seed=3)
    s.answer(s.next_item(), 2)
    s.skip(s.next_item())
    s.answer(s.next_item(), 5)
    nxt = s.next_item()
    snap = json.loads(json.dumps(s.to_dict()))
    r = Session.from_dict(bank, snap)
    assert r.skipped == s.skipped and r.next_item() == nxt and r.theta == s.theta
    old = {k: v for k, v in snap.items() if k != "skipped"}  # a snapshot from before skips
    assert Session.from_dict(bank, old).skipped == []
    with pytest.raises(ValueError, match="not in this test's pool"):
        Session(bank, items=list(bank.items)[:4]).skip(list(bank.items)[5])
