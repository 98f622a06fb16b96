"""People's acts on the command line: approve, reject, sign, submit, and `people check`.

A person can act in one step (the command signs with GRANTREVIEW_PERSON_KEY_FILE or the
ssh-agent at SSH_AUTH_SOCK) or in three: `--prepare` prints the act's bytes, `ssh-keygen
-Y sign -n grantreview` (or `grantreview sign`) signs them, `grantreview submit ACT
--signature SIG` records them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._acts_run import run_act
from cli._common import fail, print_json
from cli._options import (
    ActFileOption,
    PrepareOption,
    SignatureFileOption,
    read_bounded,
    read_presigned,
)
from cli._render import safe_text
from schemas.base.ids import check_slug

if TYPE_CHECKING:
    from schemas.people.acts import Act
    from usecases.proposals import ActOutcome

__all__ = [
    "ActorOption",
    "approve",
    "people_app",
    "print_prepared",
    "reject",
    "render_outcome",
    "sign",
    "submit",
]

ActorOption = Annotated[
    str, typer.Option("--actor", envvar="GRANTREVIEW_ACTOR", help="Your id in the people file.")
]
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document.")]

people_app = typer.Typer(help="The people file: who may act, in which roles.", no_args_is_help=True)


def render_outcome(what: str, outcome: ActOutcome, *, json_output: bool) -> None:
    """One line (or a JSON document) for an act recorded, proposed or approved."""
    effect = outcome.took_effect
    if json_output:
        document = {"act_id": outcome.act_id, "status": outcome.status, "written": outcome.written}
        print_json(document if effect is None else {**document, "took_effect": effect})
        return
    act = f" (act {outcome.act_id})" if outcome.act_id else ""
    typer.echo(safe_text(f"{what} {outcome.status}{act}", one_line=True))
    if effect is not None:
        told = ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in effect.items() if value
        )
        typer.echo(safe_text(f"took effect: {told}", one_line=True))


def print_prepared(act: Act) -> None:
    """`--prepare`: the act's exact bytes on stdout, to sign with `ssh-keygen -Y sign`."""
    sys.stdout.write(act.signed_bytes().decode())


def approve(
    act_id: Annotated[str, typer.Argument(help="The proposed act's id.")],
    program: ProgramOption,
    actor: ActorOption,
    json_output: JsonOption = False,
) -> None:
    """Approve an act another person proposed; it takes effect with enough approvals."""
    check_slug(program, "program id")
    from infra.runtime import get_runtime  # noqa: PLC0415 - keep CLI start-up light
    from usecases.approvals import approve as approve_act  # noqa: PLC0415

    def flow() -> ActOutcome:
        from flows.approve import approve as approve_flow  # noqa: PLC0415 - Prefect when it runs
        from flows.deploy.run import run_flow  # noqa: PLC0415
        from usecases.approvals import proposal_jurisdiction  # noqa: PLC0415

        slug = proposal_jurisdiction(get_runtime(), program, act_id)  # names the run
        return run_flow(approve_flow, program, act_id, actor, jurisdiction=slug)

    outcome = run_act(flow, lambda: approve_act(get_runtime(), program, act_id, actor))
    render_outcome("act", outcome, json_output=json_output)


def reject(
    act_id: Annotated[str, typer.Argument(help="The proposed act's id.")],
    program: ProgramOption,
    reason: Annotated[str, typer.Option("--reason", help="Why, in plain language.")],
    actor: ActorOption,
    json_output: JsonOption = False,
) -> None:
    """Close a proposed act without effect."""
    check_slug(program, "program id")
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.approvals import reject as reject_act  # noqa: PLC0415

    def flow() -> ActOutcome:
        from flows.deploy.run import run_flow  # noqa: PLC0415 - Prefect when it runs
        from flows.reject import reject as reject_flow  # noqa: PLC0415
        from usecases.approvals import proposal_jurisdiction  # noqa: PLC0415

        slug = proposal_jurisdiction(get_runtime(), program, act_id)  # names the run
        return run_flow(reject_flow, program, act_id, reason, actor, jurisdiction=slug)

    outcome = run_act(
        flow, lambda: reject_act(get_runtime(), program, act_id, reason=reason, actor=actor)
    )
    render_outcome("act", outcome, json_output=json_output)


def sign(
    act_file: Annotated[Path, typer.Argument(help="A prepared act (from --prepare).")],
) -> None:
    """Print the SSH signature of a prepared act, made with GRANTREVIEW_PERSON_KEY_FILE.

    Without it, your ssh-agent (SSH_AUTH_SOCK) signs with your key in force.
    The same signature as `ssh-keygen -Y sign -n grantreview -f KEY ACT_FILE` writes.
    """
    from infra.runtime import get_runtime  # noqa: PLC0415
    from schemas.people.acts import Act  # noqa: PLC0415
    from usecases.acts import sign_act  # noqa: PLC0415

    act = Act.from_bytes(read_bounded(act_file, "act"))
    sys.stdout.write(sign_act(get_runtime(), act).signature)


def submit(
    act_file: Annotated[Path, typer.Argument(help="A prepared act (from --prepare).")],
    signature: Annotated[Path, typer.Option("--signature", help="Its armored SSH signature.")],
    json_output: JsonOption = False,
) -> None:
    """Record an act signed elsewhere (ssh-keygen -Y sign, or `grantreview sign`)."""
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.submit import submit_act  # noqa: PLC0415

    signed = read_presigned(act_file, signature)
    assert signed is not None  # noqa: S101 - both files are required arguments here

    def flow() -> ActOutcome:
        from flows.act import act as act_flow  # noqa: PLC0415 - Prefect when it runs
        from flows.deploy.run import run_flow  # noqa: PLC0415

        return run_flow(act_flow, signed.act.signed_bytes().decode(), signed.signature)

    outcome = run_act(flow, lambda: submit_act(get_runtime(), signed))
    render_outcome(signed.act.type.value, outcome, json_output=json_output)


@people_app.command("check")
def check(
    people_file: Annotated[Path, typer.Argument(help="The people file (YAML).")],
    json_output: JsonOption = False,
) -> None:
    """Validate a people file; a bad entry is exit 2, named."""
    from infra.identity.people import load_people  # noqa: PLC0415

    people = load_people(people_file)
    persons = sorted({entry.id for entry in people.people})
    if json_output:
        print_json(
            {"ok": True, "entries": len(people.people), "people": persons, "sha256": people.sha256}
        )
        return
    typer.echo(f"ok: {len(people.people)} entries, {len(persons)} people, sha256 {people.sha256}")


@people_app.command("list")
def list_people(
    people_file: Annotated[
        Path | None, typer.Argument(help="A people file (YAML); default: the one in force.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Who may act, in which roles, with which key and from when (the file in force)."""
    if people_file is not None:
        from infra.identity.people import load_people  # noqa: PLC0415

        people = load_people(people_file)
    else:
        from infra.runtime import get_runtime  # noqa: PLC0415
        from usecases.people import people_file_named  # noqa: PLC0415

        people = people_file_named(get_runtime(), None)
    rows = [
        {
            "id": entry.id,
            "name": entry.name,
            "roles": [role.value for role in entry.roles],
            "key": entry.key,
            "valid_from": entry.valid_from.isoformat(),
            "valid_until": None if entry.valid_until is None else entry.valid_until.isoformat(),
        }
        for entry in people.people
    ]
    if json_output:
        print_json(rows)
        return
    for entry in people.people:
        roles = ", ".join(role.value for role in entry.roles)
        until = entry.valid_until or "open"
        line = f"{entry.id}  {entry.name}  {roles}  key valid {entry.valid_from} to {until}"
        typer.echo(safe_text(line, one_line=True))


@people_app.command("allowed-signers")
def allowed_signers_command(
    people_file: Annotated[
        Path | None, typer.Argument(help="A people file (YAML); default: the one in force.")
    ] = None,
    people_sha256: Annotated[
        str | None,
        typer.Option("--people-sha256", help="The stored people file an act names instead."),
    ] = None,
) -> None:
    """Print OpenSSH's allowed signers file for a people file, for `ssh-keygen -Y verify`.

    Verify an act from `audit acts` as of its own time: `ssh-keygen -Y verify -f FILE -I ID
    -n grantreview -Overify-time=TIME -s act.sig < act.json` (docs/log-format.md).
    """
    from schemas.people.allowed_signers import allowed_signers  # noqa: PLC0415
    from usecases.people import people_file_named  # noqa: PLC0415

    if people_file is not None and people_sha256 is not None:
        fail("name a people file or --people-sha256, not both")
    if people_file is not None:
        from infra.identity.people import load_people  # noqa: PLC0415

        people = load_people(people_file)
    else:
        from infra.runtime import get_runtime  # noqa: PLC0415

        people = people_file_named(get_runtime(), people_sha256)
    sys.stdout.write(allowed_signers(people))


@people_app.command("adopt")
def adopt(  # noqa: PLR0917 - Typer passes every option by name; the signature is the CLI
    people_file: Annotated[Path, typer.Argument(help="The people file (YAML) to put in force.")],
    actor: ActorOption,
    prepare: PrepareOption = False,
    act_file: ActFileOption = None,
    signature: SignatureFileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Put a people file in force, as an administrator (your signed `people` act).

    The very first adoption is signed by an administrator listed in the file itself.
    """
    from infra.identity.people import load_people  # noqa: PLC0415
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.adopt import adopt_people, prepare_adoption  # noqa: PLC0415

    presigned = read_presigned(act_file, signature, prepare=prepare)  # before any I/O
    people = load_people(people_file)
    runtime = get_runtime()
    if prepare:
        print_prepared(prepare_adoption(runtime, people, actor))
        return
    render_outcome(
        "people file", adopt_people(runtime, people, actor, presigned), json_output=json_output
    )
