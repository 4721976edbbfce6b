"""A log history to judge, and the bodies of the forms it holds: real signed entries from every
state, with the log's times. The fixtures are in conftest.py.

``history.file(...)`` signs an entry and sequences it at the next index, sequenced at ``at`` and
final one minute later unless told otherwise (``final=None``: not final yet). ``history.judge``
runs the full evaluation and the incremental engine (fed the records backwards, then queried)
and checks they agree before returning the findings, so every rule test also tests the engine.
Personas: IRN notifies, SAU and RUS are addressed, QAT is the outsider; UNSC is an organisation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gulfsec.domain.compliance import ComplianceEngine, Finding, LogRecord, evaluate
from gulfsec.domain.entry import ALL, Audience, Entry, sign_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime

SINCE = 2026
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def end_of(day: date) -> datetime:
    """Where a yearly deadline falls: the end of its day."""
    return utc(day.year, day.month, day.day, 23, 59, 59)


def midnight(day: date) -> datetime:
    """Where an activity begins: the start of its first day."""
    return utc(day.year, day.month, day.day)


@dataclass
class History:
    regime: Regime
    keys: Mapping[str, SigningKey]
    records: list[LogRecord] = field(default_factory=list)
    seq: dict[str, int] = field(default_factory=dict)

    def file(
        self,
        sender: str,
        form: str,
        body: Mapping[str, Any],
        *,
        at: datetime,
        final: datetime | None | bool = True,
        audience: Audience | Sequence[str] = ALL,
        refs: Sequence[str] = (),
        claimed: datetime | None = None,
    ) -> LogRecord:
        """Sign and sequence an entry. ``final``: True (one minute after ``at``), a time, or
        None/False (not final). ``claimed``: the time the sender writes in the entry."""
        get_form(form).validate(dict(body))
        key = self.keys[sender]
        seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        entry = Entry(
            form=form,
            sender=sender,
            key=key.key_id_hex,
            seq=seq,
            time=claimed or at,
            audience=ALL if audience == ALL else tuple(sorted(audience)),
            body=dict(body),
            refs=tuple(refs),
        )
        final_at = at + MINUTE if final is True else final if isinstance(final, datetime) else None
        record = LogRecord(len(self.records), sign_entry(entry, key), final_at, at)
        self.records.append(record)
        return record

    def join(self, *parties: str, at: datetime) -> list[LogRecord]:
        """Register each party's first key (every state of the regime if none is named): from
        then on it owes acknowledgements (:mod:`gulfsec.domain.duties`)."""
        codes = parties or tuple(
            code for code, p in self.regime.participants.items() if p.kind == "state")
        return [
            self.file(code, "key-registration@1",
                      {"party": code, "vkey": self.keys[code].verifier.encode()}, at=at)
            for code in codes
        ]

    def acknowledge(
        self, sender: str, *records: LogRecord, at: datetime, final: datetime | None | bool = True
    ) -> LogRecord:
        ids = [r.entry.id_hex for r in records]
        return self.file(sender, "acknowledgement@1", {"entries": ids}, at=at, final=final,
                         refs=ids)

    def judge(
        self,
        now: datetime,
        *,
        rule: str | None = None,
        party: str | None = None,
        year: int | None = None,
        regime: Regime | None = None,
        since_year: int | None = SINCE,
        records: Iterable[LogRecord] | None = None,
    ) -> list[Finding]:
        """The findings at ``now`` (of ``rule``, ``party`` and ``year``, if given), checked to be
        the same from cold and from the incremental engine."""
        regime = regime or self.regime
        held = list(self.records if records is None else records)
        full = evaluate(regime, held, now, since_year=since_year)
        engine = ComplianceEngine(regime, since_year=since_year)
        for record in reversed(held):
            engine.add(record)
        assert engine.findings(now) == full
        return [
            f for f in full
            if (rule is None or f.rule == rule)
            and (party is None or f.party == party)
            and (year is None or f.year == year)
        ]

    def one(self, now: datetime, *, rule: str, party: str, **kw: Any) -> Finding:
        """The one finding of ``rule`` about ``party`` at ``now``."""
        found = self.judge(now, rule=rule, party=party, **kw)
        assert len(found) == 1, found
        return found[0]


def with_commitment(regime: Regime, name: str, **changes: Any) -> Regime:
    """``regime`` with some numbers of one commitment changed."""
    commitments = regime.commitments
    changed = dataclasses.replace(getattr(commitments, name), **changes)
    return dataclasses.replace(
        regime, commitments=dataclasses.replace(commitments, **{name: changed})
    )


# --- bodies ---------------------------------------------------------------------------------


def circle(lat: float = 26.5, lon: float = 56.2, radius_km: int = 40) -> dict[str, Any]:
    return {"kind": "circle", "centre": {"lat": lat, "lon": lon}, "radius_km": radius_km}


def exchange(year: int) -> dict[str, Any]:
    return {
        "year": year,
        "command_organisation": [{"ref": "GS", "name": "General Staff"}],
        "units": [],
    }


def planning(budget_year: int, approved: date) -> dict[str, Any]:
    return {
        "budget_year": budget_year, "budget_approval_date": approved.isoformat(),
        "currency": "IRR", "policy": "Defensive.", "force_planning": "Steady.",
        "previous_expenditure": {"year": budget_year - 1, "amount": 100}, "budget": 110,
    }


def planned(ref: str, start: date, days: int = 4, **forces: int) -> dict[str, Any]:
    return {
        "ref": ref, "kind": "land", "name": f"Exercise {ref}", "start": start.isoformat(),
        "end": (start + timedelta(days=days)).isoformat(), "area": circle(),
        "forces": forces or {"troops": 9000}, "observed": False,
    }


def calendar(
    year: int, *activities: dict[str, Any], later: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {"year": year, "activities": list(activities), "later_activities": list(later)}


def notification(
    start: date,
    *,
    ref: str | None = None,
    days: int = 4,
    firing_nm: float | None = None,
    name: str = "Velayat",
    **forces: int,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "land", "name": name, "purpose": "Training.", "start": start.isoformat(),
        "end": (start + timedelta(days=days)).isoformat(), "area": circle(),
        "forces": forces,
    }
    if ref is not None:
        body["calendar_ref"] = ref
    if firing_nm is not None:
        body["live_firing"] = [{
            "area": circle(radius_km=5), "distance_to_territorial_sea_nm": firing_nm,
            "nearest_participant": "ARE",
        }]
    return body


def invitation(notice: LogRecord, start: date) -> dict[str, Any]:
    return {
        "notification": notice.entry.id_hex, "programme": "Briefing, then the field.",
        "arrival": start.isoformat(), "arrival_point": "Bandar Abbas",
        "departure": (start + timedelta(days=2)).isoformat(), "observers_per_state": 2,
        "reply_by": start.isoformat(),
    }


def arms(
    year: int,
    *,
    exports: Sequence[tuple[str, str, int]] = (),
    imports: Sequence[tuple[str, str, int]] = (),
) -> dict[str, Any]:
    """An arms-transfers body; rows are (partner, category, quantity); no rows: a nil report."""
    def rows(items: Sequence[tuple[str, str, int]]) -> list[dict[str, Any]]:
        return [{"partner": p, "category": c, "quantity": q} for p, c, q in items]
    return {
        "year": year, "nil_report": not exports and not imports,
        "exports": rows(exports), "imports": rows(imports),
    }


def expenditure(year: int) -> dict[str, Any]:
    return {"year": year, "report": {"kind": "nil"}}


def scenario(history: History) -> None:
    """A little of everything, around the turn of 2026 to 2027: reports in time and late, a
    calendar and its notifications (one never sent), an observed activity, a large activity,
    arms transfers that do and do not mirror, acknowledgements in time, late and never, and
    entries not final yet."""
    t = utc(2026, 11, 1)
    day = timedelta(days=1)
    start = date(2027, 3, 1)
    history.file("IRN", "annual-calendar@1",
                 calendar(2027, planned("IRN-1", start), planned("IRN-2", start + day * 30),
                          planned("IRN-3", date(2027, 2, 1), troops=13_000)),
                 at=t)
    history.file("SAU", "annual-calendar@1", calendar(2027), at=t + day * 20)  # late
    exchange_irn = history.file("IRN", "annual-exchange@1", exchange(2027), at=t + day * 30)
    history.file("SAU", "annual-exchange@1", exchange(2027), at=t + day * 50, final=None)
    history.acknowledge("RUS", exchange_irn, at=t + day * 30 + MINUTE)
    history.acknowledge("SAU", exchange_irn, at=t + day * 33)  # late
    notice = history.file("IRN", "activity-notification@1",
                          notification(start, ref="IRN-1", troops=9_500), at=t + day * 60)
    big = history.file("IRN", "activity-notification@1",
                       notification(date(2027, 2, 1), ref="IRN-3", troops=13_000),
                       at=t + day * 40)
    history.file("IRN", "observation-invitation@1", invitation(big, date(2027, 2, 1)),
                 at=t + day * 41)
    history.file("IRN", "activity-notification@1",
                 notification(date(2027, 4, 1), troops=41_000, name="Great Prophet"),
                 at=t + day * 70, final=None)
    history.acknowledge("QAT", notice, at=t + day * 61)
    history.file("SAU", "arms-transfers@1", arms(2026, exports=[("IRN", "II", 5)]),
                 at=t + day * 150)
    history.file("IRN", "arms-transfers@1", arms(2026, imports=[("SAU", "II", 4)]),
                 at=t + day * 151)
    history.file("RUS", "arms-transfers@1", arms(2026, exports=[("IRN", "IV", 2)]),
                 at=t + day * 152)
    history.file("IRN", "defence-planning@1", planning(2027, date(2027, 1, 15)),
                 at=t + day * 120)
    history.file("QAT", "military-expenditure@1", expenditure(2026), at=t + day * 170)
    history.file("RUS", "message@1", {"subject": "Talks", "text": "Meet?"},
                 at=t + day * 80, audience=("IRN", "SAU"))
