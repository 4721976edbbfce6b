"""Alembic environment for both stores: runs on the engine and history the runner hands over
(:func:`gulfsec.adapters.storage.migrate.migrate`)."""

from __future__ import annotations

from alembic import context

config = context.config
engine = config.attributes.get("engine")
history = config.attributes.get("history")
if engine is None or history is None:
    raise RuntimeError("gulfsec migrations run through gulfsec.adapters.storage.migrate")

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=history.metadata(),
                      version_table=history.version_table,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
