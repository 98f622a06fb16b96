"""Where the range runs of a distributed reevaluation leave their findings for the parent run.

A range run may execute on any worker host, so its findings go to the bucket, not to the
Prefect result store: one write-once object per range,
`{prefix}reevaluations/{program}/{run_id}/{index:06d}.json` (`run_id` is the parent's flow
run id). The parent reads them all once every range run has completed, then writes the
run's outcome list and run record as a single-process run does. They are working files
of one run, not part of the log: the stored outcome list and the run record are the record.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from infra.eventlog.log import EventLog
from schemas.base.ids import check_slug
from schemas.log.state_snapshot import IndexedStream
from schemas.planning.reevaluation import StreamReevaluation

__all__ = ["RANGE_RESULT_FORMAT", "RangeResult", "range_result_key", "read_range_results"]

RANGE_RESULT_FORMAT: Final = "grantreview.reevaluation-range/1"


class RangeResult(BaseModel):
    """One range run's findings (drafts dropped) and the streams it appended to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["grantreview.reevaluation-range/1"] = RANGE_RESULT_FORMAT
    program: str
    run_id: str
    index: int
    first: str
    last: str
    flow_run_id: str | None
    results: tuple[StreamReevaluation, ...]
    appended: tuple[IndexedStream, ...]

    def write(self, log: EventLog) -> str:
        """Store it once (a re-run of the same range keeps the first findings); its key."""
        key = range_result_key(log.prefix, self.program, self.run_id, self.index)
        log.store.put_if_absent(key, self.model_dump_json().encode("utf-8"))
        return key


def range_result_key(prefix: str, program: str, run_id: str, index: int) -> str:
    """The key of range `index`'s findings in run `run_id`."""
    check_slug(program, "program id")
    if not run_id or not all(c.isalnum() or c == "-" for c in run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    return f"{prefix}reevaluations/{program}/{run_id}/{index:06d}.json"


def read_range_results(log: EventLog, program: str, run_id: str, count: int) -> list[RangeResult]:
    """The findings of ranges 0..count-1 of run `run_id`; raises if any is missing."""
    keys = [range_result_key(log.prefix, program, run_id, index) for index in range(count)]
    found: list[RangeResult] = []
    for key, raw in zip(keys, log.store.get_many(keys), strict=True):
        if raw is None:
            raise LookupError(f"{key} is missing: its range run did not complete")
        found.append(RangeResult.model_validate_json(raw))
    return found
