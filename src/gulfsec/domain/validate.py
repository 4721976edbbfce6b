"""Checks on an entry that need the regime but not the log: who, to whom, which form, when."""

from __future__ import annotations

from datetime import datetime

from gulfsec.domain.entry import ALL, SignedEntry
from gulfsec.domain.forms import FormSpec, get_form
from gulfsec.domain.regime import Regime
from gulfsec.errors import (
    AudienceError,
    ClaimedTimeOutOfRange,
    EntryError,
    InvalidFormBody,
    UnknownSender,
)


def check_entry(signed: SignedEntry, regime: Regime, now: datetime) -> FormSpec:
    """Check sender, audience, references, form and claimed time; return the form.

    Signatures are checked by the keyring, sequence numbers and references by the sequencer.
    """
    entry = signed.entry
    eid = signed.id_hex
    parties = regime.parties()
    if entry.sender not in parties:
        raise UnknownSender(f"{entry.sender!r} is not a party of regime {regime.id}", entry_id=eid)
    if entry.audience != ALL:
        unknown = [p for p in entry.audience if p not in parties]
        if unknown:
            raise AudienceError(f"audience names unknown parties {unknown}", entry_id=eid)
        if entry.audience == (entry.sender,):
            raise AudienceError("an entry must be addressed to someone besides its sender",
                                entry_id=eid)
    if len(entry.refs) > regime.limits.max_refs:
        raise EntryError(
            f"{len(entry.refs)} references, over the limit of {regime.limits.max_refs}",
            entry_id=eid,
        )
    form = get_form(entry.form)
    form.validate(entry.body)
    skew = regime.limits.clock_skew
    if abs(entry.time - now) > skew:
        raise ClaimedTimeOutOfRange(
            f"claimed time {entry.time.isoformat()} is more than {int(skew.total_seconds())} s "
            f"from the hub's clock ({now.isoformat()})",
            entry_id=eid,
        )
    if entry.form == "acknowledgement@1":
        missing = [e for e in entry.body["entries"] if e not in entry.refs]
        if missing:
            raise InvalidFormBody(entry.form, [("entries", f"not also in refs: {missing}")])
    return form
