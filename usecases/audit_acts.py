"""`audit acts`: every person's act in the log, with exactly what was signed and if it verifies.

Each row carries `signed_bytes` (the act's canonical bytes, as text), `signature` (the
armored SSH signature) and `verify_time` (the act's time as OpenSSH writes it), so anyone
can check one with `ssh-keygen -Y verify -n grantreview -Overify-time=...` and the allowed
signers file `grantreview people allowed-signers --people-sha256 ...` prints
(docs/log-format.md, "Acts").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.eventlog.documents import DocumentStore
from infra.eventlog.listing import read_all
from schemas.audit.auditor import ActAudit
from schemas.events.catalog import ActApproved, ActProposed, ActRejected, ActSigned, PeopleAdopted
from schemas.log.commit import MAX_COMMIT_BYTES, CommitFormatError, parse_commit
from schemas.log.state import decoded_events
from schemas.log.streams import parse_commit_key
from schemas.people.acts import ActProblem, SignedAct, act_problem
from schemas.people.allowed_signers import openssh_time
from usecases.audit_scope import require_in_log

if TYPE_CHECKING:
    from collections.abc import Sequence

    from infra.eventlog.store import ObjectStore

__all__ = ["list_acts"]


def _signed_acts(event: object) -> list[SignedAct]:
    if isinstance(event, (ActSigned, ActProposed, PeopleAdopted)):
        return [event.signed]
    if isinstance(event, ActApproved):
        return [event.proposal, *event.approvals]
    if isinstance(event, ActRejected):
        return [event.rejection]
    return []


def list_acts(
    store: ObjectStore, prefix: str, program: str | None = None, slugs: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """One row per distinct act (first where recorded), in log order per stream."""
    require_in_log(store, prefix, [] if program is None else [program], slugs)
    folder = f"{prefix}streams/" if program is None else f"{prefix}streams/{program}/"
    audit = ActAudit(DocumentStore(store, prefix).get)
    rows: dict[str, dict[str, Any]] = {}
    for key, raw in sorted(read_all(store, folder, limit=MAX_COMMIT_BYTES).items()):
        located = parse_commit_key(prefix, key)
        try:
            commit = parse_commit(raw)
            events = decoded_events(commit)
        except (CommitFormatError, ValueError):
            continue  # `audit verify` names it
        for _, event in events:
            for signed in _signed_acts(event):
                act = signed.act
                if signed.act_id in rows or (slugs and not set(slugs) & set(act.subjects)):
                    continue
                people = audit.people(act.people_sha256)
                problem = (
                    ActProblem("people_file_changed", "the people file is missing or changed")
                    if people is None
                    else act_problem(people, signed)
                )
                rows[signed.act_id] = {
                    "act_id": signed.act_id,
                    "type": act.type.value,
                    "actor": act.actor,
                    "time": act.document()["time"],
                    "verify_time": openssh_time(act.time),
                    "program": act.program,
                    "subjects": list(act.subjects),
                    "people_file": act.people_sha256,
                    "signed_bytes": act.signed_bytes().decode(),
                    "signature": signed.signature,
                    "verifies": problem is None,
                    "problem": None if problem is None else f"{problem.kind}: {problem.detail}",
                    "stream": None if located is None else located[0].name,
                    "seq": commit.seq,
                }
    return list(rows.values())
