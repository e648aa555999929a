"""Outcomes store speed: streamed import and change analysis against their floors.

* **Import** (``--rows``, default 1,000,000; ``--scale [N ...]`` runs several sizes, by
  default 10^4, 10^5, 10^6): a CSV of N PHQ-9 administrations (half baselines, half
  follow-ups) goes into an empty store with
  ``Store.import_file`` (streamed in chunks: metadata checks, full response validation,
  scoring, natural keys, respondents, episodes, one transaction). Floors, on the same file
  in the same run: **SQLite**, Python's ``csv`` reader and one ``executemany`` into a plain
  table holding the same responses and the total score (no index, no check); **PostgreSQL**
  (``--pg auto``: a throw-away cluster), ``COPY`` of the file into a plain table holding
  the same responses and the total (a stored generated column the server computes). A second
  floor, **same tables**: the same rows (respondents, episodes, administrations with their
  natural-key columns and answers, scores with bands), prepared in plain Python from the file and
  written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) into the store's own
  tables, with their indexes and constraints (made before the clock starts). Each task
  runs in a fresh process (its peak resident memory, ``VmHWM``, is its own), the tasks interleaved,
  ``--repeats`` times; reported are medians of the paired ratios, the database sizes and the
  load average.
* **Change**: ``ml.change`` on N paired people against a plain pandas group-by doing the core
  of the same work.

With ``--before SRC`` (the ``src`` folder of another checkout) that version's import runs
as a fourth task in the same rotation, and the median of the paired now/before ratios is
printed with its database size.

Run: ``python benchmarks/bench_store.py [--rows N | --scale] [--pg auto|URL] [--repeats R]
[--before SRC]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


CHILD = r"""
import json, sys, time
task, path, target = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if task in ("measurelib", "before"):
    import measurelib as ml
    with ml.Store(target) as store:
        res = store.import_file(ml.load("phq-9"), path, progress=False)
    n = res.n_inserted
elif task == "executemany":
    import csv, sqlite3
    con = sqlite3.connect(target)
    con.execute("CREATE TABLE plain (respondent_id TEXT, timepoint TEXT, date TEXT, site TEXT, "
                "mode TEXT, q1 INT, q2 INT, q3 INT, q4 INT, q5 INT, q6 INT, q7 INT, q8 INT, "
                "q9 INT, total REAL)")
    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        con.executemany("INSERT INTO plain VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (r + [sum(map(int, r[5:]))] for r in rows))
    con.commit()
    n = con.execute("SELECT COUNT(*) FROM plain").fetchone()[0]
    con.close()
elif task in ("tables", "tables-copy"):
    # the same rows into the same tables: respondents, episodes, administrations (natural
    # key columns, answers and scores as the store keeps them: the total in the row's JSON
    # array and its band number), with the store's indexes and constraints; the tables are made
    # before the clock starts
    import csv, sqlite3
    import measurelib as ml
    ml.Store(target).close()
    t0 = time.perf_counter()
    bands = ["0"] * 5 + ["1"] * 5 + ["2"] * 5 + ["3"] * 5 + ["4"] * 8
    resp, eps, adm, seen = [], [], [], set()
    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        for pk, r in enumerate(rows, 1):
            rid, tp, date, site, mode = r[:5]
            if rid not in seen:
                seen.add(rid)
                resp.append((rid, 1764806400))
                eps.append((rid, "1", date))
            total = sum(map(int, r[5:]))
            adm.append((pk, None, 1, 1, rid, "1", date, tp, mode, "self", site, False, False,
                        "".join(r[5:]) + ".", 1, False, "[%d]" % total, bands[total],
                        1))
    cols = ("pk, key_hash, measure_pk, measure_series, respondent_id, episode, date, timepoint, mode, "
            "respondent_type, site, retrospective, simulated, responses, import_pk, anonymous, "
            "scores, bands, run_pk")
    parents = ["INSERT INTO measures (pk, measure_id, version, lock_sha256, definition, "
               "added_at) VALUES (1, 'phq-9', '1', 'x', '{}', '2026-12-04 00:00:00')",
               "INSERT INTO imports (pk, measure_pk, started_at, n_rows, n_inserted, "
               "n_already_stored, n_rejected, engine_version) VALUES (1, 1, "
               "'2026-12-04 00:00:00', 0, 0, 0, 0, 'x')",
               "INSERT INTO scoring_runs (pk, measure_pk, rules, rules_sha256, "
               "engine_version, score_ids) VALUES (1, 1, '[]', 'x', 'x', '[\"total\"]')",
               "INSERT INTO measure_ids (pk, measure_id) VALUES (1, 'phq-9')"]
    if task == "tables":
        con = sqlite3.connect(target)
        for q in parents:
            con.execute(q)
        con.executemany("INSERT INTO respondents VALUES (?, ?)", resp)
        con.executemany("INSERT INTO episodes (respondent_id, episode, start_date) "
                        "VALUES (?, ?, ?)", eps)
        con.executemany(f"INSERT INTO administrations ({cols}) VALUES "
                        f"({', '.join('?' * 19)})", adm)
        con.commit()
        n = con.execute("SELECT COUNT(*) FROM administrations").fetchone()[0]
        con.close()
    else:
        import psycopg
        dsn = target.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as con:
            for q in parents:
                con.execute(q)
            with con.cursor() as cur:
                for table, names, data in (
                        ("respondents", "respondent_id, added_at", resp),
                        ("episodes", "respondent_id, episode, start_date", eps),
                        ("administrations", cols, adm)):
                    with cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
                        for row in data:
                            cp.write_row(row)
            n = con.execute("SELECT COUNT(*) FROM administrations").fetchone()[0]
else:  # COPY into PostgreSQL: the file as it is; the server adds the total
    import psycopg
    dsn = target.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as con:
        con.execute("CREATE TABLE plain (respondent_id text, timepoint text, date date, "
                    "site text, mode text, q1 smallint, q2 smallint, q3 smallint, q4 smallint, "
                    "q5 smallint, q6 smallint, q7 smallint, q8 smallint, q9 smallint, "
                    "total real GENERATED ALWAYS AS (q1 + q2 + q3 + q4 + q5 + q6 + q7 + q8 + q9) "
                    "STORED)")
        with con.cursor() as cur, cur.copy(
                "COPY plain (respondent_id, timepoint, date, site, mode, q1, q2, q3, q4, q5, q6, "
                "q7, q8, q9) FROM STDIN (FORMAT csv, HEADER true)") as cp:
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    cp.write(block)
        n = con.execute("SELECT COUNT(*) FROM plain").fetchone()[0]
# VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec)
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": n, "peak_mb": hwm / 1024}))
"""


BEFORE: str | None = None
"""``--before SRC``: the ``src`` folder of another checkout, whose import runs as ``before``."""


def run_child(task: str, path: Path, target: str) -> dict[str, float]:
    import json
    import sys

    env = dict(os.environ)
    if task == "before":
        env["PYTHONPATH"] = str(BEFORE)
    proc = subprocess.run([sys.executable, "-c", CHILD, task, str(path), target],
                          capture_output=True, text=True, check=False, env=env)
    if proc.returncode:
        raise RuntimeError(f"{task} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def size_mb(target: str) -> float:
    if "://" not in target:
        return Path(target).stat().st_size / 1e6
    import psycopg

    with psycopg.connect(target.replace("postgresql+psycopg://", "postgresql://")) as con:
        return float(con.execute(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"
        ).fetchone()[0]) / 1e6


def size_parts(target: str) -> dict[str, int]:
    """Bytes of each table and index: SQLite from ``dbstat`` (pages, free space included),
    PostgreSQL ``pg_table_size`` (tables, with their TOAST and maps) and
    ``pg_relation_size`` (indexes).
    """
    if "://" not in target:
        import sqlite3

        con = sqlite3.connect(target)
        try:
            return {str(k): int(v) for k, v in con.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")}
        finally:
            con.close()
    import psycopg

    with psycopg.connect(target.replace("postgresql+psycopg://", "postgresql://")) as con:
        return {str(k): int(v) for k, v in con.execute(
            "SELECT c.relname, CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) "
            "ELSE pg_relation_size(c.oid) END FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'i') AND n.nspname = 'public'")}


def print_parts(n: int, label: str, parts: dict[str, dict[str, int]]) -> None:
    """Bytes per form of each table and index above 0.5 byte a form, per task."""
    names = sorted({k for p in parts.values() for k, v in p.items() if v / n >= 0.5})
    print(f"bytes per form, {label}, {n:,} rows: " + ", ".join(parts), flush=True)
    for name in names:
        print(f"  {name:<44}" + "".join(f"{p.get(name, 0) / n:>10.1f}" for p in parts.values()))
    print(f"  {'total':<44}" + "".join(f"{sum(p.values()) / n:>10.1f}" for p in parts.values()),
          flush=True)


def bench_import(n: int, repeats: int, tmp: Path, pg: Any) -> list[dict[str, Any]]:
    """Interleaved runs of measurelib and its floor on SQLite (and PostgreSQL)."""
    path = tmp / f"forms{n}.csv"
    make_csv(n).to_csv(path, index=False)
    backends = [("SQLite", "executemany", "tables", lambda name: str(tmp / f"{name}.db"))]
    if pg is not None:
        backends.append(("PostgreSQL", "copy", "tables-copy", pg))
    out = []
    for label, floor, same, url_for in backends:
        runs: list[dict[str, Any]] = []
        for r in range(repeats):
            targets = {"measurelib": url_for(f"ml{n}_{r}"), floor: url_for(f"floor{n}_{r}"),
                       same: url_for(f"same{n}_{r}")}
            if BEFORE:
                targets["before"] = url_for(f"before{n}_{r}")
            k = r % len(targets)
            order = list(targets)[k:] + list(targets)[:k]  # interleaved, rotated
            got = {task: run_child(task, path, targets[task]) for task in order}
            assert got["measurelib"]["rows"] == got[floor]["rows"] == got[same]["rows"] == n
            runs.append({**{k: v for k, v in got.items()},
                         **{f"{k}_mb": size_mb(t) for k, t in targets.items()}})
            if r == repeats - 1:
                print_parts(n, label, {k: size_parts(t) for k, t in targets.items()})
        out.append({
            "what": f"import {n:,} rows, {label}", "floor": floor,
            "seconds": statistics.median(x["measurelib"]["seconds"] for x in runs),
            "floor_seconds": statistics.median(x[floor]["seconds"] for x in runs),
            "same_seconds": statistics.median(x[same]["seconds"] for x in runs),
            "ratio": statistics.median(x["measurelib"]["seconds"] / x[floor]["seconds"]
                                       for x in runs),
            "same_ratio": statistics.median(x["measurelib"]["seconds"] / x[same]["seconds"]
                                            for x in runs),
            "peak_mb": max(x["measurelib"]["peak_mb"] for x in runs),
            "floor_peak_mb": max(x[floor]["peak_mb"] for x in runs),
            "db_mb": runs[-1]["measurelib_mb"], "floor_db_mb": runs[-1][f"{floor}_mb"],
            "same_db_mb": runs[-1][f"{same}_mb"],
            **({"before_ratio": statistics.median(
                x["measurelib"]["seconds"] / x["before"]["seconds"] for x in runs),
                "before_seconds": statistics.median(x["before"]["seconds"] for x in runs),
                "before_db_mb": runs[-1]["before_mb"],
                "before_peak_mb": max(x["before"]["peak_mb"] for x in runs)}
               if BEFORE else {}),
        })
    return out


def make_csv(n: int) -> pd.DataFrame:
    df = make_rows(n)
    m = ml.load("phq-9")
    return df.rename(columns={it.id: it.code for it in m.items[:9]})


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


def print_table(results: list[dict[str, Any]]) -> None:
    """The import rows: times, medians of paired ratios, memory and database sizes."""
    print("floor: a plain table (executemany / COPY of the file); same: the same rows into "
          "the store's own tables (executemany / COPY)")
    print(f"{'task':<34} {'measurelib s':>12} {'floor s':>8} {'ratio':>6} {'same s':>7} "
          f"{'ratio':>6} {'peak MB':>8} {'floor MB':>9} {'db MB':>7} {'floor db':>9} "
          f"{'size x':>7} {'same db':>8}", flush=True)
    for r in results:
        print(f"{r['what']:<34} {r['seconds']:>12.2f} {r['floor_seconds']:>8.2f} "
              f"{r['ratio']:>6.2f} {r['same_seconds']:>7.2f} {r['same_ratio']:>6.2f} "
              f"{r['peak_mb']:>8.0f} {r['floor_peak_mb']:>9.0f} "
              f"{r['db_mb']:>7.1f} {r['floor_db_mb']:>9.1f} "
              f"{r['db_mb'] / r['floor_db_mb']:>7.2f} {r['same_db_mb']:>8.1f}", flush=True)
        if "before_ratio" in r:
            print(f"{'  before (--before)':<34} {r['before_seconds']:>12.2f} "
                  f"{'now/before':>15} {r['before_ratio']:>6.2f} "
                  f"{'peak MB':>14} {r['before_peak_mb']:>8.0f} {'db MB':>10} "
                  f"{r['before_db_mb']:>7.1f} {'size x':>9} "
                  f"{r['before_db_mb'] / r['floor_db_mb']:>7.2f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="administrations to import")
    ap.add_argument("--scale", nargs="*", type=int, default=None, metavar="N",
                    help="several sizes (default with no N: 10^4, 10^5 and 10^6 rows)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved runs per size")
    ap.add_argument("--pairs", type=int, default=1_000_000, help="paired people for change")
    ap.add_argument("--no-change", action="store_true", help="skip the change benchmark")
    ap.add_argument("--pg", default=None, help="'auto' or a PostgreSQL URL (an empty database)")
    ap.add_argument("--before", default=None, metavar="SRC",
                    help="the src folder of another checkout: its import runs interleaved too")
    args = ap.parse_args()
    global BEFORE
    BEFORE = args.before
    print(f"load average before: {os.getloadavg()}, CPUs: {os.cpu_count()}", flush=True)
    sizes = ((args.scale or [10_000, 100_000, 1_000_000]) if args.scale is not None
             else [args.rows])
    results: list[dict[str, Any]] = []
    cluster = None
    try:
        pg = None
        if args.pg == "auto":
            cluster = _Cluster()
            cluster.start()
            pg = cluster.url
        elif args.pg:
            def pg(name: str) -> str:
                return str(args.pg)
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                done = bench_import(n, args.repeats, Path(tmp), pg)
                results += done
                print(f"  done {n:,} rows (load {os.getloadavg()[0]:.1f})", flush=True)
                print_table(done)
    finally:
        if cluster is not None:
            cluster.stop()
    print_table(results)
    if not args.no_change:
        for name, t_ml, t_pd in bench_change(args.pairs):
            print(f"{name:<34} {t_ml:>12.2f} {t_pd:>8.2f} {t_ml / t_pd:>6.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
