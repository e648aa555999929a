"""`measurelib calibrate` and `measurelib shortform`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import measurelib as ml

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "instruments" / "banks" / "wellbeing-bank.yaml"
DATA = ROOT / "instruments" / "examples" / "data" / "wellbeing-bank-simulated.csv"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, timeout=300)


def test_calibrate_writes_a_calibrated_bank(tmp_path: Path) -> None:
    out = tmp_path / "calibrated.yaml"
    res = run("calibrate", str(BANK), str(DATA), "--simulated", "--date", "2026-12-04",
              "--metric", "T:50:10", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "SIMULATED" in res.stdout and "marginal reliability" in res.stdout
    m = ml.load(out)
    assert m.calibration is not None and m.calibration.sample.simulated
    assert m.calibration.metric.name == "T" and m.calibration.date == "2026-12-04"


def test_calibrate_bad_metric_and_missing_file_exit_2(tmp_path: Path) -> None:
    res = run("calibrate", str(BANK), str(DATA), "--metric", "T50")
    assert res.returncode == 2 and "NAME:MEAN:SD" in res.stderr and "Traceback" not in res.stderr
    res = run("calibrate", str(BANK), str(tmp_path / "nope.csv"))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_shortform_prints_its_table_and_builds(tmp_path: Path) -> None:
    out = tmp_path / "short.yaml"
    res = run("shortform", str(BANK), "-n", "6", "--target", "35", "60", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "6-item short form" in res.stdout and "sum" in res.stdout and "T" in res.stdout
    built = tmp_path / "short.built.yaml"
    res = run("build", str(out), "-o", str(built))
    assert res.returncode == 0, res.stderr
    m = ml.load(built)
    assert len(m.items) == 6 and all(it.irt is not None for it in m.items)
    assert m.calibration is not None and m.calibration.subset_of == "wellbeing-bank@1.0.0"
    assert m.lock is not None
    assert "6 of 14 calibrated items, scored on the bank's metric (T = 50 + 10θ)" in \
        str(m.lock.sources[0].use)
    # how the items were chosen is kept: in the composer, in the lock, and the built form
    # is checked over the target it was chosen for
    composer = ml.load(out)
    sel = composer.compose[0].selection
    assert sel is not None and sel.n_items == 6 and sel.target is not None
    assert sel.target.score == [35.0, 60.0] and sel.target.theta is None
    assert sel.software == "measurelib" and sel.reliability is not None
    locked = m.lock.sources[0].selection
    assert locked is not None and locked.target is not None
    assert locked.target.score == [35.0, 60.0] and locked.n_items == 6
    assert m.calibration.target is not None and m.calibration.target.score == [35.0, 60.0]
    theta = tmp_path / "theta.yaml"
    res = run("shortform", str(BANK), "-n", "5", "--target", "-1", "0.5", "--theta",
              "--tag", "coping:1:2", "-o", str(theta))
    assert res.returncode == 0, res.stderr
    sel = ml.load(theta).compose[0].selection
    assert sel is not None and sel.target is not None and sel.target.theta == [-1.0, 0.5]
    assert sel.constraints == {"coping": [1, 2]}
    js = run("shortform", str(BANK), "-n", "4", "--format", "json")
    doc = json.loads(js.stdout)
    assert len(doc["items"]) == 4 and doc["conversion"]


def test_shortform_multi_trait_bank_needs_a_trait() -> None:
    res = run("shortform", str(ROOT / "instruments" / "banks" / "ipip-bfi.yaml"), "-n", "3")
    assert res.returncode == 2 and "several traits" in res.stderr and "Traceback" not in res.stderr
