"""Rebuilding a node from scratch around the party's own key, from the hub.

A node whose database is lost (and with no backup to restore) is set up again in an empty data
directory holding the party's key (``keys/<PARTY>.key``, and its hotline keys if kept):
:func:`rebuild_node` checks that the hub serves the pinned log key and still holds this very
key as the party's active one, records the node's identity as ``gulfsec node init`` does — but
sends no registration: the party is registered already — and then syncs once, in which the node
fetches and verifies the whole log again, re-learning what its party sent and acknowledged.
So its next entry carries the next sequence number, not a used one (the hub's count is taken as
a floor even before that sync), and nothing it acknowledged before is acknowledged twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.config import Settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError, KeyStoreError, RemoteError
from gulfsec.services.node import Node, SyncReport
from gulfsec.services.node.setup import NodePaths, load_party_key, write_api_token
from gulfsec.services.shared.hotline import EncryptionKeys, keep_keys
from gulfsec.services.shared.unit_of_work import SqlUnitOfWork

__all__ = ["NodeRebuilt", "rebuild_node"]

OWN_SEQ_FLOOR = "registration_seq"
"""The node's meta the outbox takes as the floor of its party's sequence numbers
(:meth:`~gulfsec.services.node.outbox.Outbox.next_seq`): at init, the registration's number;
here, the last number the hub's log holds from the party."""


@dataclass(frozen=True)
class NodeRebuilt:
    party: str
    key: SigningKey
    hub_next_seq: int
    caught_up: SyncReport
    sync_error: str | None


def rebuild_node(settings: Settings, regime: Regime, party: str, hub_url: str,
                 log_key: VerifierKey, *, open_engine: Callable[[Settings], Engine],
                 open_node: Callable[[Settings], Node],
                 hotline_keys: Callable[[Settings, str], EncryptionKeys],
                 clock: Clock) -> NodeRebuilt:
    """Set up a node for ``party`` afresh around the key already in the data directory of
    ``settings``, then sync it once (see the module's notes)."""
    regime.participant(party)
    paths = NodePaths(settings.data_dir, party)
    if not paths.key.exists():
        raise ConfigError(f"no key for {party} at {paths.key}: a node is rebuilt around the "
                          "party's own key; put its key file there first (from a backup or the "
                          "old installation)")
    key = load_party_key(settings, party)
    engine = open_engine(settings)
    try:
        uow = SqlUnitOfWork(engine, NodeRepository)
        with uow:
            if uow.repo.get_meta("party") is not None:
                raise ConfigError(f"a node is already set up in {settings.data_dir} (for "
                                  f"{uow.repo.get_meta('party')}): rebuild into an empty "
                                  "database")
        next_seq = _registered_here(hub_url, party, key, log_key)
        with uow:
            uow.repo.set_meta("party", party)
            uow.repo.set_meta("hub_url", hub_url)
            uow.repo.set_meta("log_key", log_key.encode())
            uow.repo.set_meta("regime_digest", regime.digest)
            uow.repo.set_meta(OWN_SEQ_FLOOR, str(next_seq - 1))
            uow.repo.set_meta("api_token_sha256", write_api_token(paths.api_token))
            uow.commit()
    finally:
        engine.dispose()
    keep_keys(hotline_keys(settings, party), regime, clock.now())
    node = open_node(settings)
    try:
        report = node.sync_once()
        error = node.last_error
    finally:
        node.close()
    return NodeRebuilt(party, key, next_seq, report, error)


def _registered_here(hub_url: str, party: str, key: SigningKey, log_key: VerifierKey) -> int:
    """The party's next sequence number at the hub, once the hub is seen to serve ``log_key``
    and to hold ``key`` as the party's active key."""
    with HubClient(hub_url, party=party, key=key) as client:
        served = client.log_info().get("log_key")
        if served != log_key.encode():
            raise ConfigError(f"the hub at {hub_url} serves log key {served!r}, not the pinned "
                              f"{log_key.encode()!r}; check the URL and the key you were given")
        try:
            me = client.party_status()
        except RemoteError as exc:
            if exc.status not in (401, 403):
                raise
            raise KeyStoreError(f"the hub does not know key {key.key_id_hex} as {party}'s "
                                f"({exc.message}): a node is rebuilt only around the party's "
                                "registered key; with a new key, set up with `gulfsec node "
                                "init`") from exc
    if me.get("key_id") != key.key_id_hex or not me.get("key_active", False):
        raise KeyStoreError(f"{party}'s active key in the log is {me.get('key_id')}, not this "
                            f"key {key.key_id_hex}: a node is rebuilt only around the party's "
                            "active key")
    next_seq = me.get("next_seq")
    if not isinstance(next_seq, int) or next_seq < 1:
        raise KeyStoreError(f"the hub holds no entry of {party} yet: set up with `gulfsec node "
                            "init`")
    return next_seq
