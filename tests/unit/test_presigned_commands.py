"""Import, review and respond signed elsewhere: `--prepare`, a signature, `--act/--signature`.

Each runs the real CLI entry point in-process on a memory store; the host that submits
holds no person's key (issue #15, point 7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import infra.runtime
from infra.identity.people import load_person_key
from infra.runtime import Runtime
from schemas.log.cumulative_checkpoint import Keyring
from schemas.people import sshsig
from schemas.people.acts import Act, ActType
from tests.conftest import Cli as EntryPoint
from tests.unit.test_acts import EXAMPLES, PROGRAM, ROOT, STOCKTON, Team
from usecases.audit_acts import list_acts
from usecases.imports import import_csv
from usecases.verify import verify_store

CSV = EXAMPLES / "jurisdictions.csv"
RESPONSE = EXAMPLES / "stockton-ca.json"
ACT_FINDINGS = {"bad_act_signature", "actor_not_authorized", "unsigned_act", "people_file_changed"}


# `Cli` patches `infra.runtime.get_runtime`; tests/conftest.py imports every flow and task
# module first, so none binds the patched function for the rest of the process.


class Cli:
    """`grantreview ARGS` in-process against one runtime: exit code, stdout, stderr."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch = monkeypatch
        self.entry = EntryPoint({}, monkeypatch, capsys)

    def __call__(self, runtime: Runtime, *args: str | Path) -> tuple[int, str, str]:
        """Run the CLI with `runtime` as the process's runtime."""
        self.monkeypatch.setattr(infra.runtime, "get_runtime", lambda: runtime)
        result = self.entry(*args)
        return result.code, result.stdout, result.stderr


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI's entry point, run in this process."""
    return Cli(monkeypatch, capsys)


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Olga operates, Dora and Dan decide, Ada administers; nothing imported yet."""
    return Team(tmp_path, ROOT / "programs")


def _server(team: Team) -> Runtime:
    """The deployment's host: no person's key file and an actor of its own."""
    made = team.as_person("olga")
    made.settings.person_key_file = None
    made.settings.actor = "server"
    return made


def _sign(team: Team, prepared: str, signer: str) -> list[str]:
    """Sign the prepared act with `signer`'s key, as `ssh-keygen -Y sign` does on a laptop.

    Returns the `--act FILE --signature FILE` arguments.
    """
    act = Act.from_bytes(prepared.encode())
    signature = sshsig.sign(load_person_key(team.keys[signer].path), act.signed_bytes())
    act_file, sig_file = team.tmp / f"{act.act_id}.act", team.tmp / f"{act.act_id}.sig"
    act_file.write_text(prepared)
    sig_file.write_text(signature)
    return ["--act", str(act_file), "--signature", str(sig_file)]


def _error(err: str) -> str:
    """The one `error:` line a refused command prints (warnings from logging aside)."""
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    return line


def _audited(team: Team, program: str | None = None) -> list[dict[str, Any]]:
    """What `audit acts` lists, after `audit verify` found no finding about people's acts."""
    report = verify_store(team.store, "p/", Keyring(keys=()))
    assert not {finding.kind.value for finding in report.findings} & ACT_FINDINGS
    rows = list_acts(team.store, "p/", program)
    assert all(row["verifies"] for row in rows)
    return rows


def test_an_import_signed_elsewhere_is_recorded_by_a_keyless_host(team: Team, cli: Cli) -> None:
    """`--prepare` writes nothing; Olga's signature over the CSV's hash imports it."""
    olga = team.as_person("olga")
    code, prepared, err = cli(olga, "jurisdictions", "import", CSV, "--actor", "olga", "--prepare")
    assert code == 0, err
    assert team.keys_in_store() == []
    code, out, err = cli(
        _server(team), "jurisdictions", "import", CSV, *_sign(team, prepared, "olga")
    )
    assert code == 0, err
    assert "4 new or changed recorded" in out
    act = Act.from_bytes(prepared.encode())
    rows = [row for row in _audited(team) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"]) for row in rows] == [("import", "olga")]


def test_a_bad_csv_or_a_wrong_or_unauthorized_import_act_writes_nothing(
    team: Team, cli: Cli
) -> None:
    """A bad CSV is exit 2 even with --prepare; another file's act, or Dora's, is refused."""
    olga = team.as_person("olga")
    bad = team.tmp / "bad.csv"
    bad.write_text("slug,name\nNot A Slug,x\n")
    assert cli(olga, "jurisdictions", "import", bad, "--actor", "olga", "--prepare")[0] == 2
    _, prepared, _ = cli(olga, "jurisdictions", "import", CSV, "--actor", "olga", "--prepare")
    other = team.tmp / "other.csv"
    other.write_bytes(CSV.read_bytes() + b"\n")
    code, _, err = cli(
        _server(team), "jurisdictions", "import", other, *_sign(team, prepared, "olga")
    )
    assert (code, "source_sha256" in _error(err)) == (2, True), err
    dora = team.as_person("dora")
    _, by_dora, _ = cli(dora, "jurisdictions", "import", CSV, "--actor", "dora", "--prepare")
    code, _, err = cli(_server(team), "jurisdictions", "import", CSV, *_sign(team, by_dora, "dora"))
    assert (code, "actor_not_authorized" in _error(err)) == (2, True), err
    half = cli(_server(team), "jurisdictions", "import", CSV, "--act", team.tmp / "x.act")
    assert (half[0], "go together" in _error(half[2])) == (2, True)
    assert team.keys_in_store() == []


def _started(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> list[dict[str, str]]:
    """Stand in for the Prefect run: the review flow's first task, then no stream advanced."""
    import flows.deploy.run  # noqa: PLC0415 - Prefect only in the tests that run a flow
    import tasks.acts  # noqa: PLC0415

    runs: list[dict[str, str]] = []

    def run_flow(
        _flow: object, program: str, slugs: list[str] | None, *_: object, **act: str
    ) -> list[object]:
        runs.append(act)
        tasks.acts.start_review_act.fn(
            program, slugs, act.get("actor"), act.get("act"), act.get("signature")
        )
        return []

    monkeypatch.setattr(flows.deploy.run, "run_flow", run_flow)
    monkeypatch.setattr(tasks.acts, "get_runtime", lambda: runtime)
    return runs


def test_a_review_signed_elsewhere_starts_the_run_with_the_signers_act(
    team: Team, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`review --prepare` writes nothing and runs nothing; `--act/--signature` goes to the flow."""
    olga = team.as_person("olga")
    import_csv(olga, CSV)
    server = _server(team)
    runs = _started(monkeypatch, server)
    review = ["review", "-p", PROGRAM, "stockton-ca", "--as-of", "2017-08-03"]
    before = team.keys_in_store()
    code, prepared, err = cli(olga, *review, "--actor", "olga", "--prepare")
    assert (code, runs, team.keys_in_store()) == (0, [], before), err
    act = Act.from_bytes(prepared.encode())
    assert (act.type, act.subjects) == (ActType.REVIEW, ("stockton-ca",))
    elsewhere = ["review", "-p", PROGRAM, "baltimore-md", "--as-of", "2017-08-03"]
    code, _, err = cli(server, *elsewhere, *_sign(team, prepared, "olga"))
    assert (code, "subjects" in _error(err), runs) == (2, True, []), err
    assert team.keys_in_store() == before
    code, _, err = cli(server, *review, *_sign(team, prepared, "olga"))
    assert code == 0, err
    assert [run["actor"] for run in runs] == ["olga"]
    rows = [row for row in _audited(team, PROGRAM) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"]) for row in rows] == [("review", "olga")]


def test_a_response_signed_elsewhere_is_recorded_on_both_paths(
    team: Team, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sync and --async record the response with Olga's act; --prepare stores nothing."""
    import flows.deploy.deployments  # noqa: PLC0415 - Prefect only in the tests that need it
    import flows.deploy.run  # noqa: PLC0415
    from usecases.stream_outcome import StreamOutcome  # noqa: PLC0415

    olga = team.as_person("olga")
    import_csv(olga, CSV)
    announced: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        flows.deploy.deployments, "emit_response_event", lambda _s, *event: announced.append(event)
    )
    outcome = StreamOutcome("baltimore-md", "response_received", "pending", (), 0, 0, "")
    monkeypatch.setattr(flows.deploy.run, "run_flow", lambda *_a, **_k: outcome)
    respond: list[str | Path] = ["respond", "stockton-ca", "-p", PROGRAM, "-f", RESPONSE]
    before = team.keys_in_store()
    code, prepared, err = cli(olga, *respond, "--actor", "olga", "--prepare")
    assert (code, team.keys_in_store()) == (0, before), err
    code, _, err = cli(_server(team), *respond, "--async", *_sign(team, prepared, "olga"))
    assert code == 0, err
    assert len(announced) == 1
    act = Act.from_bytes(prepared.encode())
    rows = [row for row in _audited(team, PROGRAM) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"], row["stream"]) for row in rows] == [
        ("respond", "olga", STOCKTON.name)
    ]
    other = team.tmp / "baltimore-md.json"
    other.write_bytes((EXAMPLES / "baltimore-md.json").read_bytes())
    answer: list[str | Path] = ["respond", "baltimore-md", "-p", PROGRAM, "-f", other]
    _, prepared, _ = cli(olga, *answer, "--actor", "olga", "--prepare")
    code, _, err = cli(_server(team), *answer, *_sign(team, prepared, "olga"))
    assert code == 0, err
    act = Act.from_bytes(prepared.encode())
    assert act.act_id in {row["act_id"] for row in _audited(team, PROGRAM)}


def test_a_response_act_for_other_bytes_or_without_the_role_writes_nothing(
    team: Team, cli: Cli
) -> None:
    """Another file's hash is exit 2, Dora's signature refused, a bad file exit 2: none written."""
    olga = team.as_person("olga")
    import_csv(olga, CSV)
    respond: list[str | Path] = ["respond", "stockton-ca", "-p", PROGRAM, "-f", RESPONSE]
    _, prepared, _ = cli(olga, *respond, "--actor", "olga", "--prepare")
    before = team.keys_in_store()
    changed = team.tmp / "stockton-ca.json"
    changed.write_text(json.dumps(json.loads(RESPONSE.read_text()), indent=4))
    other: list[str | Path] = ["respond", "stockton-ca", "-p", PROGRAM, "-f", changed]
    code, _, err = cli(_server(team), *other, "--async", *_sign(team, prepared, "olga"))
    assert (code, "response_sha256" in _error(err)) == (2, True), err
    _, by_dora, _ = cli(team.as_person("dora"), *respond, "--actor", "dora", "--prepare")
    code, _, err = cli(_server(team), *respond, "--async", *_sign(team, by_dora, "dora"))
    assert (code, "actor_not_authorized" in _error(err)) == (2, True), err
    broken = team.tmp / "broken.json"
    broken.write_text("{")
    bad: list[str | Path] = ["respond", "stockton-ca", "-p", PROGRAM, "-f", broken]
    assert cli(olga, *bad, "--actor", "olga", "--prepare")[0] == 2
    assert team.keys_in_store() == before


def test_an_override_takes_its_act_signed_elsewhere_on_its_own_command(
    team: Team, cli: Cli
) -> None:
    """`override --act/--signature` records Dora's act; `--prepare` with `--act` is bad input."""
    import_csv(team.as_person("olga"), CSV)
    override = ["override", "stockton-ca", "-p", PROGRAM, "--decision", "eligible"]
    override += ["--reason", "court order", "--actor", "dora"]
    _, prepared, _ = cli(team.as_person("dora"), *override, "--prepare")
    signed = _sign(team, prepared, "dora")
    before = team.keys_in_store()
    code, _, err = cli(_server(team), *override, "--prepare", *signed)
    assert (code, "not both" in _error(err), team.keys_in_store()) == (2, True, before)
    code, out, err = cli(_server(team), *override, *signed)
    assert (code, "override recorded" in out) == (0, True), err
    act = Act.from_bytes(prepared.encode())
    rows = [row for row in _audited(team, PROGRAM) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"]) for row in rows] == [("override", "dora")]
