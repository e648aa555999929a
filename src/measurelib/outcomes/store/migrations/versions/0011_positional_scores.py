"""Scores as JSON arrays whose positions are named once per scoring run.

Since 0009 each administration held its scores as a JSON object, ``{"total":17}``: the score
ids were repeated in every row. Now a row holds the values only, ``[17]``, in the order of
its scoring run's new ``scoring_runs.score_ids`` (``["total"]``; an IRT score's standard
error is the score ``<score>_se``), 8 bytes less a form for a measure with one score.

Each run's ``score_ids`` are the ids its rows hold, sorted. A row holding a leading part of
them (all of them, as every import writes) becomes an array, values as written (numbers
keep their text); any other row (a score missing in the middle, written by an old
version) keeps its object, which every reader still reads by key. Rows are converted in
batches through a temporary table and one ``UPDATE ... FROM`` per batch.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 20_000


def _run_ids(bind: sa.Connection, pg: bool) -> dict[int, list[str]]:
    """Per run: the sorted ids of the scores its rows hold."""
    keys = ("SELECT DISTINCT run_pk, json_object_keys(scores) FROM administrations "
            "WHERE run_pk IS NOT NULL AND json_typeof(scores) = 'object'" if pg else
            "SELECT DISTINCT a.run_pk, j.key FROM administrations a, json_each(a.scores) j "
            "WHERE a.run_pk IS NOT NULL AND json_type(a.scores) = 'object'")
    found: dict[int, set[str]] = defaultdict(set)
    for run, sid in bind.exec_driver_sql(keys).all():
        found[int(run)].add(str(sid))
    return {run: sorted(ids) for run, ids in found.items()}


def _array(text: Any, ids: list[str]) -> str | None:
    """The row's array text, or None where its scores are not a leading part of ``ids``."""
    if not isinstance(text, str):
        text = json.dumps(text)
    got = json.loads(text)  # only to learn the keys: the values keep their text below
    if not isinstance(got, dict) or set(got) != set(ids[:len(got)]):
        return None
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
    values = decoder.decode(text)
    return "[" + ",".join("null" if values[i] is None else values[i] for i in ids[:len(got)]) \
        + "]"


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.add_column("scoring_runs", sa.Column("score_ids", sa.Text))
    ids_of = _run_ids(bind, pg)
    runs = sa.table("scoring_runs", sa.column("pk"), sa.column("score_ids"))
    for run, ids in ids_of.items():
        bind.execute(runs.update().where(runs.c.pk == run).values(
            score_ids=json.dumps(ids, ensure_ascii=False)))
    op.execute("CREATE TEMP TABLE _scores_0011 (pk INTEGER PRIMARY KEY, scores TEXT)")
    stage = sa.table("_scores_0011", sa.column("pk"), sa.column("scores"))
    cast = "::json" if pg else ""
    text = "scores::text" if pg else "scores"
    last = -1
    while True:
        chunk = bind.exec_driver_sql(
            f"SELECT pk, {text}, run_pk FROM administrations WHERE pk > {int(last)} "
            f"AND scores IS NOT NULL AND run_pk IS NOT NULL ORDER BY pk LIMIT {_BATCH}").all()
        if not chunk:
            break
        values = []
        for pk, scores, run in chunk:
            array = _array(scores, ids_of.get(int(run), []))
            if array is not None:
                values.append({"pk": int(pk), "scores": array})
        if values:
            bind.execute(stage.insert(), values)
            op.execute(f"UPDATE administrations SET scores = s.scores{cast} "
                       "FROM _scores_0011 s WHERE s.pk = administrations.pk")
            op.execute("DELETE FROM _scores_0011")
        last = int(chunk[-1][0])
    op.execute("DROP TABLE _scores_0011")


def downgrade() -> None:  # pragma: no cover - see the module's docstring
    raise NotImplementedError("0011 is not undone: keep a copy of the store made before "
                              "upgrading to go back to an older measurelib")
