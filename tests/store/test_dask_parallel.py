"""Parallel import of a Dask DataFrame into PostgreSQL (issue 16), on a LocalCluster.

Each partition is checked, scored and staged by a worker through its own connection, then
one transaction moves the staged rows. These tests hold it to the sequential import
(``parallel=False``) on the same data: the same result, the same rows, the same messages,
and the same all-or-nothing and idempotent guarantees.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.postgres

PHQ9 = ml.load("phq-9")
SRC = Path(__file__).resolve().parents[2] / "src"


def _new_store(postgres: Any) -> Iterator[ml.Store]:
    s = ml.Store(postgres.create_database())
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def pg(postgres: Any) -> Iterator[ml.Store]:
    yield from _new_store(postgres)


@pytest.fixture
def pg2(postgres: Any) -> Iterator[ml.Store]:
    """A second, separate store (the sequential import's, to compare with)."""
    yield from _new_store(postgres)


def forms(n: int, seed: int = 0) -> pd.DataFrame:
    """Forms of several people at two timepoints, over three services."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "respondent_id": [f"p{i // 2}" for i in range(n)],
        "timepoint": ["baseline" if i % 2 == 0 else "review" for i in range(n)],
        "date": [f"2025-0{1 + i % 2}-{1 + (i // 2) % 28:02d}" for i in range(n)],
        "service": [["North", "South", None][i % 3] for i in range(n)],
        "age_band": "25-34"})
    for it in PHQ9.items[:9]:
        df[it.code] = rng.integers(0, 4, n).astype(str)
    return df


def messy(n: int = 120) -> pd.DataFrame:
    """Bad cells, a repeat in one partition and repeats across partitions."""
    df = forms(n)
    df.loc[7, "Q1"] = "7"           # out of range
    df.loc[50, "date"] = "not a day"
    df.loc[21] = df.loc[20]         # repeat in the same partition (partitions of 15 rows)
    df.loc[95] = df.loc[3]          # repeat of an earlier partition's form
    df.loc[110] = df.loc[7]         # repeat of a bad form
    return df


def stage_tables(store: ml.Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'measurelib_stage%%'")]


def snapshot(store: ml.Store) -> dict[str, Any]:
    """Everything an import writes, without the database's keys."""
    adm = store.administrations("phq-9").drop(columns=["pk", "import_pk"])
    with store.engine.connect() as conn:
        people = conn.exec_driver_sql("SELECT respondent_id FROM respondents "
                                      "ORDER BY 1").all()
        episodes = conn.exec_driver_sql("SELECT respondent_id, episode, service, start_date "
                                        "FROM episodes ORDER BY 1, 2").all()
        keys = conn.exec_driver_sql("SELECT key_hash, measure_series, scores::text, bands FROM "
                                    "administrations ORDER BY pk").all()
    return {"administrations": adm, "scores": store.scores("phq-9"), "people": people,
            "episodes": episodes, "keys": keys, "counts": store.counts()}


def same_result(a: Any, b: Any) -> None:
    for field in ("n_rows", "n_inserted", "n_already_stored", "n_rejected", "source",
                  "measure_id"):
        assert getattr(a, field) == getattr(b, field), field
    pd.testing.assert_frame_equal(a.rejected.reset_index(drop=True),
                                  b.rejected.reset_index(drop=True))


def same_store(a: ml.Store, b: ml.Store) -> None:
    x, y = snapshot(a), snapshot(b)
    pd.testing.assert_frame_equal(x.pop("administrations"), y.pop("administrations"))
    # the database's keys differ (the parallel move draws a key for a form it then finds
    # stored); their order is the data's in both
    pd.testing.assert_frame_equal(x.pop("scores").drop(columns=["administration"]),
                                  y.pop("scores").drop(columns=["administration"]))
    assert x == y


def test_parallel_equals_sequential_row_for_row(pg: ml.Store, pg2: ml.Store,
                                                client: Any) -> None:
    df = messy()
    before = forms(40, seed=1).iloc[10:20]  # some forms stored by an earlier import
    before.loc[:, "respondent_id"] = [f"p{i}" for i in range(5, 15)]
    for s in (pg, pg2):
        s.import_frame(PHQ9, before.reset_index(drop=True), reject_bad_rows=True)
    par = pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=8), reject_bad_rows=True)
    seq = pg2.import_dask(PHQ9, dd.from_pandas(df, npartitions=8), reject_bad_rows=True,
                          parallel=False)
    same_result(par, seq)
    assert par.n_rows == par.n_inserted + par.n_already_stored + par.n_rejected
    assert par.n_rejected == 5 and par.n_already_stored > 0
    assert set(par.rejected["row"]) == {9, 52, 23, 97, 112}
    assert dict(zip(par.rejected["row"], par.rejected["partition"])) == {
        9: 0, 23: 1, 52: 3, 97: 6, 112: 7}  # 15 rows a partition
    same_store(pg, pg2)
    assert stage_tables(pg) == []
    # a second run stores nothing twice, and says so as the sequential one does
    again = pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=5), reject_bad_rows=True)
    again2 = pg2.import_dask(PHQ9, dd.from_pandas(df, npartitions=5), reject_bad_rows=True,
                             parallel=False)
    same_result(again, again2)
    assert again.n_inserted == 0
    same_store(pg, pg2)


def test_anonymous_repeats_count_over_partitions(pg: ml.Store, pg2: ml.Store,
                                                 client: Any) -> None:
    df = forms(60).drop(columns=["respondent_id"])
    for c in [it.code for it in PHQ9.items[:9]]:
        df[c] = df[c].iloc[:4].tolist() * 15  # 4 answer sets, each 15 times
    df["timepoint"], df["date"] = "baseline", "2025-01-06"
    df.loc[13, "Q2"] = "9"  # a bad form still counts as an occurrence
    kw: dict[str, Any] = {"anonymous": True, "reject_bad_rows": True}
    par = pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=7), **kw)
    seq = pg2.import_dask(PHQ9, dd.from_pandas(df, npartitions=7), parallel=False, **kw)
    same_result(par, seq)
    assert (par.n_inserted, par.n_rejected) == (59, 1)
    same_store(pg, pg2)
    again = pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=3), **kw)
    assert (again.n_inserted, again.n_already_stored) == (0, 59)


def test_bad_rows_store_nothing_and_name_partition_rows(pg: ml.Store, pg2: ml.Store,
                                                        client: Any) -> None:
    df = messy()
    pg.import_frame(PHQ9, forms(4, seed=3).assign(respondent_id=["x1", "x2", "x3", "x4"]))
    empty = snapshot(pg)
    with pytest.raises(ml.DataError) as par:
        pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=8))
    with pytest.raises(ml.DataError) as seq:
        pg2.import_dask(PHQ9, dd.from_pandas(df, npartitions=8), parallel=False)
    assert par.value.title == seq.value.title
    assert [(d.code, d.location.row, d.message) for d in par.value.errors] == \
        [(d.code, d.location.row, d.message) for d in seq.value.errors]
    # the rows named count from the first partition; later partitions are still checked
    assert [d.location.row for d in par.value.errors] == [9, 23, 52, 112]
    assert [d.location.file for d in par.value.errors] == [
        "partition 0", "partition 1", "partition 3", "partition 7"]
    assert "partition 3: row 52, column 'date'" in str(par.value)
    after = snapshot(pg)
    pd.testing.assert_frame_equal(after.pop("administrations"), empty.pop("administrations"))
    pd.testing.assert_frame_equal(after.pop("scores"), empty.pop("scores"))
    assert after == empty
    assert pg.counts()["imports"] == 1 and stage_tables(pg) == []


def test_repeat_across_partitions_alone_fails_as_sequential(pg: ml.Store, pg2: ml.Store,
                                                            client: Any) -> None:
    df = forms(60)
    df.loc[40] = df.loc[2]
    df.loc[55] = df.loc[3]
    with pytest.raises(ml.DataError) as par:
        pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=6))
    with pytest.raises(ml.DataError) as seq:
        pg2.import_dask(PHQ9, dd.from_pandas(df, npartitions=6), parallel=False)
    assert [(d.code, d.location.row) for d in par.value.errors] == \
        [(d.code, d.location.row) for d in seq.value.errors] == [("store-duplicate-row", 42)]
    assert par.value.title == seq.value.title
    assert pg.counts()["administrations"] == 0 and stage_tables(pg) == []


def test_worker_error_midway_leaves_nothing(pg: ml.Store, client: Any) -> None:
    def breaks(part: pd.DataFrame) -> pd.DataFrame:
        if "p20" in set(part["respondent_id"]):
            raise OSError("disk gone on this worker")
        return part

    ddf = dd.from_pandas(forms(80), npartitions=8)
    with pytest.raises(OSError, match="disk gone"):
        pg.import_dask(PHQ9, ddf.map_partitions(breaks, meta=ddf._meta))
    counts = pg.counts()
    assert counts["administrations"] == counts["imports"] == counts["respondents"] == 0
    assert stage_tables(pg) == []
    assert pg.import_dask(PHQ9, ddf).n_inserted == 80  # and the next run works


def test_a_task_run_twice_stages_its_rows_once(pg: ml.Store) -> None:
    from measurelib.outcomes.store import _parallel as par

    allowed, bands, score_ids = par._probe(pg, PHQ9)
    with par._autocommit(pg) as conn:
        stage, token = par.create_stage(conn)
        try:
            job = par.PartitionJob(url=pg.engine.url.render_as_string(hide_password=False),
                                   stage=stage, measure=PHQ9, anonymous=False, defaults=None,
                                   timepoints=None, allowed=allowed, bands=bands,
                                   score_ids=score_ids)
            for _ in range(2):  # a lost worker's task, run again by the scheduler
                report = par.stage_partition(forms(30), 3, job)
                par.stage_partition(forms(10, seed=2), 4, job)
            assert report["n_good"] == 30
            assert conn.exec_driver_sql(
                f"SELECT part, count(*) FROM {stage} GROUP BY part ORDER BY part").all() == \
                [(3, 30), (4, 10)]
        finally:
            par.drop_stage(conn, stage, token)
    assert stage_tables(pg) == []


def test_leftover_stage_of_a_dead_run_is_dropped_live_one_kept(pg: ml.Store) -> None:
    from measurelib.outcomes.store import _parallel as par

    dead = par._autocommit(pg)
    dead_stage, _ = par.create_stage(dead)
    dead.invalidate()  # the connection is lost, as when its process is killed
    dead.close()
    live = par._autocommit(pg)
    live_stage, live_token = par.create_stage(live)
    try:
        assert sorted(stage_tables(pg)) == sorted([dead_stage, f"{dead_stage}_parts",
                                                   live_stage, f"{live_stage}_parts"])
        res = pg.import_dask(PHQ9, dd.from_pandas(forms(20), npartitions=2))
        assert res.n_inserted == 20
        assert sorted(stage_tables(pg)) == [live_stage, f"{live_stage}_parts"]
    finally:
        par.drop_stage(live, live_stage, live_token)
        live.close()


KILLED = """
import os, sys
import dask, dask.dataframe as dd, pandas as pd
import measurelib as ml
from measurelib.outcomes.store import _parallel
dask.config.set(scheduler="threads")
def die(*args, **kwargs):
    os._exit(9)  # the coordinator dies after the partitions are staged
_parallel._move = die
df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(30)], "timepoint": "baseline",
                   "date": "2025-01-06", **{f"Q{k}": "1" for k in range(1, 10)}})
ml.Store(sys.argv[1]).import_dask(ml.load("phq-9"), dd.from_pandas(df, npartitions=3))
"""


def test_killed_coordinator_leaves_nothing_and_next_run_cleans_up(pg: ml.Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    url = pg.engine.url.render_as_string(hide_password=False)
    proc = subprocess.run([sys.executable, "-c", KILLED, url], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    left = sorted(stage_tables(pg))
    assert len(left) == 2 and left[1] == f"{left[0]}_parts"  # staged, never moved
    with pg.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {left[0]}").scalar() == 30
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {left[1]}").scalar() == 3
    assert pg.counts()["administrations"] == pg.counts()["imports"] == 0
    res = pg.import_dask(PHQ9, dd.from_pandas(forms(10), npartitions=2))
    assert res.n_inserted == 10 and stage_tables(pg) == []


def test_concurrent_file_import_of_the_measure_is_serialised(pg: ml.Store, client: Any,
                                                             tmp_path: Path) -> None:
    from measurelib.outcomes.store._import import ChunkedImport

    df = forms(40)
    # the measure and its scoring run are stored already: the only wait is for the lock
    pg.import_frame(PHQ9, forms(1).assign(respondent_id="someone else"))
    first = ChunkedImport(pg, PHQ9, source="a.csv", file_sha256=None, reject_bad_rows=False,
                          anonymous=False, defaults=None)
    first.add(df.iloc[:25].reset_index(drop=True), np.arange(25) + 2)  # holds the lock
    out: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(
        res=pg.import_dask(PHQ9, dd.from_pandas(df, npartitions=4))))
    thread.start()
    try:
        waiting = 0
        for _ in range(600):  # the move waits for the measure's lock
            with pg.engine.connect() as conn:
                waiting = int(conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND NOT granted").scalar() or 0)
            if waiting or not thread.is_alive():
                break
            time.sleep(0.05)
        assert waiting == 1 and pg.counts()["administrations"] == 1
    finally:
        first.finish()
        thread.join(60)
    res = out["res"]
    assert (res.n_inserted, res.n_already_stored) == (15, 25)
    assert pg.counts()["administrations"] == 41


@pytest.mark.slow  # a cluster of worker processes, one of them replaced: 5-20 s
def test_process_workers_and_a_lost_worker(pg: ml.Store, tmp_path: Path) -> None:
    """Worker processes get the measure pickled; a worker process that dies is replaced
    and its partition computed again, and every row is stored once."""
    assert pickle.loads(pickle.dumps(PHQ9)) == PHQ9
    marker = str(tmp_path / "died-once")

    def dies_once(part: pd.DataFrame) -> pd.DataFrame:
        if "p12" in set(part["respondent_id"]) and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # the worker process is lost mid-import
        return part

    ddf = dd.from_pandas(forms(50), npartitions=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0") as cluster, \
            distributed.Client(cluster):
        res = pg.import_dask(PHQ9, ddf.map_partitions(dies_once, meta=ddf._meta))
    assert os.path.exists(marker)
    assert (res.n_rows, res.n_inserted) == (50, 50)
    assert pg.counts()["administrations"] == 50 and stage_tables(pg) == []


def test_sqlite_keeps_one_writer(tmp_path: Path) -> None:
    store = ml.Store(tmp_path / "s.db")
    with pytest.raises(ValueError, match="SQLite has one writer"):
        store.import_dask(PHQ9, dd.from_pandas(forms(4), npartitions=2), parallel=True)
    assert store.import_dask(PHQ9, dd.from_pandas(forms(4), npartitions=2)).n_inserted == 4


@st.composite
def frames(draw: Any) -> tuple[pd.DataFrame, int, bool, bool]:
    """Forms of a small pool of people (so forms repeat within the data and across runs),
    with bad answers, bad dates and copied rows."""
    n = draw(st.integers(1, 40))
    anonymous = draw(st.booleans())
    ids = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    df = pd.DataFrame({
        "respondent_id": [f"h{i}" for i in ids],
        "timepoint": draw(st.lists(st.sampled_from(["baseline", "review"]), min_size=n,
                                   max_size=n)),
        "date": draw(st.lists(st.sampled_from(["2025-01-06", "2025-02-03", "2025-13-01"]),
                              min_size=n, max_size=n)),
        "service": draw(st.lists(st.sampled_from(["North", "South", None]), min_size=n,
                                 max_size=n))})
    answers = draw(st.lists(st.lists(st.sampled_from(["0", "1", "2", "3", "", "7"]),
                                     min_size=9, max_size=9), min_size=n, max_size=n))
    for k, it in enumerate(PHQ9.items[:9]):
        df[it.code] = [a[k] for a in answers]
    for i, j in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=4)):
        df.loc[j] = df.loc[i]
    if anonymous:
        df = df.drop(columns=["respondent_id"])
    return df, draw(st.integers(1, 6)), anonymous, draw(st.booleans())


def test_property_parallel_equals_sequential(postgres: Any, client: Any) -> None:
    """Random data, partitions and options, run after run into two stores kept equal."""
    stores = [ml.Store(postgres.create_database()) for _ in range(2)]
    runs = {"n": 0}

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(frames())
    def check(case: tuple[pd.DataFrame, int, bool, bool]) -> None:
        df, parts, anonymous, reject = case
        got: list[Any] = []
        for store, parallel in zip(stores, (True, False)):
            try:
                got.append(store.import_dask(
                    PHQ9, dd.from_pandas(df, npartitions=parts, sort=False),
                    anonymous=anonymous, reject_bad_rows=reject, parallel=parallel))
            except ml.DataError as err:
                got.append([err.title, *[(d.code, d.location.row, d.message)
                                         for d in err.errors]])
        if isinstance(got[0], list):
            assert got[0] == got[1]
        else:
            same_result(got[0], got[1])
        same_store(stores[0], stores[1])
        assert stage_tables(stores[0]) == []
        runs["n"] += 1

    try:
        check()
    finally:
        for s in stores:
            s.close()
    assert runs["n"] == 20
