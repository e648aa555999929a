"""Scoring a calibrated bank (`method: irt`) through the scoring engine, against `method: sum`.

One run, interleaved: the same 6-item short form of the shipped wellbeing bank scores N
seeded simulated rows by `method: irt` (EAP for summed scores, and pattern EAP) and by a
plain `method: sum` rule, ``--repeat`` times in alternation; the table gives the median
time of each and the median of the paired ratios to the sum. The load average is printed
before and after.

Run:  python benchmarks/bench_irt_scores.py [--n 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

import measurelib as ml

BANK = os.path.join(os.path.dirname(__file__), "..", "instruments", "banks",
                    "wellbeing-bank.yaml")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bank = ml.load(BANK)
    sf = ml.psychometrics.short_form_measure(bank, 6, score_target=(35, 60))
    items = sf.items
    built = bank.model_copy(update={"items": [bank.item(i) for i in items]})
    doc = built.to_dict()
    doc["scores"] = [{"id": "eap_sum", "items": "all", "method": "irt",
                      "irt": {"estimator": "EAP_sum"}}]
    m_sum = ml.loads(ml.Measure.model_validate({**doc, "scores": [
        {"id": "total", "items": "all", "method": "sum"}]}).to_yaml())
    m_eapsum = ml.loads(ml.Measure.model_validate(doc).to_yaml())
    doc["scores"] = [{"id": "eap", "items": "all", "method": "irt"}]
    m_eap = ml.loads(ml.Measure.model_validate(doc).to_yaml())
    rng = np.random.default_rng(20261204)
    data = pd.DataFrame(rng.integers(1, 6, (args.n, len(items))), columns=items)
    print(f"load average before: {os.getloadavg()}")
    times: dict[str, list[float]] = {"sum": [], "irt EAP_sum": [], "irt EAP": []}
    for _ in range(args.repeat):
        for name, m in (("sum", m_sum), ("irt EAP_sum", m_eapsum), ("irt EAP", m_eap)):
            t0 = time.perf_counter()
            m.score(data)
            times[name].append(time.perf_counter() - t0)
    print(f"{args.n:,} rows x {len(items)} items, {args.repeat} interleaved runs")
    for name, ts in times.items():
        ratios = [t / s for t, s in zip(ts, times["sum"])]
        print(f"  {name:12s} median {statistics.median(ts):.3f} s   "
              f"ratio to sum {statistics.median(ratios):.2f}x")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
