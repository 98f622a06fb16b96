"""What operators see in the Prefect UI: a table per run and a Markdown note per decision.

Reasons and names are data: Markdown-escaped in Markdown artifacts, control characters
shown visibly in both (`schemas.markup`), so the UI renders them as text (issue #13).
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.markup import escape_markdown, show_controls
from tasks.review import StreamOutcome

__all__ = ["ARTIFACT_WORKERS", "decision_markdown", "publish_decisions", "publish_outcomes"]

ARTIFACT_WORKERS = 8
"""Concurrent artifact requests: each is one ~15-30 ms HTTP call; never serial per stream."""


@task(cache_policy=NO_CACHE, persist_result=False)
def publish_outcomes(program: str, outcomes: list[StreamOutcome]) -> None:
    """One table artifact per run: jurisdiction, step, decision, reasons."""
    create_table_artifact(
        key=f"{program}-outcomes",
        table=[
            {
                "jurisdiction": show_controls(outcome.jurisdiction),
                "step": outcome.step,
                "decision": outcome.decision,
                "reasons": show_controls("; ".join(outcome.reasons)),
            }
            for outcome in outcomes
        ],
        description=f"Where each {program} review stands after this run.",
    )


def decision_markdown(program: str, outcome: StreamOutcome) -> str:
    """The decision as an operator reads it: outcome, reasons, and what it rests on.

    Every value is Markdown-escaped: a reason is text in the UI, never a link or an image.
    """
    evidence = f"response `{outcome.response_sha256}`" if outcome.response_sha256 else "no response"
    reasons = (
        "\n".join(f"- {escape_markdown(show_controls(reason))}" for reason in outcome.reasons)
        or "- (none recorded)"
    )
    jurisdiction = escape_markdown(show_controls(outcome.jurisdiction))
    return (
        f"# {escape_markdown(program)} / {jurisdiction}: **{outcome.decision}**\n\n"
        f"{reasons}\n\n"
        f"| decision id | rule set version | evidence | stream head |\n"
        f"|---|---|---|---|\n"
        f"| `{outcome.decision_id}` | {outcome.rule_set_version} | {evidence} | "
        f"{outcome.head_seq} |\n"
    )


@task(cache_policy=NO_CACHE, persist_result=False)
def publish_decisions(program: str, outcomes: list[StreamOutcome]) -> int:
    """A Markdown artifact for each decision made in this run (keyed per stream), concurrently.

    Only decisions this run appended get one, so a re-run or a batch that decides nothing
    costs no request; the key `decision-<program>-<jurisdiction>` keeps each stream's
    decisions as versions of one artifact in the UI.
    """
    decided = [outcome for outcome in outcomes if outcome.decided_now]

    def publish(outcome: StreamOutcome) -> None:
        create_markdown_artifact(
            key=f"decision-{program}-{outcome.jurisdiction}",
            markdown=decision_markdown(program, outcome),
            description=f"{program} decision for {outcome.jurisdiction}",
        )

    if len(decided) == 1:
        publish(decided[0])
        return 1
    with ThreadPoolExecutor(max_workers=ARTIFACT_WORKERS) as pool:
        # a copy of this task's context per call (copied here, not in the worker thread),
        # so each artifact attaches to this task run and flow run
        contexts = [contextvars.copy_context() for _ in decided]
        list(
            pool.map(
                lambda pair: pair[0].run(publish, pair[1]), zip(contexts, decided, strict=True)
            )
        )
    return len(decided)
