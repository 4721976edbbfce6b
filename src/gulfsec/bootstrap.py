"""The composition root: the one place where settings, engines, services and apps are wired.

The CLI, the demo, the benchmarks and the tests build hubs, nodes and apps here and nowhere
else (as cosmicpython's ``bootstrap.py``). Services get ports (a unit of work, a clock, a hub
client), never settings or engines they build themselves; the API and the pages get the
services they share (the accounts, the compliance engines) from here, so neither reaches into
the other.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from gulfsec.adapters.clock import Clock, SystemClock
from gulfsec.adapters.files import private_dir
from gulfsec.adapters.hotline_keys import FileEncryptionKeys
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.mail import SmtpMailer, SmtpServer
from gulfsec.adapters.peers import PeerClient
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import Store, migrate
from gulfsec.adapters.storage.news import NewsStore
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.api.hub import create_hub_app
from gulfsec.api.node import create_node_app
from gulfsec.config import Settings, load_settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime, default_regime, load_regime
from gulfsec.errors import ConfigError, KeyStoreError
from gulfsec.services.hub import Hub
from gulfsec.services.hub.hotline import SecretariatHotline
from gulfsec.services.hub.records import (
    ComplianceByViewer,
    ConsultationsByViewer,
    DecisionsByViewer,
    RiskByViewer,
    hub_scorecards,
)
from gulfsec.services.hub.setup import (
    HubPaths,
    hub_keys_for_init,
    load_log_key,
    load_secretariat_key,
)
from gulfsec.services.node import Node
from gulfsec.services.node import views as node_views
from gulfsec.services.node.compose import Composer
from gulfsec.services.node.drafts import Drafts, TwoPersonRule
from gulfsec.services.node.loop import Follower
from gulfsec.services.node.notifications import Notifications, Notifier
from gulfsec.services.node.records import node_scorecards
from gulfsec.services.node.setup import NodeInit, load_party_key, node_identity
from gulfsec.services.node.setup import init_node as init_node_service
from gulfsec.services.shared.accounts import Accounts, SessionPolicy, hub_accounts, node_accounts
from gulfsec.services.shared.hotline import keep_keys
from gulfsec.services.shared.scorecards import Scorecards
from gulfsec.services.shared.unit_of_work import SqlUnitOfWork, UnitOfWork
from gulfsec.web import install_hub_pages, install_node_pages, node_cookie
from gulfsec.web.hub.news import NewsSource
from gulfsec.web.node import pages as node_pages
from gulfsec.web.workers import PageWorker, exit_on_failure

if TYPE_CHECKING:
    from gulfsec.services.hub.publish import Publisher

__all__ = [
    "build_hub_app",
    "build_node_app",
    "build_page_worker",
    "hotline_keys",
    "hub_accounts_from",
    "init_hub",
    "init_node",
    "node_accounts_from",
    "node_page_workers",
    "open_engine",
    "open_hub",
    "open_node",
    "open_notifications",
    "open_secretariat_hotline",
    "regime_from",
]

log = logging.getLogger("gulfsec")


def regime_from(settings: Settings) -> Regime:
    """The regime the settings name, or the packaged Gulf regime."""
    return default_regime() if settings.regime_path is None else load_regime(settings.regime_path)


def open_engine(settings: Settings, store: Store) -> Engine:
    """The store's database as the settings name it, migrated to its newest schema."""
    private_dir(settings.data_dir)
    engine = create_db_engine(settings.effective_database_url(store))
    try:
        migrate(engine, store)
    except BaseException:
        engine.dispose()
        raise
    return engine


# -- the hub -----------------------------------------------------------------------------------


def open_hub(settings: Settings, *, log_key: SigningKey | None = None,
             clock: Clock | None = None) -> Hub:
    """A hub service over the settings' database (migrated), not yet started."""
    regime = regime_from(settings)
    key = log_key or load_log_key(settings, regime)
    engine = open_engine(settings, "hub")
    hub = Hub(regime, engine, key, clock or SystemClock(),
              max_batch=settings.batch_max, max_delay_ms=settings.batch_delay_ms)
    if settings.s3_bucket is not None:
        hub.publisher = _log_publisher(settings, hub)
    return hub


def _log_publisher(settings: Settings, hub: Hub) -> Publisher:
    """What publishes the hub's log to the bucket the settings name (GULFSEC_S3_*)."""
    from gulfsec.adapters.objectstore import ObjectStore  # boto3: only where it is used
    from gulfsec.services.hub.publish import Publisher

    if (settings.s3_endpoint is None or settings.s3_bucket is None
            or settings.s3_access_key_id is None or settings.s3_secret_access_key is None):
        raise ConfigError("GULFSEC_S3_BUCKET: the object store is not fully configured")
    store = ObjectStore(settings.s3_endpoint, settings.s3_bucket,
                        access_key_id=settings.s3_access_key_id.get_secret_value(),
                        secret_access_key=settings.s3_secret_access_key.get_secret_value(),
                        region=settings.s3_region, prefix=settings.s3_prefix)
    return Publisher(hub, store)


def init_hub(settings: Settings, *, clock: Clock | None = None) -> tuple[Hub, SigningKey]:
    """Create the hub's keys, database and genesis entry (the secretariat's key registration),
    all or nothing: killed at any moment, a re-run finishes the init or cleanly starts it
    again (:func:`gulfsec.services.hub.setup.hub_keys_for_init`); once the genesis entry is
    logged, a hub is set up and init refuses to touch it. Returns the hub service (stopped)
    and the secretariat key."""
    regime = regime_from(settings)
    engine = open_engine(settings, "hub")
    try:
        with UnitOfWork(engine) as uow:
            begun = uow.repo.count() > 0
    finally:
        engine.dispose()
    if begun:
        raise KeyStoreError(f"a hub is already set up in {settings.data_dir} (its log has "
                            "begun)")
    log_key, sec_key, _finishing = hub_keys_for_init(settings, regime)
    keep_keys(hotline_keys(settings, sec_key.name), regime, (clock or SystemClock()).now())
    hub = open_hub(settings, log_key=log_key, clock=clock)
    hub.start()
    try:
        hub.bootstrap(sec_key)
    finally:
        hub.stop()
        hub.engine.dispose()  # close the pooled connections now, not whenever GC runs
    return hub, sec_key


def hotline_keys(settings: Settings, party: str) -> FileEncryptionKeys:
    """A party's hotline encryption keys in the data directory (``keys/<PARTY>.hotline/``)."""
    return FileEncryptionKeys(settings.data_dir / "keys" / f"{party}.hotline", party,
                              settings.effective_passphrase)


def open_secretariat_hotline(settings: Settings, hub: Hub) -> SecretariatHotline | None:
    """The secretariat's end of the hotline, for the hub's process — if its data directory
    holds the secretariat's signing key (``gulfsec hub init`` writes it there). A deployment
    that keeps that key off the hub's machine runs no secretariat end (None, and a warning):
    the parties' tests to the secretariat then go unanswered, and their nodes say so."""
    if not HubPaths(settings.data_dir).secretariat_key.exists():
        log.warning("the hub holds no secretariat key in %s: the secretariat's end of the "
                    "hotline does not run here", settings.data_dir)
        return None
    key = load_secretariat_key(settings)
    return SecretariatHotline(hub, key, hotline_keys(settings, key.name))


def build_hub_app(hub: Hub, *, manage_lifecycle: bool = True,
                  policy: SessionPolicy | None = None, secure_cookies: bool = False,
                  hotline: SecretariatHotline | None = None,
                  news: NewsSource | None = None) -> FastAPI:
    """The hub's API with its pages: the public log and the secretariat's; with
    ``hotline`` (:func:`open_secretariat_hotline`), the secretariat's end of the hotline; with
    ``news`` (:func:`news_store_from`), the secretariat's news pages read that store."""
    compliance = ComplianceByViewer(hub)
    decisions = DecisionsByViewer(hub)
    consultations = ConsultationsByViewer(hub, decisions)
    risk = RiskByViewer(hub)
    app = create_hub_app(hub, compliance=compliance, decisions=decisions,
                         consultations=consultations, risk=risk,
                         manage_lifecycle=manage_lifecycle, hotline=hotline)
    app.state.news = news
    install_hub_pages(app, hub, accounts=hub_accounts(hub.engine, hub.clock, policy),
                      scorecards=hub_scorecards(hub, compliance.for_viewer(None)),
                      decisions=decisions, consultations=consultations, risk=risk,
                      hotline=hotline, news=news, secure_cookies=secure_cookies)
    return app


def serve_hub_app(settings: Settings) -> FastAPI:
    """The app ``gulfsec hub serve`` serves: the hub of ``settings``, its pages, the
    secretariat's end of the hotline where its keys are, the news store. ConfigError if the
    hub is not set up."""
    service = open_hub(settings)
    service.state.load(service.engine, service.log_key.verifier)
    service.require_genesis()
    return build_hub_app(service, secure_cookies=settings.secure_cookies,
                         hotline=open_secretariat_hotline(settings, service),
                         news=news_store_from(settings))


def hub_app_from_environment() -> FastAPI:
    """:func:`serve_hub_app` with the settings of the environment: each worker process of
    ``gulfsec hub serve --workers N`` builds its own."""
    return serve_hub_app(load_settings())


NEWS_DATABASE_ENV = "GULFSEC_NEWS_DATABASE_URL"


class LazyNewsStore:
    """The news store of the hub's settings, opened (and migrated) on first use, and ``None``
    while there is none: no ``url`` given and no ``path`` (``news.db``) on disk yet — the pages
    then say how to fill one (``gulfsec news ingest``)."""

    def __init__(self, url: str | None, path: Path | None = None) -> None:
        self.url, self.path = url, path
        self._store: NewsStore | None = None
        self._lock = threading.Lock()

    def __call__(self) -> NewsStore | None:
        with self._lock:
            if self._store is None:
                if self.url is None and (self.path is None or not self.path.is_file()):
                    return None
                engine = create_db_engine(self.url or f"sqlite:///{self.path}")
                migrate(engine, "news")
                self._store = NewsStore(engine)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def news_store_from(settings: Settings) -> LazyNewsStore:
    """The news store the CLI's ``gulfsec news`` commands fill: GULFSEC_NEWS_DATABASE_URL,
    else ``news.db`` in the data directory."""
    url = os.environ.get(NEWS_DATABASE_ENV) or None
    return LazyNewsStore(url, settings.data_dir.absolute() / "news.db")


@contextmanager
def hub_accounts_from(settings: Settings) -> Iterator[Accounts]:
    """The accounts of the hub set up in ``settings``' data directory or database."""
    _check_database(settings, "hub")
    engine = open_engine(settings, "hub")
    try:
        with UnitOfWork(engine) as uow:
            empty = uow.repo.count() == 0
        if empty:
            raise _not_set_up(settings, "hub")
        yield hub_accounts(engine)
    finally:
        engine.dispose()


# -- a node ------------------------------------------------------------------------------------


def _node_uow(engine: Engine) -> SqlUnitOfWork[NodeRepository]:
    return SqlUnitOfWork(engine, NodeRepository)


def init_node(settings: Settings, party: str, hub_url: str, log_key: VerifierKey, *,
              clock: Clock | None = None, key: SigningKey | None = None) -> NodeInit:
    """Create the party's key and node database, and send the registration to the hub."""
    regime = regime_from(settings)
    regime.participant(party)
    engine = open_engine(settings, "node")
    try:
        done = init_node_service(settings, regime, _node_uow(engine), party, hub_url, log_key,
                                 clock or SystemClock(), key=key)
    finally:
        engine.dispose()
    # The first hotline key; the node registers it on its first sync.
    keep_keys(hotline_keys(settings, party), regime, (clock or SystemClock()).now())
    return done


def open_node(settings: Settings, *, clock: Clock | None = None,
              key: SigningKey | None = None, check_tree: bool = True) -> Node:
    """The node service over the settings' data directory and database, loaded.

    With ``check_tree=False`` a stored tree that no longer matches the latest checkpoint is
    loaded rather than refused: for :meth:`Node.verify_all`, which must still run (and report
    each problem) then.
    """
    regime = regime_from(settings)
    engine = open_engine(settings, "node")
    try:
        identity = node_identity(_node_uow(engine), settings)
        key = key or load_party_key(settings, identity.party)
        client = HubClient(identity.hub_url, party=identity.party, key=key, clock=clock,
                           log_key=identity.log_key, tiles_url=settings.tiles_url)
    except BaseException:
        engine.dispose()
        raise
    node = Node(regime, engine, identity.party, key, client, identity.log_key,
                clock or SystemClock(), peers=settings.peer_list(),
                peer_fetcher=PeerClient(), hotline_keys=hotline_keys(settings, identity.party))
    try:
        node.load(check_tree=check_tree)
    except BaseException:
        node.close()
        raise
    return node


def open_notifications(settings: Settings, node: Node) -> Notifications:
    """The node's e-mail notifications as ``settings`` say: through ``GULFSEC_SMTP_HOST``,
    or off without one (the delegates' page says so)."""
    if settings.smtp_host is None or settings.smtp_from is None:
        return Notifications(node, None, settings.public_url)
    password = (None if settings.smtp_password is None
                else settings.smtp_password.get_secret_value())
    server = SmtpServer(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                        settings.smtp_user, password, starttls=settings.smtp_starttls,
                        ssl=settings.smtp_ssl)
    return Notifications(node, SmtpMailer(server), settings.public_url)


def build_node_app(node: Node, *, sync_interval_s: float = 1.0, run_sync: bool = True,
                   policy: SessionPolicy | None = None, secure_cookies: bool = False,
                   scorecards: Scorecards | None = None,
                   notifications: Notifications | None = None,
                   two_person_forms: str = "") -> FastAPI:
    """The node's API, its background sync, and its delegates' pages (with ``scorecards``,
    those of another app of the same node, and what they computed already); with
    ``notifications`` (:func:`open_notifications`) that are on, their notifier runs beside
    the sync loop. ``two_person_forms``: the setting of the node's two-person rule
    (:class:`~gulfsec.services.node.drafts.TwoPersonRule`; ConfigError if it names a form
    the compose pages do not write)."""
    if node.engine is None:
        raise ConfigError("a node's pages need its database (its delegates' accounts are there)")
    accounts = node_accounts(node.engine, node.clock, policy)
    cookie = node_cookie(node.party)
    app = create_node_app(node, sync_interval_s=sync_interval_s, run_sync=run_sync,
                          accounts=accounts, session_cookie=cookie)
    if scorecards is None:
        scorecards = node_scorecards(node).following(lambda: node_views.read_state(node))
    if notifications is None:
        notifications = Notifications(node, None, None)
    if run_sync and notifications.enabled:
        notifier = Notifier(notifications, tick_s=max(1.0, sync_interval_s))
        app.state.sync_loop.alongside.append(notifier)
        node.sync.after_round.append(notifier.wake)
    install_node_pages(app, node, accounts=accounts, composer=Composer(node),
                       scorecards=scorecards, secure_cookies=secure_cookies,
                       notifications=notifications,
                       drafts=Drafts(node, TwoPersonRule.parse(two_person_forms)))
    return app


def build_page_worker(settings: Settings, node_socket: str, *, node: Node | None = None,
                      scorecards: Scorecards | None = None) -> PageWorker[node_views.LogState]:
    """A page worker of the node in ``settings`` (:mod:`gulfsec.web.workers`): the node's app
    without its sync loop, over a node that does not sync but follows what the node's process
    (serving on ``node_socket``) stores — ``node`` (and its ``scorecards``) taken over from
    that process when the worker was forked from it, else opened here."""
    node = node or open_node(settings)
    try:
        follower = Follower(node)
        follower.start()
        node_views.follow_with(node, follower.follow)
        app = build_node_app(node, run_sync=False, secure_cookies=settings.secure_cookies,
                             scorecards=scorecards,
                             notifications=open_notifications(settings, node),
                             two_person_forms=settings.two_person_forms)
    except BaseException:
        node.close()
        raise
    site = app.state.web
    return PageWorker(app, node_socket, follow=follower.follow,
                      pin=lambda state: node_views.pin_state(node, state),
                      warm=lambda: node_pages.warm(site), close=node.close)


class PageWorkerApp:
    """What builds a page worker's app in the worker's own process. Forked from the node's
    process, the worker takes over that process's node and scorecards, with what they
    computed (:func:`node_page_workers`); sent to a fork server (pickled: settings and a
    path, nothing open), it opens the node afresh."""

    def __init__(self, settings: Settings, node_socket: str, node: Node | None = None,
                 scorecards: Scorecards | None = None) -> None:
        self.settings = settings
        self.node_socket = node_socket
        self.node = node
        self.scorecards = scorecards

    def __getstate__(self) -> dict[str, object]:
        return {"settings": self.settings, "node_socket": self.node_socket}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"], state["node_socket"])  # type: ignore[misc]

    def __call__(self) -> ASGIApp:
        return exit_on_failure(lambda: build_page_worker(
            self.settings, self.node_socket, node=self.node, scorecards=self.scorecards))


def node_page_workers(settings: Settings, app: FastAPI) -> Callable[[str], PageWorkerApp]:
    """Given the node process's socket, what builds each page worker's app, for ``app``
    (:func:`build_node_app`) served in this process. Its pages are computed here first (the
    inbox, the scorecards), so that the workers forked from this process start with them."""
    site = app.state.web
    node_pages.warm(site)
    return lambda node_socket: PageWorkerApp(settings, node_socket, site.the_node(),
                                             site.scorecards)


@contextmanager
def node_accounts_from(settings: Settings) -> Iterator[Accounts]:
    """The accounts of the node set up in ``settings``' data directory or database."""
    _check_database(settings, "node")
    engine = open_engine(settings, "node")
    try:
        with _node_uow(engine) as uow:
            party = uow.repo.get_meta("party")
        if party is None:
            raise _not_set_up(settings, "node")
        yield node_accounts(engine)
    finally:
        engine.dispose()


# -- helpers -----------------------------------------------------------------------------------


def _not_set_up(settings: Settings, kind: str) -> ConfigError:
    return ConfigError(f"no {kind} is set up in {settings.data_dir}: run "
                       f"`gulfsec {kind} init` first")


def _check_database(settings: Settings, kind: str) -> None:
    """Refuse to create a database where none was set up (SQLite: its file must exist)."""
    if settings.database_url is None and not (settings.data_dir / f"{kind}.db").exists():
        raise _not_set_up(settings, kind)
