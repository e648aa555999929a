"""First store layout: measures, respondents, episodes, imports, administrations, scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measures",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("measure_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("lock_sha256", sa.String(64), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("measure_id", "version", "lock_sha256",
                            name="uq_measures_version_hash"),
    )
    op.create_table(
        "respondents",
        sa.Column("respondent_id", sa.String(64), primary_key=True),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "episodes",
        sa.Column("respondent_id", sa.String(64), sa.ForeignKey("respondents.respondent_id"),
                  primary_key=True),
        sa.Column("episode", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(128)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
    )
    op.create_table(
        "imports",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("measure_pk", sa.Integer, sa.ForeignKey("measures.pk"), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("n_inserted", sa.Integer, nullable=False),
        sa.Column("n_already_stored", sa.Integer, nullable=False),
        sa.Column("n_rejected", sa.Integer, nullable=False),
        sa.Column("engine_version", sa.String(32), nullable=False),
    )
    op.create_table(
        "administrations",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("natural_key", sa.String(400), nullable=False, unique=True),
        sa.Column("measure_pk", sa.Integer, sa.ForeignKey("measures.pk"), nullable=False),
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
    )
    op.create_index("ix_administrations_respondent", "administrations",
                    ["respondent_id", "episode"])
    op.create_index("ix_administrations_measure_date", "administrations", ["measure_pk", "date"])
    op.create_table(
        "scores",
        sa.Column("administration_pk", sa.Integer, sa.ForeignKey("administrations.pk"),
                  primary_key=True),
        sa.Column("score_id", sa.String(64), primary_key=True),
        sa.Column("value", sa.Float),
        sa.Column("band", sa.Text),
        sa.Column("rule_sha256", sa.String(64), nullable=False),
        sa.Column("measure_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scores")
    op.drop_index("ix_administrations_measure_date", "administrations")
    op.drop_index("ix_administrations_respondent", "administrations")
    op.drop_table("administrations")
    op.drop_table("imports")
    op.drop_table("episodes")
    op.drop_table("respondents")
    op.drop_table("measures")
