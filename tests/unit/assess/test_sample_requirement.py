"""How many responses an assessment needs (``sample_requirement``), the store's responses of
one service and version, and the organisation's name and logo on the report."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.assessment import (
    MIN_RESPONSES_PER_ITEM,
    assess,
    responses_from_store,
    sample_requirement,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    m = ml.load("gad-7")
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    vals = np.clip(np.round(1.5 + trait + rng.normal(scale=0.7, size=(n, 7))), 0, 3)
    return pd.DataFrame(vals.astype(int), columns=m.response_columns()[:7])


def test_below_the_minimum_says_how_many_and_why() -> None:
    req = sample_requirement("gad-7", _frame(20))
    assert (req.enough, req.n_items, req.n_complete, req.n_needed) == (False, 7, 20, 35)
    assert req.n_needed == MIN_RESPONSES_PER_ITEM * 7
    assert "at least 35 are needed (5 per item)" in req.text
    assert "COSMIN" in req.text and "Mokkink" in req.source
    ok = sample_requirement("gad-7", _frame(60))
    assert ok.enough and ok.n_complete >= 35 and "enough" in ok.text


def test_counts_as_assess_counts() -> None:
    """Incomplete rows and exact copies do not count; the rating is the report's."""
    df = _frame(60)
    df.iloc[:10, 0] = None                     # 10 incomplete
    df = pd.concat([df, df.iloc[10:15]])       # 5 exact copies
    req = sample_requirement("gad-7", df)
    assert req.n_complete <= 50 and req.n_rows == 65  # (random rows may repeat too)
    res = assess("gad-7", df, n_iter=5, on_invalid="missing")
    size = [v for v in res.verdicts if v.topic == "Sample size"][0]
    assert size.value == req.n_complete and res.sample["cosmin_structural"] == req.rating


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=80))
def test_property_enough_exactly_at_five_per_item(n: int) -> None:
    req = sample_requirement("gad-7", _frame(n, seed=n))
    assert req.enough == (req.n_complete >= 35)
    assert req.enough == (req.rating != "inadequate")


def test_responses_from_store_of_one_service_and_version(tmp_path: Path) -> None:
    m = ml.load("gad-7")
    store = ml.Store(tmp_path / "s.db")
    df = _frame(30)
    for i, row in df.iterrows():
        store.add_submission(m, row.to_dict(), respondent_id=f"P{i}", timepoint="baseline",
                             service="north" if i < 20 else "south", date="2026-01-05")
    assert len(responses_from_store(store, m, service="north")) == 20
    assert len(responses_from_store(store, m, service="south")) == 10
    assert len(responses_from_store(store, m, version=m.version)) == 30
    with pytest.raises(ml.DataError, match="version 9.9.9"):
        responses_from_store(store, m, version="9.9.9")
    with pytest.raises(ml.DataError, match="for service 'east'"):
        responses_from_store(store, m, service="east")
    store.close()


def test_report_names_the_organisation_with_its_logo(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    res = assess("gad-7", _frame(60), n_iter=5)
    html = str(res.render("html", organisation="Riverside <Mind>", logo="logo.png",
                          logo_base=tmp_path))
    assert "Riverside &lt;Mind&gt;" in html and 'src="data:image/png;base64,' in html
    assert "Riverside" not in str(res.render("html"))
    with pytest.raises(ml.DataError, match="outside"):
        res.render("html", logo="../x.png", logo_base=tmp_path)
