"""Invariants of building composed measures."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.compose import content_hash

ROOT = Path(__file__).resolve().parents[2]
BFI = ROOT / "instruments" / "banks" / "ipip-bfi.yaml"
IDS = [it.id for it in ml.load(str(BFI)).items]

HEAD = """\
format: 1
id: bespoke
version: 1.0.0
title: Bespoke
licence: {holder: Us, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  yn: {type: yesno}
"""

_settings = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _build(path: Path) -> ml.Measure:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        return ml.build(path)


def _composer(tmp: Path, picked: list[str], own: list[str], order: list[str] | None) -> Path:
    text = HEAD
    if own:
        text += "items:\n" + "".join(f"  - {{id: {o}, text: Own question {o}., scale: yn}}\n"
                                     for o in own)
    text += f"compose:\n  - from: {BFI.as_posix()}\n    items: [{', '.join(picked)}]\n"
    if order is not None:
        text += f"order: [{', '.join(order)}]\n"
    path = tmp / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@_settings
@given(picked=st.lists(st.sampled_from(IDS), min_size=1, max_size=8, unique=True),
       n_own=st.integers(0, 3), data=st.data())
def test_build_is_deterministic(tmp_path_factory, picked, n_own, data) -> None:
    tmp = tmp_path_factory.mktemp("det")
    own = [f"own_{i}" for i in range(n_own)]
    order = data.draw(st.permutations([*picked, *own])) if data.draw(st.booleans()) else None
    path = _composer(tmp, picked, own, list(order) if order is not None else None)
    a, b = _build(path), _build(path)
    assert a.to_yaml() == b.to_yaml()
    assert a.lock.sha256 == b.lock.sha256 == content_hash(a)
    expected = list(order) if order is not None else [*picked, *own]
    assert [it.id for it in a.items] == expected


@_settings
@given(n_own=st.integers(2, 5), data=st.data())
def test_reordering_own_items_changes_the_hash(tmp_path_factory, n_own, data) -> None:
    tmp = tmp_path_factory.mktemp("ord")
    own = [f"own_{i}" for i in range(n_own)]
    perm = list(data.draw(st.permutations(own)))
    if perm == own:
        perm = own[1:] + own[:1]
    first = _build(_composer(tmp, ["a1"], own, ["a1", *own]))
    second = _build(_composer(tmp, ["a1"], own, ["a1", *perm]))
    assert first.lock.sha256 != second.lock.sha256
    assert first.lock.sources == second.lock.sources


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picked=st.lists(st.sampled_from(IDS), min_size=1, max_size=10, unique=True),
       rows=st.integers(0, 2700))
def test_unchanged_items_score_alike_through_a_built_measure(tmp_path_factory, picked,
                                                             rows) -> None:
    tmp = tmp_path_factory.mktemp("score")
    text = HEAD + f"compose:\n  - from: {BFI.as_posix()}\n    items: [{', '.join(picked)}]\n"
    text += "scores:\n" + "".join(f"  - {{id: s_{p}, items: [{p}], method: sum}}\n"
                                  for p in picked)
    path = tmp / "m.yaml"
    path.write_text(text, encoding="utf-8")
    built = _build(path)
    bank = ml.load(str(BFI))
    source_rules = "".join(f"  - {{id: s_{p}, items: [{p}], method: sum}}\n" for p in picked)
    bank_text = BFI.read_text(encoding="utf-8").split("scores:")[0] + "scores:\n" + source_rules
    source = ml.loads(bank_text)
    df = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv").iloc[rows:rows + 50]
    items = df[[c for c in df.columns if len(c) == 2]]
    got = built.score(items, on_invalid="reject").scores
    want = source.score(items, on_invalid="reject").scores
    for p in picked:
        np.testing.assert_array_equal(got[f"s_{p}"].to_numpy(), want[f"s_{p}"].to_numpy())
    assert bank.item(picked[0]).reverse == built.item(picked[0]).reverse
