"""The outcomes store: administrations, responses and scores in SQLite or PostgreSQL.

>>> import measurelib as ml
>>> store = ml.Store(":memory:")          # or ml.Store() for ./measurelib.db
>>> store.revision
'0011'

SQLAlchemy and Alembic load when a :class:`Store` is first made (``pip install
'measurelib[store]'``; PostgreSQL also needs ``psycopg``).
"""

from __future__ import annotations

from measurelib.outcomes.store._frames import compare_entries
from measurelib.outcomes.store._records import (
    AddSubmissionResult,
    ErasureResult,
    FiredAlert,
    RetentionResult,
    fired_alerts,
)
from measurelib.outcomes.store._store import (
    ExportResult,
    ImportResult,
    Store,
    mask_credentials,
    measure_hash,
)

__all__ = ["AddSubmissionResult", "ErasureResult", "ExportResult", "FiredAlert", "ImportResult",
           "RetentionResult", "Store", "compare_entries", "fired_alerts", "mask_credentials",
           "measure_hash"]
