"""The outputs the tutorial states (docs/tutorial-bespoke-measure.md) are what the commands
print, run as a reader runs them on the example files: Steps 1-5 (catalog, licence, build,
lint) on the file the tutorial writes, Step 7 on docs/examples/outcomes."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = ROOT / "docs" / "tutorial-bespoke-measure.md"
EXAMPLES = ROOT / "docs" / "examples" / "outcomes"


def _blocks(marker: str = "tutorial-outputs") -> list[list[tuple[str, list[str]]]]:
    text = TUTORIAL.read_text(encoding="utf-8")
    part = "".join(piece.split(f"<!-- {marker}: end -->")[0]
                   for piece in text.split(f"<!-- {marker}: start -->")[1:])
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", part, flags=re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def test_tutorial_outputs_match(tmp_path) -> None:
    for name in ("wellbeing-check.yaml", "forms.csv", "drop-in.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    blocks = _blocks()
    assert len(blocks) == 3
    for i, steps in enumerate(blocks):
        if i == 1:  # the reader corrects row 5, as the tutorial says
            forms = tmp_path / "forms.csv"
            forms.write_text(forms.read_text().replace("basline", "baseline"))
        for command, expected in steps:
            args = shlex.split(command)
            assert args[0] == "measurelib"
            r = subprocess.run([sys.executable, "-m", "measurelib", *args[1:]],
                               capture_output=True, text=True, cwd=tmp_path, timeout=300)
            got = (r.stdout + r.stderr).rstrip("\n").splitlines()
            assert got == expected, (command, got)


def _matches(got: list[str], expected: list[str]) -> bool:
    """``expected`` with ``...`` lines standing for any lines (the tutorial's elisions)."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(_matches(got[k:], expected[1:]) for k in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and _matches(got[1:], expected[1:])


def test_tutorial_build_outputs_match(tmp_path) -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    (tmp_path / "wellbeing-check.yaml").write_text(
        re.search(r"```yaml\n(format: 1\n.*?)```", text, flags=re.S).group(1), encoding="utf-8")
    shutil.copy(ROOT / "instruments" / "examples" / "swemwbs-overlay.example.yaml",
                tmp_path / "swemwbs-text.yaml")
    blocks = _blocks("tutorial-build-outputs")
    commands = [command for steps in blocks for command, _ in steps]
    assert [c.split()[1] for c in commands] == ["catalog", "licence", "build", "lint"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "80"}
    for steps in blocks:
        for command, expected in steps:
            args = shlex.split(command)
            r = subprocess.run([sys.executable, "-m", "measurelib", *args[1:]], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=tmp_path, timeout=300)
            got = r.stdout.rstrip("\n").splitlines()
            assert r.returncode == 0, (command, got)
            assert _matches(got, expected), (command, got)
