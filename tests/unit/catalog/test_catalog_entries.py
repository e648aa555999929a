"""Every shipped catalog entry: loads, matches the committed JSON Schema, cites a source,
and ships no item text where its licence forbids redistribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import measurelib as ml

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = ROOT / "src" / "measurelib" / "schema" / "measure.schema.json"
SCHEMA_COMMENT = "# yaml-language-server: $schema="

ENTRIES = ml.catalog()
IDS = [e.id for e in ENTRIES]

# The instruments this catalog promises (ids exactly as published).
EXPECTED = {"swemwbs", "wemwbs", "ons4", "phq-9", "gad-7", "k10", "core-10", "reqol-10",
            "dialog", "gbo", "promis-global-10", "ucla-3", "eq-5d-5l", "ascot-sct4"}


def _entry(entry_id: str) -> Any:
    return next(e for e in ENTRIES if e.id == entry_id)


def test_catalog_has_every_promised_instrument() -> None:
    assert set(IDS) >= EXPECTED


@pytest.mark.parametrize("entry_id", IDS)
def test_entry_loads_and_primary_score(entry_id: str) -> None:
    measure = ml.load(entry_id)
    assert measure.id == entry_id
    if measure.kind == "measure" and entry_id in EXPECTED:
        assert measure.primary_score is not None
        assert measure.primary_score is measure.scores[0]


@pytest.mark.parametrize("entry_id", IDS)
def test_entry_matches_committed_json_schema(entry_id: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    path = Path(_entry(entry_id).path)
    # YAML → JSON round trip: what an editor or a JSON-only tool would see
    document = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    errors = sorted(validator_cls(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize("entry_id", IDS)
def test_entry_starts_with_schema_comment(entry_id: str) -> None:
    path = Path(_entry(entry_id).path)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_COMMENT)
    target = (path.parent / first[len(SCHEMA_COMMENT):].strip()).resolve()
    assert target == SCHEMA_PATH.resolve()


@pytest.mark.parametrize("entry_id", IDS)
def test_entry_cites_a_reference(entry_id: str) -> None:
    measure = ml.load(entry_id)
    refs = list(measure.references)
    if measure.validation is not None:
        refs += list(measure.validation.references)
    assert refs, "cite at least one source under `references:`"
    assert all(r.citation.strip() for r in refs)


@pytest.mark.parametrize("entry_id", [i for i in IDS if i in EXPECTED])
def test_instrument_references_say_what_they_support(entry_id: str) -> None:
    measure = ml.load(entry_id)
    assert measure.references
    assert any(r.supports for r in measure.references)
    assert any(r.supports and "licen" in r.supports for r in measure.references) or \
        measure.licence.url, "cite where the licence terms come from"


@pytest.mark.parametrize("entry_id", IDS)
def test_no_item_text_when_licence_forbids_it(entry_id: str) -> None:
    measure = ml.load(entry_id)
    if measure.licence.text_redistribution != "forbidden":
        return
    for item in measure.items:
        assert item.text is None, f"item {item.id!r} ships text"
        assert not item.variants, f"item {item.id!r} ships variant wording"
        assert item.help is None, f"item {item.id!r} ships help text"
    assert measure.instructions is None


def test_text_is_shipped_where_the_licence_allows_it() -> None:
    for entry_id in ("phq-9", "gad-7", "k10", "ons4", "ucla-3", "gbo", "core-10"):
        measure = ml.load(entry_id)
        assert measure.licence.text_redistribution == "allowed"
        assert all(item.text for item in measure.items), entry_id


def test_non_commercial_licences() -> None:
    for entry_id, spdx in (("core-10", "CC-BY-NC-ND-4.0"), ("gbo", "CC-BY-NC-SA-4.0")):
        lic = ml.load(entry_id).licence
        assert (lic.spdx, lic.commercial_use) == (spdx, "forbidden")


def test_alerts_on_risk_items() -> None:
    phq9 = ml.load("phq-9")
    assert any(a.when.item == "self_harm" and a.when.op == "gt" and a.when.value == 0
               for a in phq9.alerts)
    core10 = ml.load("core-10")
    assert core10.items[5].id == "plans_end_life"
    assert any(a.when.item == "plans_end_life" and a.when.op == "gt" and a.when.value == 0
               for a in core10.alerts)
