"""The fast canonical encoder must agree with the reference RFC 8785 implementation."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.encoding import canonical

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
