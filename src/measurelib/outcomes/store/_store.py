"""The outcomes store: administrations, responses and scores in SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from measurelib._results import Result
from measurelib.definition import Measure
from measurelib.errors import CODES, DataError, Diagnostic, Location

__all__ = ["ImportResult", "Store", "measure_hash"]

DEFAULT_PATH = "measurelib.db"


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


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _require_store_extra() -> None:
    try:
        import alembic  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("the outcomes store needs SQLAlchemy and Alembic: "
                          "pip install 'measurelib[store]'") from None


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
    """DataFrame: ``row`` (spreadsheet row, header = 1), ``column``, ``code``, ``message``."""

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
    '0003'
    """

    def __init__(self, url: str | Path | None = None, *, upgrade: bool = True,
                 echo: bool = False) -> None:
        _require_store_extra()
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import StaticPool

        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.url == "sqlite://":
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        try:
            self.engine = create_engine(self.url, **kwargs)
        except ModuleNotFoundError as exc:
            raise ImportError(f"the store at {self.url.split('://')[0]}:// needs {exc.name}: "
                              "pip install 'measurelib[store]'") from None
        except Exception as exc:  # noqa: BLE001 - a malformed URL is a usage error
            raise DataError(Diagnostic("file-not-found", f"cannot use the store URL: {exc}",
                                       "Give a file path (SQLite) or a URL such as "
                                       "postgresql+psycopg://user@host/db.",
                                       Location(file=str(url)))) from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            @event.listens_for(self.engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            @event.listens_for(self.engine, "begin")
            def _on_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif self.dialect != "postgresql":
            raise ValueError(f"Store(url=...): only SQLite and PostgreSQL are supported, got "
                             f"a {self.dialect!r} URL")
        if upgrade:
            from sqlalchemy.exc import OperationalError

            try:
                self.upgrade()
            except OperationalError as exc:
                self.engine.dispose()
                shown = self.engine.url.render_as_string(hide_password=True)
                raise DataError(Diagnostic(
                    "file-not-found", f"cannot open the store {shown}: "
                    f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}",
                    "Check the path (its folder must exist) or that the database server is "
                    "running and the URL, user and password are right.",
                    Location(file=shown))) from None

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
        """Run the migrations up to ``revision`` (default: the newest)."""
        from alembic import command

        with self.engine.begin() as conn:
            command.upgrade(self._alembic_config(conn), revision)

    @property
    def revision(self) -> str | None:
        """The migration the store's tables are at (``None`` for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

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
        res = conn.execute(measures.insert().values(
            measure_id=measure.id, version=measure.version, lock_sha256=digest,
            title=measure.text(measure.title),
            definition=json.dumps(measure.to_dict(), ensure_ascii=False, sort_keys=True),
            added_at=_now()))
        return int(res.inserted_primary_key[0])

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
                     first_row: int = 2) -> ImportResult:
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

        Returns
        -------
        ImportResult
            ``n_rows == n_inserted + n_already_stored + n_rejected`` always. Rows whose
            natural key (respondent, episode, measure, timepoint, date) is already stored are
            not stored twice.
        """
        import pandas as pd

        from measurelib.outcomes.store._frames import check_metadata
        from measurelib.outcomes.store._scoring import score_frame

        if not isinstance(measure, Measure):
            raise TypeError(f"import_frame(measure=...): expected a measurelib.Measure, got "
                            f"{type(measure).__name__}")
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"import_frame(data=...): expected a pandas DataFrame, got "
                            f"{type(data).__name__}")
        if measure.kind != "measure":
            raise ValueError(f"import_frame(measure=...): {measure.id} is an item bank; "
                             "import responses to a measure")
        df = data.reset_index(drop=True)
        if defaults:
            df = df.copy()
            for k, v in defaults.items():
                if v is None:
                    continue
                if k not in df.columns:
                    df[k] = v
                else:
                    df[k] = df[k].where(df[k].notna(), v)
        n_rows = len(df)
        meta, problems = check_metadata(df, anonymous=anonymous)
        scored, score_problems, responses = score_frame(measure, df)
        problems = pd.concat([problems, score_problems], ignore_index=True)
        # natural keys and duplicates inside the file
        date_text = meta["date"].dt.strftime("%Y-%m-%d")
        if anonymous:
            row_hash = pd.util.hash_pandas_object(
                pd.concat([responses.astype("string"), meta.astype("string")], axis=1),
                index=False).astype("string")
            occ = row_hash.groupby(row_hash).cumcount().astype("string")
            key = measure.id + "|anon|" + row_hash + "|" + occ
        else:
            key = (measure.id + "|" + meta["respondent_id"].fillna("") + "|"
                   + meta["episode"].fillna("") + "|" + meta["timepoint"].fillna("") + "|"
                   + date_text.fillna(""))
        bad_index = set(problems["index"].tolist())
        ok = ~df.index.isin(list(bad_index))
        dup = key.duplicated(keep="first") & ok
        if bool(dup.any()):
            problems = pd.concat([problems, pd.DataFrame({
                "index": df.index[dup.to_numpy()], "column": "respondent_id",
                "code": "store-duplicate-row",
                "message": "the same respondent, episode, timepoint and date appear on an "
                           "earlier row"})], ignore_index=True)
        problems = problems.sort_values(["index"], kind="stable").reset_index(drop=True)
        rejected = pd.DataFrame({"row": problems["index"].astype(int) + first_row,
                                 "column": problems["column"].astype(str),
                                 "code": problems["code"].astype(str),
                                 "message": problems["message"].astype(str)})
        bad_rows = set(problems["index"].tolist())
        good = ~df.index.isin(list(bad_rows))
        n_rejected = n_rows - int(good.sum())
        if n_rejected and not reject_bad_rows:
            raise DataError(_diagnostics(rejected, source), title=(
                f"{source or 'data'}: {n_rejected} of {n_rows} row(s) have problems; nothing "
                "was stored (fix them, or import with --reject-bad-rows to store the others)"))
        with self.transaction() as conn:
            inserted, already, import_pk = self._insert(
                conn, measure, meta[good], key[good], responses[good],
                scored[scored["index"].isin(df.index[good])], anonymous=anonymous,
                source=source, file_sha256=file_sha256, n_rows=n_rows,
                n_rejected=n_rejected)
        return ImportResult(measure_id=measure.id, measure_version=measure.version,
                            source=source, file_sha256=file_sha256, import_pk=import_pk,
                            n_rows=n_rows, n_inserted=inserted, n_already_stored=already,
                            n_rejected=n_rejected, rejected=rejected)

    def _insert(self, conn: Any, measure: Measure, meta: Any, key: Any, responses: Any,
                scored: Any, *, anonymous: bool, source: str | None,
                file_sha256: str | None, n_rows: int, n_rejected: int) -> tuple[int, int, int]:
        import pandas as pd
        from sqlalchemy import func, select

        from measurelib._version import __version__
        from measurelib.outcomes.store._bulk import bulk_insert, insert_ignore
        from measurelib.outcomes.store._tables import (
            EQUITY_FIELDS,
            administrations,
            episodes,
            imports,
            measures,
            respondents,
        )

        measure_pk = self.add_measure(measure, conn)
        pks_same_id = select(measures.c.pk).where(measures.c.measure_id == measure.id)
        if len(key):
            q = select(administrations.c.natural_key).where(
                administrations.c.measure_pk.in_(pks_same_id))
            existing_keys = pd.Series(conn.execute(q).scalars().all(), dtype="string")
            is_old = key.isin(existing_keys).to_numpy()
        else:
            is_old = pd.Series([], dtype=bool).to_numpy()
        new = ~is_old
        n_already = int(is_old.sum())
        meta, key, responses = meta[new], key[new], responses[new]
        now = _now()
        res = conn.execute(imports.insert().values(
            measure_pk=measure_pk, source=source, file_sha256=file_sha256, started_at=now,
            finished_at=None, n_rows=n_rows, n_inserted=int(new.sum()),
            n_already_stored=n_already, n_rejected=n_rejected, engine_version=__version__))
        import_pk = int(res.inserted_primary_key[0])
        n_new = len(meta)
        if n_new:
            rids = meta["respondent_id"].dropna().unique()
            if len(rids):
                insert_ignore(conn, respondents, pd.DataFrame(
                    {"respondent_id": rids, "added_at": now.isoformat(sep=" ")}),
                    ["respondent_id"])
                ep = meta.dropna(subset=["respondent_id"]).groupby(
                    ["respondent_id", "episode"], sort=False).agg(
                    service=("service", "first"), start_date=("date", "min")).reset_index()
                ep["start_date"] = ep["start_date"].dt.strftime("%Y-%m-%d")
                ep["end_date"] = None
                insert_ignore(conn, episodes, ep, ["respondent_id", "episode"])
            start = int(conn.execute(select(func.coalesce(func.max(administrations.c.pk), 0)))
                        .scalar()) + 1
            pks = pd.RangeIndex(start, start + n_new)
            # equity fields only for services configured to collect them
            allowed = self._equity_by_service(conn)
            equity = {}
            for col in EQUITY_FIELDS:
                services_with = [s for s, fields in allowed.items() if col in fields]
                keep = meta["service"].isin(services_with).to_numpy()
                equity[col] = meta[col].where(keep) if col != "deprivation_decile" else \
                    meta[col].where(pd.Series(keep, index=meta.index))
            resp_json = responses.to_json(orient="records", lines=True,
                                          force_ascii=False).splitlines() if n_new else []
            admin = pd.DataFrame({
                "pk": pks, "natural_key": key.to_numpy(), "measure_pk": measure_pk,
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
                "responses": resp_json, "import_pk": import_pk,
                "anonymous": anonymous,
                **{c: equity[c].to_numpy() for c in EQUITY_FIELDS},
            })
            bulk_insert(conn, administrations, admin)
            pk_of = pd.Series(pks, index=meta.index)
            sc = scored[scored["index"].isin(meta.index)]
            if len(sc):
                rules = {r.id: r for r in measure.scores}
                rule_sha = sc["score_id"].map({k: _rule_hash(v) for k, v in rules.items()})
                frame = pd.DataFrame({
                    "administration_pk": pk_of.loc[sc["index"]].to_numpy(),
                    "score_id": sc["score_id"].to_numpy(),
                    "value": sc["value"].to_numpy(dtype=float),
                    "band": sc["band"].to_numpy(),
                    "rule_sha256": rule_sha.to_numpy(),
                    "measure_version": measure.version,
                    "engine_version": __version__,
                })
                from measurelib.outcomes.store._tables import scores as scores_table

                bulk_insert(conn, scores_table, frame)
        conn.execute(imports.update().where(imports.c.pk == import_pk).values(
            finished_at=_now()))
        return n_new, n_already, import_pk

    def import_file(self, measure: Measure, path: str | Path, *, reject_bad_rows: bool = False,
                    anonymous: bool = False, defaults: Mapping[str, Any] | None = None,
                    verify: str | Path | None = None) -> ImportResult:
        """Import a .csv or .xlsx file; see :meth:`import_frame`.

        With ``verify`` (a second, independently keyed copy of the same forms) the two files
        are compared first and nothing is stored if any cell disagrees (raises DataError
        listing every disagreeing cell).
        """
        from measurelib.outcomes.store._frames import compare_entries, file_sha256
        from measurelib.scoring import read_responses

        df = read_responses(path)
        if verify is not None:
            second = read_responses(verify)
            diff = compare_entries(df, second)
            if len(diff):
                diags = [Diagnostic(
                    "store-double-entry", f"{rec.column}: first keying {rec.first!r}, second "
                    f"keying {rec.second!r} (row {_row(rec.row_second)} of {verify})",
                    CODES["store-double-entry"].hint,
                    Location(file=str(path), row=_row(rec.row_first), field=str(rec.column)))
                    for rec in diff.itertuples(index=False)]
                raise DataError(diags, title=(
                    f"{len(diff)} cell(s) differ between {path} and {verify}; nothing was "
                    "stored"))
        return self.import_frame(measure, df, source=str(path), file_sha256=file_sha256(path),
                                 reject_bad_rows=reject_bad_rows, anonymous=anonymous,
                                 defaults=defaults)

    def add_submission(self, measure: Measure, submission: Any, **metadata: Any) -> ImportResult:
        """Store one form posted by the HTML form (the result of ``ml.parse_submission``).

        ``submission`` is a mapping of answers (and metadata fields), or an object with
        ``responses`` (and optionally ``metadata``) or ``to_frame()``. Keyword arguments
        (``respondent_id``, ``date``, ``timepoint``, ...) fill metadata not in the form.
        """
        import pandas as pd

        sub_id = getattr(submission, "measure_id", None)
        if isinstance(sub_id, str) and sub_id != measure.id:
            raise ValueError(f"add_submission(submission=...): the submission answers "
                             f"{sub_id!r}, not {measure.id!r}")
        if hasattr(submission, "to_frame") and callable(submission.to_frame):
            df = submission.to_frame()
        else:
            row: dict[str, Any] = {}
            if isinstance(submission, Mapping):
                row.update(submission)
            else:
                for attr in ("responses", "answers", "values"):
                    value = getattr(submission, attr, None)
                    if isinstance(value, Mapping):
                        row.update(value)
                        break
                else:
                    raise TypeError("add_submission(submission=...): expected a mapping of "
                                    "answers or a parsed submission, got "
                                    f"{type(submission).__name__}")
                for attr in ("metadata", "meta"):
                    value = getattr(submission, attr, None)
                    if isinstance(value, Mapping):
                        row.update({k: v for k, v in value.items() if v is not None})
            row = {k: v for k, v in row.items() if k not in ("measure_id", "measure_version")}
            df = pd.DataFrame([row])
        if "date" not in df.columns and "date" not in metadata:
            metadata["date"] = _dt.date.today().isoformat()
        if "mode" not in df.columns and "mode" not in metadata:
            metadata["mode"] = "online"
        return self.import_frame(measure, df, source="form submission", defaults=metadata)

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
                    {"respondent_id": rids, "added_at": _now().isoformat(sep=" ")}),
                    ["respondent_id"])
            start = conn.exec_driver_sql("SELECT COALESCE(MAX(pk), 0) FROM offers").scalar()
            frame.insert(0, "pk", range(int(start) + 1, int(start) + 1 + len(frame)))
            bulk_insert(conn, offers, frame)
        return len(frame)

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
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def scores(self, measure: Measure | str | None = None, score: str | None = None) -> Any:
        """Scores with their administration's metadata, one row per administration and score.

        Columns: administration, respondent_id, episode, date, timepoint, mode,
        respondent_type, site, service, worker, retrospective, anonymous, simulated, equity
        fields,
        measure_id, measure_version, score_id, value, band.
        """
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import EQUITY_FIELDS, administrations, measures, scores

        a, m, s = administrations, measures, scores
        q = select(a.c.pk.label("administration"), a.c.respondent_id, a.c.episode, a.c.date,
                   a.c.timepoint, a.c.mode, a.c.respondent_type, a.c.site, a.c.service,
                   a.c.worker, a.c.retrospective, a.c.anonymous, a.c.simulated,
                   *[a.c[c] for c in EQUITY_FIELDS],
                   m.c.measure_id, m.c.version.label("measure_version"), s.c.score_id,
                   s.c.value, s.c.band).select_from(
            s.join(a, s.c.administration_pk == a.c.pk).join(m, a.c.measure_pk == m.c.pk))
        mid = measure.id if isinstance(measure, Measure) else measure
        if mid is not None:
            q = q.where(m.c.measure_id == mid)
        if score is not None:
            q = q.where(s.c.score_id == score)
        q = q.order_by(a.c.pk, s.c.score_id)
        df = self._read(q)
        df["date"] = pd.to_datetime(df["date"])
        return df

    def administrations(self, measure: Measure | str | None = None) -> Any:
        """Administrations with metadata and their responses (a JSON text per row)."""
        import pandas as pd
        from sqlalchemy import select

        from measurelib.outcomes.store._tables import administrations, measures

        a, m = administrations, measures
        cols = [c for c in a.c if c.name not in ("measure_pk",)]
        q = select(*cols, m.c.measure_id, m.c.version.label("measure_version")).select_from(
            a.join(m, a.c.measure_pk == m.c.pk))
        mid = measure.id if isinstance(measure, Measure) else measure
        if mid is not None:
            q = q.where(m.c.measure_id == mid)
        df = self._read(q.order_by(a.c.pk))
        df["date"] = pd.to_datetime(df["date"])
        return df

    def table(self, name: str) -> Any:
        """A whole table as a DataFrame (``imports``, ``episodes``, ``offers``, ...)."""
        from measurelib.outcomes.store._tables import metadata

        if name not in metadata.tables:
            raise ValueError(f"Store.table(name=...): allowed values are "
                             f"{', '.join(sorted(metadata.tables))}; got {name!r}")
        table = metadata.tables[name]
        from sqlalchemy import select

        return self._read(select(table))

    def imports(self) -> Any:
        """Every import: file, hash, row counts and times."""
        return self.table("imports")

    def counts(self) -> dict[str, int]:
        """Number of rows in each table (for checks)."""
        from sqlalchemy import func, select

        from measurelib.outcomes.store._tables import metadata

        with self.engine.connect() as conn:
            return {name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                    for name, t in sorted(metadata.tables.items())}


def _row(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
