"""The clock policy for acts (issue #22), pure and over a memory store, and both verifiers on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import yaml

from infra.eventlog.directory_store import DirectoryObjectStore
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.events.catalog import ActSigned, LetterSent, decode_event_data
from schemas.log.cumulative_checkpoint import Keyring
from schemas.log.state import StreamState
from schemas.log.streams import StreamId
from schemas.people.acts import ActRefusedError
from schemas.people.clock import ClockPolicy, act_time_problem
from schemas.people.people_file import (
    PeopleError,
    PeopleFile,
    parse_people,
    parse_people_document,
)
from schemas.planning.valid_time import check_not_future, response_time_problem
from schemas.rules.evaluation import Outcome
from tests import independent_verifier
from tests.support.people import people_yaml
from tests.unit.test_acts import PROGRAM, Team, approving_team, team
from usecases.acts import prepare_act, sign_act
from usecases.approvals import approve
from usecases.override import apply_override, override_request, record_override
from usecases.proposals import pending_acts
from usecases.verify import verify_store

if TYPE_CHECKING:
    from pathlib import Path

    from infra.runtime import Runtime
    from schemas.people.acts import SignedAct

__all__ = ["approving_team", "team"]  # fixtures used here by name

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
STREAM = StreamId(program=PROGRAM, jurisdiction="stockton-ca")
POLICY = ClockPolicy(skew_seconds=300, max_delay_seconds=86_400)


@pytest.mark.parametrize(
    ("offset", "policy", "kind"),
    [
        (timedelta(minutes=5), POLICY, None),
        (timedelta(minutes=5, seconds=1), POLICY, "act_time_out_of_bounds"),
        (-timedelta(hours=24), POLICY, None),
        (-timedelta(hours=24, seconds=1), POLICY, "act_backdated"),
        (-timedelta(days=400), None, None),  # before the policy: no lower bound
        (timedelta(minutes=6), None, "act_time_out_of_bounds"),
    ],
)
def test_act_time_bounds(offset: timedelta, policy: ClockPolicy | None, kind: str | None) -> None:
    """An act may be dated within [recorded - max delay, recorded + skew], both ends included."""
    problem = act_time_problem(NOW + offset, NOW, policy)
    assert (None if problem is None else problem[0]) == kind


def test_a_version_1_act_event_reads_with_no_clock() -> None:
    """Act events stored before the policy (version 1) decode with `clock` None."""
    data = {
        "signed": {
            "act": {
                "type": "review",
                "program": "p",
                "subjects": [],
                "actor": "a",
                "people_sha256": "0" * 64,
                "time": "2026-01-01T00:00:00.000000Z",
                "params": {},
            },
            "signature": "x",
        }
    }
    event = decode_event_data(ActSigned.TYPE, 1, data)
    assert isinstance(event, ActSigned)
    assert event.clock is None


def _presigned(
    runtime: Runtime, actor: str, moment: datetime, decision: Outcome = Outcome.ELIGIBLE
) -> SignedAct:
    request = override_request(PROGRAM, "stockton-ca", decision, "court order")
    act = prepare_act(runtime, request, actor).model_copy(update={"time": moment})
    return sign_act(runtime, act)


def _submitted(runtime: Runtime, presigned: SignedAct) -> bool:
    """Record Dora's presigned override; whether a commit was written."""
    outcome = record_override(
        runtime,
        PROGRAM,
        "stockton-ca",
        decision=Outcome.ELIGIBLE,
        reason="court order",
        actor="dora",
        presigned=presigned,
    )
    return outcome.written


def test_presigned_acts_25_hours_old_are_refused_2_hours_old_accepted(team: Team) -> None:
    """Default policy: 25 hours between signing and submitting is too long; 2 hours is fine."""
    dora = team.as_person("dora")
    before = team.keys_in_store()
    stale = _presigned(dora, "dora", utc_now() - timedelta(hours=25))
    with pytest.raises(ActRefusedError, match=r"^refused \(act_backdated\): the act is dated"):
        _submitted(dora, stale)
    assert team.keys_in_store() == before
    assert _submitted(dora, _presigned(dora, "dora", utc_now() - timedelta(hours=2)))


def _dump(team: Team, root: Path) -> Path:
    """The memory store as a downloaded copy (prefix p/)."""
    for key in team.store.list_keys("p/"):
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(team.store.get(key) or b"")
    return root / "p"


def test_both_verifiers_find_backdated_and_future_acts_an_insider_wrote(
    team: Team, tmp_path: Path
) -> None:
    """Acts recorded without the writer's checks: ours and the independent verifier agree."""
    dora = team.as_person("dora")
    late, early = utc_now() - timedelta(days=3), utc_now() + timedelta(hours=1)
    for moment, decision in ((late, Outcome.ELIGIBLE), (early, Outcome.INELIGIBLE)):
        request = override_request(PROGRAM, "stockton-ca", decision, "court order")
        event = ActSigned(signed=_presigned(dora, "dora", moment, decision), clock=POLICY)
        apply_override(dora, PROGRAM, "stockton-ca", request, "dora", act=event)
    ours = verify_store(team.store, "p/", Keyring(keys=()))
    assert sorted(f.kind.value for f in ours.findings if f.kind.value.startswith("act_")) == [
        "act_backdated",
        "act_time_out_of_bounds",
    ]
    copy = _dump(team, tmp_path / "copy")
    assert verify_store(DirectoryObjectStore(tmp_path / "copy"), "p/", Keyring(keys=())).findings
    assert sorted(kind for _, kind in independent_verifier.check_acts(copy)) == [
        "act_backdated",
        "act_time_out_of_bounds",
    ]


def test_the_independent_verifier_passes_acts_the_writer_recorded(
    team: Team, tmp_path: Path
) -> None:
    """On acts the writer checked, the independent act checks find nothing."""
    record_override(
        team.as_person("dora"),
        PROGRAM,
        "stockton-ca",
        decision=Outcome.ELIGIBLE,
        reason="court order",
        actor="dora",
    )
    assert independent_verifier.check_acts(_dump(team, tmp_path / "copy")) == []


def test_one_key_under_two_ids_is_refused_by_check_yet_stored_files_parse(team: Team) -> None:
    """`people check` refuses a shared key; a stored document from before the rule still parses."""
    key = team.keys["dora"].public
    text = people_yaml(
        [
            ("dora", ["determining_official"], key, "2020-01-01", None),
            ("dora-alt", ["determining_official"], key, "2020-01-01", None),
        ]
    )
    with pytest.raises(PeopleError, match=r"people\[1\] \(dora-alt\): the key is also 'dora''s"):
        parse_people(yaml.safe_load(text), source="people.yaml")
    stored = PeopleFile.model_validate(yaml.safe_load(text)).to_bytes()
    assert len(parse_people_document(stored).people) == 2


def test_an_approval_with_the_proposers_key_is_refused(approving_team: Team) -> None:
    """Under a file from before the rule, "dora-alt" (Dora's key) cannot approve Dora's act."""
    text = approving_team.people.read_text() + people_yaml(
        [
            (
                "dora-alt",
                ["determining_official"],
                approving_team.keys["dora"].public,
                "2020-01-01",
                None,
            )
        ]
    ).removeprefix("people:\n")
    shared = PeopleFile.model_validate(yaml.safe_load(text))  # as stored before the rule
    dora = approving_team.as_person("dora")
    alt = approving_team.as_person("dora-alt", key="dora")
    for runtime in (dora, alt):
        runtime.__dict__["people"] = shared
    record_override(
        dora, PROGRAM, "stockton-ca", decision=Outcome.ELIGIBLE, reason="court order", actor="dora"
    )
    (act_id,) = pending_acts(dora, PROGRAM)
    before = approving_team.keys_in_store()
    with pytest.raises(ActRefusedError, match=r"^refused \(duplicate_key_approval\)"):
        approve(alt, PROGRAM, act_id, "dora-alt")
    assert approving_team.keys_in_store() == before


def test_a_writing_as_of_may_be_historical_never_ahead_of_now_plus_skew() -> None:
    """2017 is fine; now plus the skew is fine; a second more is refused with one line."""
    skew = timedelta(minutes=5)
    check_not_future(datetime(2017, 8, 3, tzinfo=UTC), NOW, skew)
    check_not_future(NOW + skew, NOW, skew)
    with pytest.raises(InputError, match=r"^--as-of 2026-12-06T12:05:01.000000Z is after now"):
        check_not_future(NOW + skew + timedelta(seconds=1), NOW, skew)


def test_a_response_lies_between_its_letter_and_its_recording() -> None:
    """received_at before the letter's day or after recorded + skew is named with both bounds."""
    letter = LetterSent(
        letter_sha256="a" * 64, letter_date=date(2017, 8, 3), response_due=None, delivery="none"
    )
    state = replace(StreamState(stream=STREAM), letter=letter)
    skew = timedelta(minutes=5)
    assert response_time_problem(state, datetime(2017, 8, 3, tzinfo=UTC), NOW, skew) is None
    assert response_time_problem(state, NOW + skew, NOW, skew) is None
    early = response_time_problem(state, datetime(2017, 8, 2, 23, tzinfo=UTC), NOW, skew)
    assert early is not None
    assert "not between 2017-08-03T00:00:00.000000Z (the letter's date) and" in early
    assert response_time_problem(state, NOW + skew + timedelta(seconds=1), NOW, skew)
