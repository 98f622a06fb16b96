"""Credentials and the signing key never leak into output, logs, events, documents or artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path

from mypy_boto3_s3 import S3Client
from prefect.client.orchestration import get_client

from localdev.prefect_server import PrefectServer
from localdev.seaweed import SeaweedServer
from tests.conftest import TEST_BUCKET, Cli, count_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "programs" / "psp-2017" / "examples"


def _secrets(seaweed: SeaweedServer, key_file: Path) -> list[str]:
    pem = key_file.read_text()
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    return [seaweed.identities["operator"].secret_key, body]


def test_full_scenario_leaks_no_secret(
    cli: Cli,
    seaweed: SeaweedServer,
    prefect_server: PrefectServer,
    key_files: tuple[Path, Path],
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """A whole review at DEBUG logging shows no secret in any output, object or artifact."""
    cli.env = {**cli.env, "GRANTREVIEW_LOG_LEVEL": "DEBUG"}
    outputs = [cli("jurisdictions", "import", EXAMPLES / "jurisdictions.csv")]
    outputs.append(cli("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03"))
    outputs.extend(
        cli("respond", slug, "--program", "psp-2017", "--file", EXAMPLES / f"{slug}.json")
        for slug in ("stockton-ca", "baltimore-md")
    )
    outputs.append(cli("status", "--program", "psp-2017", "--json"))
    outputs.append(cli("--debug", "respond", "x", "--program", "psp-2017", "--file", "/nope"))
    assert all(result.code in {0, 2} for result in outputs)
    texts = [result.stdout + result.stderr for result in outputs]
    paginator = operator_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=TEST_BUCKET, Prefix=s3_prefix):
        for item in page.get("Contents", []):
            body = operator_client.get_object(Bucket=TEST_BUCKET, Key=item["Key"])["Body"].read()
            texts.append(body.decode("utf-8", errors="replace"))
    with get_client(
        sync_client=True, httpx_settings={"base_url": prefect_server.api_url}
    ) as client:
        texts.extend(str(artifact.data) for artifact in client.read_artifacts())
    assert len(texts) > 20
    for secret in _secrets(seaweed, key_files[0]):
        assert all(secret not in text for text in texts)


def test_key_file_with_loose_permissions_is_refused(
    cli: Cli,
    key_files: tuple[Path, Path],
    tmp_path: Path,
    operator_client: S3Client,
    s3_prefix: str,
) -> None:
    """A signing key readable by others is refused with exit 2 before anything is written."""
    loose = tmp_path / "signing-key.pem"
    shutil.copyfile(key_files[0], loose)
    loose.chmod(0o644)
    cli.env = {**cli.env, "GRANTREVIEW_SIGNING_KEY_FILE": str(loose)}
    for args in (
        ("jurisdictions", "import", EXAMPLES / "jurisdictions.csv"),
        ("review", "--program", "psp-2017", "--all", "--as-of", "2017-08-03"),
    ):
        result = cli(*args)
        assert result.code == 2, result
        assert "0644" in result.stderr or "permissions" in result.stderr
    assert count_objects(operator_client, s3_prefix) == 0
