"""Scores in the administrations row; band labels once per scoring run.

The ``scores`` table kept one row per administration and score: its own key (the
administration's key and the score id), the value, the band as text and the scoring run —
32 bytes per score on SQLite, about 100 on PostgreSQL, whose rows carry a 28-byte header.
Now each administration holds its scores in the row:

* ``administrations.scores``: a JSON object ``{"score id": value, ...}`` (``null`` where the
  scoring left the value missing; an IRT score's standard error is the entry
  ``"<score>_se"``), read in SQL with JSON indexing on SQLite and PostgreSQL alike;
* ``administrations.bands``: the band of each banded score as a number (``"2"``), in the
  order of the run's ``bands``;
* ``administrations.run_pk``: the scoring run (rules, engine version), as the scores had;
* ``scoring_runs.bands``: the band labels of each banded score, once per run
  (``[["total", ["None-minimal", "Mild", ...]], ...]``), ordered by the lowest value stored
  in each band.

Every score is kept (values, missing values, bands, standard errors, runs). The new
columns are filled from the old table in batches through a temporary table, then the
``scores`` table is dropped.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 20_000


def _number(value: Any) -> str:
    """A score value as JSON text: whole numbers without a decimal point, NaN as null."""
    if value is None:
        return "null"
    v = float(value)
    if not math.isfinite(v):
        return "null"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _band_layouts(bind: sa.Connection) -> dict[int, list[list[Any]]]:
    """Per run: [[score id, [labels in the order of their lowest value]], ...]."""
    rows = bind.exec_driver_sql(
        "SELECT run_pk, score_id, band, MIN(value) FROM scores WHERE band IS NOT NULL "
        "GROUP BY run_pk, score_id, band").all()
    found: dict[int, dict[str, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
    for run, sid, band, low in rows:
        low_f = float(low) if low is not None and low == low else math.inf
        found[int(run)][str(sid)].append((low_f, str(band)))
    return {run: [[sid, [b for _low, b in sorted(bands[sid])]] for sid in sorted(bands)]
            for run, bands in found.items()}


def _row_texts(scores: list[tuple[str, Any, Any]],
               layout: list[list[Any]]) -> tuple[str, str | None]:
    """One administration's ``scores`` JSON and ``bands`` text."""
    text = "{" + ",".join(f"{json.dumps(sid)}:{_number(v)}" for sid, v, _b in
                          sorted(scores)) + "}"
    if not layout:
        return text, None
    by_id = {sid: band for sid, _v, band in scores}
    parts = []
    for sid, labels in layout:
        band = by_id.get(sid)
        parts.append(str(labels.index(band)) if band in labels else "")
    return text, ",".join(parts)


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.add_column("scoring_runs", sa.Column("bands", sa.Text))
    op.add_column("administrations", sa.Column("scores", sa.JSON))
    op.add_column("administrations", sa.Column("bands", sa.Text))
    if pg:
        op.add_column("administrations", sa.Column("run_pk", sa.Integer,
                                                   sa.ForeignKey("scoring_runs.pk")))
    else:  # SQLite adds a column with its reference in place (no table rebuild)
        op.execute("ALTER TABLE administrations ADD COLUMN run_pk INTEGER "
                   "REFERENCES scoring_runs (pk)")
    layouts = _band_layouts(bind)
    runs = sa.table("scoring_runs", sa.column("pk"), sa.column("bands"))
    for run, layout in layouts.items():
        bind.execute(runs.update().where(runs.c.pk == run).values(
            bands=json.dumps(layout, ensure_ascii=False)))
    # the new values of each administration, staged and then set with one UPDATE ... FROM
    op.execute("CREATE TEMP TABLE _scores_0009 (pk INTEGER PRIMARY KEY, scores TEXT, "
               "bands TEXT, run_pk INTEGER)")
    stage = sa.table("_scores_0009", sa.column("pk"), sa.column("scores"),
                     sa.column("bands"), sa.column("run_pk"))
    last = -1
    while True:
        chunk = bind.exec_driver_sql(
            "SELECT administration_pk, score_id, value, band, run_pk FROM scores "
            "WHERE administration_pk IN (SELECT DISTINCT administration_pk FROM scores "
            f"WHERE administration_pk > {int(last)} ORDER BY administration_pk "
            f"LIMIT {_BATCH}) ORDER BY administration_pk, score_id").all()
        if not chunk:
            break
        by_pk: dict[int, list[tuple[str, Any, Any]]] = defaultdict(list)
        run_of: dict[int, int] = {}
        for pk, sid, value, band, run in chunk:
            by_pk[int(pk)].append((str(sid), value, band))
            run_of[int(pk)] = max(run_of.get(int(pk), 0), int(run))
        values = []
        for pk, scores in by_pk.items():
            text, bands = _row_texts(scores, layouts.get(run_of[pk], []))
            values.append({"pk": pk, "scores": text, "bands": bands, "run_pk": run_of[pk]})
        bind.execute(stage.insert(), values)
        last = max(by_pk)
    cast = "::json" if pg else ""
    op.execute(f"UPDATE administrations SET scores = s.scores{cast}, bands = s.bands, "
               "run_pk = s.run_pk FROM _scores_0009 s WHERE s.pk = administrations.pk")
    op.execute("DROP TABLE _scores_0009")
    op.drop_table("scores")


def downgrade() -> None:  # pragma: no cover - see the module's docstring
    raise NotImplementedError("0009 is not undone: keep a copy of the store made before "
                              "upgrading to go back to an older measurelib")
