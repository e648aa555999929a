from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import EXAMPLES, HEAD


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_build_writes_identical_files_twice(tmp_path: Path) -> None:
    out1, out2 = tmp_path / "a.yaml", tmp_path / "b.yaml"
    r1 = run("build", str(EXAMPLES / "charity-wellbeing.yaml"), "-o", str(out1))
    r2 = run("build", str(EXAMPLES / "charity-wellbeing.yaml"), "-o", str(out2))
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr
    assert out1.read_bytes() == out2.read_bytes()
    assert "licence: swemwbs 1.0.0: requires registration" in r1.stderr
    assert "built charity-wellbeing 1.0.0: 10 items" in r1.stdout
    assert run("validate", str(out1)).returncode == 0


def test_build_licence_violation_exit_1(tmp_path: Path) -> None:
    r = run("build", str(EXAMPLES / "breaks-licence.yaml"), "-o", str(tmp_path / "x.yaml"))
    assert r.returncode == 1
    assert "breaks-licence.yaml:20:11" in r.stderr and "licence-modification" in r.stderr
    assert "Use all 7 items" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_build_unknown_source_exit_1_with_position(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + "compose:\n  - from: nosuch@1.0.0\n")
    r = run("build", str(path))
    assert r.returncode == 1
    assert f"{path}:7:11" in r.stderr and "compose-unknown-source" in r.stderr


def test_build_missing_file_exit_2(tmp_path: Path) -> None:
    r = run("build", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_build_overlay_option_and_stdout(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    r = run("build", str(path))
    assert r.returncode == 1 and "overlay-missing" in r.stderr
    r = run("build", str(path), "--overlay", str(EXAMPLES / "swemwbs-overlay.example.yaml"))
    assert r.returncode == 0 and "PLACEHOLDER" in r.stdout and "lock:" in r.stdout


def test_build_version_map_json(tmp_path: Path) -> None:
    ex = str(EXAMPLES / "battery-phq9-gad7.yaml")
    r = run("build", ex, "--version-map", ex, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version_map"]["comparable"] is True
    assert doc["scores"] == ["phq-9_total", "gad-7_total"]


def test_licence_command_text_and_json() -> None:
    r = run("licence", str(EXAMPLES / "charity-wellbeing.yaml"))
    assert r.returncode == 0
    assert "swemwbs@1.0.0" in r.stdout and "licences respected" in r.stdout
    assert "Attribution lines" in r.stdout
    r = run("licence", str(EXAMPLES / "breaks-licence.yaml"), "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["rows"][0]["status"] == "violation"
    assert doc["rows"][0]["holder"].startswith("NHS Health Scotland")
