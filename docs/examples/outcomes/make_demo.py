"""Make the demonstration data, report and feedback sheet shown in docs/outcomes.md.

    python docs/examples/outcomes/make_demo.py OUT_DIR

Writes simulated paper forms (no real people), imports them into OUT_DIR/demo.db and writes
impact.html, impact.pdf, impact.json, me.html, me.pdf and due.csv. Seeded: the same every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import measurelib as ml
from measurelib.outcomes import feedback_sheet, impact_report, write_feedback
from measurelib.outcomes import due

HERE = Path(__file__).resolve().parent


def simulate(n: int = 320, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phq = ml.load("phq-9")
    rows = []
    sites = np.array(["Northgate", "Riverside", "Old Town", "Harbour"])
    for i in range(n):
        start = pd.Timestamp("2025-01-06") + pd.Timedelta(days=int(rng.integers(0, 300)))
        site = sites[rng.choice(4, p=[0.4, 0.3, 0.27, 0.03])]
        sev = rng.integers(1, 4)
        base = np.clip(rng.integers(sev - 1, sev + 2, 9), 0, 3)
        meta = {"respondent_id": f"CT-{1000 + i}", "episode": "1", "site": site,
                "service": "counselling", "worker": f"W{1 + i % 6}",
                "age_band": rng.choice(["18-24", "25-34", "35-49", "50-64", "65+"]),
                "sex": rng.choice(["female", "male"], p=[0.62, 0.38])}
        rows.append({**meta, "timepoint": "baseline", "date": start.date().isoformat(),
                     "mode": rng.choice(["paper", "paper", "tablet", "telephone"]),
                     **{it.code: int(v) for it, v in zip(phq.items[:9], base)}})
        if rng.random() < 0.55 + 0.1 * (sev < 3):
            gain = rng.integers(-1, 3, 9)
            fu = np.clip(base - gain, 0, 3)
            if rng.random() < 0.6:
                mid = np.clip(base - gain // 2, 0, 3)
                review = start + pd.Timedelta(days=int(rng.integers(38, 47)))
                rows.append({**meta, "timepoint": "review", "date": review.date().isoformat(),
                             "mode": "paper",
                             **{it.code: int(v) for it, v in zip(phq.items[:9], mid)}})
            when = start + pd.Timedelta(days=int(rng.integers(60, 110)))
            rows.append({**meta, "timepoint": "exit", "date": when.date().isoformat(),
                         "mode": "paper", **{it.code: int(v) for it, v in zip(phq.items[:9], fu)}})
    return pd.DataFrame(rows)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    db.unlink(missing_ok=True)
    forms = simulate()
    forms.to_csv(out / "forms.csv", index=False)
    store = ml.Store(db)
    store.configure_service("counselling", equity_fields=["age_band", "sex"])
    store.import_file(ml.load("phq-9"), out / "forms.csv")
    rep = impact_report(store, "phq-9", by=["site"])
    for suffix in ("html", "pdf", "json"):
        rep.write(out / f"impact.{suffix}")
    # one person's feedback on the bespoke measure, which gives advice for each band
    wb = ml.load(HERE / "wellbeing-check.yaml")
    me = pd.DataFrame({"respondent_id": "CT-1001", "timepoint": ["baseline", "review", "exit"],
                       "date": ["2025-02-03", "2025-03-17", "2025-04-28"],
                       "W1": [1, 2, 3], "W2": [1, 2, 3], "W3": [0, 2, 3], "W4": [2, 2, 3],
                       "W5": [1, 1, 2]})
    store.import_frame(wb, me)
    html = feedback_sheet(store, wb, "CT-1001")
    write_feedback(out / "me.html", html)
    write_feedback(out / "me.pdf", html)
    due(store, HERE / "schedule.yaml", on="2025-11-03").to_csv(out / "due.csv", index=False)
    store.close()
    print(rep.summary())


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/outcomes-demo"))
