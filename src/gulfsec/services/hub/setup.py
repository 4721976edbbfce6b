"""A hub's keys on disk, and its genesis.

A hub's data directory holds::

    keys/log.key        the log's signing key (encrypted), named after the log origin
    keys/SEC.key        the secretariat's signing key (encrypted)
    log.vkey            the log's verifier key, to hand to every participant to pin
    hub.db              the SQLite database (unless a PostgreSQL URL is set)

Engines and the hub service itself are wired by :mod:`gulfsec.bootstrap`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gulfsec.adapters import keystore
from gulfsec.adapters.files import private_dir, write_public
from gulfsec.config import Settings
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError


@dataclass(frozen=True)
class HubPaths:
    root: Path

    @property
    def log_key(self) -> Path:
        return self.root / "keys" / "log.key"

    @property
    def secretariat_key(self) -> Path:
        return self.root / "keys" / "SEC.key"

    @property
    def log_vkey(self) -> Path:
        return self.root / "log.vkey"


def hub_keys_for_init(settings: Settings, regime: Regime) -> tuple[SigningKey, SigningKey, bool]:
    """The log key and the secretariat's key for an init whose log has no genesis yet:
    (log key, secretariat key, finishing).

    Each key file is written whole or not at all (atomically, 0600). If both keys are there,
    a half-done init is finished with them (``finishing``; the log's verifier key is written
    again from the log key). If only one is, the init stopped between the two and nothing was
    ever signed with it: it is moved aside (``*.unused``, never deleted) and the keys are made
    anew — a clean restart.
    """
    paths = HubPaths(settings.data_dir)
    passphrase = settings.effective_passphrase()
    if paths.log_key.exists() and paths.secretariat_key.exists():
        log_name, log_seed = keystore.load_key(paths.log_key, passphrase)
        sec_name, sec_seed = keystore.load_key(paths.secretariat_key, passphrase)
        log_key, sec_key = SigningKey(log_name, log_seed), SigningKey(sec_name, sec_seed)
        write_public(paths.log_vkey, (log_key.verifier.encode() + "\n").encode())
        return log_key, sec_key, True
    for path in (paths.log_key, paths.secretariat_key):
        if path.exists():
            path.rename(path.with_name(f"{path.name}.unused-{time.time_ns()}"))
    paths.log_vkey.unlink(missing_ok=True)
    private_dir(paths.log_key.parent)
    log_key = SigningKey.generate(regime.log_origin)
    sec_key = SigningKey.generate(regime.secretariat.code)
    keystore.save_key(paths.secretariat_key, sec_key.name, sec_key.seed, passphrase)
    keystore.save_key(paths.log_key, log_key.name, log_key.seed, passphrase)
    write_public(paths.log_vkey, (log_key.verifier.encode() + "\n").encode())
    return log_key, sec_key, False


def load_log_key(settings: Settings, regime: Regime) -> SigningKey:
    if settings.log_key_file is not None:
        seed = keystore.load_seed_file(settings.log_key_file)
        return SigningKey(regime.log_origin, seed)
    path = HubPaths(settings.data_dir).log_key
    if not path.exists():
        raise ConfigError(f"no log key at {path}: run `gulfsec hub init` first")
    name, seed = keystore.load_key(path, settings.effective_passphrase())
    return SigningKey(name, seed)


def load_secretariat_key(settings: Settings) -> SigningKey:
    path = HubPaths(settings.data_dir).secretariat_key
    if not path.exists():
        raise ConfigError(f"no secretariat key at {path}: run `gulfsec hub init` first")
    name, seed = keystore.load_key(path, settings.effective_passphrase())
    return SigningKey(name, seed)
