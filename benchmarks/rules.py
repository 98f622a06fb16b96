"""Benchmark: evaluating a whole rule set for one response (target 200 µs), and for 20,000."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

from infra.files.programs import load_program
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Answer, AnswerValue, Respondent, Response
from schemas.rules.engine import evaluate

TARGET_US = 200.0
RESPONSES = 20_000
PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
AS_OF = datetime(2017, 10, 1, tzinfo=UTC)
STATES = ("CA", "IL", "NY", "PA", "TX", "MD", "NM", "PR")


def responses(
    count: int, program_id: str, questions: list[str]
) -> list[tuple[Jurisdiction, Response]]:
    """`count` jurisdictions, each with a response of random answers (fixed seed)."""
    rng = random.Random(2017)
    made = []
    for index in range(count):
        state = rng.choice(STATES)
        place = Jurisdiction(
            slug=f"place-{index}", name=f"Place {index}", state=state, geoid=f"{index:07d}"
        )
        answers = {
            question: Answer(answer=rng.choice(list(AnswerValue)), text="as stated " * 20)
            for question in questions
            if rng.random() > 0.05  # one question in twenty is left unanswered
        }
        made.append(
            (
                place,
                Response(
                    jurisdiction=place.slug,
                    program=program_id,
                    received_at=datetime(2017, 9, 1, tzinfo=UTC),
                    respondent=Respondent(name="A. Person", title="Chief"),
                    answers=answers,
                ),
            )
        )
    return made


def main() -> None:
    """Print the per-evaluation time beside the target, then the 20,000-response time."""
    bundle = load_program(PROGRAMS, "jag-fy2017")
    cases = responses(RESPONSES, bundle.program.id, sorted(bundle.program.question_ids()))
    place, response = cases[0]
    for _ in range(200):  # warm the CEL cache and the bundle's hash
        evaluate(bundle, place, response, response_sha256=None, as_of=AS_OF, known_at=AS_OF)
    repeats = 5_000
    started = time.perf_counter()
    for _ in range(repeats):
        evaluate(bundle, place, response, response_sha256=None, as_of=AS_OF, known_at=AS_OF)
    per_us = (time.perf_counter() - started) / repeats * 1e6
    verdict = "ok" if per_us <= TARGET_US else "OVER TARGET"
    conditions = len(bundle.program.rule_sets[0].conditions)
    print(
        f"one evaluation ({bundle.program.id}, {conditions} conditions, "
        f"{len(bundle.program.court_orders) + len(bundle.program.notices)} orders and notices): "
        f"{per_us:.1f} µs (target ≤ {TARGET_US:.0f} µs: {verdict})"
    )
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for place, response in cases:
        result = evaluate(
            bundle, place, response, response_sha256=None, as_of=AS_OF, known_at=AS_OF
        )
        outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
    total = time.perf_counter() - started
    print(
        f"{RESPONSES:,} responses: {total:.2f} s ({total / RESPONSES * 1e6:.1f} µs each); "
        f"outcomes {dict(sorted(outcomes.items()))}"
    )


if __name__ == "__main__":
    main()
