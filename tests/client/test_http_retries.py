"""Retries: which operations, on what, how many times and how long apart."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NewConnectionError

from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import RetryPolicy
from formance_orchestration._exceptions import (
    ApiError,
    ConnectionFailed,
    ConnectTimeout,
    NotFoundServerError,
    RateLimitError,
    ReadTimeout,
    ServerError,
)

BASE = "http://orch.test"
ROOT = BASE + "/api/orchestration"
WF_ID = "wf-1"
INST_ID = "inst-1"
MakeClient = Callable[..., OrchestrationClient]

INSTANCE = {
    "workflowID": WF_ID,
    "id": INST_ID,
    "createdAt": "2023-04-13T08:40:00Z",
    "updatedAt": "2023-04-13T08:40:00Z",
    "terminated": False,
    "error": "",
}
WORKFLOW = {
    "id": WF_ID,
    "config": {"name": "", "stages": []},
    "createdAt": "2023-04-13T08:40:00Z",
    "updatedAt": "2023-04-13T08:40:00Z",
}
UNAVAILABLE: dict[str, Any] = {
    "status": 503,
    "json": {"errorCode": "INTERNAL_ERROR", "errorMessage": "unavailable"},
}


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port (the request was never sent)."""
    reason = NewConnectionError(HTTPConnection("orch.test"), "Failed to establish a new connection: refused")
    return requests.ConnectionError(MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


# (name, method, url, call, success status, success body)
OPERATIONS: list[tuple[str, str, str, Callable[[OrchestrationClient], Any], int, Any]] = [
    ("getServerInfo", "GET", ROOT + "/_info", lambda c: c.get_server_info(), 200, {"version": "v"}),
    ("listWorkflows", "GET", ROOT + "/workflows", lambda c: c.list_workflows(), 200, {"data": []}),
    ("getWorkflow", "GET", ROOT + "/workflows/" + WF_ID, lambda c: c.get_workflow(WF_ID), 200,
     {"data": WORKFLOW}),
    ("listInstances", "GET", ROOT + "/instances", lambda c: c.list_instances(), 200, {"data": []}),
    ("getInstance", "GET", ROOT + "/instances/" + INST_ID, lambda c: c.get_instance(INST_ID), 200,
     {"data": INSTANCE}),
    ("cancelEvent", "PUT", ROOT + "/instances/" + INST_ID + "/abort", lambda c: c.cancel_event(INST_ID), 204,
     None),
    ("getInstanceHistory", "GET", ROOT + "/instances/" + INST_ID + "/history",
     lambda c: c.get_instance_history(INST_ID), 200, {"data": []}),
    ("getInstanceStageHistory", "GET", ROOT + "/instances/" + INST_ID + "/stages/0/history",
     lambda c: c.get_instance_stage_history(INST_ID, 0), 200, {"data": []}),
]  # fmt: skip
NON_IDEMPOTENT: list[tuple[str, str, str, Callable[[OrchestrationClient], Any], int, Any]] = [
    ("createWorkflow", "POST", ROOT + "/workflows", lambda c: c.create_workflow({"stages": []}), 201,
     {"data": WORKFLOW}),
    ("runWorkflow", "POST", ROOT + "/workflows/" + WF_ID + "/instances", lambda c: c.run_workflow(WF_ID), 201,
     {"data": INSTANCE}),
    ("sendEvent", "POST", ROOT + "/instances/" + INST_ID + "/events",
     lambda c: c.send_event(INST_ID, "go"), 204, None),
]  # fmt: skip


def _success(rsps: responses.RequestsMock, method: str, url: str, status: int, body: Any) -> None:
    if body is None:
        rsps.add(method, url, status=status, body="")
    else:
        rsps.add(method, url, status=status, json=body)


@pytest.mark.parametrize(
    ("name", "method", "url", "call", "status", "body"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
@pytest.mark.parametrize("failure", [503, 502, 504, 429])
def test_idempotent_operations_retry_statuses_then_succeed(
    client: OrchestrationClient,
    rsps: responses.RequestsMock,
    sleeps: list[float],
    name: str,
    method: str,
    url: str,
    call: Callable[[OrchestrationClient], Any],
    status: int,
    body: Any,
    failure: int,
) -> None:
    rsps.add(method, url, status=failure, body="")
    _success(rsps, method, url, status, body)
    call(client)
    assert len(rsps.calls) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    ("name", "method", "url", "call", "status", "body"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
def test_idempotent_operations_retry_connection_errors(
    client: OrchestrationClient,
    rsps: responses.RequestsMock,
    sleeps: list[float],
    name: str,
    method: str,
    url: str,
    call: Callable[[OrchestrationClient], Any],
    status: int,
    body: Any,
) -> None:
    rsps.add(method, url, body=requests.ConnectionError("Connection aborted: reset by peer"))
    rsps.add(method, url, body=requests.ReadTimeout("read timed out"))
    _success(rsps, method, url, status, body)
    call(client)
    assert len(rsps.calls) == 3
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("name", "method", "url", "call", "status", "body"), NON_IDEMPOTENT, ids=[o[0] for o in NON_IDEMPOTENT]
)
@pytest.mark.parametrize("failure", [503, 502, 504, 429, 500])
def test_state_changing_operations_never_retry_a_status(
    client: OrchestrationClient,
    rsps: responses.RequestsMock,
    sleeps: list[float],
    name: str,
    method: str,
    url: str,
    call: Callable[[OrchestrationClient], Any],
    status: int,
    body: Any,
    failure: int,
) -> None:
    rsps.add(method, url, status=failure, body="", headers={"Retry-After": "1"})
    _success(rsps, method, url, status, body)
    with pytest.raises(ApiError) as info:
        call(client)
    assert info.value.status_code == failure
    assert info.value.operation == name
    assert len(rsps.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("name", "method", "url", "call", "status", "body"), NON_IDEMPOTENT, ids=[o[0] for o in NON_IDEMPOTENT]
)
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (requests.ConnectionError("Connection aborted: reset by peer"), ConnectionFailed),
        (requests.ReadTimeout("read timed out"), ReadTimeout),
        (requests.exceptions.ChunkedEncodingError("broken"), ConnectionFailed),
    ],
)
def test_state_changing_operations_never_retry_once_maybe_sent(
    client: OrchestrationClient,
    rsps: responses.RequestsMock,
    sleeps: list[float],
    name: str,
    method: str,
    url: str,
    call: Callable[[OrchestrationClient], Any],
    status: int,
    body: Any,
    error: Exception,
    expected: type[Exception],
) -> None:
    rsps.add(method, url, body=error)
    _success(rsps, method, url, status, body)
    with pytest.raises(expected):
        call(client)
    assert len(rsps.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("name", "method", "url", "call", "status", "body"), NON_IDEMPOTENT, ids=[o[0] for o in NON_IDEMPOTENT]
)
@pytest.mark.parametrize("make_error", [lambda: requests.ConnectTimeout("connect timed out"), refused])
def test_state_changing_operations_retry_when_never_sent(
    client: OrchestrationClient,
    rsps: responses.RequestsMock,
    sleeps: list[float],
    name: str,
    method: str,
    url: str,
    call: Callable[[OrchestrationClient], Any],
    status: int,
    body: Any,
    make_error: Callable[[], Exception],
) -> None:
    rsps.add(method, url, body=make_error())
    _success(rsps, method, url, status, body)
    call(client)
    assert len(rsps.calls) == 2
    assert sleeps == [0.5]


def test_gives_up_after_max_attempts(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", **UNAVAILABLE)  # repeats for every call
    with pytest.raises(ServerError) as info:
        client.list_workflows()
    assert info.value.status_code == 503
    assert info.value.error_message == "unavailable"
    assert len(rsps.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_connection_errors_give_up_with_the_last_error(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    last = requests.ConnectTimeout("third")
    rsps.add(responses.GET, ROOT + "/workflows", body=requests.ConnectionError("first"))
    rsps.add(responses.GET, ROOT + "/workflows", body=requests.ConnectionError("second"))
    rsps.add(responses.GET, ROOT + "/workflows", body=last)
    with pytest.raises(ConnectTimeout) as info:
        client.list_workflows()
    assert info.value.__cause__ is last
    assert len(rsps.calls) == 3


def test_backoff_grows_and_is_capped(
    make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=6, backoff_factor=1.0, max_backoff=5.0, jitter=0))
    rsps.add(responses.GET, ROOT + "/workflows", **UNAVAILABLE)
    with pytest.raises(ServerError):
        client.list_workflows()
    assert len(rsps.calls) == 6
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_default_policy_has_jitter(
    make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(retry=RetryPolicy())
    rsps.add(responses.GET, ROOT + "/workflows", **UNAVAILABLE)
    with pytest.raises(ServerError):
        client.list_workflows()
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0


def test_retry_after_seconds(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", status=429, body="", headers={"Retry-After": "7"})
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="", headers={"Retry-After": "2.5"})
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert sleeps == [7.0, 2.5]


def test_retry_after_http_date(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="", headers={"Retry-After": when})
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert len(sleeps) == 1
    assert 27.0 <= sleeps[0] <= 30.0


def test_retry_after_date_in_the_past(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="",
             headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})  # fmt: skip
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert sleeps == [0.0]


def test_unparsable_retry_after_falls_back_to_backoff(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="", headers={"Retry-After": "soon"})
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert sleeps == [0.5]


def test_retry_after_beyond_the_limit_raises_at_once(
    make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(retry=RetryPolicy(max_retry_after=10, jitter=0))
    rsps.add(responses.GET, ROOT + "/workflows", status=429, body="", headers={"Retry-After": "3600"})
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    with pytest.raises(RateLimitError) as info:
        client.list_workflows()
    assert info.value.retry_after == 3600.0
    assert len(rsps.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 500, 501])
def test_other_statuses_are_not_retried(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float], status: int
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", status=status, body="")
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    with pytest.raises(ApiError):
        client.list_workflows()
    assert len(rsps.calls) == 1
    assert sleeps == []


def test_not_found_500_is_not_retried(client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, ROOT + "/workflows/x", status=500,
             json={"errorCode": "INTERNAL_ERROR", "errorMessage": "sql: no rows in result set"})  # fmt: skip
    with pytest.raises(NotFoundServerError):
        client.get_workflow("x")
    assert len(rsps.calls) == 1


def test_tls_errors_are_not_retried(
    client: OrchestrationClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.add(
        responses.GET, ROOT + "/workflows", body=requests.exceptions.SSLError("certificate verify failed")
    )
    with pytest.raises(ConnectionFailed, match="certificate verify failed"):
        client.list_workflows()
    assert len(rsps.calls) == 1
    assert sleeps == []


def test_custom_statuses(make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]) -> None:
    client = make_client(retry=RetryPolicy(retry_statuses=frozenset({500}), jitter=0))
    rsps.add(responses.GET, ROOT + "/workflows", status=500, body="")
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert len(rsps.calls) == 2
    rsps.add(responses.GET, ROOT + "/_info", status=503, body="")
    with pytest.raises(ServerError):
        client.get_server_info()
    assert len(rsps.calls) == 3


@pytest.mark.parametrize("retry", [None, RetryPolicy.disabled(), RetryPolicy(max_attempts=1)])
def test_retries_can_be_switched_off(
    make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float], retry: RetryPolicy | None
) -> None:
    client = make_client(retry=retry)
    assert not client.retry.enabled
    rsps.add(responses.GET, ROOT + "/workflows", **UNAVAILABLE)
    rsps.add(responses.GET, ROOT + "/instances", body=requests.ConnectionError("refused"))
    with pytest.raises(ServerError):
        client.list_workflows()
    with pytest.raises(ConnectionFailed):
        client.list_instances()
    assert len(rsps.calls) == 2
    assert sleeps == []


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens here any more: connecting is refused at once


def test_real_refused_connection_is_retried_even_for_a_post(sleeps: list[float]) -> None:
    client = OrchestrationClient(
        f"http://127.0.0.1:{_closed_port()}", sleep=sleeps.append, retry=RetryPolicy(max_attempts=3, jitter=0)
    )
    with client, pytest.raises(ConnectionFailed) as info:
        client.create_workflow({"stages": []})
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert info.value.operation == "createWorkflow"
    assert sleeps == [0.5, 1.0]  # three attempts: the request never left the client
