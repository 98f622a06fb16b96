"""Shared steps of the reevaluation flows: chunked revision, the report, progress."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from threading import Thread
from typing import Any, Self, TypeVar, cast, overload

from prefect.futures import PrefectFuture, as_completed
from prefect.settings import get_current_settings
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.chunks import guided
from infra.eventlog.log import WriteOutcome
from infra.index.state_index import LoadedStates
from infra.platform import progress
from infra.platform.clock import utc_now
from infra.platform.heap import long_lived_heap
from infra.platform.logging import get_logger
from infra.runtime import get_runtime
from schemas.events.catalog import ReevaluationCompleted
from schemas.log.commit import CommitHead
from schemas.log.state import StreamState, advance
from schemas.planning.reevaluation import (
    DueRevision,
    Findings,
    RevisionStatus,
    StreamReevaluation,
    notices_due,
)
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.tlog.merkle import leaf_hash
from tasks.reevaluation import (
    Encoded,
    Revisions,
    append_revisions,
    prepare_writer,
    write_commits,
)
from usecases.stream_outcome import StreamOutcome

__all__ = [
    "PARALLEL_CHUNKS",
    "Listed",
    "ReevaluationReport",
    "WriterPool",
    "appended_outcomes",
    "build_report",
    "progress_hook",
    "quoted",
    "revise_all",
]

PARALLEL_CHUNKS = 4
"""Chunk tasks in flight at once in one process; each appends with s3_max_workers / 4 threads."""

FIRST_CHUNK = 200
"""Revisions in a run's first chunk: small, so the first commits are written as soon as they
are found (a full chunk took ~1 s to evaluate and seal while nothing was written)."""

CHUNKS_PER_WRITER = 2
"""Chunks the revisions left make per writing chunk (guided self-scheduling): each pool
chunk costs ~0.2 s of Prefect's context handling (~0.1 s in each process), so few and large
while many remain; the last ones small, so no writer waits on another's large last chunk."""

PROCESSES_FROM = 2_000
"""Revisions from which Prefect's process pool appends beside this process's threads.

Appending is CPU-bound in the client (request signing, sealing) and one interpreter runs
one thread at a time: 20,000 revisions took 45 s from two processes, 56 s from threads of
one (benchmarks/reevaluate.py). Below this, starting them (2-3 s) costs more than it saves.
Decided on the revisions estimated from the first chunk (`Findings.estimate`).
"""

progress_hook: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "reevaluation_progress", default=None
)
"""Set by the CLI on a terminal to draw a progress bar: called with (streams done, total)."""

_log = get_logger(__name__)
T = TypeVar("T")


def quoted(value: T) -> T:
    """Hand `value` to a task without Prefect walking it (visiting 20,000 states costs seconds)."""
    return cast("T", quote(value))


class Listed(Sequence[T]):
    """A report's list of findings, in a box Prefect does not walk.

    Prefect walks a flow's return value for futures (lists, dataclasses, models): the
    20,000 findings of a national run took it ~2.5 s after the last commit was written.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._items = tuple(items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Listed):
            return self._items == other._items
        return isinstance(other, (list, tuple)) and self._items == tuple(other)

    # Equal to lists, so not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Listed({list(self._items)!r})"


@dataclass(frozen=True)
class ReevaluationReport:
    """What a run found and wrote: counts, every change, every overridden difference."""

    program: str
    as_of: datetime
    known_at: datetime
    dry_run: bool
    program_sha256: str
    rule_set_version: int | None
    counts: dict[str, int]
    changes: Listed[StreamReevaluation]
    overridden: Listed[StreamReevaluation]
    outcomes_sha256: str
    run_record_seq: int | None
    index: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    damaged: dict[str, str] = field(default_factory=dict)
    """Streams set aside unread (jurisdiction: why); every other one was reevaluated."""
    notices_due: int = 0
    """Revision notices the revisions made due (would make, in a dry run): reevaluate writes
    none; `grantreview review --program P` or the next deadlines run sends them."""

    @property
    def notices_sent_by(self) -> str | None:
        """Which command or run sends the due revision notices (None when none are due)."""
        if not self.notices_due:
            return None
        command = f"grantreview review --program {self.program} --all"
        return f"{command}, or the next scheduled deadlines run"


class _Progress:
    """Streams done out of `total`: the CLI's bar on a terminal, else a log line per tenth."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._logged = 0
        progress.expect(total, "reevaluating streams")

    def advance(self, count: int) -> None:
        """Count `count` more streams done and report."""
        self.done += count
        progress.advance(count)
        hook = progress_hook.get()
        if hook is not None:
            hook(self.done, self.total)
        elif self.done == self.total or self.done - self._logged >= max(1, self.total // 10):
            self._logged = self.done
            _log.info("reevaluation_progress", done=self.done, total=self.total)


def revise_all(
    program: str,
    pairs: list[tuple[StreamState, Jurisdiction | None]],
    as_of: datetime,
    known_at: datetime,
    *,
    dry_run: bool,
    flow_run_id: str | None,
    pool: WriterPool | None = None,
) -> tuple[list[StreamReevaluation], list[StreamState]]:
    """Evaluate `pairs` in memory, then append the revisions that changed (unless `dry_run`).

    Evaluation is lazy: the appends take revisions as they are found, so the run holds the
    evaluations of the chunks in flight, not all of them (at 20,000 revisions that was
    ~100 MB), and the first commits are written while later streams are still evaluated.
    `pool`: a process pool the flow started early (see `WriterPool`), else one is started
    here if the run needs it. Returns every finding and the states of the streams appended to.
    """
    bundle = get_runtime().program(program)
    with long_lived_heap():
        progress = _Progress(len(pairs))
        findings = Findings(pairs, bundle, as_of, known_at, on_done=progress.advance)
        appended: list[StreamState] = []
        if dry_run:
            for _ in findings.revisions():
                progress.advance(1)
        else:
            writing = _Writing(flow_run_id, pool or WriterPool(0), progress)
            _append(bundle, findings, as_of, known_at, writing, appended)
        findings.settle()
    return list(findings.results.values()), appended


@dataclass(frozen=True, slots=True)
class _Writing:
    """How a run's appends are made: its flow run, the pool for other processes, its progress."""

    flow_run_id: str | None
    pool: WriterPool
    progress: _Progress


def _append(  # noqa: PLR0917 - the run's inputs and where its findings go
    bundle: ProgramBundle,
    findings: Findings,
    as_of: datetime,
    known_at: datetime,
    writing: _Writing,
    appended: list[StreamState],
) -> None:
    """Seal each chunk's commits here, write them in `write_commits` tasks, fold the outcomes.

    Revisions are taken from `findings` as they are found, a chunk at a time: the run
    holds the evaluations of the chunks in flight. The first chunk is small (FIRST_CHUNK)
    and goes to this process's threads, so writing starts at once; whether other
    processes write too is decided on the revisions it lets `findings` estimate, and
    their chunks are handed out next, so the pool starts while the first chunk is written.

    The writers (`_lanes`) are threads of this process, and for large runs Prefect's
    process pool beside them; the flow seals the next chunks while they write (two per
    chunk being written are in flight, which bounds memory). A stream whose head is now
    another writer's commit (a conflict, or the same revision sealed by another run) is
    appended again at the end, planned on the stream as it then is.
    """
    revisions = findings.revisions()
    first = list(islice(revisions, FIRST_CHUNK))
    if not first:
        return
    runtime = get_runtime()
    flow_run_id, progress = writing.flow_run_id, writing.progress
    lanes = _lanes(_processes(findings.estimate()), runtime.settings.s3_max_workers, writing.pool)
    in_turn = sum(lane.writing for lane in lanes)
    chunks = chain([first], guided(revisions, findings.estimate, parts=CHUNKS_PER_WRITER * in_turn))
    conflicted: list[DueRevision] = []
    pending: dict[PrefectFuture[list[WriteOutcome]], _InFlight] = {}

    def submit_next(lane: _Lane) -> None:
        """Seal the next chunk and hand it to `lane` (a bounded number are in flight)."""
        chunk = next(chunks, None)
        if chunk is not None:
            sealed_from = utc_now()
            commits = [
                item.draft.seal_on(
                    item.state,
                    time=utc_now(),
                    actor=runtime.settings.actor,
                    flow_run_id=flow_run_id,
                    signer=runtime.log.signer,
                )
                for item in chunk
            ]
            encoded = Encoded(
                [
                    runtime.log.encode(commit, checked=item.draft.canonical_by_type)
                    for item, commit in zip(chunk, commits, strict=True)
                ]
            )
            params = {"commits": encoded, "writers": lane.writers}
            future = lane.runner.submit(write_commits, params)
            leaves = [(item.key, leaf_hash(item.body)) for item in encoded.items]
            heads = [commit.head for commit in commits]  # events: bytes now
            pending[future] = _InFlight(chunk, heads, leaves, sealed_from, lane)

    with ExitStack() as writers:  # closed here on an error, else beside the run's last steps
        for lane in lanes:
            if lane.started:  # the flow's `WriterPool`, now ours to shut down
                writers.push(lane.runner)
            else:
                writers.enter_context(lane.runner)
        for lane in _first_turns(lanes):
            submit_next(lane)
        while pending:
            future = next(as_completed(list(pending)))
            flight = pending.pop(future)
            submit_next(flight.lane)
            before = len(conflicted)
            _fold(flight, future.result(), findings.results, appended, conflicted)
            progress.advance(len(flight.chunk) - (len(conflicted) - before))
        _close_in_background(writers.pop_all())
    if conflicted:
        again = append_revisions(
            bundle, Revisions(conflicted), as_of, known_at, flow_run_id=flow_run_id
        )
        for finding in again.results:
            findings.results[finding.jurisdiction] = finding
        appended.extend(again.appended)
        progress.advance(len(conflicted))


def _close_in_background(writers: ExitStack) -> None:
    """Shut the writers down while the run goes on: every chunk is written by now.

    The process pool's shutdown waits for its worker to exit (0.6 s of the run's last
    seconds, measured at 8,000). A thread that is not a daemon, so the interpreter waits
    for it before exiting; a failure to shut down is logged, never lost.
    """

    def close() -> None:
        try:
            writers.close()
        except Exception:  # noqa: BLE001 - the run's writes are done; only the shutdown failed
            _log.exception("writers_shutdown_failed")

    context = copy_context()  # Prefect's runners log through the flow run's context
    Thread(target=context.run, args=(close,), name="reevaluation-writers-shutdown").start()


def _first_turns(lanes: list[_Lane]) -> list[_Lane]:
    """Which lane takes each of the first chunks, in order.

    Two per writing chunk (one writes, one waits), the lanes taking turns, so every lane
    is writing before any has its second.
    """
    return [lane for _ in range(2) for lane in lanes for _ in range(lane.writing)]


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A chunk handed to a writer: its revisions, commit heads and (key, leaf hash) pairs.

    A process-pool writer's `EventLog` is not this one: the flow remembers what was
    written, so the integrator takes it from memory (issue #21).
    """

    chunk: list[DueRevision]
    heads: list[CommitHead]
    leaves: list[tuple[str, bytes]]
    sealed_from: datetime
    lane: _Lane


def _fold(
    flight: _InFlight,
    outcomes: list[WriteOutcome],
    results: dict[str, StreamReevaluation],
    appended: list[StreamState],
    conflicted: list[DueRevision],
) -> None:
    """Fold a written chunk's outcomes: states advanced, conflicts kept to plan again."""
    log = get_runtime().log
    for (key, leaf), outcome in zip(flight.leaves, outcomes, strict=True):
        if outcome is WriteOutcome.WRITTEN:  # integrated from memory, never read back
            log.remember(key, leaf, flight.sealed_from)
    for item, commit, outcome in zip(flight.chunk, flight.heads, outcomes, strict=True):
        if outcome in {WriteOutcome.WRITTEN, WriteOutcome.PRESENT}:  # our bytes
            results[item.state.stream.jurisdiction] = item.found
            appended.append(advance(item.state, commit, item.draft.payloads, keep_evaluation=False))
        else:  # the head is another writer's commit: read it, plan again
            conflicted.append(item)


@dataclass(frozen=True, slots=True)
class _Lane:
    """Where chunks are written: a task runner, how many chunks it writes at once, threads each.

    `started`: the runner is running already (the flow's `WriterPool`).
    """

    runner: TaskRunner[Any]
    writing: int
    writers: int
    started: bool = False


def _lanes(processes: int, threads: int, pool: WriterPool) -> list[_Lane]:
    """The writers of a run's appends, `threads` S3 threads shared among them.

    One process: chunks in PARALLEL_CHUNKS threads of this one. More: this process is one
    of them (it writes a chunk at a time beside sealing the next; its lane comes first, so
    it takes the first chunk) and Prefect's process pool holds the others, one chunk each
    at a time: `pool`'s if it started one that size, else one started now. Sealing and
    folding leave this process time to write, and another pool worker costs ~165 MB (an
    interpreter with Prefect and this code) for no measured gain: 78-86 s at 20,000 either way.
    """
    if processes <= 1:
        return [
            _Lane(
                ThreadPoolTaskRunner(max_workers=PARALLEL_CHUNKS),
                PARALLEL_CHUNKS,
                max(1, threads // PARALLEL_CHUNKS),
            )
        ]
    per_process = max(1, threads // processes)
    started = pool.take(processes)
    return [
        _Lane(ThreadPoolTaskRunner(max_workers=1), 1, per_process),
        _Lane(
            started or ProcessPoolTaskRunner(max_workers=processes - 1),
            processes - 1,
            per_process,
            started=started is not None,
        ),
    ]


class WriterPool:
    """Prefect's process pool for a large run's appends, started before the run reads its states.

    Its worker takes ~2 s of CPU to start (an interpreter importing Prefect, boto3 and this
    code, then building its runtime). Reading the states keeps one core busy and leaves
    the other idle: started then, the worker is ready when the first chunks are sealed,
    instead of starting while every core is writing. The appends take the pool over
    (`take`); a run that needs none (few revisions, a dry run) leaves it, and leaving the
    block shuts it down unused, in the background.
    """

    def __init__(self, streams: int) -> None:
        """Start the pool if a run over `streams` streams would append from other processes."""
        self.processes = _processes(streams) if streams else 1
        self._runner: ProcessPoolTaskRunner | None = None
        if self.processes > 1:
            runner = ProcessPoolTaskRunner(max_workers=self.processes - 1)
            with ExitStack() as started:
                started.enter_context(runner)  # shut down again if the warm-up cannot be sent
                runner.submit(prepare_writer, {})
                started.pop_all()
            self._runner = runner

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            stack = ExitStack()
            stack.push(runner)
            _close_in_background(stack)

    def take(self, processes: int) -> ProcessPoolTaskRunner | None:
        """The started pool for appends from `processes` processes (its caller shuts it down)."""
        if self.processes != processes:
            return None
        runner, self._runner = self._runner, None
        return runner


def _processes(revisions: int) -> int:
    """How many processes append `revisions`, this one included (1: threads of this one).

    `append_processes` set: that many; unset: one per CPU from PROCESSES_FROM revisions.
    Always 1 in Prefect's ephemeral mode: a pool worker would not find this process's
    temporary server and would start its own on the same database.
    """
    if get_current_settings().api.url is None:
        return 1
    configured = get_runtime().settings.append_processes
    if configured:
        return configured
    return (os.cpu_count() or 1) if revisions >= PROCESSES_FROM else 1


def build_report(
    bundle: ProgramBundle,
    record: ReevaluationCompleted,
    results: list[StreamReevaluation],
    *,
    dry_run: bool,
    outcomes_sha256: str,
    run_record_seq: int | None,
    loaded: LoadedStates,
    seconds: float,
) -> ReevaluationReport:
    """The report of a run from its findings and run record."""
    counts = Counter(result.status.value for result in results)
    return ReevaluationReport(
        program=bundle.program.id,
        as_of=record.as_of,
        known_at=record.known_at,
        dry_run=dry_run,
        program_sha256=bundle.sha256,
        rule_set_version=record.rule_set_version,
        counts={status.value: counts.get(status.value, 0) for status in RevisionStatus},
        changes=Listed(
            sorted(
                (r for r in results if r.status is RevisionStatus.REVISED),
                key=lambda r: r.jurisdiction,
            )
        ),
        overridden=Listed(
            sorted(
                (r for r in results if r.status is RevisionStatus.OVERRIDDEN),
                key=lambda r: r.jurisdiction,
            )
        ),
        outcomes_sha256=outcomes_sha256,
        run_record_seq=run_record_seq,
        index={"indexed": loaded.indexed, "moved": loaded.moved, "read_fully": loaded.read_fully},
        seconds=seconds,
        damaged=dict(sorted(loaded.damaged.items())),
        notices_due=notices_due(results),
    )


def appended_outcomes(states: list[StreamState]) -> list[StreamOutcome]:
    """Appended streams' heads in the form `checkpoint_heads` takes."""
    return [
        StreamOutcome(
            jurisdiction=state.stream.jurisdiction,
            step=state.step.value,
            decision=state.effective_decision.value,
            reasons=state.reasons,
            appended=1,
            head_seq=state.head_seq,
            head_hash=state.head_hash,
        )
        for state in states
    ]
