"""SSH signatures in two steps (the bytes a key signs, then the armor): what an ssh-agent needs."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.people import sshsig


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def test_armor_over_signed_data_is_byte_identical_to_sign() -> None:
    """Signing `signed_data` elsewhere and armoring the wire blob gives exactly `sign`'s text."""
    key = Ed25519PrivateKey.generate()
    message = b'{"type":"override"}'
    raw = key.sign(sshsig.signed_data(message))
    wire = _string(b"ssh-ed25519") + _string(raw)
    armored = sshsig.armor(key.public_key(), wire)
    assert armored == sshsig.sign(key, message)
    sshsig.verify(key.public_key(), message, armored)


def test_signed_data_is_namespaced() -> None:
    """Another namespace signs other bytes: an act signature is not a git commit signature."""
    assert sshsig.signed_data(b"m") != sshsig.signed_data(b"m", "git")
    assert sshsig.signed_data(b"m") == sshsig.signed_data(b"m", sshsig.NAMESPACE)


@pytest.mark.parametrize(
    ("wire", "says"),
    [
        (_string(b"rsa-sha2-512") + _string(b"\x01" * 256), "rsa-sha2-512"),
        (_string(b"ecdsa-sha2-nistp256") + _string(b"\x02" * 72), "ecdsa-sha2-nistp256"),
        (_string(b"ssh-ed25519") + _string(b"\x03" * 63), "not an ssh-ed25519 signature"),
        (_string(b"ssh-ed25519") + _string(b"\x03" * 64) + b"x", "not an ssh-ed25519 signature"),
        (_string(b"ssh-ed25519"), "truncated"),
    ],
    ids=["rsa", "ecdsa", "short", "trailing", "truncated"],
)
def test_a_signature_blob_other_than_ed25519_is_refused(wire: bytes, says: str) -> None:
    """An agent answering with an RSA, ECDSA or malformed blob gets a clear SshSignatureError."""
    key = Ed25519PrivateKey.generate()
    with pytest.raises(sshsig.SshSignatureError, match=says):
        sshsig.armor(key.public_key(), wire)


def test_key_blob_is_the_wire_form_of_the_public_key_line() -> None:
    """An agent's identity blob is the base64 body of the key's OpenSSH line."""
    key = Ed25519PrivateKey.generate().public_key()
    line = sshsig.public_key_line(key)
    assert line.split()[1].encode() == base64.b64encode(sshsig.key_blob(key))
