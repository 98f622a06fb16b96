"""Determine, request-info and extend signed elsewhere: `--prepare`, a signature, `--act`.

The staged test program; Dora decides, Rita reviews. The host that records each act holds
no person's key (issue #15, point 7); a signature by someone without the role, or an act
for another jurisdiction, is refused and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.people.acts import Act
from tests.support.people import make_key, people_yaml
from tests.unit.test_acts import ROOT, Team
from tests.unit.test_presigned_commands import Cli, _audited, _error, _server, _sign, cli
from tests.unit.test_stage_usecases import FIXTURES, PROGRAM, SLUG, _advance, _at, _lettered
from tests.unit.test_stage_usecases import _respond as _answer
from usecases.imports import import_csv

__all__ = ["cli"]  # a fixture used here by name

AS_OF = ("--as-of", "2017-08-12T12:00:00Z")


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """Stockton has a preliminary decision with its answer window open (due 2017-08-25)."""
    made = Team(tmp_path, FIXTURES)
    made.keys["rita"] = make_key(tmp_path, "rita")
    roles = {"olga": "operator", "dora": "determining_official", "rita": "reviewer"}
    made.people.write_text(
        people_yaml(
            [
                (name, [role], made.keys[name].public, "2020-01-01", None)
                for name, role in roles.items()
            ]
        )
    )
    olga = made.as_person("olga")
    import_csv(olga, ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv")
    _lettered(olga)
    _answer(olga, tmp_path, "not_applicable", _at(8, 10))
    _advance(olga, _at(8, 11))
    return made


ACTS = {
    "request-info": (
        "rita",
        ["--question", "detainer_hold", "--due", "2017-09-10", "--reason", "unclear", *AS_OF],
    ),
    "extend": ("rita", ["--until", "2017-09-15", "--reason", "asked for time", *AS_OF]),
}


@pytest.mark.parametrize("command", sorted(ACTS))
def test_a_reviewers_act_signed_elsewhere_is_recorded_by_a_keyless_host(
    team: Team, cli: Cli, command: str
) -> None:
    """Rita prepares (nothing written) and signs; the server records exactly her act."""
    person, options = ACTS[command]
    args = [command, SLUG, "-p", PROGRAM, *options, "--actor", person]
    before = team.keys_in_store()
    code, prepared, err = cli(team.as_person(person), *args, "--prepare")
    assert code == 0, err
    assert team.keys_in_store() == before
    act = Act.from_bytes(prepared.encode())
    code, _, err = cli(_server(team), *args, *_sign(team, prepared, "olga"))
    assert code == 2, err
    assert "bad_act_signature" in _error(err)  # Rita's act, Olga's key
    as_olga = [*args[:-1], "olga"]
    _, olgas, _ = cli(team.as_person("olga"), *as_olga, "--prepare")
    code, _, err = cli(_server(team), *as_olga, *_sign(team, olgas, "olga"))
    assert code == 2, err
    assert "actor_not_authorized" in _error(err)  # an operator may not
    other = [*args[: args.index("--reason") + 1], "another reason", *AS_OF, "--actor", person]
    code, _, err = cli(_server(team), *other, *_sign(team, prepared, person))
    assert code == 2, err
    assert "the signed act's params" in _error(err)  # signed for something else
    assert team.keys_in_store() == before
    code, _, err = cli(_server(team), *args, *_sign(team, prepared, person))
    assert code == 0, err
    rows = [row for row in _audited(team, PROGRAM) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"]) for row in rows] == [(act.type.value, person)]


def test_a_determination_signed_elsewhere_is_recorded_by_a_keyless_host(
    team: Team, cli: Cli, tmp_path: Path
) -> None:
    """Once the answer is in and the window closed, Dora's signed determination is final."""
    olga = team.as_person("olga")
    _answer(olga, tmp_path, "yes", _at(8, 25))
    _advance(olga, _at(8, 26))
    args = ["determine", SLUG, "-p", PROGRAM, "--decision", "eligible", "--reason", "answered"]
    args += ["--actor", "dora", "--as-of", "2017-08-28T12:00:00Z"]
    code, prepared, err = cli(team.as_person("dora"), *args, "--prepare")
    assert code == 0, err
    code, out, err = cli(_server(team), *args, *_sign(team, prepared, "dora"))
    assert code == 0, err
    assert "determination recorded" in out
    act = Act.from_bytes(prepared.encode())
    rows = [row for row in _audited(team, PROGRAM) if row["act_id"] == act.act_id]
    assert [(row["type"], row["actor"]) for row in rows] == [("determine", "dora")]


def test_an_act_on_record_signed_by_another_is_still_refused(team: Team, cli: Cli) -> None:
    """The recorded extension again, signed by someone else: exit 2, nothing written."""
    person, options = ACTS["extend"]
    args = ["extend", SLUG, "-p", PROGRAM, *options, "--actor", person]
    code, prepared, err = cli(team.as_person(person), *args, "--prepare")
    assert code == 0, err
    code, _, err = cli(_server(team), *args, *_sign(team, prepared, person))
    assert code == 0, err
    before = team.keys_in_store()
    code, _, err = cli(_server(team), *args, *_sign(team, prepared, "olga"))
    assert code == 2, err
    assert "bad_act_signature" in _error(err)
    assert team.keys_in_store() == before
