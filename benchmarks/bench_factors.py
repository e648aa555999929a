"""Parallel analysis and EFA on 10,000 × 50 Likert data: measurelib, factor_analyzer, R psych.

All timings come from one run of this script.  R (when ``Rscript`` and psych are
installed) is timed inside R with ``system.time`` so that R's start-up and CSV reading
are excluded; Python timings are the best of ``--repeat`` runs with ``time.perf_counter``.

Run:  python benchmarks/bench_factors.py [--n 10000] [--items 50] [--iter 100] [--repeat 3]
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


def likert_data(n: int, p: int, n_factors: int = 5, seed: int = 20240601) -> pd.DataFrame:
    """Seeded synthetic 1-5 Likert responses with ``n_factors`` correlated factors."""
    rng = np.random.default_rng(seed)
    phi = np.full((n_factors, n_factors), 0.3) + 0.7 * np.eye(n_factors)
    f = rng.multivariate_normal(np.zeros(n_factors), phi, size=n)
    lam = np.zeros((p, n_factors))
    for j in range(p):
        lam[j, j % n_factors] = rng.uniform(0.45, 0.8)
    e = rng.standard_normal((n, p)) * np.sqrt(1 - np.sum(lam**2, axis=1))
    z = f @ lam.T + e
    cuts = np.array([-1.5, -0.5, 0.4, 1.3])
    x = np.digitize(z, cuts) + 1
    return pd.DataFrame(x.astype(float), columns=[f"q{j + 1}" for j in range(p)])


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(psych))
x <- read.csv("{csv}")
set.seed(1)
invisible(fa(x[1:200, ], 2))  # warm-up (loads GPArotation, byte-compiles)
tp <- system.time(suppressWarnings(
  fa.parallel(x, fa = "both", n.iter = {n_iter}, plot = FALSE)))[["elapsed"]]
tf <- system.time(suppressWarnings(
  fa(x, nfactors = 5, fm = "minres", rotate = "oblimin")))[["elapsed"]]
tk <- system.time(KMO(x))[["elapsed"]]
cat(sprintf("RESULT parallel %.6f\nRESULT fa %.6f\nRESULT kmo %.6f\n", tp, tf, tk))
"""


def time_r(df: pd.DataFrame, n_iter: int) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "x.csv")
        df.to_csv(csv, index=False)
        script = os.path.join(tmp, "bench.R")
        with open(script, "w") as fh:
            fh.write(R_SCRIPT.format(csv=csv, n_iter=n_iter))
        proc = subprocess.run(["Rscript", script], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2000:])
            return None
        out: dict[str, float] = {}
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                _, key, val = line.split()
                out[key] = float(val)
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--iter", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true", help="skip the R timings")
    args = ap.parse_args()

    from measurelib.psychometrics import factor_structure
    from measurelib.psychometrics.efa._factors import fa, parallel_analysis

    df = likert_data(args.n, args.items)
    x = df.to_numpy(float)
    print(
        f"data: {args.n} x {args.items} seeded Likert (1-5), 5 factors; "
        f"parallel analysis n_iter={args.iter}"
    )
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    rows: list[tuple[str, float | None, float | None, float | None]] = []
    t_pa = best_of(
        lambda: parallel_analysis(x, n_iter=args.iter, seed=1, progress=False), args.repeat
    )
    t_fa = best_of(lambda: fa(df, 5, "minres", "oblimin"), args.repeat)
    t_fs = best_of(
        lambda: factor_structure(df, n_factors=5, seed=1, n_iter=args.iter, progress=False), 1
    )

    t_fa_peer: float | None = None
    try:
        from factor_analyzer import FactorAnalyzer

        def peer() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                FactorAnalyzer(n_factors=5, method="minres", rotation="oblimin").fit(df)

        t_fa_peer = best_of(peer, args.repeat)
    except ImportError:  # pragma: no cover
        pass

    r_times = None if args.no_r else time_r(df, args.iter)

    rows.append(
        ("parallel analysis (fa='both')", t_pa, None, r_times.get("parallel") if r_times else None)
    )
    rows.append(
        ("EFA minres + oblimin, 5 factors", t_fa, t_fa_peer, r_times.get("fa") if r_times else None)
    )
    rows.append(("factor_structure (KMO+Bartlett+PA+EFA)", t_fs, None, None))

    def fmt(v: float | None) -> str:
        return "    n/a" if v is None else f"{v:7.3f}"

    def ratio(a: float | None, b: float | None) -> str:
        return "   n/a" if a is None or b is None else f"{b / a:6.1f}x"

    print()
    print(
        f"{'task':42s} {'measurelib':>10s} {'f_analyzer':>10s} {'R psych':>9s} "
        f"{'vs f_a':>8s} {'vs R':>8s}"
    )
    for name, ours, peer_t, r_t in rows:
        print(
            f"{name:42s} {fmt(ours):>10s} {fmt(peer_t):>10s} {fmt(r_t):>9s} "
            f"{ratio(ours, peer_t):>8s} {ratio(ours, r_t):>8s}"
        )
    print("\nload average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("seconds; ratios are (other time) / (measurelib time): > 1 means measurelib is faster.")
    print("factor_analyzer has no parallel analysis; its EFA median-imputes missing values.")


if __name__ == "__main__":
    main()
