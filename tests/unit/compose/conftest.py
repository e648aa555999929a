from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "instruments" / "examples"

BANK = """\
format: 1
id: test-bank
version: 1.0.0
kind: bank
title: Test bank
licence: {holder: Test holder, spdx: CC-BY-4.0, text_redistribution: allowed,
          modification: allowed, attribution: Test bank CC BY 4.0}
scales:
  agree5:
    type: ordinal
    options:
      - {value: 1, label: Strongly disagree}
      - {value: 2, label: Disagree}
      - {value: 3, label: Not sure}
      - {value: 4, label: Agree}
      - {value: 5, label: Strongly agree}
items:
  - {id: talk, text: I have someone I can talk to., scale: agree5}
  - {id: cope, text: I can cope when things go wrong., scale: agree5}
  - {id: calm, text: I can calm myself down., scale: agree5}
"""

HEAD = """\
format: 1
id: bespoke
version: 1.0.0
title: Bespoke
licence: {holder: Us, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return _write


@pytest.fixture
def bank(write: Callable[[str, str], Path]) -> Path:
    return write("bank.yaml", BANK)
