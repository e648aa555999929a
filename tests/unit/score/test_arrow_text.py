"""pandas' Arrow-backed text columns whose values are at most one byte: read from the buffers.

Answer codes held as pandas' ``str`` (pandas 3's default for text), ``string[pyarrow]`` or
``pd.ArrowDtype(pa.string())`` are read by a table of the 129 possible one-byte values,
straight from the Arrow offsets and data. These tests check that values, invalid cells,
the distinct values and every message are those of parsing cell by cell, for every
dtype, sliced and multi-chunk arrays and missing cells; and that anything else (a longer
value, a value that is not a number) goes to the general path with the same result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.scoring import _validate
from measurelib.scoring._validate import _parse, _parse_counted

N = 5000  # above the size from which columns are parsed through their distinct values

DTYPES: list[Any] = ["str", "string[pyarrow]", pd.ArrowDtype(pa.string()),
                     pd.ArrowDtype(pa.large_string())]
ONE_BYTE = ["0", "1", "2", "3", "4", "5", "9", "", " ", "-", ".", None]


def one_by_one(cells: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    vals, bad = np.empty(len(cells)), np.zeros(len(cells), dtype=bool)
    cache: dict[Any, tuple[float, bool]] = {}
    for i, c in enumerate(cells):
        if c not in cache:
            v, b, _ = _parse(pd.Series([c], dtype=object))
            cache[c] = (float(v[0]), bool(b[0]) if b is not None else False)
        vals[i], bad[i] = cache[c]
    return vals, bad


def cells_of(series: pd.Series) -> list[Any]:
    return [None if pd.isna(c) else c for c in series.astype(object)]


def spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether the one-byte path answered (True) or declined (False)."""
    taken: list[bool] = []
    real = _validate._parse_arrow_one_byte

    def wrapped(series: pd.Series, memo: Any) -> Any:
        got = real(series, memo)
        taken.append(got is not None)
        return got

    monkeypatch.setattr(_validate, "_parse_arrow_one_byte", wrapped)
    return taken


def check(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    vals, bad, distinct, n_nan = _parse_counted(series, {})
    exp_vals, exp_bad = one_by_one(cells_of(series))
    if n_nan is not None:  # the NaN count the reader gives instead of counting
        assert n_nan == int(np.isnan(exp_vals).sum())
    np.testing.assert_array_equal(vals, exp_vals)  # NaN == NaN here
    np.testing.assert_array_equal(bad if bad is not None else np.zeros(len(series), bool),
                                  exp_bad)
    if distinct is not None:
        present = np.unique(exp_vals)
        np.testing.assert_array_equal(np.unique(distinct), present)
    return vals, bad, distinct


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ONE_BYTE), min_size=1, max_size=8), st.integers(0, 2**32 - 1),
       st.sampled_from(DTYPES), st.integers(0, 40))
def test_one_byte_codes_parse_as_cell_by_cell(pool: list[Any], seed: int, dtype: Any,
                                              cut: int) -> None:
    rng = np.random.default_rng(seed)
    cells = [pool[i] for i in rng.integers(0, len(pool), N + cut)]
    series = pd.Series(cells, dtype=dtype).iloc[cut:]  # sliced: the array has an offset
    mp = pytest.MonkeyPatch()
    try:
        taken = spy(mp)
        check(series)
    finally:
        mp.undo()
    assert taken == [True]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ONE_BYTE + ["x", "12", "é", "NA", "3.5"]), min_size=1,
                max_size=8), st.integers(0, 2**32 - 1), st.sampled_from(DTYPES),
       st.integers(1, 4))
def test_chunked_and_mixed_columns_parse_as_cell_by_cell(pool: list[Any], seed: int,
                                                          dtype: Any, pieces: int) -> None:
    """Several chunks; values that send the column to the general path give its result."""
    rng = np.random.default_rng(seed)
    cells = [pool[i] for i in rng.integers(0, len(pool), N)]
    bounds = np.linspace(0, N, pieces + 1).astype(int)
    typ = pa.large_string() if dtype in ("str", "string[pyarrow]") else dtype.pyarrow_dtype
    chunked = pa.chunked_array([pa.array(cells[a:b], type=typ)
                                for a, b in zip(bounds[:-1], bounds[1:])], type=typ)
    if isinstance(dtype, pd.ArrowDtype):
        series = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    else:
        series = pd.Series(pd.arrays.ArrowStringArray(chunked))
    check(series)


def test_the_one_byte_path_declines_what_it_does_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = spy(monkeypatch)
    for extra in ("12", "x", "é"):
        series = pd.Series(["1", "2", "", None, extra] * 1000, dtype="str")
        vals, bad, _ = check(series)
    assert taken == [False, False, False]
    # a missing cell with bytes behind it (legal in Arrow): declined, read by the general path
    arr = pa.StringArray.from_buffers(
        3 * 2000, pa.py_buffer(np.arange(0, 3 * 2000 + 1, dtype=np.int32).tobytes()),
        pa.py_buffer(b"172" * 2000), pa.py_buffer(np.packbits(
            np.tile([1, 0, 1], 2000).astype(bool), bitorder="little").tobytes()))
    series = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([arr])))
    vals, _, _ = check(series)
    assert taken[-1] is False
    assert vals[:3].tolist()[::2] == [1.0, 2.0] and np.isnan(vals[1])


def test_all_empty_or_missing() -> None:
    for cells in (["", None] * 3000, [None] * 6000, [""] * 6000):
        vals, bad, distinct = check(pd.Series(cells, dtype="str"))
        assert np.isnan(vals).all() and bad is None


YAML = """\
format: 1
id: arrow-codes
version: 1.0.0
title: Arrow codes
licence: {holder: x, spdx: CC0-1.0, text_redistribution: allowed, modification: allowed}
scales:
  s:
    type: ordinal
    options: [{value: 1, label: a}, {value: 2, label: b}, {value: 3, label: c}]
items:
  - {id: q1, text: One, scale: s}
  - {id: q2, text: Two, scale: s}
  - {id: q3, text: Three, scale: s}
scores:
  - id: total
    items: all
    method: sum
    missing: {max_missing: 1, prorate: true}
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["1", "2", "3", "", None, "4", "0", "x"]), min_size=1,
                max_size=6), st.integers(0, 2**32 - 1), st.sampled_from(DTYPES))
def test_scores_rows_and_messages_equal_the_object_column(pool: list[Any], seed: int,
                                                           dtype: Any) -> None:
    measure = ml.loads(YAML)
    rng = np.random.default_rng(seed)
    data = {q: [pool[i] for i in rng.integers(0, len(pool), N)] for q in ("q1", "q2", "q3")}
    objects = pd.DataFrame(data, dtype=object)
    arrow = objects.astype(dtype)

    def run(df: pd.DataFrame) -> Any:
        try:
            res = measure.score(df, on_invalid="reject")
        except ml.DataError as exc:
            return ("error", [(d.code, d.message, d.location.row, d.location.field)
                              for d in exc.errors])
        return ("ok", res.scores["total"].to_numpy().tolist(),
                res.rejected.to_dict("list") if res.rejected is not None else None)

    assert repr(run(arrow)) == repr(run(objects))


def arrow_series(chunks: list[list[Any]], dtype: Any, cut: int = 0) -> pd.Series:
    """A column of ``dtype`` made of these chunks, the first ``cut`` cells sliced off (so
    the first chunk's offsets do not start at 0)."""
    typ = pa.large_string() if dtype in ("str", "string[pyarrow]") or \
        dtype.pyarrow_dtype == pa.large_string() else pa.string()
    arrays = [pa.array(c, type=typ) for c in chunks if c]
    if cut:
        arrays[0] = arrays[0].slice(min(cut, len(arrays[0]) - 1))
    chunked = pa.chunked_array(arrays, type=typ)
    if isinstance(dtype, pd.ArrowDtype):
        return pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    return pd.Series(pd.arrays.ArrowStringArray(chunked))


# chunk kinds: every cell one digit (the contiguous path), digits with empty and missing
# cells (the gathered path), other one-byte values ("-", "." and " " read as blank: the
# table path), nothing but empty or missing cells
KINDS: dict[str, list[Any]] = {
    "digits": ["1", "2", "3", "4", "5"],
    "digits-gaps": ["0", "3", "9", "", None],
    "other": ["1", "2", "-", ".", " ", "", None],
    "blank": ["", None],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(KINDS)), st.integers(1, 300)), min_size=1,
                max_size=5),
       st.integers(0, 2**32 - 1), st.sampled_from(DTYPES), st.integers(0, 7),
       st.sampled_from([16, 64, 1 << 15]), st.booleans())
def test_blocks_and_chunks_of_every_kind_parse_as_cell_by_cell(
        parts: list[tuple[str, int]], seed: int, dtype: Any, cut: int, block: int,
        one_null: bool) -> None:
    """Chunks that differ in kind, sliced first chunks, blocks that are all one byte next
    to blocks with empty cells (small blocks put every kind of block boundary in reach: an
    empty last cell reading the next block's byte), one missing cell amid one-byte digits.
    """
    rng = np.random.default_rng(seed)
    chunks = []
    for kind, size in parts:
        pool = KINDS[kind]
        chunks.append([pool[i] for i in rng.integers(0, len(pool), size * 20)])
    short = N + cut - sum(map(len, chunks))
    if short > 0:  # columns this long are read through their distinct values
        pool = KINDS[parts[0][0]]
        chunks.append([pool[i] for i in rng.integers(0, len(pool), short)])
    if one_null:
        big = max(chunks, key=len)
        big[len(big) // 2] = None
    series = arrow_series(chunks, dtype, cut)
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(_validate, "_BLOCK", block)
        taken = spy(mp)
        check(series)
    finally:
        mp.undo()
    assert taken == [True]


def test_exactly_one_byte_columns_with_one_missing_cell() -> None:
    """All cells one digit but one missing cell in the middle; and the same without it."""
    for dtype in DTYPES:
        cells: list[Any] = [str(d) for d in np.arange(6000) % 5 + 1]
        vals, bad, distinct = check(pd.Series(cells, dtype=dtype))
        assert bad is None and not np.isnan(vals).any()
        assert distinct is not None and distinct.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
        cells[3000] = None
        vals, bad, distinct = check(pd.Series(cells, dtype=dtype).iloc[7:])
        assert np.isnan(vals[3000 - 7]) and int(np.isnan(vals).sum()) == 1
        assert distinct is not None and np.isnan(distinct).sum() == 1
        assert _parse_counted(pd.Series(cells, dtype=dtype), {})[3] == 1


def test_a_longer_value_in_a_later_block_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A two-byte value next to an empty cell keeps a block's byte count equal to its
    cell count minus one per empty cell only when every other cell holds one byte: the
    count cannot be fooled, and the column goes to the general path."""
    taken = spy(monkeypatch)
    monkeypatch.setattr(_validate, "_BLOCK", 64)
    cells = ["1"] * 5000
    cells[4000], cells[4001] = "12", ""  # as many bytes as cells, yet not one byte each
    vals, bad, _ = check(pd.Series(cells, dtype="str"))
    assert taken == [False]
    assert vals[4000] == 12.0 and np.isnan(vals[4001]) and bad is None


def test_a_value_first_seen_late_is_among_the_distinct_values() -> None:
    """A code that occurs only far down the column (past the first cells, which are looked
    at first) is still found, and so screened: "3" is valid, "0" is not on the scale."""
    for late in ("3", "0"):
        cells = ["1", "5"] * 3000
        cells[5501] = late
        vals, bad, distinct = check(pd.Series(cells, dtype="str"))
        assert distinct is not None and float(late) in distinct.tolist()
    measure = ml.loads(YAML.replace("{value: 3, label: c}", "{value: 3, label: c}, "
                                    "{value: 4, label: d}, {value: 5, label: e}"))
    frame = pd.DataFrame({q: pd.Series(cells, dtype="str") for q in ("q1", "q2", "q3")})
    res = measure.score(frame, on_invalid="reject")
    assert res.rejected["row"].tolist() == [5503] * 3  # one line per column
    assert res.rejected["column"].tolist() == ["q1", "q2", "q3"]
    assert res.rejected["reason"].tolist() == ["invalid-answer"] * 3
