"""Anonymous administrations, optional equity fields, services and offer records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild, so SQLite keeps its foreign keys intact)
    op.add_column("administrations", sa.Column("anonymous", sa.Boolean, nullable=False,
                                               server_default=sa.false()))
    op.add_column("administrations", sa.Column("age_band", sa.String(32)))
    op.add_column("administrations", sa.Column("sex", sa.String(32)))
    op.add_column("administrations", sa.Column("ethnicity", sa.String(64)))
    op.add_column("administrations", sa.Column("deprivation_decile", sa.Integer))
    op.add_column("administrations", sa.Column("first_language", sa.String(64)))
    op.create_table(
        "services",
        sa.Column("service", sa.String(128), primary_key=True),
        sa.Column("equity_fields", sa.Text, nullable=False),
        sa.Column("schedule", sa.Text),
    )
    op.create_table(
        "offers",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("respondent_id", sa.String(64), sa.ForeignKey("respondents.respondent_id")),
        sa.Column("episode", sa.String(64)),
        sa.Column("measure_id", sa.String(64), nullable=False),
        sa.Column("timepoint", sa.String(64)),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("site", sa.String(128)),
        sa.Column("service", sa.String(128)),
        sa.Column("worker", sa.String(128)),
    )
    op.create_index("ix_offers_measure_date", "offers", ["measure_id", "date"])


def downgrade() -> None:
    op.drop_index("ix_offers_measure_date", "offers")
    op.drop_table("offers")
    op.drop_table("services")
    for name in ("first_language", "deprivation_decile", "ethnicity", "sex", "age_band",
                 "anonymous"):
        op.drop_column("administrations", name)
