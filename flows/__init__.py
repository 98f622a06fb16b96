"""Prefect flows: the deployable entry points, one per file; `grant_flow` is the decorator.

`refused` ends a run whose input or act is refused in one line (`RefusalEchoFilter` keeps
Prefect's engine from echoing it with a traceback).
"""

from flows._flow import grant_flow
from flows._refusal import REFUSAL_PREFIX, RUN_LOGGER, RefusalEchoFilter, refused

__all__ = ["REFUSAL_PREFIX", "RUN_LOGGER", "RefusalEchoFilter", "grant_flow", "refused"]
