"""`measurelib score` on big files against the pandas floor, per input format.

For each format (CSV, TSV, Parquet, Excel) a file of PHQ-9 administrations (id, date,
Q1-Q9, 0.5% blank cells) is made once; then, interleaved ``--repeat`` times, two fresh
processes run:

* ``floor``: ``pandas`` reads the file, sums the nine items per row and writes the frame
  with the sum (CSV for text input, Parquet for Parquet, CSV for Excel) - no validation,
  no missing-data rule, no bands, no spreadsheet safety;
* ``measurelib``: ``python -m measurelib score phq-9 FILE -o OUT --quiet`` (validation of
  every cell, missing data, bands, alerts, row account, neutralised output, chunks).

Each run's wall time and peak memory (the child's maximum resident set, from ``wait4``)
are recorded; the ratio printed is the median of the paired ratios, with the load average
before and after. Run: ``python benchmarks/bench_score_cli.py [--rows N] [--repeat R]
[--formats csv,tsv,parquet,xlsx] [--chunksize N] [--xlsx-out N] [--scaling]``. The Excel
output run scores a CSV of ``--xlsx-out`` rows to ``.xlsx``. ``--scaling`` runs CSV at
10^4 .. 10^7 rows (time and peak memory; the table in docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ITEMS = [f"Q{i}" for i in range(1, 10)]
SRC = str(Path(__file__).resolve().parents[1] / "src")

FLOOR = {
    "csv": "import pandas as pd,sys\ndf=pd.read_csv(sys.argv[1])\n"
           "df['total']=df[[f'Q{i}' for i in range(1,10)]].sum(axis=1)\n"
           "df.to_csv(sys.argv[2],index=False)",
    "tsv": "import pandas as pd,sys\ndf=pd.read_csv(sys.argv[1],sep='\\t')\n"
           "df['total']=df[[f'Q{i}' for i in range(1,10)]].sum(axis=1)\n"
           "df.to_csv(sys.argv[2],index=False,sep='\\t')",
    "parquet": "import pandas as pd,sys\ndf=pd.read_parquet(sys.argv[1])\n"
               "df['total']=df[[f'Q{i}' for i in range(1,10)]].sum(axis=1)\n"
               "df.to_parquet(sys.argv[2],index=False)",
    "xlsx": "import pandas as pd,sys\ndf=pd.read_excel(sys.argv[1])\n"
            "df['total']=df[[f'Q{i}' for i in range(1,10)]].sum(axis=1)\n"
            "df.to_csv(sys.argv[2],index=False)",
}
OUT = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "xlsx": ".csv"}


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(rows, 9)).astype(float)
    x[rng.random((rows, 9)) < 0.005] = np.nan
    df = pd.DataFrame(x, columns=ITEMS).astype("Int64")
    df.insert(0, "date", "2025-01-23")
    df.insert(0, "respondent_id", [f"p{i:07d}" for i in range(rows)])
    return df


def write_input(df: pd.DataFrame, fmt: str, folder: Path) -> Path:
    path = folder / f"big.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "tsv":
        df.to_csv(path, index=False, sep="\t")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_excel(path, index=False)
    return path


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process.

    The peak is the child's own ``VmHWM`` (read from /proc while it runs): the maximum
    resident set that ``wait4`` reports would include this parent's, inherited at fork.
    """
    env = {**os.environ, "PYTHONPATH": SRC}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    status = Path(f"/proc/{proc.pid}/status")
    peak = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, peak / 1024


def compare(fmt: str, rows: int, repeat: int, chunksize: int, folder: Path) -> dict[str, float]:
    path = write_input(make_frame(rows), fmt, folder)
    floor_out = folder / f"floor{OUT[fmt]}"
    ml_out = folder / f"scores{OUT[fmt] if fmt != 'xlsx' else '.csv'}"
    floor_cmd = [sys.executable, "-c", FLOOR[fmt], str(path), str(floor_out)]
    ml_cmd = [sys.executable, "-m", "measurelib", "score", "phq-9", str(path), "-o",
              str(ml_out), "--quiet", "--chunksize", str(chunksize)]
    floors, mls, ratios, mem_f, mem_m = [], [], [], [], []
    for _ in range(repeat):
        tf, mf = run(floor_cmd)
        tm, mm = run(ml_cmd)
        floors.append(tf)
        mls.append(tm)
        ratios.append(tm / tf)
        mem_f.append(mf)
        mem_m.append(mm)
    return {"floor_s": statistics.median(floors), "ml_s": statistics.median(mls),
            "ratio": statistics.median(ratios), "floor_mb": max(mem_f), "ml_mb": max(mem_m)}


XLSX_FLOOR = """import sys, pandas as pd, xlsxwriter
df = pd.read_csv(sys.argv[1])
cols = [df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns]
book = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_numbers": False, "strings_to_urls": False})
sheet = book.add_worksheet("scores")
sheet.write_row(0, 0, list(df.columns))
ws, wn = sheet.write_string, sheet.write_number
for k in range(len(df)):
    for j, col in enumerate(cols):
        v = col[k]
        if v is None or v == "":
            continue
        if isinstance(v, str):
            ws(k + 1, j, v)
        else:
            wn(k + 1, j, v)
book.close()
"""


def cpu_run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak MB of one child process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, peak = run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def excel_output(rows: int, repeat: int, folder: Path) -> None:
    """``score ... -o out.xlsx`` against the same command writing CSV and against XlsxWriter
    alone writing the same scored rows (constant memory, one call per cell): interleaved.
    """
    path = write_input(make_frame(rows), "csv", folder)
    base = [sys.executable, "-m", "measurelib", "score", "phq-9", str(path), "--quiet", "-o"]
    run(base + [str(folder / "scored.csv")])  # the scored rows the floor writes
    cmds = {"score -o .xlsx": base + [str(folder / "out.xlsx")],
            "score -o .csv": base + [str(folder / "out.csv")],
            "XlsxWriter alone": [sys.executable, "-c", XLSX_FLOOR, str(folder / "scored.csv"),
                                 str(folder / "floor.xlsx")]}
    got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            got[name].append(cpu_run(cmd))
    print(f"\nExcel output, {rows:,} rows (medians of {repeat} interleaved runs; goal <= 5 s "
          f"with bounded memory)")
    print(f"{'command':<18}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}")
    for name, runs in got.items():
        print(f"{name:<18}{statistics.median(r[0] for r in runs):>8.2f}"
              f"{statistics.median(r[1] for r in runs):>8.2f}{max(r[2] for r in runs):>9.0f}")
    ratio = statistics.median(a[1] / b[1] for a, b in zip(got["score -o .xlsx"],
                                                          got["XlsxWriter alone"]))
    print(f"CPU ratio score -o .xlsx / XlsxWriter alone: {ratio:.2f}x; load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


def scaling(repeat: int, chunksize: int, folder: Path, top: int) -> None:
    print(f"\nscaling of `measurelib score phq-9 FILE.csv -o out.csv` (chunksize {chunksize:,})")
    print(f"{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}{'load':>14}")
    for exp in range(4, top + 1):
        rows = 10 ** exp
        path = write_input(make_frame(rows), "csv", folder)
        cmd = [sys.executable, "-m", "measurelib", "score", "phq-9", str(path), "-o",
               str(folder / "scaling-out.csv"), "--quiet", "--chunksize", str(chunksize)]
        times, mems = [], []
        for _ in range(repeat if rows <= 10 ** 6 else 1):
            t, mb = run(cmd)
            times.append(t)
            mems.append(mb)
        t = statistics.median(times)
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{rows:>12,}{t:>10.2f}{rows / t:>12,.0f}{max(mems):>10.0f}  {load:>14}",
              flush=True)
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--excel-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunksize", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,tsv,parquet,xlsx")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--xlsx-out", type=int, default=100_000,
                        help="rows for the Excel output run (0: skip)")
    parser.add_argument("--scaling-top", type=int, default=7, help="largest power of ten")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, pandas {pd.__version__}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.formats:
            print(f"{'format':<9}{'rows':>11}{'floor s':>9}{'ml s':>8}{'ratio':>7}"
                  f"{'floor MB':>10}{'ml MB':>8}")
        for fmt in [f for f in args.formats.split(",") if f]:
            rows = args.excel_rows if fmt == "xlsx" else args.rows
            r = compare(fmt, rows, args.repeat, args.chunksize, folder)
            print(f"{fmt:<9}{rows:>11,}{r['floor_s']:>9.2f}{r['ml_s']:>8.2f}{r['ratio']:>6.2f}x"
                  f"{r['floor_mb']:>10.0f}{r['ml_mb']:>8.0f}", flush=True)
        if args.xlsx_out:
            excel_output(args.xlsx_out, args.repeat, folder)
        if args.scaling:
            scaling(args.repeat, args.chunksize, folder, args.scaling_top)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("ratios are medians of interleaved pairs (measurelib / floor); goal <= 2x")


if __name__ == "__main__":
    main()
