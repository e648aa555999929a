"""Follow-up and completion rates against the schedule, per service and per worker.

:func:`follow_up_rates` lays out the schedule's occasions exactly as :func:`due_list` does
(the episodes and the forms already done are read by the database), adds what was recorded
for forms not collected (:meth:`Store.record_offers`), and counts, for each service and
each worker:

* **due** — forms of the schedule whose window has closed by ``on`` (or that were
  collected early);
* **done** — of those, forms collected in their window;
* **declined** — not collected, and the latest record says the person was offered the
  form and declined it;
* **not possible** — not collected, and the latest record says it could not be offered;
* **offered** — not collected, and the latest record says it was offered (not returned);
* **no record** — not collected, and nothing was recorded;
* **with a baseline** — people with a baseline form (an ``at: entry`` timepoint) of a
  measure whose first follow-up (any other timepoint of the schedule) has fallen due;
* **followed up** — of those, people with a follow-up form of that measure in the same
  episode;
* **completion rate** = done / due; **follow-up rate** = followed up / with a baseline.

With ``min_cell`` above 1, the counts are protected by the library's one disclosure rule
(the impact report's): counts from 1 to ``min_cell - 1`` are hidden, with complementary
suppression across each row's total and parts and across the service total and its
workers, and a rate is given only when both its counts are shown and its denominator is
at least ``min_cell``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from measurelib._results import Result, to_jsonable
from measurelib.outcomes._schedule import Schedule, _plan, resolve_schedules

__all__ = ["FOLLOW_UP_DEFINITIONS", "FollowUpResult", "follow_up_rates"]

#: The parts of the forms due: (column, the offer status that puts a form there).
_PARTS = (("done", None), ("declined", "declined"), ("not_possible", "not_offered"),
          ("offered", "offered"), ("no_record", None))

#: What each column means, in the words printed beside the figures.
FOLLOW_UP_DEFINITIONS: dict[str, str] = {
    "due": "forms of the schedule whose window has closed (or that were collected early)",
    "done": "forms due that were collected in their window",
    "declined": "forms due, not collected, whose latest record says the person was offered "
                "the form and declined",
    "not_possible": "forms due, not collected, whose latest record says the form could not "
                    "be offered",
    "offered": "forms due, not collected, whose latest record says the form was offered but "
               "not returned",
    "no_record": "forms due, not collected, with nothing recorded",
    "baseline": "people with a baseline form of a measure whose first follow-up has fallen "
                "due",
    "followed_up": "of those, people with a follow-up form of that measure in the same "
                   "episode",
    "completion_rate": "done ÷ due",
    "follow_up_rate": "followed up ÷ with a baseline",
}

_COUNTS = ("due", "done", "declined", "not_possible", "offered", "no_record", "baseline",
           "followed_up")


class FollowUpResult(Result):
    """Follow-up and completion per service and worker (:func:`follow_up_rates`).

    ``table`` has one row per service (``worker`` is None) followed by one row per worker
    of that service: ``service``, ``worker``, the counts ``due``, ``done``, ``declined``,
    ``not_possible``, ``offered``, ``no_record``, ``baseline``, ``followed_up`` (an int, or
    ``marker`` when hidden) and ``completion_rate``, ``follow_up_rate`` (0–1, or None when
    not shown).
    """

    on: str
    services: list[str | None]
    min_cell: int
    marker: str
    n_hidden: int
    definitions: dict[str, str]
    table: Any

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (the table as a list of rows)."""
        return {"on": self.on, "services": self.services, "min_cell": self.min_cell,
                "marker": self.marker, "n_hidden": self.n_hidden,
                "definitions": self.definitions, "table": to_jsonable(self.table)}

    def to_frame(self) -> Any:
        """The table: one row per service and per worker."""
        return self.table

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows as dictionaries (counts, rates), in order."""
        return [{k: to_jsonable(v) for k, v in r.items()}
                for r in self.table.to_dict(orient="records")]

    def summary(self) -> str:
        """One line per row: who, done of due, and the two rates."""
        def pct(v: Any) -> str:
            return "—" if v is None else f"{100 * float(v):.0f}%"

        lines = [f"Follow-up and completion on {self.on}"]
        for r in self.rows():
            who = (f"{r['service']} (all)" if r["level"] == "service"
                   else r["worker"] if r["worker"] is not None else "(no worker)")
            lines.append(f"  {who}: {r['done']} of {r['due']} done ({pct(r['completion_rate'])}); "
                         f"followed up {r['followed_up']} of {r['baseline']} "
                         f"({pct(r['follow_up_rate'])})")
        return "\n".join(lines)


def _offer_status(plan: Any, offers: Any) -> Any:
    """The latest offer status of each occasion of ``plan`` (None where none): an offer
    counts for the occasion of its person, episode, measure and timepoint whose window
    opened last on or before the offer's date.
    """
    import pandas as pd

    key = ["respondent_id", "episode", "measure_id", "timepoint"]
    status = pd.Series([None] * len(plan), index=plan.index, dtype=object)
    if not len(offers) or not len(plan):
        return status
    off = offers[offers["respondent_id"].notna()].copy()
    off["date"] = pd.to_datetime(off["date"]).astype("datetime64[ns]")
    off = off.sort_values(["date", "pk"], kind="stable")
    occ = plan[key + ["window_start"]].copy()
    occ["window_start"] = pd.to_datetime(occ["window_start"]).astype("datetime64[ns]")
    occ["_row"] = plan.index
    for col in key:
        occ[col] = occ[col].astype(str)
        off[col] = off[col].astype(str)
    occ = occ.sort_values("window_start", kind="stable")
    matched = pd.merge_asof(off.sort_values("date", kind="stable"), occ,
                            left_on="date", right_on="window_start", by=key,
                            direction="backward")
    matched = matched[matched["_row"].notna()]
    latest = matched.drop_duplicates("_row", keep="last")
    status.loc[latest["_row"].astype(int).to_numpy()] = latest["status"].to_numpy()
    return status


def _counts(plan: Any, ts: Any, schedule: Schedule, offers: Any,
            worker_of: Mapping[str, str] | None) -> tuple[Any, Any]:
    """Per-occasion flags and per-person follow-up flags, each with its worker."""
    import pandas as pd

    due = plan[((plan["window_end"] < ts) | plan["done"]).to_numpy(dtype=bool)].copy()
    status = _offer_status(due, offers)
    due["part"] = "no_record"
    due.loc[due["done"].to_numpy(dtype=bool), "part"] = "done"
    for part, code in _PARTS:
        if code is not None:
            due.loc[(~due["done"].to_numpy(dtype=bool)) & (status == code).to_numpy(),
                    "part"] = part
    entry = [t.id for t in schedule.timepoints if t.at == "entry"]
    later = [t.id for t in schedule.timepoints if t.at != "entry"]
    occ = ["respondent_id", "episode", "measure_id"]
    base = due[due["timepoint"].isin(entry) & due["done"]][occ].drop_duplicates()
    follow_due = due[due["timepoint"].isin(later)][occ].drop_duplicates()
    follow_done = due[due["timepoint"].isin(later) & due["done"]][occ].drop_duplicates()
    eligible = base.merge(follow_due, on=occ)
    eligible = eligible.merge(follow_done.assign(_f=True), on=occ, how="left")
    eligible["_f"] = eligible["_f"].fillna(False).astype(bool)
    people = eligible.groupby("respondent_id")["_f"].any().reset_index()
    # each person's worker: the mapping given, else the worker of their latest episode
    latest = plan.sort_values(["respondent_id", "due_date"]).drop_duplicates(
        "respondent_id", keep="last").set_index("respondent_id")["worker"]

    def worker(rid: Any) -> Any:
        if worker_of is not None:
            return worker_of.get(str(rid))
        w = latest.get(rid)
        return None if w is None or bool(pd.isna(w)) else str(w)

    due["_worker"] = [worker(r) for r in due["respondent_id"]]
    people["_worker"] = [worker(r) for r in people["respondent_id"]]
    return due, people


def follow_up_rates(store: Any, schedules: Schedule | list[Schedule] | None = None, *,
                    service: str | None = None, on: _dt.date | str | None = None,
                    worker_of: Mapping[str, str] | None = None,
                    min_cell: int = 1) -> FollowUpResult:
    r"""Forms due, done, declined and not possible, and the follow-up and completion rates,
    per service and per worker.

    Parameters
    ----------
    store : Store
    schedules : Schedule or list of Schedule, optional
        Default: the schedules stored with :meth:`Store.configure_service` (as
        :func:`due_list`).
    service : str, optional
        Only this service.
    on : date, optional
        The day the counts are made on (default today): windows closed before it count.
    worker_of : mapping, optional
        Each person's worker (pseudonymous id → worker name), e.g. their key worker. By
        default a person's worker is the worker of the latest form of their latest episode.
        People without one are counted under the worker ``None`` ("no worker").
    min_cell : int
        Counts from 1 to ``min_cell - 1`` are hidden (with complementary suppression), and
        rates resting on them withheld, by the impact report's disclosure rule. 1 hides
        nothing.

    Returns
    -------
    FollowUpResult
        One row per service and per worker; the column definitions in ``definitions``.

    Notes
    -----
    .. math:: \text{completion} = \frac{\text{done}}{\text{due}}, \qquad
              \text{follow-up} = \frac{\text{followed up}}{\text{with a baseline}}

    Examples
    --------
    >>> import measurelib as ml
    >>> store = ml.Store(":memory:")
    >>> store.configure_service("s", schedule=(
    ...     "measures: [phq-9]\ntimepoints:\n"
    ...     "  - {id: baseline, at: entry}\n  - {id: exit, at: exit}\n"))
    >>> _ = store.open_episode("P1", service="s", start_date="2026-01-05")
    >>> res = ml.outcomes.follow_up_rates(store, service="s", on="2026-02-01")
    >>> res.rows()[0]["due"], res.rows()[0]["no_record"], res.rows()[0]["completion_rate"]
    (1, 1, 0.0)
    """
    import pandas as pd

    from measurelib._output import MARKER, Cells, protect

    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"follow_up_rates(): min_cell must be a whole number ≥ 1, not "
                         f"{min_cell!r}")
    day = _dt.date.fromisoformat(str(on)) if on is not None else _dt.date.today()
    scheds = resolve_schedules(store, schedules, service)
    cache: dict[Any, Any] = {}
    # row keys: (service, "all") for a service, (service, "worker", name) for its workers
    raw: dict[tuple[Any, ...], dict[str, int]] = {}
    for sched in scheds:
        plan, ts = _plan(store, sched, day, cache)
        due, people = _counts(plan, ts, sched, store.offers(service=sched.service), worker_of)
        _tally(raw, sched.service, due, people)
    cells = Cells(min_cell)
    for row, counts in raw.items():
        for c in (*_COUNTS, "not_followed_up"):
            cells.add((*row, c), counts[c])
        cells.relate((*row, "due"), [(*row, p) for p, _ in _PARTS])
        cells.relate((*row, "baseline"), [(*row, "followed_up"), (*row, "not_followed_up")])
    for svc in dict.fromkeys(row[0] for row in raw):
        workers = [row for row in raw if row[0] == svc and len(row) == 3]
        for c in (*_COUNTS, "not_followed_up"):
            cells.relate((svc, "all", c), [(*w, c) for w in workers])
    prot = protect(cells)
    rows = []
    for row in sorted(raw, key=_row_order):
        out: dict[str, Any] = {"service": row[0], "level": "service" if len(row) == 2
                               else "worker", "worker": row[2] if len(row) == 3 else None}
        for c in _COUNTS:
            out[c] = prot.count((*row, c))
        for rate, num, den in (("completion_rate", "done", "due"),
                               ("follow_up_rate", "followed_up", "baseline")):
            n, d = (*row, num), (*row, den)
            out[rate] = (prot.values[n] / prot.values[d]
                         if prot.values[d] and prot.shown(n, group=d) else None)
        rows.append(out)
    cols = ["service", "level", "worker", *_COUNTS, "completion_rate", "follow_up_rate"]
    return FollowUpResult(on=day.isoformat(), services=[s.service for s in scheds],
                          min_cell=min_cell, marker=MARKER, n_hidden=prot.n_hidden,
                          definitions=dict(FOLLOW_UP_DEFINITIONS),
                          table=pd.DataFrame(rows, columns=cols))


def _row_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Each service, then its named workers by name, then its people without a worker."""
    name = row[2] if len(row) == 3 else None
    none = name is None or (isinstance(name, float) and name != name)
    return (str(row[0]), len(row), none, "" if none else str(name))


def _tally(raw: dict[tuple[Any, ...], dict[str, int]], svc: str | None, due: Any,
           people: Any) -> None:
    """Add one schedule's occasions and people to the counts of its service and workers."""
    total = raw.setdefault((svc, "all"), dict.fromkeys((*_COUNTS, "not_followed_up"), 0))
    names = sorted({*due["_worker"], *people["_worker"]}, key=lambda x: (x is None, str(x)))
    for name in names:
        raw.setdefault((svc, "worker", name), dict.fromkeys((*_COUNTS, "not_followed_up"), 0))
    for name, part in zip(due["_worker"], due["part"]):
        for target in (total, raw[(svc, "worker", name)]):
            target["due"] += 1
            target[part] += 1
    for name, followed in zip(people["_worker"], people["_f"]):
        for target in (total, raw[(svc, "worker", name)]):
            target["baseline"] += 1
            target["followed_up" if followed else "not_followed_up"] += 1
