"""Setting up and opening a hub from settings: keys on disk, database, regime.

A hub's data directory holds::

    keys/log.key        the log's signing key (encrypted), named after the log origin
    keys/SEC.key        the secretariat's signing key (encrypted)
    log.vkey            the log's verifier key, to hand to every participant to pin
    hub.db              the SQLite database (unless a PostgreSQL URL is set)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import Clock, SystemClock
from gulfsec.adapters.db import create_db_engine, migrate
from gulfsec.config import Settings
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime, load_regime
from gulfsec.errors import ConfigError, KeyStoreError
from gulfsec.services.hub import Hub


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


def regime_from(settings: Settings) -> Regime:
    return default_regime() if settings.regime_path is None else load_regime(settings.regime_path)


def init_hub(settings: Settings, *, clock: Clock | None = None) -> tuple[Hub, SigningKey]:
    """Create the hub's keys, database and genesis entry. Refuses to overwrite existing keys.

    Returns the started hub's service (stopped again) and the secretariat key.
    """
    regime = regime_from(settings)
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
    hub = open_hub(settings, log_key=log_key, clock=clock)
    hub.start()
    try:
        hub.bootstrap(sec_key)
    finally:
        hub.stop()
        hub.engine.dispose()  # close the pooled connections now, not whenever GC runs
    return hub, sec_key


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


def open_hub(settings: Settings, *, log_key: SigningKey | None = None,
             clock: Clock | None = None) -> Hub:
    """A hub service over the settings' database (migrated), not yet started."""
    regime = regime_from(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = log_key or load_log_key(settings, regime)
    engine = create_db_engine(settings.effective_database_url("hub"))
    migrate(engine)
    return Hub(regime, engine, key, clock or SystemClock(),
               max_batch=settings.batch_max, max_delay_ms=settings.batch_delay_ms)
