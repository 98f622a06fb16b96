"""Every event in a commit is a conforming CloudEvents 1.0 structured JSON event."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from schemas.base.canonical import canonical_json
from schemas.events.catalog import LetterSent, ReminderSent
from schemas.log.commit import GENESIS, event_id, seal_commit
from schemas.log.streams import StreamId

STREAM = StreamId(program="psp-2017", jurisdiction="stockton-ca")
EXTENSIONS = {"grschema", "grseq", "grindex", "grprev", "grhash", "gractor", "grflowrun",
              "grprogramsha"}  # fmt: skip


def _commit() -> list[dict[str, object]]:
    day = datetime(2017, 8, 3, tzinfo=UTC)
    letter = LetterSent(letter_sha256="a" * 64, letter_date=day.date(), response_due=None,
                        delivery="none")  # fmt: skip
    reminder = ReminderSent(letter_sha256="a" * 64, response_due=None, delivery="none")
    commit = seal_commit(
        stream=STREAM, seq=0, prev=GENESIS, idempotency_key="letter", payloads=[letter, reminder],
        time=day, actor="ojp-clerk", flow_run_id="run-1", program_sha256="b" * 64,
    )  # fmt: skip
    return [dict(event) for event in commit.events]


def test_events_parse_with_the_cloudevents_sdk() -> None:
    """The SDK reads each stored event and validates its required and extension attributes."""
    for index, event in enumerate(_commit()):
        parsed = JSONFormat().read(None, canonical_json(event))
        assert isinstance(parsed, CloudEvent)
        assert parsed.get_specversion() == "1.0"
        assert parsed.get_id() == event_id(STREAM, "letter", index)
        assert parsed.get_source() == "urn:grantreview:psp-2017"
        assert parsed.get_subject() == "stockton-ca"
        assert parsed.get_time() == datetime(2017, 8, 3, tzinfo=UTC)
        assert parsed.get_extension("grseq") == 0
        assert parsed.get_extension("grindex") == index
        assert parsed.get_extension("gractor") == "ojp-clerk"
        assert parsed.get_extension("grflowrun") == "run-1"
        assert parsed.get_extension("grprogramsha") == "b" * 64
        assert parsed.get_data() == event["data"]


def test_extension_names_follow_the_spec() -> None:
    """Extension names are lower-case alphanumerics of at most 20 characters, none reserved."""
    event = _commit()[0]
    extensions = set(event) - {"specversion", "id", "source", "type", "subject", "time",
                               "datacontenttype", "data"}  # fmt: skip
    assert extensions == EXTENSIONS
    assert all(re.fullmatch(r"[a-z0-9]{1,20}", name) for name in extensions)


def test_sdk_round_trip_keeps_every_attribute() -> None:
    """Writing the SDK's event back out gives the same attributes and data."""
    event = _commit()[1]
    parsed = JSONFormat().read(None, canonical_json(event))
    again = json.loads(JSONFormat().write(parsed))
    assert again["data"] == event["data"]
    assert {k: v for k, v in again.items() if k not in {"time", "data"}} == {
        k: v for k, v in event.items() if k not in {"time", "data"}
    }


def test_event_ids_derive_from_the_idempotency_key() -> None:
    """Sealing the same logical commit twice repeats the event ids exactly."""
    assert [e["id"] for e in _commit()] == [e["id"] for e in _commit()]
    assert len({e["id"] for e in _commit()}) == 2
