"""Unit tests of cfa() and invariance(): input checks, errors, warnings and result objects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from measurelib.errors import (
    ConvergenceWarning,
    DataError,
    DefinitionError,
    HeywoodWarning,
)
from measurelib.psychometrics import CFAResult, InvarianceResult, cfa, invariance

DATA = Path(__file__).resolve().parents[2] / "data"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
HS_DICT = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
           "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def hs_fit(hs: pd.DataFrame) -> CFAResult:
    return cfa(hs, HS_MODEL)


# ----------------------------------------------------------------------------- model input
def test_mapping_and_syntax_give_the_same_fit(hs: pd.DataFrame, hs_fit: CFAResult) -> None:
    other = cfa(hs, HS_DICT)
    assert other.fit["chisq"] == pytest.approx(hs_fit.fit["chisq"], abs=1e-9)
    assert other.model == HS_DICT


def test_syntax_comments_semicolons_and_fixed_loadings(hs: pd.DataFrame) -> None:
    text = "# three factors\nvisual =~ x1 + x2 + x3 ; textual =~ x4 + x5 + x6\n" \
           "speed =~ x7 + x8 + x9  ! trailing comment"
    assert cfa(hs, text).fit["df"] == 24
    free_marker = cfa(hs, "visual =~ NA*x1 + x2 + x3\nvisual ~~ 1*visual")
    est = free_marker.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("visual", "~~", "visual"), "est"] == 1.0
    assert est.loc[("visual", "=~", "x1"), "se"] > 0


def test_std_lv_fixes_factor_variances(hs: pd.DataFrame, hs_fit: CFAResult) -> None:
    res = cfa(hs, HS_MODEL, std_lv=True)
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("visual", "~~", "visual"), "est"] == 1.0
    assert est.loc[("visual", "~~", "visual"), "se"] == 0.0
    assert res.fit["chisq"] == pytest.approx(hs_fit.fit["chisq"], abs=1e-8)


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("visual =~ x1 + x2 +", "empty term"),
        ("visual =~ x1 + x2 + x3\nx1 ~ x2", "measurement models only"),
        ("visual x1 x2", "cannot read line 1"),
        ("visual =~ x1 + x1 + x2", "more than once"),
        ("a =~ x1 + x2 + x3\nb =~ a + x4 + x5", "higher-order"),
        ("visual =~ x1 + x2 + x3\nx1 ~~ nothere", "neither a factor nor an item"),
    ],
)
def test_syntax_errors_are_definition_errors(hs: pd.DataFrame, model: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as info:
        cfa(hs, model)
    assert fragment in str(info.value)
    assert info.value.errors[0].code == "cfa-model-syntax"


# ----------------------------------------------------------------------------- data errors
def test_missing_item_names_the_item_and_suggests(hs: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        cfa(hs, {"visual": ["x1", "x2", "x33"]})
    diag = info.value.errors[0]
    assert diag.code == "cfa-missing-item"
    assert "'x33'" in diag.message
    assert "did you mean 'x3'" in diag.hint
    assert "x9" in diag.hint  # lists the data's columns
    assert diag.location.field == "x33"


def test_missing_group_column(hs: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="did you mean 'school'"):
        cfa(hs, HS_MODEL, group="schol")


def test_non_numeric_item_names_row_and_column(hs: pd.DataFrame) -> None:
    bad = hs.copy()
    bad["x2"] = bad["x2"].astype(object)
    bad.loc[4, "x2"] = "n/a"
    with pytest.raises(DataError) as info:
        cfa(bad, HS_MODEL)
    loc = info.value.errors[0].location
    assert (loc.row, loc.field) == (6, "x2")


def test_listwise_reports_dropped_rows(hs: pd.DataFrame) -> None:
    holes = hs.copy()
    holes.loc[[0, 5, 9], "x4"] = np.nan
    res = cfa(holes, HS_MODEL)
    assert res.n == len(hs) - 3
    assert res.n_rows_dropped == 3



@pytest.mark.parametrize("estimator", ["ml", "mlr"])
def test_singular_covariance_is_a_located_data_error(hs: pd.DataFrame, estimator: str) -> None:
    """lavaan stops ("sample covariance matrix is not positive-definite"); so does cfa(),
    naming the items, instead of a silent fit, a math domain error or a LinAlgError."""
    dup = hs.copy()
    dup["x10"] = dup["x4"] + dup["x5"]  # a total score entered as an item
    with pytest.raises(DataError) as e:
        cfa(dup, HS_MODEL + " + x10", estimator=estimator)
    d = e.value.errors[0]
    assert d.code == "cfa-covariance-not-positive-definite"
    assert "x4, x5" in d.message and "x10" in d.message and "linearly dependent" in d.message
    const = hs.copy()
    const["x2"] = 3.0
    with pytest.raises(DataError, match="x2 has no variance"):
        cfa(const, HS_MODEL, estimator=estimator)
    with pytest.raises(DataError, match="fewer complete rows than items"):
        cfa(hs.head(8), HS_MODEL, estimator=estimator)



@pytest.mark.parametrize("n", [5, 8])
def test_singular_em_covariance_under_fiml_is_a_data_error(hs: pd.DataFrame, n: int) -> None:
    """Nine items, n rows, FIML: the saturated (EM) covariance matrix is singular. lavaan
    warns and does not converge; cfa() stops with the located data error instead of a
    LinAlgError, a math domain error or a silent fit."""
    data = hs.head(n).copy()
    data.loc[0, "x1"] = np.nan
    data.loc[1, "x5"] = np.nan
    with pytest.raises(DataError) as e:
        cfa(data, HS_MODEL, missing="fiml")
    d = e.value.errors[0]
    assert d.code == "cfa-covariance-not-positive-definite"
    assert f"of the {n} row(s)" in d.message and "(EM)" in d.message

def test_singular_covariance_within_a_group_is_named(hs: pd.DataFrame) -> None:
    data = hs.copy()
    data.loc[data.school == "Pasteur", "x3"] = 1.0
    with pytest.raises(DataError, match="in group 'Pasteur'"):
        cfa(data, HS_MODEL, group="school")


# ----------------------------------------------------------------------------- identification
def test_single_indicator_factor_is_named(hs: pd.DataFrame) -> None:
    with pytest.raises(DefinitionError) as info:
        cfa(hs, {"visual": ["x1", "x2", "x3"], "lonely": ["x4"]})
    assert info.value.errors[0].code == "cfa-unidentified"
    assert "'lonely'" in info.value.errors[0].message


def test_two_indicator_single_factor_is_unidentified(hs: pd.DataFrame) -> None:
    with pytest.raises(DefinitionError, match="only two indicators"):
        cfa(hs, {"visual": ["x1", "x2"]})


def test_negative_df_is_unidentified(hs: pd.DataFrame) -> None:
    model = "f =~ x1 + x2 + x3\nx1 ~~ x2\nx1 ~~ x3\nx2 ~~ x3"
    with pytest.raises(DefinitionError, match="df = -3"):
        cfa(hs, model)


# ----------------------------------------------------------------------------- API misuse
@pytest.mark.parametrize(
    ("kwargs", "exc", "fragment"),
    [
        ({"estimator": "gls"}, ValueError, "parameter 'estimator' must be one of"),
        ({"missing": "pairwise"}, ValueError, "parameter 'missing'"),
        ({"std_lv": "yes"}, TypeError, "std_lv"),
        ({"group": 3}, TypeError, "group"),
        ({"group": "school", "group_equal": ["loading"]}, ValueError, "got 'loading'"),
        ({"ordered": ["x1"]}, ValueError, "needs estimator='wlsmv'"),
        ({"estimator": "wlsmv", "ordered": ["x1"]}, ValueError, "needs every item"),
        ({"estimator": "wlsmv", "ordered": ["zz"]}, ValueError, "'zz'"),
    ],
)
def test_api_misuse(hs: pd.DataFrame, kwargs: dict[str, object], exc: type,
                    fragment: str) -> None:
    with pytest.raises(exc, match=fragment):
        cfa(hs, HS_MODEL, **kwargs)  # type: ignore[arg-type]


def test_bad_data_and_model_types(hs: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="parameter 'data'"):
        cfa(hs.to_numpy(), HS_DICT)
    with pytest.raises(TypeError, match="parameter 'model'"):
        cfa(hs, 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of item names"):
        cfa(hs, {"visual": "x1 x2 x3"})  # type: ignore[dict-item]


# ----------------------------------------------------------------------------- warnings
def _heywood_data(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    corr = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    x = rng.multivariate_normal(np.zeros(3), corr, size=n)
    return pd.DataFrame(x, columns=["a", "b", "c"])


def test_heywood_case_warns_and_is_recorded() -> None:
    with pytest.warns(HeywoodWarning, match="variance of a is negative"):
        res = cfa(_heywood_data(), {"f": ["a", "b", "c"]})
    assert any("Heywood" in w for w in res.warnings)
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("a", "~~", "a"), "est"] < 0


def test_non_convergence_warns_and_is_recorded(hs: pd.DataFrame,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import measurelib.psychometrics.sem._fit as sem_fit

    real = sem_fit.fisher_scoring

    def two_steps(obj, theta0):  # type: ignore[no-untyped-def]
        return real(obj, theta0, max_iter=2, gtol=0.0)

    monkeypatch.setattr(sem_fit, "fisher_scoring", two_steps)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = cfa(hs, HS_MODEL)
    assert res.converged is False
    assert "NOT CONVERGED" in res.summary()


# ----------------------------------------------------------------------------- results
def test_result_shape(hs_fit: CFAResult) -> None:
    assert hs_fit.converged
    assert (hs_fit.n, hs_fit.n_items, hs_fit.n_groups, hs_fit.estimator) == (301, 9, 1, "ml")
    assert list(hs_fit.estimates.columns[:8]) == ["lhs", "op", "rhs", "group", "group_label",
                                                   "est", "se", "z"]
    assert len(hs_fit.standardized_loadings) == 9
    assert set(hs_fit.modification_indices.columns) >= {"mi", "epc", "sepc_all"}
    for key in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                "rmsea_ci_upper", "rmsea_pvalue", "srmr", "aic", "bic", "logl"):
        assert key in hs_fit.fit
    frame = hs_fit.to_frame()
    frame.loc[0, "est"] = 99.0
    assert hs_fit.estimates.loc[0, "est"] == 1.0  # to_frame returns a copy


def test_to_dict_is_json(hs_fit: CFAResult) -> None:
    data = json.loads(hs_fit.to_json())
    assert data["fit"]["df"] == 24
    assert data["estimates"][0]["op"] == "=~"
    assert data["estimates"][0]["z"] is None  # fixed marker loading: NaN -> null


def test_summary_has_verdicts(hs_fit: CFAResult) -> None:
    text = hs_fit.summary()
    assert "CFI below .95" in text
    assert "SRMR meets .08" in text


def test_result_is_frozen(hs_fit: CFAResult) -> None:
    with pytest.raises(Exception):  # noqa: B017 - pydantic ValidationError
        hs_fit.n = 3  # type: ignore[misc]


def test_fiml_equals_ml_without_missing_values(hs: pd.DataFrame) -> None:
    ml = cfa(hs, HS_MODEL, group="school")
    fiml = cfa(hs, HS_MODEL, group="school", missing="fiml")
    assert fiml.fit["chisq"] == pytest.approx(ml.fit["chisq"], abs=1e-6)
    assert fiml.fit["logl"] == pytest.approx(ml.fit["logl"], abs=1e-6)


def test_invariance_result(hs: pd.DataFrame) -> None:
    res = invariance(hs, HS_DICT, group="school")
    assert isinstance(res, InvarianceResult)
    assert list(res.table["step"]) == ["configural", "metric", "scalar"]
    assert res.groups == ["Pasteur", "Grant-White"]
    assert "scalar invariance not supported" in res.summary()
    assert json.loads(res.to_json())["table"][1]["step"] == "metric"
    with pytest.raises(TypeError, match="parameter 'group'"):
        invariance(hs, HS_DICT, group=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="parameter 'estimator'"):
        invariance(hs, HS_DICT, group="school", estimator="gls")


def test_latent_means_free_only_with_equal_intercepts(hs: pd.DataFrame) -> None:
    scalar = cfa(hs, HS_MODEL, group="school", group_equal=["loadings", "intercepts"])
    means = scalar.estimates[(scalar.estimates["op"] == "~1")
                             & scalar.estimates["lhs"].isin(["visual", "textual", "speed"])]
    assert (means[means["group"] == 1]["se"] == 0).all()
    assert (means[means["group"] == 2]["se"] > 0).all()
    metric = cfa(hs, HS_MODEL, group="school", group_equal="loadings")
    lam = metric.estimates[metric.estimates["op"] == "=~"].set_index(["lhs", "rhs", "group"])
    assert lam.loc[("visual", "x2", 1), "est"] == lam.loc[("visual", "x2", 2), "est"]


def test_wlsmv_rejects_constant_item() -> None:
    rng = np.random.default_rng(3)
    d = pd.DataFrame(rng.integers(1, 5, size=(200, 3)), columns=["a", "b", "c"])
    d["c"] = 2
    with pytest.raises(DataError, match="single response category"):
        cfa(d, {"f": ["a", "b", "c"]}, estimator="wlsmv", ordered=True)


def test_rmsea_with_a_negative_scaling_factor_is_nan_not_an_error() -> None:
    """A fit far from its optimum can give a negative trace of UGamma; lavaan reports the
    scaling factor as NA and R's sqrt of a negative number is NaN. The RMSEA block (and so
    cfa()) returns NaN there instead of raising 'math domain error'."""
    import math

    from measurelib.psychometrics.sem._cfa import _rmsea_block

    out = _rmsea_block(30.0, 10.0, 100, 1, c_hat=-1.0)
    assert math.isnan(out["rmsea_ci_lower"]) and math.isnan(out["rmsea_ci_upper"])
    ok = _rmsea_block(30.0, 10.0, 100, 1)
    assert 0 < ok["rmsea_ci_lower"] < ok["rmsea"] < ok["rmsea_ci_upper"]
