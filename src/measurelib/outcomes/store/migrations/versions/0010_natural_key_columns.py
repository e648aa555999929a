"""The natural key as a unique index on the form's own columns; ``added_at`` in seconds.

Until now every administration carried ``key_hash``, a 16-byte digest of its natural key
(measure id, respondent, episode, timepoint, date), in a unique index of its own, and a
second index on (respondent, episode) to find one person's forms. The natural key's fields
are columns of the row already, so one unique index on them does both jobs:

* ``measure_ids``: one number per measure id, and ``administrations.measure_series``
  naming it, since a natural key names the measure, not its version (a table with a unique
  measure id, so that two writers storing a new measure id at once agree on its number);
* ``ux_administrations_natural_key``: UNIQUE (respondent_id, episode, measure_series,
  timepoint, date) — a prefix of it finds one person's (and one episode's) forms;
* ``key_hash`` is kept only where that index cannot decide: forms without a respondent
  (anonymous, or anonymised by retention) or, in stores written by old versions, without an
  episode (NULLs never collide in a unique index). It is NULL for the others, and unique
  where present (a partial index, ``WHERE key_hash IS NOT NULL``).

The two keys are the same: an identified form's digest was that of
``measure id|respondent|episode|timepoint|date``, whose fields are now the index's columns
(the measure id through ``measure_series``). An import writes the episode ``1`` where none
is given, so every form it stores with a respondent has an episode.

``respondents.added_at``, the moment a person was first stored, becomes whole seconds since
1970-01-01 UTC (a number instead of 26 characters of text on SQLite: about 10 bytes a form
with two forms a person); every moment is kept, to the second.

SQLite rebuilds ``administrations`` and ``respondents`` inside the migration's transaction
(copied, dropped, made again; references to people are checked at the commit). PostgreSQL
changes the columns in place; the space of the old row versions is reused by later writes
(``VACUUM FULL administrations`` gives it back at once). The downgrade is refused, as
0009's: keep a copy of the store made before upgrading to go back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = ("pk", "key_hash", "measure_pk", "measure_series", "respondent_id", "episode",
            "date", "timepoint", "mode", "respondent_type", "site", "service", "worker",
            "retrospective", "responses", "import_pk", "anonymous", "simulated", "age_band",
            "sex", "ethnicity", "deprivation_decile", "first_language", "scores", "bands",
            "run_pk")

# each form's series: the number of its measure version's id
_SERIES = ("(SELECT i.pk FROM measure_ids i JOIN measures v ON v.measure_id = i.measure_id "
           "WHERE v.pk = administrations.measure_pk)")
_PERSONLESS = "respondent_id IS NULL OR episode IS NULL"


def _administrations(name: str) -> None:
    op.create_table(
        name,
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("key_hash", sa.LargeBinary(16)),
        sa.Column("measure_pk", sa.Integer, sa.ForeignKey("measures.pk"), nullable=False),
        sa.Column("measure_series", sa.Integer, nullable=False),
        sa.Column("respondent_id", sa.String(64), sa.ForeignKey("respondents.respondent_id")),
        sa.Column("episode", sa.String(64)),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("timepoint", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16)),
        sa.Column("respondent_type", sa.String(16)),
        sa.Column("site", sa.String(128)),
        sa.Column("service", sa.String(128)),
        sa.Column("worker", sa.String(128)),
        sa.Column("retrospective", sa.Boolean, nullable=False),
        sa.Column("responses", sa.Text, nullable=False),
        sa.Column("import_pk", sa.Integer, sa.ForeignKey("imports.pk")),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("age_band", sa.String(32)),
        sa.Column("sex", sa.String(32)),
        sa.Column("ethnicity", sa.String(64)),
        sa.Column("deprivation_decile", sa.Integer),
        sa.Column("first_language", sa.String(64)),
        sa.Column("scores", sa.JSON),
        sa.Column("bands", sa.Text),
        sa.Column("run_pk", sa.Integer, sa.ForeignKey("scoring_runs.pk")),
    )


def _indexes() -> None:
    op.create_index("ux_administrations_natural_key", "administrations",
                    ["respondent_id", "episode", "measure_series", "timepoint", "date"],
                    unique=True)
    op.create_index("ux_administrations_key", "administrations", ["key_hash"], unique=True,
                    sqlite_where=sa.text("key_hash IS NOT NULL"),
                    postgresql_where=sa.text("key_hash IS NOT NULL"))


def _sqlite() -> None:
    # references to people are checked at the commit, when every person is back
    op.execute("PRAGMA defer_foreign_keys = ON")
    _administrations("_administrations_0010")
    cols = ", ".join(_COLUMNS)
    select = ", ".join(
        f"CASE WHEN {_PERSONLESS} THEN key_hash END" if c == "key_hash" else
        f"{_SERIES}" if c == "measure_series" else c for c in _COLUMNS)
    op.execute(f"INSERT INTO _administrations_0010 ({cols}) SELECT {select} "
               "FROM administrations ORDER BY pk")
    op.execute("DROP TABLE administrations")
    op.execute("ALTER TABLE _administrations_0010 RENAME TO administrations")
    _indexes()
    op.execute("CREATE TEMP TABLE _respondents_0010 AS SELECT * FROM respondents")
    op.execute("DROP TABLE respondents")
    op.create_table("respondents", sa.Column("respondent_id", sa.String(64), primary_key=True),
                    sa.Column("added_at", sa.BigInteger, nullable=False),
                    sqlite_with_rowid=False)
    # SQLite's strftime reads the stored text as UTC, as it was written
    op.execute("INSERT INTO respondents (respondent_id, added_at) "
               "SELECT respondent_id, CAST(strftime('%s', added_at) AS INTEGER) "
               "FROM _respondents_0010 ORDER BY respondent_id")
    op.execute("DROP TABLE _respondents_0010")


def _postgresql() -> None:
    op.drop_index("ux_administrations_key", "administrations")
    op.drop_index("ix_administrations_respondent", "administrations")
    op.alter_column("administrations", "key_hash", nullable=True)
    op.add_column("administrations", sa.Column("measure_series", sa.Integer))
    op.execute(f"UPDATE administrations SET measure_series = {_SERIES}, key_hash = "
               f"CASE WHEN {_PERSONLESS} THEN key_hash END")
    op.alter_column("administrations", "measure_series", nullable=False)
    _indexes()
    op.execute("ALTER TABLE respondents ALTER COLUMN added_at TYPE BIGINT "
               "USING CAST(EXTRACT(EPOCH FROM added_at) AS BIGINT)")


def upgrade() -> None:
    op.create_table("measure_ids", sa.Column("pk", sa.Integer, primary_key=True),
                    sa.Column("measure_id", sa.String(64), nullable=False, unique=True))
    op.execute("INSERT INTO measure_ids (measure_id) SELECT measure_id FROM measures "
               "GROUP BY measure_id ORDER BY MIN(pk)")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite()
    else:
        _postgresql()


def downgrade() -> None:  # pragma: no cover - see the module's docstring
    raise NotImplementedError("0010 is not undone: keep a copy of the store made before "
                              "upgrading to go back to an older measurelib")
