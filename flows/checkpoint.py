"""The checkpoint flow: hourly, integrate every pending commit and sign a fresh checkpoint."""

from __future__ import annotations

from flows._flow import grant_flow
from tasks.checkpoints import checkpoint_everything

__all__ = ["checkpoint"]


@grant_flow("checkpoint", run_name="checkpoint-{date}")
def checkpoint() -> str | None:
    """Integrate every commit not yet in the transparency log and sign a fresh checkpoint.

    Signs even when nothing was pending, so "no activity" and "log stopped" differ (needs
    GRANTREVIEW_SIGNING_KEY_FILE). Returns the checkpoint note's key, or None without a key.
    """
    return checkpoint_everything()
