"""Check a log's streams straight from S3, not through our own log: what was lost or duplicated.

The fault, concurrency and least-privilege tests read every stream of a program with
`read_streams` (every object version and delete marker too) and compare it with what must
be there using `check_streams`; `benchmarks/reliability_report.py` tabulates the figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemas.log.commit import GENESIS, parse_commit

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["LogCheck", "StreamFacts", "check_streams", "count_commits", "read_streams"]


@dataclass(frozen=True)
class StreamFacts:
    """One stream as stored: its commits in order, and how many object versions hold them."""

    jurisdiction: str
    seqs: tuple[int, ...]
    idempotency_keys: tuple[str, ...]
    types: Counter[str]
    events: tuple[dict[str, Any], ...]
    chained: bool
    versions: int
    delete_markers: int


@dataclass
class LogCheck:
    """What the direct checks found: figures for the table and the problems to report."""

    streams: int = 0
    commits: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Nothing lost, nothing duplicated, no other problem."""
        return self.lost == 0 and self.duplicated == 0 and not self.problems


def _stream_versions(
    client: S3Client, bucket: str, root: str
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per jurisdiction: versions per commit key, and delete markers (every version listed)."""
    versions: dict[str, dict[str, int]] = {}
    markers: Counter[str] = Counter()
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=root):
        for version in page.get("Versions", []):
            jurisdiction, _, name = version["Key"][len(root) :].partition("/")
            per_key = versions.setdefault(jurisdiction, {})
            per_key[name] = per_key.get(name, 0) + 1
        for marker in page.get("DeleteMarkers", []):
            markers[marker["Key"][len(root) :].partition("/")[0]] += 1
    return versions, dict(markers)


def read_streams(
    client: S3Client, bucket: str, prefix: str, program: str
) -> dict[str, StreamFacts]:
    """Every stream of `program` under `prefix`, read straight from S3 (not through our log)."""
    root = f"{prefix}streams/{program}/"
    versions, markers = _stream_versions(client, bucket, root)
    facts: dict[str, StreamFacts] = {}
    for jurisdiction, per_key in sorted(versions.items()):
        commits = [
            parse_commit(
                client.get_object(Bucket=bucket, Key=f"{root}{jurisdiction}/{name}")["Body"].read()
            )
            for name in sorted(per_key)
        ]
        chained = all(
            commit.prev == (GENESIS if index == 0 else commits[index - 1].hash)
            for index, commit in enumerate(commits)
        )
        events = tuple(event for commit in commits for event in commit.events)
        facts[jurisdiction] = StreamFacts(
            jurisdiction=jurisdiction,
            seqs=tuple(commit.seq for commit in commits),
            idempotency_keys=tuple(commit.idempotency_key for commit in commits),
            types=Counter(str(event["type"]) for event in events),
            events=events,
            chained=chained,
            versions=sum(per_key.values()),
            delete_markers=markers.get(jurisdiction, 0),
        )
    return facts


def check_streams(facts: dict[str, StreamFacts], expected: dict[str, dict[str, int]]) -> LogCheck:
    """Compare stored streams with what must be there: `expected[jurisdiction][event type]`.

    Lost: an expected event missing, a gap in a stream's sequence, an expected stream absent.
    Duplicated: an event beyond its expected count, a repeated idempotency key, a second
    version of a commit key (an overwrite), a delete marker. Forks are problems.
    """
    check = LogCheck(streams=len(facts), commits=sum(len(f.seqs) for f in facts.values()))
    for jurisdiction, counts in sorted(expected.items()):
        stream = facts.get(jurisdiction)
        if stream is None:
            check.lost += sum(counts.values())
            check.problems.append(f"{jurisdiction}: no stream")
            continue
        for event_type, count in counts.items():
            actual = stream.types[event_type]
            check.lost += max(0, count - actual)
            check.duplicated += max(0, actual - count)
            if actual != count:
                check.problems.append(f"{jurisdiction}: {actual} x {event_type}, want {count}")
    for stream in facts.values():
        missing = set(range(len(stream.seqs))) ^ set(stream.seqs)
        check.lost += len(missing)
        repeated = len(stream.idempotency_keys) - len(set(stream.idempotency_keys))
        overwrites = stream.versions - len(stream.seqs) + stream.delete_markers
        check.duplicated += repeated + overwrites
        if missing or repeated or overwrites or not stream.chained:
            check.problems.append(
                f"{stream.jurisdiction}: seqs {stream.seqs}, {repeated} repeated keys, "
                f"{overwrites} extra versions, chained={stream.chained}"
            )
    return check


def count_commits(client: S3Client, bucket: str, prefix: str, program: str) -> int:
    """How many commits `program`'s streams hold right now (a cheap progress probe)."""
    paginator = client.get_paginator("list_objects_v2")
    return sum(
        page.get("KeyCount", 0)
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}streams/{program}/")
    )
