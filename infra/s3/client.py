"""The boto3 S3 client, and the translation of S3 failures into clear, classified errors."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic, sleep
from typing import TYPE_CHECKING, Final, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from infra.errors import DependencyRefusedError, DependencyUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from infra.platform.settings import Settings

__all__ = ["error_code", "make_s3_client", "s3_call"]

T = TypeVar("T")

_REFUSALS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"}


READ_TIMEOUT_S: Final = 60
"""How long a call waits for the server's first byte (botocore's default).

A LIST page is computed whole before its first byte: on a loaded machine SeaweedFS took
more than the 20 s this was before, and botocore's retry re-sent the page while the server
still walked the first (more work, not less). A server that is down fails at connect (3 s).
"""


def make_s3_client(settings: Settings, *, max_pool: int | None = None) -> S3Client:
    """A client with bounded retries and a connection pool sized for concurrent writes."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 6},
        max_pool_connections=max_pool or max(10, settings.s3_max_workers * 2),
        connect_timeout=3,
        read_timeout=READ_TIMEOUT_S,
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client: S3Client = boto3.session.Session().client(
        "s3", endpoint_url=settings.s3_endpoint_url, config=config
    )
    return client


def error_code(error: ClientError) -> str:
    """The S3 error code of a ClientError ('' when absent)."""
    return str(error.response.get("Error", {}).get("Code", ""))


SERVER_ERROR_PATIENCE_S: Final = 30.0
"""How long a call keeps retrying 5xx answers (after botocore's own retries) before failing.

A store that was just restarted answers before it serves every object again (SeaweedFS
loads its volumes after its S3 port is up): a system of record rides that out rather
than failing a run half-way. Connection errors are not retried here: a store that is down
is reported at once.
"""


def s3_call(what: str, call: Callable[[], T]) -> T:
    """Run an S3 call; unreachable or refusing stores become DependencyUnavailableError.

    Server errors (5xx) are retried (tenacity) with back-off 0.5, 1, 2 ... 8 s for up to
    `SERVER_ERROR_PATIENCE_S`; anything else is raised at once.
    """
    deadline = monotonic() + SERVER_ERROR_PATIENCE_S

    def out_of_patience(state: RetryCallState) -> bool:
        return monotonic() + state.upcoming_sleep > deadline  # tenacity waits, then stops

    retrying = Retrying(
        retry=retry_if_exception_type(_ServerError),
        wait=_BACKOFF,
        stop=out_of_patience,
        sleep=sleep,  # the module's own, looked up per call (tests replace it)
        reraise=True,
    )
    try:
        answer: T = retrying(_classified, what, call)
    except _ServerError as error:
        raise DependencyUnavailableError(f"S3 failed while {what} ({error.code})") from None
    return answer


_BACKOFF = wait_exponential(multiplier=0.5, max=8.0)
"""0.5 s, doubling, at most 8 s between tries."""


class _ServerError(DependencyUnavailableError):
    """A 5xx answer, still to be retried."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _classified(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except (EndpointConnectionError, BotoConnectionError) as error:
        raise DependencyUnavailableError(
            f"S3 unreachable while {what}: {error}; start it with `make up` and `. .data/env`, "
            "or check GRANTREVIEW_S3_ENDPOINT_URL"
        ) from None
    except NoCredentialsError:
        raise DependencyUnavailableError(
            f"no S3 credentials while {what}: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
            "or a profile"
        ) from None
    except ClientError as error:
        code = error_code(error)
        if code in _REFUSALS:
            raise DependencyRefusedError(
                f"S3 refused {what} ({code}): these credentials may not do that"
            ) from None
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status >= 500:  # noqa: PLR2004 - server side, after botocore's own retries
            raise _ServerError(code) from None
        raise
    except BotoCoreError as error:
        raise DependencyUnavailableError(f"S3 error while {what}: {error}") from None
