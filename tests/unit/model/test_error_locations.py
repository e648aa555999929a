"""Model errors are located at the offending value, however deep (issue 15, point 17).

pydantic's locations mix document keys with its own labels (a union's tag such as
``ordinal``, a member type such as ``int``); every error must point at the document's own
path — ``scales.s.options[2].value`` with that value's line and column — never at a label.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.definition import error_path

HEAD = """\
format: 1
id: t
version: 1.0.0
title: Test
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
"""
ITEM = "items:\n  - {id: q1, text: Q, scale: s}\n"
ORDINAL = "scales:\n  s:\n    type: ordinal\n    options:\n"


def first_error(body: str) -> ml.Diagnostic:
    with pytest.raises(ml.DefinitionError) as info:
        ml.loads(HEAD + body, "t.yaml")
    return info.value.errors[0]


@pytest.mark.parametrize(("body", "path", "line", "column"), [
    # a bad option value (the example): at the value, not at `scales.s.ordinal`
    (ORDINAL + "      - {value: 0, label: a}\n      - {value: 1, label: b}\n"
     "      - {value: abc, label: c}\n" + ITEM, "scales.s.options[2].value", 12, 17),
    # the same in block style
    (ORDINAL + "      - value: 0\n        label: a\n      - value: 1.5.2\n        label: b\n"
     + ITEM, "scales.s.options[1].value", 12, 16),
    # a label of the wrong type
    (ORDINAL + "      - {value: 0, label: a}\n      - {value: 1, label: [x]}\n" + ITEM,
     "scales.s.options[1].label", 11, 27),
    # an unknown field inside an option of a union member
    (ORDINAL + "      - {value: 0, label: a}\n      - {value: 1, label: b, colour: red}\n"
     + ITEM, "scales.s.options[1].colour", 11, 30),
    # a numeric scale's bound and an anchor's value
    ("scales:\n  s:\n    type: numeric\n    min: x\n    max: 10\n" + ITEM,
     "scales.s.min", 9, 10),
    ("scales:\n  s:\n    type: numeric\n    min: 0\n    max: 10\n    anchors:\n"
     "      - {value: 0, label: a}\n      - {value: zz, label: b}\n" + ITEM,
     "scales.s.anchors[1].value", 13, 17),
    # a list item's field, and a band inside a score rule
    ("scales:\n  s: {type: ordinal, options: [{value: 0, label: a}, {value: 1, label: b}]}\n"
     "items:\n  - {id: q1, text: Q, scale: s}\n  - {id: q2, text: Q, scale: s, required: maybe}\n",
     "items[1].required", 10, 43),
    ("scales:\n  s: {type: ordinal, options: [{value: 0, label: a}, {value: 1, label: b}]}\n"
     + ITEM + "scores:\n  - id: total\n    method: sum\n    items: [q1]\n    bands:\n"
     "      - {max: 0, label: Low}\n      - {max: high, label: High}\n",
     "scores[0].bands[1].max", 16, 15),
])
def test_nested_errors_point_at_the_value(body: str, path: str, line: int, column: int) -> None:
    err = first_error(body)
    assert err.location.path == path, err
    assert (err.location.line, err.location.column) == (line, column), err
    assert "ordinal" not in err.message and "numeric" not in err.message


def test_a_missing_field_of_a_union_member_is_named_in_its_mapping() -> None:
    err = first_error("scales:\n  s:\n    type: ordinal\n" + ITEM)
    assert err.code == "missing-field"
    assert "`options`" in err.message and "scales.s" in err.message
    assert (err.location.line, err.location.column) == (8, 5)


def test_error_path_drops_labels_but_keeps_missing_fields() -> None:
    data = {"scales": {"s": {"type": "ordinal", "options": [{"value": "x"}]}},
            "items": [{"id": "q1"}]}
    assert error_path(data, ("scales", "s", "ordinal", "options", 0, "value", "int")) == (
        "scales", "s", "options", 0, "value")
    assert error_path(data, ("scales", "s", "ordinal", "options", 0, "label")) == (
        "scales", "s", "options", 0, "label")
    assert error_path(data, ("items", 0, "scale")) == ("items", 0, "scale")
    assert error_path(data, ("items", 0, "function-after[check(), Item]", "text")) == (
        "items", 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.sampled_from(["abc", "[1]", "{a: 1}", "1.2.3", "2024-01-01"]))
def test_any_option_value_error_is_at_that_option(n_before: int, bad: str) -> None:
    options = "".join(f"      - {{value: {k}, label: o{k}}}\n" for k in range(n_before))
    options += f"      - {{value: {bad}, label: bad}}\n"
    err = first_error(ORDINAL + options + ITEM)
    assert err.location.path == f"scales.s.options[{n_before}].value", err
    assert err.location.line == 10 + n_before
    assert err.location.column == 17
