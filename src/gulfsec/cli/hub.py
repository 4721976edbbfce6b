"""``gulfsec hub``: set up, serve and run the secretariat's hub."""

from __future__ import annotations

from pathlib import Path

import click

from gulfsec.cli.common import (
    GulfsecGroup,
    echo_accounts,
    hub_client,
    hub_option,
    new_password,
    read_file,
    settings_of,
)
from gulfsec.errors import LogVerificationError


@click.group(cls=GulfsecGroup)
def hub() -> None:
    """Run the secretariat's hub: set it up, serve it, admit participants."""


@hub.command("init")
@click.pass_context
def hub_init(ctx: click.Context) -> None:
    """Create the hub's keys, database and genesis entry in the data directory."""
    from gulfsec.bootstrap import init_hub
    from gulfsec.services.hub.setup import HubPaths

    settings = settings_of(ctx)
    service, sec = init_hub(settings)
    paths = HubPaths(settings.data_dir)
    click.echo(f"hub set up in {settings.data_dir}")
    click.echo("log key (give it to every participant to pin): "
               f"{service.log_key.verifier.encode()}")
    click.echo(f"  written to {paths.log_vkey}")
    click.echo(f"secretariat key: {sec.verifier.encode()}")
    click.echo(f"  fingerprint {sec.verifier.fingerprint}")


@hub.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8600).")
@click.pass_context
def hub_serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the hub's HTTP API until interrupted; with the secretariat's key in the data
    directory, also the secretariat's end of the hotline (receipts and hourly tests)."""
    import uvicorn

    from gulfsec.bootstrap import (
        build_hub_app,
        news_store_from,
        open_hub,
        open_secretariat_hotline,
    )

    settings = settings_of(ctx)
    service = open_hub(settings)
    service.state.load(service.engine, service.log_key.verifier)
    service.require_genesis()
    app = build_hub_app(service, secure_cookies=settings.secure_cookies,
                        hotline=open_secretariat_hotline(settings, service),
                        news=news_store_from(settings))
    uvicorn.run(app, host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level.lower(), access_log=False)


@hub.command("admit")
@click.argument("registration", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("--party", help="Admit the registration this party sent to the hub.")
@hub_option
@click.option("--yes", is_flag=True, help="Do not ask to confirm the fingerprint.")
@click.pass_context
def hub_admit(ctx: click.Context, registration: Path | None, party: str | None, hub_url: str,
              yes: bool) -> None:
    """Countersign a participant's key registration as the secretariat and submit it.

    Give the registration file the party sent, or --party to take the one it sent to the hub.
    Compare the fingerprint shown with the one the participant sent out of band first.
    """
    from gulfsec.services.hub.registrations import admit, find_registration, registration_from
    from gulfsec.services.hub.setup import load_secretariat_key

    if (registration is None) == (party is None):
        raise click.UsageError("give either a registration file or --party")
    if registration is not None:
        signed, key = registration_from(read_file(registration, "registration"),
                                        str(registration))
    else:
        assert party is not None
        with hub_client(hub_url) as client:
            signed, key = find_registration(client, party)
    click.echo(f"party {signed.entry.sender}, key {key.key_id_hex}")
    click.echo(f"fingerprint {key.fingerprint}")
    if not yes and not click.confirm("Does this match the fingerprint the party sent?"):
        raise click.Abort()
    sec = load_secretariat_key(settings_of(ctx))
    with hub_client(hub_url) as client:
        done = admit(client, signed, sec)
    what = (f"{done.party} was already admitted" if done.duplicate
            else f"admitted {done.party}")
    click.echo(f"{what}: entry {done.entry_id} at index {done.index}")


@hub.command("audit")
@click.pass_context
def hub_audit(ctx: click.Context) -> None:
    """Re-check every stored entry and the tree against the latest signed checkpoint."""
    from gulfsec.bootstrap import open_hub

    service = open_hub(settings_of(ctx))
    service.state.load(service.engine, service.log_key.verifier)
    result = service.audit()
    for line in result.problems:
        click.echo(f"  problem: {line}", err=True)
    if not result.ok:
        raise LogVerificationError(f"audit failed with {len(result.problems)} problem(s)")
    click.echo(f"audit passed: {result.size} entries, signatures, sequences and keys check out, "
               "and the tree matches the latest signed checkpoint")


@hub.command("pending")
@hub_option
def hub_pending(hub_url: str) -> None:
    """List key registrations waiting for the secretariat, with their fingerprints."""
    with hub_client(hub_url) as client:
        items = client.pending_registrations()
    if not items:
        click.echo("no registrations are waiting")
    for item in items:
        click.echo(f"{item['party']}  key {item['key_id']}  received {item['received_at']}")
        click.echo(f"      fingerprint {item['fingerprint']}")
        if item.get("superseded_by"):
            click.echo(f"      WARNING: {item['party']} already holds key {item['superseded_by']}, "
                       "not this one: if the party did not register that key, it was "
                       "registered in its name")


@hub.group("user", cls=GulfsecGroup)
def hub_user() -> None:
    """Accounts of the secretariat's staff for the hub's web pages."""


@hub_user.command("add")
@click.argument("name")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the password from this file's first line (else you are asked).")
@click.pass_context
def hub_user_add(ctx: click.Context, name: str, password_file: Path | None) -> None:
    """Create a secretariat account NAME for the hub's pages."""
    from gulfsec.bootstrap import hub_accounts_from
    from gulfsec.services.shared.accounts import SECRETARIAT

    password = new_password(password_file)
    with hub_accounts_from(settings_of(ctx)) as accounts:
        account = accounts.create(name, password, SECRETARIAT)
    click.echo(f"account {account.name} created ({account.role})")


@hub_user.command("list")
@click.pass_context
def hub_user_list(ctx: click.Context) -> None:
    """List the secretariat's accounts."""
    from gulfsec.bootstrap import hub_accounts_from

    with hub_accounts_from(settings_of(ctx)) as accounts:
        echo_accounts(accounts.accounts())


