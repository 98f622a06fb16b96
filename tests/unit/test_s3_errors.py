"""How S3 failures are classified and when they are retried (`infra.s3.client.s3_call`)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from infra.errors import DependencyRefusedError, DependencyUnavailableError
from infra.s3 import client as s3


def _error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": code},
            "ResponseMetadata": {
                "RequestId": "r",
                "HostId": "h",
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "GetObject",
    )


class _Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the back-off instead of sleeping through it."""
    slept: list[float] = []
    monkeypatch.setattr(s3, "sleep", slept.append)
    return slept


def test_server_errors_are_ridden_out(no_sleep: list[float]) -> None:
    """A store answering 500 for a while (just restarted) is waited for, with back-off."""
    call = _Flaky(_error("InternalError", 500), _error("ServiceUnavailable", 503))
    assert s3.s3_call("reading k", call) == "answer"
    assert call.calls == 3
    assert no_sleep == [0.5, 1.0]


def test_server_errors_past_the_patience_fail_as_unavailable(
    no_sleep: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that keeps failing is reported as down (exit 3), naming what was attempted."""
    monkeypatch.setattr(s3, "SERVER_ERROR_PATIENCE_S", 2.0)
    clock = iter(range(1000))
    monkeypatch.setattr(s3, "monotonic", lambda: float(next(clock)))
    call = _Flaky(*[_error("InternalError", 500)] * 50)
    with pytest.raises(
        DependencyUnavailableError, match=r"S3 failed while reading k \(InternalError\)"
    ):
        s3.s3_call("reading k", call)
    assert 1 < call.calls < 50


def test_unreachable_store_is_reported_at_once(no_sleep: list[float]) -> None:
    """Connection errors are not retried here (botocore already did): the store is down."""
    call = _Flaky(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    with pytest.raises(DependencyUnavailableError, match="S3 unreachable while reading k"):
        s3.s3_call("reading k", call)
    assert call.calls == 1
    assert no_sleep == []


def test_refusals_are_never_retried(no_sleep: list[float]) -> None:
    """AccessDenied is a refusal: one call, a refusal error."""
    call = _Flaky(_error("AccessDenied", 403))
    with pytest.raises(DependencyRefusedError, match="these credentials may not do that"):
        s3.s3_call("writing k", call)
    assert call.calls == 1


def test_client_errors_reach_the_caller(no_sleep: list[float]) -> None:
    """Other 4xx (412 on a conditional write, 404) are the caller's to interpret."""
    call = _Flaky(_error("PreconditionFailed", 412))
    with pytest.raises(ClientError):
        s3.s3_call("writing k", call)
    assert call.calls == 1
