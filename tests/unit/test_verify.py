"""The pure verifier: an untouched log is clean; each kind of tampering is found and located."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from schemas.audit.verify import FindingKind, VerifyReport, verify_log
from schemas.base.canonical import canonical_json
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, commit_hash, seal_commit
from schemas.log.cumulative_checkpoint import (
    KeyEntry,
    Keyring,
    Signer,
    checkpoint_key,
    seal_checkpoint,
)
from schemas.log.streams import StreamId, commit_key
from usecases.verify import verify_store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PREFIX = "log/"
A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
B = StreamId(program="psp-2017", jurisdiction="baltimore-md")
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


def _keyring(signer: Signer) -> Keyring:
    entry = KeyEntry(
        fingerprint=signer.fingerprint, public_key=signer.public_bytes.hex(), valid_from=T0
    )
    return Keyring(keys=(entry,))


KEYRING = _keyring(SIGNER)


def _payload(index: int) -> LetterSent:
    return LetterSent(
        letter_sha256=f"{index:064x}", letter_date=T0.date(), response_due=None, delivery="none"
    )


def build(store: MemoryObjectStore, streams: tuple[StreamId, ...] = (A, B), n: int = 4) -> None:
    """Append `n` commits to each stream and sign one checkpoint."""
    log = EventLog(store, PREFIX)
    for stream in streams:
        prev = GENESIS
        for seq in range(n):
            commit = seal_commit(
                stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
                payloads=[_payload(seq)], time=T0 + timedelta(minutes=seq), actor="test",
                signer=SIGNER,
            )  # fmt: skip
            assert log.append(commit)
            prev = commit.hash
    write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=1))


def objects() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A fresh log's commits and checkpoints as the verifier receives them."""
    store = MemoryObjectStore()
    build(store)
    everything = {key: store.get(key) or b"" for key in store.list_keys(PREFIX)}
    commits = {k: v for k, v in everything.items() if k.startswith(f"{PREFIX}streams/")}
    checkpoints = {k: v for k, v in everything.items() if k.startswith(f"{PREFIX}checkpoints/")}
    return commits, checkpoints


def run(commits: dict[str, bytes], checkpoints: dict[str, bytes]) -> VerifyReport:
    """Verify with the writer's keyring."""
    return verify_log(PREFIX, commits, checkpoints, KEYRING)


def located(report: VerifyReport) -> set[tuple[str | None, int | None, FindingKind]]:
    """(jurisdiction, seq, kind) of every finding."""
    return {(f.jurisdiction, f.seq, f.kind) for f in report.findings}


def key(stream: StreamId, seq: int) -> str:
    """A commit key in the test log."""
    return commit_key(PREFIX, stream, seq)


def test_untouched_log_is_clean() -> None:
    """An untouched log verifies with no findings and full counts."""
    report = run(*objects())
    assert report.ok
    assert (report.streams, report.commits, report.events, report.checkpoints) == (2, 8, 8, 1)
    assert report.uncovered_commits == 0


def _flip_byte(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    raw = commits[key(A, 1)]
    at = raw.index(b'"gractor":"test"') + len(b'"gractor":"t')
    commits[key(A, 1)] = raw[:at] + b"X" + raw[at + 1 :]


def _delete_middle(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    del commits[key(A, 2)]


def _delete_newest(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    del commits[key(A, 3)]


def _insert(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    """Shift seq 2.. up by one and put a forged, correctly chained commit at seq 2."""
    prev = json.loads(commits[key(A, 1)])["hash"]
    for seq in (3, 2):
        commits[key(A, seq + 1)] = commits[key(A, seq)]
    forged = seal_commit(
        stream=A, seq=2, prev=prev, idempotency_key="forged", payloads=[_payload(9)],
        time=T0, actor="mallory", signer=SIGNER,
    )  # fmt: skip
    commits[key(A, 2)] = forged.to_bytes()


def _swap(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    commits[key(A, 1)], commits[key(A, 2)] = commits[key(A, 2)], commits[key(A, 1)]


def _move(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    commits[key(B, 4)] = commits[key(A, 1)]


def _forge_checkpoint(_: dict[str, bytes], checkpoints: dict[str, bytes]) -> None:
    stated = json.loads(checkpoints[checkpoint_key(PREFIX, 0)])
    heads = {name: (head["seq"], head["hash"]) for name, head in stated["heads"].items()}
    forged = seal_checkpoint(seq=0, time=T0, heads=heads, prev_signature=None, signer=OTHER)
    checkpoints[checkpoint_key(PREFIX, 0)] = forged.to_bytes()


def _whitespace(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    commits[key(B, 0)] = json.dumps(json.loads(commits[key(B, 0)]), indent=1).encode()


def _rewrite_tail(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    """A key holder rewrites seq 2, re-seals seq 3: a valid chain the checkpoint contradicts."""
    prev = json.loads(commits[key(A, 1)])["hash"]
    for seq in (2, 3):
        commit = seal_commit(
            stream=A, seq=seq, prev=prev, idempotency_key=f"k{seq}", payloads=[_payload(7)],
            time=T0, actor="mallory", signer=SIGNER,
        )  # fmt: skip
        commits[key(A, seq)] = commit.to_bytes()
        prev = commit.hash


def _stray_key(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    commits[f"{PREFIX}streams/psp-2017/stockton-ca/7.json"] = b"{}"


def _rehash_middle(commits: dict[str, bytes], _: dict[str, bytes]) -> None:
    """Change commit 1 and recompute its hash: the link from commit 2 breaks."""
    document = json.loads(commits[key(A, 1)])
    document["events"][0]["gractor"] = "mallory"
    document["hash"] = commit_hash(document)
    for event in document["events"]:
        event["grhash"] = document["hash"]
    commits[key(A, 1)] = canonical_json(document)


Tamper = Callable[[dict[str, bytes], dict[str, bytes]], None]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_flip_byte, ("stockton-ca", 1, FindingKind.MODIFIED)),
        (_delete_middle, ("stockton-ca", 2, FindingKind.MISSING)),
        (_delete_newest, ("stockton-ca", 3, FindingKind.TRUNCATED)),
        (_insert, ("stockton-ca", 2, FindingKind.INSERTED)),
        (_swap, ("stockton-ca", 1, FindingKind.REORDERED)),
        (_move, ("baltimore-md", 4, FindingKind.MOVED)),
        (_forge_checkpoint, (None, 0, FindingKind.FORGED_CHECKPOINT)),
        (_whitespace, ("baltimore-md", 0, FindingKind.MODIFIED)),
        (_rewrite_tail, ("stockton-ca", 3, FindingKind.MODIFIED)),
        (_stray_key, (None, None, FindingKind.BAD_FORMAT)),
        (_rehash_middle, ("stockton-ca", 2, FindingKind.MODIFIED)),
    ],
)
def test_tampering_is_found_and_located(
    tamper: Tamper, expected: tuple[str | None, int | None, FindingKind]
) -> None:
    """Each kind of tampering gives a finding of the right kind at the right place."""
    commits, checkpoints = objects()
    tamper(commits, checkpoints)
    report = run(commits, checkpoints)
    assert not report.ok
    assert expected in located(report), report.findings


def test_swap_reports_both_seqs_and_nothing_else() -> None:
    """Swapping two commits names exactly those two seqs as reordered."""
    commits, checkpoints = objects()
    _swap(commits, checkpoints)
    assert located(run(commits, checkpoints)) == {
        ("stockton-ca", 1, FindingKind.REORDERED),
        ("stockton-ca", 2, FindingKind.REORDERED),
    }


def test_insert_is_one_finding() -> None:
    """A shifted insertion is reported once, not once per shifted commit."""
    commits, checkpoints = objects()
    _insert(commits, checkpoints)
    assert located(run(commits, checkpoints)) == {("stockton-ca", 2, FindingKind.INSERTED)}


def test_missing_checkpoint_in_chain() -> None:
    """A checkpoint deleted from the middle of the chain is reported missing."""
    store = MemoryObjectStore()
    build(store)
    log = EventLog(store, PREFIX)
    for minute in (1, 2):
        commit = seal_commit(
            stream=A, seq=3 + minute, prev=log.read_stream(A)[-1].hash,
            idempotency_key=f"x{minute}", payloads=[_payload(minute)], time=T0, actor="test",
            signer=SIGNER,
        )  # fmt: skip
        log.append(commit)
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=2, minutes=minute))
    everything = {k: store.get(k) or b"" for k in store.list_keys(PREFIX)}
    commits = {k: v for k, v in everything.items() if "/streams/" in f"/{k}"}
    checkpoints = {k: v for k, v in everything.items() if "/checkpoints/" in f"/{k}"}
    assert run(commits, checkpoints).ok
    del checkpoints[checkpoint_key(PREFIX, 1)]
    assert (None, 1, FindingKind.MISSING) in located(run(commits, checkpoints))


def test_no_checkpoint_means_nothing_is_signed() -> None:
    """A log with commits but no checkpoint is a finding: nothing in it is signed."""
    commits, _ = objects()
    assert located(run(commits, {})) == {(None, None, FindingKind.MISSING)}


def test_key_outside_its_window_is_forged() -> None:
    """A checkpoint dated outside its key's validity window does not verify."""
    commits, checkpoints = objects()
    entry = KEYRING.keys[0].model_copy(update={"valid_until": T0 + timedelta(minutes=30)})
    report = verify_log(PREFIX, commits, checkpoints, Keyring(keys=(entry,)))
    assert (None, 0, FindingKind.FORGED_CHECKPOINT) in located(report)


def test_program_filter_checks_only_that_program() -> None:
    """--program verifies one program's streams and ignores heads of other programs."""
    store = MemoryObjectStore()
    other = StreamId(program="jag-2017", jurisdiction="stockton-ca")
    build(store, streams=(A, other))
    everything = {k: store.get(k) or b"" for k in store.list_keys(PREFIX)}
    commits = {k: v for k, v in everything.items() if k.startswith(f"{PREFIX}streams/psp-2017/")}
    checkpoints = {k: v for k, v in everything.items() if "checkpoints/" in k}
    report = verify_log(PREFIX, commits, checkpoints, KEYRING, program="psp-2017")
    assert report.ok
    assert report.streams == 1


def test_several_programs_are_verified_together() -> None:
    """`audit verify -p A -p B` reads both programs' streams and leaves a third alone."""
    store = MemoryObjectStore()
    jag = StreamId(program="jag-2017", jurisdiction="stockton-ca")
    third = StreamId(program="jag-2018", jurisdiction="stockton-ca")
    build(store, streams=(A, jag, third))
    report = verify_store(store, PREFIX, KEYRING, programs=["psp-2017", "jag-2017"])
    assert report.ok
    assert report.streams == 2
    assert report.programs == ("psp-2017", "jag-2017")
    assert report.program is None
    one = verify_store(store, PREFIX, KEYRING, programs=["jag-2018"])
    assert (one.streams, one.program) == (1, "jag-2018")


def test_report_json_shape() -> None:
    """The JSON report has ok, findings with program/jurisdiction/seq/kind/detail, and counts."""
    commits, checkpoints = objects()
    _delete_middle(commits, checkpoints)
    document = run(commits, checkpoints).as_json()
    assert document["ok"] is False
    finding = document["findings"][0]
    assert finding["program"] == "psp-2017"
    assert {"program", "jurisdiction", "seq", "kind", "detail"} <= set(finding)
    assert finding["kind"] == "missing"
