"""The act flow: record a person's act signed on their own machine (deployment `act`)."""

from __future__ import annotations

from flows._flow import grant_flow
from flows._refusal import refused
from schemas.base.errors import InputError
from tasks.acts import record_signed_act
from usecases.proposals import ActOutcome

__all__ = ["act"]


@grant_flow("act")
def act(act: str, signature: str) -> ActOutcome:
    """Record an act prepared with `--prepare` and signed by its person.

    `act` is the prepared bytes; `signature` the armored output of `grantreview sign` or
    `ssh-keygen -Y sign -n grantreview`. Without a valid signature by a person whose role
    allows the act, the run fails and nothing is written.
    """
    try:  # in the flow itself: a task's failure would log its traceback in the run's logs
        return record_signed_act(act, signature)
    except InputError as error:  # unsigned, not verifying or not allowed: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends the run
