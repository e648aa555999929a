"""The shipped catalog index: current, used while files are unchanged, ignored once stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from measurelib.definition import _catalog

ROOT = Path(__file__).resolve().parents[3]


def test_committed_index_is_current() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_catalog_index.py"),
                          "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "instruments"
    shutil.copytree(ROOT / "instruments", root)
    return root


def test_index_is_used_while_files_are_unchanged(tmp_path: Path, monkeypatch) -> None:
    root = _copy(tmp_path)
    index = json.loads((root / _catalog.INDEX_NAME).read_text())
    for f in index["files"]:
        if f["entry"] and f["entry"]["id"] == "phq-9":
            f["entry"]["title"] = "FROM THE INDEX"
    (root / _catalog.INDEX_NAME).write_text(json.dumps(index))
    calls: list[Path] = []
    real = _catalog._entry_fields
    monkeypatch.setattr(_catalog, "_entry_fields", lambda p, raw: calls.append(p) or real(p, raw))
    entries = {e.id: e for e in _catalog._scan(str(root))}
    assert entries["phq-9"].title == "FROM THE INDEX"  # served from the index ...
    assert calls == []  # ... and no YAML file was parsed


def test_stale_index_entry_is_not_used(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    phq = root / "phq-9.yaml"
    phq.write_text(phq.read_text().replace("version: 1.0.0", "version: 1.0.1", 1))
    (root / "new-measure.yaml").write_text((ROOT / "instruments" / "gad-7.yaml").read_text()
                                           .replace("id: gad-7", "id: gad-7-copy", 1))
    (root / "gbo.yaml").unlink()
    entries = {e.id: e for e in _catalog._scan(str(root))}
    assert entries["phq-9"].version == "1.0.1"
    assert "gad-7-copy" in entries and "gbo" not in entries


def test_broken_index_falls_back_to_the_files(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / _catalog.INDEX_NAME).write_text("{not json")
    ids = {e.id for e in _catalog._scan(str(root))}
    assert {"phq-9", "gad-7", "swemwbs"} <= ids
