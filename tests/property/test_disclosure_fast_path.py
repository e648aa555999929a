"""The disclosure control's quick proofs give the integer programme's answers.

:func:`measurelib._output._disclosure.protect` asks, for each small hidden count, whether
it can take only one value. Two quick exact arguments (the count is pinned down by the
relations; another solution moves it) settle most cases without SciPy's solver, which
takes longer to import than a small store's whole report. Here, on random tables with
margins, several breakdowns of one total and hierarchies, every quick answer is compared
with the solver's, and the cells hidden with and without the quick path are the same.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Hashable
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measurelib._output import _disclosure as dc
from measurelib._output._disclosure import Cells, exposure, protect


@st.composite
def tables(draw: Any) -> Cells:
    """A total split into categories, each category split by one or two breakdowns (with
    the breakdowns' margins), and sometimes a second total split by month."""
    k = draw(st.integers(2, 8))
    cells = Cells(min_cell=k)
    cats = draw(st.lists(st.integers(0, 12), min_size=1, max_size=4))
    total = cells.add("T", sum(cats))
    cells.relate(total, [cells.add(("c", i), v) for i, v in enumerate(cats)])
    for b in range(draw(st.integers(0, 2))):
        groups = draw(st.integers(1, 4))
        margin = [0] * groups
        for i, v in enumerate(cats):
            split = [0] * groups
            for _ in range(v):  # each member of the category falls in one group
                split[draw(st.integers(0, groups - 1))] += 1
            cells.relate(("c", i), [cells.add(("x", b, i, g), n) for g, n in enumerate(split)])
            margin = [m + n for m, n in zip(margin, split)]
        keys = [cells.add(("m", b, g), n) for g, n in enumerate(margin)]
        cells.relate(total, keys)
        for g in range(groups):
            cells.relate(keys[g], [("x", b, i, g) for i in range(len(cats))])
    if draw(st.booleans()):
        months = draw(st.lists(st.integers(0, 6), min_size=1, max_size=6))
        t2 = cells.add("T2", sum(months))
        cells.relate(t2, [cells.add(("month", j), v) for j, v in enumerate(months)])
        if sum(months) <= sum(cats):  # a follow-up count within the total: T = T2 + rest
            cells.relate(total, [t2, cells.add("rest", sum(cats) - sum(months))])
    return cells


def _solver_exposure(cells: Cells, hidden: set[Hashable], target: Hashable) -> bool:
    return exposure(cells.min_cell, *dc._bounds(cells, hidden, target))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_quick_answers_are_the_solvers_and_hide_the_same_cells(cells: Cells) -> None:
    quick = dc._fast_exposure
    decided: list[tuple[bool, bool]] = []

    def checked(cells: Cells, hidden: set[Hashable], rel_of: dict[Hashable, list[int]],
                target: Hashable) -> bool | None:
        answer = quick(cells, hidden, rel_of, target)
        if answer is not None:
            decided.append((answer, _solver_exposure(cells, hidden, target)))
        return answer

    with mock.patch.object(dc, "_fast_exposure", checked):
        fast = protect(cells)
    with mock.patch.object(dc, "_fast_exposure", lambda *args: None):
        slow = protect(cells)
    assert [a for a, b in decided if a != b] == []
    assert fast.hidden == slow.hidden
    assert fast.primary == slow.primary


def test_a_pinned_count_and_a_movable_one() -> None:
    cells = Cells(min_cell=5)
    cells.relate(cells.add("T", 10), [cells.add("a", 2), cells.add("b", 8)])
    rel_of = {"T": [0], "a": [0], "b": [0]}
    assert dc._fast_exposure(cells, {"a"}, rel_of, "a") is True  # 10 - 8
    assert dc._fast_exposure(cells, {"a", "b"}, rel_of, "a") is False  # 3 + 7 also fits
    ones = Cells(min_cell=5)
    ones.relate(ones.add("T", 2), [ones.add("a", 1), ones.add("b", 1)])
    assert dc._fast_exposure(ones, {"a", "b"}, rel_of, "a") is True  # both ≥ 1: 1 + 1 only


def test_a_small_store_report_does_not_load_the_solver(tmp_path: Any) -> None:
    code = (
        "import sys\n"
        "from measurelib._output._disclosure import Cells, protect\n"
        "c = Cells(min_cell=5)\n"
        "c.relate(c.add('T', 20), [c.add(('s', i), v) for i, v in enumerate([2, 9, 6, 3])])\n"
        "c.relate('T', [c.add(('m', i), v) for i, v in enumerate([12, 8])])\n"
        "p = protect(c)\n"
        "assert p.hidden == {('s', 0), ('s', 3)}, p.hidden\n"
        "assert 'scipy.optimize' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
