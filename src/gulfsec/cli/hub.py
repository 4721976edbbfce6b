"""``gulfsec hub``: set up, serve and run the secretariat's hub."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gulfsec.cli.common import (
    GulfsecGroup,
    echo_accounts,
    echo_backup,
    hub_client,
    hub_option,
    new_password,
    read_file,
    settings_of,
)
from gulfsec.errors import ConfigError, LogVerificationError, TransportError
from gulfsec.i18n import _, ngettext

if TYPE_CHECKING:
    from gulfsec.adapters.peers import PeerClient

log = logging.getLogger("gulfsec.cli")


@click.group(cls=GulfsecGroup, help=_(
    "Run the secretariat's hub: set it up, serve it, admit participants."))
def hub() -> None:
    pass


@hub.command("init", help=_(
    "Create the hub's keys, database and genesis entry in the data directory."))
@click.pass_context
def hub_init(ctx: click.Context) -> None:
    from gulfsec.bootstrap import init_hub
    from gulfsec.services.hub.setup import HubPaths

    settings = settings_of(ctx)
    service, sec = init_hub(settings)
    paths = HubPaths(settings.data_dir)
    click.echo(_("hub set up in %(dir)s") % {"dir": settings.data_dir})
    click.echo(_("log key (give it to every participant to pin): %(key)s")
               % {"key": service.log_key.verifier.encode()})
    click.echo(_("  written to %(path)s") % {"path": paths.log_vkey})
    click.echo(_("secretariat key: %(key)s") % {"key": sec.verifier.encode()})
    click.echo(_("  fingerprint %(fingerprint)s") % {"fingerprint": sec.verifier.fingerprint})


@hub.command("serve", help=_(
    "Serve the hub's HTTP API until interrupted; with the secretariat's key in the data "
    "directory, also the secretariat's end of the hotline (receipts and hourly tests).\n\n"
    "On PostgreSQL any number of these processes, on one machine or several, may serve the same "
    "database: each answers reads and takes in entries, and one of them at a time sequences."))
@click.option("--host", default=None, help=_("Address to listen on (default 127.0.0.1)."))
@click.option("--port", type=int, default=None, help=_("Port (default 8600)."))
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help=_("Processes serving this port (PostgreSQL only: one sequences, the others "
                     "answer reads and pass entries on)."))
@click.pass_context
def hub_serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    import os

    import uvicorn

    from gulfsec.bootstrap import serve_hub_app
    from gulfsec.logs import uvicorn_log_config

    settings = settings_of(ctx)
    if workers > 1:
        if not settings.effective_database_url().startswith("postgresql"):
            raise ConfigError(_("--workers needs PostgreSQL (GULFSEC_DATABASE_URL): a SQLite "
                                "database is served by one process"))
        serve_hub_app(settings)  # fail here, once, if the hub cannot be served
        # Each worker reads its settings from the environment, as this process did.
        os.environ["GULFSEC_DATA_DIR"] = str(settings.data_dir.absolute())
        if settings.regime_path is not None:
            os.environ["GULFSEC_REGIME_PATH"] = str(settings.regime_path.absolute())
        uvicorn.run("gulfsec.bootstrap:hub_app_from_environment", factory=True,
                    workers=workers, host=host or settings.host, port=port or settings.port,
                    log_level=settings.log_level.lower(), access_log=False,
                    log_config=uvicorn_log_config(settings))
        return
    uvicorn.run(serve_hub_app(settings), host=host or settings.host,
                port=port or settings.port, log_level=settings.log_level.lower(),
                access_log=False, log_config=uvicorn_log_config(settings))


@hub.command("admit", help=_(
    "Countersign a participant's key registration as the secretariat and submit it.\n\n"
    "Give the registration file the party sent, or --party to take the one it sent to the hub. "
    "Compare the fingerprint shown with the one the participant sent out of band first."))
@click.argument("registration", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("--party", help=_("Admit the registration this party sent to the hub."))
@hub_option
@click.option("--yes", is_flag=True, help=_("Do not ask to confirm the fingerprint."))
@click.pass_context
def hub_admit(ctx: click.Context, registration: Path | None, party: str | None, hub_url: str,
              yes: bool) -> None:
    from gulfsec.services.hub.registrations import admit, find_registration, registration_from
    from gulfsec.services.hub.setup import load_secretariat_key

    if (registration is None) == (party is None):
        raise click.UsageError(_("give either a registration file or --party"))
    if registration is not None:
        signed, key = registration_from(read_file(registration, _("registration")),
                                        str(registration))
    else:
        assert party is not None
        with hub_client(hub_url) as client:
            signed, key = find_registration(client, party)
    click.echo(_("party %(party)s, key %(key)s") % {"party": signed.entry.sender,
                                                    "key": key.key_id_hex})
    click.echo(_("fingerprint %(fingerprint)s") % {"fingerprint": key.fingerprint})
    if not yes and not click.confirm(_("Does this match the fingerprint the party sent?")):
        raise click.Abort()
    sec = load_secretariat_key(settings_of(ctx))
    with hub_client(hub_url) as client:
        done = admit(client, signed, sec)
    what = (_("%(party)s was already admitted") if done.duplicate
            else _("admitted %(party)s")) % {"party": done.party}
    click.echo(_("%(what)s: entry %(id)s at index %(index)s")
               % {"what": what, "id": done.entry_id, "index": done.index})


@hub.command("audit", help=_(
    "Re-check every stored entry and the tree against the latest signed checkpoint."))
@click.pass_context
def hub_audit(ctx: click.Context) -> None:
    from gulfsec.bootstrap import open_hub

    service = open_hub(settings_of(ctx))
    ctx.call_on_close(service.engine.dispose)
    service.state.load(service.engine, service.log_key.verifier)
    result = service.audit()
    for line in result.problems:
        click.echo(_("  problem: %(problem)s") % {"problem": line}, err=True)
    if not result.ok:
        count = len(result.problems)
        raise LogVerificationError(ngettext("audit failed with %(count)d problem(s)",
                                            "audit failed with %(count)d problem(s)", count)
                                   % {"count": count})
    click.echo(ngettext("audit passed: %(count)d entries, signatures, sequences and keys check "
                        "out, and the tree matches the latest signed checkpoint",
                        "audit passed: %(count)d entries, signatures, sequences and keys check "
                        "out, and the tree matches the latest signed checkpoint", result.size)
               % {"count": result.size})


@hub.command("backup", help=_(
    "Back up the hub while it serves, into the new archive DEST (a tar file): its database, "
    "consistent as of one commit, and the files of its data directory it needs to run again, "
    "its keys included (encrypted under the passphrase, which is not in the backup).\n\n"
    "On SQLite the database is copied with SQLite's online backup API; on PostgreSQL with "
    "pg_dump --format=custom, which must be on PATH."))
@click.argument("dest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help=_("Replace DEST if it exists."))
@click.pass_context
def hub_backup(ctx: click.Context, dest: Path, force: bool) -> None:
    from gulfsec.services.backup import back_up

    done = back_up(settings_of(ctx), "hub", dest, force=force)
    echo_backup(done)


@hub.command("restore", help=_(
    "Restore the hub backup SRC into an empty data directory and database, checked before "
    "anything is put in place: every file against the manifest, every entry and checkpoint of "
    "the log against the log key, and the log against the checkpoints the nodes hold (--peer). "
    "A backup older than what a node holds is refused: serving it would fork the log."))
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--peer", "peers", multiple=True, metavar="URL",
              help=_("A node's base URL to compare the backup with (repeat it for every node "
                     "you can reach; default GULFSEC_PEERS)."))
@click.option("--force", is_flag=True,
              help=_("Move what is in the data directory aside (never deleted) instead of "
                     "refusing; stop the server first."))
@click.option("--unsafe-no-peers", is_flag=True,
              help=_("Restore without asking any node what it holds (unsafe: a backup older "
                     "than the log would fork it)."))
@click.pass_context
def hub_restore(ctx: click.Context, src: Path, peers: tuple[str, ...], force: bool,
                unsafe_no_peers: bool) -> None:
    from gulfsec.adapters.peers import PeerClient
    from gulfsec.bootstrap import open_hub
    from gulfsec.services.backup import restore_hub

    settings = settings_of(ctx)
    urls = list(peers) or settings.peer_list()
    if not urls and unsafe_no_peers:
        log.warning(_("no node was asked what it holds (--unsafe-no-peers): if the hub signed "
                      "more than this backup holds, serving it forks the log"))
    client = PeerClient()
    try:
        done = restore_hub(settings, src, open_hub=open_hub, peers=urls,
                           witness_of=lambda url: witness_view(client, url), force=force,
                           unsafe_no_peers=unsafe_no_peers)
    finally:
        client.close()
    click.echo(_("restored the hub from the backup of %(created)s: log size %(size)s, "
                 "%(checkpoints)s signed checkpoints checked")
               % {"created": done.created_at, "size": done.size,
                  "checkpoints": done.checkpoints})
    for peer in done.peers:
        click.echo(_("  the node at %(url)s (%(party)s) holds size %(size)s: consistent")
                   % {"url": peer.url, "party": peer.party, "size": peer.size})
    if done.set_aside is not None:
        click.echo(_("  what was in the data directory is now in %(path)s")
                   % {"path": done.set_aside})


def witness_view(client: PeerClient, url: str) -> dict[str, Any]:
    """What the node at ``url`` answers on ``/v1/witness``."""
    view = client.get(url, "/v1/witness")
    if not isinstance(view, dict):
        raise TransportError(f"the node at {url} answered no witness view")
    return view


@hub.command("pending", help=_(
    "List key registrations waiting for the secretariat, with their fingerprints."))
@hub_option
def hub_pending(hub_url: str) -> None:
    with hub_client(hub_url) as client:
        items = client.pending_registrations()
    if not items:
        click.echo(_("no registrations are waiting"))
    for item in items:
        click.echo(_("%(party)s  key %(key)s  received %(received)s")
                   % {"party": item["party"], "key": item["key_id"],
                      "received": item["received_at"]})
        click.echo(_("      fingerprint %(fingerprint)s") % {"fingerprint": item["fingerprint"]})
        if item.get("superseded_by"):
            click.echo(_("      WARNING: %(party)s already holds key %(key)s, not this one: if "
                         "the party did not register that key, it was registered in its name")
                       % {"party": item["party"], "key": item["superseded_by"]})


@hub.group("user", cls=GulfsecGroup, help=_(
    "Accounts of the secretariat's staff for the hub's web pages."))
def hub_user() -> None:
    pass


@hub_user.command("add", help=_(
    "Create a secretariat account NAME for the hub's pages."))
@click.argument("name")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help=_("Read the password from this file's first line (else you are asked)."))
@click.pass_context
def hub_user_add(ctx: click.Context, name: str, password_file: Path | None) -> None:
    from gulfsec.bootstrap import hub_accounts_from
    from gulfsec.services.shared.accounts import SECRETARIAT

    password = new_password(password_file)
    with hub_accounts_from(settings_of(ctx)) as accounts:
        account = accounts.create(name, password, SECRETARIAT)
    click.echo(_("account %(name)s created (%(role)s)") % {"name": account.name,
                                                          "role": account.role})


@hub_user.command("list", help=_(
    "List the secretariat's accounts."))
@click.pass_context
def hub_user_list(ctx: click.Context) -> None:
    from gulfsec.bootstrap import hub_accounts_from

    with hub_accounts_from(settings_of(ctx)) as accounts:
        echo_accounts(accounts.accounts())


