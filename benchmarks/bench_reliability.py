"""Reliability with item statistics, and the bootstrap CI of alpha: measurelib vs pingouin,
the covariance floor, and R psych — all timed in one run of this script.

0. ``reliability(df)`` with its defaults (omega on: a three-group-factor model and its
   oblimin rotation) against one ``X.T @ X``, in interleaved pairs, wall and CPU time; with
   the rotation compiled by numba (the ``fast`` extra) and with NumPy's loop
   (``MEASURELIB_NUMBA=0``); then the first call in a fresh process (imports, and numba's
   loading of its compiled cache) and the second. Goal: within 3×.
1. ``reliability()`` with full item statistics on 100,000 × 50 seeded Likert data, against
   ``pingouin.cronbach_alpha`` (alpha and Feldt CI only) and against one ``X.T @ X`` (the
   floor: everything after one covariance pass is O(k²)). Goal: within 2× of the floor.
2. A 1,000-resample bootstrap CI of alpha on 10,000 × 14: measurelib (all resamples as
   a few matrix products of multinomial counts) against ``psych::alpha(x, n.iter = 1000)``.
   Goal: at least 20× faster than R.

R (when ``Rscript`` and psych are installed) is timed inside R with ``system.time`` so that
R's start-up and CSV reading are reported separately; Python timings are the best of
``--repeat`` runs with ``time.perf_counter``.

Run:  python benchmarks/bench_reliability.py [--n 100000] [--items 50] [--repeat 5] [--no-r]
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


def likert_data(n: int, p: int, seed: int = 20240601) -> pd.DataFrame:
    """Seeded synthetic 1–5 Likert responses from a one-factor model (loadings .45–.8)."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.45, 0.8, p)
    f = rng.standard_normal((n, 1))
    z = f * lam + rng.standard_normal((n, p)) * np.sqrt(1 - lam**2)
    x = np.digitize(z, np.array([-1.5, -0.5, 0.4, 1.3])) + 1
    return pd.DataFrame(x.astype(float), columns=[f"q{j + 1}" for j in range(p)])


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def paired(fn: Callable[[], Any], floor: Callable[[], Any],
           repeat: int) -> tuple[float, float, float, float]:
    """Interleaved pairs: (median wall ratio, median CPU ratio, best wall, best floor wall)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        floor()
        fw, fc = time.perf_counter() - w0, time.process_time() - c0
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        ow, oc = time.perf_counter() - w0, time.process_time() - c0
        walls.append((ow, fw))
        cpus.append((oc, fc))
    return (float(np.median([a / b for a, b in walls])),
            float(np.median([a / b for a, b in cpus if b > 0])),
            min(a for a, _ in walls), min(b for _, b in walls))


FIRST_CALL = r"""
import sys, time, warnings
sys.path.insert(0, {bench!r})
from bench_reliability import likert_data
big = likert_data({n}, {p})
X = big.to_numpy(dtype=float)
warnings.simplefilter("ignore")
w0, c0 = time.perf_counter(), time.process_time()
from measurelib.psychometrics import reliability
reliability(big)
w1, c1 = time.perf_counter(), time.process_time()
reliability(big)
w2, c2 = time.perf_counter(), time.process_time()
print(w1 - w0, c1 - c0, w2 - w1, c2 - c1)
"""


def first_calls(args: argparse.Namespace, numba: bool) -> tuple[float, float, float, float]:
    """A fresh process: import + first reliability(df), then a second call (wall, CPU)."""
    env = dict(os.environ)
    if not numba:
        env["MEASURELIB_NUMBA"] = "0"
    code = FIRST_CALL.format(bench=os.path.dirname(os.path.abspath(__file__)),
                             n=args.n, p=args.items)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    a, b, c, d = (float(v) for v in out[-4:])
    return a, b, c, d


def defaults_section(big: pd.DataFrame, X: Any, args: argparse.Namespace) -> float:
    """reliability(df) with its defaults (omega on) against one X'X: interleaved pairs,
    wall and CPU; with the compiled rotation (numba) and without it; first calls.
    """
    from measurelib.psychometrics import reliability
    from measurelib.psychometrics._jit import numba_enabled

    has_numba = numba_enabled()
    old = os.environ.get("MEASURELIB_NUMBA")
    results = {}
    for label, use in (("compiled rotation (numba)", True), ("NumPy rotation", False)):
        if use and not has_numba:
            print("numba not installed: the compiled rotation is not timed "
                  "(pip install measurelib[fast])")
            continue
        os.environ["MEASURELIB_NUMBA"] = "1" if use else "0"
        reliability(big)  # warm-up (numba: compile or load from its cache)
        results[label] = paired(lambda: reliability(big), lambda: X.T @ X, args.repeat)
        wr, cr, best, fbest = results[label]
        print(f"reliability(df) with its defaults (omega on), {args.n:,} x {args.items}, "
              f"{label}: {best:.4f} s; X.T @ X {fbest:.4f} s; median paired ratio wall "
              f"{wr:.2f}x, CPU {cr:.2f}x (goal <= 3); load {_load()}", flush=True)
    if old is None:
        os.environ.pop("MEASURELIB_NUMBA", None)
    else:
        os.environ["MEASURELIB_NUMBA"] = old
    for use in (True, False) if has_numba else (False,):
        fw, fc, sw, sc = first_calls(args, use)
        print(f"fresh process, {'numba' if use else 'no numba'}: import + first call "
              f"{fw:.3f} s wall ({fc:.3f} s CPU), second call {sw:.4f} s ({sc:.4f} s CPU); "
              f"load {_load()}", flush=True)
    key = "compiled rotation (numba)" if has_numba else "NumPy rotation"
    return results[key][0]


R_SCRIPT = r"""
suppressPackageStartupMessages(library(psych))
big <- read.csv("{big}")
boot <- read.csv("{boot}")
invisible(alpha(boot[1:200, ], warnings = FALSE))  # warm-up (byte-compiles)
ta <- system.time(alpha(big, warnings = FALSE))[["elapsed"]]
tb0 <- system.time(alpha(boot, warnings = FALSE))[["elapsed"]]
set.seed(1)
tb <- system.time(alpha(boot, n.iter = {n_boot}, warnings = FALSE))[["elapsed"]]
cat(sprintf("RESULT alpha_big %.6f\nRESULT alpha_boot0 %.6f\nRESULT alpha_boot %.6f\n",
            ta, tb0, tb))
cat(sprintf("RESULT cores %s\n", getOption("mc.cores", 2L)))
"""


def run_r(big: pd.DataFrame, boot: pd.DataFrame, n_boot: int) -> dict[str, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        pb, pt = os.path.join(tmp, "big.csv"), os.path.join(tmp, "boot.csv")
        big.to_csv(pb, index=False)
        boot.to_csv(pt, index=False)
        script = os.path.join(tmp, "bench.R")
        with open(script, "w") as fh:
            fh.write(R_SCRIPT.format(big=pb, boot=pt, n_boot=n_boot))
        t0 = time.perf_counter()
        proc = subprocess.run(["Rscript", script], capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print("R failed:", proc.stderr[-500:], file=sys.stderr)
        return None
    out: dict[str, float] = {"wall": wall}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            _, key, val = line.split()
            out[key] = float(val)
    out["outside"] = wall - out["alpha_big"] - out["alpha_boot0"] - out["alpha_boot"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--boot-n", type=int, default=10_000)
    ap.add_argument("--boot-items", type=int, default=14)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-r", action="store_true", help="skip the R psych timings")
    args = ap.parse_args()

    import pingouin

    from measurelib.psychometrics import reliability

    big = likert_data(args.n, args.items)
    X = big.to_numpy(dtype=float)
    boot = likert_data(args.boot_n, args.boot_items, seed=7)

    warnings.simplefilter("ignore")
    # warm-up (imports, BLAS threads)
    reliability(big.iloc[:1000], compute_omega=False)
    reliability(boot, ci="bootstrap", n_boot=20, seed=1, compute_omega=False)

    defaults_section(big, X, args)
    floor = best_of(lambda: X.T @ X, args.repeat)
    ours = best_of(lambda: reliability(big, compute_omega=False), args.repeat)
    pg = best_of(lambda: pingouin.cronbach_alpha(big), args.repeat)
    boot_ours = best_of(lambda: reliability(boot, ci="bootstrap", n_boot=args.n_boot, seed=1,
                                            compute_omega=False), max(1, args.repeat // 2))
    r = None if args.no_r else run_r(big, boot, args.n_boot)

    rows = [
        ("X.T @ X (floor)", f"{args.n:,} x {args.items}", floor, "1.00x floor"),
        ("measurelib reliability (item stats)", f"{args.n:,} x {args.items}", ours,
         f"{ours / floor:.2f}x floor (goal <= 2)"),
        ("pingouin.cronbach_alpha (alpha + CI)", f"{args.n:,} x {args.items}", pg,
         f"{pg / ours:.2f}x measurelib"),
    ]
    if r is not None:
        rows.append(("R psych::alpha", f"{args.n:,} x {args.items}", r["alpha_big"],
                     f"{r['alpha_big'] / ours:.1f}x measurelib"))
    rows.append((f"measurelib bootstrap CI ({args.n_boot})",
                 f"{args.boot_n:,} x {args.boot_items}", boot_ours, ""))
    if r is not None:
        rows.append((f"R psych::alpha(n.iter = {args.n_boot})",
                     f"{args.boot_n:,} x {args.boot_items}", r["alpha_boot"],
                     f"{r['alpha_boot'] / boot_ours:.1f}x measurelib (goal >= 20)"))
    w = max(len(a) for a, *_ in rows)
    print(f"{'what':<{w}}  {'data':>14}  {'seconds':>9}  ratio")
    for name, shape, sec, ratio in rows:
        print(f"{name:<{w}}  {shape:>14}  {sec:9.4f}  {ratio}")
    if r is not None:
        print(f"\nR process wall time {r['wall']:.1f} s, of which {r['outside']:.1f} s start-up, "
              f"CSV reading and warm-up (not counted above); mclapply cores: "
              f"{int(r.get('cores', 2))}; R alpha without bootstrap on the bootstrap data: "
              f"{r['alpha_boot0']:.3f} s")
    else:
        print("\nR psych not timed (Rscript not found or --no-r).")
    print(f"threads: {os.cpu_count()} CPUs; numpy {np.__version__}, pandas {pd.__version__}, "
          f"pingouin {pingouin.__version__}")


if __name__ == "__main__":
    main()
