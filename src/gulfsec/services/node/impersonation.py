"""A key entry in this party's name that its node did not sign: ``impersonation``.

The secretariat countersigns key registrations, so a dishonest secretariat could register a key
for a party before the party sets up its node, rotate a party's key, or revoke it. Whatever key
entry concerns this party — a registration or rotation of a key that is not its node's, a
revocation not signed by its node's key — its node raises ``impersonation`` at once, with the
entry, where the log holds it (an inclusion proof in a signed checkpoint), and a statement
signed by the node's own key that it did not sign it: a third party who knows the party's key
(its fingerprint was compared out of band) can check all of it with the log key.
"""

from __future__ import annotations

from typing import Any

from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.encoding import b64encode
from gulfsec.domain.entry import SignedEntry
from gulfsec.domain.forms.keys import REGISTRATION, REVOCATION, ROTATION
from gulfsec.errors import LogVerificationError, TransportError
from gulfsec.ledger.evidence import impersonation_statement
from gulfsec.services.node.core import NodeCore, SyncReport


def impersonation(core: NodeCore, signed: SignedEntry) -> str | None:
    """Why ``signed`` impersonates this node's party, or None if it does not."""
    entry = signed.entry
    me, mine = core.party, core.key.verifier.encode()
    body = entry.body
    if entry.form == REGISTRATION and body.get("party") == me and body.get("vkey") != mine:
        return f"a key registration in {me}'s name of a key that is not its node's"
    if entry.form == ROTATION and entry.sender == me and body.get("vkey") != mine:
        return f"a rotation of {me}'s key to a key that is not its node's"
    if entry.form == REVOCATION and body.get("party") == me and (
            entry.sender != me or entry.key != core.key.key_id_hex):
        return f"a revocation of {me}'s key {body.get('key')} that its node did not sign"
    return None


def check_keys_in_my_name(core: NodeCore, report: SyncReport) -> None:
    """While this party's key is not active in the node's copy (not admitted yet, revoked,
    or locked out of reading), look at the hub's public list of keys (a signed answer): any
    active key in the party's name that is not the node's is ``impersonation``."""
    record = core.copy.keyring.active_key(core.party)
    mine = core.key.key_id_hex
    if record is not None and record.key.key_id_hex == mine:
        return
    try:
        listed = core.client.keys()
    except (TransportError, LogVerificationError):
        return
    answer = core.client.last_answer()
    if answer is None:
        return
    for item in listed:
        kid = item.get("key_id")
        if item.get("party") != core.party or kid == mine or item.get("revoked_at") is not None:
            continue
        message = (f"the hub lists key {kid} as {core.party}'s active key; its node holds key "
                   f"{mine} and did not register {kid}")
        statement = core.key.sign(impersonation_statement(core.party, f"key:{kid}"))
        with core.uow() as uow:
            core.alarm(uow.repo, "impersonation", message, {
                "keys_answer": answer.to_json(), "key_id": kid,
                "party_key": core.key.verifier.encode(), "statement": b64encode(statement)})
            uow.commit()
        report.alarms.append(f"impersonation: {message}")


def raise_impersonation(core: NodeCore, repo: NodeRepository, report: SyncReport,
                        signed: SignedEntry, index: int, why: str) -> None:
    tree = core.copy.tree
    latest = repo.latest_checkpoint()
    evidence: dict[str, Any] = {
        "entry": signed.raw.decode("utf-8"), "index": index,
        "checkpoint": None if latest is None else latest.note,
        "inclusion_proof": None if latest is None else [
            b64encode(h) for h in tree.inclusion_proof(index, latest.size)],
        "party_key": core.key.verifier.encode(),
        "statement": b64encode(core.key.sign(impersonation_statement(core.party,
                                                                     signed.id_hex))),
    }
    message = f"{why}: entry {signed.id_hex} at index {index}"
    core.alarm(repo, "impersonation", message, evidence)
    report.alarms.append(f"impersonation: {message}")
