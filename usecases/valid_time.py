"""The valid time a writing command records: now, or a past `--as-of`, never the future.

Writers stamp recorded time themselves; a person may enter a historical date (a 2017
case entered today), but nothing later than now plus the deployment's clock skew
(`GRANTREVIEW_ACT_SKEW`): a window cannot be closed, nor a final made, early.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.platform.clock import utc_now
from schemas.planning.valid_time import check_not_future

if TYPE_CHECKING:
    from datetime import datetime

    from infra.runtime import Runtime

__all__ = ["writing_moment"]


def writing_moment(runtime: Runtime, as_of: datetime | None) -> datetime:
    """`as_of`, or now; refused (exit 2) when later than now plus the allowed skew."""
    now = utc_now()
    if as_of is None:
        return now
    check_not_future(as_of, now, runtime.settings.act_skew)
    return as_of
