"""A log of decision entries to judge: real signed entries with the log's times.

``log.draft(...)``, ``log.position(...)`` and friends sign an entry, sequence it at the next
index at ``at`` and make it final one minute later unless told otherwise (``final=`` a time, or
None: not final yet). Format ``trio`` is IRN, QAT and SAU; the secretariat chairs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import ALL, Audience, Entry, sign_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import Decision, DecisionBook, draft_audience
from gulfsec.domain.regime import Regime, default_regime

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
TRIO = ("IRN", "QAT", "SAU")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def trio_regime() -> Regime:
    regime = default_regime()
    return dataclasses.replace(regime, formats={**regime.formats, "trio": TRIO})


_KEYS: dict[str, SigningKey] = {}


def key_of(code: str) -> SigningKey:
    if code not in _KEYS:
        _KEYS[code] = SigningKey.generate(code)
    return _KEYS[code]


JOINED = utc(2026, 6, 1)


@dataclass
class DecisionLog:
    """Starts with the key registrations of ``joined`` (the trio, RUS and USA): only a party in
    the log takes a position."""

    regime: Regime = field(default_factory=trio_regime)
    records: list[LogRecord] = field(default_factory=list)
    seq: dict[str, int] = field(default_factory=dict)
    joined: Sequence[str] = (*TRIO, "RUS", "USA")

    def __post_init__(self) -> None:
        for code in self.joined:
            self.join(code, at=JOINED)

    def join(self, code: str, *, at: datetime) -> LogRecord:
        return self.file(code, "key-registration@1",
                         {"party": code, "vkey": key_of(code).verifier.encode()}, at=at)

    def file(self, sender: str, form: str, body: Mapping[str, Any], *, at: datetime,
             final: datetime | None | bool = True, audience: Audience | None = None,
             refs: Sequence[str] = ()) -> LogRecord:
        get_form(form).validate(dict(body))
        key = key_of(sender)
        seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        entry = Entry(form=form, sender=sender, key=key.key_id_hex, seq=seq, time=at,
                      audience=ALL if audience is None else audience, body=dict(body),
                      refs=tuple(refs))
        final_at = at + MINUTE if final is True else final if isinstance(final, datetime) \
            else None
        record = LogRecord(len(self.records), sign_entry(entry, key), final_at, at)
        self.records.append(record)
        return record

    def draft(self, sender: str = "IRN", *, at: datetime, closes_at: datetime,
              procedure: str = "silence", fmt: str = "trio", kind: str = "text",
              content: Mapping[str, Any] | None = None, title: str = "Hotline terms",
              revises: str | None = None, final: datetime | None | bool = True,
              audience: Audience | None = None) -> LogRecord:
        body: dict[str, Any] = {"kind": kind, "title": title, "text": "The parties agree.",
                                "format": fmt, "procedure": procedure,
                                "closes_at": format_time(closes_at),
                                "content": dict(content or {})}
        refs: list[str] = []
        if revises is not None:
            body["revises"] = revises
            refs.append(revises)
        return self.file(sender, "draft-decision@1", body, at=at, final=final, refs=refs,
                         audience=draft_audience(self.regime, fmt) if audience is None
                         else audience)

    def _on(self, draft: LogRecord) -> Audience:
        return draft.entry.entry.audience

    def position(self, party: str, draft: LogRecord, position: str, *, at: datetime,
                 final: datetime | None | bool = True, reason: str | None = None,
                 audience: Audience | None = None) -> LogRecord:
        body: dict[str, Any] = {"draft": draft.entry.id_hex, "position": position}
        if position == "object":
            body["reason"] = reason or "not acceptable as drafted"
        return self.file(party, "position@1", body, at=at, final=final,
                         refs=[draft.entry.id_hex],
                         audience=self._on(draft) if audience is None else audience)

    def amend(self, party: str, draft: LogRecord, *, at: datetime,
              final: datetime | None | bool = True) -> LogRecord:
        return self.file(party, "amendment@1", {"draft": draft.entry.id_hex,
                                                "text": "The parties agree in principle."},
                         at=at, final=final, refs=[draft.entry.id_hex],
                         audience=self._on(draft))

    def withdraw(self, party: str, draft: LogRecord, *, at: datetime,
                 final: datetime | None | bool = True) -> LogRecord:
        return self.file(party, "draft-withdrawal@1", {"draft": draft.entry.id_hex}, at=at,
                         final=final, refs=[draft.entry.id_hex], audience=self._on(draft))

    def outcome(self, draft: LogRecord, outcome: str, *, at: datetime) -> LogRecord:
        return self.file("SEC", "decision-outcome@1", {"draft": draft.entry.id_hex,
                                                       "outcome": outcome},
                         at=at, refs=[draft.entry.id_hex], audience=self._on(draft))

    def judge(self, draft: LogRecord, now: datetime) -> Decision:
        found = DecisionBook(self.regime).extend(self.records).decision(draft.entry.id_hex,
                                                                          now)
        assert found is not None
        # The same answer from the records in any order.
        again = DecisionBook(self.regime).extend(reversed(self.records)).decision(
            draft.entry.id_hex, now)
        assert again == found
        return found
