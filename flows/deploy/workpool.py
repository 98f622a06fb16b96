"""Flows on a process work pool: the pool, its deployments, its workers, waiting on runs.

`grantreview serve` runs every flow in its own process; at national scale the
reevaluation (and any review) is instead deployed to a Prefect work pool (type
`process`), where `prefect worker start --pool P` processes on any number of hosts pick
up its runs. Every pool deployment sends heartbeats and carries the tag of the
lost-run automation (`flows.deploy.lost_runs`): a run whose worker dies is run again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, cast
from uuid import UUID

from prefect import Flow, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.exceptions import ObjectNotFound

from flows.deploy.lost_runs import (
    LOST_AFTER_SECONDS,
    RETRY_TAG,
    ensure_lost_run_retry,
    heartbeat_job_variables,
)

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

__all__ = [
    "DISTRIBUTED_ENTRYPOINT",
    "RANGE_DEPLOYMENT",
    "RANGE_ENTRYPOINT",
    "REVIEW_ENTRYPOINT",
    "deploy_reevaluation",
    "deploy_review",
    "ensure_process_pool",
    "start_worker",
    "stop_worker",
    "wait_for_flow_runs",
]

RANGE_ENTRYPOINT: Final = "flows/reevaluate_range.py:reevaluate_range"
DISTRIBUTED_ENTRYPOINT: Final = "flows/reevaluate_distributed.py:reevaluate_distributed"
REVIEW_ENTRYPOINT: Final = "flows/review.py:review"
RANGE_DEPLOYMENT: Final = "reevaluate-range/reevaluate-range"
"""`flow name/deployment name` of the range deployment the parent starts runs of."""


def ensure_process_pool(name: str) -> None:
    """Create the process work pool `name` unless it exists."""
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))


def _deploy(
    source: Path,
    entrypoint: str,
    name: str,
    pool: str,
    *,
    tags: list[str],
    **options: object,
) -> UUID:
    """`flow.from_source(...).deploy(...)`: workers run the flow from `source` on their host.

    Runs send heartbeats and carry the retry tag, so a run whose worker is lost runs again.
    """
    loaded = cast("Flow[..., object]", Flow.from_source(source=str(source), entrypoint=entrypoint))
    return cast(  # sync-compatible: called outside an event loop it returns the value
        "UUID",
        loaded.deploy(
            name=name,
            work_pool_name=pool,
            print_next_steps=False,
            ignore_warnings=True,
            tags=[*tags, RETRY_TAG],
            job_variables=heartbeat_job_variables(),
            **options,  # type: ignore[arg-type] # schedule, parameters and tags, as documented
        ),
    )


def deploy_reevaluation(
    pool: str,
    *,
    source: Path,
    programs: list[str],
    cron: str | None = None,
    ranges: int | None = None,
    lost_after: float = LOST_AFTER_SECONDS,
) -> list[UUID]:
    """Deploy `reevaluate-range` and one `reevaluate-distributed-<program>` per program.

    `source` is the checkout each worker host has at the same path (for other storage,
    e.g. a git repository, pass its URL to `Flow.from_source` the same way). `cron`
    schedules the parent runs; the range deployment is only started by them. A run whose
    worker is lost is run again after `lost_after` seconds without a heartbeat.
    """
    ensure_process_pool(pool)
    ensure_lost_run_retry(lost_after)
    ids = [_deploy(source, RANGE_ENTRYPOINT, "reevaluate-range", pool, tags=["reevaluation"])]
    for program in programs:
        parameters: dict[str, object] = {"program": program}
        if ranges is not None:
            parameters["ranges"] = ranges
        ids.append(
            _deploy(
                source,
                DISTRIBUTED_ENTRYPOINT,
                f"reevaluate-distributed-{program}",
                pool,
                parameters=parameters,
                cron=cron,
                concurrency_limit=1,
                tags=["reevaluation", program],
            )
        )
    return ids


def deploy_review(pool: str, *, source: Path, lost_after: float = LOST_AFTER_SECONDS) -> UUID:
    """Deploy `review` to the pool as `review/review-pool`: reviews run on the pool's workers.

    Operators start it from the Prefect UI or `prefect deployment run` with the same typed
    parameters as `grantreview review`.
    """
    ensure_process_pool(pool)
    ensure_lost_run_retry(lost_after)
    return _deploy(source, REVIEW_ENTRYPOINT, "review-pool", pool, tags=["review"])


def start_worker(
    pool: str, name: str, env: dict[str, str], output: IO[bytes], *, limit: int | None = None
) -> subprocess.Popen[bytes]:
    """`prefect worker start --pool POOL` in a subprocess (own session) with `env` added.

    Its flow runs inherit `env`: the S3, key and PREFECT_API_URL settings they need.
    """
    prefect = str(Path(sys.executable).with_name("prefect"))
    command = [prefect, "worker", "start", "--pool", pool, "--name", name, "--type", "process"]
    if limit is not None:
        command += ["--limit", str(limit)]
    return subprocess.Popen(  # noqa: S603 - fixed arguments, our own venv
        command,
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a worker and the flow runs it started (its whole process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_flow_runs(ids: list[UUID], *, timeout: float, poll: float = 2.0) -> list[FlowRun]:
    """The flow runs once all are in a final state; raises TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    if not ids:
        return []
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
            )
            if len(runs) == len(ids) and all(
                r.state is not None and r.state.is_final() for r in runs
            ):
                return runs
            if time.monotonic() > deadline:
                waiting = [r.name for r in runs if r.state is None or not r.state.is_final()]
                raise TimeoutError(f"flow runs not finished after {timeout:.0f}s: {waiting}")
            time.sleep(poll)
