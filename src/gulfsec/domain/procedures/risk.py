"""Risk reduction, from the entries alone: each case of unusual military activity and each
hazardous incident, as a timeline every node recomputes from its own copy.

**Unusual military activity.** A case is a request (``unusual-activity@1``, to all
participants). It counts the addressee's replies, the requester's requests for a meeting
(bilateral, then of all participants) and the meetings that name the case — a bilateral
meeting counts if its company is exactly the requester and the addressee, a meeting of all if
it is addressed to all. Its stage: ``awaiting-reply``, ``replied``, ``bilateral-requested``,
``bilateral-convened``, ``all-requested``, ``all-convened`` (the furthest reached). The
deadlines (``commitments.unusual_activity``) run from the finality of the step that starts
them, as everywhere; the compliance rules judge them (:mod:`..compliance.rules.unusual_reply`,
``unusual_meeting``).

**Hazardous incidents.** An incident is a report (``incident-report@1``) to the other party
involved; that party's responses (``incident-response@1``, to everyone the report went to and
the reporter) stand beside it; meetings naming it are listed. Steps by anyone else, or
addressed otherwise, do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gulfsec.domain.compliance.model import LogRecord
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.forms.meetings import MEETING
from gulfsec.domain.forms.risk import (
    INCIDENT,
    INCIDENT_RESPONSE,
    UNUSUAL,
    UNUSUAL_MEETING,
    UNUSUAL_REPLY,
)
from gulfsec.domain.procedures.meetings import company
from gulfsec.domain.regime import Regime
from gulfsec.errors import ProcedureError

Stage = Literal["awaiting-reply", "replied", "bilateral-requested", "bilateral-convened",
                "all-requested", "all-convened"]
STAGES: tuple[Stage, ...] = ("awaiting-reply", "replied", "bilateral-requested",
                             "bilateral-convened", "all-requested", "all-convened")


@dataclass(frozen=True)
class Step:
    """One entry in a case's timeline."""

    kind: str
    party: str
    entry_id: str
    index: int
    sequenced_at: datetime
    final_at: datetime | None
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        from gulfsec.domain.encoding import format_time

        return {"step": self.kind, "party": self.party, "entry_id": self.entry_id,
                "index": self.index, "sequenced_at": format_time(self.sequenced_at),
                "final_at": None if self.final_at is None else format_time(self.final_at)}


def _step(kind: str, record: LogRecord) -> Step:
    entry = record.entry.entry
    return Step(kind, entry.sender, record.entry.id_hex, record.index, record.sequenced_at,
                record.final_at, dict(entry.body))


@dataclass(frozen=True)
class UnusualCase:
    request: Step
    requester: str
    addressee: str
    timeline: tuple[Step, ...]
    stage: Stage

    @property
    def id(self) -> str:
        return self.request.entry_id

    def first(self, kind: str) -> Step | None:
        return next((s for s in self.timeline if s.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        body = self.request.body
        return {"id": self.id, "index": self.request.index, "requester": self.requester,
                "addressee": self.addressee, "activity_type": body.get("activity_type"),
                "area": body.get("area"), "area_name": body.get("area_name"),
                "observed_from": body.get("observed_from"), "concern": body.get("concern"),
                "stage": self.stage, "timeline": [s.to_json() for s in self.timeline]}


def _bilateral(meeting: SignedEntry, a: str, b: str) -> bool:
    return company(meeting) == tuple(sorted({a, b}))


def unusual_cases(records: Iterable[LogRecord]) -> list[UnusualCase]:
    """Every case of unusual military activity the records show, the most recent first."""
    ordered = sorted(records, key=lambda r: r.index)
    requests = {r.entry.id_hex: r for r in ordered if r.entry.entry.form == UNUSUAL
                and r.entry.entry.audience == ALL}
    steps: dict[str, list[Step]] = {cid: [_step("request", r)] for cid, r in requests.items()}
    for record in ordered:
        entry = record.entry.entry
        if entry.form == UNUSUAL_REPLY or entry.form == UNUSUAL_MEETING:
            request = requests.get(str(entry.body.get("request")))
            if request is None or entry.audience != ALL:
                continue
            asked = request.entry.entry
            if entry.form == UNUSUAL_REPLY and entry.sender == asked.body["addressee"]:
                steps[request.entry.id_hex].append(_step("reply", record))
            elif entry.form == UNUSUAL_MEETING and entry.sender == asked.sender:
                kind = f"{entry.body['meeting']}-requested"
                steps[request.entry.id_hex].append(_step(kind, record))
        elif entry.form == MEETING:
            request = requests.get(str(entry.body.get("case")))
            if request is None:
                continue
            asked = request.entry.entry
            if entry.audience == ALL:
                steps[request.entry.id_hex].append(_step("all-convened", record))
            elif _bilateral(record.entry, asked.sender, str(asked.body["addressee"])):
                steps[request.entry.id_hex].append(_step("bilateral-convened", record))
    found = []
    for cid, request in requests.items():
        timeline = tuple(steps[cid])
        kinds = {s.kind for s in timeline}
        stage: Stage = "awaiting-reply"
        for candidate, needs in (("replied", "reply"),
                                 ("bilateral-requested", "bilateral-requested"),
                                 ("bilateral-convened", "bilateral-convened"),
                                 ("all-requested", "all-requested"),
                                 ("all-convened", "all-convened")):
            if needs in kinds:
                stage = candidate  # type: ignore[assignment]
        entry = request.entry.entry
        found.append(UnusualCase(timeline[0], entry.sender, str(entry.body["addressee"]),
                                 timeline, stage))
    found.sort(key=lambda c: -c.timeline[-1].index)
    return found


@dataclass(frozen=True)
class Incident:
    report: Step
    reporter: str
    other_party: str
    audience: Audience
    responses: tuple[Step, ...]
    meetings: tuple[Step, ...]

    @property
    def id(self) -> str:
        return self.report.entry_id

    def to_json(self) -> dict[str, Any]:
        body = self.report.body
        return {"id": self.id, "index": self.report.index, "reporter": self.reporter,
                "other_party": self.other_party, "occurred_at": body.get("occurred_at"),
                "position": body.get("position"), "area_name": body.get("area_name"),
                "events": body.get("events"), "cpa_metres": body.get("cpa_metres"),
                "units": body.get("units"), "casualties": body.get("casualties"),
                "account": body.get("account"),
                "responses": [{**s.to_json(), "account": s.body.get("account"),
                               "disputed": s.body.get("disputed")} for s in self.responses],
                "meetings": [s.entry_id for s in self.meetings],
                "reported_at": self.report.to_json()["sequenced_at"]}


def response_audience(report: SignedEntry, sender: str) -> Audience:
    """Whom a response to ``report`` by ``sender`` is addressed to: everyone the report went
    to, and the reporter, but the sender."""
    entry = report.entry
    if entry.audience == ALL:
        return ALL
    return tuple(sorted({entry.sender, *entry.audience} - {sender}))


def incidents(records: Iterable[LogRecord]) -> list[Incident]:
    """Every hazardous incident the records show, the most recent report first."""
    ordered = sorted(records, key=lambda r: r.index)
    reports = {r.entry.id_hex: r for r in ordered if r.entry.entry.form == INCIDENT
               and _reaches(r.entry, str(r.entry.entry.body["other_party"]))}
    responses: dict[str, list[Step]] = {rid: [] for rid in reports}
    meetings: dict[str, list[Step]] = {rid: [] for rid in reports}
    for record in ordered:
        entry = record.entry.entry
        if entry.form == INCIDENT_RESPONSE:
            report = reports.get(str(entry.body.get("report")))
            if report is None or entry.sender != report.entry.entry.body["other_party"]:
                continue
            if entry.audience == response_audience(report.entry, entry.sender):
                responses[report.entry.id_hex].append(_step("response", record))
        elif entry.form == MEETING and str(entry.body.get("case")) in reports:
            meetings[str(entry.body["case"])].append(_step("meeting", record))
    found = [Incident(_step("report", r), r.entry.entry.sender,
                      str(r.entry.entry.body["other_party"]), r.entry.entry.audience,
                      tuple(responses[rid]), tuple(meetings[rid]))
             for rid, r in reports.items()]
    found.sort(key=lambda i: -i.report.index)
    return found


def _reaches(report: SignedEntry, party: str) -> bool:
    audience = report.entry.audience
    return audience == ALL or party in audience


def check_submission(signed: SignedEntry, regime: Regime,
                     lookup: Callable[[str], tuple[int, SignedEntry] | None]) -> None:
    """What the hub refuses of a risk-reduction entry before it is sequenced."""
    entry = signed.entry
    body = entry.body

    def refuse(message: str) -> None:
        raise ProcedureError(message, entry_id=signed.id_hex)

    if entry.form == UNUSUAL:
        if entry.audience != ALL:
            refuse("a request on unusual military activity goes to all participants")
        if body["addressee"] == entry.sender or body["addressee"] not in regime.participants:
            refuse(f"{body['addressee']} is not another participant")
    elif entry.form in (UNUSUAL_REPLY, UNUSUAL_MEETING):
        found = lookup(str(body["request"]))
        if found is None or found[1].entry.form != UNUSUAL:
            refuse(f"{body['request']} is not a request on unusual military activity")
            return
        asked = found[1].entry
        if entry.audience != ALL:
            refuse("every step on unusual military activity goes to all participants")
        if entry.form == UNUSUAL_REPLY and entry.sender != asked.body["addressee"]:
            refuse(f"only {asked.body['addressee']}, the participant asked, replies")
        if entry.form == UNUSUAL_MEETING and entry.sender != asked.sender:
            refuse(f"only {asked.sender}, the requester, asks for a meeting")
    elif entry.form == INCIDENT:
        other = str(body["other_party"])
        if other == entry.sender or other not in regime.parties():
            refuse(f"{other} is not another party")
        if not _reaches(signed, other):
            refuse(f"the report goes to the other party involved, {other}")
        if any(u["party"] not in regime.parties() for u in body["units"]):
            refuse("a unit belongs to no party of this regime")
    elif entry.form == INCIDENT_RESPONSE:
        found = lookup(str(body["report"]))
        if found is None or found[1].entry.form != INCIDENT:
            refuse(f"{body['report']} is not an incident report in the log")
            return
        report = found[1]
        if entry.sender != report.entry.body["other_party"]:
            refuse(f"only {report.entry.body['other_party']}, the other party involved, "
                   "responds")
        expected = response_audience(report, entry.sender)
        if entry.audience != expected:
            shown = "all" if expected == ALL else ", ".join(expected)
            refuse(f"a response goes to everyone the report went to: {shown}")
