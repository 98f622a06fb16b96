"""`serve`: run the scheduled deployments (reevaluation, daily by default) until stopped."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Annotated

import typer

from cli._common import fail
from cli._options import parse_slugs

__all__ = ["serve"]


def serve(
    programs: Annotated[
        list[str] | None,
        typer.Option("--program", "-p", help="Program to reevaluate (repeat; default: every one)."),
    ] = None,
    reevaluate_cron: Annotated[
        str,
        typer.Option(
            "--reevaluate-cron",
            envvar="GRANTREVIEW_REEVALUATE_CRON",
            help="Cron schedule of reevaluation, in UTC.",
        ),
    ] = "0 6 * * *",
    reevaluate_interval: Annotated[
        float | None,
        typer.Option(
            "--reevaluate-interval",
            min=1,
            help="Seconds between reevaluations instead of the cron schedule (for tests).",
        ),
    ] = None,
) -> None:
    """Serve the deployments on the configured Prefect API: scheduled runs happen here."""
    from prefect.client.schemas.schedules import CronSchedule  # noqa: PLC0415 - Prefect when needed
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        CronSchedule(cron=reevaluate_cron)
    except ValidationError:
        fail(f"--reevaluate-cron {reevaluate_cron!r} is not a cron expression")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light

    runtime = get_runtime()
    chosen = parse_slugs(programs, "program id") or sorted(
        path.name
        for path in runtime.settings.programs_dir.iterdir()
        if (path / "program.yaml").is_file()
    )
    for program in chosen:
        runtime.program(program)  # refuse an undefined or invalid program before serving
    from prefect import serve as prefect_serve  # noqa: PLC0415 - Prefect only when needed

    from flows.deploy.deployments import SERVED_FLOWS, served_deployments  # noqa: PLC0415
    from flows.deploy.scheduled_names import keep_scheduled_runs_named  # noqa: PLC0415

    interval = None if reevaluate_interval is None else timedelta(seconds=reevaluate_interval)
    deployments = served_deployments(
        chosen, reevaluate_cron=reevaluate_cron, reevaluate_interval=interval
    )
    typer.echo(f"serving {', '.join(d.name for d in deployments)}; stop with Ctrl-C", err=True)
    stop = threading.Event()  # upcoming scheduled runs get their names while we serve
    namer = threading.Thread(
        target=keep_scheduled_runs_named,
        args=(SERVED_FLOWS, stop),
        name="scheduled-run-names",
        daemon=True,
    )
    namer.start()
    try:
        prefect_serve(*deployments, print_starting_message=False)
    finally:
        stop.set()
