"""People's signed acts over a memory store: roles, keys, refusals, the two-person rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.base.errors import InputError
from schemas.events.catalog import ActApproved, ActSigned, DecisionOverridden
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.people.acts import ActRefusedError
from schemas.rules.evaluation import Outcome
from tests.support.people import PersonKey, copy_program, make_key, people_yaml
from usecases.approvals import approve, reject
from usecases.imports import import_csv
from usecases.override import record_override
from usecases.proposals import ActOutcome, pending_acts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
PROGRAM = "psp-2017"
STOCKTON = StreamId(program=PROGRAM, jurisdiction="stockton-ca")


class Team:
    """People with keys (Ada administers), a people file, and a runtime per person."""

    def __init__(self, tmp_path: Path, programs: Path) -> None:
        self.tmp = tmp_path
        self.programs = programs
        self.store = MemoryObjectStore()
        self.keys: dict[str, PersonKey] = {
            name: make_key(tmp_path, name) for name in ("olga", "dora", "dan", "ada")
        }
        self.people = tmp_path / "people.yaml"
        self.people.write_text(
            people_yaml(
                [
                    ("olga", ["operator"], self.keys["olga"].public, "2020-01-01", None),
                    (
                        "dora",
                        ["determining_official"],
                        self.keys["dora"].public,
                        "2020-01-01",
                        None,
                    ),
                    ("dan", ["determining_official"], self.keys["dan"].public, "2020-01-01", None),
                    ("ada", ["administrator"], self.keys["ada"].public, "2020-01-01", None),
                ]
            )
        )

    def as_person(self, name: str, key: str | None = None) -> Runtime:
        """A runtime acting with `name`'s key file (or another person's, to forge)."""
        settings = Settings(
            s3_prefix="p/",
            programs_dir=self.programs,
            people_file=self.people,
            person_key_file=self.keys[key or name].path,
            actor=name,
        )
        made = Runtime(settings)
        made.__dict__["store"] = self.store
        return made

    def keys_in_store(self) -> list[str]:
        """Every key the store holds."""
        return sorted(self.store.list_keys("p/"))


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Olga (operator) imported the seed jurisdictions; Dora and Dan decide."""
    made = Team(tmp_path, ROOT / "programs")
    import_csv(made.as_person("olga"), EXAMPLES / "jurisdictions.csv")
    return made


@pytest.fixture
def approving_team(tmp_path: Path) -> Team:
    """As `team`, under a program that asks two people to agree on every override."""
    programs = copy_program(
        ROOT / "programs", tmp_path / "programs", PROGRAM, "approvals: {override: 2}"
    )
    made = Team(tmp_path, programs)
    import_csv(made.as_person("olga"), EXAMPLES / "jurisdictions.csv")
    return made


def _override(runtime: Runtime, actor: str) -> ActOutcome:
    return record_override(
        runtime,
        PROGRAM,
        "stockton-ca",
        decision=Outcome.ELIGIBLE,
        reason="court order",
        actor=actor,
    )


def test_an_override_is_recorded_with_the_signed_act_in_the_same_commit(team: Team) -> None:
    """The commit holds grantreview.act.signed (actor, people-file hash, SSH signature) first."""
    runtime = team.as_person("dora")
    _override(runtime, "dora")
    (commit,) = runtime.log.read_stream(STOCKTON)
    events = [event for _, event in decoded_events(commit)]
    assert [type(event) for event in events] == [ActSigned, DecisionOverridden]
    act = events[0]
    assert isinstance(act, ActSigned)
    assert act.signed.act.actor == "dora"
    assert runtime.people is not None
    assert act.signed.act.people_sha256 == runtime.people.sha256
    assert act.signed.signature.startswith("-----BEGIN SSH SIGNATURE-----")


def test_an_override_without_the_role_is_refused_and_nothing_is_written(team: Team) -> None:
    """Olga is an operator: she may import, not override; the store is unchanged."""
    before = team.keys_in_store()
    with pytest.raises(ActRefusedError, match="actor_not_authorized"):
        _override(team.as_person("olga"), "olga")
    assert team.keys_in_store() == before


def test_an_act_signed_with_another_persons_key_is_refused(team: Team) -> None:
    """Dora's name with Dan's key: the signature is not by a key of Dora's; nothing written."""
    before = team.keys_in_store()
    with pytest.raises(ActRefusedError, match="bad_act_signature") as refused:
        _override(team.as_person("dora", key="dan"), "dora")
    assert "'dora' signs it with their own key (`grantreview sign act.json`" in str(refused.value)
    with pytest.raises(ActRefusedError, match="not in the people file"):
        _override(team.as_person("dora"), "mallory")
    assert team.keys_in_store() == before


def test_without_a_key_file_or_an_agent_the_refusal_names_both(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither GRANTREVIEW_PERSON_KEY_FILE nor SSH_AUTH_SOCK: exit 2 saying how to sign."""
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.delenv("GRANTREVIEW_PERSON_KEY_FILE", raising=False)
    dora = team.as_person("dora")
    dora.settings.person_key_file = None
    before = team.keys_in_store()
    with pytest.raises(InputError, match=r"GRANTREVIEW_PERSON_KEY_FILE .* or SSH_AUTH_SOCK"):
        _override(dora, "dora")
    assert team.keys_in_store() == before


def test_under_approvals_an_override_waits_for_a_second_person(approving_team: Team) -> None:
    """Proposed first; self-approval refused (nothing written); Dan's approval applies it."""
    dora = approving_team.as_person("dora")
    proposed = _override(dora, "dora")
    act_id = proposed.act_id
    assert act_id is not None
    assert proposed.status == "proposed"
    assert dora.log.state(STOCKTON).override is None
    before = approving_team.keys_in_store()
    with pytest.raises(ActRefusedError, match="self_approval"):
        approve(dora, PROGRAM, act_id, "dora")
    with pytest.raises(ActRefusedError, match="actor_not_authorized"):
        approve(approving_team.as_person("olga"), PROGRAM, act_id, "olga")
    assert approving_team.keys_in_store() == before
    assert list(pending_acts(dora, PROGRAM)) == [act_id]
    approved = approve(approving_team.as_person("dan"), PROGRAM, act_id, "dan")
    assert approved.status == "approved"
    state = dora.log.state(STOCKTON)
    assert state.override is not None
    assert state.override.actor == "dora"
    last = dora.log.read_stream(STOCKTON)[-1]
    approval = decoded_events(last)[0][1]
    assert isinstance(approval, ActApproved)
    assert [signed.act.actor for signed in approval.approvals] == ["dan"]
    assert pending_acts(dora, PROGRAM) == {}


def test_a_rejected_proposal_never_takes_effect(approving_team: Team) -> None:
    """Dan rejects; the act is closed and approving it afterwards is bad input."""
    dora, dan = approving_team.as_person("dora"), approving_team.as_person("dan")
    act_id = _override(dora, "dora").act_id
    assert act_id is not None
    assert reject(dan, PROGRAM, act_id, reason="no order on file", actor="dan").status == "rejected"
    with pytest.raises(InputError, match="waits for approval"):
        approve(dan, PROGRAM, act_id, "dan")
    assert dora.log.state(STOCKTON).override is None


def test_a_response_and_a_review_are_the_operators_signed_acts(team: Team) -> None:
    """The response commit carries Olga's act; the review start goes to {program}/_acts."""
    from schemas.events.catalog import ResponseReceived  # noqa: PLC0415
    from usecases.respond import accept_response, record_response, sign_response  # noqa: PLC0415
    from usecases.review import record_review_act  # noqa: PLC0415

    olga = team.as_person("olga")
    digest = accept_response(olga, PROGRAM, "stockton-ca", EXAMPLES / "stockton-ca.json")
    act = sign_response(olga, PROGRAM, "stockton-ca", digest, "olga")
    assert record_response(olga, PROGRAM, "stockton-ca", digest, act=act)
    (commit,) = olga.log.read_stream(STOCKTON)
    assert [type(e) for _, e in decoded_events(commit)] == [ActSigned, ResponseReceived]
    act_id = record_review_act(olga, PROGRAM, ["stockton-ca"], "olga")
    (started,) = olga.log.read_stream(StreamId.acts(PROGRAM))
    event = decoded_events(started)[0][1]
    assert isinstance(event, ActSigned)
    assert event.signed.act_id == act_id
    with pytest.raises(ActRefusedError, match="actor_not_authorized"):
        sign_response(team.as_person("dora"), PROGRAM, "stockton-ca", digest, "dora")


def test_a_run_without_a_signed_act_is_refused_when_people_are_in_force(team: Team) -> None:
    """What the `review` and `act` deployments do: no valid signature, no run, nothing written."""
    from schemas.people import sshsig  # noqa: PLC0415
    from tasks.acts import parse_signed_act  # noqa: PLC0415
    from usecases.review import record_review_act, sign_review  # noqa: PLC0415
    from usecases.submit import submit_act  # noqa: PLC0415

    server = team.as_person("olga")
    server.settings.person_key_file = None  # a served deployment holds no person's key
    before = team.keys_in_store()
    with pytest.raises(InputError, match="needs your signed act"):
        record_review_act(server, PROGRAM, ["stockton-ca"], "olga")
    signed = sign_review(team.as_person("olga"), PROGRAM, ["stockton-ca"], "olga")
    assert signed is not None
    forged = signed.signature.replace(signed.signature[40:44], "AAAA")
    with pytest.raises(InputError):
        record_review_act(
            server,
            PROGRAM,
            ["stockton-ca"],
            "olga",
            parse_signed_act(signed.act.signed_bytes().decode(), forged),
        )
    bad = parse_signed_act(signed.act.signed_bytes().decode(), signed.signature)
    assert bad is not None
    with pytest.raises(InputError, match="submitted with their own command"):
        submit_act(server, bad)
    assert team.keys_in_store() == before
    assert record_review_act(server, PROGRAM, ["stockton-ca"], "olga", bad) == signed.act_id
    assert sshsig.NAMESPACE == "grantreview"


def test_a_form_without_an_act_is_refused_saying_how_to_prepare_and_sign_it(team: Team) -> None:
    """A served deployment (no person's key) under a people file: the exact command to run."""
    from tasks.acts import form_act  # noqa: PLC0415

    server = team.as_person("dora")
    server.settings.person_key_file = None
    server.settings.ssh_auth_sock = None
    args = ["stockton-ca", "-p", PROGRAM, "--reason", "asked for time", "--actor", "dora"]
    with pytest.raises(InputError) as refused:
        form_act(server, "extend", args, as_of=None, act=None, signature=None)
    assert str(refused.value).startswith("a people file is in force: extend needs your signed act")
    wanted = f"`grantreview extend stockton-ca -p {PROGRAM} --reason 'asked for time' --actor dora"
    assert f"{wanted} --prepare > act.json`" in str(refused.value)
    assert "grantreview sign act.json" in str(refused.value)
    with pytest.raises(
        InputError, match="the act has no signature: sign it with `grantreview sign"
    ):
        form_act(server, "extend", args, as_of=None, act="{}", signature="")
    with_key = team.as_person("dora")  # the CLI, where the person's key is: it signs itself
    assert form_act(with_key, "extend", args, as_of=None, act=None, signature=None) is None
