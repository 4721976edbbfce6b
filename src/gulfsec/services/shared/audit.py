"""Audit a copy of the log from scratch: every entry's form, signatures and sequence, replayed in
log order with the keys as they stood at each point, and the tree recomputed to the checkpoint.

Used on the hub's own database (``gulfsec hub audit``) and by anyone who holds the entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.regime import Regime
from gulfsec.errors import GulfsecError, LogVerificationError, MalformedEntry
from gulfsec.ledger.note import Checkpoint
from gulfsec.ledger.tree import MerkleTree


@dataclass
class AuditResult:
    size: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_entries(regime: Regime, raws: Iterable[bytes], checkpoint: Checkpoint | None,
                  *, max_problems: int = 100) -> AuditResult:
    """Replay ``raws`` (the stored canonical entries in log order) and compare with
    ``checkpoint``. Problems are collected, not raised, so one report lists them all."""
    result = AuditResult()
    keyring = Keyring(regime.secretariat.code)
    next_seq: dict[str, int] = {}
    tree = MerkleTree()
    limit = regime.limits.max_entry_bytes

    def problem(text: str) -> None:
        if len(result.problems) < max_problems:
            result.problems.append(text)

    for index, raw in enumerate(raws):
        try:
            signed = parse_signed_entry(raw, max_bytes=limit)
            if signed.raw != raw:
                raise MalformedEntry("stored entry is not in canonical form")
            entry = signed.entry
            get_form(entry.form).validate(entry.body)
            keyring.verify(signed)
            expected = next_seq.get(entry.sender, 0)
            if entry.seq != expected:
                problem(f"entry {index}: {entry.sender} sequence {entry.seq}, expected {expected}")
            next_seq[entry.sender] = entry.seq + 1
            keyring.apply(signed, index)
            tree.append(signed.id)
        except GulfsecError as exc:
            problem(f"entry {index}: {exc.message}")
            tree.append(_unparsed_id(raw))
    result.size = tree.size
    result.root = tree.root()
    if checkpoint is not None:
        if checkpoint.size != tree.size:
            problem(f"the copy holds {tree.size} entries, the checkpoint says {checkpoint.size}")
        elif checkpoint.root != result.root:
            problem(f"the entries do not hash to the checkpoint's root at size {tree.size}")
    return result


def _unparsed_id(raw: bytes) -> bytes:
    import hashlib

    return hashlib.sha256(raw).digest()


def require_ok(result: AuditResult) -> None:
    if not result.ok:
        raise LogVerificationError(
            f"audit found {len(result.problems)} problem(s); first: {result.problems[0]}"
        )
