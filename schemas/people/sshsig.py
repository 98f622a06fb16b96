"""SSH signatures (OpenSSH's PROTOCOL.sshsig) for ssh-ed25519 keys: what `ssh-keygen -Y` makes.

A person signs an act with the key they already use for git; anyone can check the
signature offline with `ssh-keygen -Y verify -n grantreview`. Pure: keys are passed in.
Signing is two steps so the raw signature may come from elsewhere (an ssh-agent):
`signed_data` is what the key signs, `armor` wraps the agent's wire signature blob.
The PyPI `sshsig` package verifies only, so signing and verifying are both here, on
`cryptography`, in about a hundred lines that follow the spec field by field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from typing import Final

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_public_key,
)

from schemas.base.errors import InputError

__all__ = [
    "NAMESPACE",
    "SshSignatureError",
    "armor",
    "key_blob",
    "parse_public_key",
    "public_key_line",
    "sign",
    "signed_data",
    "signer_key_blob",
    "verify",
]

NAMESPACE: Final = "grantreview"
"""The namespace every act signature is made in (`ssh-keygen -Y sign -n grantreview`)."""
_MAGIC: Final = b"SSHSIG"
_VERSION: Final = 1
_HASH: Final = "sha512"
_KEY_TYPE: Final = "ssh-ed25519"
_BEGIN: Final = "-----BEGIN SSH SIGNATURE-----"
_END: Final = "-----END SSH SIGNATURE-----"
_MAX_ARMORED: Final = 4096
_ED25519_SIGNATURE_BYTES: Final = 64


class SshSignatureError(InputError):
    """A signature or key that is malformed, of another type, or does not verify."""


def _string(data: bytes) -> bytes:
    """An SSH wire `string`: uint32 length, then the bytes (RFC 4251 section 5)."""
    return struct.pack(">I", len(data)) + data


def _read_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise SshSignatureError("truncated SSH signature")
    (length,) = struct.unpack_from(">I", blob, offset)
    end = offset + 4 + length
    if end > len(blob):
        raise SshSignatureError("truncated SSH signature")
    return blob[offset + 4 : end], end


def key_blob(key: Ed25519PublicKey) -> bytes:
    """The key's SSH wire blob (string "ssh-ed25519", string key): how an ssh-agent names it."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _string(_KEY_TYPE.encode()) + _string(raw)


def signed_data(message: bytes, namespace: str = NAMESPACE) -> bytes:
    """What the key signs (the magic, namespace, reserved, hash name and H(message)).

    Hand these bytes to whatever holds the private key (an ssh-agent), then `armor` its
    answer.
    """
    digest = hashlib.sha512(message).digest()
    return (
        _MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(_HASH.encode())
        + _string(digest)
    )


def parse_public_key(line: str) -> Ed25519PublicKey:
    """An OpenSSH public key line (`ssh-ed25519 AAAA... comment`); other types are refused."""
    parts = line.strip().split()
    if len(parts) < 2 or parts[0] != _KEY_TYPE:  # noqa: PLR2004 - type and base64
        raise SshSignatureError("not an ssh-ed25519 public key line")
    try:
        key = load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
    except (ValueError, UnsupportedAlgorithm):
        raise SshSignatureError("not a valid ssh-ed25519 public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SshSignatureError("not an ssh-ed25519 public key")
    return key


def public_key_line(key: Ed25519PublicKey) -> str:
    """`ssh-ed25519 AAAA...` without a comment: how two entries' keys are compared."""
    return key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()


def sign(private_key: Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """The armored SSH signature of `message`, byte for byte what `ssh-keygen -Y sign` makes."""
    signature = private_key.sign(signed_data(message, namespace))
    wire = _string(_KEY_TYPE.encode()) + _string(signature)
    return armor(private_key.public_key(), wire, namespace)


def _check_signature_blob(signature_blob: bytes) -> None:
    """Refuse a wire signature that is not exactly (string "ssh-ed25519", string 64 bytes)."""
    sig_type, offset = _read_string(signature_blob, 0)
    raw, end = _read_string(signature_blob, offset)
    if sig_type != _KEY_TYPE.encode():
        shown = sig_type[:40].decode("ascii", errors="replace")
        raise SshSignatureError(f"a {shown!r} signature, not ssh-ed25519: only ed25519 keys sign")
    if end != len(signature_blob) or len(raw) != _ED25519_SIGNATURE_BYTES:
        raise SshSignatureError("not an ssh-ed25519 signature")


def armor(public_key: Ed25519PublicKey, signature_blob: bytes, namespace: str = NAMESPACE) -> str:
    """The armored SSH signature around `signature_blob`, `public_key`'s signature of `signed_data`.

    `signature_blob` is the SSH wire signature (string "ssh-ed25519", string sig): what an
    ssh-agent's SIGN_RESPONSE holds. Other types are refused (SshSignatureError).
    """
    _check_signature_blob(signature_blob)
    blob = (
        _MAGIC
        + struct.pack(">I", _VERSION)
        + _string(key_blob(public_key))
        + _string(namespace.encode())
        + _string(b"")
        + _string(_HASH.encode())
        + _string(signature_blob)
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([_BEGIN, *lines, _END]) + "\n"


def _unarmor(armored: str) -> bytes:
    if len(armored) > _MAX_ARMORED:
        raise SshSignatureError("SSH signature too long")
    lines = [line.strip() for line in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != _BEGIN or lines[-1] != _END:  # noqa: PLR2004 - begin, body, end
        raise SshSignatureError("not an armored SSH signature")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise SshSignatureError("SSH signature is not base64") from None


def signer_key_blob(armored: str) -> bytes:
    """The public key blob an armored signature names (who signed, before it is verified).

    Two acts whose signatures name one key are one person's, whatever ids they carry.
    """
    blob = _unarmor(armored)
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 4:
        raise SshSignatureError("not an SSHSIG blob")
    signed_key, _ = _read_string(blob, len(_MAGIC) + 4)
    return signed_key


def verify(
    public_key: Ed25519PublicKey, message: bytes, armored: str, namespace: str = NAMESPACE
) -> None:
    """Raise SshSignatureError unless `armored` is `public_key`'s signature of `message`."""
    blob = _unarmor(armored)
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 4:
        raise SshSignatureError("not an SSHSIG blob")
    (version,) = struct.unpack_from(">I", blob, len(_MAGIC))
    if version != _VERSION:
        raise SshSignatureError(f"SSHSIG version {version} is not supported")
    offset = len(_MAGIC) + 4
    signed_key, offset = _read_string(blob, offset)
    signed_namespace, offset = _read_string(blob, offset)
    _, offset = _read_string(blob, offset)  # reserved
    hash_name, offset = _read_string(blob, offset)
    wrapped, offset = _read_string(blob, offset)
    if offset != len(blob):
        raise SshSignatureError("trailing bytes after the SSH signature")
    if signed_key != key_blob(public_key):
        raise SshSignatureError("signed by another key")
    if signed_namespace != namespace.encode():
        raise SshSignatureError(f"signed in another namespace than {namespace!r}")
    if hash_name != _HASH.encode():
        raise SshSignatureError(f"hash {hash_name!r} is not {_HASH}")
    sig_type, rest = _read_string(wrapped, 0)
    raw, end = _read_string(wrapped, rest)
    if sig_type != _KEY_TYPE.encode() or end != len(wrapped):
        raise SshSignatureError("not an ssh-ed25519 signature")
    try:
        public_key.verify(raw, signed_data(message, namespace))
    except InvalidSignature:
        raise SshSignatureError("the signature does not verify") from None
