"""The fast canonical encoder must agree with the reference RFC 8785 implementation."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.encoding import canonical, parse_if_canonical, split_if_canonical

SAFE = 2**53 - 1
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text()
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_fast_canonical_encoding_matches_rfc8785(value: object) -> None:
    assert canonical(value) == rfc8785.dumps(value)


@settings(max_examples=200)
@given(st.dictionaries(st.text(alphabet=st.characters(min_codepoint=0xE000), max_size=3),
                       st.integers(0, 9), min_size=2, max_size=6))
def test_keys_beyond_the_basic_plane_sort_by_utf16_code_units(value: dict[str, int]) -> None:
    assert canonical(value) == rfc8785.dumps(value)


def test_floats_use_ecmascript_number_formatting() -> None:
    assert canonical({"a": 1e21, "b": 0.1, "c": 1.0}) == b'{"a":1e+21,"b":0.1,"c":1}'


def test_control_characters_and_quotes_are_escaped_as_rfc8785_says() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\\x7f\u2028'
    assert canonical([text]) == rfc8785.dumps([text])


# -- recognising input that is already canonical ------------------------------------------------

any_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def _spellings(value: object) -> list[bytes]:
    """Ways to write ``value`` as JSON that are not all canonical."""
    out = [
        json.dumps(value).encode(),
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
        json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
    ]
    try:
        out.append(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        pass
    return out


@settings(max_examples=400)
@given(any_values)
def test_only_canonical_bytes_are_taken_as_canonical(value: object) -> None:
    for data in _spellings(value):
        parsed = parse_if_canonical(data)
        if parsed is not None:
            assert rfc8785.dumps(parsed) == data
        items = split_if_canonical(data)
        if items is not None:
            assert isinstance(value, list)
            assert [rfc8785.dumps(item) for item, _ in items] == [raw for _, raw in items]
            assert b"[" + b",".join(raw for _, raw in items) + b"]" == data


@settings(max_examples=300)
@given(json_values)
def test_canonical_bytes_of_plain_values_are_recognised(value: object) -> None:
    data = rfc8785.dumps(value)
    if any(ord(c) > 0xFFFF for c in data.decode()):
        return  # beyond the Basic Multilingual Plane: always the general path
    assert parse_if_canonical(data) == value


@pytest.mark.parametrize("data", [
    b'{"a":1,"a":1}',  # a duplicate key
    b'{"b":1,"a":2}',  # out of order
    b'{"a": 1}',  # a space
    b'[1.0]', b'[0.5]', b'[1e2]',  # floats: ECMAScript's formatting, the general path's
    b'[-0]',
    b'[9007199254740992]', b'[-9007199254740992]',  # beyond 2**53
    b'[18446744073709551616]', b'[123456789012345678901234567890]',
    b'["\\u0041"]',  # an escape that need not be
    b'["\\ud800"]',  # a lone surrogate
    b'["\xff"]',  # not UTF-8
    '["\U0001f600"]'.encode(),  # beyond the Basic Multilingual Plane
    b'NaN', b'[Infinity]', b'', b'[1,]', b'\xef\xbb\xbf[1]',
])
def test_what_is_not_plain_canonical_json_takes_the_general_path(data: bytes) -> None:
    assert parse_if_canonical(data) is None


def test_a_batch_is_split_into_its_canonical_items() -> None:
    items = [{"b": [1, "x"], "a": None}, {"c": True}]
    data = b"[" + b",".join(rfc8785.dumps(item) for item in items) + b"]"
    assert split_if_canonical(data) == [(item, rfc8785.dumps(item)) for item in items]
    assert split_if_canonical(data.replace(b",{", b", {")) is None
    assert split_if_canonical(b'{"a":1}') is None
    assert split_if_canonical(b"[]") == []
