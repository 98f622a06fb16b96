"""`review --dry-run` over a memory store: what would be sent or decided, nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.eventlog.memory_store import MemoryObjectStore
from infra.platform.settings import Settings
from infra.runtime import Runtime
from usecases.imports import import_csv
from usecases.review_preview import preview_review

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "programs" / "psp-2017" / "examples"
LETTER_DATE = datetime(2017, 8, 3, tzinfo=UTC)


@pytest.fixture
def runtime() -> Runtime:
    """A runtime over a memory store holding the four seed jurisdictions."""
    made = Runtime(Settings(s3_prefix="p/", programs_dir=ROOT / "programs", signing_key_file=None))
    made.__dict__["store"] = MemoryObjectStore()  # the cached adapter, replaced before use
    import_csv(made, EXAMPLES / "jurisdictions.csv")
    return made


def test_new_streams_would_get_their_letter_and_nothing_is_written(runtime: Runtime) -> None:
    """Every new stream would get a letter (stored, as no SMTP is set); the store is unchanged."""
    before = list(runtime.store.list_keys("p/"))
    rows = preview_review(runtime, "psp-2017", None, LETTER_DATE)
    assert [row["would"] for row in rows] == ["send letter (stored, not mailed)"] * 4
    assert {row["step"] for row in rows} == {"new"}
    assert list(runtime.store.list_keys("p/")) == before


def test_named_slugs_only(runtime: Runtime) -> None:
    """Only the named jurisdictions are previewed, in the order given."""
    rows = preview_review(runtime, "psp-2017", ["stockton-ca"], LETTER_DATE)
    assert [row["jurisdiction"] for row in rows] == ["stockton-ca"]


def test_a_recorded_response_would_be_decided_and_nothing_is_written(runtime: Runtime) -> None:
    """After the letter and a response, the preview names the decision the review would issue."""
    from schemas.log.streams import StreamId  # noqa: PLC0415
    from usecases.letters import send_letter_for  # noqa: PLC0415 - set-up through the real writers
    from usecases.respond import accept_response, record_and_announce  # noqa: PLC0415

    slug = "stockton-ca"
    stream = StreamId(program="psp-2017", jurisdiction=slug)
    send_letter_for(
        runtime,
        runtime.program("psp-2017"),
        runtime.registry()[slug],
        runtime.log.state(stream),
        as_of=LETTER_DATE,
        flow_run_id=None,
    )
    digest = accept_response(runtime, "psp-2017", slug, EXAMPLES / f"{slug}.json")
    record_and_announce(runtime, "psp-2017", slug, digest, lambda *_: None)
    before = list(runtime.store.list_keys("p/"))
    (row,) = preview_review(runtime, "psp-2017", [slug], datetime(2017, 9, 1, tzinfo=UTC))
    assert row["step"] == "response_received"
    assert row["would"] == f"decide {row['decision']}"
    assert row["decision"] != "pending"
    assert row["reasons"]
    assert list(runtime.store.list_keys("p/")) == before
