"""Shared fixtures of the interoperability tests: every shipped measure, random rows."""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import measurelib as ml
from measurelib.errors import LicenceWarning

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ["charity-wellbeing.yaml", "battery-phq9-gad7.yaml", "feeling-today-cy-ar.yaml"]


def _shipped() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [(e.id, e.path) for e in ml.catalog()]
    out += [(f"examples/{n}", ROOT / "instruments" / "examples" / n) for n in EXAMPLES]
    return out


SHIPPED = _shipped()
_CACHE: dict[str, Any] = {}


def load_shipped(path: Any) -> ml.Measure:
    """A shipped measure, built when it composes (licence warnings of sources silenced)."""
    key = str(path)
    if key not in _CACHE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LicenceWarning)
            m = ml.load(path)
            if m.compose:
                m = ml.build(path)
        _CACHE[key] = m
    return _CACHE[key]


@pytest.fixture(params=SHIPPED, ids=[s[0] for s in SHIPPED])
def shipped(request: pytest.FixtureRequest) -> ml.Measure:
    """Every catalog measure and bank, and the examples (built)."""
    return load_shipped(request.param[1])


def random_rows(m: ml.Measure, n: int, seed: int = 0, p_missing: float = 0.15
                ) -> list[dict[str, Any]]:
    """Valid response rows with random gaps (missing answers and missing options)."""
    from measurelib.interop._export._common import column_specs

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {}
        gap = p_missing if i % 3 else 0.0  # every third row is complete
        for s in column_specs(m):
            if rng.random() < gap:
                continue
            if s.kind == "choice":
                row[s.column] = rng.choice(s.options).value
            elif s.kind == "integer":
                lo, hi = int(s.minimum or 0), int(s.maximum or 0)
                step = int(s.step or 1)
                row[s.column] = lo + step * rng.randint(0, (hi - lo) // step)
            elif s.kind == "decimal":
                row[s.column] = round(rng.uniform(s.minimum or 0, s.maximum or 0), 1)
            else:
                row[s.column] = rng.choice(["fine", "=1+1", "-x", "a, b | c"])
        rows.append(row)
    return rows


@pytest.fixture
def rows_of() -> Callable[..., list[dict[str, Any]]]:
    return random_rows


def measurelib_scores(m: ml.Measure, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """measurelib's own scores of ``rows`` ({score id: value or None} per row)."""
    import pandas as pd

    from measurelib.interop._export._common import column_specs

    cols = [s.column for s in column_specs(m)]
    frame = pd.DataFrame(rows, columns=cols)
    res = m.score(frame, on_invalid="error")
    assert res.account.rows_scored == len(rows)
    out = []
    for i in range(len(rows)):
        d = {}
        for r in m.scores:
            v = res.scores[r.id].iloc[i]
            d[r.id] = None if pd.isna(v) else float(v)
        out.append(d)
    return out


@pytest.fixture
def own_scores() -> Callable[..., list[dict[str, Any]]]:
    return measurelib_scores


def conversion_table_scores(m: ml.Measure, rows: list[dict[str, Any]]
                            ) -> list[dict[str, Any]]:
    """What a form computes for each ``method: irt`` score of ``rows``: measurelib's EAP for
    summed scores rounded as the printed conversion table, or None when an answer is
    skipped (the table needs every question answered)."""
    from measurelib.definition import ScoreIRT

    rules = [r.model_copy(update={"irt": (r.irt or ScoreIRT()).model_copy(
        update={"estimator": "EAP_sum"})}) if r.method == "irt" else r for r in m.scores]
    scores = measurelib_scores(m.model_copy(update={"scores": rules}), rows)
    mt = m.calibration.metric if m.calibration is not None else None
    dec = mt.decimals if mt is not None and mt.decimals is not None else (
        1 if mt is not None and mt.sd >= 5 else 3)
    out = []
    for row, got in zip(rows, scores):
        d = {}
        for r in m.scores:
            if r.method != "irt":
                continue
            v = got[r.id]
            complete = all(c in row for c in m.score_items(r))
            d[r.id] = round(v, dec) if complete and v is not None else None
        out.append(d)
    return out


@pytest.fixture
def table_scores() -> Callable[..., list[dict[str, Any]]]:
    return conversion_table_scores


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


@pytest.fixture
def close() -> Callable[[float | None, float | None], bool]:
    return same
