"""RFC 6962 / RFC 9162 Merkle trees: hashing, proofs and integration over stored hashes.

The tree is never held whole. Every function reads the tree's *stored hashes* through a
callback `hash_at(level, index)`: the Merkle Tree Hash of the complete subtree of
`2**level` leaves starting at leaf `index * 2**level` (Go's `golang.org/x/mod/sumdb/tlog`
calls them stored hashes too). Tiles (`schemas.tlog.tiles`) are one way to keep them; a dict is
another. Proof hashes are in RFC 6962 order: from the leaf (or old root) up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from schemas.base.errors import DamagedDataError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "HashReader",
    "ProofError",
    "StoredHash",
    "consistency_proof",
    "inclusion_proof",
    "integrate",
    "leaf_hash",
    "node_hash",
    "root_from_leaves",
    "subtree_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 6962 §2.1): the root of the empty tree."""

HashReader = Callable[[int, int], bytes]
"""`hash_at(level, index)`: the stored hash of leaves `[index << level, (index + 1) << level)`."""


class ProofError(DamagedDataError):
    """A proof was asked for sizes or indices the tree does not have."""


@dataclass(frozen=True, slots=True)
class StoredHash:
    """One stored hash to write: the MTH of a complete subtree at (level, index)."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x00 || leaf bytes); the prefix separates leaves from nodes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where MTH splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, straight from RFC 6962 §2.1 (reference and tests)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_from_leaves(leaf_hashes[:k]), root_from_leaves(leaf_hashes[k:]))


def _complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as complete subtrees (level, index), largest first, as MTH splits it.

    Valid for the ranges MTH recursion produces: start is a multiple of the largest power
    of two not above end - start.
    """
    parts: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def subtree_hash(start: int, end: int, hash_at: HashReader) -> bytes:
    """MTH(D[start:end]) for a range MTH recursion produces, from O(log n) stored hashes."""
    if start >= end:
        return EMPTY_ROOT
    parts = _complete_subtrees(start, end)
    result = hash_at(*parts[-1])
    for level, index in reversed(parts[:-1]):
        result = node_hash(hash_at(level, index), result)
    return result


def tree_root(size: int, hash_at: HashReader) -> bytes:
    """The root hash of the tree of `size` leaves (EMPTY_ROOT for 0)."""
    return subtree_hash(0, size, hash_at)


def inclusion_proof(index: int, size: int, hash_at: HashReader) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[size]): the audit path, leaf side first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, hash_at))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, hash_at))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, hash_at: HashReader) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(m, D[n]); empty when the sizes are equal (nothing to prove)."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to {new_size}")
    path: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtree_hash(start + k, end, hash_at))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, hash_at))
            start += k
            m -= k
            complete = False
    if not complete:
        path.append(subtree_hash(start, end, hash_at))
    path.reverse()
    return path


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` put leaf hash `leaf` at `index` under `root`?"""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _trivially_consistent(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Equal sizes need equal roots; the empty tree is a prefix of any tree. No proof either way."""
    if proof or (old_size == 0 and old_root != EMPTY_ROOT):
        return False
    return old_size != new_size or old_root == new_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an extension of (old_size, old_root)?

    Equal sizes need an empty proof and equal roots; the empty tree is a prefix of any tree.
    """
    if any(len(p) != HASH_SIZE for p in proof) or not 0 <= old_size <= new_size:
        return False
    if old_size in {0, new_size}:
        return _trivially_consistent(old_size, new_size, old_root, new_root, proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def integrate(size: int, leaf_hashes: Iterable[bytes], hash_at: HashReader) -> list[StoredHash]:
    """The stored hashes to write when appending `leaf_hashes` to a tree of `size` leaves.

    Each new leaf completes the subtrees along the right edge whose last leaf it is; their
    left siblings are read (from `hash_at` or from this batch), so a batch costs O(log n)
    reads and amortised O(1) hashes per leaf. Returned in the order computed.
    """
    new: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        found = new.get((level, index))
        return found if found is not None else hash_at(level, index)

    written: list[StoredHash] = []
    for offset, leaf in enumerate(leaf_hashes):
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        level, index, value = 0, size + offset, leaf
        new[level, index] = value
        written.append(StoredHash(level, index, value))
        while index & 1:
            value = node_hash(read(level, index - 1), value)
            level, index = level + 1, index >> 1
            new[level, index] = value
            written.append(StoredHash(level, index, value))
    return written
