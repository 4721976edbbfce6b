"""C2SP tlog-tiles: tile and entry-bundle paths, hash tiles, and entry bundles.

A tile at level ``L``, index ``N`` and width ``W`` holds the hashes of the complete subtrees of
``256**L`` leaves (tree height ``8 * L``) numbered ``N * 256`` to ``N * 256 + W - 1``. A full
tile has ``W = 256`` and is served at ``tile/<L>/<N>``; a partial tile (``1 <= W <= 255``,
only ever the rightmost tile of its level) at ``tile/<L>/<N>.p/<W>``. ``<N>`` is written in
zero-padded 3-digit path elements, all but the last prefixed with ``x``: index 1234067 is
``x001/x234/067``. Entry bundles use the same scheme under ``tile/entries/``; each entry in a
bundle is prefixed with its length as a big-endian uint16. In this log each entry is a 32-byte
entry id, whose leaf hash is the matching hash in the level-0 tile.

See https://c2sp.org/tlog-tiles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gulfsec.errors import LogVerificationError, NotFound
from gulfsec.ledger.tree import HASH_SIZE, MerkleTree

__all__ = [
    "ENTRIES",
    "ENTRY_ID_SIZE",
    "MAX_LEVEL",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileRef",
    "entries_path",
    "entries_range",
    "entry_bundle",
    "hash_tile",
    "parse_entry_bundle",
    "parse_tile_path",
    "split_hash_tile",
    "tile_path",
    "tile_width",
]

TILE_HEIGHT = 8
"""Tree levels spanned by one tile."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes (or entries) in a full tile: 256."""
MAX_LEVEL = 63
"""Highest tile level the spec allows in a path."""
ENTRIES: Literal["entries"] = "entries"
"""The ``level`` of an entry bundle's ``TileRef``."""
ENTRY_ID_SIZE = 32
"""Length of the entry ids this log keeps in its bundles."""

TILE_CACHE = "public, max-age=31536000, immutable"
"""Every tile and entry bundle, full or partial: the bytes at a path never change.

A partial tile (``.p/<W>``) is as immutable as a full one: its ``W`` hashes (or entries) are the
first ``W`` of the full tile the log will have there, and the hub serves every width up to what
the tree has there, never deleting one. tlog-tiles says of every ``tile/<L>/<N>[.p/<W>]`` path
"This endpoint is immutable, so its caching headers SHOULD be long-lived", and Sunlight serves
partial tiles with the same ``public, max-age=604800, immutable`` as full ones. A hub serving
other bytes at a path would be forking its log, which a client catches against the checkpoint's
root whether or not a cache kept the old tile. An answer that is not a tile (a 404 for a tile
the tree does not have yet) carries no Cache-Control."""

CHECKPOINT_CACHE = "public, max-age=2"
"""The checkpoint changes with every commit. tlog-tiles: its headers "SHOULD prevent caching
beyond a few seconds". Two seconds let a CDN or proxy in front of many readers answer most of
them from one copy, while a reader is never shown a tree more than two seconds older than the
hub's — far inside the regime's merge delay, and a node's long poll (``/v1/checkpoint``) is
not cached at all."""

_MAX_INDEX = 1 << 64
"""Tile indexes at or above this are refused when parsing: they bound the path's length."""
_MAX_ENTRY = 0xFFFF
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class TileRef:
    """Which tile or entry bundle a path names.

    ``level`` is the tile level, or ``"entries"`` for an entry bundle; ``width`` is 256 for a
    full tile and 1..255 for a partial one.
    """

    level: int | Literal["entries"]
    index: int
    width: int = TILE_WIDTH

    @property
    def is_entries(self) -> bool:
        """True for an entry bundle, False for a hash tile."""
        return self.level == ENTRIES

    @property
    def is_partial(self) -> bool:
        """True when the tile holds fewer than 256 hashes or entries."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's canonical path, e.g. ``tile/0/x001/x234/067.p/8``."""
        if self.level == ENTRIES:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


def _encode_index(index: int) -> str:
    """Write ``index`` as zero-padded 3-digit path elements, all but the last x-prefixed."""
    if index < 0:
        raise ValueError(f"tile index must be >= 0, got {index}")
    elements = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        elements.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(elements))


def _suffix(width: int) -> str:
    if width == TILE_WIDTH:
        return ""
    if 1 <= width < TILE_WIDTH:
        return f".p/{width}"
    raise ValueError(f"tile width must be 1..{TILE_WIDTH}, got {width}")


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of hash tile (``level``, ``index``), e.g. ``tile/0/x001/x234/067`` or,
    for a partial tile of width 8, ``tile/0/x001/x234/067.p/8``."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level must be 0..{MAX_LEVEL}, got {level}")
    return f"tile/{level}/{_encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """Return the path of entry bundle ``index``, e.g. ``tile/entries/x001/x234/067.p/8``."""
    return f"tile/entries/{_encode_index(index)}{_suffix(width)}"


def _decimal(text: str, low: int, high: int) -> int | None:
    """``text`` as a decimal in ``low..high`` written without extra leading zeros, else None."""
    if not _DIGITS.fullmatch(text) or (len(text) > 1 and text[0] == "0"):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_tile_path(path: str) -> TileRef:
    """Parse a tile or entry-bundle path (``tile/<L>/<N>[.p/<W>]``, ``tile/entries/<N>[.p/<W>]``).

    Only the canonical encoding is accepted; anything else raises ``NotFound`` (the path names
    no tile), so an HTTP layer can answer 404 for it.
    """
    bad = NotFound(f"not a tile path: {path!r}")
    if len(path) > 128:
        raise bad
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise bad
    level: int | Literal["entries"]
    if parts[1] == ENTRIES:
        level = ENTRIES
    else:
        parsed_level = _decimal(parts[1], 0, MAX_LEVEL)
        if parsed_level is None:
            raise bad
        level = parsed_level
    elements = parts[2:]
    width = TILE_WIDTH
    if len(elements) >= 2 and elements[-2].endswith(".p"):
        parsed_width = _decimal(elements[-1], 1, TILE_WIDTH - 1)
        if parsed_width is None:
            raise bad
        width = parsed_width
        elements = [*elements[:-2], elements[-2][:-2]]
    index = 0
    for n, element in enumerate(elements):
        digits = element[1:] if n < len(elements) - 1 and element.startswith("x") else element
        if len(digits) != 3 or not _DIGITS.fullmatch(digits):
            raise bad
        index = index * 1000 + int(digits)
    if index >= _MAX_INDEX:
        raise bad
    ref = TileRef(level, index, width)
    # The encoding is canonical only if writing the result back gives the same path: this
    # refuses a leading x000 element, a missing x, and the like.
    if ref.path != path:
        raise bad
    return ref


def tile_width(level: int, index: int, tree_size: int) -> int:
    """Return the width of tile (``level``, ``index``) in the tree of ``tree_size`` leaves:
    256 for a full tile, 1..255 for the partial tile at the right edge. Raise ``NotFound``
    if the tree of that size has no such tile. Entry bundles have the widths of level 0."""
    if level < 0 or index < 0 or tree_size < 0:
        raise ValueError(f"level {level}, index {index} and tree size {tree_size} must be >= 0")
    count = tree_size >> (TILE_HEIGHT * level)
    start = index * TILE_WIDTH
    width = min(count - start, TILE_WIDTH)
    if width <= 0:
        raise NotFound(f"the tree of size {tree_size} has no tile {index} at level {level}")
    return width


def _check_width(level: int, index: int, width: int, tree_size: int, what: str) -> None:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    have = tile_width(level, index, tree_size)
    if have != width:
        raise NotFound(
            f"{what} {index} has width {have} in the tree of size {tree_size}, not {width}"
        )


def hash_tile(tree: MerkleTree, level: int, index: int, width: int, tree_size: int) -> bytes:
    """Return hash tile (``level``, ``index``) of width ``width`` of the tree of ``tree_size``
    leaves: the concatenated 32-byte hashes of its ``width`` subtrees.

    A full tile (width 256) exists once the tree has all of it; a partial tile only with the
    exact width the tree of ``tree_size`` leaves gives at that position. Anything else, or a
    ``tree_size`` beyond the tree, raises ``NotFound``.
    """
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level must be 0..{MAX_LEVEL}, got {level}")
    if tree_size > tree.size:
        raise NotFound(f"the tree has {tree.size} leaves, not {tree_size}")
    _check_width(level, index, width, tree_size, f"tile at level {level}")
    return tree.hashes_at(TILE_HEIGHT * level, index * TILE_WIDTH, width)


def entries_range(index: int, width: int, tree_size: int) -> range:
    """Return the leaf indexes entry bundle ``index`` of width ``width`` holds in the tree of
    ``tree_size`` leaves, with the same rules (and ``NotFound``) as ``hash_tile``."""
    _check_width(0, index, width, tree_size, "entry bundle")
    start = index * TILE_WIDTH
    return range(start, start + width)


def entry_bundle(entry_ids: Sequence[bytes]) -> bytes:
    """Encode an entry bundle: each entry prefixed with its length as a big-endian uint16."""
    if not 1 <= len(entry_ids) <= TILE_WIDTH:
        raise ValueError(f"an entry bundle holds 1..{TILE_WIDTH} entries, got {len(entry_ids)}")
    out = bytearray()
    for entry in entry_ids:
        if len(entry) > _MAX_ENTRY:
            raise ValueError(f"an entry is at most {_MAX_ENTRY} bytes, got {len(entry)}")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def parse_entry_bundle(data: bytes, *, entry_size: int | None = ENTRY_ID_SIZE) -> list[bytes]:
    """Decode an entry bundle into its entries.

    With ``entry_size`` set (default 32, the entry id length) every entry must have that
    length; pass ``None`` to accept any. A bundle that is truncated, empty, holds more than
    256 entries or entries of the wrong size raises ``LogVerificationError``.
    """
    entries: list[bytes] = []
    pos = 0
    end = len(data)
    while pos < end:
        if end - pos < 2:
            raise LogVerificationError(f"entry bundle is truncated at byte {pos}")
        length = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if end - pos < length:
            raise LogVerificationError(f"entry bundle is truncated at byte {pos}")
        if entry_size is not None and length != entry_size:
            raise LogVerificationError(
                f"entry {len(entries)} of the bundle is {length} bytes, not {entry_size}"
            )
        entries.append(bytes(data[pos : pos + length]))
        pos += length
        if len(entries) > TILE_WIDTH:
            raise LogVerificationError(f"entry bundle holds more than {TILE_WIDTH} entries")
    if not entries:
        raise LogVerificationError("entry bundle is empty")
    return entries


def split_hash_tile(data: bytes) -> list[bytes]:
    """Split a hash tile into its 32-byte hashes; raise ``LogVerificationError`` if it is
    empty, longer than 256 hashes or not a whole number of hashes."""
    if not data or len(data) % HASH_SIZE or len(data) > TILE_WIDTH * HASH_SIZE:
        raise LogVerificationError(f"a hash tile of {len(data)} bytes is malformed")
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]
