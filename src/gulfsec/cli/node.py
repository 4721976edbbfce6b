"""``gulfsec node`` and ``gulfsec verify``: a participant's node."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gulfsec.adapters.files import write_private
from gulfsec.cli.common import (
    GulfsecGroup,
    echo_accounts,
    hub_option,
    log_key_option,
    new_password,
    pinned_log_key,
    read_file,
    settings_of,
)
from gulfsec.errors import LogVerificationError, TransportError


@click.group(cls=GulfsecGroup)
def node() -> None:
    """Run a participant's node: its own verified copy, witness and acknowledgements."""


@node.command("init")
@click.option("--party", required=True, help="Party code, e.g. IRN, SAU, UNSC.")
@hub_option
@log_key_option
@click.pass_context
def node_init(ctx: click.Context, party: str, hub_url: str, log_key: str | None) -> None:
    """Set up a node: the party's key (encrypted), its database, and its registration."""
    from gulfsec.bootstrap import init_node

    pinned = pinned_log_key(log_key)
    result = init_node(settings_of(ctx), party, hub_url, pinned)
    click.echo(f"node for {party} set up in {settings_of(ctx).data_dir}")
    click.echo(f"  verifier key: {result.key.verifier.encode()}")
    click.echo(f"  fingerprint:  {result.key.verifier.fingerprint}")
    click.echo(f"  {result.message}")
    click.echo("Send the fingerprint to the secretariat by another channel.")


@node.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default 8700).")
@click.option("--workers", type=click.IntRange(0, 64), default=None, envvar="GULFSEC_NODE_WORKERS",
              help="Processes serving the pages apart from the one that syncs, signs and "
                   "sends (default: one per core beside the node's, at least 1, at most 8); 0 "
                   "serves everything from one process.")
@click.pass_context
def node_serve(ctx: click.Context, host: str, port: int | None, workers: int | None) -> None:
    """Sync, verify, witness and acknowledge in the background; serve the node's view."""
    import uvicorn

    from gulfsec.adapters.cores import count
    from gulfsec.bootstrap import (
        build_node_app,
        node_page_workers,
        open_node,
        open_notifications,
    )
    from gulfsec.web.workers import serve_with_workers, worker_count

    settings = settings_of(ctx)
    service = open_node(settings)
    ctx.call_on_close(service.close)
    app = build_node_app(service, sync_interval_s=settings.sync_interval_ms / 1000,
                         secure_cookies=settings.secure_cookies,
                         notifications=open_notifications(settings, service),
                         two_person_forms=settings.two_person_forms)
    port = port or settings.node_port
    workers = worker_count(count()) if workers is None else workers
    if workers == 0:
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                    access_log=False)
        return
    engine = service.engine
    serve_with_workers(app, node_page_workers(settings, app), host=host, port=port, workers=workers,
                       log_level=settings.log_level.lower(),
                       before_fork=(lambda: None) if engine is None else engine.dispose)


@node.command("sync")
@click.pass_context
def node_sync(ctx: click.Context) -> None:
    """One round: deliver the outbox, verify new entries, cosign, acknowledge."""
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    report = service.sync_once()
    click.echo(f"{service.party}: log size {report.size}, {report.new_entries} new entries "
               f"verified, {report.acknowledged} acknowledged, "
               + (f"cosigned size {report.cosigned}" if report.cosigned else "nothing cosigned"))
    if service.last_error:
        raise TransportError(service.last_error)
    for alarm in report.alarms:
        click.echo(f"ALARM {alarm}", err=True)


@node.command("send")
@click.argument("draft", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_context
def node_send(ctx: click.Context, draft: Path) -> None:
    """Sign the entry drafted in DRAFT as this party's next and send it (kept until sent)."""
    from gulfsec.bootstrap import open_node
    from gulfsec.services.participant import make_audience, parse_entry_file

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    obj = parse_entry_file(read_file(draft, "entry file"))
    signed = service.send(str(obj["form"]), make_audience(obj["audience"]), dict(obj["body"]),
                          refs=list(obj.get("refs", [])))
    click.echo(f"signed entry {signed.id_hex} (seq {signed.entry.seq}); "
               f"{service.status()['outbox_pending']} waiting to be sent")


@node.command("status")
@click.pass_context
def node_status(ctx: click.Context) -> None:
    """What the node holds, what is final, what is unacknowledged, and any alarm."""
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    status = service.status()
    click.echo(f"{status['party']}: log size {status['size']} (final up to {status['final_size']}),"
               f" {status['entries']} entries held, {status['outbox_pending']} to send")
    for refused in status["outbox_refused"]:
        click.echo(f"  REFUSED by the hub at {refused['refused_at']}: "
                   f"{refused['entry_id'][:16]}… {refused['error']}")
    for item in service.unacknowledged():
        state = "OVERDUE" if item.overdue else "waiting"
        click.echo(f"  {state}: {item.entry_id[:16]}… (index {item.index}) not acknowledged by "
                   f"{item.party}")
    with service.uow() as uow:
        alarms = uow.repo.alarms()
    for alarm in alarms:
        click.echo(f"ALARM #{alarm.id} [{alarm.kind}] {alarm.message}", err=True)


@node.command("evidence")
@click.argument("alarm_id", type=click.IntRange(1, 2**62))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the evidence to this file (default: standard output).")
@click.pass_context
def node_evidence(ctx: click.Context, alarm_id: int, out: Path | None) -> None:
    """Write alarm ALARM_ID (see `gulfsec node status`) as one self-contained JSON file that
    anyone can check with `gulfsec verify-evidence FILE --log-key KEY`, with no access to the
    hub or this node."""
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    text = json.dumps(service.evidence(alarm_id), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    write_private(out, text.encode("utf-8"))  # it may hold bilateral content
    click.echo(f"evidence of alarm #{alarm_id} written to {out}")


@node.group("user", cls=GulfsecGroup)
def node_user() -> None:
    """Accounts of the node's delegates for its web pages (viewers and officers)."""


@node_user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "viewer"]), required=True,
              help="officer: may sign and send entries; viewer: reads only.")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the password from this file's first line (else you are asked).")
@click.pass_context
def node_user_add(ctx: click.Context, name: str, role: str, password_file: Path | None) -> None:
    """Create an account NAME for the node's pages."""
    from gulfsec.bootstrap import node_accounts_from

    password = new_password(password_file)
    with node_accounts_from(settings_of(ctx)) as accounts:
        account = accounts.create(name, password, role)
    click.echo(f"account {account.name} created ({account.role})")


@node_user.command("list")
@click.pass_context
def node_user_list(ctx: click.Context) -> None:
    """List the accounts of the node's delegates."""
    from gulfsec.bootstrap import node_accounts_from

    with node_accounts_from(settings_of(ctx)) as accounts:
        echo_accounts(accounts.accounts())


@click.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-check everything this node holds from scratch; non-zero exit if anything is wrong."""
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx), check_tree=False)  # verify_all reports a broken tree
    ctx.call_on_close(service.close)
    report = service.verify_all()
    click.echo(f"{service.party}: {report.entries} entries, {report.leaves} leaves, "
               f"{report.checkpoints} checkpoints checked")
    for line in report.unacknowledged:
        click.echo(f"  unacknowledged: {line}")
    with service.uow() as uow:
        alarms = uow.repo.alarms()
    for alarm in alarms:
        click.echo(f"  alarm [{alarm.kind}]: {alarm.message}", err=True)
    for line in report.problems:
        click.echo(f"  problem: {line}", err=True)
    if not report.ok or alarms:
        raise LogVerificationError(
            f"{len(report.problems)} problem(s) and {len(alarms)} alarm(s) found")
    click.echo("everything verifies")


