"""Flag administrations whose responses were simulated, so reports never pass them off as real.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("administrations", sa.Column("simulated", sa.Boolean, nullable=False,
                                               server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("administrations", "simulated")
