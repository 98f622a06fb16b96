"""The scheduled reevaluation deployment fires on a real Prefect server and records its run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mypy_boto3_s3 import S3Client

from infra.eventlog.log import EventLog
from infra.files.programs import load_program
from schemas.events.catalog import ReevaluationCompleted, decode_event_data
from schemas.log.streams import StreamId
from tests.conftest import Cli, count_objects
from tests.support.builders import (
    csv_bytes,
    seed_decided_streams,
    synthetic_jurisdictions,
)

ROOT = Path(__file__).resolve().parents[2]


def test_served_schedule_lands_a_run_record(
    cli: Cli,
    cli_env: dict[str, str],
    operator_client: S3Client,
    s3_prefix: str,
    signed_event_log: EventLog,
    tmp_path: Path,
) -> None:
    """`grantreview serve` with a 2 s interval runs reevaluation; its run record lands in S3."""
    csv_file = tmp_path / "jurisdictions.csv"
    places = synthetic_jurisdictions(5)
    csv_file.write_bytes(csv_bytes(places))
    assert cli("jurisdictions", "import", csv_file).code == 0
    bundle = load_program(Path(cli_env["GRANTREVIEW_PROGRAMS_DIR"]), "psp-2017")  # one stage
    seed_decided_streams(signed_event_log, bundle, places)
    binary = Path(sys.executable).with_name("grantreview")
    env = {**os.environ, **cli_env, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    server = subprocess.Popen(
        [str(binary), "serve", "--program", "psp-2017", "--reevaluate-interval", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    runs = f"{s3_prefix}streams/psp-2017/_runs/"
    try:
        deadline = time.monotonic() + 50
        while count_objects(operator_client, runs) == 0 and time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert count_objects(operator_client, runs) >= 1
    first = signed_event_log.read_stream(StreamId.runs("psp-2017"))[0]
    event = first.events[0]
    record = decode_event_data(event["type"], event["grschema"], event["data"])
    assert isinstance(record, ReevaluationCompleted)
    assert record.streams == 5
    assert record.unchanged == 5
    assert first.events[0]["grflowrun"]
    assert json.loads(json.dumps(first.document))["stream"] == "psp-2017/_runs"
