"""Validation of response data against a measure: the first half of scoring.

:func:`validate_responses` matches the columns of a wide table (one row per
administration) to the measure's response columns, turns every cell into a number (or
missing), checks it against the item's scale and applies the bad-data policy. The scoring
engine, form submission parsing, the store's import and psychometrics all start here, so
that a value that is not a valid answer is never used silently anywhere.
"""

from __future__ import annotations

import ctypes
import functools
import math
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from measurelib._results import Result, to_jsonable
from measurelib.definition import did_you_mean
from measurelib.errors import DataError, Diagnostic, Location

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = ["BLANKS", "MAX_RESPONDENT_ID", "OnInvalid", "ValidationResult",
           "hidden_characters", "invalid_respondent_ids", "validate_responses"]

OnInvalid = Literal["error", "reject", "missing"]
ON_INVALID = ("error", "reject", "missing")

#: Cell contents (after stripping white space, compared case-insensitively) read as missing.
BLANKS = frozenset({
    "", "na", "n/a", "n.a.", "nan", "null", "none", "#n/a", "#na", "-", "--", ".", "<na>",
    "missing",
})

_EPS = 1e-9

#: Columns that hold the respondent's (pseudonymous) id: checked at the door.
RESPONDENT_ID_COLUMNS = ("respondent_id",)
#: The longest respondent id accepted.
MAX_RESPONDENT_ID = 64
_ID = "\0respondent id"
# Control characters (a line break or tab splits a row of every CSV written from the value)
# and the invisible formatting ones: soft hyphen, zero-width space, direction marks,
# embeddings, overrides and isolates, invisible operators, the byte-order mark. With those,
# two ids that look the same are two people, or an id shows reversed. The zero-width
# non-joiner and joiner are apart: Persian, Urdu and Indic words need them (in labels).
_CONTROL_CHARS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_INVISIBLE = "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_JOINERS = "\u200c\u200d"
_CONTROL = f"[{_CONTROL_CHARS}{_INVISIBLE}{_JOINERS}]"
_CONTROL_IN_WORDS = f"[{_CONTROL_CHARS}{_INVISIBLE}]"
#: How a hidden character is described in messages.
HIDDEN_CHARACTERS = ("a control or invisible character (a line break, tab, zero-width space "
                     "or direction mark)")
CODES_HINT_ID = ("Use short pseudonymous ids (at most 64 characters) without line breaks, "
                 "tabs, zero-width or direction characters; correct the id in the file.")


def hidden_characters(values: Any, *, allow_joiners: bool = False) -> np.ndarray:
    """Which values hold a control or invisible character (vectorised; missing: False).

    Line breaks, tabs and other control characters, and the invisible formatting
    characters (zero-width spaces and joiners, direction marks and overrides, the
    byte-order mark): identifiers and labels that hold one would corrupt files, show
    otherwise than they are, or look the same as another value while differing from it.
    ``allow_joiners=True`` accepts the zero-width non-joiner and joiner (U+200C, U+200D),
    which words of some scripts need (for labels; never in identifiers).
    """
    s = pd.Series(values).astype("string")
    bad = s.str.contains(_CONTROL_IN_WORDS if allow_joiners else _CONTROL, regex=True)
    return np.asarray(bad.fillna(False).to_numpy(dtype=bool), dtype=bool)


def invalid_respondent_ids(values: Any) -> np.ndarray:
    """Which respondent ids are not allowed (vectorised): too long, or holding a control or
    invisible character (see :func:`hidden_characters`).

    Blank ids are not flagged here (whether an id is required is the caller's rule). A
    control character (a line break, a tab, a bare carriage return) in an id would split a
    row of every CSV written from it and can smuggle a spreadsheet formula past the
    neutraliser; an invisible one makes two people of one id as people read it, so ids are
    checked where data comes in: scoring and the store's import.
    """
    s = pd.Series(values).astype("string")
    long = np.asarray((s.str.len() > MAX_RESPONDENT_ID).fillna(False).to_numpy(dtype=bool))
    return np.asarray(long | hidden_characters(s), dtype=bool)


def respondent_id_problem(value: Any) -> str:
    """What is wrong with one respondent id, for messages."""
    text = str(value)
    if re.search(_CONTROL, text):
        return f"holds {HIDDEN_CHARACTERS}"
    return f"is longer than {MAX_RESPONDENT_ID} characters ({len(text)})"


# ----------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class ColumnSpec:
    """One response column a measure expects, and how a data heading may name it."""

    name: str  # canonical name: item id, `<id>_<n>` (personalised), `<id>_<follow-up>`
    item_id: str
    kind: Literal["item", "follow_up"]
    scale_id: str
    required: bool
    aliases: tuple[str, ...]  # other accepted headings (item codes)
    counts_missing: bool  # a blank here is a missing answer (False: goals beyond min_count)


def column_specs(measure: Measure) -> list[ColumnSpec]:
    """The numeric response columns of ``measure`` with their aliases (item codes)."""
    used: set[str] = set()
    for rule in measure.scores:
        used.update(measure.score_items(rule))
    for alert in measure.alerts:
        if alert.when.item is not None:
            used.add(alert.when.item)
    specs: list[ColumnSpec] = []
    for item in measure.items:
        scale = measure.scales.get(item.scale)
        if scale is None or not scale.is_numeric:
            continue
        needed = item.id in used or (measure.profile and not measure.scores)
        code = item.code
        if item.personalised is None:
            aliases = (code,) if code and code != item.id else ()
            specs.append(ColumnSpec(item.id, item.id, "item", item.scale, needed, aliases, True))
        else:
            lo = item.personalised.min_count
            for n, col in enumerate(item.columns(), start=1):
                aliases = (f"{code}_{n}",) if code and code != item.id else ()
                specs.append(ColumnSpec(col, item.id, "item", item.scale, needed and n <= lo,
                                        aliases, n <= lo))
        for fu in item.follow_up:
            fscale = measure.scales.get(fu.scale)
            if fscale is None or not fscale.is_numeric:
                continue
            aliases = (f"{code}_{fu.id}",) if code and code != item.id else ()
            specs.append(ColumnSpec(f"{item.id}_{fu.id}", item.id, "follow_up", fu.scale, False,
                                    aliases, False))
    return specs


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip()).casefold()


def resolve_columns(
    measure: Measure,
    headings: list[Any],
    columns: dict[str, str] | None = None,
    *,
    file: str | None = None,
) -> tuple[dict[str, Any], list[ColumnSpec]]:
    """Match data headings to response columns.

    Returns ``{canonical column: data heading}`` and the column specs. Raises
    :class:`DataError` naming every unknown heading in ``columns`` and every required
    column that is absent, with a "did you mean".
    """
    specs = column_specs(measure)
    by_name = {s.name: s for s in specs}
    alias_of: dict[str, str] = {}
    for s in specs:
        for a in s.aliases:
            alias_of.setdefault(a, s.name)
    text_cols = {c for c in measure.response_columns() if c not in by_name}
    str_headings = {str(h): h for h in headings}
    problems: list[Diagnostic] = []
    mapping: dict[str, Any] = {}
    taken: set[Any] = set()

    if columns is not None:
        if not isinstance(columns, dict):
            raise TypeError(f"score(): `columns` must be a dict of data heading -> item id or "
                            f"code, not {type(columns).__name__}")
        for heading, target in columns.items():
            if str(heading) not in str_headings:
                hint = _cap(did_you_mean(str(heading), str_headings)) or \
                    "Check the column names in the first row of the data."
                problems.append(Diagnostic(
                    "unknown-column", f"the column map names heading {str(heading)!r}, which the "
                    "data does not have", hint, Location(file=file, field=str(heading))))
                continue
            t = str(target)
            canonical = t if t in by_name else alias_of.get(t)
            if canonical is None:
                if t in text_cols:
                    continue  # free-text columns pass through under their heading
                choices = list(by_name) + list(alias_of)
                hint = _cap(did_you_mean(t, choices)) or \
                    f"Map it to one of the measure's columns: {', '.join(list(by_name)[:12])}."
                problems.append(Diagnostic(
                    "unknown-column", f"the column map sends {str(heading)!r} to {t!r}, which is "
                    f"not a response column of {measure.id}", hint,
                    Location(file=file, field=str(heading))))
                continue
            if canonical in mapping:
                problems.append(Diagnostic(
                    "ambiguous-column", f"the column map sends both {str(mapping[canonical])!r} "
                    f"and {str(heading)!r} to {canonical!r}", "Map each item from one column.",
                    Location(file=file, field=str(heading))))
                continue
            mapping[canonical] = str_headings[str(heading)]
            taken.add(str_headings[str(heading)])

    free = [h for h in headings if h not in taken]
    exact: dict[str, list[Any]] = {}
    normed: dict[str, list[Any]] = {}
    for h in free:
        exact.setdefault(str(h), []).append(h)
        normed.setdefault(_norm(str(h)), []).append(h)
    for s in specs:
        if s.name in mapping:
            continue
        names = (s.name, *s.aliases)
        found = [h for n in names for h in exact.get(n, []) if h not in taken]
        if not found:
            found = list(dict.fromkeys(
                h for n in names for h in normed.get(_norm(n), []) if h not in taken))
        if len(found) > 1:
            shown = " and ".join(repr(str(h)) for h in found)
            problems.append(Diagnostic(
                "ambiguous-column", f"columns {shown} both match {s.name!r}",
                "Remove one of them, or map the one to use with `columns={'HEADING': "
                f"{s.name!r}}}` (CLI: `--column HEADING={s.name}`).",
                Location(file=file, field=str(found[1]))))
            continue
        if found:
            mapping[s.name] = found[0]
            taken.add(found[0])

    leftover = [str(h) for h in headings if h not in taken]
    required = [s for s in specs if s.required]
    if len(required) >= 3 and not problems and not any(s.name in mapping for s in required):
        # nothing matches at all: one message, not one per item
        shown = ", ".join(repr(h) for h in leftover[:12]) + (", ..." if len(leftover) > 12 else "")
        expected = ", ".join(repr(s.name) for s in required[:6]) + \
            (", ..." if len(required) > 6 else "")
        raise DataError([Diagnostic(
            "missing-column",
            f"none of the {len(required)} item columns is in the data (expected {expected}; "
            f"the data has {shown or 'no columns'})",
            "Check that this is the right file for this measure. Name the columns by item id "
            "or item code, or map them with `columns={'HEADING': 'item_id'}` (CLI: "
            "`--column HEADING=item_id`).", Location(file=file))],
            title=f"no item columns in {file or 'the data'}")
    for s in specs:
        if s.required and s.name not in mapping:
            names = (s.name, *s.aliases)
            guess = ""
            for n in names:
                guess = did_you_mean(n, leftover)
                if guess:
                    break
            accepted = " or ".join(repr(n) for n in names)
            hint = (_cap(guess) + " " if guess else "") + \
                "Rename the column, or map it with `columns={'HEADING': " + \
                f"{s.name!r}}}` (CLI: `--column HEADING={s.name}`)."
            problems.append(Diagnostic(
                "missing-column", f"the data has no column for item {s.name!r} (looked for "
                f"{accepted})", hint, Location(file=file, field=s.name)))
    if problems:
        raise DataError(problems, title=f"{len(problems)} column problem(s) in "
                        f"{file or 'the data'}")
    return mapping, specs


# ----------------------------------------------------------------------------- parsing
_Parsed = tuple[np.ndarray, "np.ndarray | None", "np.ndarray | None"]
# the same, and the number of NaN cells when the reader knows it without counting (or None)
_Counted = tuple[np.ndarray, "np.ndarray | None", "np.ndarray | None", "int | None"]
_Memo = dict[tuple[type, Any], tuple[float, bool]]


def _parse(series: pd.Series, memo: _Memo | None = None) -> _Parsed:
    """Cells as float64 (NaN = missing), a mask of cells that are not numbers (or None),
    and, for a column parsed through its distinct values, those values (else None).

    ``memo`` keeps the parse of distinct cells between the columns of one table.
    """
    vals, notnum, distinct, _ = _parse_counted(series, memo)
    return vals, notnum, distinct


def _parse_counted(series: pd.Series, memo: _Memo | None = None) -> _Counted:
    """:func:`_parse`, and the number of NaN cells where the reader knows it for free.

    The one-byte Arrow reader knows how many cells are empty or missing from the offsets
    it reads anyway, and the object reader counts them block by block as it gathers,
    which spares validation a pass over the column to count them.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan), None, None, None
    if dtype == np.float64:  # numpy-backed floats: a view, no copy (never written to)
        return series.to_numpy(), None, None, None
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        vals = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return vals, None, None, None
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        na = series.isna().to_numpy()
        return np.full(len(series), np.nan), ~na, None, None
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if len(series) >= 4096:
        few = _parse_by_codes(series, {} if memo is None else memo)
        if few is not None:
            return few
    num = pd.to_numeric(series, errors="coerce")
    vals = num.to_numpy(dtype=np.float64, na_value=np.nan)
    na = series.isna().to_numpy()
    suspect = np.flatnonzero(np.isnan(vals) & ~na)
    if suspect.size == 0:
        return vals, None, None, None
    texts = series.iloc[suspect].astype(str).str.strip()
    blank = texts.str.casefold().isin(BLANKS).to_numpy()
    bad = np.zeros(len(series), dtype=bool)
    bad[suspect[~blank]] = True
    return vals, (bad if bad.any() else None), None, None


_CPYTHON = sys.implementation.name == "cpython"
_HEAD = 4096
_SLOTS = 1 << 16  # address range (in 8-byte steps) parsed by direct look-up
_CELLS = 1 << 15  # cells per block of a column read block by block (stays in the cache)
# a NaN with a payload no parse produces (parsed NaNs are made canonical): "not seen yet"
_UNSEEN_BITS = np.uint64(0x7FF8_0000_5EE1_0001)
_UNSEEN = np.array([_UNSEEN_BITS]).view(np.float64)[0]


def _addresses(arr: np.ndarray) -> np.ndarray | None:
    """The object pointers of a contiguous 1-D object array, as an unsigned-integer view.

    CPython only (an object array holds one pointer per cell). The view does not keep
    ``arr`` alive: use it only while ``arr`` is referenced.
    """
    if not _CPYTHON or arr.dtype != object or arr.ndim != 1 or not arr.flags.c_contiguous \
            or arr.itemsize != np.dtype(np.uintp).itemsize or arr.size == 0:
        return None
    buf = (ctypes.c_char * arr.nbytes).from_address(arr.ctypes.data)
    return np.frombuffer(memoryview(buf), dtype=np.uintp)


def _parse_distinct(objects: np.ndarray, memo: _Memo) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`_parse` of a few distinct cells, NaNs made canonical.

    ``memo`` (value and type → parse) spares parsing again the codes that the columns of
    one table share.
    """
    vals = np.empty(len(objects))
    bad = np.zeros(len(objects), dtype=bool)
    todo: list[int] = []
    keys: list[tuple[type, Any] | None] = []
    for j, obj in enumerate(objects.tolist()):
        try:
            key: tuple[type, Any] | None = (type(obj), obj)
            hit = memo.get(key)  # type: ignore[arg-type]
        except TypeError:  # unhashable
            key, hit = None, None
        keys.append(key)
        if hit is None:
            todo.append(j)
        else:
            vals[j], bad[j] = hit
    if todo:
        t_vals, t_bad, _ = _parse(pd.Series(objects[todo], dtype=object))
        t_vals = np.where(np.isnan(t_vals), np.nan, t_vals)
        vals[todo] = t_vals
        if t_bad is not None:
            bad[todo] = t_bad
        for j in todo:
            k = keys[j]
            if k is not None:
                memo[k] = (float(vals[j]), bool(bad[j]))
    return vals, (bad if bad.any() else None)


def _gather_slots(addr: np.ndarray, lo: int, value_of: np.ndarray,
                  out: np.ndarray) -> tuple[np.ndarray, int]:
    """``out = value_of[(addr - lo) >> 3]`` (indices clipped), block by block.

    Each block's slots, values and NaN test stay in the CPU's cache: the column is read
    once and written once. Returns the cells that read the "not seen" marker and the
    number of NaN cells (the marker included: it is a NaN).
    """
    n = len(addr)
    size = min(n, _CELLS)
    slot = np.empty(size, dtype=np.uintp)
    nan = np.empty(size, dtype=bool)
    base = np.uintp(lo)
    pending: list[np.ndarray] = []
    n_nan = 0
    for s0 in range(0, n, _CELLS):
        e = min(s0 + _CELLS, n)
        sl, m, dst = slot[:e - s0], nan[:e - s0], out[s0:e]
        np.subtract(addr[s0:e], base, out=sl)  # below lo wraps to a huge (clipped) index
        np.right_shift(sl, np.uintp(3), out=sl)
        np.take(value_of, sl.view(np.intp), out=dst, mode="clip")
        np.isnan(dst, out=m)
        k = int(np.count_nonzero(m))
        if k:  # the marker is a NaN: look for it only among blocks with NaN cells
            n_nan += k
            np.equal(dst.view(np.uint64), _UNSEEN_BITS, out=m)
            if m.any():
                pending.append(np.flatnonzero(m) + s0)
    return (np.concatenate(pending) if pending else np.empty(0, dtype=np.intp)), n_nan


def _parse_by_slots(arr: np.ndarray, addr: np.ndarray, limit: int,
                    memo: _Memo) -> _Counted | None:
    """Parse an object column whose objects lie close together in memory, by table look-up.

    Live objects are 8-byte aligned and never overlap, so ``(address - lowest) / 8`` tells
    distinct objects apart; when their range is small (the one-character strings and small
    integers CPython keeps one of each sit together) it indexes a table of parsed values
    directly: one gather per column, no hashing. The table is built from the objects of
    the first cells and ends in a marker entry ("not seen") that every out-of-range
    address reads too; cells that read the marker have their objects parsed, the table is
    widened and the gather repeated. The gather counts the NaN cells as it goes (see
    :func:`_parse_counted`). None when the range is wide or there are more than ``limit``
    distinct objects.
    """
    known: dict[int, tuple[float, bool]] = {}  # address -> parse
    pending = np.arange(min(len(addr), _HEAD))  # cells whose object is not parsed yet
    lo, hi = int(addr[pending].min()), int(addr[pending].max())
    vals = np.empty(len(addr))
    while True:
        new, at = np.unique(addr[pending], return_index=True)
        objects = arr[pending[at]]
        if len(known) + len(new) > limit or any(a & 7 for a in new.tolist()):
            return None
        u_vals, u_bad = _parse_distinct(objects, memo)
        bad_list = u_bad.tolist() if u_bad is not None else [False] * len(new)
        known.update(zip(new.tolist(), zip(u_vals.tolist(), bad_list)))
        lo, hi = min(lo, int(new[0])), max(hi, int(new[-1]))
        if (hi - lo) >> 3 >= _SLOTS:
            return None
        size = ((hi - lo) >> 3) + 1
        value_of = np.full(size + 1, _UNSEEN)  # [size]: out of range, never a slot
        bad_of = np.zeros(size + 1, dtype=bool)
        k_addr = np.fromiter(known, dtype=np.uint64, count=len(known))
        k_slot = ((k_addr - np.uint64(lo)) >> np.uint64(3)).astype(np.intp)
        value_of[k_slot] = [v for v, _ in known.values()]
        bad_of[k_slot] = [b for _, b in known.values()]
        pending, n_nan = _gather_slots(addr, lo, value_of, vals)
        if not pending.size:
            break
    bad = None
    if bad_of.any():
        slot = np.subtract(addr, np.uintp(lo))
        slot >>= np.uintp(3)
        bad = np.take(bad_of, slot.view(np.intp), mode="clip")
    return vals, bad, np.fromiter((v for v, _ in known.values()), dtype=np.float64,
                                  count=len(known)), n_nan


def _factorize_addresses(arr: np.ndarray, addr: np.ndarray,
                         limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes and distinct objects of an object column, hashing the objects' pointers.

    Two equal strings that are distinct objects get two codes, which is harmless: each
    distinct object is parsed on its own. None when there are more than ``limit``.
    """
    codes, distinct = pd.factorize(addr)
    k = len(distinct)
    if k > limit:
        return None
    # distinct objects come in order of first appearance: the first cell of code j is
    # where the running maximum of the codes reaches j (usually within the first cells)
    head = codes[:_HEAD]
    seen = np.maximum.accumulate(head if int(head.max()) == k - 1 else codes)
    return codes, arr[np.searchsorted(seen, np.arange(k))]


_NULL_KEY = np.uint64(0xFFFF_FFFF_FFFF_FFFF)  # no text key has all bits set (length <= 7)
_SMALL_NULL = 3 << 16  # the missing cell's slot among the keys of values of 0-2 bytes


def _is_arrow_text(series: pd.Series) -> bool:
    """Whether the column is Arrow-backed text (``str``, ``string[pyarrow]``, or an
    ``ArrowDtype`` of ``string``/``large_string``).
    """
    dtype = series.dtype
    return (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string",
                                                                          "large_string"))


def _arrow_text(series: pd.Series) -> Any:
    """The Arrow array behind an Arrow-backed text column (pandas' ``str``), or None."""
    if not _is_arrow_text(series):
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas needs it for these dtypes
        return None
    got = series.array.__arrow_array__()
    arr = got.combine_chunks() if isinstance(got, pa.ChunkedArray) else got
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


def _factorize_short_text(arr: Any, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes and distinct values of an Arrow text array whose values are at most 7 bytes.

    Each value's bytes and length are packed into one 64-bit key, read straight from the
    array's offsets and data buffers (one gather per byte position); keys of values of at
    most two bytes (``"3"``, ``"NA"``, ``"10"``) index a table directly, longer ones — machine
    integers — are hashed. Either replaces hashing a million strings per column. None for
    values longer than 7 bytes or more than ``limit`` distinct ones.
    """
    import pyarrow as pa

    n = len(arr)
    if n == 0:
        return None
    _, offsets, data = arr.buffers()
    off_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    off = np.frombuffer(offsets, dtype=off_type)[arr.offset:arr.offset + n + 1].astype(np.int64)
    lens = np.diff(off)
    longest = int(lens.max())
    if longest > 7:
        return None
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    key = lens.astype(np.uint64) << np.uint64(56)
    starts = off[:-1]
    for j in range(longest):
        has = lens > j
        byte = raw[np.where(has, starts + j, 0)].astype(np.uint64)
        byte[~has] = 0
        key |= byte << np.uint64(8 * j)
    nulls = np.asarray(arr.is_null(), dtype=bool) if arr.null_count else None
    if longest <= 2:  # one or two bytes (most answer codes): a direct table, no hashing
        small = (key >> np.uint64(40)) | (key & np.uint64(0xFFFF))  # length * 2**16 + bytes
        slot = small.astype(np.intp)
        if nulls is not None:
            slot[nulls] = _SMALL_NULL
        seen = np.zeros(_SMALL_NULL + 1, dtype=bool)
        seen[slot] = True
        used = np.flatnonzero(seen)
        if len(used) > limit:
            return None
        code_of = np.zeros(_SMALL_NULL + 1, dtype=np.intp)
        code_of[used] = np.arange(len(used))
        codes = np.take(code_of, slot)
        keys = np.array([_NULL_KEY if u == _SMALL_NULL else
                         np.uint64(((u >> 16) << 56) | (u & 0xFFFF)) for u in used.tolist()],
                        dtype=np.uint64)
    else:
        if nulls is not None:
            key[nulls] = _NULL_KEY
        codes, keys = pd.factorize(key)
        if len(keys) > limit:
            return None
    values: list[str | None] = []
    for k in keys.tolist():
        if k == int(_NULL_KEY):
            values.append(None)
            continue
        length = k >> 56
        values.append(bytes((k >> (8 * j)) & 0xFF for j in range(length)).decode("utf-8"))
    return codes, np.array(values, dtype=object)


_BLOCK = 1 << 15  # cells per block: the block's temporaries stay in the CPU's cache
_ONE_BYTE_KEYS = 512  # key = length << 8 | first byte, for values of 0 or 1 byte
_ZERO, _NINE = 0x30, 0x39  # the bytes of "0" and "9"


def _arrow_chunks(series: pd.Series) -> list[Any] | None:
    """The Arrow chunks (string or large_string) behind an Arrow-backed text column."""
    if not _is_arrow_text(series):
        return None
    import pyarrow as pa

    got = series.array.__arrow_array__()
    chunks = got.chunks if isinstance(got, pa.ChunkedArray) else [got]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return [c for c in chunks if len(c)]


@functools.lru_cache(maxsize=1)
def _one_byte_table() -> tuple[np.ndarray, np.ndarray]:
    """Parse of every value of at most one byte, indexed by ``length << 8 | byte``.

    Keys of length 0 (any byte: a neighbour's byte is read for an empty value) all hold
    the parse of ``""``; bytes 0x80-0xFF never stand alone in UTF-8 and hold the "not
    seen" marker. Returns the values and the not-a-number flags (read-only; the parse of a
    text depends on nothing else, so it is made once).
    """
    texts = [chr(b) for b in range(128)]
    vals, bad = _parse_distinct(np.array([""] + texts, dtype=object), {})
    flags = np.zeros(len(vals), dtype=bool) if bad is None else bad
    table = np.full(_ONE_BYTE_KEYS, _UNSEEN)
    bad_of = np.zeros(_ONE_BYTE_KEYS, dtype=bool)
    table[:256], bad_of[:256] = vals[0], flags[0]
    table[256:384], bad_of[256:384] = vals[1:], flags[1:]
    table.flags.writeable = False
    bad_of.flags.writeable = False
    return table, bad_of


@functools.lru_cache(maxsize=1)
def _digits_are_their_numbers() -> bool:
    """Whether the parse of ``"0"``..``"9"`` is 0..9 (it is; checked, not assumed), so that a
    block of digit bytes converts to numbers by ``byte - 48`` instead of a table look-up.
    """
    table, bad_of = _one_byte_table()
    keys = 256 + np.arange(_ZERO, _NINE + 1)
    return bool(np.array_equal(table[keys], np.arange(10.0)) and not bad_of[keys].any())


def _offsets(arr: Any) -> np.ndarray:
    """The value offsets of an Arrow string or large_string array (a view)."""
    import pyarrow as pa

    off_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    return np.frombuffer(arr.buffers()[1], dtype=off_type)[arr.offset:arr.offset + len(arr) + 1]


@dataclass
class _OneByte:
    """What one pass over an Arrow chunk of values of at most one byte found."""

    body: np.ndarray  # the values' bytes (the data buffer: every byte is one whole value)
    lo: int  # smallest and largest byte (0, -1 when there are none)
    hi: int
    empty: int  # cells without a byte: empty values and missing cells


def _one_byte_pass(arr: Any, table: np.ndarray, out: np.ndarray) -> _OneByte | None:
    """Write the parse of every cell of one Arrow chunk whose values are at most one byte.

    Per block of cells (which stays in the CPU's cache): which cells have no byte (equal
    neighbouring offsets), and with it the test that no value is longer than one byte (a
    block of ``m`` cells of which ``k`` are empty holds ``m - k`` bytes exactly when every
    other cell holds one, the offsets never decreasing, as Arrow's format requires); then
    each cell's byte (the data itself when no cell of the block is empty; else gathered
    through the offsets), turned into its number straight into ``out`` — ``byte - 48``
    when every byte of the chunk is a digit, else a look-up in the table of the parse of
    the 128 one-byte values — and the parse of ``""`` written over the empty cells.
    Returns what was found, or None as soon as a value is longer than one byte.
    """
    n = len(arr)
    off = _offsets(arr)
    first, end = int(off[0]), int(off[-1])
    if end - first > n:  # more bytes than cells: some value is longer than one byte
        return None
    if end == first:  # no bytes: every value empty or missing
        out[:] = table[0]
        return _OneByte(np.zeros(0, dtype=np.uint8), 0, -1, n)
    # indexed by the offsets themselves; an empty last value reads index `end`, clipped to
    # the last byte (any byte of the chunk: the empty cells are overwritten)
    raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8, count=end)
    body = raw[first:]
    lo, hi = int(body.min()), int(body.max())
    digits = lo >= _ZERO and hi <= _NINE and _digits_are_their_numbers()
    by_byte = table[256:512]  # the parse of each one-byte value
    empty_value = table[0]  # the parse of ""
    size = min(n, _BLOCK)
    none = np.empty(size, dtype=bool)
    byte = np.empty(size, dtype=np.uint8)
    empty = 0
    for s0 in range(0, n, _BLOCK):
        e = min(s0 + _BLOCK, n)
        m = e - s0
        o = off[s0:e + 1]
        no, dst = none[:m], out[s0:e]
        np.equal(o[1:], o[:-1], out=no)
        k = int(np.count_nonzero(no))
        o0 = int(o[0])
        if int(o[-1]) - o0 != m - k:  # some value is longer than one byte
            return None
        if k:
            b = byte[:m]
            np.take(raw, o[:-1], out=b, mode="clip")
        else:  # every cell one byte: the block's bytes are its values, in order
            b = raw[o0:o0 + m]
        if digits:
            np.subtract(b, _ZERO, out=dst, casting="unsafe")  # exact: small whole numbers
        else:
            np.take(by_byte, b, out=dst, mode="clip")  # in range: clip skips the checks
        if k:
            np.copyto(dst, empty_value, where=no)
            empty += k
    return _OneByte(body, lo, hi, empty)


def _distinct_bytes(body: np.ndarray, lo: int, hi: int) -> list[int]:
    """The distinct bytes of a buffer whose smallest and largest are ``lo`` and ``hi``
    (answer codes: a handful, close together).
    """
    if not body.size:
        return []
    if hi - lo <= 16:  # each byte in between: found in the first cells, else looked for
        head = body[:_HEAD]
        return [lo] + [v for v in range(lo + 1, hi) if (head == v).any() or
                       (body == v).any()] + ([hi] if hi > lo else [])
    return np.flatnonzero(np.bincount(body, minlength=256)).tolist()


def _parse_arrow_one_byte(series: pd.Series, memo: _Memo) -> _Counted | None:
    """:func:`_parse_counted` of an Arrow text column whose values are at most one byte long.

    Answer codes ``"1"``..``"9"``, ``""`` and missing cells are read straight from the
    Arrow buffers (:func:`_one_byte_pass`): no hashing, no Python strings; every value is
    parsed once, through the same parser as every other cell. The values that occur are
    the distinct bytes of the data buffer, and ``""`` when there are fewer bytes than cells
    that are not missing; the number of NaN cells follows from the empty and missing
    cells and the count of each byte that parses as NaN. None (the general path takes
    over) for longer values, a value that is not a number (its message is the general
    path's), or a missing cell with bytes behind it.
    """
    chunks = _arrow_chunks(series)
    if not chunks:
        return None
    table, bad_of = _one_byte_table()
    vals = np.empty(len(series))
    start = 0
    nulls: list[np.ndarray] = []
    used: set[int] = set()
    n_empty = 0  # cells without a byte (empty or missing)
    n_nan = 0  # cells whose byte parses as NaN (".", "-", " ")
    for arr in chunks:
        m = len(arr)
        got = _one_byte_pass(arr, table, vals[start:start + m])
        if got is None:
            return None
        for b in _distinct_bytes(got.body, got.lo, got.hi):
            used.add(256 | b)
            if np.isnan(table[256 | b]) and not bad_of[256 | b]:
                n_nan += int(np.count_nonzero(got.body == b))
        if got.body.size + arr.null_count < m:
            used.add(0)  # an empty value
        n_empty += got.empty
        if arr.null_count:
            at = np.flatnonzero(np.asarray(arr.is_null(), dtype=bool))
            off = _offsets(arr)
            if np.any(off[at + 1] != off[at]):  # bytes behind a missing cell
                return None
            nulls.append(at + start)
        start += m
    keys = np.array(sorted(used), dtype=np.intp)
    if bad_of[keys].any() or (table[keys].view(np.uint64) == _UNSEEN_BITS).any():
        return None
    present = table[keys]
    n_null = 0
    if nulls:
        at = np.concatenate(nulls)
        null_val, null_bad = _parse_distinct(np.array([None], dtype=object), memo)
        if null_bad is not None:
            return None
        vals[at] = null_val[0]
        present = np.append(present, null_val)
        n_null = len(at)
        n_nan += n_null if np.isnan(null_val[0]) else 0
    n_nan += (n_empty - n_null) if np.isnan(table[0]) else 0
    return vals, None, np.unique(present), n_nan


def _parse_by_codes(series: pd.Series, memo: _Memo) -> _Counted | None:
    """:func:`_parse` of a text column through its distinct values (answer codes are few).

    Only the distinct values are parsed, and the numbers are gathered back: the same
    result as parsing every cell, at a fraction of the cost. Cells of an object column are
    told apart by object identity where they can be (text read or built in Python shares
    its objects: CPython keeps one object per one-character string and per small integer,
    and pandas' parsers reuse equal strings), which is several times faster than hashing
    and comparing the strings; else the values are factorised (one hashing pass in C).
    None when the column has too many distinct values to gain.
    """
    limit = max(256, len(series) // 64)
    fact = None
    if series.dtype == object:
        arr = np.ascontiguousarray(series.to_numpy())
        addr = _addresses(arr)
        if addr is not None:
            direct = _parse_by_slots(arr, addr, limit, memo)
            if direct is not None:
                return direct
            fact = _factorize_addresses(arr, addr, limit)
    else:
        one_byte = _parse_arrow_one_byte(series, memo)
        if one_byte is not None:
            return one_byte
        text = _arrow_text(series)
        if text is not None:
            fact = _factorize_short_text(text, limit)
    if fact is not None:
        codes, uniques = fact
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) > limit:
        return None
    u_vals, u_bad = _parse_distinct(np.asarray(uniques, dtype=object), memo)
    table = np.append(u_vals, np.nan)  # code -1 (missing) reads the NaN at the end
    vals = np.take(table, codes)
    # the values that occur: every distinct one, and NaN if a cell was missing (code -1)
    present = u_vals if fact is not None or not (codes < 0).any() else table
    if u_bad is None:
        return vals, None, present, None
    bad = np.append(u_bad, False)[codes]
    return vals, (bad if bad.any() else None), present, None


def _fmt(v: float) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def allowed_text(scale: Any) -> str:
    """The answers a scale allows, for messages: ``0, 1, 2, 3`` or ``0 to 10 in steps of 1``."""
    if scale.type in ("ordinal", "yesno"):
        parts = []
        for o in sorted(scale.options, key=lambda o: float(o.value)):
            parts.append(_fmt(float(o.value)))
        return ", ".join(parts)
    if scale.type == "numeric":
        return f"{_fmt(float(scale.min))} to {_fmt(float(scale.max))} in steps of " \
               f"{_fmt(float(scale.step))}"
    return f"any value from {_fmt(float(scale.min))} to {_fmt(float(scale.max))}"


@dataclass
class _ScaleCheck:
    """Precomputed validity test of one scale."""

    kind: str
    lo: float
    hi: float
    step: float = 1.0
    consecutive: bool = False
    allowed: np.ndarray = field(default_factory=lambda: np.empty(0))
    missing_values: np.ndarray = field(default_factory=lambda: np.empty(0))
    text: str = ""
    labels: dict[str, float] = field(default_factory=dict)


def scale_check(scale: Any, lang: str) -> _ScaleCheck:
    """Build the validity test of a numeric scale."""
    text = allowed_text(scale)
    if scale.type in ("ordinal", "yesno"):
        allowed = np.array(sorted({float(o.value) for o in scale.options}))
        miss = np.array(sorted({float(o.value) for o in scale.options if o.missing}))
        scored = sorted({float(o.value) for o in scale.options if not o.missing}) or \
            allowed.tolist()
        lo, hi = float(scored[0]), float(scored[-1])
        consecutive = bool(
            all(float(v).is_integer() for v in scored) and len(scored) == hi - lo + 1)
        labels: dict[str, float] = {}
        for o in scale.options:
            lab = o.label
            for t in ([lab] if isinstance(lab, str) else list((lab or {}).values())):
                labels[_norm(t)] = float(o.value)
        return _ScaleCheck(scale.type, lo, hi, 1.0, consecutive, allowed, miss, text, labels)
    if scale.type == "numeric":
        return _ScaleCheck("numeric", float(scale.min), float(scale.max), float(scale.step),
                           text=text)
    return _ScaleCheck("vas", float(scale.min), float(scale.max), text=text)


def invalid_mask(vals: np.ndarray, chk: _ScaleCheck) -> np.ndarray:
    """Cells that hold a number that is not a valid answer (NaN cells are never invalid)."""
    with np.errstate(invalid="ignore"):
        if chk.kind in ("ordinal", "yesno"):
            if chk.consecutive:
                bad = (vals < chk.lo) | (vals > chk.hi) | (np.rint(vals) != vals)
                # NaN != NaN is True: clear missing cells
                bad &= ~np.isnan(vals)
                if chk.missing_values.size:
                    bad &= ~np.isin(vals, chk.missing_values)
                return np.asarray(bad, dtype=bool)
            near = np.round(vals, 9)
            return np.asarray(~np.isin(near, chk.allowed) & ~np.isnan(vals), dtype=bool)
        if chk.kind == "numeric":
            k = (vals - chk.lo) / chk.step
            off = np.abs(k - np.rint(k)) > 1e-7
            out = (vals < chk.lo - _EPS) | (vals > chk.hi + _EPS) | off
            out &= ~np.isnan(vals)
            return np.asarray(out, dtype=bool)
        return np.asarray((vals < chk.lo - _EPS) | (vals > chk.hi + _EPS) | np.isinf(vals),
                          dtype=bool)


_BLOCK = 1 << 15


def screen(vals: np.ndarray, chk: _ScaleCheck) -> tuple[int, float, float, bool]:
    """One cache-friendly pass over a column: NaN count, min, max, all on the step grid.

    When min and max lie on the scale and every value is a whole number of steps, no cell
    can be invalid and the exact (slower) test is skipped.
    """
    n = len(vals)
    n_nan, mn, mx, whole = 0, math.inf, -math.inf, True
    if n == 0:
        return 0, mn, mx, True
    grid = chk.kind == "numeric" or (chk.kind in ("ordinal", "yesno") and chk.consecutive)
    shift = chk.kind == "numeric" and (chk.lo != 0.0 or chk.step != 1.0)
    buf = np.empty(min(n, _BLOCK))
    buf2 = np.empty(min(n, _BLOCK) if shift else 0)
    mask = np.empty(min(n, _BLOCK), dtype=bool)
    with np.errstate(invalid="ignore"):
        for s in range(0, n, _BLOCK):
            b = vals[s:s + _BLOCK]
            t, m = buf[: len(b)], mask[: len(b)]
            np.isnan(b, out=m)
            c = int(np.count_nonzero(m))
            n_nan += c
            if c == len(b):
                continue
            lo_b, hi_b = float(np.fmin.reduce(b)), float(np.fmax.reduce(b))
            if lo_b < mn:
                mn = lo_b
            if hi_b > mx:
                mx = hi_b
            if grid and whole:
                if shift:  # k = (v - min) / step must be whole
                    t2 = buf2[: len(b)]
                    np.subtract(b, chk.lo, out=t2)
                    np.divide(t2, chk.step, out=t2)
                    np.floor(t2, out=t)
                    np.subtract(t2, t, out=t)
                else:
                    np.floor(b, out=t)
                    np.subtract(b, t, out=t)
                if float(np.fmax.reduce(t)) > 0.0:
                    whole = False
    return n_nan, mn, mx, whole


def _root(a: np.ndarray) -> Any:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a.base if a.base is not None else a


def stack_view(arrays: list[np.ndarray]) -> np.ndarray | None:
    """A read-only (rows × columns) view of 1-D float columns that sit side by side in one
    buffer (e.g. the columns of a DataFrame built from a 2-D array), or None.

    Working on row blocks of such a view reads the memory once, where column-by-column
    work on strided columns would read it once per column.
    """
    k = len(arrays)
    if k < 2:
        return None
    a0 = arrays[0]
    if a0.ndim != 1 or a0.dtype != np.float64:
        return None
    n, stride = len(a0), a0.strides[0]
    if n < 2 or stride == 8:
        return None  # contiguous columns are already fast column by column
    p0 = a0.__array_interface__["data"][0]
    d = arrays[1].__array_interface__["data"][0] - p0
    root = _root(a0)
    for j, a in enumerate(arrays):
        if a.ndim != 1 or a.dtype != np.float64 or len(a) != n or a.strides[0] != stride:
            return None
        if a.__array_interface__["data"][0] != p0 + j * d or _root(a) is not root:
            return None
    if not isinstance(root, np.ndarray):
        return None
    lo = root.__array_interface__["data"][0]
    hi = lo + root.nbytes
    first = p0 + min(0, (k - 1) * d) + min(0, (n - 1) * stride)
    last = p0 + max(0, (k - 1) * d) + max(0, (n - 1) * stride) + 8
    if first < lo or last > hi:
        return None
    return np.lib.stride_tricks.as_strided(a0, shape=(n, k), strides=(stride, d),
                                           writeable=False)


def screen2d(mat: np.ndarray, chk: _ScaleCheck) -> list[tuple[int, float, float, bool]]:
    """:func:`screen` of every column of a (rows × columns) view, in row blocks."""
    n, k = mat.shape
    n_nan = np.zeros(k, dtype=np.int64)
    mn = np.full(k, np.inf)
    mx = np.full(k, -np.inf)
    whole = np.ones(k, dtype=bool)
    grid = chk.kind == "numeric" or (chk.kind in ("ordinal", "yesno") and chk.consecutive)
    shift = chk.kind == "numeric" and (chk.lo != 0.0 or chk.step != 1.0)
    rows = max(1024, (1 << 16) // k)
    buf = np.empty((min(n, rows), k))
    buf2 = np.empty((min(n, rows), k) if shift else (0, k))
    mask = np.empty((min(n, rows), k), dtype=bool)
    with np.errstate(invalid="ignore"):
        for s in range(0, n, rows):
            b = mat[s:s + rows]
            t, m = buf[: len(b)], mask[: len(b)]
            np.isnan(b, out=m)
            n_nan += np.count_nonzero(m, axis=0)
            np.fmin(mn, np.fmin.reduce(b, axis=0), out=mn)
            np.fmax(mx, np.fmax.reduce(b, axis=0), out=mx)
            if grid:
                if shift:
                    t2 = buf2[: len(b)]
                    np.subtract(b, chk.lo, out=t2)
                    np.divide(t2, chk.step, out=t2)
                    np.floor(t2, out=t)
                    np.subtract(t2, t, out=t)
                else:
                    np.floor(b, out=t)
                    np.subtract(b, t, out=t)
                whole &= ~(np.fmax.reduce(t, axis=0) > 0.0)
    return [(int(n_nan[j]), float(mn[j]), float(mx[j]), bool(whole[j])) for j in range(k)]


# ----------------------------------------------------------------------------- result
class ValidationResult(Result):
    """Response data checked against a measure: numbers ready to score, and what was wrong.

    Attributes
    ----------
    values : pandas.DataFrame
        One float column per response column of the measure present in the data (canonical
        names: item ids, ``goal_1`` ..., ``<item>_<follow-up>``), raw answers as given
        (not reversed), NaN where missing. Only the rows kept (not rejected); the index is
        that of the input.
    rows : pandas.Index
        Spreadsheet row number (header = row 1) of each kept row.
    rejected : pandas.DataFrame
        One line per problem of each rejected row: ``row``, ``column``, ``reason``,
        ``message`` and the pass-through columns of that row.
    diagnostics : list of Diagnostic
        Every invalid cell (errors) or cell treated as missing (warnings).
    passthrough : list
        Data headings that are not response columns, in data order.
    column_map : dict
        Canonical response column → data heading.
    missing : dict
        Cells treated as missing, by reason (``blank``, ``missing-option``, and with
        ``on_invalid="missing"`` the invalid-value codes).
    n_rows : int
        Rows in the input.
    """

    values: Any
    rows: Any
    rejected: Any
    diagnostics: list[Any]
    passthrough: list[Any]
    column_map: dict[str, Any]
    missing: dict[str, int]
    n_rows: int
    on_invalid: str
    first_row: int = 2
    # full-length arrays for the scoring engine (not part of the public surface)
    arrays: dict[str, Any] = {}
    keep: Any = None
    reject_codes: dict[str, int] = {}
    row_numbers: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "n_rows": self.n_rows,
            "n_kept": int(len(self.rows)),
            "n_rejected": self.n_rows - int(len(self.rows)),
            "on_invalid": self.on_invalid,
            "column_map": {k: str(v) for k, v in self.column_map.items()},
            "missing": dict(self.missing),
            "rejected": to_jsonable(self.rejected),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.values

    @property
    def matrix(self) -> Any:
        """The kept responses as a float64 NumPy array (rows × response columns)."""
        return self.values.to_numpy(dtype=np.float64)

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        n_kept = len(self.rows)
        lines = [f"{self.n_rows} row(s) in, {n_kept} kept, {self.n_rows - n_kept} rejected"]
        if self.missing:
            lines.append("cells treated as missing: " + ", ".join(
                f"{v} {k}" for k, v in sorted(self.missing.items())))
        return "\n".join(lines)


def _display(raw: Any) -> str:
    """A cell as the file has it, for messages: text as written, numbers in full.

    Text that reads as a number is shown as written (``3.0000001``, ``1e308``), other text
    quoted; a float shows its shortest exact form (``3.0000001``, ``1e+308``), never
    rounded and never expanded to hundreds of digits.
    """
    if isinstance(raw, (float, np.floating)):
        f = float(raw)
        if math.isfinite(f) and f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return repr(f)
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        text = str(int(raw))
        return text if len(text) <= 40 else text[:20] + "..." + text[-10:]
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > 40:
            text = text[:37] + "..."
        try:
            float(text)
        except ValueError:
            return repr(text)
        return text if text.lower().lstrip("+-") not in ("nan", "inf", "infinity") \
            else repr(text)
    return repr(raw)


def validate_responses(  # noqa: C901 - every validation rule of a response cell, vectorised in one pass
    measure: Measure,
    df: Any,
    columns: dict[str, str] | None = None,
    on_invalid: OnInvalid = "error",
    *,
    file: str | None = None,
    first_row: int = 2,
    lang: str | None = None,
    row_numbers: Any = None,
) -> ValidationResult:
    """Check response data against a measure and return the numbers to score.

    Parameters
    ----------
    measure : Measure
        The measure the data answers.
    df : pandas.DataFrame, list of dict or dict
        Wide data: one row per administration (a list of records, or a dict of columns or
        of one record's values, is turned into a DataFrame). Response columns are found by
        item id, by the item's ``code`` (as printed on paper forms) or through ``columns``;
        every other column passes through untouched.
    columns : dict, optional
        Data heading → item id (or code) for files with other headings,
        e.g. ``{"Q1 interest": "interest"}``.
    on_invalid : {"error", "reject", "missing"}
        What to do with a value that is not a valid answer for its item (a number not on
        the scale, text in a numeric column, a fraction on an integer scale):
        ``"error"`` raises :class:`~measurelib.DataError` listing every offending row and
        column; ``"reject"`` drops those rows and reports them in ``.rejected``;
        ``"missing"`` treats the cell as missing (reported in ``.diagnostics`` and
        ``.missing``), after which the score's missing-data rule applies.
    file : str, optional
        File name used in messages.
    first_row : int
        Spreadsheet row number of the first data row (2 when the header is row 1).
    lang : str, optional
        Language of option labels mentioned in messages.
    row_numbers : array of int, optional
        The spreadsheet row number of each row, when they are not consecutive from
        ``first_row`` (a file whose blank rows were dropped); overrides ``first_row``.

    Returns
    -------
    ValidationResult

    Notes
    -----
    Blank cells, ``NA``, ``N/A``, ``#N/A``, ``-``, ``.`` and similar spreadsheet blanks are
    missing, not invalid. Numbers stored as text (``"3"``, ``" 3 "``, ``"3.0"``) and floats
    such as Excel's ``3.0`` are accepted. Options flagged ``missing: true`` ("Don't know")
    are valid answers that count as missing.
    """
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be one of {', '.join(map(repr, ON_INVALID))}; "
                         f"got {on_invalid!r}")
    if isinstance(df, (list, tuple)) and all(isinstance(r, dict) for r in df):
        df = pd.DataFrame(list(df))  # records: one dict per administration
    elif isinstance(df, dict):
        df = pd.DataFrame({k: (v if isinstance(v, (list, tuple)) else [v])
                           for k, v in df.items()})  # columns, or a single record
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame (one row per administration), a "
                        f"list of records or a dict of columns, not {type(df).__name__}")
    if not isinstance(first_row, int) or first_row < 1:
        raise ValueError(f"first_row must be a positive integer; got {first_row!r}")
    if row_numbers is not None:
        row_numbers = np.asarray(row_numbers, dtype=np.int64)
        if row_numbers.shape != (len(df),):
            raise ValueError(f"row_numbers must give one number per row ({len(df)}); got "
                             f"{row_numbers.shape[0] if row_numbers.ndim else 0}")

    def row_of(p: int) -> int:
        return int(row_numbers[p]) if row_numbers is not None else p + first_row
    headings = list(df.columns)
    if len(set(map(str, headings))) != len(headings):
        dup = sorted({str(h) for h in headings if list(map(str, headings)).count(str(h)) > 1})
        raise DataError([Diagnostic("ambiguous-column", f"the data has more than one column "
                                    f"named {d!r}", "Rename or remove the duplicate column.",
                                    Location(file=file, field=d)) for d in dup])
    mapping, specs = resolve_columns(measure, headings, columns, file=file)
    lang = lang or measure.language
    n = len(df)
    checks: dict[str, _ScaleCheck] = {}
    arrays: dict[str, np.ndarray] = {}
    bad_cells: list[tuple[str, np.ndarray, str]] = []  # (column, row positions, code)
    missing: dict[str, int] = {}
    # (reason, count over all rows, parsed values or mask, not-a-number mask)
    counts: list[tuple[str, int, np.ndarray, np.ndarray | None]] = []
    parsed: dict[str, _Parsed] = {}
    memo: _Memo = {}  # parsed distinct cells, shared by the columns
    screened: dict[str, tuple[int, float, float, bool]] = {}
    groups: dict[str, list[str]] = {}
    for spec in specs:
        heading = mapping.get(spec.name)
        if heading is None:
            continue
        if spec.scale_id not in checks:
            checks[spec.scale_id] = scale_check(measure.scales[spec.scale_id], lang)
        vals, notnum, distinct, known_nan = _parse_counted(df[heading], memo)
        parsed[spec.name] = vals, notnum, distinct
        if distinct is not None and n:  # parsed through its distinct values: screen those
            n_nan, mn, mx, whole = screen(distinct, checks[spec.scale_id])
            if n_nan:
                n_nan = known_nan if known_nan is not None else \
                    int(np.count_nonzero(np.isnan(vals)))
            screened[spec.name] = (n_nan, mn, mx, whole)
        elif notnum is None:
            groups.setdefault(spec.scale_id, []).append(spec.name)
    # columns side by side in one buffer (a frame built from a 2-D array): screen them in
    # row blocks, reading the memory once
    for scale_id, names in groups.items():
        mat = stack_view([parsed[c][0] for c in names])
        if mat is not None:
            screened.update(zip(names, screen2d(mat, checks[scale_id])))
    # integer columns (what read_csv gives): never missing, always whole; min and max of the
    # integers themselves are all the screen needs
    for spec in specs:
        heading = mapping.get(spec.name)
        if heading is None or spec.name in screened or not n:
            continue
        col = df[heading]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu":
            ints = col.to_numpy()
            screened[spec.name] = (0, float(ints.min()), float(ints.max()), True)
    for spec in specs:
        heading = mapping.get(spec.name)
        if heading is None:
            continue
        chk = checks.get(spec.scale_id)
        if chk is None:
            chk = checks[spec.scale_id] = scale_check(measure.scales[spec.scale_id], lang)
        vals, notnum, _ = parsed[spec.name]
        stats = screened.get(spec.name)
        n_nan, mn, mx, whole = stats if stats is not None else screen(vals, chk)
        fast = whole and (n_nan == n or (mn >= chk.lo - _EPS and mx <= chk.hi + _EPS))
        if chk.kind in ("ordinal", "yesno") and not chk.consecutive:
            fast = False
        if spec.counts_missing:
            n_notnum = int(np.count_nonzero(notnum)) if notnum is not None else 0
            counts.append(("blank", n_nan - n_notnum, vals, notnum))
        if not fast:
            bad = invalid_mask(vals, chk)
            if bad.any():
                bad_cells.append((spec.name, np.flatnonzero(bad), "invalid-answer"))
        if notnum is not None:
            bad_cells.append((spec.name, np.flatnonzero(notnum), "not-a-number"))
        if chk.missing_values.size and not fast and bool(
                ((chk.missing_values >= mn) & (chk.missing_values <= mx)).any()):
            opt_missing = np.isin(vals, chk.missing_values)
            if opt_missing.any():
                if spec.counts_missing:
                    counts.append(("missing-option", int(np.count_nonzero(opt_missing)),
                                   opt_missing, None))
                vals = np.where(opt_missing, np.nan, vals)
        arrays[spec.name] = vals

    diagnostics: list[Diagnostic] = []
    keep: np.ndarray | None = None
    rejected_rows: list[dict[str, Any]] = []
    reject_codes: dict[str, int] = {}
    id_heading = next((h for h in headings if str(h) in RESPONDENT_ID_COLUMNS
                       and h not in set(mapping.values())), None)
    id_bad = np.flatnonzero(invalid_respondent_ids(df[id_heading])) \
        if id_heading is not None else np.empty(0, dtype=np.intp)
    if bad_cells or id_bad.size:
        order = {s.name: i for i, s in enumerate(specs)}
        cells: list[tuple[int, int, str, str]] = []
        for name, pos, code in bad_cells:
            cells.extend((int(p), order[name], name, code) for p in pos)
        cells.extend((int(p), -1, _ID, "invalid-respondent-id") for p in id_bad)
        cells.sort()
        severity = "warning" if on_invalid == "missing" else "error"
        spec_by_name = {s.name: s for s in specs}
        heading_of = {**mapping, _ID: id_heading}
        for p, _, name, code in cells:
            heading = heading_of[name]
            raw = df[heading].iloc[p]
            if code == "invalid-respondent-id":
                diagnostics.append(Diagnostic(
                    code, f"respondent id {_display(raw)} {respondent_id_problem(raw)}",
                    CODES_HINT_ID, Location(file=file, row=row_of(p), field=str(heading))))
                continue
            chk = checks[spec_by_name[name].scale_id]
            if code == "not-a-number":
                msg = f"value {_display(raw)} is not a number (allowed: {chk.text})"
                hint = "Enter the number of the answer; leave the cell blank if unanswered."
                label_val = chk.labels.get(_norm(str(raw)))
                if label_val is not None:
                    hint = f"{_display(raw)} is the label of answer {_fmt(label_val)}: enter " \
                           f"{_fmt(label_val)}."
            else:
                msg = f"value {_display(raw)} is not a valid answer (allowed: {chk.text})"
                hint = "Correct the value from the paper form, or leave it blank if unanswered."
            diagnostics.append(Diagnostic(
                code, msg, hint,
                Location(file=file, row=row_of(p), field=str(heading)),
                severity))  # type: ignore[arg-type]
        if on_invalid == "error":
            n_bad_rows = len({c[0] for c in cells})
            raise DataError(diagnostics, title=f"{len(cells)} invalid value(s) in {n_bad_rows} "
                            "row(s) "
                            f"of {file or 'the data'}")
        if on_invalid == "missing":
            if id_bad.size:  # a row without a usable id cannot be kept
                keep = np.ones(n, dtype=bool)
                for (p, _, _name, code), d in zip(cells, diagnostics):
                    if code == "invalid-respondent-id":
                        keep[p] = False
                        reject_codes[code] = reject_codes.get(code, 0) + 1
                        rejected_rows.append({"_pos": p, "row": row_of(p),
                                              "column": str(id_heading), "reason": code,
                                              "message": d.message})
            for name, pos, code in bad_cells:
                arr = arrays[name]
                if not arr.flags.writeable or np.shares_memory(arr, df[mapping[name]].to_numpy()):
                    arr = arr.copy()
                arr[pos] = np.nan
                arrays[name] = arr
                if spec_by_name[name].counts_missing:
                    missing[code] = missing.get(code, 0) + len(pos)
        else:  # reject
            keep = np.ones(n, dtype=bool)
            for (p, _, name, code), d in zip(cells, diagnostics):
                keep[p] = False
                reject_codes[code] = reject_codes.get(code, 0) + 1
                rejected_rows.append({"_pos": p, "row": row_of(p),
                                      "column": str(heading_of[name]), "reason": code,
                                      "message": d.message})
            for name, pos, _code in bad_cells:
                arr = arrays[name].copy()
                arr[pos] = np.nan
                arrays[name] = arr
    for reason, k, arr, notnum in counts:
        if keep is not None:  # count kept rows only
            mask = np.isnan(arr) if arr.dtype != np.bool_ else arr
            if notnum is not None:
                mask = mask & ~notnum
            k = int(np.count_nonzero(mask & keep))
        if k:
            missing[reason] = missing.get(reason, 0) + k
    passthrough = [h for h in headings if h not in set(mapping.values())]
    values_cols = {s.name: arrays[s.name] for s in specs if s.name in arrays}
    rows: Any = pd.RangeIndex(first_row, first_row + n, name="row") if row_numbers is None \
        else pd.Index(row_numbers, name="row")  # lazy when consecutive: no array
    index = df.index
    if keep is not None:
        rows = rows[keep]
        index = index[keep]
        values = pd.DataFrame({k: v[keep] for k, v in values_cols.items()}, index=index)
    else:
        values = pd.DataFrame(values_cols, index=index, copy=False)
    rejected = _rejected_frame(df, rejected_rows, passthrough)
    return ValidationResult(
        values=values, rows=rows, rejected=rejected, diagnostics=diagnostics,
        passthrough=passthrough, column_map={k: v for k, v in mapping.items()},
        missing=missing, n_rows=n, on_invalid=on_invalid, first_row=first_row,
        arrays=arrays, keep=keep,
        reject_codes=reject_codes, row_numbers=row_numbers,
    )


REJECTED_COLUMNS = ["row", "column", "reason", "message"]


def _rejected_frame(df: pd.DataFrame, rows: list[dict[str, Any]], passthrough: list[Any]) -> Any:
    if not rows:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype=object),
                             "reason": pd.Series(dtype=object),
                             "message": pd.Series(dtype=object)})
    frame = pd.DataFrame(rows)
    pos = frame.pop("_pos").to_numpy()
    extra = [h for h in passthrough if str(h) not in REJECTED_COLUMNS]
    if extra:
        ids = df[extra].iloc[pos].reset_index(drop=True)
        frame = pd.concat([frame, ids], axis=1)
    return frame
