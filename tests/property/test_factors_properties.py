"""Property tests of the factor-analysis numerics (rotations, polychoric, alignment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from measurelib.errors import MeasurelibWarning
from measurelib.psychometrics import polychoric
from measurelib.psychometrics._numeric import brent_fmin, bvn_rect
from measurelib.psychometrics.efa._factors import align_factors
from measurelib.psychometrics.efa._rotation import rotate


@st.composite
def loading_matrices(draw: st.DrawFn) -> np.ndarray:
    p = draw(st.integers(4, 12))
    k = draw(st.integers(2, 3))
    a = draw(arrays(np.float64, (p, k), elements=st.floats(-0.9, 0.9, allow_nan=False)))
    rows = np.sqrt(np.sum(a**2, axis=1))
    assume(np.all(rows > 0.05))
    a = np.where(rows[:, None] > 0.95, a * 0.95 / rows[:, None], a)
    assume(np.linalg.matrix_rank(a) == k)
    assume(np.linalg.svd(a, compute_uv=False)[-1] > 0.05)
    return a


@given(
    loading_matrices(), st.sampled_from(["varimax", "oblimin", "promax", "quartimax", "geominQ"])
)
def test_rotation_leaves_communalities_unchanged(a: np.ndarray, method: str) -> None:
    rot = rotate(a, method)
    phi = np.eye(a.shape[1]) if rot.phi is None else rot.phi
    h2_rot = np.einsum("ij,jk,ik->i", rot.loadings, phi, rot.loadings)
    np.testing.assert_allclose(h2_rot, np.sum(a**2, axis=1), atol=1e-8)
    # the model-implied correlations are unchanged too
    np.testing.assert_allclose(rot.loadings @ phi @ rot.loadings.T, a @ a.T, atol=1e-8)
    if rot.phi is not None:
        np.testing.assert_allclose(np.diag(rot.phi), 1.0, atol=1e-10)


@given(loading_matrices(), st.randoms(use_true_random=False))
def test_alignment_undoes_permutation_and_reflection(a: np.ndarray, rnd: object) -> None:
    k = a.shape[1]
    perm = list(range(k))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    signs = np.array([rnd.choice([-1.0, 1.0]) for _ in range(k)])  # type: ignore[attr-defined]
    scrambled = a[:, perm] * signs
    aligned, order, s = align_factors(scrambled, a)
    np.testing.assert_allclose(aligned, a, atol=1e-12)
    np.testing.assert_allclose(scrambled[:, order] * s, a, atol=1e-12)


@given(
    st.lists(st.integers(1, 5), min_size=20, max_size=120).filter(lambda v: len(set(v)) >= 2),
    st.booleans(),
)
def test_polychoric_of_perfectly_ordered_pair_is_extreme(values: list[int], reverse: bool) -> None:
    x = np.array(values)
    y = (6 - x) if reverse else x
    third = np.roll(x, 1)
    assume(len(set(third)) >= 2)
    df = pd.DataFrame({"x": x, "y": y, "z": third})
    df["y"] = df["y"] - (df["y"].min() - df["x"].min())  # same range of codes
    # the likelihood rises all the way to ±1 (no answers off the diagonal): said, as such
    with pytest.warns(MeasurelibWarning, match="not determined by the data"):
        res = polychoric(df, smooth=False)
    assert any("'y'-'x'" in w for w in res.warnings)
    rho = res.rho.loc["x", "y"]
    if reverse:
        assert rho < -0.99
    else:
        assert rho > 0.99


@given(st.integers(0, 3), st.integers(30, 200), st.integers(0, 2**31 - 1))
def test_polychoric_invariant_to_code_shift_and_order(shift: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0.3], [0.5, 1, 0.2], [0.3, 0.2, 1]], size=n)
    x = pd.DataFrame({c: np.digitize(z[:, i], [-0.8, 0.0, 0.8]) + 1 for i, c in enumerate("abc")})
    assume(all(x[c].nunique() == 4 for c in "abc"))
    a = polychoric(x, smooth=False).rho
    b = polychoric(x + shift, smooth=False).rho
    c = polychoric(x[["c", "b", "a"]], smooth=False).rho
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(
        a.loc[["c", "b", "a"], ["c", "b", "a"]].to_numpy(), c.to_numpy(), atol=1e-6
    )


@given(st.floats(-0.95, 0.95), st.floats(-2, 2), st.floats(-2, 2))
def test_bvn_rectangles_add_up(r: float, h: float, k: float) -> None:
    # four quadrants around (h, k) partition the plane
    inf = np.inf
    parts = [
        bvn_rect(np.array(-inf), np.array(h), np.array(-inf), np.array(k), np.array(r)),
        bvn_rect(np.array(h), np.array(inf), np.array(-inf), np.array(k), np.array(r)),
        bvn_rect(np.array(-inf), np.array(h), np.array(k), np.array(inf), np.array(r)),
        bvn_rect(np.array(h), np.array(inf), np.array(k), np.array(inf), np.array(r)),
    ]
    assert sum(float(p) for p in parts) == 1.0 or abs(sum(float(p) for p in parts) - 1.0) < 1e-13
    assert all(float(p) >= -1e-15 for p in parts)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-0.9, 0.9)))
def test_brent_finds_minima_of_parabolas(centres: np.ndarray) -> None:
    def f(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return (x - centres[idx]) ** 2

    xmin, fmin = brent_fmin(f, centres.size, -1.0, 1.0)
    np.testing.assert_allclose(xmin, centres, atol=2e-4)
    assert np.all(fmin <= 1e-7)
