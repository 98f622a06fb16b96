"""People's acts handed to a flow run: checked against the people file, then recorded."""

from __future__ import annotations

from infra.runtime import get_runtime
from schemas.base.errors import InputError
from schemas.people.acts import Act, SignedAct
from tasks._io import io_task
from usecases.proposals import ActOutcome
from usecases.review import check_review_act, record_review_act
from usecases.submit import submit_act

__all__ = ["check_review_start", "parse_signed_act", "record_signed_act", "start_review_act"]


def parse_signed_act(act: str | None, signature: str | None) -> SignedAct | None:
    """The act (its prepared bytes) and its armored signature, as a flow parameter pair."""
    if not act and not signature:
        return None
    if not act or not signature:
        raise InputError("pass both the act and its signature")
    return SignedAct(act=Act.from_bytes(act.encode()), signature=signature)


@io_task
def record_signed_act(act: str, signature: str) -> ActOutcome:
    """Record an act signed elsewhere; refused (the run fails) unless valid for its actor."""
    signed = parse_signed_act(act, signature)
    if signed is None:
        raise InputError("an act and its signature are required")
    return submit_act(get_runtime(), signed)


def check_review_start(
    program: str,
    jurisdictions: list[str] | None,
    actor: str | None,
    act: str | None,
    signature: str | None,
) -> None:
    """The review's start, checked in the flow itself (no task): a refusal leaves no traceback."""
    runtime = get_runtime()
    presigned = parse_signed_act(act, signature)
    person = actor or (presigned.act.actor if presigned else runtime.settings.actor)
    check_review_act(runtime, program, jurisdictions, person, presigned)


@io_task
def start_review_act(
    program: str,
    jurisdictions: list[str] | None,
    actor: str | None,
    act: str | None,
    signature: str | None,
) -> str | None:
    """Record who started the review (signed), or refuse the run; None without a people file."""
    runtime = get_runtime()
    presigned = parse_signed_act(act, signature)
    person = actor or (presigned.act.actor if presigned else runtime.settings.actor)
    return record_review_act(runtime, program, jurisdictions, person, presigned)
