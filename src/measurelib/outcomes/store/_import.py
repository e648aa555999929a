"""Imports in chunks: validate, score and store rows chunk by chunk in ONE transaction.

Memory is bounded by the chunk size, not the file: each chunk is validated, scored and
written into ``administrations`` (answers, scores and band numbers in the row) with one
``executemany`` (SQLite) or ``COPY`` (PostgreSQL).
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

CHUNKSIZE = 50_000
"""Rows per chunk of an import: the memory bound (an import of a 10-item measure peaks at
about 360 MB at 10^6 rows and stays there; 100,000-row chunks peaked near 480 MB and were
no faster)."""


def prepare(measure: Measure, df: Any, *, anonymous: bool,
            defaults: Mapping[str, Any] | None,
            timepoints: Any = None,
            alerts_out: list[Any] | None = None) -> tuple[Any, Any, Any, Any, Any]:
    """Check and score one chunk (index 0..n-1).

    Returns ``(meta, key, responses, scored, problems)``; ``problems`` has the positional
    ``index``, ``column``, ``code`` and ``message`` of every bad cell, including rows that
    repeat an earlier row's natural key in the same chunk.
    """
    import pandas as pd

    from measurelib.outcomes.store._frames import check_metadata
    from measurelib.outcomes.store._records import _with_defaults
    from measurelib.outcomes.store._scoring import score_frame

    if defaults:
        df = _with_defaults(df, defaults)
    meta, problems = check_metadata(df, anonymous=anonymous, today=_dt.date.today(),
                                    timepoints=timepoints)
    scored, score_problems, responses = score_frame(measure, df, alerts_out)
    if len(problems) and len(score_problems):
        # a cell the scoring's checks also flagged (a respondent id) is told once, in
        # their words, which quote the value
        said = pd.MultiIndex.from_frame(score_problems[["index", "column", "code"]])
        again = pd.MultiIndex.from_frame(problems[["index", "column", "code"]]).isin(said)
        problems = problems[~again]
    problems = pd.concat([problems, score_problems], ignore_index=True)
    if anonymous:
        row_hash = pd.util.hash_pandas_object(
            pd.concat([responses.astype("string"), meta.astype("string")], axis=1),
            index=False).astype("string")
        key = measure.id + "|anon|" + row_hash
    else:
        from measurelib.outcomes.store._bulk import pylist

        mid = measure.id
        parts = [pylist(meta[c].fillna("")) for c in ("respondent_id", "episode", "timepoint")]
        dates = pylist(meta["date"].dt.strftime("%Y-%m-%d").fillna(""))
        key = pd.Series([f"{mid}|{r}|{e}|{t}|{d}" for r, e, t, d in zip(*parts, dates)],
                        index=meta.index, dtype=object)
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
        self.series = 0  # the measure id's number (migration 0010)
        self.run_pk: int | None = None
        self.bands: list[list[Any]] = []  # the run's band labels
        self.score_ids: list[str] = []  # the positions of the run's score arrays
        self.allowed: dict[str, list[str]] = {}
        self.n_rows = self.n_inserted = self.n_already = self.n_rejected = 0
        self.offset = 0  # global position of the next row: the stage's idx
        self.rejected: list[Any] = []
        self.anon_seen: dict[str, int] = {}  # anonymous forms: occurrences of each answer set
        self.failed = False
        self.columns = measure.response_columns()
        #: for one form (``Store.add_submission``): the scoring tables of each chunk (their
        #: ``alerts``), kept when this is a list, and the key the database gave each row
        #: of the last chunk stored (-1: not inserted)
        self.alert_tables: list[Any] | None = None
        self.last_keys: Any = None

    # ------------------------------------------------------------------ transaction
    def _begin(self) -> None:
        from measurelib.outcomes.store._store import _measure_series, _now
        from measurelib.outcomes.store._tables import imports

        self.conn = self.store.engine.connect()
        if self.conn.dialect.name == "sqlite":
            # the import writes every parent row its rows refer to (measure, import,
            # respondents, scoring run) in this same transaction, which holds the write
            # lock: checking each reference again, row by row, only costs time. Switched
            # back on when the connection is returned (``_end``).
            self.conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        self.trans = self.conn.begin()
        if self.conn.dialect.name == "postgresql":
            # writers of one measure take turns (SQLite's write lock does the same): rows keep
            # the file's order and no two transactions wait for each other's keys in a cycle
            lock = int.from_bytes(hashlib.sha256(self.measure.id.encode()).digest()[:8], "big",
                                  signed=True)
            self.conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock})")
        self.measure_pk = self.store.add_measure(self.measure, self.conn)
        self.series = _measure_series(self.conn, self.measure.id)
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
            if self.conn.dialect.name == "sqlite":
                self.conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
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
            timepoints=self.timepoints, alerts_out=self.alert_tables)
        if self.anonymous:  # the k-th identical anonymous form of the file is its own form
            occ = key.groupby(key).cumcount().to_numpy()
            before = np.array([self.anon_seen.get(k, 0) for k in key.tolist()])
            for k, c in key.value_counts().items():
                self.anon_seen[k] = self.anon_seen.get(k, 0) + int(c)
            key = key + "|" + pd.Series(occ + before, index=key.index).astype("string")
        bad, problems = mark_bad_rows(key, problems)
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
        """Insert the good rows of a chunk; returns positions that repeat earlier chunks.

        Rows are built as plain Python tuples straight from the columns (no per-row frame
        work) and written with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL).
        """
        conn = self.conn
        self._people(meta)
        # the scores go in the row (migration 0009), band labels once per scoring run
        if len(scored) and self.run_pk is None:
            from measurelib.outcomes.store._store import run_score_ids

            self.run_pk, self.bands = self.store._scoring_run(conn, self.measure,
                                                              self.measure_pk)
            self.score_ids = run_score_ids(conn, self.run_pk)
        known = len(self.score_ids)
        columns, rows, idents = administration_rows(
            meta, key, responses, scored, columns=self.columns, measure_pk=self.measure_pk,
            series=self.series, import_pk=self.import_pk, anonymous=self.anonymous,
            allowed=self.allowed, run_pk=self.run_pk, bands=self.bands,
            score_ids=self.score_ids)
        if len(self.score_ids) > known:  # positions named once per run (migration 0011)
            from measurelib.outcomes.store._store import run_score_ids

            run_score_ids(conn, self.run_pk, self.score_ids)
        n = len(rows)
        # rows already stored (by an earlier import or a concurrent writer) keep theirs
        pk_at, later = self._insert_administrations(conn, columns, rows, idents)
        self.last_keys = pk_at
        self.n_inserted += int((pk_at >= 0).sum())
        self.n_already += n - len(later) - int((pk_at >= 0).sum())
        return meta.index.to_numpy()[later]

    def _people(self, meta: Any) -> None:
        """Respondents and episodes of care first seen in this chunk (insert-if-absent)."""
        from measurelib.outcomes.store._bulk import insert_rows_ignore, pylist
        from measurelib.outcomes.store._store import _epoch

        named = meta.dropna(subset=["respondent_id"])
        if not len(named):
            return
        now = _epoch()
        rids = pylist(named["respondent_id"].drop_duplicates())
        insert_rows_ignore(self.conn, "respondents", ["respondent_id", "added_at"],
                           [(r, now) for r in rids], ["respondent_id"], ["text", "bigint"])
        insert_rows_ignore(
            self.conn, "episodes", ["respondent_id", "episode", "service", "start_date"],
            episode_rows(named), ["respondent_id", "episode"], ["text", "text", "text", "date"])

    def _insert_administrations(self, conn: Any, columns: list[str], rows: list[Any],
                                idents: list[Any]) -> tuple[Any, Any]:
        """Insert-if-absent in the file's order.

        ``idents`` are the rows' natural keys as Python values: ``(respondent, episode,
        timepoint, date text)``, or the ``key_hash`` digest of a form without a person.
        Returns ``(pk_at, later)``: the key the database gave each row (-1 where the row was
        not inserted) and the positions whose natural key an earlier chunk of this import
        already stored (a repeated form, reported as a duplicate row).
        """
        import numpy as np

        n = len(rows)
        pk_at = np.full(n, -1, dtype=np.int64)
        if conn.dialect.name == "postgresql":
            return self._insert_pg(conn, columns, rows, idents)
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so the rows
        # given keys after the largest key so far are this chunk's, in the order inserted
        raw = conn.connection.driver_connection
        before = int(raw.execute("SELECT COALESCE(MAX(pk), 0) FROM administrations")
                     .fetchone()[0])
        cur = raw.cursor()
        try:  # no conflict target: either unique index (natural key, digest) refuses a row
            cur.executemany(
                f"INSERT INTO administrations ({', '.join(columns)}) VALUES "
                f"({', '.join('?' for _ in columns)}) ON CONFLICT DO NOTHING", rows)
            inserted = int(cur.rowcount)
        finally:
            cur.close()
        if inserted == n:  # nothing was stored already: keys in order, no read-back
            pk_at[:] = np.arange(before + 1, before + 1 + n)
            return pk_at, np.array([], dtype=int)
        got = {_ident(r[1:]): int(r[0]) for r in raw.execute(
            f"SELECT pk, {_IDENT_COLUMNS} FROM administrations WHERE pk > ?", (before,))}
        pk_at[:] = [got.get(k, -1) for k in idents]
        missing = [k for k, p in zip(idents, pk_at.tolist()) if p < 0]
        if not missing or not self.n_inserted:
            return pk_at, np.array([], dtype=int)
        # rows not inserted: stored before (already stored) or by an earlier chunk of
        # this import (the same form twice in one file)
        ours: set[Any] = set()
        if self.anonymous:
            where, args = "key_hash IN", missing
        else:
            where, args = "respondent_id IN", sorted({k[0] for k in missing})
        for i in range(0, len(args), 30_000):
            part = args[i:i + 30_000]
            ours.update(_ident(r) for r in raw.execute(
                f"SELECT {_IDENT_COLUMNS} FROM administrations WHERE import_pk = ? AND "
                f"measure_series = ? AND {where} ({', '.join('?' for _ in part)})",
                [self.import_pk, self.series, *part]))
        return pk_at, np.flatnonzero([k in ours for k in idents])

    def _insert_pg(self, conn: Any, columns: list[str], rows: list[Any],
                   idents: list[Any]) -> tuple[Any, Any]:
        """PostgreSQL: ``COPY`` of the new rows straight into ``administrations``.

        The transaction holds this measure's advisory lock, and a natural key names its
        measure, so no other writer can store one of these keys until we commit: the rows
        already stored are found with one indexed look-up, the others get keys reserved
        from the table's identity sequence and are copied in with them (no temporary
        table, no row-by-row conflict handling). Should a key be stored all the same, a
        unique index refuses it and the whole import rolls back.
        """
        import numpy as np

        from measurelib.outcomes.store._bulk import copy_rows

        raw = conn.connection.driver_connection
        n = len(rows)
        pk_at = np.full(n, -1, dtype=np.int64)
        with raw.cursor() as cur:
            if self.anonymous:
                cur.execute(f"SELECT {_IDENT_COLUMNS}, import_pk FROM administrations "
                            "WHERE key_hash = ANY(%s)", (idents,))
            else:  # the natural-key index, probed once per row of the chunk
                cur.execute(
                    f"SELECT {_IDENT_COLUMNS}, import_pk FROM unnest(%s::text[], %s::text[], "
                    "%s::text[], %s::date[]) AS k(r, e, t, d) JOIN administrations "
                    "ON respondent_id = k.r AND episode = k.e AND measure_series = %s "
                    "AND timepoint = k.t AND date = k.d",
                    [*map(list, zip(*idents)), self.series])
            stored = {_ident(r[:-1]): r[-1] for r in cur.fetchall()}
            new = [i for i, k in enumerate(idents) if k not in stored] if stored else range(n)
            cur.execute("SELECT nextval(pg_get_serial_sequence('administrations', 'pk')) "
                        "FROM generate_series(1, %s)", (len(new),))
            keys = [int(r[0]) for r in cur.fetchall()]
        if stored:
            pk_at[np.asarray(new, dtype=np.int64)] = keys
            copy_rows(conn, "administrations", ["pk", *columns],
                      ((pk, *rows[i]) for pk, i in zip(keys, new)))
        else:
            pk_at[:] = keys
            copy_rows(conn, "administrations", ["pk", *columns],
                      ((pk, *row) for pk, row in zip(keys, rows)))
        ours = [i for i, k in enumerate(idents) if stored.get(k, -1) == self.import_pk]
        return pk_at, np.asarray(ours, dtype=int)

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


def mark_bad_rows(key: Any, problems: Any) -> tuple[Any, Any]:
    """The bad rows of one chunk: those with a problem, and those repeating an earlier row's
    natural key in the chunk (a ``store-duplicate-row`` problem is added for each).

    Returns ``(bad, problems)``: a boolean array over the chunk's positions and the
    problems with the repeats added.
    """
    import numpy as np
    import pandas as pd

    bad = np.zeros(len(key), dtype=bool)
    bad[problems["index"].to_numpy(dtype=int)] = True
    dup = key.duplicated(keep="first").to_numpy() & ~bad
    if dup.any():
        problems = pd.concat([problems, _dup_problems(np.flatnonzero(dup))], ignore_index=True)
        bad |= dup
    return bad, problems


def administration_rows(meta: Any, key: Any, responses: Any, scored: Any, *,
                        columns: list[str], measure_pk: int, series: int,
                        import_pk: int | None, anonymous: bool,
                        allowed: Mapping[str, list[str]], run_pk: int | None,
                        bands: list[list[Any]], score_ids: list[str] | None,
                        ) -> tuple[list[str], list[tuple[Any, ...]], list[Any]]:
    """The ``administrations`` rows of a chunk's good rows, as plain Python tuples.

    Built straight from the columns (no per-row frame work). ``columns`` are the measure's
    response columns, ``series`` the measure id's number, ``allowed`` the equity fields
    each service collects, ``run_pk`` and ``bands`` the scoring run and its band labels,
    ``score_ids`` the positions of the run's score arrays (extended in place by
    :func:`encode_scores`). Returns ``(names, rows, idents)``: ``idents`` are the rows'
    natural keys as Python values, ``(respondent, episode, timepoint, date text)`` for a
    form with a person (the unique index on those columns, migration 0010), the
    ``key_hash`` digest of a form without one.
    """
    from measurelib.outcomes.store._bulk import pylist
    from measurelib.outcomes.store._frames import encode_responses
    from measurelib.outcomes.store._scoring import encode_scores
    from measurelib.outcomes.store._tables import EQUITY_FIELDS

    n = len(meta)
    dates = pylist(meta["date"].dt.strftime("%Y-%m-%d"))
    idents: list[Any]
    if anonymous:
        h = hashlib.sha256
        hashes: list[Any] = [h(k.encode("utf-8")).digest()[:16] for k in key.tolist()]
        idents = hashes
    else:
        hashes = [None] * n
        idents = list(zip(*[pylist(meta[c]) for c in ("respondent_id", "episode",
                                                      "timepoint")], dates))
    services = meta["service"]
    equity = []
    for col in EQUITY_FIELDS:  # only for services configured to collect them
        keep = services.isin([s for s, f in allowed.items() if col in f])
        equity.append(pylist(meta[col].where(keep)) if keep.any() else [None] * n)
    names = ["key_hash", "measure_pk", "measure_series", "respondent_id", "episode", "date",
             "timepoint", "mode", "respondent_type", "site", "service", "worker",
             "retrospective", "simulated", "responses", "import_pk", "anonymous",
             *EQUITY_FIELDS, "scores", "bands", "run_pk"]
    texts, band_numbers = encode_scores(scored, meta.index, bands, score_ids)
    runs = [run_pk if t is not None else None for t in texts]
    rows = list(zip(
        hashes, [measure_pk] * n, [series] * n,
        *[pylist(meta[c]) for c in ("respondent_id", "episode")], dates,
        *[pylist(meta[c]) for c in ("timepoint", "mode", "respondent_type", "site",
                                    "service", "worker")],
        meta["retrospective"].to_numpy(dtype=bool).tolist(),
        meta["simulated"].to_numpy(dtype=bool).tolist(),
        encode_responses(responses, columns), [import_pk] * n,
        [anonymous] * n, *equity, texts, band_numbers, runs))
    return names, rows, idents


def episode_rows(named: Any) -> list[tuple[Any, Any, Any, str | None]]:
    """One ``(respondent_id, episode, service, start date)`` per episode of a chunk's rows:
    the first service given and the earliest date (``named``: rows with a respondent).

    A chunk of a few rows (a form sent from the web) is grouped in plain Python, a large
    one by pandas; both give the same rows in the same order (first appearance).
    """
    from measurelib.outcomes.store._bulk import pylist

    if len(named) > 64:
        ep = named.groupby(["respondent_id", "episode"], sort=False).agg(
            service=("service", "first"), start_date=("date", "min")).reset_index()
        return list(zip(pylist(ep["respondent_id"]), pylist(ep["episode"]),
                        pylist(ep["service"]), pylist(ep["start_date"].dt.strftime("%Y-%m-%d"))))
    groups: dict[tuple[Any, Any], list[Any]] = {}
    for rid, ep, service, day in zip(pylist(named["respondent_id"]), pylist(named["episode"]),
                                     pylist(named["service"]), named["date"].tolist()):
        got = groups.setdefault((rid, ep), [None, None])
        if got[0] is None and service is not None:
            got[0] = service
        if day == day and day is not None and (got[1] is None or day < got[1]):  # not NaT
            got[1] = day
    return [(rid, ep, service, day.strftime("%Y-%m-%d") if day is not None else None)
            for (rid, ep), (service, day) in groups.items()]


def run_import(store: Any, measure: Measure, chunks: Iterable[tuple[Any, Any]],
               job: ChunkedImport | None = None, **options: Any) -> Any:
    """Feed ``(frame, row numbers)`` chunks to one :class:`ChunkedImport` (``job``, else a
    new one made with ``options``) and finish it.
    """
    job = job if job is not None else ChunkedImport(store, measure, **options)
    try:
        for frame, rows in chunks:
            job.add(frame, rows)
        return job.finish()
    except BaseException:
        job.abort()
        raise


_IDENT_COLUMNS = "key_hash, respondent_id, episode, timepoint, date"


def _ident(row: Any) -> Any:
    """A stored form's natural key as :meth:`ChunkedImport._store` gives it: the digest of a
    form without a person, else ``(respondent, episode, timepoint, date text)`` (row: the
    values of ``_IDENT_COLUMNS``).
    """
    digest, rid, episode, timepoint, day = row
    if digest is not None:
        return bytes(digest)
    return (rid, episode, timepoint, day if isinstance(day, str) else day.isoformat())


def _dup_problems(positions: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"index": positions, "column": "respondent_id",
                         "code": "store-duplicate-row",
                         "message": "the same respondent, episode, timepoint and date appear "
                                    "on an earlier row"})
