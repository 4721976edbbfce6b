"""C2SP tlog-tiles paths, hash tiles and entry bundles."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gulfsec.errors import LogVerificationError, NotFound
from gulfsec.ledger.tiles import (
    ENTRIES,
    TileRef,
    entries_path,
    entries_range,
    entry_bundle,
    hash_tile,
    parse_entry_bundle,
    parse_tile_path,
    split_hash_tile,
    tile_path,
    tile_width,
)
from gulfsec.ledger.tree import MerkleTree, leaf_hash, node_hash

SIZE = 70_000
ENTRY_IDS = [hashlib.sha256(b"tile entry %d" % i).digest() for i in range(SIZE)]
TREE = MerkleTree.from_entry_ids(ENTRY_IDS)


def fold(hashes: list[bytes]) -> bytes:
    """The Merkle tree hash of a full tile's 256 hashes taken as the leaves of a subtree."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


# -- paths --------------------------------------------------------------------------------------


def test_tile_paths_follow_the_spec_example() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(0, 1234067, 8) == "tile/0/x001/x234/067.p/8"
    assert tile_path(3, 1234067, 255) == "tile/3/x001/x234/067.p/255"
    assert entries_path(1234067) == "tile/entries/x001/x234/067"
    assert entries_path(1234067, 8) == "tile/entries/x001/x234/067.p/8"


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1001, "x001/001"),
        (999_999, "x999/999"),
        (1_000_000, "x001/x000/000"),
        (2**40, "x001/x099/x511/x627/776"),
    ],
)
def test_tile_indexes_are_written_in_zero_padded_groups_of_three(index: int, encoded: str) -> None:
    assert tile_path(1, index) == f"tile/1/{encoded}"
    assert parse_tile_path(f"tile/1/{encoded}") == TileRef(1, index, 256)


def test_parsing_the_spec_examples_gives_level_index_and_width() -> None:
    assert parse_tile_path("tile/0/x001/x234/067") == TileRef(0, 1234067, 256)
    partial = parse_tile_path("tile/0/x001/x234/067.p/8")
    assert partial == TileRef(0, 1234067, 8)
    assert partial.is_partial and not partial.is_entries
    bundle = parse_tile_path("tile/entries/x001/x234/067.p/8")
    assert bundle == TileRef(ENTRIES, 1234067, 8)
    assert bundle.is_entries
    assert parse_tile_path("tile/63/000") == TileRef(63, 0, 256)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-1, 63),
    st.one_of(st.integers(0, 2_000), st.integers(0, 2**56)),
    st.integers(1, 256),
)
def test_every_tile_path_parses_back_to_the_same_tile(level: int, index: int, width: int) -> None:
    if level < 0:
        ref = TileRef(ENTRIES, index, width)
        path = entries_path(index, width)
    else:
        ref = TileRef(level, index, width)
        path = tile_path(level, index, width)
    assert ref.path == path
    assert parse_tile_path(path) == ref


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile",
        "tile/0",
        "tile/0/",
        "/tile/0/000",
        "tile/0/000/",
        "tiles/0/000",
        "tile/entries",
        "tile/data/000",
        "tile/00/000",  # level with a leading zero
        "tile/01/000",
        "tile/64/000",  # level above 63
        "tile/-1/000",
        "tile/+1/000",
        "tile/ 1/000",
        "tile/0/0",  # not zero-padded
        "tile/0/00",
        "tile/0/0000",
        "tile/0/1234067",
        "tile/0/x000/067",  # a leading group of zeros is not canonical
        "tile/0/x000/x001/067",
        "tile/0/x1/x234/067",  # groups are three digits
        "tile/0/001/234/067",  # all but the last group start with x
        "tile/0/x001/x234/x067",  # the last group has no x
        "tile/0/X001/067",
        "tile/0/x-01/067",
        "tile/0/\u0661\u0662\u0663",  # non-ASCII digits
        "tile/0/000.p",  # no width
        "tile/0/000.p/",
        "tile/0/000.p/0",  # width 0
        "tile/0/000.p/256",  # a full tile has no .p
        "tile/0/000.p/300",
        "tile/0/000.p/08",  # width with a leading zero
        "tile/0/000.p/8/",
        "tile/0/000.p/8/9",
        "tile/0/000.P/8",
        "tile/0/000.x/8",
        "tile/0/x001.p/8/000",
        "tile/entries/000.p/0",
        "tile/entries/x000/001",
        "tile/0/" + "x999/" * 7 + "999",  # beyond any 64-bit tree
    ],
)
def test_malformed_tile_paths_name_no_tile(path: str) -> None:
    with pytest.raises(NotFound):
        parse_tile_path(path)


@pytest.mark.parametrize(
    ("level", "index", "width"), [(-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]
)
def test_impossible_tile_coordinates_raise_value_error(level: int, index: int, width: int) -> None:
    with pytest.raises(ValueError):
        tile_path(level, index, width)


# -- which tiles a tree has ---------------------------------------------------------------------


def test_a_tree_of_seventy_thousand_has_the_tiles_the_spec_lists() -> None:
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile,
    # one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    assert [tile_width(0, i, SIZE) for i in range(273)] == [256] * 273
    assert tile_width(0, 273, SIZE) == 112
    assert tile_width(1, 0, SIZE) == 256
    assert tile_width(1, 1, SIZE) == 17
    assert tile_width(2, 0, SIZE) == 1
    for level, index in [(0, 274), (1, 2), (2, 1), (3, 0)]:
        with pytest.raises(NotFound):
            tile_width(level, index, SIZE)


def test_a_tree_of_256_has_one_full_level_0_tile_and_a_level_1_tile_of_width_1() -> None:
    assert tile_width(0, 0, 256) == 256
    assert tile_width(1, 0, 256) == 1
    with pytest.raises(NotFound):
        tile_width(0, 1, 256)
    with pytest.raises(NotFound):
        tile_width(2, 0, 256)


# -- hash tiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "index", "width"),
    [(0, 0, 256), (0, 272, 256), (0, 273, 112), (1, 0, 256), (1, 1, 17)],
)
def test_hash_tiles_hold_the_subtree_hashes_at_their_height(
    level: int, index: int, width: int
) -> None:
    tile = hash_tile(TREE, level, index, width, SIZE)
    assert len(tile) == 32 * width
    hashes = split_hash_tile(tile)
    for i, h in enumerate(hashes):
        assert h == TREE.hash_at(8 * level, index * 256 + i)


def test_the_level_2_tile_of_seventy_thousand_is_the_root_of_the_first_65536_leaves() -> None:
    assert hash_tile(TREE, 2, 0, 1, SIZE) == TREE.root(65_536)


def test_each_level_1_hash_is_the_tree_hash_of_the_full_level_0_tile_below_it() -> None:
    level1 = split_hash_tile(hash_tile(TREE, 1, 0, 256, SIZE))
    for n in (0, 1, 100, 255):
        below = split_hash_tile(hash_tile(TREE, 0, n, 256, SIZE))
        assert fold(below) == level1[n]


def test_level_0_tiles_hold_the_leaf_hashes_of_the_entry_bundle_at_the_same_index() -> None:
    for index, width in [(0, 256), (273, 112)]:
        bundle = entry_bundle([ENTRY_IDS[i] for i in entries_range(index, width, SIZE)])
        tile = split_hash_tile(hash_tile(TREE, 0, index, width, SIZE))
        assert [leaf_hash(e) for e in parse_entry_bundle(bundle)] == tile


def test_an_older_tree_size_serves_its_own_partial_tiles() -> None:
    old = 1000  # 3 full level-0 tiles, a partial of width 232, a level-1 partial of width 3
    assert hash_tile(TREE, 0, 3, 232, old) == TREE.hashes_at(0, 768, 232)
    assert hash_tile(TREE, 1, 0, 3, old) == TREE.hashes_at(8, 0, 3)
    assert hash_tile(TREE, 0, 2, 256, old) == TREE.hashes_at(0, 512, 256)


@pytest.mark.parametrize(
    ("level", "index", "width", "tree_size"),
    [
        (0, 273, 256, SIZE),  # not yet full
        (0, 273, 111, SIZE),  # the wrong width for the partial tile
        (0, 273, 113, SIZE),
        (0, 272, 100, SIZE),  # a partial width for a tile that is full
        (0, 274, 1, SIZE),  # beyond the tree
        (1, 1, 256, SIZE),
        (1, 2, 1, SIZE),
        (2, 0, 256, SIZE),
        (3, 0, 1, SIZE),
        (0, 0, 1, 0),  # the empty tree has no tiles
        (0, 3, 231, 1000),
        (0, 0, 256, SIZE + 1),  # a size the tree does not have
    ],
)
def test_tiles_the_tree_of_that_size_does_not_have_are_not_found(
    level: int, index: int, width: int, tree_size: int
) -> None:
    with pytest.raises(NotFound):
        hash_tile(TREE, level, index, width, tree_size)


@pytest.mark.parametrize(
    ("level", "index", "width", "tree_size"),
    [(-1, 0, 256, SIZE), (64, 0, 1, SIZE), (0, -1, 256, SIZE), (0, 0, 0, SIZE), (0, 0, 257, SIZE)],
)
def test_impossible_hash_tile_requests_raise_value_error(
    level: int, index: int, width: int, tree_size: int
) -> None:
    with pytest.raises(ValueError):
        hash_tile(TREE, level, index, width, tree_size)


@pytest.mark.parametrize("data", [b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * (257 * 32)])
def test_malformed_hash_tiles_are_rejected(data: bytes) -> None:
    with pytest.raises(LogVerificationError):
        split_hash_tile(data)


# -- entry bundles ------------------------------------------------------------------------------


def test_entry_bundles_prefix_each_entry_with_its_big_endian_length() -> None:
    bundle = entry_bundle([b"\x11" * 32, b"\x22" * 32])
    assert bundle == b"\x00\x20" + b"\x11" * 32 + b"\x00\x20" + b"\x22" * 32
    assert parse_entry_bundle(bundle) == [b"\x11" * 32, b"\x22" * 32]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=256))
def test_entry_bundles_round_trip(entry_ids: list[bytes]) -> None:
    assert parse_entry_bundle(entry_bundle(entry_ids)) == entry_ids


def test_entry_bundles_of_other_entry_sizes_round_trip_when_asked() -> None:
    entries = [b"", b"a", b"x" * 0xFFFF]
    assert parse_entry_bundle(entry_bundle(entries), entry_size=None) == entries


@pytest.mark.parametrize(
    "data",
    [
        b"",  # empty bundles are never served
        b"\x00",  # half a length
        b"\x00\x20" + b"\x11" * 31,  # truncated entry
        b"\x00\x20" + b"\x11" * 32 + b"\x00",  # trailing byte
        b"\x00\x1f" + b"\x11" * 31,  # not an entry id
        (b"\x00\x20" + b"\x11" * 32) * 257,  # more than a full bundle
    ],
)
def test_malformed_entry_bundles_are_rejected(data: bytes) -> None:
    with pytest.raises(LogVerificationError):
        parse_entry_bundle(data)


def test_impossible_entry_bundles_raise_value_error() -> None:
    with pytest.raises(ValueError):
        entry_bundle([])
    with pytest.raises(ValueError):
        entry_bundle([b"\x00" * 32] * 257)
    with pytest.raises(ValueError):
        entry_bundle([b"\x00" * 0x10000])


def test_entry_bundle_ranges_follow_the_level_0_tiles() -> None:
    assert entries_range(0, 256, SIZE) == range(0, 256)
    assert entries_range(273, 112, SIZE) == range(69_888, 70_000)
    with pytest.raises(NotFound):
        entries_range(273, 256, SIZE)
    with pytest.raises(NotFound):
        entries_range(274, 1, SIZE)
