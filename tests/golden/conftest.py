"""Shared checks of the golden tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _check_estimates(res: Any, ref: list[dict[str, Any]], tol: float) -> None:
    """``res.estimates`` equals lavaan's parameterEstimates() rows ``ref``: same rows in the
    same order, est and se to ``tol``, z to ``tol`` or 1e-4 relative."""
    est = res.estimates.set_index(["lhs", "op", "rhs", "group"])
    assert [tuple(r) for r in est.index] == [
        (r["lhs"], r["op"], r["rhs"], r["group"]) for r in ref
    ]
    for row in ref:
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        got = est.loc[key]
        assert got["est"] == pytest.approx(row["est"], abs=tol), key
        assert got["se"] == pytest.approx(row["se"] or 0.0, abs=tol), key
        if row["z"] is not None:
            assert got["z"] == pytest.approx(row["z"], abs=max(tol, 1e-4 * abs(row["z"])))


@pytest.fixture
def check_estimates() -> Callable[[Any, list[dict[str, Any]], float], None]:
    return _check_estimates
