"""The signed entry: everything that happens in gulfsec is one.

Wire form (a JSON object; its RFC 8785 encoding is what is stored and hashed)::

    {
      "entry": {
        "v": 1,                          format version
        "form": "message@1",             form id, see gulfsec.domain.forms
        "sender": "IRN",                 sender party
        "key": "1a2b3c4d",               C2SP key id of the sender's signing key
        "seq": 7,                        the sender's own sequence number, from 0, no gaps
        "time": "2026-11-23T04:00:00Z",  creation time claimed by the sender
        "audience": "all" | ["SAU", ...],
        "refs": ["<entry id hex>", ...],
        "body": {...}                    validated by the form
      },
      "signatures": [{"key": "1a2b3c4d", "sig": "<base64>"}, ...]
    }

The first signature is the sender's, by the key named in ``entry.key``; further ones are
countersignatures some forms require. Each signs ``DOMAIN || JCS(entry)``. The entry id is
SHA-256 of JCS(the whole object). :func:`parse_signed_entry` checks the shape when an entry is
built; :func:`check_signatures` checks the signatures against keys the caller resolves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from gulfsec.domain.encoding import (
    JSONError,
    b64decode,
    b64encode,
    canonical,
    format_time,
    is_entry_id,
    parse_if_canonical,
    parse_json,
    parse_json_fast,
    parse_time,
)
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import BadSignature, EntryTooLarge, MalformedEntry

FORMAT_VERSION = 1
DOMAIN = b"gulfsec/entry/v1\n"
ALL: Literal["all"] = "all"

Audience = Literal["all"] | tuple[str, ...]

_ENTRY_FIELDS = frozenset({"v", "form", "sender", "key", "seq", "time", "audience", "refs", "body"})
_SIGNED_FIELDS = frozenset({"entry", "signatures"})
_MAX_SEQ = 2**53 - 1
_ENTRY_KEY = b'{"entry":'
_SIGNATURES_KEY = b',"signatures":['


@dataclass(frozen=True)
class Entry:
    """The unsigned content of an entry. Built only with valid shapes."""

    form: str
    sender: str
    key: str
    seq: int
    time: datetime
    audience: Audience
    body: Mapping[str, Any]
    refs: tuple[str, ...] = ()
    v: int = FORMAT_VERSION
    _source: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """The JSON object this entry was parsed from (exactly as signed), if any."""

    def to_json(self) -> dict[str, Any]:
        """The entry's JSON object; for a parsed entry, the very object it was parsed from."""
        if self._source is not None:
            return self._source
        return {
            "v": self.v,
            "form": self.form,
            "sender": self.sender,
            "key": self.key,
            "seq": self.seq,
            "time": format_time(self.time),
            "audience": self.audience if self.audience == ALL else list(self.audience),
            "refs": list(self.refs),
            "body": dict(self.body),
        }

    def signing_bytes(self) -> bytes:
        """What every signature on this entry signs."""
        return DOMAIN + canonical(self.to_json())

    def is_addressed_to(self, party: str) -> bool:
        return self.audience == ALL or party in self.audience

    def can_read(self, party: str) -> bool:
        return party == self.sender or self.is_addressed_to(party)


@dataclass(frozen=True)
class Signature:
    key: str
    sig: bytes = field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "sig": b64encode(self.sig)}


@dataclass(frozen=True)
class SignedEntry:
    """An entry with its signatures, its canonical bytes and its id."""

    entry: Entry
    signatures: tuple[Signature, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.entry.to_json(),
            "signatures": [s.to_json() for s in self.signatures],
        }

    @cached_property
    def raw(self) -> bytes:
        """The RFC 8785 encoding: what is stored, served and hashed."""
        return canonical(self.to_json())

    @cached_property
    def id(self) -> bytes:
        return hashlib.sha256(self.raw).digest()

    @cached_property
    def id_hex(self) -> str:
        return self.id.hex()

    @cached_property
    def signing_bytes(self) -> bytes:
        """What the signatures sign, sliced from :attr:`raw` rather than encoded again.

        In the canonical form ``"entry"`` sorts before ``"signatures"``, so ``raw`` reads
        ``{"entry":<JCS(entry)>,"signatures":[...]}``; the signatures list holds only key/sig
        objects, so the last ``,"signatures":[`` is the top-level one.
        """
        raw = self.raw
        end = raw.rfind(_SIGNATURES_KEY)
        assert raw.startswith(_ENTRY_KEY) and end > 0
        return DOMAIN + raw[len(_ENTRY_KEY) : end]

    def countersigned(self, key: SigningKey) -> SignedEntry:
        """A copy with one more signature, by ``key``."""
        sig = Signature(key.key_id_hex, key.sign(self.signing_bytes))
        return SignedEntry(self.entry, (*self.signatures, sig))


def sign_entry(entry: Entry, key: SigningKey) -> SignedEntry:
    """Sign ``entry`` with the sender's key (whose id must be ``entry.key``)."""
    if key.key_id_hex != entry.key:
        raise ValueError("entry.key must be the id of the signing key")
    return SignedEntry(entry, (Signature(entry.key, key.sign(entry.signing_bytes())),))


_KEY_ID = re.compile(r"[0-9a-f]{8}")


def _fail(what: str) -> MalformedEntry:
    return MalformedEntry(f"malformed entry: {what}")


def _expect(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = obj.get(name)
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise _fail(f"{name} must be {what}")
    return value


def _parse_audience(value: Any) -> Audience:
    if value == ALL:
        return ALL
    if not isinstance(value, list) or not value:
        raise _fail('audience must be "all" or a non-empty list of party codes')
    if not all(isinstance(p, str) and 2 <= len(p) <= 8 for p in value):
        raise _fail("audience must list party codes")
    if list(value) != sorted(set(value)):
        raise _fail("audience must be sorted and without repeats")
    return tuple(value)


def entry_from_json(obj: Any) -> Entry:
    """Build an :class:`Entry` from its JSON object, checking every field's shape."""
    if not isinstance(obj, dict):
        raise _fail("entry must be an object")
    if obj.keys() != _ENTRY_FIELDS:
        extra = set(obj) - _ENTRY_FIELDS
        if extra:
            raise _fail(f"unknown fields {sorted(extra)}")
        raise _fail(f"missing fields {sorted(_ENTRY_FIELDS - set(obj))}")
    v = _expect(obj, "v", int, "an integer")
    if v != FORMAT_VERSION:
        raise _fail(f"format version {v} is not supported (expected {FORMAT_VERSION})")
    form = _expect(obj, "form", str, "a form id")
    if "@" not in form or len(form) > 64:
        raise _fail("form must read <name>@<version>")
    sender = _expect(obj, "sender", str, "a party code")
    key = _expect(obj, "key", str, "a key id")
    if not _KEY_ID.fullmatch(key):
        raise _fail("key must be 8 lowercase hex digits")
    seq = _expect(obj, "seq", int, "an integer")
    if not 0 <= seq <= _MAX_SEQ:
        raise _fail("seq must be a non-negative integer")
    try:
        time = parse_time(_expect(obj, "time", str, "a UTC time"))
    except ValueError as exc:
        raise _fail(f"time: {exc}") from None
    refs = _expect(obj, "refs", list, "a list of entry ids")
    if not all(isinstance(r, str) and is_entry_id(r) for r in refs):
        raise _fail("refs must be entry ids (64 lowercase hex digits)")
    if len(set(refs)) != len(refs):
        raise _fail("refs must not repeat")
    body = _expect(obj, "body", dict, "an object")
    return Entry(
        form=form,
        sender=sender,
        key=key,
        seq=seq,
        time=time,
        audience=_parse_audience(obj["audience"]),
        body=body,
        refs=tuple(refs),
        v=v,
        _source=obj,
    )


def signed_entry_from_json(obj: Any, *, canonical_bytes: bytes | None = None) -> SignedEntry:
    """Build a :class:`SignedEntry` from its JSON object, checking every field's shape.

    ``canonical_bytes``, when the caller already knows them to be the RFC 8785 encoding of
    ``obj``, spare encoding it again.
    """
    if not isinstance(obj, dict) or obj.keys() != _SIGNED_FIELDS:
        raise _fail('expected an object with exactly "entry" and "signatures"')
    entry = entry_from_json(obj["entry"])
    sigs_json = obj["signatures"]
    if not isinstance(sigs_json, list) or not 1 <= len(sigs_json) <= 4:
        raise _fail("signatures must be a list of 1 to 4 signatures")
    sigs = []
    for item in sigs_json:
        if not isinstance(item, dict) or set(item) != {"key", "sig"}:
            raise _fail('each signature must be {"key": ..., "sig": ...}')
        if not isinstance(item["key"], str) or not isinstance(item["sig"], str):
            raise _fail("signature key and sig must be strings")
        try:
            sig = b64decode(item["sig"], length=64)
        except ValueError as exc:
            raise _fail(f"signature: {exc}") from None
        sigs.append(Signature(item["key"], sig))
    if sigs[0].key != entry.key:
        raise _fail("the first signature must be by the key named in entry.key")
    if len({s.key for s in sigs}) != len(sigs):
        raise _fail("two signatures by the same key")
    signed = SignedEntry(entry, tuple(sigs))
    if canonical_bytes is not None:
        signed.__dict__["raw"] = canonical_bytes  # fills the cached property
        return signed
    try:
        signed.raw  # noqa: B018 - canonicalise now so a bad value fails here
    except JSONError as exc:
        raise _fail(str(exc)) from None
    return signed


def parse_signed_entry(data: bytes, *, max_bytes: int) -> SignedEntry:
    """Parse a signed entry from bytes; size, JSON and shape are checked here.

    Input already in canonical form (what gulfsec clients send) takes a fast path; anything
    else is parsed strictly (duplicate keys, NaN and oversized integers refused) and stored in
    canonical form.
    """
    if len(data) > max_bytes:
        raise EntryTooLarge(len(data), max_bytes)
    obj = parse_if_canonical(data)
    if obj is not None:
        return signed_entry_from_json(obj, canonical_bytes=data)
    try:
        signed = signed_entry_from_json(parse_json_fast(data))
        if signed.raw == data:
            return signed
    except (JSONError, MalformedEntry):
        pass
    try:
        obj = parse_json(data)
    except JSONError as exc:
        raise _fail(str(exc)) from None
    signed = signed_entry_from_json(obj)
    if len(signed.raw) > max_bytes:
        raise EntryTooLarge(len(signed.raw), max_bytes)
    return signed


def parse_canonical_signed_entry(obj: Any, raw: bytes, *, max_bytes: int) -> SignedEntry:
    """A signed entry from its parsed JSON and its bytes, already known to be the canonical
    encoding of ``obj`` (:func:`~gulfsec.domain.encoding.split_if_canonical`): nothing parsed
    or encoded twice."""
    if len(raw) > max_bytes:
        raise EntryTooLarge(len(raw), max_bytes)
    return signed_entry_from_json(obj, canonical_bytes=raw)


KeyResolver = Callable[[str, str], VerifierKey]
"""(party, key id hex) -> the verifier key, or raise UnknownKey / RevokedKey."""


CheckedSignatures = Mapping[tuple[bytes, bytes, bytes], bool]
"""Signatures already checked (in bulk, on every core): (public key, message, signature) to
whether it verifies. A pure function of its key, so looking it up is the same as checking."""


def check_signatures(
    signed: SignedEntry, signers: Sequence[tuple[str, str]], resolve: KeyResolver,
    checked: CheckedSignatures | None = None,
) -> None:
    """Check that each (party, key id) in ``signers`` signed ``signed``.

    ``signers`` lists exactly who must have signed, in order; any other signature is refused.
    A signature found in ``checked`` is not verified again.
    """
    if len(signers) != len(signed.signatures):
        raise BadSignature(
            f"entry needs {len(signers)} signature(s), has {len(signed.signatures)}",
            entry_id=signed.id_hex,
        )
    message = signed.signing_bytes
    for (party, kid), sig in zip(signers, signed.signatures, strict=True):
        if sig.key != kid:
            raise BadSignature(
                f"expected a signature by {party} key {kid}, found key {sig.key}",
                entry_id=signed.id_hex,
            )
        key = resolve(party, kid)
        known = None if checked is None else checked.get((key.public, message, sig.sig))
        if not (key.verify(message, sig.sig) if known is None else known):
            raise BadSignature(
                f"signature by {party} key {kid} does not verify", entry_id=signed.id_hex
            )
