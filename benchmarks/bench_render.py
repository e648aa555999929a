"""Form rendering: median time to render one HTML form and one PDF (and a few companions).

Each case is timed ``--repeat`` times in this one process with ``time.perf_counter`` after
one untimed warm-up call (which loads Jinja2, WeasyPrint and the fonts); the first, cold
call is reported separately. Measures: PHQ-9 (10 items, 2 A4 pages) and the three-language
example with pictures (instruments/examples/feeling-today-cy-ar.yaml).

Run:  python benchmarks/bench_render.py [--repeat 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


def _time(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"cold_s": cold, "median_s": statistics.median(times), "min_s": min(times),
            "max_s": max(times), "repeat": repeat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    import measurelib as ml

    phq9 = ml.load("phq-9")
    example = ml.load(EXAMPLE)
    post = {"measure_id": "phq-9", "measure_version": phq9.version,
            **{it.id: "1" for it in phq9.items}}
    pdf_repeat = max(3, args.repeat // 3)
    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("html: PHQ-9", lambda: phq9.render("html"), args.repeat),
        ("html: example, Arabic, pictures", lambda: example.render("html", lang="ar"),
         args.repeat),
        ("print (HTML): PHQ-9", lambda: phq9.render("print"), args.repeat),
        ("script (text): PHQ-9", lambda: phq9.render("script-text"), args.repeat),
        ("pdf: PHQ-9 (2 pages)", lambda: phq9.render("pdf"), pdf_repeat),
        ("pdf: example, Arabic, pictures", lambda: example.render("pdf", lang="ar"), pdf_repeat),
        ("parse_submission: PHQ-9", lambda: ml.parse_submission(phq9, post), args.repeat),
    ]
    results = {}
    for name, fn, repeat in cases:
        results[name] = _time(fn, repeat)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'case':36} {'cold':>9} {'median':>9} {'min':>9}  n")
    for name, r in results.items():
        print(f"{name:36} {r['cold_s'] * 1000:8.1f}ms {r['median_s'] * 1000:8.1f}ms "
              f"{r['min_s'] * 1000:8.1f}ms  {r['repeat']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
