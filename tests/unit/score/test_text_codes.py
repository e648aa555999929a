"""Text-coded answer columns: parsed through their distinct objects, exactly as cell by cell.

Large object columns are told apart by object identity (a table look-up when the objects
sit close together in memory, else a hash of their pointers) before the distinct values
are parsed; these tests check that the result, and every message about a bad cell, is the
same as parsing each cell on its own and as the value-hashing path that ``str`` columns take.
"""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.scoring import _validate
from measurelib.scoring._validate import _parse, _parse_counted

N = 5000  # above the size from which columns are parsed through their distinct values


def fresh(text: str) -> str:
    """An equal string that is a different object (defeats interning and caching)."""
    return "".join(list(text + "#"))[:-1]


POOL: list[object] = [
    "0", "1", "2", "3", "9", " 2 ", "3.0", "", "NA", "#N/A", "-", "x", "2.5", "6", "inf",
    "1e308", 0, 1, 3, 3.0, 2.5, True, False, None, np.nan, pd.NA, decimal.Decimal("2"),
    np.int64(1), np.float32(1.5),
]


def one_by_one(cells: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell parsed alone (a one-cell column never takes the distinct-value path)."""
    vals, bad = np.empty(len(cells)), np.zeros(len(cells), dtype=bool)
    cache: dict[int, tuple[float, bool]] = {}
    for i, c in enumerate(cells):
        if id(c) not in cache:
            v, b, _ = _parse(pd.Series([c], dtype=object))
            cache[id(c)] = (float(v[0]), bool(b[0]) if b is not None else False)
        vals[i], bad[i] = cache[id(c)]
    return vals, bad


def check_same(cells: list[object]) -> None:
    vals, bad, distinct, n_nan = _parse_counted(pd.Series(cells, dtype=object), {})
    exp_vals, exp_bad = one_by_one(cells)
    if n_nan is not None:  # the NaN count the reader gives instead of counting
        assert n_nan == int(np.isnan(exp_vals).sum())
    np.testing.assert_array_equal(vals, exp_vals)  # NaN == NaN here
    np.testing.assert_array_equal(bad if bad is not None else np.zeros(len(cells), bool),
                                  exp_bad)
    assert distinct is not None  # the distinct-value path was taken
    present = np.unique(exp_vals[~np.isnan(exp_vals)])
    np.testing.assert_array_equal(np.unique(distinct[~np.isnan(distinct)]), present)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=12),
       st.integers(0, 2**32 - 1), st.booleans())
def test_identity_parse_equals_cell_by_cell(picks, seed, copies):
    """Random object columns: singletons, equal strings as distinct objects, odd types."""
    rng = np.random.default_rng(seed)
    pool = [POOL[p] for p in picks]
    if copies:  # the same texts as many distinct objects: addresses spread over the heap
        pool += [fresh(p) for p in pool if isinstance(p, str)]
    cells = [pool[i] for i in rng.integers(0, len(pool), N)]
    check_same(cells)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=8),
       st.integers(0, 2**32 - 1), st.sampled_from([16, 100, 4096]), st.integers(0, 6))
def test_block_by_block_gather_equals_cell_by_cell(picks, seed, block, late):
    """The gather runs block by block: small blocks, and objects first seen late in the
    column (after the first cells, so the table is widened and the gather repeated)."""
    rng = np.random.default_rng(seed)
    pool = [POOL[p] for p in picks]
    cells = [pool[i] for i in rng.integers(0, len(pool), N)]
    for j in range(late):
        cells[N - 1 - 13 * j] = [fresh("7"), "", None, fresh("x"), 2, fresh("3"), "-"][j]
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_validate, "_CELLS", block)
        check_same(cells)
    finally:
        mp.undo()


def test_rare_objects_after_the_first_cells_are_found():
    """Objects first seen far down the column, allocated away from the others."""
    cells: list[object] = ["1"] * N
    late = [fresh("x"), fresh("2"), fresh(""), "zz" * 50, 3]
    for j, obj in enumerate(late):
        cells[N - 1 - 7 * j] = obj
    cells[N // 2] = None
    check_same(cells)


def test_many_distinct_objects_fall_back():
    """Too many distinct objects: the usual parse, same answers."""
    cells: list[object] = [fresh(str(i % 3)) for i in range(N)]
    check_same(cells)
    texts: list[object] = [f"{i}" for i in range(N)]  # all different: no distinct path
    vals, bad, distinct = _parse(pd.Series(texts, dtype=object))
    assert distinct is None and bad is None
    np.testing.assert_array_equal(vals, np.arange(N, dtype=float))


FOUR = """\
format: 1
id: four
version: 1.0.0
title: Test
licence: {holder: T, spdx: CC-BY-4.0, text_redistribution: allowed, modification: allowed}
scales:
  f4:
    type: ordinal
    options:
      - {value: 0, label: Never}
      - {value: 1, label: Sometimes}
      - {value: 2, label: Often}
      - {value: 3, label: Always}
      - {value: 9, label: Don't know, missing: true}
items:
  - {id: a, text: A, scale: f4}
  - {id: b, text: B, scale: f4}
scores:
  - {id: total, items: all, method: sum, missing: {max_missing: 1, prorate: true}}
"""


@pytest.mark.parametrize("on_invalid", ["error", "reject", "missing"])
def test_invalid_codes_reported_as_by_value_hashing(on_invalid):
    """The same errors, rows and columns for an object frame and a ``str`` frame."""
    m = ml.loads(FOUR)
    rng = np.random.default_rng(3)
    a = [str(v) for v in rng.integers(0, 4, N)]
    b = [str(v) for v in rng.integers(0, 4, N)]
    for pos, bad in ((10, "7"), (4000, "x"), (4500, "2.5"), (4999, "9"), (17, "")):
        a[pos] = bad
    b[20], b[4998] = "NA", "-1"
    obj = pd.DataFrame({"a": pd.Series(a, dtype=object), "b": pd.Series(b, dtype=object)})
    txt = obj.astype("str")  # Arrow-backed: the short-text keys
    hashed = obj.astype("string[python]")  # hashed by value

    def outcome(df: pd.DataFrame) -> object:
        try:
            res = m.score(df, on_invalid=on_invalid)
        except ml.DataError as exc:
            return [(d.location.row, d.location.field, d.code, d.message) for d in exc.errors]
        return (res.scores["total"].tolist(), res.account.to_frame().to_dict(),
                [(d.location.row, d.location.field, d.code, d.message)
                 for d in res.diagnostics],
                res.rejected.to_dict() if len(res.rejected) else {})

    got, exp = outcome(obj), outcome(hashed)
    assert got == exp and outcome(txt) == exp
    if on_invalid == "error":
        assert [(r, f, c) for r, f, c, _ in got] == [  # type: ignore[union-attr]
            (12, "a", "invalid-answer"), (4002, "a", "not-a-number"),
            (4502, "a", "invalid-answer"), (5000, "b", "invalid-answer")]


def test_singleton_codes_take_the_table_path(monkeypatch):
    """One-character codes (shared objects close together) are coded by table look-up,
    including codes first seen after the first cells and blank cells."""
    from measurelib.scoring import _validate

    used: list[bool] = []
    real = _validate._parse_by_slots

    def spy(*args: object) -> object:
        out = real(*args)  # type: ignore[arg-type]
        used.append(out is not None)
        return out

    monkeypatch.setattr(_validate, "_parse_by_slots", spy)
    cells: list[object] = ["1"] * N
    cells[N - 3], cells[N - 2], cells[N - 1] = "2", "", "x"
    check_same(cells)
    assert used == [True]
    vals, bad, _ = _parse(pd.Series(cells, dtype=object))
    assert vals[N - 3] == 2.0 and np.isnan(vals[N - 2]) and bad is not None
    assert np.flatnonzero(bad).tolist() == [N - 1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.sampled_from(
    ["0", "1", "2", "3", "", "NA", "x", "2.5", " 3 ", "é", "3.0", "-", "12345678"]),
    st.text(max_size=9)), min_size=1, max_size=12), st.integers(0, 2**32 - 1),
    st.sampled_from(["str", "string"]))
def test_arrow_text_columns_parse_as_cell_by_cell(pool, seed, dtype):
    """pandas' Arrow-backed text (``str``): short values keyed from the Arrow buffers."""
    rng = np.random.default_rng(seed)
    cells = [pool[i] for i in rng.integers(0, len(pool), N)]
    series = pd.Series(cells, dtype=dtype)
    vals, bad, _ = _parse(series)
    # each distinct value parsed alone once (Arrow gives a new Python string per cell)
    given = [None if pd.isna(c) else c for c in series.astype(object)]
    alone = {c: one_by_one([c]) for c in set(given)}
    exp_vals = np.array([alone[c][0][0] for c in given])
    exp_bad = np.array([alone[c][1][0] for c in given])
    np.testing.assert_array_equal(vals, exp_vals)
    np.testing.assert_array_equal(bad if bad is not None else np.zeros(N, bool), exp_bad)


def test_arrow_text_slices_and_chunks():
    """A sliced or multi-chunk Arrow column reads its own cells."""
    import pyarrow as pa

    series = pd.Series(["9", "1", "", "x"] * 2000, dtype="str").iloc[3:]
    vals, bad, _ = _parse(series)
    assert np.isnan(vals[0]) and vals[1] == 9.0 and vals[2] == 1.0 and np.isnan(vals[3])
    assert bad is not None and np.flatnonzero(bad).tolist()[:2] == [0, 4]
    chunked = pa.chunked_array([pa.array(["1", None] * 3000), pa.array(["2", "y"] * 3000)])
    s2 = pd.Series(pd.arrays.ArrowStringArray(chunked))
    vals2, bad2, _ = _parse(s2)
    assert vals2[0] == 1.0 and np.isnan(vals2[1]) and vals2[6000] == 2.0
    assert bad2 is not None and np.flatnonzero(bad2).min() == 6001
