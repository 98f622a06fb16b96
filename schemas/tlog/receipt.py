"""Receipts: a self-contained proof that one commit is in the transparency log.

Two forms carry the same parts: C2SP's `c2sp.org/tlog-proof@v1` text (schemas/tlog/proof.py;
the commit's bytes in its `extra` line), what `grantreview receipt` writes by default, and
our older JSON document `grantreview.receipt/1`, still written under `--json`. Either holds
the commit's exact bytes, its leaf index, an RFC 6962 inclusion proof and the signed
checkpoint it is proven against, so anyone with the log's public key can check it offline:
the leaf hash SHA-256(0x00 || commit) with the proof must give the root the checkpoint
states, and the checkpoint must be signed by that key.
"""

from __future__ import annotations

import base64
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from schemas.tlog.checkpoint import CheckpointError, TreeHead, open_checkpoint
from schemas.tlog.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from schemas.tlog.note import NoteError, NoteVerifier, b64decode_strict
from schemas.tlog.proof import TlogProof, parse_tlog_proof

__all__ = [
    "RECEIPT_FORMAT",
    "Receipt",
    "build_receipt",
    "parse_receipt",
    "tlog_proof_of",
    "verify_receipt",
    "verify_tlog_proof",
]

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


def _open(checkpoint: str, verifier_key: str, origin: str | None) -> TreeHead | str:
    """The checkpoint's tree head if `verifier_key` signed it, else what went wrong."""
    try:
        verifier = NoteVerifier.from_vkey(verifier_key)
    except NoteError as error:
        return f"verifier key: {error}"
    try:
        return open_checkpoint(checkpoint, [verifier], origin)
    except (CheckpointError, NoteError) as error:
        return f"signature: the checkpoint does not verify ({error})"


def _root_problems(head: TreeHead, index: int, commit: bytes, proof: list[bytes]) -> list[str]:
    if not verify_inclusion(index, head.size, leaf_hash(commit), proof, head.root):
        return ["root mismatch: the commit and proof do not give the checkpoint's root"]
    return []


def verify_receipt(receipt: Receipt, verifier_key: str, origin: str | None = None) -> list[str]:
    """What is wrong with a receipt, checked offline with the log's vkey; empty when valid.

    Checks, in order: the format, the checkpoint's signature (and origin when given), the
    sizes, then that the commit's leaf hash and the proof give the checkpoint's root.
    """
    if receipt.format != RECEIPT_FORMAT:
        return [f"format: {receipt.format!r} is not {RECEIPT_FORMAT!r}"]
    head = _open(receipt.checkpoint, verifier_key, origin)
    if isinstance(head, str):
        return [head]
    problems: list[str] = []
    if head.size != receipt.tree_size:
        problems.append(f"tree size: receipt says {receipt.tree_size}, checkpoint {head.size}")
    if not 0 <= receipt.leaf_index < head.size:
        problems.append(f"leaf index {receipt.leaf_index} out of range of size {head.size}")
    decoded = _decode(receipt)
    if isinstance(decoded, str):
        return [*problems, decoded]
    return problems or _root_problems(head, receipt.leaf_index, *decoded)


def verify_tlog_proof(proof: TlogProof, verifier_key: str, origin: str | None = None) -> list[str]:
    """What is wrong with a tlog-proof, offline with the log's vkey; empty when valid.

    The same checks as `verify_receipt`; the record is the `extra` data (our commit's
    bytes), unauthenticated until its leaf hash and the proof give the signed root.
    """
    head = _open(proof.checkpoint, verifier_key, origin)
    if isinstance(head, str):
        return [head]
    if not 0 <= proof.index < head.size:
        return [f"leaf index {proof.index} out of range of size {head.size}"]
    if proof.extra is None:
        return ["record: no extra line, so no commit bytes to check against the tree"]
    return _root_problems(head, proof.index, proof.extra, list(proof.proof))


def tlog_proof_of(receipt: Receipt) -> TlogProof:
    """The receipt in C2SP's tlog-proof form: the commit's bytes go in `extra`."""
    commit = b64decode_strict(receipt.commit)
    proof = tuple(b64decode_strict(h) for h in receipt.inclusion_proof)
    return TlogProof(receipt.leaf_index, proof, receipt.checkpoint, commit)


def parse_receipt(raw: bytes) -> Receipt | TlogProof:
    """A receipt file in either form: JSON (starts with `{`) or a tlog-proof (anything else).

    Raises a ValueError (pydantic's ValidationError or TlogProofError) naming what is wrong.
    """
    if raw.lstrip()[:1] == b"{":
        return Receipt.model_validate_json(raw)
    return parse_tlog_proof(raw)
