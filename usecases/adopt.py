"""An administrator puts a people file in force: `grantreview people adopt FILE` (issue #15).

The adoption is the administrator's signed `people` act, recorded on the registry stream
(`grantreview.people.adopted`) with the file stored content-addressed. It is signed under
the file in force, by one of its administrators; the very first adoption, when none is in
force, by an administrator listed in the adopted file itself (the trust root, like the
system's verify key: readers decide to trust that key). Nothing is written when refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.identity.people import store_people
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.events.catalog import PeopleAdopted
from schemas.log.streams import REGISTRY, StreamId
from schemas.people.acts import Act, ActRefusedError, ActType, SignedAct
from schemas.planning.adoptions import adoption_params, adoption_problem
from usecases.acts import check_act_time, clock_policy, sign_act
from usecases.checkpoints import check_before_writing
from usecases.people import adopted_file, people_history
from usecases.proposals import ActOutcome, record_act

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.people.people_file import PeopleFile

__all__ = ["adopt_people", "prepare_adoption"]


def prepare_adoption(runtime: Runtime, people: PeopleFile, actor: str) -> Act:
    """The `people` act adopting `people`, under the file in force (or `people`, the first)."""
    current = people_history(runtime).current
    return Act(
        type=ActType.PEOPLE,
        program=REGISTRY,
        subjects=(),
        actor=actor,
        people_sha256=people.sha256 if current is None else current.adopted,
        time=utc_now(),
        params=adoption_params(people.sha256),
    )


def adopt_people(
    runtime: Runtime, people: PeopleFile, actor: str, presigned: SignedAct | None = None
) -> ActOutcome:
    """Record `actor`'s adoption of `people` (signed here, or `presigned` elsewhere)."""
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    current = people_history(runtime).current
    if current is not None and current.adopted == people.sha256:
        return ActOutcome(act_id=None, status="already in force", written=False)
    signed = presigned or sign_act(runtime, prepare_adoption(runtime, people, actor))
    if signed.act.actor != actor:
        raise InputError(f"the signed act's actor is {signed.act.actor!r}, not {actor!r}")
    now = utc_now()
    check_act_time(runtime, signed.act, now)
    if current is not None and signed.act.time < current.time:
        raise ActRefusedError("refused: signed before the people file in force was adopted")
    authority = people if current is None else adopted_file(runtime, current.adopted)
    problem = adoption_problem(authority, people, signed, recorded=now)
    if problem is not None:
        raise ActRefusedError(f"refused ({problem.kind}): {problem.detail}")
    store_people(runtime.documents, people)
    event = PeopleAdopted(signed=signed, clock=clock_policy(runtime))
    written = record_act(runtime, StreamId.registry(), f"people:{signed.act_id}", event)
    return ActOutcome(act_id=signed.act_id, status="adopted", written=written)
