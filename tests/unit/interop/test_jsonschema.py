"""JSON Schema (2020-12) of a response row."""

from __future__ import annotations

from typing import Any

import jsonschema

import measurelib as ml


def test_schema_is_valid_and_accepts_generated_rows(shipped: ml.Measure, rows_of: Any) -> None:
    schema = ml.export(shipped, to="jsonschema").content
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for row in rows_of(shipped, 15, seed=1):
        row = {k: val for k, val in row.items()}
        required = set(schema["required"])
        for col in required - set(row):  # required answers are present in valid rows
            row[col] = _any_valid(schema["properties"][col])
        errors = list(v.iter_errors(row))
        assert not errors, errors[0].message


def _any_valid(prop: dict[str, Any]) -> Any:
    if "enum" in prop:
        return prop["enum"][0]
    return prop.get("minimum", "x")


def test_schema_rejects_bad_rows() -> None:
    schema = ml.export("phq-9", to="jsonschema").content
    v = jsonschema.Draft202012Validator(schema)
    assert not list(v.iter_errors({"interest": 2, "respondent_id": "a", "measure_id": "phq-9"}))
    assert list(v.iter_errors({"interest": 4}))
    assert list(v.iter_errors({"interest": "Several days"}))
    assert list(v.iter_errors({"nonsense": 1}))
    assert list(v.iter_errors({"measure_id": "gad-7"}))
    ons = ml.export("ons4", to="jsonschema").content
    vo = jsonschema.Draft202012Validator(ons)
    assert not list(vo.iter_errors({"happy": 10, "anxious": None}))
    assert list(vo.iter_errors({"happy": 11}))
    assert list(vo.iter_errors({"happy": 2.5}))
