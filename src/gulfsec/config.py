"""Typed settings, read from ``GULFSEC_*`` environment variables by a factory.

Nothing is read or created at import time: the app factory and the CLI call
:func:`load_settings`, and tests call it again against a fresh environment.

Every field ``x`` is read from ``GULFSEC_X``. A secret field (see :data:`SECRET_FIELDS`) may
instead come from a file named by ``GULFSEC_X_FILE``, as container secrets are mounted; one
trailing newline is stripped, and setting both ``GULFSEC_X`` and ``GULFSEC_X_FILE`` is an error.
``GULFSEC_LOG_KEY_FILE`` names the file that holds the hub's raw log key seed; it is read by
``gulfsec.adapters.keystore.load_seed_file`` where the key is needed, not here.

``GULFSEC_SECURE_COOKIES`` (a boolean: ``true``/``false``, ``1``/``0``, ``yes``/``no``,
``on``/``off``) makes every cookie the pages set ``Secure``, so that a browser sends it over
HTTPS only; unset, it is on when ``GULFSEC_ENV=production`` and off otherwise.

Settings fail closed: an unknown value for an enumerated or boolean setting, an unsupported
database URL, or, in production, a missing passphrase or the development default
``gulfsec-dev`` is a :class:`~gulfsec.errors.ConfigError` whose one line names the variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from gulfsec.errors import ConfigError

__all__ = [
    "DEV_PASSPHRASE",
    "ENV_PREFIX",
    "SECRET_FIELDS",
    "Settings",
    "env_var",
    "load_settings",
]

ENV_PREFIX: Final = "GULFSEC_"
DEV_PASSPHRASE: Final = "gulfsec-dev"
SECRET_FIELDS: Final = ("passphrase", "database_url", "smtp_password", "s3_access_key_id",
                        "s3_secret_access_key")
"""Fields that may come from a ``GULFSEC_X_FILE`` file (a database URL may hold a password)."""

LOG_LEVELS: Final = frozenset({"critical", "error", "warning", "info", "debug", "trace"})
_DB_SCHEMES: Final = ("sqlite", "postgresql+psycopg")
_DB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_MAX_SECRET_FILE: Final = 64 * 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_PART = re.compile(r"[A-Za-z0-9._-]+")


def env_var(field: str) -> str:
    """The environment variable that sets ``field``: ``data_dir`` -> ``GULFSEC_DATA_DIR``."""
    return f"{ENV_PREFIX}{field.upper()}"


class Settings(BaseSettings):
    """Everything gulfsec reads from its environment. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
        validate_default=True,
        hide_input_in_errors=True,
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(default=None, repr=False)
    regime_path: Path | None = None
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8600, ge=1, le=65535)
    passphrase: SecretStr | None = None
    log_key_file: Path | None = None
    batch_max: int | None = Field(default=None, ge=1)
    batch_delay_ms: int | None = Field(default=None, ge=0)
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    """``json``: the served processes log JSON lines, each with its request id
    (:mod:`gulfsec.logs`); ``text``: uvicorn's usual lines."""
    node_port: int = Field(default=8700, ge=1, le=65535)
    sync_interval_ms: int = Field(default=1000, ge=10, le=3_600_000)
    peers: str = ""
    """Comma-separated base URLs of other participants' nodes, to compare views with."""
    secure_cookies: bool = False
    """Every cookie the pages set is ``Secure``; unset: on in production, off otherwise."""
    smtp_host: str | None = None
    """The ministry's SMTP server that the node's e-mail notifications go through; unset:
    no e-mail is sent (:mod:`gulfsec.services.node.notifications`)."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = Field(default=None, repr=False)
    smtp_from: str | None = None
    """The sender of the notifications (required with ``smtp_host``)."""
    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS (ignored with ``smtp_ssl``)."""
    smtp_ssl: bool = False
    """TLS from the first byte (implicit TLS, usually port 465)."""
    public_url: str | None = None
    """The node pages' address as delegates reach it, for the links in e-mails (required
    with ``smtp_host``)."""
    two_person_forms: str = ""
    """The node's two-person rule: comma-separated ids of forms written on the compose pages,
    or ``*`` for all of them, whose entries one delegate prepares and another officer signs
    (:mod:`gulfsec.services.node.drafts`); empty: none."""
    s3_endpoint: str | None = None
    """The S3-compatible object store's API address (``https://…``) that the hub publishes
    its checkpoint and tiles to (:mod:`gulfsec.services.hub.publish`), with ``s3_bucket``."""
    s3_bucket: str | None = None
    """The bucket the hub publishes its log to; unset: the hub publishes nowhere."""
    s3_prefix: str = ""
    """A key prefix in the bucket (``<prefix>/checkpoint``, ``<prefix>/tile/…``)."""
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = Field(default=None, repr=False)
    s3_secret_access_key: SecretStr | None = Field(default=None, repr=False)
    tiles_url: str | None = None
    """Where a node reads the log's tiles instead of from the hub: the bucket's public base
    URL, which serves ``<tiles_url>/checkpoint`` and ``<tiles_url>/tile/…``."""

    def peer_list(self) -> list[str]:
        return [p.strip().rstrip("/") for p in self.peers.split(",") if p.strip()]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword overrides, then GULFSEC_X, then GULFSEC_X_FILE. No .env file is read.
        return init_settings, env_settings, _SecretFileSource(settings_cls)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme = url.partition(":")[0].lower() if ":" in url else ""
        if scheme not in _DB_SCHEMES:
            hint = (
                " (PostgreSQL URLs start with postgresql+psycopg://)"
                if "postgres" in scheme
                else ""
            )
            raise ValueError(
                f"scheme {scheme!r} is not supported; use sqlite:/// or postgresql+psycopg://{hint}"
            )
        return url

    @model_validator(mode="before")
    @classmethod
    def _secure_cookies_in_production(cls, data: Any) -> Any:
        # Unset, GULFSEC_SECURE_COOKIES follows GULFSEC_ENV: on in production only.
        if isinstance(data, dict) and data.get("secure_cookies") is None:
            data = {**data, "secure_cookies": data.get("env") == "production"}
        return data

    @field_validator("secure_cookies", "smtp_starttls", "smtp_ssl", mode="before")
    @classmethod
    def _no_empty_boolean(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; use true or false")
        return value

    @field_validator("public_url", "s3_endpoint", "tiles_url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url is None:
            return None
        url = url.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ValueError("is not an http:// or https:// address")
        return url

    @model_validator(mode="after")
    def _mail_complete(self) -> Settings:
        if self.smtp_host is None:
            return self
        if not self.smtp_host.strip():
            raise ConfigError(f"{env_var('smtp_host')}: is empty")
        if self.smtp_from is None or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", self.smtp_from):
            raise ConfigError(f"{env_var('smtp_from')}: an e-mail address is required with "
                              f"{env_var('smtp_host')}")
        if self.public_url is None:
            raise ConfigError(f"{env_var('public_url')}: the pages' address is required with "
                              f"{env_var('smtp_host')} (the e-mails link to them)")
        if (self.smtp_user is None) != (self.smtp_password is None):
            raise ConfigError(f"{env_var('smtp_user')}: set both {env_var('smtp_user')} and "
                              f"{env_var('smtp_password')}, or neither")
        return self

    @field_validator("s3_bucket")
    @classmethod
    def _bucket_name(cls, bucket: str | None) -> str | None:
        if bucket is not None and not _BUCKET.fullmatch(bucket):
            raise ValueError(f"{bucket[:70]!r} is not a bucket name (3 to 63 lowercase "
                             "letters, digits, dots and hyphens)")
        return bucket

    @field_validator("s3_prefix")
    @classmethod
    def _key_prefix(cls, prefix: str) -> str:
        prefix = prefix.strip("/")
        if prefix and not all(_PREFIX_PART.fullmatch(p) and p not in (".", "..")
                              for p in prefix.split("/")):
            raise ValueError("is not a key prefix (letters, digits, '.', '_', '-' between "
                             "slashes)")
        return prefix

    @field_validator("s3_region")
    @classmethod
    def _region_name(cls, region: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", region):
            raise ValueError(f"{region[:70]!r} is not a region name (like us-east-1)")
        return region

    @model_validator(mode="after")
    def _object_store_complete(self) -> Settings:
        bucket = env_var("s3_bucket")
        keys = (("s3_access_key_id", self.s3_access_key_id),
                ("s3_secret_access_key", self.s3_secret_access_key))
        if self.s3_bucket is None:
            for field, value in (("s3_endpoint", self.s3_endpoint),
                                 ("s3_prefix", self.s3_prefix or None), *keys):
                if value is not None:
                    raise ConfigError(f"{env_var(field)}: set without {bucket}, so nothing "
                                      "would be published")
            return self
        if self.s3_endpoint is None:
            raise ConfigError(f"{env_var('s3_endpoint')}: the object store's address is "
                              f"required with {bucket}")
        for field, value in keys:
            if value is None:
                raise ConfigError(f"{env_var(field)}: the object store's credentials are "
                                  f"required with {bucket} (or {env_var(field)}_FILE)")
            if not value.get_secret_value().strip():
                raise ConfigError(f"{env_var(field)}: is empty")
        return self

    @field_validator("two_person_forms")
    @classmethod
    def _two_person_forms(cls, text: str) -> str:
        from gulfsec.services.node.drafts import TwoPersonRule  # checks the forms' registry

        TwoPersonRule.parse(text)
        return text.strip()

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, level: str) -> str:
        normalised = level.strip().lower()
        if normalised not in LOG_LEVELS:
            raise ValueError(f"{level!r} is not one of {', '.join(sorted(LOG_LEVELS))}")
        return normalised

    @model_validator(mode="after")
    def _no_default_secrets_outside_development(self) -> Settings:
        var = env_var("passphrase")
        secret = None if self.passphrase is None else self.passphrase.get_secret_value()
        if secret == "":
            raise ConfigError(f"{var}: the passphrase is empty")
        if self.env == "production":
            if secret is None:
                raise ConfigError(f"{var}: a passphrase is required when GULFSEC_ENV=production")
            if secret == DEV_PASSPHRASE:
                raise ConfigError(
                    f"{var}: the development passphrase is refused when GULFSEC_ENV=production"
                )
        return self

    def effective_database_url(self, name: str = "hub") -> str:
        """``database_url`` if set, else ``sqlite:///<absolute data_dir>/<name>.db``."""
        if self.database_url is not None:
            return self.database_url
        if not _DB_NAME.fullmatch(name):
            raise ConfigError(f"database name {name!r} is not a plain file name")
        return f"sqlite:///{self.data_dir.absolute() / f'{name}.db'}"

    def effective_passphrase(self) -> str:
        """The passphrase to use: the configured one, or ``gulfsec-dev`` outside production."""
        if self.passphrase is not None:
            return self.passphrase.get_secret_value()
        if self.env == "production":  # unreachable through validation; kept to fail closed
            raise ConfigError(f"{env_var('passphrase')}: a passphrase is required in production")
        return DEV_PASSPHRASE


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; keyword ``overrides`` take precedence.

    Raises :class:`ConfigError` with one line naming the variable at fault.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from exc
    except SettingsError as exc:
        raise ConfigError(_one_line(str(exc))) from exc


class _SecretFileSource(PydanticBaseSettingsSource):
    """Values of :data:`SECRET_FIELDS` read from the files named by ``GULFSEC_X_FILE``."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        environ = {key.upper(): value for key, value in os.environ.items()}
        values: dict[str, Any] = {}
        for field in SECRET_FIELDS:
            var = env_var(field)
            file_var = f"{var}_FILE"
            if file_var not in environ:
                continue
            if var in environ:
                raise ConfigError(f"{var}: set {var} or {file_var}, not both")
            values[field] = _read_secret_file(file_var, environ[file_var])
        return values


def _read_secret_file(file_var: str, name: str) -> str:
    if not name:
        raise ConfigError(f"{file_var}: names no file")
    path = Path(name)
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise ConfigError(
            f"{file_var}: cannot read {path} ({exc.strerror or 'I/O error'})"
        ) from exc
    if len(raw) > _MAX_SECRET_FILE:
        raise ConfigError(f"{file_var}: {path} is larger than {_MAX_SECRET_FILE} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file_var}: {path} is not UTF-8 text") from exc
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = error.get("loc") or ()
        field = str(loc[0]) if loc else ""
        if error.get("type") == "extra_forbidden":
            problems.append(f"unknown setting {field!r}")
            continue
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        problems.append(f"{env_var(field)}: {message}" if field else message)
    return _one_line("; ".join(problems) or "invalid settings")


def _one_line(text: str) -> str:
    return " ".join(text.split())
