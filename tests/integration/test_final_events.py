"""`grantreview.decision.final` on a real Prefect server: one per final, none before (#23).

Every path to a final emits exactly one: `determine`, `approve` (two-person rule), the
deadline run and a `review` pass that closes the answer window. The people's acts run as
Prefect runs named for what they do and for whom.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tests.integration.test_people_staged import PROGRAM as TWO_PERSON
from tests.integration.test_people_staged import office, respond
from tests.integration.test_staged_reviews import (
    SEEDS_CSV,
    _respond,
    _sweep,
    smtp_server,
    staged,
)

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.conftest import Cli
    from tests.integration.test_people import Office

__all__ = ["office", "smtp_server", "staged"]  # fixtures used here by name

ACT = ("--reason", "the office read the answer", "--actor", "ojp-reviewer-1")
FINAL = "grantreview.decision.final"


async def _read_events(name: str, location: str) -> list[Any]:
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - after env is set
    from prefect.events.filters import (  # noqa: PLC0415
        EventFilter,
        EventNameFilter,
        EventResourceFilter,
    )
    from prefect.events.schemas.events import ResourceSpecification  # noqa: PLC0415

    async with get_client() as client:
        page = await client.read_events(
            filter=EventFilter(
                event=EventNameFilter(name=[name]),
                resource=EventResourceFilter(
                    labels=ResourceSpecification({"grantreview.log": location})
                ),
            ),
            limit=50,
        )
    return list(page.events)


def final_events(env: dict[str, str], location: str, expected: int) -> list[Any]:
    """The log's final events once `expected` arrived (after flushing this process's queue).

    Read again after the queue is flushed a second time, so a duplicate sent with them
    would be counted too.
    """
    from prefect.events.worker import EventsWorker  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        EventsWorker.drain_all()
        deadline = time.monotonic() + 60
        events = asyncio.run(_read_events(FINAL, location))
        while len(events) < expected and time.monotonic() < deadline:
            time.sleep(0.5)
            events = asyncio.run(_read_events(FINAL, location))
        EventsWorker.drain_all()
        return asyncio.run(_read_events(FINAL, location))


def run_names(env: dict[str, str], name: str) -> list[str]:
    """Names of the flow runs called `name` on the server."""
    from prefect.client.orchestration import get_client  # noqa: PLC0415
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName  # noqa: PLC0415
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    async def read() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
            )
        return [run.name for run in runs]

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        return asyncio.run(read())


def _location(env: dict[str, str], prefix: str) -> str:
    return f"s3://{env['GRANTREVIEW_S3_BUCKET']}/{prefix}"


def test_determine_emits_one_final_event_in_a_named_run(
    staged: Cli, s3_prefix: str, tmp_path: Path
) -> None:
    """Preliminary decisions emit no final; `determine` emits one, in `determine <slug> <p>`."""
    cli, person = staged, "staged-person"
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    assert cli("review", "-p", person, "--all", "--as-of", "2017-08-03").code == 0
    assert _respond(cli, tmp_path, person, "stockton-ca", "not_applicable", "2017-08-10").code == 0
    assert _respond(cli, tmp_path, person, "stockton-ca", "yes", "2017-08-20").code == 0
    determine = ("determine", "stockton-ca", "-p", person, "--decision", "eligible", *ACT)
    assert cli(*determine, "--as-of", "2017-08-28").code == 0, cli.env
    assert cli(*determine, "--as-of", "2017-08-28").code == 0  # on record: no second event
    (event,) = final_events(cli.env, _location(cli.env, s3_prefix), 1)
    payload = event.payload
    assert (payload["jurisdiction"], payload["program"], payload["stage"]) == (
        "stockton-ca",
        person,
        "final",
    )
    assert (payload["decision"], payload["award_action"]) == ("eligible", "release")
    assert (payload["determined_by"], payload["approved_by"]) == ("ojp-reviewer-1", [])
    assert payload["decided_for"] == "2017-08-28T00:00:00.000000Z"
    assert payload["recorded_at"] > "2026"  # recorded today, not on the date it is for
    assert event.resource["prefect.resource.name"] == (
        "Stockton, CA: final eligible, award release (staged-person)"
    )
    assert run_names(cli.env, "determine stockton-ca staged-person")  # a readable run name


def test_the_deadline_run_and_a_review_pass_emit_one_final_each(
    staged: Cli, s3_prefix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An automatic final by the deadline run and one by `review`: one event each, no more."""
    cli, auto = staged, "staged-auto"
    assert cli("jurisdictions", "import", SEEDS_CSV).code == 0
    assert cli("review", "-p", auto, "--all", "--as-of", "2017-08-03").code == 0
    for slug in ("san-bernardino-ca", "baltimore-md"):
        assert _respond(cli, tmp_path, auto, slug, "no", "2017-08-10").code == 0
    extend = ("extend", "san-bernardino-ca", "-p", auto, "--until", "2017-09-01", *ACT)
    assert cli(*extend).code == 0
    assert run_names(cli.env, "extend san-bernardino-ca staged-auto")
    assert _sweep(staged.env, monkeypatch, "2017-08-25") == ["baltimore-md"]
    assert _sweep(staged.env, monkeypatch, "2017-08-25") == []  # a rerun: no new final
    review = ("review", "-p", auto, "san-bernardino-ca", "--as-of", "2017-09-02")
    assert cli(*review).code == 0
    assert cli(*review).code == 0
    events = final_events(cli.env, _location(cli.env, s3_prefix), 2)
    finals = sorted((e.payload["jurisdiction"], e.payload["award_action"]) for e in events)
    assert finals == [("baltimore-md", "withhold"), ("san-bernardino-ca", "withhold")]
    assert all(e.payload["determined_by"] is None for e in events)  # no person acted


def test_approve_emits_one_final_event_in_a_named_run(office: Office, s3_prefix: str) -> None:
    """Dora proposes (no event), Dan approves: one final event naming both, as Dora dated it."""
    assert office.run("olga", "jurisdictions", "import", SEEDS_CSV).code == 0
    review = ("review", "-p", TWO_PERSON, "stockton-ca", "--as-of", "2017-08-03")
    assert office.run("olga", *review).code == 0
    respond(office, "not_applicable", "2017-08-10")
    respond(office, "yes", "2017-08-20")
    determine = ("determine", "stockton-ca", "-p", TWO_PERSON, "--decision", "eligible")
    proposed = office.run("dora", *determine, "--reason", "answered", "--as-of", "2017-08-28")
    assert proposed.code == 0, proposed
    act_id = proposed.stdout.split("(act ", 1)[1].split(")", 1)[0]
    own = office.run("dora", "approve", act_id, "-p", TWO_PERSON)  # refused through the run too
    assert own.code == 2, own
    assert "self_approval" in own.stderr
    approved = office.run("dan", "approve", act_id, "-p", TWO_PERSON)
    assert approved.code == 0, approved
    told = approved.stdout.splitlines()[-1]
    assert "decision eligible, award action release, notice sent (final)" in told
    (event,) = final_events(office.env, _location(office.env, s3_prefix), 1)
    assert (event.payload["determined_by"], event.payload["approved_by"]) == ("dora", ["dan"])
    assert event.payload["decided_for"] == "2017-08-28T00:00:00.000000Z"
    assert run_names(office.env, f"approve stockton-ca {TWO_PERSON} (act {act_id[:12]})")
