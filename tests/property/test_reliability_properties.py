"""Invariants of reliability(), icc() and simulate() (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from measurelib.errors import MeasurelibWarning
from measurelib.psychometrics import icc, reliability, simulate


@st.composite
def likert(draw, min_items: int = 3, max_items: int = 6) -> pd.DataFrame:
    n = draw(st.integers(8, 40))
    k = draw(st.integers(min_items, max_items))
    a = draw(arrays(np.int64, (n, k), elements=st.integers(1, 5)))
    assume(all(len(np.unique(a[:, j])) > 1 for j in range(k)))
    df = pd.DataFrame(a, columns=[f"i{j}" for j in range(k)])
    # keep the matrix non-singular so no collinearity warning fires
    assume(np.linalg.matrix_rank(df.corr().to_numpy()) == k)
    return df


def quiet(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurelibWarning)
        return reliability(compute_omega=False, **kw)


@given(likert(), st.randoms(use_true_random=False))
def test_alpha_invariant_to_item_order(df: pd.DataFrame, rnd) -> None:
    cols = list(df.columns)
    rnd.shuffle(cols)
    a = quiet(data=df)
    b = quiet(data=df[cols])
    assert b.alpha == pytest.approx(a.alpha, abs=1e-10)
    assert b.alpha_standardized == pytest.approx(a.alpha_standardized, abs=1e-10)
    pd.testing.assert_frame_equal(b.item_stats.loc[list(df.columns)], a.item_stats)


@given(likert(), st.data())
def test_reversing_twice_is_identity(df: pd.DataFrame, data) -> None:
    col = data.draw(st.sampled_from(list(df.columns)))
    flipped = df.copy()
    flipped[col] = 6 - flipped[col]  # reversed once by hand on a 1..5 scale
    a = quiet(data=df, scale_range=(1, 5))
    b = quiet(data=flipped, keys=[col], scale_range=(1, 5))  # and once by keys
    assert b.alpha == pytest.approx(a.alpha, abs=1e-10)
    cols = ["mean", "sd", "r_drop", "alpha_if_deleted", "floor", "ceiling"]
    np.testing.assert_allclose(b.item_stats[cols].to_numpy(dtype=float),
                               a.item_stats[cols].to_numpy(dtype=float), atol=1e-10)


@given(likert(), st.floats(0.1, 10), st.floats(-50, 50))
def test_alpha_invariant_to_common_linear_change(df: pd.DataFrame, scale: float,
                                                 shift: float) -> None:
    a = quiet(data=df)
    b = quiet(data=df * scale + shift)
    assert b.alpha == pytest.approx(a.alpha, abs=1e-8)
    np.testing.assert_allclose(b.item_stats["r_drop"], a.item_stats["r_drop"], atol=1e-8)


@given(likert(), st.lists(st.floats(0.2, 5), min_size=6, max_size=6))
def test_standardized_alpha_invariant_to_item_scaling(df: pd.DataFrame, scales) -> None:
    a = quiet(data=df)
    b = quiet(data=df * np.array(scales[: df.shape[1]]))
    assert b.alpha_standardized == pytest.approx(a.alpha_standardized, abs=1e-9)
    assert b.average_r == pytest.approx(a.average_r, abs=1e-9)


@given(arrays(np.int64, st.integers(5, 30), elements=st.integers(1, 5)), st.integers(2, 6))
def test_duplicated_items_have_alpha_one(x: np.ndarray, k: int) -> None:
    assume(len(np.unique(x)) > 1)
    df = pd.DataFrame({f"copy{j}": x for j in range(k)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasurelibWarning)  # collinear / two items
        res = reliability(df, compute_omega=False)
    assert res.alpha == pytest.approx(1.0, abs=1e-10)
    assert res.alpha_standardized == pytest.approx(1.0, abs=1e-10)
    assert (res.item_stats["r_drop"] > 1 - 1e-10).all()
    assert any("collinear" in w or "respondents for" in w for w in res.warnings) or k == 2


@given(likert(min_items=2, max_items=5), st.floats(-20, 20), st.integers(0, 4))
def test_icc_consistency_forms_ignore_rater_shift(df: pd.DataFrame, shift: float,
                                                  which: int) -> None:
    col = df.columns[which % df.shape[1]]
    shifted = df.astype(float).copy()
    shifted[col] = shifted[col] + shift
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small-sample warning
        a = icc(df).table
        b = icc(shifted).table
        c = icc(df + shift).table
    for form in ["ICC3", "ICC3k"]:
        assert b.loc[form, "icc"] == pytest.approx(a.loc[form, "icc"], abs=1e-9)
        assert b.loc[form, "ci_lower"] == pytest.approx(a.loc[form, "ci_lower"], abs=1e-8)
    # adding the same constant everywhere changes no form at all
    np.testing.assert_allclose(c["icc"], a["icc"], atol=1e-9)
    np.testing.assert_allclose(c["ci_upper"], a["ci_upper"], atol=1e-8)


@given(st.integers(0, 2**32 - 1), st.integers(10, 60))
def test_simulated_data_stays_on_the_options(seed: int, n: int) -> None:
    spec = {"items": [{"id": "a", "values": [0, 1, 2, 3]},
                      {"id": "b", "values": [1, 2, 3, 4, 5], "reverse": True},
                      {"id": "c", "values": [0, 1]}]}
    for model in ("factor", "grm"):
        df = simulate(spec, n, seed=seed, model=model)
        assert df.attrs["simulated"] is True and len(df) == n
        assert set(df["a"]) <= {0, 1, 2, 3} and set(df["b"]) <= {1, 2, 3, 4, 5}
        assert set(df["c"]) <= {0, 1}
