"""C2SP tlog-tiles: paths, which tiles a tree has, and integration through tiles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.tlog.merkle import (
    inclusion_proof,
    leaf_hash,
    root_from_leaves,
    tree_root,
    verify_inclusion,
)
from schemas.tlog.tiles import (
    Tile,
    TileError,
    integrate_tiles,
    new_tiles,
    parse_tile_path,
    tile_hash_reader,
    tiles_for_size,
)


def test_paths_follow_the_spec_encoding() -> None:
    """Index 1234067 is x001/x234/067; partial tiles end in .p/<width>."""
    assert Tile(0, 1234067, 256).path() == "tile/0/x001/x234/067"
    assert Tile(0, 0, 256).path() == "tile/0/000"
    assert Tile(2, 1000, 17).path() == "tile/2/x001/000.p/17"
    assert Tile(1, 999, 1).path() == "tile/1/999.p/1"


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/00/000",
        "tile/0/x000/001",
        "tile/0/001.p/256",
        "tile/0/001.p/0",
        "tile/0/001.p/01",
        "tile/64/000",
        "tile/0/x001",
        "tile/entries/000",
        "tile/8/0/000",
    ],
)
def test_malformed_paths_are_refused(path: str) -> None:
    """Paths outside the spec's grammar (leading zeros, width 256, no last group) are refused."""
    with pytest.raises(TileError):
        parse_tile_path(path)


@given(st.integers(0, 63), st.integers(0, 10**12), st.integers(1, 256))
def test_paths_round_trip(level: int, index: int, width: int) -> None:
    """Every tile's path parses back to the same tile."""
    tile = Tile(level, index, width)
    assert parse_tile_path(tile.path()) == tile


def test_the_spec_example_of_70000_leaves() -> None:
    """273 full and one 112-wide level-0 tile, one full and one 17-wide level-1, one level-2."""
    tiles = tiles_for_size(70_000)
    by_level = {level: [t for t in tiles if t.level == level] for level in (0, 1, 2)}
    assert len(tiles) == 273 + 1 + 1 + 1 + 1
    assert [t.width for t in by_level[0]] == [256] * 273 + [112]
    assert [t.width for t in by_level[1]] == [256, 17]
    assert [t.width for t in by_level[2]] == [1]
    assert tiles_for_size(256) == [Tile(0, 0, 256), Tile(1, 0, 1)]
    assert tiles_for_size(0) == []


def test_new_tiles_name_only_what_changed() -> None:
    """Growing 255 -> 257 writes the now-full tile, a new partial one and the level-1 tile."""
    assert new_tiles(255, 257) == [Tile(0, 0, 256), Tile(0, 1, 1), Tile(1, 0, 1)]
    assert new_tiles(300, 300) == []
    with pytest.raises(TileError):
        new_tiles(3, 2)


def grow(sizes: list[int], tag: str = "") -> tuple[dict[str, bytes], list[bytes]]:
    """A tile store grown batch by batch, and the leaf hashes in it."""
    store: dict[str, bytes] = {}
    leaves: list[bytes] = []
    size = 0
    for count in sizes:
        batch = [leaf_hash(f"{tag}{size + i}".encode()) for i in range(count)]
        result = integrate_tiles(size, batch, lambda t: store[t.path()])
        for tile, data in result.tiles:
            assert store.setdefault(tile.path(), data) == data, "a tile path was rewritten"
        leaves += batch
        size = result.size
        assert result.root == root_from_leaves(leaves)
    return store, leaves


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 400), min_size=1, max_size=5))
def test_integrating_through_tiles(sizes: list[int]) -> None:
    """Batches integrated over tiles give the RFC 6962 root; no tile path is ever rewritten."""
    store, leaves = grow(sizes)
    size = len(leaves)
    reader = tile_hash_reader(size, lambda t: store[t.path()])
    assert tree_root(size, reader) == root_from_leaves(leaves)
    assert {t.path() for t in tiles_for_size(size)} <= set(store)


def test_proofs_over_tiles_of_a_three_level_tree() -> None:
    """A tree of 70,000 leaves in tiles proves inclusion of its first, middle and last leaf."""
    store, leaves = grow([65_536, 4_463, 1])
    size = len(leaves)
    reads: list[str] = []

    def read(tile: Tile) -> bytes:
        reads.append(tile.path())
        return store[tile.path()]

    reader = tile_hash_reader(size, read)
    root = tree_root(size, reader)
    for index in (0, 35_000, size - 1):
        proof = inclusion_proof(index, size, reader)
        assert verify_inclusion(index, size, leaves[index], proof, root)
    assert len(set(reads)) == len(reads) <= 12


def test_a_tile_of_the_wrong_length_is_refused() -> None:
    """A truncated tile is an error, not a wrong hash."""
    store, _ = grow([300])
    reader = tile_hash_reader(300, lambda t: store[t.path()][:-1])
    with pytest.raises(TileError):
        reader(0, 299)
    with pytest.raises(TileError):
        tile_hash_reader(300, lambda t: store[t.path()])(0, 300)
