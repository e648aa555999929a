"""Migrations: a store made by the first layout upgrades with its data intact."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert

import measurelib as ml
from measurelib.outcomes.store._tables import metadata

PHQ9 = ml.load("phq-9")


def test_migrated_schema_matches_the_tables(store: ml.Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_from_first_migration_keeps_data(store_url: str) -> None:
    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0001")
    assert old.revision == "0001"
    now = dt.datetime(2025, 1, 1, 12, 0)
    from sqlalchemy import MetaData, Table

    md = MetaData()
    t = {name: Table(name, md, autoload_with=old.engine) for name in
         ("measures", "respondents", "episodes", "imports", "administrations", "scores")}
    with old.engine.begin() as conn:
        mpk = conn.execute(insert(t["measures"]).values(
            measure_id="phq-9", version="1.0.0", lock_sha256="a" * 64, title="PHQ-9",
            definition="{}", added_at=now)).inserted_primary_key[0]
        conn.execute(insert(t["respondents"]).values(respondent_id="p1", added_at=now))
        conn.execute(insert(t["episodes"]).values(respondent_id="p1", episode="1",
                                                  start_date=dt.date(2025, 1, 6)))
        conn.execute(insert(t["administrations"]).values(
            pk=1, natural_key="phq-9|p1|1|baseline|2025-01-06", measure_pk=mpk,
            respondent_id="p1", episode="1", date=dt.date(2025, 1, 6), timepoint="baseline",
            retrospective=False, responses="{}"))
        conn.execute(insert(t["scores"]).values(
            administration_pk=1, score_id="total", value=17.0, band="Moderately severe",
            rule_sha256="b" * 64, measure_version="1.0.0", engine_version="0.0.1"))
    old.close()
    new = ml.Store(store_url)  # upgrades to the newest layout
    assert new.revision == "0003"
    sc = new.scores("phq-9")
    assert sc["value"].tolist() == [17.0] and sc["anonymous"].tolist() == [False]
    # the old row and new imports live side by side; the natural key still de-duplicates
    df = pd.DataFrame({"respondent_id": ["p1", "p1"], "timepoint": ["baseline", "exit"],
                       "date": ["2025-01-06", "2025-03-01"]})
    for it in PHQ9.items[:9]:
        df[it.id] = 1
    res = new.import_frame(PHQ9, df)
    assert (res.n_inserted, res.n_already_stored) == (1, 1)
    assert ml.change(new, PHQ9).people["change"].tolist() == [-8.0]
    new.close()
