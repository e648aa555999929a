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
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from measurelib.definition import load_document, parse_document, read_text

__all__ = ["Duration", "Schedule", "Timepoint", "completion", "due", "load_schedule",
           "loads_schedule", "stored_schedules"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Model):
    """A length of time in weeks and days."""

    weeks: int = Field(default=0, ge=0, description="Weeks.")
    days: int = Field(default=0, ge=0, description="Days.")

    @property
    def total_days(self) -> int:
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
    doc = parse_document(text, str(source))
    return load_document(doc, Schedule)  # type: ignore[no-any-return]


def loads_schedule(text: str, file: str = "<schedule>") -> Schedule:
    """Load a schedule from YAML text (errors carry line and column)."""

    return load_document(parse_document(text, file), Schedule)  # type: ignore[no-any-return]


def stored_schedules(store: Any) -> list[Schedule]:
    """The schedules stored with :meth:`Store.configure_service`, one per service.

    A stored schedule without ``service:`` applies to the service it is stored for.
    """
    out = []
    services = store.table("services")
    for rec in services.itertuples(index=False):
        if rec.schedule:
            sched = loads_schedule(rec.schedule, f"<schedule of service {rec.service}>")
            if sched.service is None:
                sched = sched.model_copy(update={"service": rec.service})
            out.append(sched)
    return out


def _plan(store: Any, schedule: Schedule, on: _dt.date) -> tuple[Any, Any]:
    """Every (episode, measure, timepoint, occasion) whose window has opened by ``on``."""
    import numpy as np
    import pandas as pd

    ep = store.table("episodes")
    adm = store.administrations(responses=False)
    if schedule.service is not None:
        ep = ep[ep["service"] == schedule.service]
    ep = ep.copy()
    ep["start_date"] = pd.to_datetime(ep["start_date"])
    ep["end_date"] = pd.to_datetime(ep["end_date"])
    # an exit form ends the episode for scheduling, even if it was never closed
    exit_ids = [t.id for t in schedule.timepoints if t.at == "exit"]
    exits = adm[adm["timepoint"].isin(exit_ids)].groupby(["respondent_id", "episode"])["date"] \
        .min().rename("exit_date").reset_index()
    ep = ep.merge(exits, on=["respondent_id", "episode"], how="left")
    ep["end_date"] = ep["end_date"].fillna(pd.to_datetime(ep["exit_date"]))
    ep = ep.drop(columns="exit_date")
    last = adm.sort_values("date").drop_duplicates(["respondent_id", "episode"], keep="last")
    ep = ep.merge(last[["respondent_id", "episode", "worker", "site"]],
                  on=["respondent_id", "episode"], how="left")
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
    # done: an administration of that measure and timepoint inside the window
    a = adm[["respondent_id", "episode", "measure_id", "timepoint", "date"]].copy()
    a["timepoint"] = a["timepoint"].astype(str)
    m = plan.reset_index().merge(a, on=["respondent_id", "episode", "measure_id", "timepoint"],
                                 how="inner")
    entry_ids = {t.id for t in schedule.timepoints if t.at == "entry"}
    in_window = (m["date"] >= m["window_start"]) & (m["date"] <= m["window_end"])
    in_window |= m["timepoint"].isin(list(entry_ids))  # a baseline counts whenever taken
    done_idx = np.unique(m.loc[in_window.to_numpy(), "index"].to_numpy())
    plan["done"] = plan.index.isin(done_idx)
    return plan, day


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
    import pandas as pd

    if not isinstance(schedule, Schedule):
        schedule = load_schedule(schedule)
    day = _dt.date.fromisoformat(str(on)) if on is not None else _dt.date.today()
    plan, ts = _plan(store, schedule, day)
    if worker is not None:
        plan = plan[plan["worker"] == worker]
    latest = plan.sort_values("occasion").drop_duplicates(
        ["respondent_id", "episode", "measure_id", "timepoint"], keep="last")
    todo = latest[~latest["done"]].copy()
    # an episode that has ended needs no more reviews, only its exit measure
    exit_ids = [t.id for t in schedule.timepoints if t.at == "exit"]
    ended = todo["end_date"].notna() & (todo["end_date"] <= ts) & \
        ~todo["timepoint"].isin(exit_ids)
    todo = todo[~ended.to_numpy(dtype=bool)]
    todo["status"] = (todo["window_end"] < ts).map({True: "overdue", False: "due"})
    todo["days_overdue"] = (ts - todo["window_end"]).dt.days.clip(lower=0)
    out = todo.drop(columns=["done", "end_date"]).sort_values(
        ["due_date", "respondent_id", "measure_id"]).reset_index(drop=True)
    for col in ("due_date", "window_start", "window_end"):
        out[col] = pd.to_datetime(out[col]).dt.strftime("%Y-%m-%d")
    return out


def completion(store: Any, schedule: Schedule | str | os.PathLike[str], *,
               on: _dt.date | str | None = None) -> Any:
    """Completion against the schedule: per measure and timepoint, the administrations
    expected (windows closed by ``on``), completed, and the rate."""
    if not isinstance(schedule, Schedule):
        schedule = load_schedule(schedule)
    day = _dt.date.fromisoformat(str(on)) if on is not None else _dt.date.today()
    plan, ts = _plan(store, schedule, day)
    closed = plan[(plan["window_end"] < ts) | plan["done"]]
    g = closed.groupby(["measure_id", "timepoint"], sort=False)["done"]
    out = g.agg(expected="size", completed="sum").reset_index()
    out["completed"] = out["completed"].astype(int)
    out["rate"] = out["completed"] / out["expected"]
    return out
