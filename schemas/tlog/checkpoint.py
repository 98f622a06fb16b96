r"""C2SP tlog-checkpoint: the signed tree head, a note whose text is origin, size and root.

The text is `<origin>\n<tree size>\n<base64 root hash>\n` and optional non-empty
extension lines; the log signs it as a signed note (Ed25519, type 0x01) under a key name
that matches the origin. It is a few hundred bytes whatever the log holds.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.base.errors import DamagedDataError
from schemas.tlog.merkle import HASH_SIZE
from schemas.tlog.note import NoteError, NoteVerifier, b64decode_strict, open_note, sign_note

__all__ = [
    "CheckpointError",
    "TreeHead",
    "open_checkpoint",
    "parse_checkpoint_text",
    "sign_checkpoint",
]

_SIZE: Final = re.compile(r"0|[1-9][0-9]*")
_MANDATORY_LINES: Final = 3


class CheckpointError(DamagedDataError):
    """A note whose text is not a checkpoint, or one that does not verify."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What a checkpoint states: the log's origin, the tree size and its root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("the origin is one non-empty line")
        if self.size < 0 or len(self.root) != HASH_SIZE:
            raise CheckpointError("a tree head has a size >= 0 and a 32-byte root")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines are single non-empty lines")

    def text(self) -> str:
        """The note text exactly as signed."""
        root = base64.b64encode(self.root).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint_text(text: str) -> TreeHead:
    """A checkpoint's note text, strictly: no leading zeros, canonical base64, 32 bytes."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < _MANDATORY_LINES or any(not line for line in lines):
        raise CheckpointError("a checkpoint is at least three non-empty lines")
    origin, size, root, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"tree size is a decimal without leading zeros: {size!r}")
    try:
        root_hash = b64decode_strict(root)
    except NoteError as error:
        raise CheckpointError(str(error)) from error
    return TreeHead(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(head: TreeHead, private_key: Ed25519PrivateKey, name: str = "") -> str:
    """The signed checkpoint note; the key name defaults to the origin, as the spec advises."""
    return sign_note(head.text(), name or head.origin, private_key)


def open_checkpoint(
    data: bytes | str, verifiers: list[NoteVerifier], origin: str | None = None
) -> TreeHead:
    """Verify a checkpoint note with trusted keys and return its tree head.

    `origin`, when given, must match: a checkpoint of another log is refused even if the
    same key signed it.
    """
    try:
        note = open_note(data, verifiers)
    except NoteError as error:
        raise CheckpointError(str(error)) from error
    head = parse_checkpoint_text(note.text)
    if origin is not None and head.origin != origin:
        raise CheckpointError(f"checkpoint of {head.origin!r}, expected {origin!r}")
    return head
