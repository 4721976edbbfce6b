"""A hub's keys on disk, and its genesis.

A hub's data directory holds::

    keys/log.key        the log's signing key (encrypted), named after the log origin
    keys/SEC.key        the secretariat's signing key (encrypted)
    log.vkey            the log's verifier key, to hand to every participant to pin
    hub.db              the SQLite database (unless a PostgreSQL URL is set)

Engines and the hub service itself are wired by :mod:`gulfsec.bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gulfsec.adapters import keystore
from gulfsec.config import Settings
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError, KeyStoreError


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


def create_hub_keys(settings: Settings, regime: Regime) -> tuple[SigningKey, SigningKey]:
    """Create and store the log key and the secretariat's key; refuses to overwrite either.
    Returns (log key, secretariat key)."""
    paths = HubPaths(settings.data_dir)
    if paths.log_key.exists() or paths.secretariat_key.exists():
        raise KeyStoreError(f"a hub is already set up in {settings.data_dir}")
    passphrase = settings.effective_passphrase()
    paths.log_key.parent.mkdir(parents=True, exist_ok=True)
    log_key = SigningKey.generate(regime.log_origin)
    sec_key = SigningKey.generate(regime.secretariat.code)
    keystore.save_key(paths.log_key, log_key.name, log_key.seed, passphrase)
    keystore.save_key(paths.secretariat_key, sec_key.name, sec_key.seed, passphrase)
    paths.log_vkey.write_text(log_key.verifier.encode() + "\n")
    return log_key, sec_key


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
