"""The CLI's foundation commands, run as a user runs them: a subprocess, exit codes, output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_validate_shipped_instruments() -> None:
    files = sorted(str(p) for p in (ROOT / "instruments").glob("*.yaml"))
    out = run("validate", *files)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(files)} file(s) checked: {len(files)} valid" in out.stdout
    assert "Traceback" not in out.stderr


def test_validate_invalid_file_exit_1(write_yaml, minimal_yaml: str) -> None:  # type: ignore[no-untyped-def]
    path = write_yaml(minimal_yaml.replace("scale: freq}", "scale: frq}", 1), "bad.yaml")
    out = run("validate", str(path))
    assert out.returncode == 1
    assert f"{path}:19:" in out.stdout
    assert "error[unknown-scale]" in out.stdout and "hint: Did you mean 'freq'?" in out.stdout
    assert "Traceback" not in out.stderr


def test_validate_json(write_yaml, minimal_yaml: str) -> None:  # type: ignore[no-untyped-def]
    good = write_yaml(minimal_yaml, "good.yaml")
    bad = write_yaml(minimal_yaml.replace("format: 1", "format: 1\nformat: 1"), "bad.yaml")
    out = run("validate", "--format", "json", str(good), str(bad))
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["valid"] is False
    assert [f["valid"] for f in doc["files"]] == [True, False]
    err = doc["files"][1]["errors"][0]
    assert err["code"] == "yaml-duplicate-key"
    assert err["location"] == {"file": str(bad), "line": 2, "column": 1, "path": "format"}
    assert err["hint"]


def test_validate_missing_file_is_usage_error(tmp_path: Path) -> None:
    out = run("validate", str(tmp_path / "missing.yaml"))
    assert out.returncode == 2
    assert "file-not-found" in out.stdout


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    out = run("validate")
    assert out.returncode == 2 and "error:" in out.stderr
    assert run("no-such-command").returncode == 2


def test_strict_turns_warnings_into_failure(write_yaml, minimal_yaml: str) -> None:  # type: ignore[no-untyped-def]
    path = write_yaml(minimal_yaml.replace("{value: 0, label: Never}",
                                           "{value: 0, label: Never, graphic: faces/1}"))
    assert run("validate", str(path)).returncode == 0
    out = run("validate", "--strict", str(path))
    assert out.returncode == 1 and "graphic-without-alt" in out.stdout


def test_schema_command_prints_committed_schema() -> None:
    out = run("schema")
    assert out.returncode == 0
    committed = (ROOT / "src/measurelib/schema/measure.schema.json").read_text(encoding="utf-8")
    assert out.stdout == committed
    assert json.loads(out.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_catalog_lists_shipped_measures(fmt: str) -> None:
    out = run("catalog", "--format", fmt)
    assert out.returncode == 0
    if fmt == "json":
        ids = {e["id"] for e in json.loads(out.stdout)}
        assert {"phq-9", "swemwbs"} <= ids
    else:
        assert "phq-9" in out.stdout and "licence" in out.stdout.splitlines()[0]


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("measurelib ")
