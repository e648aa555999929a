"""Lookup tables read from a CSV file beside the definition (`tables: {name: {file: ...}}`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

import measurelib as ml
from measurelib.definition import schema_path

HEAD = """\
format: 1
id: t
version: 1.0.0
title: Test
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  s: {type: ordinal, options: [{value: 0, label: a}, {value: 1, label: b}, {value: 2, label: c}]}
items:
  - {id: a, text: A, scale: s}
  - {id: b, text: B, scale: s}
"""
SCORES = """\
scores:
  - id: converted
    items: all
    transform: {table: conv}
"""
CSV = "raw,metric\n0,7.0\n1,9.5\n2,11.25\n3,13\n4,15.5\n"


def _write(tmp_path: Path, tables: str, csv: str | None = CSV, name: str = "conv.csv") -> Path:
    if csv is not None:
        (tmp_path / name).write_text(csv, encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + tables + SCORES, encoding="utf-8")
    return path


def _errors(path: Path) -> list[ml.Diagnostic]:
    with pytest.raises(ml.DefinitionError) as err:
        ml.load(path)
    return err.value.errors


def test_file_table_scores_like_the_inline_table(tmp_path: Path) -> None:
    m_file = ml.load(_write(tmp_path, "tables:\n  conv: {file: conv.csv}\n"))
    inline = "tables:\n  conv: {0: 7.0, 1: 9.5, 2: 11.25, 3: 13, 4: 15.5}\n"
    m_inline = ml.loads(HEAD + inline + SCORES)
    assert m_file.tables == m_inline.tables
    data = pd.DataFrame({"a": [0, 1, 2], "b": [0, 2, 2]})
    pd.testing.assert_frame_equal(m_file.score(data).scores, m_inline.score(data).scores)
    assert m_file.score(data).scores["converted"].tolist() == [7.0, 13.0, 15.5]


def test_named_columns_and_paths_relative_to_the_definition(tmp_path: Path) -> None:
    sub = tmp_path / "tables"
    sub.mkdir()
    (sub / "conv.csv").write_text("metric,raw\n7,0\n8,1\n9,2\n10,3\n11,4\n", encoding="utf-8")
    path = _write(tmp_path, "tables:\n  conv: {file: tables/conv.csv, key: raw, value: metric}\n",
                  csv=None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(elsewhere)  # the file is found from the definition's folder, not the cwd
        m = ml.load(path)
    finally:
        os.chdir(cwd)
    assert m.tables["conv"] == {0: 7, 1: 8, 2: 9, 3: 10, 4: 11}


def test_missing_file_is_located_at_the_file_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "tables:\n  conv: {file: nope.csv}\n", csv=None)
    (diag,) = _errors(path)
    assert diag.code == "table-file" and "cannot read" in diag.message and "nope.csv" in diag.message
    assert diag.location.line == 12 and diag.location.path == "tables.conv.file"


def test_bad_rows_are_all_listed_with_their_csv_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "tables:\n  conv: {file: conv.csv}\n",
                  csv="raw,metric\n0,7\n1,x\n2\n0,9\n3,13\n4,15\n")
    errs = _errors(path)
    assert [e.code for e in errs] == ["table-file"] * 3
    assert [e.location.line for e in errs] == [3, 4, 5]
    assert "not two numbers" in errs[0].message and "appears twice" in errs[2].message
    assert all(e.location.file and e.location.file.endswith("conv.csv") for e in errs)


def test_unknown_column_and_unknown_field(tmp_path: Path) -> None:
    (diag,) = _errors(_write(tmp_path, "tables:\n  conv: {file: conv.csv, value: score}\n"))
    assert "no column 'score'" in diag.message and "raw, metric" in diag.message
    (diag,) = _errors(_write(tmp_path, "tables:\n  conv: {file: conv.csv, sheet: 1}\n"))
    assert "unknown field" in diag.message and "sheet" in diag.message


def test_a_table_that_misses_a_reachable_score_is_still_caught(tmp_path: Path) -> None:
    errs = _errors(_write(tmp_path, "tables:\n  conv: {file: conv.csv}\n",
                          csv="raw,metric\n0,7\n1,9\n2,11\n3,13\n"))
    (diag,) = errs
    assert diag.code == "table-missing-value" and "raw score(s) 4" in diag.message


def test_schema_accepts_file_tables_and_rejects_nonsense() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    doc = {"format": 1, "id": "t", "version": "1.0.0", "title": "T",
           "licence": {"holder": "T", "text_redistribution": "allowed",
                       "modification": "allowed"}, "tables": {"conv": {"file": "conv.csv", "key": "raw"}}}
    jsonschema.Draft202012Validator(schema).validate(doc)
    doc["tables"] = {"conv": {"file": "conv.csv", "sheet": 1}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_built_measure_carries_the_table_inline(tmp_path: Path) -> None:
    src = _write(tmp_path, "tables:\n  conv: {file: conv.csv}\n")
    composer = tmp_path / "composer.yaml"
    composer.write_text(
        "format: 1\nid: c\nversion: 1.0.0\ntitle: C\n"
        "licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, "
        "modification: allowed}\n"
        f"compose:\n  - {{from: {src.name}, items: all, scores: true}}\n", encoding="utf-8")
    built = ml.build(composer)
    assert built.tables["t_conv"] == {0: 7.0, 1: 9.5, 2: 11.25, 3: 13, 4: 15.5}


def test_validate_cli_reads_catalog_table_files(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "measurelib", "validate", "eq-5d-5l"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
