"""Receipts: valid ones verify offline with the vkey; each kind of damage is named."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.merkle import inclusion_proof, leaf_hash, tree_root
from schemas.tlog.note import verifier_key
from schemas.tlog.receipt import Receipt, build_receipt, verify_receipt
from schemas.tlog.tiles import integrate_tiles, tile_hash_reader

ORIGIN = "grantreview.example/bucket/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VKEY = verifier_key(ORIGIN, KEY)
COMMITS = [f'{{"seq":{i}}}'.encode() for i in range(300)]


def make_receipt(index: int) -> Receipt:
    """A receipt for commit `index` of a 300-leaf tree kept in tiles."""
    store: dict[str, bytes] = {}
    result = integrate_tiles(0, [leaf_hash(c) for c in COMMITS], lambda t: store[t.path()])
    store.update({tile.path(): data for tile, data in result.tiles})
    reader = tile_hash_reader(result.size, lambda t: store[t.path()])
    checkpoint = sign_checkpoint(TreeHead(ORIGIN, result.size, tree_root(result.size, reader)), KEY)
    return build_receipt(
        f"streams/p/j/{index:020d}.json",
        COMMITS[index],
        leaf_index=index,
        tree_size=result.size,
        proof=inclusion_proof(index, result.size, reader),
        checkpoint=checkpoint,
    )


@pytest.mark.parametrize("index", [0, 1, 255, 256, 299])
def test_a_receipt_verifies_offline(index: int) -> None:
    """A receipt checks against the vkey alone, and survives a JSON round trip."""
    receipt = Receipt.model_validate_json(make_receipt(index).model_dump_json())
    assert verify_receipt(receipt, VKEY, ORIGIN) == []


def test_every_flipped_byte_of_the_commit_or_proof_fails() -> None:
    """Any one byte changed in the commit or in any proof hash is a root mismatch."""
    receipt = make_receipt(42)
    commit = base64.b64decode(receipt.commit)
    for position in range(len(commit)):
        changed = commit[:position] + bytes([commit[position] ^ 0x20]) + commit[position + 1 :]
        bad = receipt.model_copy(update={"commit": base64.b64encode(changed).decode()})
        assert verify_receipt(bad, VKEY) == [
            "root mismatch: the commit and proof do not give the checkpoint's root"
        ]
    for which, encoded in enumerate(receipt.inclusion_proof):
        raw = bytearray(base64.b64decode(encoded))
        raw[7] ^= 1
        proof = list(receipt.inclusion_proof)
        proof[which] = base64.b64encode(bytes(raw)).decode()
        assert verify_receipt(receipt.model_copy(update={"inclusion_proof": proof}), VKEY)


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ({"leaf_index": 43}, "root mismatch"),
        ({"leaf_index": 300, "tree_size": 300}, "leaf index 300 out of range"),
        ({"tree_size": 301}, "tree size"),
        ({"checkpoint": "x"}, "signature"),
        ({"commit": "not base64!"}, "malformed"),
        ({"inclusion_proof": ["AAAA"]}, "malformed"),
        ({"format": "grantreview.receipt/0"}, "format"),
    ],
)
def test_each_failure_is_named(update: dict[str, object], named: str) -> None:
    """What failed is said: root, range, size, signature, encoding or format."""
    problems = verify_receipt(make_receipt(42).model_copy(update=update), VKEY)
    assert problems
    assert any(p.startswith(named) for p in problems), problems


def test_a_checkpoint_signed_by_another_key_fails() -> None:
    """The same tree signed by another key (or checked with another origin) is refused."""
    receipt = make_receipt(7)
    other = verifier_key(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
    assert verify_receipt(receipt, other)[0].startswith("signature")
    assert verify_receipt(receipt, VKEY, "other.example/log")[0].startswith("signature")
    assert verify_receipt(receipt, "not a vkey")[0].startswith("verifier key")


def test_unknown_fields_are_refused() -> None:
    """The document is strict: an extra member is a validation error, not ignored."""
    document = make_receipt(1).model_dump()
    with pytest.raises(ValidationError):
        Receipt.model_validate({**document, "extra": 1})
