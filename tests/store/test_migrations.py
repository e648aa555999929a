"""Migrations: a store made by the first layout upgrades with its data intact."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert

import measurelib as ml
from measurelib.outcomes.store._tables import metadata

PHQ9 = ml.load("phq-9")
HEAD = "0011"  # the newest migration


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


def _old_forms(store: ml.Store, forms: list[dict[str, object]], *, engine: str = "0.1",
               import_pk: int | None = None) -> int:
    """Write PHQ-9 forms as imports of layouts 0005-0008 wrote them (a ``scores`` table of
    value, band and scoring run); returns the import's key.

    Each form: ``rid`` (None: anonymous), ``tp``, ``date``, ``answers`` (stored text) and
    ``scores`` ({score id: (value, band)}).
    """
    from sqlalchemy import MetaData, Table, select

    from measurelib.outcomes.store._tables import key_hash

    md = MetaData()
    t = {name: Table(name, md, autoload_with=store.engine) for name in
         ("respondents", "episodes", "imports", "administrations", "scores", "scoring_runs")}
    now = dt.datetime(2025, 1, 1, 12, 0)
    with store.engine.begin() as conn:
        mpk = store.add_measure(PHQ9, conn)
        if import_pk is None:
            import_pk = conn.execute(insert(t["imports"]).values(
                measure_pk=mpk, source="old.csv", started_at=now, n_rows=len(forms),
                n_inserted=len(forms), n_already_stored=0, n_rejected=0,
                engine_version=engine)).inserted_primary_key[0]
        runs = t["scoring_runs"]
        run = conn.execute(select(runs.c.pk).where(runs.c.engine_version == engine)).scalar()
        if run is None:
            run = conn.execute(insert(runs).values(
                measure_pk=mpk, rules='[["total","x"]]', rules_sha256=(engine * 64)[:64],
                engine_version=engine)).inserted_primary_key[0]
        for i, f in enumerate(forms):
            rid = f["rid"]
            if rid is not None and conn.execute(select(t["respondents"].c.respondent_id).where(
                    t["respondents"].c.respondent_id == rid)).first() is None:
                conn.execute(insert(t["respondents"]).values(respondent_id=rid, added_at=now))
                conn.execute(insert(t["episodes"]).values(
                    respondent_id=rid, episode="1", start_date=dt.date.fromisoformat(
                        str(f["date"]))))
            key = (f"phq-9|{rid}|1|{f['tp']}|{f['date']}" if rid is not None
                   else f"phq-9|anon|{engine}{i}|0")
            pk = conn.execute(insert(t["administrations"]).values(
                key_hash=key_hash(key), measure_pk=mpk, respondent_id=rid,
                episode="1" if rid is not None else None,
                date=dt.date.fromisoformat(str(f["date"])), timepoint=f["tp"], mode="paper",
                retrospective=False, responses=f["answers"], import_pk=import_pk,
                anonymous=rid is None, simulated=False)).inserted_primary_key[0]
            for sid, (value, band) in dict(f["scores"]).items():  # type: ignore[call-overload]
                conn.execute(insert(t["scores"]).values(
                    administration_pk=pk, score_id=sid, value=value, band=band, run_pk=run))
    return int(import_pk)


def _phq9_forms(n: int, *, start: int = 0, tp: str = "baseline",
                date: str = "2025-01-06") -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """n PHQ-9 forms as a data frame to import, and as the old layouts stored them."""
    rng = np.random.default_rng(n + start)
    df = pd.DataFrame({"respondent_id": [f"p{i}" for i in range(start, start + n)],
                       "timepoint": tp, "date": date})
    for it in PHQ9.items[:9]:
        df[it.id] = rng.integers(0, 4, n)
    scored = PHQ9.score(df).scores
    forms = [{"rid": r.respondent_id, "tp": tp, "date": date,
              "answers": "".join(str(int(df[it.id].iloc[k])) for it in PHQ9.items[:9]) + ".",
              "scores": {"total": (float(scored["total"].iloc[k]),
                                   str(scored["total_band"].iloc[k]))}}
             for k, r in enumerate(df.itertuples())]
    return df, forms



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
    forms = [{"rid": f"p{i}", "tp": "baseline", "date": "2025-01-06",
              "answers": "222222222.", "scores": {"total": (18.0, "Moderately severe")}}
             for i in range(8)]
    _old_forms(old, forms)
    with old.engine.begin() as conn:  # the answer forms of earlier versions
        conn.exec_driver_sql("UPDATE administrations SET responses = "
                             "'[2,2,2,2,2,2,2,2,2,null]' WHERE respondent_id = 'p0'")
        conn.exec_driver_sql("UPDATE administrations SET responses = '{\"interest\": 2}' "
                             "WHERE respondent_id = 'p1'")
    old.close()
    new = ml.Store(store_url)
    assert new.revision == HEAD
    names = {i["name"] for i in inspect(new.engine).get_indexes("administrations")}
    assert names == {"ux_administrations_key", "ux_administrations_natural_key"}
    got = new.scores("phq-9")
    assert got["value"].tolist() == [18.0] * 8 and set(got["band"]) == {"Moderately severe"}
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
    forms = [{"rid": rid, "tp": tp, "date": date, "answers": f"{k}{k}{k}000000.",
              "scores": {"total": (3.0 * k, "Mild" if k else "None-minimal")}}
             for k, (rid, tp, date) in enumerate([
                 ("p2", "baseline", "2025-01-06"), ("p1", "baseline", "2025-01-07"),
                 ("p2", "exit", "2025-03-01"), ("p10", "baseline", "2025-02-01"),
                 (None, "baseline", "2025-01-06")])]
    _old_forms(old, forms)
    with old.engine.begin() as conn:  # as the versions of these layouts wrote them
        conn.exec_driver_sql("INSERT INTO respondents (respondent_id, added_at) "
                             "VALUES ('p3', '2025-01-01 00:00:00')")
        conn.exec_driver_sql(
            "INSERT INTO episodes (respondent_id, episode, service, start_date) VALUES "
            "('p2', '2', 'North', '2025-02-01'), ('p3', '1', 'North', '2025-01-01')")
        conn.exec_driver_sql("INSERT INTO offers (respondent_id, episode, measure_id, date, "
                             "status, count) VALUES ('p3', '1', 'phq-9', '2025-01-02', "
                             "'declined', 1)")
    old.close_episode("p1", "1", "2025-04-01")
    before = {"respondents": old.table("respondents"), "episodes": old.table("episodes"),
              "offers": old.table("offers"),
              "scores": pd.DataFrame({"respondent_id": [f["rid"] for f in forms],
                                      "timepoint": [f["tp"] for f in forms],
                                      "value": [3.0 * k for k in range(5)],
                                      "band": ["None-minimal"] + ["Mild"] * 4})}
    old.close()
    return old, before


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:2])).reset_index(drop=True)


def test_upgrade_to_people_without_rowid_keeps_every_row(store_url: str) -> None:
    """A 0007 store with people, episodes and offers upgrades to 0008 intact."""
    _old, before = _people_store(store_url, "0007")
    new = ml.Store(store_url)
    assert new.revision == HEAD
    got = new.scores()[["respondent_id", "timepoint", "value", "band"]]
    pd.testing.assert_frame_equal(got, before["scores"])
    assert new.administrations()["responses"].map(lambda t: json.loads(t)["interest"]).tolist() \
        == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(new.table("offers"), before["offers"])
    # WITHOUT ROWID: read in key order; 0010 keeps added_at in seconds since 1970 UTC
    people = _sorted(before["respondents"])
    people["added_at"] = (pd.to_datetime(people["added_at"], format="ISO8601")
                          - pd.Timestamp("1970-01-01")
                          ) // pd.Timedelta(seconds=1)
    pd.testing.assert_frame_equal(_sorted(new.table("respondents")), people)
    pd.testing.assert_frame_equal(_sorted(new.table("episodes")), _sorted(before["episodes"]))
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


def test_upgrade_to_scores_in_rows_keeps_every_score(store_url: str, tmp_path: Path) -> None:
    """A 0008 store (a ``scores`` table) upgrades to 0009 with every value, band, missing
    value, standard error and run; it then reads as a store filled by this version does."""
    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0008")
    base, base_forms = _phq9_forms(30)
    follow, follow_forms = _phq9_forms(30, tp="exit", date="2025-03-31")
    base_forms[3]["scores"] = {"total": (None, None)}  # left missing by the scoring
    base_forms[4]["scores"] = {"total": (12.5, "Moderate"), "total_se": (2.25, None)}
    follow_forms[5]["scores"] = {}  # stored without any score
    _old_forms(old, base_forms, engine="0.1")
    _old_forms(old, follow_forms, engine="0.2")  # a second scoring run
    n_scores = sum(len(f["scores"]) for f in base_forms + follow_forms)  # type: ignore[arg-type]
    with old.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM scores").scalar() == n_scores
    old.close()

    new = ml.Store(store_url)
    assert new.revision == HEAD and "scores" not in new.table("scoring_runs").columns.drop(
        "bands", errors="ignore").tolist()
    from sqlalchemy import inspect

    assert "scores" not in inspect(new.engine).get_table_names()
    assert new.counts()["scores"] == n_scores
    got = new.scores("phq-9")
    expected = {(f["rid"], f["tp"], sid): vb for f in base_forms + follow_forms
                for sid, vb in dict(f["scores"]).items()  # type: ignore[call-overload]
                if sid == "total"}
    assert len(got) == len(expected)
    for r in got.itertuples():
        value, band = expected[(r.respondent_id, r.timepoint, r.score_id)]
        assert (pd.isna(r.value) and value is None) or r.value == value
        assert (pd.isna(r.band) and band is None) or r.band == band
        assert (r.se == 2.25) if (r.respondent_id, r.timepoint) == ("p4", "baseline") else \
            pd.isna(r.se)
    assert len(new.scores("phq-9", "total_se")) == 1
    # band labels once per run, in band order
    runs = new.table("scoring_runs").sort_values("engine_version")
    labels = [json.loads(b)[0][1] for b in runs["bands"]]
    order = [b.label for b in PHQ9.scores[0].bands]
    assert all(lab == [x for x in order if x in lab] for lab in labels)

    # the same forms imported into a store of this version read back the same
    fresh = ml.Store(str(tmp_path / "fresh.db"))
    fresh.import_frame(PHQ9, pd.concat([base, follow], ignore_index=True))
    cols = ["respondent_id", "timepoint", "score_id", "value", "band"]
    skip = {("p3", "baseline"), ("p4", "baseline"), ("p5", "exit")}

    def kept(df: pd.DataFrame) -> pd.DataFrame:
        keep = [(r, t) not in skip for r, t in zip(df["respondent_id"], df["timepoint"])]
        return df.loc[keep, cols].sort_values(cols[:3]).reset_index(drop=True)

    pd.testing.assert_frame_equal(kept(new.scores("phq-9")), kept(fresh.scores("phq-9")))
    # the SQL of reports reads the values in the rows
    from measurelib.outcomes.store._queries import paired_scores, person_scores

    pairs = paired_scores(new, "phq-9", "total", "baseline", "last")
    assert len(pairs) == 29  # p3's baseline has no value
    p0 = pairs.set_index("respondent_id").loc["p0"]
    assert (p0["baseline"], p0["follow_up"]) == (expected[("p0", "baseline", "total")][0],
                                                 expected[("p0", "exit", "total")][0])
    assert [v for _d, v in person_scores(new, "phq-9", "total", "p3")] == [
        None, expected[("p3", "exit", "total")][0]]
    out = new.export_responses(PHQ9, tmp_path / "out.csv")
    exported = pd.read_csv(out.output)
    assert exported.loc[exported["respondent_id"] == "p0", "total_band"].tolist() == [
        expected[("p0", "baseline", "total")][1], expected[("p0", "exit", "total")][1]]
    # re-importing finds the migrated forms; new forms go in beside them
    res = new.import_frame(PHQ9, pd.concat([base, _phq9_forms(2, start=30)[0]]))
    assert (res.n_inserted, res.n_already_stored) == (2, 30)
    assert len(new.scores("phq-9")) == len(got) + 2
    erased = new.erase_respondent("p4")
    assert (erased.n_administrations, erased.n_scores) == (2, 3)
    fresh.close()
    new.close()


def test_upgrade_to_natural_key_columns_keeps_every_row(store_url: str) -> None:
    """A 0009 store (every form with a ``key_hash`` digest, people's ``added_at`` as a
    timestamp) upgrades to 0010: the same rows, scores and people read back (``added_at``
    in seconds since 1970 UTC); the natural key is the
    unique index on the form's columns, and the digest is kept only for forms without a
    person; re-imports still find every stored form."""
    from sqlalchemy import inspect

    old, people = _people_store(store_url, "0008")
    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0009")
    with old.engine.begin() as conn:  # a form of an old version stored without an episode
        conn.exec_driver_sql("UPDATE administrations SET episode = NULL "
                             "WHERE respondent_id = 'p10'")
    before = {"administrations": old.administrations(),
              "episodes": _sorted(old.table("episodes")), "offers": old.table("offers"),
              "respondents": sorted(old.table("respondents")["respondent_id"])}
    old.close()

    new = ml.Store(store_url)
    assert new.revision == HEAD
    pd.testing.assert_frame_equal(new.administrations(), before["administrations"])
    got = new.scores()[["respondent_id", "timepoint", "value", "band"]]
    pd.testing.assert_frame_equal(got, people["scores"])
    pd.testing.assert_frame_equal(_sorted(new.table("episodes")), before["episodes"])
    pd.testing.assert_frame_equal(new.table("offers"), before["offers"])
    people = new.table("respondents").set_index("respondent_id")["added_at"]
    assert sorted(people.index) == before["respondents"]
    noon = int(dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone.utc).timestamp())
    assert people.to_dict() == {"p1": noon, "p10": noon, "p2": noon, "p3": noon - 12 * 3600}
    names = {i["name"] for i in inspect(new.engine).get_indexes("administrations")}
    assert names == {"ux_administrations_key", "ux_administrations_natural_key"}
    assert new.table("measure_ids")["measure_id"].tolist() == ["phq-9"]
    with new.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT respondent_id, episode, key_hash IS NOT NULL, measure_series "
            "FROM administrations ORDER BY pk").all()
        if new.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    # a digest only where the columns cannot be the key: no person, or no episode
    assert [(r, e, bool(h)) for r, e, h, _s in rows] == [
        ("p2", "1", False), ("p1", "1", False), ("p2", "1", False), ("p10", None, True),
        (None, None, True)]
    assert {s for *_x, s in rows} == {1}
    # every stored form is found again: identified ones by their columns, the anonymous
    # and the episode-less one by the digest (the old key's "" episode is not episode 1)
    df = pd.DataFrame({"respondent_id": ["p2", "p1", "p2", "p7"],
                       "timepoint": ["baseline", "baseline", "exit", "baseline"],
                       "date": ["2025-01-06", "2025-01-07", "2025-03-01", "2025-01-08"]})
    for it in PHQ9.items[:9]:
        df[it.id] = 1
    res = new.import_frame(PHQ9, df)
    assert (res.n_inserted, res.n_already_stored) == (1, 3)
    erased = new.erase_respondent("p2")
    assert (erased.n_administrations, erased.n_episodes) == (2, 2)
    assert len(new.administrations()) == 4
    new.close()


def test_upgrade_to_positional_scores_keeps_every_value(store_url: str,
                                                        tmp_path: Path) -> None:
    """A 0010 store (scores as JSON objects) upgrades to 0011: rows become arrays in the
    order of their run's ``score_ids``, values as written; a row whose scores are not a
    leading part of that order keeps its object; every read (Python and SQL) gives the
    same values as before."""
    from measurelib.outcomes.store._queries import paired_scores, person_scores

    base, base_forms = _phq9_forms(6)
    follow, follow_forms = _phq9_forms(6, tp="exit", date="2025-03-31")
    base_forms[1]["scores"] = {"total": (None, None)}  # left missing by the scoring
    base_forms[2]["scores"] = {"total": (0.1 + 0.2, "None-minimal"), "total_se": (2.25, None)}
    follow_forms[3]["scores"] = {"total_se": (1.5, None)}  # no total: stays an object
    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0008")
    _old_forms(old, base_forms + follow_forms)
    old.close()
    old = ml.Store(store_url, upgrade=False)
    old.upgrade("0010")
    with old.engine.connect() as conn:
        objects = conn.exec_driver_sql(
            "SELECT respondent_id, timepoint, scores FROM administrations ORDER BY pk").all()
    assert all(str(s).startswith("{") for *_k, s in objects)
    old.close()

    new = ml.Store(store_url)
    assert new.revision == HEAD
    with new.engine.connect() as conn:
        stored = {(r, t): s for r, t, s in conn.exec_driver_sql(
            "SELECT respondent_id, timepoint, CAST(scores AS TEXT) FROM administrations")}
        ids = conn.exec_driver_sql("SELECT score_ids FROM scoring_runs").scalars().all()
    assert ids == ['["total", "total_se"]']
    assert stored[("p1", "baseline")] == "[null]"
    assert stored[("p2", "baseline")] == "[0.30000000000000004,2.25]"  # the text as written
    assert json.loads(stored[("p3", "exit")]) == {"total_se": 1.5}
    v0 = base_forms[0]["scores"]["total"][0]  # type: ignore[index]
    assert stored[("p0", "baseline")] == f"[{int(v0)}]"
    assert new.counts()["scores"] == 13
    # Python reads
    got = new.scores("phq-9")
    expected = {(f["rid"], f["tp"]): dict(f["scores"])  # type: ignore[call-overload]
                for f in base_forms + follow_forms}
    assert len(got) == 12
    for r in got.itertuples():
        want = expected[(r.respondent_id, r.timepoint)]
        if r.score_id == "total":
            assert (pd.isna(r.value) and want["total"][0] is None) or r.value == want["total"][0]
            se = want.get("total_se", (None, None))[0]
            assert (pd.isna(r.se) and se is None) or r.se == se
        else:  # p3's exit form holds a standard error only
            assert (r.respondent_id, r.timepoint, r.score_id, r.value) == (
                "p3", "exit", "total_se", 1.5)
    assert sorted(new.scores("phq-9", "total_se")["value"]) == [1.5, 2.25]
    out = pd.read_csv(new.export_responses(PHQ9, tmp_path / "out.csv").output)
    assert out["total"].isna().sum() == 2 and out["total"].sum() == pytest.approx(
        sum(v["total"][0] or 0 for v in expected.values() if "total" in v))
    # SQL reads: by position, and by key for the row left as an object
    pairs = paired_scores(new, "phq-9", "total", "baseline", "last", se=True)
    p2 = pairs.set_index("respondent_id").loc["p2"]
    assert (p2["baseline"], p2["baseline_se"]) == (0.1 + 0.2, 2.25)
    assert [(v, e) for _d, v, e in _person_se(new, "p3")] == [  # exit holds no total
        (expected[("p3", "baseline")]["total"][0], None)]
    assert [(v, e) for _d, v, e in _person_se(new, "p2")][0] == (0.1 + 0.2, 2.25)
    assert [v for _d, v in person_scores(new, "phq-9", "total", "p1")] == [
        None, expected[("p1", "exit")]["total"][0]]
    # new imports beside them write arrays of the run's positions
    res = new.import_frame(PHQ9, pd.concat([base, _phq9_forms(1, start=6)[0]]))
    assert (res.n_inserted, res.n_already_stored) == (1, 6)
    with new.engine.connect() as conn:
        fresh = conn.exec_driver_sql("SELECT scores FROM administrations "
                                     "WHERE respondent_id = 'p6'").scalar()
    assert str(fresh).startswith("[")
    new.close()


def _person_se(store: ml.Store, rid: str) -> list[tuple[object, object, object]]:
    from measurelib.outcomes.store._queries import person_scores_se

    return list(person_scores_se(store, "phq-9", "total", rid))
