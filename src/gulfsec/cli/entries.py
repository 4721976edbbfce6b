"""``gulfsec submit``, ``fetch`` and ``verify-log``: entries and the log, straight from the hub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from gulfsec.adapters.clock import SystemClock
from gulfsec.cli.common import (
    emit,
    hub_client,
    hub_option,
    key_option,
    load_party_key,
    log_key_option,
    pinned_log_key,
    read_file,
    settings_of,
)
from gulfsec.errors import ConfigError
from gulfsec.i18n import _, ngettext
from gulfsec.ledger.note import Checkpoint, verify_checkpoint


@click.command("submit", help=_(
    "Sign the entry drafted in DRAFT (JSON: form, audience, body, refs) and submit it."))
@click.argument("draft", type=click.Path(path_type=Path, dir_okay=False))
@key_option
@hub_option
@click.pass_context
def submit(ctx: click.Context, draft: Path, key_path: Path, hub_url: str) -> None:
    from gulfsec.services.participant import parse_entry_file, submit_draft

    key = load_party_key(ctx, key_path)
    draft_obj = parse_entry_file(read_file(draft, _("entry file")))
    with hub_client(hub_url, key) as client:
        signed, receipt = submit_draft(client, key, key.name, draft_obj, SystemClock().now())
    click.echo(_("sequenced entry %(id)s at index %(index)s (checkpoint size %(size)s)")
               % {"id": receipt["entry_id"], "index": receipt["index"],
                  "size": receipt["checkpoint_size"]})


@click.command("fetch", help=_(
    "Fetch an entry with its inclusion proof and verify both."))
@click.argument("entry_id")
@key_option
@hub_option
@log_key_option
@click.option("--json", "as_json", is_flag=True, help=_("Print the verified entry as JSON."))
@click.pass_context
def fetch(ctx: click.Context, entry_id: str, key_path: Path, hub_url: str,
          log_key: str | None, as_json: bool) -> None:
    from gulfsec.services.participant import keyring_from_hub, verify_entry_with_proof

    pinned = pinned_log_key(log_key)
    key = load_party_key(ctx, key_path)
    settings = settings_of(ctx)
    from gulfsec.bootstrap import regime_from

    regime = regime_from(settings)
    with hub_client(hub_url, key) as client:
        item = client.entry_proof(entry_id)
        keyring = keyring_from_hub(client, regime.secretariat.code)
    verified = verify_entry_with_proof(item, pinned, keyring)
    if as_json:
        emit(verified.signed.to_json())
        return
    entry = verified.signed.entry
    click.echo(_("entry %(id)s") % {"id": verified.signed.id_hex})
    click.echo(_("  form %(form)s from %(sender)s (seq %(seq)s) to %(audience)s")
               % {"form": entry.form, "sender": entry.sender, "seq": entry.seq,
                  "audience": (entry.audience if entry.audience == "all"
                               else ", ".join(entry.audience))})
    click.echo(_("  signature valid; included at index %(index)s in checkpoint of size "
                 "%(size)s signed by the pinned log key")
               % {"index": verified.index, "size": verified.checkpoint.size})
    click.echo(json.dumps(dict(entry.body), indent=2, ensure_ascii=False))


@click.command("verify-evidence", help=_(
    "Check an evidence file (`gulfsec node evidence`) with the log's verifier key alone and say "
    "in one line what it proves; non-zero if it proves nothing."))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@log_key_option
def verify_evidence_command(file: Path, log_key: str | None) -> None:
    from gulfsec.domain.encoding import JSONError, parse_json
    from gulfsec.ledger.evidence import verify_evidence

    pinned = pinned_log_key(log_key)
    try:
        document = parse_json(read_file(file, _("evidence file")))
    except JSONError as exc:
        raise ConfigError(_("%(file)s is not JSON: %(problem)s")
                          % {"file": file, "problem": exc}) from None
    click.echo(verify_evidence(document, pinned))


@click.command("verify-log", help=_(
    "Verify the whole log against its latest checkpoint (and the one seen last time)."))
@hub_option
@log_key_option
@click.option("--state", type=click.Path(path_type=Path, dir_okay=False),
              help=_("File keeping the last verified checkpoint; the log must stay consistent."))
@click.option("--tiles-url", envvar="GULFSEC_TILES_URL",
              help=_("Read the checkpoint and tiles from this copy of the log (the public URL "
                     "of the bucket the hub publishes to) instead of from the hub; they are "
                     "verified alike."))
def verify_log(hub_url: str, log_key: str | None, state: Path | None,
               tiles_url: str | None) -> None:
    from gulfsec.adapters.hubclient import LogMirror
    from gulfsec.services.participant import audit_log

    pinned = pinned_log_key(log_key)
    if tiles_url is not None and not re.fullmatch(r"https?://\S+", tiles_url):
        raise ConfigError(_("--tiles-url %(url)s: give an http:// or https:// address")
                          % {"url": repr(tiles_url)})
    previous: Checkpoint | None = None
    if state is not None and state.exists():
        previous, _note = verify_checkpoint(read_file(state, _("state file")), pinned)
    if tiles_url is not None:
        with LogMirror(tiles_url) as mirror:
            report = audit_log(mirror, pinned, previous)
        if state is not None:
            state.write_text(report.note)
    else:
        with hub_client(hub_url) as client:
            report = audit_log(client, pinned, previous)
            if state is not None:
                state.write_text(client.checkpoint_at(report.size))
    click.echo(ngettext("log verified: %(count)d entries hash to the root signed by %(key)s",
                        "log verified: %(count)d entries hash to the root signed by %(key)s",
                        report.size) % {"count": report.size, "key": pinned.name})
    if report.checked_consistency_from is not None:
        click.echo(_("  and it is consistent with the checkpoint of size %(size)s seen before")
                   % {"size": report.checked_consistency_from})
    if tiles_url is not None:
        click.echo(_("  (the checkpoint and tiles as published at %(url)s)")
                   % {"url": tiles_url.rstrip("/")})


