"""A second, deliberately small verifier written only from docs/log-format.md.

It imports nothing from grantreview: the standard library and `cryptography` only. It
answers one question: is this downloaded copy of the log intact? It returns a list of
problems, each `(where, what)`; an empty list means intact. The transparency log part
follows docs/tlog.md and section 5a (the `/2` batches of issue #21; it checks the newest
root from the level-0 tiles and every leaf, not each older checkpoint's consistency).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SEQ = re.compile(r"\d{20}\.json")
GENESIS = "0" * 64


def canonical(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """Section 2: sorted keys, no white space, non-ASCII as itself, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def h(data: bytes) -> str:
    """Lowercase hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def when(text: str) -> datetime:
    """An RFC 3339 UTC time as written in the log."""
    return datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z


Problems = list[tuple[str, str]]


def check_checkpoints(root: Path, keyring: dict[str, Any]) -> tuple[Problems, dict[str, Any]]:
    """Section 5: a gapless chain of signed checkpoints; returns problems and the newest heads."""
    problems: Problems = []
    keys = {k["fingerprint"]: k for k in keyring["keys"]}
    folder = root / "checkpoints"
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    previous: dict[str, Any] | None = None
    heads: dict[str, Any] = {}
    for expected, path in enumerate(files):
        where = f"checkpoint {expected}"
        raw = path.read_bytes()
        doc = json.loads(raw)
        if path.name != f"{expected:020d}.json" or doc["seq"] != expected:
            problems.append((where, "gap or wrong seq"))
        if canonical(doc) != raw:
            problems.append((where, "not canonical"))
        key = keys.get(doc["key_fingerprint"])
        signature = doc.pop("signature")
        if key is None or h(bytes.fromhex(key["public_key"])) != key["fingerprint"]:
            problems.append((where, "unknown key"))
            continue
        start, end = when(key["valid_from"]), key["valid_until"]
        if not start <= when(doc["time"]) or (end is not None and when(doc["time"]) >= when(end)):
            problems.append((where, "key not valid then"))
        try:
            public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"]))
            public.verify(bytes.fromhex(signature), canonical(doc))
        except (InvalidSignature, ValueError):
            problems.append((where, "bad signature"))
            continue
        wanted = None if previous is None else previous["signature"]
        if doc["prev_signature"] != wanted:
            problems.append((where, "chain broken"))
        previous = {**doc, "signature": signature}
        heads = doc["heads"]
    return problems, heads


def commit_hash(doc: dict[str, Any]) -> str:
    """Section 3: SHA-256 of the canonical commit without `hash`, `sig` and events' `grhash`."""
    body = {k: v for k, v in doc.items() if k not in {"hash", "sig"}}
    body["events"] = [{k: v for k, v in e.items() if k != "grhash"} for e in doc["events"]]
    return h(canonical(body))


def commit_signature(doc: dict[str, Any], keys: dict[str, Any]) -> str | None:
    """Section 3, "The commit signature": what is wrong with it, or None if it is signed."""
    sig = doc.get("sig")
    if doc.get("format") != "grantreview.commit/2" or not isinstance(sig, dict):
        return "unsigned"
    key = keys.get(str(sig.get("key_id")))
    if key is None or h(bytes.fromhex(key["public_key"])) != key["fingerprint"]:
        return "commit signed by an unknown key"
    start, end = when(key["valid_from"]), key["valid_until"]
    if not start <= when(doc["time"]) or (end is not None and when(doc["time"]) >= when(end)):
        return "commit key not valid then"
    message = b"grantreview.commit/2 signature\n" + doc["hash"].encode("ascii")
    try:
        raw = base64.b64decode(sig["sig"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"]))
        public.verify(raw, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return "bad commit signature"
    return None


def check_stream(
    name: str, folder: Path, keys: dict[str, Any]
) -> tuple[Problems, dict[int, str], list[int]]:
    """Sections 1 and 3: gapless keys; each commit intact, in place, linked to the one before.

    Also returns the seqs of the `/1` commits, which only a checkpoint can attest (section 3).
    """
    problems: Problems = []
    hashes: dict[int, str] = {}
    legacy: list[int] = []
    prev = GENESIS
    for expected, path in enumerate(sorted(folder.iterdir())):
        where = f"{name} {expected}"
        if not SEQ.fullmatch(path.name) or int(path.name[:20]) != expected:
            problems.append((where, "gap or bad key"))
            break
        raw = path.read_bytes()
        doc = json.loads(raw)
        signed = doc.get("format") == "grantreview.commit/2"
        if (not signed and doc.get("format") != "grantreview.commit/1") or canonical(doc) != raw:
            problems.append((where, "bad format"))
        if signed != ("sig" in doc):
            problems.append((where, "bad format"))
        signature = commit_signature(doc, keys)
        if signature == "unsigned" and doc.get("format") == "grantreview.commit/1":
            legacy.append(expected)
        elif signature is not None:
            problems.append((where, signature))
        if doc["stream"] != name or doc["seq"] != expected:
            problems.append((where, "stored at the wrong key"))
        if commit_hash(doc) != doc["hash"] or any(
            e["grhash"] != doc["hash"] for e in doc["events"]
        ):
            problems.append((where, "hash mismatch"))
        if doc["prev"] != prev:
            problems.append((where, "broken link"))
        prev = hashes[expected] = doc["hash"]
    return problems, hashes, legacy


ACT_EVENTS = {
    "grantreview.act.signed": "signed",
    "grantreview.act.proposed": "signed",
    "grantreview.act.rejected": "rejection",
    "grantreview.people.adopted": "signed",
}
LEGACY_SKEW = 300  # section 10a: what writers enforced before the clock was recorded


def _timed_act(event: dict[str, Any]) -> dict[str, Any] | None:
    """Section 10a: the act an event records now (in `.approved`, its last approval)."""
    data = event["data"]
    if event["type"] == "grantreview.act.approved":
        found: dict[str, Any] = data["approvals"][-1]
        return found
    member = ACT_EVENTS.get(event["type"])
    return None if member is None else dict(data[member])


def _signer_blob(armored: str) -> bytes:
    """Section 10: the public key blob inside an armored SSH signature."""
    lines = armored.strip().splitlines()
    blob = base64.b64decode("".join(lines[1:-1]))
    offset = len(b"SSHSIG") + 4
    size = int.from_bytes(blob[offset : offset + 4], "big")
    return blob[offset + 4 : offset + 4 + size]


def _key_in_force(root: Path, act: dict[str, Any], blob: bytes, moment: datetime) -> bool | None:
    """Section 10: an entry of the actor with this key whose [valid_from, valid_until) covers it.

    None when the people document the act names is not in the copy.
    """
    path = root / "documents" / "sha256" / act["people_sha256"]
    if not path.is_file():
        return None
    for entry in json.loads(path.read_bytes())["people"]:
        if entry["id"] != act["actor"] or base64.b64decode(entry["key"].split()[1]) != blob:
            continue
        start = datetime.combine(date.fromisoformat(entry["valid_from"]), time.min, UTC)
        until = entry["valid_until"]
        end = None if until is None else datetime.combine(date.fromisoformat(until), time.min, UTC)
        if start <= moment and (end is None or moment < end):
            return True
    return False


def check_acts(root: Path) -> Problems:
    """Section 10a: every act's time within its commit's clock, its key in force when recorded."""
    problems: Problems = []
    for path in sorted((root / "streams").glob("*/*/*.json")):
        doc = json.loads(path.read_bytes())
        recorded = when(doc["time"])
        for event in doc["events"]:
            signed = _timed_act(event)
            if signed is None:
                continue
            where = f"{doc['stream']} {doc['seq']}"
            act, clock = signed["act"], event["data"].get("clock")
            skew = LEGACY_SKEW if clock is None else clock["skew_seconds"]
            if when(act["time"]) > recorded + timedelta(seconds=skew):
                problems.append((where, "act_time_out_of_bounds"))
            delay = None if clock is None else timedelta(seconds=clock["max_delay_seconds"])
            if delay is not None and when(act["time"]) < recorded - delay:
                problems.append((where, "act_backdated"))
            in_force = _key_in_force(root, act, _signer_blob(signed["signature"]), recorded)
            if in_force is None:
                problems.append((where, "people file missing"))
            elif not in_force:
                problems.append((where, "act_key_expired"))
    return problems


def verify(root: Path, keyring_file: Path) -> list[tuple[str, str]]:
    """Every problem in the copy at `root` (layout of `aws s3 sync s3://BUCKET/PREFIX root`)."""
    keyring = json.loads(keyring_file.read_text())
    problems, heads = check_checkpoints(root, keyring)
    streams = root / "streams"
    seen: dict[str, dict[int, str]] = {}
    for program in sorted(streams.iterdir()) if streams.is_dir() else []:
        for stream in sorted(program.iterdir()):
            name = f"{program.name}/{stream.name}"
            keys = {k["fingerprint"]: k for k in keyring["keys"]}
            found, seen[name], legacy = check_stream(name, stream, keys)
            problems += found
            # Section 3: a /1 commit at or below the signed head, whose chain reaches it.
            head = heads.get(name)
            attested = head is not None and seen[name].get(head["seq"]) == head["hash"]
            problems += [
                (f"{name} {seq}", "unsigned")
                for seq in legacy
                if not (attested and head is not None and seq <= head["seq"])
            ]
    for name, head in sorted(heads.items()):
        if seen.get(name, {}).get(head["seq"]) != head["hash"]:
            problems.append((f"{name} {head['seq']}", "differs from the newest checkpoint"))
    if seen and not heads and not (root / "tlog" / "batches").is_dir():
        problems.append(("checkpoints", "none: nothing is signed"))
    return problems + check_tlog(root, keyring) + check_acts(root)


# -- The transparency log, from docs/tlog.md and docs/log-format.md section 5a -----------


def _note(raw: bytes, public: bytes) -> tuple[list[str], bool]:
    """A signed note's text lines, and whether a line by the key named as the origin verifies."""
    text, _, signatures = raw.decode().partition("\n\n")
    lines = text.split("\n")
    name = lines[0]
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    verified = False
    for line in signatures.splitlines():
        signer, _, payload = line.removeprefix("\u2014 ").partition(" ")
        blob = base64.b64decode(payload)
        if signer == name and blob[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], (text + "\n").encode())
            except InvalidSignature:
                return lines, False
            verified = True
    return lines, verified


def _root(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes, splitting at the largest power of two below n."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _root(hashes[:split]) + _root(hashes[split:])).digest()


def _tile_path(index: int) -> str:
    """Three-digit groups, all but the last prefixed with x (tlog-tiles)."""
    parts = [f"{index % 1000:03d}"]
    while index >= 1000:
        index //= 1000
        parts.insert(0, f"x{index % 1000:03d}")
    return "/".join(parts)


def _leaf_hashes(root: Path, size: int) -> list[bytes]:
    """The first `size` level-0 hashes from the tiles (full tiles, then the partial one)."""
    hashes: list[bytes] = []
    for tile in range((size + 255) // 256):
        width = min(256, size - tile * 256)
        name = _tile_path(tile) + ("" if width == 256 else f".p/{width}")
        data = (root / "tlog" / "tile" / "0" / name).read_bytes()
        hashes += [data[i : i + 32] for i in range(0, len(data), 32)]
    return hashes[:size]


def _signs(note: bytes, keyring: dict[str, Any], size: int, line: str) -> bool:
    """Whether a keyring key signed `note`, stating tree size `size` and extension `line`."""
    for key in keyring["keys"]:
        lines, verified = _note(note, bytes.fromhex(key["public_key"]))
        if verified and lines[1] == str(size) and line in lines[3:]:
            return True
    return False


def _check_leaves(root: Path, note: bytes, leaves: list[str]) -> Problems:
    """The tiles give the newest note's root; each leaf's stored hash is its commit's."""
    lines = note.decode().split("\n")
    origin, size = lines[0], int(lines[1])
    _, _, tail = origin.removeprefix("grantreview.tlog/").partition("/")
    written = f"{tail}/" if tail else ""
    hashes = _leaf_hashes(root, size)
    if base64.b64encode(_root(hashes)).decode() != lines[2]:
        return [("tlog", "the tiles do not give the newest root")]
    problems: Problems = []
    for index, key in enumerate(leaves[:size]):
        path = root / key.removeprefix(written)
        if not path.is_file():
            problems.append((f"leaf {index}", "names no commit"))
        elif hashlib.sha256(b"\x00" + path.read_bytes()).digest() != hashes[index]:
            problems.append((f"leaf {index}", "hash is not its commit's"))
    return problems


def check_tlog(root: Path, keyring: dict[str, Any]) -> Problems:
    """Section 5a: signed /2 batches chained by `prev`, skipped claims, leaves and the root."""
    batches = {int(p.name[:20]): p.read_bytes() for p in root.glob("tlog/batches/*/*.json")}
    notes = {int(p.name): p.read_bytes() for p in root.glob("tlog/checkpoints/*/*")}
    problems: Problems = []
    previous, previous_size, skipped = -1, 0, []
    leaves: list[str] = []
    for seq in sorted(batches):
        raw, where = batches[seq], f"tlog batch {seq}"
        claim = json.loads(raw)
        size = claim["old_size"] + len(claim["commits"])
        if seq not in notes:
            skipped.append(seq)
            continue
        if claim.get("format") == "grantreview.tlog-batch/2":
            digest = base64.b64encode(hashlib.sha256(raw).digest()).decode()
            if not _signs(notes[seq], keyring, size, f"grantreview.tlog-batch/2 {seq} {digest}"):
                problems.append((where, "its note does not sign it"))
            if claim["prev"] != previous:
                problems.append((where, "does not build on the signed batch before it"))
            problems += [(f"tlog batch {gone}", "abandoned") for gone in skipped]
        elif skipped or seq != previous + 1:
            problems.append((where, "a /1 batch after a gap"))
        if claim["old_size"] != previous_size:
            problems.append((where, "does not start where the batch before it ended"))
        skipped, previous, previous_size = [], seq, size
        leaves += claim["commits"]
    if previous >= 0:
        problems += _check_leaves(root, notes[previous], leaves)
    return problems
