"""Golden exports of PHQ-9 and a translated example in every format.

Any change to an export shows up as a diff against the files in this folder.
After an intended change, regenerate and review the diff:

    MEASURELIB_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden/interop
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import measurelib as ml

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = Path(__file__).resolve().parent
MEASURES = {"phq-9": "phq-9",
            "feeling-today": str(ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml")}
FORMATS = {"fhir": "fhir.json", "xlsform": "xlsform.json", "redcap": "redcap.csv",
           "jsonschema": "schema.json"}


def _stable(res: Any) -> str:
    """The export as stable text (an XLSForm's sheets as JSON: workbooks hold timestamps)."""
    if res.format == "xlsform":
        wb = load_workbook(io.BytesIO(res.content))
        sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
                  for ws in wb.worksheets}
        return json.dumps(sheets, indent=1, ensure_ascii=False) + "\n"
    if isinstance(res.content, str):
        return res.content
    return json.dumps(res.content, indent=1, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", list(MEASURES))
def test_golden(name: str, fmt: str) -> None:
    res = ml.export(MEASURES[name], to=fmt)
    text = _stable(res)
    path = GOLDEN / f"{name}.{FORMATS[fmt]}"
    if os.environ.get("MEASURELIB_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing {path}: run with MEASURELIB_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} → {fmt} changed; if intended, regenerate with MEASURELIB_UPDATE_GOLDEN=1")
