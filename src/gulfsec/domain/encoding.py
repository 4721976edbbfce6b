"""Canonical JSON (RFC 8785), strict JSON parsing, base64 and time stamps.

Everything that is signed goes through :func:`canonical`; everything that comes from outside goes
through :func:`parse_json`, which refuses what RFC 8785 cannot represent (duplicate keys, NaN,
integers beyond 2**53) instead of quietly changing it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785

_MAX_SAFE_INT = 2**53 - 1
# ASCII digits only (``\d`` would take any Unicode digit), matched with ``fullmatch`` (``$``
# would let a trailing newline through).
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")


class JSONError(ValueError):
    """Raised by :func:`parse_json` and :func:`canonical`; callers turn it into their own error."""


_fast_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"),
    check_circular=False,
)


def _fast_path_applies(value: Any) -> bool:
    """True when Python's own sorted, compact JSON equals RFC 8785 for ``value``.

    That holds for objects, arrays, strings, booleans, null and integers within 2**53, as long
    as no object key has a character outside the Basic Multilingual Plane (RFC 8785 sorts keys
    by UTF-16 code units, Python by code points; the two orders differ only there). Floats are
    left to the ``rfc8785`` package, whose number formatting follows ECMAScript.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or (not key.isascii() and max(key) > "\uffff"):
                    return False
            stack.extend(item.values())
            continue
        if kind is list:
            stack.extend(item)
            continue
        return False
    return True


def _sorted_compact(value: Any) -> bytes:
    """Sorted, compact JSON of ``value``, in UTF-8: ``orjson``'s, which for the values
    :func:`_fast_path_applies` to is byte for byte Python's own (and so RFC 8785); whatever
    ``orjson`` refuses (a lone surrogate, deep nesting) is left to Python's encoder, which
    says why in its own words."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _fast_encoder.encode(value).encode("utf-8")


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical encoding of a JSON value."""
    try:
        if _fast_path_applies(value):
            return _sorted_compact(value)
        return rfc8785.dumps(value)
    except UnicodeEncodeError as exc:
        raise JSONError("cannot be canonicalised: a string holds a lone surrogate") from exc
    except RecursionError as exc:
        raise JSONError("cannot be canonicalised: nested too deeply") from exc
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise JSONError(f"cannot be canonicalised: {exc}") from exc


_BEYOND_BMP = re.compile(rb"[\xf0-\xff]")
"""A byte that starts a character outside the Basic Multilingual Plane (or is no UTF-8)."""


def _plain(data: bytes) -> Any | None:
    """``data`` parsed, if it may be canonical JSON of the plain kind (see
    :func:`parse_if_canonical`); else None."""
    if not data or not data.isascii() and _BEYOND_BMP.search(data):
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:  # also invalid UTF-8, a lone surrogate, deep nesting
        return None
    return value if _fast_path_applies(value) else None


def parse_if_canonical(data: bytes) -> Any | None:
    """Parse ``data`` if it is already RFC 8785 canonical JSON of the plain kind; else None.

    "Plain": no floats (their formatting is ECMAScript's), no integer beyond 2**53 (the range
    check), and no character outside the Basic Multilingual Plane (the only case where RFC
    8785's UTF-16 key order differs from Python's; in UTF-8 such characters, and only they,
    start with a byte of 0xF0 or more). For such values sorted, compact JSON *is* RFC 8785, so
    one C-speed parse, one C-speed encode and a byte comparison decide (a duplicate key, a
    stray space, an escape that need not be, another order or spelling cannot survive it). A
    None answer means only "take the general path", never "invalid".
    """
    value = _plain(data)
    if value is None:
        return None
    try:
        return value if _sorted_compact(value) == data else None
    except (ValueError, RecursionError, UnicodeError):
        return None


def split_if_canonical(data: bytes) -> list[tuple[Any, bytes]] | None:
    """Each item of ``data`` with its own canonical bytes, if ``data`` is a JSON array written
    as ``[`` + canonical items joined by ``,`` + ``]`` (how gulfsec clients send a batch), of
    the plain kind :func:`parse_if_canonical` takes; else None.

    One C-speed parse of the whole array and one encode per item: the byte comparison of their
    concatenation with ``data`` proves every item canonical (a duplicate key, stray space or
    other ordering cannot survive it).
    """
    value = _plain(data)
    if not isinstance(value, list):
        return None
    try:
        encoded = [_sorted_compact(item) for item in value]
    except (ValueError, RecursionError, UnicodeError):
        return None
    if b"[" + b",".join(encoded) + b"]" != data:
        return None
    return list(zip(value, encoded, strict=True))


def parse_json_fast(data: bytes) -> Any:
    """Parse JSON without the strict checks of :func:`parse_json`.

    Only for input whose canonical re-encoding is then compared byte for byte with ``data``,
    or whose every value is checked after: a duplicate key (the last one is kept) or an
    integer beyond 64 bits (read as a float) cannot survive that comparison. NaN and Infinity,
    invalid UTF-8 and lone surrogates are refused.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:  # also nesting beyond orjson's limit
        raise JSONError(str(exc)) from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JSONError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise JSONError(f"{name} is not allowed")


def _checked_int(text: str) -> int:
    # Check the length first: int() refuses over 4300 digits with a bare ValueError.
    if len(text.lstrip("-")) > len(str(_MAX_SAFE_INT)) or abs(int(text)) > _MAX_SAFE_INT:
        shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
        raise JSONError(f"integer {shown} is outside the range JSON can carry exactly")
    return int(text)


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONError(f"number {text[:40]} is too large to represent")
    return value


_parse_constant: Callable[[str], Any] = _refuse_constant


def parse_json(data: bytes | str) -> Any:
    """Parse JSON strictly: UTF-8, no duplicate keys, no NaN/Infinity, integers within 2**53."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_parse_constant,
            parse_int=_checked_int,
            parse_float=_checked_float,
        )
    except UnicodeDecodeError as exc:
        raise JSONError("not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise JSONError(f"not valid JSON: {exc.msg} at {where}") from exc
    except RecursionError as exc:
        raise JSONError("nested too deeply") from exc


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, length: int | None = None) -> bytes:
    """Strict standard base64 with padding; raises ValueError.

    Only the one canonical spelling of the bytes is accepted: no excess padding ("AAAA="), no
    stray bits in the last character ("YR==" for "YQ=="), so an encoding cannot be varied.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not valid base64") from exc
    if b64encode(data) != text:
        raise ValueError("not valid base64 (not in canonical form)")
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, got {len(data)}")
    return data


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; microseconds only when present."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    # isoformat, not strftime: a quarter of the cost, and always four digits of year
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_time(text: str) -> datetime:
    """Parse the form :func:`format_time` writes; raises ValueError for anything else."""
    if not _TIME_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not a UTC time like 2026-01-31T12:00:00Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def is_entry_id(text: str) -> bool:
    return bool(_HEX64_RE.fullmatch(text))


def now_utc() -> datetime:
    return datetime.now(UTC)
