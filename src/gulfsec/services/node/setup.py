"""A participant's node on disk: its key, its identity in its database, its registration.

A node's data directory holds::

    keys/<PARTY>.key             the party's signing key (encrypted)
    <PARTY>.registration.json    its registration request, for the secretariat
    api-token                    the token the node's own tools present to its API (0600)
    node.db                      the node's own database (unless a PostgreSQL URL is set)

The party, the hub's URL and the pinned log key are stored in the node's database at init.
Engines and the node service itself are wired by :mod:`gulfsec.bootstrap`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import Clock
from gulfsec.adapters.files import private_dir, write_private
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.config import Settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError, GulfsecError, KeyStoreError
from gulfsec.services.participant import registration_request
from gulfsec.services.shared.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True)
class NodePaths:
    root: Path
    party: str

    @property
    def key(self) -> Path:
        return self.root / "keys" / f"{self.party}.key"

    @property
    def api_token(self) -> Path:
        return self.root / "api-token"

    @property
    def registration(self) -> Path:
        return self.root / f"{self.party}.registration.json"


@dataclass(frozen=True)
class NodeInit:
    party: str
    key: SigningKey
    registration: Path
    submitted: bool
    message: str


@dataclass(frozen=True)
class NodeIdentity:
    """Who a node's database says it is: its party, its hub, the log key it pins."""

    party: str
    hub_url: str
    log_key: VerifierKey


def write_api_token(path: Path) -> str:
    """Write a fresh API token for the node's own tools (mode 0600); return its SHA-256 hex.

    The node's HTTP API serves what the party holds only to a signed-in delegate (session
    cookie) or to a caller presenting this token as ``Authorization: Bearer <token>``.
    """
    token = secrets.token_urlsafe(32)
    write_private(path, (token + "\n").encode())
    return hashlib.sha256(token.encode()).hexdigest()


def init_node(settings: Settings, regime: Regime, uow: AbstractUnitOfWork[NodeRepository],
              party: str, hub_url: str, log_key: VerifierKey, clock: Clock, *,
              key: SigningKey | None = None) -> NodeInit:
    """Create the party's key, record the node's identity, and send the registration to the
    hub, which holds it until the secretariat, having compared the fingerprint out of band,
    countersigns it (``gulfsec hub admit --party PARTY``)."""
    regime.participant(party)
    paths = NodePaths(settings.data_dir, party)
    if paths.key.exists():
        raise KeyStoreError(f"a node for {party} is already set up in {settings.data_dir}")
    with uow:
        if uow.repo.get_meta("party") is not None:
            raise ConfigError(f"the node database already belongs to "
                              f"{uow.repo.get_meta('party')}")
    with HubClient(hub_url) as client:
        served = client.log_info().get("log_key")
    if served != log_key.encode():
        raise ConfigError(f"the hub at {hub_url} serves log key {served!r}, not the pinned "
                          f"{log_key.encode()!r}; check the URL and the key you were given")
    key = key or SigningKey.generate(party)
    private_dir(paths.key.parent)
    keystore.save_key(paths.key, party, key.seed, settings.effective_passphrase())
    request = registration_request(key, party, clock.now())
    write_private(paths.registration, request.raw)
    with uow:
        uow.repo.set_meta("party", party)
        uow.repo.set_meta("hub_url", hub_url)
        uow.repo.set_meta("log_key", log_key.encode())
        uow.repo.set_meta("regime_digest", regime.digest)
        uow.repo.set_meta("registration_seq", str(request.entry.seq))
        uow.repo.set_meta("api_token_sha256", write_api_token(paths.api_token))
        uow.commit()
    try:
        with HubClient(hub_url) as client:
            client.register(request.raw)
    except GulfsecError as exc:  # the node is set up either way; say how to finish by hand
        return NodeInit(party, key, paths.registration, False,
                        f"could not send the registration ({exc.message}); give "
                        f"{paths.registration} to the secretariat")
    return NodeInit(party, key, paths.registration, True,
                    "registration sent to the hub; the secretariat admits it after "
                    "comparing the fingerprint")


def node_identity(uow: AbstractUnitOfWork[NodeRepository], settings: Settings) -> NodeIdentity:
    """The identity recorded at init, or ConfigError if no node is set up there."""
    with uow:
        party = uow.repo.get_meta("party")
        hub_url = uow.repo.get_meta("hub_url")
        pinned = uow.repo.get_meta("log_key")
    if party is None or hub_url is None or pinned is None:
        raise ConfigError(f"no node is set up in {settings.data_dir}: run `gulfsec node init`")
    return NodeIdentity(party, hub_url, VerifierKey.parse(pinned))


def load_party_key(settings: Settings, party: str) -> SigningKey:
    path = NodePaths(settings.data_dir, party).key
    if not path.exists():
        raise ConfigError(f"no key for {party} at {path}")
    name, seed = keystore.load_key(path, settings.effective_passphrase())
    return SigningKey(name, seed)
