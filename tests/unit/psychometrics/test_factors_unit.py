"""Unit tests of factor_structure(), fa(), polychoric() and omega(): inputs, warnings, results."""

from __future__ import annotations

import contextlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from measurelib.errors import (
    ConvergenceWarning,
    DataError,
    HeywoodWarning,
    MeasurelibWarning,
    SmallSampleWarning,
)
from measurelib.psychometrics import (
    FactorStructureResult,
    OmegaResult,
    PolychoricResult,
    factor_structure,
    omega,
    polychoric,
)
from measurelib.psychometrics.efa._factors import (
    align_factors,
    bartlett_sphericity,
    fa,
    kaiser_label,
    kmo,
    parallel_analysis,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "bfi.csv").iloc[:, :25]


def _simulated(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, 2))
    lam = np.array([[0.8, 0], [0.7, 0], [0.6, 0], [0, 0.8], [0, 0.7], [0, 0.6]])
    x = f @ lam.T + rng.standard_normal((n, 6)) * np.sqrt(1 - np.sum(lam**2, axis=1))
    return pd.DataFrame(x, columns=[f"i{k}" for k in range(6)])


# ----------------------------------------------------------------------------- results
def test_factor_structure_result_shape(hs: pd.DataFrame) -> None:
    fs = factor_structure(hs, seed=3, n_iter=30, progress=False)
    assert isinstance(fs, FactorStructureResult)
    assert fs.n == 301 and fs.n_items == 9
    assert fs.n_factors == fs.n_factors_suggested == 3
    assert fs.loadings.shape == (9, 3)
    assert list(fs.loadings.columns) == ["MR1", "MR2", "MR3"]
    assert fs.factor_correlations.shape == (3, 3)
    np.testing.assert_allclose(fs.communalities + fs.uniquenesses, 1.0, atol=1e-12)
    assert list(fs.variance_explained.index) == [
        "SS loadings",
        "Proportion Var",
        "Cumulative Var",
        "Proportion Explained",
        "Cumulative Proportion",
    ]
    assert fs.kmo_label == kaiser_label(fs.kmo)
    assert set(fs.parallel.columns) >= {
        "pc_observed",
        "fa_observed",
        "fa_simulated_q95",
        "pc_resampled",
    }
    assert sum(fs.n_factors_stability.values()) == pytest.approx(1.0)
    assert fs.converged and not fs.heywood and fs.method == "minres" and fs.rotation == "oblimin"
    d = fs.to_dict()
    json.dumps(d)  # serialisable
    assert d["kmo"] == pytest.approx(fs.kmo)
    assert "KMO" in fs.summary() and "Parallel analysis" in fs.summary()
    frame = fs.to_frame()
    assert list(frame.columns[-2:]) == ["h2", "u2"]


def test_parallel_analysis_is_reproducible_with_seed(hs: pd.DataFrame) -> None:
    a = parallel_analysis(hs.to_numpy(float), n_iter=15, seed=5, progress=False)
    b = parallel_analysis(hs.to_numpy(float), n_iter=15, seed=5, progress=False)
    c = parallel_analysis(hs.to_numpy(float), n_iter=15, seed=6, progress=False)
    np.testing.assert_array_equal(a["sim_fa_all"], b["sim_fa_all"])
    assert a["stability"] == b["stability"]
    assert not np.array_equal(a["sim_fa_all"], c["sim_fa_all"])
    # observed eigenvalues do not depend on the seed
    np.testing.assert_array_equal(a["fa_values"], c["fa_values"])


def test_parallel_simulated_eigenvalues_behave_like_noise() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 8))
    pa = parallel_analysis(x, n_iter=40, seed=2, progress=False)
    # pure noise: no factor beats the simulated 95th percentile most of the time
    assert pa["ncomp"] <= 1
    # simulated component eigenvalues average p
    assert pa["sim_pc_all"].sum(axis=1) == pytest.approx(np.full(40, 8.0))
    # Marchenko-Pastur: the largest stays below about (1 + sqrt(p/n))^2
    assert 1.0 < pa["pc_sim"][0] < 1.05 * (1 + np.sqrt(8 / 400)) ** 2


def test_progress_bar_only_when_asked(hs: pd.DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    parallel_analysis(hs.to_numpy(float), n_iter=3, seed=1, progress=True)
    assert "parallel analysis" in capsys.readouterr().err
    parallel_analysis(hs.to_numpy(float), n_iter=3, seed=1)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""


def test_kmo_and_bartlett_on_identity() -> None:
    r = np.eye(4)
    msa, msai = kmo(r)
    assert np.isnan(msa) and np.isnan(msai).all()  # 0/0, as psych::KMO
    b = bartlett_sphericity(np.eye(4), 100)
    assert b["chi2"] == pytest.approx(0.0, abs=1e-12)
    assert b["df"] == 6 and b["p"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0.95, "marvelous"),
        (0.85, "meritorious"),
        (0.75, "middling"),
        (0.65, "mediocre"),
        (0.55, "miserable"),
        (0.3, "unacceptable"),
    ],
)
def test_kaiser_labels(value: float, label: str) -> None:
    assert kaiser_label(value) == label


def test_fa_on_correlation_matrix_needs_n_obs_for_fit(hs: pd.DataFrame) -> None:
    r = hs.corr().to_numpy()
    res = fa(r, 3)
    assert res.n is None and np.isnan(res.fit["chi2"])
    res2 = fa(r, 3, n_obs=301)
    res3 = fa(hs, 3)
    np.testing.assert_allclose(res2.loadings.to_numpy(), res3.loadings.to_numpy(), atol=1e-10)
    assert res2.fit["chi2"] == pytest.approx(res3.fit["chi2"])


def test_fa_single_factor_and_varimax_have_no_phi(hs: pd.DataFrame) -> None:
    one = fa(hs, 1)
    assert one.factor_correlations is None and one.loadings.shape == (9, 1)
    assert one.loadings.to_numpy().sum() > 0
    assert list(one.variance_explained.index) == ["SS loadings", "Proportion Var"]
    vm = fa(hs, 3, rotation="varimax")
    assert vm.factor_correlations is None


def test_listwise_missing_drops_rows(bfi: pd.DataFrame) -> None:
    res = fa(bfi, 5, missing="listwise")
    assert res.n == int(bfi.dropna().shape[0])
    assert any("listwise" in w for w in res.warnings)


# ----------------------------------------------------------------------------- warnings
def test_heywood_case_warns_and_is_recorded() -> None:
    # two nearly identical items force a communality to the bound
    rng = np.random.default_rng(4)
    f = rng.standard_normal(300)
    x = np.column_stack(
        [f + 0.01 * rng.standard_normal(300), f + 0.01 * rng.standard_normal(300)]
        + [0.5 * f + rng.standard_normal(300) for _ in range(3)]
    )
    with pytest.warns(HeywoodWarning):
        res = fa(pd.DataFrame(x), 1, method="ml")
    assert res.heywood
    assert any("Heywood" in w for w in res.warnings)


def test_non_convergence_warns(monkeypatch: pytest.MonkeyPatch, hs: pd.DataFrame) -> None:
    from measurelib.psychometrics.efa import _rotation

    real = _rotation.gpf_oblique

    def one_step(*args: object, **kwargs: object) -> _rotation.Rotation:
        kwargs["maxit"] = 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_rotation, "gpf_oblique", one_step)
    with pytest.warns(ConvergenceWarning, match="rotation did not converge"):
        res = fa(hs, 3)
    assert not res.converged


def test_small_sample_warning() -> None:
    x = _simulated(n=500).iloc[:5]
    with pytest.warns(SmallSampleWarning), warnings.catch_warnings():
        warnings.simplefilter("ignore", HeywoodWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        with contextlib.suppress(DataError):
            factor_structure(x, n_factors=1, seed=1, n_iter=5, progress=False)


# ----------------------------------------------------------------------------- errors
def test_too_few_items() -> None:
    with pytest.raises(DataError, match="at least 3 items"):
        factor_structure(_simulated().iloc[:, :2])


def test_constant_item_is_named() -> None:
    x = _simulated()
    x["i2"] = 3.0
    with pytest.raises(DataError) as exc:
        factor_structure(x, progress=False)
    assert exc.value.errors[0].code == "constant-item"
    assert exc.value.errors[0].location.field == "i2"


def test_singular_matrix_names_items() -> None:
    x = _simulated()
    x["total"] = x.sum(axis=1)
    with pytest.raises(DataError) as exc:
        factor_structure(x, progress=False)
    assert exc.value.errors[0].code == "singular-correlation"
    assert "total" in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"method": "uls"}, "method"),
        ({"rotation": "bogus"}, "rotation"),
        ({"cor": "spearman"}, "cor"),
        ({"missing": "median"}, "missing"),
        ({"n_factors": 0}, "n_factors"),
        ({"n_iter": 0}, "n_iter"),
    ],
)
def test_bad_parameters_name_parameter(
    kwargs: dict[str, object], param: str, hs: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match=f"'{param}'") as exc:
        factor_structure(hs, **kwargs)  # type: ignore[arg-type]
    assert "got" in str(exc.value)


def test_too_many_factors(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="too many"):
        fa(hs, 6)


def test_wrong_type() -> None:
    with pytest.raises(TypeError, match="'data'"):
        factor_structure([[1, 2, 3]])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'data'"):
        factor_structure(pd.DataFrame({"a": ["x", "y"], "b": [1, 2], "c": [2, 3]}))


def test_correlation_matrix_refused_by_factor_structure(hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="correlation matrix"):
        factor_structure(hs.corr())


# ----------------------------------------------------------------------------- polychoric
def test_polychoric_result_and_pairwise_missing(bfi: pd.DataFrame) -> None:
    res = polychoric(bfi.iloc[:, :5])
    assert isinstance(res, PolychoricResult)
    assert res.rho.shape == (5, 5) and res.thresholds.shape == (5, 5)
    assert res.n == len(bfi)
    assert res.n_pairwise.loc["A1", "A2"] == int(bfi[["A1", "A2"]].dropna().shape[0])
    assert np.all(np.diag(res.rho) == 1.0)
    json.dumps(res.to_dict())
    assert "Polychoric" in res.summary()


def test_polychoric_errors() -> None:
    with pytest.raises(DataError, match="whole-number"):
        polychoric(pd.DataFrame({"a": [1.5, 2, 3], "b": [1, 2, 3]}))
    with pytest.raises(DataError, match="more than max_categories"):
        polychoric(pd.DataFrame({"a": list(range(1, 12)), "b": list(range(1, 12))}))
    with pytest.raises(DataError) as exc:
        polychoric(pd.DataFrame({"a": [1, 1, 1], "b": [1, 2, 3]}))
    assert exc.value.errors[0].code == "constant-item"
    with pytest.raises(ValueError, match="'correct'"):
        polychoric(pd.DataFrame({"a": [1, 2], "b": [1, 2]}), correct=-1)
    with pytest.raises(TypeError, match="'data'"):
        polychoric("not data")


def test_polychoric_unequal_categories_uses_correction() -> None:
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0.4], [0.5, 1, 0.3], [0.4, 0.3, 1]], size=300)
    x = pd.DataFrame(
        {
            "a": np.digitize(z[:, 0], [-1, 0, 1]) + 1,
            "b": np.digitize(z[:, 1], [-0.5, 0.5]) + 1,
            "c": np.digitize(z[:, 2], [-1.5, -0.5, 0.5, 1.5]) + 1,
        }
    )
    res = polychoric(x)
    assert not res.global_thresholds
    assert res.rho.loc["a", "b"] == pytest.approx(0.5, abs=0.12)


# ----------------------------------------------------------------------------- omega
def test_omega_result(hs: pd.DataFrame) -> None:
    res = omega(hs, n_factors=3)
    assert isinstance(res, OmegaResult)
    assert 0 < res.omega_hierarchical < res.omega_total < 1
    assert list(res.omega_subscales.index) == ["g", "F1*", "F2*", "F3*"]
    assert list(res.schmid_leiman.columns) == ["g", "F1*", "F2*", "F3*", "h2", "u2", "p2"]
    assert res.general_factor_estimable and res.n == 301
    json.dumps(res.to_dict())
    assert "omega_h" in res.summary()


def test_omega_reverse_keyed_items_are_flipped(bfi: pd.DataFrame) -> None:
    res = omega(bfi.iloc[:, :10], n_factors=3)
    assert (res.keys == -1).any()
    assert (res.g_loadings > 0).all()


def test_omega_two_factors_warns(hs: pd.DataFrame) -> None:
    with pytest.warns(MeasurelibWarning, match="two group factors"):
        res = omega(hs, n_factors=2)
    assert not res.general_factor_estimable


def test_omega_one_factor_warns(hs: pd.DataFrame) -> None:
    with pytest.warns(MeasurelibWarning, match="one factor"):
        res = omega(hs, n_factors=1)
    assert not res.general_factor_estimable


def test_omega_not_estimable_with_too_many_factors(hs: pd.DataFrame) -> None:
    with pytest.raises(DataError) as exc:
        omega(hs.iloc[:, :4], n_factors=3)
    assert exc.value.errors[0].code == "general-factor-not-estimable"


def test_omega_accepts_correlation_matrix(hs: pd.DataFrame) -> None:
    a = omega(hs, n_factors=3)
    b = omega(hs.corr().to_numpy(), n_factors=3, n_obs=301)
    assert a.omega_hierarchical == pytest.approx(b.omega_hierarchical, abs=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n_factors": 0}, "n_factors"),
        ({"fm": "uls"}, "fm"),
        ({"rotation": "x"}, "rotation"),
        ({"n_obs": 1}, "n_obs"),
    ],
)
def test_omega_bad_parameters(kwargs: dict[str, object], param: str, hs: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=f"'{param}'"):
        omega(hs, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- factor_analyzer
def test_factor_analyzer_defaults_differ_from_psych(hs: pd.DataFrame) -> None:
    """factor_analyzer defaults to promax; psych (and measurelib) to oblimin."""
    fa_mod = pytest.importorskip("factor_analyzer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = fa_mod.FactorAnalyzer(n_factors=3)
        assert peer.rotation == "promax"
        peer.fit(hs)
    ours_default = fa(hs, 3)
    ours_promax = fa(hs, 3, rotation="promax")
    aligned, _, _ = align_factors(peer.loadings_, ours_promax.loadings.to_numpy())
    # same promax solution once rotation is matched ...
    np.testing.assert_allclose(aligned, ours_promax.loadings.to_numpy(), atol=1e-4)
    # ... but not the psych default
    aligned2, _, _ = align_factors(peer.loadings_, ours_default.loadings.to_numpy())
    assert np.abs(aligned2 - ours_default.loadings.to_numpy()).max() > 0.01


def test_factor_analyzer_silently_imputes_medians(bfi: pd.DataFrame) -> None:
    """factor_analyzer fills NaN with column medians; measurelib uses pairwise correlations."""
    fa_mod = pytest.importorskip("factor_analyzer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = fa_mod.FactorAnalyzer(n_factors=5, rotation=None).fit(bfi)
        peer_med = fa_mod.FactorAnalyzer(n_factors=5, rotation=None).fit(bfi.fillna(bfi.median()))
    np.testing.assert_allclose(peer.loadings_, peer_med.loadings_, atol=1e-12)
    ours = fa(bfi, 5, rotation="none").loadings.to_numpy()
    ours_imputed = fa(bfi.fillna(bfi.median()), 5, rotation="none").loadings.to_numpy()
    a, _, _ = align_factors(peer.loadings_, ours)
    b, _, _ = align_factors(peer.loadings_, ours_imputed)
    assert np.abs(a - ours).max() > 1e-3  # imputation changes the answer
    np.testing.assert_allclose(b, ours_imputed, atol=1e-4)  # same answer on the same data
