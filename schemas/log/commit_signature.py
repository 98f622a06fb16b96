"""Who sealed a commit: its Ed25519 signature checked against a keyring, one commit at a time.

Pure, and the one check run by auditors (`audit verify`, `audit replay`) and by writers
before they append after, decide on or checkpoint over a commit (docs/log-format.md,
"Commit signatures"). A hash chain alone can be extended by anyone with write access to
the bucket; a signature can only come from a holder of a key in the keyring.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from schemas.base.canonical import format_time
from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.log.commit import Commit, signing_message
from schemas.log.keyring import KeyEntry, Keyring, Signer
from schemas.log.soundness import CommitProblem

if TYPE_CHECKING:
    from collections.abc import Collection

    from schemas.log.streams import StreamId

__all__ = [
    "commit_signature_findings",
    "commit_signature_problem",
    "signer_keyring",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)
def _public_key(hex_key: str) -> Ed25519PublicKey:
    """A keyring entry's key, decoded once per process (verifying runs per commit read)."""
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))


def commit_signature_problem(
    commit: Commit, keyring: Keyring, attested: Collection[str] = ()
) -> CommitProblem | None:
    """Why `commit` was not sealed by a key of `keyring` valid at its time; None if it was.

    `attested` holds the hashes of legacy `/1` commits a trusted cumulative checkpoint
    vouches for (schemas/log/legacy_commits.py): those pass unsigned; a `/2` commit never does.
    """
    if commit.sig is None:
        unsigned = CommitProblem(
            FindingKind.UNSIGNED_COMMIT, "the commit carries no signature (grantreview.commit/1)"
        )
        return None if commit.hash in attested else unsigned
    key = keyring.find(commit.sig.key_id)
    if key is None:
        return CommitProblem(
            FindingKind.BAD_COMMIT_SIGNATURE,
            f"signed by key {commit.sig.key_id[:16]}... which is not in the keyring",
        )
    if not key.covers(commit.time):
        return CommitProblem(
            FindingKind.BAD_COMMIT_SIGNATURE,
            f"key {key.fingerprint[:16]}... was not valid at {format_time(commit.time)}",
        )
    raw = commit.sig.signature_bytes()
    if raw is None:
        return CommitProblem(
            FindingKind.BAD_COMMIT_SIGNATURE, "sig is not base64 of a 64-byte signature"
        )
    try:
        _public_key(key.public_key).verify(raw, signing_message(commit.hash))
    except InvalidSignature:
        return CommitProblem(
            FindingKind.BAD_COMMIT_SIGNATURE, "the signature does not verify over the hash"
        )
    return None


def commit_signature_findings(
    stream: StreamId,
    seq: int,
    commit: Commit,
    keyring: Keyring,
    key: str | None = None,
    *,
    attested: Collection[str] = (),
) -> list[Finding]:
    """The signature finding for one intact commit stored at `seq` of `stream` (or none)."""
    problem = commit_signature_problem(commit, keyring, attested)
    if problem is None:
        return []
    return [stream_finding(stream, seq, problem.kind, problem.detail, key)]


def signer_keyring(signer: Signer) -> Keyring:
    """A keyring of the writer's own public key, valid always: when no verify key file is set."""
    entry = KeyEntry(
        fingerprint=signer.fingerprint, public_key=signer.public_bytes.hex(), valid_from=_EPOCH
    )
    return Keyring(keys=(entry,))
