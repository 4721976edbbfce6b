"""What the risk-reduction pages of a node and of the hub share: an incident, a case of unusual
military activity, their deadlines and the map, as a page shows them.

A node computes its cases and incidents from its own verified copy (``node.risk``), the hub
from its log as one viewer may read it (``HubSite.risk``); both give the domain's values
(:mod:`gulfsec.domain.procedures.risk`). The functions here turn them into what the templates
need — the report and each response side by side, field by field (:func:`incident_shown`); a
case's timeline (:func:`case_shown`); each deadline in words, met, late or missing as the
compliance rules judge it from the same records (:func:`deadlines`); the map with every
incident, every area asked about and every notified activity (:func:`risk_map`). Nothing here
decides anything: the rules are the domain's, and deadlines are the compliance engine's
findings (judged by finality, never by the sender's clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from gulfsec.domain.compliance import Finding, LogRecord
from gulfsec.domain.encoding import parse_time
from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.procedures.risk import Incident, Step, UnusualCase
from gulfsec.i18n import N_, _, format_day, format_number
from gulfsec.web.formats import finding_words, list_words
from gulfsec.web.map import Feature, GulfMap, area_words, degrees, draw
from gulfsec.web.site import when
from gulfsec.web.terms import EVENT_TERMS, term

STAGE_WORDS: Final[Mapping[str, str]] = {
    "awaiting-reply": N_("awaiting the reply"),
    "replied": N_("replied"),
    "bilateral-requested": N_("bilateral meeting asked for"),
    "bilateral-convened": N_("bilateral meeting convened"),
    "all-requested": N_("meeting of all participants asked for"),
    "all-convened": N_("meeting of all participants convened"),
}
STAGE_BADGES: Final[Mapping[str, str]] = {
    "awaiting-reply": "state-pending",
    "replied": "state-final",
    "bilateral-requested": "state-pending",
    "bilateral-convened": "state-final",
    "all-requested": "state-pending",
    "all-convened": "state-final",
}
"""The badge class of each stage (the pages' colours: amber while something is owed)."""
STEP_WORDS: Final[Mapping[str, str]] = {
    "request": N_("asks for an explanation"),
    "reply": N_("replies"),
    "bilateral-requested": N_("asks for a bilateral meeting"),
    "all-requested": N_("asks for a meeting of all participants"),
    "bilateral-convened": N_("convenes the bilateral meeting"),
    "all-convened": N_("convenes a meeting of all participants"),
    "report": N_("reports the incident"),
    "response": N_("responds"),
    "meeting": N_("convenes a meeting on it"),
}
ACTIVITY_TYPES: Final[tuple[str, ...]] = ("land", "naval", "air", "missile", "other")
UNIT_KINDS: Final[tuple[str, ...]] = ("ship", "submarine", "boat", "aircraft", "drone", "other")
EVENTS: Final[Mapping[str, str]] = EVENT_TERMS
"""Each event of the incidents-at-sea practice, in words (the form's own)."""
STATUS_WORDS: Final[Mapping[str, str]] = {
    "met": N_("met"),
    "late": N_("late"),
    "missing": N_("missing"),
    "pending": N_("pending"),
    "breached": N_("breached"),
}
RISK_RULES: Final = frozenset({"incident-report", "incident-response",
                               "unusual-activity-reply", "unusual-activity-meeting"})
"""The compliance rules that judge the deadlines of risk reduction."""


def moment_words(text: object) -> str:
    """A time as the forms write it (RFC 3339, UTC) as a person reads it, in the language in
    force and as the ``when`` filter writes every time: ``23 Nov 2026 09:30:00 UTC``,
    ``٢٣ نوفمبر ٢٠٢٦ ٠٩:٣٠:٠٠ UTC``; as given when it is not one."""
    try:
        moment = parse_time(str(text))
    except ValueError:
        return str(text)
    return when(moment)


def day_words(text: object) -> str:
    """A calendar day as the forms write it (``2026-12-10``) as the ``day`` filter writes one
    in the language in force (``10 Dec 2026``); as given when it is not one."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return format_day(day)


def when_final(step: Step) -> str:
    """When a step became final, in words: the time that counts for its deadline."""
    if step.final_at is None:
        return _("not final yet")
    return _("final at %(at)s") % {"at": when(step.final_at)}


# -- deadlines -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """One deadline of a case or an incident, as the compliance rules judge it."""

    rule: str
    what: str
    party: str
    due: datetime | None
    status: str
    detail: str
    evidence: tuple[str, ...]

    @property
    def status_words(self) -> str:
        return _(STATUS_WORDS.get(self.status, self.status))

    @property
    def badge(self) -> str:
        return f"finding-{self.status}"

    @property
    def due_words(self) -> str:
        """`` due by 25 Nov 2026 12:00:00 UTC``, or why there is no deadline yet."""
        if self.due is None:
            return ": " + _("its deadline runs once the step that starts it is final")
        return " " + _("due by %(at)s") % {"at": when(self.due)}

    @property
    def sentence(self) -> str:
        """``Reply by IRN due by 25 Nov 2026 12:00:00 UTC — met (log #12 final …).``"""
        return (f"{self.what}{self.due_words} — {self.status_words} "
                f"({finding_words(self.detail)}).")


def _meeting_kind(finding: Finding, case: UnusualCase | None) -> str:
    """``bilateral`` or ``all``: which meeting an unusual-activity-meeting finding is about."""
    if case is not None and len(finding.evidence) > 1:
        for step in case.timeline:
            if step.entry_id == finding.evidence[1]:
                return "all" if step.kind == "all-requested" else "bilateral"
    return "bilateral" if "bilateral" in finding.detail else "all"


def _what(finding: Finding, case: UnusualCase | None) -> str:
    party = {"party": finding.party}
    if finding.rule == "incident-report":
        return _("Report by %(party)s") % party
    if finding.rule == "incident-response":
        return _("Response by %(party)s") % party
    if finding.rule == "unusual-activity-reply":
        return _("Reply by %(party)s") % party
    if _meeting_kind(finding, case) == "bilateral":
        if case is None:
            return _("Bilateral meeting, seen to by %(party)s") % party
        return (_("Bilateral meeting of %(requester)s and %(addressee)s, seen to by %(party)s")
                % {"requester": case.requester, "addressee": case.addressee, **party})
    return _("Meeting of all participants, convened by the secretariat (%(party)s)") % party


@dataclass(frozen=True)
class Deadlines:
    """A case's or an incident's deadlines, and what is not shown to this viewer."""

    items: list[Deadline]
    withheld: str | None = None


def deadlines(findings: Iterable[Finding], case_id: str, *,
              case: UnusualCase | None = None, private_meetings: bool = True) -> Deadlines:
    """The deadlines of the case or incident ``case_id`` among ``findings`` (the compliance
    engine's, over the same records the page reads). ``private_meetings=False`` leaves out the
    bilateral meeting of an unusual-activity case, which only its two participants can see
    (on the public pages, or at a third party's node): another viewer would read it as missing
    when it was held."""
    items = []
    withheld = None
    for finding in findings:
        if finding.rule not in RISK_RULES or not finding.evidence:
            continue
        if finding.evidence[0] != case_id:
            continue
        if (finding.rule == "unusual-activity-meeting" and not private_meetings
                and _meeting_kind(finding, case) == "bilateral"):
            withheld = _("A bilateral meeting goes to its two participants alone: whether it "
                         "was convened in time is not shown here.")
            continue
        items.append(Deadline(finding.rule, _what(finding, case), finding.party, finding.due,
                              finding.status, finding.detail, finding.evidence))
    items.sort(key=lambda d: (_ORDER.get(d.rule, 2), d.due is None, d.due or _NEVER))
    return Deadlines(items, withheld)


_ORDER: Final[Mapping[str, int]] = {"incident-report": 0, "incident-response": 1,
                                    "unusual-activity-reply": 0, "unusual-activity-meeting": 1}
_NEVER: Final = datetime.max.replace(tzinfo=UTC)


# -- an incident ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One account's value of one field: lines (a list shows them one by one), or none when
    the account does not say."""

    lines: tuple[str, ...]
    prose: bool = False
    differs: bool = False
    """The response says otherwise than the report."""

    @property
    def stated(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    report: Cell
    responses: tuple[Cell, ...]


def _unit(unit: Mapping[str, Any]) -> str:
    words = f"{unit.get('party')} {term(unit.get('kind'))}"
    if unit.get("name"):
        words += f" {unit['name']}"
    number, kind = unit.get("hull_number"), unit.get("aircraft_type")
    if number and kind:
        # TRANSLATORS: a unit in an incident (its party, kind and name), its hull number and
        # its aircraft type.
        return _("%(unit)s (hull number %(number)s, type %(type)s)") % {
            "unit": words, "number": number, "type": kind}
    if number:
        # TRANSLATORS: a unit in an incident (its party, kind and name) and its hull number.
        return _("%(unit)s (hull number %(number)s)") % {"unit": words, "number": number}
    if kind:
        # TRANSLATORS: a unit in an incident (its party, kind and name) and its aircraft type.
        return _("%(unit)s (type %(type)s)") % {"unit": words, "type": kind}
    return words


def _position(body: Mapping[str, Any]) -> tuple[str, ...]:
    found = body.get("position")
    lines = []
    if isinstance(found, Mapping):
        lines.append(degrees(float(found["lat"]), float(found["lon"])))
    if body.get("area_name"):
        lines.append(str(body["area_name"]))
    return tuple(lines)


def _count(value: object) -> str:
    """A number as the reader's locale writes it (its digits and grouping); as given when it
    is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def _cells(body: Mapping[str, Any]) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Every field of a report or a response as lines, and whether it is prose."""
    def text(name: str) -> tuple[str, ...]:
        value = body.get(name)
        return () if value in (None, "") else (str(value),)

    cpa = body.get("cpa_metres")
    casualties = body.get("casualties")
    return {
        "occurred_at": ((moment_words(body["occurred_at"]),) if body.get("occurred_at")
                        else (), False),
        "position": (_position(body), False),
        "units": (tuple(_unit(u) for u in body.get("units") or ()), False),
        "cpa_metres": ((() if cpa is None else (f"{_count(cpa)} m",)), False),
        "events": (tuple(_(EVENTS.get(str(e), str(e))) for e in body.get("events") or ()),
                   False),
        "signals": (text("signals"), True),
        "damage": (text("damage"), True),
        "casualties": ((() if casualties is None else (_count(casualties),)), False),
        "account": (text("account"), True),
        "disputed": (text("disputed"), True),
    }


FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("occurred_at", N_("When (UTC)")),
    ("position", N_("Position")),
    ("units", N_("Units involved")),
    ("cpa_metres", N_("Closest point of approach")),
    ("events", N_("What happened")),
    ("signals", N_("Signals exchanged")),
    ("damage", N_("Damage")),
    ("casualties", N_("Casualties")),
    ("account", N_("Account")),
    ("disputed", N_("What is disputed")),
)
"""The fields of a report and its responses, in the order the page compares them (the labels
are translated where shown)."""


@dataclass(frozen=True)
class IncidentShown:
    incident: Incident
    rows: list[Row]
    responses: tuple[Step, ...]
    audience: str
    """Whom the report went to, in words."""

    @property
    def report(self) -> Step:
        return self.incident.report

    @property
    def where(self) -> str:
        """Where it happened, in words (position and named area)."""
        return "; ".join(_position(self.report.body)) or _("not stated")

    @property
    def meetings(self) -> list[tuple[str, str, str]]:
        """Each meeting convened on the incident: who convened it, its title, when."""
        return [(m.party, str(m.body.get("title")), moment_words(m.body.get("starts_at")))
                for m in self.incident.meetings]

    @property
    def occurred(self) -> str:
        return moment_words(self.report.body.get("occurred_at"))

    @property
    def events(self) -> str:
        return list_words(_(EVENTS.get(str(e), str(e)))
                          for e in self.report.body.get("events", ()))

    @property
    def title(self) -> str:
        i = self.incident
        return (_("%(reporter)s and %(other)s: %(events)s")
                % {"reporter": i.reporter, "other": i.other_party, "events": self.events})


def incident_shown(incident: Incident) -> IncidentShown:
    """The report and each response side by side, field by field; a response's field that
    says otherwise than the report is marked."""
    reported = _cells(incident.report.body)
    answers = [_cells(s.body) for s in incident.responses]
    rows = []
    for key, label in FIELDS:
        lines, prose = reported[key]
        cells = []
        for answer in answers:
            theirs, _prose = answer[key]
            differs = bool(theirs) and key not in ("account", "disputed") and theirs != lines
            cells.append(Cell(theirs, prose, differs))
        rows.append(Row(key, _(label), Cell(lines, prose), tuple(cells)))
    audience = incident.audience
    words = _("all participants") if audience == ALL else list_words(audience)
    return IncidentShown(incident, rows, incident.responses, words)


# -- a case of unusual military activity ---------------------------------------------------------


@dataclass(frozen=True)
class StepShown:
    step: Step
    words: str
    said: str | None
    """What the step says (a reply's explanation, a request's reason), if anything."""


@dataclass(frozen=True)
class CaseShown:
    case: UnusualCase
    stage_words: str
    badge: str
    where: str
    timeline: list[StepShown]

    @property
    def body(self) -> Mapping[str, Any]:
        return self.case.request.body

    @property
    def observed(self) -> str:
        """When the activity was observed, in words."""
        since = moment_words(self.body.get("observed_from"))
        until = self.body.get("observed_until")
        return since if not until else (_("%(since)s to %(until)s")
                                         % {"since": since, "until": moment_words(until)})

    @property
    def title(self) -> str:
        return (_("%(requester)s asks %(addressee)s about unusual %(activity)s activity")
                % {"requester": self.case.requester, "addressee": self.case.addressee,
                   "activity": self.body.get("activity_type")})

    def asked(self, kind: str) -> Step | None:
        """The first step of ``kind`` (``bilateral-requested``, …), if taken."""
        return self.case.first(kind)


def case_shown(case: UnusualCase) -> CaseShown:
    body = case.request.body
    steps = []
    for step in case.timeline:
        said = None
        if step.kind == "reply":
            said = str(step.body.get("explanation") or "")
        elif step.kind in ("bilateral-requested", "all-requested"):
            said = step.body.get("reason")
        elif step.kind in ("bilateral-convened", "all-convened"):
            # TRANSLATORS: a meeting convened on an unusual activity: its title, when it
            # starts and where.
            said = _("%(title)s, %(at)s, %(place)s") % {
                "title": step.body.get("title"), "at": moment_words(step.body.get("starts_at")),
                "place": step.body.get("place")}
        steps.append(StepShown(step, _(STEP_WORDS.get(step.kind, step.kind)), said))
    return CaseShown(case, _(STAGE_WORDS.get(case.stage, case.stage)),
                     STAGE_BADGES.get(case.stage, "state-pending"),
                     area_words(body.get("area"), body.get("area_name")), steps)


# -- notified activities and the map -------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """A notified activity (``activity-notification@1``) as the map shows it."""

    entry_id: str
    sender: str
    name: str
    kind: str
    start: str
    end: str
    area: Mapping[str, Any]
    to_all: bool

    @property
    def title(self) -> str:
        return (_("%(sender)s: %(name)s (%(kind)s, %(start)s to %(end)s)")
                % {"sender": self.sender, "name": self.name, "kind": self.kind,
                   "start": day_words(self.start), "end": day_words(self.end)})


def activities(records: Iterable[LogRecord], today: date) -> list[Activity]:
    """The activities notified in ``records`` that have not ended before ``today``, the
    soonest first."""
    found = []
    for record in records:
        entry = record.entry.entry
        body = entry.body
        if entry.form != NOTIFICATION or not isinstance(body.get("area"), Mapping):
            continue
        if str(body.get("end", "")) < today.isoformat():
            continue
        found.append(Activity(record.entry.id_hex, entry.sender, str(body.get("name")),
                              str(body.get("kind")), str(body.get("start")),
                              str(body.get("end")), body["area"], entry.audience == ALL))
    found.sort(key=lambda a: (a.start, a.name))
    return found


@dataclass(frozen=True)
class RiskMap:
    """The map, and the label each incident and case has on it (by id)."""

    map: GulfMap
    labels: Mapping[str, str]


def risk_map(incidents: Sequence[Incident], cases: Sequence[UnusualCase],
             notified: Sequence[Activity], *, incident_base: str | None,
             case_base: str | None, activity_base: str | None = None,
             public_only: bool = False) -> RiskMap:
    """Every incident as a numbered marker, every case's area (U1, U2, …) and every notified
    activity's area (N1, N2, …), each linked to its page under the given bases (None: no
    link); ``public_only`` links an activity only when it is addressed to all."""
    features = []
    labels: dict[str, str] = {}
    for n, incident in enumerate(incidents, start=1):
        body = incident.report.body
        position = body.get("position") or {}
        shown = incident_shown(incident)
        label = str(n)
        labels[incident.id] = label
        features.append(Feature(
            "incident", label, f"{shown.title}, {shown.occurred}",
            None if incident_base is None else incident_base + incident.id,
            point=(float(position["lat"]), float(position["lon"])) if position else None,
            area_name=body.get("area_name")))
    for n, case in enumerate(cases, start=1):
        body = case.request.body
        label = f"U{n}"
        labels[case.id] = label
        features.append(Feature(
            "unusual", label, f"{case_shown(case).title} ({_(STAGE_WORDS[case.stage])})",
            None if case_base is None else case_base + case.id, area=body.get("area"),
            area_name=body.get("area_name")))
    for n, activity in enumerate(notified, start=1):
        label = f"N{n}"
        labels[activity.entry_id] = label
        linked = activity_base is not None and (activity.to_all or not public_only)
        features.append(Feature(
            "activity", label, activity.title,
            activity_base + activity.entry_id if linked and activity_base else None,
            area=activity.area))
    return RiskMap(draw(features), labels)
