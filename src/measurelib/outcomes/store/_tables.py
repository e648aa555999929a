"""Tables of the outcomes store (SQLAlchemy Core), as they stand after the newest migration.

The migrations under ``measurelib/store/migrations/versions`` create and change these tables;
``tests/store/test_migrations.py`` checks that a migrated database matches this metadata.

Response data is health data: respondents are known only by a pseudonymous id, and
equity fields are optional and stored only for services configured to collect them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData()

EQUITY_FIELDS = ("age_band", "sex", "ethnicity", "deprivation_decile", "first_language")
"""Optional equity fields; a service lists those it collects (:meth:`Store.configure_service`)."""

MODES = ("paper", "tablet", "online", "telephone", "sms", "assisted")
RESPONDENT_TYPES = ("self", "proxy")
OFFER_STATUSES = ("offered", "declined", "not_offered")

measures = Table(
    "measures", metadata,
    Column("pk", Integer, primary_key=True),
    Column("measure_id", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("lock_sha256", String(64), nullable=False),
    Column("title", Text),
    Column("definition", Text, nullable=False),
    Column("added_at", DateTime, nullable=False),
    # migration 0006: JSON list naming the positions of the answers stored as arrays
    Column("response_columns", Text),
    UniqueConstraint("measure_id", "version", "lock_sha256", name="uq_measures_version_hash"),
)

# migration 0010: one number per measure id (all its versions), named by each form's
# ``measure_series``: the natural key names the measure, not its version
measure_ids = Table(
    "measure_ids", metadata,
    Column("pk", Integer, primary_key=True),
    Column("measure_id", String(64), nullable=False, unique=True),
)

# migration 0008: respondents and episodes are WITHOUT ROWID tables on SQLite (the table is
# its primary key's B-tree; no second tree repeating the key)
respondents = Table(
    "respondents", metadata,
    Column("respondent_id", String(64), primary_key=True),
    # migration 0010: when the person was first stored, in whole seconds since 1970-01-01
    # UTC (was a timestamp: 26 characters of text on SQLite)
    Column("added_at", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

episodes = Table(
    "episodes", metadata,
    Column("respondent_id", String(64), ForeignKey("respondents.respondent_id"),
           primary_key=True),
    Column("episode", String(64), primary_key=True),
    Column("service", String(128)),
    Column("start_date", Date),
    Column("end_date", Date),
    sqlite_with_rowid=False,
)

imports = Table(
    "imports", metadata,
    Column("pk", Integer, primary_key=True),
    Column("measure_pk", Integer, ForeignKey("measures.pk"), nullable=False),
    Column("source", Text),
    Column("file_sha256", String(64)),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("n_rows", Integer, nullable=False),
    Column("n_inserted", Integer, nullable=False),
    Column("n_already_stored", Integer, nullable=False),
    Column("n_rejected", Integer, nullable=False),
    Column("engine_version", String(32), nullable=False),
)

def key_hash(natural_key: str) -> bytes:
    """The stored key of a form without a person: 16 bytes of its natural key's SHA-256.

    An identified form's natural key (measure id, respondent, episode, timepoint, date) is
    its own columns, unique-indexed together (migration 0010); a form without a person
    (anonymous: ``measure id|anon|row hash|occurrence``; anonymised by retention:
    ``retained|pk``) keeps this fixed-size digest instead, in a partial unique index.
    """
    import hashlib

    return hashlib.sha256(natural_key.encode("utf-8")).digest()[:16]


administrations = Table(
    "administrations", metadata,
    Column("pk", Integer, primary_key=True),  # given by the database (migration 0004)
    # migration 0005: a 16-byte digest of the natural key replaced the 400-character text;
    # migration 0010: kept only for forms without a person (respondent or episode NULL),
    # NULL for the others, whose natural key is the unique index on their own columns
    Column("key_hash", LargeBinary(16)),
    Column("measure_pk", Integer, ForeignKey("measures.pk"), nullable=False),
    # migration 0010: the measure id's number (``measure_ids.pk``), so that the natural key
    # names the measure, not its version (no foreign key: ``measure_pk`` has one, and the
    # import writes both from the same measure)
    Column("measure_series", Integer, nullable=False),
    Column("respondent_id", String(64), ForeignKey("respondents.respondent_id")),
    Column("episode", String(64)),
    Column("date", Date, nullable=False),
    Column("timepoint", String(64), nullable=False),
    Column("mode", String(16)),
    Column("respondent_type", String(16)),
    Column("site", String(128)),
    Column("service", String(128)),
    Column("worker", String(128)),
    Column("retrospective", Boolean, nullable=False),
    # answers in the order of measures.response_columns: one digit per answer ("1200.3",
    # "." missing) when every answer is 0-9, else a JSON array (a JSON object in rows
    # stored before migration 0006); read with _frames.decode_responses
    Column("responses", Text, nullable=False),
    Column("import_pk", Integer, ForeignKey("imports.pk")),
    # added by migration 0002
    Column("anonymous", Boolean, nullable=False, server_default=false()),
    # added by migration 0003: responses made by a simulation, never by people
    Column("simulated", Boolean, nullable=False, server_default=false()),
    Column("age_band", String(32)),
    Column("sex", String(32)),
    Column("ethnicity", String(64)),
    Column("deprivation_decile", Integer),
    Column("first_language", String(64)),
    # migration 0009: the scores of the form, in the row (no scores table); migration 0011:
    # a JSON array of values in the order of its run's ``score_ids`` ([17]; null: the
    # scoring left it missing; an IRT score's standard error is the score "<score>_se"),
    # or, for rows whose scores are not a leading part of that order, a JSON object
    # {"score id": value, ...}; read in SQL by position or key (``_queries.score_value``),
    # in Python with ``_frames.score_dicts``; NULL when nothing was scored
    Column("scores", JSON),
    # the band of each banded score, as band numbers in the order of the run's ``bands``
    # ("2", "2,,0": empty where a value has no band); the labels are stored once per run
    Column("bands", Text),
    # the scoring run: score rules, engine version and band labels, once per run
    Column("run_pk", Integer, ForeignKey("scoring_runs.pk")),
    # migration 0010: the natural key of an identified form, which also finds one person's
    # forms (timeline, feedback sheet, erasure, the service's person pages); it replaces the
    # digest's index and the (respondent, episode) index. NULLs never collide in a unique
    # index: forms without a respondent or episode are kept unique by ``key_hash``.
    # (Migration 0007 dropped the (measure, date) index: reports read a measure's rows whole.)
    Index("ux_administrations_natural_key", "respondent_id", "episode", "measure_series",
          "timepoint", "date", unique=True),
    Index("ux_administrations_key", "key_hash", unique=True,
          sqlite_where=text("key_hash IS NOT NULL"),
          postgresql_where=text("key_hash IS NOT NULL")),
)

# migration 0005: the provenance of scores, once per scoring run instead of on every row;
# migration 0009: with the band labels its rows' band numbers refer to
scoring_runs = Table(
    "scoring_runs", metadata,
    Column("pk", Integer, primary_key=True),
    Column("measure_pk", Integer, ForeignKey("measures.pk"), nullable=False),
    Column("rules", Text, nullable=False),  # JSON: [[score id, rule SHA-256], ...]
    Column("rules_sha256", String(64), nullable=False),
    Column("engine_version", String(32), nullable=False),
    # JSON: [[score id, [band label, ...]], ...]; a row's ``bands`` numbers these labels
    Column("bands", Text),
    # migration 0011: JSON list of score ids naming the positions of its rows' ``scores``
    Column("score_ids", Text),
    UniqueConstraint("measure_pk", "rules_sha256", "engine_version", name="uq_scoring_runs"),
)

# added by migration 0002
services = Table(
    "services", metadata,
    Column("service", String(128), primary_key=True),
    Column("equity_fields", Text, nullable=False),
    Column("schedule", Text),
)

offers = Table(
    "offers", metadata,
    Column("pk", Integer, primary_key=True),
    Column("respondent_id", String(64), ForeignKey("respondents.respondent_id")),
    Column("episode", String(64)),
    Column("measure_id", String(64), nullable=False),
    Column("timepoint", String(64)),
    Column("date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("count", Integer, nullable=False, server_default="1"),
    Column("site", String(128)),
    Column("service", String(128)),
    Column("worker", String(128)),
    Index("ix_offers_measure_date", "measure_id", "date"),
)
