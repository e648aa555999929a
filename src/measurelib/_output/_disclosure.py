"""Statistical disclosure control of published counts: primary and complementary suppression.

Every aggregate output of measurelib (the impact report's headline, categories, bands,
breakdowns, months and charts; the score summary's band counts) is built as a set of
*cells* (counts) and the *relations* between them (a total equals the sum of its parts).
:func:`protect` decides which cells are shown and which are hidden, once, and every
sentence, table, chart and JSON field is then written from that decision.

The protection rule
-------------------
1. **Primary suppression**: a count from 1 to ``min_cell - 1`` is hidden. Zeros are shown.
2. **Complementary (secondary) suppression**: further non-zero counts are hidden until no
   hidden small count can be worked out from what is shown. Every hidden cell is shown with
   the same marker (:data:`MARKER`), so the marker does not tell a small count from a
   complementary one; an attacker knows only that a hidden count is at least 1.
3. **The test of (2)**: for each primary cell, the values it could take given every shown
   count and every relation (an integer programme: minimise and maximise the cell subject
   to the relations, each hidden cell an integer ≥ 1) must include at least two values,
   and either two values below ``min_cell`` (one when ``min_cell`` is 2) or a value of
   ``min_cell`` or more (then the reader cannot tell the count is small at all).
   Complementary cells are chosen
   greedily (the smallest non-zero count in a relation of the exposed cell, parts before
   totals) until the test passes for every primary cell.
4. **Statistics of hidden groups**: a rate, mean, SD, confidence limit or test statistic is
   published only when every count it rests on is shown and the group has at least
   ``min_cell`` members (:meth:`Protected.shown`).

This follows the Office for National Statistics' *Disclosure control guidance for tables
produced from administrative sources* and NHS England's *Hospital Episode Statistics
analysis guide* (small numbers 1–7 suppressed, with secondary suppression so that a
suppressed number cannot be derived from totals), with the threshold left to the user
(default 5), and the Government Statistical Service's *Symbols in tables* guidance for the
marker ``[c]`` ("confidential").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MARKER", "Cells", "Protected", "exposure", "protect"]

#: What a hidden count is shown as, in every format (GSS "[c]": confidential).
MARKER = "[c]"


@dataclass
class Cells:
    """Counts to publish and the linear relations between them (total = sum of parts)."""

    min_cell: int
    values: dict[Hashable, int] = field(default_factory=dict)
    relations: list[tuple[Hashable, tuple[Hashable, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int) \
                or self.min_cell < 1:
            raise ValueError(f"min_cell must be a whole number ≥ 1; got {self.min_cell!r}")

    def add(self, key: Hashable, value: Any) -> Hashable:
        """Record a count (a whole number ≥ 0) under ``key``; return the key."""
        v = int(value)
        if v < 0:
            raise ValueError(f"a count cannot be negative: {key!r} = {v}")
        if key in self.values and self.values[key] != v:
            raise ValueError(f"cell {key!r} recorded twice with different counts")
        self.values[key] = v
        return key

    def relate(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        """Declare ``total = sum(parts)``; every key must have been added.

        A relation whose counts do not add up is refused (it would not be a true identity).
        """
        ps = tuple(parts)
        missing = [k for k in (total, *ps) if k not in self.values]
        if missing:
            raise KeyError(f"relate(): cells not added: {missing}")
        if sum(self.values[p] for p in ps) != self.values[total]:
            raise ValueError(f"relate(): {total!r} = {self.values[total]} is not the sum of "
                             f"its parts ({sum(self.values[p] for p in ps)})")
        if ps:
            self.relations.append((total, ps))


@dataclass(frozen=True)
class Protected:
    """Which cells of a :class:`Cells` are hidden, and how to show each."""

    min_cell: int
    values: Mapping[Hashable, int]
    hidden: frozenset[Hashable]
    primary: frozenset[Hashable]

    def count(self, key: Hashable) -> int | str:
        """The count, or :data:`MARKER` when it is hidden."""
        return MARKER if key in self.hidden else self.values[key]

    def shown(self, *keys: Hashable, group: Hashable | None = None) -> bool:
        """True when every count in ``keys`` is shown (and ``group``'s count is ≥ min_cell).

        Use it before publishing anything computed from those counts (a rate, a mean).
        """
        if any(k in self.hidden for k in keys):
            return False
        if group is not None:
            return group not in self.hidden and self.values[group] >= self.min_cell
        return True

    @property
    def n_hidden(self) -> int:
        return len(self.hidden)


def _bounds(cells: Cells, hidden: set[Hashable], target: Hashable) -> tuple[float, float]:
    """The least and greatest integer value of ``target`` consistent with what is shown."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    # only relations connected to the target through hidden cells matter
    rel_of: dict[Hashable, list[int]] = {}
    for i, (t, ps) in enumerate(cells.relations):
        for k in (t, *ps):
            rel_of.setdefault(k, []).append(i)
    comp, todo, rels = {target}, [target], set()
    while todo:
        k = todo.pop()
        for i in rel_of.get(k, []):
            if i in rels:
                continue
            rels.add(i)
            t, ps = cells.relations[i]
            for j in (t, *ps):
                if j in hidden and j not in comp:
                    comp.add(j)
                    todo.append(j)
    if not rels:
        return 1.0, math.inf
    var = sorted(comp, key=repr)
    col = {k: i for i, k in enumerate(var)}
    rows, rhs = [], []
    for i in sorted(rels):
        t, ps = cells.relations[i]
        row = np.zeros(len(var))
        b = 0.0
        for k, sign in [(t, -1.0)] + [(p, 1.0) for p in ps]:
            if k in col:
                row[col[k]] += sign
            else:
                b -= sign * cells.values[k]
        rows.append(row)
        rhs.append(b)
    a = np.array(rows)
    cons = LinearConstraint(a, np.array(rhs), np.array(rhs))
    bounds = Bounds(np.ones(len(var)), np.full(len(var), np.inf))
    integ = np.ones(len(var))
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(var))
        c[col[target]] = sign
        res = milp(c, constraints=cons, bounds=bounds, integrality=integ)
        if res.status == 3 or res.x is None:  # unbounded
            out.append(math.inf if sign < 0 else 1.0)
        else:
            out.append(float(round(res.x[col[target]])))
    return out[0], out[1]


def exposure(min_cell: int, lo: float, hi: float) -> bool:
    """True when a small count whose feasible range is ``[lo, hi]`` is not protected.

    Protected means at least two values are possible, and either at least two of them are
    below ``min_cell`` (one when ``min_cell`` is 2) or one of them is ``min_cell`` or more
    (so the reader cannot even tell that the count is small).
    """
    lo = max(1, math.ceil(lo))
    if hi - lo < 1:
        return True
    if hi >= min_cell:
        return False
    need = min(2, min_cell - 1)
    possible = max(0, math.floor(min(hi, min_cell - 1)) - lo + 1)
    return possible < need


def protect(cells: Cells) -> Protected:
    """Decide which cells to hide: primary, then complementary suppression (module notes)."""
    k = cells.min_cell
    values = cells.values
    primary = {key for key, v in values.items() if 0 < v < k}
    hidden = set(primary)
    if k >= 2 and primary and cells.relations:
        rel_of: dict[Hashable, list[int]] = {}
        for i, (t, ps) in enumerate(cells.relations):
            for key in (t, *ps):
                rel_of.setdefault(key, []).append(i)
        pending = sorted((p for p in primary if p in rel_of), key=repr)
        while pending:
            p = pending[0]
            exposed = _fast_exposure(cells, hidden, rel_of, p)
            if exposed is None:  # neither quick proof applies: solve the integer programme
                exposed = exposure(k, *_bounds(cells, hidden, p))
            if not exposed:
                pending.pop(0)
                continue
            pick = _complement(cells, hidden, rel_of, p)
            if pick is None:  # nothing left to hide around it
                pending.pop(0)
                continue
            hidden.add(pick)
    return Protected(min_cell=k, values=dict(values), hidden=frozenset(hidden),
                     primary=frozenset(primary))


def _fast_exposure(cells: Cells, hidden: set[Hashable], rel_of: dict[Hashable, list[int]],
                   target: Hashable) -> bool | None:
    """Whether ``target`` is exposed, when a quick exact argument settles it; else None.

    A hidden count is exposed exactly when it can take only one value: the true counts are
    one solution of the relations (every hidden count ≥ 1), so the integer programme of
    :func:`_bounds` finds ``lo == hi`` exactly when no other value is possible, and then
    :func:`exposure` is true; any second value makes it false (two values, the larger ≥
    ``min_cell`` or both small). So:

    * **fixed** (True): the relations pin the count down: a relation with one unknown
      hidden count fixes it, and a relation whose unknown hidden counts all enter with
      the same sign and must add up to their number fixes each at 1; repeated until
      nothing more is fixed;
    * **moved** (False): another solution is found, the true counts changed by ±1 on a
      few hidden cells so that every relation still holds and every count stays ≥ 1 (a
      short search, as for an augmenting path in a flow network).

    Otherwise None, and the integer programme decides. Both answers are proofs, so the
    result is the programme's; they spare loading and running the solver in the common
    case (tested against it on random tables).
    """
    if _fixed(cells, hidden, rel_of, target):
        return True
    if _moved(cells, hidden, rel_of, target):
        return False
    return None


def _coefficients(cells: Cells, i: int) -> dict[Hashable, int]:
    """Relation ``i`` as ``sum(coef[k] * x[k]) == 0``: parts +1, the total -1."""
    t, ps = cells.relations[i]
    coef: dict[Hashable, int] = {t: -1}
    for p in ps:
        coef[p] = coef.get(p, 0) + 1
    return coef


def _fixed(cells: Cells, hidden: set[Hashable], rel_of: dict[Hashable, list[int]],
           target: Hashable) -> bool:
    """True when the relations (and counts ≥ 1) leave ``target`` a single value."""
    known = {target} - hidden  # cells whose value the reader can work out
    todo = list(rel_of.get(target, []))
    seen_cells = {target}
    rels: set[int] = set()
    while todo:  # the relations connected to the target through hidden cells
        i = todo.pop()
        if i in rels:
            continue
        rels.add(i)
        for k in _coefficients(cells, i):
            if k in hidden and k not in seen_cells:
                seen_cells.add(k)
                todo.extend(rel_of.get(k, []))
    changed = True
    while changed and target not in known:
        changed = False
        for i in sorted(rels):
            coef = _coefficients(cells, i)
            unknown = [k for k in coef if k in hidden and k not in known]
            if not unknown:
                continue
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
                continue
            signs = {coef[k] for k in unknown}
            if len(signs) != 1 or abs(next(iter(signs))) != 1:
                continue
            # the unknown cells (one sign) must add up to what the rest leaves
            rest = sum(c * cells.values[k] for k, c in coef.items() if k not in unknown)
            need = -rest * next(iter(signs))
            if need == len(unknown):  # each is at least 1, so each is exactly 1
                known.update(unknown)
                changed = True
    return target in known


_MOVE_BUDGET = 3000  # search steps before the integer programme is asked instead


def _moved(cells: Cells, hidden: set[Hashable], rel_of: dict[Hashable, list[int]],
           target: Hashable) -> bool:
    """True when a second solution with another value of ``target`` is found.

    Depth-first, most constrained relation first (the unbalanced relation with the fewest
    cells that could rebalance it; none: a dead end), with iterative deepening on the
    number of cells changed, so that the smallest changes are found first.
    """
    values = cells.values
    coefs: dict[int, dict[Hashable, int]] = {}

    def coef_of(i: int) -> dict[Hashable, int]:
        if i not in coefs:
            coefs[i] = _coefficients(cells, i)
        return coefs[i]

    steps = 0

    def options(i: int, d: dict[Hashable, int], imbalance: dict[int, int]
                ) -> list[tuple[Hashable, int]]:
        coef = coef_of(i)
        out = []
        for k in coef:
            if k in hidden and k not in d:
                step, rem = divmod(-imbalance[i], coef[k])
                if not rem and step in (1, -1) and values[k] + step >= 1:
                    out.append((k, step))
        return out

    def search(d: dict[Hashable, int], imbalance: dict[int, int], depth: int) -> bool:
        nonlocal steps
        steps += 1
        open_rels = [i for i, v in imbalance.items() if v]
        if not open_rels:
            return True
        if depth == 0 or steps > _MOVE_BUDGET:
            return False
        best: list[tuple[Hashable, int]] = []
        for n, i in enumerate(open_rels):
            opts = options(i, d, imbalance)
            if not opts:
                return False
            if n == 0 or len(opts) < len(best):
                best = opts
        for k, step in sorted(best, key=lambda o: repr(o[0])):
            after = dict(imbalance)
            for j in rel_of.get(k, []):
                after[j] = after.get(j, 0) + coef_of(j)[k] * step
            d[k] = step
            found = search(d, after, depth - 1)
            del d[k]
            if found:
                return True
            if steps > _MOVE_BUDGET:
                return False
        return False

    starts = [(step, {j: coef_of(j)[target] * step for j in rel_of.get(target, [])})
              for step in (-1, 1) if values[target] + step >= 1]
    for depth in range(1, len(hidden) + 1):
        for step, imbalance in starts:
            if search({target: step}, imbalance, depth):
                return True
        if steps > _MOVE_BUDGET:
            break
    return False


def _complement(cells: Cells, hidden: set[Hashable], rel_of: dict[Hashable, list[int]],
                p: Hashable) -> Hashable | None:
    """The next cell to hide so that ``p`` is no longer exposed."""
    values = cells.values
    # the relations of p first, then those reached through hidden cells
    seen_rel: set[int] = set()
    frontier, seen_cells = [p], {p}
    while frontier:
        nxt: list[Hashable] = []
        best: tuple[int, int, str, Hashable] | None = None
        for key in frontier:
            for i in rel_of.get(key, []):
                if i in seen_rel:
                    continue
                seen_rel.add(i)
                t, ps = cells.relations[i]
                for j, is_total in [(q, 0) for q in ps] + [(t, 1)]:
                    if j in hidden:
                        if j not in seen_cells:
                            seen_cells.add(j)
                            nxt.append(j)
                        continue
                    if values[j] == 0:
                        continue
                    cand = (is_total, values[j], repr(j), j)
                    if best is None or cand[:3] < best[:3]:
                        best = cand
        if best is not None:
            return best[3]
        frontier = nxt
    return None
