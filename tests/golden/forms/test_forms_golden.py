"""Golden snapshots of rendered forms: catch unintended template changes.

The snapshots are normalised: the inlined CSS is replaced by its SHA-256 and each embedded
picture by a short hash, so a change to the stylesheet, a pictogram or the markup shows up
as a one-line diff. After an intended change, regenerate them with::

    MEASURELIB_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden/forms -q

and review the diff before committing.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path

import pytest

import measurelib as ml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"
NASTY = ROOT / "tests" / "unit" / "render" / "data" / "nasty.yaml"
UPDATE = os.environ.get("MEASURELIB_UPDATE_GOLDEN") == "1"

CASES: dict[str, tuple[str, str, dict[str, object]]] = {
    "phq-9.html": ("phq-9", "html", {"action": "/submit"}),
    "phq-9.print.html": ("phq-9", "print", {}),
    "phq-9.script.html": ("phq-9", "script", {}),
    "phq-9.script.txt": ("phq-9", "script-text", {}),
    "feeling-today.html": (str(EXAMPLE), "html", {}),
    "feeling-today.cy.html": (str(EXAMPLE), "html", {"lang": "cy"}),
    "feeling-today.ar.print.html": (str(EXAMPLE), "print", {"lang": "ar"}),
    "feeling-today.proxy-easy-read.html": (str(EXAMPLE), "html",
                                           {"respondent": "proxy", "easy_read": True,
                                            "large_print": True}),
    "feeling-today.script.txt": (str(EXAMPLE), "script-text", {"lang": "cy"}),
    "feeling-today.proxy.print.html": (str(EXAMPLE), "print", {"respondent": "proxy"}),
    "nasty.html": (str(NASTY), "html", {}),
}


def _short(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def normalise(text: str) -> str:
    """Replace the inlined CSS and embedded pictures by hashes; strip trailing spaces."""
    text = re.sub(r"(<style>\n?)(.*?)(</style>)",
                  lambda m: f"{m.group(1)}/* css sha256:{_short(m.group(2))} */\n{m.group(3)}",
                  text, flags=re.S)
    text = re.sub(r"data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)",
                  lambda m: f"data:{m.group(1)};sha256:{_short(m.group(2))}", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_form_matches_golden(name: str) -> None:
    source, fmt, options = CASES[name]
    with warnings.catch_warnings():
        # proxy / easy-read forms name the questions that fall back (tested in tests/unit)
        warnings.simplefilter("ignore", ml.VariantFallbackWarning)
        rendered = normalise(str(ml.load(source).render(fmt, **options)))
    golden = HERE / name
    if UPDATE or not golden.exists():
        if not UPDATE:
            pytest.fail(f"no golden file {golden.name}; run with MEASURELIB_UPDATE_GOLDEN=1")
        golden.write_text(rendered, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    assert rendered == expected, (
        f"{name} differs from its golden snapshot. If the change is intended, regenerate with "
        "MEASURELIB_UPDATE_GOLDEN=1 and review the diff.")
