"""link() and short_form()."""

from __future__ import annotations

import numpy as np
import pytest

import measurelib as ml


@pytest.fixture(scope="module")
def bank() -> ml.psychometrics.IRTResult:
    df = ml.psychometrics.simulate_irt(n=3000, n_items=10, n_categories=4, seed=1)
    return ml.psychometrics.irt(df, se=None)


def test_link_recovers_the_metric_shift(bank: ml.psychometrics.IRTResult) -> None:
    # the same items calibrated in a population N(0.5, 1.3^2): its own N(0, 1) metric
    # differs from the bank's by theta_bank = 1.3 theta_new + 0.5
    a = np.asarray(bank.coef["a"])
    d = bank.coef.drop(columns="a").to_numpy()
    df = ml.psychometrics.simulate_irt(n=3000, a=a, d=d, seed=2,
                                       theta=np.random.default_rng(5).normal(0.5, 1.3, 3000))
    new = ml.psychometrics.irt(df, se=None)
    for method in ("stocking-lord", "mean-sigma"):
        res = ml.psychometrics.link(new, bank, method=method)
        const = res.constants[method]
        assert const["A"] == pytest.approx(1.3, abs=0.1)
        assert const["B"] == pytest.approx(0.5, abs=0.1)
    assert res.linked.group_means[0] == pytest.approx(res.constants["mean-sigma"]["B"])
    np.testing.assert_allclose(res.linked.coef["a"], bank.coef["a"], atol=0.2)
    assert set(res.to_frame()["method"]) == {"stocking-lord", "mean-sigma"}


def test_link_of_a_calibration_to_itself_is_the_identity(bank: ml.psychometrics.IRTResult) -> None:
    res = ml.psychometrics.link(bank, bank, anchors=bank.items[:5])
    const = res.constants["stocking-lord"]
    assert const["A"] == pytest.approx(1, abs=1e-6)
    assert const["B"] == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match="parameter 'anchors'"):
        ml.psychometrics.link(bank, bank, anchors=["nope"])
    with pytest.raises(ValueError, match="parameter 'method'"):
        ml.psychometrics.link(bank, bank, method="haebara")


def test_short_form_takes_the_most_informative_items(bank: ml.psychometrics.IRTResult) -> None:
    sf = ml.psychometrics.short_form(bank, 4, target=(-1.0, 2.0))
    best = sf.information["information"].sort_values(ascending=False).index[:4]
    assert set(sf.items) == set(best) and sf.n_items == 4
    assert 0 < sf.reliability < 1 and len(sf.conversion) == 4 * 3 + 1
    assert sf.conversion["sum"].iloc[0] == 4  # categories 1..4


def test_short_form_constraints(bank: ml.psychometrics.IRTResult) -> None:
    tags = {i: ["even" if k % 2 else "odd"] for k, i in enumerate(bank.items)}
    sf = ml.psychometrics.short_form(bank, 6, constraints={"odd": (3, 3), "even": (0, 3)},
                                     tags=tags)
    got = [tags[i][0] for i in sf.items]
    assert got.count("odd") == 3 and got.count("even") == 3
    with pytest.raises(ValueError, match="allow only"):
        ml.psychometrics.short_form(bank, 8, constraints={"odd": (0, 3), "even": (0, 3)},
                                    tags=tags)
    with pytest.raises(ValueError, match="parameter 'n_items'"):
        ml.psychometrics.short_form(bank, 0)


def test_results_serialise(bank: ml.psychometrics.IRTResult) -> None:
    import json

    link = json.loads(ml.psychometrics.link(bank, bank).to_json())
    assert "design_" not in link["linked"] and link["linked"]["items"] == bank.items
    sf = json.loads(ml.psychometrics.short_form(bank, 3).to_json())
    assert len(sf["items"]) == 3 and sf["conversion"][0]["sum"] == 3
