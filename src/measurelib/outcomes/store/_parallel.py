"""Import a Dask DataFrame into PostgreSQL in parallel partitions, in two phases.

Phase 1, on the Dask workers: each partition is checked and scored (:func:`prepare`, the
file import's own checks) and its rows are written by the worker, through its own
connection (``COPY``), into a staging table of this import: an UNLOGGED table shaped like
``administrations`` (``LIKE administrations INCLUDING DEFAULTS``) plus the partition
number, the row's position in it and its natural key. Each partition is staged in one
transaction that also records it in ``<stage>_parts``; a task that Dask runs again (a lost
worker) finds its partition there and replaces the rows of the earlier attempt, so no
partition is staged twice.

Phase 2, in this process: ONE transaction, holding the measure's advisory lock as every
import does, moves the staged rows into ``respondents``, ``episodes`` and
``administrations`` with ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (no conflict
target: every unique index of the table is honoured), in the order of the data, and writes
the ``imports`` row with the counts. "Already stored" is counted from what the insert
returned, not from the key's layout. Nothing reaches the store's tables before that
transaction commits, and the staging table is dropped in it.

A staging table is named ``measurelib_stage_<token>``; while its import runs, the import's
coordinating connection holds the session advisory lock ``(STAGE_LOCK_SPACE, token)``. A
coordinator that dies (killed, machine lost) loses its connection and so the lock: the next
parallel import finds the table unlocked and drops it. A live import's table is locked and
left alone.

Row numbers: each worker reports its partition's length with its problems (positions in
the partition); once every partition has reported, the row number of a problem is the
number of rows of the partitions before it plus its position plus 2 (the heading is row 1),
as in the sequential import. The data are computed once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from measurelib.definition import Measure

STAGE_PREFIX = "measurelib_stage_"
"""Name of a staging table, before its token."""

STAGE_LOCK_SPACE = 0x6D6C5354
"""First key of the two-key session advisory lock that marks a staging table in use (the
two-key and one-key advisory lock spaces of PostgreSQL do not overlap)."""

MOVE_WORK_MEM = "128MB"
"""PostgreSQL ``work_mem`` of the move's transaction (its sorts of the staged rows)."""

_EXTRA = {"part": "integer", "pos": "integer", "natural_key": "text", "good": "boolean"}
_RUN_MARK = -1  # staged rows with scores carry this run key; the move gives the real one


@dataclass(frozen=True)
class PartitionJob:
    """What a worker needs to check, score and stage partitions (pickles with the measure)."""

    url: str
    stage: str
    measure: Measure
    anonymous: bool
    defaults: Mapping[str, Any] | None
    timepoints: Any
    allowed: Mapping[str, list[str]]
    bands: list[list[Any]]
    score_ids: list[str]


def _partition_lock(stage: str, part: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{stage}:{part}".encode()).digest()[:8], "big",
                          signed=True)


def stage_partition(frame: Any, part: int, job: PartitionJob) -> dict[str, Any]:
    """Check, score and stage one partition (runs on a Dask worker).

    Returns the partition's report: ``part``, ``n`` (rows), ``n_bad``, ``n_good``, the
    column ``names`` staged and ``problems`` (positions in the partition).
    """
    import numpy as np
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from measurelib.outcomes.store._bulk import copy_rows
    from measurelib.outcomes.store._import import administration_rows, mark_bad_rows, prepare

    frame = frame.reset_index(drop=True)
    n = len(frame)
    report: dict[str, Any] = {"part": part, "n": n, "n_bad": 0, "n_good": 0, "names": None,
                              "problems": None}
    if not n:
        return report
    measure = job.measure
    meta, key, responses, scored, problems = prepare(
        measure, frame, anonymous=job.anonymous, defaults=job.defaults,
        timepoints=job.timepoints)
    natural = key
    if job.anonymous:  # the k-th identical form of the partition; the move counts globally
        key = key + "|" + key.groupby(key).cumcount().astype("string")
    bad, problems = mark_bad_rows(key, problems)
    good = ~bad
    where = np.flatnonzero(good)
    chosen = scored[scored["index"].isin(where)]
    args = (meta[good], key[good], responses[good], chosen)
    opts: dict[str, Any] = {
        "columns": measure.response_columns(), "measure_pk": 0, "series": 0,
        "import_pk": None, "anonymous": job.anonymous, "allowed": job.allowed,
        "run_pk": _RUN_MARK, "bands": job.bands}
    ids = list(job.score_ids)
    names, rows, _ = administration_rows(*args, **opts, score_ids=ids)
    if len(ids) > len(job.score_ids):
        # a score the positions the coordinator named do not hold: this partition's rows
        # keep their scores as objects (read like arrays), so no two workers number a score
        names, rows, _ = administration_rows(*args, **opts, score_ids=None)
    keys = natural.tolist()
    engine = create_engine(job.url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            # one stager of a partition at a time; a rerun replaces what a lost attempt staged
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_partition_lock(job.stage, part)})")
            if not conn.exec_driver_sql(
                    f"INSERT INTO {job.stage}_parts VALUES ({int(part)}) ON CONFLICT DO NOTHING "
                    "RETURNING part").first():  # staged before by a lost attempt
                conn.exec_driver_sql(f"DELETE FROM {job.stage} WHERE part = {int(part)}")
            copy_rows(conn, job.stage, [*names, *_EXTRA],
                      ((*row, part, pos, keys[pos], True)
                       for row, pos in zip(rows, where.tolist())))
            if job.anonymous and bad.any():  # bad forms still count as occurrences
                copy_rows(conn, job.stage, list(_EXTRA),
                          ((part, pos, keys[pos], False) for pos in np.flatnonzero(bad).tolist()))
    finally:
        engine.dispose()
    report.update(n_bad=int(bad.sum()), n_good=len(rows), names=names,
                  problems=problems.sort_values("index", kind="stable").reset_index(drop=True))
    return report


def in_partitions(run: Callable[[], Any], lengths: list[int], source: str | None) -> Any:
    """Run an import of a Dask DataFrame (``run``) and name the partition of each problem.

    ``lengths`` holds the partitions' lengths once ``run`` has read them. The rejected rows
    get a ``partition`` column (0 for the first); the diagnostics of a failed import are
    located at ``"<source>, partition N"`` (``"partition N"`` without a source), row and
    column as before.
    """
    import dataclasses

    from measurelib.errors import DataError

    def partition(rows: Any) -> Any:
        import numpy as np

        ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
        return np.searchsorted(ends, np.asarray(rows, dtype=np.int64) - 2, side="right")

    try:
        result = run()
    except DataError as err:
        named = []
        for d in err.errors:
            if d.location is not None and d.location.row is not None:
                p = int(partition([d.location.row])[0])
                where = f"{source}, partition {p}" if source else f"partition {p}"
                d = dataclasses.replace(d, location=dataclasses.replace(d.location, file=where))
            named.append(d)
        raise DataError(named, title=err.title) from None
    rejected = result.rejected.copy()
    rejected["partition"] = partition(rejected["row"]).astype(int)
    return result.model_copy(update={"rejected": rejected})


# ---------------------------------------------------------------------- staging table
def _autocommit(store: Any) -> Any:
    return store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def remove_leftover_stages(conn: Any) -> list[str]:
    """Drop the staging tables whose import is no longer running; returns their names."""
    rows = conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND left(tablename, %(n)s) = %(prefix)s",
        {"n": len(STAGE_PREFIX), "prefix": STAGE_PREFIX}).all()
    dropped = []
    for (name,) in rows:
        token = name[len(STAGE_PREFIX):].removesuffix("_parts")
        if not token.isdigit():
            continue
        lock = f"{STAGE_LOCK_SPACE}, {int(token)}"
        if conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({lock})").scalar():
            try:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
                dropped.append(name)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({lock})")
    return dropped


def create_stage(conn: Any) -> tuple[str, int]:
    """Create this import's staging table and hold its lock; returns ``(name, token)``."""
    while True:
        token = secrets.randbelow(2**31 - 1) + 1
        if conn.exec_driver_sql(
                f"SELECT pg_try_advisory_lock({STAGE_LOCK_SPACE}, {token})").scalar():
            break
    name = f"{STAGE_PREFIX}{token}"
    conn.exec_driver_sql(f"CREATE UNLOGGED TABLE {name} (LIKE administrations INCLUDING "
                         f"DEFAULTS, {', '.join(f'{c} {t}' for c, t in _EXTRA.items())})")
    # the move gives keys, run and import; bad anonymous forms are staged as keys only
    cols = conn.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        f"current_schema() AND table_name = '{name}' AND is_nullable = 'NO'").scalars().all()
    for col in cols:
        conn.exec_driver_sql(f'ALTER TABLE {name} ALTER COLUMN "{col}" DROP NOT NULL')
    conn.exec_driver_sql(f"ALTER TABLE {name} ALTER COLUMN pk DROP DEFAULT")  # keys: the move's
    # the partitions staged so far: a task run again finds its partition here (no scan)
    conn.exec_driver_sql(f"CREATE UNLOGGED TABLE {name}_parts (part integer PRIMARY KEY)")
    return name, token


def drop_stage(conn: Any, name: str, token: int) -> None:
    """Drop the staging table (if still there) and release its lock."""
    try:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}, {name}_parts")
    finally:
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({STAGE_LOCK_SPACE}, {token})")


def _probe(store: Any, measure: Measure
           ) -> tuple[dict[str, list[str]], list[list[Any]], list[str]]:
    """The services' equity fields, the scoring run's band labels and the positions of its
    score arrays (those stored, then the measure's scores), read in a transaction that is
    rolled back (the measure and run are written for real by the move).
    """
    from measurelib.outcomes.store._store import run_score_ids

    with store.engine.connect() as conn:
        trans = conn.begin()
        try:
            measure_pk = store.add_measure(measure, conn)
            run_pk, bands = store._scoring_run(conn, measure, measure_pk)
            ids = run_score_ids(conn, run_pk)
            ids += [s.id for s in measure.scores if s.id not in ids]
            return store._equity_by_service(conn), bands, ids
        finally:
            trans.rollback()


# ---------------------------------------------------------------------- coordinator
def import_parallel(store: Any, measure: Measure, data: Any, *, source: str | None,
                    reject_bad_rows: bool, anonymous: bool,
                    defaults: Mapping[str, Any] | None, lengths: list[int]) -> Any:
    """Stage ``data``'s partitions on the Dask workers, then move them in one transaction.

    ``lengths`` receives the partitions' lengths, as the workers report them.
    """
    import importlib

    dask: Any = importlib.import_module("dask")

    from measurelib.outcomes.store._import import ChunkedImport

    job = ChunkedImport(store, measure, source=source, file_sha256=None,
                        reject_bad_rows=reject_bad_rows, anonymous=anonymous,
                        defaults=defaults)
    allowed, bands, score_ids = _probe(store, measure)
    holder = _autocommit(store)
    try:
        remove_leftover_stages(holder)
        stage, token = create_stage(holder)
        try:
            spec = PartitionJob(url=store.engine.url.render_as_string(hide_password=False),
                                stage=stage, measure=measure, anonymous=anonymous,
                                defaults=dict(defaults) if defaults else None,
                                timepoints=job.timepoints, allowed=allowed, bands=bands,
                                score_ids=score_ids)
            tasks = [dask.delayed(stage_partition, pure=False)(frame, i, spec)
                     for i, frame in enumerate(data.to_delayed())]
            reports = sorted(dask.compute(*tasks), key=lambda r: int(r["part"]))
            lengths.extend(int(r["n"]) for r in reports)
            try:
                return _move(job, stage, reports, allowed, bands, score_ids)
            except BaseException:
                job.abort()
                raise
        finally:
            drop_stage(holder, stage, token)
    finally:
        holder.close()


def _move(job: Any, stage: str, reports: list[dict[str, Any]],
          allowed: Mapping[str, list[str]], bands: list[list[Any]],
          score_ids: list[str]) -> Any:
    """Phase 2: the one transaction that moves the staged rows and records the import."""
    import numpy as np

    n_parts = len(reports)
    worker_bad = [p for p, r in enumerate(reports) if r["n_bad"]]
    # without reject_bad_rows the sequential import stops storing after the first bad
    # partition: the partitions up to it are written (then rolled back) to find the forms
    # an earlier partition already holds, as it does
    upto = worker_bad[0] if worker_bad and not job.reject_bad_rows else n_parts - 1
    job._begin()
    conn = job.conn
    conn.exec_driver_sql(f"LOCK TABLE {stage} IN EXCLUSIVE MODE")  # no late writer
    # the move sorts and joins every staged row: in memory, planned on the table's numbers
    conn.exec_driver_sql(f"SET LOCAL work_mem = '{MOVE_WORK_MEM}'")
    conn.exec_driver_sql(f"ANALYZE {stage}")
    if job.allowed != allowed:
        raise RuntimeError("the services' equity fields changed while the partitions were "
                           "staged; run the import again")
    _check_staged(conn, stage, reports)
    run_pk = None
    if conn.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {stage} WHERE run_pk IS NOT NULL "
                            f"AND part <= {upto})").scalar():
        run_pk, layout = job.store._scoring_run(conn, job.measure, job.measure_pk)
        _check_bands(bands, layout)
        _record_score_ids(conn, run_pk, score_ids)
    _move_people(conn, stage, upto)
    names = next((r["names"] for r in reports[:upto + 1] if r["n_good"]), None)
    n_inserted, repeats = (_move_administrations(conn, stage, names, job, upto, run_pk)
                           if names else (0, []))
    # a form repeating one this import stored from an earlier partition is a duplicate row
    first_dup = min((p for p, _ in repeats), default=n_parts)
    reported_upto = n_parts - 1 if job.reject_bad_rows else min(upto, first_dup)
    dups: dict[int, list[int]] = {}
    for p, pos in repeats:
        if p <= reported_upto:
            dups.setdefault(p, []).append(pos)
    n_dup = sum(len(v) for v in dups.values())
    job.n_rows = sum(int(r["n"]) for r in reports)
    job.n_inserted = n_inserted
    job.n_already = sum(int(r["n_good"]) for r in reports[:upto + 1]) - n_dup - n_inserted
    job.n_rejected = sum(int(r["n_bad"]) for r in reports) + n_dup
    offsets = np.cumsum([0] + [int(r["n"]) for r in reports])
    job.rejected = _rejected(reports, dups, offsets)
    job.failed = bool(job.n_rejected) and not job.reject_bad_rows
    if not job.failed:
        conn.exec_driver_sql(f"DROP TABLE {stage}, {stage}_parts")
    return job.finish()


def _check_staged(conn: Any, stage: str, reports: list[dict[str, Any]]) -> None:
    counts = dict(conn.exec_driver_sql(
        f"SELECT part, count(*) FILTER (WHERE good) FROM {stage} GROUP BY part").all())
    for r in reports:
        if int(counts.get(r["part"], 0)) != int(r["n_good"]):
            raise RuntimeError(f"partition {r['part']}: {r['n_good']} row(s) checked but "
                               f"{counts.get(r['part'], 0)} staged; run the import again")


def _record_score_ids(conn: Any, run_pk: int, score_ids: list[str]) -> None:
    """Name the positions the workers' score arrays used (migration 0011): the run's stored
    ids and the workers' must agree as far as both go (a run only ever appends ids).
    """
    from measurelib.outcomes.store._store import run_score_ids

    stored = run_score_ids(conn, run_pk)
    if stored[:len(score_ids)] != score_ids[:len(stored)]:
        raise RuntimeError("the scoring run's score positions changed while the partitions "
                           "were staged; run the import again")
    if len(score_ids) > len(stored):
        run_score_ids(conn, run_pk, list(score_ids))


def _check_bands(probed: list[list[Any]], layout: list[list[Any]]) -> None:
    """The band numbers the workers gave must mean the same labels in the run's layout."""
    for (sid, labels), (sid2, labels2) in zip(probed, layout):
        if sid != sid2 or labels2[:len(labels)] != labels:
            raise RuntimeError("the scoring run's band labels changed while the partitions "
                               "were staged; run the import again")
    if len(layout) < len(probed):
        raise RuntimeError("the scoring run's band labels changed while the partitions were "
                           "staged; run the import again")


def _move_people(conn: Any, stage: str, upto: int) -> None:
    """Respondents and episodes first seen in the staged rows (insert-if-absent); an
    episode's service and start date come from the first partition it appears in, as the
    sequential import takes them from the first chunk.
    """
    from measurelib.outcomes.store._store import _epoch

    now = _epoch()
    named = f"good AND respondent_id IS NOT NULL AND part <= {upto}"
    conn.exec_driver_sql(
        f"INSERT INTO respondents (respondent_id, added_at) SELECT DISTINCT respondent_id, "
        f"%(now)s::bigint FROM {stage} WHERE {named} ORDER BY respondent_id "
        "ON CONFLICT (respondent_id) DO NOTHING", {"now": now})
    conn.exec_driver_sql(
        "INSERT INTO episodes (respondent_id, episode, service, start_date) "
        "SELECT s.respondent_id, s.episode, "
        "(array_agg(s.service ORDER BY s.pos) FILTER (WHERE s.service IS NOT NULL))[1], "
        f"min(s.date) FROM {stage} s JOIN (SELECT respondent_id, episode, min(part) AS part "
        f"FROM {stage} WHERE {named} GROUP BY respondent_id, episode) f "
        "USING (respondent_id, episode, part) WHERE s.good "
        "GROUP BY s.respondent_id, s.episode ORDER BY s.respondent_id, s.episode "
        "ON CONFLICT (respondent_id, episode) DO NOTHING")


def _move_administrations(conn: Any, stage: str, names: list[str], job: Any, upto: int,
                          run_pk: int | None) -> tuple[int, list[tuple[int, int]]]:
    """Insert the staged forms in the data's order; returns ``(n inserted, repeats)``.

    ``repeats``: the ``(partition, position)`` of each form whose natural key an earlier
    partition's form has, where that earlier form was inserted by this import.
    """
    order = f"{stage}_order"
    # keys from the table's sequence, given in the data's order (the inner ORDER BY is
    # kept: the sequence is called on the sorted rows)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {order} ON COMMIT DROP AS SELECT q.*, CASE WHEN q.good AND "
        f"q.part <= {upto} AND ({'true' if job.anonymous else 'q.occ = 1'}) THEN "
        "nextval(pg_get_serial_sequence('administrations', 'pk')) END AS pk FROM ("
        "SELECT part, pos, good, natural_key, "
        "row_number() OVER (PARTITION BY natural_key ORDER BY part, pos) AS occ, "
        "count(*) OVER (PARTITION BY natural_key) > 1 AS multi "
        f"FROM {stage} ORDER BY part, pos) q")
    conn.exec_driver_sql(f"ANALYZE {order}")  # a hash join of the staged rows with it
    given = {"pk": "o.pk", "measure_pk": str(int(job.measure_pk)),
             "measure_series": str(int(job.series)),
             "import_pk": str(int(job.import_pk)),
             "run_pk": "CASE WHEN s.run_pk IS NULL THEN NULL ELSE "
                       f"{int(run_pk) if run_pk is not None else 'NULL'}::integer END"}
    if job.anonymous:
        # the k-th identical anonymous form of the data is its own form: its key is the
        # digest of "<key>|<k>" (as _tables.key_hash), k counted over all partitions
        given["key_hash"] = ("substring(sha256(convert_to(o.natural_key || '|' || "
                             "(o.occ - 1)::text, 'UTF8')) FROM 1 FOR 16)")
    columns = ["pk", *[c for c in names if c != "pk"]]
    select = ", ".join(given.get(c, f's."{c}"') for c in columns)
    n, multi = conn.exec_driver_sql(
        f"WITH ins AS (INSERT INTO administrations ({', '.join(columns)}) SELECT {select} "
        f"FROM {stage} s JOIN {order} o USING (part, pos) WHERE o.pk IS NOT NULL "
        "ON CONFLICT DO NOTHING RETURNING pk) "
        "SELECT (SELECT count(*) FROM ins), (SELECT array_agg(o.natural_key) FROM "
        f"{order} o WHERE o.multi AND o.pk IN (SELECT pk FROM ins))").one()
    if job.anonymous or not multi:
        return int(n), []
    ours = set(multi)
    later = conn.exec_driver_sql(
        f"SELECT part, pos, natural_key FROM {order} WHERE occ > 1 AND part <= {upto} "
        "ORDER BY part, pos").all()
    return int(n), [(int(p), int(pos)) for p, pos, k in later if k in ours]


def _rejected(reports: list[dict[str, Any]], dups: Mapping[int, list[int]],
              offsets: Any) -> list[Any]:
    """The rejected rows in the sequential import's order: partition by partition, by
    position, a partition's own problems before its repeats of earlier partitions.
    """
    import numpy as np
    import pandas as pd

    from measurelib.outcomes.store._import import _dup_problems

    out = []
    for p, r in enumerate(reports):
        problems = r["problems"]
        if p in dups:
            problems = pd.concat([problems, _dup_problems(np.asarray(dups[p]))],
                                 ignore_index=True)
        if problems is None or not len(problems):
            continue
        problems = problems.sort_values("index", kind="stable")
        out.append(pd.DataFrame({
            "row": problems["index"].to_numpy(dtype=int) + int(offsets[p]) + 2,
            "column": problems["column"].astype(str).to_numpy(),
            "code": problems["code"].astype(str).to_numpy(),
            "message": problems["message"].astype(str).to_numpy()}))
    return out
