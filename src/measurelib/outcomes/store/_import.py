"""Imports in chunks: validate, score and store rows chunk by chunk in ONE transaction.

Memory is bounded by the chunk size, not the file: each chunk is validated, scored, staged
in a temporary table and moved into ``administrations`` and ``scores`` with set-wise SQL.
Nothing is committed until the last chunk is in, so an import is all or nothing; with
``reject_bad_rows=False`` the first bad row stops the writing, the remaining chunks are
still checked (so that every problem is listed) and the transaction is rolled back.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from measurelib._version import __version__
from measurelib.definition import Measure
from measurelib.errors import DataError

CHUNKSIZE = 100_000
"""Rows per chunk of an import (the memory bound: about 1 KB per row of a 10-item measure)."""


def prepare(measure: Measure, df: Any, *, anonymous: bool,
            defaults: Mapping[str, Any] | None,
            timepoints: Any = None) -> tuple[Any, Any, Any, Any, Any]:
    """Check and score one chunk (index 0..n-1).

    Returns ``(meta, key, responses, scored, problems)``; ``problems`` has the positional
    ``index``, ``column``, ``code`` and ``message`` of every bad cell, including rows that
    repeat an earlier row's natural key in the same chunk.
    """
    import pandas as pd

    from measurelib.outcomes.store._frames import check_metadata
    from measurelib.outcomes.store._scoring import score_frame

    if defaults:
        df = df.copy()
        for k, v in defaults.items():
            if v is None:
                continue
            if k not in df.columns:
                df[k] = v
            else:
                df[k] = df[k].where(df[k].notna(), v)
    meta, problems = check_metadata(df, anonymous=anonymous, today=_dt.date.today(),
                                    timepoints=timepoints)
    scored, score_problems, responses = score_frame(measure, df)
    problems = pd.concat([problems, score_problems], ignore_index=True)
    if anonymous:
        row_hash = pd.util.hash_pandas_object(
            pd.concat([responses.astype("string"), meta.astype("string")], axis=1),
            index=False).astype("string")
        key = measure.id + "|anon|" + row_hash
    else:
        date_text = meta["date"].dt.strftime("%Y-%m-%d")
        key = (measure.id + "|" + meta["respondent_id"].fillna("") + "|"
               + meta["episode"].fillna("") + "|" + meta["timepoint"].fillna("") + "|"
               + date_text.fillna(""))
    return meta, key, responses, scored, problems


class ChunkedImport:
    """One import, fed chunk by chunk (:meth:`add`), ended by :meth:`finish`."""

    def __init__(self, store: Any, measure: Measure, *, source: str | None,
                 file_sha256: str | None, reject_bad_rows: bool, anonymous: bool,
                 defaults: Mapping[str, Any] | None) -> None:
        self.store, self.measure = store, measure
        self.source, self.file_sha256 = source, file_sha256
        self.reject_bad_rows, self.anonymous, self.defaults = reject_bad_rows, anonymous, defaults
        # one declared list of timepoints: the stored schedules', else the measure's own
        from measurelib.outcomes._schedule import allowed_timepoints

        self.timepoints = allowed_timepoints(measure, store)
        self.conn: Any = None
        self.trans: Any = None
        self.import_pk: int | None = None
        self.measure_pk = 0
        self.run_pk: int | None = None
        self.allowed: dict[str, list[str]] = {}
        self.n_rows = self.n_inserted = self.n_already = self.n_rejected = 0
        self.offset = 0  # global position of the next row: the stage's idx
        self.rejected: list[Any] = []
        self.anon_seen: dict[str, int] = {}  # anonymous forms: occurrences of each answer set
        self.failed = False
        self.columns = measure.response_columns()

    # ------------------------------------------------------------------ transaction
    def _begin(self) -> None:
        from measurelib.outcomes.store._store import _now
        from measurelib.outcomes.store._tables import imports

        self.conn = self.store.engine.connect()
        self.trans = self.conn.begin()
        if self.conn.dialect.name == "postgresql":
            # writers of one measure take turns (SQLite's write lock does the same): rows keep
            # the file's order and no two transactions wait for each other's keys in a cycle
            lock = int.from_bytes(hashlib.sha256(self.measure.id.encode()).digest()[:8], "big",
                                  signed=True)
            self.conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock})")
        self.measure_pk = self.store.add_measure(self.measure, self.conn)
        res = self.conn.execute(imports.insert().values(
            measure_pk=self.measure_pk, source=self.source, file_sha256=self.file_sha256,
            started_at=_now(), finished_at=None, n_rows=0, n_inserted=0, n_already_stored=0,
            n_rejected=0, engine_version=__version__))
        self.import_pk = int(res.inserted_primary_key[0])
        self.allowed = self.store._equity_by_service(self.conn)

    def _end(self, commit: bool) -> None:
        if self.conn is None:
            return
        try:
            if commit:
                self.trans.commit()
            else:
                self.trans.rollback()
        finally:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------------ chunks
    def add(self, df: Any, rows: Any) -> None:
        """Check, score and (unless an earlier row failed) store one chunk.

        ``df`` has index 0..n-1; ``rows`` gives each row's number for messages.
        """
        import numpy as np
        import pandas as pd

        n = len(df)
        if not n:
            return
        self.n_rows += n
        meta, key, responses, scored, problems = prepare(
            self.measure, df, anonymous=self.anonymous, defaults=self.defaults,
            timepoints=self.timepoints)
        if self.anonymous:  # the k-th identical anonymous form of the file is its own form
            occ = key.groupby(key).cumcount().to_numpy()
            before = np.array([self.anon_seen.get(k, 0) for k in key.tolist()])
            for k, c in key.value_counts().items():
                self.anon_seen[k] = self.anon_seen.get(k, 0) + int(c)
            key = key + "|" + pd.Series(occ + before, index=key.index).astype("string")
        bad = np.zeros(n, dtype=bool)
        bad[problems["index"].to_numpy(dtype=int)] = True
        dup = key.duplicated(keep="first").to_numpy() & ~bad
        if dup.any():
            problems = pd.concat([problems, _dup_problems(np.flatnonzero(dup))],
                                 ignore_index=True)
            bad |= dup
        good = ~bad
        if good.any() and not (self.failed and not self.reject_bad_rows):
            if self.conn is None:
                self._begin()
            later = self._store(meta[good], key[good], responses[good],
                                scored[scored["index"].isin(np.flatnonzero(good))])
            if len(later):  # the same form on an earlier chunk of this import
                problems = pd.concat([problems, _dup_problems(later)], ignore_index=True)
                bad[later] = True
        self.offset += n
        if len(problems):
            problems = problems.sort_values("index", kind="stable")
            pos = problems["index"].to_numpy(dtype=int)
            self.rejected.append(pd.DataFrame({
                "row": np.asarray(rows)[pos].astype(int),
                "column": problems["column"].astype(str).to_numpy(),
                "code": problems["code"].astype(str).to_numpy(),
                "message": problems["message"].astype(str).to_numpy()}))
            self.n_rejected += int(bad.sum())
            if not self.reject_bad_rows:
                self.failed = True

    def _store(self, meta: Any, key: Any, responses: Any, scored: Any) -> Any:
        """Insert the good rows of a chunk; returns positions that repeat earlier chunks."""
        import numpy as np
        import pandas as pd

        from measurelib.outcomes.store._bulk import bulk_insert, insert_ignore
        from measurelib.outcomes.store._frames import encode_responses
        from measurelib.outcomes.store._store import _now
        from measurelib.outcomes.store._tables import (
            EQUITY_FIELDS,
            episodes,
            key_hash,
            respondents,
        )
        from measurelib.outcomes.store._tables import scores as scores_table

        conn = self.conn
        now = _now()
        rids = meta["respondent_id"].dropna().unique()
        if len(rids):
            insert_ignore(conn, respondents, pd.DataFrame(
                {"respondent_id": rids, "added_at": now.isoformat(sep=" ")}), ["respondent_id"])
            ep = meta.dropna(subset=["respondent_id"]).groupby(
                ["respondent_id", "episode"], sort=False).agg(
                service=("service", "first"), start_date=("date", "min")).reset_index()
            ep["start_date"] = ep["start_date"].dt.strftime("%Y-%m-%d")
            ep["end_date"] = None
            insert_ignore(conn, episodes, ep, ["respondent_id", "episode"])
        equity = {}
        for col in EQUITY_FIELDS:  # only for services configured to collect them
            keep = meta["service"].isin([s for s, f in self.allowed.items() if col in f])
            equity[col] = meta[col].where(keep)
        admin = pd.DataFrame({
            "key_hash": [key_hash(k) for k in key.tolist()], "measure_pk": self.measure_pk,
            "respondent_id": meta["respondent_id"].to_numpy(),
            "episode": meta["episode"].to_numpy(),
            "date": meta["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "timepoint": meta["timepoint"].to_numpy(),
            "mode": meta["mode"].to_numpy(),
            "respondent_type": meta["respondent_type"].to_numpy(),
            "site": meta["site"].to_numpy(), "service": meta["service"].to_numpy(),
            "worker": meta["worker"].to_numpy(),
            "retrospective": meta["retrospective"].to_numpy(dtype=bool),
            "simulated": meta["simulated"].to_numpy(dtype=bool),
            "responses": encode_responses(responses, self.columns),
            "import_pk": self.import_pk, "anonymous": self.anonymous,
            **{c: equity[c].to_numpy() for c in EQUITY_FIELDS},
            "idx": self.offset + meta.index.to_numpy(),
        })
        later, inserted = self._insert_administrations(conn, admin)
        self.n_inserted += len(inserted)
        self.n_already += len(admin) - len(later) - len(inserted)
        if len(scored) and len(inserted):
            if self.run_pk is None:
                self.run_pk = self.store._scoring_run(conn, self.measure, self.measure_pk)
            # the keys the database gave, found by natural key; rows already stored (by an
            # earlier import or a concurrent writer) keep their scores
            pk_of = pd.Series(inserted["pk"].to_numpy(), index=inserted["key_hash"].to_numpy())
            hashes = admin["key_hash"].set_axis(meta.index)
            adm_pk = hashes.loc[scored["index"].to_numpy()].map(pk_of)
            keep = adm_pk.notna().to_numpy()
            frame = pd.DataFrame({
                "administration_pk": adm_pk.to_numpy()[keep].astype(np.int64),
                "score_id": scored["score_id"].to_numpy()[keep],
                "value": scored["value"].to_numpy(dtype=float)[keep],
                "band": scored["band"].to_numpy()[keep],
                "run_pk": self.run_pk,
            })
            bulk_insert(conn, scores_table, frame)
        return later

    def _insert_administrations(self, conn: Any, admin: Any) -> tuple[Any, Any]:
        """Insert-if-absent in the file's order; returns (positions repeating earlier chunks
        of this import, a frame of the ``pk`` and ``key_hash`` of the rows inserted).
        """
        import numpy as np
        import pandas as pd

        from measurelib.outcomes.store._bulk import bulk_insert_ignore, stage, unstage
        from measurelib.outcomes.store._tables import administrations

        cols = [c for c in admin.columns if c != "idx"]
        names = ", ".join(cols)
        if conn.dialect.name == "postgresql":
            stage(conn, administrations, admin, "_stage_adm", {"idx": "INTEGER"})
            later = np.array([], dtype=int)
            if self.n_inserted:  # rows of this import from earlier chunks: a repeated form
                found = conn.exec_driver_sql(
                    "SELECT s.idx FROM _stage_adm s JOIN administrations a ON a.key_hash = "
                    f"s.key_hash WHERE a.import_pk = {self.import_pk}").scalars().all()
                if found:
                    later = np.sort(np.asarray(found, dtype=int)) - self.offset
                    conn.exec_driver_sql("DELETE FROM _stage_adm WHERE idx IN "
                                         f"({', '.join(str(int(i)) for i in found)})")
            res = conn.exec_driver_sql(
                f"INSERT INTO administrations ({names}) SELECT {names} FROM _stage_adm "
                "ORDER BY idx ON CONFLICT (key_hash) DO NOTHING RETURNING pk, key_hash")
            inserted = pd.DataFrame([tuple(r) for r in res.fetchall()],
                                    columns=["pk", "key_hash"])
            inserted["key_hash"] = inserted["key_hash"].map(bytes)
            unstage(conn, "_stage_adm")
            return later, inserted
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so the rows given
        # keys after the largest key so far are this chunk's, in the order inserted
        before = int(conn.exec_driver_sql("SELECT COALESCE(MAX(pk), 0) FROM administrations")
                     .scalar())
        later = np.array([], dtype=int)
        if self.n_inserted:
            hashes = admin["key_hash"].tolist()
            seen: set[bytes] = set()
            for i in range(0, len(hashes), 30_000):
                part = hashes[i:i + 30_000]
                seen.update(conn.exec_driver_sql(
                    "SELECT key_hash FROM administrations WHERE import_pk = ? AND key_hash IN "
                    f"({', '.join('?' * len(part))})", (self.import_pk, *part)).scalars())
            if seen:
                repeat = admin["key_hash"].isin(seen).to_numpy()
                later = admin["idx"].to_numpy()[repeat] - self.offset
                admin = admin[~repeat]
        bulk_insert_ignore(conn, administrations, admin[cols], ["key_hash"])
        cur = conn.connection.driver_connection.cursor()
        cur.execute("SELECT pk, key_hash FROM administrations WHERE pk > ? ORDER BY pk",
                    (before,))
        inserted = pd.DataFrame(cur.fetchall(), columns=["pk", "key_hash"])
        cur.close()
        return later, inserted

    # ------------------------------------------------------------------ end
    def finish(self) -> Any:
        """Commit (or, after a bad row without ``reject_bad_rows``, roll back and raise)."""
        import pandas as pd

        from measurelib.outcomes.store._store import ImportResult, _diagnostics, _now
        from measurelib.outcomes.store._tables import imports

        rejected = (pd.concat(self.rejected, ignore_index=True) if self.rejected else
                    pd.DataFrame({"row": pd.Series(dtype=int), "column": pd.Series(dtype=str),
                                  "code": pd.Series(dtype=str),
                                  "message": pd.Series(dtype=str)}))
        if self.failed and not self.reject_bad_rows:
            self._end(commit=False)
            raise DataError(_diagnostics(rejected, self.source), title=(
                f"{self.source or 'data'}: {self.n_rejected} of {self.n_rows} row(s) have "
                "problems; nothing was stored (fix them, or import with --reject-bad-rows to "
                "store the others)"))
        if self.conn is None:
            self._begin()  # an import with no good rows is still recorded
        self.conn.execute(imports.update().where(imports.c.pk == self.import_pk).values(
            n_rows=self.n_rows, n_inserted=self.n_inserted, n_already_stored=self.n_already,
            n_rejected=self.n_rejected, finished_at=_now()))
        import_pk = self.import_pk
        self._end(commit=True)
        return ImportResult(measure_id=self.measure.id, measure_version=self.measure.version,
                            source=self.source, file_sha256=self.file_sha256,
                            import_pk=import_pk, n_rows=self.n_rows,
                            n_inserted=self.n_inserted, n_already_stored=self.n_already,
                            n_rejected=self.n_rejected, rejected=rejected)

    def abort(self) -> None:
        self._end(commit=False)


def run_import(store: Any, measure: Measure, chunks: Iterable[tuple[Any, Any]],
               **options: Any) -> Any:
    """Feed ``(frame, row numbers)`` chunks to one :class:`ChunkedImport` and finish it."""
    job = ChunkedImport(store, measure, **options)
    try:
        for frame, rows in chunks:
            job.add(frame, rows)
        return job.finish()
    except BaseException:
        job.abort()
        raise


def _dup_problems(positions: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"index": positions, "column": "respondent_id",
                         "code": "store-duplicate-row",
                         "message": "the same respondent, episode, timepoint and date appear "
                                    "on an earlier row"})
