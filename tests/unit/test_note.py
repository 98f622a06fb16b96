"""C2SP signed notes, checkpoints and cosignatures: Go's known answers and an independent check."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.tlog.checkpoint import (
    CheckpointError,
    TreeHead,
    open_checkpoint,
    parse_checkpoint_text,
    sign_checkpoint,
)
from schemas.tlog.cosignature import cosign, cosigner_verifier, verify_cosignatures
from schemas.tlog.merkle import leaf_hash, node_hash
from schemas.tlog.note import (
    NoteError,
    NoteVerifier,
    open_note,
    parse_note,
    raw_public_key,
    sign_note,
)

# Known answers from golang.org/x/mod/sumdb/note's note_test.go (TestSign, TestNewVerifier).
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
    "ngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "grantreview.example/bucket/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def test_signing_matches_go() -> None:
    """Go's seed, name and text give Go's exact note and verifier key."""
    key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE
    assert NoteVerifier("PeterNeumann", raw_public_key(key)).vkey() == GO_VKEY
    assert open_note(GO_NOTE, [NoteVerifier.from_vkey(GO_VKEY)]).text == GO_TEXT


def spec_verify(note: str, name: str, public_key: bytes) -> str:
    """The signed-note spec alone, with cryptography: the text if `name` signed it."""
    text, _, signatures = note.rpartition("\n\n")
    text += "\n"
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]
    for line in signatures.splitlines():
        dash_name, _, encoded = line.rpartition(" ")
        payload = base64.b64decode(encoded)
        if dash_name == f"\u2014 {name}" and payload[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(public_key).verify(payload[4:], text.encode())
            return text
    raise InvalidSignature


def test_checkpoints_verify_with_cryptography_from_the_spec_alone() -> None:
    """A checkpoint we sign verifies by a verifier written from the spec, not from note.py."""
    head = TreeHead(
        ORIGIN, 3, node_hash(node_hash(leaf_hash(b"a"), leaf_hash(b"b")), leaf_hash(b"c"))
    )
    note = sign_checkpoint(head, KEY)
    text = spec_verify(note, ORIGIN, raw_public_key(KEY))
    origin, size, root = text.splitlines()
    assert (origin, int(size), base64.b64decode(root)) == (ORIGIN, 3, head.root)
    tampered = note.replace("\n3\n", "\n4\n")
    with pytest.raises(InvalidSignature):
        spec_verify(tampered, ORIGIN, raw_public_key(KEY))


def test_checkpoint_round_trip_and_origin() -> None:
    """open_checkpoint returns what was signed and refuses another origin or key."""
    head = TreeHead(ORIGIN, 70_000, bytes(32), ("extension line",))
    note = sign_checkpoint(head, KEY)
    verifier = NoteVerifier(ORIGIN, raw_public_key(KEY))
    assert open_checkpoint(note, [verifier], ORIGIN) == head
    with pytest.raises(CheckpointError):
        open_checkpoint(note, [verifier], "other.example/log")
    other = NoteVerifier(ORIGIN, raw_public_key(Ed25519PrivateKey.from_private_bytes(bytes(32))))
    with pytest.raises(CheckpointError):
        open_checkpoint(note, [other])
    assert len(note.encode()) < 1024


def test_the_spec_example_checkpoint_text_parses() -> None:
    """The C2SP example body parses to its origin, size and 32-byte root."""
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    head = parse_checkpoint_text(text)
    assert (head.origin, head.size, len(head.root)) == ("example.com/behind-the-sofa", 20852163, 32)
    assert head.text() == text


@pytest.mark.parametrize(
    "text",
    [
        "origin\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "origin\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "origin\n12\nAAAA\n",
        "\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n12\n",
    ],
)
def test_malformed_checkpoint_text_is_refused(text: str) -> None:
    """Leading zeros, signs, bad base64, a short root, a missing line or newline are errors."""
    with pytest.raises((CheckpointError, NoteError)):
        parse_checkpoint_text(text)


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n- PeterNeumann x08go/ZJku\n",
        GO_TEXT + "\n— Peter+Neumann x08go/ZJkuBS9U\n",
        GO_TEXT + "\n— PeterNeumann AAAA\n",
        GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9U",
        "control \x07 character\n\n— PeterNeumann x08go/ZJkuBS9U\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    """Missing blank line or signatures, ASCII dash, '+' in a name, short signature, no newline."""
    with pytest.raises(NoteError):
        parse_note(note)


def test_unknown_keys_are_ignored_and_a_bad_known_signature_rejects() -> None:
    """A note needs one verified trusted signature; a failing trusted one rejects it whole."""
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    stranger = sign_note(GO_TEXT, "Stranger", KEY).split("\n\n")[1]
    assert open_note(GO_NOTE + stranger, [verifier]).text == GO_TEXT
    with pytest.raises(NoteError):
        open_note(GO_TEXT + "\n" + stranger, [verifier])
    forged = GO_NOTE.replace("x08go", "x08gp")
    with pytest.raises(NoteError):
        open_note(forged, [verifier])


def test_verifier_keys_whose_base64_holds_a_plus_round_trip() -> None:
    """The key part of a vkey may contain '+'; only the first two '+' separate fields."""
    verifier = NoteVerifier("grantreview.example/log", raw_public_key(KEY))
    assert "+" in verifier.vkey().split("+", 2)[2]
    assert NoteVerifier.from_vkey(verifier.vkey()) == verifier


def test_verifier_keys_are_checked() -> None:
    """A vkey whose ID does not match its name and key, or of an unknown type, is refused."""
    for bad in (
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("PeterNeumann", "Peter"),
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
    ):
        with pytest.raises(NoteError):
            NoteVerifier.from_vkey(bad)


def test_cosignatures_verify_and_carry_their_time() -> None:
    """A witness's v1 cosignature verifies with its 0x04 key and states the time it signed."""
    note = sign_checkpoint(TreeHead(ORIGIN, 3, bytes(32)), KEY)
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    text = parse_note(note).text
    cosigned = note + cosign(text, "witness.example/w1", witness_key, 1_679_315_147)
    witness = cosigner_verifier("witness.example/w1", raw_public_key(witness_key))
    [found] = verify_cosignatures(cosigned, [witness])
    assert (found.name, found.timestamp) == ("witness.example/w1", 1_679_315_147)
    log = NoteVerifier(ORIGIN, raw_public_key(KEY))
    assert open_checkpoint(cosigned, [log]).size == 3
    assert verify_cosignatures(note, [witness]) == []
    # The same key as a plain 0x01 verifier has another key ID: the line is not its.
    plain = NoteVerifier("witness.example/w1", raw_public_key(witness_key))
    assert plain.key_id != witness.key_id


def test_cosignature_signs_the_spec_message() -> None:
    """Independently: ID || u64 time || Ed25519 over the header, time line and note text."""
    witness_key = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = cosign(text, "w1", witness_key, 1_679_315_147)
    payload = base64.b64decode(line.split(" ")[2])
    public = raw_public_key(witness_key)
    assert payload[:4] == hashlib.sha256(b"w1\n\x04" + public).digest()[:4]
    assert int.from_bytes(payload[4:12], "big") == 1_679_315_147
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(payload[12:], message)
    tampered = line.replace(
        line.split(" ")[2], base64.b64encode(payload[:11] + b"\x00" + payload[12:]).decode()
    )
    with pytest.raises(NoteError):
        verify_cosignatures(text + "\n" + tampered, [cosigner_verifier("w1", public)])
