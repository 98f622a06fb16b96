"""Checkpoints: signed, chained statements of every stream head.

The byte-level format is specified in docs/log-format.md. A checkpoint is signed with
Ed25519 over the canonical JSON of the document without its `signature` member; each
checkpoint carries the previous one's signature, so the checkpoints form a chain the way
CloudTrail digest files do.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from schemas.base.canonical import canonical_json, format_time
from schemas.base.errors import DamagedDataError
from schemas.log.keyring import KEYRING_FORMAT, KeyEntry, Keyring, Signer, fingerprint

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = [
    "CHECKPOINT_FORMAT",
    "KEYRING_FORMAT",
    "MAX_CHECKPOINT_BYTES",
    "Checkpoint",
    "CheckpointFormatError",
    "Head",
    "KeyEntry",
    "Keyring",
    "Signer",
    "checkpoint_key",
    "fingerprint",
    "parse_checkpoint",
    "parse_checkpoint_key",
    "seal_checkpoint",
    "signature_problem",
    "signed_bytes",
    "successor_problem",
]

MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024
"""The largest checkpoint accepted (64 MiB: ~100 bytes a head, over half a million streams)."""

CHECKPOINT_FORMAT: Final = "grantreview.checkpoint/1"
_SEQ_WIDTH: Final = 20


class CheckpointFormatError(DamagedDataError):
    """Bytes that are not a well-formed checkpoint."""


class Head(BaseModel):
    """A stream head as a checkpoint states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    hash: str


class Checkpoint(BaseModel):
    """A signed checkpoint as stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    time: AwareDatetime
    key_fingerprint: str
    prev_signature: str | None
    heads: dict[str, Head]
    signature: str

    def document(self) -> dict[str, Any]:
        """The JSON document exactly as stored."""
        return {**_unsigned(self), "signature": self.signature}

    def to_bytes(self) -> bytes:
        """The canonical bytes written to storage."""
        return canonical_json(self.document())


def _unsigned(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "seq": checkpoint.seq,
        "time": format_time(checkpoint.time),
        "key_fingerprint": checkpoint.key_fingerprint,
        "prev_signature": checkpoint.prev_signature,
        "heads": {
            name: {"seq": head.seq, "hash": head.hash} for name, head in checkpoint.heads.items()
        },
    }


def signed_bytes(checkpoint: Checkpoint) -> bytes:
    """The exact bytes the signature covers: canonical JSON of the document minus `signature`."""
    return canonical_json(_unsigned(checkpoint))


def checkpoint_key(prefix: str, seq: int) -> str:
    """Where checkpoint `seq` lives: a gapless, zero-padded sequence under checkpoints/."""
    if seq < 0:
        raise ValueError("seq must be >= 0")
    return f"{prefix}checkpoints/{seq:0{_SEQ_WIDTH}d}.json"


def parse_checkpoint_key(prefix: str, key: str) -> int | None:
    """Invert `checkpoint_key`; None for any other key."""
    name = key.removeprefix(f"{prefix}checkpoints/")
    digits = name.removesuffix(".json")
    if name in {key, digits} or len(digits) != _SEQ_WIDTH:
        return None
    return int(digits) if digits.isascii() and digits.isdigit() else None


def seal_checkpoint(
    *,
    seq: int,
    time: datetime,
    heads: Mapping[str, tuple[int, str]],
    prev_signature: str | None,
    signer: Signer,
) -> Checkpoint:
    """Build checkpoint `seq` over `heads` (stream name -> (seq, hash)), chained and signed."""
    unsigned = Checkpoint(
        seq=seq,
        time=time,
        key_fingerprint=signer.fingerprint,
        prev_signature=prev_signature,
        heads={name: Head(seq=head[0], hash=head[1]) for name, head in sorted(heads.items())},
        signature="",
    )
    return unsigned.model_copy(update={"signature": signer.sign(signed_bytes(unsigned)).hex()})


def parse_checkpoint(raw: bytes) -> Checkpoint:
    """Parse stored bytes, requiring the canonical form (signature not checked here)."""
    if len(raw) > MAX_CHECKPOINT_BYTES:
        raise CheckpointFormatError(
            f"larger than the {MAX_CHECKPOINT_BYTES}-byte limit of a checkpoint"
        )
    try:
        document = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise CheckpointFormatError("not a JSON checkpoint: nested too deeply") from None
    except ValueError as error:  # bad UTF-8 or JSON, or an integer past Python's digit limit
        raise CheckpointFormatError(f"not a JSON checkpoint: {error}") from None
    if not isinstance(document, dict) or document.pop("format", None) != CHECKPOINT_FORMAT:
        raise CheckpointFormatError(f"not a {CHECKPOINT_FORMAT} document")
    try:
        checkpoint = Checkpoint.model_validate(document)
    except ValidationError as error:
        raise CheckpointFormatError(f"malformed checkpoint: {error.errors()[0]['msg']}") from None
    if checkpoint.to_bytes() != raw:
        raise CheckpointFormatError("checkpoint bytes are not in canonical form")
    return checkpoint


def signature_problem(checkpoint: Checkpoint, keyring: Keyring) -> str | None:
    """Why the checkpoint's signature does not verify under `keyring`, or None if it does."""
    key = keyring.find(checkpoint.key_fingerprint)
    if key is None:
        return f"signed by key {checkpoint.key_fingerprint[:16]}... which is not in the keyring"
    if not key.covers(checkpoint.time):
        return f"key {key.fingerprint[:16]}... was not valid at {format_time(checkpoint.time)}"
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_key))
        public.verify(bytes.fromhex(checkpoint.signature), signed_bytes(checkpoint))
    except (ValueError, InvalidSignature):
        return "the signature does not verify"
    return None


def successor_problem(
    seq: int, checkpoint: Checkpoint, previous: Checkpoint | None, keyring: Keyring | None
) -> str | None:
    """Why checkpoint `seq` cannot be built on, given checkpoint `seq - 1` (None when seq is 0).

    What a writer checks before it chains onto the newest checkpoint: stored at its own
    seq (a replayed copy is not), signed by a key of `keyring` valid at its time (None: no
    key to check with), naming its predecessor's signature, dated no earlier, and moving
    no stream head back or dropping one.
    """
    if checkpoint.seq != seq:
        return f"stored at seq {seq} but states seq {checkpoint.seq}: a replayed checkpoint"
    if keyring is not None and (signature := signature_problem(checkpoint, keyring)) is not None:
        return signature
    if previous is None:
        return None if checkpoint.prev_signature is None else "the first checkpoint names a prev"
    return _link_problem(seq, checkpoint, previous)


def _link_problem(seq: int, checkpoint: Checkpoint, previous: Checkpoint) -> str | None:
    """Why checkpoint `seq` does not follow `previous`: its link, its time, its heads."""
    if previous.seq != seq - 1:
        return f"checkpoint {seq - 1} states seq {previous.seq}"
    if checkpoint.prev_signature != previous.signature:
        return f"does not name checkpoint {seq - 1}'s signature as its prev"
    if checkpoint.time < previous.time:
        return f"dated before checkpoint {seq - 1}"
    for name, head in previous.heads.items():
        now = checkpoint.heads.get(name)
        if now is None or now.seq < head.seq:
            return f"moves the head of {name} back from seq {head.seq}"
    return None
