"""`grantreview record`: gather one review's administrative record into an offline packet.

Read-only (auditors' credentials suffice). The packet's layout, manifest and checks are
pure (schemas/replay/record.py); its reading copy is rendered by infra/files/record_html.py;
proofs come from the transparency log as receipts do (usecases/receipts.py), acts and
their signatures as `audit acts` lists them, people files as OpenSSH allowed signers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from infra.eventlog.documents import DocumentStore
from infra.files.record_html import render_record, render_verify_guide
from infra.files.report_html import when
from infra.platform.version import grantreview_version
from schemas.audit.auditor import ActAudit
from schemas.base.canonical import canonical_json, sha256_hex
from schemas.base.errors import InputError
from schemas.log.commit import MAX_COMMIT_BYTES, parse_commit
from schemas.log.streams import StreamId
from schemas.people.allowed_signers import allowed_signers
from schemas.replay.record import (
    HEADER,
    MANIFEST,
    RecordItem,
    commit_path,
    document_path,
    manifest_text,
    proof_path,
)
from schemas.tlog.note import NoteVerifier
from schemas.tlog.receipt import tlog_proof_of
from usecases.audit_acts import list_acts
from usecases.audit_scope import require_in_log
from usecases.receipts import prove_commits
from usecases.replay import replay_store

if TYPE_CHECKING:
    from datetime import datetime

    from infra.runtime import Runtime
    from schemas.log.commit import Commit
    from schemas.log.cumulative_checkpoint import Keyring

__all__ = ["RecordPacket", "build_record"]

_CITED: Final = re.compile(rb'"([a-z_]*)sha256":"([0-9a-f]{64})"')
"""Every document a commit names by hash: letters, responses, notices, programs, people."""
_KINDS: Final = {
    "letter_": "letter (Markdown)",
    "html_": "letter or notice (HTML)",
    "reminder_": "reminder (Markdown)",
    "response_": "response as sent",
    "notice_": "notice (Markdown)",
    "program_": "program document and rule set in force",
    "people_": "people file in force",
    "source_": "imported registry file",
    "outcomes_": "reevaluation outcomes",
    "supersedes_": "response superseded",
}


@dataclass(frozen=True)
class RecordPacket:
    """The packet's files by relative path, and the certified index's rows."""

    files: dict[str, bytes]
    items: tuple[RecordItem, ...]
    ok: bool
    """Replay re-derived every decision of the stream with no finding."""


@dataclass
class _Gathered:
    files: dict[str, bytes]
    items: list[RecordItem]

    def add(self, path: str, body: bytes, kind: str, date: str, who: str) -> None:
        if path not in self.files:
            self.files[path] = body
            self.items.append(RecordItem(path, kind, date, who, sha256_hex(body)))


def _commits(runtime: Runtime, stream: StreamId) -> list[tuple[str, bytes, Commit]]:
    """Every commit of the stream: its key, exact bytes and parsed form, in seq order."""
    prefix = f"{runtime.log.prefix}streams/{stream.name}/"
    out: list[tuple[str, bytes, Commit]] = []
    for key in sorted(runtime.store.list_keys(prefix)):
        body = runtime.store.get(key, limit=MAX_COMMIT_BYTES)
        if body is not None:
            out.append((key, body, parse_commit(body)))
    return out


def _documents(
    runtime: Runtime, gathered: _Gathered, commits: list[tuple[str, bytes, Commit]]
) -> None:
    store = DocumentStore(runtime.store, runtime.log.prefix)
    for _, body, commit in commits:
        for field, sha in _CITED.findall(body):
            document = store.get(sha.decode())
            if document is not None:
                kind = _KINDS.get(field.decode(), "document")
                gathered.add(
                    document_path(sha.decode()),
                    document,
                    kind,
                    when(commit.time),
                    f"cited by commit {commit.seq}",
                )


def _acts(runtime: Runtime, gathered: _Gathered, program: str, slug: str) -> list[dict[str, Any]]:
    """Each act's signed bytes and SSH signature; each people file as allowed signers."""
    rows = list_acts(runtime.store, runtime.log.prefix, program, [slug])
    people = ActAudit(DocumentStore(runtime.store, runtime.log.prefix).get)
    for row in rows:
        path = f"acts/{row['act_id']}"
        what = f"{row['type']} act"
        gathered.add(f"{path}.act", row["signed_bytes"].encode(), what, row["time"], row["actor"])
        gathered.add(
            f"{path}.act.sig",
            row["signature"].encode(),
            f"{what}: SSH signature",
            row["time"],
            row["actor"],
        )
        found = people.people(row["people_file"])
        if found is not None:
            row["allowed_signers"] = f"people/{row['people_file']}.allowed_signers"
            gathered.add(
                row["allowed_signers"],
                allowed_signers(found).encode(),
                "people file as OpenSSH allowed signers",
                row["time"],
                "derived from the people file",
            )
    return rows


def _keys(runtime: Runtime, gathered: _Gathered, keyring: Keyring, checkpoint: str) -> None:
    vkeys = "".join(
        NoteVerifier(runtime.origin, bytes.fromhex(key.public_key)).vkey() + "\n"
        for key in keyring.keys
    )
    gathered.add(
        "log.vkey", vkeys.encode(), "the log's verifier key(s) (C2SP note vkey)", "", "the log"
    )
    gathered.add(
        "keyring.json",
        canonical_json(keyring.document()) + b"\n",
        "the log's public keyring (commit and checkpoint keys)",
        "",
        "the log",
    )
    gathered.add(
        "checkpoint.txt", checkpoint.encode(), "the newest signed checkpoint", "", "the log"
    )


def build_record(
    runtime: Runtime, program: str, slug: str, *, made_at: datetime, made_by: str
) -> RecordPacket:
    """The administrative record of `slug`'s review under `program`, every file in memory."""
    require_in_log(runtime.store, runtime.log.prefix, [program], [slug])
    keyring = runtime.commit_keys.keyring
    if keyring is None:
        raise InputError("no verify key: set GRANTREVIEW_VERIFY_KEY_FILE")
    stream = StreamId(program=program, jurisdiction=slug)
    commits = _commits(runtime, stream)
    receipts = prove_commits(runtime, keyring, [(key, body) for key, body, _ in commits])
    gathered = _Gathered({}, [])
    for (_, body, commit), receipt in zip(commits, receipts, strict=True):
        kinds = ", ".join(e.get("type", "").removeprefix("grantreview.") for e in commit.events)
        at = when(commit.time)
        who = str(commit.events[0].get("gractor", "")) if commit.events else ""
        gathered.add(commit_path(commit.seq), body, f"commit {commit.seq}: {kinds}", at, who)
        proof = tlog_proof_of(receipt).text().encode()
        gathered.add(
            proof_path(commit.seq), proof, f"tlog-proof of commit {commit.seq}", at, "the log"
        )
    _documents(runtime, gathered, commits)
    acts = _acts(runtime, gathered, program, slug)
    _keys(runtime, gathered, keyring, receipts[0].checkpoint if receipts else "")
    report = replay_store(
        runtime.store,
        runtime.log.prefix,
        keyring,
        programs=[program],
        jurisdictions=[slug],
        workers=4,
    )
    jurisdiction = runtime.registry().get(slug)
    name = slug if jurisdiction is None else jurisdiction.name
    context = {
        "program": program,
        "slug": slug,
        "name": name,
        "stream": stream.name,
        "acts": acts,
        "replay": report,
        "items": gathered.items,
        "files": gathered.files,
        "vkeys": gathered.files["log.vkey"].decode().splitlines(),
        "origin": runtime.origin,
    }
    gathered.add(
        "VERIFY.md",
        render_verify_guide(context).encode(),
        "how to check this packet",
        "",
        "grantreview",
    )
    context["items"] = gathered.items
    gathered.add(
        "index.html",
        render_record(context).encode(),
        "this record, to read and print",
        "",
        "grantreview",
    )
    header = (
        f"Administrative record of {stream.name}\n"
        f"made {when(made_at)} by {made_by} with grantreview {grantreview_version()}\n"
    )
    gathered.files[HEADER] = header.encode()
    gathered.files[MANIFEST] = manifest_text(gathered.files)
    return RecordPacket(gathered.files, tuple(gathered.items), report.ok)
