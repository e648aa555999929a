"""Service schedules: when each measure falls due, who is due or overdue, and completion.

A schedule is a small YAML file, validated with positions like a measure definition::

    service: counselling          # optional: only episodes of this service
    measures: [phq-9]             # measures asked at every timepoint (unless overridden)
    timepoints:
      - {id: baseline, at: entry, tolerance: {days: 7}}
      - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
      - {id: exit, at: exit, tolerance: {days: 14}}

``at: entry`` falls due on the first day of an episode (window: that day to ``tolerance``
after); ``every`` falls due every period after the start (window: ± ``tolerance``) until
the episode ends; ``at: exit`` falls due when an episode is closed (window ± tolerance).
An episode ends on its closing date (:meth:`Store.close_episode`) or at its first exit form.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

from measurelib._results import Result, to_jsonable
from measurelib.definition import (
    catalog,
    did_you_mean,
    format_path,
    load,
    load_document,
    parse_document,
    read_text,
)
from measurelib.errors import DefinitionError, Diagnostic, Location

__all__ = ["DueResult", "Duration", "Schedule", "Timepoint", "allowed_timepoints",
           "check_schedule", "completion", "due", "due_list", "load_schedule",
           "loads_schedule", "stored_schedules"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Model):
    """A length of time in weeks and days."""

    weeks: int = Field(default=0, ge=0, description="Weeks.")
    days: int = Field(default=0, ge=0, description="Days.")

    @property
    def total_days(self) -> int:
        """The duration in days (weeks and months counted as 7 and 30.44 days)."""
        return self.weeks * 7 + self.days


class Timepoint(_Model):
    """One timepoint of a schedule."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="Label, e.g. baseline.")
    at: Literal["entry", "exit"] | None = Field(
        default=None, description="`entry`: start of an episode; `exit`: its end.")
    every: Duration | None = Field(default=None, description="Repeat every period after entry.")
    tolerance: Duration = Field(default_factory=Duration,
                                description="How early or late a measure still counts.")
    measures: list[str] | None = Field(default=None,
                                       description="Measures at this timepoint (default: all).")

    @model_validator(mode="after")
    def _one(self) -> Timepoint:
        if (self.at is None) == (self.every is None):
            raise PydanticCustomError("schedule-invalid",
                                      "a timepoint has exactly one of `at` or `every`")
        if self.every is not None and self.every.total_days == 0:
            raise PydanticCustomError("schedule-invalid", "`every` must be longer than 0 days")
        if self.every is not None and 2 * self.tolerance.total_days >= self.every.total_days:
            raise PydanticCustomError(
                "schedule-invalid", "the tolerance windows of `every` overlap: make "
                "`tolerance` less than half of `every`")
        return self


class Schedule(_Model):
    """The timepoints at which a service asks its measures."""

    _document: Any = PrivateAttr(default=None)

    service: str | None = Field(default=None, description="Only episodes of this service.")
    measures: list[str] = Field(min_length=1, description="Measure ids asked.")
    timepoints: list[Timepoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Schedule:
        ids = [t.id for t in self.timepoints]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("schedule-invalid", "two timepoints share an id")
        return self


def load_schedule(source: str | os.PathLike[str]) -> Schedule:
    """Load a schedule YAML file; errors carry file, line and column (DefinitionError)."""
    text = read_text(Path(source), str(source))
    return loads_schedule(text, str(source))


def loads_schedule(text: str, file: str = "<schedule>") -> Schedule:
    """Load a schedule from YAML text (errors carry line and column)."""
    doc = parse_document(text, file)
    sched: Schedule = load_document(doc, Schedule)
    sched._document = doc
    return sched


def _where(schedule: Schedule, path: tuple[Any, ...]) -> Location:
    doc = schedule._document
    if doc is None:

        return Location(path=format_path(path))
    return doc.location(path)  # type: ignore[no-any-return]


def check_schedule(schedule: Schedule, store: Any = None) -> list[Diagnostic]:
    """Problems of a schedule that its shape alone does not show, each located.

    Every measure it names must be a catalog measure or one stored in ``store``; an unknown
    id gets a did-you-mean against both.
    """
    known = {e.id for e in catalog() if e.kind == "measure"}
    if store is not None:
        known |= set(store.measure_ids())  # one query; no DataFrame (pandas) needed
    out = []
    places: list[tuple[tuple[Any, ...], str]] = [
        (("measures", i), m) for i, m in enumerate(schedule.measures)]
    for j, tp in enumerate(schedule.timepoints):
        places += [(("timepoints", j, "measures", i), m)
                   for i, m in enumerate(tp.measures or [])]
    for path, mid in places:
        if mid in known:
            continue
        hint = did_you_mean(mid, known).capitalize()
        shown = ", ".join(sorted(known)[:12])
        out.append(Diagnostic(
            "schedule-unknown-measure",
            f"the schedule names measure {mid!r}, which is neither in the catalog nor in "
            "the store", (hint + " " if hint else "") + f"Known measures: {shown}. Import "
            "the measure's forms first, or correct the id.", _where(schedule, path)))
    # one list of timepoints: a measure that declares its own must agree with the schedule

    for mid in dict.fromkeys(m for _, m in places if m in known):
        try:
            m = load(mid)
        except DefinitionError:  # a stored-only measure: nothing declared to compare with
            continue
        if not m.timepoints:
            continue
        for j, tp in enumerate(schedule.timepoints):
            if mid in (tp.measures or schedule.measures) and tp.id not in m.timepoints:
                out.append(Diagnostic(
                    "timepoint-unknown", f"timepoint {tp.id!r} is not one of the timepoints "
                    f"{mid} declares ({', '.join(m.timepoints)})",
                    (did_you_mean(tp.id, m.timepoints).capitalize() + " " if did_you_mean(
                        tp.id, m.timepoints) else "") + "Use the measure's labels, so that "
                    "forms, imports and reports share one list.",
                    _where(schedule, ("timepoints", j, "id"))))
    return out


def allowed_timepoints(measure: Any, store: Any = None) -> tuple[str, ...]:
    """The one declared list of timepoints of ``measure``.

    The timepoints of the schedules stored in ``store`` that ask the measure (all services
    together), else the measure's own ``timepoints:``, else ``baseline, review, exit``.
    """
    if store is not None:
        ids: list[str] = []
        for sched in stored_schedules(store):
            for tp in sched.timepoints:
                if measure.id in (tp.measures or sched.measures) and tp.id not in ids:
                    ids.append(tp.id)
        if ids:
            return tuple(ids)
    return tuple(measure.timepoint_ids)


def timepoint_problems(labels: Any, allowed: Any) -> list[Any]:
    """One problem frame per unknown timepoint label (``index``, ``column``, ``code``,
    ``message``), each naming the declared list and the closest label.
    """
    import pandas as pd

    allowed = list(allowed)
    bad = labels.notna() & ~labels.isin(allowed)
    out = []
    for label, idx in labels[bad].groupby(labels[bad]).groups.items():
        hint = did_you_mean(str(label), allowed)
        out.append(pd.DataFrame({
            "index": list(idx), "column": "timepoint", "code": "timepoint-unknown",
            "message": f"timepoint {str(label)!r} is not one of the declared timepoints "
                       f"({', '.join(allowed)})" + (f": {hint}" if hint else "")}))
    return out


def stored_schedules(store: Any) -> list[Schedule]:
    """The schedules stored with :meth:`Store.configure_service`, one per service.

    A stored schedule without ``service:`` applies to the service it is stored for.
    """
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import services

    # read on every import and every form stored: two columns, no DataFrame, and each
    # stored text parsed once per process (a schedule is replaced, never edited in place)
    with store.engine.connect() as conn:
        rows = conn.execute(select(services.c.service, services.c.schedule)
                            .where(services.c.schedule.is_not(None))).all()
    return [_stored_schedule(str(service), str(text)) for service, text in rows if text]


@functools.lru_cache(maxsize=256)
def _stored_schedule(service: str, text: str) -> Schedule:
    sched = loads_schedule(text, f"<schedule of service {service}>")
    if sched.service is None:
        sched = sched.model_copy(update={"service": service})
    return sched


def _plan(store: Any, schedule: Schedule, on: _dt.date,
          cache: dict[Any, Any] | None = None) -> tuple[Any, Any]:
    """Every (episode, measure, timepoint, occasion) whose window has opened by ``on``.

    The database gives the episodes (with their end and latest worker and site) and the
    occasions already done (:func:`episode_frame`, :func:`done_occasions`); the occasions
    due by ``on`` are laid out here, one vectorised step per timepoint.
    """
    import pandas as pd

    from measurelib.outcomes.store._queries import done_occasions, episode_frame

    cache = {} if cache is None else cache  # schedules of several services share queries
    exit_ids = [t.id for t in schedule.timepoints if t.at == "exit"]
    ep_key = ("episodes", tuple(exit_ids))
    if ep_key not in cache:
        cache[ep_key] = episode_frame(store, None, exit_ids)
    ep = cache[ep_key]
    if schedule.service is not None:
        ep = ep[(ep["service"] == schedule.service).to_numpy(dtype=bool)]
    day = pd.Timestamp(on)
    rows = []
    for tp in schedule.timepoints:
        tol = pd.Timedelta(days=tp.tolerance.total_days)
        for mid in tp.measures or schedule.measures:
            base = ep.assign(measure_id=mid, timepoint=tp.id)
            if tp.at == "entry":
                p = base.assign(occasion=0, due_date=base["start_date"],
                                window_start=base["start_date"],
                                window_end=base["start_date"] + tol)
            elif tp.at == "exit":
                p = base[base["end_date"].notna()]
                p = p.assign(occasion=0, due_date=p["end_date"], window_start=p["end_date"] - tol,
                             window_end=p["end_date"] + tol)
            else:
                assert tp.every is not None
                every = tp.every.total_days
                stop = base["end_date"].fillna(day).where(base["end_date"].fillna(day) < day, day)
                k = ((stop - base["start_date"]).dt.days + tp.tolerance.total_days) // every
                k = k.clip(lower=0).astype(int)
                rep = base.loc[base.index.repeat(k.to_numpy())].copy()
                rep["occasion"] = rep.groupby(level=0).cumcount().to_numpy() + 1
                rep["due_date"] = rep["start_date"] + pd.to_timedelta(rep["occasion"] * every,
                                                                      unit="D")
                rep["window_start"] = rep["due_date"] - tol
                rep["window_end"] = rep["due_date"] + tol
                p = rep.reset_index(drop=True)
            rows.append(p)
    cols = ["respondent_id", "episode", "service", "site", "worker", "measure_id", "timepoint",
            "occasion", "due_date", "window_start", "window_end", "end_date"]
    plan = (pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols))
    plan = plan[plan["window_start"] <= day].reset_index(drop=True)
    # done: an administration of that measure and timepoint inside the window (matched to
    # its occasion by the database)
    done_key = ("done", schedule.model_dump_json(include={"measures", "timepoints"}))
    if done_key not in cache:
        cache[done_key] = done_occasions(store, schedule)
    done = cache[done_key].copy()
    key = ["respondent_id", "episode", "measure_id", "timepoint", "occasion"]
    if len(done) and len(plan):
        done["occasion"] = done["occasion"].astype(int)
        done["_done"] = True
        flags = plan[key].astype({"occasion": int}).merge(done, on=key, how="left")["_done"]
        plan["done"] = flags.fillna(False).astype(bool).to_numpy()
    else:
        plan["done"] = False
    return plan, day


def _due_rows(plan: Any, ts: Any, schedule: Schedule, worker: str | None) -> Any:
    """The due list from a plan (see :func:`due`)."""
    import pandas as pd

    if worker is not None:
        plan = plan[plan["worker"] == worker]
    latest = plan.sort_values("occasion").drop_duplicates(
        ["respondent_id", "episode", "measure_id", "timepoint"], keep="last")
    todo = latest[~latest["done"]].copy()
    # an episode that has ended needs no more reviews, only its exit measure while the
    # exit window is open; once it has closed the person is not due for anything
    exit_ids = [t.id for t in schedule.timepoints if t.at == "exit"]
    closed = todo["end_date"].notna() & (todo["end_date"] <= ts)
    ended = closed & (~todo["timepoint"].isin(exit_ids) | (todo["window_end"] < ts))
    todo = todo[~ended.to_numpy(dtype=bool)]
    todo["status"] = (todo["window_end"] < ts).map({True: "overdue", False: "due"})
    todo["days_overdue"] = (ts - todo["window_end"]).dt.days.clip(lower=0)
    out = todo.drop(columns=["done", "end_date"]).sort_values(
        ["due_date", "respondent_id", "measure_id"]).reset_index(drop=True)
    for col in ("due_date", "window_start", "window_end"):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
    return out


def _completion_rows(plan: Any, ts: Any) -> Any:
    """Completion against the schedule from a plan (see :func:`completion`)."""
    closed = plan[(plan["window_end"] < ts) | plan["done"]]
    g = closed.groupby(["measure_id", "timepoint"], sort=False)["done"]
    out = g.agg(expected="size", completed="sum").reset_index()
    out["completed"] = out["completed"].astype(int)
    out["rate"] = out["completed"] / out["expected"]
    return out


def _checked_plan(store: Any, schedule: Schedule | str | os.PathLike[str],
                  on: _dt.date | str | None) -> tuple[Schedule, Any, Any]:
    """The schedule (loaded and checked against the store) and its plan on ``on``."""
    if not isinstance(schedule, Schedule):
        schedule = load_schedule(schedule)
    problems = check_schedule(schedule, store)
    if problems:
        raise DefinitionError(problems)
    day = _dt.date.fromisoformat(str(on)) if on is not None else _dt.date.today()
    plan, ts = _plan(store, schedule, day)
    return schedule, plan, ts


def due(store: Any, schedule: Schedule | str | os.PathLike[str], *,
        on: _dt.date | str | None = None, worker: str | None = None) -> Any:
    """Who is due or overdue for which measure on date ``on`` (default today).

    Returns a DataFrame, one row per person, episode, measure and timepoint not yet done:
    ``respondent_id`` (pseudonymous), ``episode``, ``service``, ``site``, ``worker``,
    ``measure_id``, ``timepoint``, ``occasion`` (1, 2, ... for repeating timepoints),
    ``due_date``, ``window_start``, ``window_end``, ``status`` (``due`` inside the window,
    ``overdue`` after it) and ``days_overdue``. Only the latest occasion of a repeating
    timepoint is listed; earlier missed ones count in :func:`completion`.
    """
    schedule, plan, ts = _checked_plan(store, schedule, on)
    return _due_rows(plan, ts, schedule, worker)


def completion(store: Any, schedule: Schedule | str | os.PathLike[str], *,
               on: _dt.date | str | None = None) -> Any:
    """Completion against the schedule: per measure and timepoint, the administrations
    expected (windows closed by ``on``), completed, and the rate.
    """
    _, plan, ts = _checked_plan(store, schedule, on)
    return _completion_rows(plan, ts)


class DueResult(Result):
    """Who is due, completion against the schedules, and why the list is what it is.

    ``notes`` says, in plain words, why nothing (or less than expected) is due: no episodes
    in the store, episodes without a service while the schedule is for one service, every
    episode closed, or everyone up to date.
    """

    on: str
    services: list[str | None]
    table: Any
    completion: Any
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {"on": self.on, "services": self.services,
                "due": to_jsonable(self.table), "completion": to_jsonable(self.completion),
                "notes": self.notes}

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.table


def due_list(store: Any, schedules: Schedule | list[Schedule] | None = None, *,
             on: _dt.date | str | None = None, worker: str | None = None,
             service: str | None = None) -> DueResult:
    """:func:`due` and :func:`completion` over one or more schedules, with the reasons.

    Parameters
    ----------
    store : Store
    schedules : Schedule or list of Schedule, optional
        Default: the schedules stored with :meth:`Store.configure_service`.
    on : date, optional
        Default today.
    worker : str, optional
        Only this worker's caseload.
    service : str, optional
        Only this service: a stored schedule of this service, or the given schedule(s)
        applied to this service (a schedule without ``service:`` applies to every episode).
    """
    import pandas as pd

    day = _dt.date.fromisoformat(str(on)) if on is not None else _dt.date.today()
    scheds = resolve_schedules(store, schedules, service)
    tables, comps = [], []
    cache: dict[Any, Any] = {}
    for s in scheds:  # one plan per schedule serves both the list and the completion
        plan, ts = _plan(store, s, day, cache)
        tables.append(_due_rows(plan, ts, s, worker))
        comps.append(_completion_rows(plan, ts))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    comp = pd.concat(comps, ignore_index=True) if comps else pd.DataFrame()
    notes = _why(store, scheds, day, table, worker)
    return DueResult(on=day.isoformat(), services=[s.service for s in scheds], table=table,
                     completion=comp, notes=notes)


def resolve_schedules(store: Any, schedules: Schedule | list[Schedule] | None,
                      service: str | None) -> list[Schedule]:
    """The schedules to apply (given, else stored), narrowed to ``service`` and checked."""
    if schedules is None:
        scheds = stored_schedules(store)
        if service is not None:
            scheds = [s for s in scheds if s.service == service]
            if not scheds:
                raise DefinitionError([Diagnostic(
                    "usage", f"no schedule is stored for service {service!r}",
                    "Give --schedule FILE, or store one with `measurelib service "
                    f"{service} --schedule FILE`.", Location(field="--service"))])
    else:
        scheds = [schedules] if isinstance(schedules, Schedule) else list(schedules)
        if service is not None:
            scheds = [s.model_copy(update={"service": service}) for s in scheds]
            for old, new in zip([schedules] if isinstance(schedules, Schedule)
                                else schedules, scheds):
                new._document = old._document
    if not scheds:
        raise DefinitionError([Diagnostic(
            "usage", "no schedule given and none stored in the store",
            "Give --schedule FILE, or store one with `measurelib service NAME --schedule "
            "FILE`.", Location(field="--schedule"))])
    problems = [d for s in scheds for d in check_schedule(s, store)]
    if problems:
        raise DefinitionError(problems)
    return scheds


def _why(store: Any, scheds: list[Schedule], day: _dt.date, table: Any,
         worker: str | None) -> list[str]:
    """Plain reasons for an empty or short due list (counted by the database)."""
    from measurelib.outcomes.store._queries import episode_counts

    counts = episode_counts(store, day, [s.service for s in scheds if s.service is not None])
    notes: list[str] = []
    if not counts["total"]:
        return ["the store holds no episodes of care: import forms first (`measurelib "
                "import`)"]
    no_service = counts["no_service"]
    for s in scheds:
        if s.service is None:
            continue
        if no_service:
            notes.append(
                f"{no_service} episode(s) have no service recorded, so the schedule of "
                f"service {s.service!r} does not apply to them: import with `--service "
                f"{s.service}` (or a `service` column), or run `measurelib due --service "
                f"{s.service}` with a schedule that has no `service:` line")
        if not counts["by_service"][s.service]:
            have = counts["services"]
            notes.append(f"no episode belongs to service {s.service!r}"
                         + (f" (services in the store: {', '.join(have)})" if have else ""))
    if len(table) == 0:
        if worker is not None:
            notes.append(f"nobody in worker {worker!r}'s caseload is due")
        if not counts["open"]:
            notes.append("every episode in the store is closed")
        elif not notes:
            notes.append("everyone is up to date with the schedule on " + day.isoformat())
    return notes
