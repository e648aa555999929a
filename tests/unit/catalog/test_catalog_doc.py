"""docs/catalog.md is generated from instruments/*.yaml and must stay in step with them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "gen_catalog_doc.py"


def _module():
    spec = importlib.util.spec_from_file_location("gen_catalog_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_catalog_page_equals_generated() -> None:
    committed = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert committed == _module().render(), (
        "docs/catalog.md is out of date: run python scripts/gen_catalog_doc.py")


def test_check_mode_exit_code() -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr


def test_page_lists_every_shipped_measure_with_its_licence() -> None:
    import measurelib as ml

    text = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    mod = _module()
    for entry in ml.catalog():
        if entry.kind != "measure":
            continue
        measure = ml.load(entry.path)
        assert f"| [`{measure.id}`](#" in text
        assert f"## {measure.text(measure.title)} (`{measure.id}`)" in text
        assert mod.licence_line(measure) in text
