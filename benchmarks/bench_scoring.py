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


def floor(df: pd.DataFrame, kind: str) -> np.ndarray:
    """The NumPy floor for a frame: into a float matrix (NumPy's own conversion), row sum."""
    if kind in ("string codes", "str (Arrow)", "string[pyarrow]", "ArrowDtype(str)"):
        arr = df.to_numpy(dtype=object)
        return np.where(arr == "", "nan", arr).astype(np.float64).sum(axis=1)
    if kind in ("float", "integer"):  # the frame's own values, no conversion
        return df.to_numpy().sum(axis=1)
    return df.to_numpy(dtype=np.float64, na_value=np.nan).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kinds",
                        default="float,integer,nullable Int64,string codes,str (Arrow),"
                                "string[pyarrow],ArrowDtype(str)",
                        help="frame kinds to compare, comma-separated")
    args = parser.parse_args()

    import os

    measure = ml.loads(YAML)
    x = make_data(args.rows)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    all_frames = frames(x)
    measure.score(all_frames["float"].head(1000))  # warm-up: imports, caches
    print("floors: 'matrix' = x.sum(axis=1) on the C-ordered float matrix of the answers; "
          "'frame' = a NumPy row sum of that frame's own values (text codes: NumPy's "
          "conversion to floats, then the sum)")
    print(f"{'frame':<16}{'matrix s':>9}{'frame s':>9}{'ml s':>8}{'vs matrix':>11}"
          f"{'vs frame':>10}{'CPU vs matrix':>15}")
    for kind, df in all_frames.items():
        if kind not in args.kinds.split(","):
            continue
        mat_t, own_t, ml_times, cpu_pairs = [], [], [], []
        measure.score(df)  # warm-up of this kind's path
        for _ in range(args.repeat):
            c0 = time.process_time()
            t, _ = best(lambda: x.sum(axis=1), 1)
            c1 = time.process_time()
            mat_t.append(t)
            t, _ = best(lambda df=df, kind=kind: floor(df, kind), 1)
            own_t.append(t)
            c2 = time.process_time()
            t, _ = best(lambda df=df: measure.score(df), 1)
            cpu_pairs.append((time.process_time() - c2) / max(c1 - c0, 1e-9))
            ml_times.append(t)
        ml_a = np.array(ml_times)
        r_mat = float(np.median(ml_a / np.array(mat_t)))
        r_own = float(np.median(ml_a / np.array(own_t)))
        r_cpu = float(np.median(cpu_pairs))
        print(f"{kind:<16}{min(mat_t):>9.4f}{min(own_t):>9.4f}{min(ml_times):>8.3f}"
              f"{r_mat:>10.2f}x{r_own:>9.2f}x{r_cpu:>9.2f}x", flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("goal: <= 3x the NumPy row sum for every kind of frame")
    df = all_frames["float"]

    # interleaved, so that both see the same machine load; best of each, and the median of
    # the ratios of the pairs
    np_times, ml_times = [], []
    res = None
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
