"""An import killed with SIGKILL in the middle leaves the store consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import measurelib as ml

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np, pandas as pd
    import measurelib as ml
    m = ml.load("phq-9")
    n = int(sys.argv[2])
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(n)], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for it in m.items[:9]:
        df[it.id] = rng.integers(0, 4, n)
    store = ml.Store(sys.argv[1])
    from sqlalchemy import event

    @event.listens_for(store.engine, "before_cursor_execute")
    def _signal(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO imports"):
            print("in transaction", flush=True)  # the rows are written next

    print("importing", flush=True)
    store.import_frame(m, df)
    print("done", flush=True)
""")


def test_sigkill_during_import_leaves_store_consistent(store_url: str, tmp_path) -> None:
    ml.Store(store_url).close()  # create the tables first
    script = tmp_path / "imp.py"
    script.write_text(SCRIPT)
    n = 200_000
    proc = subprocess.Popen([sys.executable, str(script), store_url, str(n)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "importing"
    # kill once the import's transaction has started writing
    assert proc.stdout.readline().strip() == "in transaction"
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    killed = proc.returncode == -signal.SIGKILL
    store = ml.Store(store_url)
    counts = store.counts()
    assert killed, "the import finished before it could be killed"
    assert counts["administrations"] == 0  # the killed transaction left nothing behind
    assert counts["scores"] == counts["administrations"]
    assert counts["imports"] == counts["measures"] == counts["episodes"] == 0
    assert counts["respondents"] == counts["administrations"]
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # the store still works: the same file imports whole afterwards
    import numpy as np
    import pandas as pd

    m = ml.load("phq-9")
    df = pd.DataFrame({"respondent_id": ["x1"], "timepoint": ["baseline"],
                       "date": ["2025-01-06"]})
    for it in m.items[:9]:
        df[it.id] = np.int64(1)
    assert store.import_frame(m, df).n_inserted == 1
    store.close()
