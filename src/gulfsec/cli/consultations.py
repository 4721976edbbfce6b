"""``gulfsec threads``, ``meetings`` and ``mediation``: consulting, meeting and mediating.

A participant reads and acts from its own node (run where the node's data directory is): the
threads, meetings and mediations it takes part in, computed from the node's verified copy of the
log (as of its last sync); every step signs the party's next entry, addressed to exactly the
parties the procedure names, and sends it. The secretariat convenes the meetings of a format,
changes them, circulates their minutes and reads the calendar of every meeting where the hub's
data directory is, with ``--secretariat --hub URL``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from gulfsec.cli.common import GulfsecGroup, emit, hub_option, read_file, utc_value
from gulfsec.cli.decisions import chair_of, node_of, report_sent, text_of
from gulfsec.domain.forms._types import LEVELS
from gulfsec.errors import ProcedureError, TransportError
from gulfsec.i18n import _, ngettext

THREAD_KEYS = ("id", "subject", "level", "format", "opened_by", "parties", "last_activity")
"""What ``gulfsec threads --format json`` gives of each thread, with ``replies`` (how many)."""
MEDIATION_KEYS = ("id", "parties", "mediator", "requested_by", "status")
"""What ``gulfsec mediation --format json`` gives of each mediation."""
REPLIES = ("accept", "decline", "propose-time")


# -- helpers -----------------------------------------------------------------------------------


def _codes(value: str | None) -> list[str] | None:
    """``QAT,SAU`` as a list of party codes (None when not given)."""
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]


def _attachments(node: Any, files: Sequence[Path]) -> list[dict[str, Any]]:
    """Each file checked, kept by the node and uploaded to the hub: the attachment objects."""
    found = []
    for path in files:
        data = read_file(path, _("attachment"))
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        found.append(node.attach(data, media_type, path.name))
    return found


def _when_given(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None and v != () and v != []}


text_option = click.option("--text", help=_("The text."))
text_file_option = click.option("--text-file", type=click.Path(path_type=Path, dir_okay=False),
                                help=_("Read the text from this file instead."))
attach_option = click.option("--attach", "attach", multiple=True,
                             type=click.Path(path_type=Path, dir_okay=False),
                             help=_("A file to carry with it (PDF, text, PNG, JPEG or DOCX, by "
                                    "its extension); repeat for more."))
list_format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                                  default="table", show_default=True,
                                  help=_("A table to read, or JSON (a list of objects)."))
show_format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                                  default="json", show_default=True,
                                  help=_("As JSON, or laid out to read."))
secretariat_option = click.option("--secretariat", is_flag=True,
                                  help=_("As the secretariat, where the hub's data directory "
                                         "is: sign with its key and submit to --hub."))


# -- threads -----------------------------------------------------------------------------------


def _between(item: dict[str, Any]) -> str:
    if item["format"]:
        return _("in %(format)s") % {"format": item["format"]}
    parties = item["parties"]
    if parties == "all":
        return _("with every participant")
    return _("between %(parties)s") % {"parties": ", ".join(parties)}


def _echo_threads(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no consultation threads in %(party)s's copy of the log")
                   % {"party": party})
    for t in items:
        replies = t["replies"]
        click.echo(t["id"])
        click.echo(_("  %(subject)s · %(level)s · %(between)s · opened by %(party)s")
                   % {"subject": t["subject"], "level": t["level"], "between": _between(t),
                      "party": t["opened_by"]})
        click.echo(ngettext("  %(count)d reply, last %(at)s", "  %(count)d replies, last %(at)s",
                            replies) % {"count": replies, "at": t["last_activity"]})


def _echo_thread(t: dict[str, Any]) -> None:
    click.echo(f"{t['subject']}  [{t['level']}]")
    click.echo(_("  thread %(id)s (log #%(index)s, opened by %(party)s, %(between)s)")
               % {"id": t["id"], "index": t["index"], "party": t["opened_by"],
                  "between": _between(t)})
    for message in t["messages"]:
        click.echo("")
        click.echo(f"#{message['index']} {message['sender']}, {message['sequenced_at']}")
        for line in message["text"].splitlines():
            click.echo(f"  {line}")
        for attached in message["attachments"]:
            click.echo(ngettext("  attached: %(name)s (%(type)s, %(size)d byte, sha256 "
                                "%(sha256)s)",
                                "  attached: %(name)s (%(type)s, %(size)d bytes, sha256 "
                                "%(sha256)s)", attached["size"])
                       % {"name": attached["name"], "type": attached["media_type"],
                          "size": attached["size"], "sha256": attached["sha256"]})


@click.group("threads", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Consult: without a command, list the consultation threads this party takes part in, newest "
    "activity first, from the node's own verified copy."))
@list_format_option
@click.pass_context
def threads(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = []
    for found in node.consultations.threads():
        full = found.to_json()
        items.append({**{k: full[k] for k in THREAD_KEYS},
                      "replies": len(full["messages"]) - 1})
    if fmt == "json":
        emit(items)
        return
    _echo_threads(items, node.party)


@threads.command("show", help=_(
    "One thread THREAD_ID, with every message and the files they carry."))
@click.argument("thread_id")
@show_format_option
@click.pass_context
def threads_show(ctx: click.Context, thread_id: str, fmt: str) -> None:
    node = node_of(ctx)
    found = node.consultations.thread(thread_id).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_thread(found)


@threads.command("open", help=_(
    "Open a consultation thread between named parties or in a format, signed as the party's next "
    "entry and sent; only the thread's parties read it."))
@click.option("--subject", required=True, help=_("The thread's subject."))
@click.option("--level", required=True, type=click.Choice(LEVELS),
              help=_("Who speaks: head-of-state, minister, senior-official, expert or scholar."))
@click.option("--to", "to", metavar="P1,P2", help=_("The other parties, by code, comma-separated."))
@click.option("--format", "fmt", metavar="FORMAT",
              help=_("Instead of --to: a format of the regime (gcc, p5+1+iran, …) or all."))
@text_option
@text_file_option
@attach_option
@click.pass_context
def threads_open(ctx: click.Context, subject: str, level: str, to: str | None, fmt: str | None,
                 text: str | None, text_file: Path | None, attach: tuple[Path, ...]) -> None:
    from gulfsec.api.consultations import named_audience, open_thread
    from gulfsec.domain.forms.consultations import THREAD

    text_value = text_of(text, text_file)
    node = node_of(ctx)
    named_audience(node.regime, node.party, THREAD, fmt, _codes(to))  # before any upload
    body = {"subject": subject, "level": level, "text": text_value, "format": fmt,
            "parties": _codes(to), "attachments": _attachments(node, attach)}
    report_sent(node, open_thread(node, _when_given(body)), _("thread"))


@threads.command("reply", help=_(
    "Reply in thread THREAD_ID, to every other party of the thread."))
@click.argument("thread_id")
@text_option
@text_file_option
@attach_option
@click.pass_context
def threads_reply(ctx: click.Context, thread_id: str, text: str | None, text_file: Path | None,
                  attach: tuple[Path, ...]) -> None:
    from gulfsec.api.consultations import reply_to_thread

    text_value = text_of(text, text_file)
    node = node_of(ctx)
    body = {"text": text_value, "attachments": _attachments(node, attach)}
    report_sent(node, reply_to_thread(node, thread_id, _when_given(body)), _("reply"))


# -- meetings ----------------------------------------------------------------------------------


def _reply_cell(party: str, reply: str | None) -> str:
    return f"{party} {reply or '—'}"


def _convened(m: dict[str, Any]) -> str:
    if m["format"]:
        return _("convened by %(party)s in %(format)s") % {"party": m["convener"],
                                                           "format": m["format"]}
    return _("convened by %(party)s") % {"party": m["convener"]}


def _echo_meetings(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no meetings in %(party)s's copy of the log") % {"party": party})
    for m in items:
        click.echo(m["id"])
        click.echo(_("  %(status)s · %(starts)s (%(zone)s) · %(minutes)s min · %(place)s · "
                     "%(level)s")
                   % {"status": m["status"], "starts": m["starts_at"], "zone": m["timezone"],
                      "minutes": m["duration_minutes"], "place": m["place"],
                      "level": m["level"]})
        click.echo(f"  {m['title']} — {_convened(m)}")
        if m["acceptances"]:
            click.echo("  " + ", ".join(_reply_cell(p, r) for p, r in m["acceptances"].items()))
        click.echo(_("  minutes: %(status)s") % {"status": m["minutes"]["status"]})


def _echo_meeting(m: dict[str, Any]) -> None:
    click.echo(f"{m['title']}  [{m['level']}]")
    click.echo(_("  meeting  %(id)s (log #%(index)s, %(convened)s)")
               % {"id": m["id"], "index": m["index"], "convened": _convened(m)})
    click.echo(ngettext("  status   %(status)s, changed %(count)d time(s)",
                        "  status   %(status)s, changed %(count)d time(s)", m["sequence"])
               % {"status": m["status"], "count": m["sequence"]})
    click.echo(_("  when     %(starts)s (%(zone)s), %(minutes)s min")
               % {"starts": m["starts_at"], "zone": m["timezone"],
                  "minutes": m["duration_minutes"]})
    click.echo(_("  where    %(place)s") % {"place": m["place"]})
    minutes = m["minutes"]
    click.echo(_("  minutes  %(status)s") % {"status": minutes["status"]}
               + (_(" (draft %(draft)s, closes %(closes)s)")
                  % {"draft": minutes["draft"], "closes": minutes["closes_at"]}
                  if minutes["draft"] else ""))
    click.echo("")
    click.echo(_("agenda (final):") if m["agenda_final"] else _("agenda (draft):"))
    for number, item in enumerate(m["agenda"], 1):
        click.echo(f"  {number}. {item}")
    if m["agenda_proposals"]:
        click.echo(_("proposed items:"))
    for proposed in m["agenda_proposals"]:
        click.echo(f"  {proposed['party']}: {proposed['item']}")
    click.echo(_("replies:"))
    for party, reply in m["acceptances"].items():
        when = m["proposed_times"].get(party)
        click.echo(f"  {party:6} {reply or '—'}{' ' + when if when else ''}")


@click.group("meetings", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Meet: without a command, list the meetings this party is invited to or convened, the "
    "soonest first, with their status (convened, held, cancelled), each party's reply, the "
    "agenda and the minutes, from the node's own verified copy."))
@list_format_option
@click.pass_context
def meetings(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [m.to_json() for m in node.consultations.meetings(node.clock.now())]
    if fmt == "json":
        emit(items)
        return
    _echo_meetings(items, node.party)


@meetings.command("show", help=_(
    "One meeting MEETING_ID: its time and place, agenda, replies, changes and minutes."))
@click.argument("meeting_id")
@show_format_option
@click.pass_context
def meetings_show(ctx: click.Context, meeting_id: str, fmt: str) -> None:
    node = node_of(ctx)
    found = node.consultations.meeting(meeting_id, node.clock.now()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_meeting(found)


def _secretariat_submit(chair: tuple[Any, Any, Any], form: str, audience: Any,
                        body: dict[str, Any], refs: list[str]) -> None:
    """Sign ``body`` as the secretariat's next entry of ``form`` and submit it to the hub
    (``chair``: the secretariat's key, its client and the regime)."""
    from gulfsec.adapters.clock import SystemClock
    from gulfsec.domain.entry import ALL
    from gulfsec.services.participant import submit_draft

    key, client, regime = chair
    draft = {"form": form, "audience": ALL if audience == ALL else list(audience),
             "body": body, "refs": refs}
    signed, receipt = submit_draft(client, key, regime.secretariat.code, draft,
                                   SystemClock().now())
    click.echo(_("%(form)s %(id)s signed by the secretariat, sequenced at index %(index)s")
               % {"form": form, "id": signed.id_hex, "index": receipt["index"]})


def _meeting_at_hub(chair: tuple[Any, Any, Any], meeting_id: str) -> Any:
    """The meeting entry, as the hub gives it to the secretariat, checked to be that entry
    and one the secretariat convened."""
    from gulfsec.domain.encoding import canonical
    from gulfsec.domain.entry import parse_signed_entry
    from gulfsec.domain.forms.meetings import MEETING

    client, regime = chair[1], chair[2]
    found = client.entry(meeting_id)
    try:
        signed = parse_signed_entry(canonical(found["entry"]),
                                    max_bytes=regime.limits.max_entry_bytes)
    except (KeyError, ValueError) as exc:
        raise TransportError(_("the hub sent a malformed entry: %(problem)s")
                             % {"problem": exc}) from None
    if signed.id_hex != meeting_id:
        raise TransportError(_("the hub sent entry %(sent)s for %(asked)s")
                             % {"sent": signed.id_hex, "asked": meeting_id})
    if signed.entry.form != MEETING:
        raise ProcedureError(_("%(id)s is not a meeting but a %(form)s entry")
                             % {"id": meeting_id, "form": signed.entry.form})
    if signed.entry.sender != regime.secretariat.code:
        raise ProcedureError(_("only the convener, %(party)s, changes this meeting or "
                               "circulates its minutes") % {"party": signed.entry.sender})
    return signed


starts_option = click.option("--starts-at", help=_("When it starts, UTC: 2027-03-01T09:00:00Z."))
timezone_option = click.option("--timezone", help=_("Where it is held, as an IANA time zone "
                                                    "(Asia/Tehran); calendars show it there."))
duration_option = click.option("--duration", type=click.IntRange(15, 7 * 24 * 60),
                               help=_("How long, in minutes."))
place_option = click.option("--place", help=_("A city and venue, or online."))
agenda_option = click.option("--agenda", "agenda", multiple=True, metavar="ITEM",
                             help=_("An agenda item, in order; repeat for each."))


@meetings.command("convene", help=_(
    "Convene a meeting: a participant, a bilateral one (--to one party); the secretariat "
    "(--secretariat), any other. Every invited party sees who accepts."))
@click.option("--title", required=True, help=_("The meeting's title."))
@click.option("--level", required=True, type=click.Choice(LEVELS),
              help=_("Who meets: head-of-state, minister, senior-official, expert or scholar."))
@click.option("--starts-at", required=True, help=_("When it starts, UTC: 2027-03-01T09:00:00Z."))
@click.option("--timezone", default="UTC", show_default=True,
              help=_("Where it is held, as an IANA time zone (Asia/Tehran)."))
@click.option("--duration", type=click.IntRange(15, 7 * 24 * 60), default=120,
              show_default=True, help=_("How long, in minutes."))
@click.option("--place", required=True, help=_("A city and venue, or online."))
@click.option("--agenda", "agenda", multiple=True, required=True, metavar="ITEM",
              help=_("A draft agenda item, in order; repeat for each."))
@click.option("--format", "fmt", metavar="FORMAT",
              help=_("The format that meets (p5+1+iran, gcc, all, …): the secretariat only."))
@click.option("--to", "to", metavar="P1,P2",
              help=_("Instead of --format: the parties invited (a participant invites one)."))
@click.option("--decision", help=_("For a meeting of all: the adopted decision (kind convene)."))
@click.option("--case", help=_("The request on unusual military activity or the incident report "
                "the meeting is about (a meeting of all on a case needs no decision)."))
@secretariat_option
@hub_option
@click.pass_context
def meetings_convene(ctx: click.Context, title: str, level: str, starts_at: str, timezone: str,
                     duration: int, place: str, agenda: tuple[str, ...], fmt: str | None,
                     to: str | None, decision: str | None, case: str | None,
                     secretariat: bool, hub_url: str) -> None:
    from gulfsec.api.consultations import convene, named_audience
    from gulfsec.domain.forms import get_form
    from gulfsec.domain.forms.meetings import MEETING

    body = _when_given({"title": title, "level": level,
                        "starts_at": utc_value("--starts-at", starts_at), "timezone": timezone,
                        "duration_minutes": duration, "place": place, "agenda": list(agenda),
                        "format": fmt, "decision": decision, "case": case})
    if secretariat:
        spec = get_form(MEETING)
        spec.validate(body)
        chair = chair_of(ctx, hub_url)
        regime = chair[2]
        audience = named_audience(regime, regime.secretariat.code, MEETING, fmt, _codes(to))
        _secretariat_submit(chair, MEETING, audience, body, spec.referenced(body))
        return
    node = node_of(ctx)
    report_sent(node, convene(node, {**body, **_when_given({"parties": _codes(to)})}),
                _("meeting"))


@meetings.command("reply", help=_(
    "Accept or decline the invitation to meeting MEETING_ID, or propose another time; a later "
    "reply replaces an earlier one."))
@click.argument("meeting_id")
@click.argument("reply", metavar="accept|decline|propose-time", type=click.Choice(REPLIES))
@click.option("--at", help=_("With propose-time: the start proposed, UTC: 2027-03-02T09:00:00Z."))
@click.option("--note", help=_("A note with the reply."))
@click.pass_context
def meetings_reply(ctx: click.Context, meeting_id: str, reply: str, at: str | None,
                   note: str | None) -> None:
    from gulfsec.api.consultations import act_on_meeting
    from gulfsec.domain.forms.meetings import MEETING_REPLY

    body = {"reply": reply, "proposed_at": utc_value("--at", at), "note": note}
    node = node_of(ctx)
    report_sent(node, act_on_meeting(node, MEETING_REPLY, meeting_id, body),
                _("reply (%(reply)s):") % {"reply": reply})


@meetings.command("propose-item", help=_(
    "Propose an item for the agenda of meeting MEETING_ID; the convener adopts the final agenda."))
@click.argument("meeting_id")
@click.option("--item", required=True, help=_("The agenda item proposed."))
@click.option("--reason", help=_("Why it belongs on the agenda."))
@click.pass_context
def meetings_propose_item(ctx: click.Context, meeting_id: str, item: str,
                          reason: str | None) -> None:
    from gulfsec.api.consultations import act_on_meeting
    from gulfsec.domain.forms.meetings import AGENDA_PROPOSAL

    node = node_of(ctx)
    signed = act_on_meeting(node, AGENDA_PROPOSAL, meeting_id, {"item": item, "reason": reason})
    report_sent(node, signed, _("agenda item"))


@meetings.command("update", help=_(
    "As the convener of meeting MEETING_ID: change its time or place, adopt the final agenda, or "
    "cancel it; calendars update the event in place."))
@click.argument("meeting_id")
@starts_option
@timezone_option
@duration_option
@place_option
@click.option("--agenda", "agenda", multiple=True, metavar="ITEM",
              help=_("The final agenda, item by item in order; repeat for each."))
@click.option("--cancel", is_flag=True, help=_("Cancel the meeting."))
@click.option("--note", help=_("A note to the invited parties."))
@secretariat_option
@hub_option
@click.pass_context
def meetings_update(ctx: click.Context, meeting_id: str, starts_at: str | None,
                    timezone: str | None, duration: int | None, place: str | None,
                    agenda: tuple[str, ...], cancel: bool, note: str | None, secretariat: bool,
                    hub_url: str) -> None:
    from gulfsec.api.consultations import act_on_meeting
    from gulfsec.domain.forms import get_form
    from gulfsec.domain.forms.meetings import MEETING_UPDATE
    from gulfsec.domain.procedures.meetings import step_audience

    body = _when_given({"starts_at": utc_value("--starts-at", starts_at), "timezone": timezone,
                        "duration_minutes": duration, "place": place, "agenda": list(agenda),
                        "cancelled": True if cancel else None, "note": note})
    if not body:
        raise click.UsageError(_("say what changes: --starts-at, --timezone, --duration, "
                                 "--place, --agenda, --cancel or --note"))
    if secretariat:
        chair = chair_of(ctx, hub_url)
        meeting = _meeting_at_hub(chair, meeting_id)
        full = {"meeting": meeting_id, **body}
        get_form(MEETING_UPDATE).validate(full)
        _secretariat_submit(chair, MEETING_UPDATE, step_audience(meeting, meeting.entry.sender),
                            full, [meeting_id])
        return
    node = node_of(ctx)
    report_sent(node, act_on_meeting(node, MEETING_UPDATE, meeting_id, body), _("change"))


@meetings.command("minutes", help=_(
    "As the convener of meeting MEETING_ID: circulate its draft minutes, a decision of kind "
    "minutes adopted by silence in the meeting's format."))
@click.argument("meeting_id")
@text_option
@text_file_option
@click.option("--closes-at", required=True,
              help=_("When silence expires, UTC: 2027-01-31T12:00:00Z; adopted then unless a "
                     "member objects."))
@click.option("--title", help=_("The draft's title (default: Minutes: and the meeting's title)."))
@secretariat_option
@hub_option
@click.pass_context
def meetings_minutes(ctx: click.Context, meeting_id: str, text: str | None,
                     text_file: Path | None, closes_at: str, title: str | None,
                     secretariat: bool, hub_url: str) -> None:
    from gulfsec.api.consultations import circulate_minutes, minutes_draft
    from gulfsec.domain.forms import get_form
    from gulfsec.domain.forms.decisions import DRAFT
    from gulfsec.domain.procedures.decisions import draft_audience

    fields = _when_given({"text": text_of(text, text_file),
                          "closes_at": utc_value("--closes-at", closes_at), "title": title})
    if secretariat:
        chair = chair_of(ctx, hub_url)
        meeting = _meeting_at_hub(chair, meeting_id)
        body = minutes_draft(meeting, fields)
        spec = get_form(DRAFT)
        spec.validate(body)
        _secretariat_submit(chair, DRAFT, draft_audience(chair[2], str(body["format"])), body,
                            spec.referenced(body))
        return
    node = node_of(ctx)
    report_sent(node, circulate_minutes(node, meeting_id, fields), _("draft minutes"))


@meetings.command("ics", help=_(
    "The party's meetings (or meeting MEETING_ID) as an iCalendar file, to import into a "
    "calendar: importing it again updates the events. With --secretariat: every meeting."))
@click.argument("meeting_id", required=False)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help=_("Write the calendar to this file (default: standard output)."))
@secretariat_option
@hub_option
@click.pass_context
def meetings_ics(ctx: click.Context, meeting_id: str | None, out: Path | None,
                 secretariat: bool, hub_url: str) -> None:
    from gulfsec.adapters.files import write_private
    from gulfsec.services.shared.calendar import calendar

    if secretariat:
        if meeting_id is not None:
            raise click.UsageError(_("with --secretariat, the calendar holds every meeting: "
                                     "give no MEETING_ID"))
        client = chair_of(ctx, hub_url)[1]
        # HubClient has no method for this route: its signed request, as its methods make.
        data = bytes(client._request("GET", "/v1/secretariat/meetings.ics",
                                     signed=True).content)
    else:
        node = node_of(ctx)
        now = node.clock.now()
        views = (node.consultations.meetings(now) if meeting_id is None
                 else [node.consultations.meeting(meeting_id, now)])
        data = calendar(views, now)
    if out is None:
        click.echo(data, nl=False)
        return
    write_private(out, data)  # it may name bilateral meetings
    click.echo(_("calendar written to %(path)s") % {"path": out})


# -- mediation ---------------------------------------------------------------------------------


def _echo_mediations(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no mediation in %(party)s's copy of the log") % {"party": party})
    for m in items:
        click.echo(f"{m['id']}  {m['status']}")
        click.echo(_("  requested by %(parties)s; %(mediator)s mediates")
                   % {"parties": ", ".join(m["requested_by"]) or _("nobody now"),
                      "mediator": m["mediator"]})


def _echo_mediation(m: dict[str, Any]) -> None:
    click.echo(f"{m['id']}  {m['status']}")
    click.echo(_("  parties    %(parties)s") % {"parties": ", ".join(m["parties"])})
    click.echo(_("  mediator   %(mediator)s (%(answer)s)")
               % {"mediator": m["mediator"], "answer": m["answer"] or _("no answer")})
    click.echo(_("  requested  %(parties)s")
               % {"parties": ", ".join(m["requested_by"]) or _("by nobody now")})
    click.echo(_("steps:"))
    for step in m["steps"]:
        click.echo(f"  #{step['index']} {step['party']} {step['step']}")
    for proposal in m["proposals"]:
        click.echo(_("proposal %(id)s: %(title)s") % {"id": proposal["entry_id"],
                                                       "title": proposal["title"]})
        for party, response in proposal["responses"].items():
            click.echo(f"  {party:6} {response}")


@click.group("mediation", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Mediate, only when every party asks: without a command, list the mediations this party "
    "takes part in (requested, active, ended, declined), from the node's own verified copy."))
@list_format_option
@click.pass_context
def mediation(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [{k: m.to_json()[k] for k in MEDIATION_KEYS}
             for m in node.consultations.mediations()]
    if fmt == "json":
        emit(items)
        return
    _echo_mediations(items, node.party)


@mediation.command("show", help=_(
    "One mediation ID (its parties, then its mediator: ARE+BHR+QAT+SAU/KWT): who asked, the "
    "mediator's answer, every step and proposal."))
@click.argument("mediation_id", metavar="ID")
@show_format_option
@click.pass_context
def mediation_show(ctx: click.Context, mediation_id: str, fmt: str) -> None:
    node = node_of(ctx)
    found = node.consultations.mediation(mediation_id).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_mediation(found)


@mediation.command("request", help=_(
    "Ask MEDIATOR to mediate the dispute; it becomes active once every party asks and the "
    "mediator accepts. Nobody outside the dispute and the mediator learns of it."))
@click.option("--parties", required=True, metavar="P1,P2,…",
              help=_("Every party to the dispute, this one included, comma-separated."))
@click.option("--mediator", required=True, help=_("The mediator asked (a participant's code)."))
@click.option("--note", help=_("A note with the request."))
@click.pass_context
def mediation_request(ctx: click.Context, parties: str, mediator: str,
                      note: str | None) -> None:
    from gulfsec.api.consultations import request_mediation

    node = node_of(ctx)
    body = {"parties": _codes(parties), "mediator": mediator, "note": note}
    report_sent(node, request_mediation(node, body), _("request for mediation"))


@mediation.command("withdraw", help=_(
    "Withdraw this party's request for mediation ID; an active mediation ends at once."))
@click.argument("mediation_id", metavar="ID")
@click.option("--reason", help=_("Why the request is withdrawn."))
@click.pass_context
def mediation_withdraw(ctx: click.Context, mediation_id: str, reason: str | None) -> None:
    from gulfsec.api.consultations import act_on_mediation
    from gulfsec.domain.forms.mediation import WITHDRAWAL

    node = node_of(ctx)
    signed = act_on_mediation(node, WITHDRAWAL, mediation_id, {"reason": reason})
    report_sent(node, signed, _("withdrawal"))


@mediation.command("answer", help=_(
    "As the mediator: accept or decline to mediate ID."))
@click.argument("mediation_id", metavar="ID")
@click.argument("answer", metavar="accept|decline", type=click.Choice(["accept", "decline"]))
@click.option("--note", help=_("A note with the answer."))
@click.pass_context
def mediation_answer(ctx: click.Context, mediation_id: str, answer: str,
                     note: str | None) -> None:
    from gulfsec.api.consultations import act_on_mediation
    from gulfsec.domain.forms.mediation import ANSWER

    node = node_of(ctx)
    signed = act_on_mediation(node, ANSWER, mediation_id, {"answer": answer, "note": note})
    report_sent(node, signed, _("answer (%(answer)s):") % {"answer": answer})


@mediation.command("propose", help=_(
    "As the mediator of active mediation ID: table a proposal to the parties."))
@click.argument("mediation_id", metavar="ID")
@click.option("--title", required=True, help=_("The proposal's title."))
@text_option
@text_file_option
@attach_option
@click.pass_context
def mediation_propose(ctx: click.Context, mediation_id: str, title: str, text: str | None,
                      text_file: Path | None, attach: tuple[Path, ...]) -> None:
    from gulfsec.api.consultations import act_on_mediation
    from gulfsec.domain.forms.mediation import PROPOSAL

    text_value = text_of(text, text_file)
    node = node_of(ctx)
    body = _when_given({"title": title, "text": text_value,
                        "attachments": _attachments(node, attach)})
    report_sent(node, act_on_mediation(node, PROPOSAL, mediation_id, body), _("proposal"))


@mediation.command("respond", help=_(
    "As a party to the dispute: accept or reject the mediator's proposal PROPOSAL_ID."))
@click.argument("proposal_id")
@click.argument("response", metavar="accept|reject", type=click.Choice(["accept", "reject"]))
@click.option("--note", help=_("A note with the response."))
@click.pass_context
def mediation_respond(ctx: click.Context, proposal_id: str, response: str,
                      note: str | None) -> None:
    from gulfsec.api.consultations import respond_to_proposal

    node = node_of(ctx)
    signed = respond_to_proposal(node, proposal_id, {"response": response, "note": note})
    report_sent(node, signed, _("response (%(response)s):") % {"response": response})
