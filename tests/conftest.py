"""Shared test configuration.

The hypothesis profile is chosen with MEASURELIB_HYPOTHESIS_PROFILE (``dev`` by default,
``ci`` under CI=true: more examples, no deadline).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None)
_default = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("MEASURELIB_HYPOTHESIS_PROFILE", _default))

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INSTRUMENTS = ROOT / "instruments"


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write dedented YAML text to a file in a temporary folder and return its path."""

    def _write(text: str, name: str = "measure.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


#: A minimal valid definition, as text, that tests change one thing at a time.
MINIMAL = """\
format: 1
id: test-measure
version: 1.0.0
title: Test measure
licence:
  holder: Test holder
  spdx: CC-BY-4.0
  text_redistribution: allowed
  modification: allowed
scales:
  freq:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
items:
  - {id: a, text: First question, scale: freq}
  - {id: b, text: Second question, scale: freq}
  - {id: c, text: Third question, scale: freq, reverse: true}
scores:
  - id: total
    items: all
    method: sum
    bands:
      - {max: 3, label: Low}
      - {max: 6, label: Middle}
      - {label: High}
"""


@pytest.fixture
def minimal_yaml() -> str:
    return MINIMAL
