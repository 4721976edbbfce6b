"""Signed requests: the headers a participant sends, and how the hub checks them.

Personas: IRN signs its requests; QAT is an outsider who replays or alters them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.encoding import b64encode
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.request_auth import (
    DOMAIN,
    H_KEY,
    H_NONCE,
    H_PARTY,
    H_SIGNATURE,
    H_TIME,
    RequestCredentials,
    request_message,
    sign_request,
)
from gulfsec.errors import AuthError

SKEW = timedelta(seconds=300)
TARGET = "/v1/entries?after=10"
BODY = b'{"entry": {}}'


def lowered(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the API hands them over: names in lower case."""
    return {name.lower(): value for name, value in headers.items()}


@pytest.fixture
def irn(party_keys: dict[str, SigningKey]) -> SigningKey:
    return party_keys["IRN"]


@pytest.fixture
def headers(irn: SigningKey, clock: ManualClock) -> dict[str, str]:
    return sign_request(irn, "IRN", "POST", TARGET, BODY, clock.now())


def check(headers: dict[str, str], key: SigningKey, now: datetime, *, method: str = "POST",
          target: str = TARGET, body: bytes = BODY) -> RequestCredentials:
    creds = RequestCredentials.from_headers(lowered(headers))
    creds.check(key.verifier, method, target, body, now, SKEW)
    return creds


# -- round trip ---------------------------------------------------------------------------------


def test_signed_headers_round_trip_and_verify(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    creds = check(headers, irn, clock.now())
    assert creds.party == "IRN"
    assert creds.key_id == irn.key_id_hex
    assert creds.time == clock.now().replace(microsecond=0)
    assert len(creds.signature) == 64


def test_the_five_headers_are_sent(headers: dict[str, str], irn: SigningKey) -> None:
    assert set(headers) == {H_PARTY, H_KEY, H_TIME, H_NONCE, H_SIGNATURE}
    assert re.fullmatch(r"[0-9a-f]{32}", headers[H_NONCE])
    assert headers[H_PARTY] == "IRN"
    assert headers[H_KEY] == irn.key_id_hex
    assert headers[H_TIME] == "2026-11-23T12:00:00Z"


def test_the_time_header_drops_microseconds(irn: SigningKey, clock: ManualClock) -> None:
    moment = clock.now() + timedelta(microseconds=123_456)
    headers = sign_request(irn, "IRN", "GET", "/", b"", moment)
    assert headers[H_TIME] == "2026-11-23T12:00:00Z"
    check(headers, irn, moment, method="GET", target="/", body=b"")


def test_the_signed_message_is_domain_separated_and_binds_method_target_time_nonce_body(
) -> None:
    message = request_message("post", "/a?b=1", "2026-11-23T12:00:00Z", "ab" * 16, b"")
    assert message == (
        DOMAIN + b"POST\n/a?b=1\n2026-11-23T12:00:00Z\n" + b"ab" * 16 + b"\n"
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_each_request_gets_a_fresh_nonce(irn: SigningKey, clock: ManualClock) -> None:
    one = sign_request(irn, "IRN", "GET", "/v1/me", b"", clock.now())
    two = sign_request(irn, "IRN", "GET", "/v1/me", b"", clock.now())
    assert one[H_NONCE] != two[H_NONCE] and one[H_SIGNATURE] != two[H_SIGNATURE]


def test_a_malformed_nonce_is_refused(headers: dict[str, str], irn: SigningKey,
                                      clock: ManualClock) -> None:
    with pytest.raises(AuthError, match="Nonce"):
        check({**headers, H_NONCE: "not-hex"}, irn, clock.now())


def test_the_method_is_compared_case_insensitively(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    check(headers, irn, clock.now(), method="post")


# -- missing and malformed headers --------------------------------------------------------------


@pytest.mark.parametrize("missing", [H_PARTY, H_KEY, H_TIME, H_SIGNATURE])
def test_a_missing_header_is_refused_by_name(headers: dict[str, str], missing: str) -> None:
    del headers[missing]
    with pytest.raises(AuthError, match=f"missing authentication headers: {missing}"):
        RequestCredentials.from_headers(lowered(headers))


def test_an_empty_header_counts_as_missing(headers: dict[str, str]) -> None:
    headers[H_SIGNATURE] = ""
    with pytest.raises(AuthError, match=H_SIGNATURE):
        RequestCredentials.from_headers(lowered(headers))


def test_an_unsigned_request_names_every_missing_header() -> None:
    with pytest.raises(AuthError) as err:
        RequestCredentials.from_headers({})
    for name in (H_PARTY, H_KEY, H_TIME, H_SIGNATURE):
        assert name in str(err.value)
    assert err.value.code == "unauthenticated"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (H_TIME, "yesterday"),
        (H_TIME, "2026-11-23T12:00:00+00:00"),
        (H_SIGNATURE, "not base64!"),
        (H_SIGNATURE, b64encode(bytes(63))),
    ],
    ids=["time-words", "time-offset", "sig-not-base64", "sig-short"],
)
def test_a_malformed_header_is_refused(headers: dict[str, str], header: str, value: str) -> None:
    headers[header] = value
    with pytest.raises(AuthError, match="malformed authentication header"):
        RequestCredentials.from_headers(lowered(headers))


# -- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-SKEW, SKEW], ids=["hub-behind", "hub-ahead"])
def test_a_request_exactly_at_the_clock_skew_passes(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock, offset: timedelta
) -> None:
    check(headers, irn, clock.now() + offset)


@pytest.mark.parametrize(
    "offset", [-SKEW - timedelta(seconds=1), SKEW + timedelta(seconds=1)],
    ids=["from-the-future", "stale"],
)
def test_a_request_outside_the_clock_skew_is_refused(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock, offset: timedelta
) -> None:
    with pytest.raises(AuthError, match="too far from the hub's clock"):
        check(headers, irn, clock.now() + offset)


def test_a_request_replayed_an_hour_later_is_refused(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    with pytest.raises(AuthError, match="too far"):
        check(headers, irn, clock.now())


def test_a_time_header_moved_forward_breaks_the_signature(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    headers[H_TIME] = "2026-11-23T13:00:00Z"
    with pytest.raises(AuthError, match="signature does not verify"):
        check(headers, irn, clock.now())


# -- tampering ----------------------------------------------------------------------------------


def test_a_tampered_body_is_refused(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    with pytest.raises(AuthError, match="signature does not verify"):
        check(headers, irn, clock.now(), body=BODY + b" ")


def test_a_tampered_path_is_refused(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    with pytest.raises(AuthError, match="signature does not verify"):
        check(headers, irn, clock.now(), target="/v1/entries?after=0")


def test_a_different_method_is_refused(
    headers: dict[str, str], irn: SigningKey, clock: ManualClock
) -> None:
    with pytest.raises(AuthError, match="signature does not verify"):
        check(headers, irn, clock.now(), method="DELETE")


def test_a_request_signed_by_another_key_is_refused(
    headers: dict[str, str], party_keys: dict[str, SigningKey], clock: ManualClock
) -> None:
    with pytest.raises(AuthError, match="signature does not verify"):
        check(headers, party_keys["QAT"], clock.now())


def test_an_outsider_cannot_sign_a_request_as_another_party(
    party_keys: dict[str, SigningKey], clock: ManualClock
) -> None:
    qat = party_keys["QAT"]
    forged = sign_request(qat, "IRN", "POST", TARGET, BODY, clock.now())
    creds = RequestCredentials.from_headers(lowered(forged))
    assert creds.party == "IRN"  # the claim; the hub checks it against IRN's registered key
    with pytest.raises(AuthError):
        creds.check(party_keys["IRN"].verifier, "POST", TARGET, BODY, clock.now(), SKEW)
