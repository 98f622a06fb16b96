"""Objects an insider with S3 write access plants: findings for auditors, refusals for writers.

Issue #13 (H2-H5): a forged, junk or replayed checkpoint stops every writer before it
builds on it; a planted object at an absurd seq is one finding, found without walking
every seq below it.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.errors import DependencyRefusedError
from infra.eventlog.checkpoints import write_checkpoint
from infra.eventlog.log import EventLog
from infra.eventlog.memory_store import MemoryObjectStore
from infra.files.programs import load_program
from infra.platform.settings import REPO_PROGRAMS_DIR
from schemas.audit.verify import VerifyReport, verify_log
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.cumulative_checkpoint import (
    KeyEntry,
    Keyring,
    Signer,
    checkpoint_key,
    parse_checkpoint,
    seal_checkpoint,
)
from schemas.log.streams import StreamId, commit_key
from usecases.status import status_rows

if TYPE_CHECKING:
    from infra.runtime import Runtime

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PREFIX = "log/"
A = StreamId(program="psp-2017", jurisdiction="stockton-ca")
B = StreamId(program="psp-2017", jurisdiction="baltimore-md")
SIGNER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
OTHER = Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
KEYRING = Keyring(
    keys=(
        KeyEntry(
            fingerprint=SIGNER.fingerprint, public_key=SIGNER.public_bytes.hex(), valid_from=T0
        ),
    )
)
FAR = 10**12


@pytest.fixture(autouse=True)
def no_walk_by_seq(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any verifier loop over more seqs than a test log holds objects."""

    def bounded(*args: int) -> range:
        span = builtins.range(*args)
        assert len(span) < 1000, f"walked {len(span)} seqs: a per-seq structure"
        return span

    # By dotted name: the verifier's private modules are not imported outside their package.
    for module in ("schemas.audit._verify_streams", "schemas.audit._verify_checkpoints"):
        monkeypatch.setattr(f"{module}.range", bounded, raising=False)


def _commit(stream: StreamId, seq: int, prev: str) -> bytes:
    payload = LetterSent(
        letter_sha256=f"{seq:064x}", letter_date=T0.date(), response_due=None, delivery="none"
    )
    return seal_commit(
        stream=stream, seq=seq, prev=prev, idempotency_key=f"k{seq}",
        payloads=[payload], time=T0, actor="clerk", signer=SIGNER,
    ).to_bytes()  # fmt: skip


def _log(checkpoints: int = 2) -> EventLog:
    """Streams A and B of four commits each, A then B each followed by a signed checkpoint."""
    log = EventLog(MemoryObjectStore(), PREFIX)
    for hour, stream in enumerate((A, B)):
        prev = GENESIS
        for seq in range(4):
            body = _commit(stream, seq, prev)
            assert log.store.put_if_absent(commit_key(PREFIX, stream, seq), body)
            prev = log.read_stream(stream)[-1].hash
        if hour < checkpoints:
            assert write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=hour + 1))
    return log


def _with(log: EventLog, replace: dict[str, bytes]) -> EventLog:
    """A copy of the log's store with some keys overwritten (an admin's PutObject)."""
    store = MemoryObjectStore()
    for key in log.store.list_keys(PREFIX):
        store.put_if_absent(key, replace.pop(key, b"") or log.store.get(key) or b"")
    for key, body in replace.items():
        store.put_if_absent(key, body)
    return EventLog(store, PREFIX)


def _verify(log: EventLog) -> VerifyReport:
    objects = {key: log.store.get(key) or b"" for key in log.store.list_keys(PREFIX)}
    commits = {k: v for k, v in objects.items() if k.startswith(f"{PREFIX}streams/")}
    checkpoints = {k: v for k, v in objects.items() if k.startswith(f"{PREFIX}checkpoints/")}
    return verify_log(PREFIX, commits, checkpoints, KEYRING)


def _found(report: VerifyReport) -> set[tuple[str | None, int | None, str, str | None]]:
    return {(f.jurisdiction, f.seq, str(f.kind), f.key) for f in report.findings}


def _forged(log: EventLog) -> bytes:
    """Checkpoint 2 by a key outside the keyring, claiming stockton-ca at seq 999."""
    real = parse_checkpoint(log.store.get(checkpoint_key(PREFIX, 1)) or b"")
    heads = {name: (head.seq, head.hash) for name, head in real.heads.items()}
    heads[A.name] = (999, "f" * 64)
    return seal_checkpoint(
        seq=2, time=real.time, heads=heads, prev_signature=real.signature, signer=OTHER
    ).to_bytes()


def _heads(log: EventLog) -> dict[StreamId, tuple[int, str]]:
    head = log.read_stream(A)[-1]
    return {A: (head.seq, head.hash)}


def test_writer_refuses_a_forged_checkpoint() -> None:
    """H2: a checkpoint by an unknown key is never chained onto nor re-signed."""
    log = _log()
    log = _with(log, {checkpoint_key(PREFIX, 2): _forged(log)})
    with pytest.raises(DependencyRefusedError, match="forged_checkpoint"):
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=5), heads=_heads(log))
    assert log.store.get(checkpoint_key(PREFIX, 3)) is None
    assert ("stockton-ca", 999, "truncated", None) not in _found(_verify(log))


def test_junk_checkpoint_is_one_finding_and_refuses_writers() -> None:
    """H4: four junk bytes at the next checkpoint key: one finding by key; writers refuse."""
    log = _with(_log(), {checkpoint_key(PREFIX, 2): b"\x00\xff{["})
    report = _verify(log)
    assert _found(report) == {(None, 2, "bad_format", checkpoint_key(PREFIX, 2))}
    assert report.checkpoints == 2
    with pytest.raises(DependencyRefusedError, match="bad_format"):
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=5), heads=_heads(log))


def test_replayed_checkpoint_labels_only_itself_and_refuses_writers() -> None:
    """H5: the previous checkpoint's bytes over the newest key: only that key is labelled."""
    log = _log()
    log = _with(log, {checkpoint_key(PREFIX, 1): log.store.get(checkpoint_key(PREFIX, 0)) or b""})
    found = _found(_verify(log))
    assert found == {(None, 1, "forged_checkpoint", checkpoint_key(PREFIX, 1))}
    with pytest.raises(DependencyRefusedError, match="replayed"):
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=5), heads=_heads(log))
    assert log.store.get(checkpoint_key(PREFIX, 2)) is None


def test_checkpoint_moving_a_head_back_is_refused() -> None:
    """A validly signed checkpoint that moves a head back is not built on."""
    log = _log()
    real = parse_checkpoint(log.store.get(checkpoint_key(PREFIX, 1)) or b"")
    heads = {name: (head.seq, head.hash) for name, head in real.heads.items()}
    heads[A.name] = (1, "e" * 64)
    back = seal_checkpoint(
        seq=2, time=real.time, heads=heads, prev_signature=real.signature, signer=SIGNER
    )
    log = _with(log, {checkpoint_key(PREFIX, 2): back.to_bytes()})
    with pytest.raises(DependencyRefusedError, match="back"):
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=5), heads=_heads(log))


def test_commit_planted_at_an_absurd_seq_is_one_finding() -> None:
    """H3: a copy of a commit at seq 10^12 is one finding by key; no seq below is walked."""
    log = _log()
    far = commit_key(PREFIX, A, FAR)
    log = _with(log, {far: log.store.get(commit_key(PREFIX, A, 3)) or b""})
    report = _verify(log)
    assert _found(report) == {("stockton-ca", FAR, "stray", far)}
    assert report.commits == 8


def test_junk_planted_at_an_absurd_seq_is_one_finding() -> None:
    """Junk bytes at seq 10^12 of a stream and of the checkpoints: one finding each, by key."""
    far_commit, far_checkpoint = commit_key(PREFIX, B, FAR), checkpoint_key(PREFIX, FAR)
    log = _with(_log(), {far_commit: b"junk", far_checkpoint: b"junk"})
    found = {(seq, kind, key) for _, seq, kind, key in _found(_verify(log))}
    assert found == {(FAR, "bad_format", far_commit), (FAR, "stray", far_checkpoint)}
    with pytest.raises(DependencyRefusedError):
        write_checkpoint(log, SIGNER, time=T0 + timedelta(hours=5), heads=_heads(log))


def test_a_sealed_commit_at_an_absurd_seq_is_one_gap() -> None:
    """A freshly sealed commit claiming seq 10^12 leaves one `missing` finding for the gap."""
    log = _with(_log(), {commit_key(PREFIX, A, FAR): _commit(A, FAR, "0" * 64)})
    found = _found(_verify(log))
    assert found == {("stockton-ca", 4, "missing", None)}
    assert f"4..{FAR - 1}" in next(f.detail for f in _verify(log).findings)


def test_deeply_nested_objects_are_bad_format() -> None:
    """Bytes nested deeper than the JSON parser goes are a finding, not a RecursionError."""
    deep = b"[" * 200_000 + b"]" * 200_000
    log = _with(_log(), {commit_key(PREFIX, A, 4): deep, checkpoint_key(PREFIX, 2): deep})
    found = {(seq, kind) for _, seq, kind, _ in _found(_verify(log))}
    assert found == {(4, "bad_format"), (2, "bad_format")}


def test_status_lists_a_damaged_stream_and_every_other() -> None:
    """H3: a commit planted at seq 10^12 marks one status row damaged; the others are read."""
    log = _log()
    log = _with(log, {commit_key(PREFIX, A, FAR): log.store.get(commit_key(PREFIX, A, 3)) or b""})
    registry = {slug: SimpleNamespace(slug=slug) for slug in ("stockton-ca", "baltimore-md")}
    runtime = cast(
        "Runtime",
        SimpleNamespace(
            log=log,
            registry=lambda: registry,
            require_program=lambda _: None,
            program=lambda program: load_program(REPO_PROGRAMS_DIR, program),
        ),
    )
    rows = {row["jurisdiction"]: row for row in status_rows(runtime, "psp-2017", [])}
    assert rows["baltimore-md"]["damaged"] is None
    assert rows["baltimore-md"]["events"] == 4
    assert rows["stockton-ca"]["step"] == "damaged"
    assert "stockton-ca" in rows["stockton-ca"]["damaged"]
    assert set(rows["stockton-ca"]) == set(rows["baltimore-md"])
