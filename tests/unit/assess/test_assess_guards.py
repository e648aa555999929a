"""assess gives no verdict it cannot stand behind: non-converged, improper or under-powered
results are "not assessable", duplicates are found, and no reliable-change threshold comes
from an unreliable score."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.assessment import MIN_RCI_RELIABILITY, assess, responses_from_store, write_rci

ROOT = Path(__file__).resolve().parents[3]
BFI = ROOT / "tests" / "data" / "bfi.csv"
BANK = ROOT / "instruments" / "banks" / "ipip-bfi.yaml"
PHQ9 = ml.load("phq-9")


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _phq_frame(values: np.ndarray) -> pd.DataFrame:
    items = [it.id for it in PHQ9.items[:9]]
    df = pd.DataFrame(values[:, :9], columns=items)
    df.insert(0, "respondent_id", [f"r{i}" for i in range(len(df))])
    return df


def test_pure_noise_gets_no_structural_verdict() -> None:
    rng = np.random.default_rng(1)
    df = _phq_frame(rng.integers(0, 4, size=(3000, 9)))
    res = _quiet(assess, PHQ9, df, n_iter=5, seed=1)
    cfa = [v for v in res.verdicts if v.topic.startswith("Structural validity")]
    assert cfa and all(v.status != "meets" for v in cfa)
    assert any(v.status == "not assessable" for v in cfa)
    # no reliable-change threshold from an alpha near 0, with the rule stated
    rc = [v for v in res.verdicts if v.topic.startswith("Reliable change")]
    assert rc and rc[0].status == "not assessable" and rc[0].value is None
    assert f"{MIN_RCI_RELIABILITY:.2f}" in rc[0].text
    with pytest.raises(ValueError, match="no reliable-change threshold"):
        write_rci(PHQ9, res)


def test_tiny_sample_gets_no_factor_verdicts() -> None:
    df = pd.read_csv(BFI).iloc[:25].copy()
    res = _quiet(assess, ml.load(BANK), df, on_invalid="missing", n_iter=5, seed=7)
    statuses = {v.topic: v.status for v in res.verdicts}
    assert statuses["Sample size"] == "cannot conclude"
    for topic, status in statuses.items():
        if topic.startswith(("Structural validity", "Factor", "Dimensionality",
                             "Sampling adequacy")):
            assert status != "meets", (topic, status)
    assert statuses.get("Structural validity (CFA)") in (None, "not assessable")


def test_duplicates_are_found_and_not_counted_twice() -> None:
    df = pd.read_csv(BFI).iloc[:300].copy()
    df.insert(0, "respondent_id", [f"p{i}" for i in range(len(df))])
    twice = pd.concat([df, df], ignore_index=True)
    res = _quiet(assess, ml.load(BANK), twice, on_invalid="missing", n_iter=5, seed=7)
    assert res.sample["n_same_id"] == 300 and res.sample["n_used"] == 300
    assert any("repeat a respondent id" in w for w in res.warnings)
    # without ids: identical rows are reported and the sample is rated on distinct rows
    res = _quiet(assess, ml.load(BANK), twice.drop(columns="respondent_id"),
                 on_invalid="missing", n_iter=5, seed=7)
    assert res.sample["n_identical"] >= 290
    size = [v for v in res.verdicts if v.topic == "Sample size"][0]
    assert size.value is not None and size.value <= 300
    assert any("exact copies" in w for w in res.warnings)


def test_assess_reads_the_store(tmp_path) -> None:
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(200, 1))
    vals = np.clip(np.round(1.5 + latent + rng.normal(scale=0.6, size=(200, 9))), 0, 3)
    df = _phq_frame(vals.astype(int))
    df["timepoint"] = "baseline"
    df["date"] = "2025-01-01"
    df["Q10"] = 0 if "Q10" in df.columns else None
    store = ml.Store(tmp_path / "s.db")
    store.import_frame(PHQ9, df.drop(columns=["Q10"]))
    got = responses_from_store(store, PHQ9)
    assert len(got) == 200 and "respondent_id" in got.columns
    store.close()
    r = subprocess.run([sys.executable, "-m", "measurelib", "assess", "phq-9", "--db",
                        str(tmp_path / "s.db"), "--iterations", "5", "--format", "json"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '"n_used": 200' in r.stdout
