"""One answer to "is this commit sound?": the writer, the sweep and the audit judge alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.errors import UntrustedCommitError
from infra.eventlog.checkpoints import latest_checkpoint, write_checkpoint
from infra.eventlog.log import CommitKeys, CorruptStreamError, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.verify import verify_log
from schemas.base.canonical import CanonicalFormError, canonical_json
from schemas.base.findings import FindingKind
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, commit_hash, seal_commit
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer
from schemas.log.soundness import CommitProblem, commit_problem, sound_commit
from schemas.log.streams import StreamId, commit_key

T0 = datetime(2024, 1, 1, tzinfo=UTC)
A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
PREFIX = "p/"
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
KEYRING = Keyring(
    keys=(
        KeyEntry(
            fingerprint=SIGNER.fingerprint, public_key=SIGNER.public_bytes.hex(), valid_from=T0
        ),
    )
)
LETTER = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                    delivery="none")  # fmt: skip


def _commit_bytes(*, signed: bool) -> bytes:
    commit = seal_commit(stream=A, seq=0, prev=GENESIS, idempotency_key="letter",
                         payloads=[LETTER], time=T0 + timedelta(hours=1), actor="test",
                         signer=SIGNER if signed else None)  # fmt: skip
    return commit.to_bytes()


def _with_member(raw: bytes, *, rehash: bool) -> bytes:
    """The commit with an extra top-level member, its hash kept or recomputed over it."""
    document = json.loads(raw)
    document["note"] = "added with storage credentials"
    if rehash:
        document["hash"] = commit_hash(document)
        for event in document["events"]:
            event["grhash"] = document["hash"]
    return canonical_json(document)


CASES = {
    # A signed commit: hash and signature untouched, so the signature still verifies.
    "signed, hash kept": (True, False),
    # An unsigned commit whose hash an insider recomputed over the extra member.
    "unsigned, rehashed": (False, True),
}


def _store_with(raw: bytes) -> MemoryObjectStore:
    store = MemoryObjectStore()
    assert store.put_if_absent(commit_key(PREFIX, A, 0), raw)  # planted with S3 credentials
    return store


@pytest.mark.parametrize("case", CASES)
def test_extra_top_level_member_is_judged_alike_everywhere(case: str) -> None:
    """A commit with an added top-level member: not sound for the writer, sweep and audit."""
    signed, rehash = CASES[case]
    raw = _with_member(_commit_bytes(signed=signed), rehash=rehash)
    keys = CommitKeys(SIGNER, KEYRING) if signed else CommitKeys()

    problem = commit_problem(raw, A)
    assert problem is not None
    assert problem.kind is FindingKind.MODIFIED

    store = _store_with(raw)
    log = EventLog(store, PREFIX, keys)
    with pytest.raises(UntrustedCommitError, match=r"seq 0: modified"):
        log.state(A)
    _, refused = log.trusted_states([A])
    assert set(refused) == {A}

    write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=2), keyring=KEYRING)
    swept = latest_checkpoint(store, PREFIX)
    assert swept is not None
    assert A.name not in swept.heads  # never signed over

    report = verify_log(PREFIX, {commit_key(PREFIX, A, 0): raw}, {}, KEYRING)
    assert (0, FindingKind.MODIFIED) in {(f.seq, f.kind) for f in report.findings}


def test_a_sound_commit_passes_every_reader() -> None:
    """The same commit untouched is sound, read, swept and verified without a finding."""
    raw = _commit_bytes(signed=True)
    assert commit_problem(raw, A) is None
    store = _store_with(raw)
    log = EventLog(store, PREFIX, CommitKeys(SIGNER, KEYRING))
    assert log.state(A).head_seq == 0
    write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=2))
    swept = latest_checkpoint(store, PREFIX)
    assert swept is not None
    assert swept.heads[A.name].seq == 0
    findings = verify_log(PREFIX, {commit_key(PREFIX, A, 0): raw}, {}, KEYRING).findings
    assert not [f for f in findings if f.seq == 0]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"[" * 100_000 + b"]" * 100_000, FindingKind.BAD_FORMAT),
        (b'{"not": "a commit"}', FindingKind.BAD_FORMAT),
    ],
)
def test_what_is_no_commit_is_a_problem_not_an_exception(raw: bytes, kind: FindingKind) -> None:
    """Bytes too deep to parse or that are no commit are a named problem, never a raise."""
    judged = sound_commit(raw, A)
    assert isinstance(judged, CommitProblem)
    assert judged.kind is kind
    with pytest.raises(CorruptStreamError, match="is not a commit"):
        EventLog(_store_with(raw), PREFIX).state(A)


def test_a_commit_of_another_stream_is_moved() -> None:
    """A commit copied under another stream's key is not sound there (moved)."""
    other = StreamId(program="psp-2017", jurisdiction="baltimore-md")
    problem = commit_problem(_commit_bytes(signed=True), other)
    assert problem is not None
    assert problem.kind is FindingKind.MOVED
    assert commit_problem(_commit_bytes(signed=True), A, seq=1) is not None


def test_a_planted_float_is_a_problem_found_before_the_hash_skips_its_walk() -> None:
    """The hash reuses the canonical check (`checked=True`); a float never reaches it unseen.

    A stored commit holding a float is the log's damage: a named problem (audit verify's
    finding, exit 1), never the input error (exit 2) a caller's float would be.
    """
    document = json.loads(_commit_bytes(signed=False))
    document["events"][0]["data"]["weight"] = 1.5
    raw = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    judged = sound_commit(raw, A)
    assert isinstance(judged, CommitProblem)
    assert judged.kind is FindingKind.BAD_FORMAT
    assert "floats have no canonical form" in judged.detail
    with pytest.raises(CanonicalFormError):  # the canonical form itself still refuses it
        canonical_json(document)


def test_the_checked_hash_equals_the_walked_one() -> None:
    """Skipping the walk changes nothing about the digest of a canonical commit."""
    document = json.loads(_commit_bytes(signed=True))
    assert commit_hash(document, checked=True) == commit_hash(document) == document["hash"]
