"""Start-up: every `measurelib` command as a whole process, against an interpreter floor.

    PYTHONPATH=src python benchmarks/bench_startup.py [--rounds 7] [--before SRC] [--only A,B]

Runs, interleaved round by round (so that machine load hits every command alike):

* floor 1: ``python -c pass``
* floor 2: ``python -c "import yaml, pydantic"`` (what any definition tool pays)
* every command of the command line on a catalog measure (``phq-9``) or on small inputs
  made in a temporary folder: a 20-row response file, a FHIR Questionnaire, and a 20-row
  SQLite store built by ``benchmarks/reports_store.py`` (``import`` puts the same 20
  forms into a copy of that store at every run, so it finds them stored already).

For each it prints the median wall time, its ratio to floor 2, and the median **CPU
time** (user + system of the child process): on a machine loaded by other work, wall time
is inflated by waiting for a core, CPU time far less, so CPU time is the estimate of what
an idle machine takes. The load average before and after is printed.

With ``--before SRC`` (the ``src`` folder of another checkout, e.g. the previous commit
unpacked with ``git archive``), every command also runs from that code in the same rounds,
and the median of the paired after/before ratios (wall and CPU) is printed.

The goal (issue 16): every command on a catalog measure ≤ 0.5 s in all on the 2-core
development machine when it is not loaded; ``report``, ``due`` and ``feedback`` on a small
store ≤ 1.5 s (see also ``bench_reports.py`` for 100,000 administrations).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ITEMS = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
         "psychomotor", "self_harm"]


def commands(tmp: str) -> dict[str, list[str]]:
    """Every command, each with the arguments of a small everyday use."""
    m = ["-m", "measurelib"]
    db, fresh = f"{tmp}/store.db", f"{tmp}/import.db"
    return {
        "python -c pass": ["-c", "pass"],
        "python -c 'import yaml, pydantic'": ["-c", "import yaml, pydantic"],
        "--help": [*m, "--help"],
        "validate phq-9": [*m, "validate", "phq-9"],
        "schema": [*m, "schema", "-o", f"{tmp}/schema.json"],
        "catalog": [*m, "catalog"],
        "licence phq-9": [*m, "licence", "phq-9"],
        "build phq-9": [*m, "build", "phq-9", "-o", f"{tmp}/built.yaml"],
        "lint phq-9": [*m, "lint", "phq-9"],
        "render phq-9 --format html": [*m, "render", "phq-9", "--format", "html", "-o",
                                       f"{tmp}/form.html"],
        "render phq-9 --format print": [*m, "render", "phq-9", "--format", "print", "-o",
                                        f"{tmp}/print.html"],
        "render phq-9 --format script": [*m, "render", "phq-9", "--format", "script", "-o",
                                         f"{tmp}/script.html"],
        "template phq-9": [*m, "template", "phq-9", "-o", f"{tmp}/sheet.xlsx"],
        "export phq-9 --to fhir": [*m, "export", "phq-9", "--to", "fhir", "-o",
                                   f"{tmp}/q.json"],
        "export phq-9 --to redcap": [*m, "export", "phq-9", "--to", "redcap", "-o",
                                     f"{tmp}/dd.csv"],
        "export phq-9 --to xlsform": [*m, "export", "phq-9", "--to", "xlsform", "-o",
                                      f"{tmp}/form.xlsx"],
        "import-definition (FHIR)": [*m, "import-definition", f"{tmp}/questionnaire.json",
                                     "-o", f"{tmp}/back.yaml"],
        "score phq-9 (20 rows)": [*m, "score", "phq-9", f"{tmp}/responses.csv", "-o",
                                  f"{tmp}/scored.csv", "--quiet"],
        "assess phq-9 (20 rows)": [*m, "assess", "phq-9", f"{tmp}/responses.csv"],
        "import phq-9 (20 rows, store)": [*m, "import", "phq-9", f"{tmp}/responses.csv",
                                          "--db", fresh, "-q"],
        "service (store)": [*m, "service", "counselling", "--db", db, "--schedule",
                            f"{tmp}/schedule.yaml"],
        "export-responses (store)": [*m, "export-responses", "phq-9", "--db", db, "-o",
                                     f"{tmp}/rows.csv"],
        "report (20-row store)": [*m, "report", "--db", db, "--measure", "phq-9", "-o",
                                  f"{tmp}/r.html"],
        "due (20-row store)": [*m, "due", "--db", db, "--on", "2026-12-01", "-o",
                               f"{tmp}/d.csv"],
        "feedback (20-row store)": [*m, "feedback", "--db", db, "--respondent", "P3", "-o",
                                    f"{tmp}/f.html"],
    }


def make_inputs(tmp: str) -> None:
    """The small files and the store the commands read (seeded, nothing from outside)."""
    sys.path.insert(0, str(HERE))
    from reports_store import SCHEDULE, make_store

    rows = [",".join(["respondent_id", "timepoint", "date", *ITEMS])]
    for i in range(20):
        rows.append(",".join([f"R{i}", "baseline", f"2026-01-{1 + i:02d}",
                              *(str((i * 7 + j * 3) % 4) for j in range(len(ITEMS)))]))
    Path(tmp, "responses.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    Path(tmp, "schedule.yaml").write_text("service: counselling\n" + SCHEDULE,
                                          encoding="utf-8")
    make_store(f"{tmp}/store.db", 20).close()
    shutil.copy(f"{tmp}/store.db", f"{tmp}/import-start.db")
    subprocess.run([sys.executable, "-m", "measurelib", "export", "phq-9", "--to", "fhir",
                    "-o", f"{tmp}/questionnaire.json"], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", default=None, metavar="SRC",
                        help="also run every command from this source folder")
    parser.add_argument("--only", default=None, metavar="A,B",
                        help="only the commands whose label contains one of these words")
    parser.add_argument("--tmp", default=None, metavar="DIR",
                        help="make the inputs and outputs in a new folder inside DIR")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="measurelib-bench-startup-", dir=args.tmp)
    make_inputs(tmp)
    here = os.environ.get("PYTHONPATH")
    runs: dict[str, tuple[list[str], str | None]] = {}
    for name, argv in commands(tmp).items():
        if args.only and name not in ("python -c pass", "python -c 'import yaml, pydantic'") \
                and not any(w in name for w in args.only.split(",")):
            continue
        runs[name] = (argv, here)
        if args.before and argv[0] == "-m":
            runs[f"{name}, before"] = (argv, args.before)
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}

    def run(argv: list[str], path: str | None) -> tuple[float, float]:
        env = {**os.environ, **({"PYTHONPATH": path} if path else {})}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once
        if "import" in argv and "--db" in argv:  # a fresh copy of the 20-row store
            shutil.copy(f"{tmp}/import-start.db", f"{tmp}/import.db")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        # exit 1 is a finding (lint), not a failure of the command
        proc = subprocess.run([sys.executable, *argv], capture_output=True, env=env, cwd=tmp)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{argv}: {proc.stderr.decode()[-2000:]}")
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return elapsed, used

    for argv, path in runs.values():  # warm the caches (.pyc files) once
        run(argv, path)
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for name, (argv, path) in runs.items():
            w, c = run(argv, path)
            wall[name].append(w)
            cpu[name].append(c)
    load_after = os.getloadavg()
    floor = statistics.median(wall["python -c 'import yaml, pydantic'"])
    floor_cpu = statistics.median(cpu["python -c 'import yaml, pydantic'"])
    print(f"cpus: {os.cpu_count()}, load average before {load_before[0]:.1f}, after "
          f"{load_after[0]:.1f}; {args.rounds} interleaved rounds, medians; floor "
          f"{floor:.3f} s wall, {floor_cpu:.3f} s CPU")
    print(f"{'command':40} {'wall s':>7} {'vs floor':>9} {'CPU s':>7} {'wall/before':>12} "
          f"{'CPU/before':>11}")
    for name in runs:
        if name.endswith(", before"):
            continue
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        ratios = ["", ""]
        if f"{name}, before" in runs:
            for j, series in enumerate((wall, cpu)):
                pairs = zip(series[name], series[f"{name}, before"])
                ratios[j] = f"{statistics.median(a / b for a, b in pairs):.2f}x"
        print(f"{name:40} {w:7.3f} {w / floor:8.2f}x {c:7.3f} {ratios[0]:>12} {ratios[1]:>11}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
