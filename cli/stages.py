"""`determine`, `request-info` and `extend`: a person's acts in a staged review (issue #16).

Thin: parse and check the options, call the one use case (usecases/stages.py), print one
line. Bad input exits 2 with one line and nothing written. Each takes `--prepare`, or
`--act FILE --signature FILE` for the act signed elsewhere. With a Prefect API configured
each runs as its flow (`flows/determine.py` ...), a run named for what it does and for whom.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cli._acts_run import run_act
from cli._common import print_json
from cli._options import (
    ActFileOption,
    JsonOption,
    PrepareOption,
    SignatureFileOption,
    parse_moment,
    read_presigned,
)
from cli.acts import print_prepared, render_outcome
from schemas.base.errors import InputError
from schemas.base.ids import check_slug

if TYPE_CHECKING:
    from collections.abc import Callable

    from infra.runtime import Runtime
    from schemas.log.state import StreamState
    from schemas.people.acts import SignedAct
    from usecases.acts import ActRequest
    from usecases.stages import ActResult

__all__ = ["determine", "extend", "request_info"]

Jurisdiction = Annotated[str, typer.Argument(help="Jurisdiction slug.")]
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, in plain language.")]
ActorOption = Annotated[
    str,
    typer.Option(
        "--actor", envvar="GRANTREVIEW_ACTOR", help="Who acts: your id in the people file."
    ),
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="When (default now).")]


def _prepare(request: ActRequest, actor: str) -> None:
    """Print the act to sign (`ssh-keygen -Y sign -n grantreview`, then `submit`)."""
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.acts import prepare_act  # noqa: PLC0415

    print_prepared(prepare_act(get_runtime(), request, actor))


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not an ISO date (2017-10-27)") from None


def _signed(presigned: SignedAct | None) -> tuple[str | None, str | None]:
    """An act signed elsewhere as the flow's `act` and `signature` parameters."""
    if presigned is None:
        return None, None
    return presigned.act.signed_bytes().decode(), presigned.signature


def _check(jurisdiction: str, program: str) -> None:
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")


def determine(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    decision: Annotated[str, typer.Option("--decision", help="eligible or ineligible.")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Record the final determination of a stream awaiting one; the evaluation is kept too."""
    _check(jurisdiction, program)
    presigned = read_presigned(act_file, signature, prepare=prepare)
    moment = parse_moment(as_of)
    from usecases import stages  # noqa: PLC0415 - keep CLI start-up light

    outcome = stages.check_act(reason, actor, decision)
    assert outcome is not None  # noqa: S101 - check_act returns one when given a decision
    _act(
        "determination",
        actor,
        prepare=prepare,
        json_output=json_output,
        request=lambda: stages.determine_request(program, jurisdiction, outcome, reason, moment),
        record=lambda runtime: stages.determine(
            runtime,
            program,
            jurisdiction,
            decision=outcome,
            reason=reason,
            actor=actor,
            as_of=moment,
            presigned=presigned,
        ),
        flow=lambda: _determine_flow(
            program, jurisdiction, outcome.value, reason, actor, moment, *_signed(presigned)
        ),
        done=lambda written: (
            f"determination {'recorded' if written else 'already on record'}: "
            f"{program} / {jurisdiction} is {outcome.value}"
        ),
    )


def request_info(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    question: Annotated[list[str], typer.Option("--question", help="Question id (repeatable).")],
    due: Annotated[str, typer.Option("--due", help="Answer due by (ISO date).")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Ask the jurisdiction to answer some questions again by a date (a notice carries it)."""
    _check(jurisdiction, program)
    presigned = read_presigned(act_file, signature, prepare=prepare)
    moment = parse_moment(as_of)
    until = _date(due, "--due")
    questions = tuple(question)
    from usecases import stages  # noqa: PLC0415 - keep CLI start-up light

    stages.check_act(reason, actor)
    _act(
        "request for information",
        actor,
        prepare=prepare,
        json_output=json_output,
        request=lambda: stages.information_request(
            program, jurisdiction, questions, until, reason, moment
        ),
        record=lambda runtime: stages.request_information(
            runtime,
            program,
            jurisdiction,
            questions=questions,
            due=until,
            reason=reason,
            actor=actor,
            as_of=moment,
            presigned=presigned,
        ),
        flow=lambda: _request_info_flow(
            program,
            jurisdiction,
            list(questions),
            until,
            reason,
            actor,
            moment,
            *_signed(presigned),
        ),
        done=lambda written: (
            f"request for information {'recorded' if written else 'already on record'}: "
            f"{program} / {jurisdiction} due {until}"
        ),
    )


def extend(
    jurisdiction: Jurisdiction,
    program: ProgramOption,
    *,
    until: Annotated[str, typer.Option("--until", help="The new due date (ISO date).")],
    reason: ReasonOption,
    actor: ActorOption,
    as_of: AsOfOption = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Move this jurisdiction's deadline in force (letter, answer window or request)."""
    _check(jurisdiction, program)
    presigned = read_presigned(act_file, signature, prepare=prepare)
    moment = parse_moment(as_of)
    new_due = _date(until, "--until")
    from usecases import stages  # noqa: PLC0415 - keep CLI start-up light

    stages.check_act(reason, actor)
    _act(
        "extension",
        actor,
        prepare=prepare,
        json_output=json_output,
        request=lambda: stages.extension_request(program, jurisdiction, new_due, reason, moment),
        record=lambda runtime: stages.extend_deadline(
            runtime,
            program,
            jurisdiction,
            until=new_due,
            reason=reason,
            actor=actor,
            as_of=moment,
            presigned=presigned,
        ),
        flow=lambda: _extend_flow(
            program, jurisdiction, new_due, reason, actor, moment, *_signed(presigned)
        ),
        done=lambda written: (
            f"deadline {'extended' if written else 'already extended'}: "
            f"{program} / {jurisdiction} due {new_due}"
        ),
    )


def _act(
    what: str,
    actor: str,
    *,
    prepare: bool,
    json_output: bool,
    request: Callable[[], ActRequest],
    record: Callable[[Runtime], ActResult],
    flow: Callable[[], ActResult],
    done: Callable[[bool], str],
) -> None:
    """The one shape of a person's act: print it to sign, or record it and say what happened.

    `record` runs the use case directly, `flow` as its named Prefect run (with an API).
    `--json` gives the act's id (a proposal's, to approve), its status and what was written.
    """
    if prepare:
        _prepare(request(), actor)
        return
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light

    runtime = get_runtime()
    result = run_act(flow, lambda: record(runtime))
    written, state = result.written, result.state
    if result.proposal is not None:
        render_outcome(what, result.proposal, json_output=json_output)
    elif json_output:
        print_json(
            {
                "act_id": _signed_act_id(runtime, state),
                "status": "recorded" if written else "already on record",
                "written": written,
                "program": state.stream.program,
                "jurisdiction": state.stream.jurisdiction,
                "seq": state.head_seq,
            }
        )
    else:
        typer.echo(done(written))


def _determine_flow(*args: object) -> ActResult:
    from flows.deploy.run import run_flow  # noqa: PLC0415 - Prefect only when it runs
    from flows.determine import determine as determine_flow  # noqa: PLC0415

    result: ActResult = run_flow(determine_flow, *args)
    return result


def _request_info_flow(*args: object) -> ActResult:
    from flows.deploy.run import run_flow  # noqa: PLC0415 - Prefect only when it runs
    from flows.request_info import request_info as request_info_flow  # noqa: PLC0415

    result: ActResult = run_flow(request_info_flow, *args)
    return result


def _extend_flow(*args: object) -> ActResult:
    from flows.deploy.run import run_flow  # noqa: PLC0415 - Prefect only when it runs
    from flows.extend import extend as extend_flow  # noqa: PLC0415

    result: ActResult = run_flow(extend_flow, *args)
    return result


def _signed_act_id(runtime: Runtime, state: StreamState) -> str | None:
    """The id of the newest person's act in the stream (None when acts are unsigned)."""
    from schemas.events.catalog import ActSigned  # noqa: PLC0415 - keep CLI start-up light
    from schemas.log.state import decoded_events  # noqa: PLC0415

    found = [
        event.signed.act_id
        for commit in runtime.log.read_stream(state.stream)
        for _, event in decoded_events(commit)
        if isinstance(event, ActSigned)
    ]
    return found[-1] if found else None
