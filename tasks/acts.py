"""People's acts handed to a flow run: checked against the people file, then recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.runtime import get_runtime
from schemas.base.errors import InputError
from schemas.people.acts import Act, SignedAct
from tasks._io import io_task
from usecases.form_acts import SIGN_HINT, check_form_act, no_signature, prepare_command
from usecases.proposals import ActOutcome
from usecases.review import check_review_act, record_review_act
from usecases.submit import submit_act

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from infra.runtime import Runtime

__all__ = [
    "check_review_start",
    "form_act",
    "parse_signed_act",
    "record_signed_act",
    "start_review_act",
]


def parse_signed_act(act: str | None, signature: str | None) -> SignedAct | None:
    """The act (its prepared bytes) and its armored signature, as a flow parameter pair."""
    if not act and not signature:
        return None
    if not signature:
        raise InputError(no_signature())
    if not act:
        raise InputError("a signature without its act: fill in act with the act's text, as signed")
    return SignedAct(act=Act.from_bytes(act.encode()), signature=signature)


def form_act(
    runtime: Runtime,
    command: str,
    args: Sequence[str],
    *,
    as_of: datetime | None,
    act: str | None,
    signature: str | None,
) -> SignedAct | None:
    """The signed act a staged act's form carries; refused, saying how, if one is needed.

    Checked in the flow itself (no task), so a refusal leaves one line and no traceback.
    """
    presigned = parse_signed_act(act, signature)
    dated = [*args, "--as-of", as_of.isoformat()] if as_of else list(args)
    check_form_act(runtime, command, prepare_command(command, dated), presigned)
    return presigned


def record_signed_act(act: str, signature: str) -> ActOutcome:
    """Record an act signed elsewhere; refused (the run fails) unless valid for its actor.

    Called in the flow itself, not as a task: a refusal raised inside a task would log
    the task's traceback in the run's logs. It writes only once the act is checked.
    """
    if not act and not signature:
        raise InputError(
            "an act and its signature are required: prepare the act with its command's"
            " --prepare (e.g. `grantreview determine SLUG -p PROGRAM --decision eligible"
            f" --reason TEXT --prepare > act.json`), {SIGN_HINT}, and fill in act and signature"
            " with the two files' text"
        )
    signed = parse_signed_act(act, signature)
    assert signed is not None  # noqa: S101 - both are given, checked above
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
