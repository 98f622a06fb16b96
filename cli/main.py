"""Entry point of the `grantreview` CLI: wires the sub-commands and maps errors to exit codes.

Commands import their heavy dependencies (Prefect, boto3) inside the command, so
`status` and `--help` stay fast and never import Prefect.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Mapping
from typing import Annotated, Final, NoReturn

import click
import pydantic
import typer

from cli._common import ExitCode
from cli._help import hide_type_labels
from cli._render import safe_text
from cli.acts import approve, people_app, reject, sign, submit
from cli.audit import audit_app
from cli.decisions import explain, override
from cli.demo import demo
from cli.documents import documents_app
from cli.inbox import inbox
from cli.keys import keys_app
from cli.preview import preview
from cli.programs import programs_app
from cli.receipts import checkpoint, receipt, verify_receipt_command
from cli.record import record, verify_record_command
from cli.reevaluate import reevaluate
from cli.review import respond, review, status
from cli.serve import serve
from cli.setup import init, jurisdictions_app
from cli.stages import determine, extend, request_info
from infra.errors import ContentionError, DamagedLogError, DependencyUnavailableError
from infra.eventlog.store import ReadOnlyStoreError
from infra.platform.logging import QUIET_RUN_LINES_ENV, configure_logging
from schemas.base.errors import ControlSignal, DamagedDataError, FindingsError, InputError

__all__ = ["EXIT_CODES", "app", "exit_code_for", "main"]

EXIT_CODES: Final[Mapping[type[BaseException], ExitCode]] = {
    InputError: ExitCode.BAD_INPUT,
    FindingsError: ExitCode.FINDING,
    DependencyUnavailableError: ExitCode.UNAVAILABLE,
    DamagedLogError: ExitCode.UNAVAILABLE,
    DamagedDataError: ExitCode.UNAVAILABLE,
    ContentionError: ExitCode.UNAVAILABLE,
    ReadOnlyStoreError: ExitCode.INTERNAL,
    ControlSignal: ExitCode.INTERNAL,
}
"""Every error class of the product derives from one of these (tests/unit/test_exit_codes.py
walks them all); the nearest in its MRO decides. Bases only, so none of the product's heavy
modules is imported at start-up."""

app = typer.Typer(
    name="grantreview",
    help="Grant-condition reviews of jurisdictions, recorded in a signed event log on S3.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # Typer's own: --install-completion, --show-completion
)
app.command()(init)
app.add_typer(jurisdictions_app, name="jurisdictions")
app.command()(review)
app.command()(respond)
app.command()(status)
app.command()(inbox)
app.command()(reevaluate)
app.command()(preview)
app.command()(serve)
app.command()(demo)
app.command()(explain)
app.command()(override)
app.command()(determine)
app.command(name="request-info")(request_info)
app.command()(extend)
app.command()(approve)
app.command()(reject)
app.command()(sign)
app.command()(submit)
app.add_typer(people_app, name="people")
app.add_typer(programs_app, name="programs")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(documents_app, name="documents")
app.command()(checkpoint)
app.command()(receipt)
app.command("verify-receipt")(verify_receipt_command)
app.command()(record)
app.command("verify-record")(verify_record_command)

_state = {"debug": False}
_EPHEMERAL_STARTUP_SECONDS = 120
"""How long Prefect's ephemeral server may take to start (Prefect's default is 20 s)."""


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"grantreview {_version()}")
        raise typer.Exit


def _version() -> str:
    """The installed distribution's version (a source checkout not installed says so)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - only here

    try:
        return version("grantreview")
    except PackageNotFoundError:
        return "(not installed)"


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Grant-condition reviews of jurisdictions, recorded in a signed event log on S3."""
    _state["debug"] = debug


def main() -> None:
    """Run the CLI; every error is one line on stderr with its documented exit code."""
    debug = "--debug" in sys.argv[1:]
    hide_type_labels()
    _quiet_prefect(debug=debug)
    # In the environment, so processes Prefect starts for this one log at the same level.
    os.environ.setdefault("GRANTREVIEW_LOG_LEVEL", "WARNING")
    configure_logging(os.environ["GRANTREVIEW_LOG_LEVEL"].upper())
    try:
        code = app(standalone_mode=False, prog_name="grantreview")  # however it was started
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        _report(
            ValueError(f"invalid configuration: {error.title} {where}: {first['msg']}"),
            ExitCode.BAD_INPUT,
            debug=debug,
        )
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except (click.ClickException, typer.TyperException) as error:
        # Typer 0.29 vendors its own click: its usage errors are not click.ClickException,
        # yet carry format_message() and exit_code 2 all the same.
        _report_usage(error)
    except Exception as error:  # noqa: BLE001 - every error: one line, its documented code
        mapped = exit_code_for(type(error))
        known = mapped is not None and mapped is not ExitCode.INTERNAL
        _report(error, mapped or ExitCode.INTERNAL, debug=debug, unexpected=not known)
    sys.exit(code if isinstance(code, int) else 0)


def exit_code_for(error: type[BaseException]) -> ExitCode | None:
    """The exit code of an error class: its nearest base in `EXIT_CODES`, None if none is."""
    return next((EXIT_CODES[base] for base in error.__mro__ if base in EXIT_CODES), None)


def _quiet_prefect(*, debug: bool) -> None:
    """Prefect's own lines would bury the one error line the CLI prints; --debug shows them.

    Its run and task lines go to the API's handler (the run's logs in the UI) and to
    stderr, through our structlog handler (`infra.platform.logging`, which replaces Prefect's
    console handler where it is configured; the console level covers a process where it
    is not). The level lets INFO through to the API; on stderr the run lines are dropped
    unless --debug, whatever PREFECT_LOGGING_LEVEL says: at WARNING a failing flow printed
    126-154 lines of tracebacks before the error line (issue #13).
    (PREFECT_LOGGING_LEVEL=CRITICAL, as before, also emptied the UI's logs tab: "This run
    didn't generate logs".) Its background queues log under their class names, outside
    `prefect.*` (at exit the event queue may warn it is "still processing items" after
    our error line).
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # Our stderr handler renders Prefect's records too: its run lines stay off unless --debug.
    os.environ[QUIET_RUN_LINES_ENV] = "0" if debug else "1"
    if debug:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    else:
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
    # Prefect's ephemeral server (no PREFECT_API_URL) must start within 20 s by default; a
    # loaded 2-core machine needs longer, and a timeout there is exit 70 for no fault of ours.
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(_EPHEMERAL_STARTUP_SECONDS)
    )
    for queue in ("EventsWorker", "APILogWorker"):
        logging.getLogger(queue).setLevel(logging.WARNING if debug else logging.CRITICAL)


def _report_usage(error: Exception) -> NoReturn:
    """A usage error in one line, with where to look: `error: ... (see: grantreview X --help)`."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    context = getattr(error, "ctx", None)
    path = getattr(context, "command_path", "grantreview")
    code = int(getattr(error, "exit_code", ExitCode.BAD_INPUT))
    hint = f" (see: {path} --help)" if code == ExitCode.BAD_INPUT else ""
    one_line = " ".join(str(message).split())
    sys.stderr.write(f"error: {safe_text(one_line, one_line=True)}{hint}\n")
    sys.exit(code)


def _report(error: BaseException, code: ExitCode, *, debug: bool, unexpected: bool = False) -> None:
    if debug:
        traceback.print_exception(error)
    prefix = f"unexpected {type(error).__name__}: " if unexpected else ""
    sys.stderr.write(f"error: {safe_text(f'{prefix}{error}')}\n")  # a message may quote data
    sys.exit(int(code))
