"""Respondents and episodes as ``WITHOUT ROWID`` tables on SQLite: one B-tree each.

A SQLite table keyed by text keeps its rows in a B-tree ordered by a hidden row id and its
primary key in a second B-tree (``sqlite_autoindex_...``) that repeats the key. Declared
``WITHOUT ROWID``, the table is stored in the order of its primary key and the second tree
is gone: about 17 bytes less per administration (two forms a person), and one B-tree write
instead of two for every new person and episode. Nothing else changes: columns, keys and
foreign keys are the same.

SQLite rebuilds the two tables inside the migration's transaction: their rows are copied
aside, the tables dropped and made again, and the rows put back. The foreign keys of
``administrations`` and ``offers`` are checked at the end of the transaction (deferred), by
which time every person is back. PostgreSQL tables have no row id: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _respondents(with_rowid: bool) -> None:
    op.create_table(
        "respondents",
        sa.Column("respondent_id", sa.String(64), primary_key=True),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sqlite_with_rowid=with_rowid,
    )


def _episodes(with_rowid: bool) -> None:
    op.create_table(
        "episodes",
        sa.Column("respondent_id", sa.String(64), sa.ForeignKey("respondents.respondent_id"),
                  primary_key=True),
        sa.Column("episode", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(128)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sqlite_with_rowid=with_rowid,
    )


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # children's references to people are checked at commit, when every person is back
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TEMP TABLE _respondents_copy AS SELECT * FROM respondents")
    op.execute("CREATE TEMP TABLE _episodes_copy AS SELECT * FROM episodes")
    op.execute("DROP TABLE episodes")
    op.execute("DROP TABLE respondents")
    _respondents(with_rowid)
    _episodes(with_rowid)
    op.execute("INSERT INTO respondents (respondent_id, added_at) "
               "SELECT respondent_id, added_at FROM _respondents_copy ORDER BY respondent_id")
    op.execute("INSERT INTO episodes (respondent_id, episode, service, start_date, end_date) "
               "SELECT respondent_id, episode, service, start_date, end_date "
               "FROM _episodes_copy ORDER BY respondent_id, episode")
    op.execute("DROP TABLE _respondents_copy")
    op.execute("DROP TABLE _episodes_copy")


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
