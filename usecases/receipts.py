"""Receipts and `grantreview checkpoint`: prove one commit is in the transparency log.

A receipt is read-only to produce (auditors' credentials suffice): the newest signed
checkpoint is verified with the keyring, the commit's leaf comes from the signed batch its
index entry names (the entry alone proves nothing), the inclusion proof is read from
O(log n) tiles, and the receipt is verified as `verify-receipt` would before it is handed
out: one that does not verify is refused (exit 3).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from infra.errors import UntrustedCheckpointError
from infra.eventlog.integrator import Integrator
from schemas.base.errors import InputError
from schemas.log.commit import CommitFormatError, parse_commit
from schemas.log.commit_subject import DECISION_EVENTS, commit_subject
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
    from collections.abc import Sequence
    from datetime import datetime

    from infra.runtime import Runtime
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = [
    "checkpoint_now",
    "make_receipt",
    "prove_commits",
    "proven_subject",
    "receipt_problems",
    "witness_problems",
    "witness_verifiers",
]


def checkpoint_now(runtime: Runtime) -> str | None:
    """Integrate every pending commit and sign a fresh checkpoint; the note's key."""
    if runtime.signer is None:
        raise InputError("no checkpoint key: set GRANTREVIEW_SIGNING_KEY_FILE")
    return sign_heads(runtime, None, always_sign=True)


def _subject_seq(runtime: Runtime, stream: StreamId, event_type: str | None) -> int:
    """The newest commit carrying `event_type`, or by default the decision in force.

    The decision in force is the newest commit that issues, revises, overrides or
    determines it, or records its award action: after a final determination that is the
    determination's commit, never the preliminary decision before it.
    """
    wanted = (
        DECISION_EVENTS
        if event_type is None
        else {event_type if event_type.startswith("grantreview.") else f"grantreview.{event_type}"}
    )
    for commit in reversed(runtime.log.read_stream(stream)):
        if any(event.get("type") in wanted for event in commit.events):
            return commit.seq
    if event_type is not None:
        raise InputError(f"{stream.name} has no {event_type} event; see `audit acts` or --seq N")
    raise InputError(f"{stream.name} has no decision yet; pass --seq N")


def make_receipt(
    runtime: Runtime, program: str, slug: str, seq: int | None, event_type: str | None = None
) -> Receipt:
    """The receipt of commit `seq` of the stream (default: the decision in force).

    `event_type` (`--event`): the newest commit carrying that event type instead.
    """
    require_in_log(runtime.store, runtime.log.prefix, [program], [slug])
    if seq is not None and event_type is not None:
        raise InputError("give --seq or --event, not both")
    stream = StreamId(program=program, jurisdiction=slug)
    keyring = runtime.commit_keys.keyring
    if keyring is None:
        raise InputError("no verify key: set GRANTREVIEW_VERIFY_KEY_FILE")
    seq = _subject_seq(runtime, stream, event_type) if seq is None else seq
    key = commit_key(runtime.log.prefix, stream, seq)
    body = runtime.store.get(key)
    if body is None:
        raise InputError(f"{stream.name} has no commit {seq}")
    (receipt,) = prove_commits(runtime, keyring, [(key, body)])
    return receipt


def prove_commits(
    runtime: Runtime, keyring: Keyring, commits: Sequence[tuple[str, bytes]]
) -> list[Receipt]:
    """Receipts of these commits (key and exact bytes), all under the newest checkpoint."""
    reader = Integrator(runtime.log, origin=runtime.origin, signer=None, keyring=keyring)
    newest = reader.newest()
    hash_at = tile_hash_reader(newest.head.size, reader.tlog.read_tile)
    receipts: list[Receipt] = []
    for key, body in commits:
        leaf = reader.batches.leaf_of(key, newest.seq, _own_time(body))
        if leaf is None or leaf >= newest.head.size:
            raise InputError(f"{key} is not in a checkpoint yet: run `grantreview checkpoint`")
        made = build_receipt(
            key,
            body,
            leaf_index=leaf,
            tree_size=newest.head.size,
            proof=inclusion_proof(leaf, newest.head.size, hash_at),
            checkpoint=newest.note.decode(),
        )
        problems = receipt_problems(made, keyring)
        if problems:  # never hand out a receipt its holder's check would reject
            raise UntrustedCheckpointError(f"receipt_invalid: {key}: {'; '.join(problems)}")
        receipts.append(made)
    return receipts


def _own_time(body: bytes) -> datetime | None:
    """The commit's own time: where its batch is searched from (None: search them all)."""
    try:
        return parse_commit(body).time
    except CommitFormatError:
        return None


def proven_subject(receipt: Receipt | TlogProof) -> str:
    """`covers ...`: which record a verified receipt proves, read from the bytes it proves."""
    raw = receipt.extra if isinstance(receipt, TlogProof) else base64.b64decode(receipt.commit)
    if raw is None:
        return "covers a leaf only: the proof carries no commit bytes"
    subject = commit_subject(raw)
    return (
        "covers no record: the proven bytes are not a commit"
        if subject is None
        else (f"covers {subject.line()}")
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
