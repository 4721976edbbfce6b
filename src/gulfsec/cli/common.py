"""What the command groups share: settings, files, keys, the hub client, output, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gulfsec import i18n
from gulfsec.adapters import keystore
from gulfsec.adapters.hubclient import HubClient
from gulfsec.config import Settings, load_settings
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import ConfigError, GulfsecError, KeyFormatError
from gulfsec.i18n import _

if TYPE_CHECKING:
    from gulfsec.services.backup import BackupDone

# The command line speaks the user's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): set here,
# where every command module first imports the CLI, before click builds any help text.
i18n.use_for_process(i18n.from_environment())

DEFAULT_HUB = "http://127.0.0.1:8600"


class GulfsecGroup(click.Group):
    """A group that turns gulfsec errors into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GulfsecError as exc:
            click.echo(_("gulfsec: error: %(message)s") % {"message": exc.message}, err=True)
            ctx.exit(1)


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        overrides: dict[str, Any] = {}
        if obj.get("data_dir") is not None:
            overrides["data_dir"] = obj["data_dir"]
        if obj.get("regime") is not None:
            overrides["regime_path"] = obj["regime"]
        obj["settings"] = load_settings(**overrides)
    settings = obj["settings"]
    assert isinstance(settings, Settings)
    return settings


def read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(_("cannot read %(what)s %(path)s: %(reason)s")
                          % {"what": what, "path": path, "reason": exc.strerror}) from None


def pinned_log_key(value: str | None) -> VerifierKey:
    """The hub's log key from --log-key: a verifier key string or a file holding one."""
    if not value:
        raise ConfigError(_("give the hub's log verifier key with --log-key (or "
                            "GULFSEC_LOG_KEY)"))
    text = value
    if "+" not in value or Path(value).exists():
        text = read_file(Path(value), _("log key file")).decode("utf-8", "replace").strip()
    try:
        return VerifierKey.parse(text)
    except KeyFormatError as exc:
        raise ConfigError(f"--log-key: {exc}") from None


def load_party_key(ctx: click.Context, path: Path) -> SigningKey:
    settings = settings_of(ctx)
    name, seed = keystore.load_key(path, settings.effective_passphrase())
    return SigningKey(name, seed)


def hub_client(hub: str, key: SigningKey | None = None) -> HubClient:
    return HubClient(hub, party=None if key is None else key.name, key=key)


def emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


hub_option = click.option("--hub", "hub_url", envvar="GULFSEC_HUB_URL", default=DEFAULT_HUB,
                          show_default=True, help=_("The hub's base URL."))
key_option = click.option("--key", "key_path", envvar="GULFSEC_KEY_FILE", required=True,
                          type=click.Path(path_type=Path, dir_okay=False),
                          help=_("The participant's encrypted key file."))
log_key_option = click.option("--log-key", envvar="GULFSEC_LOG_KEY",
                              help=_("The hub's log verifier key to pin (string or file)."))


def new_password(password_file: Path | None) -> str:
    if password_file is not None:
        text = read_file(password_file, _("password file")).decode("utf-8", "replace")
        return text.splitlines()[0] if text.splitlines() else ""
    return str(click.prompt(_("Password"), hide_input=True, confirmation_prompt=True))


def echo_accounts(items: list[Any]) -> None:
    if not items:
        click.echo(_("no accounts"))
    for account in items:
        state = "  " + _("(disabled)") if account.disabled else ""
        click.echo(_("%(name)-24s %(role)-12s created %(created)s UTC%(state)s")
                   % {"name": account.name, "role": account.role, "state": state,
                      "created": f"{account.created_at:%Y-%m-%d %H:%M}"})


def utc_value(option: str, value: str | None) -> str | None:
    """``value`` of ``option`` if it is a UTC time (as entries write it), None if not given;
    a ConfigError naming the option otherwise."""
    from gulfsec.domain.encoding import parse_time

    if value is None:
        return None
    try:
        parse_time(value)
    except ValueError:
        raise ConfigError(_("%(option)s %(value)s: give a UTC time like 2027-01-31T12:00:00Z")
                          % {"option": option, "value": repr(value)}) from None
    return value


def echo_backup(done: BackupDone) -> None:
    """What ``gulfsec hub backup`` and ``gulfsec node backup`` say they wrote."""
    click.echo(_("backup written to %(path)s") % {"path": done.path})
    if done.log_size_exact:
        click.echo(_("  log size %(size)s") % {"size": done.log_size})
    else:
        click.echo(_("  log size at least %(size)s (pg_dump took its snapshot after)")
                   % {"size": done.log_size})
    click.echo(_("  holds: %(files)s") % {"files": ", ".join(done.files)})
    click.echo(_("  its keys are encrypted under the passphrase, which is not in it: keep the "
                 "passphrase too, apart from the backup"))
