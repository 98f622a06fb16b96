"""Issue #16's acts under issue #15: determine signed, and under `approvals:` proposed first."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.events.catalog import ActApproved, DecisionDetermined
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.state import decoded_events
from schemas.people.acts import ActRefusedError
from schemas.rules.evaluation import Outcome
from tests.support.people import copy_program
from tests.unit.test_acts import Team
from tests.unit.test_stage_usecases import (
    FIXTURES,
    PROGRAM,
    SLUG,
    STREAM,
    _at,
    awaiting_determination,
)
from usecases.approvals import approve
from usecases.stages import determine
from usecases.verify import verify_store


@pytest.fixture
def team(tmp_path: Path) -> Team:
    """The staged-person program asking two people to agree on a determination."""
    programs = copy_program(FIXTURES, tmp_path / "programs", PROGRAM, "approvals: {determine: 2}")
    made = Team(tmp_path, programs)
    awaiting_determination(made.as_person("olga"), tmp_path)
    return made


def test_a_determination_takes_effect_only_when_a_second_person_approves(team: Team) -> None:
    """Dora proposes, cannot approve her own; Dan's approval records it with both acts."""
    dora = team.as_person("dora")
    act = {"decision": Outcome.ELIGIBLE, "reason": "answered", "actor": "dora", "as_of": _at(9, 1)}
    result = determine(dora, PROGRAM, SLUG, **act)  # type: ignore[arg-type]
    assert result.proposal is not None
    assert result.proposal.status == "proposed"
    act_id = result.proposal.act_id
    assert act_id is not None
    assert not dora.log.state(STREAM).final
    with pytest.raises(ActRefusedError, match="self_approval"):
        approve(dora, PROGRAM, act_id, "dora")
    assert approve(team.as_person("dan"), PROGRAM, act_id, "dan").status == "approved"
    state = dora.log.state(STREAM)
    assert state.final
    events = [e for c in dora.log.read_stream(STREAM) for _, e in decoded_events(c)]
    determined = [e for e in events if isinstance(e, DecisionDetermined)]
    assert [e.actor for e in determined] == ["dora"]
    approved = [e for e in events if isinstance(e, ActApproved)]
    assert [a.act.actor for a in approved[0].approvals] == ["dan"]
    report = verify_store(team.store, "p/", Keyring(keys=()))
    kinds = {f.kind.value for f in report.findings}
    assert not kinds & {"bad_act_signature", "approval_missing", "self_approval"}


def test_a_determination_on_record_is_not_proposed_again(team: Team) -> None:
    """Once approved and recorded, the same determination again proposes nothing, writes nothing."""
    dora = team.as_person("dora")
    act = {"decision": Outcome.ELIGIBLE, "reason": "answered", "actor": "dora", "as_of": _at(9, 1)}
    proposed = determine(dora, PROGRAM, SLUG, **act)  # type: ignore[arg-type]
    assert proposed.proposal is not None
    assert proposed.proposal.act_id is not None
    approve(team.as_person("dan"), PROGRAM, proposed.proposal.act_id, "dan")
    before = sorted(team.store.list_keys("p/"))
    again = determine(dora, PROGRAM, SLUG, **act)  # type: ignore[arg-type]
    assert (again.written, again.proposal) == (False, None)
    assert again.state.final
    assert sorted(team.store.list_keys("p/")) == before
