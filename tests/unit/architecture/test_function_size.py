"""No function over 100 lines of code (docstring excluded) without a stated reason.

The functions listed below are longer; each is on the list with its reason and comes off
it when it is split. A function not on the list that grows past the limit fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "measurelib"
LIMIT = 100

_FORMAT = "one branch per construct of an external format, kept together so each maps one-to-one"
_PIPELINE = "one pass whose steps share state and must keep their order; to be split into steps"
_NUMERIC = "a numerical routine whose steps follow the published algorithm in order"

LONG = {
    "assessment/_assess.py::assess": _PIPELINE,
    "compose/_compose.py::assemble": _PIPELINE,
    "compose/_compose.py::plan": _PIPELINE,
    "compose/_compose.py::_overlays_from_text": "one branch per kind of overlay text, in the file's order",
    "compose/_compose.py::apply_overlay": "one branch per kind of text a measure holds",
    "definition/_checks.py::check_measure": "the format's cross-reference checks, one block per field",
    "forms/_entry_sheet.py::write_entry_sheet": "the entry sheet's layout, cell by cell",
    "interop/_export/_fhir.py::_question": _FORMAT,
    "interop/_export/_fhir.py::questionnaire": _FORMAT,
    "interop/_export/_redcap.py::data_dictionary": _FORMAT,
    "interop/_export/_xlsform.py::xlsform": _FORMAT,
    "interop/_import.py::from_fhir": _FORMAT,
    "interop/_import.py::from_redcap": _FORMAT,
    "interop/_import.py::from_xlsform": _FORMAT,
    "interop/_import.py::walk": _FORMAT,
    "outcomes/_change.py::change": _PIPELINE,
    "outcomes/_impact.py::_section": _PIPELINE,
    "psychometrics/efa/_core.py::factor_stats": _NUMERIC,
    "psychometrics/efa/_factors.py::_parallel_analysis": _NUMERIC,
    "psychometrics/_omega.py::omega": _NUMERIC,
    "psychometrics/_polychoric.py::polychoric": _NUMERIC,
    "psychometrics/_irt/_calibrate.py::irt": "argument checks, then the one EM loop and its standard errors",
    "psychometrics/_irt/_fit.py::collapse_cells": _NUMERIC,
    "psychometrics/_irt/_fit.py::m2_statistic": _NUMERIC,
    "psychometrics/_irt/_multigroup_result.py::calibrate_groups": _NUMERIC,
    "psychometrics/_reliability.py::_prepare": _PIPELINE,
    "psychometrics/_reliability.py::reliability": _NUMERIC,
    "psychometrics/sem/_fit.py::fit_model": "lavaan's estimator, missing and test options, one dispatch",
    "psychometrics/_simulate.py::simulate": "one branch per generating model, validated up front",
    "scoring/_validate.py::resolve_columns": "every way a heading can name an item, by precedence",
    "scoring/_validate.py::validate_responses": "every rule of a response cell, vectorised in one pass",
}


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
        isinstance(first.value.value, str)
    start = first.end_lineno + 1 if has_doc and first.end_lineno else first.lineno
    return (node.end_lineno or start) - start + 1


def _long_functions() -> dict[str, int]:
    out = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                n = _code_lines(node)
                if n > LIMIT:
                    out[f"{path.relative_to(SRC).as_posix()}::{node.name}"] = n
    return out


def test_no_new_function_over_the_limit() -> None:
    new = {k: v for k, v in _long_functions().items() if k not in LONG}
    assert not new, f"functions over {LIMIT} lines: {new}; split them"


def test_the_list_has_no_stale_entries() -> None:
    stale = set(LONG) - set(_long_functions())
    assert not stale, f"no longer over the limit, take them off LONG: {sorted(stale)}"
