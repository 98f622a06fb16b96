"""Verifying people's acts inside the one audit pass: signature, role, approvals, effect.

For each intact commit: every signed act it carries verifies under the people file it
names (stored by hash: a file missing or changed since is a finding), by a key of the
actor in force at the act's time, with a role for the act; an approved act has enough
distinct approvers other than the proposer; and each effect event (an override, an
import, a response) matches the act recorded beside it. Which people file was in force
when (the administrators' adoptions) is judged once the whole log is seen
(schemas/audit/_verify_people.py): an effect with no act is `unsigned_act` exactly when a file
was in force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemas.audit._verify_people import InForceCheck, Where
from schemas.base.canonical import format_time
from schemas.base.findings import Finding, FindingKind, stream_finding
from schemas.events.catalog import (
    ActApproved,
    ActProposed,
    ActRejected,
    ActSigned,
    DeadlineExtended,
    DecisionDetermined,
    DecisionOverridden,
    DomainEvent,
    InformationRequested,
    JurisdictionsRegistered,
    OrderAdded,
    PeopleAdopted,
    ResponseReceived,
    UnknownEventTypeError,
    decode_event_data,
)
from schemas.log.streams import ACTS
from schemas.people.acts import Act, ActType, SignedAct, act_problem, approvals_needed
from schemas.people.clock import ClockPolicy, act_time_problem
from schemas.people.people_file import PeopleError, PeopleFile, parse_people_document
from schemas.people.sshsig import SshSignatureError, signer_key_blob
from schemas.planning.order_addition import ORDER_TEXT_PARAMS
from schemas.program.definition import ProgramBundle, ProgramError

if TYPE_CHECKING:
    from datetime import datetime

    from schemas.log.commit import Commit
    from schemas.log.streams import StreamId

__all__ = ["ActAudit", "Documents", "effect_problem"]

Documents = Callable[[str], bytes | None]
"""A stored document by its SHA-256, None when absent or no longer matching its hash."""


def _override(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, DecisionOverridden)  # noqa: S101 - dispatched by type
    wanted = {"decision": event.decision.value, "reason": event.reason}
    if act.type is not ActType.OVERRIDE or act.params != wanted or act.actor != event.actor:
        return "the override differs from the act its person signed"
    return None


def _import(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, JurisdictionsRegistered)  # noqa: S101
    if act.type is not ActType.IMPORT or act.params != {"source_sha256": event.source_sha256}:
        return "the import differs from the act its person signed"
    return None


def _respond(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, ResponseReceived)  # noqa: S101
    if act.type is not ActType.RESPOND or act.params != {"response_sha256": event.response_sha256}:
        return "the response differs from the act its person signed"
    return None


def _determine(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, DecisionDetermined)  # noqa: S101
    wanted: dict[str, str] = {"decision": event.decision.value, "reason": event.reason}
    if "as_of" in act.params:  # signed since the clock policy; older acts carry none
        wanted["as_of"] = format_time(event.as_of)
    if act.type is not ActType.DETERMINE or act.params != wanted or act.actor != event.actor:
        return "the determination differs from the act its person signed"
    return None


def _request_info(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, InformationRequested)  # noqa: S101
    wanted = {
        "questions": list(event.questions),
        "due": event.due.isoformat(),
        "reason": event.reason,
    }
    stated = act.params.get("as_of")  # signed since the clock policy: the request's date
    if isinstance(stated, str) and stated[:10] == event.requested_on.isoformat():
        wanted["as_of"] = stated
    if act.type is not ActType.REQUEST_INFO or act.params != wanted or act.actor != event.actor:
        return "the information request differs from the act its person signed"
    return None


def _extend(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, DeadlineExtended)  # noqa: S101
    wanted = {"until": event.until.isoformat(), "reason": event.reason}
    if "as_of" in act.params:  # dates the extension's notice; no field of the event holds it
        wanted["as_of"] = act.params["as_of"]
    if act.type is not ActType.EXTEND or act.params != wanted or act.actor != event.actor:
        return "the extension differs from the act its person signed"
    return None


def _add_order(event: DomainEvent, act: Act) -> str | None:
    assert isinstance(event, OrderAdded)  # noqa: S101
    wanted = {
        "order_id": event.order_id,
        "program_before_sha256": event.program_before_sha256,
        "program_sha256": event.program_sha256,
        "preview_sha256": event.preview_sha256,
    }
    for name in ORDER_TEXT_PARAMS:  # the order's text and the preview's dates: no event field
        if name in act.params:
            wanted[name] = act.params[name]
    if act.type is not ActType.ADD_ORDER or act.params != wanted or act.actor != event.actor:
        return "the added order differs from the act its person signed"
    return None


EFFECTS: dict[type[DomainEvent], Callable[[DomainEvent, Act], str | None]] = {
    DecisionOverridden: _override,
    DecisionDetermined: _determine,
    InformationRequested: _request_info,
    DeadlineExtended: _extend,
    JurisdictionsRegistered: _import,
    ResponseReceived: _respond,
    OrderAdded: _add_order,
}
"""Events that are a person's act, and how each must match it (#16 adds its own)."""


def effect_problem(event: DomainEvent, act: Act, stream: StreamId) -> str | None:
    """Why `event` is not what `act` signed for in `stream`; None if it is (or not an effect)."""
    check = next((fn for cls, fn in EFFECTS.items() if isinstance(event, cls)), None)
    if check is None:
        return None
    program_wide = stream.jurisdiction in {"jurisdictions", ACTS}
    subjects = () if program_wide else (stream.jurisdiction,)
    if act.program != stream.program or act.subjects != subjects:
        return "the act was signed for another stream"
    return check(event, act)


@dataclass
class ActAudit:
    """Acts checked commit by commit; unsigned effects are judged once the whole log is seen."""

    documents: Documents
    _people: dict[str, PeopleFile | None] = field(default_factory=dict)
    _approvals: dict[str, dict[str, int] | None] = field(default_factory=dict)
    signed: int = 0
    in_force: InForceCheck = field(init=False)
    _where: Where | None = None
    _recorded: datetime | None = None

    def __post_init__(self) -> None:
        """The whole-log check reads people files through this audit's cache."""
        self.in_force = InForceCheck(self.people)

    def people(self, sha: str) -> PeopleFile | None:
        """The people file stored under `sha`, or None (missing, changed, or not one)."""
        if sha not in self._people:
            raw = self.documents(sha)
            try:
                self._people[sha] = None if raw is None else parse_people_document(raw)
            except PeopleError:
                self._people[sha] = None
        return self._people[sha]

    def approvals(self, program_sha: str) -> dict[str, int] | None:
        """The `approvals:` of the program document under `program_sha` (None: unknown)."""
        if program_sha not in self._approvals:
            raw = self.documents(program_sha) if program_sha else None
            try:
                bundle = None if raw is None else ProgramBundle.from_document(raw)
            except ProgramError:
                bundle = None
            self._approvals[program_sha] = (
                None if bundle is None else dict(bundle.program.approvals or {})
            )
        return self._approvals[program_sha]

    def commit(self, stream: StreamId, seq: int, commit: Commit, key: str) -> list[Finding]:
        """The act findings of one intact commit."""
        events = _decoded(commit)
        self._where = (stream, seq, key)
        self._recorded = commit.time
        found: list[tuple[FindingKind, str]] = []
        for event in events:
            if isinstance(event, PeopleAdopted):
                self.signed += 1
                self.in_force.adoption(commit.time, event.signed, self._where)
                found += _time_findings(event.signed, commit.time, event.clock)
        more, act, approved = self._acts(events)
        found += more
        program_sha = str(commit.events[0].get("grprogramsha", "")) if commit.events else ""
        for event in events:
            if not any(isinstance(event, cls) for cls in EFFECTS):
                continue
            if act is None:
                detail = f"{type(event).__name__} recorded without its person's signed act"
                finding = stream_finding(stream, seq, FindingKind.UNSIGNED_ACT, detail, key)
                self.in_force.unsigned(commit.time, finding)
                continue
            problem = effect_problem(event, act, stream)
            if problem is not None:
                found.append((FindingKind.BAD_ACT_SIGNATURE, problem))
            required = self.approvals(program_sha)
            needed = 1 if required is None else approvals_needed(required, act.type)
            have = 1 + (0 if approved is None else len(_approvers(approved)))
            keys = 1 + (0 if approved is None else len(_approving_keys(approved)))
            if approved is not None and keys < have:
                detail = f"{act.type.value}: {have} ids took part but only {keys} distinct keys"
                found.append((FindingKind.DUPLICATE_KEY_APPROVAL, detail))
            have = min(have, keys)
            if have < needed:
                detail = f"{act.type.value} needs {needed} people; {have} took part"
                found.append((FindingKind.APPROVAL_MISSING, detail))
        return [stream_finding(stream, seq, kind, detail, key) for kind, detail in found]

    def _acts(
        self, events: list[DomainEvent]
    ) -> tuple[list[tuple[FindingKind, str]], Act | None, ActApproved | None]:
        """Check every signed act in a commit; the act its effects follow, and its approval."""
        found: list[tuple[FindingKind, str]] = []
        act: Act | None = None
        approved: ActApproved | None = None
        for event in events:
            if isinstance(event, (ActSigned, ActProposed)):
                found += self._check(event.signed, timed=True, clock=event.clock)
                act = event.signed.act if isinstance(event, ActSigned) else act
            elif isinstance(event, ActApproved):
                found += self._approved(event)
                act, approved = event.proposal.act, event
            elif isinstance(event, ActRejected):
                found += self._check(event.rejection, timed=True, clock=event.clock)
        return found, act, approved

    def _check(
        self,
        signed: SignedAct,
        needs: ActType | None = None,
        *,
        timed: bool = False,
        clock: ClockPolicy | None = None,
    ) -> list[tuple[FindingKind, str]]:
        """Check one act; `timed`: also its time and key against this commit's, under `clock`.

        Acts recorded earlier and repeated here (a proposal, earlier approvals) are not
        timed: their times were checked where they were first recorded.
        """
        act = signed.act
        recorded = self._recorded if timed else None
        timing = [] if recorded is None else _time_findings(signed, recorded, clock)
        self.signed += 1
        if self._where is not None:
            self.in_force.named(act, self._where)
        people = self.people(act.people_sha256)
        if people is None:
            detail = f"people file {act.people_sha256[:16]}... is missing or changed since"
            return [*timing, (FindingKind.PEOPLE_FILE_CHANGED, detail)]
        problem = act_problem(people, signed, needs, recorded)
        return timing + ([] if problem is None else [(FindingKind(problem.kind), problem.detail)])

    def _approved(self, event: ActApproved) -> list[tuple[FindingKind, str]]:
        proposal = event.proposal
        found = self._check(proposal)
        last = len(event.approvals) - 1
        for index, approval in enumerate(event.approvals):
            timed = index == last
            found += self._check(approval, proposal.act.type, timed=timed, clock=event.clock)
            if approval.act.params.get("act_id") != proposal.act_id:
                found.append((FindingKind.BAD_ACT_SIGNATURE, "an approval names another act"))
            if approval.act.actor == proposal.act.actor:
                detail = f"{proposal.act.actor!r} approved their own act {proposal.act_id}"
                found.append((FindingKind.SELF_APPROVAL, detail))
        return found

    def unsigned(self) -> list[Finding]:
        """What only the whole log shows: adoptions, files not in force, unsigned effects."""
        return self.in_force.findings()

    @property
    def people_in_force(self) -> str | None:
        """The hash of the people file adopted last, or None: acts are unsigned."""
        current = self.in_force.history.current
        return None if current is None else current.adopted


def _time_findings(
    signed: SignedAct, recorded: datetime, clock: ClockPolicy | None
) -> list[tuple[FindingKind, str]]:
    """The act's time against the time its commit recorded it, under the recorded policy."""
    problem = act_time_problem(signed.act.time, recorded, clock)
    return [] if problem is None else [(FindingKind(problem.kind), problem.detail)]


def _approving_keys(event: ActApproved) -> set[bytes]:
    """The distinct keys that approved, other than the proposer's: people, not ids."""
    keys = {_key(signed) for signed in event.approvals} - {_key(event.proposal)}
    return keys - {b""}


def _key(signed: SignedAct) -> bytes:
    try:
        return signer_key_blob(signed.signature)
    except SshSignatureError:
        return b""  # a broken signature is its own finding


def _approvers(event: ActApproved) -> set[str]:
    proposer = event.proposal.act.actor
    return {signed.act.actor for signed in event.approvals} - {proposer}


def _decoded(commit: Commit) -> list[DomainEvent]:
    """The commit's events this code knows (others are the integrity pass's business)."""
    events: list[DomainEvent] = []
    for stored in commit.events:
        try:
            events.append(decode_event_data(stored["type"], stored["grschema"], stored["data"]))
        except (UnknownEventTypeError, ValueError, KeyError, TypeError):
            continue
    return events
