"""A damaged stream under `respond`, `determine`, `override`: exit 3, one line, no write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import infra.runtime
from infra.runtime import Runtime
from schemas.log.streams import commit_key
from tests.conftest import Cli as EntryPoint
from tests.unit.test_stage_usecases import PROGRAM, SLUG, STREAM, _at, _lettered, runtime

__all__ = ["runtime"]  # a fixture used here by name

RESPONSE = {
    "jurisdiction": SLUG,
    "program": PROGRAM,
    "received_at": _at(8, 10).isoformat(),
    "respondent": {"name": "Chief", "title": "Chief of Police"},
    "answers": {
        q: {"answer": "yes"} for q in ("detention_access", "release_notice", "detainer_hold")
    },
}
ACT = ["--decision", "eligible", "--reason", "r", "--actor", "dora"]
COMMANDS = {
    "respond": ["respond", SLUG, "-p", PROGRAM, "--file", "{response}"],
    "determine": ["determine", SLUG, "-p", PROGRAM, *ACT],
    "override": ["override", SLUG, "-p", PROGRAM, *ACT],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_damaged_stream_is_exit_3_in_one_line(
    runtime: Runtime,
    tmp_path: Path,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An object that is no commit in the stream: the command refuses it as damage, not a bug."""
    _lettered(runtime)
    head = runtime.log.state(STREAM).head_seq
    damaged = commit_key("p/", STREAM, head + 1)
    assert runtime.store.put_if_absent(damaged, b'{"not": "a commit"}')  # storage access only
    response = tmp_path / "response.json"
    response.write_text(json.dumps(RESPONSE), encoding="utf-8")
    before = sorted(runtime.store.list_keys(""))
    monkeypatch.setattr(infra.runtime, "get_runtime", lambda: runtime)
    args = [arg.format(response=response) for arg in COMMANDS[command]]
    result = EntryPoint({}, monkeypatch, capsys)(*args)
    assert result.code == 3, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert damaged in line
    assert "is not a commit" in line
    assert "unexpected" not in line
    assert sorted(runtime.store.list_keys("")) == before
