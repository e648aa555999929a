"""One person's records in the store: episodes, single forms, erasure and retention.

What a service running day to day needs from the store beyond imports: open and close
episodes of care, store one form and learn its key and the alerts it set off, erase
everything of one person, and remove (or anonymise) the forms of episodes that closed
longer ago than the service keeps data.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any, Literal

from measurelib._results import Result
from measurelib.definition import Measure
from measurelib.errors import CODES, DataError, Diagnostic, Location
from measurelib.outcomes.store._store import ImportResult

__all__ = ["AddSubmissionResult", "ErasureResult", "FiredAlert", "RetentionResult"]

RETENTION_ACTIONS = ("delete", "anonymise")


class FiredAlert(Result):
    """A declared alert of a measure that a form's answers set off."""

    alert_id: str
    severity: str
    text: str


class ErasureResult(Result):
    """What :meth:`Store.erase_respondent` removed (counts of rows, by table)."""

    respondent_id: str
    n_administrations: int
    n_scores: int
    n_offers: int
    n_episodes: int

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (f"erased {self.respondent_id}: {self.n_administrations} administration(s), "
                f"{self.n_scores} score(s), {self.n_offers} offer record(s), "
                f"{self.n_episodes} episode(s)")


class RetentionResult(Result):
    """What :meth:`Store.apply_retention` removed or anonymised (or would, ``dry_run``)."""

    service: str
    months: int
    action: str
    cutoff: _dt.date
    """Episodes that closed on or before this date are past the retention period."""
    dry_run: bool
    n_administrations: int
    n_scores: int
    n_offers: int
    episodes: list[tuple[str, str]]
    """The (respondent id, episode) pairs past the retention period."""

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        verb = {"delete": "deleted", "anonymise": "anonymised"}[self.action]
        if self.dry_run:
            verb = f"would be {verb}"
        return (f"{self.service}: {len(self.episodes)} episode(s) closed on or before "
                f"{self.cutoff} ({self.months} month(s) ago): {self.n_administrations} "
                f"administration(s), {self.n_scores} score(s) and {self.n_offers} offer "
                f"record(s) {verb}")


def months_before(day: _dt.date, months: int) -> _dt.date:
    """``day`` less ``months`` calendar months (the 31st becomes the month's last day).

    >>> months_before(_dt.date(2026, 3, 31), 1)
    datetime.date(2026, 2, 28)
    """
    import calendar

    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return _dt.date(year, month + 1, min(day.day, last))


# ---------------------------------------------------------------------- episodes
def open_episode(store: Any, respondent_id: str, episode: str, *, service: str | None,
                 start_date: _dt.date) -> bool:
    """Record an episode (and the person); True when it was new. An episode already
    recorded keeps its start; a service or start it lacked is filled in.
    """
    import pandas as pd
    from sqlalchemy import select, update

    from measurelib.outcomes.store._bulk import insert_ignore
    from measurelib.outcomes.store._store import _epoch
    from measurelib.outcomes.store._tables import episodes, respondents
    from measurelib.scoring import invalid_respondent_ids

    if not isinstance(respondent_id, str) or not respondent_id.strip() or bool(
            invalid_respondent_ids(pd.Series([respondent_id]))[0]):
        raise ValueError(f"open_episode(respondent_id=...): expected a pseudonymous id of at "
                         f"most 64 characters without control characters, got "
                         f"{respondent_id!r}")
    rid, ep = respondent_id.strip(), str(episode).strip() or "1"
    with store.transaction() as conn:
        insert_ignore(conn, respondents, pd.DataFrame(
            {"respondent_id": [rid], "added_at": [_epoch()]}), ["respondent_id"])
        where = (episodes.c.respondent_id == rid, episodes.c.episode == ep)
        row = conn.execute(select(episodes.c.service, episodes.c.start_date)
                           .where(*where)).first()
        if row is None:
            conn.execute(episodes.insert().values(respondent_id=rid, episode=ep,
                                                  service=service, start_date=start_date,
                                                  end_date=None))
            return True
        fill: dict[str, Any] = {}
        if row[0] is None and service is not None:
            fill["service"] = service
        if row[1] is None:
            fill["start_date"] = start_date
        if fill:
            conn.execute(update(episodes).where(*where).values(**fill))
        return False


# ---------------------------------------------------------------------- one form
def submission_frame(measure: Measure, submission: Any) -> Any:
    """A one-row DataFrame of a submission (a mapping, a parsed submission, ...)."""
    import pandas as pd

    sub_id = getattr(submission, "measure_id", None)
    if isinstance(sub_id, str) and sub_id != measure.id:
        raise ValueError(f"add_submission(submission=...): the submission answers "
                         f"{sub_id!r}, not {measure.id!r}")
    if hasattr(submission, "to_frame") and callable(submission.to_frame):
        return submission.to_frame()
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
    return pd.DataFrame([row])


def _with_defaults(df: Any, defaults: Mapping[str, Any]) -> Any:
    df = df.copy()
    for k, v in defaults.items():
        if v is None:
            continue
        if k not in df.columns:
            df[k] = v
        else:
            df[k] = df[k].where(df[k].notna(), v)
    return df


def fired_alerts(measure: Measure, df: Any) -> tuple[FiredAlert, ...]:
    """The declared alerts of ``measure`` that the first row's answers set off.

    The rule :meth:`Store.add_submission` reports alerts by (the first row of ``df`` is
    scored; its ``alerts`` column names them), so that a form checked before it is stored
    (a page of a form saved on the way) raises exactly what storing it would.
    """
    if not measure.alerts:
        return ()
    answers = df[[c for c in df.columns if c in set(measure.response_columns())]]
    result = measure.score(answers.iloc[:1])
    return _fired(measure, [(result.scores.iloc[:1], result.rejected)])


def _fired(measure: Measure, tables: Any) -> tuple[FiredAlert, ...]:
    """The declared alerts named in the ``alerts`` columns of scoring tables."""
    ids: set[str] = set()
    for pair in tables:
        for table in pair:
            if "alerts" in getattr(table, "columns", ()):
                for value in table["alerts"].dropna():
                    ids.update(a for a in str(value).split(";") if a)
    return tuple(FiredAlert(alert_id=a.id, severity=a.severity,
                            text=measure.text(a.text) or a.id)
                 for a in measure.alerts if a.id in ids)


def _stored_row(store: Any, measure_id: str, occasion: tuple[str, str, str, str]
                ) -> tuple[int, dict[str, Any]] | None:
    """The key and answers of the form stored for ``occasion`` (respondent, episode,
    timepoint, date text) of a measure id, if any: its natural key (migration 0010).
    """
    from sqlalchemy import select

    from measurelib.outcomes.store._frames import decode_responses
    from measurelib.outcomes.store._tables import administrations, measures

    a, m = administrations, measures
    rid, episode, timepoint, day = occasion
    q = (select(a.c.pk, a.c.responses, m.c.response_columns)
         .select_from(a.join(m, a.c.measure_pk == m.c.pk))
         .where(a.c.respondent_id == rid, a.c.episode == episode, m.c.measure_id == measure_id,
                a.c.timepoint == timepoint, a.c.date == _dt.date.fromisoformat(day)))
    with store.engine.connect() as conn:
        row = conn.execute(q).first()
    if row is None:
        return None
    cols = json.loads(row[2]) if row[2] else None
    return int(row[0]), json.loads(decode_responses([row[1]], [cols])[0])


def _answers_of(measure: Measure, df: Any) -> dict[str, Any]:
    """The answers as the store keeps them (validated, numbers)."""
    from measurelib.outcomes.store._frames import decode_responses, encode_responses
    from measurelib.outcomes.store._scoring import score_frame

    cols = measure.response_columns()
    _scores, _problems, values = score_frame(measure, df.reset_index(drop=True))
    text = encode_responses(values, cols)[0]
    return dict(json.loads(decode_responses([text], [cols])[0]))


def finish_submission(store: Any, measure: Measure, df: Any, defaults: Mapping[str, Any],
                      result: Any, job: Any = None) -> AddSubmissionResult:
    """The result of ``add_submission``: the stored key and the alerts; a different form
    already stored for the same occasion is refused.

    ``job`` is the one-row import that stored it: a new form's key and alerts are taken
    from it (nothing read back, nothing scored again); a form that was stored before is
    read back and compared.
    """
    keys = getattr(job, "last_keys", None)
    tables = getattr(job, "alert_tables", None)
    if result.n_inserted == 1 and keys is not None and len(keys) == 1 and keys[0] >= 0 \
            and tables is not None:
        return AddSubmissionResult(**dict(result), administration=int(keys[0]), created=True,
                                   alerts=_fired(measure, tables) if measure.alerts else ())
    full = _with_defaults(df, defaults)
    rid, episode, timepoint, day = _occasion(full)
    occasion = f"{rid}, episode {episode}, {timepoint}, {day}"
    stored = _stored_row(store, measure.id, (rid, episode, timepoint, day))
    created = bool(result.n_inserted)
    if stored is not None and not created:
        mine = _answers_of(measure, full)
        if _canonical(mine) != _canonical(stored[1]):
            differ = sorted(k for k in set(mine) | set(stored[1])
                            if _canonical(mine.get(k)) != _canonical(stored[1].get(k)))
            raise DataError(Diagnostic(
                "store-form-conflict",
                f"a {measure.id} form for {occasion} is already stored (administration "
                f"{stored[0]}) with other answers ({', '.join(differ[:5])}"
                f"{', ...' if len(differ) > 5 else ''}); the new form was not stored",
                CODES["store-form-conflict"].hint,
                Location(file="form submission", row=2, field="timepoint")),
                title="form not stored")
    fields = dict(result)
    alerts = (_fired(measure, tables) if measure.alerts else ()) if tables is not None \
        else fired_alerts(measure, full)
    return AddSubmissionResult(**fields, administration=stored[0] if stored else None,
                               created=created, alerts=alerts)


def _occasion(full: Any) -> tuple[str, str, str, str]:
    """The stored form of one form's respondent, episode, timepoint and date (the import
    normalises them the same way: stripped text, episode 1 by default, timepoint in lower
    case, the date parsed as the import parses it).
    """
    from measurelib.outcomes.store._frames import parse_dates

    rec = full.iloc[0]

    def text(col: str) -> str:
        value = rec.get(col)
        return "" if value is None or value != value else str(value).strip()

    day = parse_dates(full["date"].iloc[:1]).iloc[0]
    return (text("respondent_id"), text("episode") or "1", text("timepoint").lower(),
            f"{day:%Y-%m-%d}")


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps({k: _canonical(v) for k, v in value.items()}, sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


# ---------------------------------------------------------------------- erasure
def _count_scores(conn: Any, where: Any) -> int:
    """The scores (values and standard errors) held by the administrations matching ``where``."""
    from sqlalchemy import select

    from measurelib.outcomes.store._tables import administrations as a

    n = 0  # the entries of each row's array (migration 0011) or object
    for value in conn.execute(select(a.c.scores).where(a.c.scores.is_not(None), *where)
                              .execution_options(yield_per=10_000)).scalars():
        n += len(json.loads(value) if isinstance(value, str) else value)
    return n


def _delete_administrations(conn: Any, where: Any) -> tuple[int, int]:
    """Delete the administrations matching ``where`` with their scores: (n adm, n scores)."""
    from sqlalchemy import delete

    from measurelib.outcomes.store._tables import administrations

    n_scores = _count_scores(conn, where)
    n_adm = conn.execute(delete(administrations).where(*where)).rowcount
    return int(n_adm or 0), n_scores


def erase_respondent(store: Any, respondent_id: str) -> ErasureResult:
    """Delete every row of one person (see :meth:`Store.erase_respondent`)."""
    from sqlalchemy import delete

    from measurelib.outcomes.store._tables import administrations, episodes, offers, respondents

    if not isinstance(respondent_id, str) or not respondent_id:
        raise ValueError(f"erase_respondent(respondent_id=...): expected an id, got "
                         f"{respondent_id!r}")
    with store.transaction() as conn:
        n_adm, n_scores = _delete_administrations(
            conn, (administrations.c.respondent_id == respondent_id,))
        n_offers = conn.execute(delete(offers).where(
            offers.c.respondent_id == respondent_id)).rowcount
        n_ep = conn.execute(delete(episodes).where(
            episodes.c.respondent_id == respondent_id)).rowcount
        conn.execute(delete(respondents).where(respondents.c.respondent_id == respondent_id))
    return ErasureResult(respondent_id=respondent_id, n_administrations=n_adm,
                         n_scores=n_scores, n_offers=int(n_offers or 0),
                         n_episodes=int(n_ep or 0))


# ---------------------------------------------------------------------- retention
def apply_retention(store: Any, service: str, months: int, *,
                    action: Literal["delete", "anonymise"], today: _dt.date,
                    dry_run: bool) -> RetentionResult:
    """Remove or anonymise forms of long-closed episodes (see :meth:`Store.apply_retention`)."""
    from sqlalchemy import and_, delete, func, select, tuple_, update

    from measurelib.outcomes.store._tables import (
        administrations,
        episodes,
        key_hash,
        offers,
        respondents,
    )

    if action not in RETENTION_ACTIONS:
        raise ValueError(f"apply_retention(action=...): allowed values are "
                         f"{', '.join(RETENTION_ACTIONS)}; got {action!r}")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"apply_retention(months=...): must be a whole number of 1 or more, "
                         f"got {months!r}")
    cutoff = months_before(today, months)
    a, o, e = administrations, offers, episodes
    with store.transaction() as conn:
        expired = [(str(r[0]), str(r[1])) for r in conn.execute(
            select(e.c.respondent_id, e.c.episode).where(
                e.c.end_date.is_not(None), e.c.end_date <= cutoff,
                (e.c.service == service) | e.c.service.is_(None))
            .order_by(e.c.respondent_id, e.c.episode))]
        adm_where: tuple[Any, ...]
        off_where: tuple[Any, ...]
        if expired:
            in_adm = tuple_(a.c.respondent_id, a.c.episode).in_(expired)
            in_off = tuple_(o.c.respondent_id, o.c.episode).in_(expired)
            adm_where = (a.c.service == service, in_adm)
            off_where = (o.c.service == service, in_off)
        else:
            adm_where, off_where = (a.c.pk < 0,), (o.c.pk < 0,)  # nothing
        counted = select(func.count()).select_from(a).where(*adm_where)
        n_adm = int(conn.execute(counted).scalar() or 0)
        n_scores = _count_scores(conn, adm_where)
        n_off = int(conn.execute(select(func.count()).select_from(o).where(*off_where))
                    .scalar() or 0)
        # episodes that now hold nothing go too, and people with nothing left
        if not dry_run and expired:
            if action == "delete":
                _delete_administrations(conn, adm_where)
                conn.execute(delete(o).where(*off_where))
            else:
                pks = [int(p) for p in conn.execute(select(a.c.pk).where(*adm_where))
                       .scalars()]
                for pk in pks:
                    conn.execute(update(a).where(a.c.pk == pk).values(
                        respondent_id=None, episode=None, worker=None, anonymous=True,
                        key_hash=key_hash(f"retained|{pk}")))
                conn.execute(update(o).where(*off_where).values(respondent_id=None,
                                                                episode=None, worker=None))
            for rid, ep in expired:
                left = conn.execute(select(func.count()).select_from(a).where(
                    a.c.respondent_id == rid, a.c.episode == ep)).scalar()
                left_o = conn.execute(select(func.count()).select_from(o).where(
                    o.c.respondent_id == rid, o.c.episode == ep)).scalar()
                if not left and not left_o:
                    conn.execute(delete(e).where(e.c.respondent_id == rid, e.c.episode == ep))
            for rid in sorted({rid for rid, _ep in expired}):
                still = [conn.execute(select(func.count()).select_from(t).where(
                    t.c.respondent_id == rid)).scalar() for t in (a, o, e)]
                if not any(still):
                    conn.execute(delete(respondents).where(
                        and_(respondents.c.respondent_id == rid)))
    return RetentionResult(service=service, months=months, action=action, cutoff=cutoff,
                           dry_run=dry_run, n_administrations=n_adm, n_scores=n_scores,
                           n_offers=n_off, episodes=expired)


class AddSubmissionResult(ImportResult):
    """What :meth:`Store.add_submission` did: an :class:`ImportResult` of one row, with the
    key of the stored administration and the alerts the answers set off.
    """

    administration: int | None
    """The key (``administration`` in :meth:`Store.scores`) of the form now stored."""
    created: bool
    """True when this call stored the form; False when the same form was already stored
    (a repeated submission is not stored twice)."""
    alerts: tuple[FiredAlert, ...]
    """The measure's declared alerts that the answers set off (also for a repeat)."""

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        what = "stored" if self.created else "already stored"
        return (f"{what} as administration {self.administration}; "
                f"{len(self.alerts)} alert(s)")
