"""Outcomes store speed: import and change analysis against bare pandas.

* **Import**: N PHQ-9 administrations (half baselines, half follow-ups) go into an empty
  store with ``Store.import_frame`` (metadata checks, full response validation, scoring,
  natural-key de-duplication, respondents, episodes, import record, one transaction). The
  floor is ``DataFrame.to_sql`` of the same wide rows into an empty table of the same
  database, which checks and computes nothing. SQLite always; PostgreSQL with ``--pg URL``
  or ``--pg auto`` (a throw-away cluster made with initdb/pg_ctl, as the tests do).
* **Change**: ``ml.change`` on N paired people (2N rows: pairing, RCI, categories,
  recovery, CIs, effect sizes, attrition check, a breakdown by site) against a plain pandas
  group-by doing the core of the same work (pair first baseline with last follow-up,
  change, reliable-change category, mean change and category counts by site).

Prints a table of seconds and ratios. Run:
``python benchmarks/bench_store.py [--rows N] [--pg auto|URL]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import measurelib as ml


def make_rows(n: int, seed: int = 1) -> pd.DataFrame:
    """n administrations: n/2 people with a baseline and an exit form."""
    rng = np.random.default_rng(seed)
    m = ml.load("phq-9")
    people = n // 2
    pid = np.char.add("P", np.arange(people).astype(str))
    df = pd.DataFrame({
        "respondent_id": np.concatenate([pid, pid]),
        "timepoint": np.repeat(["baseline", "exit"], people),
        "date": np.repeat(["2025-01-06", "2025-03-31"], people),
        "site": np.tile(np.array(["North", "South", "East", "West"]), n // 4 + 1)[:2 * people],
        "mode": "paper",
    })
    for it in m.items[:9]:
        df[it.id] = rng.integers(0, 4, 2 * people).astype(np.int64)
    return df


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_import(url_for: Any, rows: pd.DataFrame, label: str) -> list[tuple[str, float, float]]:
    from sqlalchemy import create_engine

    m = ml.load("phq-9")
    store = ml.Store(url_for("store"))
    t_ml, res = timed(lambda: store.import_frame(m, rows))
    assert res.n_inserted == len(rows), res.summary()
    store.close()
    engine = create_engine(ml.store._store.normalise_url(url_for("plain")))
    t_pd, _ = timed(lambda: rows.to_sql("plain", engine, index=False, chunksize=100_000))
    engine.dispose()
    return [(f"import {len(rows):,} rows, {label}", t_ml, t_pd)]


def plain_change(df: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The core of the change computation in plain pandas (no CIs, no checks)."""
    df = df.sort_values(["respondent_id", "date"])
    base = df[df["timepoint"] == "baseline"].groupby("respondent_id").first()
    fu = df[df["timepoint"] != "baseline"].groupby("respondent_id").last()
    pair = base[["site", "total"]].join(fu[["total"]].rename(columns={"total": "total_fu"}),
                                        how="left")
    pair["change"] = pair["total_fu"] - pair["total"]
    pair["improved"] = pair["change"] <= -threshold
    pair["deteriorated"] = pair["change"] >= threshold
    return pair.groupby("site").agg(n=("total", "size"), mean_change=("change", "mean"),
                                    improved=("improved", "sum"),
                                    deteriorated=("deteriorated", "sum"))


def bench_change(n: int) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(2)
    pid = np.char.add("P", np.arange(n).astype(str))
    base = rng.integers(0, 28, n)
    df = pd.DataFrame({
        "respondent_id": np.concatenate([pid, pid]),
        "timepoint": np.repeat(["baseline", "exit"], n),
        "date": pd.to_datetime(np.repeat(["2025-01-06", "2025-03-31"], n)),
        "site": np.tile(np.array(["North", "South", "East", "West"]), n // 2 + 1)[:2 * n],
        "total": np.concatenate([base, np.clip(base - rng.integers(-4, 10, n), 0, 27)]),
    })
    m = ml.load("phq-9")
    t_ml, res = timed(lambda: ml.change(df, m, by="site"))
    t_pd, plain = timed(lambda: plain_change(df, 6))
    assert res.n_paired == n
    got = res.groups.set_index("group")["n_improved"].sort_index()
    assert (got.to_numpy() == plain["improved"].sort_index().to_numpy()).all()
    return [(f"change, {n:,} paired people", t_ml, t_pd)]


class _Cluster:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl on a Unix socket)."""

    def __init__(self) -> None:
        import glob
        import pwd

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
        if not bins:
            raise RuntimeError("PostgreSQL binaries not found")
        self.bindir = Path(bins[0]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="mlbench"))
        self.user = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.user = "postgres"
        self.port = 6543

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "-o", f"-k {self.dir} -p {self.port} -c listen_addresses=''", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str) -> str:
        import psycopg

        with psycopg.connect(host=str(self.dir), port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}"')
        return f"postgresql+psycopg://postgres@/{db}?host={self.dir}&port={self.port}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="administrations to import")
    ap.add_argument("--pairs", type=int, default=1_000_000, help="paired people for change")
    ap.add_argument("--pg", default=None, help="'auto' or a PostgreSQL URL (an empty database)")
    args = ap.parse_args()
    rows = make_rows(args.rows)
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        results += bench_import(lambda name: str(Path(tmp) / f"{name}.db"), rows, "SQLite")
    if args.pg:
        cluster = None
        try:
            if args.pg == "auto":
                cluster = _Cluster()
                cluster.start()
                url_for = cluster.url
            else:
                def url_for(name: str) -> str:
                    return str(args.pg)
            results += bench_import(url_for, rows, "PostgreSQL")
        finally:
            if cluster is not None:
                cluster.stop()
    results += bench_change(args.pairs)
    print(f"{'task':<44} {'measurelib s':>13} {'plain pandas s':>15} {'ratio':>7}")
    for name, t_ml, t_pd in results:
        print(f"{name:<44} {t_ml:>13.2f} {t_pd:>15.2f} {t_ml / t_pd:>7.2f}")


if __name__ == "__main__":
    main()
