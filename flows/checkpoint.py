"""The checkpoint flow: the hourly signed checkpoint over every stream head."""

from __future__ import annotations

from flows._flow import grant_flow
from tasks.checkpoints import checkpoint_everything

__all__ = ["checkpoint"]


@grant_flow("checkpoint", run_name="checkpoint-{date}")
def checkpoint() -> str | None:
    """Sign a checkpoint over every stream head (needs GRANTREVIEW_SIGNING_KEY_FILE).

    Returns the checkpoint's key, or None when no signing key is configured.
    """
    return checkpoint_everything()
