"""Import from a Dask DataFrame on a LocalCluster: all or nothing, idempotent, rows accounted."""

from __future__ import annotations

import pandas as pd
import pytest

import measurelib as ml

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

PHQ9 = ml.load("phq-9")


def forms(n: int) -> pd.DataFrame:
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(n)], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for k, it in enumerate(PHQ9.items[:9]):
        df[it.code] = [str((i + k) % 4) for i in range(n)]
    return df


def test_dask_import_in_partitions(store: ml.Store, client: object) -> None:
    df = forms(250)
    ddf = dd.from_pandas(df, npartitions=7)
    res = store.import_dask(PHQ9, ddf, window=3)
    assert (res.n_rows, res.n_inserted, res.n_rejected) == (250, 250, 0)
    direct = ml.Store(":memory:")
    direct.import_frame(PHQ9, df)
    assert store.scores("phq-9")["value"].tolist() == direct.scores("phq-9")["value"].tolist()
    again = store.import_dask(PHQ9, dd.from_pandas(df, npartitions=3))
    assert (again.n_inserted, again.n_already_stored) == (0, 250)
    assert store.counts()["administrations"] == 250


def test_dask_import_bad_row_in_last_partition_stores_nothing(store: ml.Store,
                                                              client: object) -> None:
    df = forms(60)
    df.loc[58, "Q1"] = "7"
    with pytest.raises(ml.DataError) as err:
        store.import_dask(PHQ9, dd.from_pandas(df, npartitions=6))
    assert [d.location.row for d in err.value.errors] == [60]
    assert store.counts()["administrations"] == 0 and store.counts()["imports"] == 0
    res = store.import_dask(PHQ9, dd.from_pandas(df, npartitions=6), reject_bad_rows=True)
    assert (res.n_inserted, res.n_rejected) == (59, 1)
    with pytest.raises(TypeError, match="dask DataFrame"):
        store.import_dask(PHQ9, df)
