"""Start-up cost: `import measurelib` and `measurelib validate` against `import pandas`.

Each command runs as a fresh process, interleaved, several times; medians are reported,
with the interpreter's own start-up (`python -c pass`) shown and subtracted for the
import-only ratios. Run: python benchmarks/bench_import.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import measurelib": [sys.executable, "-c", "import measurelib"],
    "measurelib validate phq-9 swemwbs": [sys.executable, "-m", "measurelib", "validate",
                                          "phq-9", "swemwbs"],
    "import pandas": [sys.executable, "-c", "import pandas"],
}


def measure(runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for cmd in COMMANDS.values():  # warm-up: file-system caches, .pyc files
        subprocess.run(cmd, capture_output=True, check=True)
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    med = measure(args.runs)
    base = med["python -c pass"]
    pandas = med["import pandas"] - base
    print(f"{'command':38s} {'median s':>9s} {'minus python':>13s} {'÷ import pandas':>16s}")
    for name, t in med.items():
        own = t - base
        ratio = own / pandas if pandas > 0 else float("nan")
        print(f"{name:38s} {t:9.3f} {own:13.3f} {ratio:16.2f}")


if __name__ == "__main__":
    main()
