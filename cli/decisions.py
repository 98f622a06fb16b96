"""`explain` (why a jurisdiction stands where it does) and `override` (a person decides)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli._common import print_json
from cli._options import parse_moment
from cli._render import safe_text
from schemas.errors import InputError
from schemas.ids import check_slug

__all__ = ["explain", "override"]

ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program id.")]


def explain(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: ProgramOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Valid time (default now).")] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Knowledge time (default: --as-of).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Evaluate the recorded response under the program now in the folder; writes nothing."""
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")
    moment = parse_moment(as_of)
    knowledge = parse_moment(known_at, "--known-at")
    from infra.clock import utc_now  # noqa: PLC0415 - keep CLI start-up light
    from infra.runtime import get_runtime  # noqa: PLC0415
    from schemas.review import response_of  # noqa: PLC0415
    from schemas.rules import evaluate  # noqa: PLC0415
    from schemas.streams import StreamId  # noqa: PLC0415

    runtime = get_runtime()
    bundle = runtime.program(program)
    registry = runtime.registry()
    if jurisdiction not in registry:
        raise InputError(f"jurisdiction never imported: {jurisdiction}")
    state = runtime.log.state(StreamId(program=program, jurisdiction=jurisdiction))
    when = moment or utc_now()
    evaluation = evaluate(
        bundle,
        registry[jurisdiction],
        response_of(state),
        response_sha256=state.response_sha,
        as_of=when,
        known_at=knowledge or when,
    )
    document: dict[str, Any] = {
        **evaluation.model_dump(mode="json"),
        "decision_id": evaluation.decision_id,
        "override": None if state.override is None else state.override.model_dump(mode="json"),
    }
    if json_output:
        print_json(document)
        return
    lines = [
        f"{program} / {jurisdiction}: {evaluation.outcome.value}",
        f"rule set version {evaluation.rule_set_version}, as of {when.isoformat()}",
    ]
    for condition in evaluation.conditions:
        waived = f" (waived by {condition.waived_by})" if condition.waived_by else ""
        lines.append(f"  {condition.id:24} {condition.status.value:15} {condition.reason}{waived}")
    lines.extend(f"reason: {reason}" for reason in evaluation.reasons)
    if state.override is not None:
        lines.append(
            f"overridden: {state.override.decision.value} by {state.override.actor}: "
            f"{state.override.reason}"
        )
    for line in lines:
        typer.echo(safe_text(line, one_line=True))


def override(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: ProgramOption,
    decision: Annotated[str, typer.Option("--decision", help="eligible or ineligible.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in plain language.")],
    actor: Annotated[str, typer.Option("--actor", help="Who decides.")],
) -> None:
    """Record a human decision; later automatic evaluations report, never undo, it."""
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")
    if decision not in {"eligible", "ineligible"}:
        raise InputError("--decision must be eligible or ineligible")
    if not reason.strip() or len(reason) > 5000:  # noqa: PLR2004 - the event's limit
        raise InputError("--reason must be 1-5000 characters")
    if not actor.strip() or len(actor) > 200:  # noqa: PLR2004 - the event's limit
        raise InputError("--actor must be 1-200 characters")
    from infra.checkpoints import sign_heads  # noqa: PLC0415
    from infra.clock import utc_now  # noqa: PLC0415
    from infra.eventlog.appender import append_planned  # noqa: PLC0415 - keep CLI start-up light
    from infra.runtime import get_runtime  # noqa: PLC0415
    from schemas.evaluation import Outcome  # noqa: PLC0415
    from schemas.override import plan_override  # noqa: PLC0415
    from schemas.streams import StreamId  # noqa: PLC0415

    runtime = get_runtime()
    runtime.program(program)
    _ = runtime.signer  # a bad signing key is refused before anything is written
    if jurisdiction not in runtime.registry():
        raise InputError(f"jurisdiction never imported: {jurisdiction}")
    stream = StreamId(program=program, jurisdiction=jurisdiction)
    outcome = Outcome(decision)
    result = append_planned(
        runtime.log,
        runtime.log.state(stream),
        lambda state: plan_override(state, outcome, reason, actor),
        time=utc_now(),
        actor=actor,
    )
    sign_heads(runtime, {stream: (result.state.head_seq, result.state.head_hash)})
    verb = "recorded" if result.written else "already on record"
    typer.echo(f"override {verb}: {program} / {jurisdiction} is {decision}")
