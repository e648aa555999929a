"""Start-up: whole `measurelib` processes on a catalog measure against an interpreter floor.

    PYTHONPATH=src python benchmarks/bench_startup.py [--rounds 15]

Runs, interleaved round by round (so that machine load hits every command alike):

* floor 1: ``python -c pass``
* floor 2: ``python -c "import yaml, pydantic"`` (what any definition tool pays)
* ``python -m measurelib validate phq-9``, ``render phq-9 --format html``, ``catalog``,
  ``lint phq-9``, ``licence phq-9``, ``build phq-9``, ``template phq-9`` and
  ``export phq-9 --to fhir`` (every command that names a catalog measure; outputs go to a
  temporary folder)

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
import tempfile
import time

OUT = tempfile.mkdtemp(prefix="mlstartup")
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import yaml, pydantic'": ["-c", "import yaml, pydantic"],
    "validate phq-9": ["-m", "measurelib", "validate", "phq-9"],
    "render phq-9 --format html": ["-m", "measurelib", "render", "phq-9", "--format", "html",
                                   "-o", f"{OUT}/form.html"],
    "catalog": ["-m", "measurelib", "catalog"],
    "lint phq-9": ["-m", "measurelib", "lint", "phq-9"],
    "licence phq-9": ["-m", "measurelib", "licence", "phq-9"],
    "build phq-9": ["-m", "measurelib", "build", "phq-9", "-o", f"{OUT}/built.yaml"],
    "template phq-9": ["-m", "measurelib", "template", "phq-9", "-o", f"{OUT}/sheet.xlsx"],
    "export phq-9 --to fhir": ["-m", "measurelib", "export", "phq-9", "--to", "fhir", "-o",
                               f"{OUT}/q.json"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    load_before = os.getloadavg()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once

    def run(argv: list[str]) -> None:
        # exit 1 is a finding (lint), not a failure of the command
        proc = subprocess.run([sys.executable, *argv], capture_output=True, env=env)
        if proc.returncode not in (0, 1):
            raise RuntimeError(proc.stderr.decode()[-2000:])

    for argv in COMMANDS.values():  # warm the caches (.pyc files) once
        run(argv)
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            run(argv)
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
