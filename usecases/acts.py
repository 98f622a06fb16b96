"""Signing and authorizing people's acts: the one function every acting command calls.

`sign_act` builds the act (schemas/people/acts.py), signs it with `GRANTREVIEW_PERSON_KEY_FILE`
or, without one, with the actor's key in force held by the ssh-agent at `SSH_AUTH_SOCK`,
or takes a signature made elsewhere (`ssh-keygen -Y sign -n grantreview`, a deployment's
parameter), and `authorize` checks it against the people file in force: unknown actor,
no key in force, a key that does not match or a role that does not allow the act are
refused (exit 2) before anything is written. The file in force is the one an
administrator adopted last (usecases/people.py); before any adoption, the configured one.
Without either, acts stay unsigned, as before (`status` and `audit verify` say so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.errors import DependencyUnavailableError
from infra.identity.people import load_person_key, store_people
from infra.identity.ssh_agent import SshAgent
from infra.platform.clock import utc_now
from schemas.base.errors import InputError
from schemas.events.catalog import ActSigned
from schemas.people import sshsig
from schemas.people.acts import (
    ANOTHER_PEOPLE_FILE,
    Act,
    ActProblem,
    ActRefusedError,
    ActType,
    SignedAct,
    act_problem,
)
from schemas.people.clock import ClockPolicy, act_time_problem
from usecases.people import people_in_force

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from pathlib import Path

    from infra.runtime import Runtime
    from schemas.people.people_file import PeopleFile

__all__ = [
    "ActRequest",
    "authorize",
    "check_act_time",
    "clock_policy",
    "prepare_act",
    "recorded_act",
    "sign_act",
    "signed_act_for",
]


def clock_policy(runtime: Runtime) -> ClockPolicy:
    """This deployment's bounds on an act's time (GRANTREVIEW_ACT_SKEW, _ACT_MAX_DELAY)."""
    settings = runtime.settings
    return ClockPolicy.of(settings.act_skew, settings.act_max_delay)


def check_act_time(runtime: Runtime, act: Act, now: datetime) -> None:
    """Refuse an act dated outside [now - max delay, now + skew] (exit 2, one line)."""
    problem = act_time_problem(act.time, now, clock_policy(runtime))
    if problem is not None:
        raise ActRefusedError(f"refused ({problem.kind}): {problem.detail}")


def recorded_act(runtime: Runtime, signed: SignedAct) -> ActSigned:
    """The event recording `signed`, with the clock policy it was checked under."""
    return ActSigned(signed=signed, clock=clock_policy(runtime))


@dataclass(frozen=True)
class ActRequest:
    """What a command is about to do, before it is an act: type, program, subjects, params."""

    type: ActType
    program: str
    subjects: tuple[str, ...]
    params: dict[str, Any]


def prepare_act(runtime: Runtime, request: ActRequest, actor: str) -> Act:
    """The act to sign, now, under the people file in force (refused without one)."""
    found = people_in_force(runtime)
    if found is None:
        raise InputError("set GRANTREVIEW_PEOPLE_FILE: acts are signed under a people file")
    people = found.people
    return Act(
        type=request.type,
        program=request.program,
        subjects=request.subjects,
        actor=actor,
        people_sha256=people.sha256,
        time=utc_now(),
        params=request.params,
    )


def sign_act(runtime: Runtime, act: Act) -> SignedAct:
    """Sign `act` with the person's key file (GRANTREVIEW_PERSON_KEY_FILE) or ssh-agent.

    The key file wins when both are set: it is the explicit, GRANTREVIEW_-prefixed choice,
    while SSH_AUTH_SOCK is often set on a desktop for other reasons.
    """
    settings = runtime.settings
    if settings.person_key_file is None:
        if settings.ssh_auth_sock is not None:
            return _sign_with_agent(runtime, act, settings.ssh_auth_sock)
        raise InputError(
            "set GRANTREVIEW_PERSON_KEY_FILE to your OpenSSH ed25519 private key, "
            "or SSH_AUTH_SOCK to an ssh-agent holding it"
        )
    secret = settings.person_key_passphrase
    passphrase = None if secret is None else secret.get_secret_value().encode() or None
    key = load_person_key(settings.person_key_file, passphrase)
    return SignedAct(act=act, signature=sshsig.sign(key, act.signed_bytes()))


def _sign_with_agent(runtime: Runtime, act: Act, socket_path: Path) -> SignedAct:
    """Sign with the agent's key that is the actor's key in force at the act's time.

    Only the actor's own entries are candidates, so the agent is never asked to sign with
    another key it holds (a git or server key). An actor with no key in the agent is bad
    input (exit 2); an agent that cannot be reached or refuses is exit 3.
    """
    found = people_in_force(runtime)
    entries = [] if found is None else found.people.entries(act.actor, act.time)
    wanted = {sshsig.key_blob(entry.public_key): entry.public_key for entry in entries}
    agent = SshAgent(socket_path)
    blob = next((held for held in agent.identities() if held in wanted), None)
    if blob is None:
        raise InputError(
            f"the ssh-agent holds no key of {act.actor!r} in force "
            "(ssh-add it, or set GRANTREVIEW_PERSON_KEY_FILE)"
        )
    message = act.signed_bytes()
    wire = agent.sign(blob, sshsig.signed_data(message))
    try:
        armored = sshsig.armor(wanted[blob], wire)
    except sshsig.SshSignatureError as error:
        raise DependencyUnavailableError(
            f"SSH_AUTH_SOCK: the ssh-agent's signature: {error}"
        ) from None
    return SignedAct(act=act, signature=armored)


def authorize(runtime: Runtime, signed: SignedAct, needs: ActType | None = None) -> SignedAct:
    """Refuse an act the people file in force does not allow; store that file (once).

    The act's time must lie within the clock policy around now (the time it is recorded),
    and the key that signed it must be in force at both times.

    Nothing is written when refused; the people document is content-addressed, so
    storing it again is harmless.
    """
    found = people_in_force(runtime)
    if found is None:
        raise InputError("a signed act needs GRANTREVIEW_PEOPLE_FILE to be checked against")
    people = found.people
    now = utc_now()
    check_act_time(runtime, signed.act, now)
    if found.adoption is not None and signed.act.time < found.adoption.time:
        raise ActRefusedError(
            "refused: the act was signed before the people file in force was adopted; sign again"
        )
    problem = act_problem(people, signed, needs, recorded=now)
    if problem is not None:
        raise ActRefusedError(
            f"refused ({problem.kind}): {problem.detail}{_next_step(people, signed, problem)}"
        )
    store_people(runtime.documents, people)
    return signed


def _next_step(people: PeopleFile, signed: SignedAct, problem: ActProblem) -> str:
    """What to do about a refused act: name yourself, or sign again with your own key."""
    actor = signed.act.actor
    if not people.known(actor):
        return (
            "; pass --actor YOUR_ID or set GRANTREVIEW_ACTOR (grantreview people list shows"
            " the ids)"
        )
    if problem.detail == ANOTHER_PEOPLE_FILE:
        return "; prepare the act again (--prepare) under the people file in force, and sign it"
    if problem.kind == "bad_act_signature":
        return (
            f"; {actor!r} signs it with their own key (`grantreview sign act.json`, or"
            " `ssh-keygen -Y sign -n grantreview -f KEY act.json`), the act unchanged"
        )
    return ""


def signed_act_for(
    runtime: Runtime,
    request: ActRequest,
    actor: str,
    presigned: SignedAct | None = None,
    needs: ActType | None = None,
) -> SignedAct | None:
    """The authorized act for what a command does, or None when no people file is set.

    `presigned` (an act signed elsewhere) must be exactly this request by this actor.
    """
    if presigned is not None:
        _check_matches(presigned.act, request, actor)
        return authorize(runtime, presigned, needs)
    if people_in_force(runtime) is None:
        return None
    return authorize(runtime, sign_act(runtime, prepare_act(runtime, request, actor)), needs)


def _check_matches(act: Act, request: ActRequest, actor: str) -> None:
    expected: Sequence[tuple[str, object, object]] = (
        ("type", act.type, request.type),
        ("program", act.program, request.program),
        ("subjects", act.subjects, request.subjects),
        ("actor", act.actor, actor),
        ("params", act.params, request.params),
    )
    for name, got, wanted in expected:
        if got != wanted:
            raise InputError(f"the signed act's {name} is {got!r}, not {wanted!r}")
