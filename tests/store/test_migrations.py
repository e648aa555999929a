"""Migrations: a store made by the first layout upgrades with its data intact."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert

import measurelib as ml
from measurelib.outcomes.store._tables import metadata

PHQ9 = ml.load("phq-9")
HEAD = "0008"  # the newest migration


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
    assert new.revision == HEAD
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


def test_upgrade_to_compact_keys_keeps_every_row_and_score(store_url: str) -> None:
    """A 0003 store with 60 administrations, two scores each, from two engine versions."""
    from sqlalchemy import MetaData, Table

    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0003")
    md = MetaData()
    t = {name: Table(name, md, autoload_with=old.engine) for name in
         ("measures", "respondents", "imports", "administrations", "scores")}
    now = dt.datetime(2025, 1, 1, 12, 0)
    expected = {}
    with old.engine.begin() as conn:
        mpk = conn.execute(insert(t["measures"]).values(
            measure_id="phq-9", version=PHQ9.version, lock_sha256="a" * 64, title="PHQ-9",
            definition="{}", added_at=now)).inserted_primary_key[0]
        for i in range(30):
            conn.execute(insert(t["respondents"]).values(respondent_id=f"p{i}", added_at=now))
        pk = 0
        for i in range(30):
            for tp, day in (("baseline", 6), ("exit", 27)):
                pk += 1
                date = dt.date(2025, 1, day)
                conn.execute(insert(t["administrations"]).values(
                    pk=pk, natural_key=f"phq-9|p{i}|1|{tp}|{date}", measure_pk=mpk,
                    respondent_id=f"p{i}", episode="1", date=date, timepoint=tp,
                    retrospective=False, responses='{"interest": 1.0}', simulated=i == 3))
                for sid, value in (("total", float(i + (tp == "baseline"))),
                                   ("severity", None)):
                    conn.execute(insert(t["scores"]).values(
                        administration_pk=pk, score_id=sid, value=value, band="b" + tp,
                        rule_sha256=sid[0] * 64, measure_version=PHQ9.version,
                        engine_version="0.1" if i < 10 else "0.2"))
                    expected[(f"p{i}", tp, sid)] = value
    old.close()
    new = ml.Store(store_url)
    assert new.revision == HEAD
    counts = new.counts()
    assert counts["administrations"] == 60 and counts["scores"] == 120
    assert counts["scoring_runs"] == 2  # one per engine version, not one per score
    sc = new.scores("phq-9")
    got = {(r.respondent_id, r.timepoint, r.score_id): r.value for r in sc.itertuples()}
    assert got.keys() == expected.keys()
    assert all((pd.isna(v) and pd.isna(got[k])) or v == got[k] for k, v in expected.items())
    assert set(sc["band"]) == {"bbaseline", "bexit"}
    assert new.administrations()["simulated"].sum() == 2
    runs = new.table("scoring_runs")
    assert sorted(runs["engine_version"]) == ["0.1", "0.2"]
    assert all(set(dict(json.loads(r))) == {"total", "severity"} for r in runs["rules"])
    # converted keys still de-duplicate: the stored baselines are found again
    df = pd.DataFrame({"respondent_id": ["p0", "p1", "new"], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for it in PHQ9.items[:9]:
        df[it.id] = 1
    res = new.import_frame(PHQ9, df)
    assert (res.n_inserted, res.n_already_stored) == (1, 2)
    assert new.counts()["administrations"] == 61
    adm = new.administrations()  # new keys come after the migrated ones (PostgreSQL may
    assert adm.loc[adm["respondent_id"] == "new", "pk"].item() > 60  # leave gaps)
    new.close()


def test_upgrade_to_lean_indexes_keeps_every_row(store_url: str) -> None:
    """A 0006 store (answers as JSON arrays and objects) upgrades to 0007 intact."""
    from sqlalchemy import inspect

    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0006")
    assert {"ix_administrations_respondent", "ix_administrations_measure_date"} <= {
        i["name"] for i in inspect(old.engine).get_indexes("administrations")}
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(8)], "timepoint": "baseline",
                       "date": "2025-01-06"})
    for it in PHQ9.items[:9]:
        df[it.id] = 2
    assert old.import_frame(PHQ9, df).n_inserted == 8
    with old.engine.begin() as conn:  # the answer forms of earlier versions
        conn.exec_driver_sql("UPDATE administrations SET responses = "
                             "'[2,2,2,2,2,2,2,2,2,null]' WHERE respondent_id = 'p0'")
        conn.exec_driver_sql("UPDATE administrations SET responses = '{\"interest\": 2}' "
                             "WHERE respondent_id = 'p1'")
    before = old.scores("phq-9")
    old.close()
    new = ml.Store(store_url)
    assert new.revision == HEAD
    names = {i["name"] for i in inspect(new.engine).get_indexes("administrations")}
    assert names == {"ux_administrations_key", "ix_administrations_respondent"}
    pd.testing.assert_frame_equal(new.scores("phq-9"), before)
    answers = [json.loads(t) for t in new.administrations("phq-9")["responses"]]
    assert answers[0]["interest"] == 2 and answers[0][PHQ9.items[9].id] is None
    assert answers[1] == {"interest": 2}
    assert all(a["interest"] == 2 and len(a) == 10 for a in answers[2:])
    res = new.import_frame(PHQ9, df)
    assert (res.n_inserted, res.n_already_stored) == (0, 8)
    new.close()


def _people_store(store_url: str, revision: str) -> tuple[ml.Store, dict[str, pd.DataFrame]]:
    """A store at ``revision`` with people, episodes (one closed), forms, offers and an
    anonymous form; returns it (closed) and what it reads back."""
    old = ml.Store(store_url, upgrade=False)
    old.upgrade(revision)
    df = pd.DataFrame({"respondent_id": ["p2", "p1", "p2", "p10"],
                       "episode": ["1", "1", "2", "1"],
                       "timepoint": ["baseline", "baseline", "exit", "baseline"],
                       "date": ["2025-01-06", "2025-01-07", "2025-03-01", "2025-02-01"],
                       "service": ["North", "North", None, "South"]})
    for i, it in enumerate(PHQ9.items[:9]):
        df[it.id] = [i % 4, 1, 2, 3]
    assert old.import_frame(PHQ9, df).n_inserted == 4
    anon = df.drop(columns=["respondent_id", "episode"]).iloc[:1]
    assert old.import_frame(PHQ9, anon, anonymous=True).n_inserted == 1
    old.open_episode("p3", "1", service="North", start_date="2025-01-01")
    old.close_episode("p1", "1", "2025-04-01")
    old.record_offers(pd.DataFrame({"respondent_id": ["p3"], "measure_id": ["phq-9"],
                                    "date": ["2025-01-02"], "status": ["declined"]}))
    before = {"scores": old.scores(), "administrations": old.administrations(),
              "respondents": old.table("respondents"), "episodes": old.table("episodes"),
              "offers": old.offers()}
    old.close()
    return old, before


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:2])).reset_index(drop=True)


def test_upgrade_to_people_without_rowid_keeps_every_row(store_url: str) -> None:
    """A 0007 store with people, episodes and offers upgrades to 0008 intact."""
    _old, before = _people_store(store_url, "0007")
    new = ml.Store(store_url)
    assert new.revision == HEAD
    for name in ("scores", "administrations", "offers"):
        pd.testing.assert_frame_equal(getattr(new, name)(), before[name])
    for name in ("respondents", "episodes"):  # WITHOUT ROWID: read in key order
        pd.testing.assert_frame_equal(_sorted(new.table(name)), _sorted(before[name]))
    if new.dialect == "sqlite":
        with new.engine.connect() as conn:
            ddl = dict(conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'").all())
            indexes = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert "WITHOUT ROWID" in ddl["respondents"] and "WITHOUT ROWID" in ddl["episodes"]
        assert not {"sqlite_autoindex_respondents_1", "sqlite_autoindex_episodes_1"} & indexes
    # the references to people still hold, and new people and forms go in
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.IntegrityError), new.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO episodes (respondent_id, episode) "
                             "VALUES ('nobody', '1')")
    erased = new.erase_respondent("p2")
    assert (erased.n_administrations, erased.n_episodes) == (2, 2)
    df = pd.DataFrame({"respondent_id": ["p1", "p9"], "timepoint": "baseline",
                       "date": "2025-01-07"})
    for it in PHQ9.items[:9]:
        df[it.id] = 1
    res = new.import_frame(PHQ9, df)
    assert (res.n_inserted, res.n_already_stored) == (1, 1)
    assert sorted(new.table("respondents")["respondent_id"]) == ["p1", "p10", "p3", "p9"]
    new.close()


def test_people_without_rowid_downgrades(store_url: str) -> None:
    """0008 can be undone: the tables are rebuilt with row ids, nothing lost."""
    _old, before = _people_store(store_url, "0008")
    from alembic import command

    store = ml.Store(store_url, upgrade=False)
    with store.engine.begin() as conn:
        command.downgrade(store._alembic_config(conn), "0007")
    assert store.revision == "0007"
    for name in ("respondents", "episodes"):
        pd.testing.assert_frame_equal(_sorted(store.table(name)), _sorted(before[name]))
    store.close()
