"""``gulfsec hotline``: the end-to-end encrypted hotline, from the party's node.

Run where the node's data directory is. Without a command, the conversation as the node holds
it in clear (it sealed what it sent and opened what it received), newest first, with each
recipient's receipt of each message sent; ``send`` seals a message for each recipient with its
registered encryption key, signs it as the party's next entry and sends it. The hub stores
ciphertext only.
"""

from __future__ import annotations

from typing import Any

import click

from gulfsec.cli.common import GulfsecGroup, emit
from gulfsec.cli.decisions import node_of, report_sent
from gulfsec.domain.hotline import PRIORITIES
from gulfsec.errors import NotFound


def _hotline(node: Any) -> Any:
    if node.hotline is None:
        raise NotFound(f"{node.party}'s node takes no part in the hotline: it keeps no "
                       "encryption keys")
    return node.hotline


def _state(message: dict[str, Any]) -> str:
    if message["direction"] == "received":
        if not message["opened"]:
            return f"COULD NOT BE OPENED: {message['problem']}"
        return "receipt sent" if message["receipt_sent"] else "receipt not sent yet"
    if message["refused"]:
        return f"refused by the hub: {message['refused']}"
    if message["sequenced_at"] is None:
        return "not sequenced yet"
    parts = []
    for party, receipt in message["receipts"].items():
        state = receipt["state"].upper() if receipt["state"] == "overdue" else receipt["state"]
        if receipt["late"]:
            state = "received LATE"
        parts.append(f"{party} {state}")
    return ", ".join(parts)


def _echo_table(messages: list[dict[str, Any]], party: str) -> None:
    if not messages:
        click.echo(f"no hotline messages at {party}'s node")
    for m in messages:
        when = m["sequenced_at"] or m["sent_at"] or "—"
        arrow = (f"→ {', '.join(m['to'])}" if m["direction"] == "sent" else f"← {m['from']}")
        click.echo(f"{when}  {arrow}  {m['priority'] or '—'}  {m['kind'] or '—'}  "
                   f"[{_state(m)}]")
        for line in (m["text"] or "").splitlines():
            click.echo(f"    {line}")
        click.echo(f"    entry {m['entry_id']}")


@click.group("hotline", cls=GulfsecGroup, invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A table to read, or JSON (a list of objects).")
@click.option("--limit", type=click.IntRange(1, 1000), default=200, show_default=True,
              help="The latest messages only.")
@click.pass_context
def hotline(ctx: click.Context, fmt: str, limit: int) -> None:
    """The hotline: without a command, the conversation at this node, newest first — each
    message sent with each recipient's receipt (received, waiting, overdue: due within the
    regime's receipt minutes of its sequencing), each received with whether the node's
    receipt went out. Only the node holds the text: the hub stores ciphertext."""
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    messages = _hotline(node).conversation(limit)
    if fmt == "json":
        emit(messages)
        return
    _echo_table(messages, node.party)


@hotline.command("send")
@click.argument("text")
@click.option("--to", "to", multiple=True, required=True,
              help="A recipient (repeat, or comma-separated: --to SAU,QAT). Each must have "
                   "registered a hotline encryption key.")
@click.option("--priority", type=click.Choice(PRIORITIES), default="routine",
              show_default=True, help="flash, immediate or routine: sealed with the text.")
@click.pass_context
def hotline_send(ctx: click.Context, text: str, to: tuple[str, ...], priority: str) -> None:
    """Seal TEXT for each recipient with its current encryption key (HPKE, signed inside by
    the party's key), sign the hotline entry as the party's next and send it. Each
    recipient's node answers with a receipt; `gulfsec hotline` shows them."""
    recipients = [code.strip() for value in to for code in value.split(",") if code.strip()]
    node = node_of(ctx)
    signed = _hotline(node).send(recipients, text, priority)
    report_sent(node, signed, f"hotline message to {', '.join(sorted(set(recipients)))}:")
