"""Commit signatures: every commit signed by its writer; auditors and writers refuse the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.errors import UntrustedCommitError
from infra.eventlog.appender import append_planned
from infra.eventlog.checkpoints import latest_checkpoint, write_checkpoint
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.verify import FindingKind, verify_log
from schemas.base.canonical import canonical_json
from schemas.events.catalog import DecisionOverridden, LetterSent
from schemas.log.commit import (
    COMMIT_FORMAT,
    GENESIS,
    SIGNED_COMMIT_FORMAT,
    Commit,
    CommitFormatError,
    parse_commit,
    seal_commit,
)
from schemas.log.commit_signature import commit_signature_problem, signer_keyring
from schemas.log.cumulative_checkpoint import KeyEntry, Keyring, Signer
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.planning.draft import CommitDraft
from schemas.rules.evaluation import Outcome

T0 = datetime(2024, 1, 1, tzinfo=UTC)
A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
B = StreamId(program="psp-2017", jurisdiction="baltimore-md")
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OUTSIDER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(5, 37))))
KEYRING = Keyring(
    keys=(
        KeyEntry(
            fingerprint=SIGNER.fingerprint,
            public_key=SIGNER.public_bytes.hex(),
            valid_from=T0,
            valid_until=T0 + timedelta(days=30),
        ),
    )
)
KEYS = CommitKeys(SIGNER, KEYRING)
LETTER = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                    delivery="none")  # fmt: skip
OVERRIDE = DecisionOverridden(decision=Outcome.ELIGIBLE, reason="forged", actor="mallory",
                              previous=Outcome.INELIGIBLE)  # fmt: skip


def _seal(
    stream: StreamId,
    seq: int,
    prev: str,
    signer: Signer | None,
    *,
    time: datetime = T0 + timedelta(hours=1),
    key: str = "letter",
) -> Commit:
    payload = LETTER if key == "letter" else OVERRIDE
    return seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=key,
                       payloads=[payload], time=time, actor="test", signer=signer)  # fmt: skip


def _log_with_forgery(signer: Signer | None) -> tuple[MemoryObjectStore, EventLog]:
    """A signed letter on A and B, then a well-chained override on A put with storage access."""
    store = MemoryObjectStore()
    log = EventLog(store, "p/", KEYS)
    heads = {stream: log.append(_seal(stream, 0, GENESIS, SIGNER)) for stream in (A, B)}
    assert all(heads.values())
    write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=2))
    operator = EventLog(store, "p/")  # S3 credentials only: no key, no checks
    forged = _seal(A, 1, log.read_stream(A)[0].hash, signer, key="override")
    assert operator.append(forged)
    return store, log


def test_signed_commit_verifies_and_round_trips() -> None:
    """A commit sealed with a signer is /2, its bytes parse back equal, and it verifies."""
    commit = _seal(A, 0, GENESIS, SIGNER)
    assert commit.document["format"] == SIGNED_COMMIT_FORMAT
    assert parse_commit(commit.to_bytes()) == commit
    assert commit_signature_problem(commit, KEYRING) is None


def test_unsigned_commit_is_still_format_1() -> None:
    """Without a signer the commit is today's /1, parses, and is reported unsigned."""
    commit = _seal(A, 0, GENESIS, None)
    assert json.loads(commit.to_bytes())["format"] == COMMIT_FORMAT
    assert parse_commit(commit.to_bytes()) == commit
    problem = commit_signature_problem(commit, KEYRING)
    assert problem is not None
    assert problem[0] is FindingKind.UNSIGNED_COMMIT


@pytest.mark.parametrize(
    ("signer", "time"),
    [
        (OUTSIDER, T0 + timedelta(hours=1)),  # a key outside the keyring
        (SIGNER, T0 - timedelta(hours=1)),  # before the key's window
        (SIGNER, T0 + timedelta(days=30)),  # at its (exclusive) end
    ],
)
def test_key_outside_keyring_or_window_is_bad(signer: Signer, time: datetime) -> None:
    """A signature by an unknown key, or by ours outside its window, is a bad signature."""
    problem = commit_signature_problem(_seal(A, 0, GENESIS, signer, time=time), KEYRING)
    assert problem is not None
    assert problem[0] is FindingKind.BAD_COMMIT_SIGNATURE


def test_signature_bound_to_the_hash() -> None:
    """A valid signature moved onto another commit does not verify there."""
    other = _seal(A, 0, GENESIS, SIGNER, key="override")
    moved = _seal(A, 0, GENESIS, SIGNER).model_copy(update={"sig": other.sig})
    problem = commit_signature_problem(moved, KEYRING)
    assert problem is not None
    assert problem[0] is FindingKind.BAD_COMMIT_SIGNATURE


def test_format_2_without_sig_is_malformed() -> None:
    """Stripping `sig` from a /2 commit (keeping its hash valid) leaves a malformed commit."""
    document = json.loads(_seal(A, 0, GENESIS, SIGNER).to_bytes())
    del document["sig"]
    with pytest.raises(CommitFormatError):
        parse_commit(canonical_json(document))


@pytest.mark.parametrize(
    ("signer", "kind"),
    [(None, FindingKind.UNSIGNED_COMMIT), (OUTSIDER, FindingKind.BAD_COMMIT_SIGNATURE)],
)
def test_audit_verify_names_the_forged_commit(signer: Signer | None, kind: FindingKind) -> None:
    """H1: a well-chained commit put with storage access alone is a finding at its seq."""
    store, _ = _log_with_forgery(signer)
    objects = {key: store.get(key) or b"" for key in store.list_keys("p/")}
    commits = {k: v for k, v in objects.items() if k.startswith("p/streams/")}
    checkpoints = {k: v for k, v in objects.items() if k.startswith("p/checkpoints/")}
    report = verify_log("p/", commits, checkpoints, KEYRING)
    assert not report.ok
    assert {(f.jurisdiction, f.seq, f.kind) for f in report.findings} == {("stockton-ca", 1, kind)}


@pytest.mark.parametrize("signer", [None, OUTSIDER])
def test_writer_never_appends_after_a_forged_commit(signer: Signer | None) -> None:
    """Reading the stream to write refuses it, naming stream and finding; nothing is written."""
    store, log = _log_with_forgery(signer)
    before = set(store.list_keys("p/"))
    with pytest.raises(UntrustedCommitError, match=r"psp-2017/stockton-ca seq 1"):
        log.state(A)
    stale = StreamState(stream=A)  # a writer that read before: its append conflicts, re-reads
    with pytest.raises(UntrustedCommitError, match=r"unsigned_commit|bad_commit_signature"):
        append_planned(log, stale, lambda _: CommitDraft("decision:x", (LETTER,)), time=T0,
                       actor="test")  # fmt: skip
    assert set(store.list_keys("p/")) == before


def test_batch_reads_separate_refused_streams() -> None:
    """A batch gets the trusted streams' states and the refused ones apart."""
    _, log = _log_with_forgery(None)
    states, refused = log.trusted_states([A, B])
    assert set(states) == {B}
    assert set(refused) == {A}
    with pytest.raises(UntrustedCommitError):
        log.states([A, B])


def test_checkpoint_sweep_never_covers_a_forged_head() -> None:
    """The hourly sweep leaves a stream whose head is unsigned out of the next checkpoint."""
    store, log = _log_with_forgery(None)
    log.append(_seal(B, 1, log.read_stream(B)[0].hash, SIGNER, key="override"))
    write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=3), heads=None)
    newest = latest_checkpoint(store, "p/")
    assert newest is not None
    assert newest.heads[A.name].seq == 0
    assert newest.heads[B.name].seq == 1


def test_writer_seals_signed_commits() -> None:
    """append_planned signs with the log's signer, so the next writer accepts the commit."""
    log = EventLog(MemoryObjectStore(), "p/", KEYS)
    result = append_planned(log, log.state(A), lambda _: CommitDraft("letter", (LETTER,)),
                            time=T0 + timedelta(hours=1), actor="test")  # fmt: skip
    assert result.written
    assert log.read_stream(A)[0].sig is not None


def test_no_keys_behaves_as_before() -> None:
    """With no signer and no keyring commits are /1 and read back unchecked."""
    log = EventLog(MemoryObjectStore(), "p/")
    result = append_planned(log, log.state(A), lambda _: CommitDraft("letter", (LETTER,)),
                            time=T0, actor="test")  # fmt: skip
    assert result.written
    assert log.read_stream(A)[0].sig is None


def test_signer_keyring_trusts_only_the_signer() -> None:
    """With no verify key file, writers check commits against their own key."""
    keyring = signer_keyring(SIGNER)
    assert commit_signature_problem(_seal(A, 0, GENESIS, SIGNER), keyring) is None
    assert commit_signature_problem(_seal(A, 0, GENESIS, OUTSIDER), keyring) is not None


def test_writer_refuses_a_signed_commit_whose_events_were_rewritten() -> None:
    """An insider changes a signed commit's event, keeping its hash and signature: refused.

    The signature covers only the stored `hash`, so the writer recomputes it from the
    content before building on the commit (exit 3 for the stream, nothing written).
    """
    store = MemoryObjectStore()
    log = EventLog(store, "p/", KEYS)
    assert log.append(_seal(A, 0, GENESIS, SIGNER))
    key = next(iter(store.list_keys("p/streams/psp-2017/stockton-ca/")))
    document = json.loads(store.get(key) or b"")
    document["events"][0]["data"]["delivery"] = "email"  # hash and sig left as they were
    store._objects[key] = canonical_json(document)  # the test plays the admin
    before = set(store.list_keys("p/"))
    with pytest.raises(UntrustedCommitError, match=r"seq 0: modified"):
        log.state(A)
    _, refused = log.trusted_states([A])
    assert set(refused) == {A}
    assert set(store.list_keys("p/")) == before
    commits = {key: store.get(key) or b""}
    report = verify_log("p/", commits, {}, KEYRING)
    assert FindingKind.MODIFIED in {finding.kind for finding in report.findings}
