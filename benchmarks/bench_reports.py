"""Reports on a store: `report`, `due` and `feedback` as whole commands, small and large.

    PYTHONPATH=src python benchmarks/bench_reports.py [--rows 100000] [--rounds 5]

Builds two SQLite stores with the seeded generator of ``benchmarks/reports_store.py`` (not
committed; made in a temporary folder): a small one (20 administrations) and a large one
(``--rows``, default 100,000), then runs, interleaved round by round so that machine load
hits every command alike:

* the floor: ``python -c "import yaml, pydantic"`` (what any definition tool pays);
* ``measurelib report --measure phq-9 -o r.html``, ``measurelib due -o d.csv`` and
  ``measurelib feedback --respondent P3 -o f.html`` on each store.

With ``--before SRC`` (the ``src`` folder of another checkout, e.g. the previous release
unpacked with ``git archive``), the same commands also run from that code in the same
rounds, for a before/after ratio. Prints the median wall time of each, its ratio to the
floor, its CPU time (user + system of the child: the quiet-machine estimate on a loaded
machine), and the load average before and after. The goals (issue 16): each ≤ 1.5 s on the
small store and ≤ 3 s on 100,000 administrations, on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def commands(db: str, out: str) -> dict[str, list[str]]:
    return {
        "report": ["-m", "measurelib", "report", "--db", db, "--measure", "phq-9",
                   "-o", f"{out}/r.html"],
        "due": ["-m", "measurelib", "due", "--db", db, "--on", "2026-12-01",
                "-o", f"{out}/d.csv"],
        "feedback": ["-m", "measurelib", "feedback", "--db", db, "--respondent", "P3",
                     "-o", f"{out}/f.html"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default=None, metavar="SRC",
                        help="also run the commands from this source folder")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from reports_store import make_store

    with tempfile.TemporaryDirectory() as tmp:
        small, big = f"{tmp}/small.db", f"{tmp}/big.db"
        t = time.perf_counter()
        make_store(small, 20).close()
        make_store(big, args.rows).close()
        print(f"stores built in {time.perf_counter() - t:.1f} s", flush=True)
        here = os.environ.get("PYTHONPATH")
        runs: dict[str, tuple[list[str], str | None]] = {
            "floor: import yaml, pydantic": (["-c", "import yaml, pydantic"], here)}
        for label, db in (("20 rows", small), (f"{args.rows:,} rows", big)):
            for name, argv in commands(db, tmp).items():
                runs[f"{name}, {label}"] = (argv, here)
                if args.before:
                    runs[f"{name}, {label}, before"] = (argv, args.before)
        times: dict[str, list[float]] = {k: [] for k in runs}

        cpu: dict[str, list[float]] = {k: [] for k in runs}

        def run(argv: list[str], path: str | None) -> float:
            """Run one command; return its CPU seconds (user + system of the child)."""
            env = {**os.environ, **({"PYTHONPATH": path} if path else {})}
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled once
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, *argv], capture_output=True, check=True, env=env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

        for argv, path in runs.values():  # warm the caches (.pyc files) once
            run(argv, path)
        load_before = os.getloadavg()
        for _ in range(args.rounds):
            for name, (argv, path) in runs.items():
                start = time.perf_counter()
                cpu[name].append(run(argv, path))
                times[name].append(time.perf_counter() - start)
        load_after = os.getloadavg()
    floor = statistics.median(times["floor: import yaml, pydantic"])
    print(f"cpus: {os.cpu_count()}, load average before {load_before[0]:.1f}, after "
          f"{load_after[0]:.1f}; {args.rounds} interleaved rounds, medians")
    print(f"{'command':44} {'median s':>9} {'min s':>7} {'vs floor':>9} {'vs before':>9} "
          f"{'CPU s':>7} {'CPU vs before':>13}")
    for name, values in times.items():
        med = statistics.median(values)
        before = times.get(f"{name}, before")
        ratio = (f"{statistics.median(a / b for a, b in zip(values, before)):8.2f}x"
                 if before else "")
        used = cpu[name]
        cpu_ratio = (f"{statistics.median(a / b for a, b in zip(used, cpu[name + ', before'])):.2f}x"
                     if before else "")
        print(f"{name:44} {med:9.3f} {min(values):7.3f} {med / floor:8.2f}x {ratio:>9} "
              f"{statistics.median(used):7.3f} {cpu_ratio:>13}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
