"""The hostile corpus through the real CLI: exit 2, a message, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

from mypy_boto3_s3 import S3Client

from tests.conftest import Cli, count_objects

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
SEEDS = ROOT / "programs" / "psp-2017" / "examples" / "jurisdictions.csv"


def test_hostile_responses_and_csvs_write_nothing(
    cli: Cli, operator_client: S3Client, s3_prefix: str
) -> None:
    """Every corpus response and CSV is refused cleanly and leaves the store as it was."""
    assert cli("jurisdictions", "import", SEEDS).code == 0
    before = count_objects(operator_client, s3_prefix)
    tried = 0
    for path in sorted((CORPUS / "responses").iterdir()):
        result = cli("respond", "stockton-ca", "--program", "psp-2017", "--file", path)
        assert result.code == 2, (path.name, result)
        assert result.stderr.startswith("error: "), (path.name, result.stderr)
        assert "Traceback" not in result.stderr
        tried += 1
    for path in sorted((CORPUS / "csv").iterdir()):
        result = cli("jurisdictions", "import", path)
        assert result.code == 2, (path.name, result)
        assert "Traceback" not in result.stderr
        tried += 1
    assert tried >= 30
    assert count_objects(operator_client, s3_prefix) == before


def test_hostile_ids_write_nothing(cli: Cli, operator_client: S3Client, s3_prefix: str) -> None:
    """Path tricks, look-alikes and overlong ids are refused before any I/O."""
    for bad in ["../x", "a/b", "st\u043eckton-ca", "x" * 1000, "UPPER", "a..b/"]:
        for args in (
            ("review", "--program", "psp-2017", bad),
            ("status", "--program", bad),
            ("explain", bad, "--program", "psp-2017"),
        ):
            result = cli(*args)
            assert result.code == 2, (args, result)
            assert "invalid" in result.stderr
    assert count_objects(operator_client, s3_prefix) == 0
