"""The people file in force is recorded: an administrator adopts it, acts are checked under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.identity.people import load_people, load_person_key
from infra.platform.clock import utc_now
from infra.platform.settings import Settings
from infra.runtime import Runtime
from schemas.events.catalog import ActSigned, PeopleAdopted
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.state import decoded_events
from schemas.log.streams import REGISTRY, StreamId
from schemas.people import sshsig
from schemas.people.acts import Act, ActRefusedError, ActType, SignedAct
from schemas.planning.adoptions import adoption_params
from schemas.rules.evaluation import Outcome
from tests.support.people import people_yaml
from tests.unit.test_act_findings import _kinds
from tests.unit.test_acts import EXAMPLES, PROGRAM, ROOT, Team
from usecases.acts import prepare_act, sign_act
from usecases.adopt import adopt_people
from usecases.imports import import_csv
from usecases.override import apply_override, override_request, record_override
from usecases.verify import verify_store


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Ada (administrator) adopted the people file; Olga then imported, signed."""
    made = Team(tmp_path, ROOT / "programs")
    adopt_people(made.as_person("ada"), load_people(made.people), "ada")
    import_csv(made.as_person("olga"), EXAMPLES / "jurisdictions.csv")
    return made


def _plain(team: Team) -> Runtime:
    """A writer with no people file and no key (an old host)."""
    plain = Runtime(Settings(s3_prefix="p/", programs_dir=ROOT / "programs"))
    plain.__dict__["store"] = team.store
    return plain


def _rotated(team: Team) -> Path:
    """A new people file: Dan becomes an operator too (the administrator's change)."""
    keys = team.keys
    path = team.tmp / "people-2.yaml"
    path.write_text(
        people_yaml(
            [
                ("olga", ["operator"], keys["olga"].public, "2020-01-01", None),
                ("dora", ["determining_official"], keys["dora"].public, "2020-01-01", None),
                (
                    "dan",
                    ["determining_official", "operator"],
                    keys["dan"].public,
                    "2020-01-01",
                    None,
                ),
                ("ada", ["administrator"], keys["ada"].public, "2020-01-01", None),
            ]
        )
    )
    return path


def test_the_first_adoption_is_recorded_on_the_registry_and_verifies(team: Team) -> None:
    """Ada's adoption is a people act on the registry; verify names the file in force."""
    commits = team.as_person("ada").log.read_stream(StreamId.registry())
    events = [event for commit in commits for _, event in decoded_events(commit)]
    adopted = [event for event in events if isinstance(event, PeopleAdopted)]
    assert len(adopted) == 1
    act = adopted[0].signed.act
    people = load_people(team.people)
    assert (act.type, act.program, act.actor) == (ActType.PEOPLE, REGISTRY, "ada")
    assert act.people_sha256 == people.sha256  # the trust root: signed under itself
    assert act.params == adoption_params(people.sha256)
    report = verify_store(team.store, "p/", Keyring(keys=()))
    assert report.people_in_force == people.sha256
    assert _kinds(team.as_person("ada")) == []


def test_only_an_administrator_adopts_and_a_refusal_writes_nothing(tmp_path: Path) -> None:
    """Olga (operator) cannot adopt, not even the first file: refused, nothing written."""
    made = Team(tmp_path, ROOT / "programs")
    with pytest.raises(ActRefusedError, match="actor_not_authorized"):
        adopt_people(made.as_person("olga"), load_people(made.people), "olga")
    assert made.keys_in_store() == []


def test_a_host_file_other_than_the_adopted_one_is_refused_until_adopted(team: Team) -> None:
    """Dan's new role works only once Ada adopts the new file; before, nothing is written."""
    team.people = _rotated(team)
    before = team.keys_in_store()
    with pytest.raises(ActRefusedError, match="not the people file in force"):
        import_csv(team.as_person("dan"), EXAMPLES / "jurisdictions.csv")
    assert team.keys_in_store() == before
    with pytest.raises(ActRefusedError, match="actor_not_authorized"):
        adopt_people(team.as_person("dan"), load_people(team.people), "dan")
    adopted = adopt_people(team.as_person("ada"), load_people(team.people), "ada")
    assert adopted.status == "adopted"
    assert import_csv(team.as_person("dan"), EXAMPLES / "jurisdictions.csv")["rows"] > 0
    assert _kinds(team.as_person("ada")) == []


def test_an_unsigned_act_is_a_finding_exactly_while_a_file_is_in_force(tmp_path: Path) -> None:
    """An override without its act before any adoption is no finding; after one, it is."""
    made = Team(tmp_path, ROOT / "programs")
    plain = _plain(made)
    import_csv(plain, EXAMPLES / "jurisdictions.csv")
    earlier = override_request(PROGRAM, "stockton-ca", Outcome.ELIGIBLE, "court order")
    apply_override(plain, PROGRAM, "stockton-ca", earlier, "x", act=None)
    assert _kinds(plain) == []
    assert verify_store(made.store, "p/", Keyring(keys=())).people_in_force is None
    adopt_people(made.as_person("ada"), load_people(made.people), "ada")
    later = override_request(PROGRAM, "baltimore-md", Outcome.INELIGIBLE, "late")
    apply_override(plain, PROGRAM, "baltimore-md", later, "x", act=None)  # skips the rule
    assert _kinds(plain) == ["unsigned_act"]


def test_a_writer_without_a_key_cannot_write_unsigned_once_a_file_is_in_force(team: Team) -> None:
    """The adopted file binds every host, configured or not: no key, no act, nothing written."""
    before = team.keys_in_store()
    with pytest.raises(ValueError, match="GRANTREVIEW_PERSON_KEY_FILE"):
        record_override(
            _plain(team), PROGRAM, "stockton-ca", decision=Outcome.ELIGIBLE, reason="r", actor="x"
        )
    assert team.keys_in_store() == before


def test_an_act_under_a_file_not_in_force_is_a_finding(team: Team) -> None:
    """An act signed under an older file after a newer one was adopted: actor_not_authorized."""
    dora = team.as_person("dora")
    old = prepare_act(
        dora, override_request(PROGRAM, "stockton-ca", Outcome.ELIGIBLE, "court order"), "dora"
    )
    team.people = _rotated(team)
    adopt_people(team.as_person("ada"), load_people(team.people), "ada")
    late = Act(**{**old.model_dump(), "time": utc_now()})  # after the adoption, in bounds
    signed = sign_act(dora, late)
    request = override_request(PROGRAM, "stockton-ca", Outcome.ELIGIBLE, "court order")
    apply_override(dora, PROGRAM, "stockton-ca", request, "dora", act=ActSigned(signed=signed))
    assert _kinds(dora) == ["actor_not_authorized"]


def test_an_adoption_by_a_non_administrator_in_storage_is_a_finding(team: Team) -> None:
    """A writer that skips the check records Olga's adoption: verify finds it."""
    from usecases.proposals import record_act  # noqa: PLC0415

    olga = team.as_person("olga")
    people = load_people(_rotated(team))
    act = Act(
        type=ActType.PEOPLE,
        program=REGISTRY,
        subjects=(),
        actor="olga",
        people_sha256=load_people(team.people).sha256,
        time=utc_now(),
        params=adoption_params(people.sha256),
    )
    key = load_person_key(team.keys["olga"].path)
    signed = SignedAct(act=act, signature=sshsig.sign(key, act.signed_bytes()))
    olga.documents.put(people.to_bytes())
    record_act(olga, StreamId.registry(), "people:forged", PeopleAdopted(signed=signed))
    assert _kinds(olga) == ["actor_not_authorized"]


def test_the_cli_adopts_in_one_step_or_from_an_act_signed_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`people adopt --prepare`, a signature made elsewhere, `--act/--signature`: adopted."""
    import json  # noqa: PLC0415

    from typer.testing import CliRunner  # noqa: PLC0415

    import infra.runtime  # noqa: PLC0415
    from cli.acts import people_app  # noqa: PLC0415

    made = Team(tmp_path, ROOT / "programs")
    ada = made.as_person("ada")
    monkeypatch.setattr(infra.runtime, "get_runtime", lambda: ada)
    prepared = CliRunner().invoke(
        people_app, ["adopt", str(made.people), "--actor", "ada", "--prepare"]
    )
    assert prepared.exit_code == 0, prepared.output
    assert made.keys_in_store() == []
    act = Act.from_bytes(prepared.stdout.encode())
    assert act.type is ActType.PEOPLE
    signature = sshsig.sign(load_person_key(made.keys["ada"].path), act.signed_bytes())
    (tmp_path / "act.json").write_text(prepared.stdout)
    (tmp_path / "act.sig").write_text(signature)
    args = ["--act", str(tmp_path / "act.json"), "--signature", str(tmp_path / "act.sig")]
    done = CliRunner().invoke(
        people_app, ["adopt", str(made.people), "--actor", "ada", *args, "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "adopted"
    again = CliRunner().invoke(people_app, ["adopt", str(made.people), "--actor", "ada"])
    assert again.exit_code == 0, again.output
    assert "already in force" in again.stdout
