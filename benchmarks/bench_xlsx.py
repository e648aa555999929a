"""Excel output: measurelib's streaming .xlsx writer against XlsxWriter writing the same cells.

1. In process, interleaved: the scores of ``--rows`` PHQ-9 administrations (respondent id,
   date, total, band, missing count, alerts) written to ``.xlsx``

   * floor: XlsxWriter in constant-memory mode writing the same cells, one call per cell,
     with no logic (no neutraliser, no type dispatch; the cell values are prepared as
     Python lists before the clock starts);
   * measurelib: ``XlsxStream.write_frame`` chunk by chunk (100,000 rows, as ``measurelib
     score`` does), from the DataFrame, neutraliser and type conversion included.

   The median of the paired ratios is printed with the load average.
2. The command as a user runs it, in a fresh process: ``measurelib score phq-9 FILE.csv -o
   out.xlsx --quiet`` for 10^4, 10^5 and 10^6 rows (``--sizes``), with its peak resident
   memory, and the same command writing CSV for comparison.

Run: ``PYTHONPATH=src python benchmarks/bench_xlsx.py [--rows N] [--repeat R] [--sizes ...]``
(needs XlsxWriter: the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_score_cli import make_frame, run  # noqa: E402

import measurelib as ml  # noqa: E402
from measurelib._output import XlsxStream  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def floor_writer(path: Path, headings: list[str], kinds: list[str],
                 cols: list[list[object]]) -> None:
    """XlsxWriter, constant memory, one write call per non-blank cell, nothing else."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("scores")
    for j, h in enumerate(headings):
        sheet.write_string(0, j, h)
    wn, ws = sheet.write_number, sheet.write_string
    n = len(cols[0])
    for i in range(n):
        r = i + 1
        for j, kind in enumerate(kinds):
            v = cols[j][i]
            if v is None:
                continue
            if kind == "num":
                wn(r, j, v)
            else:
                ws(r, j, v)
    book.close()


def prepared(frame: pd.DataFrame) -> tuple[list[str], list[object]]:
    kinds, cols = [], []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            kinds.append("num")
            cols.append([None if x != x else x for x in v.tolist()])
        else:
            kinds.append("text")
            cols.append([None if (x is None or x != x or x == "") else str(x)
                         for x in s.astype(object).tolist()])
    return kinds, cols


def ours(path: Path, frame: pd.DataFrame, chunk: int = 100_000) -> None:
    out = XlsxStream(path)
    out.sheet("scores", list(frame.columns))
    for s in range(0, len(frame), chunk):
        out.write_frame(frame.iloc[s:s + chunk])
    out.close()


def in_process(rows: int, repeat: int, folder: Path) -> None:
    scores = ml.score("phq-9", make_frame(rows)).scores
    kinds, cols = prepared(scores)
    heads = [str(c) for c in scores.columns]
    print(f"in process: {rows:,} rows x {scores.shape[1]} columns "
          f"({sum(sum(v is not None for v in c) for c in cols):,} non-blank cells)")
    print(f"load average before: {load()}")
    fl, ml_t = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor_writer(folder / "floor.xlsx", heads, kinds, cols)
        fl.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours(folder / "ours.xlsx", scores)
        ml_t.append(time.perf_counter() - t0)
    ratio = statistics.median(m / f for m, f in zip(ml_t, fl))
    sizes = [(folder / f).stat().st_size / 1e6 for f in ("floor.xlsx", "ours.xlsx")]
    print(f"{'XlsxWriter floor':<22}{statistics.median(fl):>8.2f} s  {sizes[0]:.1f} MB")
    print(f"{'measurelib':<22}{statistics.median(ml_t):>8.2f} s  {sizes[1]:.1f} MB")
    print(f"ratio measurelib / floor: {ratio:.2f}x (median of {repeat} interleaved pairs); "
          f"load average after: {load()}")


def commands(sizes: list[int], folder: Path) -> None:
    print(f"\n{'rows':>10}{'xlsx s':>9}{'xlsx MB':>9}{'csv s':>8}{'csv MB':>8}  load")
    for n in sizes:
        src = folder / f"in{n}.csv"
        make_frame(n).to_csv(src, index=False)
        base = [sys.executable, "-m", "measurelib", "score", "phq-9", str(src), "-o"]
        tx, mx = run([*base, str(folder / "o.xlsx"), "--quiet"])
        tc, mc = run([*base, str(folder / "o.csv"), "--quiet"])
        print(f"{n:>10,}{tx:>9.2f}{mx:>9.0f}{tc:>8.2f}{mc:>8.0f}  {load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        in_process(args.rows, args.repeat, folder)
        if args.sizes:
            commands(args.sizes, folder)
    print("goal: <= 5 s for 100,000 rows with bounded memory")


if __name__ == "__main__":
    main()
