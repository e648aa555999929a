"""The outcomes store on SQLite and PostgreSQL: import, de-duplication, atomicity, reading."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import measurelib as ml
from measurelib.outcomes.store import compare_entries

PHQ9 = ml.load("phq-9")
HEAD = "0011"  # the newest migration
CODES = [it.code for it in PHQ9.items[:9]]


def frame(rows: list[tuple[str, str, str, int]], **extra: object) -> pd.DataFrame:
    """(respondent, timepoint, date, answer to every item) → a PHQ-9 import frame."""
    df = pd.DataFrame(rows, columns=["respondent_id", "timepoint", "date", "answer"])
    for code in CODES:
        df[code] = df["answer"].astype(str)
    df = df.drop(columns="answer")
    for k, v in extra.items():
        df[k] = v
    return df


ROWS = [("p1", "baseline", "2025-01-06", 2), ("p1", "exit", "2025-03-03", 1),
        ("p2", "baseline", "2025-01-07", 3), ("p3", "baseline", "13/01/2025", 1)]


def refused(store: ml.Store, df: pd.DataFrame) -> ml.DataError:
    """Import ``df``, which must be refused whole: the error, with nothing stored."""
    before = store.counts()
    with pytest.raises(ml.DataError) as err:
        store.import_frame(PHQ9, df, source="forms.csv")
    assert store.counts() == before
    return err.value


def test_new_store_is_at_newest_migration(store: ml.Store) -> None:
    assert store.revision == HEAD
    assert set(store.counts().values()) == {0}


def test_import_stores_rows_scores_and_the_import(store: ml.Store) -> None:
    res = store.import_frame(PHQ9, frame(ROWS, site="North", mode="paper"), source="a.csv")
    assert (res.n_rows, res.n_inserted, res.n_already_stored, res.n_rejected) == (4, 4, 0, 0)
    sc = store.scores("phq-9", "total")
    assert sc["value"].tolist() == [18.0, 9.0, 27.0, 9.0]
    assert sc["band"].tolist() == ["Moderately severe", "Mild", "Severe", "Mild"]
    assert sc["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-06", "2025-03-03", "2025-01-07", "2025-01-13"]
    assert set(sc["site"]) == {"North"} and set(sc["mode"]) == {"paper"}
    adm = store.administrations("phq-9")
    assert json.loads(adm["responses"].iloc[0])["interest"] == 2.0
    imp = store.imports()
    assert imp[["n_rows", "n_inserted", "n_rejected"]].iloc[0].tolist() == [4, 4, 0]
    counts = store.counts()
    assert counts["respondents"] == 3 and counts["episodes"] == 3 and counts["measures"] == 1


def test_natural_key_is_the_forms_columns(store: ml.Store) -> None:
    """The natural key (migration 0010): a form given without an episode is episode 1, so
    the same form imported twice with no episode (or once with episode 1) is stored once;
    another version of the measure finds it too (the key names the measure id); the same
    occasion with another episode, timepoint or date is another form; the digest column is
    empty for forms with a person."""
    first = store.import_frame(PHQ9, frame(ROWS[:2]))
    again = store.import_frame(PHQ9, frame(ROWS[:2]))
    assert (first.n_inserted, again.n_inserted, again.n_already_stored) == (2, 0, 2)
    ep1 = store.import_frame(PHQ9, frame(ROWS[:2], episode="1"))
    assert (ep1.n_inserted, ep1.n_already_stored) == (0, 2)
    v2 = PHQ9.model_copy(update={"version": "9.9.9"})
    other = store.import_frame(v2, frame(ROWS[:2] + [("p1", "exit", "2025-03-04", 1)]))
    assert (other.n_inserted, other.n_already_stored) == (1, 2)
    ep2 = store.import_frame(PHQ9, frame(ROWS[:1], episode="2"))
    assert (ep2.n_inserted, ep2.n_already_stored) == (1, 0)
    assert store.counts()["administrations"] == 4 and store.counts()["measures"] == 2
    import time

    added = store.table("respondents")["added_at"].tolist()  # seconds since 1970 UTC
    assert len(added) == 1 and abs(added[0] - time.time()) < 600
    assert store.table("measure_ids")["measure_id"].tolist() == ["phq-9"]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM administrations "
                                    "WHERE key_hash IS NOT NULL").scalar() == 0
        assert {r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT measure_series FROM administrations")} == {1}
    # a form without a person keeps a digest: the k-th identical one of a file is its own
    anon = frame([("", "baseline", "2025-01-06", 2)] * 2)
    assert store.import_frame(PHQ9, anon, anonymous=True).n_inserted == 2
    assert store.import_frame(PHQ9, anon, anonymous=True).n_already_stored == 2


def test_reimport_does_not_duplicate(store: ml.Store) -> None:
    store.import_frame(PHQ9, frame(ROWS))
    again = store.import_frame(PHQ9, frame(ROWS + [("p2", "exit", "2025-03-10", 0)]))
    assert (again.n_inserted, again.n_already_stored) == (1, 4)
    assert store.counts()["administrations"] == 5
    assert store.counts()["scores"] == 5
    assert len(store.imports()) == 2


def test_bad_row_stops_the_whole_import(store: ml.Store) -> None:
    bad = frame(ROWS)
    bad.loc[2, "Q3"] = "7"
    bad.loc[3, "date"] = "31/02/2025"
    error = refused(store, bad)
    text = str(error)
    assert "forms.csv: row 4, column 'Q3'" in text
    assert "row 5, column 'date'" in text and "nothing was stored" in text


def test_reject_bad_rows_keeps_the_good_ones(store: ml.Store) -> None:
    bad = frame(ROWS)
    bad.loc[1, "Q1"] = "x"
    bad.loc[2, "respondent_id"] = None
    res = store.import_frame(PHQ9, bad, reject_bad_rows=True)
    assert (res.n_inserted, res.n_rejected) == (2, 2)
    assert res.n_rows == res.n_inserted + res.n_already_stored + res.n_rejected
    assert sorted(res.rejected["row"].unique().tolist()) == [3, 4]
    assert set(res.rejected["code"]) == {"not-a-number", "store-missing-respondent"}


def test_duplicate_key_in_one_file_is_rejected(store: ml.Store) -> None:
    res = store.import_frame(PHQ9, frame(ROWS + [ROWS[0]]), reject_bad_rows=True)
    assert res.n_inserted == 4 and res.n_rejected == 1
    assert res.rejected["code"].tolist() == ["store-duplicate-row"]


def test_new_measure_version_is_recorded_separately(store: ml.Store) -> None:
    store.import_frame(PHQ9, frame(ROWS[:1]))
    v2 = ml.loads(PHQ9.to_yaml().replace("version: 1.0.0", "version: 1.0.1", 1))
    res = store.import_frame(v2, frame(ROWS))
    assert (res.n_inserted, res.n_already_stored) == (3, 1)
    assert sorted(store.scores("phq-9")["measure_version"].unique()) == ["1.0.0", "1.0.1"]
    measures = store.table("measures")
    assert len(measures) == 2 and measures["lock_sha256"].str.len().eq(64).all()


def test_episodes_keep_services_apart(store: ml.Store) -> None:
    df = frame([("p1", "baseline", "2025-01-06", 2), ("p1", "baseline", "2025-01-06", 1)])
    df["episode"] = ["a", "b"]
    df["service"] = ["counselling", "peer support"]
    res = store.import_frame(PHQ9, df)
    assert res.n_inserted == 2
    ep = store.table("episodes").sort_values("episode")
    assert ep["service"].tolist() == ["counselling", "peer support"]


def test_equity_fields_only_for_configured_services(store: ml.Store) -> None:
    store.configure_service("counselling", equity_fields=["age_band", "deprivation_decile"])
    df = frame(ROWS[:2], service=["counselling", "other"], age_band="25-34", sex="female",
               deprivation_decile="3")
    store.import_frame(PHQ9, df)
    adm = store.administrations().sort_values("pk")
    assert adm["age_band"].iloc[0] == "25-34" and pd.isna(adm["age_band"].iloc[1])
    assert adm["deprivation_decile"].iloc[0] == 3
    assert adm["sex"].isna().all()
    with pytest.raises(ValueError, match="equity_fields"):
        store.configure_service("x", equity_fields=["religion"])


def test_anonymous_experience_measure(store: ml.Store) -> None:
    df = frame([("", "exit", "2025-02-01", 1), ("", "exit", "2025-02-01", 1),
                ("", "exit", "2025-02-02", 0)])
    res = store.import_frame(PHQ9, df, anonymous=True)
    assert res.n_inserted == 3
    again = store.import_frame(PHQ9, df, anonymous=True)
    assert again.n_inserted == 0 and again.n_already_stored == 3
    adm = store.administrations()
    assert adm["anonymous"].all() and adm["respondent_id"].isna().all()
    store.record_offers(pd.DataFrame({"measure_id": ["phq-9"], "date": ["2025-02-01"],
                                      "status": ["offered"], "count": [10]}))
    offers = store.table("offers")
    assert offers["count"].sum() == 10


def test_offers_need_valid_status(store: ml.Store) -> None:
    with pytest.raises(ml.DataError, match="status"):
        store.record_offers(pd.DataFrame({"measure_id": ["phq-9"], "date": ["2025-02-01"],
                                          "status": ["maybe"]}))
    n = store.record_offers(pd.DataFrame({
        "respondent_id": ["p1", "p2"], "measure_id": "phq-9", "timepoint": "exit",
        "date": ["2025-03-01", "2025-03-02"], "status": ["declined", "not_offered"],
        "reason": ["did not want to", "discharged early"]}))
    assert n == 2 and store.counts()["offers"] == 2


def test_add_submission(store: ml.Store) -> None:
    answers = {it.id: "1" for it in PHQ9.items[:9]}
    res = store.add_submission(PHQ9, answers, respondent_id="p9", timepoint="baseline",
                               date="2025-05-01")
    assert res.n_inserted == 1
    sc = store.scores("phq-9")
    assert sc["value"].tolist() == [9.0] and sc["mode"].tolist() == ["online"]


def test_add_parsed_form_submission(store: ml.Store) -> None:
    posted = {"measure_id": "phq-9", "measure_version": PHQ9.version,
              "respondent_id": "p7", "timepoint": "review", "date": "2025-06-01",
              **{it.id: "2" for it in PHQ9.items[:9]}}
    sub = ml.parse_submission(PHQ9, posted)
    res = store.add_submission(PHQ9, sub)
    assert res.n_inserted == 1
    sc = store.scores("phq-9")
    assert sc["respondent_id"].tolist() == ["p7"] and sc["value"].tolist() == [18.0]
    assert sc["timepoint"].tolist() == ["review"]
    assert store.add_submission(PHQ9, sub).n_already_stored == 1
    with pytest.raises(ValueError, match="answers 'phq-9'"):
        store.add_submission(ml.load("gad-7"), sub)


def test_import_file_csv_and_xlsx(store: ml.Store, tmp_path) -> None:
    df = frame(ROWS)
    csv = tmp_path / "a.csv"
    df.to_csv(csv, index=False)
    res = store.import_file(PHQ9, csv)
    assert res.n_inserted == 4 and len(res.file_sha256 or "") == 64
    xlsx = tmp_path / "a.xlsx"
    frame(ROWS + [("p4", "baseline", "2025-02-01", 0)]).to_excel(xlsx, index=False)
    res = store.import_file(PHQ9, xlsx)
    assert (res.n_inserted, res.n_already_stored) == (1, 4)


def test_double_entry_lists_every_disagreeing_cell(store: ml.Store, tmp_path) -> None:
    a = frame(ROWS)
    b = a.copy()
    b.loc[1, "Q4"] = "3"
    b.loc[3, "Q9"] = "0"
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ml.DataError) as err:
        store.import_file(PHQ9, tmp_path / "a.csv", verify=tmp_path / "b.csv")
    assert len(err.value.errors) == 2
    assert store.counts()["administrations"] == 0
    diff = compare_entries(a, b)
    assert diff[["row_first", "column", "first", "second"]].values.tolist() == [
        [3, "Q4", "1", "3"], [5, "Q9", "1", "0"]]
    b.to_csv(tmp_path / "b.csv", index=False)
    a.to_csv(tmp_path / "b.csv", index=False)
    res = store.import_file(PHQ9, tmp_path / "a.csv", verify=tmp_path / "b.csv")
    assert res.n_inserted == 4


def test_double_entry_finds_rows_keyed_once() -> None:
    a = frame(ROWS)
    b = frame(ROWS[:3])
    diff = compare_entries(a, b)
    assert diff["column"].tolist() == ["<whole row>"]
    assert diff["respondent_id"].tolist() == ["p3"]


def test_close_episode(store: ml.Store) -> None:
    store.import_frame(PHQ9, frame(ROWS))
    store.close_episode("p1", "1", "2025-03-03")
    ep = store.table("episodes").set_index("respondent_id")
    assert str(ep.loc["p1", "end_date"]) == "2025-03-03"
    with pytest.raises(ValueError, match="no such episode"):
        store.close_episode("nobody")


def test_change_from_the_store(store: ml.Store) -> None:
    store.import_frame(PHQ9, frame(ROWS))
    res = ml.change(store, PHQ9)
    assert res.n_baseline == 3 and res.n_paired == 1
    assert res.people.set_index("respondent_id").loc["p1", "change"] == -9.0


# ------------------------------------------------------------------ imports in chunks
def test_chunked_import_matches_one_chunk(store_url: str, tmp_path) -> None:
    rows = [(f"p{i}", "baseline", "2025-01-06", i % 4) for i in range(23)]
    df = frame(rows)
    path = tmp_path / "f.csv"
    text = df.to_csv(index=False).splitlines()
    text.insert(5, "," * (len(df.columns) - 1))  # a blank row: not a row, and row numbers stay the file's
    text.insert(9, "")
    path.write_text("\n".join(text) + "\n")
    with ml.Store(store_url) as s:
        res = s.import_file(PHQ9, path, chunksize=4, progress=False)
        assert (res.n_rows, res.n_inserted, res.n_rejected) == (23, 23, 0)
        assert s.scores("phq-9")["value"].tolist() == [9.0 * (i % 4) for i in range(23)]
        again = s.import_file(PHQ9, path, chunksize=5, progress=False)
        assert (again.n_inserted, again.n_already_stored) == (0, 23)
        assert s.imports()["n_rows"].tolist() == [23, 23]


def test_chunked_import_bad_row_in_a_late_chunk_stores_nothing(store: ml.Store,
                                                               tmp_path) -> None:
    df = frame([(f"p{i}", "baseline", "2025-01-06", 1) for i in range(20)])
    df.loc[17, "Q2"] = "9"
    df.loc[3, "date"] = "nope"
    df.to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(ml.DataError) as err:
        store.import_file(PHQ9, tmp_path / "f.csv", chunksize=4, progress=False)
    assert store.counts()["administrations"] == 0 and store.counts()["imports"] == 0
    rows = sorted(d.location.row for d in err.value.errors)
    assert rows == [5, 19]  # both problems listed, with the file's row numbers


def test_same_form_in_two_chunks_is_a_duplicate(store: ml.Store) -> None:
    rows = [(f"p{i}", "baseline", "2025-01-06", 1) for i in range(6)] + [
        ("p1", "exit", "2025-03-03", 1), ("p2", "baseline", "2025-01-06", 0)]
    res = store.import_frame(PHQ9, frame(rows), chunksize=3, reject_bad_rows=True)
    assert (res.n_rows, res.n_inserted, res.n_already_stored, res.n_rejected) == (8, 7, 0, 1)
    assert res.rejected["row"].tolist() == [9]  # p2's baseline again, two chunks later
    assert res.rejected["code"].tolist() == ["store-duplicate-row"]
    with pytest.raises(ml.DataError, match="store-duplicate-row|earlier row"):
        store.import_frame(PHQ9, frame(rows[:1] + [("q", "exit", "2025-01-07", 1)] * 2),
                           chunksize=1)


def test_identical_anonymous_forms_across_chunks_are_kept(store: ml.Store) -> None:
    df = frame([("", "exit", "2025-02-01", 1)] * 7)
    res = store.import_frame(PHQ9, df, anonymous=True, chunksize=3)
    assert (res.n_inserted, res.n_rejected) == (7, 0)
    again = store.import_frame(PHQ9, df, anonymous=True, chunksize=2)
    assert (again.n_inserted, again.n_already_stored) == (0, 7)


def test_partly_stored_file_scores_the_right_administrations(store: ml.Store) -> None:
    """Rows already stored are skipped mid-chunk; the new rows' scores find their own rows."""
    first = [(f"p{i}", "baseline", "2025-01-06", i % 4) for i in range(0, 12, 3)]
    store.import_frame(PHQ9, frame(first))
    rows = [(f"p{i}", "baseline", "2025-01-06", i % 4) for i in range(12)]
    res = store.import_frame(PHQ9, frame(rows), chunksize=5)
    assert (res.n_inserted, res.n_already_stored, res.n_rejected) == (8, 4, 0)
    sc = store.scores("phq-9", "total")
    got = dict(zip(sc["respondent_id"], sc["value"]))
    assert got == {f"p{i}": 9.0 * (i % 4) for i in range(12)}
    assert sc["administration"].is_unique and len(sc) == 12


def test_import_leaves_every_reference_intact(store: ml.Store) -> None:
    """SQLite checks the import's references once (the import writes every parent row
    itself); afterwards foreign keys are enforced again on the pooled connection."""
    rows = [(f"p{i}", tp, d, i % 4) for i in range(30)
            for tp, d in (("baseline", "2025-01-06"), ("exit", "2025-03-03"))]
    store.import_frame(PHQ9, frame(rows, service="talk"), chunksize=7)
    store.import_frame(PHQ9, frame([("", "exit", "2025-02-01", 1)] * 3), anonymous=True)
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        orphans = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM administrations a LEFT JOIN respondents r "
            "ON r.respondent_id = a.respondent_id WHERE a.respondent_id IS NOT NULL "
            "AND r.respondent_id IS NULL").scalar()
        assert orphans == 0
        assert conn.exec_driver_sql(
            "SELECT COUNT(*) FROM administrations a LEFT JOIN scoring_runs r "
            "ON r.pk = a.run_pk WHERE a.run_pk IS NOT NULL AND r.pk IS NULL").scalar() == 0
        assert conn.exec_driver_sql(  # every scored form names its scoring run
            "SELECT COUNT(*) FROM administrations WHERE scores IS NOT NULL "
            "AND run_pk IS NULL").scalar() == 0
    assert store.counts()["episodes"] == 30 and store.counts()["administrations"] == 63
    if store.dialect == "sqlite":
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError), store.transaction() as conn:
            conn.exec_driver_sql("INSERT INTO episodes (respondent_id, episode) "
                                 "VALUES ('nobody', '1')")


def _answers() -> object:
    from hypothesis import strategies as st

    small = st.one_of(st.none(), st.integers(0, 9))
    any_value = st.one_of(small, st.integers(-10**6, 10**6), st.floats(-1e6, 1e6).filter(
        lambda v: v == v), st.text(max_size=5))
    return st.lists(st.lists(st.one_of(small, any_value), min_size=3, max_size=3),
                    min_size=1, max_size=6)


@pytest.mark.parametrize("kind", ["digits", "mixed"])
def test_stored_answers_read_back_as_written(kind: str) -> None:
    """Answers encoded for the store (digits or JSON arrays) decode to the same values."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from measurelib.outcomes.store._frames import decode_responses, encode_responses

    small_rows = st.lists(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=3,
                                   max_size=3), min_size=1, max_size=6)

    @settings(max_examples=200, deadline=None)
    @given(small_rows if kind == "digits" else _answers())
    def check(rows: list[list[object]]) -> None:
        cols = ["a", "b", "c"]
        df = pd.DataFrame(rows, columns=cols)
        for c in cols:  # numeric columns as the validator gives them; text stays text
            num = pd.to_numeric(df[c], errors="coerce")
            if num.notna().sum() == df[c].notna().sum():
                df[c] = num
        texts = encode_responses(df, [*cols, "absent"])
        if kind == "digits":
            assert all(len(t) == 4 and not t.startswith("[") for t in texts)
        back = [json.loads(t) for t in decode_responses(texts, [[*cols, "absent"]] * len(df))]
        for got, (_, row) in zip(back, df.iterrows()):
            assert got["absent"] is None
            for c in cols:
                v = row[c]
                if v is None or (isinstance(v, float) and v != v):
                    assert got[c] is None
                elif isinstance(v, str):
                    assert got[c] == v
                else:
                    assert float(got[c]) == float(v)

    check()


def test_score_positions_are_per_scoring_run(store: ml.Store) -> None:
    """Scores are JSON arrays named by their run's ``score_ids`` (migration 0011): a score
    at another position in another run is read from there, in SQL and in Python alike."""
    from measurelib.outcomes.store._queries import person_scores

    store.import_frame(PHQ9, frame(ROWS[:2]))
    with store.transaction() as conn:
        assert conn.exec_driver_sql("SELECT score_ids FROM scoring_runs").scalar() == \
            '["total"]'
        conn.exec_driver_sql(
            "INSERT INTO scoring_runs (measure_pk, rules, rules_sha256, engine_version, "
            "score_ids) VALUES (1, '[]', 'other', 'other', '[\"extra\", \"total\"]')")
        run = conn.exec_driver_sql("SELECT MAX(pk) FROM scoring_runs").scalar()
        conn.exec_driver_sql(f"UPDATE administrations SET scores = '[1, 20]', run_pk = {run}, "
                             "bands = NULL WHERE timepoint = 'exit'")
    assert store.scores("phq-9", "total")["value"].tolist() == [18.0, 20.0]
    assert store.scores("phq-9", "extra")["value"].tolist() == [1.0]
    assert [v for _d, v in person_scores(store, "phq-9", "total", "p1")] == [18.0, 20.0]
    assert [v for _d, v in person_scores(store, "phq-9", "extra", "p1")] == [1.0]
    assert store.counts()["scores"] == 3
    assert ml.change(store, PHQ9).people["change"].tolist() == [2.0]


def test_key_stored_between_lookup_and_copy_rolls_back(store: ml.Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL copies new forms with keys reserved after one look-up of the stored ones;
    should another writer store one of their natural keys in between (one that does not
    take the measure's lock), the natural-key index refuses the ``COPY`` and the whole
    import rolls back."""
    if store.dialect != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    import psycopg.errors

    from measurelib.outcomes.store import _bulk

    store.import_frame(PHQ9, frame(ROWS[:1]))
    before = store.counts()
    real = _bulk.copy_rows

    def writer_in_between(conn: object, name: str, columns: list[str], rows: object) -> None:
        if name == "administrations":
            with store.engine.begin() as other:  # committed before the COPY runs
                other.exec_driver_sql(
                    "INSERT INTO administrations (measure_pk, measure_series, respondent_id, "
                    "episode, date, timepoint, retrospective, responses) VALUES "
                    "(1, 1, 'p1', '1', '2025-02-01', 'review', false, '111111111.')")
        real(conn, name, columns, rows)

    monkeypatch.setattr(_bulk, "copy_rows", writer_in_between)
    with pytest.raises(psycopg.errors.UniqueViolation, match="ux_administrations_natural_key"):
        store.import_frame(PHQ9, frame([("p1", "review", "2025-02-01", 1),
                                        ("p8", "baseline", "2025-01-06", 2)]))
    after = store.counts()
    assert after["administrations"] == before["administrations"] + 1  # the other writer's
    assert {k: v for k, v in after.items() if k not in ("administrations", "scores")} == {
        k: v for k, v in before.items() if k not in ("administrations", "scores")}
    assert "p8" not in set(store.table("respondents")["respondent_id"])


def test_text_longer_than_its_column_is_a_located_problem(store: ml.Store) -> None:
    """Every free-text column is held to the store's own limits on both databases (before,
    PostgreSQL refused a long episode with an internal error and SQLite kept it)."""
    bad = frame(ROWS, site="North")
    bad["episode"] = ["1", "e" * 65, "1", "1"]
    bad.loc[2, "site"] = "s" * 129
    bad.loc[3, "worker"] = "w" * 5000
    error = refused(store, bad)
    text = str(error)
    assert "row 3, column 'episode'" in text and "longer than the 64 characters" in text
    assert "row 4, column 'site'" in text and "longer than the 128 characters" in text
    assert "row 5, column 'worker'" in text
    res = store.import_frame(PHQ9, bad, reject_bad_rows=True)
    assert (res.n_inserted, res.n_rejected) == (1, 3)
    assert set(res.rejected["code"]) == {"value-too-long"}
    ok = frame(ROWS, site="s" * 128)  # at the limit: kept whole
    ok["episode"] = "e" * 64
    assert store.import_frame(PHQ9, ok).n_inserted == 4
    assert set(store.administrations("phq-9")["site"].dropna()) >= {"s" * 128}


def test_hidden_characters_in_labels_and_ids_are_located_problems(store: ml.Store) -> None:
    """A zero-width space makes "North" two sites in every report, a direction override
    shows an id reversed: both are refused where data comes in, on both databases; the
    zero-width (non-)joiners that Persian and Indic words need stay allowed in labels."""
    bad = frame(ROWS, site="North")
    bad.loc[0, "site"] = "North\u200b"
    bad.loc[1, "worker"] = "Sam\u202eX"
    bad.loc[2, "timepoint"] = "baseline\ufeff"
    bad.loc[3, "respondent_id"] = "p\u200d9"
    error = refused(store, bad)
    codes = {(d.location.row, d.location.field, d.code) for d in error.errors}
    assert codes >= {(2, "site", "hidden-character"), (3, "worker", "hidden-character"),
                     (5, "respondent_id", "invalid-respondent-id")}
    assert any(d.location.row == 4 and d.location.field == "timepoint"
               for d in error.errors)
    ok = frame(ROWS, site="\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")  # a ZWNJ in a word
    assert store.import_frame(PHQ9, ok).n_inserted == 4
