"""The checkpoint flow: the hourly signed checkpoint over every stream head."""

from __future__ import annotations

from prefect import flow

from tasks.checkpoints import checkpoint_everything

__all__ = ["checkpoint"]


@flow(name="checkpoint", persist_result=False, log_prints=False)
def checkpoint() -> str | None:
    """Sign a checkpoint over every stream head (needs GRANTREVIEW_SIGNING_KEY_FILE).

    Returns the checkpoint's key, or None when no signing key is configured.
    """
    return checkpoint_everything()
