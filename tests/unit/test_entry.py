"""The signed entry: building, signing, parsing, ids, and signature checks.

Personas: IRN sends, RUS is addressed, QAT is the outsider; SEC countersigns.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.encoding import b64encode, canonical
from gulfsec.domain.entry import (
    ALL,
    DOMAIN,
    Entry,
    KeyResolver,
    Signature,
    SignedEntry,
    check_signatures,
    parse_signed_entry,
    sign_entry,
    signed_entry_from_json,
)
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.errors import BadSignature, EntryTooLarge, MalformedEntry, UnknownKey

MAX = 65_536
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REF = hashlib.sha256(b"an earlier entry").hexdigest()


def make_entry(key: SigningKey, sender: str = "IRN", **changes: Any) -> Entry:
    fields: dict[str, Any] = {
        "form": "message@1",
        "sender": sender,
        "key": key.key_id_hex,
        "seq": 7,
        "time": WHEN,
        "audience": ("RUS",),
        "body": {"subject": "Naval exercise", "text": "Notice of an exercise."},
        "refs": (REF,),
    }
    fields.update(changes)
    return Entry(**fields)


@pytest.fixture
def irn(party_keys: dict[str, SigningKey]) -> SigningKey:
    return party_keys["IRN"]


@pytest.fixture
def signed(irn: SigningKey) -> SignedEntry:
    return sign_entry(make_entry(irn), irn)


@pytest.fixture
def resolve(party_keys: dict[str, SigningKey]) -> KeyResolver:
    """Resolves (party, key id) to the persona's key, as a keyring that knows them all would."""

    def resolver(party: str, kid: str) -> VerifierKey:
        key = party_keys.get(party)
        if key is None or key.key_id_hex != kid:
            raise UnknownKey(f"{party} has no registered key {kid}")
        return key.verifier

    return resolver


def wire(signed: SignedEntry) -> dict[str, Any]:
    """The entry as a mutable JSON object, to mangle."""
    obj: dict[str, Any] = json.loads(signed.raw)
    return obj


def encode(obj: Any) -> bytes:
    return json.dumps(obj).encode()


# -- building and signing -----------------------------------------------------------------------


def test_a_signed_entry_carries_one_signature_by_the_senders_key(
    signed: SignedEntry, irn: SigningKey
) -> None:
    assert [s.key for s in signed.signatures] == [irn.key_id_hex]
    assert irn.verifier.verify(signed.entry.signing_bytes(), signed.signatures[0].sig)


def test_the_signature_covers_a_domain_prefix_and_the_canonical_entry(
    signed: SignedEntry,
) -> None:
    assert signed.entry.signing_bytes() == DOMAIN + canonical(signed.entry.to_json())
    assert DOMAIN == b"gulfsec/entry/v1\n"


def test_signing_with_a_key_other_than_the_one_named_is_refused(
    party_keys: dict[str, SigningKey],
) -> None:
    with pytest.raises(ValueError, match="entry.key must be the id of the signing key"):
        sign_entry(make_entry(party_keys["IRN"]), party_keys["RUS"])


def test_the_wire_form_has_exactly_the_documented_fields(signed: SignedEntry) -> None:
    obj = wire(signed)
    assert set(obj) == {"entry", "signatures"}
    assert set(obj["entry"]) == {
        "v", "form", "sender", "key", "seq", "time", "audience", "refs", "body"
    }
    assert obj["entry"]["v"] == 1
    assert obj["entry"]["time"] == "2026-11-23T12:00:00Z"
    assert obj["entry"]["audience"] == ["RUS"]
    assert obj["entry"]["refs"] == [REF]


def test_an_entry_for_all_is_written_as_the_string_all(irn: SigningKey) -> None:
    signed = sign_entry(make_entry(irn, audience=ALL), irn)
    assert wire(signed)["entry"]["audience"] == "all"


def test_the_raw_bytes_are_the_canonical_encoding(signed: SignedEntry) -> None:
    assert signed.raw == canonical(signed.to_json())


def test_the_id_is_sha256_of_the_canonical_signed_entry(signed: SignedEntry) -> None:
    assert signed.id == hashlib.sha256(signed.raw).digest()
    assert signed.id_hex == hashlib.sha256(signed.raw).hexdigest()
    assert len(signed.id) == 32


def test_the_sender_can_read_and_the_audience_is_addressed_but_the_outsider_is_not(
    signed: SignedEntry,
) -> None:
    entry = signed.entry
    assert entry.can_read("IRN") and not entry.is_addressed_to("IRN")
    assert entry.can_read("RUS") and entry.is_addressed_to("RUS")
    assert not entry.can_read("QAT") and not entry.is_addressed_to("QAT")


def test_an_entry_for_all_is_addressed_to_everyone(irn: SigningKey) -> None:
    entry = make_entry(irn, audience=ALL)
    assert entry.is_addressed_to("QAT") and entry.can_read("QAT")


# -- parsing ------------------------------------------------------------------------------------


def test_parsing_the_raw_bytes_gives_back_the_same_signed_entry(signed: SignedEntry) -> None:
    parsed = parse_signed_entry(signed.raw, max_bytes=MAX)
    assert parsed == signed
    assert parsed.raw == signed.raw
    assert parsed.id == signed.id


def test_a_non_canonical_but_equivalent_encoding_gets_the_same_id(signed: SignedEntry) -> None:
    obj = wire(signed)
    pretty = json.dumps(
        {"signatures": obj["signatures"], "entry": dict(reversed(list(obj["entry"].items())))},
        indent=4,
        ensure_ascii=True,
    )
    # Escape a plain letter too: "\u0049RN" is "IRN".
    pretty = pretty.replace('"IRN"', '"\\u0049RN"')
    assert pretty.encode() != signed.raw
    parsed = parse_signed_entry(pretty.encode(), max_bytes=MAX)
    assert parsed.raw == signed.raw
    assert parsed.id == signed.id


def test_numbers_written_differently_in_the_body_canonicalise_to_the_same_id(
    irn: SigningKey,
) -> None:
    signed = sign_entry(make_entry(irn, body={"subject": "s", "text": "t", "n": 100}), irn)
    text = signed.raw.decode().replace('"n":100', '"n":1.0E2')
    assert parse_signed_entry(text.encode(), max_bytes=MAX).id == signed.id


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=12),
        max_size=6,
    ),
    st.sampled_from([None, 0, 2]),
)
def test_any_body_survives_a_round_trip_through_any_json_layout_with_the_same_id(
    body: dict[str, Any], indent: int | None
) -> None:
    key = SigningKey("IRN", bytes(range(32)))
    signed = sign_entry(make_entry(key, body=body), key)
    reencoded = json.dumps(json.loads(signed.raw), indent=indent, ensure_ascii=indent is None)
    parsed = parse_signed_entry(reencoded.encode(), max_bytes=MAX)
    assert parsed.id == signed.id
    assert dict(parsed.entry.body) == body


# -- malformed entries --------------------------------------------------------------------------

Mangle = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mangle:
    def mangle(obj: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        target: Any = obj
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return obj

    return mangle


def _drop(field: str) -> Mangle:
    def mangle(obj: dict[str, Any]) -> Any:
        del obj["entry"][field]
        return obj

    return mangle


def _replace_with(value: Any) -> Mangle:
    return lambda obj: value


def _extra_signature(obj: dict[str, Any]) -> Any:
    obj["signatures"].append(dict(obj["signatures"][0]))
    return obj


def _too_many_signatures(obj: dict[str, Any]) -> Any:
    sig = obj["signatures"][0]["sig"]
    obj["signatures"] += [{"key": f"0000000{i}", "sig": sig} for i in range(4)]
    return obj


MALFORMATIONS: list[tuple[str, Mangle, str]] = [
    ("not-an-object", _replace_with([1, 2]), 'exactly "entry" and "signatures"'),
    ("extra-top-field", _set("extra", 1), 'exactly "entry" and "signatures"'),
    ("entry-not-object", _set("entry", "x"), "entry must be an object"),
    ("unknown-field", _set("entry.colour", "red"), r"unknown fields \['colour'\]"),
    ("missing-field", _drop("seq"), r"missing fields \['seq'\]"),
    ("version-as-string", _set("entry.v", "1"), "v must be an integer"),
    ("version-as-bool", _set("entry.v", True), "v must be an integer"),
    ("future-version", _set("entry.v", 2), "format version 2 is not supported"),
    ("form-not-string", _set("entry.form", 1), "form must be a form id"),
    ("form-without-version", _set("entry.form", "message"), "form must read <name>@<version>"),
    ("form-too-long", _set("entry.form", "m" * 70 + "@1"), "form must read <name>@<version>"),
    ("sender-not-string", _set("entry.sender", ["IRN"]), "sender must be a party code"),
    ("key-not-string", _set("entry.key", 123), "key must be a key id"),
    ("key-uppercase", _set("entry.key", "ABCDEF01"), "key must be 8 lowercase hex digits"),
    ("key-short", _set("entry.key", "abcdef0"), "key must be 8 lowercase hex digits"),
    ("seq-negative", _set("entry.seq", -1), "seq must be a non-negative integer"),
    ("seq-as-string", _set("entry.seq", "7"), "seq must be an integer"),
    ("seq-as-float", _set("entry.seq", 7.5), "seq must be an integer"),
    ("seq-as-bool", _set("entry.seq", True), "seq must be an integer"),
    ("time-not-string", _set("entry.time", 1_700_000_000), "time must be a UTC time"),
    ("time-with-offset", _set("entry.time", "2026-11-23T12:00:00+00:00"), "time: .* not a UTC"),
    ("time-impossible", _set("entry.time", "2026-02-30T12:00:00Z"), "time: day is out of range"),
    ("audience-empty", _set("entry.audience", []), 'audience must be "all" or a non-empty'),
    ("audience-other-string", _set("entry.audience", "ALL"), 'audience must be "all"'),
    ("audience-not-codes", _set("entry.audience", [1]), "audience must list party codes"),
    ("audience-code-too-long", _set("entry.audience", ["R" * 9]), "must list party codes"),
    ("audience-unsorted", _set("entry.audience", ["RUS", "QAT"]), "sorted and without repeats"),
    ("audience-repeated", _set("entry.audience", ["RUS", "RUS"]), "sorted and without repeats"),
    ("refs-not-list", _set("entry.refs", REF), "refs must be a list of entry ids"),
    ("refs-not-ids", _set("entry.refs", ["abc"]), "refs must be entry ids"),
    ("refs-uppercase", _set("entry.refs", [REF.upper()]), "refs must be entry ids"),
    ("refs-newline", _set("entry.refs", [REF + "\n"]), "refs must be entry ids"),
    ("refs-repeated", _set("entry.refs", [REF, REF]), "refs must not repeat"),
    ("body-not-object", _set("entry.body", ["text"]), "body must be an object"),
    ("body-lone-surrogate", _set("entry.body.subject", "\ud800"), "cannot be canonicalised"),
    ("signatures-not-list", _set("signatures", {}), "signatures must be a list of 1 to 4"),
    ("signatures-empty", _set("signatures", []), "signatures must be a list of 1 to 4"),
    ("signatures-five", _too_many_signatures, "signatures must be a list of 1 to 4"),
    ("signature-not-object", _set("signatures.0", "sig"), "each signature must be"),
    ("signature-extra-field", _set("signatures.0.alg", "ed25519"), "each signature must be"),
    ("signature-key-not-string", _set("signatures.0.key", 1), "key and sig must be strings"),
    ("signature-not-base64", _set("signatures.0.sig", "not base64!"), "signature: not valid"),
    ("signature-short", _set("signatures.0.sig", b64encode(bytes(63))), "expected 64 bytes"),
    ("first-signature-other-key", _set("signatures.0.key", "00000000"), "first signature must"),
    ("signature-repeated", _extra_signature, "two signatures by the same key"),
]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [pytest.param(m, msg, id=name) for name, m, msg in MALFORMATIONS],
)
def test_each_malformation_is_refused_with_a_clear_message(
    signed: SignedEntry, mangle: Mangle, message: str
) -> None:
    data = encode(mangle(copy.deepcopy(wire(signed))))
    with pytest.raises(MalformedEntry, match=f"^malformed entry: .*{message}") as err:
        parse_signed_entry(data, max_bytes=MAX)
    assert err.value.code == "malformed_entry"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"entry": {}, "entry": {}, "signatures": []}', "duplicate key 'entry'"),
        (b'{"entry": NaN, "signatures": []}', "NaN is not allowed"),
        (b'{"entry": 9007199254740992, "signatures": []}', "outside the range"),
        (b'{"entry": 1' + b"0" * 5000 + b', "signatures": []}', "outside the range"),
        (b'{"entry": 1e999, "signatures": []}', "too large"),
    ],
    ids=["empty", "truncated", "bad-utf8", "duplicate-key", "nan", "big-int", "huge-int", "inf"],
)
def test_bytes_that_are_not_strict_json_are_refused_as_malformed(
    data: bytes, message: str
) -> None:
    with pytest.raises(MalformedEntry, match=message):
        parse_signed_entry(data, max_bytes=MAX)


def test_a_duplicate_key_inside_the_entry_is_refused(signed: SignedEntry) -> None:
    text = signed.raw.decode().replace('"seq":7', '"seq":7,"seq":8')
    with pytest.raises(MalformedEntry, match="duplicate key 'seq'"):
        parse_signed_entry(text.encode(), max_bytes=MAX)


# -- size ---------------------------------------------------------------------------------------


def test_an_entry_over_the_size_limit_is_refused_before_it_is_parsed(signed: SignedEntry) -> None:
    data = signed.raw + b" " * 10  # still valid JSON, but too many bytes
    with pytest.raises(EntryTooLarge) as err:
        parse_signed_entry(data, max_bytes=len(signed.raw) + 9)
    assert (err.value.size, err.value.limit) == (len(data), len(signed.raw) + 9)
    assert "over the limit" in str(err.value)


def test_an_entry_exactly_at_the_size_limit_is_accepted(signed: SignedEntry) -> None:
    assert parse_signed_entry(signed.raw, max_bytes=len(signed.raw)).id == signed.id


def test_an_entry_whose_canonical_form_grows_past_the_limit_is_refused(irn: SigningKey) -> None:
    # 1E30 is 4 bytes; its canonical form 1e+30 is 5: the limit applies to what is stored.
    signed = sign_entry(make_entry(irn, body={"subject": "s", "text": "t", "n": [1e30] * 50}), irn)
    compact = signed.raw.decode().replace("1e+30", "1E30").encode()
    assert len(compact) == len(signed.raw) - 50
    with pytest.raises(EntryTooLarge) as err:
        parse_signed_entry(compact, max_bytes=len(compact))
    assert err.value.size == len(signed.raw)


# -- signatures ---------------------------------------------------------------------------------


def test_a_good_entry_passes_the_signature_check(signed: SignedEntry, resolve: KeyResolver) -> None:
    check_signatures(signed, [("IRN", signed.entry.key)], resolve)


def test_an_entry_signed_by_another_key_is_refused_with_bad_signature(
    party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    irn, rus = party_keys["IRN"], party_keys["RUS"]
    entry = make_entry(irn)
    forged = SignedEntry(entry, (Signature(irn.key_id_hex, rus.sign(entry.signing_bytes())),))
    with pytest.raises(BadSignature, match=f"signature by IRN key {irn.key_id_hex} does not"):
        check_signatures(forged, [("IRN", irn.key_id_hex)], resolve)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("entry.form", "acknowledgement@1"),
        ("entry.sender", "RUS"),
        ("entry.seq", 8),
        ("entry.time", "2026-11-23T12:00:01Z"),
        ("entry.audience", "all"),
        ("entry.audience", ["QAT", "RUS"]),
        ("entry.refs", []),
        ("entry.body.subject", "Naval exercise!"),
        ("entry.body.level", "minister"),
    ],
)
def test_tampering_with_any_field_breaks_the_signature(
    signed: SignedEntry, resolve: KeyResolver, path: str, value: Any
) -> None:
    tampered = parse_signed_entry(encode(_set(path, value)(wire(signed))), max_bytes=MAX)
    with pytest.raises(BadSignature, match="does not verify") as err:
        check_signatures(tampered, [("IRN", signed.entry.key)], resolve)
    assert err.value.entry_id == tampered.id_hex


def test_tampering_with_the_key_id_breaks_the_signature(
    signed: SignedEntry, party_keys: dict[str, SigningKey]
) -> None:
    obj = wire(signed)
    other = SigningKey.generate("IRN")
    obj["entry"]["key"] = obj["signatures"][0]["key"] = other.key_id_hex
    tampered = parse_signed_entry(encode(obj), max_bytes=MAX)

    def resolve_other(party: str, kid: str) -> VerifierKey:
        return other.verifier

    with pytest.raises(BadSignature):
        check_signatures(tampered, [("IRN", other.key_id_hex)], resolve_other)


def test_a_flipped_bit_in_the_signature_is_refused(
    signed: SignedEntry, resolve: KeyResolver
) -> None:
    sig = bytearray(signed.signatures[0].sig)
    sig[10] ^= 0x01
    obj = _set("signatures.0.sig", b64encode(bytes(sig)))(wire(signed))
    with pytest.raises(BadSignature):
        check_signatures(parse_signed_entry(encode(obj), max_bytes=MAX),
                         [("IRN", signed.entry.key)], resolve)


def test_a_signature_by_an_unexpected_key_id_is_refused(
    signed: SignedEntry, resolve: KeyResolver
) -> None:
    with pytest.raises(BadSignature, match="expected a signature by IRN key 0badc0de"):
        check_signatures(signed, [("IRN", "0badc0de")], resolve)


def test_an_unknown_key_is_reported_by_the_resolver_not_hidden(
    party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    stranger = SigningKey.generate("IRN")
    signed = sign_entry(make_entry(stranger), stranger)
    with pytest.raises(UnknownKey):
        check_signatures(signed, [("IRN", stranger.key_id_hex)], resolve)


def test_a_missing_required_signature_is_refused(
    signed: SignedEntry, party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    needed = [("IRN", signed.entry.key), ("SEC", party_keys["SEC"].key_id_hex)]
    with pytest.raises(BadSignature, match=r"needs 2 signature\(s\), has 1"):
        check_signatures(signed, needed, resolve)


def test_an_extra_signature_nobody_asked_for_is_refused(
    signed: SignedEntry, party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    with pytest.raises(BadSignature, match=r"needs 1 signature\(s\), has 2"):
        check_signatures(signed.countersigned(party_keys["SEC"]), [("IRN", signed.entry.key)],
                         resolve)


def test_no_signers_at_all_is_a_refusal_not_a_pass(
    signed: SignedEntry, resolve: KeyResolver
) -> None:
    with pytest.raises(BadSignature):
        check_signatures(signed, [], resolve)


# -- countersignatures --------------------------------------------------------------------------


def test_a_countersignature_signs_the_same_entry_bytes(
    signed: SignedEntry, party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    sec = party_keys["SEC"]
    both = signed.countersigned(sec)
    assert both.entry == signed.entry
    assert [s.key for s in both.signatures] == [signed.entry.key, sec.key_id_hex]
    check_signatures(both, [("IRN", signed.entry.key), ("SEC", sec.key_id_hex)], resolve)


def test_a_countersigned_entry_round_trips_and_its_id_covers_every_signature(
    signed: SignedEntry, party_keys: dict[str, SigningKey]
) -> None:
    both = signed.countersigned(party_keys["SEC"])
    assert both.id != signed.id
    assert parse_signed_entry(both.raw, max_bytes=MAX) == both


def test_countersignatures_must_come_in_the_required_order(
    signed: SignedEntry, party_keys: dict[str, SigningKey], resolve: KeyResolver
) -> None:
    sec, rus = party_keys["SEC"], party_keys["RUS"]
    both = signed.countersigned(rus).countersigned(sec)
    with pytest.raises(BadSignature, match="expected a signature by SEC"):
        check_signatures(
            both,
            [("IRN", signed.entry.key), ("SEC", sec.key_id_hex), ("RUS", rus.key_id_hex)],
            resolve,
        )


def test_a_countersignature_lifted_from_another_entry_is_refused(
    signed: SignedEntry, irn: SigningKey, party_keys: dict[str, SigningKey],
    resolve: KeyResolver,
) -> None:
    sec = party_keys["SEC"]
    other = sign_entry(make_entry(irn, seq=8), irn).countersigned(sec)
    spliced = SignedEntry(signed.entry, (signed.signatures[0], other.signatures[1]))
    with pytest.raises(BadSignature, match=f"signature by SEC key {sec.key_id_hex} does not"):
        check_signatures(spliced, [("IRN", irn.key_id_hex), ("SEC", sec.key_id_hex)], resolve)


def test_a_signature_parsed_from_the_wire_keeps_its_key_and_bytes(signed: SignedEntry) -> None:
    parsed = signed_entry_from_json(wire(signed))
    assert parsed.signatures == signed.signatures
    assert parsed.signatures[0].to_json() == wire(signed)["signatures"][0]
