"""The JSON Schema (Draft 2020-12) of the definition format, generated from the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from measurelib.definition._model import Measure

__all__ = ["SCHEMA_ID", "generate_schema", "load_schema", "schema_path", "schema_text"]

SCHEMA_ID = "https://measurelib.org/schema/measure-1.schema.json"


def generate_schema() -> dict[str, Any]:
    """Generate the JSON Schema of a measure definition from the pydantic model."""
    schema = Measure.model_json_schema(by_alias=True, mode="validation")
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "measurelib measure definition (format 1)",
        "description": "A patient-reported outcome measure, item bank or bespoke measure, "
        "as read by measurelib. See docs/format.md.",
    }
    out.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    return out


def schema_text() -> str:
    """The schema as the committed file holds it (stable key order, trailing newline)."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The committed schema file."""
    return json.loads(schema_path().read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def schema_path() -> Path:
    """The committed JSON Schema file of the definition format (``measurelib/schema/``)."""
    return Path(__file__).resolve().parent.parent / "schema" / "measure.schema.json"
