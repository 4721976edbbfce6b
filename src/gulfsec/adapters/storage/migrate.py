"""One migration runner for every store: the hub's, a node's, and the open news's database.

Each store has its own Alembic history (``migrations/hub``, ``migrations/node``,
``migrations/news``) and version table, under one environment (``migrations/env.py``), so a
node and the hub could even share a PostgreSQL database, and the news can live in the hub's.
:func:`migrate` brings a store's schema to its newest revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gulfsec.errors import StorageError

Store = Literal["hub", "node", "news"]


@dataclass(frozen=True)
class History:
    """Where a store's revisions live, its version table, and the tables it defines."""

    versions: str
    version_table: str

    def metadata(self) -> list[sa.MetaData]:
        from gulfsec.adapters.storage import accounts, hub, news, node

        if self.version_table == HISTORIES["news"].version_table:
            return [news.metadata]
        if self.version_table == HISTORIES["hub"].version_table:
            return [hub.metadata, accounts.hub_metadata]
        return [node.metadata, accounts.node_metadata]


HISTORIES: Final[dict[Store, History]] = {
    "hub": History("hub", "alembic_version"),
    "node": History("node", "alembic_version_node"),
    "news": History("news", "alembic_version_news"),
}


def alembic_config(engine: Engine, store: Store) -> Config:
    history = HISTORIES[store]
    root = resources.files("gulfsec.adapters.storage").joinpath("migrations")
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(root.joinpath(history.versions)))
    cfg.attributes["engine"] = engine
    cfg.attributes["history"] = history
    return cfg


def migrate(engine: Engine, store: Store) -> None:
    """Bring ``store``'s schema on ``engine`` to its newest revision."""
    try:
        command.upgrade(alembic_config(engine, store), "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"{store} migration failed: {str(exc).splitlines()[0]}") from exc
