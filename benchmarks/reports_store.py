"""A seeded outcomes store for the report benchmarks (and tests): ``make_store(url, n)``.

``n`` PHQ-9 administrations of about ``n / 3.3`` people: each person has one episode of
care (service ``counselling`` or ``wellbeing``, one of four sites and twelve workers) with
a baseline, zero to three six-weekly reviews and, for about half, an exit form that closes
the episode; dates run through 2025 and 2026; a few baselines are retrospective, and
``sex`` and ``age_band`` are recorded for the ``counselling`` service. A schedule (entry,
every 6 weeks, exit) is stored for both services, and some offers are recorded.

Nothing here is real data: every value comes from ``numpy.random.default_rng(seed)``.

Run ``python benchmarks/reports_store.py PATH [N]`` to build a file (not committed).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

SCHEDULE = """\
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
  - {id: exit, at: exit, tolerance: {days: 14}}
"""


def make_frame(n: int, seed: int = 16) -> pd.DataFrame:
    """About ``n`` administrations (exactly ``n``: the last people are trimmed)."""
    import measurelib as ml

    rng = np.random.default_rng(seed)
    people = max(1, int(n / 3.2) + 8)
    pid = np.char.add("P", np.arange(people).astype(str))
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, people), unit="D")
    n_reviews = rng.integers(0, 4, people)
    has_exit = rng.random(people) < 0.5
    service = np.where(rng.random(people) < 0.6, "counselling", "wellbeing")
    site = np.array(["North", "South", "East", "West"])[rng.integers(0, 4, people)]
    worker = np.char.add("w", rng.integers(0, 12, people).astype(str))
    sex = np.where(service == "counselling",
                   np.array(["female", "male", "other"])[rng.choice(3, people,
                                                                    p=[0.55, 0.42, 0.03])], "")
    age = np.where(service == "counselling",
                   np.array(["18-24", "25-34", "35-49", "50-64", "65+"])[
                       rng.integers(0, 5, people)], "")
    level = rng.integers(0, 4, people)  # each person's usual answer level
    rows: list[Any] = []
    for k in range(4 + 1):  # occasion 0 = baseline, 1-3 reviews, 4 = exit
        if k == 0:
            who = np.arange(people)
            tp = "baseline"
            when = start
        elif k <= 3:
            who = np.flatnonzero(n_reviews >= k)
            tp = "review"
            when = start + pd.to_timedelta(42 * k + rng.integers(-5, 6, people), unit="D")
        else:
            who = np.flatnonzero(has_exit)
            tp = "exit"
            when = start + pd.to_timedelta(42 * n_reviews + 30, unit="D")
        rows.append(pd.DataFrame({
            "respondent_id": pid[who], "episode": "1", "timepoint": tp,
            "date": pd.DatetimeIndex(when)[who].strftime("%Y-%m-%d"),
            "service": service[who], "site": site[who], "worker": worker[who],
            "mode": np.array(["paper", "tablet", "online"])[rng.integers(0, 3, len(who))],
            "sex": sex[who], "age_band": age[who],
            "retrospective": np.where((k == 0) & (rng.random(len(who)) < 0.03), "yes", "no"),
            "_level": np.clip(level[who] - (k > 0) * rng.integers(0, 2, len(who)), 0, 3),
        }))
    df = pd.concat(rows, ignore_index=True)
    df = df[pd.to_datetime(df["date"]) <= pd.Timestamp("2026-11-30")]
    df = df.sort_values(["date", "respondent_id"], kind="stable").head(n)
    m = ml.load("phq-9")
    lv = df.pop("_level").to_numpy()
    for it in m.items[:9]:
        df[it.code] = np.clip(lv + rng.integers(-1, 2, len(df)), 0, 3)
    df[m.items[9].code] = rng.integers(0, 4, len(df))  # the difficulty item
    return df.reset_index(drop=True)


def make_store(url: str, n: int, seed: int = 16) -> Any:
    """A store at ``url`` holding ``n`` seeded administrations, schedules and offers."""
    import measurelib as ml

    df = make_frame(n, seed)
    store = ml.Store(url)
    store.configure_service("counselling", equity_fields=["sex", "age_band"], schedule=SCHEDULE)
    store.configure_service("wellbeing", schedule=SCHEDULE)
    store.import_frame(ml.load("phq-9"), df.replace({"": None}), source="seeded.csv")
    # exit forms close their episodes
    ex = df[df["timepoint"] == "exit"]
    from sqlalchemy import update

    from measurelib.outcomes.store._tables import episodes

    with store.transaction() as conn:
        for start in range(0, len(ex), 5000):
            part = ex.iloc[start:start + 5000]
            for rid, day in zip(part["respondent_id"], part["date"]):
                conn.execute(update(episodes).where(
                    episodes.c.respondent_id == rid, episodes.c.episode == "1")
                    .values(end_date=pd.Timestamp(day).date()))
    rng = np.random.default_rng(seed + 1)
    base = df[df["timepoint"] == "baseline"].head(max(1, len(df) // 50))
    store.record_offers(pd.DataFrame({
        "respondent_id": base["respondent_id"], "episode": "1", "measure_id": "phq-9",
        "timepoint": "baseline", "date": base["date"],
        "status": np.array(["offered", "declined"])[rng.integers(0, 2, len(base))],
        "site": base["site"], "service": base["service"]}))
    return store


if __name__ == "__main__":
    path = sys.argv[1]
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    make_store(path, size).close()
    print(f"{path}: {size} administrations")
