"""Round-1 logs keep working: `/1` commits under a signed cumulative checkpoint are attested."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from infra.errors import UntrustedCheckpointError, UntrustedCommitError
from infra.eventlog.checkpoints import legacy_attestations, write_checkpoint
from infra.eventlog.integrator import Integrator
from infra.eventlog.listing import read_all
from infra.eventlog.log import CommitKeys, EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.verify import FindingKind, VerifyReport, verify_log
from schemas.base.canonical import canonical_json
from schemas.log.commit import GENESIS, Commit, seal_commit
from schemas.log.cumulative_checkpoint import Signer
from schemas.log.legacy_commits import AttestedHead, attested_hashes
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.layout import log_origin
from tests.unit.test_commit_signature import KEYRING, LETTER, OUTSIDER, SIGNER, T0, A, B


def _seal(stream: StreamId, seq: int, prev: str, signer: Signer | None) -> Commit:
    return seal_commit(stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                       payloads=[LETTER], time=T0 + timedelta(hours=1, seconds=seq),
                       actor="test", signer=signer)  # fmt: skip


def _round_one(
    checkpoint_signer: Signer = SIGNER, checkpoint_time: datetime = T0 + timedelta(hours=2)
) -> MemoryObjectStore:
    """Three `/1` commits on A, one on B, by a keyless writer; then a cumulative checkpoint."""
    store = MemoryObjectStore()
    keyless = EventLog(store, "p/")
    prev = GENESIS
    for seq in range(3):
        commit = _seal(A, seq, prev, None)
        assert keyless.append(commit)
        prev = commit.hash
    assert keyless.append(_seal(B, 0, GENESIS, None))
    write_checkpoint(keyless, checkpoint_signer, time=checkpoint_time)
    return store


def _keyed(store: MemoryObjectStore) -> EventLog:
    """The upgraded writer: signing key and keyring, attestations loaded as the runtime does."""
    keys = CommitKeys(SIGNER, KEYRING, lambda: legacy_attestations(store, "p/", KEYRING))
    return EventLog(store, "p/", keys)


def _verify(store: MemoryObjectStore) -> VerifyReport:
    return verify_log(
        "p/", read_all(store, "p/streams/"), read_all(store, "p/checkpoints/"), KEYRING
    )


def _kinds(report: VerifyReport) -> set[tuple[int | None, str]]:
    return {(finding.seq, finding.kind.value) for finding in report.findings}


def test_an_attested_round_one_log_verifies_clean_and_says_by_which_checkpoint() -> None:
    """Every `/1` commit under the signed checkpoint's heads is attested, not a finding."""
    report = _verify(_round_one())
    assert report.ok, report.findings
    assert report.attested_legacy_commits == 4
    assert report.attesting_checkpoints == (0,)


def test_an_upgraded_writer_appends_a_signed_commit_onto_an_attested_head() -> None:
    """A keyed writer reads the legacy stream, appends a `/2` commit, and the log verifies."""
    store = _round_one()
    log = _keyed(store)
    head = log.read_stream(A)[-1]
    appended = _seal(A, 3, head.hash, log.signer)
    assert log.append(appended)
    assert log.read_stream(A)[-1].sig is not None
    assert log.states([A, B])[A].head_seq == 3
    report = _verify(store)
    assert report.ok, report.findings
    assert report.attested_legacy_commits == 4


def test_a_legacy_commit_planted_after_the_attested_head_stays_unsigned() -> None:
    """A well-chained `/1` commit past the signed head is `unsigned_commit`; writers refuse."""
    store = _round_one()
    head = EventLog(store, "p/").read_stream(A)[-1]
    assert EventLog(store, "p/").append(_seal(A, 3, head.hash, None))  # bucket access only
    assert _kinds(_verify(store)) == {(3, FindingKind.UNSIGNED_COMMIT.value)}
    log = _keyed(store)
    with pytest.raises(UntrustedCommitError, match=r"seq 3.*unsigned_commit|unsigned_commit"):
        log.read_stream(A)
    states, refused = log.trusted_states([A, B])
    assert list(states) == [B]
    assert list(refused) == [A]


@pytest.mark.parametrize(
    ("signer", "time"),
    [(OUTSIDER, T0 + timedelta(hours=2)), (SIGNER, T0 + timedelta(days=40))],
    ids=["key-not-in-keyring", "key-not-valid-then"],
)
def test_a_checkpoint_the_keyring_does_not_vouch_for_attests_nothing(
    signer: Signer, time: datetime
) -> None:
    """A forged cumulative checkpoint leaves every `/1` commit unsigned, and writers refuse."""
    store = _round_one(signer, time)
    report = _verify(store)
    kinds = _kinds(report)
    assert {(seq, FindingKind.UNSIGNED_COMMIT.value) for seq in range(3)} <= kinds
    assert (0, FindingKind.FORGED_CHECKPOINT.value) in kinds
    assert report.attested_legacy_commits == 0
    with pytest.raises((UntrustedCheckpointError, UntrustedCommitError)):
        _keyed(store).read_stream(A)


def test_a_tampered_legacy_commit_is_still_found() -> None:
    """Changing an attested commit's bytes breaks its hash: `modified`, and it is not attested."""
    store = _round_one()
    key = commit_key("p/", A, 1)
    document = json.loads(store.get(key) or b"")
    document["events"][0]["data"]["letter_sha256"] = "b" * 64
    store._objects[key] = canonical_json(document)  # an insider overwrites it
    kinds = _kinds(_verify(store))
    assert (1, FindingKind.MODIFIED.value) in kinds
    assert (0, FindingKind.UNSIGNED_COMMIT.value) in kinds  # off the chain the head reaches


def test_the_integrator_puts_attested_legacy_commits_in_the_tree() -> None:
    """The first sweep of an upgraded log integrates the attested `/1` commits."""
    store = _round_one()
    log = _keyed(store)
    integrator = Integrator(log, origin=log_origin("b", "p/"), signer=SIGNER, keyring=KEYRING)
    newest = integrator.integrate(None, time=T0 + timedelta(hours=3))
    assert newest.head.size == 4


def test_the_walk_stops_where_the_chain_breaks() -> None:
    """Only commits linked by `prev` to the attested head, at the seqs it implies, are reached."""
    zero = _seal(A, 0, GENESIS, None)
    one = _seal(A, 1, zero.hash, None)
    stranger = _seal(A, 1, GENESIS, None)  # seq 1 that links to no seq 0 on this chain
    two = _seal(A, 2, one.hash, None)
    head = AttestedHead(2, two.hash, 0)
    assert attested_hashes([zero, one, two], head) == {zero.hash, one.hash, two.hash}
    assert attested_hashes([zero, two], head) == {two.hash}
    assert attested_hashes([zero, one, two], AttestedHead(1, stranger.hash, 0)) == frozenset()
    assert attested_hashes([zero, one, two], None) == frozenset()
