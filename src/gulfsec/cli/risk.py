"""``gulfsec incidents`` and ``gulfsec unusual``: reducing risk.

A participant reads and acts from its own node (run where the node's data directory is): the
hazardous incidents and the requests on unusual military activity it holds, computed from the
node's verified copy of the log (as of its last sync). Every step signs the party's next entry,
addressed as the procedure requires — a report to the other party involved (and ``--to``), a
response to everyone the report went to, every step on unusual activity to all participants —
and sends it; a step by someone the procedure does not name is refused before it is signed.
Every mistake ends as one line on standard error and exit status 1.
"""

from __future__ import annotations

import math
from typing import Any, get_args

import click

from gulfsec.cli.common import GulfsecGroup, emit, utc_value
from gulfsec.cli.decisions import node_of, report_sent
from gulfsec.domain.forms.risk import EVENT_WORDS, ActivityType, UnitKind
from gulfsec.errors import ConfigError
from gulfsec.i18n import N_, _, ngettext

EVENTS: tuple[str, ...] = tuple(EVENT_WORDS)
"""What may have happened (``incident-report@1``'s events)."""
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
ACTIVITY_TYPES: tuple[str, ...] = get_args(ActivityType)
MEETINGS = ("bilateral", "all")
MEETING_WORDS = {"bilateral": N_("request for a bilateral meeting"),
                 "all": N_("request for a meeting of all participants")}


# -- reading what was typed ----------------------------------------------------------------------


def _need(value: Any, option: str) -> Any:
    if value is None or value == () or value == "":
        raise ConfigError(_("%(option)s is required") % {"option": option})
    return value


def _degrees(option: str, value: str | None, limit: float) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ConfigError(_("%(option)s %(value)s: give decimal degrees from %(low)s to "
                            "%(high)s") % {"option": option, "value": repr(value),
                                           "low": f"{-limit:g}", "high": f"{limit:g}"})
    return number


def _kilometres(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not 0 < number <= 2000:
        raise ConfigError(_("--radius-km %(value)s: give kilometres, more than 0 and at most "
                            "2000") % {"value": repr(value)})
    return number


def _whole(option: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ConfigError(_("%(option)s %(value)s: give a whole number")
                          % {"option": option, "value": repr(value)})
    return int(value)


def _position(lat: str | None, lon: str | None, *, required: bool) -> dict[str, float] | None:
    if lat is None and lon is None and not required:
        return None
    found_lat = _degrees("--lat", _need(lat, "--lat"), 90)
    found_lon = _degrees("--lon", _need(lon, "--lon"), 180)
    assert found_lat is not None and found_lon is not None
    return {"lat": found_lat, "lon": found_lon}


def _events(values: tuple[str, ...]) -> list[str]:
    unknown = [v for v in values if v not in EVENTS]
    if unknown:
        raise ConfigError(_("--event %(value)s: one of %(choices)s")
                          % {"value": repr(unknown[0]), "choices": ", ".join(EVENTS)})
    return list(dict.fromkeys(values))


def parse_unit(text: str) -> dict[str, str]:
    """``PARTY:KIND[:NAME[:HULL]]`` as a unit (``USA:ship:USS Example:DDG-0``); an aircraft's
    type may follow as a fifth part."""
    parts = [p.strip() for p in text.split(":")]
    if len(parts) < 2 or len(parts) > 5 or not parts[0] or not parts[1]:
        raise ConfigError(_("--unit %(value)s: write PARTY:KIND[:NAME[:HULL]], like "
                            "USA:ship:USS Example:DDG-0") % {"value": repr(text)})
    if parts[1] not in UNIT_KINDS:
        raise ConfigError(_("--unit %(value)s: the kind is one of %(choices)s")
                          % {"value": repr(text), "choices": ", ".join(UNIT_KINDS)})
    unit = {"party": parts[0].upper(), "kind": parts[1]}
    for name, value in zip(("name", "hull_number", "aircraft_type"), parts[2:], strict=False):
        if value:
            unit[name] = value
    return unit


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip().upper() for code in value.split(",") if code.strip()]


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None and v != [] and v != ()}


list_format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                                  default="table", show_default=True,
                                  help=_("A table to read, or JSON (a list of objects)."))
show_format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                                  default="json", show_default=True,
                                  help=_("As JSON, or laid out to read."))


def _where(body: dict[str, Any]) -> str:
    position = body.get("position")
    words = [] if not position else [f"{position['lat']:.2f}, {position['lon']:.2f}"]
    if body.get("area_name"):
        words.append(str(body["area_name"]))
    return " · ".join(words) or _("position not stated")


# -- incidents -----------------------------------------------------------------------------------


def _echo_incidents(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no incident reports in %(party)s's copy of the log") % {"party": party})
    for i in items:
        responses = len(i["responses"])
        cpa = ("" if i["cpa_metres"] is None
               else " · " + _("closest approach %(metres)s m") % {"metres": i["cpa_metres"]})
        click.echo(i["id"])
        click.echo(_("  %(at)s · %(reporter)s reports, with %(other)s · %(events)s")
                   % {"at": i["occurred_at"], "reporter": i["reporter"],
                      "other": i["other_party"], "events": ", ".join(i["events"] or [])})
        click.echo(f"  {_where(i)}{cpa} · "
                   + ngettext("%(count)d response", "%(count)d responses", responses)
                   % {"count": responses})


def _echo_incident(i: dict[str, Any]) -> None:
    click.echo(_("incident %(id)s (log #%(index)s, reported %(at)s)")
               % {"id": i["id"], "index": i["index"], "at": i["reported_at"]})
    click.echo(_("  %(reporter)s reports, with %(other)s, at %(at)s")
               % {"reporter": i["reporter"], "other": i["other_party"], "at": i["occurred_at"]})
    click.echo(_("  where:      %(where)s") % {"where": _where(i)})
    click.echo(_("  events:     %(events)s") % {"events": ", ".join(i["events"] or [])})
    if i["cpa_metres"] is not None:
        click.echo(_("  closest:    %(metres)s m") % {"metres": i["cpa_metres"]})
    for unit in i["units"] or []:
        extra = ", ".join(str(unit[k]) for k in ("name", "hull_number", "aircraft_type")
                          if unit.get(k))
        click.echo(_("  unit:       %(unit)s")
                   % {"unit": f"{unit['party']} {unit['kind']}{' ' + extra if extra else ''}"})
    click.echo(_("  casualties: %(count)s") % {"count": i["casualties"]})
    for line in str(i["account"]).splitlines():
        click.echo(f"  | {line}")
    for response in i["responses"]:
        click.echo("")
        click.echo(_("response #%(index)s by %(party)s, %(at)s")
                   % {"index": response["index"], "party": response["party"],
                      "at": response["sequenced_at"]}
                   + ("" if response["final_at"] is None
                      else ", " + _("final %(at)s") % {"at": response["final_at"]}))
        if response["disputed"]:
            click.echo(_("  disputed: %(what)s") % {"what": response["disputed"]})
        for line in str(response["account"]).splitlines():
            click.echo(f"  | {line}")
    if not i["responses"]:
        click.echo(_("no response from %(party)s yet") % {"party": i["other_party"]})


@click.group("incidents", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Hazardous incidents: without a command, list those in the node's own verified copy, the "
    "most recent report first, each with the other party's responses."))
@list_format_option
@click.pass_context
def incidents(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [i.to_json() for i in node.risk.incidents()]
    if fmt == "json":
        emit(items)
        return
    _echo_incidents(items, node.party)


@incidents.command("show", help=_(
    "One incident REPORT_ID: the report and the other party's responses."))
@click.argument("report_id")
@show_format_option
@click.pass_context
def incidents_show(ctx: click.Context, report_id: str, fmt: str) -> None:
    found = node_of(ctx).risk.incident(report_id.lower()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_incident(found)


@incidents.command("report", help=_(
    "Report a hazardous incident to the other party involved, signed as the party's next entry "
    "and sent."))
@click.option("--other-party",
              help=_("The other party involved (required): the report goes to it."))
@click.option("--at", "occurred_at", metavar="TIME",
              help=_("When it happened, UTC, like 2027-01-31T12:00:00Z (required)."))
@click.option("--lat", metavar="DEGREES", help=_("Latitude, decimal degrees north (required)."))
@click.option("--lon", metavar="DEGREES", help=_("Longitude, decimal degrees east (required)."))
@click.option("--area-name", help=_("A name the parties know the place by."))
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help=_("What happened (repeat for more; at least one): %(events)s.")
              % {"events": ", ".join(EVENTS)})
@click.option("--unit", "units", multiple=True, metavar="PARTY:KIND[:NAME[:HULL]]",
              help=_("A unit involved (repeat for more; at least one), like "
                     "USA:ship:USS Example:DDG-0; the kind is one of %(kinds)s.")
              % {"kinds": ", ".join(UNIT_KINDS)})
@click.option("--cpa", metavar="METRES", help=_("The closest point of approach, in metres."))
@click.option("--signals", help=_("Signals exchanged."))
@click.option("--damage", help=_("Damage done."))
@click.option("--casualties", metavar="N", help=_("How many were killed or hurt (default 0)."))
@click.option("--account", help=_("What happened, as this party saw it (required)."))
@click.option("--to", "to", metavar="P1,P2", help=_("Others the report also goes to."))
@click.pass_context
def incidents_report(ctx: click.Context, other_party: str | None, occurred_at: str | None,
                     lat: str | None, lon: str | None, area_name: str | None,
                     events: tuple[str, ...], units: tuple[str, ...], cpa: str | None,
                     signals: str | None, damage: str | None, casualties: str | None,
                     account: str | None, to: str | None) -> None:
    from gulfsec.api.risk import report_incident

    body = {"other_party": str(_need(other_party, "--other-party")).upper(),
            "occurred_at": utc_value("--at", _need(occurred_at, "--at")),
            "position": _position(lat, lon, required=True), "area_name": area_name,
            "events": _events(_need(events, "--event")),
            "units": [parse_unit(u) for u in _need(units, "--unit")],
            "cpa_metres": _whole("--cpa", cpa), "signals": signals, "damage": damage,
            "casualties": _whole("--casualties", casualties),
            "account": _need(account, "--account"), "to": _codes(to)}
    node = node_of(ctx)
    report_sent(node, report_incident(node, _given(body)), _("incident report"))


@incidents.command("respond", help=_(
    "As the other party involved, respond to incident REPORT_ID with this party's own account, "
    "to everyone the report went to."))
@click.argument("report_id")
@click.option("--account", help=_("What happened, as this party saw it (required)."))
@click.option("--disputed", help=_("What in the report this party disputes."))
@click.option("--cpa", metavar="METRES", help=_("The closest point of approach as it saw it."))
@click.option("--lat", metavar="DEGREES", help=_("Latitude as it saw it (with --lon)."))
@click.option("--lon", metavar="DEGREES", help=_("Longitude as it saw it (with --lat)."))
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help=_("What happened, as it saw it (repeat for more)."))
@click.option("--signals", help=_("Signals exchanged."))
@click.option("--damage", help=_("Damage done."))
@click.option("--casualties", metavar="N", help=_("How many were killed or hurt."))
@click.pass_context
def incidents_respond(ctx: click.Context, report_id: str, account: str | None,
                      disputed: str | None, cpa: str | None, lat: str | None, lon: str | None,
                      events: tuple[str, ...], signals: str | None, damage: str | None,
                      casualties: str | None) -> None:
    from gulfsec.api.risk import respond_to_incident

    body = {"account": _need(account, "--account"), "disputed": disputed,
            "cpa_metres": _whole("--cpa", cpa),
            "position": _position(lat, lon, required=False),
            "events": _events(events) or None, "signals": signals, "damage": damage,
            "casualties": _whole("--casualties", casualties)}
    node = node_of(ctx)
    report_sent(node, respond_to_incident(node, report_id.lower(), _given(body)),
                _("response"))


# -- unusual military activity -------------------------------------------------------------------


def _area(case: dict[str, Any]) -> str:
    area = case.get("area")
    words = []
    if isinstance(area, dict) and area.get("kind") == "circle":
        centre = area["centre"]
        words.append(_("within %(radius)s km of %(lat)s, %(lon)s")
                     % {"radius": f"{area['radius_km']:g}", "lat": f"{centre['lat']:.2f}",
                        "lon": f"{centre['lon']:.2f}"})
    elif isinstance(area, dict):
        corners = len(area["points"]) - 1
        words.append(ngettext("a polygon of %(count)d corners", "a polygon of %(count)d corners",
                              corners) % {"count": corners})
    if case.get("area_name"):
        words.append(str(case["area_name"]))
    return " · ".join(words)


def _echo_cases(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(_("no requests on unusual military activity in %(party)s's copy of the log")
                   % {"party": party})
    for c in items:
        click.echo(c["id"])
        click.echo(_("  %(requester)s asks %(addressee)s · %(type)s · %(stage)s")
                   % {"requester": c["requester"], "addressee": c["addressee"],
                      "type": c["activity_type"], "stage": c["stage"]})
        click.echo(_("  %(area)s · observed from %(at)s")
                   % {"area": _area(c), "at": c["observed_from"]})


def _echo_case(c: dict[str, Any]) -> None:
    click.echo(_("request %(id)s (log #%(index)s): %(requester)s asks %(addressee)s about "
                 "unusual %(type)s activity")
               % {"id": c["id"], "index": c["index"], "requester": c["requester"],
                  "addressee": c["addressee"], "type": c["activity_type"]})
    click.echo(_("  where:    %(area)s") % {"area": _area(c)})
    click.echo(_("  observed: from %(at)s") % {"at": c["observed_from"]})
    click.echo(_("  concern:  %(concern)s") % {"concern": c["concern"]})
    click.echo(_("  stage:    %(stage)s") % {"stage": c["stage"]})
    for step in c["timeline"]:
        final = (_("not final yet") if step["final_at"] is None
                 else _("final %(at)s") % {"at": step["final_at"]})
        click.echo(f"  #{step['index']} {step['party']} {step['step']}, {step['sequenced_at']}, "
                   f"{final}")


@click.group("unusual", cls=GulfsecGroup, invoke_without_command=True, help=_(
    "Unusual military activity: without a command, list the requests for an explanation in the "
    "node's own verified copy, the most recently moved first, each with its stage."))
@list_format_option
@click.pass_context
def unusual(ctx: click.Context, fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [c.to_json() for c in node.risk.unusual()]
    if fmt == "json":
        emit(items)
        return
    _echo_cases(items, node.party)


@unusual.command("show", help=_(
    "One request CASE_ID, with its timeline: the reply, the meetings asked for and convened."))
@click.argument("case_id")
@show_format_option
@click.pass_context
def unusual_show(ctx: click.Context, case_id: str, fmt: str) -> None:
    found = node_of(ctx).risk.unusual_case(case_id.lower()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_case(found)


@unusual.command("request", help=_(
    "Ask a participant to explain an unusual military activity; the request goes to all "
    "participants."))
@click.option("--addressee", help=_("The participant asked to explain (required)."))
@click.option("--type", "activity_type", metavar="TYPE",
              help=_("The activity (required): %(types)s.")
              % {"types": ", ".join(ACTIVITY_TYPES)})
@click.option("--description", help=_("What was observed (required)."))
@click.option("--area-name", help=_("The area, by name (or give --lat, --lon and --radius-km)."))
@click.option("--lat", metavar="DEGREES", help=_("The area's centre: latitude."))
@click.option("--lon", metavar="DEGREES", help=_("The area's centre: longitude."))
@click.option("--radius-km", metavar="KM", help=_("The area's radius in kilometres."))
@click.option("--from", "observed_from", metavar="TIME",
              help=_("Observed from, UTC, like 2027-01-31T12:00:00Z (required)."))
@click.option("--until", "observed_until", metavar="TIME", help=_("Observed until, UTC."))
@click.option("--concern", help=_("What causes concern (required)."))
@click.pass_context
def unusual_request(ctx: click.Context, addressee: str | None, activity_type: str | None,
                    description: str | None, area_name: str | None, lat: str | None,
                    lon: str | None, radius_km: str | None, observed_from: str | None,
                    observed_until: str | None, concern: str | None) -> None:
    from gulfsec.api.risk import request_explanation

    kind = _need(activity_type, "--type")
    if kind not in ACTIVITY_TYPES:
        raise ConfigError(_("--type %(value)s: one of %(choices)s")
                          % {"value": repr(kind), "choices": ", ".join(ACTIVITY_TYPES)})
    area = None
    if lat is not None or lon is not None or radius_km is not None:
        radius = _kilometres(str(_need(radius_km, "--radius-km")))
        area = {"kind": "circle", "centre": _position(lat, lon, required=True),
                "radius_km": radius}
    elif area_name is None:
        raise ConfigError(_("give the area: --area-name, or --lat, --lon and --radius-km"))
    body = {"addressee": str(_need(addressee, "--addressee")).upper(), "activity_type": kind,
            "description": _need(description, "--description"), "area": area,
            "area_name": area_name,
            "observed_from": utc_value("--from", _need(observed_from, "--from")),
            "observed_until": utc_value("--until", observed_until),
            "concern": _need(concern, "--concern")}
    node = node_of(ctx)
    report_sent(node, request_explanation(node, _given(body)), _("request"))


@unusual.command("reply", help=_(
    "As the participant asked, explain the activity of request CASE_ID, to all participants."))
@click.argument("case_id")
@click.option("--explanation", help=_("The explanation (required)."))
@click.pass_context
def unusual_reply(ctx: click.Context, case_id: str, explanation: str | None) -> None:
    from gulfsec.api.risk import act_on_case
    from gulfsec.domain.forms.risk import UNUSUAL_REPLY

    body = {"explanation": _need(explanation, "--explanation")}
    node = node_of(ctx)
    report_sent(node, act_on_case(node, UNUSUAL_REPLY, case_id.lower(), body), _("reply"))


@unusual.command("meeting", help=_(
    "As the requester, ask for a bilateral meeting with the participant asked, or for a meeting "
    "of all participants, on request CASE_ID."))
@click.argument("case_id")
@click.argument("meeting", metavar="bilateral|all")
@click.option("--reason", help=_("Why the meeting is asked for."))
@click.pass_context
def unusual_meeting(ctx: click.Context, case_id: str, meeting: str,
                    reason: str | None) -> None:
    from gulfsec.api.risk import act_on_case
    from gulfsec.domain.forms.risk import UNUSUAL_MEETING

    if meeting not in MEETINGS:
        raise ConfigError(_("%(value)s: ask for a bilateral meeting or one of all (all)")
                          % {"value": repr(meeting)})
    node = node_of(ctx)
    report_sent(node, act_on_case(node, UNUSUAL_MEETING, case_id.lower(),
                                  _given({"meeting": meeting, "reason": reason})),
                _(MEETING_WORDS[meeting]))
