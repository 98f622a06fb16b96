"""A receipt names what it proves: stream, seq, events, stage and decision, from the bytes."""

from __future__ import annotations

from pathlib import Path

from infra.runtime import Runtime
from schemas.log.commit_subject import commit_subject
from schemas.log.streams import StreamId, commit_key
from schemas.rules.evaluation import Outcome
from tests.unit.test_stage_replay import PREFIX, determined, runtime

__all__ = ["runtime"]  # the fixture, imported for pytest

STREAM = StreamId(program="staged-person", jurisdiction="stockton-ca")


def _subjects(runtime: Runtime) -> list[str]:
    lines = []
    for commit in runtime.log.read_stream(STREAM):
        raw = runtime.store.get(commit_key(PREFIX, STREAM, commit.seq))
        assert raw is not None
        subject = commit_subject(raw)
        assert subject is not None
        lines.append(subject.line())
    return lines


def test_each_commit_says_what_it_records(runtime: Runtime, tmp_path: Path) -> None:
    """The preliminary decision and the final determination read apart, with the award."""
    determined(runtime, tmp_path, ("yes", "no"), Outcome.INELIGIBLE)
    lines = _subjects(runtime)
    assert lines[0] == "stream staged-person/stockton-ca seq 0: letter.sent"
    preliminary = (
        "stream staged-person/stockton-ca seq 2: rules.evaluated, decision.issued; "
        "stage preliminary; decision eligible"
    )
    assert preliminary in lines
    finals = [line for line in lines if "decision.determined" in line]
    assert len(finals) == 1
    assert finals[0].endswith("stage final; decision ineligible; award action withhold")


def test_bytes_that_are_no_commit_say_so() -> None:
    """Junk, or a commit this code cannot read, is no subject (the caller says so)."""
    assert commit_subject(b"not json") is None
    assert commit_subject(b'{"stream": "a/b"}') is None
