"""Run every benchmark in this folder, one after the other: ``python -m benchmarks``.

Each ``bench_*.py`` is a script that measures measurelib against its peers in the same run
and prints ratios. ``python -m benchmarks scoring reliability`` runs only those; extra
options after ``--`` are passed to each script (e.g. ``-- --quick`` where supported).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names, _, extra = (argv[: argv.index("--")], None, argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, None, [])
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
        if not scripts:
            sys.stderr.write(f"no benchmark named {', '.join(names)}; have: "
                             + ", ".join(s.stem.removeprefix("bench_")
                                         for s in sorted(HERE.glob("bench_*.py"))) + "\n")
            return 2
    worst = 0
    for script in scripts:
        print(f"\n=== {script.stem}", flush=True)
        worst = max(worst, subprocess.run([sys.executable, str(script), *extra]).returncode)
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
