"""A fixed-size natural key and score provenance once per scoring run.

* ``administrations.natural_key`` (up to 400 characters, with a unique index of the same
  width) becomes ``key_hash``: the first 16 bytes of the SHA-256 of the same text,
  unique-indexed. Every stored key is converted, so re-imports still find their rows.
* ``scores.rule_sha256``, ``measure_version`` and ``engine_version`` (about 80 bytes on
  every score) move to one row per scoring run in ``scoring_runs``; scores keep
  ``run_pk``. On SQLite ``scores`` becomes a ``WITHOUT ROWID`` table (its primary key is
  the table).

Every administration and score is kept. SQLite rebuilds the two tables (copy, drop,
rename) inside the migration's transaction; PostgreSQL alters them in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ADMIN_COLUMNS = ("pk", "measure_pk", "respondent_id", "episode", "date", "timepoint", "mode",
                  "respondent_type", "site", "service", "worker", "retrospective", "responses",
                  "import_pk", "anonymous", "simulated", "age_band", "sex", "ethnicity",
                  "deprivation_decile", "first_language")


def _key_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def _runs_table() -> None:
    op.create_table(
        "scoring_runs",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("measure_pk", sa.Integer, sa.ForeignKey("measures.pk"), nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("rules_sha256", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(32), nullable=False),
        sa.UniqueConstraint("measure_pk", "rules_sha256", "engine_version",
                            name="uq_scoring_runs"),
    )


def _fill_runs(bind: sa.Connection) -> None:
    """One run per (measure, engine version), with the rule hashes its scores carried."""
    rows = bind.exec_driver_sql(
        "SELECT DISTINCT a.measure_pk, s.engine_version, s.score_id, s.rule_sha256 "
        "FROM scores s JOIN administrations a ON a.pk = s.administration_pk").all()
    rules: dict[tuple[int, str], set[tuple[str, str]]] = defaultdict(set)
    for measure_pk, engine, score_id, sha in rows:
        rules[(int(measure_pk), str(engine))].add((str(score_id), str(sha)))
    runs = sa.table("scoring_runs", sa.column("measure_pk"), sa.column("rules"),
                    sa.column("rules_sha256"), sa.column("engine_version"))
    for (measure_pk, engine), pairs in sorted(rules.items()):
        text = json.dumps(sorted([list(p) for p in pairs]), separators=(",", ":"))
        bind.execute(runs.insert().values(
            measure_pk=measure_pk, rules=text, engine_version=engine,
            rules_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest()))


def upgrade() -> None:
    bind = op.get_bind()
    _runs_table()
    _fill_runs(bind)
    if bind.dialect.name == "postgresql":
        op.add_column("administrations", sa.Column("key_hash", sa.LargeBinary(16)))
        op.execute("UPDATE administrations SET key_hash = "
                   "substring(sha256(convert_to(natural_key, 'UTF8')) from 1 for 16)")
        op.alter_column("administrations", "key_hash", nullable=False)
        op.create_index("ux_administrations_key", "administrations", ["key_hash"], unique=True)
        op.drop_column("administrations", "natural_key")
        op.add_column("scores", sa.Column("run_pk", sa.Integer,
                                          sa.ForeignKey("scoring_runs.pk")))
        op.execute("UPDATE scores s SET run_pk = r.pk FROM administrations a, scoring_runs r "
                   "WHERE a.pk = s.administration_pk AND r.measure_pk = a.measure_pk "
                   "AND r.engine_version = s.engine_version")
        op.alter_column("scores", "run_pk", nullable=False)
        for name in ("rule_sha256", "measure_version", "engine_version"):
            op.drop_column("scores", name)
        return
    # SQLite: rebuild both tables. The new scores table refers to administrations_new, so
    # dropping the old tables breaks no foreign key; renaming then updates the reference.
    bind.connection.driver_connection.create_function(  # type: ignore[union-attr]
        "ml_key_hash", 1, _key_hash, deterministic=True)
    op.create_table(
        "administrations_new",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("key_hash", sa.LargeBinary(16), nullable=False),
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
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("age_band", sa.String(32)),
        sa.Column("sex", sa.String(32)),
        sa.Column("ethnicity", sa.String(64)),
        sa.Column("deprivation_decile", sa.Integer),
        sa.Column("first_language", sa.String(64)),
    )
    cols = ", ".join(_ADMIN_COLUMNS)
    op.execute(f"INSERT INTO administrations_new (key_hash, {cols}) "
               f"SELECT ml_key_hash(natural_key), {cols} FROM administrations")
    op.create_table(
        "scores_new",
        sa.Column("administration_pk", sa.Integer, sa.ForeignKey("administrations_new.pk"),
                  primary_key=True),
        sa.Column("score_id", sa.String(64), primary_key=True),
        sa.Column("value", sa.Float),
        sa.Column("band", sa.Text),
        sa.Column("run_pk", sa.Integer, sa.ForeignKey("scoring_runs.pk"), nullable=False),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO scores_new (administration_pk, score_id, value, band, run_pk) "
               "SELECT s.administration_pk, s.score_id, s.value, s.band, r.pk FROM scores s "
               "JOIN administrations a ON a.pk = s.administration_pk "
               "JOIN scoring_runs r ON r.measure_pk = a.measure_pk "
               "AND r.engine_version = s.engine_version")
    op.execute("DROP TABLE scores")
    op.execute("DROP TABLE administrations")
    op.execute("ALTER TABLE administrations_new RENAME TO administrations")
    op.execute("ALTER TABLE scores_new RENAME TO scores")
    op.create_index("ux_administrations_key", "administrations", ["key_hash"], unique=True)
    op.create_index("ix_administrations_respondent", "administrations",
                    ["respondent_id", "episode"])
    op.create_index("ix_administrations_measure_date", "administrations", ["measure_pk", "date"])


def downgrade() -> None:  # pragma: no cover - the key digests cannot be turned back into text
    raise NotImplementedError("0005 cannot be downgraded: natural keys are stored as digests")
