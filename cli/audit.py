"""`grantreview audit`: what an auditor runs. `verify` checks the log against the public keys.

More audit commands (replay, export) register on `audit_app` in their own functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._common import ExitCode, fail, print_json
from cli._options import (
    JsonOption,
    MaxAgeOption,
    ProgramsOption,
    parse_max_age,
    parse_moment,
    parse_slugs,
)
from cli._progress import progress_bar
from cli._render import safe_text

if TYPE_CHECKING:
    from datetime import timedelta

    from infra.eventlog.store import ObjectStore
    from schemas.audit.verify import VerifyReport
    from schemas.log.cumulative_checkpoint import Keyring
    from schemas.replay.report import ReplayReport

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Audit the event log: verify, without trusting the writer.")

VerifyKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--verify-key",
        metavar="FILE",
        help="Trusted public key(s): an Ed25519 PEM public key or a JSON keyring; "
        "default GRANTREVIEW_VERIFY_KEY_FILE.",
    ),
]


def _keyring(option: Path | None) -> Keyring:
    """The trusted keys: `--verify-key`, else GRANTREVIEW_VERIFY_KEY_FILE; exit 2 without."""
    from infra.identity.keys import load_keyring  # noqa: PLC0415 - imported when a command runs
    from infra.platform.settings import get_settings  # noqa: PLC0415 - likewise

    path = option or get_settings().verify_key_file
    if path is None:
        fail("no verify key: pass --verify-key FILE or set GRANTREVIEW_VERIFY_KEY_FILE")
    return load_keyring(path)


def _print_verdict(*, ok: bool, findings: int, summary: str) -> None:
    """The last line of a verify or replay report: `ok: ...` or `FAILED: N findings; ...`."""
    line = f"ok: {summary}" if ok else f"FAILED: {findings} findings; {summary}"
    typer.echo(safe_text(line, one_line=True))


def _wrong_keyring(report: VerifyReport | ReplayReport) -> None:
    """The keyring signs nothing in the log: one line naming the key ids seen, exit 1."""
    if not report.untrusted_signers:
        return
    seen = ", ".join(f"{key[:16]}..." for key in report.untrusted_signers)
    line = f"FAILED: no trusted key matches: the log is signed by {seen}, none in the keyring"
    typer.echo(safe_text(line, one_line=True))
    raise typer.Exit(int(ExitCode.FINDING))


def _print_findings(report: VerifyReport | ReplayReport) -> None:
    """One line per finding; a location or detail read from the log is shown inert."""
    for finding in report.findings:
        typer.echo(
            safe_text(f"{finding.location}: {finding.kind}: {finding.detail}", one_line=True)
        )


def _expected_checkpoint(value: str) -> tuple[int, str]:
    """`SEQ:SIGNATURE` (as the report's header prints it) or exit 2 before reading anything."""
    from schemas.audit.verify import parse_expectation  # noqa: PLC0415 - imported when a command runs

    parsed = parse_expectation(value)
    if parsed is None:
        fail(
            f"--expect-checkpoint {value[:40]!r}: give SEQ:SIGNATURE as `audit verify` prints "
            "it (a number, then a hex signature or a tlog note's base64 signature)"
        )
    return parsed


def _people_line(people_in_force: str | None) -> str:
    """Which people file is in force, or that acts are unsigned (none was adopted)."""
    if people_in_force is None:
        return "no people file in force (acts are unsigned: none was adopted)"
    return f"people file in force {people_in_force[:16]}..."


def _print_report(report: VerifyReport) -> None:
    _wrong_keyring(report)
    _print_findings(report)
    newest = "none" if report.newest_checkpoint is None else str(report.newest_checkpoint)
    if report.keep is not None:
        newest += f", keep {report.keep}"
    summary = (
        f"{report.streams} streams, {report.commits} commits, {report.events} events, "
        f"{report.checkpoints} checkpoints (newest {newest}), "
        f"{report.uncovered_commits} commits newer than the newest checkpoint, "
        f"{report.signed_acts or 'no'} signed acts, {_people_line(report.people_in_force)}"
    )
    if report.tlog_size is not None:
        summary += f", tlog {report.tlog_checkpoints} checkpoints (tree size {report.tlog_size})"
    from schemas.log.legacy_commits import attestation_line  # noqa: PLC0415 - when a command runs

    legacy = attestation_line(report.attested_legacy_commits, report.attesting_checkpoints)
    if legacy is not None:
        summary += f", {legacy}"
    _print_verdict(ok=report.ok, findings=len(report.findings), summary=summary)


@audit_app.command("verify")
def verify(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: ProgramsOption = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            metavar="DIR",
            help="Verify a downloaded copy (aws s3 sync layout) offline instead of S3.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    verify_key: VerifyKeyOption = None,
    expect_checkpoint: Annotated[
        str | None,
        typer.Option(
            "--expect-checkpoint",
            metavar="SEQ:SIGNATURE",
            help=(
                "A checkpoint kept from an earlier audit (the `keep` line): a finding if the "
                "log no longer has it. After the tlog cut-over SEQ is the tree size and "
                "SIGNATURE the base64 on the checkpoint note's signature line."
            ),
        ),
    ] = None,
    as_json: JsonOption = False,
    witness_state: Annotated[
        Path | None,
        typer.Option("--witness-state", help="Also check the newest tlog checkpoint against DIR."),
    ] = None,
    max_age: MaxAgeOption = None,
) -> None:
    """Check every signature, hash link and sequence; exit 1 on any finding.

    With `--source` and `--witness-state` the witness checks the downloaded copy, as the
    log it is a copy of (its origin is the configured bucket and prefix).
    """
    from usecases.verify import verify_store  # noqa: PLC0415 - imported when run

    expected = None if expect_checkpoint is None else _expected_checkpoint(expect_checkpoint)
    programs = parse_slugs(program, "program id")
    oldest = parse_max_age(max_age)
    keyring = _keyring(verify_key)
    opened = _open_log(source)
    with progress_bar("verifying"):
        report = verify_store(
            opened.store,
            opened.prefix,
            keyring,
            programs=programs,
            expected=expected,
            max_age=oldest,
            refuse_unknown=True,
        )
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    witnessed_ok = witness_state is None or _witness(
        opened, witness_state, keyring, key=None, name="auditor", max_age=None
    )
    if not report.ok or not witnessed_ok:
        raise typer.Exit(int(ExitCode.FINDING))


def _witness(
    opened: OpenedLog,
    state: Path,
    keyring: Keyring,
    *,
    key: Path | None,
    name: str,
    max_age: timedelta | None,
) -> bool:
    """Run the witness check on the log opened; print its findings; True when clean."""
    from infra.eventlog.log import EventLog  # noqa: PLC0415 - imported when a command runs
    from infra.identity.keys import load_signer  # noqa: PLC0415
    from infra.platform.clock import utc_now  # noqa: PLC0415
    from usecases.witness import witness_log  # noqa: PLC0415

    outcome = witness_log(
        EventLog(opened.store, opened.prefix),
        origin=opened.origin,
        keyring=keyring,
        state=state,
        time=utc_now(),
        key=None if key is None else load_signer(key),
        name=name,
        max_age=max_age,
    )
    for finding in outcome.findings:
        typer.echo(safe_text(f"witness: {finding.kind}: {finding.detail}", one_line=True))
    if not outcome.findings:
        signed = f", cosigned {outcome.cosignature}" if outcome.cosignature else ""
        typer.echo(f"witness ok: tlog checkpoint {outcome.seq} (size {outcome.size}){signed}")
    return not outcome.findings


@audit_app.command("witness")
def witness(
    state: Annotated[Path, typer.Option("--state", help="Where this witness keeps what it saw.")],
    key: Annotated[
        Path | None, typer.Option("--key", help="The witness's Ed25519 key (PEM, 0600).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The witness's name.")] = "witness",
    verify_key: VerifyKeyOption = None,
    max_age: MaxAgeOption = None,
) -> None:
    """Check the newest tlog checkpoint extends the last one seen, then cosign it; else exit 1.

    With `--max-age`, also exit 1 when the newest checkpoint is older than that: a log
    that stopped advancing (checkpoints are signed hourly even when idle).
    """
    oldest = parse_max_age(max_age)
    keyring = _keyring(verify_key)
    if not _witness(_open_log(None), state, keyring, key=key, name=name, max_age=oldest):
        raise typer.Exit(int(ExitCode.FINDING))


@dataclass(frozen=True)
class OpenedLog:
    """The log an audit command reads: its store and prefix, how wide to read, what it is."""

    store: ObjectStore
    prefix: str
    workers: int
    origin: str
    """The transparency log's origin: the configured bucket and prefix (a copy keeps it)."""
    audited: str
    """What a report names as the audited log: `s3://bucket/prefix`, or the copy's folder."""


def _open_log(source: Path | None) -> OpenedLog:
    """The one way audit commands open a log: a downloaded copy (no S3 client) or the bucket."""
    from infra.eventlog.directory_store import DirectoryObjectStore  # noqa: PLC0415 - likewise
    from infra.eventlog.s3_store import S3ObjectStore  # noqa: PLC0415 - likewise
    from infra.platform.settings import get_settings  # noqa: PLC0415 - likewise
    from infra.s3.client import make_s3_client  # noqa: PLC0415 - likewise
    from schemas.tlog.layout import log_origin  # noqa: PLC0415 - likewise
    from usecases.verify import source_prefix  # noqa: PLC0415 - imported when a command runs

    settings = get_settings()
    origin = log_origin(settings.s3_bucket, settings.s3_prefix)
    if source is not None:
        prefix = source_prefix(source, settings.s3_prefix)
        copy = f"downloaded copy in {source.resolve()}"
        return OpenedLog(DirectoryObjectStore(source), prefix, 8, origin, copy)
    workers = settings.s3_max_workers
    client = make_s3_client(settings, max_pool=2 * workers + 8)
    store = S3ObjectStore(client, settings.s3_bucket, max_workers=workers)
    bucket = f"s3://{settings.s3_bucket}/{settings.s3_prefix}"
    return OpenedLog(store, settings.s3_prefix, workers, origin, bucket)


def _print_replay(report: ReplayReport) -> None:
    _wrong_keyring(report)
    _print_findings(report)
    for item in report.jurisdictions:
        why = (
            f"overridden: {item.override_reason}"
            if item.override_reason
            else "; ".join(item.reasons)
        )
        line = f"{item.program}/{item.jurisdiction}: {item.standing.label} ({why})"
        typer.echo(safe_text(line, one_line=True))
    moments = report.moments
    at = "" if moments.as_of is None else f" as of {moments.as_of.isoformat()}"
    known = "" if moments.known_at is None else f", known at {moments.known_at.isoformat()}"
    summary = (
        f"{report.streams} streams, {report.commits} commits, {report.events} events re-derived"
        f"{at}{known}, {report.checkpoints} checkpoints"
    )
    from schemas.log.legacy_commits import attestation_line  # noqa: PLC0415 - when a command runs

    legacy = attestation_line(report.attested_legacy_commits, report.attesting_checkpoints)
    if legacy is not None:
        summary += f", {legacy}"
    _print_verdict(ok=report.ok, findings=len(report.findings), summary=summary)


@audit_app.command("replay")
def replay(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    program: ProgramsOption = None,
    jurisdiction: Annotated[
        list[str] | None,
        typer.Option(
            "--jurisdiction",
            metavar="SLUG",
            help="Replay only this jurisdiction slug (repeatable).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="DATE", help="State as of this valid time (date or time)."),
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option(
            "--known-at",
            metavar="DATE",
            help="Knowledge as of this recording time (date or time).",
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            metavar="DIR",
            help="Replay a downloaded copy (audit export / aws s3 sync layout) offline.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Write a self-contained HTML report here."),
    ] = None,
    verify_key: VerifyKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify, re-derive every evaluation and decision, fold state; exit 1 on any finding."""
    from infra.files.report_html import check_report_path, write_report  # noqa: PLC0415 - likewise
    from schemas.replay.rederive import Moments  # noqa: PLC0415 - likewise
    from usecases.replay import replay_store  # noqa: PLC0415 - likewise

    programs = parse_slugs(program, "program id")
    slugs = parse_slugs(jurisdiction)
    moments = Moments(parse_moment(as_of), parse_moment(known_at, "--known-at"))
    if report is not None:
        check_report_path(report)  # before the replay, which may take minutes
    keyring = _keyring(verify_key)
    opened = _open_log(source)
    with progress_bar("replaying"):
        result = replay_store(
            opened.store,
            opened.prefix,
            keyring,
            programs=programs,
            jurisdictions=slugs,
            moments=moments,
            workers=opened.workers,
            audited=opened.audited,
        )
    if report is not None:
        documents = None if source is None else source / opened.prefix / "documents" / "sha256"
        write_report(result, report, documents)
    if as_json:
        print_json(result.as_json())
    else:
        _print_replay(result)
    if not result.ok:
        raise typer.Exit(int(ExitCode.FINDING))


@audit_app.command("export")
def export(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="Folder for the copy (created; unchanged files are kept)."
        ),
    ],
    *,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Refresh an earlier copy here: files no longer in the log are removed.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Download every object of the log into DIRECTORY, for `verify`/`replay --source` offline."""
    from usecases.export import export_store  # noqa: PLC0415 - imported when a command runs

    opened = _open_log(None)
    with progress_bar("exporting"):
        result = export_store(
            opened.store, opened.prefix, directory, workers=opened.workers, update=update
        )
    if as_json:
        print_json(
            {
                "directory": str(directory),
                "objects": result.objects,
                "bytes": result.bytes,
                "written": result.written,
                "removed": list(result.removed),
            }
        )
        return
    for removed in result.removed:
        typer.echo(f"removed: {removed} (no longer in the log)")
    typer.echo(
        f"ok: {result.objects} objects ({result.bytes} bytes) in {directory}; "
        f"{result.written} written, {result.objects - result.written} already there, "
        f"{len(result.removed)} removed. "
        f"Check it offline: grantreview audit replay --source {directory}"
    )


@audit_app.command("acts")
def acts(
    jurisdictions: Annotated[list[str] | None, typer.Argument(help="Jurisdiction slugs.")] = None,
    program: Annotated[
        str | None, typer.Option("--program", "-p", help="One program's acts.")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--source", help="A downloaded copy instead of S3.", exists=True),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the acts as JSON.")] = False,
) -> None:
    """List every person's act: who, what, when, the signed bytes and the SSH signature.

    Exit 1 when an act does not verify against the people file it names.
    """
    from cli._options import parse_slugs  # noqa: PLC0415
    from usecases.audit_acts import list_acts  # noqa: PLC0415 - imported when run

    slugs = parse_slugs(jurisdictions)
    opened = _open_log(source)
    rows = list_acts(opened.store, opened.prefix, program, slugs)
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            verdict = "ok" if row["verifies"] else f"FAILED {row['problem']}"
            subjects = ",".join(row["subjects"]) or "-"
            what = f"{row['type']} {row['program']} {subjects} by {row['actor']}"
            line = f"{row['act_id']} {row['time']} {what}: {verdict}"
            typer.echo(safe_text(line, one_line=True))
        typer.echo(f"{len(rows)} acts")
    if not all(row["verifies"] for row in rows):
        raise typer.Exit(int(ExitCode.FINDING))
