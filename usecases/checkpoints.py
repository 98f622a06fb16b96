"""The checkpoint steps every writer takes: check the newest before writing, sign after.

They take a `Runtime`, so they are use cases; the checks themselves are
`infra.eventlog.checkpoints` and the integrator (`infra.eventlog.integrator`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.eventlog.checkpoints import trusted_latest_checkpoint
from infra.platform.clock import utc_now
from infra.platform.logging import get_logger
from schemas.log.streams import commit_key
from schemas.tlog.layout import checkpoint_note_key

if TYPE_CHECKING:
    from infra.runtime import Runtime
    from schemas.log.cumulative_checkpoint import Keyring
    from schemas.log.streams import StreamId

__all__ = ["check_before_writing", "sign_heads", "writer_keyring"]

_log = get_logger(__name__)


def writer_keyring(runtime: Runtime) -> Keyring | None:
    """What a writer checks signatures with: the verify key file if set, else its own key."""
    return runtime.commit_keys.keyring


def check_before_writing(runtime: Runtime) -> None:
    """A writer's first step: refuse (exit 3) unless the newest checkpoint can be built on.

    Also loads the signing key, so a bad key file is refused before anything is written.
    """
    _ = runtime.signer
    trusted_latest_checkpoint(runtime.store, runtime.settings.s3_prefix, writer_keyring(runtime))
    if runtime.integrator is not None:  # the newest signed tlog checkpoint; reads only
        runtime.integrator.newest()


def sign_heads(
    runtime: Runtime,
    heads: dict[StreamId, tuple[int, str]] | None,
    *,
    always_sign: bool = False,
) -> str | None:
    """Integrate `heads`' pending commits (None: every stream) into the transparency log.

    Each head's hash is checked: a commit at that seq with another hash is not the run's,
    and is left out (the audit names it).

    The one path every writer (flow or CLI) takes after appending. Since the transparency
    log's cut-over (docs/log-format.md) it signs C2SP checkpoints, not cumulative ones;
    returns the newest checkpoint note's key, or None before the first.
    """
    integrator = runtime.integrator
    if integrator is None:
        _log.warning("checkpoint_skipped", reason="GRANTREVIEW_SIGNING_KEY_FILE is not set")
        return None
    tips = None if heads is None else {stream: head[0] for stream, head in heads.items()}
    expected = {  # the commit each head names must be the very one the run appended
        commit_key(runtime.log.prefix, stream, seq): digest
        for stream, (seq, digest) in (heads or {}).items()
        if seq >= 0
    }
    newest = integrator.integrate(tips, time=utc_now(), always_sign=always_sign, expected=expected)
    return None if newest.seq < 0 else checkpoint_note_key(runtime.log.prefix, newest.seq)
