"""Evidence anyone can check: what an alarm proves about the hub, with nothing but the log key.

A node keeps, with each alarm, the signed material it rests on: checkpoints signed by the log
key, answers of the hub signed by the log key (:mod:`.answers`: receipts, pages of entries,
proofs), and proofs computed from the node's own tree. ``gulfsec node evidence ALARM_ID`` writes
it as one JSON file; :func:`verify_evidence` (``gulfsec verify-evidence FILE --log-key KEY``)
checks it with no access to the hub or the node and says in one line what it proves — or
raises :class:`~gulfsec.errors.LogVerificationError` saying why it proves nothing.

Each kind of alarm has its check here; what is not listed proves nothing by itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from gulfsec.domain.encoding import b64decode, format_time, parse_json
from gulfsec.domain.entry import SignedEntry, parse_signed_entry
from gulfsec.domain.forms.keys import REGISTRATION, REVOCATION, ROTATION
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import GulfsecError, NotProven
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.ledger.note import (
    Checkpoint,
    SignedNote,
    hub_timestamp,
    parse_note,
    verify_checkpoint,
    verify_cosignature,
)
from gulfsec.ledger.proofs import verify_consistency, verify_inclusion
from gulfsec.ledger.receipts import Receipt, read_receipt
from gulfsec.ledger.tree import leaf_hash

FORMAT = "gulfsec-evidence/1"

Evidence = Mapping[str, Any]


def _when(seconds: int) -> str:
    return format_time(datetime.fromtimestamp(seconds, UTC))


def _checkpoint(note: Any, log_key: VerifierKey, what: str) -> tuple[Checkpoint, int]:
    """A checkpoint signed by the log key, and the time the hub signed it."""
    if not isinstance(note, str):
        raise NotProven(f"the evidence holds no {what}")
    checkpoint, signed = verify_checkpoint(note, log_key)
    return checkpoint, _signed_time(signed, checkpoint, log_key)


def _signed_time(signed: SignedNote, checkpoint: Checkpoint, log_key: VerifierKey) -> int:
    return hub_timestamp(signed, checkpoint, log_key)


def _answer(data: Any, log_key: VerifierKey, what: str) -> SignedAnswer:
    if not isinstance(data, Mapping):
        raise NotProven(f"the evidence holds no {what}")
    answer = SignedAnswer.from_json(data)
    answer.verify(log_key)
    return answer


def _receipt(evidence: Evidence, log_key: VerifierKey) -> Receipt:
    receipt = read_receipt(_answer(evidence.get("receipt"), log_key, "signed receipt"))
    return receipt


def _answered_checkpoint(answer: SignedAnswer, log_key: VerifierKey) -> Checkpoint:
    if answer.status != 200 or not answer.target.startswith(("/v1/checkpoint", "/log/checkpoint")):
        raise NotProven(f"the answer to {answer.target} is not a checkpoint")
    checkpoint, _ = verify_checkpoint(answer.body.decode("utf-8", "replace"), log_key)
    return checkpoint


def _hashes(data: Any) -> list[bytes]:
    if not isinstance(data, list):
        raise NotProven("the evidence holds no proof")
    return [b64decode(str(h), length=32) for h in data]


# -- one check per kind ------------------------------------------------------------------------


def _dropped(evidence: Evidence, log_key: VerifierKey) -> str:
    receipt = _receipt(evidence, log_key)
    if evidence.get("checkpoint_answer") is not None:
        answer = _answer(evidence["checkpoint_answer"], log_key, "checkpoint answer")
        checkpoint = _answered_checkpoint(answer, log_key)
        if answer.when <= receipt.promised_by or checkpoint.size > receipt.index:
            raise NotProven("the checkpoint was answered before the promise ran out, or it "
                            "holds the index")
        return (f"the hub promised, signed, to publish entry {receipt.entry_id} at index "
                f"{receipt.index} by {format_time(receipt.promised_by)}, and at "
                f"{format_time(answer.when)} it still answered a signed tree of "
                f"{checkpoint.size} entries")
    checkpoint, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    held = b64decode(str(evidence.get("leaf_hash")), length=32)
    index = receipt.index
    verify_inclusion(held, index, checkpoint.size, _hashes(evidence.get("inclusion_proof")),
                     checkpoint.root)
    if held == leaf_hash(bytes.fromhex(receipt.entry_id)):
        raise NotProven(f"the signed tree holds entry {receipt.entry_id} at index {index}")
    return (f"the hub's signed receipt puts entry {receipt.entry_id} at index {index}, but its "
            f"signed tree of {checkpoint.size} entries holds another entry there")


def _bad_receipt(evidence: Evidence, log_key: VerifierKey) -> str:
    receipt = _receipt(evidence, log_key)
    answer = _answer(evidence.get("checkpoint_answer"), log_key, "checkpoint answer")
    checkpoint = _answered_checkpoint(answer, log_key)
    if answer.time < receipt.answer.time or checkpoint.size > receipt.index:
        raise NotProven("the hub's checkpoint holds the receipt's index")
    return (f"the hub signed a receipt at {format_time(receipt.answer.when)} putting entry "
            f"{receipt.entry_id} at index {receipt.index}, then at {format_time(answer.when)} "
            f"answered a signed tree of only {checkpoint.size} entries")


def _split_view(evidence: Evidence, log_key: VerifierKey) -> str:
    first, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    other_note = evidence.get("conflicting_checkpoint") or evidence.get("cosigned_checkpoint") \
        or evidence.get("held_checkpoint") or evidence.get("earlier_checkpoint")
    second, _ = _checkpoint(other_note, log_key, "second signed checkpoint")
    if first.size == second.size:
        if first.root == second.root:
            raise NotProven("the two checkpoints are the same tree")
        return (f"the hub signed two different trees of {first.size} entries "
                f"(roots {first.root.hex()[:16]}… and {second.root.hex()[:16]}…)")
    old, new = sorted((first, second), key=lambda c: c.size)
    return _inconsistent(evidence, log_key, old, new)


def _inconsistent(evidence: Evidence, log_key: VerifierKey, old: Checkpoint,
                  new: Checkpoint) -> str:
    """Two signed trees of different sizes, and the hub's signed answer when asked to prove
    that the larger extends the smaller."""
    answer = _answer(evidence.get("consistency_answer"), log_key, "signed consistency answer")
    expected = f"/v1/proof/consistency?old={old.size}&new={new.size}"
    if answer.target != expected:
        raise NotProven(f"the consistency answer is to {answer.target}, not {expected}")
    if answer.status != 200:
        return (f"the hub signed trees of {old.size} and {new.size} entries and, asked to "
                f"prove the larger extends the smaller, refused ({answer.status}) at "
                f"{format_time(answer.when)}")
    try:
        body = parse_json(answer.body)
        proof = [b64decode(str(h), length=32) for h in body["proof"]]
        verify_consistency(old.size, new.size, old.root, new.root, proof)
    except (GulfsecError, KeyError, TypeError, ValueError):
        return (f"the hub signed trees of {old.size} and {new.size} entries and, asked to "
                f"prove the larger extends the smaller, answered a proof that fails "
                f"(at {format_time(answer.when)})")
    raise NotProven(f"the hub proved the tree of {new.size} extends the tree of {old.size}")


def _inconsistent_log(evidence: Evidence, log_key: VerifierKey) -> str:
    new, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    old, _ = _checkpoint(evidence.get("held_checkpoint"), log_key, "earlier signed checkpoint")
    if old.size == new.size:
        return _split_view({**evidence, "conflicting_checkpoint": evidence["held_checkpoint"]},
                           log_key)
    return _inconsistent(evidence, log_key, *sorted((old, new), key=lambda c: c.size))


def _backdated(evidence: Evidence, log_key: VerifierKey) -> str:
    later, later_time = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    earlier, earlier_time = _checkpoint(evidence.get("earlier_checkpoint"), log_key,
                                        "earlier signed checkpoint")
    if later.size <= earlier.size or later_time >= earlier_time:
        raise NotProven("the larger tree is not dated before the smaller one")
    return (f"the hub dated its signed tree of {later.size} entries {_when(later_time)}, "
            f"before its tree of {earlier.size} entries ({_when(earlier_time)})")


def _future(evidence: Evidence, log_key: VerifierKey) -> str:
    answer = _answer(evidence.get("checkpoint_answer"), log_key, "checkpoint answer")
    checkpoint = _answered_checkpoint(answer, log_key)
    _, signed_at = _checkpoint(answer.body.decode("utf-8", "replace"), log_key, "checkpoint")
    if signed_at <= answer.time:
        raise NotProven("the checkpoint is not dated after the answer that served it")
    return (f"the hub served at {format_time(answer.when)} a signed tree of {checkpoint.size} "
            f"entries it dated {_when(signed_at)}, in its own future")


def _stale(evidence: Evidence, log_key: VerifierKey) -> str:
    larger, signed_at = _checkpoint(evidence.get("peer_checkpoint"), log_key,
                                    "the peer's signed checkpoint")
    answer = _answer(evidence.get("checkpoint_answer"), log_key, "checkpoint answer")
    served = _answered_checkpoint(answer, log_key)
    if served.size >= larger.size or answer.time <= signed_at:
        raise NotProven("the hub answered no older tree after signing the larger one")
    return (f"the hub signed a tree of {larger.size} entries at {_when(signed_at)}, and "
            f"{answer.time - signed_at} s later ({format_time(answer.when)}) answered a tree "
            f"of only {served.size}")


def _served_item(evidence: Evidence, log_key: VerifierKey) -> tuple[SignedAnswer, int, bytes,
                                                                      str]:
    """The item at the evidence's index in a signed page of entries: (the answer, the index,
    the content served, the id it was served under)."""
    answer = _answer(evidence.get("entries_answer"), log_key, "signed page of entries")
    if not answer.target.startswith("/v1/entries") or answer.status != 200:
        raise NotProven("the answer is not a page of entries")
    index = int(evidence["index"])
    items = parse_json(answer.body).get("entries", [])
    item = next((i for i in items if isinstance(i, dict) and i.get("index") == index), None)
    if item is None or not isinstance(item.get("raw"), str):
        raise NotProven(f"the signed page holds no entry at index {index}")
    return answer, index, b64decode(item["raw"]), str(item.get("entry_id"))


def _bad_entry(evidence: Evidence, log_key: VerifierKey) -> str:
    answer, index, content, claimed = _served_item(evidence, log_key)
    served_id = hashlib.sha256(content).hexdigest()
    to = f"to {answer.party} at {format_time(answer.when)}"
    if served_id != claimed:
        return (f"the hub served {to}, as entry {claimed} at index {index}, content whose id "
                f"is {served_id}")
    checkpoint, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    held = b64decode(str(evidence.get("leaf_hash")), length=32)
    verify_inclusion(held, index, checkpoint.size, _hashes(evidence.get("inclusion_proof")),
                     checkpoint.root)
    if held != leaf_hash(bytes.fromhex(served_id)):
        return (f"the hub served {to}, as index {index}, entry {served_id}, which its own "
                f"signed tree of {checkpoint.size} entries does not hold there")
    signed = parse_signed_entry(content, max_bytes=1 << 22)
    if answer.party != "-" and not signed.entry.can_read(answer.party):
        return (f"the hub served {to} entry {served_id} (index {index}), which is not "
                f"addressed to {answer.party}")
    raise NotProven("what is wrong with this entry is not provable with the log key alone")


def _replayed_keys(evidence: Evidence, checkpoint: Checkpoint, before: int) -> Keyring:
    """The keyring the evidence's key entries give, each proven in ``checkpoint``'s tree and
    before index ``before``, replayed from the secretariat's key (the log's entry 0)."""
    keys = sorted((k for k in evidence.get("keys", []) if isinstance(k, Mapping)),
                  key=lambda k: int(k["index"]))
    if not keys or int(keys[0]["index"]) != 0:
        raise NotProven("the evidence does not hold the secretariat's key (the log's entry 0)")
    replayed: Keyring | None = None
    for item in keys:
        key_entry = parse_signed_entry(str(item["entry"]).encode(), max_bytes=1 << 22)
        at = int(item["index"])
        if at >= before:
            raise NotProven(f"a key entry comes at or after index {before}")
        verify_inclusion(leaf_hash(key_entry.id), at, checkpoint.size,
                         _hashes(item.get("inclusion_proof")), checkpoint.root)
        if replayed is None:
            replayed = Keyring(key_entry.entry.sender)
        replayed.verify(key_entry)
        replayed.apply(key_entry, at)
    assert replayed is not None
    return replayed


def _bad_cosignature(evidence: Evidence, log_key: VerifierKey) -> str:
    answer = _answer(evidence.get("cosignatures_answer"), log_key, "signed list of cosignatures")
    if answer.target.partition("?")[0] != "/v1/cosignatures" or answer.status != 200:
        raise NotProven("the answer is not a list of cosignatures")
    size, party, line = int(evidence["size"]), str(evidence["party"]), str(evidence["line"])
    listed = parse_json(answer.body).get("cosignatures", [])
    if not any(isinstance(i, Mapping) and (i.get("size"), i.get("party"), i.get("line"))
               == (size, party, line) for i in listed):
        raise NotProven("the signed list does not hold this cosignature")
    checkpoint, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    root = b64decode(str(evidence.get("root")), length=32)
    if size == checkpoint.size:
        if root != checkpoint.root:
            raise NotProven("the root is not the signed checkpoint's")
    else:
        verify_consistency(size, checkpoint.size, root, checkpoint.root,
                           _hashes(evidence.get("consistency_proof")))
    signature = parse_note(Checkpoint(log_key.name, size, root).body() + "\n"
                           + line.rstrip("\n") + "\n").signatures[0]
    to = f"the hub served, signed at {format_time(answer.when)}, as {party}'s cosignature of " \
         f"the tree of {size} entries,"
    if signature.name != party:
        return f"{to} a signature by {signature.name}"
    held = [r.key for r in _replayed_keys(evidence, checkpoint, checkpoint.size).records()
            if r.party == party]
    if not held:
        raise NotProven(f"the evidence holds no key of {party}")
    for key in held:
        try:
            verify_cosignature(Checkpoint(log_key.name, size, root), signature, key)
        except GulfsecError:
            continue
        raise NotProven(f"the cosignature verifies under {party}'s key {key.key_id_hex}")
    return f"{to} a signature no key {party} has held made"


def _entry_in_tree(evidence: Evidence,
                   log_key: VerifierKey) -> tuple[Checkpoint, int, SignedEntry, int]:
    """The evidence's signed checkpoint (and its signed time), and its entry, proven at its
    index in that tree."""
    checkpoint, signed_at = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    signed = parse_signed_entry(str(evidence.get("entry", "")).encode(), max_bytes=1 << 22)
    index = int(evidence["index"])
    verify_inclusion(leaf_hash(signed.id), index, checkpoint.size,
                     _hashes(evidence.get("inclusion_proof")), checkpoint.root)
    return checkpoint, signed_at, signed, index


def _forged(evidence: Evidence, log_key: VerifierKey) -> str:
    checkpoint, _, signed, index = _entry_in_tree(evidence, log_key)
    replayed = _replayed_keys(evidence, checkpoint, index)
    try:
        replayed.verify(signed)
    except GulfsecError as exc:
        return (f"the hub's signed tree of {checkpoint.size} entries holds at index {index} an "
                f"entry in {signed.entry.sender}'s name that does not verify under "
                f"{signed.entry.sender}'s keys as the log stood ({exc.message})")
    raise NotProven("the entry verifies under its sender's keys")


def _withheld(evidence: Evidence, log_key: VerifierKey) -> str:
    checkpoint, signed_at, signed, index = _entry_in_tree(evidence, log_key)
    answer = _answer(evidence.get("entries_answer"), log_key, "signed page of entries")
    path, _, query = answer.target.partition("?")
    if path != "/v1/entries" or answer.status != 200:
        raise NotProven("the answer is not a page of entries")
    after = int(parse_qs(query).get("after", ["-1"])[0])
    if not after < index:
        raise NotProven(f"the page was asked for entries after {after}, not before {index}")
    if answer.party == "-" or not signed.entry.can_read(answer.party):
        raise NotProven(f"entry {signed.id_hex} is not addressed to {answer.party}")
    if answer.time < signed_at:
        raise NotProven("the page was answered before the tree holding the entry was signed")
    items = parse_json(answer.body).get("entries", [])
    served = [i.get("index") for i in items if isinstance(i, dict)]
    if index in served:
        raise NotProven(f"the signed page holds the entry at index {index}")
    if served and max(i for i in served if isinstance(i, int)) < index:
        raise NotProven(f"the signed page ends before index {index}")
    return (f"entry {signed.id_hex} (index {index}) is addressed to {answer.party} and in the "
            f"hub's signed tree of {checkpoint.size} entries, signed at {_when(signed_at)}; "
            f"at {format_time(answer.when)} the hub, asked by {answer.party} for its entries "
            f"after {after}, answered, signed, a page without it")


def impersonation_statement(party: str, entry_id: str) -> bytes:
    """What a party's key signs to say it did not sign a key entry in its name."""
    return f"gulfsec/impersonation/v1\n{party}\n{entry_id}\n".encode()


def _listed_in_my_name(evidence: Evidence, log_key: VerifierKey) -> str:
    """The hub's signed list of keys holds, as a party's active key, one the party's own key
    says it did not register."""
    answer = _answer(evidence.get("keys_answer"), log_key, "signed list of keys")
    if answer.target != "/v1/keys" or answer.status != 200:
        raise NotProven("the answer is not the hub's list of keys")
    party_key = VerifierKey.parse(str(evidence.get("party_key")))
    party, kid = party_key.name, str(evidence.get("key_id"))
    statement = b64decode(str(evidence.get("statement")), length=64)
    if not party_key.verify(impersonation_statement(party, f"key:{kid}"), statement):
        raise NotProven(f"the statement is not signed by {party}'s key")
    listed = parse_json(answer.body)
    found = [k for k in listed if isinstance(k, dict) and k.get("party") == party
             and k.get("key_id") == kid and k.get("revoked_at") is None]
    if not found or kid == party_key.key_id_hex:
        raise NotProven(f"the hub's list does not hold another active key for {party}")
    return (f"the hub listed, signed, at {format_time(answer.when)} key {kid} as {party}'s "
            f"active key; {party}'s key {party_key.key_id_hex} (fingerprint "
            f"{party_key.fingerprint}) states it did not register it")


def _impersonation(evidence: Evidence, log_key: VerifierKey) -> str:
    if evidence.get("keys_answer") is not None:
        return _listed_in_my_name(evidence, log_key)
    checkpoint, _ = _checkpoint(evidence.get("checkpoint"), log_key, "signed checkpoint")
    signed = parse_signed_entry(str(evidence.get("entry", "")).encode(), max_bytes=1 << 20)
    index = int(evidence["index"])
    verify_inclusion(leaf_hash(signed.id), index, checkpoint.size,
                     _hashes(evidence.get("inclusion_proof")), checkpoint.root)
    party_key = VerifierKey.parse(str(evidence.get("party_key")))
    party = party_key.name
    statement = b64decode(str(evidence.get("statement")), length=64)
    if not party_key.verify(impersonation_statement(party, signed.id_hex), statement):
        raise NotProven(f"the statement is not signed by {party}'s key")
    entry, body = signed.entry, signed.entry.body
    if entry.form in (REGISTRATION, ROTATION):
        named = body.get("party", entry.sender)
        if named != party or body.get("vkey") == party_key.encode():
            raise NotProven(f"the entry does not register another key for {party}")
        what = "registers" if entry.form == REGISTRATION else "rotates to"
        return (f"the log holds at index {index} (signed tree of {checkpoint.size}) an entry "
                f"that {what} a key for {party} other than the key {party_key.key_id_hex} "
                f"(fingerprint {party_key.fingerprint}), whose holder states it did not sign it")
    if entry.form == REVOCATION and body.get("party") == party:
        if entry.sender == party and entry.key == party_key.key_id_hex:
            raise NotProven(f"{party}'s own key signed the revocation")
        return (f"the log holds at index {index} (signed tree of {checkpoint.size}) a "
                f"revocation of {party}'s key signed by {entry.sender}'s key {entry.key}, not "
                f"by {party}'s key {party_key.key_id_hex}, whose holder states it did not sign "
                "it")
    raise NotProven(f"the entry is not a key entry in {party}'s name")


CHECKS: Mapping[str, Callable[[Evidence, VerifierKey], str]] = {
    "bad_entry": _bad_entry,
    "forged_entry": _forged,
    "withheld_entry": _withheld,
    "bad_cosignature": _bad_cosignature,
    "stale_view": _stale,
    "impersonation": _impersonation,
    "dropped_entry": _dropped,
    "bad_receipt": _bad_receipt,
    "split_view": _split_view,
    "inconsistent_log": _inconsistent_log,
    "backdated_checkpoint": _backdated,
    "future_checkpoint": _future,
}
"""What each kind of alarm can prove by itself."""


def verify_evidence(document: Any, log_key: VerifierKey) -> str:
    """Check an evidence file (:func:`evidence_document`) with the log key alone; one line
    saying what it proves, or :class:`NotProven`."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise NotProven(f"not a {FORMAT} file")
    kind = document.get("kind")
    check = CHECKS.get(str(kind))
    if check is None:
        raise NotProven(f"an alarm of kind {kind!r} carries no evidence a third party can "
                        "check with the log key alone")
    evidence = document.get("evidence")
    if not isinstance(evidence, Mapping):
        raise NotProven("the file holds no evidence")
    if document.get("log_key") not in (None, log_key.encode()):
        raise NotProven("the evidence names another log key")
    try:
        return f"proven: {check(evidence, log_key)}"
    except NotProven:
        raise
    except (GulfsecError, KeyError, TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, GulfsecError) else str(exc)
        raise NotProven(f"the evidence does not check out: {message}") from None


def evidence_document(kind: str, message: str, evidence: Evidence, *, party: str,
                      raised_at: str, log_key: VerifierKey) -> dict[str, Any]:
    """An alarm as one self-contained file."""
    return {"format": FORMAT, "kind": kind, "message": message, "party": party,
            "raised_at": raised_at, "log_origin": log_key.name, "log_key": log_key.encode(),
            "evidence": dict(evidence)}
