"""Which people file was in force when: the administrators' adoptions, as recorded (issue #15).

A people file is in force from the commit that records its adoption
(`grantreview.people.adopted`, on the registry stream) until the next one. The adoption is
a `people` act by an administrator of the file in force before; the very first adoption
(the trust root) is signed under the adopted file itself by one of its administrators.
Whoever reads the log decides whether to trust that first administrator's key, as they
decide to trust the system's verify key. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemas.events.catalog import PeopleAdopted
from schemas.log.state import decoded_events
from schemas.log.streams import REGISTRY
from schemas.people.acts import ActProblem, ActType, act_problem

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from schemas.log.commit import Commit
    from schemas.people.acts import SignedAct
    from schemas.people.people_file import PeopleFile

__all__ = ["Adoption", "PeopleHistory", "adoption_params", "adoption_problem"]


def adoption_params(adopted_sha256: str) -> dict[str, str]:
    """The params of a `people` act: the adopted file's hash."""
    return {"people_sha256": adopted_sha256}


@dataclass(frozen=True)
class Adoption:
    """One recorded adoption: when its commit was written, and the administrator's act."""

    time: datetime
    signed: SignedAct

    @property
    def adopted(self) -> str:
        """The hash of the people file it put in force."""
        return str(self.signed.act.params.get("people_sha256", ""))


class PeopleHistory:
    """Every adoption in the order recorded: the file in force at any moment."""

    def __init__(self, adoptions: Iterable[Adoption] = ()) -> None:
        self.adoptions = sorted(adoptions, key=lambda adoption: adoption.time)

    @classmethod
    def from_commits(cls, commits: Iterable[Commit]) -> PeopleHistory:
        """The adoptions the registry stream's commits hold."""
        return cls(
            Adoption(time, event.signed)
            for commit in commits
            for time, event in decoded_events(commit)
            if isinstance(event, PeopleAdopted)
        )

    @property
    def current(self) -> Adoption | None:
        """The adoption in force now (the last one), or None: no people file was adopted."""
        return self.adoptions[-1] if self.adoptions else None

    @property
    def started(self) -> datetime | None:
        """When the first people file was put in force (from then on, acts must be signed)."""
        return self.adoptions[0].time if self.adoptions else None

    def in_force(self, moment: datetime) -> str | None:
        """The hash of the file in force at `moment` (the last adoption at or before it)."""
        found = None
        for adoption in self.adoptions:
            if adoption.time <= moment:
                found = adoption.adopted
        return found


def adoption_problem(
    authority: PeopleFile,
    adopted: PeopleFile,
    signed: SignedAct,
    recorded: datetime | None = None,
) -> ActProblem | None:
    """Why `signed` does not validly adopt `adopted` under `authority`; None if it does.

    `authority` is the file in force before, or `adopted` itself for the first adoption;
    the key must be in force when the adoption is `recorded` too.
    """
    act = signed.act
    if act.type is not ActType.PEOPLE or act.program != REGISTRY or act.subjects:
        return ActProblem("bad_act_signature", "an adoption must be a people act on the registry")
    if act.params != adoption_params(adopted.sha256):
        return ActProblem("bad_act_signature", "the adoption's act names another people file")
    return act_problem(authority, signed, recorded=recorded)
