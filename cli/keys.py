"""`grantreview keys`: generate the checkpoint signing key pair."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli._common import ExitCode, fail, print_json
from schemas.base.errors import InputError
from schemas.base.timewindow import check_moment

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="Checkpoint signing keys and the log's verifier key.", no_args_is_help=True
)


def _aware(value: datetime | None, option: str) -> datetime | None:
    """Typer parses ISO times without a zone as naive; they are meant in UTC. In the window."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return check_moment(aware, option)


@keys_app.command("generate")
def generate(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write the key pair.")],
    valid_from: Annotated[
        datetime | None,
        typer.Option(
            "--valid-from",
            metavar="TIME",
            help="Start of the key's validity window (UTC); default now.",
        ),
    ] = None,
    valid_until: Annotated[
        datetime | None,
        typer.Option(
            "--valid-until",
            metavar="TIME",
            help="End of the window (UTC, exclusive); default open.",
        ),
    ] = None,
) -> None:
    """Write signing-key.pem (0600, for writers) and verify-keys.json (0644, for auditors).

    Auditors set GRANTREVIEW_VERIFY_KEY_FILE (or --verify-key) to either form of the
    public key: verify-keys.json, a keyring whose entries carry validity windows (for
    rotation), or the public key in PEM (printed here as public_key_pem; also
    `openssl pkey -in signing-key.pem -pubout`, or what a KMS or HSM hands out), taken as
    one key valid at every time.
    """
    from infra.identity.keys import (  # noqa: PLC0415 - keep CLI start-up light
        generate_key_pair,
        load_keyring,
        public_key_pem,
    )

    try:
        start = _aware(valid_from, "--valid-from") or datetime.now(UTC)
        private, public = generate_key_pair(
            directory, valid_from=start, valid_until=_aware(valid_until, "--valid-until")
        )
        key = load_keyring(public).keys[0]
    except InputError as error:
        fail(str(error), ExitCode.BAD_INPUT)
    print_json(
        {
            "signing_key_file": str(private),
            "verify_key_file": str(public),
            "fingerprint": key.fingerprint,
            "public_key_pem": public_key_pem(key.public_key),
            "valid_from": key.valid_from.isoformat(),
            "valid_until": None if key.valid_until is None else key.valid_until.isoformat(),
        }
    )


@keys_app.command("vkey")
def vkey(
    witness_key: Annotated[
        Path | None,
        typer.Option(
            "--witness-key",
            metavar="FILE",
            help="A witness's Ed25519 key (PEM, as `audit witness --key`): print its vkey.",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="The witness's name (as `audit witness --name`).")
    ] = "witness",
    witness_state: Annotated[
        Path | None,
        typer.Option(
            "--witness",
            metavar="STATE",
            help="A witness's state (`audit witness --state` DIR, or a file in it): its vkey.",
        ),
    ] = None,
) -> None:
    """Print the log's verifier key (vkey), one line per key, as Go's note.NewVerifier reads it.

    `<origin>+<8 hex key id>+<base64>`: pin it to check checkpoints and receipts with other
    tools. With --witness-key, the witness's cosignature vkey instead (for `verify-receipt
    --witness`); with --witness, the one its state recorded when it last cosigned.
    """
    if witness_state is not None:
        if witness_key is not None:
            fail("give --witness STATE or --witness-key FILE, not both", ExitCode.BAD_INPUT)
        from usecases.witness import state_vkeys  # noqa: PLC0415 - keep CLI start-up light

        try:
            lines = state_vkeys(witness_state)
        except InputError as error:
            fail(str(error), ExitCode.BAD_INPUT)
        for line in lines:
            typer.echo(line)
        return
    if witness_key is not None:
        from usecases.vkeys import witness_vkey  # noqa: PLC0415 - keep CLI start-up light

        typer.echo(witness_vkey(witness_key, name))
        return
    from infra.runtime import get_runtime  # noqa: PLC0415
    from usecases.vkeys import log_vkeys  # noqa: PLC0415

    for line in log_vkeys(get_runtime()):
        typer.echo(line)
