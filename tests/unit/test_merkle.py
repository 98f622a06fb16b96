"""RFC 6962 / 9162 Merkle hashing and proofs: known answers, properties, pymerkle interop."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InclusionProof, InmemoryTree, InvalidProof
from pymerkle import verify_consistency as pymerkle_verify_consistency
from pymerkle import verify_inclusion as pymerkle_verify_inclusion

from schemas.tlog.merkle import (
    EMPTY_ROOT,
    HashReader,
    ProofError,
    consistency_proof,
    inclusion_proof,
    integrate,
    leaf_hash,
    node_hash,
    root_from_leaves,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# The inputs and roots of the RFC 6962 test tree used by Certificate Transparency's
# reference implementations (the leaves "", 00, 10, 2021, ...).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def build(leaves: list[bytes]) -> HashReader:
    """A dict of stored hashes filled by `integrate`, one leaf at a time."""
    store: dict[tuple[int, int], bytes] = {}
    for i, leaf in enumerate(leaves):
        for stored in integrate(i, [leaf_hash(leaf)], lambda level, index: store[level, index]):
            store[stored.level, stored.index] = stored.hash
    return lambda level, index: store[level, index]


def flip(data: bytes, position: int) -> bytes:
    """`data` with one bit of one byte flipped."""
    return data[:position] + bytes([data[position] ^ 1]) + data[position + 1 :]


def test_empty_tree_and_prefixes() -> None:
    """The empty root is SHA-256 of nothing; leaves and nodes carry 0x00 and 0x01 prefixes."""
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_root(0, build([])) == EMPTY_ROOT
    assert leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert (
        node_hash(b"l" * 32, b"r" * 32) == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()
    )


def test_known_roots_of_the_ct_test_tree() -> None:
    """Every prefix of the RFC 6962 test tree has the root CT's implementations publish."""
    reader = build(CT_LEAVES)
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert tree_root(size, reader).hex() == expected
        assert root_from_leaves([leaf_hash(x) for x in CT_LEAVES[:size]]).hex() == expected


def test_known_inclusion_path_in_a_three_leaf_tree() -> None:
    """Leaf 2 of 3 is proven by one hash, MTH of leaves 0-1; leaf 0 by leaf 1 then leaf 2."""
    reader = build(CT_LEAVES[:3])
    hashes = [leaf_hash(x) for x in CT_LEAVES[:3]]
    assert inclusion_proof(2, 3, reader) == [node_hash(hashes[0], hashes[1])]
    assert inclusion_proof(0, 3, reader) == [hashes[1], hashes[2]]
    assert consistency_proof(2, 3, reader) == [hashes[2]]
    assert consistency_proof(1, 3, reader) == [hashes[1], hashes[2]]


def test_proof_requests_out_of_range_are_refused() -> None:
    """No inclusion proof past the tree, no consistency proof from 0 or to a smaller tree."""
    reader = build(CT_LEAVES[:3])
    with pytest.raises(ProofError):
        inclusion_proof(3, 3, reader)
    with pytest.raises(ProofError):
        consistency_proof(0, 3, reader)
    with pytest.raises(ProofError):
        consistency_proof(3, 2, reader)


def test_trivial_consistency() -> None:
    """Equal sizes need equal roots and no proof; the empty tree precedes every tree."""
    root = CT_ROOTS[2]
    assert verify_consistency(3, 3, bytes.fromhex(root), bytes.fromhex(root), [])
    assert not verify_consistency(3, 3, bytes.fromhex(root), bytes.fromhex(CT_ROOTS[1]), [])
    assert verify_consistency(0, 3, EMPTY_ROOT, bytes.fromhex(root), [])
    assert not verify_consistency(0, 3, bytes.fromhex(root), bytes.fromhex(root), [])
    assert not verify_consistency(3, 2, bytes.fromhex(root), bytes.fromhex(root), [])


LEAVES = st.lists(st.binary(max_size=8), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(leaves=LEAVES, data=st.data())
def test_inclusion_proofs_verify_and_any_flip_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """A generated proof verifies; flipping a proof byte, the leaf or the index makes it fail."""
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    reader = build(leaves)
    root = tree_root(size, reader)
    assert root == root_from_leaves([leaf_hash(x) for x in leaves])
    proof = inclusion_proof(index, size, reader)
    leaf = leaf_hash(leaves[index])
    assert verify_inclusion(index, size, leaf, proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        byte = data.draw(st.integers(0, 31))
        broken = [*proof[:which], flip(proof[which], byte), *proof[which + 1 :]]
        assert not verify_inclusion(index, size, leaf, broken, root)
        assert not verify_inclusion(index, size, leaf, proof[:-1], root)
    assert not verify_inclusion(index, size, flip(leaf, 0), proof, root)
    assert not verify_inclusion(index, size, leaf, [*proof, root], root)
    assert not verify_inclusion(size, size, leaf, proof, root)


@settings(max_examples=60, deadline=None)
@given(leaves=LEAVES, data=st.data())
def test_consistency_proofs_verify_and_any_flip_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """A consistency proof verifies between the two roots; any flipped byte breaks it."""
    new = len(leaves)
    old = data.draw(st.integers(1, new))
    reader = build(leaves)
    old_root, new_root = tree_root(old, reader), tree_root(new, reader)
    proof = consistency_proof(old, new, reader)
    assert verify_consistency(old, new, old_root, new_root, proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        broken = [
            *proof[:which],
            flip(proof[which], data.draw(st.integers(0, 31))),
            *proof[which + 1 :],
        ]
        assert not verify_consistency(old, new, old_root, new_root, broken)
    if old < new:
        assert not verify_consistency(old, new, flip(old_root, 5), new_root, proof)
        assert not verify_consistency(old, new, old_root, flip(new_root, 5), proof)


@settings(max_examples=40, deadline=None)
@given(leaves=LEAVES, cuts=st.lists(st.integers(0, 300), max_size=6))
def test_integrating_in_any_batches_gives_the_same_tree(
    leaves: list[bytes], cuts: list[int]
) -> None:
    """Batches of any sizes write the same stored hashes as one leaf at a time."""
    store: dict[tuple[int, int], bytes] = {}
    bounds = sorted({0, len(leaves), *(c for c in cuts if c < len(leaves))})
    for start, end in itertools.pairwise(bounds):
        batch = [leaf_hash(x) for x in leaves[start:end]]
        for stored in integrate(start, batch, lambda level, index: store[level, index]):
            store[stored.level, stored.index] = stored.hash
    expected = build(leaves)
    assert all(expected(level, index) == value for (level, index), value in store.items())
    assert tree_root(len(leaves), lambda lv, ix: store[lv, ix]) == root_from_leaves(
        [leaf_hash(x) for x in leaves]
    )


def test_integration_reads_only_the_right_edge() -> None:
    """Appending one leaf to a tree of 2**20 - 1 leaves reads 20 stored hashes, not the tree."""
    size = (1 << 20) - 1
    reads: list[tuple[int, int]] = []

    def reader(level: int, index: int) -> bytes:
        reads.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    written = integrate(size, [leaf_hash(b"x")], reader)
    assert len(reads) == 20
    assert len(written) == 21
    assert (written[-1].level, written[-1].index) == (20, 0)


@pytest.fixture(scope="module")
def pymerkle_tree() -> InmemoryTree:
    """An in-memory tree of pymerkle (RFC 6962: sha256, 0x00/0x01 prefixes), 300 leaves."""
    tree = InmemoryTree(algorithm="sha256")
    for i in range(300):
        tree.append_entry(f"leaf {i}".encode())
    return tree


PYMERKLE_SIZES = [1, 2, 3, 7, 8, 9, 255, 256, 257, 300]


def test_pymerkle_roots_match(pymerkle_tree: InmemoryTree) -> None:
    """pymerkle, written by others, computes the same root at every size we check."""
    reader = build([f"leaf {i}".encode() for i in range(300)])
    for size in PYMERKLE_SIZES:
        assert pymerkle_tree.get_root(size) == tree_root(size, reader)


def test_pymerkle_verifies_our_inclusion_proofs(pymerkle_tree: InmemoryTree) -> None:
    """Our audit paths, handed to pymerkle's verifier as its proof objects, are accepted.

    pymerkle's path is the leaf hash followed by the RFC 6962 audit path; its `rule` (which
    side each hash is on) depends only on index and size, so it is taken from pymerkle.
    """
    reader = build([f"leaf {i}".encode() for i in range(300)])
    for size in PYMERKLE_SIZES:
        root = tree_root(size, reader)
        for index in sorted({0, size // 2, size - 1}):
            theirs = pymerkle_tree.prove_inclusion(index + 1, size)
            leaf = leaf_hash(f"leaf {index}".encode())
            ours = inclusion_proof(index, size, reader)
            data = {**theirs.serialize(), "path": [h.hex() for h in [leaf, *ours]]}
            pymerkle_verify_inclusion(leaf, root, InclusionProof.deserialize(data), index + 1, size)
            if ours:
                data["path"][-1] = flip(ours[-1], 0).hex()
                with pytest.raises(InvalidProof):
                    pymerkle_verify_inclusion(
                        leaf, root, InclusionProof.deserialize(data), index + 1, size
                    )


def test_our_consistency_check_accepts_pymerkle_roots(pymerkle_tree: InmemoryTree) -> None:
    """Between pymerkle's own roots for two sizes, our proofs verify and both sides agree.

    pymerkle's consistency proofs are not in RFC 9162's compact form, so its proof is checked
    by its own verifier and ours against its roots (Go's tlog checks the proof bytes).
    """
    reader = build([f"leaf {i}".encode() for i in range(300)])
    for old in PYMERKLE_SIZES:
        for new in (n for n in PYMERKLE_SIZES if n >= old):
            old_root = pymerkle_tree.get_root(old)
            new_root = pymerkle_tree.get_root(new)
            theirs = pymerkle_tree.prove_consistency(old, new)
            pymerkle_verify_consistency(old_root, new_root, theirs, old, new)
            proof = consistency_proof(old, new, reader)
            assert verify_consistency(old, new, old_root, new_root, proof)
