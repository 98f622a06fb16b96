"""The event log over any object store: gapless, put-if-absent commits per stream.

Every read for writing checks the chain and, when a keyring is configured, each commit's
signature: a writer never builds on a commit that no trusted key signed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from infra.errors import ContentionError, DamagedLogError, UntrustedCommitError
from infra.eventlog.store import ObjectStore
from infra.platform.clock import utc_now
from schemas.base.findings import FindingKind
from schemas.log.chain import chain_break
from schemas.log.commit import GENESIS, MAX_COMMIT_BYTES, Commit, parse_commit
from schemas.log.commit_signature import commit_signature_problem
from schemas.log.legacy_commits import attested_hashes, is_legacy
from schemas.log.soundness import CommitProblem, sound_commit
from schemas.log.state import StreamState, fold
from schemas.log.streams import REGISTRY, StreamId, commit_key, parse_commit_key
from schemas.tlog.merkle import leaf_hash

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from schemas.log.cumulative_checkpoint import Keyring, Signer
    from schemas.log.legacy_commits import AttestedHead

__all__ = [
    "CommitKeys",
    "ConflictError",
    "CorruptStreamError",
    "EncodedCommit",
    "EventLog",
    "WriteOutcome",
]


class ConflictError(ContentionError):
    """Another writer committed a different commit at this seq first: re-read and re-decide."""

    def __init__(self, stream: StreamId, seq: int) -> None:
        super().__init__(f"concurrent write to {stream.name} at seq {seq}")
        self.stream = stream
        self.seq = seq


class CorruptStreamError(DamagedLogError):
    """A stream whose stored commits do not chain: writers stop; auditors run `audit verify`."""


class WriteOutcome(StrEnum):
    """What writing one encoded commit found."""

    WRITTEN = "written"
    PRESENT = "present"
    """These very bytes were already there: an earlier attempt of the same write."""
    EQUIVALENT = "equivalent"
    """A commit with the same idempotency key but other bytes (another writer sealed the
    same decision at another time): the stream's head is that commit, not ours."""
    CONFLICT = "conflict"
    """Another writer's commit holds that seq: re-read the stream and decide again."""


@dataclass(frozen=True, slots=True)
class EncodedCommit:
    """A sealed commit as stored: its key, its bytes and the key that tells a retry apart.

    Cheap to hand to another process (a string and bytes), unlike the commit's models.
    """

    key: str
    body: bytes
    idempotency_key: str


@dataclass(frozen=True)
class CommitKeys:
    """The key this writer signs commits with, and the keyring it checks commits read against.

    Both None: commits are written unsigned and read unchecked (no key configured).
    `attestations` loads the heads signed cumulative checkpoints vouch for (legacy `/1`
    commits up to them pass unsigned); it is called at most once per log, and only when a
    legacy commit is read.
    """

    signer: Signer | None = None
    keyring: Keyring | None = None
    attestations: Callable[[], Mapping[str, AttestedHead]] | None = None


class EventLog:
    """Append and read commits; never overwrites, never deletes."""

    def __init__(
        self, store: ObjectStore, prefix: str = "", keys: CommitKeys | None = None
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.keys = keys or CommitKeys()
        self._attested: Mapping[str, AttestedHead] | None = None
        self.written: dict[str, bytes] = {}
        """Leaf hash of every commit this process wrote and the tree has not yet taken:
        integration uses it instead of reading its own commits back (issue #21)."""
        self.written_since: datetime | None = None
        """No later than the writing of any commit in `written`: where the integrator
        starts looking for a rival (a sweep) that took one of them already."""

    def remember(self, key: str, leaf: bytes, since: datetime) -> None:
        """Note a commit written by this process (or its append workers) since `since`."""
        if self.written_since is None or since < self.written_since:
            self.written_since = since
        self.written[key] = leaf

    def forget(self, keys: Iterable[str]) -> None:
        """The tree holds these now: integration no longer needs them."""
        for key in keys:
            self.written.pop(key, None)
        if not self.written:
            self.written_since = None

    def attested_heads(self) -> Mapping[str, AttestedHead]:
        """The legacy heads signed checkpoints vouch for, loaded once (empty without a loader)."""
        if self._attested is None:
            load = self.keys.attestations
            self._attested = {} if load is None else load()
        return self._attested

    def vouched(self, stream: StreamId, commits: Sequence[Commit]) -> frozenset[str]:
        """The hashes of the legacy commits among `commits` that an attested head reaches.

        `commits` must chain (writers check that first); nothing is loaded or walked for a
        stream without a legacy commit.
        """
        if not any(is_legacy(commit) for commit in commits):
            return frozenset()
        return attested_hashes(commits, self.attested_heads().get(stream.name))

    @property
    def signer(self) -> Signer | None:
        """What every commit this writer seals is signed with (None: unsigned)."""
        return self.keys.signer

    def check_signatures(self, stream: StreamId, commits: Sequence[Commit]) -> None:
        """Raise UntrustedCommitError at the first commit no key of the keyring signed.

        The commits must be sound (`sound`): the signature covers the commit's `hash`, and
        soundness is what ties the content to it. A legacy `/1` commit a signed cumulative
        checkpoint attests passes (docs/log-format.md section 8): its hash chain to the
        signed head authenticates it.
        """
        keyring = self.keys.keyring
        if keyring is None:
            return
        vouched: frozenset[str] | None = None
        for commit in commits:
            if vouched is None and is_legacy(commit):
                vouched = self.vouched(stream, commits)
            problem = commit_signature_problem(commit, keyring, vouched or ())
            if problem is not None:
                raise UntrustedCommitError.at(
                    stream.name, commit.seq, problem.kind.value, problem.detail
                )

    def sound(self, stream: StreamId, key: str, raw: bytes) -> Commit:
        """The commit stored at `key` of `stream`, once it is sound (`schemas.log.soundness`).

        An object that is no commit is damage (CorruptStreamError); a commit rewritten or
        moved is refused as untrusted (UntrustedCommitError): an insider who rewrites a
        signed commit's events and keeps its hash and signature is refused here, not only
        by `audit verify`. Both name the `audit verify` finding.
        """
        judged = sound_commit(raw, stream)
        if not isinstance(judged, CommitProblem):
            return judged
        if judged.kind is FindingKind.BAD_FORMAT:
            raise CorruptStreamError(
                f"{stream.name}: {key} is not a commit ({judged.detail}); "
                "run `grantreview audit verify`"
            )
        parsed = parse_commit_key(self.prefix, key)
        seq = -1 if parsed is None else parsed[1]
        raise UntrustedCommitError.at(stream.name, seq, judged.kind.value, judged.detail)

    def _parse(
        self, stream: StreamId, keys: Sequence[str], bodies: Sequence[bytes | None]
    ) -> list[Commit]:
        """The listed commits that still exist, each once it is shown sound."""
        return [
            self.sound(stream, key, body)
            for key, body in zip(keys, bodies, strict=True)
            if body is not None
        ]

    def append(self, commit: Commit) -> bool:
        """Write `commit`: True if written, False if the same commit (idempotency key) was there."""
        outcome = self.write(self.encode(commit), since=min(commit.time, utc_now()))
        if outcome is WriteOutcome.CONFLICT:
            raise ConflictError(_stream_of(commit), commit.seq)
        return outcome is WriteOutcome.WRITTEN  # PRESENT, EQUIVALENT: the same commit was there

    def encode(self, commit: Commit, *, checked: bool = False) -> EncodedCommit:
        """The key and canonical bytes `commit` is stored as.

        `checked`: `commit` was just sealed from payloads `CANONICAL_BY_TYPE` (see
        `Commit.to_bytes`).
        """
        key = commit_key(self.prefix, _stream_of(commit), commit.seq)
        return EncodedCommit(key, commit.to_bytes(checked=checked), commit.idempotency_key)

    def write(self, commit: EncodedCommit, since: datetime | None = None) -> WriteOutcome:
        """Write an encoded commit if its key is free; never overwrites.

        `since`: no later than the commit's sealing (default: now, before the write).
        """
        since = since or utc_now()
        if self.store.put_if_absent(commit.key, commit.body):
            self.remember(commit.key, leaf_hash(commit.body), since)
            return WriteOutcome.WRITTEN
        existing = self.store.get(commit.key, limit=MAX_COMMIT_BYTES)
        if existing is None:
            return WriteOutcome.CONFLICT
        if existing == commit.body:
            return WriteOutcome.PRESENT
        if parse_commit(existing).idempotency_key == commit.idempotency_key:
            return WriteOutcome.EQUIVALENT
        return WriteOutcome.CONFLICT

    def read_stream(self, stream: StreamId, after: StreamState | None = None) -> list[Commit]:
        """The stream's commits in order (only those after `after`'s head, if given)."""
        start = None
        if after is not None and after.head_seq >= 0:
            start = commit_key(self.prefix, stream, after.head_seq)
        keys = list(self.store.list_keys(stream.key_prefix(self.prefix), start_after=start))
        commits = self._parse(stream, keys, self.store.get_many(keys, limit=MAX_COMMIT_BYTES))
        _check_chain(stream, commits, after)
        self.check_signatures(stream, commits)
        return commits

    def state(self, stream: StreamId, start: StreamState | None = None) -> StreamState:
        """The stream's current state, continuing from `start` when given."""
        return fold(stream, self.read_stream(stream, after=start), start)

    def list_programs(self) -> list[str]:
        """Programs that have at least one stream (the registry excluded)."""
        folders = self.store.list_folders(f"{self.prefix}streams/")
        names = [folder.rstrip("/").rsplit("/", 1)[-1] for folder in folders]
        return [name for name in names if name != REGISTRY]

    def list_streams(self, program: str) -> list[StreamId]:
        """Every stream of `program`, sorted by jurisdiction."""
        folders = self.store.list_folders(f"{self.prefix}streams/{program}/")
        names = [folder.rstrip("/").rsplit("/", 1)[-1] for folder in folders]
        return [StreamId(program=program, jurisdiction=name) for name in names]

    def read_program(self, program: str) -> dict[StreamId, list[Commit]]:
        """Every commit of every stream of `program`: one paged listing, concurrent GETs."""
        by_stream: dict[StreamId, list[str]] = defaultdict(list)
        for key in self.store.list_keys(f"{self.prefix}streams/{program}/"):
            parsed = parse_commit_key(self.prefix, key)
            if parsed is not None:
                by_stream[parsed[0]].append(key)
        keys = [key for stream_keys in by_stream.values() for key in stream_keys]
        bodies = iter(self.store.get_many(keys, limit=MAX_COMMIT_BYTES))
        result: dict[StreamId, list[Commit]] = {}
        for stream, stream_keys in by_stream.items():
            commits = self._parse(stream, stream_keys, [next(bodies) for _ in stream_keys])
            _check_chain(stream, commits, None)
            self.check_signatures(stream, commits)
            result[stream] = commits
        return result

    def states(self, streams: Iterable[StreamId]) -> dict[StreamId, StreamState]:
        """Current state of many streams, reading them concurrently; any untrusted one raises."""
        states, refused = self.trusted_states(streams)
        if refused:
            raise next(iter(refused.values()))
        return states

    def trusted_states(
        self, streams: Iterable[StreamId], *, workers: int | None = None
    ) -> tuple[
        dict[StreamId, StreamState], dict[StreamId, UntrustedCommitError | CorruptStreamError]
    ]:
        """Current states of the streams whose commits are trusted, and why the others are not.

        A batch writer goes on with the trusted streams and reports the refused ones; a
        damaged stream (an object that is no commit, or does not chain: issue #13, H3) is
        set aside the same way, with its CorruptStreamError. `workers` caps the reading
        threads (default the store's own `max_workers`): chunks read side by side share one
        S3 connection pool.
        """
        wanted = list(streams)
        cap = min(self.store.max_workers, workers or self.store.max_workers)
        workers = max(1, min(cap, len(wanted)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            keys_per_stream = list(
                pool.map(lambda s: list(self.store.list_keys(s.key_prefix(self.prefix))), wanted)
            )
        flat = [key for keys in keys_per_stream for key in keys]
        bodies = iter(self.store.get_many(flat, workers=workers, limit=MAX_COMMIT_BYTES))
        result: dict[StreamId, StreamState] = {}
        refused: dict[StreamId, UntrustedCommitError | CorruptStreamError] = {}
        for stream, keys in zip(wanted, keys_per_stream, strict=True):
            try:
                commits = self._parse(stream, keys, [next(bodies) for _ in keys])
                _check_chain(stream, commits, None)
                self.check_signatures(stream, commits)
            except (UntrustedCommitError, CorruptStreamError) as error:
                refused[stream] = error
                continue
            result[stream] = fold(stream, commits)
        return result, refused


def _stream_of(commit: Commit) -> StreamId:
    program, _, jurisdiction = commit.stream.partition("/")
    return StreamId(program=program, jurisdiction=jurisdiction)


def _check_chain(stream: StreamId, commits: Sequence[Commit], after: StreamState | None) -> None:
    """Refuse a stream whose commits do not chain (from `after`'s head when given)."""
    start = (0, GENESIS) if after is None else (after.head_seq + 1, after.head_hash)
    broken = chain_break(stream, commits, seq=start[0], prev=start[1])
    if broken is not None:
        raise CorruptStreamError(
            f"{stream.name}: commit {broken.commit.seq} does not follow seq {broken.seq - 1}; "
            "run `grantreview audit verify`"
        )
