"""Provenance of the IRT test data: every file is produced by a committed script.

The synthetic files must be reproduced byte for byte by
``tests/reference/make_irt_synthetic.py``; the LSAT files are exported from Debian's rpf
by ``tests/reference/export_datasets.R`` (R is not needed to run the suite, so their
shape is checked here and their content by the golden tests).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

TESTS = Path(__file__).resolve().parents[2]
DATA = TESTS / "data"
REFERENCE = TESTS / "reference"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_irt_synthetic", REFERENCE / "make_irt_synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["irt_graded_synthetic.csv", "irt_mixed_synthetic.csv"])
def test_synthetic_files_are_reproduced_by_their_generator(name: str) -> None:
    gen = _generator()
    text = gen.to_csv_text(gen.FILES[name]())
    assert (DATA / name).read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", ["irt_graded_synthetic.csv", "irt_mixed_synthetic.csv"])
def test_synthetic_files_have_the_shape_of_a_short_attitude_scale(name: str) -> None:
    data = pd.read_csv(DATA / name)
    assert data.shape == (400, 4)
    assert list(data.columns) == ["item1", "item2", "item3", "item4"]
    for item in data:
        # every category observed: OpenMx and measurelib then see the same 4 categories
        assert sorted(data[item].unique()) == [1, 2, 3, 4], item


def test_generator_writes_both_files(tmp_path: Path) -> None:
    gen = _generator()
    gen.main(tmp_path)
    for name in gen.FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()


@pytest.mark.parametrize(("name", "patterns"), [("lsat6_patterns.csv", 30),
                                                ("lsat7_patterns.csv", 32)])
def test_lsat_pattern_files(name: str, patterns: int) -> None:
    d = pd.read_csv(DATA / name)
    assert len(d) == patterns and d["freq"].sum() == 1000
    assert d.drop(columns="freq").isin([0, 1]).all().all()
    assert not d.drop(columns="freq").duplicated().any()
    script = (REFERENCE / "export_datasets.R").read_text()
    assert f'"{name}"' in script


def test_every_irt_data_file_has_a_provenance_entry() -> None:
    readme = (DATA / "README.md").read_text()
    listed = set(re.findall(r"^- `([^`]+\.csv)`", readme, flags=re.M))
    irt_files = {p.name for p in DATA.glob("*.csv")
                 if p.name.startswith(("irt_", "lsat"))}
    assert irt_files <= listed
    assert {p for p in listed if not (DATA / p).exists()} == set()


def test_no_test_or_doc_reads_data_without_a_source() -> None:
    # science.csv (ltm/mirt's Euro-Barometer data) has no Debian source and was removed
    assert not (DATA / "science.csv").exists()
    for folder in (TESTS, TESTS.parent / "docs"):
        for path in folder.rglob("*"):
            if path.suffix in {".py", ".R", ".md", ".json"} and path != Path(__file__):
                assert "science.csv" not in path.read_text(encoding="utf-8"), path
