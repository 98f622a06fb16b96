"""The deployments `grantreview serve` runs: one place where schedules and triggers are wired.

Every flow is served from this process with `prefect.serve` (no work pool needed):
`review` (started by hand, e.g. from the UI with typed parameters; with a people file in
force it needs the person's signed act), `review-signed` (the same, pausing until the
person pastes the signature of the act it shows), `act` (records an act a person prepared and signed
on their own machine, refusing one without a valid signature), `determine`,
`request-info` and `extend` (a person's acts in a staged review, by hand; with a people
file in force send them through `act`, signed), `preview` (what a court order given in the
form would change, as an artifact; writes nothing), `add-order` (a person adds that order
to the program, a signed act; `act` records one prepared elsewhere too), `decide` (started by
the `grantreview.response.*` Prefect events `respond --async` emits), `mail-final-notice`
(started by each `grantreview.decision.final`: mails the final notice to the jurisdiction's
contact unless the writer mailed it), `deadlines-<program>` and `reevaluate-<program>`
(scheduled per program), `checkpoint` and `audit` (scheduled).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Final, cast

import httpx
from prefect.events import DeploymentEventTrigger
from prefect.types.entrypoint import EntrypointType

from flows.act import act
from flows.add_order import add_order
from flows.audit import audit
from flows.checkpoint import checkpoint
from flows.deadlines import deadlines
from flows.decide import decide
from flows.deploy.forms import summary as _summary
from flows.deploy.forms import with_form_help, with_program_choice
from flows.determine import determine
from flows.extend import extend
from flows.mail_final_notice import mail_final_notice
from flows.preview import preview
from flows.reevaluate import reevaluate
from flows.request_info import request_info
from flows.review import review
from flows.review_signed import review_signed
from infra.errors import DependencyUnavailableError
from infra.platform.settings import Settings, get_settings
from tasks.decision_events import DECISION_FINAL

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "DEFAULT_AUDIT_CRON",
    "DEFAULT_CHECKPOINT_CRON",
    "DEFAULT_DEADLINES_CRON",
    "DEFAULT_REEVALUATE_CRON",
    "LOG_LABEL",
    "RESPONSE_EVENTS",
    "SERVED_FLOWS",
    "add_order_deployments",
    "emit_response_event",
    "log_location",
    "preview_deployments",
    "reevaluation_deployments",
    "review_deployments",
    "served_deployments",
    "stage_deployments",
]

DEFAULT_DEADLINES_CRON: Final = "15 * * * *"
"""Hourly: reminders and no-response decisions are day-granular; an hour's lag is harmless."""
DEFAULT_CHECKPOINT_CRON: Final = "0 * * * *"
"""Hourly signed checkpoint over every stream head."""
DEFAULT_AUDIT_CRON: Final = "30 5 * * *"
"""Daily at 05:30 UTC, before the reevaluation."""
RESPONSE_EVENTS: Final = ("grantreview.response.received", "grantreview.response.amended")
"""Prefect event names: they mirror the domain events after which a decision is due."""
LOG_LABEL: Final = "grantreview.log"
"""Resource label naming the event log (s3://bucket/prefix) an event belongs to."""

DEFAULT_REEVALUATE_CRON: Final = "0 6 * * *"
"""Daily at 06:00 UTC, before the office opens on the east coast."""


SERVED_FLOWS: Final = (
    review,
    act,
    decide,
    checkpoint,
    audit,
    deadlines,
    determine,
    request_info,
    extend,
    preview,
    add_order,
    reevaluate,
)
"""The flows behind `served_deployments` (serve names their scheduled runs from these)."""


def reevaluation_deployments(
    programs: list[str],
    *,
    cron: str | None = DEFAULT_REEVALUATE_CRON,
    interval: timedelta | None = None,
) -> list[RunnerDeployment]:
    """One scheduled `reevaluate` deployment per program (an interval, if given, beats cron)."""
    schedule: dict[str, object] = {"interval": interval} if interval else {"cron": cron}
    return [
        with_form_help(
            cast(  # to_deployment is sync-compatible: outside an event loop it returns the value
                "RunnerDeployment",
                reevaluate.to_deployment(
                    description=_summary(reevaluate),
                    name=f"reevaluate-{program}",
                    parameters={"program": program},
                    concurrency_limit=1,
                    tags=["reevaluation", program],
                    entrypoint_type=EntrypointType.MODULE_PATH,
                    **schedule,  # type: ignore[arg-type] # either interval or cron, as typed above
                ),
            )
        )
        for program in programs
    ]


def log_location(settings: Settings) -> str:
    """The event log's address: a trigger only takes events from the log it serves."""
    return f"s3://{settings.s3_bucket}/{settings.s3_prefix}"


def emit_response_event(
    settings: Settings, event_type: str, program: str, jurisdiction: str, response_sha256: str
) -> None:
    """Send the Prefect event that starts `decide`, and wait until the server has it.

    Unlike `emit_event` (queued; errors only logged) this raises `DependencyUnavailableError`
    if the API is unreachable, so `respond --async` can say so; running it again re-emits
    while the stream is undecided.
    """
    from prefect.events import Event  # noqa: PLC0415 - only the async respond path needs it
    from prefect.events.clients import get_events_client  # noqa: PLC0415

    event = Event(
        event=event_type,
        resource={
            "prefect.resource.id": f"grantreview.stream.{program}.{jurisdiction}",
            "prefect.resource.name": f"{program} / {jurisdiction}",
            LOG_LABEL: log_location(settings),
        },
        payload={
            "program": program,
            "jurisdiction": jurisdiction,
            "response_sha256": response_sha256,
        },
    )

    async def send() -> None:
        async with get_events_client() as client:
            await client.emit(event)

    try:
        asyncio.run(send())
    except (OSError, httpx.HTTPError, TimeoutError) as error:
        raise DependencyUnavailableError(f"the Prefect event could not be sent ({error})") from None


def review_deployments(
    programs: list[str],
    settings: Settings,
    *,
    deadlines_cron: str = DEFAULT_DEADLINES_CRON,
    checkpoint_cron: str = DEFAULT_CHECKPOINT_CRON,
    audit_cron: str = DEFAULT_AUDIT_CRON,
) -> list[RunnerDeployment]:
    """Review and act (by hand), decide (event-triggered), deadlines, checkpoint, audit."""
    module = EntrypointType.MODULE_PATH
    trigger = DeploymentEventTrigger(
        name="decide-after-response",
        expect=set(RESPONSE_EVENTS),
        match={LOG_LABEL: log_location(settings)},
        parameters={
            "program": "{{ event.payload.program }}",
            "jurisdiction": "{{ event.payload.jurisdiction }}",
        },
    )
    final_trigger = DeploymentEventTrigger(
        name="mail-final-notice-when-final",
        expect={DECISION_FINAL},
        match={LOG_LABEL: log_location(settings)},
        parameters={
            "program": "{{ event.payload.program }}",
            "jurisdiction": "{{ event.payload.jurisdiction }}",
        },
    )
    made: list[object] = [
        with_program_choice(review, programs).to_deployment(
            name="review",
            description=_summary(review),
            parameters={"program": programs[0]} if programs else None,
            tags=["review"],
            entrypoint_type=module,
        ),
        with_program_choice(review_signed, programs).to_deployment(
            name="review-signed",
            description=_summary(review_signed),
            parameters={"program": programs[0]} if programs else None,
            tags=["review"],
            entrypoint_type=module,
        ),
        act.to_deployment(
            name="act", description=_summary(act), tags=["act"], entrypoint_type=module
        ),
        decide.to_deployment(
            name="decide",
            description=_summary(decide),
            tags=["review"],
            triggers=[trigger],
            entrypoint_type=module,
        ),
        mail_final_notice.to_deployment(
            name="mail-final-notice",
            description=_summary(mail_final_notice),
            tags=["review", "staged"],
            triggers=[final_trigger],
            entrypoint_type=module,
        ),
        checkpoint.to_deployment(
            description=_summary(checkpoint),
            name="checkpoint",
            cron=checkpoint_cron,
            concurrency_limit=1,
            entrypoint_type=module,
        ),
        audit.to_deployment(
            description=_summary(audit),
            name="audit",
            cron=audit_cron,
            concurrency_limit=1,
            entrypoint_type=module,
        ),
        *(
            deadlines.to_deployment(
                description=_summary(deadlines),
                name=f"deadlines-{program}",
                parameters={"program": program},
                cron=deadlines_cron,
                concurrency_limit=1,
                tags=["deadlines", program],
                entrypoint_type=module,
            )
            for program in programs
        ),
    ]
    # to_deployment is sync-compatible: called outside an event loop it returns the value
    return [with_form_help(cast("RunnerDeployment", deployment)) for deployment in made]


def stage_deployments(programs: list[str] | None = None) -> list[RunnerDeployment]:
    """A person's acts in a staged review, started by hand with typed parameters (issue #16)."""
    module = EntrypointType.MODULE_PATH
    made: list[object] = [
        with_program_choice(flow, programs or []).to_deployment(
            name=name,
            description=_summary(flow),
            tags=["review", "staged"],
            entrypoint_type=module,
        )
        for name, flow in (
            ("determine", determine),
            ("request-info", request_info),
            ("extend", extend),
        )
    ]
    # to_deployment is sync-compatible: called outside an event loop it returns the value
    return [with_form_help(cast("RunnerDeployment", deployment)) for deployment in made]


def preview_deployments(programs: list[str] | None = None) -> list[RunnerDeployment]:
    """`preview`: what a court order given in the form would change, as an artifact (#26)."""
    made = with_program_choice(preview, programs or []).to_deployment(
        name="preview",
        description=_summary(preview),
        tags=["review", "preview"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # to_deployment is sync-compatible: called outside an event loop it returns the value
    return [with_form_help(cast("RunnerDeployment", made))]


def add_order_deployments(programs: list[str] | None = None) -> list[RunnerDeployment]:
    """`add-order`: a person adds a court order to a program, a signed act (#26)."""
    made = with_program_choice(add_order, programs or []).to_deployment(
        name="add-order",
        description=_summary(add_order),
        tags=["review", "preview"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # to_deployment is sync-compatible: called outside an event loop it returns the value
    return [with_form_help(cast("RunnerDeployment", made))]


def served_deployments(
    programs: list[str],
    *,
    reevaluate_cron: str | None = DEFAULT_REEVALUATE_CRON,
    reevaluate_interval: timedelta | None = None,
    settings: Settings | None = None,
) -> list[RunnerDeployment]:
    """Every deployment `grantreview serve` runs."""
    return [
        *review_deployments(programs, settings or get_settings()),
        *stage_deployments(programs),
        *preview_deployments(programs),
        *add_order_deployments(programs),
        *reevaluation_deployments(programs, cron=reevaluate_cron, interval=reevaluate_interval),
    ]
