"""Review jurisdictions: what is checked before the review flow runs (it writes nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from infra.runtime import Runtime
from schemas.base.errors import InputError
from schemas.log.streams import StreamId
from schemas.people.acts import Act, ActType, SignedAct
from schemas.planning.stages import check_letter_not_overdue
from usecases.acts import ActRequest, prepare_act, recorded_act, signed_act_for
from usecases.checkpoints import check_before_writing
from usecases.form_acts import prepare_command, unsigned_form
from usecases.people import people_in_force
from usecases.proposals import record_act
from usecases.registry import require_imported
from usecases.valid_time import writing_moment

__all__ = [
    "check_review",
    "check_review_act",
    "prepare_review",
    "record_review_act",
    "review_request",
    "sign_review",
    "unsigned_start",
]


def check_review(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    as_of: datetime | None = None,
) -> None:
    """Refuse a bad program, signing key or slug, a future as_of, and a letter overdue on its date.

    A letter whose fixed `response_due` is before its date is refused (issue #16, point 6).
    The `review` flow (run by the CLI, a deployment or the UI) selects the same
    jurisdictions through `tasks.registry.select_jurisdictions`, over the same check.
    """
    bundle = runtime.program(program)
    letter_date = writing_moment(runtime, as_of).date()  # never after now: refused
    check_before_writing(runtime)  # a bad key or untrusted checkpoint: nothing written
    rows = require_imported(runtime, slugs)
    spec = bundle.program.letter
    if spec is None or spec.response_due is None:
        return
    if spec.response_due >= letter_date:
        return
    # Untrusted or damaged streams are the flow's to report; the others go on (issue #13).
    states, _ = runtime.log.trusted_states(
        StreamId(program=program, jurisdiction=r.slug) for r in rows
    )
    if any(state.letter is None for state in states.values()):
        check_letter_not_overdue(bundle.program, letter_date)


def review_request(program: str, slugs: Sequence[str] | None) -> ActRequest:
    """The act starting a review is: the program and the jurisdictions (none: all)."""
    return ActRequest(ActType.REVIEW, program, tuple(slugs or ()), {})


def prepare_review(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    actor: str,
    as_of: datetime | None = None,
) -> Act:
    """The act starting this review is, to sign elsewhere, once `check_review` passes."""
    check_review(runtime, program, slugs, as_of)
    return prepare_act(runtime, review_request(program, slugs), actor)


def sign_review(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    actor: str,
    presigned: SignedAct | None = None,
) -> SignedAct | None:
    """The person's signed act of starting this review, for the flow run (None unsigned).

    `presigned` (signed elsewhere) is checked here, so a wrong one never starts a run.
    """
    return signed_act_for(runtime, review_request(program, slugs), actor, presigned)


def unsigned_start(program: str, slugs: Sequence[str] | None, actor: str) -> str:
    """Why an unsigned start of the `review` deployment is refused, and the exact way through."""
    args = ["-p", program, *(slugs or ["--all"]), "--actor", actor]
    how = unsigned_form("starting a review", prepare_command("review", args))
    return f"{how}; or start `review-signed`, which shows the act to sign and waits for it"


def check_review_act(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    actor: str,
    presigned: SignedAct | None,
) -> None:
    """Refuse, before anything runs or is written, a start the people file does not allow.

    Without a signed act: refused when a people file is in force and no person's key is
    here to sign. With one: it must be valid for this review and its actor.
    """
    if presigned is not None:
        signed_act_for(runtime, review_request(program, slugs), actor, presigned)
        return
    no_key = runtime.settings.person_key_file is None
    if no_key and people_in_force(runtime) is not None:
        raise InputError(unsigned_start(program, slugs, actor))


def record_review_act(
    runtime: Runtime,
    program: str,
    slugs: Sequence[str] | None,
    actor: str,
    presigned: SignedAct | None = None,
) -> str | None:
    """Record who started the review, signed, in `{program}/_acts`; its act id (None unsigned).

    With a people file in force a run without a valid signed act is refused (exit 2), so a
    deployment started from the UI needs the act and its signature as parameters. The
    letters and decisions that follow are automation's, sealed by the system key.
    """
    check_review_act(runtime, program, slugs, actor, presigned)
    signed = signed_act_for(runtime, review_request(program, slugs), actor, presigned)
    if signed is None:
        return None
    event = recorded_act(runtime, signed)
    record_act(runtime, StreamId.acts(program), f"review:{signed.act_id}", event)
    return signed.act_id
