"""The outputs the tutorial states (docs/tutorial-bespoke-measure.md, Step 7) are what the
commands print, run as a reader runs them on the example files."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = ROOT / "docs" / "tutorial-bespoke-measure.md"
EXAMPLES = ROOT / "docs" / "examples" / "outcomes"


def _blocks() -> list[list[tuple[str, list[str]]]]:
    text = TUTORIAL.read_text(encoding="utf-8")
    part = text.split("<!-- tutorial-outputs: start -->")[1].split(
        "<!-- tutorial-outputs: end -->")[0]
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
