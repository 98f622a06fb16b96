"""Every refusal a new operator meets says what to do next: the option, setting or command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import typer
from botocore.exceptions import EndpointConnectionError
from prefect import flow
from prefect.settings import PREFECT_API_URL, temporary_settings

from cli.demo import _refuse_people_in_force
from cli.main import main
from flows.deploy.run import run_flow
from infra.errors import DependencyUnavailableError
from infra.identity.people import load_people, load_person_key
from infra.s3 import client as s3
from schemas.people.acts import ActRefusedError
from schemas.rules.evaluation import Outcome
from tests.support.people import make_key
from tests.unit.test_acts import Team, team
from usecases.adopt import adopt_people
from usecases.override import record_override

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["team"]  # a fixture used here by name


@flow
def _tiny() -> int:
    return 1


def test_an_actor_missing_from_the_people_file_is_told_to_pass_actor(team: Team) -> None:
    """'cli' (the default actor) is not a person: pass --actor or set GRANTREVIEW_ACTOR."""
    with pytest.raises(ActRefusedError, match=r"pass --actor YOUR_ID or set GRANTREVIEW_ACTOR"):
        record_override(
            team.as_person("dora"),
            "psp-2017",
            "stockton-ca",
            decision=Outcome.ELIGIBLE,
            reason="court order",
            actor="cli",
        )


def test_a_public_key_given_as_the_private_key_is_named_first(tmp_path: Path) -> None:
    """A .pub file (mode 0644, as ssh-keygen leaves it) is called a public key, not a chmod."""
    make_key(tmp_path, "dora")
    public = tmp_path / "dora_ed25519.pub"
    public.chmod(0o644)  # readable by others, as ssh-keygen leaves it
    with pytest.raises(ValueError, match=r"this is a public key \(\.pub\).*not ~/\.ssh/id_"):
        load_person_key(public)


def test_an_unreachable_prefect_api_says_how_to_start_one() -> None:
    """`make up`, PREFECT_API_URL, or ephemeral mode: the three ways forward."""
    with (
        temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:1/api"}),
        pytest.raises(DependencyUnavailableError, match=r"make up.*unset PREFECT_API_URL"),
    ):
        run_flow(_tiny)


def test_an_unreachable_store_says_how_to_start_one() -> None:
    """`make up`, or the endpoint setting."""

    def down() -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    with pytest.raises(DependencyUnavailableError, match=r"make up.*GRANTREVIEW_S3_ENDPOINT_URL"):
        s3.s3_call("reading k", down)


def test_the_demo_refusal_line_names_the_prefix_to_use(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, one line: a people file is in force, so use GRANTREVIEW_S3_PREFIX=... ."""
    adopt_people(team.as_person("ada"), load_people(team.people), "ada")
    with pytest.raises(typer.Exit) as refused:
        _refuse_people_in_force(team.as_person("ada"))
    assert refused.value.exit_code == 2
    err = capsys.readouterr().err
    assert "people file in force" in err
    assert "GRANTREVIEW_S3_PREFIX=demo-unsigned/ grantreview demo" in err


def test_a_dry_run_refuses_a_people_file_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`review --dry-run` reads the people file as the real run does: missing is exit 2."""
    from infra.platform.settings import get_settings  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415

    monkeypatch.setenv("GRANTREVIEW_PEOPLE_FILE", str(tmp_path / "absent.yaml"))
    monkeypatch.setenv("GRANTREVIEW_S3_ENDPOINT_URL", "http://127.0.0.1:1")
    get_settings.cache_clear()
    get_runtime.cache_clear()
    monkeypatch.setattr("sys.argv", ["grantreview", "review", "-p", "psp-2017", "--all",
                                     "--dry-run"])  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main()
    get_settings.cache_clear()
    get_runtime.cache_clear()
    assert done.value.code == 2
    assert "absent.yaml: cannot read" in capsys.readouterr().err
