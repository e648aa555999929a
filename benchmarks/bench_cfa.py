"""CFA on 100,000 × 15 seeded synthetic data (3 factors × 5 items): measurelib, semopy, lavaan.

All timings come from one run of this script.  measurelib and semopy run interleaved
``--repeat`` times, so that both see the same machine load; the table gives the best run
of each and the median of the paired ratios.  lavaan (when ``Rscript`` and lavaan are
installed) is timed inside R with ``system.time`` (best of ``--repeat``), so that R's
start-up and CSV reading are excluded.  Python timings use ``time.perf_counter`` and
include every pass over the raw data (measurelib computes its sufficient statistics
inside ``cfa()``).  The load average is printed before and after.

The fit statistics are printed next to the timings. semopy reports RMSEA with N - 1 and
has no SRMR, so its RMSEA differs from lavaan's in the last digits (see docs/cfa.md).
Neither semopy's ``calc_stats`` nor lavaan's ``fitMeasures`` computes modification
indices; measurelib computes them on first use of ``.modification_indices`` (timed
separately below the table).

Run:  python benchmarks/bench_cfa.py [--n 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

FACTORS = {"f1": [f"y{i}" for i in range(1, 6)], "f2": [f"y{i}" for i in range(6, 11)],
           "f3": [f"y{i}" for i in range(11, 16)]}
SYNTAX = "\n".join(f"{f} =~ " + " + ".join(items) for f, items in FACTORS.items())


def synthetic(n: int, seed: int = 20240601) -> pd.DataFrame:
    """Seeded continuous data from a 3-factor model with one small misfit (a cross-loading)."""
    rng = np.random.default_rng(seed)
    phi = np.array([[1.0, 0.4, 0.3], [0.4, 1.0, 0.35], [0.3, 0.35, 1.0]])
    f = rng.multivariate_normal(np.zeros(3), phi, size=n)
    lam = np.zeros((15, 3))
    for j in range(15):
        lam[j, j // 5] = rng.uniform(0.5, 0.85)
    lam[5, 0] = 0.15  # unmodelled cross-loading, so that chi-square is not trivial
    e = rng.standard_normal((n, 15)) * np.sqrt(np.clip(1 - np.sum(lam**2, axis=1), 0.1, None))
    x = f @ lam.T + e + rng.uniform(1, 3, size=15)
    return pd.DataFrame(x, columns=[f"y{i}" for i in range(1, 16)])


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run_measurelib(data: pd.DataFrame) -> dict[str, float]:
    from measurelib.psychometrics import cfa

    res = cfa(data, FACTORS)
    return {k: res.fit[k] for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr")}


def run_semopy(data: pd.DataFrame) -> dict[str, float] | None:
    try:
        import semopy
    except ImportError:
        return None
    model = semopy.Model(SYNTAX)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data)
        stats = semopy.calc_stats(model)
    row = stats.iloc[0]
    return {"chisq": float(row["chi2"]), "df": float(row["DoF"]), "cfi": float(row["CFI"]),
            "tli": float(row["TLI"]), "rmsea": float(row["RMSEA"]), "srmr": float("nan")}


R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
x <- read.csv("{csv}")
model <- "{model}"
invisible(cfa(model, data = x[1:500, ]))  # warm-up
times <- numeric({repeat})
for (i in seq_len({repeat})) {{
  times[i] <- system.time({{ fit <- cfa(model, data = x); fm <- fitMeasures(fit) }})[["elapsed"]]
}}
cat(min(times), fm[["chisq"]], fm[["df"]], fm[["cfi"]], fm[["tli"]], fm[["rmsea"]],
    fm[["srmr"]], "\n")
"""


def run_lavaan(data: pd.DataFrame, repeat: int) -> tuple[float, dict[str, float]] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "data.csv")
        data.to_csv(csv, index=False)
        script = os.path.join(tmp, "bench.R")
        with open(script, "w") as fh:
            fh.write(R_SCRIPT.format(csv=csv, model=SYNTAX.replace("\n", "\\n"), repeat=repeat))
        proc = subprocess.run(["Rscript", script], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"lavaan run failed: {proc.stderr.strip()[:300]}", file=sys.stderr)
        return None
    vals = [float(v) for v in proc.stdout.split()]
    keys = ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]
    return vals[0], dict(zip(keys, vals[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = synthetic(args.n)
    load_before = os.getloadavg()
    run_measurelib(data.iloc[:500])  # warm-up: imports
    have_semopy = run_semopy(data.iloc[:500]) is not None
    ml_times, sp_times = [], []
    fit_ml: dict[str, float] = {}
    fit_sp: dict[str, float] | None = None
    for _ in range(args.repeat):
        t, fit_ml = best_of(lambda: run_measurelib(data), 1)
        ml_times.append(t)
        if have_semopy:
            t, fit_sp = best_of(lambda: run_semopy(data), 1)
            sp_times.append(t)
    from measurelib.psychometrics import cfa

    res = cfa(data, FACTORS)
    t_mi, _ = best_of(lambda: _modification_indices(data), args.repeat)
    t_ml = min(ml_times)
    rows: list[tuple[str, float, dict[str, float], str]] = [("measurelib", t_ml, fit_ml, "")]
    if fit_sp is not None:
        paired = float(np.median(np.array(sp_times) / np.array(ml_times)))
        rows.append(("semopy", min(sp_times), fit_sp, f"  (median paired ratio {paired:.1f}x)"))
    lav = run_lavaan(data, args.repeat)
    if lav is not None:
        rows.append(("lavaan (R, system.time)", lav[0], lav[1], ""))
    load_after = os.getloadavg()
    print(f"CFA, {args.n:,} rows x 15 items, 3 factors (best of {args.repeat}; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after, on {os.cpu_count()} CPUs)")
    head = f"{'implementation':<26}{'seconds':>9}{'ratio':>9}   " \
           f"{'chisq':>11}{'df':>5}{'CFI':>10}{'TLI':>10}{'RMSEA':>10}{'SRMR':>10}"
    print(head)
    print("-" * len(head))
    for name, t, fit, note in rows:
        ratio = t / t_ml
        print(f"{name:<26}{t:>9.4f}{ratio:>8.1f}x   {fit['chisq']:>11.4f}{fit['df']:>5.0f}"
              f"{fit['cfi']:>10.6f}{fit['tli']:>10.6f}{fit['rmsea']:>10.6f}{fit['srmr']:>10.6f}"
              f"{note}")
    print("ratio = implementation time / measurelib time (higher means measurelib is faster)")
    print(f"measurelib fit followed by .modification_indices ({len(res.modification_indices)} "
          f"rows): {t_mi:.4f} s")


def _modification_indices(data: pd.DataFrame) -> Any:
    from measurelib.psychometrics import cfa

    return cfa(data, FACTORS).modification_indices


if __name__ == "__main__":
    main()
