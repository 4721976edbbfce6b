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

EVENTS: tuple[str, ...] = tuple(EVENT_WORDS)
"""What may have happened (``incident-report@1``'s events)."""
UNIT_KINDS: tuple[str, ...] = get_args(UnitKind)
ACTIVITY_TYPES: tuple[str, ...] = get_args(ActivityType)
MEETINGS = ("bilateral", "all")
MEETING_WORDS = {"bilateral": "request for a bilateral meeting",
                 "all": "request for a meeting of all participants"}


# -- reading what was typed ----------------------------------------------------------------------


def _need(value: Any, option: str) -> Any:
    if value is None or value == () or value == "":
        raise ConfigError(f"{option} is required")
    return value


def _degrees(option: str, value: str | None, limit: float) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ConfigError(f"{option} {value!r}: give decimal degrees from {-limit:g} to "
                          f"{limit:g}")
    return number


def _kilometres(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not 0 < number <= 2000:
        raise ConfigError(f"--radius-km {value!r}: give kilometres, more than 0 and at most "
                          "2000")
    return number


def _whole(option: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ConfigError(f"{option} {value!r}: give a whole number")
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
        raise ConfigError(f"--event {unknown[0]!r}: one of {', '.join(EVENTS)}")
    return list(dict.fromkeys(values))


def parse_unit(text: str) -> dict[str, str]:
    """``PARTY:KIND[:NAME[:HULL]]`` as a unit (``USA:ship:USS Example:DDG-0``); an aircraft's
    type may follow as a fifth part."""
    parts = [p.strip() for p in text.split(":")]
    if len(parts) < 2 or len(parts) > 5 or not parts[0] or not parts[1]:
        raise ConfigError(f"--unit {text!r}: write PARTY:KIND[:NAME[:HULL]], like "
                          "USA:ship:USS Example:DDG-0")
    if parts[1] not in UNIT_KINDS:
        raise ConfigError(f"--unit {text!r}: the kind is one of {', '.join(UNIT_KINDS)}")
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
                                  help="A table to read, or JSON (a list of objects).")
show_format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                                  default="json", show_default=True,
                                  help="As JSON, or laid out to read.")


def _where(body: dict[str, Any]) -> str:
    position = body.get("position")
    words = [] if not position else [f"{position['lat']:.2f}, {position['lon']:.2f}"]
    if body.get("area_name"):
        words.append(str(body["area_name"]))
    return " · ".join(words) or "position not stated"


# -- incidents -----------------------------------------------------------------------------------


def _echo_incidents(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(f"no incident reports in {party}'s copy of the log")
    for i in items:
        responses = len(i["responses"])
        cpa = "" if i["cpa_metres"] is None else f" · closest approach {i['cpa_metres']} m"
        click.echo(i["id"])
        click.echo(f"  {i['occurred_at']} · {i['reporter']} reports, with {i['other_party']} · "
                   f"{', '.join(i['events'] or [])}")
        click.echo(f"  {_where(i)}{cpa} · {responses} response{'' if responses == 1 else 's'}")


def _echo_incident(i: dict[str, Any]) -> None:
    click.echo(f"incident {i['id']} (log #{i['index']}, reported {i['reported_at']})")
    click.echo(f"  {i['reporter']} reports, with {i['other_party']}, at {i['occurred_at']}")
    click.echo(f"  where:      {_where(i)}")
    click.echo(f"  events:     {', '.join(i['events'] or [])}")
    if i["cpa_metres"] is not None:
        click.echo(f"  closest:    {i['cpa_metres']} m")
    for unit in i["units"] or []:
        extra = ", ".join(str(unit[k]) for k in ("name", "hull_number", "aircraft_type")
                          if unit.get(k))
        click.echo(f"  unit:       {unit['party']} {unit['kind']}{' ' + extra if extra else ''}")
    click.echo(f"  casualties: {i['casualties']}")
    for line in str(i["account"]).splitlines():
        click.echo(f"  | {line}")
    for response in i["responses"]:
        click.echo("")
        click.echo(f"response #{response['index']} by {response['party']}, "
                   f"{response['sequenced_at']}"
                   f"{'' if response['final_at'] is None else ', final ' + response['final_at']}")
        if response["disputed"]:
            click.echo(f"  disputed: {response['disputed']}")
        for line in str(response["account"]).splitlines():
            click.echo(f"  | {line}")
    if not i["responses"]:
        click.echo(f"no response from {i['other_party']} yet")


@click.group("incidents", cls=GulfsecGroup, invoke_without_command=True)
@list_format_option
@click.pass_context
def incidents(ctx: click.Context, fmt: str) -> None:
    """Hazardous incidents: without a command, list those in the node's own verified copy,
    the most recent report first, each with the other party's responses."""
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [i.to_json() for i in node.risk.incidents()]
    if fmt == "json":
        emit(items)
        return
    _echo_incidents(items, node.party)


@incidents.command("show")
@click.argument("report_id")
@show_format_option
@click.pass_context
def incidents_show(ctx: click.Context, report_id: str, fmt: str) -> None:
    """One incident REPORT_ID: the report and the other party's responses."""
    found = node_of(ctx).risk.incident(report_id.lower()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_incident(found)


@incidents.command("report")
@click.option("--other-party", help="The other party involved (required): the report goes to it.")
@click.option("--at", "occurred_at", metavar="TIME",
              help="When it happened, UTC, like 2027-01-31T12:00:00Z (required).")
@click.option("--lat", metavar="DEGREES", help="Latitude, decimal degrees north (required).")
@click.option("--lon", metavar="DEGREES", help="Longitude, decimal degrees east (required).")
@click.option("--area-name", help="A name the parties know the place by.")
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help=f"What happened (repeat for more; at least one): {', '.join(EVENTS)}.")
@click.option("--unit", "units", multiple=True, metavar="PARTY:KIND[:NAME[:HULL]]",
              help="A unit involved (repeat for more; at least one), like "
                   "USA:ship:USS Example:DDG-0; the kind is one of "
                   f"{', '.join(UNIT_KINDS)}.")
@click.option("--cpa", metavar="METRES", help="The closest point of approach, in metres.")
@click.option("--signals", help="Signals exchanged.")
@click.option("--damage", help="Damage done.")
@click.option("--casualties", metavar="N", help="How many were killed or hurt (default 0).")
@click.option("--account", help="What happened, as this party saw it (required).")
@click.option("--to", "to", metavar="P1,P2", help="Others the report also goes to.")
@click.pass_context
def incidents_report(ctx: click.Context, other_party: str | None, occurred_at: str | None,
                     lat: str | None, lon: str | None, area_name: str | None,
                     events: tuple[str, ...], units: tuple[str, ...], cpa: str | None,
                     signals: str | None, damage: str | None, casualties: str | None,
                     account: str | None, to: str | None) -> None:
    """Report a hazardous incident to the other party involved, signed as the party's next
    entry and sent."""
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
    report_sent(node, report_incident(node, _given(body)), "incident report")


@incidents.command("respond")
@click.argument("report_id")
@click.option("--account", help="What happened, as this party saw it (required).")
@click.option("--disputed", help="What in the report this party disputes.")
@click.option("--cpa", metavar="METRES", help="The closest point of approach as it saw it.")
@click.option("--lat", metavar="DEGREES", help="Latitude as it saw it (with --lon).")
@click.option("--lon", metavar="DEGREES", help="Longitude as it saw it (with --lat).")
@click.option("--event", "events", multiple=True, metavar="EVENT",
              help="What happened, as it saw it (repeat for more).")
@click.option("--signals", help="Signals exchanged.")
@click.option("--damage", help="Damage done.")
@click.option("--casualties", metavar="N", help="How many were killed or hurt.")
@click.pass_context
def incidents_respond(ctx: click.Context, report_id: str, account: str | None,
                      disputed: str | None, cpa: str | None, lat: str | None, lon: str | None,
                      events: tuple[str, ...], signals: str | None, damage: str | None,
                      casualties: str | None) -> None:
    """As the other party involved, respond to incident REPORT_ID with this party's own
    account, to everyone the report went to."""
    from gulfsec.api.risk import respond_to_incident

    body = {"account": _need(account, "--account"), "disputed": disputed,
            "cpa_metres": _whole("--cpa", cpa),
            "position": _position(lat, lon, required=False),
            "events": _events(events) or None, "signals": signals, "damage": damage,
            "casualties": _whole("--casualties", casualties)}
    node = node_of(ctx)
    report_sent(node, respond_to_incident(node, report_id.lower(), _given(body)), "response")


# -- unusual military activity -------------------------------------------------------------------


def _area(case: dict[str, Any]) -> str:
    area = case.get("area")
    words = []
    if isinstance(area, dict) and area.get("kind") == "circle":
        centre = area["centre"]
        words.append(f"within {area['radius_km']:g} km of {centre['lat']:.2f}, "
                     f"{centre['lon']:.2f}")
    elif isinstance(area, dict):
        words.append(f"a polygon of {len(area['points']) - 1} corners")
    if case.get("area_name"):
        words.append(str(case["area_name"]))
    return " · ".join(words)


def _echo_cases(items: list[dict[str, Any]], party: str) -> None:
    if not items:
        click.echo(f"no requests on unusual military activity in {party}'s copy of the log")
    for c in items:
        click.echo(c["id"])
        click.echo(f"  {c['requester']} asks {c['addressee']} · {c['activity_type']} · "
                   f"{c['stage']}")
        click.echo(f"  {_area(c)} · observed from {c['observed_from']}")


def _echo_case(c: dict[str, Any]) -> None:
    click.echo(f"request {c['id']} (log #{c['index']}): {c['requester']} asks "
               f"{c['addressee']} about unusual {c['activity_type']} activity")
    click.echo(f"  where:    {_area(c)}")
    click.echo(f"  observed: from {c['observed_from']}")
    click.echo(f"  concern:  {c['concern']}")
    click.echo(f"  stage:    {c['stage']}")
    for step in c["timeline"]:
        final = "not final yet" if step["final_at"] is None else f"final {step['final_at']}"
        click.echo(f"  #{step['index']} {step['party']} {step['step']}, {step['sequenced_at']}, "
                   f"{final}")


@click.group("unusual", cls=GulfsecGroup, invoke_without_command=True)
@list_format_option
@click.pass_context
def unusual(ctx: click.Context, fmt: str) -> None:
    """Unusual military activity: without a command, list the requests for an explanation in
    the node's own verified copy, the most recently moved first, each with its stage."""
    if ctx.invoked_subcommand is not None:
        return
    node = node_of(ctx)
    items = [c.to_json() for c in node.risk.unusual()]
    if fmt == "json":
        emit(items)
        return
    _echo_cases(items, node.party)


@unusual.command("show")
@click.argument("case_id")
@show_format_option
@click.pass_context
def unusual_show(ctx: click.Context, case_id: str, fmt: str) -> None:
    """One request CASE_ID, with its timeline: the reply, the meetings asked for and
    convened."""
    found = node_of(ctx).risk.unusual_case(case_id.lower()).to_json()
    if fmt == "json":
        emit(found)
        return
    _echo_case(found)


@unusual.command("request")
@click.option("--addressee", help="The participant asked to explain (required).")
@click.option("--type", "activity_type", metavar="TYPE",
              help=f"The activity (required): {', '.join(ACTIVITY_TYPES)}.")
@click.option("--description", help="What was observed (required).")
@click.option("--area-name", help="The area, by name (or give --lat, --lon and --radius-km).")
@click.option("--lat", metavar="DEGREES", help="The area's centre: latitude.")
@click.option("--lon", metavar="DEGREES", help="The area's centre: longitude.")
@click.option("--radius-km", metavar="KM", help="The area's radius in kilometres.")
@click.option("--from", "observed_from", metavar="TIME",
              help="Observed from, UTC, like 2027-01-31T12:00:00Z (required).")
@click.option("--until", "observed_until", metavar="TIME", help="Observed until, UTC.")
@click.option("--concern", help="What causes concern (required).")
@click.pass_context
def unusual_request(ctx: click.Context, addressee: str | None, activity_type: str | None,
                    description: str | None, area_name: str | None, lat: str | None,
                    lon: str | None, radius_km: str | None, observed_from: str | None,
                    observed_until: str | None, concern: str | None) -> None:
    """Ask a participant to explain an unusual military activity; the request goes to all
    participants."""
    from gulfsec.api.risk import request_explanation

    kind = _need(activity_type, "--type")
    if kind not in ACTIVITY_TYPES:
        raise ConfigError(f"--type {kind!r}: one of {', '.join(ACTIVITY_TYPES)}")
    area = None
    if lat is not None or lon is not None or radius_km is not None:
        radius = _kilometres(str(_need(radius_km, "--radius-km")))
        area = {"kind": "circle", "centre": _position(lat, lon, required=True),
                "radius_km": radius}
    elif area_name is None:
        raise ConfigError("give the area: --area-name, or --lat, --lon and --radius-km")
    body = {"addressee": str(_need(addressee, "--addressee")).upper(), "activity_type": kind,
            "description": _need(description, "--description"), "area": area,
            "area_name": area_name,
            "observed_from": utc_value("--from", _need(observed_from, "--from")),
            "observed_until": utc_value("--until", observed_until),
            "concern": _need(concern, "--concern")}
    node = node_of(ctx)
    report_sent(node, request_explanation(node, _given(body)), "request")


@unusual.command("reply")
@click.argument("case_id")
@click.option("--explanation", help="The explanation (required).")
@click.pass_context
def unusual_reply(ctx: click.Context, case_id: str, explanation: str | None) -> None:
    """As the participant asked, explain the activity of request CASE_ID, to all
    participants."""
    from gulfsec.api.risk import act_on_case
    from gulfsec.domain.forms.risk import UNUSUAL_REPLY

    body = {"explanation": _need(explanation, "--explanation")}
    node = node_of(ctx)
    report_sent(node, act_on_case(node, UNUSUAL_REPLY, case_id.lower(), body), "reply")


@unusual.command("meeting")
@click.argument("case_id")
@click.argument("meeting", metavar="bilateral|all")
@click.option("--reason", help="Why the meeting is asked for.")
@click.pass_context
def unusual_meeting(ctx: click.Context, case_id: str, meeting: str,
                    reason: str | None) -> None:
    """As the requester, ask for a bilateral meeting with the participant asked, or for a
    meeting of all participants, on request CASE_ID."""
    from gulfsec.api.risk import act_on_case
    from gulfsec.domain.forms.risk import UNUSUAL_MEETING

    if meeting not in MEETINGS:
        raise ConfigError(f"{meeting!r}: ask for a bilateral meeting or one of all (all)")
    node = node_of(ctx)
    report_sent(node, act_on_case(node, UNUSUAL_MEETING, case_id.lower(),
                                  _given({"meeting": meeting, "reason": reason})),
                MEETING_WORDS[meeting])
