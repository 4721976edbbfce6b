"""Alembic environment: runs migrations on the engine the application hands over."""

from __future__ import annotations

from alembic import context

from gulfsec.adapters.accounts_db import hub_metadata as accounts_metadata
from gulfsec.adapters.db import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("gulfsec migrations run through gulfsec.adapters.db.migrate(engine)")

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=[metadata, accounts_metadata],
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
