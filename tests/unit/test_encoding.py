"""Strict JSON in, RFC 8785 canonical JSON out, base64 and UTC time stamps."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.domain.encoding import (
    JSONError,
    b64decode,
    b64encode,
    canonical,
    format_time,
    is_entry_id,
    parse_json,
    parse_time,
)

MAX_SAFE = 2**53 - 1

# Values that RFC 8785 represents exactly: strings, safe integers, booleans, null, and nesting.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE, max_value=MAX_SAFE)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
                      inner, max_size=5),
    max_leaves=25,
)


# -- strict parsing -----------------------------------------------------------------------------


def test_plain_json_parses_to_python_values() -> None:
    assert parse_json(b'{"a": [1, "x", true, null, -2]}') == {"a": [1, "x", True, None, -2]}
    assert parse_json('"text"') == "text"


def test_duplicate_keys_are_refused_instead_of_keeping_the_last() -> None:
    with pytest.raises(JSONError, match="duplicate key 'a'"):
        parse_json(b'{"a": 1, "a": 2}')


def test_duplicate_keys_in_a_nested_object_are_refused() -> None:
    with pytest.raises(JSONError, match="duplicate key 'k'"):
        parse_json(b'{"outer": [{"k": 1, "k": 1}]}')


def test_equal_keys_in_different_objects_are_fine() -> None:
    assert parse_json(b'{"a": {"a": 1}, "b": {"a": 2}}') == {"a": {"a": 1}, "b": {"a": 2}}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    with pytest.raises(JSONError, match="is not allowed"):
        parse_json(f'{{"x": {constant}}}'.encode())


@pytest.mark.parametrize("number", ["1e400", "-1e400", "[1.5e999]"])
def test_a_float_that_overflows_to_infinity_is_refused(number: str) -> None:
    with pytest.raises(JSONError):
        parse_json(number)


@pytest.mark.parametrize("number", [MAX_SAFE, -MAX_SAFE, 0])
def test_integers_up_to_two_to_the_53_minus_one_are_kept_exactly(number: int) -> None:
    assert parse_json(str(number)) == number


@pytest.mark.parametrize("number", [MAX_SAFE + 1, -(MAX_SAFE + 1), 2**64, 10**30])
def test_integers_beyond_two_to_the_53_are_refused(number: int) -> None:
    with pytest.raises(JSONError, match="outside the range"):
        parse_json(f"[{number}]")


def test_an_integer_with_thousands_of_digits_is_refused_as_json_not_a_crash() -> None:
    # Python refuses to convert more than 4300 digits with a bare ValueError; we must not leak it.
    with pytest.raises(JSONError):
        parse_json("1" + "0" * 5000)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(JSONError, match="not valid UTF-8"):
        parse_json(b'{"a": "\xff\xfe"}')


def test_overlong_utf8_encoding_is_refused() -> None:
    with pytest.raises(JSONError, match="not valid UTF-8"):
        parse_json(b'"\xc0\xaf"')


def test_a_byte_order_mark_is_refused() -> None:
    with pytest.raises(JSONError, match="not valid JSON"):
        parse_json(b'\xef\xbb\xbf{"a": 1}')


@pytest.mark.parametrize("text", ["", "{", '{"a" 1}', "[1,]", "{'a': 1}", '{"a": 1} x'])
def test_broken_json_is_refused_with_its_position(text: str) -> None:
    with pytest.raises(JSONError, match="not valid JSON: .* at line 1 column"):
        parse_json(text)


def test_pathologically_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(JSONError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)


def test_json_error_is_a_value_error_so_callers_can_translate_it() -> None:
    assert issubclass(JSONError, ValueError)


# -- canonical encoding -------------------------------------------------------------------------


def test_canonical_sorts_keys_and_drops_whitespace() -> None:
    assert canonical({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_canonical_sorts_keys_by_utf16_code_units_as_rfc_8785_says() -> None:
    # U+FB33 sorts after U+1F600 in UTF-16 (0xFB33 > 0xD83D) though before it by code point.
    value = {"\U0001f600": 1, "\ufb33": 2, "a": 3}
    assert canonical(value) == '{"a":3,"\U0001f600":1,"\ufb33":2}'.encode()


def test_canonical_writes_numbers_as_ecmascript_does() -> None:
    assert canonical([1.0, 100.0, 1e21, 0.5, -0.0, 1e-7]) == b"[1,100,1e+21,0.5,0,1e-7]"


def test_canonical_escapes_only_what_it_must() -> None:
    assert canonical('é"\\\n\x01/') == b'"\xc3\xa9\\"\\\\\\n\\u0001/"'


def test_canonical_matches_the_rfc_8785_worked_example() -> None:
    # RFC 8785 §3.2.2: the sample input and its canonical output.
    value = parse_json(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert canonical(value) == (
        b'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        b'"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**53, {1: "non-string key"}, b"bytes", object(), "\ud800"],
    ids=["nan", "inf", "big-int", "int-key", "bytes", "object", "lone-surrogate"],
)
def test_values_rfc_8785_cannot_represent_are_refused(value: Any) -> None:
    with pytest.raises(JSONError, match="cannot be canonicalised"):
        canonical(value)


@settings(max_examples=80, deadline=None)
@given(json_values)
def test_canonical_output_parses_back_to_the_same_value(value: Any) -> None:
    assert parse_json(canonical(value)) == value


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_scalars | st.lists(json_scalars, max_size=3),
                    min_size=1, max_size=10)
    .flatmap(lambda d: st.tuples(st.just(d), st.permutations(list(d.items()))))
)
def test_canonical_output_does_not_depend_on_key_order(
    case: tuple[dict[str, Any], list[tuple[str, Any]]],
) -> None:
    value, reordered = case
    assert canonical(dict(reordered)) == canonical(value)


@settings(max_examples=80, deadline=None)
@given(json_values)
def test_canonical_is_a_fixed_point(value: Any) -> None:
    once = canonical(value)
    assert canonical(parse_json(once)) == once


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_any_pretty_printed_form_canonicalises_to_the_same_bytes(value: Any) -> None:
    pretty = json.dumps(value, indent=3, ensure_ascii=True)
    assert canonical(parse_json(pretty)) == canonical(value)


# -- base64 -------------------------------------------------------------------------------------


def test_base64_round_trips() -> None:
    for data in (b"", b"a", b"ab", b"abc", bytes(range(256))):
        assert b64decode(b64encode(data)) == data


@pytest.mark.parametrize(
    "text", ["YQ", "YQ=", "Y Q==", "YQ==\n", "YQ-_", "é", "YQ==YQ=="], ids=repr
)
def test_base64_without_padding_or_with_stray_characters_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        b64decode(text)


def test_base64_of_the_wrong_length_is_refused_when_a_length_is_asked() -> None:
    assert b64decode(b64encode(bytes(32)), length=32) == bytes(32)
    with pytest.raises(ValueError, match="expected 32 bytes, got 31"):
        b64decode(b64encode(bytes(31)), length=32)


# -- time stamps --------------------------------------------------------------------------------


def test_format_time_writes_utc_with_z_and_no_fraction_for_whole_seconds() -> None:
    assert format_time(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == "2026-11-23T12:00:00Z"


def test_format_time_writes_microseconds_only_when_present() -> None:
    moment = datetime(2026, 11, 23, 12, 0, 0, 1500, tzinfo=UTC)
    assert format_time(moment) == "2026-11-23T12:00:00.001500Z"


def test_format_time_converts_other_zones_to_utc() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    assert format_time(datetime(2026, 11, 23, 15, 30, tzinfo=tehran)) == "2026-11-23T12:00:00Z"


def test_format_time_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 11, 23, 12, 0))


def test_parse_time_reads_what_format_time_writes() -> None:
    assert parse_time("2026-11-23T12:00:00Z") == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_time("2026-11-23T12:00:00.25Z") == datetime(
        2026, 11, 23, 12, 0, 0, 250_000, tzinfo=UTC
    )


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31),
                    timezones=st.just(UTC)))
def test_time_stamps_round_trip_exactly(moment: datetime) -> None:
    text = format_time(moment)
    assert parse_time(text) == moment
    assert format_time(parse_time(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T12:00:00",  # no zone
        "2026-11-23T12:00:00+00:00",  # offset instead of Z
        "2026-11-23T12:00:00z",  # lowercase z
        "2026-11-23 12:00:00Z",  # space instead of T
        "2026-11-23T12:00Z",  # no seconds
        "2026-11-23T12:00:00.1234567Z",  # more than microseconds
        "2026-11-23T12:00:00Z\n",  # trailing newline
        " 2026-11-23T12:00:00Z",  # leading space
        "\u0662\u0660\u0662\u0666-11-23T12:00:00Z",  # Arabic-Indic digits
        "2026-02-30T12:00:00Z",  # no such day
        "2026-11-23T24:00:00Z",  # no such hour
        "2026-12-31T23:59:60Z",  # leap second
    ],
    ids=repr,
)
def test_parse_time_refuses_anything_but_the_one_utc_form(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


# -- entry ids ----------------------------------------------------------------------------------


def test_an_entry_id_is_64_lowercase_hex_digits() -> None:
    assert is_entry_id("0" * 64)
    assert is_entry_id("0123456789abcdef" * 4)


@pytest.mark.parametrize(
    "text", ["0" * 63, "0" * 65, "A" * 64, "g" * 64, "0" * 64 + "\n", " " + "0" * 63, ""],
    ids=["short", "long", "uppercase", "not-hex", "trailing-newline", "space", "empty"],
)
def test_anything_else_is_not_an_entry_id(text: str) -> None:
    assert not is_entry_id(text)


def test_finite_floats_are_accepted_and_kept() -> None:
    assert parse_json("[0.5, -2.25, 1e300]") == [0.5, -2.25, 1e300]
    assert all(math.isfinite(x) for x in parse_json("[0.5, 1e300]"))
