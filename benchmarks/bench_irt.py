"""Graded-model calibration and EAP scoring: measurelib vs PyPI ``mirt`` and ``girth``.

All timings come from one run of this script. Section 1 calibrates Samejima's graded
model on seeded simulated data (20 items x 5,000 people, 5 categories) ``--repeat``
times, interleaving measurelib, PyPI ``mirt`` (Rust backend, ``fit_mirt(model="GRM")``)
and ``girth`` (``grm_mml``), so that all see the same machine load; the table gives the
median time of each and the median of the paired ratios. Every program uses R mirt's
grid (61 points on [-6, 6]); PyPI mirt uses R mirt's tolerance 1e-4, measurelib its
default (1e-5, tighter); no standard errors. The log-likelihood of each program's
estimates is evaluated on the same grid, so the accuracy of what was bought with the time
is visible. Section 1b times the first and second calibration in new processes: with
numba's cache empty (the compile, once per installation), with it filled (numba's import
and the cached machine code are paid by the first call), and without numba. Section 2
calibrates 50 items x 100,000 people and reports the peak resident memory and what the
calibration itself allocated. Section 3 scores 1,000,000 people by EAP for summed scores
(a table lookup) and by pattern EAP, against a NumPy row sum. Section 4 times adaptive
item selection in a 200-item bank and 10,000 simulated adaptive tests. The load average
is printed before and after.

Run:  python benchmarks/bench_irt.py [--repeat 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def loglik_on_mirt_grid(fit: Any, a: np.ndarray, d: np.ndarray) -> float:
    from measurelib.psychometrics._irt._estimate import Engine, collapse, quadrature

    theta, w = quadrature(61)
    engine = Engine(fit.design_, collapse(fit.codes_[fit.inverse_], fit.design_.ncat), theta, w)
    return float(engine.estep(np.column_stack([a, d]).ravel()).loglik)


def section_calibration(repeat: int, n: int, n_items: int) -> None:
    import measurelib as ml

    df = ml.psychometrics.simulate_irt(n=n, n_items=n_items, n_categories=5, seed=20261204,
                                       start=0)
    x = df.to_numpy()
    peers: dict[str, Callable[[], Any]] = {
        "measurelib": lambda: ml.psychometrics.irt(df, se=None),
    }
    try:
        import mirt

        peers["mirt (PyPI)"] = lambda: mirt.fit_mirt(
            x, model="GRM", n_quadpts=61, tol=1e-4, compute_standard_errors=False)
    except ImportError:
        print("PyPI mirt not installed: pip install mirt")
    try:
        import girth

        peers["girth"] = lambda: girth.grm_mml(
            x.T, {"quadrature_n": 61, "quadrature_bounds": (-6, 6)})
    except ImportError:
        print("girth not installed: pip install girth")
    for fn in peers.values():  # warm-up (imports, JIT, caches)
        fn()
    times: dict[str, list[float]] = {k: [] for k in peers}
    last: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in peers.items():
            t, out = timed(fn)
            times[name].append(t)
            last[name] = out
    ours = last["measurelib"]
    print(f"\n1. graded calibration, {n_items} items x {n:,} people, 5 categories "
          f"(median of {repeat}, interleaved)")
    print(f"{'program':<14}{'median s':>10}{'ratio':>10}   log-lik on mirt's grid")
    for name in peers:
        med = statistics.median(times[name])
        ratio = statistics.median(
            [t / m for t, m in zip(times[name], times["measurelib"])])
        if name == "measurelib":
            a, d = ours.coef["a"].to_numpy(), ours.coef.drop(columns="a").to_numpy()
        elif name.startswith("mirt"):
            a = last[name].model.parameters["discrimination"]
            d = -a[:, None] * last[name].model.parameters["thresholds"]
        else:
            a = np.asarray(last[name]["Discrimination"])
            d = -a[:, None] * np.asarray(last[name]["Difficulty"])
        ll = loglik_on_mirt_grid(ours, a, d)
        print(f"{name:<14}{med:>10.3f}{ratio:>9.1f}x   {ll:.4f}")
    print(f"measurelib: {ours.iterations} accelerated EM cycles, converged={ours.converged}")


_FIRST_CALL = """
import time, warnings
warnings.simplefilter("ignore")
import measurelib as ml
df = ml.psychometrics.simulate_irt(n={n}, n_items={j}, n_categories=5, seed=20261204, start=0)
t0 = time.perf_counter()
ml.psychometrics.irt(df, se=None)
t1 = time.perf_counter()
ml.psychometrics.irt(df, se=None)
print(t1 - t0, time.perf_counter() - t1)
"""


def section_first_call(n: int, n_items: int, repeat: int) -> None:
    """The first calibration in a new process: numba's compile and import are paid there."""
    import subprocess
    import sys
    import tempfile

    try:
        import numba  # noqa: F401
    except ImportError:
        print("\n1b. numba not installed: the NumPy path only (pip install measurelib[fast])")
        return
    code = _FIRST_CALL.format(n=n, j=n_items)

    def run(env: dict[str, str]) -> tuple[float, float]:
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                             check=True, capture_output=True, text=True).stdout.split()
        return float(out[0]), float(out[1])

    with tempfile.TemporaryDirectory() as cache:
        compiled = run({"NUMBA_CACHE_DIR": cache})  # an empty cache: compiles
        rows: dict[str, list[tuple[float, float]]] = {"numba, cached": [], "numpy": []}
        for _ in range(repeat):
            rows["numba, cached"].append(run({"NUMBA_CACHE_DIR": cache}))
            rows["numpy"].append(run({"MEASURELIB_NUMBA": "0"}))
    print(f"\n1b. first and second calibration in a new process ({n_items} x {n:,}; "
          f"median of {repeat}, interleaved)")
    print(f"numba, empty cache (compiles once per installation): first {compiled[0]:.2f} s")
    for name, vals in rows.items():
        print(f"{name:<14} first {statistics.median(v[0] for v in vals):.3f} s, second "
              f"{statistics.median(v[1] for v in vals):.3f} s")


def section_large(n: int, n_items: int) -> None:
    import tracemalloc

    import measurelib as ml

    df = ml.psychometrics.simulate_irt(n=n, n_items=n_items, n_categories=5, seed=7)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, fit = timed(lambda: ml.psychometrics.irt(df, se=None))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the calibration's own memory: NumPy reports its buffers to tracemalloc, so the
    # traced peak of a second run is what the calibration allocated on top of the data
    tracemalloc.start()
    ml.psychometrics.irt(df, se=None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\n2. graded calibration, {n_items} items x {n:,} people: {t:.1f} s, "
          f"{fit.iterations} accelerated EM cycles, converged={fit.converged}; "
          f"peak RSS {after / 1024:.0f} MiB (was {before / 1024:.0f} MiB before); "
          f"allocated by the calibration at most {peak / 2**20:.0f} MiB (the answers: "
          f"{df.memory_usage(deep=True).sum() / 2**20:.0f} MiB)")


def section_scoring(n: int) -> None:
    import measurelib as ml

    calib = ml.psychometrics.simulate_irt(n=3000, n_items=20, n_categories=5, seed=3)
    fit = ml.psychometrics.irt(calib, se=None)
    big = ml.psychometrics.simulate_irt(n=n, n_items=20, n_categories=5, seed=4)
    fit.scores(big.head(1000), method="EAPsum")
    rows = []
    for _ in range(5):
        t_sum, _ = timed(lambda: big.to_numpy().sum(axis=1))
        t_eaps, _ = timed(lambda: fit.scores(big, method="EAPsum"))
        rows.append((t_sum, t_eaps))
    t_sum = statistics.median(r[0] for r in rows)
    t_eaps = statistics.median(r[1] for r in rows)
    t_eap, _ = timed(lambda: fit.scores(big, method="EAP"))
    print(f"\n3. scoring {n:,} people x 20 items: NumPy row sum {t_sum:.3f} s; "
          f"EAP for summed scores {t_eaps:.3f} s ({t_eaps / t_sum:.1f}x the row sum); "
          f"pattern EAP {t_eap:.2f} s")


def section_cat(n: int) -> None:
    import measurelib as ml
    from measurelib.psychometrics._irt._cat import Session, simulate

    calib = ml.psychometrics.simulate_irt(n=3000, n_items=200, n_categories=5, seed=8)
    bank = ml.psychometrics.irt(calib, se=None)
    s = Session(bank, stop={"max_items": 50})
    s.answer(s.next_item(), 3)
    times = {}
    for select in ("MFI", "MEPV", "KL"):
        s.select = select
        t0 = time.perf_counter()
        for _ in range(200):
            s._pending = None
            s.next_item()
        times[select] = (time.perf_counter() - t0) / 200 * 1e3
    t, res = timed(lambda: simulate(bank, n, seed=1, stop="promis"))
    print("\n4. adaptive testing, 200-item bank: item selection "
          + ", ".join(f"{k} {v:.2f} ms" for k, v in times.items())
          + f"; {n:,} simulated CATs (PROMIS stopping rule) in {t:.1f} s, "
          f"mean length {res.mean_length:.1f} items, RMSE {res.rmse:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"load average before: {os.getloadavg()}")
    if args.quick:
        section_calibration(2, 1000, 10)
        section_first_call(1000, 10, 1)
        section_large(5000, 20)
        section_scoring(20000)
        section_cat(200)
    else:
        section_calibration(args.repeat, 5000, 20)
        section_first_call(5000, 20, args.repeat)
        section_large(100_000, 50)
        section_scoring(1_000_000)
        section_cat(10_000)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
