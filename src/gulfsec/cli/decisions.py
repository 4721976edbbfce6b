"""``gulfsec decisions``, ``concept`` and ``designations``: deciding together.

A participant reads and acts from its own node (run where the node's data directory is): the
drafts and where each stands, computed from the node's verified copy of the log (as of its last
sync); proposing, taking a position, amending and withdrawing sign the party's next entry and
send it. The secretariat, where the hub's data directory is, states an outcome (``close``) or
issues a revised draft (``revise``), after asking the hub where the draft stands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from gulfsec.cli.common import GulfsecGroup, emit, hub_option, read_file, settings_of, utc_value
from gulfsec.errors import ConfigError, ProcedureError
from gulfsec.i18n import N_, _

STANCES = ("join", "stand-aside", "object")
LIST_KEYS = ("id", "kind", "title", "proposer", "format", "procedure", "status", "closes_at",
             "positions", "why")
"""What ``gulfsec decisions --format json`` gives of each decision."""


# -- helpers -----------------------------------------------------------------------------------


def node_of(ctx: click.Context) -> Any:
    from gulfsec.bootstrap import open_node

    service = open_node(settings_of(ctx))
    ctx.call_on_close(service.close)
    return service


def _closing(value: str) -> str:
    checked = utc_value("--closes-at", value)
    assert checked is not None
    return checked


def text_of(text: str | None, text_file: Path | None) -> str:
    if (text is None) == (text_file is None):
        raise click.UsageError(_("give the text with either --text or --text-file"))
    if text_file is not None:
        return read_file(text_file, _("text file")).decode("utf-8", "replace")
    assert text is not None
    return text


def _content(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from gulfsec.domain.encoding import JSONError, parse_json

    try:
        value = parse_json(read_file(path, _("content file")))
    except JSONError as exc:
        raise ConfigError(_("%(file)s is not JSON: %(problem)s")
                          % {"file": path, "problem": exc}) from None
    if not isinstance(value, dict):
        raise ConfigError(_("%(file)s must hold a JSON object (the draft's content)")
                          % {"file": path})
    return value


def report_sent(node: Any, signed: Any, what: str) -> None:
    from gulfsec.api.sending import sent_json

    answer, sequenced = sent_json(node, signed)
    state = (_("sequenced by the hub") if sequenced
             else _("kept to send later: %(why)s") % {"why": answer["waiting"]})
    click.echo(_("%(what)s %(id)s signed (seq %(seq)s), %(state)s")
               % {"what": what, "id": answer["entry_id"], "seq": answer["seq"], "state": state})


def _position_cell(party: str, stance: str | None) -> str:
    return f"{party} {stance or '—'}"


def _echo_table(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no draft decisions in %(party)s's copy of the log") % {"party": party})
    for d in items:
        click.echo(d["id"])
        click.echo(_("  %(status)s · %(procedure)s · %(format)s · closes %(closes)s · proposed "
                     "by %(proposer)s (%(kind)s)")
                   % {"status": d["status"], "procedure": d["procedure"], "format": d["format"],
                      "closes": d["closes_at"], "proposer": d["proposer"], "kind": d["kind"]})
        click.echo(f"  {d['title']}")
        if d["positions"]:
            click.echo("  " + ", ".join(_position_cell(p, s) for p, s in d["positions"].items()))
        click.echo(f"  {d['why']}")


def _echo_decision(d: dict[str, Any]) -> None:
    click.echo(f"{d['title']}  [{d['kind']}]")
    click.echo(_("  draft      %(id)s (log #%(index)s, proposed by %(proposer)s)")
               % {"id": d["id"], "index": d["index"], "proposer": d["proposer"]})
    click.echo(_("  decided by %(format)s, %(procedure)s, closes %(closes)s")
               % {"format": d["format"], "procedure": d["procedure"],
                  "closes": d["closes_at"]})
    click.echo(_("  status     %(status)s: %(why)s") % {"status": d["status"], "why": d["why"]})
    for key, label in (("amends", N_("amends")), ("revises", N_("revises")),
                       ("replaced_by", N_("replaced by")), ("withdrawn_by", N_("withdrawn by"))):
        if d.get(key):
            click.echo(f"  {_(label):10} {d[key]}")
    if d["chair_outcome"] is not None:
        chair = d["chair_outcome"]
        click.echo(_("  chair      declared it %(outcome)s (%(id)s)")
                   % {"outcome": chair["outcome"], "id": chair["entry_id"]})
    if d["contradiction"]:
        click.echo(_("  CONTRADICTION %(what)s") % {"what": d["contradiction"]})
    click.echo("")
    click.echo(d["text"])
    if d["content"]:
        click.echo("")
        click.echo(json.dumps(d["content"], indent=2, ensure_ascii=False))
    click.echo("")
    click.echo(_("positions:"))
    for member, stance in d["positions"].items():
        click.echo(f"  {member:6} {stance or '—'}")
    if d["steps"]:
        click.echo(_("steps:"))
    for step in d["steps"]:
        counts = "" if step["counts"] else "  " + _("(does not count)")
        note = step["reason"] or step["statement"] or step["text"] or ""
        click.echo(f"  #{step['index']} {step['party']} {step['position']}"
                   f"{': ' + note if note else ''}{counts}")


# -- a participant's node ----------------------------------------------------------------------


@click.group("decisions", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Decide together: without a command, list the draft decisions this node holds, the most "
    "recent first, with their status (open, adopted, not-adopted, withdrawn, replaced), when "
    "they close, and each member's position — all computed from the node's own verified copy."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help=_("A table to read, or JSON (a list of objects)."))
@click.pass_context
def decisions(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    found = [d.to_json() for d in node.decisions.decisions(node.clock.now())]
    items = [{k: d[k] for k in LIST_KEYS} for d in found]
    if fmt == "json":
        emit(items)
        return
    _echo_table(items, node.party)


@decisions.command("show", help=_(
    "One draft decision DRAFT_ID: its text, every member's position, every step on it, and its "
    "outcome."))
@click.argument("draft_id")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json",
              show_default=True, help=_("The decision as JSON, or laid out to read."))
@click.pass_context
def decisions_show(ctx: click.Context, draft_id: str, fmt: str) -> None:
    node = node_of(ctx)
    found = node.decisions.decision(draft_id, node.clock.now()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_decision(found)


text_option = click.option("--text", help=_("The text."))
text_file_option = click.option("--text-file", type=click.Path(path_type=Path, dir_okay=False),
                                help=_("Read the text from this file instead."))
closes_option = click.option("--closes-at", required=True,
                             help=_("When positions stop counting (for silence, the expiry), "
                                    "UTC: 2027-01-31T12:00:00Z."))
procedure_option = click.option("--procedure", type=click.Choice(["consensus", "silence"]),
                                required=True, help=_("consensus, or silence procedure."))
content_option = click.option("--content-file", type=click.Path(path_type=Path, dir_okay=False),
                              help=_("A JSON object: what the kind decides beyond the text "
                                     "(sections of a concept, the entity designated, …)."))


@decisions.command("propose", help=_(
    "Table a draft decision to a format, signed as the party's next entry and sent."))
@click.option("--kind", required=True,
              help=_("What is decided: text, concept, designation, delisting or convene."))
@click.option("--title", required=True, help=_("The draft's title."))
@text_option
@text_file_option
@click.option("--format", "fmt", required=True,
              help=_("Who decides: a format of the regime (gcc, p5+1+iran, …) or all."))
@procedure_option
@closes_option
@content_option
@click.option("--amends", help=_("The id of an adopted decision this one amends or replaces."))
@click.pass_context
def decisions_propose(ctx: click.Context, kind: str, title: str, text: str | None,
                      text_file: Path | None, fmt: str, procedure: str, closes_at: str,
                      content_file: Path | None, amends: str | None) -> None:
    from gulfsec.api.decisions import propose

    body: dict[str, Any] = {"kind": kind, "title": title, "text": text_of(text, text_file),
                            "format": fmt, "procedure": procedure,
                            "closes_at": _closing(closes_at)}
    content = _content(content_file)
    if content is not None:
        body["content"] = content
    if amends is not None:
        body["amends"] = amends
    node = node_of(ctx)
    report_sent(node, propose(node, body), _("draft decision"))


@decisions.command("position", help=_(
    "Join, stand aside on, or object to draft DRAFT_ID; a later position replaces an earlier one "
    "until the draft closes."))
@click.argument("draft_id")
@click.argument("stance", metavar="join|stand-aside|object", type=click.Choice(STANCES))
@click.option("--reason", help=_("Why (required to object)."))
@click.option("--statement", help=_("An interpretative statement, with joining or standing aside."))
@click.pass_context
def decisions_position(ctx: click.Context, draft_id: str, stance: str, reason: str | None,
                       statement: str | None) -> None:
    from gulfsec.api.decisions import act_on_draft
    from gulfsec.domain.forms.decisions import POSITION

    node = node_of(ctx)
    signed = act_on_draft(node, POSITION, draft_id, {"position": stance, "reason": reason,
                                                     "statement": statement})
    report_sent(node, signed, _("position (%(stance)s):") % {"stance": stance})


@decisions.command("amend", help=_(
    "Propose an amended text of draft DRAFT_ID (under silence procedure, it breaks silence)."))
@click.argument("draft_id")
@text_option
@text_file_option
@click.option("--reason", help=_("Why the text should change."))
@click.pass_context
def decisions_amend(ctx: click.Context, draft_id: str, text: str | None, text_file: Path | None,
                    reason: str | None) -> None:
    from gulfsec.api.decisions import act_on_draft
    from gulfsec.domain.forms.decisions import AMENDMENT

    body = {"text": text_of(text, text_file), "reason": reason}
    node = node_of(ctx)
    report_sent(node, act_on_draft(node, AMENDMENT, draft_id, body), _("amendment"))


@decisions.command("withdraw", help=_(
    "Withdraw draft DRAFT_ID, which this party proposed, before it closes."))
@click.argument("draft_id")
@click.option("--reason", help=_("Why it is withdrawn."))
@click.pass_context
def decisions_withdraw(ctx: click.Context, draft_id: str, reason: str | None) -> None:
    from gulfsec.api.decisions import act_on_draft
    from gulfsec.domain.forms.decisions import WITHDRAWAL

    node = node_of(ctx)
    report_sent(node, act_on_draft(node, WITHDRAWAL, draft_id, {"reason": reason}),
                _("withdrawal"))


# -- the secretariat ---------------------------------------------------------------------------


def chair_of(ctx: click.Context, hub_url: str) -> tuple[Any, Any, Any]:
    """The secretariat's key, a client signing as it (checking the hub's answers against the
    log key in the hub's data directory, when it is there), and the regime."""
    from gulfsec.adapters.hubclient import HubClient
    from gulfsec.bootstrap import regime_from
    from gulfsec.domain.keys import VerifierKey
    from gulfsec.services.hub.setup import HubPaths, load_secretariat_key

    settings = settings_of(ctx)
    regime = regime_from(settings)
    key = load_secretariat_key(settings)
    vkey = HubPaths(settings.data_dir).log_vkey
    log_key = VerifierKey.parse(vkey.read_text().strip()) if vkey.exists() else None
    client = HubClient(hub_url, party=regime.secretariat.code, key=key, log_key=log_key)
    ctx.call_on_close(client.close)
    return key, client, regime


def _decision_at_hub(client: Any, draft_id: str) -> dict[str, Any]:
    """Where the draft stands, as the hub judges it for the secretariat."""
    from urllib.parse import quote

    # HubClient has no method for this route yet: its signed request, as its methods make.
    response = client._request("GET", f"/v1/decisions/{quote(draft_id, safe='')}", signed=True)
    found: dict[str, Any] = client._json(response)
    return found


def _submit(client: Any, key: Any, regime: Any, form: str, fmt: str, body: dict[str, Any],
            refs: list[str]) -> dict[str, Any]:
    from gulfsec.adapters.clock import SystemClock
    from gulfsec.domain.entry import ALL
    from gulfsec.domain.procedures.decisions import draft_audience
    from gulfsec.services.participant import submit_draft

    audience = draft_audience(regime, fmt)
    draft = {"form": form, "audience": ALL if audience == ALL else list(audience),
             "body": body, "refs": refs}
    _signed, receipt = submit_draft(client, key, regime.secretariat.code, draft,
                                    SystemClock().now())
    return receipt


@decisions.command("close", help=_(
    "As the secretariat (run where the hub's data directory is): state the outcome of draft "
    "DRAFT_ID once it has closed — adopted or not, as the positions make it. Every node "
    "recomputes it and raises an alarm if it disagrees."))
@click.argument("draft_id")
@click.option("--statement", help=_("The chair's statement with the outcome."))
@hub_option
@click.pass_context
def decisions_close(ctx: click.Context, draft_id: str, statement: str | None,
                    hub_url: str) -> None:
    from gulfsec.domain.forms.decisions import OUTCOME

    key, client, regime = chair_of(ctx, hub_url)
    found = _decision_at_hub(client, draft_id)
    status = found["status"]
    if found["chair_outcome"] is not None:
        raise ProcedureError(_("the chair already declared draft %(draft)s %(outcome)s "
                               "(entry %(id)s)")
                             % {"draft": draft_id,
                                "outcome": found["chair_outcome"]["outcome"],
                                "id": found["chair_outcome"]["entry_id"]})
    if found["awaiting_finality"]:
        raise ProcedureError(_("draft %(draft)s has closed, but entries sequenced before it "
                               "closed are not final yet: try again once the witnesses cosign")
                             % {"draft": draft_id})
    if status == "open":
        raise ProcedureError(_("draft %(draft)s is open until %(closes)s")
                             % {"draft": draft_id, "closes": found["closes_at"]})
    if status in ("withdrawn", "replaced"):
        raise ProcedureError(_("draft %(draft)s was %(status)s: it has no outcome to state "
                               "(%(why)s)")
                             % {"draft": draft_id, "status": status, "why": found["why"]})
    body: dict[str, Any] = {"draft": draft_id, "outcome": status}
    if statement:
        body["statement"] = statement
    receipt = _submit(client, key, regime, OUTCOME, str(found["format"]), body, [draft_id])
    click.echo(_("draft %(draft)s declared %(status)s: entry %(id)s at index %(index)s")
               % {"draft": draft_id, "status": status, "id": receipt["entry_id"],
                  "index": receipt["index"]})


@decisions.command("revise", help=_(
    "As the chair (run where the hub's data directory is): issue a revised draft that replaces "
    "open draft DRAFT_ID — same kind and format; its content unless --content-file."))
@click.argument("draft_id")
@click.option("--title", required=True, help=_("The revised draft's title."))
@text_option
@text_file_option
@procedure_option
@closes_option
@content_option
@hub_option
@click.pass_context
def decisions_revise(ctx: click.Context, draft_id: str, title: str, text: str | None,
                     text_file: Path | None, procedure: str, closes_at: str,
                     content_file: Path | None, hub_url: str) -> None:
    from gulfsec.domain.forms import get_form
    from gulfsec.domain.forms.decisions import DRAFT

    text_value = text_of(text, text_file)
    closing = _closing(closes_at)
    content = _content(content_file)
    key, client, regime = chair_of(ctx, hub_url)
    old = _decision_at_hub(client, draft_id)
    if old["status"] != "open" or old["awaiting_finality"]:
        raise ProcedureError(_("draft %(draft)s is %(status)s, no longer open: %(why)s")
                             % {"draft": draft_id, "status": old["status"], "why": old["why"]})
    body: dict[str, Any] = {"kind": old["kind"], "title": title, "text": text_value,
                            "format": old["format"], "procedure": procedure,
                            "closes_at": closing, "revises": draft_id,
                            "content": old["content"] if content is None else content}
    if old["amends"]:
        body["amends"] = old["amends"]
    spec = get_form(DRAFT)
    spec.validate(body)
    receipt = _submit(client, key, regime, DRAFT, str(old["format"]), body,
                      spec.referenced(body))
    click.echo(_("revised draft %(id)s replaces %(draft)s once it is final (index %(index)s)")
               % {"id": receipt["entry_id"], "draft": draft_id, "index": receipt["index"]})


# -- what the decisions made -------------------------------------------------------------------


@click.command("concept", help=_(
    "The Concept of collective security as adopted, from this node's own copy: a version section "
    "by section, or what changed between two versions."))
@click.option("--version", "number", type=click.IntRange(1, 1_000_000),
              help=_("This version (default: the current one)."))
@click.option("--diff", nargs=2, type=click.IntRange(1, 1_000_000), metavar="A B",
              help=_("What changed from version A to version B, section by section."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=_("Text to read, or JSON."))
@click.pass_context
def concept(ctx: click.Context, number: int | None, diff: tuple[int, int] | None,
            fmt: str) -> None:
    from gulfsec.api.decisions import diff_json

    if diff and number is not None:
        raise click.UsageError(_("give --version or --diff, not both"))
    node = node_of(ctx)
    now = node.clock.now()
    if diff:
        old, new, changes = node.decisions.concept_diff(diff[0], diff[1], now)
        if fmt == "json":
            emit(diff_json(old, new, changes))
            return
        click.echo(_("The Concept, version %(old)s → version %(new)s")
                   % {"old": old.number, "new": new.number})
        for change in changes:
            title = (change.new or change.old)
            click.echo(f"§ {change.number} {title.title if title else ''}: {change.change}")
            for line in change.diff:
                click.echo(f"    {line}")
        return
    version = node.decisions.concept_version(number, now)
    if fmt == "json":
        emit(version.to_json())
        return
    head = version.to_json()
    click.echo(_("The Concept, version %(number)s: %(title)s")
               % {"number": version.number, "title": head["title"]})
    click.echo(_("  adopted %(at)s by %(procedure)s (draft %(draft)s, proposed by %(proposer)s)")
               % {"at": head["adopted_at"], "procedure": head["procedure"],
                  "draft": head["decision"], "proposer": head["proposer"]})
    for section in version.sections:
        click.echo("")
        click.echo(f"§ {section.number} {section.title}")
        click.echo(section.text)


@click.command("designations", help=_(
    "The counter-terrorism designation list as adopted, from this node's own copy: who is listed "
    "now and who was delisted."))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help=_("A table to read; JSON (with the history) or CSV (one "
                                        "row per entity ever designated)."))
@click.pass_context
def designations(ctx: click.Context, fmt: str) -> None:
    from gulfsec.api.decisions import designations_csv, designations_json

    node = node_of(ctx)
    listed = node.decisions.designation_list(node.clock.now())
    if fmt == "json":
        emit(designations_json(listed))
        return
    if fmt == "csv":
        click.echo(designations_csv(listed.entities), nl=False)
        return
    if not listed.entities:
        click.echo(_("nobody is designated"))
    for entity in listed.entities:
        row = entity.to_json()
        state = (_("delisted %(at)s") % {"at": row["delisted_at"]} if row["delisted_at"]
                 else _("listed since %(at)s") % {"at": row["designated_at"]})
        click.echo(f"{row['name']}  ({row['entity_type']}, {state})")
        for alias in row["aliases"]:
            click.echo(_("  also %(name)s (%(script)s)")
                       % {"name": alias["name"], "script": alias["script"]})
        click.echo(_("  designation %(id)s") % {"id": row["designation"]})
