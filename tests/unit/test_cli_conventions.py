"""Conventions users expect: shell completion, `people list`, `keys vkey` (log and witness)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from cli.main import main
from infra.identity.keys import load_signer
from infra.platform.settings import get_settings
from infra.runtime import get_runtime
from schemas.tlog.cosignature import cosign, verify_cosignatures
from schemas.tlog.layout import log_origin
from schemas.tlog.note import NoteVerifier, raw_public_key
from tests.support.people import make_key, people_yaml

if TYPE_CHECKING:
    from pathlib import Path


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    get_settings.cache_clear()
    get_runtime.cache_clear()
    monkeypatch.setattr("sys.argv", ["grantreview", *args])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    get_settings.cache_clear()
    get_runtime.cache_clear()
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def test_shell_completion_is_typers_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--show-completion bash` prints a completion script for `grantreview`."""
    # Typer detects the shell from the process's ancestors unless told not to; a run with
    # no shell among them (a detached CI job) would print "Shell  not supported".
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    code, out, err = _run(monkeypatch, capsys, "--show-completion", "bash")
    assert code == 0, err
    assert "_GRANTREVIEW_COMPLETE" in out


def test_people_list_shows_each_person_roles_and_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line (or object) per entry: id, name, roles, key, validity."""
    dora = make_key(tmp_path, "dora")
    people = tmp_path / "people.yaml"
    people.write_text(
        people_yaml(
            [
                (
                    "dora",
                    ["determining_official", "reviewer"],
                    dora.public,
                    "2020-01-01",
                    "2030-01-01",
                )
            ]
        )
    )
    code, out, _ = _run(monkeypatch, capsys, "people", "list", str(people), "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["id"], row["roles"], row["valid_until"]) == (
        "dora",
        ["determining_official", "reviewer"],
        "2030-01-01",
    )
    code, out, _ = _run(monkeypatch, capsys, "people", "list", str(people))
    assert out.startswith("dora  Dora  determining_official, reviewer  key valid 2020-01-01 to")


def test_keys_vkey_prints_the_logs_and_a_witnesss_verifier_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The log's vkey names its origin and carries the signing key; a witness's verifies."""
    code, out, _ = _run(monkeypatch, capsys, "keys", "generate", str(tmp_path / "k"))
    assert code == 0, out
    keys = json.loads(out)
    monkeypatch.setenv("GRANTREVIEW_SIGNING_KEY_FILE", keys["signing_key_file"])
    monkeypatch.setenv("GRANTREVIEW_VERIFY_KEY_FILE", keys["verify_key_file"])
    monkeypatch.setenv("GRANTREVIEW_S3_BUCKET", "office")
    monkeypatch.setenv("GRANTREVIEW_S3_PREFIX", "day/")
    code, out, err = _run(monkeypatch, capsys, "keys", "vkey")
    assert code == 0, err
    (line,) = out.splitlines()
    verifier = NoteVerifier.from_vkey(line)  # checks the key id against name and key
    signer = load_signer(tmp_path / "k" / "signing-key.pem")
    assert verifier.name == log_origin("office", "day/")
    assert verifier.public_key == raw_public_key(signer.private_key)

    code, out, err = _run(
        monkeypatch, capsys, "keys", "vkey", "--witness-key", keys["signing_key_file"],
        "--name", "w1.example",
    )  # fmt: skip
    assert code == 0, err
    witness = NoteVerifier.from_vkey(out.strip())
    text = "origin\n1\nAAAA\n"
    note = text + "\n" + cosign(text, "w1.example", signer.private_key, 1_700_000_000)
    (found,) = verify_cosignatures(note, [witness])
    assert found.name == "w1.example"
