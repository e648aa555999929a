"""Alembic environment of the outcomes store; run by :class:`measurelib.outcomes.store.Store`."""

from __future__ import annotations

from alembic import context

from measurelib.outcomes.store._tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only with the alembic command line
    from sqlalchemy import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://")
    connection = engine.connect()

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
