"""Hypothesis: whatever a person writes, the loader answers with a Measure or DefinitionError.

And a valid model written to YAML and read back is the same model.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib import DefinitionError, Measure
from measurelib.definition import dump_yaml, parse_document

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [
    parse_document((ROOT / "instruments" / "phq-9.yaml").read_text(encoding="utf-8")).data,
    parse_document((ROOT / "instruments" / "swemwbs.yaml").read_text(encoding="utf-8")).data,
]


def only_definition_errors(text: str) -> None:
    try:
        result = ml.loads(text, "fuzz.yaml")
    except DefinitionError as err:
        assert err.errors, "a DefinitionError must carry at least one diagnostic"
        for d in err.errors:
            assert d.code and d.message
            assert d.location.file == "fuzz.yaml"
        str(err)  # formatting never fails
        err.to_json()
    else:
        assert isinstance(result, Measure)


@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    only_definition_errors(text)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@given(json_like)
def test_random_structures(data: Any) -> None:
    only_definition_errors(yaml.safe_dump(data))


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "add", "duplicate"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(json_like)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(json_like)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return doc


@given(mutated())
def test_mutated_documents(doc: Any) -> None:
    only_definition_errors(yaml.safe_dump(doc, allow_unicode=True))


# ----------------------------------------------------------------------------- round trip
ids = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
words = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]),
                min_size=1, max_size=40).map(str.strip).filter(bool)


@st.composite
def measures(draw: st.DrawFn) -> dict[str, Any]:
    n_opts = draw(st.integers(2, 7))
    start = draw(st.integers(-2, 2))
    options = [{"value": start + i, "label": draw(words)} for i in range(n_opts)]
    scales: dict[str, Any] = {"s1": {"type": "ordinal", "options": options}}
    if draw(st.booleans()):
        scales["s2"] = {"type": "numeric", "min": 0, "max": 10,
                        "anchors": [{"value": 0, "label": draw(words)}]}
    item_ids = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    items = [
        {"id": i, "text": draw(words), "scale": draw(st.sampled_from(sorted(scales))),
         "reverse": draw(st.booleans()), "tags": draw(st.lists(st.sampled_from(["x", "y"]),
                                                              unique=True))}
        for i in item_ids
    ]
    method = draw(st.sampled_from(["sum", "mean"]))
    scores = [{"id": "total", "items": "all", "method": method,
               "missing": {"max_missing": draw(st.integers(0, len(items) - 1)),
                           "prorate": draw(st.booleans())},
               "higher_is_better": draw(st.booleans()),
               "bands": [{"max": 0.5, "label": "low"}, {"label": "high"}]}]
    return {
        "format": 1, "id": "rt-" + draw(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True)),
        "version": f"{draw(st.integers(0, 9))}.{draw(st.integers(0, 9))}.0",
        "title": draw(words),
        "licence": {"holder": draw(words), "text_redistribution": "allowed",
                    "modification": draw(st.sampled_from(["allowed", "forbidden"])),
                    "registration_required": draw(st.booleans())},
        "scales": scales, "items": items, "scores": scores,
    }


@given(measures())
def test_model_yaml_model_round_trip(data: dict[str, Any]) -> None:
    try:
        m = Measure.model_validate(data)
    except DefinitionError:
        assume(False)
        return
    text = m.to_yaml()
    again = ml.loads(text)
    assert again == m
    assert again.to_yaml() == text
    assert ml.loads(dump_yaml(again.model_dump(mode="json", by_alias=True))) == m


def test_shipped_instruments_round_trip() -> None:
    for entry in ml.catalog():
        m = ml.load(entry.path)
        assert ml.loads(m.to_yaml()) == m, entry.id


# ----------------------------------------------------------------------------- hostile text
# Text-level mutants of every shipped definition (tests/property/_mutants.py): tags on
# scalars and keys, odd and huge numbers, deep flow and block nesting, alias bombs, merge
# keys, character and line edits, enormous scales, many options, files outside the folder.
# 400 examples in CI (about 20 s idle, 45 s on a loaded 2-core machine);
# scripts/fuzz_loader.py runs 100,000 nightly.
HOSTILE_EXAMPLES = 400


def _hostile(seed: int) -> None:
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).parent))
    from _mutants import mutant, seed_texts

    global _TEXTS
    if not _TEXTS:
        _TEXTS = seed_texts()
    text = mutant(seed, _TEXTS)
    start = time.process_time()
    try:
        ml.loads(text, "fuzz.yaml")
    except DefinitionError as err:
        assert err.errors
        for d in err.errors:
            assert d.code and d.message and d.location.file is not None
        str(err)
    assert time.process_time() - start < 10  # the nightly run holds it to 1 s


_TEXTS: list[str] = []


@example(seed=4)  # seeds pinned from past failures, replayed on every run
@example(seed=187)  # a table file pointing at /dev/zero
@example(seed=197)  # a 400-digit number
@settings(max_examples=HOSTILE_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31))
def test_hostile_text_mutants(seed: int) -> None:
    _hostile(seed)
