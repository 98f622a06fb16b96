"""Receipts: a self-contained proof that one commit is in the transparency log.

A receipt carries the commit's exact bytes, its leaf index, an RFC 6962 inclusion proof
and the signed checkpoint it is proven against, so anyone with the log's public key can
check it offline: the leaf hash SHA-256(0x00 || commit) with the proof must give the root
the checkpoint states, and the checkpoint must be signed by that key.
"""

from __future__ import annotations

import base64
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from schemas.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from schemas.note import NoteError, NoteVerifier, b64decode_strict
from schemas.tlog_checkpoint import CheckpointError, open_checkpoint

__all__ = ["RECEIPT_FORMAT", "Receipt", "build_receipt", "verify_receipt"]

RECEIPT_FORMAT: Final = "grantreview.receipt/1"


class Receipt(BaseModel):
    """The receipt document as written by `grantreview receipt`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = RECEIPT_FORMAT
    key: str = Field(description="the commit's object key")
    commit: str = Field(description="base64 of the commit object's exact bytes")
    leaf_index: int
    tree_size: int
    inclusion_proof: list[str] = Field(description="base64 hashes, RFC 6962 order")
    checkpoint: str = Field(description="the signed checkpoint note text")


def build_receipt(
    key: str, commit: bytes, *, leaf_index: int, tree_size: int, proof: list[bytes], checkpoint: str
) -> Receipt:
    """A receipt from the parts the log already has; nothing is checked here."""
    return Receipt(
        key=key,
        commit=base64.b64encode(commit).decode(),
        leaf_index=leaf_index,
        tree_size=tree_size,
        inclusion_proof=[base64.b64encode(h).decode() for h in proof],
        checkpoint=checkpoint,
    )


def _decode(receipt: Receipt) -> tuple[bytes, list[bytes]] | str:
    try:
        commit = b64decode_strict(receipt.commit)
        proof = [b64decode_strict(h) for h in receipt.inclusion_proof]
    except NoteError as error:
        return f"malformed: {error}"
    if any(len(h) != HASH_SIZE for h in proof):
        return "malformed: an inclusion proof hash is not 32 bytes"
    return commit, proof


def verify_receipt(receipt: Receipt, verifier_key: str, origin: str | None = None) -> list[str]:
    """What is wrong with a receipt, checked offline with the log's vkey; empty when valid.

    Checks, in order: the format, the checkpoint's signature (and origin when given), the
    sizes, then that the commit's leaf hash and the proof give the checkpoint's root.
    """
    if receipt.format != RECEIPT_FORMAT:
        return [f"format: {receipt.format!r} is not {RECEIPT_FORMAT!r}"]
    try:
        verifier = NoteVerifier.from_vkey(verifier_key)
    except NoteError as error:
        return [f"verifier key: {error}"]
    problems: list[str] = []
    try:
        head = open_checkpoint(receipt.checkpoint, [verifier], origin)
    except (CheckpointError, NoteError) as error:
        return [f"signature: the checkpoint does not verify ({error})"]
    if head.size != receipt.tree_size:
        problems.append(f"tree size: receipt says {receipt.tree_size}, checkpoint {head.size}")
    if not 0 <= receipt.leaf_index < head.size:
        problems.append(f"leaf index {receipt.leaf_index} out of range of size {head.size}")
    decoded = _decode(receipt)
    if isinstance(decoded, str):
        return [*problems, decoded]
    if problems:
        return problems
    commit, proof = decoded
    if not verify_inclusion(receipt.leaf_index, head.size, leaf_hash(commit), proof, head.root):
        problems.append("root mismatch: the commit and proof do not give the checkpoint's root")
    return problems
