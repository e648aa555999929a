"""Start-up: whole `measurelib` processes on a catalog measure against an interpreter floor.

    PYTHONPATH=src python benchmarks/bench_startup.py [--rounds 15]

Runs, interleaved round by round (so that machine load hits every command alike):

* floor 1: ``python -c pass``
* floor 2: ``python -c "import yaml, pydantic"`` (what any definition tool pays)
* ``python -m measurelib validate phq-9``
* ``python -m measurelib render phq-9 --format html``
* ``python -m measurelib catalog``

and prints the median wall time of each, its ratio to floor 2 and its excess over floor 2,
with the machine's load average before and after. The goal (issue 16) is every command
≤ 0.5 s in all on the 2-core development machine when it is not loaded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import yaml, pydantic'": ["-c", "import yaml, pydantic"],
    "validate phq-9": ["-m", "measurelib", "validate", "phq-9"],
    "render phq-9 --format html": ["-m", "measurelib", "render", "phq-9", "--format", "html"],
    "catalog": ["-m", "measurelib", "catalog"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    load_before = os.getloadavg()
    for argv in COMMANDS.values():  # warm the caches (.pyc files) once
        subprocess.run([sys.executable, *argv], capture_output=True, check=True)
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, *argv], capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
    load_after = os.getloadavg()
    floor = statistics.median(times["python -c 'import yaml, pydantic'"])
    print(f"cpus: {os.cpu_count()}, load average before {load_before[0]:.1f}, after "
          f"{load_after[0]:.1f}; {args.rounds} interleaved rounds, medians")
    print(f"{'command':38} {'median s':>9} {'vs floor':>9} {'excess s':>9}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:38} {med:9.3f} {med / floor:8.2f}x {med - floor:9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
