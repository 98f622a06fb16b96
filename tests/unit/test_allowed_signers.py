"""`grantreview people allowed-signers`: the exact lines, and its refusals (exit 2, one line)."""

from __future__ import annotations

from pathlib import Path

from infra.identity.people import load_people
from schemas.people.allowed_signers import allowed_signers
from tests.support.people import make_key, people_yaml
from tests.unit.test_acts import ROOT, Team
from tests.unit.test_presigned_commands import Cli, cli
from usecases.adopt import adopt_people

__all__ = ["cli"]  # a fixture used here by name


def test_each_entry_is_one_line_with_its_namespace_and_window(tmp_path: Path) -> None:
    """valid_from at 00:00 UTC; valid_until exclusive, so the second before it."""
    olga, dora = make_key(tmp_path, "olga"), make_key(tmp_path, "dora")
    path = tmp_path / "people.yaml"
    path.write_text(
        people_yaml(
            [
                ("olga", ["operator"], olga.public, "2020-01-01", None),
                ("dora", ["determining_official"], dora.public, "2021-03-04", "2024-06-01"),
            ]
        )
    )
    people = load_people(path)
    key = {name: " ".join(k.public.split()[:2]) for name, k in (("olga", olga), ("dora", dora))}
    assert allowed_signers(people).splitlines() == [
        f"# grantreview people file {people.sha256}",
        f'olga namespaces="grantreview",valid-after="20200101000000Z" {key["olga"]}',
        (
            'dora namespaces="grantreview",valid-after="20210304000000Z",'
            f'valid-before="20240531235959Z" {key["dora"]}'
        ),
    ]


def test_the_file_in_force_or_one_an_act_names_and_clear_refusals(tmp_path: Path, cli: Cli) -> None:
    """Default: the adopted file; `--people-sha256`: that stored file; bad input: exit 2."""
    team = Team(tmp_path, ROOT / "programs")
    ada = team.as_person("ada")
    unset = team.as_person("ada")
    unset.settings.people_file = None
    code, _, err = cli(unset, "people", "allowed-signers")
    assert (code, "no people file is in force" in err) == (2, True), err
    people = load_people(team.people)
    adopt_people(ada, people, "ada")
    code, in_force, err = cli(unset, "people", "allowed-signers")
    assert code == 0, err
    code, named, err = cli(ada, "people", "allowed-signers", "--people-sha256", people.sha256)
    assert code == 0, err
    assert named == in_force == allowed_signers(people)
    for args in (["--people-sha256", "f" * 64], ["--people-sha256", "XYZ"]):
        code, _, err = cli(ada, "people", "allowed-signers", *args)
        assert code == 2, err
    code, _, err = cli(ada, "people", "allowed-signers", team.people, "--people-sha256", "0")
    assert code == 2, err
