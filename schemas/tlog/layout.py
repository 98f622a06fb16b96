"""Where the transparency log lives in the bucket, and the batch record that orders it.

Everything sits under `{prefix}tlog/` and is written once (docs/log-format.md, "Transparency
log"): tiles (`tile/...`), one index object per integrated commit (`index/<commit key>`,
so a commit's leaf index is one GET), and a gapless sequence of batches and checkpoints,
grouped by thousands so the newest is found with two listings whatever the log holds.
A batch is claimed put-if-absent before anything it names is written; everything after
the claim (tiles, index, the checkpoint, whose Ed25519 signature is deterministic) is
computed from the claim alone, so any integrator can finish a batch another one left.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schemas.base.canonical import canonical_json
from schemas.base.errors import DamagedDataError
from schemas.tlog.tiles import Tile

__all__ = [
    "BATCH_DATING_SLACK",
    "BATCH_FORMAT",
    "BATCH_FORMAT_V1",
    "CLOCK_SKEW",
    "SUPERSEDE_AFTER",
    "Batch",
    "BatchFormatError",
    "batch_folder",
    "batch_key",
    "batch_line",
    "checkpoint_folder",
    "checkpoint_note_key",
    "index_body",
    "index_key",
    "log_origin",
    "origin_prefix",
    "parse_batch",
    "parse_checkpoint_text_origin",
    "parse_index_body",
    "parse_sequence_key",
    "published_checkpoint_key",
    "tile_key",
]

BATCH_FORMAT_V1: Final = "grantreview.tlog-batch/1"
"""Before issue #21: claims not bound by their checkpoint; `prev` implicitly `seq - 1`."""
BATCH_FORMAT: Final = "grantreview.tlog-batch/2"
"""Since issue #21: the checkpoint's extension line signs the claim's hash (`batch_line`)."""
SUPERSEDE_AFTER: Final = timedelta(minutes=5)
"""How long a claim that cannot be finished may hold up the log before it is skipped."""
CLOCK_SKEW: Final = timedelta(minutes=5)
"""A claim dated further ahead than this of the integrator's clock is junk at once."""
BATCH_DATING_SLACK: Final = timedelta(hours=1)
"""How long before a commit's own time a batch holding it may be dated. A batch is dated
when its integration starts, and the integration finds its commits a little later (a
sweep lists the bucket); clock skew included, an hour is generous. Lookups search the
signed batches from a commit's time minus this, so no per-commit index is needed."""
_GROUP: Final = 1000
_SEQ_WIDTH: Final = 20


class BatchFormatError(DamagedDataError):
    """A batch or index object that does not parse: the log is damaged (exit 3)."""


class Batch(BaseModel):
    """The claim on checkpoint `seq`: the commits it adds, in leaf order, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = BATCH_FORMAT
    seq: int = Field(ge=0)
    prev: int | None = Field(
        default=None,
        ge=-1,
        description="/2: the signed batch it builds on (-1: none); seqs between are abandoned",
    )
    old_size: int = Field(ge=0)
    commits: tuple[str, ...] = Field(description="commit keys, prefix included, in leaf order")
    time: AwareDatetime
    sweep: bool = Field(
        default=False,
        description="the last batch of a full sweep: every commit listed by then is a leaf",
    )
    cutover: str | None = Field(
        default=None,
        description="batch 0 only: the newest cumulative checkpoint key when the tlog took over",
    )

    @property
    def size(self) -> int:
        """The tree size after this batch."""
        return self.old_size + len(self.commits)

    @property
    def signed(self) -> bool:
        """Whether its checkpoint signs the claim itself (format /2)."""
        return self.format == BATCH_FORMAT

    @property
    def builds_on(self) -> int:
        """The seq of the batch this one extends: `prev` in /2, `seq - 1` in /1."""
        return self.seq - 1 if self.prev is None else self.prev

    def to_bytes(self) -> bytes:
        """Canonical JSON, so two integrators finishing one claim agree byte for byte."""
        document = self.model_dump(mode="json")
        if document["prev"] is None:  # /1 claims never had the member
            del document["prev"]
        return canonical_json(document)


def batch_line(seq: int, claim: bytes) -> str:
    """The checkpoint extension line that signs claim `seq`: its format, seq and SHA-256."""
    digest = base64.b64encode(hashlib.sha256(claim).digest()).decode()
    return f"{BATCH_FORMAT} {seq} {digest}"


def parse_batch(raw: bytes) -> Batch:
    """A stored batch, strictly."""
    try:
        batch = Batch.model_validate_json(raw)
    except ValidationError as error:
        raise BatchFormatError(f"not a tlog batch: {error.errors()[0]['msg']}") from None
    if batch.format not in {BATCH_FORMAT, BATCH_FORMAT_V1}:
        raise BatchFormatError(f"unknown batch format {batch.format!r}")
    if (batch.prev is None) == batch.signed or batch.builds_on >= batch.seq:
        raise BatchFormatError("a /2 batch names the earlier batch it builds on; /1 none")
    return batch


def log_origin(bucket: str, prefix: str) -> str:
    """The checkpoint origin (and key name): `grantreview.tlog/<bucket>[/<prefix>]`.

    Unique per log (a bucket name is global, the prefix separates logs inside it); no
    spaces or `+`, as signed-note key names require (slugs and bucket names have neither).
    """
    tail = prefix.strip("/")
    return f"grantreview.tlog/{bucket}" + (f"/{tail}" if tail else "")


def origin_prefix(origin: str) -> str:
    """The prefix a log's writers used, from its origin (`log_origin`'s inverse on the prefix).

    Batch claims name commits by their full keys; a downloaded copy holds them under
    another prefix (often ''), so an auditor reads a leaf's key relative to this one.
    """
    _, _, tail = origin.removeprefix("grantreview.tlog/").partition("/")
    return f"{tail}/" if tail else ""


def _sequence_key(folder: str, seq: int, suffix: str) -> str:
    return f"{folder}{seq // _GROUP:0{_SEQ_WIDTH - 3}d}/{seq:0{_SEQ_WIDTH}d}{suffix}"


def batch_folder(prefix: str) -> str:
    """The folder of batch claims."""
    return f"{prefix}tlog/batches/"


def checkpoint_folder(prefix: str) -> str:
    """The folder of signed checkpoint notes."""
    return f"{prefix}tlog/checkpoints/"


def batch_key(prefix: str, seq: int) -> str:
    """`tlog/batches/<seq // 1000>/<seq>.json`, zero-padded so keys list in order."""
    return _sequence_key(batch_folder(prefix), seq, ".json")


def checkpoint_note_key(prefix: str, seq: int) -> str:
    """`tlog/checkpoints/<seq // 1000>/<seq>`: the C2SP checkpoint note of batch `seq`."""
    return _sequence_key(checkpoint_folder(prefix), seq, "")


def parse_sequence_key(folder: str, key: str) -> int | None:
    """The seq a batch or checkpoint key names, or None for any other key."""
    parts = key.removeprefix(folder).removesuffix(".json").split("/")
    if not key.startswith(folder) or len(parts) != 2:  # noqa: PLR2004 - group/seq
        return None
    group, seq = parts
    if len(seq) != _SEQ_WIDTH or not seq.isascii() or not seq.isdigit():
        return None
    return int(seq) if group == f"{int(seq) // _GROUP:0{_SEQ_WIDTH - 3}d}" else None


def published_checkpoint_key(prefix: str) -> str:
    """`{prefix}tlog/checkpoint`: the newest note, where C2SP tlog-tiles clients look."""
    return f"{prefix}tlog/checkpoint"


def tile_key(prefix: str, tile: Tile) -> str:
    """The object key of a tile: `{prefix}tlog/` + the C2SP tile path."""
    return f"{prefix}tlog/{tile.path()}"


def index_key(prefix: str, commit_key: str) -> str:
    """`{prefix}tlog/index/<commit key without prefix>`: one GET finds a commit's leaf."""
    if not commit_key.startswith(prefix):
        raise ValueError(f"{commit_key} is not under {prefix!r}")
    return f"{prefix}tlog/index/{commit_key[len(prefix) :]}"


def index_body(leaf_index: int, batch: int) -> bytes:
    """The index object: the leaf index and the batch that added it."""
    return canonical_json({"batch": batch, "leaf_index": leaf_index})


def parse_index_body(raw: bytes) -> tuple[int, int]:
    """(leaf index, batch seq) from an index object."""
    try:
        document = json.loads(raw)
        leaf, batch = document["leaf_index"], document["batch"]
    except (ValueError, KeyError, TypeError):
        raise BatchFormatError("not a tlog index entry") from None
    if not isinstance(leaf, int) or not isinstance(batch, int) or min(leaf, batch) < 0:
        raise BatchFormatError("not a tlog index entry")
    return leaf, batch


def parse_checkpoint_text_origin(note: bytes) -> str | None:
    """The origin a stored checkpoint note states (its first line), unverified; None if none."""
    first = note.split(b"\n", 1)[0]
    try:
        origin = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return origin or None
