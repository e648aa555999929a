"""Reports read from the database equal the pandas path, on random stores, on both backends.

The impact report, change, the due list and the feedback sheet ask the database to pair,
group and count (``measurelib.outcomes.store._queries``). Each is compared here with the
pandas computation it replaced: ``change`` and ``impact_report`` on the frame of every
stored score (the path a DataFrame still takes), and the due list with the previous
implementation kept below as the reference (``_reference_plan``). Stores are random but
seeded, with the awkward cases on purpose: several baselines per episode, forms on the
same day, follow-ups dated on the baseline's day, unscored forms, anonymous forms, missing
sites and services, simulated and retrospective forms, equity fields, offers, closed
episodes and exit forms.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes import _schedule, change, due_list, feedback_sheet, impact_report
from measurelib.outcomes.store._queries import paired_scores, person_scores

PHQ9 = ml.load("phq-9")
SCHEDULE = """\
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 4}, tolerance: {days: 6}}
  - {id: exit, at: exit, tolerance: {days: 10}}
"""
SEEDS = [1, 2, 3]


def random_forms(seed: int, people: int = 60) -> pd.DataFrame:
    """Seeded random PHQ-9 forms of ``people`` people, with the awkward cases."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2025-01-01")
    for i in range(people):
        pid = f"p{i:03d}"
        episodes = 1 + int(rng.random() < 0.2)
        for e in range(1, episodes + 1):
            day0 = start + pd.Timedelta(days=int(rng.integers(0, 300)) + 400 * (e - 1))
            service = rng.choice(["counselling", "wellbeing", None], p=[0.5, 0.4, 0.1])
            site = rng.choice(["North", "South", "East", None], p=[0.4, 0.3, 0.2, 0.1])
            n_base = 1 + int(rng.random() < 0.15)  # sometimes two baselines
            for b in range(n_base):
                rows.append((pid, str(e), "baseline", day0 + pd.Timedelta(days=int(3 * b)),
                             service, site))
            if rng.random() < 0.1:  # a review on the baseline's day: not a follow-up
                rows.append((pid, str(e), "review", day0, service, site))
            for k in range(int(rng.integers(0, 4))):
                when = day0 + pd.Timedelta(days=28 * (k + 1) + int(rng.integers(-9, 10)))
                rows.append((pid, str(e), "review", when, service, site))
                if rng.random() < 0.1:  # two forms on one day
                    rows.append((pid, str(e), "review", when, service,
                                 rng.choice(["North", "West"])))
            if rng.random() < 0.5:
                when = day0 + pd.Timedelta(days=int(rng.integers(60, 200)))
                rows.append((pid, str(e), "exit", when, service, site))
    df = pd.DataFrame(rows, columns=["respondent_id", "episode", "timepoint", "date",
                                     "service", "site"])
    df = df.drop_duplicates(["respondent_id", "episode", "timepoint", "date"])
    df = df[df["date"] <= pd.Timestamp("2026-06-30")].reset_index(drop=True)
    n = len(df)
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    df["worker"] = np.array(["w1", "w2", "w3"])[rng.integers(0, 3, n)]
    df["mode"] = np.array(["paper", "tablet", "online"])[rng.integers(0, 3, n)]
    df["retrospective"] = np.where(rng.random(n) < 0.1, "yes", "no")
    df["simulated"] = np.where(rng.random(n) < 0.05, "yes", "no")
    df["sex"] = np.array(["female", "male", None])[rng.integers(0, 3, n)]
    df["deprivation_decile"] = pd.array(
        np.where(rng.random(n) < 0.2, None, rng.integers(1, 11, n)), dtype="Int64")
    level = rng.integers(0, 4, n)
    for it in PHQ9.items[:9]:
        df[it.id] = np.clip(level + rng.integers(-1, 2, n), 0, 3).astype(float)
    df[PHQ9.items[9].id] = rng.integers(0, 4, n).astype(float)
    unscored = rng.random(n) < 0.05  # too many answers missing: stored without a value
    for it in PHQ9.items[:5]:
        df.loc[unscored, it.id] = np.nan
    return df


def fill(store: Any, seed: int) -> None:
    df = random_forms(seed)
    store.configure_service("counselling", equity_fields=["sex", "deprivation_decile"],
                            schedule=SCHEDULE)
    store.configure_service("wellbeing", schedule=SCHEDULE)
    store.import_frame(PHQ9, df)
    rng = np.random.default_rng(seed + 100)
    anon = random_forms(seed + 200, people=8).drop(columns=["respondent_id", "episode"])
    store.import_frame(PHQ9, anon.drop_duplicates(["date", "timepoint"]), anonymous=True)
    ended = df[df["timepoint"] == "exit"].drop_duplicates(["respondent_id", "episode"])
    for rec in ended.head(len(ended) // 2).itertuples():
        store.close_episode(rec.respondent_id, rec.episode, rec.date)
    base = df[df["timepoint"] == "baseline"].head(25)
    offers = pd.DataFrame({
        "respondent_id": list(base["respondent_id"]) + [None] * 6,
        "episode": list(base["episode"]) + [None] * 6,
        "measure_id": "phq-9", "timepoint": "baseline",
        "date": list(base["date"]) + ["2025-03-01"] * 3 + ["2025-09-01"] * 3,
        "status": list(rng.choice(["offered", "declined", "not_offered"], len(base)))
        + ["offered"] * 6,
        "count": list(rng.integers(1, 3, len(base))) + [4, 7, 2, 5, 1, 9],
        "site": list(base["site"]) + ["North", "South", None, "North", "East", None],
        "service": list(base["service"]) + ["counselling"] * 6})
    store.record_offers(offers)


@pytest.fixture(params=SEEDS)
def random_store(request: pytest.FixtureRequest, store: Any) -> Any:
    fill(store, request.param)
    return store


def same(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON-like documents; floats to 1e-9 relative (SQL and pandas sum in different
    orders)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9,
                                                                         abs=1e-12), path
    else:
        assert a == b, (path, a, b)


CASES = [
    {},
    {"follow_up": "first"},
    {"follow_up": "exit", "service": "counselling"},
    {"start": "2025-03-01", "end": "2025-10-31 12:00"},
    {"start": "2025-04-15 08:00", "service": "wellbeing"},
]


@pytest.mark.parametrize("case", CASES)
def test_change_from_the_database_equals_the_pandas_path(random_store: Any,
                                                         case: dict[str, Any]) -> None:
    by = ["site", "service", "worker", "mode", "sex", "deprivation_decile", "period"]
    new = change(random_store, PHQ9, by=by, **case)
    old = change(random_store.scores(PHQ9.id, "total"), PHQ9, by=by, **case)
    assert new.n_baseline == old.n_baseline > 0
    # a text column empty in the rows read (e.g. an equity field the service does not
    # collect) has pandas' "nothing" dtype there and the text dtype in the whole table
    pd.testing.assert_frame_equal(_missing_as_none(new.people), _missing_as_none(old.people),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(new.groups, old.groups, rtol=1e-12)
    same(new.to_dict(), old.to_dict())
    # the decile groups read as whole numbers
    deciles = set(new.groups.loc[new.groups["by"] == "deprivation_decile", "group"])
    assert deciles and all(g == "(not recorded)" or g.isdigit() for g in deciles)


def _missing_as_none(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ("site", "service", "worker", "mode", "respondent_type", "age_band", "sex",
                "ethnicity", "deprivation_decile", "first_language"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _old_participation(store: Any, measure_id: str, start: Any, end: Any,
                       service: str | None) -> dict[str, Any]:
    """The participation counts as the pandas path computed them."""
    def window(df: Any) -> Any:
        d = pd.to_datetime(df["date"])
        keep = pd.Series(True, index=df.index)
        if start is not None:
            keep &= d >= pd.Timestamp(start)
        if end is not None:
            keep &= d <= pd.Timestamp(end)
        if service is not None:
            keep &= df["service"] == service
        return df[keep.to_numpy()]

    offers = window(store.table("offers"))
    offers = offers[offers["measure_id"] == measure_id]
    named = offers[offers["respondent_id"].notna()]
    out: dict[str, Any] = {"offers": {str(k): int(v) for k, v in
                                      named.groupby("status")["count"].sum().items()}}
    adm = store.administrations(measure_id, responses=False)
    anon = window(adm[adm["anonymous"].astype(bool)])
    handed = offers[offers["respondent_id"].isna() & (offers["status"] == "offered")]
    out["returned"] = {str(k): int(v) for k, v in
                       anon.assign(site=anon["site"].fillna("(all)")).groupby("site").size()
                       .items()}
    out["handed_out"] = {str(k): int(v) for k, v in handed.assign(
        site=handed["site"].fillna("(all)")).groupby("site")["count"].sum().items()}
    return out


@pytest.mark.parametrize("case", [CASES[0], CASES[2], CASES[3]])
def test_impact_report_from_the_database_equals_the_pandas_path(
        random_store: Any, case: dict[str, Any]) -> None:
    from measurelib.outcomes.store._queries import participation_counts

    kw = {k: v for k, v in case.items() if k != "follow_up"}
    fu = case.get("follow_up", "last")
    new = impact_report(random_store, PHQ9, by=["site", "worker"], follow_up=fu, **kw)
    old = impact_report(random_store.scores(PHQ9.id), PHQ9, by=["site", "worker"],
                        follow_up=fu, **kw)
    a, b = new.to_dict()["data"], old.to_dict()["data"]
    a.pop("participation")
    b.pop("participation")
    # the frame path has no offers: its hidden counts can differ only through them
    assert a["sections"][0]["headline"]["n_baseline"] is not None
    sa, sb = new.to_dict()["data"]["sections"], old.to_dict()["data"]["sections"]
    for x, y in zip(sa, sb):
        for part in ("distribution", "months", "run_chart_limits", "attrition", "caveats"):
            if new.to_dict()["data"]["n_hidden"] == old.to_dict()["data"]["n_hidden"]:
                same(x[part], y[part], part)
    got = participation_counts(random_store, PHQ9.id, start=kw.get("start"),
                               end=kw.get("end"), service=kw.get("service"))
    assert got == _old_participation(random_store, PHQ9.id, kw.get("start"), kw.get("end"),
                                     kw.get("service"))


def test_impact_report_figures_equal_with_the_same_cells(random_store: Any) -> None:
    """Without offers and anonymous forms in play, the whole report is the same."""
    new = impact_report(random_store, PHQ9, by=["site"], min_cell=1)
    old = impact_report(random_store.scores(PHQ9.id), PHQ9, by=["site"], min_cell=1)
    a, b = new.to_dict()["data"], old.to_dict()["data"]
    a.pop("participation")
    b.pop("participation")
    same(a, b)


def test_paired_rows_are_one_per_episode_with_the_first_baseline(random_store: Any) -> None:
    rows = paired_scores(random_store, PHQ9.id, "total", "baseline", "last")
    assert not rows.duplicated(["respondent_id", "episode"]).any()
    frame = random_store.scores(PHQ9.id, "total")
    frame = frame[frame["value"].notna() & frame["respondent_id"].notna()]
    base = frame[frame["timepoint"] == "baseline"].sort_values(["date", "administration"])
    first = base.drop_duplicates(["respondent_id", "episode"])
    assert len(rows) == len(first)
    got = rows.set_index(["respondent_id", "episode"])["baseline"].sort_index()
    want = first.set_index(["respondent_id", "episode"])["value"].sort_index()
    assert got.to_numpy().tolist() == want.to_numpy().tolist()
    fu = rows[rows["follow_up"].notna()]
    assert (pd.to_datetime(fu["follow_up_date"]) > pd.to_datetime(fu["baseline_date"])).all()


def test_feedback_reads_one_persons_rows(random_store: Any) -> None:
    frame = random_store.scores(PHQ9.id, "total")
    for rid in sorted(frame["respondent_id"].dropna().unique())[:5]:
        mine = frame[frame["respondent_id"] == rid].sort_values(["date", "administration"])
        got = person_scores(random_store, PHQ9.id, "total", rid)
        assert [d for d, _ in got] == [t.date() for t in mine["date"]]
        assert [v for _, v in got] == [None if pd.isna(v) else float(v) for v in mine["value"]]
        html = feedback_sheet(random_store, PHQ9, rid)
        assert "<svg" in html
    assert person_scores(random_store, PHQ9.id, "total", "nobody") == []
    assert random_store.respondent_measures("p000") == ["phq-9"]
    assert random_store.respondent_measures("nobody") == []


# --------------------------------------------------------------------------- due lists
def _reference_plan(store: Any, schedule: Any, on: dt.date,
                    cache: Any = None) -> tuple[Any, Any]:
    """The due-list plan as the pandas path computed it (every administration read)."""
    ep = store.table("episodes")
    adm = store.administrations(responses=False)
    if schedule.service is not None:
        ep = ep[ep["service"] == schedule.service]
    ep = ep.copy()
    ep["start_date"] = pd.to_datetime(ep["start_date"])
    ep["end_date"] = pd.to_datetime(ep["end_date"])
    exit_ids = [t.id for t in schedule.timepoints if t.at == "exit"]
    exits = adm[adm["timepoint"].isin(exit_ids)].groupby(["respondent_id", "episode"])["date"] \
        .min().rename("exit_date").reset_index()
    ep = ep.merge(exits, on=["respondent_id", "episode"], how="left")
    ep["end_date"] = ep["end_date"].fillna(pd.to_datetime(ep["exit_date"]))
    ep = ep.drop(columns="exit_date")
    # the latest form of the episode; ties on the day: the last stored
    last = adm.sort_values(["date", "pk"]).drop_duplicates(
        ["respondent_id", "episode"], keep="last")
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
                p = p.assign(occasion=0, due_date=p["end_date"],
                             window_start=p["end_date"] - tol, window_end=p["end_date"] + tol)
            else:
                every = tp.every.total_days
                stop = base["end_date"].fillna(day).where(base["end_date"].fillna(day) < day,
                                                          day)
                k = ((stop - base["start_date"]).dt.days + tp.tolerance.total_days) // every
                k = k.clip(lower=0).astype(int)
                rep = base.loc[base.index.repeat(k.to_numpy())].copy()
                rep["occasion"] = rep.groupby(level=0).cumcount().to_numpy() + 1
                rep["due_date"] = rep["start_date"] + pd.to_timedelta(
                    rep["occasion"] * every, unit="D")
                rep["window_start"] = rep["due_date"] - tol
                rep["window_end"] = rep["due_date"] + tol
                p = rep.reset_index(drop=True)
            rows.append(p)
    cols = ["respondent_id", "episode", "service", "site", "worker", "measure_id", "timepoint",
            "occasion", "due_date", "window_start", "window_end", "end_date"]
    plan = pd.concat(rows, ignore_index=True)[cols]
    plan = plan[plan["window_start"] <= day].reset_index(drop=True)
    a = adm[["respondent_id", "episode", "measure_id", "timepoint", "date"]].copy()
    a["timepoint"] = a["timepoint"].astype(str)
    m = plan.reset_index().merge(a, on=["respondent_id", "episode", "measure_id", "timepoint"],
                                 how="inner")
    entry_ids = {t.id for t in schedule.timepoints if t.at == "entry"}
    in_window = (m["date"] >= m["window_start"]) & (m["date"] <= m["window_end"])
    in_window |= m["timepoint"].isin(list(entry_ids))
    plan["done"] = plan.index.isin(np.unique(m.loc[in_window.to_numpy(), "index"].to_numpy()))
    return plan, day


@pytest.mark.parametrize("on, kw", [
    ("2026-07-01", {}), ("2025-06-01", {}), ("2025-09-15", {"worker": "w2"}),
    ("2025-12-01", {"service": "counselling"}), ("2027-06-01", {}),
])
def test_due_list_from_the_database_equals_the_pandas_path(
        random_store: Any, monkeypatch: pytest.MonkeyPatch, on: str,
        kw: dict[str, Any]) -> None:
    new = due_list(random_store, on=on, **kw)
    monkeypatch.setattr(_schedule, "_plan", _reference_plan)
    old = due_list(random_store, on=on, **kw)
    key = ["due_date", "respondent_id", "measure_id", "episode", "timepoint"]
    a = new.table.sort_values(key).reset_index(drop=True)
    b = old.table.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(new.completion, old.completion)
    assert new.notes == old.notes
    assert len(new.completion) > 0


def test_due_list_with_a_given_schedule_and_no_episodes(store: Any) -> None:
    sched = _schedule.loads_schedule(SCHEDULE)
    res = due_list(store, sched, on="2025-01-01")
    assert len(res.table) == 0
    assert res.notes == ["the store holds no episodes of care: import forms first "
                         "(`measurelib import`)"]
