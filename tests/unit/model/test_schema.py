"""The committed JSON Schema is the generated one, and every shipped file satisfies it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import measurelib as ml
from measurelib.definition import generate_schema, load_schema, parse_document, schema_text

ROOT = Path(__file__).resolve().parents[3]
def _is_definition(path: Path) -> bool:
    data = parse_document(path.read_text(encoding="utf-8"), str(path)).data
    return isinstance(data, dict) and "format" in data


SHIPPED = sorted(p for p in (ROOT / "instruments").rglob("*.yaml") if _is_definition(p))


def test_committed_schema_is_generated_schema() -> None:
    committed = (ROOT / "src/measurelib/schema/measure.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: measurelib schema -o src/measurelib/schema/measure.schema.json"
    assert load_schema() == generate_schema()


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)  # raises SchemaError if not
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"format", "id", "version", "title", "items"} <= set(schema["properties"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_validates_against_schema(path: Path) -> None:
    data = parse_document(path.read_text(encoding="utf-8"), str(path)).data
    as_json = json.loads(json.dumps(data))  # as an editor sees YAML: string keys
    validator = jsonschema.Draft202012Validator(load_schema())
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(as_json)]
    assert not problems, problems


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_has_schema_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert target == (ROOT / "src/measurelib/schema/measure.schema.json").resolve()


def test_schema_rejects_what_the_model_rejects(minimal_yaml: str) -> None:
    data = parse_document(minimal_yaml.replace("modification: allowed", "modification: maybe")).data
    assert list(jsonschema.Draft202012Validator(load_schema()).iter_errors(data))
    with pytest.raises(ml.DefinitionError):
        ml.loads(minimal_yaml.replace("modification: allowed", "modification: maybe"))


def test_generated_docs_are_up_to_date() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts/gen_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
