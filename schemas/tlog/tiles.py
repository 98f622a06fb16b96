"""C2SP tlog-tiles: the tree's stored hashes as immutable tiles of 256 hashes.

Tile height is 8. A tile at level L holds consecutive stored hashes of tree level 8*L; its
path is `tile/<L>/<N>[.p/<W>]`, N in three-digit groups (`x001/x234/067`). The levels
between are recomputed from a tile's hashes. We write hash tiles only: our leaves are the
commit objects, already stored under their own keys, so there are no entry bundles
(`tile/entries/...`); the index from commit key to leaf index lives beside the tiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from schemas.base.errors import DamagedDataError
from schemas.tlog.merkle import HASH_SIZE, HashReader, integrate, root_from_leaves, tree_root

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TileError",
    "TileWrite",
    "integrate_tiles",
    "new_tiles",
    "parse_tile_path",
    "tile_data",
    "tile_hash",
    "tile_hash_reader",
    "tiles_for_size",
]

TILE_HEIGHT: Final = 8
TILE_WIDTH: Final = 1 << TILE_HEIGHT
_MAX_LEVEL: Final = 63
_PATH: Final = re.compile(r"tile/(0|[1-9][0-9]*)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]*))?")


class TileError(DamagedDataError):
    """A tile path or tile bytes that do not follow tlog-tiles."""


@dataclass(frozen=True, slots=True, order=True)
class Tile:
    """Tile N at level L, W hashes wide (256 when full)."""

    level: int
    index: int
    width: int

    def __post_init__(self) -> None:
        if not 0 <= self.level <= _MAX_LEVEL or self.index < 0:
            raise TileError(f"no tile at level {self.level}, index {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"a tile is 1 to 256 hashes wide, not {self.width}")

    @property
    def full(self) -> bool:
        """A full tile never changes; a partial one is replaced by a wider one."""
        return self.width == TILE_WIDTH

    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]`, relative to the log's prefix."""
        digits = str(self.index)
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        encoded = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{self.level}/{encoded}{suffix}"


def parse_tile_path(path: str) -> Tile:
    """The tile a path names; strict (no extra leading zeros, no `.p/256`)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TileError(f"not a tile path: {path!r}")
    level_text, index_text, width_text = match.groups()
    groups = index_text.split("/")
    if len(groups) > 1 and groups[0] == "x000":
        raise TileError(f"tile index with a leading zero group: {path!r}")
    width = int(width_text) if width_text is not None else TILE_WIDTH
    if width_text is not None and width >= TILE_WIDTH:
        raise TileError(f"a partial tile is narrower than 256: {path!r}")
    return Tile(int(level_text), int("".join(g.lstrip("x") for g in groups)), width)


def _tiles_at_level(level: int, old_size: int, new_size: int) -> list[Tile]:
    old_n = old_size >> (TILE_HEIGHT * level)
    new_n = new_size >> (TILE_HEIGHT * level)
    if old_n == new_n:
        return []
    tiles = [Tile(level, n, TILE_WIDTH) for n in range(old_n >> TILE_HEIGHT, new_n >> TILE_HEIGHT)]
    last = new_n >> TILE_HEIGHT
    if width := new_n - (last << TILE_HEIGHT):
        tiles.append(Tile(level, last, width))
    return tiles


def new_tiles(old_size: int, new_size: int) -> list[Tile]:
    """The tiles to write when the tree grows from old_size to new_size (Go's tlog.NewTiles)."""
    if not 0 <= old_size <= new_size:
        raise TileError(f"a tree does not shrink from {old_size} to {new_size}")
    tiles: list[Tile] = []
    level = 0
    while new_size >> (TILE_HEIGHT * level):
        tiles += _tiles_at_level(level, old_size, new_size)
        level += 1
    return tiles


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a tree of `size` leaves consists of (what an auditor reads)."""
    return new_tiles(0, size)


def tile_data(tile: Tile, hash_at: HashReader) -> bytes:
    """The bytes of `tile`: its stored hashes at level 8*L, concatenated."""
    first = tile.index << TILE_HEIGHT
    return b"".join(hash_at(TILE_HEIGHT * tile.level, first + i) for i in range(tile.width))


def tile_hash(data: bytes, position: int) -> bytes:
    """The hash at `position` within a tile's bytes."""
    if len(data) % HASH_SIZE or not 0 <= position < len(data) // HASH_SIZE:
        raise TileError(f"no hash {position} in a tile of {len(data)} bytes")
    return data[position * HASH_SIZE : (position + 1) * HASH_SIZE]


def tile_hash_reader(size: int, read_tile: Callable[[Tile], bytes]) -> HashReader:
    """A `hash_at` for a tree of `size` leaves whose tiles `read_tile` fetches.

    Stored hash (level, index) lies in the tile of level level // 8 that a tree of `size`
    has; levels between tile levels are rehashed from 2**(level % 8) tile hashes. Tiles
    read are kept for the reader's life (a proof needs O(log n) of them).
    """
    cache: dict[Tile, bytes] = {}

    def hash_at(level: int, index: int) -> bytes:
        if level < 0 or index < 0 or (index + 1) << level > size:
            raise TileError(f"no stored hash ({level}, {index}) in a tree of size {size}")
        tile_level, sub = divmod(level, TILE_HEIGHT)
        first = index << sub
        number = first >> TILE_HEIGHT
        count = size >> (TILE_HEIGHT * tile_level)
        tile = Tile(tile_level, number, min(TILE_WIDTH, count - (number << TILE_HEIGHT)))
        data = cache.get(tile)
        if data is None:
            data = read_tile(tile)
            if len(data) != tile.width * HASH_SIZE:
                raise TileError(f"{tile.path()} holds {len(data)} bytes, not {tile.width * 32}")
            cache[tile] = data
        start = first - (number << TILE_HEIGHT)
        hashes = [tile_hash(data, start + i) for i in range(1 << sub)]
        return root_from_leaves(hashes)

    return hash_at


@dataclass(frozen=True, slots=True)
class TileWrite:
    """What integrating a batch produced: the tiles to put and the new tree head."""

    size: int
    root: bytes
    tiles: list[tuple[Tile, bytes]]


def integrate_tiles(
    size: int, leaf_hashes: list[bytes], read_tile: Callable[[Tile], bytes]
) -> TileWrite:
    """Append `leaf_hashes` to the tree of `size` leaves kept in tiles; pure.

    Reads only the right edge of the old tree (O(log n) tiles) and returns every new or
    widened tile, lowest level first, with the new size and root. Full tiles are
    write-once; a partial tile's path names its width, so no object is ever overwritten.
    """
    old = tile_hash_reader(size, read_tile)
    stored = {(h.level, h.index): h.hash for h in integrate(size, leaf_hashes, old)}

    def hash_at(level: int, index: int) -> bytes:
        found = stored.get((level, index))
        return found if found is not None else old(level, index)

    new_size = size + len(leaf_hashes)
    tiles = [(tile, tile_data(tile, hash_at)) for tile in new_tiles(size, new_size)]
    return TileWrite(new_size, tree_root(new_size, hash_at), tiles)
