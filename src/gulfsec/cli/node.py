"""``gulfsec node`` and ``gulfsec verify``: a participant's node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gulfsec.adapters.files import write_private
from gulfsec.cli.common import (
    GulfsecGroup,
    echo_accounts,
    echo_backup,
    hub_option,
    log_key_option,
    new_password,
    pinned_log_key,
    read_file,
    settings_of,
)
from gulfsec.errors import LogVerificationError, TransportError
from gulfsec.i18n import _, ngettext

if TYPE_CHECKING:
    from gulfsec.services.node import SyncReport


@click.group(cls=GulfsecGroup, help=_(
    "Run a participant's node: its own verified copy, witness and acknowledgements."))
def node() -> None:
    pass


@node.command("init", help=_(
    "Set up a node: the party's key (encrypted), its database, and its registration."))
@click.option("--party", required=True, help=_("Party code, e.g. IRN, SAU, UNSC."))
@hub_option
@log_key_option
@click.pass_context
def node_init(ctx: click.Context, party: str, hub_url: str, log_key: str | None) -> None:
    from gulfsec.bootstrap import init_node

    pinned = pinned_log_key(log_key)
    result = init_node(settings_of(ctx), party, hub_url, pinned)
    click.echo(_("node for %(party)s set up in %(dir)s") % {"party": party,
                                                          "dir": settings_of(ctx).data_dir})
    click.echo(_("  verifier key: %(key)s") % {"key": result.key.verifier.encode()})
    click.echo(_("  fingerprint:  %(fingerprint)s")
               % {"fingerprint": result.key.verifier.fingerprint})
    click.echo(f"  {result.message}")
    click.echo(_("Send the fingerprint to the secretariat by another channel."))


@node.command("serve", help=_(
    "Sync, verify, witness and acknowledge in the background; serve the node's view."))
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", type=int, default=None, help=_("Port (default 8700)."))
@click.option("--workers", type=click.IntRange(0, 64), default=None, envvar="GULFSEC_NODE_WORKERS",
              help=_("Processes serving the pages apart from the one that syncs, signs and "
                     "sends (default: one per core beside the node's, at least 1, at most 8); 0 "
                     "serves everything from one process."))
@click.pass_context
def node_serve(ctx: click.Context, host: str, port: int | None, workers: int | None) -> None:
    import uvicorn

    from gulfsec.adapters.cores import count
    from gulfsec.bootstrap import (
        build_node_app,
        node_page_workers,
        open_node,
        open_notifications,
    )
    from gulfsec.logs import uvicorn_log_config
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
                    access_log=False, timeout_graceful_shutdown=10,
                    log_config=uvicorn_log_config(settings))
        return
    engine = service.engine
    serve_with_workers(app, node_page_workers(settings, app), host=host, port=port, workers=workers,
                       log_level=settings.log_level.lower(),
                       before_fork=(lambda: None) if engine is None else engine.dispose,
                       log_config=uvicorn_log_config(settings),
                       observe=app.state.http_instruments.observe)


@node.command("sync", help=_(
    "One round: deliver the outbox, verify new entries, cosign, acknowledge."))
@click.pass_context
def node_sync(ctx: click.Context) -> None:
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    report = service.sync_once()
    cosigned = (_("cosigned size %(size)s") % {"size": report.cosigned} if report.cosigned
                else _("nothing cosigned"))
    click.echo(ngettext("%(party)s: log size %(size)s, %(count)d new entries verified, "
                        "%(acknowledged)s acknowledged, %(cosigned)s",
                        "%(party)s: log size %(size)s, %(count)d new entries verified, "
                        "%(acknowledged)s acknowledged, %(cosigned)s", report.new_entries)
               % {"party": service.party, "size": report.size, "count": report.new_entries,
                  "acknowledged": report.acknowledged, "cosigned": cosigned})
    if service.last_error:
        raise TransportError(service.last_error)
    for alarm in report.alarms:
        click.echo(f"ALARM {alarm}", err=True)


@node.command("send", help=_(
    "Sign the entry drafted in DRAFT as this party's next and send it (kept until sent)."))
@click.argument("draft", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_context
def node_send(ctx: click.Context, draft: Path) -> None:
    from gulfsec.bootstrap import open_node
    from gulfsec.services.participant import make_audience, parse_entry_file

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    obj = parse_entry_file(read_file(draft, _("entry file")))
    signed = service.send(str(obj["form"]), make_audience(obj["audience"]), dict(obj["body"]),
                          refs=list(obj.get("refs", [])))
    click.echo(_("signed entry %(id)s (seq %(seq)s); %(waiting)s waiting to be sent")
               % {"id": signed.id_hex, "seq": signed.entry.seq,
                  "waiting": service.status()["outbox_pending"]})


@node.command("status", help=_(
    "What the node holds, what is final, what is unacknowledged, and any alarm."))
@click.pass_context
def node_status(ctx: click.Context) -> None:
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    status = service.status()
    click.echo(ngettext("%(party)s: log size %(size)s (final up to %(final)s), %(count)d "
                        "entries held, %(pending)s to send",
                        "%(party)s: log size %(size)s (final up to %(final)s), %(count)d "
                        "entries held, %(pending)s to send", status["entries"])
               % {"party": status["party"], "size": status["size"],
                  "final": status["final_size"], "count": status["entries"],
                  "pending": status["outbox_pending"]})
    for refused in status["outbox_refused"]:
        click.echo(_("  REFUSED by the hub at %(at)s: %(id)s… %(error)s")
                   % {"at": refused["refused_at"], "id": refused["entry_id"][:16],
                      "error": refused["error"]})
    for item in service.unacknowledged():
        state = _("OVERDUE") if item.overdue else _("waiting")
        click.echo(_("  %(state)s: %(id)s… (index %(index)s) not acknowledged by %(party)s")
                   % {"state": state, "id": item.entry_id[:16], "index": item.index,
                      "party": item.party})
    with service.uow() as uow:
        alarms = uow.repo.alarms()
    for alarm in alarms:
        click.echo(f"ALARM #{alarm.id} [{alarm.kind}] {alarm.message}", err=True)


@node.command("evidence", help=_(
    "Write alarm ALARM_ID (see `gulfsec node status`) as one self-contained JSON file that "
    "anyone can check with `gulfsec verify-evidence FILE --log-key KEY`, with no access to the "
    "hub or this node."))
@click.argument("alarm_id", type=click.IntRange(1, 2**62))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help=_("Write the evidence to this file (default: standard output)."))
@click.pass_context
def node_evidence(ctx: click.Context, alarm_id: int, out: Path | None) -> None:
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    text = json.dumps(service.evidence(alarm_id), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    write_private(out, text.encode("utf-8"))  # it may hold bilateral content
    click.echo(_("evidence of alarm #%(alarm)s written to %(path)s") % {"alarm": alarm_id,
                                                                       "path": out})


@node.command("backup", help=_(
    "Back up the node while it serves, into the new archive DEST (a tar file): its database, "
    "consistent as of one commit, and the files of its data directory it needs to run again, "
    "its keys included (encrypted under the passphrase, which is not in the backup).\n\n"
    "On SQLite the database is copied with SQLite's online backup API; on PostgreSQL with "
    "pg_dump --format=custom, which must be on PATH."))
@click.argument("dest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help=_("Replace DEST if it exists."))
@click.pass_context
def node_backup(ctx: click.Context, dest: Path, force: bool) -> None:
    from gulfsec.services.backup import back_up

    done = back_up(settings_of(ctx), "node", dest, force=force)
    echo_backup(done)


@node.command("restore", help=_(
    "Restore the node backup SRC into an empty data directory and database once everything "
    "in it verifies, then sync once with the hub to catch up."))
@click.argument("src", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True,
              help=_("Move what is in the data directory aside (never deleted) instead of "
                     "refusing; stop the server first."))
@click.pass_context
def node_restore(ctx: click.Context, src: Path, force: bool) -> None:
    from gulfsec.bootstrap import open_node
    from gulfsec.services.backup import restore_node

    done = restore_node(settings_of(ctx), src, open_node=open_node, force=force)
    click.echo(_("restored %(party)s's node from the backup of %(created)s: %(entries)s "
                 "entries, %(leaves)s leaves, %(checkpoints)s checkpoints verified")
               % {"party": done.party, "created": done.created_at, "entries": done.entries,
                  "leaves": done.size, "checkpoints": done.checkpoints})
    if done.set_aside is not None:
        click.echo(_("  what was in the data directory is now in %(path)s")
                   % {"path": done.set_aside})
    echo_caught_up(done.caught_up, done.sync_error)


def echo_caught_up(report: SyncReport | None, error: str | None) -> None:
    """What the first sync round after a restore or a rebuild did."""
    if report is not None and error is None:
        click.echo(_("caught up with the hub: log size %(size)s, %(count)s new entries "
                     "verified") % {"size": report.size, "count": report.new_entries})
        for alarm in report.alarms:
            click.echo(f"ALARM {alarm}", err=True)
        return
    click.echo(_("could not sync with the hub (%(error)s): run `gulfsec node sync` before "
                 "anyone signs") % {"error": error}, err=True)


@node.command("rebuild", help=_(
    "Set up this party's node afresh from the hub, around the party's key already in the "
    "data directory (keys/PARTY.key, with keys/PARTY.hotline/ if you kept it): no new "
    "registration is sent; the node fetches and verifies the whole log again."))
@click.option("--party", required=True, help=_("Party code, e.g. IRN, SAU, UNSC."))
@hub_option
@log_key_option
@click.pass_context
def node_rebuild(ctx: click.Context, party: str, hub_url: str, log_key: str | None) -> None:
    from gulfsec.adapters.clock import SystemClock
    from gulfsec.bootstrap import hotline_keys, open_engine, open_node, regime_from
    from gulfsec.services.node.rebuild import rebuild_node

    settings = settings_of(ctx)
    done = rebuild_node(settings, regime_from(settings), party, hub_url,
                        pinned_log_key(log_key),
                        open_engine=lambda s: open_engine(s, "node"), open_node=open_node,
                        hotline_keys=hotline_keys, clock=SystemClock())
    click.echo(_("node for %(party)s rebuilt in %(dir)s around key %(key)s")
               % {"party": party, "dir": settings.data_dir, "key": done.key.key_id_hex})
    echo_caught_up(done.caught_up, done.sync_error)
    if done.sync_error is not None:
        raise TransportError(done.sync_error)


@node.group("user", cls=GulfsecGroup, help=_(
    "Accounts of the node's delegates for its web pages (viewers and officers)."))
def node_user() -> None:
    pass


@node_user.command("add", help=_(
    "Create an account NAME for the node's pages."))
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "viewer"]), required=True,
              help=_("officer: may sign and send entries; viewer: reads only."))
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False),
              help=_("Read the password from this file's first line (else you are asked)."))
@click.pass_context
def node_user_add(ctx: click.Context, name: str, role: str, password_file: Path | None) -> None:
    from gulfsec.bootstrap import node_accounts_from

    password = new_password(password_file)
    with node_accounts_from(settings_of(ctx)) as accounts:
        account = accounts.create(name, password, role)
    click.echo(_("account %(name)s created (%(role)s)") % {"name": account.name,
                                                          "role": account.role})


@node_user.command("list", help=_(
    "List the accounts of the node's delegates."))
@click.pass_context
def node_user_list(ctx: click.Context) -> None:
    from gulfsec.bootstrap import node_accounts_from

    with node_accounts_from(settings_of(ctx)) as accounts:
        echo_accounts(accounts.accounts())


@click.command("verify", help=_(
    "Re-check everything this node holds from scratch; non-zero exit if anything is wrong."))
@click.pass_context
def verify(ctx: click.Context) -> None:
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx), check_tree=False)  # verify_all reports a broken tree
    ctx.call_on_close(service.close)
    report = service.verify_all()
    click.echo(_("%(party)s: %(entries)s entries, %(leaves)s leaves, %(checkpoints)s "
                 "checkpoints checked")
               % {"party": service.party, "entries": report.entries, "leaves": report.leaves,
                  "checkpoints": report.checkpoints})
    for line in report.unacknowledged:
        click.echo(_("  unacknowledged: %(what)s") % {"what": line})
    with service.uow() as uow:
        alarms = uow.repo.alarms()
    for alarm in alarms:
        click.echo(_("  alarm [%(kind)s]: %(message)s") % {"kind": alarm.kind,
                                                          "message": alarm.message}, err=True)
    for line in report.problems:
        click.echo(_("  problem: %(problem)s") % {"problem": line}, err=True)
    if not report.ok or alarms:
        raise LogVerificationError(
            _("%(problems)s problem(s) and %(alarms)s alarm(s) found")
            % {"problems": len(report.problems), "alarms": len(alarms)})
    click.echo(_("everything verifies"))


