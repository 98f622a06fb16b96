"""`reevaluate`: evaluate every decided review again; `--dry-run` is the counterfactual tool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import ExitCode, fail, print_json
from cli._options import parse_moment
from cli._progress import progress_bar
from cli._render import safe_cell
from schemas.base.ids import check_slug

if TYPE_CHECKING:
    from flows.reevaluate import ReevaluationReport
    from schemas.planning.reevaluation import StreamReevaluation

__all__ = ["reevaluate", "report_document"]


def _change(result: StreamReevaluation) -> dict[str, Any]:
    return {
        "jurisdiction": result.jurisdiction,
        "before": result.before.value,
        "after": result.after.value,
        "reasons": list(result.reasons),
        "reasons_before": list(result.reasons_before),
    }


def report_document(report: ReevaluationReport) -> dict[str, Any]:
    """The JSON document `reevaluate --json` prints."""
    return {
        "program": report.program,
        "as_of": report.as_of.isoformat(),
        "known_at": report.known_at.isoformat(),
        "dry_run": report.dry_run,
        "program_sha256": report.program_sha256,
        "rule_set_version": report.rule_set_version,
        "counts": report.counts,
        "changes": [_change(result) for result in report.changes],
        "overridden": [_change(result) for result in report.overridden],
        "outcomes_sha256": report.outcomes_sha256,
        "run_record_seq": report.run_record_seq,
        "index": report.index,
        "seconds": round(report.seconds, 3),
        "damaged": report.damaged,
        "notices_due": report.notices_due,
        "notices_sent_by": report.notices_sent_by,
    }


def _print_text(report: ReevaluationReport) -> None:
    from rich.console import Console  # noqa: PLC0415 - keep CLI start-up light
    from rich.table import Table  # noqa: PLC0415

    console = Console(width=160)
    if report.changes or report.overridden:
        table = Table("jurisdiction", "before", "after", "reasons", "", show_lines=True)
        for result, note in [(r, "") for r in report.changes] + [
            (r, "overridden: not revised") for r in report.overridden
        ]:
            table.add_row(
                safe_cell(result.jurisdiction),
                safe_cell(result.before.value),
                safe_cell(result.after.value),
                safe_cell("\n".join(result.reasons)),
                safe_cell(note),
            )
        console.print(table)
    for jurisdiction, reason in report.damaged.items():
        console.print(safe_cell(f"damaged, not reevaluated: {jurisdiction}: {reason}"))
    verb = "would revise" if report.dry_run else "revised"
    counts = ", ".join(f"{name} {count}" for name, count in report.counts.items() if count)
    console.print(
        safe_cell(
            f"{report.program} as of {report.as_of.isoformat()}: {verb} {len(report.changes)} "
            f"decision(s) in {report.seconds:.1f}s ({counts or 'no streams'}); "
            f"outcome list sha256 {report.outcomes_sha256}"
        )
    )
    if report.notices_sent_by is not None:
        due = "would be due" if report.dry_run else "now due"
        console.print(
            safe_cell(
                f"{report.notices_due} revision notice(s) {due}; sent by: {report.notices_sent_by}"
            )
        )


def reevaluate(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: Annotated[str, typer.Option("--program", "-p", help="Program id, e.g. psp-2017.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the evaluation is made for (default: now).")
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option("--known-at", help="What the office knew of orders at (default: --as-of)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Write nothing; print every decision that would change."),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON document on stdout.")
    ] = False,
    uncertain: Annotated[
        bool,
        typer.Option("--uncertain", help="Only decisions resting on an uncertain fact."),
    ] = False,
) -> None:
    """Evaluate every decided review again; revise decisions whose outcome or reasons changed."""
    check_slug(program, "program id")
    moment = parse_moment(as_of)
    knowledge = parse_moment(known_at, "--known-at")
    from flows.deploy.run import run_flow  # noqa: PLC0415
    from flows.reevaluate import reevaluate as reevaluate_flow  # noqa: PLC0415 - Prefect when needed
    from infra.platform.logging import configure_logging  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.reevaluate import check_reevaluation  # noqa: PLC0415

    runtime = get_runtime()
    configure_logging(runtime.settings.log_level)
    check_reevaluation(runtime, program, dry_run=dry_run)  # refused here: no run, nothing written
    if moment is not None and not dry_run:
        from usecases.valid_time import writing_moment  # noqa: PLC0415

        writing_moment(runtime, moment)  # a future --as-of writes revisions early: refused
    with progress_bar("reevaluating"):
        report = run_flow(
            reevaluate_flow, program, moment, knowledge, dry_run=dry_run, uncertain=uncertain
        )
    if json_output:
        print_json(report_document(report))
    else:
        _print_text(report)
    _fail_if_damaged(report)


def _fail_if_damaged(report: ReevaluationReport) -> None:
    """Exit 1 after the report when streams were set aside (every other one was reevaluated)."""
    if report.damaged:
        fail(
            f"damaged stream(s) not reevaluated: {', '.join(report.damaged)}; "
            "run `grantreview audit verify`",
            ExitCode.FINDING,
        )
