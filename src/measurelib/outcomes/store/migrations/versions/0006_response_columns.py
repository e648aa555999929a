"""Answers stored as JSON arrays, their positions named once per measure version.

``measures.response_columns`` (a JSON list) names the positions of the answers that new
rows store as a JSON array (``[1,2,0,null]``) instead of an object repeating every item
id. Rows stored before keep their objects; readers take both.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("measures", sa.Column("response_columns", sa.Text))


def downgrade() -> None:
    op.drop_column("measures", "response_columns")
