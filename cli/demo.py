"""`grantreview demo`: the four 2017 PSP jurisdictions through the staged review, then a check.

psp-2017 runs a preliminary assessment, 15 days to answer, then the final decision once
the window closes (programs/psp-2017/program.yaml, `review:`). The demo records the
letters, the responses (preliminary decisions and their notices), the answers inside the
window (examples/answers/, illustrative), and a review after the window that makes them final.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import ExitCode, fail
from cli._render import safe_text
from cli.review import print_table

if TYPE_CHECKING:
    from infra.runtime import Runtime

__all__ = ["demo"]

PROGRAM = "psp-2017"
LETTER_DATE = datetime(2017, 8, 3, tzinfo=UTC)
"""OJP's letters to the four police chiefs are dated 2017-08-03 (domain.md)."""
IN_WINDOW = datetime(2017, 8, 31, tzinfo=UTC)
"""A day inside the answer window (the responses of 2017-08-18 + 15 days)."""
DEFAULT_RECEIPT = Path(".data") / "stockton-ca-decision.tlog-proof"
"""Beside the demo's data (`make clean` removes it), not in the working tree."""
WINDOW_CLOSED = datetime(2017, 9, 3, tzinfo=UTC)
"""The day after the answer window closed: the review then records the final decisions."""


def demo(
    receipt: Annotated[
        Path,
        typer.Option(
            "--receipt", metavar="FILE", help="Where to write the receipt of one decision."
        ),
    ] = DEFAULT_RECEIPT,
) -> None:
    """Import the four seed jurisdictions, review them under psp-2017: preliminary, answers, final.

    Only those four are reviewed: other jurisdictions imported in the same bucket are left
    alone (the demo says how many), and only psp-2017's streams are verified.
    """
    from flows.deploy.run import run_flow  # noqa: PLC0415
    from flows.respond import respond as respond_flow  # noqa: PLC0415 - Prefect only when needed
    from flows.review import review as review_flow  # noqa: PLC0415
    from infra.files.responses import read_response_file  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from infra.s3.bucket import ensure_bucket  # noqa: PLC0415
    from schemas.planning.registry import parse_jurisdictions_csv  # noqa: PLC0415
    from usecases.imports import import_csv, read_csv_file  # noqa: PLC0415
    from usecases.status import status_rows  # noqa: PLC0415
    from usecases.verify import verify_runtime_log  # noqa: PLC0415

    runtime = get_runtime()
    _refuse_people_in_force(runtime)
    settings = runtime.settings
    examples = settings.programs_dir / PROGRAM / "examples"
    ensure_bucket(
        runtime.client,
        settings.s3_bucket,
        settings.s3_prefix,
        lock_mode=settings.object_lock_mode,
        lock_days=settings.object_lock_days,
    )
    seeds = examples / "jurisdictions.csv"
    slugs = [row.slug for row in parse_jurisdictions_csv(read_csv_file(seeds))]
    imported = import_csv(runtime, seeds)
    typer.echo(f"jurisdictions: {imported['rows']} read, {imported['recorded']} recorded")
    others = len(set(runtime.registry()) - set(slugs))
    if others:
        typer.echo(
            f"{others} other imported jurisdiction(s) left alone: the demo touches only its own"
        )
    run_flow(review_flow, PROGRAM, slugs, LETTER_DATE)
    typer.echo("letters: sent (or already on file) as of 2017-08-03")
    for folder, what in ((examples, "preliminary decision"), (examples / "answers", "answer")):
        for path in sorted(folder.glob("*.json")):
            raw, response = read_response_file(path)
            digest = runtime.documents.put(raw)
            run_flow(respond_flow, PROGRAM, response.jurisdiction, digest, response.received_at)
            typer.echo(f"{what}: {response.jurisdiction} recorded, evaluated, notice sent")
        print_table(status_rows(runtime, PROGRAM, slugs, IN_WINDOW))
    run_flow(review_flow, PROGRAM, slugs, WINDOW_CLOSED)
    typer.echo("review as of 2017-09-03: answer windows closed, final decisions and notices")
    print_table(status_rows(runtime, PROGRAM, slugs, WINDOW_CLOSED))
    if runtime.integrator is not None:  # the hourly sweep, once: every commit is a leaf
        from usecases.receipts import checkpoint_now  # noqa: PLC0415 - only when signing

        size = runtime.integrator.newest().head.size if checkpoint_now(runtime) else 0
        typer.echo(f"transparency log swept: every commit is one of its {size} leaves")
    findings = verify_runtime_log(runtime, PROGRAM)
    if findings:
        for finding in findings:
            typer.echo(safe_text(f"finding: {finding}", one_line=True), err=True)
        fail(f"the log did not verify: {len(findings)} finding(s)", ExitCode.FINDING)
    typer.echo(f"log verified ({PROGRAM}): every hash link and signed checkpoint checks out")
    _show_receipt(runtime, "stockton-ca", receipt)


DEMO_PREFIX_HINT = (
    "run the demo on a prefix of its own: GRANTREVIEW_S3_PREFIX=demo-unsigned/ grantreview demo"
    " (or `make clean` to start .data/ over)"
)


def _refuse_people_in_force(runtime: Runtime) -> None:
    """The demo records unsigned acts: refuse, saying why, where a people file is in force."""
    from usecases.people import people_history  # noqa: PLC0415 - keep start-up light

    current = people_history(runtime).current
    if current is not None:
        fail(
            f"this bucket and prefix have a people file in force ({current.adopted[:16]}...), "
            f"so every act must be signed and the demo's are not; {DEMO_PREFIX_HINT}"
        )


def _show_receipt(runtime: Runtime, jurisdiction: str, out: Path) -> None:
    """Write the tlog-proof of one decision to `out`, then check it offline with the key alone."""
    from schemas.tlog.receipt import parse_receipt, tlog_proof_of  # noqa: PLC0415
    from usecases.receipts import make_receipt, receipt_problems  # noqa: PLC0415

    keyring = runtime.commit_keys.keyring
    if keyring is None:
        typer.echo("receipt: skipped (no GRANTREVIEW_VERIFY_KEY_FILE or signing key)")
        return
    made = make_receipt(runtime, PROGRAM, jurisdiction, None)
    text = tlog_proof_of(made).text()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    typer.echo(
        safe_text(
            f"receipt for {jurisdiction}'s decision written to {out} (c2sp.org/tlog-proof@v1,"
            f" {len(text)} bytes); check it yourself: grantreview verify-receipt {out}",
            one_line=True,
        )
    )
    offline = parse_receipt(out.read_bytes())  # as a third party reads the file
    problems = receipt_problems(offline, keyring)
    if problems:
        fail(f"the receipt did not verify: {'; '.join(problems)}", ExitCode.FINDING)
    typer.echo(
        f"receipt verified offline with the public key: leaf {made.leaf_index} "
        f"of a tree of {made.tree_size}"
    )
