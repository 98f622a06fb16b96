"""A person's act handed in through a deployment's run form: what to say when it is not.

A run started from the Prefect UI has no person's key to sign with, so under a people file
it needs the act prepared and signed where that person's key is. These refusals say how,
with the exact command to prepare the act the form asked for (its values filled in).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from schemas.base.errors import InputError
from usecases.people import people_in_force

if TYPE_CHECKING:
    from collections.abc import Sequence

    from infra.runtime import Runtime
    from schemas.people.acts import SignedAct

__all__ = ["SIGN_HINT", "check_form_act", "no_signature", "prepare_command", "unsigned_form"]

SIGN_HINT = (
    "sign it with `grantreview sign act.json > act.json.sig` (or `ssh-keygen -Y sign -n"
    " grantreview -f KEY act.json`)"
)
"""How a person signs a prepared act, with their own key."""


def prepare_command(command: str, args: Sequence[str]) -> str:
    """`grantreview COMMAND ARGS... --prepare > act.json`, each value quoted for a shell."""
    return shlex.join(["grantreview", command, *args, "--prepare"]) + " > act.json"


def unsigned_form(what: str, prepare: str) -> str:
    """Why a form without an act is refused under a people file, and the way through."""
    return (
        f"a people file is in force: {what} needs your signed act. Prepare it with `{prepare}`,"
        f" {SIGN_HINT}, then start the run again with act (the file's text) and signature"
        " (the .sig file's text) filled in"
    )


def no_signature() -> str:
    """Why an act without its signature is refused, and the way through."""
    return (
        f"the act has no signature: {SIGN_HINT} where your key is, and fill in signature"
        " with the .sig file's text"
    )


def check_form_act(runtime: Runtime, what: str, prepare: str, presigned: SignedAct | None) -> None:
    """Refuse, before anything runs, a form with no act where a people file asks for one.

    Only where no person's key is configured here (a served deployment): the CLI, with a
    key, signs the act itself.
    """
    if presigned is not None:
        return
    settings = runtime.settings
    if settings.person_key_file is not None or settings.ssh_auth_sock is not None:
        return
    if people_in_force(runtime) is not None:
        raise InputError(unsigned_form(what, prepare))
