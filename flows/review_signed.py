"""The review that waits for its person's signature (deployment `review-signed`, issue #24).

Started from the UI with no act at hand: the run prepares the act starting this review,
shows its exact text and the command that signs it, and pauses (Prefect's
`pause_flow_run` with `wait_for_input`). The person signs on their own machine and
resumes the run with the armored signature in the resume form; the review then runs as
`review` does with that act. A signature that does not verify, or none in time, ends the
run in one line with nothing written.
"""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput

from flows._flow import grant_flow
from flows._refusal import refused
from flows.review import review
from infra.runtime import get_runtime
from schemas.base.errors import InputError
from schemas.base.ids import Slug
from usecases.form_acts import SIGN_HINT
from usecases.review import prepare_review
from usecases.stream_outcome import StreamOutcome

__all__ = ["ActSignature", "review_signed"]


class ActSignature(RunInput):
    """The resume form: the armored SSH signature of the act shown above it."""

    signature: str


def how_to_sign(act: str) -> str:
    """The resume form's text: the act, exactly, and how to sign it (Markdown)."""
    return (
        "**Sign this act to start the review.** Save the text below as `act.json`, "
        f"{SIGN_HINT} where your key is, and paste the whole signature (from "
        "`-----BEGIN SSH SIGNATURE-----` to `-----END SSH SIGNATURE-----`) below.\n\n"
        f"```json\n{act}\n```\n"
    )


@grant_flow("review-signed", run_name="review-signed-{program}-{date}")
def review_signed(  # noqa: PLR0917 - Prefect passes parameters by name
    program: Slug,
    actor: str,
    jurisdictions: list[Slug] | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    wait_minutes: int = 60,
) -> list[StreamOutcome]:
    """Review under a people file from the UI: the run shows the act to sign and waits.

    Args:
        program: The grant program to review under, e.g. psp-2017.
        actor: Your id in the people file: the act is prepared in your name.
        jurisdictions: Jurisdiction slugs, e.g. stockton-ca; empty: every imported one.
        as_of: The date the review is made for; empty means now.
        known_at: Only what was recorded by this time counts; empty means as_of.
        wait_minutes: How long the run waits for the signature before it ends, refused.
    """
    try:
        act = prepare_review(get_runtime(), program, jurisdictions, actor, as_of)
    except InputError as error:  # not a program, not imported, no people file: one line
        return refused(error)  # type: ignore[no-any-return] # Prefect's Failed state ends it
    text = act.signed_bytes().decode()
    get_run_logger().info(
        "waiting for %s's signature of act %s: Resume shows the act and how to sign it",
        actor,
        act.act_id,
    )
    form = ActSignature.with_initial_data(description=how_to_sign(text))
    try:
        answer = pause_flow_run(wait_for_input=form, timeout=wait_minutes * 60, poll_interval=2)
    except FlowPauseTimeout:
        minutes = f"no signature within {wait_minutes} minutes: start the run again"
        return refused(InputError(minutes))  # type: ignore[no-any-return] # Prefect's Failed state
    return review.fn(program, jurisdictions, as_of, known_at, actor, text, answer.signature)
