"""The ``(measure, date)`` index of ``administrations`` dropped: faster imports, a smaller store.

``ix_administrations_measure_date`` was kept up to date on every insert (about 20 bytes
and a random B-tree write per administration) but no query needs it: reports take all
administrations of a measure (a store holds a handful of measures, so a scan is as fast as
the index) and group by respondent and episode in one pass. The unique index on the
natural-key digest stays (it is what makes a re-import store nothing twice), and so does
``ix_administrations_respondent``: one person's forms are read on their own (the feedback
sheet, ``Store.scores(respondent_id=...)``, erasure, the service's person pages).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_administrations_measure_date", table_name="administrations")


def downgrade() -> None:
    op.create_index("ix_administrations_measure_date", "administrations", ["measure_pk", "date"])
