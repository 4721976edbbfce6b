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
from gulfsec.i18n import _


def _hotline(node: Any) -> Any:
    if node.hotline is None:
        raise NotFound(_("%(party)s's node takes no part in the hotline: it keeps no "
                         "encryption keys") % {"party": node.party})
    return node.hotline


def _state(message: dict[str, Any]) -> str:
    if message["direction"] == "received":
        if not message["opened"]:
            return _("COULD NOT BE OPENED: %(problem)s") % {"problem": message["problem"]}
        return _("receipt sent") if message["receipt_sent"] else _("receipt not sent yet")
    if message["refused"]:
        return _("refused by the hub: %(error)s") % {"error": message["refused"]}
    if message["sequenced_at"] is None:
        return _("not sequenced yet")
    parts = []
    for party, receipt in message["receipts"].items():
        state = receipt["state"].upper() if receipt["state"] == "overdue" else receipt["state"]
        if receipt["late"]:
            state = _("received LATE")
        parts.append(f"{party} {state}")
    return ", ".join(parts)


def _echo_table(messages: list[dict[str, Any]], party: str) -> None:
    if not messages:
        click.echo(_("no hotline messages at %(party)s's node") % {"party": party})
    for m in messages:
        when = m["sequenced_at"] or m["sent_at"] or "—"
        arrow = (f"→ {', '.join(m['to'])}" if m["direction"] == "sent" else f"← {m['from']}")
        click.echo(f"{when}  {arrow}  {m['priority'] or '—'}  {m['kind'] or '—'}  "
                   f"[{_state(m)}]")
        for line in (m["text"] or "").splitlines():
            click.echo(f"    {line}")
        click.echo("    " + _("entry %(id)s") % {"id": m["entry_id"]})


@click.group("hotline", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "The hotline: without a command, the conversation at this node, newest first — each message "
    "sent with each recipient's receipt (received, waiting, overdue: due within the regime's "
    "receipt minutes of its sequencing), each received with whether the node's receipt went out. "
    "Only the node holds the text: the hub stores ciphertext."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help=_("A table to read, or JSON (a list of objects)."))
@click.option("--limit", type=click.IntRange(1, 1000), default=200, show_default=True,
              help=_("The latest messages only."))
@click.pass_context
def hotline(ctx: click.Context, fmt: str, limit: int) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    messages = _hotline(node).conversation(limit)
    if fmt == "json":
        emit(messages)
        return
    _echo_table(messages, node.party)


@hotline.command("send", help=_(
    "Seal TEXT for each recipient with its current encryption key (HPKE, signed inside by the "
    "party's key), sign the hotline entry as the party's next and send it. Each recipient's node "
    "answers with a receipt; `gulfsec hotline` shows them."))
@click.argument("text")
@click.option("--to", "to", multiple=True, required=True,
              help=_("A recipient (repeat, or comma-separated: --to SAU,QAT). Each must have "
                     "registered a hotline encryption key."))
@click.option("--priority", type=click.Choice(PRIORITIES), default="routine",
              show_default=True, help=_("flash, immediate or routine: sealed with the text."))
@click.pass_context
def hotline_send(ctx: click.Context, text: str, to: tuple[str, ...], priority: str) -> None:
    recipients = [code.strip() for value in to for code in value.split(",") if code.strip()]
    node = node_of(ctx)
    signed = _hotline(node).send(recipients, text, priority)
    report_sent(node, signed, _("hotline message to %(recipients)s:")
                % {"recipients": ", ".join(sorted(set(recipients)))})
