"""The read side of reports: the SQL behind impact reports, feedback sheets and due lists.

Each function asks the database for what a report needs, already paired, grouped or
counted, instead of reading every administration into pandas:

* :func:`paired_scores`: one row per person and episode: the first baseline and the
  follow-up (latest, first, or latest of a label) after it, picked with window functions;
* :func:`monthly_scores`, :func:`score_counts`: the run chart's forms and means per month,
  and the counts of retrospective baselines and simulated forms;
* :func:`participation_counts`: offer records by status and anonymous forms by site;
* :func:`person_scores`, :func:`respondent_measures`: one person's scores (feedback sheet);
* :func:`episode_frame`, :func:`done_occasions`, :func:`episode_counts`: episodes with
  their end (closing date, else first exit form) and latest worker and site; the schedule
  occasions already done, matched to their windows in SQL; the counts behind the due list's
  notes.

Tables and columns relied on: ``administrations`` (pk, measure_pk, respondent_id, episode,
date, timepoint, service, site, worker, mode, respondent_type, retrospective, anonymous,
simulated, the equity fields, ``scores``, the JSON array of the form's scores, and
``run_pk``, read with :func:`score_value`), ``scoring_runs`` (pk, score_ids),
``measures`` (pk, measure_id), ``episodes`` (respondent_id, episode, service, start_date,
end_date) and ``offers`` (respondent_id, measure_id, date, status, count, site, service).
The same SQL runs on SQLite (3.25 or later: window functions) and PostgreSQL.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

__all__ = ["day_bounds", "done_occasions", "episode_counts", "episode_frame",
           "monthly_scores", "paired_scores", "participation_counts", "person_scores",
           "respondent_measures", "score_counts", "score_exists", "score_value"]


def _score_json(store: Any, table: Any, score_id: str, text: bool) -> Any:
    """SQL: one score of each row of ``table`` (``administrations`` or an alias of it) as
    text (``text``) or as a JSON type name / JSON value (to test that the row holds it).

    A row's ``scores`` is a JSON array in the order of its run's ``score_ids`` (migration
    0011): the position of the score in each run is looked up once (few runs) and picked
    by ``run_pk``; rows still holding a JSON object are read by key. ``json_extract`` /
    ``json_type`` on SQLite, ``->>`` / ``->`` on PostgreSQL (a position on an object, or a
    key on an array, is NULL on both). Paths and positions are plain values in the SQL,
    so the expression runs as well through the driver's cursor (``Store._read_rows``).
    """
    import json

    from sqlalchemy import Integer, Text, case, func, literal, literal_column, type_coerce

    raw = type_coerce(table.c.scores, Text)

    def at(path: str | int) -> Any:
        if store.dialect == "postgresql":
            return raw.op("->>" if text else "->")(
                literal(path, Integer if isinstance(path, int) else Text))
        where = f"$[{path}]" if isinstance(path, int) else f"$.{json.dumps(path)}"
        return (func.json_extract if text else func.json_type)(raw, literal(where, Text))

    positions = store._score_positions(score_id)
    if not positions:
        return at(score_id)
    whens = [(table.c.run_pk.in_([literal_column(str(int(r))) for r in runs]), at(pos))
             for pos, runs in sorted(positions.items())]
    return func.coalesce(case(*whens), at(score_id))


def score_value(store: Any, table: Any, score_id: str) -> Any:
    """SQL: the stored value of one score as a float (NULL when missing or not scored).

    ``table`` is ``administrations`` or an alias of it; see :func:`_score_json`.
    """
    from sqlalchemy import Float, cast

    return cast(_score_json(store, table, score_id, text=True), Float)


def score_exists(store: Any, table: Any, score_id: str) -> Any:
    """SQL: true where the administration holds the score, even as a missing value."""
    # a JSON null is a value (SQLite's json_type 'null', PostgreSQL's -> a JSON null); an
    # absent key or position is SQL NULL
    return _score_json(store, table, score_id, text=False).is_not(None)


def day_bounds(start: Any, end: Any) -> tuple[_dt.date | None, _dt.date | None]:
    """The first and last calendar dates inside ``[start, end]`` (date-likes or None).

    A date column compared with a moment (``date >= 2025-03-01 12:00``) keeps the dates from
    the next day on; ``date <= moment`` keeps the moment's own date.
    """
    import pandas as pd

    lo = hi = None
    if start is not None:
        ts = pd.Timestamp(start)
        lo = ts.date() if ts == ts.normalize() else ts.date() + _dt.timedelta(days=1)
    if end is not None:
        hi = pd.Timestamp(end).date()
    return lo, hi


def _score_rows(store: Any, measure_id: str, score_id: str, service: str | None) -> list[Any]:
    """WHERE clauses for the stored values of one score of one measure (missing values,
    stored as JSON ``null``, are not values).
    """
    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m

    conds = [m.c.measure_id == measure_id,
             score_value(store, a, score_id).is_not(None)]
    if service is not None:
        conds.append(a.c.service == service)
    return conds


def _joined() -> Any:
    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m

    return a.join(m, a.c.measure_pk == m.c.pk)


def paired_scores(store: Any, measure_id: str, score_id: str, baseline: str, follow_up: str,
                  *, service: str | None = None, columns: Sequence[str] = (),
                  se: bool = False) -> Any:
    """One row per person and episode with a baseline: the baseline and its follow-up.

    The baseline is the earliest administration labelled ``baseline`` (ties: the first
    stored); the follow-up is, among the later-dated administrations not labelled
    ``baseline``, the latest (``follow_up="last"``), the earliest (``"first"``) or the latest
    labelled ``follow_up`` (ties: the last stored, resp. the first). Only administrations
    with a respondent id and a value count. ``columns`` (administration columns such as
    ``site``) are those of the baseline.

    Returns a DataFrame: respondent_id, episode (missing read as ``"1"``), baseline_date,
    baseline, the ``columns``, follow_up_date, follow_up_timepoint, follow_up (missing
    when there is no follow-up), in no particular order; with ``se``, also baseline_se and
    follow_up_se: the stored standard errors of an IRT score (the score ``<score_id>_se``).
    """
    from sqlalchemy import Integer, and_, case, cast, func, select

    from measurelib.outcomes.store._tables import administrations as a

    conds = [*_score_rows(store, measure_id, score_id, service), a.c.respondent_id.is_not(None)]
    episode = func.coalesce(a.c.episode, "1").label("episode")
    # each row's episode learns its first baseline date (one window, sorted once) ...
    first_base = func.min(case((a.c.timepoint == baseline, a.c.date))).over(
        partition_by=[a.c.respondent_id, episode])
    rows = (select(a.c.respondent_id, episode, a.c.date, a.c.timepoint,
                   _order_key(store, a.c.date, a.c.pk).label("key"),
                   first_base.label("base_date"))
            .select_from(_joined()).where(*conds).subquery("score_rows"))
    r = rows.c
    later = [r.timepoint != baseline, r.date > r.base_date]
    if follow_up not in ("last", "first"):
        later.append(r.timepoint == follow_up)
    # ... and one GROUP BY picks, by their (date, key) text, the baseline and follow-up rows
    pick = func.min if follow_up == "first" else func.max
    pairs = (select(r.respondent_id, r.episode,
                    func.min(case((r.timepoint == baseline, r.key))).label("base_key"),
                    pick(case((and_(*later), r.key))).label("fu_key"))
             .where(r.base_date.is_not(None)).group_by(r.respondent_id, r.episode)
             .subquery("pairs"))
    p = pairs.c
    ab, af = a.alias("ab"), a.alias("af")
    joined = (pairs.join(ab, ab.c.pk == cast(func.substr(p.base_key, 11), Integer))
              .outerjoin(af, af.c.pk == cast(func.substr(p.fu_key, 11), Integer)))
    extra: list[Any] = []
    if se:  # each side's standard error, stored as the score ``<score_id>_se``
        extra = [score_value(store, side, score_id + "_se").label(name)
                 for side, name in ((ab, "baseline_se"), (af, "follow_up_se"))]
    q = (select(p.respondent_id, p.episode, ab.c.date.label("baseline_date"),
                score_value(store, ab, score_id).label("baseline"),
                *[ab.c[col] for col in columns],
                af.c.date.label("follow_up_date"), af.c.timepoint.label("follow_up_timepoint"),
                score_value(store, af, score_id).label("follow_up"), *extra)
         .select_from(joined))
    return store._read_rows(q)


def _order_key(store: Any, date: Any, pk: Any) -> Any:
    """``YYYY-MM-DD`` followed by the key padded to 12 digits: text that sorts as
    (date, stored order), so MIN/MAX pick the first/last row without a second sort.
    """
    from sqlalchemy import func

    if store.dialect == "postgresql":
        return func.to_char(date, "YYYY-MM-DD").op("||")(
            func.lpad(func.cast(pk, _text_type()), 12, "0"))
    return date.op("||")(func.printf("%012d", pk))


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


def _month(store: Any, column: Any) -> Any:
    from sqlalchemy import func

    if store.dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite keeps dates as YYYY-MM-DD text


def monthly_scores(store: Any, measure_id: str, score_id: str, *, service: str | None = None,
                   start: Any = None, end: Any = None) -> Any:
    """Forms and mean score per calendar month (``YYYY-MM``) of every stored value.

    Anonymous forms count (they have a score, not a person). Returns a DataFrame indexed
    by month with ``size`` and ``mean``, months in order.
    """
    import pandas as pd
    from sqlalchemy import func, select

    from measurelib.outcomes.store._tables import administrations as a

    lo, hi = day_bounds(start, end)
    conds = _score_rows(store, measure_id, score_id, service)
    if lo is not None:
        conds.append(a.c.date >= lo)
    if hi is not None:
        conds.append(a.c.date <= hi)
    month = _month(store, a.c.date).label("month")
    value = score_value(store, a, score_id)
    q = (select(month, func.count().label("size"), func.avg(value).label("mean"))
         .select_from(_joined()).where(*conds).group_by(month))
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    out = pd.DataFrame([(str(m_), int(n), float(v)) for m_, n, v in rows],
                       columns=["month", "size", "mean"]).set_index("month").sort_index()
    return out


def score_counts(store: Any, measure_id: str, score_id: str, baseline: str, *,
                 service: str | None = None) -> dict[str, int]:
    """Stored values of a score that are retrospective baselines, and that are simulated."""
    from sqlalchemy import and_, case, func, select

    from measurelib.outcomes.store._tables import administrations as a

    q = (select(
        func.coalesce(func.sum(case((and_(a.c.retrospective.is_(True),
                                          a.c.timepoint == baseline), 1), else_=0)), 0),
        func.coalesce(func.sum(case((a.c.simulated.is_(True), 1), else_=0)), 0))
        .select_from(_joined()).where(*_score_rows(store, measure_id, score_id, service)))
    with store.engine.connect() as conn:
        retro, sim = conn.execute(q).one()
    return {"retrospective": int(retro), "simulated": int(sim)}


def participation_counts(store: Any, measure_id: str, *, start: Any = None, end: Any = None,
                         service: str | None = None) -> dict[str, Any]:
    """Offer records of named people by status; anonymous forms and forms handed out by site.

    Returns ``{"offers": {status: count}, "returned": {site: n}, "handed_out": {site: n}}``;
    a missing site is ``"(all)"``.
    """
    from sqlalchemy import func, select

    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m
    from measurelib.outcomes.store._tables import offers as o

    lo, hi = day_bounds(start, end)

    def window(table: Any) -> list[Any]:
        conds = []
        if lo is not None:
            conds.append(table.c.date >= lo)
        if hi is not None:
            conds.append(table.c.date <= hi)
        if service is not None:
            conds.append(table.c.service == service)
        return conds

    count = o.c["count"]
    osite = func.coalesce(o.c.site, "(all)").label("site")
    asite = func.coalesce(a.c.site, "(all)").label("site")
    with store.engine.connect() as conn:
        named = conn.execute(
            select(o.c.status, func.sum(count)).where(
                o.c.measure_id == measure_id, o.c.respondent_id.is_not(None), *window(o))
            .group_by(o.c.status)).all()
        handed = conn.execute(
            select(osite, func.sum(count)).where(
                o.c.measure_id == measure_id, o.c.respondent_id.is_(None),
                o.c.status == "offered", *window(o)).group_by(osite)).all()
        returned = conn.execute(
            select(asite, func.count()).select_from(a.join(m, a.c.measure_pk == m.c.pk))
            .where(m.c.measure_id == measure_id, a.c.anonymous.is_(True), *window(a))
            .group_by(asite)).all()
    return {"offers": {str(k): int(v or 0) for k, v in named},
            "handed_out": {str(k): int(v or 0) for k, v in handed},
            "returned": {str(k): int(v) for k, v in returned}}


def person_scores(store: Any, measure_id: str, score_id: str, respondent_id: str,
                  episode: str | None = None) -> list[tuple[_dt.date, float | None]]:
    """One person's stored values of a score as ``(date, value)``, by date (ties: stored order).

    Values the scoring left missing are ``None``. No pandas: a feedback sheet for one person
    needs a handful of rows.
    """
    return [(day, value) for day, value, _ in
            person_scores_se(store, measure_id, score_id, respondent_id, episode)]


def person_scores_se(store: Any, measure_id: str, score_id: str, respondent_id: str,
                     episode: str | None = None
                     ) -> list[tuple[_dt.date, float | None, float | None]]:
    """As :func:`person_scores`, with each value's stored standard error (the score
    ``<score_id>_se`` of the same administration; ``None`` where there is none).
    """
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m

    q = (select(a.c.date, score_value(store, a, score_id),
                score_value(store, a, score_id + "_se"))
         .select_from(_joined())
         .where(m.c.measure_id == measure_id, score_exists(store, a, score_id),
                a.c.respondent_id == str(respondent_id)))
    if episode is not None:
        q = q.where(a.c.episode == str(episode))
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(a.c.date, a.c.pk)).all()
    out = []
    for day, value, se in rows:
        v = None if value is None or value != value else float(value)
        e_ = None if se is None or se != se else float(se)
        out.append((_dt.date.fromisoformat(str(day)[:10]) if not isinstance(day, _dt.date)
                    else day, v, e_))
    return out


def respondent_measures(store: Any, respondent_id: str) -> list[str]:
    """Ids of the measures of which the store holds scores of ``respondent_id``, sorted."""
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m

    with store.engine.connect() as conn:
        ids = conn.execute(select(m.c.measure_id).distinct().select_from(_joined())
                           .where(a.c.respondent_id == str(respondent_id),
                                  a.c.scores.is_not(None))).scalars().all()
    return sorted(str(i) for i in ids)


def _one_of(column: Any, values: Sequence[str]) -> Any:
    """``column IN (values)`` written out (plain bound values, no expanding parameter)."""
    from sqlalchemy import false, or_

    if not values:
        return false()
    return or_(*[column == v for v in values])


def _end_dates(exit_ids: Sequence[str]) -> Any:
    """Per episode: its closing date, else the date of its first exit form (a CTE)."""
    from sqlalchemy import and_, func, select

    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import episodes as e

    exits = (select(a.c.respondent_id, a.c.episode, func.min(a.c.date).label("exit_date"))
             .where(_one_of(a.c.timepoint, exit_ids))
             .group_by(a.c.respondent_id, a.c.episode).subquery("exits"))
    x = exits.c
    return (select(e.c.respondent_id, e.c.episode, e.c.service, e.c.start_date,
                   func.coalesce(e.c.end_date, x.exit_date).label("end_date"))
            .select_from(e.outerjoin(exits, and_(x.respondent_id == e.c.respondent_id,
                                                 x.episode == e.c.episode)))
            .cte("episode_ends"))


def episode_frame(store: Any, service: str | None, exit_ids: Sequence[str]) -> Any:
    """Episodes (of ``service``, or all) with their end and latest worker and site.

    Columns: respondent_id, episode, service, start_date, end_date (the closing date, else
    the date of the first form labelled with one of ``exit_ids``), worker and site (of the
    latest administration of the episode, of any measure; ties: the last stored).
    """
    import pandas as pd
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import administrations as a

    ends = _end_dates(exit_ids)
    en = ends.c
    # the latest form of each episode: one index look-up per episode (faster than ranking
    # every administration with a window)
    x = a.alias("x")
    latest_pk = (select(x.c.pk).where(x.c.respondent_id == en.respondent_id,
                                      x.c.episode == en.episode)
                 .order_by(x.c.date.desc(), x.c.pk.desc()).limit(1).scalar_subquery())
    q = (select(en.respondent_id, en.episode, en.service, en.start_date, en.end_date,
                a.c.worker, a.c.site)
         .select_from(ends.outerjoin(a, a.c.pk == latest_pk)))
    if service is not None:
        q = q.where(en.service == service)
    df = store._read_rows(q.order_by(en.respondent_id, en.episode))
    for col in ("start_date", "end_date"):
        df[col] = pd.to_datetime(df[col])
    return df


def _days(store: Any, later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later`` (two date columns) as an integer."""
    from sqlalchemy import Integer, cast, func

    if store.dialect == "postgresql":
        return later - earlier  # date - date is an integer there
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def done_occasions(store: Any, schedule: Any) -> Any:
    """The schedule's occasions already done: one row per respondent_id, episode,
    measure_id, timepoint and occasion (0 for entry and exit, 1, 2, ... for ``every``).

    An ``entry`` timepoint is done by a form with its label whenever taken; the ``k``-th
    occasion of an ``every`` timepoint by one dated within ``tolerance`` of ``start + k ×
    every`` (windows never overlap, so a date falls in at most one); an ``exit`` timepoint
    by one within ``tolerance`` of the episode's end.
    """
    from sqlalchemy import and_, literal, select, union_all

    from measurelib.outcomes.store._tables import administrations as a
    from measurelib.outcomes.store._tables import measures as m

    ends = _end_dates([t.id for t in schedule.timepoints if t.at == "exit"])
    en = ends.c
    parts = []
    joined = a.join(m, a.c.measure_pk == m.c.pk)
    with_ep = joined.join(ends, and_(en.respondent_id == a.c.respondent_id,
                                     en.episode == a.c.episode))
    for tp in schedule.timepoints:
        mids = list(tp.measures or schedule.measures)
        tol = tp.tolerance.total_days
        head = [a.c.respondent_id, a.c.episode, m.c.measure_id, a.c.timepoint]
        conds = [a.c.timepoint == tp.id, _one_of(m.c.measure_id, mids),
                 a.c.respondent_id.is_not(None)]
        if tp.at == "entry":
            parts.append(select(*head, literal(0).label("occasion"))
                         .select_from(joined).where(*conds))
        elif tp.at == "exit":
            d = _days(store, a.c.date, en.end_date)
            parts.append(select(*head, literal(0).label("occasion")).select_from(with_ep)
                         .where(*conds, en.end_date.is_not(None), d >= -tol, d <= tol))
        else:
            every = tp.every.total_days
            d = _days(store, a.c.date, en.start_date)
            k = (d + tol) // every  # floor division: d + tol >= every > 0 here
            parts.append(select(*head, k.label("occasion")).select_from(with_ep)
                         .where(*conds, d + tol >= every, d - k * every <= tol))
    q = union_all(*parts).subquery("done")
    return store._read_rows(select(*q.c).distinct())


def episode_counts(store: Any, day: _dt.date, services: Sequence[str]) -> dict[str, Any]:
    """Counts behind the due list's notes: episodes, those without a service, those not
    closed by ``day``, those of each of ``services``, and the services present.
    """
    from sqlalchemy import case, func, or_, select

    from measurelib.outcomes.store._tables import episodes as e

    with store.engine.connect() as conn:
        total, no_service, open_ = conn.execute(select(
            func.count(),
            func.coalesce(func.sum(case((e.c.service.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((or_(e.c.end_date.is_(None), e.c.end_date > day), 1),
                                        else_=0)), 0))).one()
        present = conn.execute(select(e.c.service, func.count()).group_by(e.c.service)).all()
    by = {str(s): int(n) for s, n in present if s is not None}
    return {"total": int(total), "no_service": int(no_service), "open": int(open_),
            "by_service": {s: by.get(s, 0) for s in services}, "services": sorted(by)}
