"""Settings: read from GULFSEC_* variables by a factory, failing closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gulfsec.config
from gulfsec.config import DEV_PASSPHRASE, Settings, load_settings
from gulfsec.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment with no GULFSEC_* variable."""
    for name in list(os.environ):
        if name.upper().startswith("GULFSEC_"):
            monkeypatch.delenv(name)


def secret_file(tmp_path: Path, content: str, name: str = "secret") -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_defaults_suit_a_development_machine(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.env == "development"
    assert settings.data_dir == Path("data")
    assert settings.database_url is None
    assert settings.regime_path is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8600)
    assert settings.passphrase is None
    assert settings.log_key_file is None
    assert (settings.batch_max, settings.batch_delay_ms) == (None, None)
    assert settings.log_level == "info"
    assert settings.effective_passphrase() == DEV_PASSPHRASE


def test_importing_the_module_builds_no_settings() -> None:
    assert not any(isinstance(value, Settings) for value in vars(gulfsec.config).values())


def test_the_default_database_is_sqlite_in_the_absolute_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()

    assert settings.effective_database_url() == f"sqlite:///{tmp_path}/data/hub.db"
    assert settings.effective_database_url("qatar") == f"sqlite:///{tmp_path}/data/qatar.db"
    assert not (tmp_path / "data").exists()


def test_a_database_name_that_is_not_a_plain_file_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="plain file name"):
        load_settings().effective_database_url("../hub")


def test_every_setting_is_read_from_its_gulfsec_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GULFSEC_ENV", "test")
    monkeypatch.setenv("GULFSEC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GULFSEC_REGIME_PATH", str(tmp_path / "regime.toml"))
    monkeypatch.setenv("GULFSEC_HOST", "0.0.0.0")
    monkeypatch.setenv("GULFSEC_PORT", "9000")
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "a real passphrase")
    monkeypatch.setenv("GULFSEC_LOG_KEY_FILE", str(tmp_path / "log_key"))
    monkeypatch.setenv("GULFSEC_BATCH_MAX", "64")
    monkeypatch.setenv("GULFSEC_BATCH_DELAY_MS", "250")
    monkeypatch.setenv("GULFSEC_LOG_LEVEL", "DEBUG")

    settings = load_settings()

    assert settings.env == "test"
    assert settings.data_dir == tmp_path
    assert settings.regime_path == tmp_path / "regime.toml"
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.effective_passphrase() == "a real passphrase"
    assert settings.log_key_file == tmp_path / "log_key"
    assert (settings.batch_max, settings.batch_delay_ms) == (64, 250)
    assert settings.log_level == "debug"
    assert settings.effective_database_url() == f"sqlite:///{tmp_path}/hub.db"


def test_keyword_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_PORT", "9000")

    assert load_settings(port=9100).port == 9100


def test_an_unknown_keyword_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(prot=9100)


def test_a_postgresql_psycopg_url_is_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://gulfsec:pw@db:5432/gulfsec"
    monkeypatch.setenv("GULFSEC_DATABASE_URL", url)

    assert load_settings().effective_database_url() == url


@pytest.mark.parametrize(
    "url",
    ["mysql://root:hunter2@db/gulfsec", "postgresql://gulfsec:hunter2@db/gulfsec", "hub.db", ""],
)
def test_an_unsupported_database_url_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GULFSEC_DATABASE_URL", url)

    with pytest.raises(ConfigError, match="^GULFSEC_DATABASE_URL: scheme") as caught:
        load_settings()
    assert "hunter2" not in str(caught.value)


def test_a_secret_can_come_from_a_file_minus_one_trailing_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE_FILE", secret_file(tmp_path, "from a file \n\n"))

    assert load_settings().effective_passphrase() == "from a file \n"


def test_the_database_url_can_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "postgresql+psycopg://gulfsec:pw@db/gulfsec"
    monkeypatch.setenv("GULFSEC_DATABASE_URL_FILE", secret_file(tmp_path, url + "\n"))

    assert load_settings().database_url == url


@pytest.mark.parametrize("field", ["PASSPHRASE", "DATABASE_URL"])
def test_a_secret_set_both_directly_and_by_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, field: str
) -> None:
    monkeypatch.setenv(f"GULFSEC_{field}", "sqlite:///direct.db")
    monkeypatch.setenv(f"GULFSEC_{field}_FILE", secret_file(tmp_path, "sqlite:///file.db"))

    with pytest.raises(ConfigError, match=f"GULFSEC_{field}_FILE, not both"):
        load_settings()


def test_a_missing_secret_file_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE_FILE", str(tmp_path / "absent"))

    with pytest.raises(ConfigError, match="^GULFSEC_PASSPHRASE_FILE: cannot read"):
        load_settings()


def test_production_refuses_a_missing_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_ENV", "production")

    with pytest.raises(ConfigError, match="^GULFSEC_PASSPHRASE: a passphrase is required"):
        load_settings()


def test_production_refuses_the_development_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GULFSEC_ENV", "production")
    monkeypatch.setenv("GULFSEC_PASSPHRASE_FILE", secret_file(tmp_path, "gulfsec-dev\n"))

    with pytest.raises(ConfigError, match="development passphrase is refused"):
        load_settings()


def test_production_accepts_a_real_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_ENV", "production")
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "long and unguessable")

    assert load_settings().effective_passphrase() == "long and unguessable"


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_allow_the_development_passphrase(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("GULFSEC_ENV", env)
    monkeypatch.setenv("GULFSEC_PASSPHRASE", DEV_PASSPHRASE)

    assert load_settings().effective_passphrase() == "gulfsec-dev"


def test_an_empty_passphrase_is_refused_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "")

    with pytest.raises(ConfigError, match="passphrase is empty"):
        load_settings()


def test_the_passphrase_never_shows_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "do not print me")
    monkeypatch.setenv("GULFSEC_DATABASE_URL", "postgresql+psycopg://u:hunter2@db/gulfsec")

    shown = repr(load_settings())
    assert "do not print me" not in shown
    assert "hunter2" not in shown


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GULFSEC_ENV", "prod"),
        ("GULFSEC_ENV", "Production"),
        ("GULFSEC_LOG_LEVEL", "loud"),
    ],
)
def test_an_unrecognised_enumerated_value_is_an_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=f"^{variable}: "):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GULFSEC_PORT", "eighty"),
        ("GULFSEC_PORT", "70000"),
        ("GULFSEC_BATCH_MAX", "0"),
        ("GULFSEC_BATCH_DELAY_MS", "-1"),
    ],
)
def test_a_pydantic_error_becomes_one_config_error_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=f"^{variable}: ") as caught:
        load_settings()
    assert "\n" not in str(caught.value)
    assert value not in str(caught.value)


def test_cookies_are_secure_by_default_in_production_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().secure_cookies is False
    assert load_settings(env="test").secure_cookies is False
    monkeypatch.setenv("GULFSEC_ENV", "production")
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "long and unguessable")

    assert load_settings().secure_cookies is True


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("development", "true", True),
        ("development", "1", True),
        ("development", "YES", True),
        ("development", "on", True),
        ("production", "false", False),
        ("production", "0", False),
        ("production", "No", False),
        ("production", "off", False),
    ],
)
def test_secure_cookies_can_be_set_either_way(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: bool
) -> None:
    monkeypatch.setenv("GULFSEC_ENV", env)
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "long and unguessable")
    monkeypatch.setenv("GULFSEC_SECURE_COOKIES", value)

    assert load_settings().secure_cookies is expected


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "tru e", "", " "])
@pytest.mark.parametrize("env", ["development", "production"])
def test_an_unrecognised_secure_cookies_value_is_an_error(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.setenv("GULFSEC_ENV", env)
    monkeypatch.setenv("GULFSEC_PASSPHRASE", "long and unguessable")
    monkeypatch.setenv("GULFSEC_SECURE_COOKIES", value)

    with pytest.raises(ConfigError, match="^GULFSEC_SECURE_COOKIES: ") as caught:
        load_settings()
    assert "\n" not in str(caught.value)
