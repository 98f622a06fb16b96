"""Gather a log for replay: partitioned listings, concurrent GETs, documents by hash, streamed.

The pure core decides (schemas/audit/auditor.py, the audit pass `audit verify` runs too, for
integrity; schemas/replay/rederive.py for re-derivation). This module reads stream by stream
through a bounded window of concurrent fetches, so memory holds a window of commits and
the per-stream summaries, never the whole log. It works on S3 and on a downloaded copy alike.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from infra.eventlog.documents import DocumentStore, document_key
from infra.eventlog.listing import list_partitioned, read_all
from infra.eventlog.tlog_store import read_tlog
from infra.platform import progress
from infra.platform.clock import utc_now
from infra.platform.version import grantreview_version
from schemas.audit.auditor import LogAuditor, StreamCheck, intact_commits
from schemas.base.errors import InputError
from schemas.log.commit import MAX_COMMIT_BYTES
from schemas.log.cumulative_checkpoint import MAX_CHECKPOINT_BYTES
from schemas.log.streams import REGISTRY, StreamId
from schemas.replay.rederive import (
    Moments,
    ProgramCatalog,
    RegistryHistory,
    ReplayFinding,
    replay_stream,
)
from schemas.replay.report import AuditContext, CheckpointSeen, ReplayAccumulator, ReplayReport
from usecases.audit_scope import missing_from_log

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from infra.eventlog.store import ObjectStore
    from schemas.log.commit import Commit
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = ["replay_store"]

_RESPONSE_SHA: Final = re.compile(rb'"(?:response|notice|html|preview)_sha256":"([0-9a-f]{64})"')
"""The documents a stream cites that replay reads back: responses, notices (both forms) and
the preview an added order was signed over."""
_PROGRAM_SHA: Final = re.compile(rb'"program(?:_before)?_sha256":"([0-9a-f]{64})"')
Objects = dict[int, tuple[str, bytes]]


@dataclass
class _Fetched:
    stream: StreamId
    objects: Objects
    responses: dict[str, bytes | None]


@dataclass
class _Reader:
    """The I/O side: fetch a stream's commits and the documents they cite."""

    store: ObjectStore
    prefix: str
    programs: dict[str, bytes | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fetch(self, stream: StreamId, keys: dict[int, str]) -> _Fetched:
        objects: Objects = {}
        responses: dict[str, bytes | None] = {}
        for seq, key in sorted(keys.items()):
            body = self.store.get(key, limit=MAX_COMMIT_BYTES)
            if body is None:
                continue
            objects[seq] = (key, body)
            for sha in _RESPONSE_SHA.findall(body):
                if sha.decode() not in responses:
                    responses[sha.decode()] = self.store.get(
                        document_key(self.prefix, sha.decode())
                    )
            for sha in _PROGRAM_SHA.findall(body):
                self._program(sha.decode())
        return _Fetched(stream, objects, responses)

    def _program(self, sha: str) -> None:
        with self.lock:
            if sha in self.programs:
                return
        body = self.store.get(document_key(self.prefix, sha))
        with self.lock:
            self.programs.setdefault(sha, body)


@dataclass
class _Replayer:
    reader: _Reader
    acc: ReplayAccumulator
    auditor: LogAuditor
    registry: RegistryHistory = field(default_factory=RegistryHistory)
    programs: ProgramCatalog = field(init=False)

    def __post_init__(self) -> None:
        self.programs = ProgramCatalog(self.reader.programs)  # one for all streams: parsed once

    def verify(self, fetched: _Fetched) -> tuple[StreamCheck, list[Commit]]:
        audited = self.auditor.audit(fetched.stream, fetched.objects)
        self.acc.add_findings(ReplayFinding.from_integrity(f) for f in audited.findings)
        return audited.check, intact_commits(fetched.objects, audited.check)

    def replay(self, fetched: _Fetched) -> None:
        check, commits = self.verify(fetched)
        replayed, findings = replay_stream(
            fetched.stream,
            commits,
            programs=self.programs,
            responses=fetched.responses,
            registry=self.registry,
            moments=self.acc.moments,
        )
        self.acc.add_findings(findings)
        self.acc.add_stream(replayed, check.commits, check.events)


def _stream_keys(
    store: ObjectStore, prefix: str, programs: Sequence[str], workers: int
) -> list[str]:
    """Every commit key of the selected programs (and the registry), in concurrent ranges."""
    if not programs:
        folders = store.list_folders(f"{prefix}streams/")
    else:
        folders = [f"{prefix}streams/{name}/" for name in sorted({*programs, REGISTRY})]
    return list_partitioned(store, folders, workers)


def _window(
    pool: ThreadPoolExecutor,
    reader: _Reader,
    work: Iterable[tuple[StreamId, dict[int, str]]],
    size: int,
) -> Iterator[_Fetched]:
    """Fetched streams in order, at most `size` in flight: bounded memory, busy connections."""
    pending: deque[Future[_Fetched]] = deque()
    for stream, keys in work:
        pending.append(pool.submit(reader.fetch, stream, keys))
        if len(pending) >= size:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def replay_store(
    store: ObjectStore,
    prefix: str,
    keyring: Keyring,
    *,
    programs: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
    moments: Moments | None = None,
    workers: int = 32,
    audited: str = "",
) -> ReplayReport:
    """Verify, then re-derive and fold every selected stream; the registry is always read.

    A program or jurisdiction not in the log is refused (`InputError`, exit 2) unless the
    audit found something: a stream deleted from a signed log is a finding, not a typo.

    `audited` names the log for the report's header (`s3://bucket/prefix`, or a folder).
    """
    unknown = missing_from_log(store, prefix, programs, jurisdictions)
    acc = ReplayAccumulator(moments or Moments(), tuple(programs), tuple(jurisdictions))
    acc.context = AuditContext(
        log=audited or f"(prefix {prefix!r})",
        generated_at=utc_now(),
        version=grantreview_version(),
        key_fingerprints=tuple(key.fingerprint for key in keyring.keys),
    )
    chosen = set(jurisdictions)
    auditor = LogAuditor.start(
        prefix,
        read_all(store, f"{prefix}checkpoints/", limit=MAX_CHECKPOINT_BYTES),
        keyring,
        selected=lambda s: (
            (not programs or s.program in programs) and (not chosen or s.jurisdiction in chosen)
        ),
        documents=DocumentStore(store, prefix).get,
        tlog=read_tlog(store, prefix),
    )
    acc.add_findings(ReplayFinding.from_integrity(f) for f in auditor.checkpoint_findings)
    acc.checkpoints = len(auditor.trusted)
    newest = auditor.newest
    if newest is not None:
        acc.newest_checkpoint = CheckpointSeen(
            newest.seq, newest.time, newest.signature, newest.key_fingerprint
        )
    streams, bad_keys = auditor.group(_stream_keys(store, prefix, programs, workers))
    acc.add_findings(ReplayFinding.from_integrity(f) for f in bad_keys)
    reader = _Reader(store, prefix)
    replayer = _Replayer(reader, acc, auditor)
    registry_stream = StreamId.registry()
    registry = reader.fetch(registry_stream, streams.pop(registry_stream, {}))
    check, commits = replayer.verify(registry)
    replayer.registry = RegistryHistory(commits)
    acc.add_stream(None, check.commits, check.events)
    work = sorted(
        ((s, keys) for s, keys in streams.items() if not chosen or s.jurisdiction in chosen),
        key=lambda item: item[0].name,
    )
    progress.expect(len(work), "replaying streams")
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for fetched in _window(pool, reader, work, size=4 * max(1, workers)):
            replayer.replay(fetched)
            progress.advance()
    end = auditor.finish()
    tlog = end.tlog
    if tlog is not None and tlog.head is not None and tlog.time is not None:
        acc.newest_checkpoint = CheckpointSeen(  # after the cut-over the auditor keeps this one
            tlog.head.size, tlog.time, tlog.signature or "", tlog.key_fingerprint or "", tlog=True
        )
    acc.add_findings(ReplayFinding.from_integrity(f) for f in [*end.unseen, *end.log_wide])
    acc.attested_legacy_commits = auditor.attested_legacy
    acc.attesting_checkpoints = tuple(sorted(auditor.attesting))
    acc.untrusted_signers = auditor.untrusted_signers
    report = acc.report()
    if unknown is not None and report.ok:
        raise InputError(unknown)
    return report
