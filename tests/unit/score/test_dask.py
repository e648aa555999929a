"""score_partitions on a local Dask cluster agrees with in-memory scoring."""

from __future__ import annotations

import pandas as pd
import pytest

import measurelib as ml

dd = pytest.importorskip("dask.dataframe")



def test_threaded_scheduler_matches_in_memory(phq9_responses):
    m = ml.load("phq-9")
    df = phq9_responses()
    expected = m.score(df).scores
    ddf = dd.from_pandas(df, npartitions=5)
    got = ml.score_partitions(ddf, m).compute(scheduler="threads")
    pd.testing.assert_frame_equal(got, expected, check_categorical=False, check_dtype=False)


def test_local_cluster_matches_in_memory(phq9_responses):
    distributed = pytest.importorskip("distributed")
    m = ml.load("phq-9")
    df = phq9_responses(2000)
    expected = m.score(df).scores
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address="127.0.0.1:0") as cluster, \
            distributed.Client(cluster) as client:
        ddf = dd.from_pandas(df, npartitions=4)
        got = client.compute(ml.score_partitions(ddf, m)).result()
    pd.testing.assert_frame_equal(got, expected, check_categorical=False, check_dtype=False)
    assert got["alerts"].tolist() == expected["alerts"].astype(str).tolist()


def test_rejected_rows_are_dropped_and_numbered_across_partitions(phq9_responses):
    m = ml.load("phq-9")
    df = phq9_responses(100)
    df["Q1"] = df["Q1"].astype(object)
    df.loc[57, "Q1"] = "7"
    ddf = dd.from_pandas(df, npartitions=4)
    got = ml.score_partitions(ddf, m, on_invalid="reject").compute(scheduler="threads")
    assert len(got) == 99 and 57 not in got.index
    with pytest.raises(ml.DataError, match="row 59"):  # header = row 1, index 57 = row 59
        ml.score_partitions(ddf, m).compute(scheduler="threads")


def test_bad_keyword(phq9_responses):
    ddf = dd.from_pandas(phq9_responses(10), npartitions=2)
    with pytest.raises(TypeError, match="first_row"):
        ml.score_partitions(ddf, "phq-9", first_row=3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ml.score_partitions(ddf, "phq-9", chunks=3)
