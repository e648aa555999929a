"""Nightly-size fuzz run of the definition loader: N hostile mutants, none may escape or hang.

    PYTHONPATH=src python scripts/fuzz_loader.py                 # 100,000 mutants, 2 workers
    PYTHONPATH=src python scripts/fuzz_loader.py -n 5000 --start 7 --workers 1

Each mutant (``tests/property/_mutants.py``: tags on scalars and keys, odd and huge numbers,
deep nesting, alias bombs, merge keys, character and line edits, enormous scales, many
options, table files and pictures pointing outside the folder) is loaded with
``measurelib.loads``; every outcome must be a Measure or a located DefinitionError within one
second (wall time; each slow mutant's CPU time is printed beside it, so that on a shared,
loaded machine the load can be told from the work). The run prints the counts and the
seeds of every failure (replay one with
``mutant(seed, seed_texts())``) and exits 1 if any mutant raised another exception or took
more than a second.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "property"))

_SEEDS: list[str] = []
HARD_TIMEOUT = 5.0
SLOW = 1.0


class _Hung(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hung


def _init() -> None:
    from _mutants import seed_texts

    import measurelib  # noqa: F401 - import once per worker, not per mutant

    _SEEDS.extend(seed_texts())
    signal.signal(signal.SIGALRM, _alarm)
    os.chdir(ROOT / "tests")  # relative table files and pictures resolve inside the project


def _one(seed: int) -> tuple[int, str, float, str]:
    """(seed, outcome, seconds, detail): outcome is ok, definition-error, escaped or hung."""
    from _mutants import mutant

    import measurelib as ml
    from measurelib import DefinitionError

    text = mutant(seed, _SEEDS)
    start = time.perf_counter()
    cpu = time.process_time()
    try:
        signal.setitimer(signal.ITIMER_REAL, HARD_TIMEOUT)
        try:
            ml.loads(text, "fuzz.yaml")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outcome, detail = "ok", ""
    except _Hung:
        outcome, detail = "hung", ""
    except DefinitionError as err:
        outcome, detail = "definition-error", ""
        bad = [d for d in err.errors if d.location.file != "fuzz.yaml" and d.code != "table-file"
               and d.code != "file-outside-folder"]
        if not err.errors or bad:
            outcome, detail = "escaped", f"unlocated diagnostic: {bad[:1]}"
        else:
            str(err)
            err.to_json()
    except BaseException as exc:  # noqa: BLE001 - that is what we count
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.extract_tb(exc.__traceback__)
        frame = tb[-1] if tb else None
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        outcome, detail = "escaped", f"{type(exc).__name__} at {where}: {str(exc)[:120]}"
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if wall > SLOW:  # a slow mutant on a shared machine: say whether it was load or work
        detail = f"{detail} (cpu {cpu:.2f} s)".strip()
    return seed, outcome, wall, detail


def _child(start: int, n: int) -> None:
    """Run seeds start..start+n-1 in this process; one JSON line per noteworthy mutant."""
    import json

    _init()
    counts: Counter[str] = Counter()
    worst = 0.0
    for seed in range(start, start + n):
        seed, outcome, secs, detail = _one(seed)
        counts[outcome] += 1
        worst = max(worst, secs)
        if outcome in ("escaped", "hung") or secs > SLOW:
            print(json.dumps([seed, outcome, secs, detail]), flush=True)
            print(f"  seed {seed}: {outcome} {secs:.2f} s {detail}", file=sys.stderr, flush=True)
        if (seed - start + 1) % 500 == 0:
            print(f"  worker {start}: {seed - start + 1:,} done, {dict(counts)}, "
                  f"slowest {worst:.2f} s", file=sys.stderr, flush=True)
    print(json.dumps({"counts": counts, "worst": worst}), flush=True)


def main(argv: list[str] | None = None) -> int:
    import json
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of mutants")
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.start, args.n)
        return 0
    counts: Counter[str] = Counter()
    slow: list[tuple[int, float]] = []
    failures: list[tuple[int, str, str]] = []
    worst = 0.0
    t0 = time.perf_counter()
    share = -(-args.n // args.workers)
    procs = []
    for w in range(args.workers):
        first = args.start + w * share
        n = min(share, args.start + args.n - first)
        if n > 0:
            procs.append(subprocess.Popen(
                [sys.executable, __file__, "--child", "--start", str(first), "-n", str(n)],
                stdout=subprocess.PIPE, text=True))
    for proc in procs:
        assert proc.stdout is not None
        for line in proc.stdout:
            rec = json.loads(line)
            if isinstance(rec, dict):
                counts.update(rec["counts"])
                worst = max(worst, rec["worst"])
                continue
            seed, outcome, secs, detail = rec
            if secs > SLOW:
                slow.append((seed, secs))
            if outcome in ("escaped", "hung"):
                failures.append((seed, outcome, detail))
        proc.wait()
        if proc.returncode:
            failures.append((-1, "escaped", f"worker exited with {proc.returncode}"))
    elapsed = time.perf_counter() - t0
    print(f"mutants: {args.n:,} (seeds {args.start}..{args.start + args.n - 1}), "
          f"{elapsed:.0f} s, load average {os.getloadavg()[0]:.1f}")
    for key in ("ok", "definition-error", "escaped", "hung"):
        print(f"  {key}: {counts[key]:,}")
    print(f"  slower than {SLOW:.0f} s: {len(slow)} (slowest {worst:.3f} s)")
    by_kind = Counter(d.split(" at ")[0] for _, o, d in failures if o == "escaped")
    for kind, n in by_kind.most_common():
        print(f"    {kind}: {n}")
    for seed, outcome, detail in failures[:30]:
        print(f"  seed {seed}: {outcome} {detail}")
    for seed, secs in sorted(slow, key=lambda x: -x[1])[:10]:
        print(f"  seed {seed}: {secs:.2f} s")
    return 1 if failures or slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
