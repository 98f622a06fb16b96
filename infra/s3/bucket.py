"""`grantreview init`: make or accept the bucket and report what the store guarantees."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from infra.errors import DependencyUnavailableError
from infra.s3.client import error_code, s3_call

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["StoreReport", "ensure_bucket", "probe_conditional_writes"]


@dataclass(frozen=True)
class StoreReport:
    """What `init` found or did; None where these credentials may not look."""

    bucket: str
    created: bool
    conditional_writes: bool
    versioning: bool | None
    object_lock: bool | None
    default_retention: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return asdict(self)


def _bucket_exists(client: S3Client, bucket: str) -> bool:
    try:
        s3_call(f"checking bucket {bucket}", lambda: client.head_bucket(Bucket=bucket))
    except ClientError as error:
        if error_code(error) in {"404", "NoSuchBucket", "NotFound"}:
            return False
        raise DependencyUnavailableError(
            f"S3 refused checking bucket {bucket} ({error_code(error)})"
        ) from None
    return True


def _create_bucket(client: S3Client, bucket: str, lock_mode: str, lock_days: int) -> None:
    s3_call(
        f"creating bucket {bucket}",
        lambda: client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True),
    )
    s3_call(
        f"enabling versioning on {bucket}",
        lambda: client.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        ),
    )
    if lock_days > 0:
        s3_call(
            f"setting default retention on {bucket}",
            lambda: client.put_object_lock_configuration(
                Bucket=bucket,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": lock_mode, "Days": lock_days}},  # type: ignore[typeddict-item] # mode is validated by Settings
                },
            ),
        )


def _optional(call: Any) -> Any:  # noqa: ANN401 - passes through boto3's typed dicts
    """Ask the store; None when these credentials may not look or the store does not say."""
    try:
        return call()
    except (ClientError, DependencyUnavailableError):
        return None


def probe_conditional_writes(client: S3Client, bucket: str, prefix: str) -> bool:
    """Check If-None-Match: * is honoured, writing at most one probe object ever."""
    key = f"{prefix}_meta/conditional-write-probe"
    for _ in range(2):
        try:
            s3_call(
                "probing conditional writes",
                lambda: client.put_object(Bucket=bucket, Key=key, Body=b"probe", IfNoneMatch="*"),
            )
        except ClientError as error:
            if error_code(error) == "PreconditionFailed":
                return True
            raise DependencyUnavailableError(
                f"S3 refused probing conditional writes ({error_code(error)})"
            ) from None
    return False


def ensure_bucket(
    client: S3Client, bucket: str, prefix: str, *, lock_mode: str, lock_days: int
) -> StoreReport:
    """Create the bucket (versioned, Object Lock, default retention) or accept an existing one."""
    created = False
    if not _bucket_exists(client, bucket):
        _create_bucket(client, bucket, lock_mode, lock_days)
        created = True
    versioning = _optional(lambda: client.get_bucket_versioning(Bucket=bucket))
    lock = _optional(lambda: client.get_object_lock_configuration(Bucket=bucket))
    lock_config = (lock or {}).get("ObjectLockConfiguration", {})
    rule = lock_config.get("Rule", {}).get("DefaultRetention")
    return StoreReport(
        bucket=bucket,
        created=created,
        conditional_writes=probe_conditional_writes(client, bucket, prefix),
        versioning=None if versioning is None else versioning.get("Status") == "Enabled",
        object_lock=None if lock is None else lock_config.get("ObjectLockEnabled") == "Enabled",
        default_retention=None if not rule else f"{rule.get('Mode')} {rule.get('Days')} days",
    )
