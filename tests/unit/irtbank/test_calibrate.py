"""Calibrating a bank writes irt blocks and provenance that score as the fit does."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.assessment import calibrate
from measurelib.errors import DataError
from measurelib.psychometrics import conversion_table, measure_bank, short_form_measure

ROOT = Path(__file__).resolve().parents[3]
WELLBEING = ROOT / "instruments" / "banks" / "wellbeing-bank.yaml"
SIMULATED = ROOT / "instruments" / "examples" / "data" / "wellbeing-bank-simulated.csv"
IPIP = ROOT / "instruments" / "banks" / "ipip-bfi.yaml"


def test_calibration_round_trips_to_the_same_scores() -> None:
    res = calibrate(WELLBEING, SIMULATED, simulated=True, date="2026-12-04")
    m = res.measure
    cal = m.calibration
    assert cal is not None and cal.sample.simulated and cal.sample.n == 1500
    assert cal.software == "measurelib" and cal.date == "2026-12-04"
    assert cal.fit[0].items == 14 and 0.8 < (cal.fit[0].rxx or 0) < 1
    # the written parameters are the fit's (IRT parametrisation)
    fit = res.fits["all"]
    got = measure_bank(m).coef
    np.testing.assert_allclose(got.to_numpy(), fit.coef.loc[got.index].to_numpy(), atol=1e-5)
    # and the YAML reads back equal
    assert ml.loads(res.to_yaml()) == m


def test_reverse_keyed_items_calibrate_on_scored_values_with_positive_slopes() -> None:
    m = ml.load(IPIP)
    assert all(it.irt is not None and it.irt.a > 0 for it in m.items)
    assert m.item("a1").reverse and m.item("a1").irt.trait == "agreeableness"


def test_an_unchosen_option_is_a_located_data_error() -> None:
    data = pd.read_csv(SIMULATED)
    data.loc[data["cope_solve"] == 1, "cope_solve"] = 2
    with pytest.raises(DataError) as exc:
        calibrate(WELLBEING, data)
    (d,) = exc.value.errors
    assert d.code == "irt-empty-category" and d.location.field == "cope_solve"
    assert "scored value(s) 1" in d.message


def test_shipped_bank_blocks_match_a_fresh_calibration() -> None:
    """The committed parameters are what scripts/calibrate_banks.py computes (rounded)."""
    shipped = ml.load(WELLBEING)
    fresh = calibrate(WELLBEING, SIMULATED, simulated=True).measure
    for it in shipped.items:
        if it.irt is not None:
            new = fresh.item(it.id).irt
            assert new is not None
            assert it.irt.a == pytest.approx(new.a, abs=1e-4)
            np.testing.assert_allclose(it.irt.b, new.b, atol=1e-4)
            # the parameters' standard errors are shipped too (nested `se:` blocks)
            assert it.irt.se is not None and new.se is not None
            assert it.irt.se.a == pytest.approx(new.se.a, abs=1e-4)
            np.testing.assert_allclose(it.irt.se.b, new.se.b, atol=1e-4)


@pytest.mark.parametrize("path", [WELLBEING, IPIP], ids=["wellbeing", "ipip"])
def test_shipped_banks_carry_parameter_ses(path: Path) -> None:
    bank = ml.load(path)
    calibrated = [it for it in bank.items if it.irt is not None]
    assert calibrated
    for it in calibrated:
        assert it.irt is not None and it.irt.se is not None, it.id
        assert it.irt.se.a is not None and 0 < it.irt.se.a < 1
        assert it.irt.se.b is not None and len(it.irt.se.b) == len(it.irt.b or [])


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "calibrate_banks", ROOT / "scripts" / "calibrate_banks.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_calibrate_banks_script_writes_nested_blocks_in_place(tmp_path: Path) -> None:
    """The script patches flow and block items with nested `se:` maps, keeps the comments,
    and patching twice changes nothing."""
    script = _script()
    text = WELLBEING.read_text(encoding="utf-8")
    # strip every irt entry: the script must put them back where they were
    bare = "\n".join(script._strip_irt(line) for line in text.split("\n"))
    bare = "\n".join(line for line in bare.split("\n") if not line.lstrip().startswith("irt:"))
    assert "irt:" not in bare.split("# --- calibration")[0]
    path = tmp_path / "bank.yaml"
    path.write_text(bare, encoding="utf-8")
    shipped = ml.load(WELLBEING)
    once = script.patch(path, shipped)
    assert once == text
    path.write_text(once, encoding="utf-8")
    assert script.patch(path, shipped) == once
    back = ml.load(path)
    for it in shipped.items:
        assert back.item(it.id).irt == it.irt
    comments = [ln for ln in text.split("\n") if ln.lstrip().startswith("#")]
    assert comments and all(c in once.split("\n") for c in comments)
    assert script._flow({"a": 1.5, "se": {"a": 0.1, "b": [0.2, 0.3]}}) == \
        "{a: 1.5, se: {a: 0.1, b: [0.2, 0.3]}}"


def test_short_form_keeps_the_bank_metric_and_its_table_scores_equal() -> None:
    bank = ml.load(WELLBEING)
    sf = short_form_measure(bank, 6, score_target=(35, 60))
    assert len(sf.items) == 6
    table = sf.conversion
    assert table.attrs["metric"] == "T"
    assert table["sum"].iloc[0] == 6 and table["sum"].iloc[-1] == 30
    # the printed table equals conversion_table of the chosen items on the bank
    np.testing.assert_allclose(table["score"], conversion_table(bank, sf.items)["score"])
    # target on theta and on the metric agree
    same = short_form_measure(bank, 6, target=(-1.5, 1.0))
    assert same.items == sf.items


def test_ipip_bank_maps_to_the_bfi_columns_and_reverse_keys() -> None:
    """The shipped IPIP parameters equal a direct calibration of bfi's columns A1..A5
    (A1 reversed: 7 - A1), so codes map to the right columns and keys."""
    bfi = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv")
    data = bfi[["A1", "A2", "A3", "A4", "A5"]].copy()
    data["A1"] = 7 - data["A1"]
    fit = ml.psychometrics.irt(data, se=None)
    bank = ml.load(IPIP)
    for col in data.columns:
        item = bank.item(col.lower()).irt
        assert item is not None and item.trait == "agreeableness"
        assert item.a == pytest.approx(float(fit.coef_irt.loc[col, "a"]), abs=2e-4)
        np.testing.assert_allclose(item.b, fit.coef_irt.loc[col].iloc[1:].to_numpy(float),
                                   atol=2e-4)
    assert bank.calibration is not None and bank.calibration.sample.n == 2800
    assert {f.trait for f in bank.calibration.fit} == {
        "agreeableness", "conscientiousness", "extraversion", "neuroticism", "openness"}
