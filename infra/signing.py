"""Sign a checkpoint with the configured key: the one path every writer (flow or CLI) uses."""

from __future__ import annotations

from infra.checkpoints import write_checkpoint
from infra.clock import utc_now
from infra.logging import get_logger
from infra.runtime import Runtime
from schemas.streams import StreamId

__all__ = ["sign_heads"]

_log = get_logger(__name__)


def sign_heads(runtime: Runtime, heads: dict[StreamId, tuple[int, str]] | None) -> str | None:
    """Cover `heads` (None: every stream) in a new checkpoint; its key, or None if nothing moved."""
    signer = runtime.signer
    if signer is None:
        _log.warning("checkpoint_skipped", reason="GRANTREVIEW_SIGNING_KEY_FILE is not set")
        return None
    return write_checkpoint(runtime.log, signer, time=utc_now(), heads=heads)
