"""The ``gulfsec`` command line.

Commands only translate: options in, one service call, a short report out. Every gulfsec error
ends as one line on standard error and exit status 1; a usage mistake exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from gulfsec import __version__
from gulfsec.adapters import keystore
from gulfsec.adapters.clock import SystemClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.config import Settings, load_settings
from gulfsec.domain.keys import KeyFormatError, SigningKey, VerifierKey
from gulfsec.errors import (
    ConfigError,
    GulfsecError,
    KeyStoreError,
    LogVerificationError,
    TransportError,
)
from gulfsec.ledger.note import Checkpoint, verify_checkpoint

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_HUB = "http://127.0.0.1:8600"


class GulfsecGroup(click.Group):
    """A group that turns gulfsec errors into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GulfsecError as exc:
            click.echo(f"gulfsec: error: {exc.message}", err=True)
            ctx.exit(1)


def _settings(ctx: click.Context) -> Settings:
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


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None


def _pinned_log_key(value: str | None) -> VerifierKey:
    """The hub's log key from --log-key: a verifier key string or a file holding one."""
    if not value:
        raise ConfigError("give the hub's log verifier key with --log-key (or GULFSEC_LOG_KEY)")
    text = value
    if "+" not in value or Path(value).exists():
        text = _read_file(Path(value), "log key file").decode("utf-8", "replace").strip()
    try:
        return VerifierKey.parse(text)
    except KeyFormatError as exc:
        raise ConfigError(f"--log-key: {exc}") from None


def _load_party_key(ctx: click.Context, path: Path) -> SigningKey:
    settings = _settings(ctx)
    name, seed = keystore.load_key(path, settings.effective_passphrase())
    return SigningKey(name, seed)


def _client(hub: str, key: SigningKey | None = None) -> HubClient:
    return HubClient(hub, party=None if key is None else key.name, key=key)


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


hub_option = click.option("--hub", "hub_url", envvar="GULFSEC_HUB_URL", default=DEFAULT_HUB,
                          show_default=True, help="The hub's base URL.")
key_option = click.option("--key", "key_path", envvar="GULFSEC_KEY_FILE", required=True,
                          type=click.Path(path_type=Path, dir_okay=False),
                          help="The participant's encrypted key file.")
log_key_option = click.option("--log-key", envvar="GULFSEC_LOG_KEY",
                              help="The hub's log verifier key to pin (string or file).")


@click.group(cls=GulfsecGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gulfsec")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where keys and the database live (default ./data or GULFSEC_DATA_DIR).")
@click.option("--regime", type=click.Path(path_type=Path, dir_okay=False),
              help="A regime file (default: the packaged Gulf regime).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, regime: Path | None) -> None:
    """gulfsec: consult, notify and decide over a log that no one has to trust the operator for.

    Passphrases for encrypted keys come from GULFSEC_PASSPHRASE or GULFSEC_PASSPHRASE_FILE
    (in development the default passphrase is "gulfsec-dev").
    """
    ctx.ensure_object(dict).update(data_dir=data_dir, regime=regime)


# -- hub ---------------------------------------------------------------------------------------


@cli.group(cls=GulfsecGroup)
def hub() -> None:
    """Run the secretariat's hub: set it up, serve it, admit participants."""


@hub.command("init")
@click.pass_context
def hub_init(ctx: click.Context) -> None:
    """Create the hub's keys, database and genesis entry in the data directory."""
    from gulfsec.services.setup import HubPaths, init_hub

    settings = _settings(ctx)
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
    """Serve the hub's HTTP API until interrupted."""
    import uvicorn

    from gulfsec.api.hub_app import create_hub_app
    from gulfsec.services.setup import open_hub

    settings = _settings(ctx)
    service = open_hub(settings)
    app = create_hub_app(service)
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
    from gulfsec.domain.entry import parse_signed_entry
    from gulfsec.domain.forms.keys import REGISTRATION
    from gulfsec.services.participant import canonical_entry
    from gulfsec.services.setup import load_secretariat_key

    if (registration is None) == (party is None):
        raise click.UsageError("give either a registration file or --party")
    if registration is not None:
        raw = _read_file(registration, "registration")
        where = str(registration)
    else:
        with _client(hub_url) as client:
            pending = [p for p in client.pending_registrations() if p.get("party") == party]
        if not pending:
            raise ConfigError(f"no registration from {party} is waiting at the hub")
        raw = canonical_entry(pending[-1]["entry"])
        where = f"the registration {party} sent to the hub"
    signed = parse_signed_entry(raw, max_bytes=1 << 16)
    if signed.entry.form != REGISTRATION:
        raise ConfigError(f"{where} is a {signed.entry.form} entry, not a registration")
    key = VerifierKey.parse(str(signed.entry.body["vkey"]))
    click.echo(f"party {signed.entry.sender}, key {key.key_id_hex}")
    click.echo(f"fingerprint {key.fingerprint}")
    if not yes and not click.confirm("Does this match the fingerprint the party sent?"):
        raise click.Abort()
    sec = load_secretariat_key(ctx.obj["settings"] if "settings" in ctx.obj else _settings(ctx))
    with _client(hub_url) as client:
        receipt = client.submit(signed.countersigned(sec).raw)
    done = (f"{signed.entry.sender} was already admitted" if receipt.get("duplicate")
            else f"admitted {signed.entry.sender}")
    click.echo(f"{done}: entry {receipt['entry_id']} at index {receipt['index']}")


@hub.command("audit")
@click.pass_context
def hub_audit(ctx: click.Context) -> None:
    """Re-check every stored entry and the tree against the latest signed checkpoint."""
    from gulfsec.services.setup import open_hub

    service = open_hub(_settings(ctx))
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
    with _client(hub_url) as client:
        items = client.pending_registrations()
    if not items:
        click.echo("no registrations are waiting")
    for item in items:
        click.echo(f"{item['party']}  key {item['key_id']}  received {item['received_at']}")
        click.echo(f"      fingerprint {item['fingerprint']}")


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
    from gulfsec.services.accounts import SECRETARIAT, hub_accounts_from

    password = _new_password(password_file)
    with hub_accounts_from(_settings(ctx)) as accounts:
        account = accounts.create(name, password, SECRETARIAT)
    click.echo(f"account {account.name} created ({account.role})")


@hub_user.command("list")
@click.pass_context
def hub_user_list(ctx: click.Context) -> None:
    """List the secretariat's accounts."""
    from gulfsec.services.accounts import hub_accounts_from

    with hub_accounts_from(_settings(ctx)) as accounts:
        _echo_accounts(accounts.accounts())


def _new_password(password_file: Path | None) -> str:
    if password_file is not None:
        text = _read_file(password_file, "password file").decode("utf-8", "replace")
        return text.splitlines()[0] if text.splitlines() else ""
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _echo_accounts(items: list[Any]) -> None:
    if not items:
        click.echo("no accounts")
    for account in items:
        state = "  (disabled)" if account.disabled else ""
        click.echo(f"{account.name:24} {account.role:12} created "
                   f"{account.created_at:%Y-%m-%d %H:%M} UTC{state}")


# -- node --------------------------------------------------------------------------------------


@cli.group(cls=GulfsecGroup)
def node() -> None:
    """Run a participant's node: its own verified copy, witness and acknowledgements."""


@node.command("init")
@click.option("--party", required=True, help="Party code, e.g. IRN, SAU, UNSC.")
@hub_option
@log_key_option
@click.pass_context
def node_init(ctx: click.Context, party: str, hub_url: str, log_key: str | None) -> None:
    """Set up a node: the party's key (encrypted), its database, and its registration."""
    from gulfsec.services.node_setup import init_node

    pinned = _pinned_log_key(log_key)
    result = init_node(_settings(ctx), party, hub_url, pinned)
    click.echo(f"node for {party} set up in {_settings(ctx).data_dir}")
    click.echo(f"  verifier key: {result.key.verifier.encode()}")
    click.echo(f"  fingerprint:  {result.key.verifier.fingerprint}")
    click.echo(f"  {result.message}")
    click.echo("Send the fingerprint to the secretariat by another channel.")


@node.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default 8700).")
@click.pass_context
def node_serve(ctx: click.Context, host: str, port: int | None) -> None:
    """Sync, verify, witness and acknowledge in the background; serve the node's view."""
    import uvicorn

    from gulfsec.api.node_app import create_node_app
    from gulfsec.services.node_setup import open_node

    settings = _settings(ctx)
    service = open_node(settings)
    ctx.call_on_close(service.close)
    app = create_node_app(service, sync_interval_s=settings.sync_interval_ms / 1000)
    uvicorn.run(app, host=host, port=port or settings.node_port,
                log_level=settings.log_level.lower(), access_log=False)


@node.command("sync")
@click.pass_context
def node_sync(ctx: click.Context) -> None:
    """One round: deliver the outbox, verify new entries, cosign, acknowledge."""
    from gulfsec.services.node_setup import open_node

    service = open_node(_settings(ctx))
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
    from gulfsec.services.node_setup import open_node
    from gulfsec.services.participant import make_audience, parse_entry_file

    service = open_node(_settings(ctx))
    ctx.call_on_close(service.close)
    obj = parse_entry_file(_read_file(draft, "entry file"))
    signed = service.send(str(obj["form"]), make_audience(obj["audience"]), dict(obj["body"]),
                          refs=list(obj.get("refs", [])))
    click.echo(f"signed entry {signed.id_hex} (seq {signed.entry.seq}); "
               f"{service.status()['outbox_pending']} waiting to be sent")


@node.command("status")
@click.pass_context
def node_status(ctx: click.Context) -> None:
    """What the node holds, what is final, what is unacknowledged, and any alarm."""
    from gulfsec.services.node_setup import open_node

    service = open_node(_settings(ctx))
    ctx.call_on_close(service.close)
    status = service.status()
    click.echo(f"{status['party']}: log size {status['size']} (final up to {status['final_size']}),"
               f" {status['entries']} entries held, {status['outbox_pending']} to send")
    for item in service.unacknowledged():
        state = "OVERDUE" if item.overdue else "waiting"
        click.echo(f"  {state}: {item.entry_id[:16]}… (index {item.index}) not acknowledged by "
                   f"{item.party}")
    with service.uow() as uow:
        alarms = uow.repo.alarms()
    for alarm in alarms:
        click.echo(f"ALARM [{alarm.kind}] {alarm.message}", err=True)


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
    from gulfsec.services.accounts import node_accounts_from

    password = _new_password(password_file)
    with node_accounts_from(_settings(ctx)) as accounts:
        account = accounts.create(name, password, role)
    click.echo(f"account {account.name} created ({account.role})")


@node_user.command("list")
@click.pass_context
def node_user_list(ctx: click.Context) -> None:
    """List the accounts of the node's delegates."""
    from gulfsec.services.accounts import node_accounts_from

    with node_accounts_from(_settings(ctx)) as accounts:
        _echo_accounts(accounts.accounts())


@cli.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-check everything this node holds from scratch; non-zero exit if anything is wrong."""
    from gulfsec.services.node_setup import open_node

    service = open_node(_settings(ctx), check_tree=False)  # verify_all reports a broken tree
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


@cli.command("compliance")
@click.option("--party", help="Only this party's findings (default: everyone's).")
@click.option("--year", type=click.IntRange(1900, 2200), help="Only findings about this year.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="A table to read, or JSON / CSV for analysis.")
@click.option("--hub", "hub_url", help="Ask the hub (with --key) instead of this node.")
@click.option("--key", "key_path", type=click.Path(path_type=Path, dir_okay=False),
              help="With --hub: the participant's key file.")
@click.pass_context
def compliance(ctx: click.Context, party: str | None, year: int | None, fmt: str,
               hub_url: str | None, key_path: Path | None) -> None:
    """Who met which commitment, computed from this node's own verified copy of the log.

    Overdue findings come first. With --hub and --key, the hub computes the same findings over
    what the participant may read (a convenience; the node's own answer is the authority).
    """
    from gulfsec.domain.compliance import to_csv, to_json, to_table

    if hub_url is not None:
        if key_path is None:
            raise click.UsageError("--hub needs --key")
        key = _load_party_key(ctx, key_path)
        with _client(hub_url, key) as client:
            click.echo(client.compliance(party=party, year=year, fmt=fmt).rstrip("\n"))
        return
    from gulfsec.services.compliance import Compliance, NodeRecords
    from gulfsec.services.node_setup import open_node

    service = open_node(_settings(ctx))
    found = Compliance(service.regime, NodeRecords(service)).findings(
        service.clock.now(), party, year)
    render = {"table": to_table, "json": to_json, "csv": to_csv}[fmt]
    click.echo(render(found).rstrip("\n"))


# -- keys --------------------------------------------------------------------------------------


@cli.group(cls=GulfsecGroup)
def keys() -> None:
    """Create and inspect a participant's keys."""


@keys.command("create")
@click.option("--party", required=True, help="Party code, e.g. IRN, SAU, UNSC.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("."), show_default=True, help="Where to write the files.")
@click.pass_context
def keys_create(ctx: click.Context, party: str, out_dir: Path) -> None:
    """Create a party's signing key (encrypted) and its registration request.

    Writes PARTY.key and PARTY.registration.json; send the registration and, by another
    channel, the fingerprint to the secretariat.
    """
    from gulfsec.domain.regime import default_regime, load_regime
    from gulfsec.services.participant import registration_request

    settings = _settings(ctx)
    regime = load_regime(settings.regime_path) if settings.regime_path else default_regime()
    regime.participant(party)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate(party)
    key_path = out_dir / f"{party}.key"
    reg_path = out_dir / f"{party}.registration.json"
    if reg_path.exists():
        raise KeyStoreError(f"{reg_path} exists; refusing to overwrite")
    keystore.save_key(key_path, party, key.seed, settings.effective_passphrase())
    reg_path.write_bytes(registration_request(key, party, SystemClock().now()).raw)
    click.echo(f"key:          {key_path}")
    click.echo(f"registration: {reg_path}")
    click.echo(f"verifier key: {key.verifier.encode()}")
    click.echo(f"fingerprint:  {key.verifier.fingerprint}")


@keys.command("show")
@click.argument("key_file", type=click.Path(path_type=Path, dir_okay=False))
def keys_show(key_file: Path) -> None:
    """Show a key file's verifier key and fingerprint (no passphrase needed)."""
    name, public = keystore.read_public(key_file)
    key = VerifierKey(name, public)
    click.echo(f"verifier key: {key.encode()}")
    click.echo(f"fingerprint:  {key.fingerprint}")


# -- entries -----------------------------------------------------------------------------------


@cli.command("submit")
@click.argument("draft", type=click.Path(path_type=Path, dir_okay=False))
@key_option
@hub_option
@click.pass_context
def submit(ctx: click.Context, draft: Path, key_path: Path, hub_url: str) -> None:
    """Sign the entry drafted in DRAFT (JSON: form, audience, body, refs) and submit it."""
    from gulfsec.services.participant import parse_entry_file, submit_draft

    key = _load_party_key(ctx, key_path)
    draft_obj = parse_entry_file(_read_file(draft, "entry file"))
    with _client(hub_url, key) as client:
        signed, receipt = submit_draft(client, key, key.name, draft_obj, SystemClock().now())
    click.echo(f"sequenced entry {receipt['entry_id']} at index {receipt['index']} "
               f"(checkpoint size {receipt['checkpoint_size']})")


@cli.command("fetch")
@click.argument("entry_id")
@key_option
@hub_option
@log_key_option
@click.option("--json", "as_json", is_flag=True, help="Print the verified entry as JSON.")
@click.pass_context
def fetch(ctx: click.Context, entry_id: str, key_path: Path, hub_url: str,
          log_key: str | None, as_json: bool) -> None:
    """Fetch an entry with its inclusion proof and verify both."""
    from gulfsec.services.participant import keyring_from_hub, verify_entry_with_proof

    pinned = _pinned_log_key(log_key)
    key = _load_party_key(ctx, key_path)
    settings = _settings(ctx)
    from gulfsec.services.setup import regime_from

    regime = regime_from(settings)
    with _client(hub_url, key) as client:
        item = client.entry_proof(entry_id)
        keyring = keyring_from_hub(client, regime.secretariat.code)
    verified = verify_entry_with_proof(item, pinned, keyring)
    if as_json:
        _emit(verified.signed.to_json())
        return
    entry = verified.signed.entry
    click.echo(f"entry {verified.signed.id_hex}")
    click.echo(f"  form {entry.form} from {entry.sender} (seq {entry.seq}) to "
               f"{entry.audience if entry.audience == 'all' else ', '.join(entry.audience)}")
    click.echo(f"  signature valid; included at index {verified.index} in checkpoint of size "
               f"{verified.checkpoint.size} signed by the pinned log key")
    click.echo(json.dumps(dict(entry.body), indent=2, ensure_ascii=False))


@cli.command("verify-log")
@hub_option
@log_key_option
@click.option("--state", type=click.Path(path_type=Path, dir_okay=False),
              help="File keeping the last verified checkpoint; the log must stay consistent.")
def verify_log(hub_url: str, log_key: str | None, state: Path | None) -> None:
    """Verify the whole log against its latest checkpoint (and the one seen last time)."""
    from gulfsec.services.participant import audit_log

    pinned = _pinned_log_key(log_key)
    previous: Checkpoint | None = None
    if state is not None and state.exists():
        previous, _ = verify_checkpoint(_read_file(state, "state file"), pinned)
    with _client(hub_url) as client:
        report = audit_log(client, pinned, previous)
        if state is not None:
            state.write_text(client.checkpoint_at(report.size))
    click.echo(f"log verified: {report.size} entries hash to the root signed by "
               f"{pinned.name}")
    if report.checked_consistency_from is not None:
        click.echo(f"  and it is consistent with the checkpoint of size "
                   f"{report.checked_consistency_from} seen before")


@cli.command("demo")
@click.option("--port", type=int, default=8600, show_default=True, help="Port for the hub.")
@click.option("--dir", "demo_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("data/demo"), show_default=True,
              help="Where the demo keeps its data (wiped at each start).")
@click.option("--no-serve", is_flag=True, help="Run the scenario, then stop.")
def demo(port: int, demo_dir: Path, no_serve: bool) -> None:
    """Start a hub on SQLite with the Gulf regime, play a short scenario, keep serving."""
    from gulfsec.demo import run_demo

    run_demo(demo_dir, port=port, serve=not no_serve, echo=click.echo)


def main() -> None:
    cli(prog_name="gulfsec")


if __name__ == "__main__":
    main()
