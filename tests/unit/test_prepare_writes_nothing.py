"""`respond --prepare` checks the newest checkpoint and writes nothing, even with a claim open.

Before issue #21 the check (`Integrator.newest`) finished a batch a dead integrator had
claimed: tiles, index entries and a signed note written by a command that only prepares.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.identity.keys import generate_key_pair
from schemas.events.catalog import LetterSent
from schemas.log.commit import GENESIS, seal_commit
from schemas.log.streams import StreamId, commit_key
from schemas.tlog.layout import Batch, batch_key
from tests.unit.test_acts import EXAMPLES, PROGRAM, ROOT, Team
from tests.unit.test_presigned_commands import Cli
from usecases.imports import import_csv

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The CLI's entry point, run in this process."""
    return Cli(monkeypatch, capsys)


def test_respond_prepare_leaves_the_bucket_unchanged_over_an_open_claim(
    tmp_path: Path, cli: Cli
) -> None:
    """Every key and every byte are the same after `respond --prepare` as before it."""
    team = Team(tmp_path, ROOT / "programs")
    signing, verify = generate_key_pair(tmp_path / "system", valid_from=T0)
    olga = team.as_person("olga")
    olga.settings.signing_key_file, olga.settings.verify_key_file = signing, verify
    import_csv(olga, EXAMPLES / "jurisdictions.csv")
    stream = StreamId(program=PROGRAM, jurisdiction="zz-dead-run")
    letter = LetterSent(letter_sha256="a" * 64, letter_date=T0.date(), response_due=None,
                        delivery="none")  # fmt: skip
    commit = seal_commit(stream=stream, seq=0, prev=GENESIS, idempotency_key="k",
                         payloads=[letter], time=T0, actor="test",
                         signer=olga.log.signer)  # fmt: skip
    assert olga.log.append(commit)
    newest = olga.integrator.newest() if olga.integrator is not None else None
    assert newest is not None
    assert newest.seq >= 0
    claim = Batch(seq=newest.seq + 1, prev=newest.seq, old_size=newest.head.size,
                  commits=(commit_key("p/", stream, 0),), time=T0)  # fmt: skip
    assert team.store.put_if_absent(batch_key("p/", claim.seq), claim.to_bytes())
    before = {key: team.store.get(key) for key in team.store.list_keys("")}
    respond: list[str | Path] = [
        "respond",
        "stockton-ca",
        "-p",
        PROGRAM,
        "-f",
        EXAMPLES / "stockton-ca.json",
    ]
    code, prepared, err = cli(olga, *respond, "--actor", "olga", "--prepare")
    assert code == 0, err
    assert prepared
    assert {key: team.store.get(key) for key in team.store.list_keys("")} == before
