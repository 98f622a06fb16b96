"""Commits: the unit written once to the log, a CloudEvents batch sealed into a hash chain.

The exact byte-level format is specified in docs/log-format.md; this module is its
reference implementation. A commit's hash covers the whole commit except the `hash` and
`sig` members and each event's `grhash` attribute (which repeat that very hash). A
`grantreview.commit/2` commit carries its writer's Ed25519 signature over its hash, so a
commit forged with storage credentials alone is told apart from one our writers sealed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.base.canonical import canonical_json, format_time, sha256_hex
from schemas.base.errors import DamagedDataError
from schemas.events.catalog import DomainEvent
from schemas.log.streams import StreamId

if TYPE_CHECKING:
    from schemas.log.keyring import Signer

__all__ = [
    "COMMIT_FORMAT",
    "GENESIS",
    "MAX_COMMIT_BYTES",
    "SIGNED_COMMIT_FORMAT",
    "Commit",
    "CommitFormatError",
    "CommitHead",
    "CommitSignature",
    "commit_hash",
    "event_id",
    "parse_commit",
    "seal_commit",
    "signing_message",
]

MAX_COMMIT_BYTES = 4 * 1024 * 1024
"""The largest commit accepted (4 MiB: a commit holds a few events; documents are stored apart)."""

COMMIT_FORMAT: Final = "grantreview.commit/1"
"""Unsigned commits: what writers with no signing key write (and every commit before /2)."""
SIGNED_COMMIT_FORMAT: Final = "grantreview.commit/2"
"""Signed commits: /1 plus a `sig` member, the writer's Ed25519 signature over the hash."""
SIGNATURE_DOMAIN: Final = b"grantreview.commit/2 signature\n"
"""Prefix of the signed message, so a commit signature can never pass for another signature."""
_SIGNATURE_BYTES: Final = 64
GENESIS: Final = "0" * 64
"""The `prev` of a stream's first commit."""
SOURCE: Final = "urn:grantreview"


class CommitFormatError(DamagedDataError):
    """Bytes that are not a well-formed commit."""


@dataclass(frozen=True, slots=True)
class CommitHead:
    """What folding needs of a commit besides its events: kept after the events are written."""

    seq: int
    hash: str
    time: datetime
    idempotency_key: str


class CommitSignature(BaseModel):
    """Who sealed a commit: the signing key's fingerprint and its signature over the hash."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    key_id: str
    sig: str
    """Standard base64 (RFC 4648, padded) of the 64-byte Ed25519 signature."""

    def signature_bytes(self) -> bytes | None:
        """The raw signature, or None if `sig` is not canonical base64 of 64 bytes."""
        try:
            raw = base64.b64decode(self.sig, validate=True)
        except (binascii.Error, ValueError):
            return None
        canonical = base64.b64encode(raw).decode() == self.sig
        return raw if canonical and len(raw) == _SIGNATURE_BYTES else None


class Commit(BaseModel):
    """A commit as stored: the sealed document and its parsed header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: str
    seq: int
    prev: str
    idempotency_key: str
    hash: str
    time: AwareDatetime
    events: tuple[dict[str, Any], ...]
    sig: CommitSignature | None = None

    @property
    def head(self) -> CommitHead:
        """Its seq, hash, time and idempotency key, without the events."""
        return CommitHead(self.seq, self.hash, self.time, self.idempotency_key)

    @property
    def document(self) -> dict[str, Any]:
        """The JSON document exactly as it is stored."""
        document: dict[str, Any] = {
            "format": COMMIT_FORMAT if self.sig is None else SIGNED_COMMIT_FORMAT,
            "stream": self.stream,
            "seq": self.seq,
            "prev": self.prev,
            "idempotency_key": self.idempotency_key,
            "time": format_time(self.time),
            "events": list(self.events),
            "hash": self.hash,
        }
        if self.sig is not None:
            document["sig"] = {"key_id": self.sig.key_id, "sig": self.sig.sig}
        return document

    def to_bytes(self, *, checked: bool = False) -> bytes:
        """The canonical bytes written to storage.

        `checked`: the commit was just sealed (`seal_commit`) from payloads that are
        `CANONICAL_BY_TYPE`, so the walk that refuses floats is skipped.
        """
        return canonical_json(self.document, checked=checked)


def event_id(stream: StreamId, idempotency_key: str, index: int) -> str:
    """Event ids derive from the idempotency key, so a retried write repeats them exactly."""
    return sha256_hex(f"{stream.name}\n{idempotency_key}\n{index}".encode())[:32]


def signing_message(digest: str) -> bytes:
    """The exact bytes a commit signature covers: the domain prefix, then the commit hash."""
    return SIGNATURE_DOMAIN + digest.encode("ascii")


def commit_hash(document: dict[str, Any], *, checked: bool = False) -> str:
    """SHA-256 of the canonical commit without `hash`, `sig` and each event's `grhash`.

    `checked`: the whole `document` was just serialized canonically (see `canonical_json`).
    """
    body = {key: value for key, value in document.items() if key not in {"hash", "sig"}}
    events = body.get("events")
    if isinstance(events, list):
        body["events"] = [
            {k: v for k, v in event.items() if k != "grhash"} if isinstance(event, dict) else event
            for event in events
        ]
    return sha256_hex(canonical_json(body, checked=checked))


def seal_commit(
    *,
    stream: StreamId,
    seq: int,
    prev: str,
    idempotency_key: str,
    payloads: Sequence[DomainEvent],
    time: datetime,
    actor: str,
    flow_run_id: str | None = None,
    program_sha256: str | None = None,
    signer: Signer | None = None,
) -> Commit:
    """Wrap payloads as CloudEvents, chain them to `prev`, seal with the hash and sign it.

    With a signer the commit is `grantreview.commit/2`, signed over its hash; without one
    it is an unsigned `grantreview.commit/1` (writers that hold no key, as before /2).
    """
    if not payloads:
        raise ValueError("a commit carries at least one event")
    stamp = format_time(time)
    events: list[dict[str, Any]] = []
    for index, payload in enumerate(payloads):
        event: dict[str, Any] = {
            "specversion": "1.0",
            "id": event_id(stream, idempotency_key, index),
            "source": f"{SOURCE}:{stream.program}",
            "type": payload.TYPE,
            "subject": stream.jurisdiction,
            "time": stamp,
            "datacontenttype": "application/json",
            "data": payload.model_dump(mode="json"),
            "grschema": payload.VERSION,
            "grseq": seq,
            "grindex": index,
            "grprev": prev,
            "gractor": actor,
            "grflowrun": flow_run_id or "",
            "grprogramsha": program_sha256 or "",
        }
        events.append(event)
    document: dict[str, Any] = {
        "format": COMMIT_FORMAT if signer is None else SIGNED_COMMIT_FORMAT,
        "stream": stream.name,
        "seq": seq,
        "prev": prev,
        "idempotency_key": idempotency_key,
        "time": stamp,
        "events": events,
    }
    # Checked by construction when every payload is typed throughout (CANONICAL_BY_TYPE):
    # the rest of the document is strings and integers. The walk that refuses floats
    # cost a third of sealing.
    digest = commit_hash(document, checked=all(p.CANONICAL_BY_TYPE for p in payloads))
    for event in events:
        event["grhash"] = digest
    sig = None
    if signer is not None:
        raw = signer.sign(signing_message(digest))
        sig = CommitSignature(key_id=signer.fingerprint, sig=base64.b64encode(raw).decode())
    return Commit(
        stream=stream.name,
        seq=seq,
        prev=prev,
        idempotency_key=idempotency_key,
        hash=digest,
        time=time,
        events=tuple(events),
        sig=sig,
    )


def parse_commit(raw: bytes) -> Commit:
    """Parse stored bytes into a Commit, checking shape (not the chain; see verification)."""
    if len(raw) > MAX_COMMIT_BYTES:
        raise CommitFormatError(f"larger than the {MAX_COMMIT_BYTES}-byte limit of a commit")
    try:
        document = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise CommitFormatError("not a JSON commit: nested too deeply") from None
    except ValueError as error:  # bad UTF-8 or JSON, or an integer past Python's digit limit
        raise CommitFormatError(f"not a JSON commit: {error}") from None
    kind = document.get("format") if isinstance(document, dict) else None
    if kind not in {COMMIT_FORMAT, SIGNED_COMMIT_FORMAT}:
        raise CommitFormatError(f"not a {COMMIT_FORMAT} or {SIGNED_COMMIT_FORMAT} document")
    if (kind == SIGNED_COMMIT_FORMAT) != ("sig" in document):
        state = "lacks" if kind == SIGNED_COMMIT_FORMAT else "has"
        raise CommitFormatError(f"a {kind} commit that {state} a `sig` member")
    try:
        return Commit(
            stream=document["stream"],
            seq=document["seq"],
            prev=document["prev"],
            idempotency_key=document["idempotency_key"],
            hash=document["hash"],
            time=document["time"],
            events=tuple(document["events"]),
            sig=document.get("sig"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CommitFormatError(f"malformed commit: {error}") from None
