"""The worked example of docs/tlog.md, recomputed: the page and the code cannot drift apart."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.cosignature import cosign
from schemas.tlog.layout import Batch, batch_line
from schemas.tlog.merkle import consistency_proof, inclusion_proof
from schemas.tlog.note import parse_note, verifier_key
from schemas.tlog.proof import TlogProof, parse_tlog_proof
from schemas.tlog.receipt import Receipt, verify_receipt, verify_tlog_proof
from schemas.tlog.tiles import integrate_tiles, tile_hash_reader

DOC = (Path(__file__).parents[2] / "docs" / "tlog.md").read_text()
ORIGIN = "grantreview.example/example-bucket/log"


def test_every_value_on_the_page_is_what_the_code_computes() -> None:
    """Leaf hashes, root, tile, proofs, checkpoint, vkeys, cosignature and receipts match."""
    leaves = [hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c")]
    store: dict[str, bytes] = {}
    result = integrate_tiles(0, leaves, lambda t: store[t.path()])
    assert [t.path() for t, _ in result.tiles] == ["tile/0/000.p/3"]
    store.update({t.path(): d for t, d in result.tiles})
    reader = tile_hash_reader(3, lambda t: store[t.path()])
    node01 = inclusion_proof(2, 3, reader)[0]
    for value in [*leaves, node01, result.root]:
        assert f"`{value.hex()}`" in DOC
    assert inclusion_proof(0, 3, reader) == leaves[1:]
    assert consistency_proof(2, 3, reader) == [leaves[2]]
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    checkpoint = sign_checkpoint(TreeHead(ORIGIN, 3, result.root), key)
    assert f"```\n{checkpoint}```" in DOC
    vkey = verifier_key(ORIGIN, key)
    assert f"vkey: `{vkey}`" in DOC
    witness = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    line = cosign(parse_note(checkpoint).text, "witness.example/w1", witness, 1_700_000_000)
    assert f"```\n{line}```" in DOC
    assert f"vkey: `{verifier_key('witness.example/w1', witness, 4)}`" in DOC
    proof = TlogProof(2, (node01,), checkpoint + line, b"c")
    assert f"```\n{proof.text()}```" in DOC
    assert parse_tlog_proof(proof.text()) == proof
    assert verify_tlog_proof(proof, vkey, ORIGIN) == []
    receipt_json = DOC.split("```json\n")[1].split("```")[0]
    receipt = Receipt.model_validate_json(receipt_json)
    assert base64.b64decode(receipt.inclusion_proof[0]) == node01
    assert verify_receipt(receipt, vkey, ORIGIN) == []


def test_the_batch_example_is_what_the_integrator_signs() -> None:
    """The /2 claim's bytes, its hash and the note whose extension line signs it match."""
    leaves = [hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c")]
    root = integrate_tiles(0, leaves, lambda _: b"").root
    keys = tuple(f"log/streams/psp-2017/stockton-ca/{i:020d}.json" for i in range(3))
    claim = Batch(seq=0, prev=-1, old_size=0, commits=keys, time=datetime(2024, 1, 1, tzinfo=UTC))
    raw = claim.to_bytes()
    assert f"```\n{raw.decode()}\n```" in DOC
    assert f"`{hashlib.sha256(raw).hexdigest()}`" in DOC
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    note = sign_checkpoint(TreeHead(ORIGIN, 3, root, (batch_line(0, raw),)), key)
    assert f"```\n{note}```" in DOC
