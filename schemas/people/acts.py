"""Acts: what a person does, the exact bytes they sign, who may do it, and how many must agree.

An act is a small JSON document (`grantreview.act/1`); its canonical JSON bytes
(schemas/base/canonical.py) are what the person signs with `ssh-keygen -Y sign -n grantreview`
and what `audit acts` prints as `signed_bytes` (docs/log-format.md, "Acts"). Its id is
the first 32 hex digits of their SHA-256. The role table and the approval rule live here
once, for every command that records an act (issue #15, and #16's determine,
request-info and extend). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.people.people_file import PeopleFile, Role
from schemas.people.sshsig import SshSignatureError, verify

__all__ = [
    "ACT_FORMAT",
    "ANOTHER_PEOPLE_FILE",
    "APPROVABLE",
    "ROLE_ACTS",
    "Act",
    "ActProblem",
    "ActRefusedError",
    "ActType",
    "SignedAct",
    "act_problem",
    "approvals_needed",
    "roles_for",
]

ACT_FORMAT: Final = "grantreview.act/1"


class ActType(StrEnum):
    """Every kind of act a person signs."""

    IMPORT = "import"
    REVIEW = "review"
    RESPOND = "respond"
    REQUEST_INFO = "request-info"
    EXTEND = "extend"
    DETERMINE = "determine"
    OVERRIDE = "override"
    APPROVE = "approve"
    REJECT = "reject"
    PEOPLE = "people"
    ADD_ORDER = "add-order"


ROLE_ACTS: Final[Mapping[Role, frozenset[ActType]]] = {
    Role.OPERATOR: frozenset({ActType.IMPORT, ActType.REVIEW, ActType.RESPOND}),
    Role.REVIEWER: frozenset({ActType.REQUEST_INFO, ActType.EXTEND}),
    Role.DETERMINING_OFFICIAL: frozenset({ActType.DETERMINE, ActType.OVERRIDE, ActType.ADD_ORDER}),
    Role.ADMINISTRATOR: frozenset({ActType.PEOPLE, ActType.ADD_ORDER}),
    Role.AUDITOR: frozenset(),
}
"""The one roles table (README, docs/log-format.md). Approving or rejecting a proposed act
needs a role that may do the proposed act itself."""

APPROVABLE: Final = frozenset(
    {ActType.DETERMINE, ActType.OVERRIDE, ActType.REQUEST_INFO, ActType.EXTEND}
)
"""Acts a program's `approvals:` may ask a second person to approve."""


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, as commits spell time (schemas.log.commit imports us)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ActRefusedError(InputError):
    """An act the people file does not allow (unknown actor, no role, wrong key): exit 2."""


def roles_for(act_type: ActType) -> frozenset[Role]:
    """The roles that may do `act_type`."""
    return frozenset(role for role, acts in ROLE_ACTS.items() if act_type in acts)


def approvals_needed(approvals: Mapping[str, int], act_type: ActType) -> int:
    """How many people must agree on `act_type` (1: the actor alone), per program.yaml."""
    return max(1, approvals.get(act_type.value, 1))


class Act(BaseModel):
    """What a person signs: who does what, to which streams, when, under which people file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ActType
    program: str = Field(min_length=1, max_length=64)
    subjects: tuple[str, ...] = Field(max_length=10_000)
    actor: str = Field(min_length=1, max_length=64)
    people_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    time: AwareDatetime
    params: dict[str, Any] = Field(default_factory=dict)

    @field_serializer("time")
    def _time(self, moment: datetime) -> str:
        return format_time(moment)

    def document(self) -> dict[str, Any]:
        """The act as a JSON document, with its format."""
        return {"format": ACT_FORMAT, **self.model_dump(mode="json")}

    def signed_bytes(self) -> bytes:
        """Exactly the bytes the person signs: the canonical JSON of `document()`."""
        return canonical_json(self.document())

    @property
    def act_id(self) -> str:
        """The first 32 hex digits of the SHA-256 of the signed bytes."""
        return sha256_hex(self.signed_bytes())[:32]

    @classmethod
    def from_bytes(cls, raw: bytes) -> Act:
        """Parse signed bytes (a prepared act file) back; they must be canonical."""
        import json  # noqa: PLC0415 - only when reading a prepared act

        try:
            data = json.loads(raw)
        except ValueError:
            raise InputError("the act is not JSON") from None
        if not isinstance(data, dict) or data.pop("format", None) != ACT_FORMAT:
            raise InputError(f"the act is not a {ACT_FORMAT} document")
        act = cls.model_validate(data)
        if act.signed_bytes() != raw.rstrip(b"\n"):
            raise InputError("the act's bytes are not canonical: sign the file as prepared")
        return act


class SignedAct(BaseModel):
    """An act and the person's armored SSH signature over its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    act: Act
    signature: str = Field(min_length=1, max_length=4096)

    @property
    def act_id(self) -> str:
        """The act's id."""
        return self.act.act_id


ANOTHER_PEOPLE_FILE: Final = "the act names another people file"
"""The detail of an act prepared under a people file no longer in force."""


class ActProblem(NamedTuple):
    """Why an act is refused: a finding kind (`bad_act_signature`, ...) and a one-line detail."""

    kind: str
    detail: str


def act_problem(  # noqa: PLR0911 - one return per reason an act is refused
    people: PeopleFile,
    signed: SignedAct,
    needs: ActType | None = None,
    recorded: datetime | None = None,
) -> ActProblem | None:
    """Why `signed` is not a valid act under `people`; None if it is.

    The actor must be in force at the act's time with a key that verifies the signature,
    and hold a role allowed to do `needs` (the act's own type unless given). Given the
    time the act is `recorded`, the key must be in force then too: an expired key cannot
    submit, whatever date it signs (`act_key_expired`).
    """
    act = signed.act
    if people.sha256 != act.people_sha256:
        return ActProblem("bad_act_signature", ANOTHER_PEOPLE_FILE)
    if not people.known(act.actor):
        return ActProblem("actor_not_authorized", f"{act.actor!r} is not in the people file")
    entries = people.entries(act.actor, act.time)
    if not entries:
        when = format_time(act.time)
        return ActProblem("actor_not_authorized", f"{act.actor!r} has no key in force at {when}")
    message = act.signed_bytes()
    signer = None
    for entry in entries:
        try:
            verify(entry.public_key, message, signed.signature)
        except SshSignatureError:
            continue
        signer = entry
        break
    if signer is None:
        return ActProblem(
            "bad_act_signature", f"the signature is not by a key of {act.actor!r} in force"
        )
    if recorded is not None and signer not in people.entries(act.actor, recorded):
        when = format_time(recorded)
        return ActProblem(
            "act_key_expired", f"{act.actor!r}'s key that signed was not in force at {when}"
        )
    wanted = needs or act.type
    if wanted in {ActType.APPROVE, ActType.REJECT}:
        return None  # the role is that of the proposed act, checked where the proposal is known
    if not set(signer.roles) & roles_for(wanted):
        allowed = ", ".join(sorted(role.value for role in roles_for(wanted))) or "nobody"
        return ActProblem(
            "actor_not_authorized", f"{act.actor!r} may not {wanted.value} (needs {allowed})"
        )
    return None
