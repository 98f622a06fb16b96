"""`grantreview documents show`: read what was sent or received, from the log's own record.

A letter, notice or response exists as `documents/sha256/<hash>`, named by the event that
sent or received it. This finds that event (by commit seq, by kind, or the newest) and
returns the stored bytes: the very document the log cites, never a re-rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from schemas.base.errors import InputError
from schemas.events.catalog import LetterSent, ResponseReceived
from schemas.events.stage_events import NoticeSent
from schemas.log.state import decoded_events
from schemas.log.streams import StreamId
from usecases.audit_scope import require_in_log

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.events.catalog import DomainEvent

__all__ = ["KINDS", "SentDocument", "find_document"]

KINDS: Final = ("letter", "notice", "response")


@dataclass(frozen=True, slots=True)
class SentDocument:
    """One stored document, with what the log says about it."""

    seq: int
    kind: str
    """`letter`, `preliminary notice`, `final notice`, ..., or `response`."""
    sha256: str
    body: bytes


def _cited(event: DomainEvent) -> tuple[str, str] | None:
    """(kind, sha256) of the document an event sent or received; None for other events."""
    if isinstance(event, LetterSent):
        return "letter", event.letter_sha256
    if isinstance(event, NoticeSent):
        return f"{event.kind} notice", event.notice_sha256
    if isinstance(event, ResponseReceived):  # an amendment too
        return "response", event.response_sha256
    return None


def find_document(
    runtime: Runtime, program: str, slug: str, *, seq: int | None = None, kind: str | None = None
) -> SentDocument:
    """The document at commit `seq`, else the newest of `kind`, else the newest of any."""
    require_in_log(runtime.store, runtime.log.prefix, [program], [slug])
    if seq is not None and kind is not None:
        raise InputError("give --seq or --kind, not both")
    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r}: one of {', '.join(KINDS)}")
    stream = StreamId(program=program, jurisdiction=slug)
    found: list[tuple[int, str, str]] = []
    for commit in runtime.log.read_stream(stream):
        for _, event in decoded_events(commit):
            cited = _cited(event)
            if cited is None or (seq is not None and commit.seq != seq):
                continue
            if kind is None or cited[0].endswith(kind):
                found.append((commit.seq, *cited))
    if not found:
        where = f"at commit {seq}" if seq is not None else f"of kind {kind}" if kind else "yet"
        raise InputError(f"{stream.name} has no letter, notice or response {where}")
    at, what, sha = found[-1]
    body = runtime.documents.get(sha)
    if body is None:
        raise InputError(f"{stream.name} commit {at}: document {sha} is not in the store")
    return SentDocument(at, what, sha, body)
