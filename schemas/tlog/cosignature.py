r"""C2SP tlog-cosignature v1 (Ed25519): a witness's timestamped signature on a checkpoint.

The signature line is `— <witness name> base64(key ID || u64 time || Ed25519 signature)`,
key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4], and the signed message is
`cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint's note text. A cosigner
states that this is the largest consistent tree it has seen for the origin at that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.tlog.note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    NoteSignature,
    NoteVerifier,
    cosigned_message,
    parse_note,
    raw_public_key,
)

__all__ = [
    "Cosignature",
    "cosign",
    "cosigner_verifier",
    "verify_cosignatures",
]

_TIMESTAMP_SIZE: Final = 8


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified cosignature: who cosigned and when (POSIX seconds, as signed)."""

    name: str
    timestamp: int


def cosigner_verifier(name: str, public_key: bytes) -> NoteVerifier:
    """The verifier of a witness's cosignatures (vkey type 0x04)."""
    return NoteVerifier(name, public_key, ALG_COSIGNATURE_V1)


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line for a checkpoint's note text, to append to the checkpoint note."""
    key_id = cosigner_verifier(name, raw_public_key(private_key)).key_id
    signature = private_key.sign(cosigned_message(checkpoint_text, timestamp))
    return NoteSignature(name, key_id, timestamp.to_bytes(8, "big") + signature).line()


def verify_cosignatures(data: bytes | str, witnesses: list[NoteVerifier]) -> list[Cosignature]:
    """The cosignatures on a note by the given witnesses that verify; a bad one raises.

    Like any note verifier this ignores lines by unknown keys (the log's own signature among
    them); checking the log's signature is open_checkpoint's job.
    """
    note = parse_note(data)
    known = {(w.name, w.key_id): w for w in witnesses if w.alg == ALG_COSIGNATURE_V1}
    found: list[Cosignature] = []
    for line in note.signatures:
        witness = known.get((line.name, line.key_id))
        if witness is None:
            continue
        if not witness.verify(note.text, line.signature):
            raise NoteError(f"the cosignature by {line.name} does not verify")
        timestamp = int.from_bytes(line.signature[:_TIMESTAMP_SIZE], "big")
        cosignature = Cosignature(line.name, timestamp)
        if cosignature not in found:
            found.append(cosignature)
    return found
