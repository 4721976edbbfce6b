"""``gulfsec keys``: a participant's keys."""

from __future__ import annotations

from pathlib import Path

import click

from gulfsec.adapters import keystore
from gulfsec.adapters.clock import SystemClock
from gulfsec.adapters.files import private_dir, write_private
from gulfsec.cli.common import (
    GulfsecGroup,
    settings_of,
)
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import KeyStoreError
from gulfsec.i18n import _


@click.group(cls=GulfsecGroup, help=_(
    "Create and inspect a participant's keys."))
def keys() -> None:
    pass


@keys.command("create", help=_(
    "Create a party's signing key (encrypted) and its registration request.\n\n"
    "Writes PARTY.key and PARTY.registration.json; send the registration and, by another "
    "channel, the fingerprint to the secretariat."))
@click.option("--party", required=True, help=_("Party code, e.g. IRN, SAU, UNSC."))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("."), show_default=True, help=_("Where to write the files."))
@click.pass_context
def keys_create(ctx: click.Context, party: str, out_dir: Path) -> None:
    from gulfsec.bootstrap import regime_from
    from gulfsec.services.participant import registration_request

    settings = settings_of(ctx)
    regime = regime_from(settings)
    regime.participant(party)
    private_dir(out_dir)
    key = SigningKey.generate(party)
    key_path = out_dir / f"{party}.key"
    reg_path = out_dir / f"{party}.registration.json"
    if reg_path.exists():
        raise KeyStoreError(_("%(path)s exists; refusing to overwrite") % {"path": reg_path})
    keystore.save_key(key_path, party, key.seed, settings.effective_passphrase())
    write_private(reg_path, registration_request(key, party, SystemClock().now()).raw,
                  replace=False)
    click.echo(_("key:          %(path)s") % {"path": key_path})
    click.echo(_("registration: %(path)s") % {"path": reg_path})
    click.echo(_("verifier key: %(key)s") % {"key": key.verifier.encode()})
    click.echo(_("fingerprint:  %(fingerprint)s") % {"fingerprint": key.verifier.fingerprint})


@keys.command("show", help=_(
    "Show a key file's verifier key and fingerprint (no passphrase needed)."))
@click.argument("key_file", type=click.Path(path_type=Path, dir_okay=False))
def keys_show(key_file: Path) -> None:
    name, public = keystore.read_public(key_file)
    key = VerifierKey(name, public)
    click.echo(_("verifier key: %(key)s") % {"key": key.encode()})
    click.echo(_("fingerprint:  %(fingerprint)s") % {"fingerprint": key.fingerprint})


