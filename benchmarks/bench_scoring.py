"""Scoring speed: measurelib against a bare NumPy row sum and a per-row Python scorer.

One million administrations of a 14-item measure like WEMWBS (answers 1-5, a sum, three
bands, at most one answer missing with prorating, full validation of every cell) are
scored three ways in the same process, on the same matrix:

* ``numpy row sum``: ``X.sum(axis=1)`` on the float matrix: the floor, doing no
  validation, no missing-data rule and no bands;
* ``measurelib``: ``measure.score(df)`` on a DataFrame of that matrix (validation,
  missing data, prorating, bands, alerts, row account, output frame);
* ``per-row Python``: a straightforward loop doing the same work row by row.

NumPy and measurelib run interleaved ``--repeat`` times; each timing is the best of its
runs and the median ratio of the pairs is printed too (the Python loop runs once). The scores of
measurelib and of the Python loop are compared. Run:
``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``.

``--before SRC`` (the ``src`` folder of another checkout, e.g. of the main branch) also
times that version, in a second process that builds the same frames: each round runs one
pair (floor, measurelib) here and one there, alternately first, so that both versions see
the same machine load; the ratios of each version are to the floor measured in its own
process, and ``after/before`` is the median of the rounds' ratios of the two scorings.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
import pandas as pd

import measurelib as ml

ITEMS = 14
ITEM_LINES = "\n".join(f"  - {{id: q{i}, text: Item {i}, scale: freq5}}"
                       for i in range(1, ITEMS + 1))
YAML = """\
format: 1
id: bench-wellbeing
version: 1.0.0
title: Benchmark wellbeing measure (WEMWBS-like)
licence: {holder: measurelib, spdx: CC0-1.0, text_redistribution: allowed, modification: allowed}
scales:
  freq5:
    type: ordinal
    options:
      - {value: 1, label: None of the time}
      - {value: 2, label: Rarely}
      - {value: 3, label: Some of the time}
      - {value: 4, label: Often}
      - {value: 5, label: All of the time}
items:
{items}
scores:
  - id: total
    items: all
    method: sum
    missing: {max_missing: 1, prorate: true}
    bands:
      - {max: 40, label: Low}
      - {max: 58, label: Moderate}
      - {label: High}
""".replace("{items}", ITEM_LINES)


def make_data(rows: int, seed: int = 0) -> np.ndarray:
    """Answers 1-5; 0.5% of cells blank (so about 7% of rows have a missing answer)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(rows, ITEMS)).astype(np.float64)
    x[rng.random((rows, ITEMS)) < 0.005] = np.nan
    return x


def python_scores(matrix: list[list[float]]) -> tuple[list[float], list[str | None]]:
    """A straightforward scorer: one row at a time, the same rules as the measure."""
    allowed = {1.0, 2.0, 3.0, 4.0, 5.0}
    totals: list[float] = []
    bands: list[str | None] = []
    for r, row in enumerate(matrix):
        total = 0.0
        answered = 0
        for v in row:
            if v != v:  # NaN: missing
                continue
            if v not in allowed:
                raise ValueError(f"row {r + 2}: value {v} is not a valid answer")
            total += v
            answered += 1
        missing = ITEMS - answered
        if missing > 1:
            totals.append(math.nan)
            bands.append(None)
            continue
        if missing:
            total = total * ITEMS / answered
        totals.append(total)
        bands.append("Low" if total <= 40 else "Moderate" if total <= 58 else "High")
    return totals, bands


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    out = None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def frames(x: np.ndarray) -> dict[str, pd.DataFrame]:
    """The same answers as the frames people have: float, integer, nullable, text codes
    (object columns, and pandas' Arrow-backed ``str``)."""
    cols = [f"q{i}" for i in range(1, ITEMS + 1)]
    flt = pd.DataFrame(x, columns=cols)
    ints = pd.DataFrame(np.nan_to_num(x, nan=3.0).astype(np.int64), columns=cols)
    nullable = flt.astype("Int64")
    text = flt.astype("Int64").astype("string").astype(object)
    text = text.where(flt.notna(), "")
    import pyarrow as pa

    return {"float": flt, "integer": ints, "nullable Int64": nullable, "string codes": text,
            "str (Arrow)": text.astype("str"), "string[pyarrow]": text.astype("string[pyarrow]"),
            "ArrowDtype(str)": text.astype(pd.ArrowDtype(pa.string()))}


TEXT_KINDS = ("string codes", "str (Arrow)", "string[pyarrow]", "ArrowDtype(str)")


def floor(df: pd.DataFrame, kind: str) -> Any:
    """The NumPy floor for a frame: into a float matrix (NumPy's own conversion), row sum."""
    if kind in TEXT_KINDS:
        arr = df.to_numpy(dtype=object)
        return np.where(arr == "", "nan", arr).astype(np.float64).sum(axis=1)
    if kind in ("float", "integer"):  # the frame's own values, no conversion
        return df.to_numpy().sum(axis=1)
    return df.to_numpy(dtype=np.float64, na_value=np.nan).sum(axis=1)


def one_round(measure: Any, x: np.ndarray, df: pd.DataFrame, kind: str) -> dict[str, float]:
    """One timed pair: the matrix floor, the frame's own floor, then measurelib (wall and
    CPU seconds)."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    x.sum(axis=1)
    t1 = time.perf_counter()
    c1 = time.process_time()
    floor(df, kind)
    t2 = time.perf_counter()
    c2 = time.process_time()
    measure.score(df)
    t3 = time.perf_counter()
    c3 = time.process_time()
    return {"mat": t1 - t0, "own": t2 - t1, "ml": t3 - t2, "cpu_mat": c1 - c0,
            "cpu_ml": c3 - c2}


def worker(rows: int) -> None:
    """Serve rounds to a parent run with ``--before``: one kind per line in, JSON out."""
    import json
    import sys

    measure = ml.loads(YAML)
    x = make_data(rows)
    all_frames = frames(x)
    measure.score(all_frames["float"].head(1000))
    print("ready", flush=True)
    for line in sys.stdin:
        kind = line.strip()
        if not kind:
            break
        if kind.startswith("warm "):
            measure.score(all_frames[kind[5:]])
            print("{}", flush=True)
            continue
        print(json.dumps(one_round(measure, x, all_frames[kind], kind)), flush=True)


class Before:
    """The other version's process (``--before``)."""

    def __init__(self, src: str, rows: int) -> None:
        import os
        import subprocess
        import sys

        env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", "--rows", str(rows)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
            cwd=os.path.dirname(os.path.abspath(src)))
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the --before process did not start")

    def ask(self, kind: str) -> dict[str, float]:
        import json

        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(kind + "\n")
        self.proc.stdin.flush()
        got: dict[str, float] = json.loads(self.proc.stdout.readline())
        return got

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def med(a: list[float]) -> float:
    return float(np.median(np.array(a)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kinds",
                        default="float,integer,nullable Int64,string codes,str (Arrow),"
                                "string[pyarrow],ArrowDtype(str)",
                        help="frame kinds to compare, comma-separated")
    parser.add_argument("--before", metavar="SRC",
                        help="also time the measurelib in this src folder, interleaved")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.rows)
        return

    import os

    before = Before(args.before, args.rows) if args.before else None
    measure = ml.loads(YAML)
    x = make_data(args.rows)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    all_frames = frames(x)
    measure.score(all_frames["float"].head(1000))  # warm-up: imports, caches
    print("floors: 'matrix' = x.sum(axis=1) on the C-ordered float matrix of the answers; "
          "'frame' = a NumPy row sum of that frame's own values (text codes: NumPy's "
          "conversion to floats, then the sum)")
    head = f"{'frame':<16}{'matrix s':>9}{'frame s':>9}{'ml s':>8}{'vs matrix':>11}" \
           f"{'vs frame':>10}{'CPU vs matrix':>15}"
    if before is not None:
        head += f"{'before':>9}{'CPU before':>12}{'after/before':>14}"
    print(head)
    for kind, df in all_frames.items():
        if kind not in args.kinds.split(","):
            continue
        measure.score(df)  # warm-up of this kind's path
        if before is not None:
            before.ask("warm " + kind)
        mine: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for r in range(args.repeat):
            if before is not None and r % 2:
                theirs.append(before.ask(kind))
            mine.append(one_round(measure, x, df, kind))
            if before is not None and not r % 2:
                theirs.append(before.ask(kind))
        r_mat = med([p["ml"] / p["mat"] for p in mine])
        r_own = med([p["ml"] / p["own"] for p in mine])
        r_cpu = med([p["cpu_ml"] / max(p["cpu_mat"], 1e-9) for p in mine])
        line = f"{kind:<16}{min(p['mat'] for p in mine):>9.4f}" \
               f"{min(p['own'] for p in mine):>9.4f}{min(p['ml'] for p in mine):>8.3f}" \
               f"{r_mat:>10.2f}x{r_own:>9.2f}x{r_cpu:>14.2f}x"
        if theirs:
            b_mat = med([p["ml"] / p["mat"] for p in theirs])
            b_cpu = med([p["cpu_ml"] / max(p["cpu_mat"], 1e-9) for p in theirs])
            ab = med([a["ml"] / b["ml"] for a, b in zip(mine, theirs)])
            line += f"{b_mat:>8.2f}x{b_cpu:>11.2f}x{ab:>13.2f}x"
        print(line, flush=True)
    if before is not None:
        before.close()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("goal: <= 3x the NumPy row sum for every kind of frame")
    df = all_frames["float"]

    # interleaved, so that both see the same machine load; best of each, and the median of
    # the ratios of the pairs
    np_times, ml_times = [], []
    res: Any = None
    for _ in range(args.repeat):
        t, _ = best(lambda: x.sum(axis=1), 1)
        np_times.append(t)
        t, res = best(lambda: measure.score(df), 1)
        ml_times.append(t)
    t_np, t_ml = min(np_times), min(ml_times)
    median_ratio = float(np.median(np.array(ml_times) / np.array(np_times)))
    rows_list = x.tolist()
    t_py, (py_tot, py_band) = best(lambda: python_scores(rows_list), 1)

    got = res.scores["total"].to_numpy()
    exp = np.array(py_tot)
    same = bool(np.allclose(got, exp, equal_nan=True))
    same_bands = bool(res.scores["total_band"].astype(object).where(
        res.scores["total_band"].notna(), None).tolist() == py_band)

    print(f"Scoring {args.rows:,} administrations x {ITEMS} items "
          f"(1-5, sum, 3 bands, max_missing 1 + prorating, validation)")
    print(f"{'method':<22}{'seconds':>10}{'rows/s':>14}{'vs numpy':>10}")
    for name, t in (("numpy row sum", t_np), ("measurelib", t_ml), ("per-row Python", t_py)):
        print(f"{name:<22}{t:>10.3f}{args.rows / t:>14,.0f}{t / t_np:>9.1f}x")
    print(f"measurelib is {t_ml / t_np:.2f}x the bare NumPy sum (best of {args.repeat} each; "
          f"median of paired ratios {median_ratio:.2f}x) and {t_py / t_ml:.0f}x faster than "
          f"per-row Python")
    print(f"scores agree with the per-row Python scorer: {same}; bands agree: {same_bands}")
    acct = res.account
    print(f"account: {acct.rows_in:,} in = {acct.rows_scored:,} scored + {acct.rows_rejected:,} "
          f"rejected; {acct.scores['total']['prorated']:,} prorated, "
          f"{acct.scores['total']['not_computed']:,} not computed")


if __name__ == "__main__":
    main()
