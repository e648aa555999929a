"""The YAML loader: safe, strict about duplicates, and precise about where problems are."""

from __future__ import annotations

import pytest

import measurelib as ml
from measurelib import DefinitionError


def errors_of(text: str) -> list[ml.Diagnostic]:
    with pytest.raises(DefinitionError) as info:
        ml.loads(text, "m.yaml")
    return info.value.errors


def codes(text: str) -> list[str]:
    return [e.code for e in errors_of(text)]


def test_minimal_loads(minimal_yaml: str) -> None:
    m = ml.loads(minimal_yaml)
    assert m.id == "test-measure"
    assert [i.id for i in m.items] == ["a", "b", "c"]
    assert m.primary_score is not None and m.primary_score.id == "total"


def test_duplicate_key_is_an_error_with_both_positions(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("title: Test measure\n", "title: Test measure\ntitle: Again\n")
    (err,) = errors_of(text)
    assert err.code == "yaml-duplicate-key"
    assert err.location.line == 5 and err.location.column == 1
    assert "first defined at line 4" in err.message
    assert err.hint


def test_duplicate_key_nested(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("  holder: Test holder\n", "  holder: Test holder\n  holder: X\n")
    (err,) = errors_of(text)
    assert err.code == "yaml-duplicate-key"
    assert err.location.path == "licence.holder"


def test_yes_no_labels_stay_text(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("label: Never", "label: No").replace("label: Always", "label: yes")
    m = ml.loads(text)
    labels = [o.label for o in m.scales["freq"].options]  # type: ignore[union-attr]
    assert labels[0] == "No" and labels[3] == "yes"


def test_dates_stay_text_and_leading_zero_codes_stay_text(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("{id: a, text: First question, scale: freq}",
                                "{id: a, text: First question, scale: freq, code: 007}")
    m = ml.loads(text)
    assert m.items[0].code == "007"
    from measurelib.definition import parse_document

    assert parse_document("d: 2024-05-01\nt: 1:30\n").data == {"d": "2024-05-01", "t": "1:30"}


def test_syntax_error_has_line_and_column() -> None:
    (err,) = errors_of("format: 1\nid: x\ntitle: [unclosed\n")
    assert err.code == "yaml-syntax"
    assert err.location.file == "m.yaml" and err.location.line is not None


def test_python_tags_are_refused() -> None:
    (err,) = errors_of("format: !!python/object/apply:os.system ['echo hi']\n")
    assert err.code == "yaml-syntax"
    assert "tags" in err.hint


def test_billion_laughs_is_bounded() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},"
                     f"*{prev},*{prev},*{prev}]")
    (err,) = errors_of("\n".join(lines) + "\n")
    assert err.code == "limit-exceeded"
    assert "aliases" in err.message and "alias_values" in err.hint


def test_recursive_alias() -> None:
    (err,) = errors_of("a: &a [1, *a]\n")
    assert err.code == "yaml-syntax"


def test_empty_and_non_mapping_documents() -> None:
    assert codes("") == ["not-a-mapping"]
    assert codes("- just\n- a list\n") == ["not-a-mapping"]
    assert codes("just text\n") == ["not-a-mapping"]


def test_all_structural_errors_are_reported_together(minimal_yaml: str) -> None:
    text = (minimal_yaml
            .replace("id: test-measure", "id: Test_Measure")
            .replace("version: 1.0.0", "version: 1.0")
            .replace("modification: allowed", "modification: no")
            .replace("{id: b, text: Second question, scale: freq}",
                     "{id: b, text: 5, scael: freq}"))
    errs = errors_of(text)
    got = {(e.code, e.location.path) for e in errs}
    assert ("invalid-id", "id") in got
    assert ("invalid-version", "version") in got
    assert ("invalid-value", "licence.modification") in got
    assert ("wrong-type", "items[1].text") in got
    assert ("unknown-field", "items[1].scael") in got
    assert ("missing-field", "items[1]") in got
    unknown = next(e for e in errs if e.code == "unknown-field")
    assert "Did you mean 'scale'?" in unknown.hint
    assert unknown.location.line == 20 and unknown.location.column == 22
    for e in errs:
        assert e.location.file == "m.yaml" and e.location.line is not None
        assert e.hint


def test_missing_required_field_points_at_parent(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("  holder: Test holder\n", "")
    (err,) = errors_of(text)
    assert err.code == "missing-field"
    assert "`holder`" in err.message
    assert err.location.path == "licence" and err.location.line == 6
    assert "Copyright holder" in err.hint


def test_wrong_discriminator(minimal_yaml: str) -> None:
    text = minimal_yaml.replace("type: ordinal", "type: likert")
    (err,) = errors_of(text)
    assert err.code == "invalid-value"
    assert "ordinal" in err.hint


def test_unsupported_format(minimal_yaml: str) -> None:
    (err,) = errors_of(minimal_yaml.replace("format: 1", "format: 2"))
    assert err.code == "unsupported-format"


def test_error_str_is_compiler_like(minimal_yaml: str) -> None:
    with pytest.raises(DefinitionError) as info:
        ml.loads(minimal_yaml.replace("scale: freq}", "scale: frq}", 1), "m.yaml")
    text = str(info.value)
    assert text.startswith("m.yaml:19:")
    assert "error[unknown-scale]" in text
    assert "hint: Did you mean 'freq'?" in text


def test_load_catalog_id_and_version() -> None:
    assert ml.load("phq-9").id == "phq-9"
    assert ml.load("phq-9@1.0.0").version == "1.0.0"
    with pytest.raises(DefinitionError) as info:
        ml.load("phq-9@9.9.9")
    assert info.value.errors[0].code == "catalog-version"
    with pytest.raises(DefinitionError) as info:
        ml.load("phq9")
    assert info.value.errors[0].code == "catalog-unknown"
    assert "phq-9" in info.value.errors[0].hint


def test_load_missing_file_and_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DefinitionError) as info:
        ml.load(tmp_path / "nope.yaml")
    assert info.value.errors[0].code == "file-not-found"
    with pytest.raises(DefinitionError) as info:
        ml.load(tmp_path)
    assert info.value.errors[0].code == "file-not-found"


def test_non_utf8_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.yaml"
    path.write_bytes("format: 1\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as info:
        ml.load(path)
    assert "UTF-8" in info.value.errors[0].message
    assert info.value.errors[0].location.line == 2


def test_merge_keys_work() -> None:
    from measurelib.definition import parse_document

    doc = parse_document("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n")
    assert doc.data["d"] == {"x": 1, "y": 3}


def test_to_dict_json_round_trip(minimal_yaml: str) -> None:
    m = ml.loads(minimal_yaml)
    assert ml.loads(m.to_yaml()) == m
