"""What a participant does with the hub: write entries, and check what the hub tells it.

These use cases run on the participant's side with its own key; the hub is reached only through
:class:`gulfsec.adapters.hubclient.HubClient`, and nothing it says is believed without checking:
entries against their signatures, inclusion proofs against a checkpoint signed by the pinned log
key, and new checkpoints against old ones by consistency proofs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gulfsec.adapters.hubclient import HubClient, LogMirror
from gulfsec.domain.encoding import b64decode, parse_json
from gulfsec.domain.entry import (
    ALL,
    Audience,
    Entry,
    SignedEntry,
    sign_entry,
    signed_entry_from_json,
)
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import REGISTRATION, ROTATION
from gulfsec.domain.keyring import Keyring
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import (
    EntryError,
    InclusionProofError,
    KeyFormatError,
    LogVerificationError,
    MalformedEntry,
    TransportError,
)
from gulfsec.ledger import tiles
from gulfsec.ledger.note import Checkpoint, verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency, verify_inclusion
from gulfsec.ledger.tree import MerkleTree, leaf_hash


def make_audience(parties: Sequence[str] | str) -> Audience:
    if parties == ALL or parties == [ALL]:
        return ALL
    if isinstance(parties, str):
        parties = [p.strip() for p in parties.split(",") if p.strip()]
    return tuple(sorted(set(parties)))


def compose(key: SigningKey, party: str, *, form: str, audience: Audience,
            body: Mapping[str, Any], seq: int, now: datetime,
            refs: Sequence[str] = ()) -> SignedEntry:
    """Build and sign an entry, validating its body against its form first."""
    get_form(form).validate(dict(body))
    entry = Entry(form=form, sender=party, key=key.key_id_hex, seq=seq,
                  time=now.replace(microsecond=0), audience=audience, body=dict(body),
                  refs=tuple(refs))
    return sign_entry(entry, key)


def registration_request(key: SigningKey, party: str, now: datetime) -> SignedEntry:
    """A party's first key registration, signed by the new key; the secretariat countersigns."""
    return compose(key, party, form=REGISTRATION, audience=ALL,
                   body={"party": party, "vkey": key.verifier.encode()}, seq=0, now=now)


def parse_entry_file(data: bytes) -> dict[str, Any]:
    """The entry draft a user writes: form, audience, body and optional refs."""
    try:
        draft = parse_json(data)
    except ValueError as exc:
        raise MalformedEntry(f"entry file: {exc}") from None
    if not isinstance(draft, dict):
        raise MalformedEntry("entry file must hold a JSON object")
    unknown = set(draft) - {"form", "audience", "body", "refs"}
    if unknown:
        raise MalformedEntry(f"entry file: unknown fields {sorted(unknown)}")
    for field in ("form", "audience", "body"):
        if field not in draft:
            raise MalformedEntry(f"entry file: missing {field!r}")
    if not isinstance(draft["form"], str):
        raise MalformedEntry("entry file: 'form' must be a form id such as \"message@1\"")
    audience = draft["audience"]
    if not (audience == ALL or isinstance(audience, list)
            and all(isinstance(p, str) for p in audience)):
        raise MalformedEntry('entry file: \'audience\' must be "all" or a list of party codes')
    if not isinstance(draft["body"], dict):
        raise MalformedEntry("entry file: 'body' must be a JSON object")
    refs = draft.get("refs", [])
    if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
        raise MalformedEntry("entry file: 'refs' must be a list of entry ids")
    return draft


def submit_draft(client: HubClient, key: SigningKey, party: str, draft: Mapping[str, Any],
                 now: datetime) -> tuple[SignedEntry, dict[str, Any]]:
    """Sign a draft as the party's next entry and submit it."""
    status = client.party_status()
    audience = draft["audience"]
    if not isinstance(audience, str | list):
        raise MalformedEntry('audience must be "all" or a list of party codes')
    signed = compose(key, party, form=str(draft["form"]), audience=make_audience(audience),
                     body=draft["body"], seq=int(status["next_seq"]), now=now,
                     refs=list(draft.get("refs", [])))
    return signed, client.submit(signed.raw)


@dataclass(frozen=True)
class VerifiedEntry:
    signed: SignedEntry
    index: int
    checkpoint: Checkpoint


def keyring_from_hub(client: HubClient, secretariat: str) -> Keyring:
    """The hub's list of keys, as a keyring (checked against the log by the node later)."""
    from gulfsec.domain.keyring import KeyRecord

    records = []
    for item in client.keys():
        try:
            key = VerifierKey.parse(str(item["vkey"]))
        except (KeyFormatError, KeyError) as exc:
            raise TransportError(f"the hub listed a malformed key: {exc}") from None
        revoked = item.get("revoked_at")
        records.append(KeyRecord(str(item["party"]), key, int(item["registered_at"]),
                                 None if revoked is None else int(revoked)))
    return Keyring(secretariat, records)


def verify_entry_with_proof(item: Mapping[str, Any], log_key: VerifierKey,
                            keyring: Keyring) -> VerifiedEntry:
    """Check an entry as served with its proof: id, signatures, inclusion, checkpoint."""
    try:
        signed = signed_entry_from_json(item["entry"])
        index = int(item["index"])
        proof = [b64decode(h, length=32) for h in item["proof"]]
        note = str(item["checkpoint"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedEntry(f"the hub's answer is malformed: {exc}") from None
    if signed.id_hex != item.get("entry_id"):
        raise EntryError("entry id does not match the entry's content", entry_id=signed.id_hex)
    checkpoint, _ = verify_checkpoint(note, log_key)
    if checkpoint.size != int(item.get("size", checkpoint.size)):
        raise InclusionProofError("proof size does not match the checkpoint")
    verify_inclusion(leaf_hash(signed.id), index, checkpoint.size, proof, checkpoint.root)
    if signed.entry.form == REGISTRATION and index == 0:
        # The genesis entry registers the secretariat's key: it is self-signed.
        pass
    else:
        _check_sender_signature(signed, keyring)
    return VerifiedEntry(signed, index, checkpoint)


def _check_sender_signature(signed: SignedEntry, keyring: Keyring) -> None:
    from gulfsec.domain.entry import check_signatures

    def resolve_any(party: str, kid: str) -> VerifierKey:
        # An entry stays valid after its key is rotated out later: look up retired keys too.
        for record in keyring.records():
            if record.party == party and record.key.key_id_hex == kid:
                return record.key
        return keyring.resolve(party, kid)

    entry = signed.entry
    check_signatures(signed, [(entry.sender, entry.key)] + [
        (_signer_party(entry, s.key, keyring), s.key) for s in signed.signatures[1:]
    ], resolve_any)


def _signer_party(entry: Entry, kid: str, keyring: Keyring) -> str:
    for record in keyring.records():
        if record.key.key_id_hex == kid:
            return record.party
    if entry.form == ROTATION:
        return entry.sender
    return keyring.secretariat


@dataclass(frozen=True)
class AuditReport:
    size: int
    root: bytes
    checked_consistency_from: int | None
    note: str = ""
    """The checkpoint verified, as it was served."""


def audit_log(client: HubClient | LogMirror, log_key: VerifierKey,
              previous: Checkpoint | None = None) -> AuditReport:
    """Verify the whole log: the latest checkpoint's signature, every entry id in the entry
    bundles recomputed into the root, and consistency with a checkpoint seen before.

    ``client`` is the hub, or a copy of its tiles (:class:`LogMirror`, an object store the
    hub publishes to), checked exactly alike; a copy serves no proofs, but the tree rebuilt
    here from every leaf hashes to both roots, which is what a consistency proof shows."""
    note = client.checkpoint()
    checkpoint, _ = verify_checkpoint(note, log_key)
    tree = MerkleTree()
    index = 0
    while index < checkpoint.size:
        tile_index = index // tiles.TILE_WIDTH
        width = tiles.tile_width(0, tile_index, checkpoint.size)
        bundle = client.tile(tiles.entries_path(tile_index, width))
        ids = tiles.parse_entry_bundle(bundle)
        if len(ids) != width:
            raise LogVerificationError(f"entry bundle {tile_index} has {len(ids)} entries, "
                                       f"expected {width}")
        tree.extend(ids)
        index += width
    if tree.root(checkpoint.size) != checkpoint.root:
        raise LogVerificationError(
            f"the entries served do not hash to the signed root at size {checkpoint.size}"
        )
    if previous is not None:
        if previous.size > checkpoint.size:
            raise LogVerificationError(
                f"the log shrank: size {checkpoint.size} after size {previous.size}")
        if previous.size and tree.root(previous.size) != previous.root:
            raise LogVerificationError(
                f"the log was rewritten: the entries served no longer hash to the root signed "
                f"at size {previous.size}")
        if isinstance(client, HubClient):
            served = client.consistency(previous.size, checkpoint.size)
            try:
                proof = [b64decode(h, length=32) for h in served["proof"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise LogVerificationError(
                    f"the hub's consistency proof is malformed: {exc}") from None
            verify_consistency(previous.size, checkpoint.size, previous.root, checkpoint.root,
                               proof)
    return AuditReport(checkpoint.size, checkpoint.root,
                       None if previous is None else previous.size, note)




def canonical_entry(obj: Any) -> bytes:
    """The canonical bytes of a signed entry given as JSON (as the hub serves it)."""
    from gulfsec.domain.encoding import JSONError, canonical

    try:
        return canonical(obj)
    except JSONError as exc:
        raise MalformedEntry(f"the entry is malformed: {exc}") from None
