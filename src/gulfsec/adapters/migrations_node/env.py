"""Alembic environment for a node's database (its own history and version table)."""

from __future__ import annotations

from alembic import context

from gulfsec.adapters.accounts_db import node_metadata as accounts_metadata
from gulfsec.adapters.node_db import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("node migrations run through gulfsec.adapters.node_db.migrate_node")

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=[metadata, accounts_metadata],
                      version_table="alembic_version_node",
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
