"""The outcomes store: administrations, responses and scores in SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from measurelib._results import Result
from measurelib._version import __version__
from measurelib.definition import Measure, dump_yaml, load, loads
from measurelib.errors import CODES, DataError, Diagnostic, Location

if TYPE_CHECKING:
    from measurelib.outcomes.store._records import (
        AddSubmissionResult,
        ErasureResult,
        RetentionResult,
    )

__all__ = ["ExportResult", "ImportResult", "Store", "mask_credentials", "measure_hash"]

DEFAULT_PATH = "measurelib.db"
_MIGRATION_LOCK = 7_283_514_926
"""PostgreSQL advisory lock key held while a store's tables are created or upgraded."""
BUSY_TIMEOUT_MS = 300_000
"""How long a SQLite writer waits for another writer's transaction to end (5 minutes)."""


def measure_hash(measure: Measure) -> str:
    """The lock hash of a built measure, else a SHA-256 of its canonical JSON definition."""
    if measure.lock is not None and measure.lock.sha256:
        return measure.lock.sha256
    text = json.dumps(measure.to_dict(), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rule_hash(rule: Any) -> str:
    text = json.dumps(rule.model_dump(mode="json", by_alias=True), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _insert_if_absent(conn: Any, table: Any, key: list[str]) -> Any:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=key)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=key)


def _measure_series(conn: Any, measure_id: str) -> int:
    """The number of a measure id (``measure_ids``), stored with each of its forms; given
    when the id is first stored (insert-if-absent: concurrent writers agree on it).
    """
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import measure_ids

    q = select(measure_ids.c.pk).where(measure_ids.c.measure_id == measure_id)
    pk = conn.execute(q).scalar()
    if pk is None:
        conn.execute(_insert_if_absent(conn, measure_ids, ["measure_id"])
                     .values(measure_id=measure_id))
        pk = conn.execute(q).scalar_one()
    return int(pk)


def run_score_ids(conn: Any, run_pk: Any, ids: list[str] | None = None) -> list[str]:
    """The score ids naming the positions of a scoring run's score arrays (migration 0011);
    with ``ids``, records them (a run only ever appends ids, so stored arrays keep their
    meaning).
    """
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import scoring_runs

    if ids is not None:
        conn.execute(scoring_runs.update().where(scoring_runs.c.pk == run_pk)
                     .values(score_ids=json.dumps(ids, ensure_ascii=False)))
        return ids
    text = conn.execute(select(scoring_runs.c.score_ids)
                        .where(scoring_runs.c.pk == run_pk)).scalar()
    return list(json.loads(text)) if text else []


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _epoch() -> int:
    """Now in whole seconds since 1970-01-01 UTC (``respondents.added_at``, migration 0010)."""
    import time

    return int(time.time())


def _require_store_extra() -> None:
    import importlib.util

    # Alembic is looked for, not imported: it is needed only to create or upgrade a store
    # (importing it costs about a third of a second at every command)
    try:
        import sqlalchemy  # noqa: F401
        found = importlib.util.find_spec("alembic") is not None
    except ImportError:  # pragma: no cover - depends on the installation
        found = False
    if not found:  # pragma: no cover - depends on the installation
        raise ImportError("the outcomes store needs SQLAlchemy and Alembic: "
                          "pip install 'measurelib[store]'")


def _head_revisions() -> set[str]:
    """The newest migration(s), read from the migration files without importing Alembic.

    A revision is a head when no other file names it as its ``down_revision``.
    """
    found: dict[str, str | None] = {}
    folder = Path(__file__).parent / "migrations" / "versions"
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r'^revision(?:: *str)? *= *"([^"]+)"', text, re.M)
        down = re.search(r'^down_revision(?:: *[^=]+)? *= *"([^"]+)"', text, re.M)
        if rev:
            found[rev.group(1)] = down.group(1) if down else None
    downs = {d for d in found.values() if d is not None}
    return {r for r in found if r not in downs}


def _current_revision(conn: Any) -> str | None:
    """The revision recorded in the store's ``alembic_version`` table (None if absent)."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\r\n]*:)[^@\r\n]*@")
_PASSWORD_PARAM = re.compile(r"(?i)(?P<head>\bpassword=)[^&\s'\"]*")


def mask_credentials(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    >>> mask_credentials("postgresql://ann:s3cret@db/outcomes")
    'postgresql://ann:***@db/outcomes'
    """
    text = _CREDENTIALS.sub(lambda m: m.group("head") + "***@", text)
    return _PASSWORD_PARAM.sub(lambda m: m.group("head") + "***", text)


def normalise_url(url: str | Path | None) -> str:
    """A SQLAlchemy URL from ``None`` (``measurelib.db``), a file path or a URL."""
    if url is None:
        url = DEFAULT_PATH
    text = str(url)
    if "://" in text:
        if text.startswith("postgresql://") or text.startswith("postgres://"):
            text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    if text == ":memory:":
        return "sqlite://"
    return "sqlite:///" + str(Path(text).expanduser())


class ImportResult(Result):
    """What an import did: rows in = inserted + already stored + rejected."""

    measure_id: str
    measure_version: str
    source: str | None
    file_sha256: str | None
    import_pk: int | None
    n_rows: int
    n_inserted: int
    n_already_stored: int
    n_rejected: int
    rejected: Any
    """DataFrame: ``row`` (spreadsheet row, header = 1), ``column``, ``code``, ``message``
    (and ``partition``, from :meth:`Store.import_dask`)."""

    @property
    def n_stored(self) -> int:
        """Rows now in the store: inserted now or already there."""
        return self.n_inserted + self.n_already_stored

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.rejected

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (f"{self.source or 'data'}: {self.n_rows} row(s): {self.n_inserted} stored, "
                f"{self.n_already_stored} already in the store, {self.n_rejected} rejected")


class ExportResult(Result):
    """What :meth:`Store.export_responses` wrote."""

    measure_id: str
    output: str
    n_rows: int
    columns: list[str]

    def summary(self) -> str:
        return f"{self.n_rows} administration(s) of {self.measure_id} written to {self.output}"


def _diagnostics(rejected: Any, source: str | None) -> list[Diagnostic]:
    out = []
    for rec in rejected.itertuples(index=False):
        code = rec.code if rec.code in CODES else "invalid-value"
        hint = CODES[code].hint if code in CODES else ""
        out.append(Diagnostic(code, str(rec.message), hint,
                              Location(file=source, row=int(rec.row), field=str(rec.column))))
    return out


class Store:
    """A store of administrations, responses and scores.

    Parameters
    ----------
    url : str or path, optional
        ``None`` for ``measurelib.db`` in the working folder, a file path for another SQLite
        file, ``":memory:"``, or a SQLAlchemy URL such as
        ``postgresql+psycopg://user@host/db``.
    upgrade : bool, default True
        Bring the store's tables up to this version of measurelib (Alembic migrations). A
        store written by an older version is upgraded in place; nothing is lost.

    Examples
    --------
    >>> import measurelib as ml
    >>> store = ml.Store(":memory:")
    >>> store.revision
    '0011'
    """

    def __init__(self, url: str | Path | None = None, *, upgrade: bool = True,
                 create: bool = True, echo: bool = False) -> None:
        _require_store_extra()
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import StaticPool

        self._url = normalise_url(url)
        shown = mask_credentials(self._url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self._url == "sqlite://":
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif not create and self._url.startswith("sqlite:///"):
            path = Path(self._url[len("sqlite:///"):])
            if not path.is_file():
                raise DataError(_no_store(str(url if url is not None else DEFAULT_PATH),
                                          "the file does not exist"))
        try:
            self.engine = create_engine(self._url, **kwargs)
        except ModuleNotFoundError as exc:
            raise ImportError(f"the store at {shown.split('://')[0]}:// needs {exc.name}: "
                              "pip install 'measurelib[store]'") from None
        except Exception as exc:  # noqa: BLE001 - a malformed URL is a usage error
            raise DataError(Diagnostic(
                "store-url-invalid", f"cannot use the store URL: {mask_credentials(str(exc))}",
                CODES["store-url-invalid"].hint, Location(file=shown))) from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            @event.listens_for(self.engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                # 64 MB of page cache (the default is 2 MB): index pages of large imports
                # stay in memory instead of being re-read for every random key
                cur.execute("PRAGMA cache_size=-65536")
                cur.close()

            @event.listens_for(self.engine, "begin")
            def _on_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif self.dialect != "postgresql":
            raise ValueError(f"Store(url=...): only SQLite and PostgreSQL are supported, got "
                             f"a {self.dialect!r} URL")
        from sqlalchemy.exc import DBAPIError

        try:
            if not create and self.revision is None:
                self.engine.dispose()
                raise DataError(_no_store(shown, "the database holds no measurelib tables"))
            if upgrade:
                self.upgrade()
        except DBAPIError as exc:
            self.engine.dispose()
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DataError(Diagnostic(
                "file-not-found", f"cannot open the store {shown}: {mask_credentials(first)}",
                "Check the path (its folder must exist) or that the database server is "
                "running and the URL, user and password are right.",
                Location(file=shown))) from None

    @property
    def url(self) -> str:
        """The store's URL, its password (if any) shown as ``***``."""
        return mask_credentials(self._url)

    # ------------------------------------------------------------------ lifecycle
    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def _alembic_config(self, connection: Any) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        cfg.attributes["connection"] = connection
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision`` (default: the newest).

        Stores opened by several processes at once upgrade once: the upgrade runs under a
        lock (SQLite's write lock; a PostgreSQL advisory lock) and re-reads the revision
        after taking it.
        """
        if revision == "head":
            with self.engine.connect() as conn:
                current = _current_revision(conn)
            if current is not None and current in _head_revisions():
                return  # up to date: Alembic is not even imported
        from alembic import command

        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            command.upgrade(self._alembic_config(conn), revision)

    @property
    def revision(self) -> str | None:
        """The migration the store's tables are at (``None`` for an empty database)."""
        with self.engine.connect() as conn:
            return _current_revision(conn)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection in one transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ measures & services
    def add_measure(self, measure: Measure, conn: Any = None) -> int:
        """Record a measure version (id, version, lock hash, definition); returns its key."""
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import measures

        if not isinstance(measure, Measure):
            raise TypeError(f"add_measure(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        digest = measure_hash(measure)
        if conn is None:
            with self.transaction() as c:
                return self.add_measure(measure, c)
        q = select(measures.c.pk).where(measures.c.measure_id == measure.id,
                                        measures.c.version == measure.version,
                                        measures.c.lock_sha256 == digest)
        pk = conn.execute(q).scalar()
        if pk is not None:
            return int(pk)
        # a concurrent writer may record the same version at the same moment: both insert
        # "if absent" and read the one row back
        conn.execute(_insert_if_absent(conn, measures, ["measure_id", "version", "lock_sha256"])
                     .values(measure_id=measure.id, version=measure.version, lock_sha256=digest,
                             title=measure.text(measure.title),
                             definition=json.dumps(measure.to_dict(), ensure_ascii=False,
                                                   sort_keys=True),
                             response_columns=json.dumps(measure.response_columns()),
                             added_at=_now()))
        return int(conn.execute(q).scalar_one())

    def configure_service(self, service: str, *, equity_fields: Sequence[str] = (),
                          schedule: str | None = None) -> None:
        """Declare which optional equity fields a service collects (none are ever required).

        Equity columns of an import are stored only for rows of services that list them.
        ``schedule`` is the service's schedule as YAML text (see :mod:`measurelib.outcomes._schedule`);
        ``measurelib due`` uses it when no ``--schedule`` is given.
        """
        from measurelib.outcomes.store._tables import EQUITY_FIELDS, services

        if schedule is not None:
            from measurelib.outcomes._schedule import loads_schedule

            loads_schedule(schedule, f"<schedule of service {service}>")  # check it now
        unknown = [f for f in equity_fields if f not in EQUITY_FIELDS]
        if unknown:
            raise ValueError(f"configure_service(equity_fields=...): allowed values are "
                             f"{', '.join(EQUITY_FIELDS)}; got {unknown}")
        with self.transaction() as conn:
            conn.execute(services.delete().where(services.c.service == service))
            conn.execute(services.insert().values(service=service,
                                                  equity_fields=json.dumps(list(equity_fields)),
                                                  schedule=schedule))

    def _equity_by_service(self, conn: Any) -> dict[str, list[str]]:
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import services

        rows = conn.execute(select(services.c.service, services.c.equity_fields)).all()
        return {r[0]: json.loads(r[1]) for r in rows}

    # ------------------------------------------------------------------ import
    def import_frame(self, measure: Measure, data: Any, *, source: str | None = None,
                     file_sha256: str | None = None, reject_bad_rows: bool = False,
                     anonymous: bool = False, defaults: Mapping[str, Any] | None = None,
                     first_row: int = 2, chunksize: int = 50_000) -> ImportResult:
        """Validate, score and store response rows in one transaction.

        Parameters
        ----------
        measure : Measure
        data : pandas.DataFrame
            One row per administration: the response columns (item ids or item codes) and
            the metadata columns ``respondent_id``, ``episode`` (default ``1``), ``date``,
            ``timepoint``, and optionally ``mode``, ``respondent_type``, ``site``,
            ``service``, ``worker``, ``retrospective`` and equity fields.
        source : str, optional
            Name of the file, recorded with the import and used in messages.
        reject_bad_rows : bool, default False
            False: any bad row stops the import and nothing is stored (raises
            :class:`~measurelib.DataError` listing every problem). True: the good rows are
            stored and the bad ones returned in ``result.rejected`` with reasons.
        anonymous : bool, default False
            Anonymous administrations (experience measures): no respondent id; reported
            only in aggregate.
        defaults : mapping, optional
            Values for metadata columns missing from ``data`` (e.g. ``{"site": "North"}``).
        first_row : int, default 2
            Spreadsheet row number of the first data row, for messages.
        chunksize : int, default 50,000
            Rows checked, scored and written at a time (all in the one transaction): the
            memory used grows with the chunk, not with ``data``.

        Returns
        -------
        ImportResult
            ``n_rows == n_inserted + n_already_stored + n_rejected`` always. Rows whose
            natural key (respondent, episode, measure, timepoint, date) is already stored are
            not stored twice.
        """
        import pandas as pd

        from measurelib.outcomes.store._import import run_import

        if not isinstance(measure, Measure):
            raise TypeError(f"import_frame(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"import_frame(data=...): expected a pandas DataFrame, got "
                            f"{type(data).__name__}")
        if measure.kind != "measure":
            raise ValueError(f"import_frame(measure=...): {measure.id} is an item bank; "
                             "import responses to a measure")
        if chunksize < 1:
            raise ValueError(f"import_frame(chunksize=...): must be 1 or more, got {chunksize}")
        df = data.reset_index(drop=True)

        def chunks() -> Iterator[tuple[Any, Any]]:
            import numpy as np

            for start in range(0, len(df), chunksize):
                part = df.iloc[start:start + chunksize].reset_index(drop=True)
                yield part, np.arange(start, start + len(part)) + first_row

        return run_import(self, measure, chunks(), source=source, file_sha256=file_sha256,  # type: ignore[no-any-return]
                          reject_bad_rows=reject_bad_rows, anonymous=anonymous,
                          defaults=defaults)

    def import_dask(self, measure: Measure, data: Any, *, source: str | None = None,
                    reject_bad_rows: bool = False, anonymous: bool = False,
                    defaults: Mapping[str, Any] | None = None, window: int = 4,
                    parallel: bool | None = None) -> ImportResult:
        """Import a Dask DataFrame: all or nothing, and a second run stores nothing twice.

        PostgreSQL (``parallel`` not False): each partition is checked, scored and written
        by a Dask worker, in parallel, through its own connection into a staging table of
        this import; then one transaction in this process, holding the measure's lock as
        every import does, moves the staged rows into the store's tables, records the
        import and drops the staging table. A failure anywhere (a bad row without
        ``reject_bad_rows``, a worker error, a lost worker) leaves the store's tables as
        they were; a staging table left by a killed run is dropped by the next one.

        SQLite (one writer), or ``parallel=False``: the partitions are computed on the
        cluster (``window`` at a time, so memory holds at most that many), then each is
        checked, scored and written in order by this process in the one transaction of
        :meth:`import_frame`.

        Both give the same result. Row numbers in messages count rows from the first
        partition (the heading is row 1), and each problem also names its partition (0 for
        the first): the ``partition`` column of ``result.rejected``, and the location
        ``"partition N"`` (``"<source>, partition N"``) of each error.
        """
        from measurelib.outcomes.store._import import run_import

        try:
            import importlib

            compute: Any = importlib.import_module("dask").compute
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError("import_dask needs Dask: pip install 'measurelib[dask]'") from None
        if not isinstance(measure, Measure):
            raise TypeError(f"import_dask(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        if not hasattr(data, "to_delayed") or not hasattr(data, "npartitions"):
            raise TypeError(f"import_dask(data=...): expected a dask DataFrame, got "
                            f"{type(data).__name__}")
        if window < 1:
            raise ValueError(f"import_dask(window=...): must be 1 or more, got {window}")
        if parallel and self.dialect != "postgresql":
            raise ValueError("import_dask(parallel=True): only a PostgreSQL store takes "
                             "writes in parallel; SQLite has one writer (leave parallel unset)")
        from measurelib.outcomes.store._parallel import import_parallel, in_partitions

        lengths: list[int] = []  # of the partitions, as they are read
        if parallel is not False and self.dialect == "postgresql":
            return in_partitions(lambda: import_parallel(  # type: ignore[no-any-return]
                self, measure, data, source=source, reject_bad_rows=reject_bad_rows,
                anonymous=anonymous, defaults=defaults, lengths=lengths), lengths, source)
        parts = data.to_delayed()

        def chunks() -> Iterator[tuple[Any, Any]]:
            import numpy as np

            start = 0
            for i in range(0, len(parts), window):
                for frame in compute(*parts[i:i + window]):
                    frame = frame.reset_index(drop=True)
                    lengths.append(len(frame))
                    yield frame, np.arange(start, start + len(frame)) + 2
                    start += len(frame)

        return in_partitions(lambda: run_import(  # type: ignore[no-any-return]
            self, measure, chunks(), source=source, file_sha256=None,
            reject_bad_rows=reject_bad_rows, anonymous=anonymous, defaults=defaults),
            lengths, source)

    def _scoring_run(self, conn: Any, measure: Measure,
                     measure_pk: int) -> tuple[int, list[list[Any]]]:
        """The key of this (measure version, score rules, engine version) — provenance once —
        and its band labels ``[[score id, [label, ...]], ...]``.

        The labels of the measure's banded scores (in its language) are added to those the
        run already lists (a run of a store upgraded from 0008 lists the labels its stored
        rows had), so the band numbers of stored rows keep their meaning.
        """
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import scoring_runs

        rules = json.dumps(sorted([r.id, _rule_hash(r)] for r in measure.scores),
                           separators=(",", ":"))
        digest = hashlib.sha256(rules.encode("utf-8")).hexdigest()
        where = (scoring_runs.c.measure_pk == measure_pk, scoring_runs.c.rules_sha256 == digest,
                 scoring_runs.c.engine_version == __version__)
        q = select(scoring_runs.c.pk, scoring_runs.c.bands).where(*where)
        row = conn.execute(q).first()
        if row is None:
            conn.execute(_insert_if_absent(conn, scoring_runs,
                                           ["measure_pk", "rules_sha256", "engine_version"])
                         .values(measure_pk=measure_pk, rules=rules, rules_sha256=digest,
                                 engine_version=__version__, bands=None))
            row = conn.execute(q).one()
        layout: list[list[Any]] = json.loads(row[1]) if row[1] else []
        known = {sid: labels for sid, labels in layout}
        changed = False
        for rule in measure.scores:
            if not rule.bands:
                continue
            labels = [measure.text(b.label, measure.language) or "" for b in rule.bands]
            if rule.id not in known:
                known[rule.id] = []
                layout.append([rule.id, known[rule.id]])
            for label in labels:
                if label not in known[rule.id]:
                    known[rule.id].append(label)
                    changed = True
        if changed:
            conn.execute(scoring_runs.update().where(scoring_runs.c.pk == row[0]).values(
                bands=json.dumps(layout, ensure_ascii=False)))
        return int(row[0]), layout

    def import_file(self, measure: Measure, path: str | Path, *, reject_bad_rows: bool = False,
                    anonymous: bool = False, defaults: Mapping[str, Any] | None = None,
                    verify: str | Path | None = None, chunksize: int = 50_000,
                    progress: bool | None = None) -> ImportResult:
        """Import a .csv, .tsv, .xlsx or .parquet file; see :meth:`import_frame`.

        Text and Parquet files are read ``chunksize`` rows at a time, all in one
        transaction: memory does not grow with the file. ``progress`` draws a progress bar
        on stderr (default: when stderr is a terminal).

        With ``verify`` (a second, independently keyed copy of the same forms) the two files
        are compared first and nothing is stored if any cell disagrees (raises DataError
        listing every disagreeing cell); both files are then read whole.
        """
        from measurelib.outcomes.store._frames import (
            compare_entries,
            double_entry_message,
            file_sha256,
            iter_file_chunks,
        )
        from measurelib.outcomes.store._import import run_import
        from measurelib.scoring import read_responses

        if not isinstance(measure, Measure):
            raise TypeError(f"import_file(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        if verify is not None:
            df = read_responses(path)
            second = read_responses(verify)
            diff = compare_entries(df, second)
            if len(diff):
                diags = [Diagnostic(
                    "store-double-entry", double_entry_message(rec, str(path), str(verify)),
                    CODES["store-double-entry"].hint,
                    Location(file=str(path), row=_row(rec.row_first), field=str(rec.column)))
                    for rec in diff.itertuples(index=False)]
                raise DataError(diags, title=(
                    f"{len(diff)} cell(s) differ between {path} and {verify}; nothing was "
                    "stored"))
            del df, second
        chunks = iter_file_chunks(path, chunksize, progress=progress)
        first = next(chunks, None)  # a missing or unreadable file fails before the hashing
        digest = file_sha256(path)

        def all_chunks() -> Iterator[tuple[Any, Any]]:
            if first is not None:
                yield first
                yield from chunks

        return run_import(self, measure, all_chunks(), source=str(path),  # type: ignore[no-any-return]
                          file_sha256=digest, reject_bad_rows=reject_bad_rows,
                          anonymous=anonymous, defaults=defaults)

    def add_submission(self, measure: Measure, submission: Any,
                       **metadata: Any) -> AddSubmissionResult:
        """Store one form posted by the HTML form (the result of ``ml.parse_submission``).

        ``submission`` is a mapping of answers (and metadata fields), or an object with
        ``responses`` (and optionally ``metadata``) or ``to_frame()``. Keyword arguments
        (``respondent_id``, ``date``, ``timepoint``, ...) fill metadata not in the form.

        Returns an :class:`AddSubmissionResult`: the counts of :meth:`import_frame`, the
        key of the stored administration, whether this call stored it, and the measure's
        declared alerts that the answers set off.

        One form per person, episode, measure, timepoint and date: sending the same answers
        again stores nothing twice (``created`` is False, the key is the stored one's); a
        form with *other* answers for that same occasion is refused with a
        ``store-form-conflict`` :class:`~measurelib.DataError` naming the stored
        administration, and nothing is stored. A timepoint is one measurement occasion:
        two different answer sets at it would make change from baseline ambiguous.
        """
        import numpy as np

        from measurelib.outcomes.store._import import ChunkedImport, run_import
        from measurelib.outcomes.store._records import finish_submission, submission_frame

        if not isinstance(measure, Measure):
            raise TypeError(f"add_submission(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        if measure.kind != "measure":
            raise ValueError(f"add_submission(measure=...): {measure.id} is an item bank; "
                             "store responses to a measure")
        df = submission_frame(measure, submission).reset_index(drop=True)
        if "date" not in df.columns and "date" not in metadata:
            metadata["date"] = _dt.date.today().isoformat()
        if "mode" not in df.columns and "mode" not in metadata:
            metadata["mode"] = "online"
        # the import of one row, keeping what it already knows — the key the database gave
        # the form and the alerts its scoring found — so that nothing is read back or
        # scored again when the form is new
        job = ChunkedImport(self, measure, source="form submission", file_sha256=None,
                            reject_bad_rows=False, anonymous=False, defaults=metadata)
        job.alert_tables = []
        result = run_import(self, measure, [(df, np.arange(len(df)) + 2)], job=job)
        return finish_submission(self, measure, df, metadata, result, job)

    # ------------------------------------------------------------------ offers & episodes
    def record_offers(self, data: Any) -> int:
        """Record offered / declined / not-offered measures (the denominator of completion).

        ``data`` has columns ``measure_id``, ``date``, ``status`` (offered | declined |
        not_offered) and optionally ``respondent_id``, ``episode``, ``timepoint``, ``reason``,
        ``count`` (forms handed out, for anonymous measures), ``site``, ``service``,
        ``worker``. Returns the number of records stored.
        """
        import pandas as pd

        from measurelib.outcomes.store._bulk import bulk_insert, insert_ignore
        from measurelib.outcomes.store._frames import parse_dates
        from measurelib.outcomes.store._tables import OFFER_STATUSES, offers, respondents

        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"record_offers(data=...): expected a DataFrame, got "
                            f"{type(data).__name__}")
        missing = [c for c in ("measure_id", "date", "status") if c not in data.columns]
        if missing:
            raise ValueError(f"record_offers(data=...): columns {missing} are required")
        df = data.reset_index(drop=True)
        dates = parse_dates(df["date"])
        status = df["status"].astype("string").str.strip().str.lower()
        diags = []
        for idx in df.index[dates.isna().to_numpy()]:
            diags.append(Diagnostic("store-invalid-date", "date missing or not a date",
                                    CODES["store-invalid-date"].hint,
                                    Location(row=int(idx) + 2, field="date")))
        for idx in df.index[(~status.isin(OFFER_STATUSES)).fillna(True).to_numpy()]:
            diags.append(Diagnostic("invalid-value", "status must be offered, declined or "
                                    "not_offered", "", Location(row=int(idx) + 2,
                                                                field="status")))
        if diags:
            raise DataError(diags, title="offer records not stored")
        frame = pd.DataFrame({
            "respondent_id": df.get("respondent_id"), "episode": df.get("episode"),
            "measure_id": df["measure_id"].astype(str), "timepoint": df.get("timepoint"),
            "date": dates.dt.strftime("%Y-%m-%d"), "status": status,
            "reason": df.get("reason"),
            "count": pd.to_numeric(df["count"], errors="coerce").fillna(1).astype(int)
            if "count" in df.columns else 1,
            "site": df.get("site"), "service": df.get("service"), "worker": df.get("worker")})
        if "episode" in df.columns:
            frame["episode"] = frame["episode"].where(frame["episode"].notna(), None)
        elif "respondent_id" in df.columns:
            frame["episode"] = "1"
        with self.transaction() as conn:
            rids = frame["respondent_id"].dropna().unique() if "respondent_id" in df else []
            if len(rids):
                insert_ignore(conn, respondents, pd.DataFrame(
                    {"respondent_id": rids, "added_at": _epoch()}), ["respondent_id"])
            bulk_insert(conn, offers, frame)  # keys given by the database
        return len(frame)

    def open_episode(self, respondent_id: str, episode: str = "1", *,
                     service: str | None = None,
                     start_date: str | _dt.date | None = None) -> bool:
        """Record that an episode of care began (before any form of it is stored).

        Its entry measures then fall due (``measurelib due``). Returns True when the episode
        is new; opening an episode already recorded changes nothing but fills a missing
        service or start date (so it is safe to repeat).
        """
        from measurelib.outcomes.store._records import open_episode

        when = _dt.date.fromisoformat(str(start_date)) if start_date else _dt.date.today()
        return open_episode(self, respondent_id, str(episode), service=service,
                            start_date=when)

    def close_episode(self, respondent_id: str, episode: str = "1",
                      end_date: str | _dt.date | None = None) -> None:
        """Mark an episode of care as ended (discharge), so exit measures fall due."""
        from sqlalchemy import update

        from measurelib.outcomes.store._tables import episodes

        when = _dt.date.fromisoformat(str(end_date)) if end_date else _dt.date.today()
        with self.transaction() as conn:
            res = conn.execute(update(episodes).where(
                episodes.c.respondent_id == respondent_id,
                episodes.c.episode == str(episode)).values(end_date=when))
            if res.rowcount == 0:
                raise ValueError(f"close_episode(respondent_id={respondent_id!r}, "
                                 f"episode={episode!r}): no such episode in the store")

    # ------------------------------------------------------------------ reading
    def _read(self, query: Any) -> Any:
        import pandas as pd

        with self.engine.connect() as conn:
            result = conn.execute(query)
            columns = list(result.keys())
            # plain tuples: pandas probes SQLAlchemy rows attribute by attribute (slow)
            return pd.DataFrame([tuple(r) for r in result.fetchall()], columns=columns)

    def _read_rows(self, query: Any) -> Any:
        """A large SELECT through the driver's cursor (no SQLAlchemy row objects).

        Boolean columns come back as booleans; dates are left as the driver gives them
        (callers convert them with ``pd.to_datetime``).
        """
        import pandas as pd
        from sqlalchemy import Boolean

        with self.engine.connect() as conn:
            compiled = query.compile(dialect=conn.dialect)
            driver: Any = conn.connection.driver_connection
            cur = driver.cursor()
            try:
                params: Any = compiled.params
                if compiled.positional:
                    params = [params[k] for k in compiled.positiontup or []]
                cur.execute(str(compiled), params)
                columns = [d[0] for d in cur.description]
                df = pd.DataFrame(cur.fetchall(), columns=columns)
            finally:
                cur.close()
        for col in query.selected_columns:
            if isinstance(col.type, Boolean) and col.name in df.columns and len(df):
                df[col.name] = df[col.name].astype(bool)
        return df

    def scores(self, measure: Measure | str | None = None, score: str | None = None, *,
               respondent_id: str | None = None, service: str | None = None) -> Any:
        """Scores with their administration's metadata, one row per administration and score.

        Columns: administration, respondent_id, episode, date, timepoint, mode,
        respondent_type, site, service, worker, retrospective, anonymous, simulated, equity
        fields,
        measure_id, measure_version, score_id, value, band, se. ``respondent_id`` and
        ``service`` keep only that person's or that service's administrations (read in
        the database, not filtered afterwards).

        ``se`` is the person's standard error of an IRT score (``method: irt``), stored as
        the score ``<score>_se`` beside it; it is missing for other scores. Those stored
        standard errors are not rows of their own here (ask for ``score="<score>_se"`` to
        read them as rows).
        """
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._frames import expand_scores
        from measurelib.outcomes.store._queries import score_exists
        from measurelib.outcomes.store._tables import EQUITY_FIELDS, administrations, measures

        a, m = administrations, measures
        head = [a.c.pk.label("administration"), a.c.respondent_id, a.c.episode, a.c.date,
                a.c.timepoint, a.c.mode, a.c.respondent_type, a.c.site, a.c.service,
                a.c.worker, a.c.retrospective, a.c.anonymous, a.c.simulated,
                *[a.c[c] for c in EQUITY_FIELDS],
                m.c.measure_id, m.c.version.label("measure_version")]
        q = select(*head, a.c.scores, a.c.bands, a.c.run_pk).select_from(
            a.join(m, a.c.measure_pk == m.c.pk)).where(a.c.scores.is_not(None))
        mid = measure.id if isinstance(measure, Measure) else measure
        if mid is not None:
            q = q.where(m.c.measure_id == mid)
        if score is not None:
            q = q.where(score_exists(self, a, score))
        q = _person_service(q, a, respondent_id, service)
        rows = self._read_rows(q.order_by(a.c.pk))
        df = expand_scores(rows, self._band_layouts(), score, self._score_ids())
        df["date"] = pd.to_datetime(df["date"])
        return df

    def _band_layouts(self) -> dict[int, list[list[Any]]]:
        """Band labels of every scoring run (few rows): ``{run key: [[score id, [labels]]]}``."""
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import scoring_runs

        with self.engine.connect() as conn:
            rows = conn.execute(select(scoring_runs.c.pk, scoring_runs.c.bands)
                                .where(scoring_runs.c.bands.is_not(None))).all()
        return {int(pk): json.loads(bands) for pk, bands in rows}

    def _score_ids(self) -> dict[int, list[str]]:
        """The positions of every scoring run's score arrays: ``{run key: [score id, ...]}``."""
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import scoring_runs

        with self.engine.connect() as conn:
            rows = conn.execute(select(scoring_runs.c.pk, scoring_runs.c.score_ids)
                                .where(scoring_runs.c.score_ids.is_not(None))).all()
        return {int(pk): json.loads(ids) for pk, ids in rows}

    def _score_positions(self, score_id: str) -> dict[int, list[int]]:
        """Where the runs keep one score in their arrays: ``{position: [run key, ...]}``."""
        out: dict[int, list[int]] = {}
        for run, ids in sorted(self._score_ids().items()):
            if score_id in ids:
                out.setdefault(ids.index(score_id), []).append(run)
        return out

    def administrations(self, measure: Measure | str | None = None, *,
                        responses: bool = True, respondent_id: str | None = None,
                        service: str | None = None) -> Any:
        """Administrations with metadata and (``responses=True``) their answers.

        ``responses`` is a JSON object per row (``{"item id": answer}``), whichever form the
        store keeps it in; ``responses=False`` leaves the column out (faster).
        ``respondent_id`` and ``service`` keep only that person's or service's rows.
        """
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._frames import decode_responses
        from measurelib.outcomes.store._tables import administrations, measures

        a, m = administrations, measures
        skip = ("measure_pk", "measure_series", "key_hash", "scores", "bands", "run_pk") + (
            () if responses else ("responses",))
        cols = [c for c in a.c if c.name not in skip]
        extra = [m.c.response_columns] if responses else []
        q = select(*cols, m.c.measure_id, m.c.version.label("measure_version"),
                   *extra).select_from(a.join(m, a.c.measure_pk == m.c.pk))
        mid = measure.id if isinstance(measure, Measure) else measure
        if mid is not None:
            q = q.where(m.c.measure_id == mid)
        q = _person_service(q, a, respondent_id, service)
        df = self._read_rows(q.order_by(a.c.pk))
        df["date"] = pd.to_datetime(df["date"])
        if responses:
            lists = {t: json.loads(t) for t in df["response_columns"].dropna().unique()}
            df["responses"] = decode_responses(df["responses"],
                                               df["response_columns"].map(lists))
            df = df.drop(columns="response_columns")
        return df

    def offers(self, *, respondent_id: str | None = None,
               service: str | None = None) -> Any:
        """Offered / declined / not-offered records (:meth:`record_offers`), oldest first;
        ``respondent_id`` and ``service`` keep only that person's or service's records.
        """
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import offers

        q = _person_service(select(offers), offers, respondent_id, service)
        return self._read(q.order_by(offers.c.date, offers.c.pk))

    # ------------------------------------------------------------------ erasure & retention
    def erase_respondent(self, respondent_id: str) -> ErasureResult:
        """Delete everything the store holds of one person, in one transaction.

        Their administrations (answers), scores, offer records and episodes, and the
        person's row, are deleted; nothing else changes (measures, imports' row counts,
        other people's forms). Returns an :class:`ErasureResult` with the counts.
        Anonymous forms hold no respondent id and cannot be traced to anyone: they stay.
        """
        from measurelib.outcomes.store._records import erase_respondent

        return erase_respondent(self, respondent_id)

    def apply_retention(self, service: str, months: int, *,
                        action: str = "delete", today: str | _dt.date | None = None,
                        dry_run: bool = False) -> RetentionResult:
        """Remove the forms of a service's episodes that closed ``months`` or more ago.

        An episode past retention is one whose end date (:meth:`close_episode`) is on or
        before ``today`` less ``months`` calendar months; open episodes are never touched.
        ``action="delete"`` deletes its administrations of ``service``, their scores and
        offer records; ``"anonymise"`` keeps them for aggregate reports with no respondent
        id, episode or worker (and marks them anonymous). An episode, and a person, left
        with nothing is deleted too. ``dry_run`` counts without changing anything.
        Returns a :class:`RetentionResult`.
        """
        from measurelib.outcomes.store._records import apply_retention

        day = _dt.date.fromisoformat(str(today)) if today else _dt.date.today()
        return apply_retention(self, service, months, action=action,  # type: ignore[arg-type]
                               today=day, dry_run=dry_run)

    def measure(self, measure_id: str, version: str | None = None) -> Measure:
        """The definition of a measure as stored with its data (the newest version stored).

        Raises ``LookupError`` when the store holds no such measure (or version).
        """
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import measures

        q = select(measures.c.version, measures.c.definition).where(
            measures.c.measure_id == measure_id)
        if version is not None:
            q = q.where(measures.c.version == version)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(measures.c.pk.desc())).all()
        if not rows:
            raise LookupError(f"the store holds no measure {measure_id!r}"
                              + (f" version {version}" if version else ""))
        return loads(dump_yaml(json.loads(rows[0][1])),  # type: ignore[no-any-return]
                     f"<{measure_id} {rows[0][0]} as stored in {self.url}>")

    def measure_ids(self) -> list[str]:
        """Ids of the measures the store holds data of, sorted."""
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import measures

        with self.engine.connect() as conn:
            return sorted(set(conn.execute(select(measures.c.measure_id)).scalars()))

    def respondent_measures(self, respondent_id: str) -> list[str]:
        """Ids of the measures of which the store holds scores of ``respondent_id``, sorted."""
        from measurelib.outcomes.store._queries import respondent_measures

        return respondent_measures(self, respondent_id)

    def find_measure(self, ref: str | Path | Measure) -> Measure:
        """A measure named by a definition file, an id the store holds, or a catalog id.

        In that order: an existing file is loaded; an id (``hub-check`` or
        ``hub-check@1.2.0``) of a measure stored with its data gives the definition the data
        were scored with; anything else goes to :func:`measurelib.load` (the catalog).
        """
        if isinstance(ref, Measure):
            return ref
        text = str(ref)
        if not Path(text).exists():
            mid, _, version = text.partition("@")
            try:
                return self.measure(mid, version or None)
            except LookupError:
                pass
        return load(text)  # type: ignore[no-any-return]

    def export_responses(self, measure: Measure | str, output: str | Path, *,
                         scores: bool = True, chunksize: int = 100_000) -> ExportResult:
        """Write the stored responses (and scores) of a measure to .csv, .tsv, .xlsx or .parquet.

        One row per administration of every stored version of the measure: metadata,
        the answers as stored (columns named by item id), and with ``scores`` each score's
        value and band (and ``<score>_se`` of IRT scores). Respondent ids are written as
        stored (pseudonymous). Text cells are
        made safe for spreadsheets (formula-neutralised). Read in chunks of ``chunksize``
        administrations, so memory does not grow with the store (Excel files excepted).
        """
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._frames import decode_responses
        from measurelib.outcomes.store._tables import EQUITY_FIELDS, administrations, measures
        from measurelib.scoring import WRITE_SUFFIXES, ResponseWriter

        if not isinstance(measure, Measure):
            measure = self.find_measure(measure)
        out = Path(output)
        if out.suffix.lower() not in WRITE_SUFFIXES:
            raise ValueError(f"export_responses(output=...): allowed file types are "
                             f"{', '.join(WRITE_SUFFIXES)}; got {out.name!r}")
        a, m = administrations, measures
        meta = [a.c.respondent_id, a.c.episode, a.c.date, a.c.timepoint, a.c.mode,
                a.c.respondent_type, a.c.site, a.c.service, a.c.worker, a.c.retrospective,
                a.c.anonymous, a.c.simulated, *[a.c[c] for c in EQUITY_FIELDS]]
        items = [c for c in measure.response_columns()]
        rules = [r.id for r in measure.scores] if scores else []
        with_se = {r.id for r in measure.scores if r.method == "irt"
                   and (r.irt is None or r.irt.se)}
        layouts = self._band_layouts() if rules else {}
        score_ids = self._score_ids() if rules else {}
        writer = ResponseWriter(str(out))
        n = 0
        last = 0
        try:
            with self.engine.connect() as conn:
                while True:
                    q = (select(a.c.pk, m.c.version.label("measure_version"), *meta,
                                a.c.responses, m.c.response_columns, a.c.scores, a.c.bands,
                                a.c.run_pk)
                         .select_from(a.join(m, a.c.measure_pk == m.c.pk))
                         .where(m.c.measure_id == measure.id, a.c.pk > last)
                         .order_by(a.c.pk).limit(chunksize))
                    res = conn.execute(q)
                    chunk = pd.DataFrame([tuple(r) for r in res.fetchall()],  # plain tuples
                                         columns=list(res.keys()))
                    if not len(chunk):
                        break
                    last = int(chunk["pk"].iloc[-1])
                    lists = {t: json.loads(t) for t in chunk["response_columns"].dropna()
                             .unique()}
                    answers = pd.DataFrame.from_records(
                        [json.loads(t) for t in decode_responses(
                            chunk.pop("responses"), chunk.pop("response_columns").map(lists))],
                        index=chunk.index)
                    stored = (chunk.pop("scores").tolist(), chunk.pop("bands").tolist(),
                              chunk.pop("run_pk").tolist())
                    frame = pd.concat([chunk, answers.reindex(columns=items)], axis=1)
                    if rules:
                        _score_columns(frame, stored, layouts, score_ids, rules, with_se)
                    frame = frame.rename(columns={"pk": "administration"})
                    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
                    writer.write(frame)
                    n += len(frame)
            writer.close()
        except BaseException:
            writer.discard()
            raise
        return ExportResult(measure_id=measure.id, output=str(out), n_rows=n,
                            columns=[*["administration", "measure_version"],
                                     *[c.name for c in meta], *items,
                                     *[x for r in rules for x in (
                                         (r, f"{r}_band", f"{r}_se") if r in with_se
                                         else (r, f"{r}_band"))]])

    def table(self, name: str) -> Any:
        """A whole table as a DataFrame (``imports``, ``episodes``, ``offers``, ...).

        ``"scores"`` gives the scores as the table of earlier versions held them (one row
        per administration and score: ``administration_pk``, ``score_id``, ``value``,
        ``band``, ``run_pk``); since migration 0009 they are kept in the administrations'
        rows.
        """
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import metadata

        if name == "scores":
            return self._score_rows()
        if name not in metadata.tables:
            raise ValueError(f"Store.table(name=...): allowed values are "
                             f"{', '.join(sorted([*metadata.tables, 'scores']))}; got {name!r}")
        return self._read(select(metadata.tables[name]))

    def _score_rows(self) -> Any:
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._frames import band_labels, score_dict
        from measurelib.outcomes.store._tables import administrations as a

        layouts, score_ids = self._band_layouts(), self._score_ids()
        rows = self._read_rows(select(a.c.pk, a.c.scores, a.c.bands, a.c.run_pk)
                               .where(a.c.scores.is_not(None)).order_by(a.c.pk))
        out = []
        for pk, text, numbers, run in rows.itertuples(index=False):
            run_pk = int(run) if run is not None and run == run else None
            got = score_dict(text, score_ids.get(run_pk or 0))
            bands = band_labels(layouts.get(run_pk or 0), numbers)
            out += [(int(pk), sid, got[sid], bands.get(sid), run_pk) for sid in sorted(got)]
        return pd.DataFrame(out, columns=["administration_pk", "score_id", "value", "band",
                                          "run_pk"])

    def imports(self) -> Any:
        """Every import: file, hash, row counts and times."""
        return self.table("imports")

    def counts(self) -> dict[str, int]:
        """Number of rows in each table (for checks), and ``scores``: the stored scores.

        Scores are held in their administration's row (migration 0009); ``scores`` counts
        them as the table of earlier versions did, one per value (a standard error too).
        """
        from sqlalchemy import func, select

        from measurelib.outcomes.store._tables import metadata

        # a row's scores: the entries of its array (migration 0011) or object
        each = ("SELECT SUM(CASE json_typeof(scores) WHEN 'array' THEN "
                "json_array_length(scores) ELSE (SELECT COUNT(*) FROM json_object_keys(scores)) "
                "END) FROM administrations" if self.dialect == "postgresql"
                else "SELECT COUNT(*) FROM administrations a, json_each(a.scores)")
        with self.engine.connect() as conn:
            out = {name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                   for name, t in metadata.tables.items()}
            out["scores"] = int(conn.exec_driver_sql(each).scalar() or 0)
        return dict(sorted(out.items()))


def _score_columns(frame: Any, stored: tuple[list[Any], list[Any], list[Any]],
                   layouts: dict[int, list[list[Any]]], score_ids: dict[int, list[str]],
                   rules: list[str], with_se: set[str]) -> None:
    """Add each score's value and band (and ``<score>_se``) to an export chunk."""
    import numpy as np

    from measurelib.outcomes.store._frames import band_labels, score_dict

    runs = [int(r) if r is not None and r == r else None for r in stored[2]]
    got = [score_dict(t, score_ids.get(r) if r is not None else None)
           for t, r in zip(stored[0], runs)]
    bands = [band_labels(layouts.get(r), b) if r is not None else {}
             for b, r in zip(stored[1], runs)]
    nan = float("nan")
    for rid in rules:
        frame[rid] = np.array([nan if g.get(rid) is None else float(g[rid]) for g in got],
                              dtype=float)
        frame[f"{rid}_band"] = [b.get(rid) for b in bands]
        if rid in with_se:
            frame[f"{rid}_se"] = np.array([nan if g.get(f"{rid}_se") is None
                                           else float(g[f"{rid}_se"]) for g in got], dtype=float)


def _person_service(query: Any, table: Any, respondent_id: str | None,
                    service: str | None) -> Any:
    if respondent_id is not None:
        query = query.where(table.c.respondent_id == respondent_id)
    if service is not None:
        query = query.where(table.c.service == service)
    return query


def _no_store(where: str, why: str) -> Diagnostic:
    return Diagnostic("store-not-found", f"no store at {mask_credentials(where)}: {why}",
                      CODES["store-not-found"].hint, Location(file=mask_credentials(where)))


def _row(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
