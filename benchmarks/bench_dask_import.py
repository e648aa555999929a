"""Dask import into PostgreSQL: parallel partitions against the sequential import.

A CSV of N PHQ-9 administrations (``--rows``, default 1,000,000; the rows of
``bench_store.py``) is imported into an empty PostgreSQL store (a throw-away cluster) three
ways, interleaved, ``--repeats`` times, each into a fresh database:

* **parallel**: ``Store.import_dask`` of ``dd.read_csv(file)``: each partition read,
  checked, scored and staged by a worker of a ``LocalCluster`` (``--workers`` processes,
  one thread each), then moved in one transaction;
* **sequential**: the same Dask DataFrame and cluster with ``parallel=False``: partitions
  computed on the cluster, checked, scored and written in order by this process;
* **import_file**: ``Store.import_file`` of the same CSV (streamed, one process): the floor
  the Dask paths are measured against.

Printed: the load average before each round, each time, and the medians of the paired
ratios. Run: ``python benchmarks/bench_dask_import.py [--rows N] [--repeats R]
[--workers W] [--partitions P]``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import _Cluster, make_rows  # noqa: E402

import measurelib as ml  # noqa: E402


def run(task: str, url: str, path: Path, blocksize: int) -> tuple[float, Any]:
    import dask.dataframe as dd

    measure = ml.load("phq-9")
    with ml.Store(url) as store:
        t = time.perf_counter()
        if task == "import_file":
            res = store.import_file(measure, path, progress=False)
        else:
            ddf = dd.read_csv(str(path), blocksize=blocksize, dtype=str)
            res = store.import_dask(measure, ddf, parallel=task == "parallel")
        return time.perf_counter() - t, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=20, help="about this many partitions")
    args = ap.parse_args()
    distributed: Any = importlib.import_module("distributed")

    print(f"load average before: {os.getloadavg()}, CPUs: {os.cpu_count()}", flush=True)
    cluster = _Cluster()
    tasks = ["parallel", "sequential", "import_file"]
    times: dict[str, list[float]] = {t: [] for t in tasks}
    try:
        cluster.start()
        with tempfile.TemporaryDirectory() as tmp, \
                distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                         processes=True, dashboard_address="127.0.0.1:0") as lc, \
                distributed.Client(lc):
            path = Path(tmp) / "forms.csv"
            make_rows(args.rows).to_csv(path, index=False)
            blocksize = max(1, path.stat().st_size // args.partitions + 1)
            k = 0
            for r in range(args.repeats):
                print(f"round {r + 1}: load {os.getloadavg()[0]:.2f}", flush=True)
                order = tasks[r % 3:] + tasks[:r % 3]  # interleaved, rotated
                for task in order:
                    k += 1
                    url = cluster.url(f"dask{k}")
                    took, res = run(task, url, path, blocksize)
                    assert res.n_inserted == args.rows, res.summary()
                    times[task].append(took)
                    print(f"  {task:<12} {took:8.2f} s", flush=True)
    finally:
        cluster.stop()
    med = {t: statistics.median(v) for t, v in times.items()}
    par_seq = statistics.median(p / s for p, s in zip(times["parallel"], times["sequential"]))
    par_file = statistics.median(p / f for p, f in zip(times["parallel"], times["import_file"]))
    seq_file = statistics.median(s / f for s, f in zip(times["sequential"],
                                                       times["import_file"]))
    print(f"{args.rows:,} rows, {args.workers} workers; medians: parallel {med['parallel']:.2f} s,"
          f" sequential {med['sequential']:.2f} s, import_file {med['import_file']:.2f} s")
    print(f"paired ratios: parallel/sequential {par_seq:.2f}, parallel/import_file "
          f"{par_file:.2f}, sequential/import_file {seq_file:.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
