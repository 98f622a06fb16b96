"""C2SP tlog-proof@v1: written and read exactly per the spec; damage is refused or named."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.tlog.checkpoint import TreeHead, sign_checkpoint
from schemas.tlog.cosignature import cosign
from schemas.tlog.note import parse_note, verifier_key
from schemas.tlog.proof import TlogProof, TlogProofError, parse_tlog_proof
from schemas.tlog.receipt import parse_receipt, tlog_proof_of, verify_tlog_proof
from tests.unit.test_receipt import COMMITS, KEY, ORIGIN, VKEY, make_receipt

ROOT_MISMATCH = "root mismatch: the commit and proof do not give the checkpoint's root"

SPEC_EXTRA = "YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ"
SPEC_PROOF = [
    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=",
    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=",
    "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=",
    "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=",
    "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=",
]
"""The extra and proof lines of the example in https://c2sp.org/tlog-proof."""


def spec_checkpoint() -> str:
    """The spec example's checkpoint text, signed by our key and cosigned by a witness."""
    root = base64.b64decode("sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=")
    note = sign_checkpoint(TreeHead("example.com/fancylog", 109482, root), KEY)
    witness = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    return note + cosign(parse_note(note).text, "witness1.example", witness, 1_700_000_000)


def good_text() -> str:
    """A valid proof of commit 42, as `grantreview receipt` writes it."""
    return tlog_proof_of(make_receipt(42)).text()


@pytest.mark.parametrize("index", [0, 1, 255, 256, 299])
def test_a_tlog_proof_round_trips_and_verifies(index: int) -> None:
    """Written, parsed back equal, the same bytes again, and valid with the vkey alone."""
    proof = tlog_proof_of(make_receipt(index))
    parsed = parse_tlog_proof(proof.text().encode())
    assert parsed == proof
    assert parsed.text() == proof.text()
    assert parsed.extra == COMMITS[index]
    assert verify_tlog_proof(parsed, VKEY, ORIGIN) == []


def test_the_spec_example_layout_with_extra_and_cosignatures() -> None:
    """The spec's example lines (extra, index, five hashes, cosigned checkpoint) read exactly."""
    checkpoint = spec_checkpoint()
    text = "\n".join(["c2sp.org/tlog-proof@v1", f"extra {SPEC_EXTRA}", "index 73894", *SPEC_PROOF])
    text += "\n\n" + checkpoint
    proof = parse_tlog_proof(text)
    assert proof.extra == base64.b64decode(SPEC_EXTRA)
    assert proof.extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    assert proof.index == 73894
    assert [base64.b64encode(h).decode() for h in proof.proof] == SPEC_PROOF
    assert proof.checkpoint == checkpoint
    assert proof.text() == text


def test_the_spec_example_layout_without_extra() -> None:
    """No extra line: the index follows the header; a proof may have no hashes at all."""
    checkpoint = spec_checkpoint()
    text = f"c2sp.org/tlog-proof@v1\nindex 0\n\n{checkpoint}"
    proof = parse_tlog_proof(text)
    assert (proof.extra, proof.index, proof.proof) == (None, 0, ())
    assert proof.text() == text
    assert TlogProof(73894, (), checkpoint).text().startswith("c2sp.org/tlog-proof@v1\nindex ")


def _hash_line(size: int) -> str:
    return base64.b64encode(bytes(size)).decode()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "first line"),
        (lambda t: "\n" + t, "first line"),
        (lambda t: t.replace("\n", "\r\n"), "first line"),
        (lambda t: t.replace("index 42", "index 042"), "expected `index N`"),
        (lambda t: t.replace("index 42", "index -1"), "expected `index N`"),
        (lambda t: t.replace("index 42", "index  42"), "expected `index N`"),
        (lambda t: t.replace("index 42", "index 9223372036854775808"), "larger than 2**63"),
        (lambda t: t.replace("index 42\n", ""), "expected `index N`"),
        (lambda t: t.replace("extra ", "extra !"), "extra line is base64"),
        (lambda t: t.replace("extra ", "Extra "), "expected `index N`"),
        (lambda t: t.replace("index 42\n", f"index 42\n{_hash_line(31)}\n"), "32 bytes, not 31"),
        (lambda t: t.replace("index 42\n", "index 42\nnot base64!\n"), "base64 hash"),
        (lambda t: t.replace("index 42\n", f"index 42\n{_hash_line(32)[:-1]}\n"), "base64"),
        (lambda t: t.replace("\n\n", "\n", 1), "base64 hash"),
        (lambda t: t.replace("\n\n", "\n\n\n", 1), "not a checkpoint note"),
        (lambda t: t + "junk\n", "not a checkpoint note"),
        (lambda t: t + "\n", "not a checkpoint note"),
        (lambda t: t.removesuffix("\n"), "not a checkpoint note"),
        (lambda t: t.split("\n\n")[0], "no empty line"),
        (lambda t: t[:0], "first line"),
    ],
)
def test_each_malformed_proof_is_refused_with_a_reason(
    change: Callable[[str], str], named: str
) -> None:
    """Bad header, leading zeros, bad base64, a 31-byte hash, no blank line, trailing junk."""
    with pytest.raises(TlogProofError, match=named.replace("*", r"\*")) as raised:
        parse_tlog_proof(change(good_text()))
    assert isinstance(raised.value, ValueError)


def test_size_and_line_counts_are_bounded() -> None:
    """More than 63 proof lines or 8 MiB is refused before anything else is decoded."""
    lines = "".join(f"{_hash_line(32)}\n" for _ in range(64))
    with pytest.raises(TlogProofError, match="more than 63"):
        parse_tlog_proof(good_text().replace("index 42\n", f"index 42\n{lines}"))
    with pytest.raises(TlogProofError, match="limit"):
        parse_tlog_proof(b"c2sp.org/tlog-proof@v1\n" + b"A" * (8 * 1024 * 1024))
    with pytest.raises(TlogProofError, match="UTF-8"):
        parse_tlog_proof(b"c2sp.org/tlog-proof@v1\n\xff\n")


def test_every_flipped_byte_of_the_extra_or_a_proof_line_fails() -> None:
    """The extra data is unauthenticated: any changed byte of it, or of a hash, is caught."""
    proof = parse_tlog_proof(good_text())
    assert proof.extra is not None
    for position in range(len(proof.extra)):
        changed = bytearray(proof.extra)
        changed[position] ^= 0x20
        bad = TlogProof(proof.index, proof.proof, proof.checkpoint, bytes(changed))
        assert verify_tlog_proof(parse_tlog_proof(bad.text()), VKEY) == [ROOT_MISMATCH]
    for which in range(len(proof.proof)):
        hashes = [bytearray(h) for h in proof.proof]
        hashes[which][7] ^= 1
        bad = TlogProof(proof.index, tuple(bytes(h) for h in hashes), proof.checkpoint, proof.extra)
        assert verify_tlog_proof(bad, VKEY) == [ROOT_MISMATCH]


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ({"index": 43}, "root mismatch"),
        ({"index": 300}, "leaf index 300 out of range"),
        ({"extra": None}, "record: no extra line"),
        ({"proof": ()}, "root mismatch"),
    ],
)
def test_each_verification_failure_is_named(update: dict[str, object], named: str) -> None:
    """What failed is said: root, range, or a proof with no record to check."""
    proof = parse_tlog_proof(good_text())
    fields = {"index": proof.index, "proof": proof.proof, "extra": proof.extra, **update}
    bad = TlogProof(checkpoint=proof.checkpoint, **fields)  # type: ignore[arg-type]  # test data
    problems = verify_tlog_proof(bad, VKEY)
    assert len(problems) == 1
    assert problems[0].startswith(named), problems


def test_another_key_or_origin_is_a_signature_failure() -> None:
    """The checkpoint must be signed by the given vkey, for the expected origin."""
    proof = parse_tlog_proof(good_text())
    other = verifier_key(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
    assert verify_tlog_proof(proof, other)[0].startswith("signature")
    assert verify_tlog_proof(proof, VKEY, "other.example/log")[0].startswith("signature")
    assert verify_tlog_proof(proof, "not a vkey")[0].startswith("verifier key")


def test_a_receipt_file_is_read_in_either_form() -> None:
    """A file starting with `{` is the JSON receipt; anything else is read as a tlog-proof."""
    receipt = make_receipt(5)
    assert parse_receipt(receipt.model_dump_json(indent=2).encode()) == receipt
    assert parse_receipt(tlog_proof_of(receipt).text().encode()) == tlog_proof_of(receipt)
    with pytest.raises(TlogProofError, match="first line"):
        parse_receipt(b"grantreview.receipt/1\n")
    with pytest.raises(ValueError, match="JSON"):
        parse_receipt(b" {not json")
