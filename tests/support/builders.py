"""Builders of synthetic national-scale data: jurisdictions, a registry CSV, decided streams.

`seed_decided_streams` writes one commit per stream (letter, response, evaluation and
decision together) straight through the event log with threads: test and benchmark
set-up at S3 speed, not the review path (which is measured elsewhere). Benchmarks import
these builders (`benchmarks/generate_jurisdictions.py` writes the CSV); tests never
import benchmarks.
"""

from __future__ import annotations

import csv
import io
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from infra.eventlog.log import EventLog
from schemas.base.canonical import sha256_hex
from schemas.events.catalog import LetterSent, ResponseReceived
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId
from schemas.planning.draft import decision_payloads
from schemas.program.definition import ProgramBundle
from schemas.program.jurisdiction import Jurisdiction
from schemas.program.response import Answer, AnswerValue, Respondent, Response
from schemas.rules.engine import evaluate

__all__ = ["csv_bytes", "seed_decided_streams", "synthetic_jurisdictions"]

# Share of US incorporated places by state is uneven; a few weights keep it plausible.
_STATES = {"CA": 6, "IL": 7, "NY": 3, "PA": 5, "TX": 7, "MD": 1, "NM": 1, "OH": 5, "WA": 2}


def synthetic_jurisdictions(count: int, *, seed: int = 2017) -> list[Jurisdiction]:
    """`count` places with unique slugs and 7-digit GEOIDs (fixed seed: the same every run)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not cryptography
    states = rng.choices(list(_STATES), weights=list(_STATES.values()), k=count)
    return [
        Jurisdiction(
            slug=f"place-{index:06d}-{state.lower()}",
            name=f"Place {index}, {state}",
            state=state,
            geoid=f"{index % 100:02d}{index:05d}"[-7:],
        )
        for index, state in enumerate(states)
    ]


def csv_bytes(rows: list[Jurisdiction]) -> bytes:
    """The registry CSV (slug,name,state,geoid) for these rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["slug", "name", "state", "geoid"])
    writer.writerows([row.slug, row.name, row.state, row.geoid] for row in rows)
    return out.getvalue().encode("utf-8")


def seed_decided_streams(
    log: EventLog,
    bundle: ProgramBundle,
    jurisdictions: list[Jurisdiction],
    *,
    answer: AnswerValue = AnswerValue.NO,
    decided_at: datetime = datetime(2017, 8, 20, tzinfo=UTC),
    workers: int = 32,
) -> int:
    """One decided stream per jurisdiction (letter, response, decision in one commit)."""
    program = bundle.program
    due = program.letter.response_due if program.letter else date(2017, 8, 18)
    letter = LetterSent(
        letter_sha256=sha256_hex(b"synthetic letter"),
        letter_date=date(2017, 8, 3),
        response_due=due,
        delivery="none",
    )
    received = datetime(2017, 8, 15, tzinfo=UTC)
    respondent = Respondent(name="A. Person", title="Chief of Police")
    answers = {
        q: Answer(answer=answer, text="as stated in our policy")
        for q in sorted(program.question_ids())
    }

    def write(jurisdiction: Jurisdiction) -> bool:
        response = Response(
            jurisdiction=jurisdiction.slug,
            program=program.id,
            received_at=received,
            respondent=respondent,
            answers=answers,
        )
        digest = sha256_hex(response.model_dump_json().encode())
        evaluation = evaluate(
            bundle,
            jurisdiction,
            response,
            response_sha256=digest,
            as_of=decided_at,
            known_at=decided_at,
        )
        recorded = ResponseReceived(
            response_sha256=digest, received_at=received, respondent=respondent, answers=answers
        )
        commit = seal_commit(
            stream=StreamId(program=program.id, jurisdiction=jurisdiction.slug),
            seq=0,
            prev=GENESIS,
            idempotency_key="seed",
            payloads=(letter, recorded, *decision_payloads(evaluation)),
            time=decided_at,
            actor="seed",
            program_sha256=bundle.sha256,
            signer=log.signer,
        )
        return log.append(commit)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(write, jurisdictions))
