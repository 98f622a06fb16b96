"""Receipts and `grantreview checkpoint`: prove one commit is in the transparency log.

A receipt is read-only to produce (auditors' credentials suffice): the newest finished
checkpoint is verified with the keyring, the commit's leaf index is one GET, and the
inclusion proof is read from O(log n) tiles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.eventlog.integrator import Integrator
from schemas.base.errors import InputError
from schemas.events.catalog import DecisionIssued
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.checkpoint import CheckpointError, parse_checkpoint_text
from schemas.tlog.cosignature import verify_cosignatures
from schemas.tlog.merkle import inclusion_proof
from schemas.tlog.note import ALG_COSIGNATURE_V1, NoteError, NoteVerifier
from schemas.tlog.proof import TlogProof
from schemas.tlog.receipt import Receipt, build_receipt, verify_receipt, verify_tlog_proof
from schemas.tlog.tiles import tile_hash_reader
from usecases.audit_scope import require_in_log
from usecases.checkpoints import sign_heads

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = [
    "checkpoint_now",
    "make_receipt",
    "receipt_problems",
    "witness_problems",
    "witness_verifiers",
]


def checkpoint_now(runtime: Runtime) -> str | None:
    """Integrate every pending commit and sign a fresh checkpoint; the note's key."""
    if runtime.signer is None:
        raise InputError("no checkpoint key: set GRANTREVIEW_SIGNING_KEY_FILE")
    return sign_heads(runtime, None, always_sign=True)


def _latest_decision_seq(runtime: Runtime, stream: StreamId) -> int:
    commits = runtime.log.read_stream(stream)
    for commit in reversed(commits):
        if any(event.get("type") == DecisionIssued.TYPE for event in commit.events):
            return commit.seq
    raise InputError(f"{stream.name} has no decision yet; pass --seq N")


def make_receipt(runtime: Runtime, program: str, slug: str, seq: int | None) -> Receipt:
    """The receipt of commit `seq` of the stream (default: its latest decision)."""
    require_in_log(runtime.store, runtime.log.prefix, [program], [slug])
    stream = StreamId(program=program, jurisdiction=slug)
    keyring = runtime.commit_keys.keyring
    if keyring is None:
        raise InputError("no verify key: set GRANTREVIEW_VERIFY_KEY_FILE")
    seq = _latest_decision_seq(runtime, stream) if seq is None else seq
    key = commit_key(runtime.log.prefix, stream, seq)
    body = runtime.store.get(key)
    if body is None:
        raise InputError(f"{stream.name} has no commit {seq}")
    reader = Integrator(runtime.log, origin=runtime.origin, signer=None, keyring=keyring)
    leaf = reader.tlog.leaf_index(key)
    newest = reader.newest()
    if leaf is None or leaf >= newest.head.size:
        raise InputError(f"{key} is not in a checkpoint yet: run `grantreview checkpoint`")
    hash_at = tile_hash_reader(newest.head.size, reader.tlog.read_tile)
    proof = inclusion_proof(leaf, newest.head.size, hash_at)
    return build_receipt(
        key,
        body,
        leaf_index=leaf,
        tree_size=newest.head.size,
        proof=proof,
        checkpoint=newest.note.decode(),
    )


def witness_verifiers(vkeys: list[str]) -> list[NoteVerifier]:
    """Parse `--witness` vkeys: cosignature keys (type 0x04), else bad input (exit 2)."""
    try:
        verifiers = [NoteVerifier.from_vkey(vkey) for vkey in vkeys]
    except NoteError as error:
        raise InputError(f"--witness: {error}") from None
    for verifier in verifiers:
        if verifier.alg != ALG_COSIGNATURE_V1:
            raise InputError(f"--witness {verifier.name}: not a cosignature (type 0x04) vkey")
    return verifiers


def witness_problems(checkpoint: str, witnesses: list[NoteVerifier]) -> list[str]:
    """Each given witness must have cosigned the receipt's checkpoint (no other policy)."""
    try:
        cosigned = {c.name for c in verify_cosignatures(checkpoint, witnesses)}
    except NoteError as error:
        return [f"witness: {error}"]
    return [f"witness {w.name}: no cosignature" for w in witnesses if w.name not in cosigned]


def receipt_problems(receipt: Receipt | TlogProof, keyring: Keyring) -> list[str]:
    """What fails in a receipt (either form), offline, with the keyring's public keys.

    Empty when valid. The checkpoint key's name is the log's origin (the checkpoint's first
    line); a receipt passes when one key of the keyring verifies all of it.
    """
    try:
        origin = parse_checkpoint_text(receipt.checkpoint.split("\n\n", 1)[0] + "\n").origin
        vkeys = [NoteVerifier(origin, bytes.fromhex(k.public_key)).vkey() for k in keyring.keys]
    except (CheckpointError, NoteError, ValueError) as error:
        return [f"checkpoint: not a checkpoint note ({error})"]
    problems: list[str] = []
    for vkey in vkeys:
        if isinstance(receipt, TlogProof):
            found = verify_tlog_proof(receipt, vkey)
        else:
            found = verify_receipt(receipt, vkey)
        if not found:
            return []
        problems = problems or found
    return problems
