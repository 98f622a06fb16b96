"""Acts signed elsewhere (`--prepare`, `ssh-keygen -Y sign`) go through `submit` for #16's acts."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.identity.people import load_person_key
from schemas.base.errors import InputError
from schemas.events.catalog import ActSigned, DecisionDetermined
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.state import decoded_events
from schemas.people import sshsig
from schemas.people.acts import SignedAct
from schemas.rules.evaluation import Outcome
from tests.unit.test_acts import Team
from tests.unit.test_stage_usecases import (
    FIXTURES,
    PROGRAM,
    SLUG,
    STREAM,
    awaiting_determination,
)
from usecases.acts import prepare_act
from usecases.stages import determine_request
from usecases.submit import submit_act
from usecases.verify import verify_store


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """A staged stream awaiting its determination."""
    made = Team(tmp_path, FIXTURES)
    awaiting_determination(made.as_person("olga"), tmp_path)
    return made


def test_a_determination_signed_elsewhere_is_submitted_by_a_keyless_host(team: Team) -> None:
    """Dora prepares and signs on her laptop; a host with no person's key records it."""
    dora = team.as_person("dora")
    request = determine_request(PROGRAM, SLUG, Outcome.ELIGIBLE, "answered")
    act = prepare_act(dora, request, "dora")
    signature = sshsig.sign(load_person_key(team.keys["dora"].path), act.signed_bytes())
    server = team.as_person("dora")
    server.settings.person_key_file = None  # a served deployment holds no person's key
    before = team.keys_in_store()
    forged = SignedAct(act=act, signature=signature.replace(signature[40:44], "AAAA"))
    with pytest.raises(InputError):
        submit_act(server, forged)
    assert team.keys_in_store() == before
    outcome = submit_act(server, SignedAct(act=act, signature=signature))
    assert (outcome.status, outcome.act_id) == ("recorded", act.act_id)
    events = [e for c in dora.log.read_stream(STREAM) for _, e in decoded_events(c)]
    assert [e.actor for e in events if isinstance(e, DecisionDetermined)] == ["dora"]
    assert [e.signed.act_id for e in events if isinstance(e, ActSigned)][-1] == act.act_id
    report = verify_store(team.store, "p/", Keyring(keys=()))
    kinds = {f.kind.value for f in report.findings}
    assert not kinds & {"bad_act_signature", "actor_not_authorized", "unsigned_act"}
