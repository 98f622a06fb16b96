"""Witnessing the transparency log: compare with what was seen, remember, cosign.

The witness's state (the last checkpoint it accepted) lives in a folder outside the
bucket, ideally in another account (docs/deploy.md): a log rolled back in S3 cannot roll
the witness back with it. `audit verify --witness-state DIR` runs the same check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from infra.eventlog.integrator import Integrator
from schemas.audit.witness import Freshness, stale_findings, witness_findings
from schemas.base.errors import InputError
from schemas.tlog.checkpoint import CheckpointError, open_checkpoint
from schemas.tlog.cosignature import cosign, cosigner_verifier
from schemas.tlog.merkle import consistency_proof
from schemas.tlog.note import raw_public_key
from schemas.tlog.tiles import tile_hash_reader

if TYPE_CHECKING:
    from datetime import datetime, timedelta
    from pathlib import Path

    from infra.eventlog.log import EventLog
    from schemas.audit.auditor import Finding
    from schemas.log.cumulative_checkpoint import Keyring, Signer
    from schemas.tlog.checkpoint import TreeHead

__all__ = ["WitnessOutcome", "state_vkeys", "witness_log"]

_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{0,62}")


@dataclass
class WitnessOutcome:
    """What the witness found; the cosignature's key when it signed."""

    findings: list[Finding] = field(default_factory=list)
    seq: int = -1
    size: int = 0
    cosignature: str | None = None


def _state_file(state: Path, origin: str) -> Path:
    return state / (origin.replace("/", "_") + ".json")


def _seen(path: Path, verifiers_for: Integrator) -> tuple[int, TreeHead] | None:
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        seq, note = int(document["seq"]), str(document["checkpoint"])
        head = open_checkpoint(note, verifiers_for.verifiers_any(), verifiers_for.origin)
    except (OSError, ValueError, KeyError, TypeError, CheckpointError) as error:
        raise InputError(f"witness state {path} is unreadable: {error}") from None
    return seq, head


def _remember(path: Path, seq: int, note: bytes, vkey: str | None) -> None:
    """Store the accepted checkpoint, and the vkey its cosignatures verify with.

    A run without a key (an auditor's `audit verify --witness-state`) keeps the vkey a
    cosigning run recorded, so `keys vkey --witness DIR` still prints it.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    document: dict[str, object] = {"checkpoint": note.decode(), "seq": seq}
    kept = vkey or _recorded_vkey(path)
    if kept is not None:
        document["vkey"] = kept
    body = json.dumps(document, sort_keys=True) + "\n"
    temporary.write_text(body, encoding="utf-8")
    temporary.replace(path)  # the state moves forward whole or not at all


def _recorded_vkey(path: Path) -> str | None:
    """The vkey a state file records, if it is readable and has one."""
    try:
        vkey = json.loads(path.read_text(encoding="utf-8")).get("vkey")
    except (OSError, ValueError, AttributeError):
        return None
    return vkey if isinstance(vkey, str) else None


def state_vkeys(state: Path) -> list[str]:
    """The cosignature vkeys a witness's state (its `--state` folder, or one file) records."""
    files = sorted(state.glob("*.json")) if state.is_dir() else [state]
    if not state.exists() or not files:
        raise InputError(f"witness state {state}: no state file (run `audit witness --state`)")
    found = sorted({vkey for path in files if (vkey := _recorded_vkey(path)) is not None})
    if not found:
        raise InputError(
            f"witness state {state} records no vkey: the witness has not cosigned since it "
            "began recording it; run `audit witness --key FILE --name NAME`, or print it "
            "with `grantreview keys vkey --witness-key FILE --name NAME`"
        )
    return found


def witness_log(
    log: EventLog,
    *,
    origin: str,
    keyring: Keyring,
    state: Path,
    time: datetime,
    key: Signer | None = None,
    name: str = "witness",
    max_age: timedelta | None = None,
) -> WitnessOutcome:
    """Check the newest checkpoint against the one seen last; remember it if it extends it.

    With `key`, also write the cosigned note to `{prefix}witness/NAME/<seq>`. With
    `max_age`, a newest checkpoint older than that at `time` is a finding too (the log
    stopped): a consistent one is still remembered and cosigned.
    """
    outcome, newest_time = _witness(
        log, origin=origin, keyring=keyring, state=state, time=time, key=key, name=name
    )
    freshness = None if max_age is None else Freshness(time, max_age)
    outcome.findings.extend(stale_findings(newest_time, freshness))
    return outcome


def _witness(
    log: EventLog,
    *,
    origin: str,
    keyring: Keyring,
    state: Path,
    time: datetime,
    key: Signer | None,
    name: str,
) -> tuple[WitnessOutcome, datetime | None]:
    """The consistency check and cosignature, and the newest checkpoint's time."""
    if not _NAME.fullmatch(name):
        raise InputError(f"witness name {name!r}: lowercase letters, digits, '.', '-'")
    reader = Integrator(log, origin=origin, signer=None, keyring=keyring)
    newest = reader.newest()
    path = _state_file(state, origin)
    seen = _seen(path, reader)
    outcome = WitnessOutcome(seq=newest.seq, size=newest.head.size)
    if newest.seq < 0:
        if seen is not None:
            outcome.findings = witness_findings(seen, (newest.seq, newest.head), [])
        return outcome, None
    proof: list[bytes] = []
    if seen is not None and 0 < seen[1].size < newest.head.size:
        proof = consistency_proof(
            seen[1].size,
            newest.head.size,
            tile_hash_reader(newest.head.size, reader.tlog.read_tile),
        )
    outcome.findings = witness_findings(seen, (newest.seq, newest.head), proof)
    if outcome.findings:
        return outcome, newest.time
    vkey = None if key is None else cosigner_verifier(name, raw_public_key(key.private_key)).vkey()
    _remember(path, newest.seq, newest.note, vkey)
    if key is not None:
        line = cosign(newest.head.text(), name, key.private_key, int(time.timestamp()))
        object_key = f"{log.prefix}witness/{name}/{newest.seq:020d}"
        log.store.put_if_absent(object_key, newest.note + line.encode())
        outcome.cosignature = object_key
    return outcome, newest.time
