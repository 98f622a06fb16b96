"""Gather a log for replay: partitioned listings, concurrent GETs, documents by hash, streamed.

The pure core decides (schemas/_verify_*.py for integrity, schemas/replay.py for
re-derivation). This module reads stream by stream through a bounded window of
concurrent fetches, so memory holds a window of commits and the per-stream summaries,
never the whole log. It works on S3 and on a downloaded copy alike.
"""

from __future__ import annotations

import itertools
import re
import string
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from infra.eventlog.documents import document_key
from infra.eventlog.s3_store import S3ObjectStore
from schemas._findings import Finding, FindingKind, stream_finding
from schemas._verify_checkpoints import check_checkpoints
from schemas._verify_streams import StreamCheck, check_stream
from schemas.commit import Commit, CommitFormatError, parse_commit
from schemas.replay import (
    Moments,
    ProgramCatalog,
    RegistryHistory,
    ReplayFinding,
    replay_stream,
)
from schemas.report import ReplayAccumulator, ReplayReport
from schemas.streams import REGISTRY, StreamId, parse_commit_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from infra.eventlog.store import ObjectStore
    from schemas.checkpoint import Keyring

__all__ = ["list_keys_fast", "replay_store"]

_PARTITIONS: Final = sorted(string.digits + string.ascii_lowercase + "_")
_RESPONSE_SHA: Final = re.compile(rb'"response_sha256":"([0-9a-f]{64})"')
_PROGRAM_SHA: Final = re.compile(rb'"program_sha256":"([0-9a-f]{64})"')
Objects = dict[int, tuple[str, bytes]]


def _list_range(store: ObjectStore, folder: str, start: str | None, stop: str | None) -> list[str]:
    """Keys under `folder` in [start, stop): S3 pages stop early, other stores filter."""
    if not isinstance(store, S3ObjectStore):
        return [k for k in store.list_keys(folder, start) if stop is None or k < stop]
    keys: list[str] = []
    arguments: dict[str, Any] = {"Bucket": store.bucket, "Prefix": folder}
    if start is not None:
        arguments["StartAfter"] = start
    while True:
        page = store.client.list_objects_v2(**arguments)
        for item in page.get("Contents", []):
            if stop is not None and item["Key"] >= stop:
                return keys
            keys.append(item["Key"])
        if not page.get("IsTruncated"):
            return keys
        arguments["ContinuationToken"] = page["NextContinuationToken"]


def list_keys_fast(store: ObjectStore, folders: Sequence[str], workers: int) -> list[str]:
    """Every key under `folders`, each split into key ranges listed concurrently (S3 only)."""
    ranges: list[tuple[str, str | None, str | None]] = []
    for folder in folders:
        if not isinstance(store, S3ObjectStore):
            ranges.append((folder, None, None))
            continue
        bounds: list[str | None] = [None, *(folder + c for c in _PARTITIONS), None]
        ranges.extend((folder, a, b) for a, b in itertools.pairwise(bounds))
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ranges) or 1))) as pool:
        parts = pool.map(lambda r: _list_range(store, *r), ranges)
        return [key for part in parts for key in part]


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
            body = self.store.get(key)
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


def _intact_commits(objects: Objects, check: StreamCheck) -> list[Commit]:
    """The commits verification found intact, in seq order (one per seq)."""
    commits: dict[int, Commit] = {}
    for _, (_, raw) in sorted(objects.items()):
        try:
            commit = parse_commit(raw)
        except CommitFormatError:
            continue
        if (
            commit.hash in check.hashes.get(commit.seq, set())
            and commit.stream == check.stream.name
        ):
            commits.setdefault(commit.seq, commit)
    return [commits[seq] for seq in sorted(commits)]


def _head_findings(check: StreamCheck, stated: Iterable[tuple[int, str]]) -> list[Finding]:
    """Every head a trusted checkpoint states must still be in the stream (as `audit verify`)."""
    located = {finding.seq for finding in check.findings}
    findings: list[Finding] = []
    for seq, digest in sorted(set(stated)):
        if check.holds(seq, digest) or seq in located:
            continue
        if check.top < seq:
            detail = f"the stream ends at seq {check.top}; a checkpoint covers up to seq {seq}"
            findings.append(stream_finding(check.stream, seq, FindingKind.TRUNCATED, detail))
        else:
            detail = "differs from the commit a checkpoint covers: history was rewritten"
            findings.append(stream_finding(check.stream, seq, FindingKind.MODIFIED, detail))
        located.add(seq)
    return findings


def _group(
    prefix: str, keys: Iterable[str], acc: ReplayAccumulator
) -> dict[StreamId, dict[int, str]]:
    streams: dict[StreamId, dict[int, str]] = {}
    for key in keys:
        parsed = parse_commit_key(prefix, key)
        if parsed is None:
            detail = "not a commit key (streams/{program}/{jurisdiction}/{seq:020d}.json)"
            finding = Finding(
                program=None,
                jurisdiction=None,
                seq=None,
                kind=FindingKind.BAD_FORMAT,
                detail=detail,
                key=key,
            )
            acc.add_findings([ReplayFinding.from_integrity(finding)])
            continue
        streams.setdefault(parsed[0], {})[parsed[1]] = key
    return streams


@dataclass
class _Replayer:
    reader: _Reader
    acc: ReplayAccumulator
    stated: dict[str, list[tuple[int, str]]]
    keyring: Keyring
    registry: RegistryHistory = field(default_factory=RegistryHistory)

    def verify(self, fetched: _Fetched) -> tuple[StreamCheck, list[Commit]]:
        check = check_stream(fetched.stream, fetched.objects, self.keyring)
        findings = [
            *check.findings,
            *_head_findings(check, self.stated.pop(fetched.stream.name, [])),
        ]
        self.acc.add_findings(ReplayFinding.from_integrity(f) for f in findings)
        return check, _intact_commits(fetched.objects, check)

    def replay(self, fetched: _Fetched) -> None:
        check, commits = self.verify(fetched)
        replayed, findings = replay_stream(
            fetched.stream,
            commits,
            programs=ProgramCatalog(self.reader.programs),
            responses=fetched.responses,
            registry=self.registry,
            moments=self.acc.moments,
        )
        self.acc.add_findings(findings)
        self.acc.add_stream(replayed, check.commits, check.events)


def _stream_keys(
    store: ObjectStore, prefix: str, programs: Sequence[str], workers: int, acc: ReplayAccumulator
) -> dict[StreamId, dict[int, str]]:
    if not programs:
        folders = store.list_folders(f"{prefix}streams/")
    else:
        folders = [f"{prefix}streams/{name}/" for name in sorted({*programs, REGISTRY})]
    return _group(prefix, list_keys_fast(store, folders, workers), acc)


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
) -> ReplayReport:
    """Verify, then re-derive and fold every selected stream; the registry is always read."""
    acc = ReplayAccumulator(moments or Moments(), tuple(programs), tuple(jurisdictions))
    checkpoint_keys = list(store.list_keys(f"{prefix}checkpoints/"))
    bodies = store.get_many(checkpoint_keys)
    objects = {k: b for k, b in zip(checkpoint_keys, bodies, strict=True) if b is not None}
    integrity, trusted = check_checkpoints(prefix, objects, keyring)
    acc.add_findings(ReplayFinding.from_integrity(f) for f in integrity)
    acc.checkpoints = len(trusted)
    stated: dict[str, list[tuple[int, str]]] = {}
    for checkpoint in trusted:
        for name, head in checkpoint.heads.items():
            stated.setdefault(name, []).append((head.seq, head.hash))
    streams = _stream_keys(store, prefix, programs, workers, acc)
    reader = _Reader(store, prefix)
    replayer = _Replayer(reader, acc, stated, keyring)
    registry_stream = StreamId.registry()
    registry = reader.fetch(registry_stream, streams.pop(registry_stream, {}))
    check, commits = replayer.verify(registry)
    replayer.registry = RegistryHistory(commits)
    acc.add_stream(None, check.commits, check.events)
    chosen = set(jurisdictions)
    work = sorted(
        ((s, keys) for s, keys in streams.items() if not chosen or s.jurisdiction in chosen),
        key=lambda item: item[0].name,
    )
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for fetched in _window(pool, reader, work, size=4 * max(1, workers)):
            replayer.replay(fetched)
    _unseen_heads(replayer.stated, programs, chosen, acc)
    if not trusted and acc.commits:
        missing = Finding(
            program=None,
            jurisdiction=None,
            seq=None,
            kind=FindingKind.MISSING,
            detail="no valid checkpoint: nothing in this log is signed",
        )
        acc.add_findings([ReplayFinding.from_integrity(missing)])
    return acc.report()


def _unseen_heads(
    stated: dict[str, list[tuple[int, str]]],
    programs: Sequence[str],
    chosen: set[str],
    acc: ReplayAccumulator,
) -> None:
    """Streams a trusted checkpoint names that the log no longer holds at all."""
    for name, heads in sorted(stated.items()):
        program, _, jurisdiction = name.partition("/")
        if (programs and program not in programs) or (chosen and jurisdiction not in chosen):
            continue
        try:
            stream = StreamId(program=program, jurisdiction=jurisdiction)
        except ValueError:
            continue
        findings = _head_findings(StreamCheck(stream), heads)
        acc.add_findings(ReplayFinding.from_integrity(f) for f in findings)
