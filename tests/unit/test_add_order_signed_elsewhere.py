"""`programs add-order --prepare`, `submit`, and the `add-order` deployment (issue #26).

An order is added as every other act can be: prepared and signed where the person's key is
(`ssh-keygen -Y sign`), then recorded by a host holding no person's key.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from prefect.client.schemas.objects import State

from flows import add_order as add_order_module
from infra.runtime import Runtime
from schemas.events.catalog import ActSigned
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from schemas.people.acts import Act, ActType
from tests.unit.test_add_order import AS_OF, ORDER_TEXT, PROGRAM, Office
from tests.unit.test_presigned_commands import Cli

SSH_KEYGEN = shutil.which("ssh-keygen")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI's entry point, run in this process."""
    return Cli(monkeypatch, capsys)


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """30 decided jag-fy2017 reviews, a copy of programs/, people with keys."""
    (tmp_path / "office").mkdir()
    return Office(tmp_path / "office")


def _order_file(office: Office) -> Path:
    path = office.programs.parent / "order.yaml"
    path.write_text(ORDER_TEXT, encoding="utf-8")
    return path


def _server(office: Office) -> Runtime:
    """The host that records: no person's key file, an actor of its own."""
    made = office.as_person("olga")
    made.settings.person_key_file = None
    made.settings.actor = "server"
    return made


def _prepare(office: Office, cli: Cli, name: str) -> str:
    """`programs add-order ... --prepare` as `name`: the act's text, checked unwritten."""
    before = office.snapshot()
    command: list[str | Path] = ["programs", "add-order", PROGRAM, _order_file(office)]
    command += ["--actor", name]
    code, prepared, err = cli(
        office.as_person(name), *command, "--as-of", AS_OF.isoformat(), "--prepare"
    )
    assert code == 0, err
    assert office.snapshot() == before  # not a key, not a byte of program.yaml
    return prepared


def _ssh_keygen_sign(office: Office, name: str, prepared: str) -> tuple[Path, Path]:
    """`ssh-keygen -Y sign -n grantreview` over the prepared file, as on the person's laptop."""
    assert SSH_KEYGEN is not None
    act_file = office.programs.parent / f"{name}-act.json"
    act_file.write_text(prepared, encoding="utf-8")
    key = str(office.keys[name].path)
    signed = subprocess.run(
        [SSH_KEYGEN, "-Y", "sign", "-f", key, "-n", "grantreview", str(act_file)],
        capture_output=True,
        check=False,
    )
    assert signed.returncode == 0, signed.stderr
    return act_file, Path(f"{act_file}.sig")


def _recorded_acts(office: Office) -> list[Act]:
    log = office.as_person("dora").log
    return [
        event.signed.act
        for commit in log.read_stream(StreamId.acts(PROGRAM))
        for _, event in decoded_events(commit)
        if isinstance(event, ActSigned)
    ]


@pytest.mark.skipif(SSH_KEYGEN is None, reason="needs ssh-keygen (localdev/system-deps.sh)")
def test_prepare_writes_nothing_and_submit_records_what_ssh_keygen_signed(
    office: Office, cli: Cli, tmp_path: Path
) -> None:
    """Prepared act: order, programs, preview; submitted, the one-step command's params."""
    prepared = _prepare(office, cli, "dora")
    act = Act.from_bytes(prepared.encode())
    assert act.type is ActType.ADD_ORDER
    assert act.params["order"] == ORDER_TEXT
    assert act.params["as_of"] == AS_OF.isoformat()
    act_file, sig_file = _ssh_keygen_sign(office, "dora", prepared)
    code, out, err = cli(_server(office), "submit", act_file, "--signature", sig_file)
    assert code == 0, err
    assert f"add-order recorded (act {act.act_id})" in out
    (recorded,) = _recorded_acts(office)
    assert recorded == act
    now = (office.programs / PROGRAM / "program.yaml").read_text(encoding="utf-8")
    assert "id: hypothetical-pi" in now
    # The one-step command, by the same person in an identical office, signs the same params.
    (tmp_path / "twin").mkdir()
    twin = Office(tmp_path / "twin")
    done = twin.add("dora")
    (one_step,) = _recorded_acts(twin)
    assert one_step.params == act.params
    assert done.preview.sha256 == act.params["preview_sha256"]


def test_an_act_signed_by_someone_without_the_role_writes_nothing(office: Office, cli: Cli) -> None:
    """Olga (an operator) prepares and signs an add-order: submit refuses it, exit 2."""
    from infra.identity.people import load_person_key  # noqa: PLC0415
    from schemas.people import sshsig  # noqa: PLC0415

    prepared = _prepare(office, cli, "olga")
    act = Act.from_bytes(prepared.encode())
    act_file = office.programs.parent / "olga-act.json"
    act_file.write_text(prepared, encoding="utf-8")
    sig_file = office.programs.parent / "olga-act.json.sig"
    key = load_person_key(office.keys["olga"].path)
    sig_file.write_text(sshsig.sign(key, act.signed_bytes()), encoding="utf-8")
    before = office.snapshot()
    code, _, err = cli(_server(office), "submit", act_file, "--signature", sig_file)
    assert code == 2
    assert "may not add-order" in err
    assert office.snapshot() == before


def test_the_deployment_refuses_a_form_without_an_act_saying_how_to_prepare_it(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Served with no person's key under a people file, a bare form is refused, nothing written."""
    monkeypatch.setattr(add_order_module, "get_runtime", lambda: _server(office))
    before = office.snapshot()
    state = add_order_module.add_order.fn(PROGRAM, "dora", ORDER_TEXT, AS_OF)
    assert isinstance(state, State)
    assert state.is_failed()
    assert "grantreview programs add-order jag-fy2017 order.yaml --actor dora" in str(state.message)
    assert office.snapshot() == before


def test_the_deployment_records_an_act_from_the_act_alone(
    office: Office, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With act and signature filled in, the order and dates come from the act itself."""
    from infra.identity.people import load_person_key  # noqa: PLC0415
    from schemas.people import sshsig  # noqa: PLC0415

    prepared = _prepare(office, cli, "ada")
    act = Act.from_bytes(prepared.encode())
    signature = sshsig.sign(load_person_key(office.keys["ada"].path), act.signed_bytes())
    monkeypatch.setattr(add_order_module, "get_runtime", lambda: _server(office))
    monkeypatch.setattr(add_order_module, "publish_preview", lambda _found: None)
    done = add_order_module.add_order.fn(PROGRAM, "ada", act=prepared, signature=signature)
    assert done["act_id"] == act.act_id
    assert done["preview_sha256"] == act.params["preview_sha256"]
    assert _recorded_acts(office) == [act]


def test_the_add_order_deployment_is_served_with_its_form() -> None:
    """`grantreview serve` runs an `add-order` deployment: a program choice, the act's fields."""
    from prefect.utilities.callables import parameter_schema  # noqa: PLC0415 - see test_stage_flows

    from flows.deploy.deployments import (  # noqa: PLC0415
        SERVED_FLOWS,
        add_order_deployments,
        served_deployments,
    )
    from flows.deploy.forms import with_program_choice  # noqa: PLC0415
    from infra.platform.settings import Settings  # noqa: PLC0415

    (deployment,) = add_order_deployments([PROGRAM])
    assert (deployment.name, deployment.entrypoint) == ("add-order", "flows.add_order.add_order")
    assert add_order_module.add_order in SERVED_FLOWS
    served = {made.name for made in served_deployments([PROGRAM], settings=Settings())}
    assert {"add-order", "act", "preview"} <= served
    schema = parameter_schema(with_program_choice(add_order_module.add_order, [PROGRAM]))
    assert schema.properties["program"]["enum"] == [PROGRAM]
    assert set(schema.required) == {"program", "actor"}
    assert {"order", "act", "signature", "preview_sha256"} <= set(schema.properties)


def test_an_act_for_another_order_text_is_refused_by_name(office: Office, cli: Cli) -> None:
    """`--act` with an order file other than the one prepared: one short line, nothing written."""
    from infra.identity.people import load_person_key  # noqa: PLC0415
    from schemas.people import sshsig  # noqa: PLC0415

    prepared = _prepare(office, cli, "dora")
    act = Act.from_bytes(prepared.encode())
    act_file = office.programs.parent / "dora-act.json"
    act_file.write_text(prepared, encoding="utf-8")
    sig_file = office.programs.parent / "dora-act.json.sig"
    key = load_person_key(office.keys["dora"].path)
    sig_file.write_text(sshsig.sign(key, act.signed_bytes()), encoding="utf-8")
    other = office.programs.parent / "other.yaml"
    other.write_text(ORDER_TEXT.replace("(test only)", "(another test)"), encoding="utf-8")
    before = office.snapshot()
    command: list[str | Path] = ["programs", "add-order", PROGRAM, other, "--actor", "dora"]
    dated: list[str | Path] = ["--as-of", AS_OF.isoformat(), "--act", act_file]
    code, _, err = cli(_server(office), *command, *dated, "--signature", sig_file)
    assert code == 2
    assert "the signed act's order is not this addition's" in err
    assert len(err.strip().splitlines()[-1]) < 200
    assert office.snapshot() == before
