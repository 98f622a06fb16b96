"""What the CLI says before any I/O: --version, one-line usage errors, help without types."""

from __future__ import annotations

import re

import pytest

from cli.main import main

COMMANDS = [
    (),
    ("review",),
    ("respond",),
    ("status",),
    ("reevaluate",),
    ("demo",),
    ("audit", "verify"),
    ("audit", "replay"),
    ("audit", "export"),
    ("keys", "generate"),
]


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["grantreview", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def test_version_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`grantreview --version` prints `grantreview X.Y.Z` and exits 0."""
    code, out, _ = _run(monkeypatch, capsys, "--version")
    assert code == 0
    assert re.fullmatch(r"grantreview \S+\n", out), out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "--all"), "Missing option '--program'"),
        (("bogus",), "No such command 'bogus'"),
        (("status", "-p", "psp-2017", "--bogus"), "No such option: --bogus"),
        (("audit", "verify", "--program"), "requires an argument"),
    ],
)
def test_usage_errors_are_one_line(
    args: tuple[str, ...],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A usage error is exit 2 and one stderr line naming the problem and where help is."""
    code, _, err = _run(monkeypatch, capsys, *args)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert message in err
    assert "--help)" in err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_help_shows_no_type_labels(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Help names values (PROGRAM, DATE, FILE), never Python types (`<bool>`, `<str>`)."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = _run(monkeypatch, capsys, *command, "--help")
    assert code == 0
    assert not re.search(r"<(bool|str|int|path|list\[str\]|datetime|dir|file)>", out), out


@pytest.mark.parametrize("command", [("audit", "verify"), ("audit", "replay")])
def test_audit_takes_repeated_short_program(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-p` exists under audit and repeats, as everywhere a command reads several programs."""
    monkeypatch.setenv("COLUMNS", "120")
    _, out, _ = _run(monkeypatch, capsys, *command, "--help")
    assert re.search(r"--program\s+-p\s+PROGRAM\s+Only this program \(repeatable", out), out


def test_review_summary_counts_steps_and_decisions() -> None:
    """The line after the table: how many jurisdictions, by step and decision, entries written."""
    from cli.review import summary_line  # noqa: PLC0415 - the function under test

    rows = [
        {"step": "letter_sent", "decision": "pending", "appended": 1},
        {"step": "letter_sent", "decision": "pending", "appended": 0},
        {"step": "decided", "decision": "compliant", "appended": 1},
    ]
    assert summary_line(rows) == (
        "3 jurisdictions; now at: decided 1, letter_sent 2; decision: compliant 1, pending 2; "
        "2 new log entries"
    )


def test_status_table_shows_dates_and_the_pending_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A status row shows its letter date, next deadline, recording day, and why it waits."""
    from cli.review import print_table  # noqa: PLC0415 - the function under test

    print_table(
        [
            {
                "jurisdiction": "stockton-ca",
                "step": "letter_sent",
                "stage": None,
                "letter_date": "2017-08-03",
                "due": "2017-08-18",
                "last_event_time": "2017-08-03T12:00:00.000000Z",
                "decision": "pending",
                "reasons": [],
                "pending_reason": "awaiting response until 2017-08-18",
            }
        ]
    )
    out = capsys.readouterr().out
    for text in ("letter dated", "next deadline", "recorded on", "waiting for", "2017-08-18"):
        assert text in out
    assert "awaiting response until" in out
    assert "T12:00" not in out


def test_status_table_labels_the_decision_dates(capsys: pytest.CaptureFixture[str]) -> None:
    """A decision in force says the day it is for (valid) and the day it was recorded."""
    from cli.review import print_table  # noqa: PLC0415 - the function under test

    print_table(
        [
            {
                "jurisdiction": "stockton-ca",
                "step": "decided",
                "stage": "final",
                "letter_date": "2017-08-03",
                "due": None,
                "last_event_time": "2026-12-06T09:00:00+00:00",
                "decision": "ineligible",
                "decided_for": "2017-09-11T12:00:00+00:00",
                "recorded_on": "2026-12-05T09:00:00+00:00",
                "reasons": ["no answer"],
                "pending_reason": None,
            }
        ]
    )
    out = capsys.readouterr().out
    assert "decided for 2017-09-11" in out
    assert "recorded on 2026-12-05" in out
    assert "last recorded on" in out
