"""Time is evidence, for people's acts, on SeaweedFS (issue #22): no act backdated, one key one id.

The writer refuses (exit 2, one line, nothing written); an insider holding admin
credentials and the system's signing key who writes the same thing without the writer is
found by `audit verify` (exit 1). No Prefect server is needed.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

import pytest
import yaml

from infra.identity.people import store_people
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.events.catalog import ActApproved, ActSigned
from schemas.people.acts import Act, ActType
from schemas.people.clock import DEFAULT_MAX_DELAY, DEFAULT_SKEW, ClockPolicy
from schemas.people.people_file import PeopleFile
from schemas.rules.evaluation import Outcome
from tests.conftest import count_objects
from tests.integration.test_people import PROGRAM, ROOT, Office, office
from tests.support.people import copy_program, make_key, people_yaml
from usecases.acts import ActRequest, prepare_act, sign_act
from usecases.override import apply_override, override_request

if TYPE_CHECKING:
    from pathlib import Path

    from mypy_boto3_s3 import S3Client

    from localdev.seaweed import SeaweedServer

__all__ = ["office"]  # a fixture used here by name

SLUG = "stockton-ca"
POLICY = ClockPolicy.of(DEFAULT_SKEW, DEFAULT_MAX_DELAY)


def _with_eve(office: Office) -> None:
    """Eve joins as a determining official whose key expired at 00:00 today."""
    keys = office.keys
    keys["eve"] = make_key(office.tmp, "eve")
    today = str(datetime.now(UTC).date())
    office.write_people(
        [
            ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
            ("dora", ["determining_official"], keys["dora"].public, "2020-01-01", None),
            ("dan", ["determining_official"], keys["dan"].public, "2020-01-01", None),
            ("eve", ["determining_official"], keys["eve"].public, "2020-01-01", today),
        ]
    )


def _prepared(office: Office, person: str, moment: datetime) -> Act:
    """`override --prepare` as `person`, its time then edited to `moment` (as in an editor)."""
    args = ["override", SLUG, "--program", PROGRAM, "--decision", "eligible"]
    prepared = office.run(person, *args, "--reason", "court order", "--prepare")
    assert prepared.code == 0, prepared
    act = Act.from_bytes(prepared.stdout.encode())
    return act.model_copy(update={"time": moment})


def _ssh_signed(office: Office, person: str, act: Act) -> Path:
    """The act file signed by `ssh-keygen -Y sign` with `person`'s key; returns the act file."""
    path = office.tmp / f"{person}-{act.act_id}.json"
    path.write_bytes(act.signed_bytes())
    sign = ["ssh-keygen", "-Y", "sign", "-f", str(office.keys[person].path), "-n", "grantreview"]
    signed = subprocess.run([*sign, str(path)], capture_output=True, check=False)
    assert signed.returncode == 0, signed.stderr
    return path


def _submit(office: Office, person: str, path: Path) -> tuple[int, str]:
    """`submit` the act; its exit code and its error lines (the office logs at INFO)."""
    result = office.run(person, "submit", path, "--signature", f"{path}.sig")
    errors = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    return result.code, "\n".join(errors)


def _insider(office: Office, seaweed: SeaweedServer, person: str) -> Runtime:
    """A writer with admin credentials, the system's key and `person`'s key: no checks."""
    env = {
        **office.env,
        **seaweed.env("admin"),
        "GRANTREVIEW_PEOPLE_FILE": str(office.people),
        "GRANTREVIEW_PERSON_KEY_FILE": str(office.keys[person].path),
        "GRANTREVIEW_PERSON_KEY_PASSPHRASE": "",
    }
    for name, value in env.items():
        office.monkeypatch.setenv(name, value)
    runtime = Runtime(Settings())
    assert runtime.people is not None
    store_people(runtime.documents, runtime.people)  # as the writer would have
    return runtime


def _insider_override(runtime: Runtime, event: ActSigned | ActApproved, actor: str) -> None:
    """Record an override straight through the effect, skipping every act check."""
    request = override_request(PROGRAM, SLUG, Outcome.ELIGIBLE, "court order")
    apply_override(runtime, PROGRAM, SLUG, request, actor, act=event)


def _verify_kinds(office: Office) -> tuple[int, set[str]]:
    verified = office.run("dan", "audit", "verify", "--json")
    findings = json.loads(verified.stdout)["findings"]
    return verified.code, {finding["kind"] for finding in findings}


def _start_of_today() -> datetime:
    return datetime.combine(datetime.now(UTC).date(), time.min, UTC)


def test_an_expired_key_cannot_act_by_backdating(
    office: Office, operator_client: S3Client, seaweed: SeaweedServer, s3_prefix: str
) -> None:
    """Eve's key expired at 00:00: an act she dates just before it is refused, and found."""
    _with_eve(office)
    office.env["GRANTREVIEW_ACT_MAX_DELAY"] = "P2D"  # so only the key's expiry can refuse it
    backdated = _prepared(office, "eve", _start_of_today() - timedelta(seconds=1))
    path = _ssh_signed(office, "eve", backdated)
    before = count_objects(operator_client, s3_prefix)
    code, stderr = _submit(office, "eve", path)
    assert code == 2, stderr
    assert "act_key_expired" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert count_objects(operator_client, s3_prefix) == before
    assert _verify_kinds(office) == (0, set())
    # The insider records it without the writer's checks: verify finds it.
    insider = _insider(office, seaweed, "eve")
    signed = sign_act(insider, backdated)
    _insider_override(insider, ActSigned(signed=signed, clock=POLICY), "eve")
    assert _verify_kinds(office) == (1, {"act_key_expired"})


def test_a_presigned_act_is_refused_after_25_hours_and_accepted_after_2(
    office: Office, operator_client: S3Client, seaweed: SeaweedServer, s3_prefix: str
) -> None:
    """Default policy: signed 25 h before it is submitted, refused (act_backdated); 2 h, fine."""
    now = datetime.now(UTC)
    stale = _ssh_signed(office, "dora", _prepared(office, "dora", now - timedelta(hours=25)))
    before = count_objects(operator_client, s3_prefix)
    code, stderr = _submit(office, "dora", stale)
    assert code == 2, stderr
    assert stderr.startswith("error: refused (act_backdated): the act is dated ")
    assert "more than 1 day, 0:00:00 before" in stderr
    assert count_objects(operator_client, s3_prefix) == before
    fresh = _ssh_signed(office, "dora", _prepared(office, "dora", now - timedelta(hours=2)))
    assert _submit(office, "dora", fresh) == (0, "")
    assert _verify_kinds(office) == (0, set())
    # An insider records a 25-hour-old act beside a later override: verify finds it.
    insider = _insider(office, seaweed, "dora")
    old = prepare_act(insider, override_request(PROGRAM, SLUG, Outcome.INELIGIBLE, "x"), "dora")
    old = old.model_copy(update={"time": now - timedelta(hours=25)})
    request = override_request(PROGRAM, SLUG, Outcome.INELIGIBLE, "x")
    event = ActSigned(signed=sign_act(insider, old), clock=POLICY)
    apply_override(insider, PROGRAM, SLUG, request, "dora", act=event)
    assert _verify_kinds(office) == (1, {"act_backdated"})


def test_an_act_dated_ahead_of_the_recording_is_refused_and_found(
    office: Office, operator_client: S3Client, seaweed: SeaweedServer, s3_prefix: str
) -> None:
    """An act dated an hour ahead (skew 5 minutes) is refused; written anyway, it is found."""
    ahead = _prepared(office, "dora", datetime.now(UTC) + timedelta(hours=1))
    before = count_objects(operator_client, s3_prefix)
    code, stderr = _submit(office, "dora", _ssh_signed(office, "dora", ahead))
    assert (code, "act_time_out_of_bounds" in stderr) == (2, True), stderr
    assert count_objects(operator_client, s3_prefix) == before
    insider = _insider(office, seaweed, "dora")
    _insider_override(insider, ActSigned(signed=sign_act(insider, ahead), clock=POLICY), "dora")
    assert _verify_kinds(office) == (1, {"act_time_out_of_bounds"})


def _two_ids_one_key(office: Office) -> Path:
    """A people file listing Dora's key under `dora` and `dora-alt` (and Ada to adopt it)."""
    keys = office.keys
    keys["ada"] = make_key(office.tmp, "ada")
    path = office.tmp / "people-two-ids.yaml"
    path.write_text(
        people_yaml(
            [
                ("ada", ["administrator"], keys["ada"].public, "2020-01-01", None),
                ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
                ("dora", ["determining_official"], keys["dora"].public, "2020-01-01", None),
                ("dora-alt", ["determining_official"], keys["dora"].public, "2020-01-01", None),
            ]
        )
    )
    return path


def test_one_key_under_two_ids_is_refused_and_its_approval_found(
    office: Office, seaweed: SeaweedServer
) -> None:
    """`people check`/`adopt` refuse one key under two ids; an approval by it is found."""
    two_ids = _two_ids_one_key(office)
    checked = office.run("dora", "people", "check", two_ids)
    assert checked.code == 2, checked
    assert "people[3] (dora-alt): the key is also 'dora''s" in checked.stderr
    adopted = office.run("ada", "people", "adopt", two_ids, "--actor", "ada")
    assert adopted.code == 2, adopted
    # A file with the shared key, in force on a host from before the rule; an insider
    # applies Dora's proposal with "dora-alt"'s approval (the same key).
    programs = copy_program(
        ROOT / "programs", office.tmp / "programs", PROGRAM, "approvals: {override: 2}"
    )
    office.env["GRANTREVIEW_PROGRAMS_DIR"] = str(programs)
    insider = _insider(office, seaweed, "dora")
    people = PeopleFile.model_validate(yaml.safe_load(two_ids.read_text()))  # no new rule
    insider.__dict__["people"] = people
    store_people(insider.documents, people)
    request = override_request(PROGRAM, SLUG, Outcome.ELIGIBLE, "court order")
    proposal = sign_act(insider, prepare_act(insider, request, "dora"))
    approving = ActRequest(ActType.APPROVE, PROGRAM, (SLUG,), {"act_id": proposal.act_id})
    approval = sign_act(insider, prepare_act(insider, approving, "dora-alt"))
    event = ActApproved(proposal=proposal, approvals=(approval,), clock=POLICY)
    apply_override(insider, PROGRAM, SLUG, request, "dora", act=event)
    code, kinds = _verify_kinds(office)
    assert code == 1
    assert kinds == {"duplicate_key_approval", "approval_missing"}


@pytest.mark.parametrize("tag", ['{% include "x.md.j2" %}', '{% extends "x.md.j2" %}'])
def test_a_template_that_loads_another_exits_2_on_every_command(office: Office, tag: str) -> None:
    """status, review --dry-run and programs check: exit 2 naming the file and the tag, not 70."""
    programs = copy_program(ROOT / "programs", office.tmp / "programs", PROGRAM, "")
    template = programs / PROGRAM / "letter.md.j2"
    template.write_text(template.read_text() + tag + "\n")
    office.env["GRANTREVIEW_PROGRAMS_DIR"] = str(programs)
    shown = tag.split()[1]
    for command in (
        ("status", "-p", PROGRAM),
        ("review", "-p", PROGRAM, SLUG, "--dry-run"),
        ("programs", "check", programs),
    ):
        result = office.run("dan", *command)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.code == 2, result
        assert len(errors) == 1, result.stderr
        assert str(template) in errors[0]
        assert f"{{% {shown} %}} is not allowed" in errors[0]
