"""`review`, `respond` and `status`: the operator's commands."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import ExitCode, fail, print_json
from cli._options import (
    ActFileOption,
    AsOfOption,
    DryRunOption,
    JsonOption,
    PrepareOption,
    ProgramOption,
    SignatureFileOption,
    SlugsArgument,
    parse_moment,
    parse_slugs,
    read_presigned,
)
from cli._progress import progress_bar
from cli._render import safe_cell, safe_text
from cli.acts import print_prepared
from schemas.base.ids import check_slug

if TYPE_CHECKING:
    from schemas.events.catalog import ActSigned
    from usecases.stream_outcome import StreamOutcome

__all__ = ["print_table", "respond", "review", "status", "summary_line"]


_STATUS_COLUMNS = {
    "jurisdiction": "jurisdiction",
    "step": "step",
    "stage": "stage",
    "letter_date": "letter dated",
    "due": "next deadline",
    "last_event_time": "last recorded on",
}
"""Status row fields shown, and their headers; dates as YYYY-MM-DD. The letter's date, the
deadline and a decision's `decided for` are valid time (the day a fact is for, historical
for a 2017 case); `recorded on` is the log's own clock (when the writer stored it), which
is why it may read years after the others (docs/log-format.md, "Clock policy")."""


NOTHING_TO_DO = (
    "nothing to do: every jurisdiction is already as far as this date takes it"
    " (letters sent, decisions made); see `grantreview inbox` for what waits"
)
"""Said after a review that wrote nothing, so 0 written is not mistaken for a failure."""


def _day(value: object) -> object:
    """An ISO time shown as its date (UTC), so a row stays one line; anything else as is."""
    if isinstance(value, str) and len(value) > len("2017-08-03") and value[10:11] == "T":
        return value[:10]
    return value


def _decision_cell(row: dict[str, Any]) -> str:
    """The decision, and for the one in force the day it is for and the day it was recorded."""
    lines = [str(row["decision"])]
    if row.get("decided_for"):
        lines.append(f"decided for {_day(row['decided_for'])}")
    if row.get("recorded_on"):
        lines.append(f"recorded on {_day(row['recorded_on'])}")
    return "\n".join(lines)


def print_table(rows: list[dict[str, Any]]) -> None:
    """A Rich table of jurisdiction, step, decision and reasons; cells are text, not markup."""
    from rich.console import Console  # noqa: PLC0415 - keep CLI start-up light
    from rich.table import Table  # noqa: PLC0415

    staged = any("stage" in row for row in rows)  # status rows carry the review path and dates
    columns = _STATUS_COLUMNS if staged else {"jurisdiction": "jurisdiction", "step": "step"}
    waits = staged and any(row.get("pending_reason") for row in rows)
    extra = ("waiting for",) if waits else ()
    table = Table(*columns.values(), "decision", "reasons", *extra, show_lines=True)
    table.columns[len(columns)].no_wrap = True  # `decided for YYYY-MM-DD` stays on one line
    for row in rows:
        reasons = list(row["reasons"]) or ([] if waits else [row.get("pending_reason") or ""])
        waiting = (safe_cell(row.get("pending_reason") or ""),) if waits else ()
        reasons += [fact["text"] for fact in row.get("uncertain_facts", [])]
        table.add_row(
            *(safe_cell(_day(row.get(column)) or "") for column in columns),
            safe_cell(_decision_cell(row)),
            safe_cell("\n".join(reasons)),
            *waiting,
        )
    Console(width=160).print(table)


def summary_line(rows: list[dict[str, Any]]) -> str:
    """One line of counts: `400 streams; step: letter_sent 396, decided 4; decision: ...`."""
    steps = Counter(str(row["step"]) for row in rows)
    decisions = Counter(str(row["decision"]) for row in rows)
    written = sum(int(row.get("appended") or 0) for row in rows)

    def counts(counter: Counter[str]) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(counter.items()))

    line = f"{len(rows)} jurisdictions; now at: {counts(steps)}; decision: {counts(decisions)}"
    return safe_text(f"{line}; {written} new log entries", one_line=True)


def _outcome_rows(program: str, outcomes: list[StreamOutcome]) -> list[dict[str, Any]]:
    return [
        {
            "jurisdiction": outcome.jurisdiction,
            "program": program,
            "step": outcome.step,
            "decision": outcome.decision,
            "reasons": list(outcome.reasons),
            "appended": outcome.appended,
            "damaged": outcome.damaged,
        }
        for outcome in outcomes
    ]


def review(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: ProgramOption,
    jurisdictions: SlugsArgument = None,
    all_jurisdictions: Annotated[bool, typer.Option("--all", help="Every imported one.")] = False,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    dry_run: DryRunOption = False,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Your id in the people file [GRANTREVIEW_ACTOR].")
    ] = None,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
) -> None:
    """Take each jurisdiction through every step that is due (letter, then decision)."""
    check_slug(program, "program id")
    slugs = parse_slugs(jurisdictions)
    moment = parse_moment(as_of)
    if bool(slugs) == all_jurisdictions:
        fail("name jurisdiction slugs or pass --all (not both)")
    presigned = read_presigned(act_file, signature, prepare=prepare)
    if dry_run:
        _preview(program, slugs, moment, json_output=json_output)
        return
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.review import check_review, prepare_review, sign_review  # noqa: PLC0415

    runtime = get_runtime()
    person = actor or (presigned.act.actor if presigned else runtime.settings.actor)
    if prepare:  # no Prefect run
        print_prepared(prepare_review(runtime, program, slugs or None, person, moment))
        return
    from flows.deploy.run import run_flow  # noqa: PLC0415
    from flows.review import review as review_flow  # noqa: PLC0415 - Prefect only when needed

    check_review(runtime, program, slugs or None, moment)  # refused: nothing written
    # Checked here too, so a wrong or refused act never starts a run; the flow records it.
    signed = sign_review(runtime, program, slugs or None, person, presigned)
    act = (
        {}
        if signed is None
        else {
            "actor": person,
            "act": signed.act.signed_bytes().decode(),
            "signature": signed.signature,
        }
    )
    with progress_bar("reviewing"):
        outcomes = run_flow(review_flow, program, slugs or None, moment, **act)
    rows = _outcome_rows(program, outcomes)
    if json_output:
        print_json(rows)
    else:
        print_table(rows)
        typer.echo(summary_line(rows))
        if rows and not any(row["appended"] for row in rows):
            typer.echo(NOTHING_TO_DO)
    _fail_if_damaged(rows)


def _preview(program: str, slugs: list[str], moment: datetime | None, *, json_output: bool) -> None:
    """`review --dry-run`: read the log (no Prefect), say what would be sent or decided."""
    from infra.platform.clock import utc_now  # noqa: PLC0415 - keep start-up light
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.review_preview import preview_review  # noqa: PLC0415

    runtime = get_runtime()
    _ = runtime.people  # a people file that cannot be read is refused here as in the real run
    rows = preview_review(runtime, program, slugs or None, moment or utc_now())
    if json_output:
        print_json(rows)
        return
    print_table([{**row, "step": f"{row['step']} -> {row['would']}"} for row in rows])
    would = Counter(str(row["would"]).split(" (", 1)[0] for row in rows)
    counts = ", ".join(f"{name} {count}" for name, count in sorted(would.items()))
    typer.echo(safe_text(f"dry run, nothing written: {len(rows)} streams; {counts}", one_line=True))


def respond(
    jurisdiction: Annotated[str, typer.Argument(help="Jurisdiction slug.")],
    program: ProgramOption,
    file: Annotated[Path, typer.Option("--file", "-f", help="The response JSON file.")],
    *,
    as_of: AsOfOption = None,
    json_output: JsonOption = False,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Your id in the people file [GRANTREVIEW_ACTOR].")
    ] = None,
    async_mode: Annotated[
        bool,
        typer.Option(
            "--async",
            help="Only record the response and emit a Prefect event; the `decide` deployment "
            "served by `grantreview serve` evaluates and decides.",
        ),
    ] = False,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
) -> None:
    """Record a response; evaluation and decision follow, durable before this returns."""
    check_slug(jurisdiction, "jurisdiction slug")
    check_slug(program, "program id")
    moment = parse_moment(as_of)
    if async_mode and moment is not None:
        fail("--as-of applies only without --async (the triggered decision is made as of now)")
    presigned = read_presigned(act_file, signature, prepare=prepare)
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases import respond as responses  # noqa: PLC0415

    runtime = get_runtime()
    if moment is not None:
        from usecases.valid_time import writing_moment  # noqa: PLC0415

        writing_moment(runtime, moment)  # a future --as-of: refused, nothing written
    if prepare:  # the file is checked as below; nothing is stored
        person = actor or runtime.settings.actor
        print_prepared(responses.prepare_response(runtime, program, jurisdiction, file, person))
        return
    # bad input or a refused act: nothing written
    digest, act = responses.accept_signed_response(
        runtime, program, jurisdiction, file, actor=actor, presigned=presigned
    )
    if async_mode:
        row = _record_and_emit(program, jurisdiction, digest, act)
        if json_output:
            print_json(row)
        else:
            print_table([row])
        return
    if act is not None:  # the person's act goes with the response; the flow then finds it
        responses.record_response(runtime, program, jurisdiction, digest, act=act)
    from flows.deploy.run import run_flow  # noqa: PLC0415
    from flows.respond import respond as respond_flow  # noqa: PLC0415 - Prefect only when needed

    outcome = run_flow(respond_flow, program, jurisdiction, digest, moment)
    rows = _outcome_rows(program, [outcome])
    if json_output:
        print_json(rows[0])
    else:
        print_table(rows)


def _record_and_emit(
    program: str, jurisdiction: str, digest: str, act: ActSigned | None
) -> dict[str, Any]:
    """Append the response (no flow run) and, while undecided, emit the event `decide` awaits."""
    from functools import partial  # noqa: PLC0415 - only on this path

    from flows.deploy.deployments import emit_response_event  # noqa: PLC0415 - Prefect when needed
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.respond import record_and_announce  # noqa: PLC0415

    runtime = get_runtime()
    announce = partial(emit_response_event, runtime.settings)
    recorded = record_and_announce(runtime, program, jurisdiction, digest, announce, act=act)
    state = recorded.state
    return {
        "jurisdiction": jurisdiction,
        "program": program,
        "step": state.step.value,
        "decision": state.effective_decision.value,
        "reasons": list(state.reasons),
        "appended": int(recorded.written),
        "event": recorded.event,
    }


def status(
    program: ProgramOption,
    jurisdictions: SlugsArgument = None,
    json_output: JsonOption = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Where reviews stand that day (default: now)."
        ),
    ] = None,
    uncertain: Annotated[
        bool,
        typer.Option("--uncertain", help="Only decisions resting on an uncertain fact."),
    ] = False,
) -> None:
    """Where each review stands: step, decision, reasons (read from S3, no Prefect)."""
    check_slug(program, "program id")
    slugs = parse_slugs(jurisdictions)
    moment = parse_moment(as_of)
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep start-up light
    from usecases.status import status_rows  # noqa: PLC0415

    runtime = get_runtime()
    rows = status_rows(runtime, program, slugs, moment, uncertain=uncertain)
    if json_output:
        print_json(rows)
    else:
        print_table(rows)
        for row in rows:
            for item in row.get("awaiting_approval", []):
                line = (
                    f"awaiting approval: act {item['act_id']} {item['type']}"
                    f" {row['jurisdiction']} proposed by {item['proposed_by']};"
                    f" {1 + len(item['approved_by'])} of {item['people_needed']} people so far"
                    f" (grantreview approve {item['act_id']} --program {program})"
                )
                typer.echo(safe_text(line, one_line=True))
        from usecases.people import people_history  # noqa: PLC0415

        current = people_history(runtime).current
        if current is None:
            typer.echo("acts are unsigned: no people file is in force (grantreview people adopt)")
        else:
            typer.echo(f"people file in force: {current.adopted[:16]}... (acts are signed)")
    _fail_if_damaged(rows)


def _fail_if_damaged(rows: list[dict[str, Any]]) -> None:
    """Exit 1 after the table when a stream could not be read (the others were served)."""
    damaged = [row["jurisdiction"] for row in rows if row["damaged"]]
    if damaged:
        fail(f"damaged stream(s): {', '.join(damaged)}; run `grantreview audit verify`",
             ExitCode.FINDING)  # fmt: skip
