"""Concurrent writers on SQLite and PostgreSQL: rows sent = rows stored, no internal error.

The web service stores each posted form with ``Store.add_submission`` from many threads;
imports run from several processes at once. Keys come from the database, and writers of the
same natural key resolve to one row, whichever commits first.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import measurelib as ml

PHQ9 = ml.load("phq-9")
ANSWERS = {it.id: "1" for it in PHQ9.items[:9]}


def forms(people: range, timepoint: str = "baseline") -> pd.DataFrame:
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in people], "timepoint": timepoint,
                       "date": "2025-01-06"})
    for it in PHQ9.items[:9]:
        df[it.code] = str(1 + len(df) % 2)
    return df


def run_threads(target, n: int) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def work(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_submissions_from_16_threads_are_all_stored(store: ml.Store) -> None:
    def submit(i: int) -> None:
        for j in range(5):
            res = store.add_submission(PHQ9, ANSWERS, respondent_id=f"t{i}-{j}",
                                       timepoint="baseline", date="2025-05-01")
            assert res.n_inserted == 1

    assert run_threads(submit, 16) == []
    assert store.counts()["administrations"] == 80
    assert store.counts()["scores"] == 80
    assert store.administrations()["pk"].is_unique


def test_same_submission_from_many_threads_is_stored_once(store: ml.Store) -> None:
    results: list[ml.ImportResult] = []

    def submit(i: int) -> None:
        results.append(store.add_submission(PHQ9, ANSWERS, respondent_id="same",
                                            timepoint="baseline", date="2025-05-01"))

    assert run_threads(submit, 12) == []
    assert sum(r.n_inserted for r in results) == 1
    assert sum(r.n_already_stored for r in results) == 11
    assert store.counts()["administrations"] == 1 and store.counts()["scores"] == 1


def test_overlapping_imports_from_threads(store: ml.Store) -> None:
    results: list[ml.ImportResult] = []

    def load(i: int) -> None:  # each covers 50 people; neighbours overlap by 25
        results.append(store.import_frame(PHQ9, forms(range(25 * i, 25 * i + 50))))

    assert run_threads(load, 6) == []
    assert store.counts()["administrations"] == 25 * 7
    assert sum(r.n_inserted for r in results) == 25 * 7
    assert all(r.n_rows == r.n_inserted + r.n_already_stored for r in results)


SUBMIT = """
import sys
import measurelib as ml
m = ml.load("phq-9")
store = ml.Store(sys.argv[1])
answers = {it.id: "2" for it in m.items[:9]}
for j in range(int(sys.argv[3])):
    res = store.add_submission(m, answers, respondent_id=f"{sys.argv[2]}-{j % 4}",
                               timepoint="baseline", date="2025-05-01")
    print(res.n_inserted, res.n_already_stored)
"""


def test_submissions_from_processes(store_url: str, tmp_path: Path) -> None:
    """Four processes open a new store at once (one creates its tables) and submit."""
    procs = [subprocess.Popen([sys.executable, "-c", SUBMIT, store_url, f"w{i % 2}", "8"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [o[1][-2000:] for o in outs]
    pairs = [tuple(map(int, line.split())) for o in outs for line in o[0].splitlines()]
    assert len(pairs) == 32
    assert sum(a for a, _ in pairs) == 8  # w0-0..3 and w1-0..3, whoever came first
    with ml.Store(store_url) as s:
        assert s.counts()["administrations"] == 8 and s.counts()["scores"] == 8


@pytest.mark.parametrize("same_file", [True, False], ids=["same file", "different files"])
def test_two_import_commands_at_once(store_url: str, tmp_path: Path, same_file: bool) -> None:
    forms(range(0, 3000)).to_csv(tmp_path / "a.csv", index=False)
    forms(range(1500, 4500)).to_csv(tmp_path / "b.csv", index=False)
    files = ["a.csv", "a.csv"] if same_file else ["a.csv", "b.csv"]
    procs = [subprocess.Popen([sys.executable, "-m", "measurelib", "import", "phq-9", f,
                               "--db", store_url, "--format", "json"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    import json

    done = [json.loads(o[0]) for o in outs]
    assert all(d["n_rows"] == d["n_inserted"] + d["n_already_stored"] for d in done)
    expected = 3000 if same_file else 4500
    assert sum(d["n_inserted"] for d in done) == expected
    with ml.Store(store_url) as s:
        counts = s.counts()
        assert counts["administrations"] == expected and counts["scores"] == expected
        assert counts["imports"] == 2
