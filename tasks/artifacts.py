"""What operators see in the Prefect UI: one summary per run, a card per single decision.

A preview run shows what a court order would change (`preview_markdown`).

A batch run (a review of 300) shows one Markdown summary: counts by step and decision, and a
table of only the streams this run changed. A single-jurisdiction run (respond, decide, a
review of one) also shows the decision card. Reasons and names are data: Markdown-escaped,
control characters shown visibly (`schemas.base.markup`), so the UI renders them as text, never
a link or an image (issue #13).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from schemas.base.markup import escape_markdown, show_controls
from schemas.planning.preview import OrderPreview
from usecases.stream_outcome import StreamOutcome

__all__ = [
    "MAX_CHANGED_ROWS",
    "decision_markdown",
    "preview_markdown",
    "publish_preview",
    "publish_run",
    "summary_markdown",
]

MAX_NOTICE_DRAFTS: Final = 20
"""Draft notices shown in a preview's artifact; every one is in the CLI's --json."""
MAX_CHANGED_ROWS: Final = 500
"""Rows of the "what changed" table; the rest are counted (every row is in the CLI's --json)."""


def _text(value: str) -> str:
    return escape_markdown(show_controls(value))


def _who(outcome: StreamOutcome) -> str:
    """`Stockton, CA (stockton-ca)`, or the slug alone when no name is known."""
    slug = _text(outcome.jurisdiction)
    return f"{_text(outcome.name)} ({slug})" if outcome.name else slug


def _counts(outcomes: list[StreamOutcome]) -> str:
    steps = Counter(outcome.step for outcome in outcomes)
    decisions = Counter(outcome.decision for outcome in outcomes)
    rows = ["| counted by | value | jurisdictions |", "|---|---|---|"]
    rows += [f"| step | {_text(step)} | {n} |" for step, n in sorted(steps.items())]
    rows += [f"| decision | {_text(d)} | {n} |" for d, n in sorted(decisions.items())]
    return "\n".join(rows)


def summary_markdown(program: str, outcomes: list[StreamOutcome]) -> str:
    """The run's one summary: how many streams, where they stand, and what this run changed."""
    changed = [outcome for outcome in outcomes if outcome.appended]
    decided = sum(1 for outcome in outcomes if outcome.decided_now)
    refused = sum(1 for outcome in outcomes if outcome.refused)
    lines = [
        f"# {_text(program)}: {len(outcomes)} jurisdictions, {len(changed)} changed",
        "",
        f"{decided} decisions made in this run"
        + (
            f"; {refused} jurisdictions skipped: their record failed its signature check"
            " (run `grantreview audit verify`)."
            if refused
            else "."
        ),
        "",
        _counts(outcomes),
        "",
        "## What changed in this run",
        "",
    ]
    if not changed:
        lines.append("Nothing: every jurisdiction was already where this run would take it.")
    else:
        lines += ["| jurisdiction | now | decision | why |", "|---|---|---|---|"]
        lines += [
            f"| {_who(o)} | {_text(o.step)} | {_text(o.decision)} | "
            f"{_text('; '.join(o.reasons)) or '-'} |"
            for o in changed[:MAX_CHANGED_ROWS]
        ]
        if len(changed) > MAX_CHANGED_ROWS:
            lines += ["", f"... and {len(changed) - MAX_CHANGED_ROWS} more (see the CLI's --json)."]
    return "\n".join(lines) + "\n"


def decision_markdown(program: str, outcome: StreamOutcome) -> str:
    """The decision as an operator reads it: outcome, reasons, and what it rests on.

    Every value is Markdown-escaped: a reason is text in the UI, never a link or an image.
    Ids and hashes are for auditors: shown last, shortened, in code spans.
    """
    reasons = (
        "\n".join(f"- {_text(reason)}" for reason in outcome.reasons) or "- (no reason recorded)"
    )
    rules = (
        "no rule set was in force"
        if outcome.rule_set_version is None
        else f"rule set version {outcome.rule_set_version}"
    )
    evidence = (
        f"the response with SHA-256 `{outcome.response_sha256[:12]}…`"
        if outcome.response_sha256
        else "no response (none was received)"
    )
    return (
        f"# {_who(outcome)}: **{_text(outcome.decision)}**\n\n"
        f"Program {_text(program)}, decided under {rules}, on {evidence}.\n\n"
        f"{reasons}\n\n"
        f"For auditors: decision `{(outcome.decision_id or '-')[:12]}…`, "
        f"entry {outcome.head_seq + 1} of this jurisdiction's record.\n"
    )


def preview_markdown(found: OrderPreview) -> str:
    """The preview as an operator reads it; every value escaped, the drafts as rendered."""
    lines = [
        f"# Preview of order {_text(found.order)} on {_text(found.program)}",
        "",
        (
            f"As of {found.as_of.isoformat()}, known at {found.known_at.isoformat()}: "
            f"{len(found.changed)} would change, {len(found.unchanged)} would not. Nothing was "
            f"written. Preview `{found.sha256[:16]}`."
        ),
        "",
        "## Would change",
        "",
    ]
    if not found.changed:
        lines.append("Nobody.")
    else:
        lines += ["| jurisdiction | before | after | award action | why |", "|---|---|---|---|---|"]
        lines += [
            f"| {_text(row['jurisdiction'])} | {_text(row['before'])} | {_text(row['after'])} "
            f"| {_text(row['award_action'] or '-')} | {_text('; '.join(row['reasons']))} |"
            for row in found.changed[:MAX_CHANGED_ROWS]
        ]
    lines += ["", "## Would not change", ""]
    lines += [
        f"- {_text(row['jurisdiction'])}: {_text(row['why'])}"
        for row in found.unchanged[:MAX_CHANGED_ROWS]
    ]
    for row in found.changed[:MAX_NOTICE_DRAFTS]:
        if row["notice_draft"] is not None:
            title = f"## Revision notice for {_text(row['jurisdiction'])} (as `review` sends it)"
            lines += ["", title, "", row["notice_draft"]]
    return "\n".join(lines) + "\n"


@task(cache_policy=NO_CACHE, persist_result=False)
def publish_preview(found: OrderPreview) -> None:
    """One artifact per program (`preview-<program>`): each preview a version of it."""
    create_markdown_artifact(
        key=f"preview-{found.program}",
        markdown=preview_markdown(found),
        description=f"grantreview preview of order {found.order}",
    )


@task(cache_policy=NO_CACHE, persist_result=False)
def publish_run(program: str, outcomes: list[StreamOutcome]) -> int:
    """One summary artifact for the run; a decision card too when it is about one stream.

    Returns how many artifacts were created. The keys (`<program>-summary`,
    `decision-<program>-<jurisdiction>`) keep each as versions of one artifact in the UI.
    The summary's first line also goes to the run's logs (the UI's Logs tab).
    """
    changed = sum(1 for outcome in outcomes if outcome.appended)
    decided = sum(1 for outcome in outcomes if outcome.decided_now)
    get_run_logger().info(
        "%s: %d jurisdictions, %d changed, %d decisions made in this run",
        program,
        len(outcomes),
        changed,
        decided,
    )
    create_markdown_artifact(
        key=f"{program}-summary",
        markdown=summary_markdown(program, outcomes),
        description=f"What this {program} run did",
    )
    if len(outcomes) != 1 or not outcomes[0].decided_now:
        return 1
    outcome = outcomes[0]
    create_markdown_artifact(
        key=f"decision-{program}-{outcome.jurisdiction}",
        markdown=decision_markdown(program, outcome),
        description=f"{program} decision for {outcome.jurisdiction}",
    )
    return 2
