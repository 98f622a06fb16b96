"""`explain` (why a jurisdiction stands where it does) and `override` (a person decides)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli._common import print_json
from cli._options import (
    ActFileOption,
    PrepareOption,
    SignatureFileOption,
    parse_moment,
    read_presigned,
)
from cli._render import safe_text
from cli.acts import ActorOption, print_prepared, render_outcome
from schemas.base.ids import check_slug

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
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.explain import explain as explain_review  # noqa: PLC0415

    found = explain_review(get_runtime(), program, jurisdiction, as_of=moment, known_at=knowledge)
    evaluation, overridden, when = found.evaluation, found.override, found.when
    document: dict[str, Any] = {
        **evaluation.model_dump(mode="json"),
        "decision_id": evaluation.decision_id,
        "override": None if overridden is None else overridden.model_dump(mode="json"),
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
    lines.extend(fact.describe() for fact in evaluation.uncertain_facts)
    if overridden is not None:
        lines.append(
            f"overridden: {overridden.decision.value} by {overridden.actor}: {overridden.reason}"
        )
    for line in lines:
        typer.echo(safe_text(line, one_line=True))


def override(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: ProgramOption,
    decision: Annotated[str, typer.Option("--decision", help="eligible or ineligible.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in plain language.")],
    actor: ActorOption,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
) -> None:
    """Record a human decision; later automatic evaluations report, never undo, it.

    With a people file the act is signed with GRANTREVIEW_PERSON_KEY_FILE (or prepared
    and signed elsewhere); where the program asks for approvals it is proposed, and
    `--json` carries its `act_id`.
    """
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")
    presigned = read_presigned(act_file, signature, prepare=prepare)
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.acts import prepare_act  # noqa: PLC0415
    from usecases.override import (  # noqa: PLC0415
        check_override,
        override_request,
        record_override,
    )

    outcome = check_override(decision, reason, actor)  # refused before the settings are read
    if prepare:
        request = override_request(program, jurisdiction, outcome, reason)
        print_prepared(prepare_act(get_runtime(), request, actor))
        return
    result = record_override(
        get_runtime(),
        program,
        jurisdiction,
        decision=outcome,
        reason=reason,
        actor=actor,
        presigned=presigned,
    )
    if json_output or result.status != "recorded":
        render_outcome("override", result, json_output=json_output)
        return
    verb = "recorded" if result.written else "already on record"
    typer.echo(f"override {verb}: {program} / {jurisdiction} is {decision}")
