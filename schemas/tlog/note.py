"""C2SP signed-note: text signed by named Ed25519 keys, as Go's sumdb/note reads it.

A note is UTF-8 text ending in a newline, a blank line, then signature lines
`— <name> <base64(key ID || signature)>` (U+2014 EM DASH). The key ID is
SHA-256(name || 0x0A || type || public key)[:4]; type 0x01 is Ed25519 over the note text.
A verifier key ("vkey") is `<name>+<8 hex key ID>+<base64(type || public key)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from schemas.base.errors import DamagedDataError

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Note",
    "NoteError",
    "NoteSignature",
    "NoteVerifier",
    "b64decode_strict",
    "cosigned_message",
    "format_signature_line",
    "key_id",
    "open_note",
    "parse_note",
    "raw_public_key",
    "sign_note",
    "verifier_key",
]

ALG_ED25519: Final = 0x01
ALG_COSIGNATURE_V1: Final = 0x04
"""C2SP tlog-cosignature/v1: an 8-byte time, then Ed25519 over a header, the time and the text."""
_TIMESTAMP_SIZE: Final = 8
_ED25519_SIGNATURE_SIZE: Final = 64
MAX_SIGNATURES: Final = 100
"""Go's note.Open refuses more; the spec asks verifiers to accept at least 16."""
_DASH: Final = "\u2014 "
_CONTROL: Final = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_SIZE: Final = 4
_ED25519_KEY_SIZE: Final = 32


class NoteError(DamagedDataError):
    """Text that is not a well-formed note, a bad key, or a signature that does not verify."""


def b64decode_strict(text: str) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding, nothing else accepted."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise NoteError(f"not base64: {text!r}") from error
    if base64.b64encode(data).decode() != text:
        raise NoteError(f"not canonical base64: {text!r}")
    return data


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"a key name is non-empty, without spaces or '+': {name!r}")


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4], the signed-note key ID."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    """The 32-byte RFC 8032 encoding of the key's public half."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted key: name, signature type, raw Ed25519 public key."""

    name: str
    public_key: bytes
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.alg not in {ALG_ED25519, ALG_COSIGNATURE_V1}:
            raise NoteError(f"unsupported signature type 0x{self.alg:02x}")
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise NoteError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> bytes:
        """The 4-byte ID that signature lines by this key carry."""
        return key_id(self.name, self.alg, self.public_key)

    def vkey(self) -> str:
        """`<name>+<hex key ID>+<base64(alg || key)>`, as Go's note.NewVerifier reads it."""
        encoded = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a vkey; the key ID must match the name and key it carries."""
        name, _, rest = vkey.partition("+")
        hex_id, _, encoded = rest.partition("+")  # base64 may hold '+': split twice only
        if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or not encoded:
            raise NoteError(f"not a verifier key: {vkey!r}")
        key = b64decode_strict(encoded)
        if len(key) != 1 + _ED25519_KEY_SIZE:
            raise NoteError("a verifier key holds a type byte and a 32-byte Ed25519 key")
        verifier = cls(name, key[1:], key[0])
        if verifier.key_id.hex() != hex_id:
            raise NoteError(f"verifier key ID {hex_id} does not match its name and key")
        return verifier

    def verify(self, text: str, signature: bytes) -> bool:
        r"""Does `signature` (the bytes after the key ID) sign note text `text` with this key?

        Type 0x01 signs the text; type 0x04 carries an 8-byte big-endian time before the
        signature and signs `cosignature/v1\ntime <t>\n` followed by the text.
        """
        message = text.encode()
        if self.alg == ALG_COSIGNATURE_V1:
            if len(signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
                return False
            timestamp = int.from_bytes(signature[:_TIMESTAMP_SIZE], "big")
            message = cosigned_message(text, timestamp)
            signature = signature[_TIMESTAMP_SIZE:]
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def cosigned_message(text: str, timestamp: int) -> bytes:
    """The message a tlog-cosignature/v1 signs: header, time line, then the note text."""
    if not 0 <= timestamp < 1 << 63:
        raise NoteError("a cosignature time is 0 to 2**63 - 1")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def verifier_key(name: str, private_key: Ed25519PrivateKey, alg: int = ALG_ED25519) -> str:
    """The vkey that verifies what `private_key` signs under `name`."""
    return NoteVerifier(name, raw_public_key(private_key), alg).vkey()


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """`— <name> <base64(key ID || signature)>` followed by a newline."""
        return format_signature_line(self.name, self.key_id + self.signature)


def format_signature_line(name: str, payload: bytes) -> str:
    """A signature line from its name and `key ID || signature` bytes."""
    _check_name(name)
    return f"{_DASH}{name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note: the signed text (with its final newline) and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        """The note as transmitted: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise NoteError("note text ends in a newline and holds no other control characters")


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: `text` signed by `private_key` under `name` (type 0x01)."""
    _check_text(text)
    verifier = NoteVerifier(name, raw_public_key(private_key))
    signature = private_key.sign(text.encode())
    return Note(text, (NoteSignature(name, verifier.key_id, signature),)).render()


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise NoteError(f"a signature line starts with an em dash and a space: {line!r}")
    name, _, encoded = line.removeprefix(_DASH).partition(" ")
    _check_name(name)
    payload = b64decode_strict(encoded)
    if len(payload) <= _KEY_ID_SIZE:
        raise NoteError("a signature holds a key ID and at least one byte")
    return NoteSignature(name, payload[:_KEY_ID_SIZE], payload[_KEY_ID_SIZE:])


def parse_note(data: bytes | str) -> Note:
    """Split a note into text and signature lines, strictly; nothing is verified here."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NoteError("a note is UTF-8") from error
    if _CONTROL.search(data):
        raise NoteError("a note holds no control characters but newlines")
    split = data.rfind("\n\n")
    if split < 0 or not data.endswith("\n") or split + 2 >= len(data):
        raise NoteError("a note is text, a blank line, then signature lines")
    lines = data[split + 2 :].removesuffix("\n").split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(data[: split + 1], tuple(_parse_signature(line) for line in lines))


def open_note(data: bytes | str, verifiers: list[NoteVerifier]) -> Note:
    """Parse and verify a note as the spec and Go's note.Open do.

    Signatures by unknown keys (name and ID not both known) are ignored; a known key's
    signature must verify; at least one must. Returns the note with its verified
    signatures only.
    """
    note = parse_note(data)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[NoteSignature] = []
    for signature in note.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None or signature in verified:
            continue
        if not verifier.verify(note.text, signature.signature):
            raise NoteError(f"the signature by {signature.name} does not verify")
        verified.append(signature)
    if not verified:
        raise NoteError("no signature by a trusted key")
    return Note(note.text, tuple(verified))
