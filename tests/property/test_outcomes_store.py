"""Store imports: whole or nothing; rows in = stored + rejected; re-import is idempotent."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import measurelib as ml

PHQ9 = ml.load("phq-9")
ITEMS = [it.id for it in PHQ9.items[:9]]

cell = st.one_of(st.sampled_from(["0", "1", "2", "3"]),
                 st.sampled_from(["", "4", "x", "2.5", "-1"]))
row = st.fixed_dictionaries({
    "respondent_id": st.sampled_from(["a", "b", "c", "d", ""]),
    "timepoint": st.sampled_from(["baseline", "review", "exit", ""]),
    "date": st.sampled_from(["2025-01-01", "2025-02-01", "01/03/2025", "2025-13-01", ""]),
    **{item: cell for item in ITEMS},
})
frames = st.lists(row, min_size=0, max_size=25).map(
    lambda rows: pd.DataFrame(rows, columns=["respondent_id", "timepoint", "date", *ITEMS]))

SETTINGS = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@SETTINGS
@given(first=frames, second=frames)
def test_import_is_whole_or_nothing(first: pd.DataFrame, second: pd.DataFrame) -> None:
    store = ml.Store(":memory:")
    try:
        store.import_frame(PHQ9, first, reject_bad_rows=True)
        before = store.counts()
        try:
            res = store.import_frame(PHQ9, second)
        except ml.DataError:
            assert store.counts() == before
        else:
            assert res.n_rejected == 0
            assert res.n_inserted + res.n_already_stored == len(second)
            assert store.counts()["administrations"] == before["administrations"] + \
                res.n_inserted
    finally:
        store.close()


@SETTINGS
@given(df=frames)
def test_rows_in_equal_stored_plus_rejected_and_reimport_is_idempotent(df: pd.DataFrame) -> None:
    store = ml.Store(":memory:")
    try:
        res = store.import_frame(PHQ9, df, reject_bad_rows=True)
        assert res.n_rows == len(df) == res.n_inserted + res.n_already_stored + res.n_rejected
        assert res.rejected["row"].nunique() == res.n_rejected
        counts = store.counts()
        assert counts["administrations"] == res.n_inserted
        assert counts["scores"] == res.n_inserted * len(PHQ9.scores)
        again = store.import_frame(PHQ9, df, reject_bad_rows=True)
        assert again.n_inserted == 0
        assert again.n_already_stored == res.n_inserted
        assert again.n_rejected == res.n_rejected
        after = store.counts()
        assert {k: v for k, v in after.items() if k != "imports"} == \
            {k: v for k, v in counts.items() if k != "imports"}
    finally:
        store.close()
