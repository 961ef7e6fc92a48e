"""Fault injection over real HTTP, and the client's retries recovering from it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from fakeserver.server import FakeServer
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import RetryPolicy, Timeout
from formance_orchestration._exceptions import ConnectionFailed, RateLimitError, ReadTimeout, ServerError

NO_WAIT = RetryPolicy(max_attempts=3, backoff_factor=0.0, jitter=0.0)


@pytest.fixture
def server(orchestration_server: FakeServer) -> FakeServer:
    return orchestration_server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def client(server: FakeServer) -> Iterator[OrchestrationClient]:
    slept: list[float] = []
    with OrchestrationClient(server.url, retry=NO_WAIT, sleep=slept.append) as api:
        yield api


def test_a_status_fault_answers_instead_of_the_operation(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("createWorkflow", status=503, body={"errorCode": "UNAVAILABLE"})
    response = http.post(server.url + "/api/orchestration/workflows", json={"stages": []}, timeout=5)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errorCode": "UNAVAILABLE"}
    assert server.engine.list_workflows() == []
    (call,) = server.calls
    assert (call.operation, call.status) == ("createWorkflow", 503)
    assert call.fault is not None and call.fault.status == 503
    assert http.post(server.url + "/workflows", json={"stages": []}, timeout=5).status_code == 201


def test_a_text_fault_keeps_its_content_type(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("listWorkflows", status=502, body="<html>bad gateway</html>", content_type="text/html")
    response = http.get(server.url + "/workflows", timeout=5)
    assert (response.status_code, response.headers["Content-Type"], response.text) == (
        502,
        "text/html",
        "<html>bad gateway</html>",
    )


def test_faults_hit_only_their_operation_and_only_n_times(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("getInstance", times=2, status=500)
    assert http.get(server.url + "/workflows", timeout=5).status_code == 200
    statuses = [http.get(server.url + "/instances/x", timeout=5).status_code for _ in range(3)]
    assert statuses == [500, 500, 500]  # two faults, then the real "Instance not found" 500
    assert [call.fault is not None for call in server.calls] == [False, True, True, False]
    assert server.calls[-1].json() == {"errorCode": "INTERNAL_ERROR", "errorMessage": "Instance not found"}


def test_the_wildcard_hits_whatever_comes_next(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("*", status=418)
    assert http.get(server.url + "/_info", timeout=5).status_code == 418
    assert http.get(server.url + "/_info", timeout=5).status_code == 200


def test_unknown_paths_and_control_calls_take_no_fault(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("*", status=500)
    assert http.get(server.url + "/nope", timeout=5).status_code == 404
    assert http.get(server.url + "/_fake/clock", timeout=5).status_code == 200
    assert len(server.faults) == 1


def test_a_delay_fault_stalls_then_runs_the_operation(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("listWorkflows", delay=0.1)
    started = time.monotonic()
    response = http.get(server.url + "/workflows", timeout=5)
    assert time.monotonic() - started >= 0.1
    assert (response.status_code, response.json()) == (200, {"data": []})
    (call,) = server.calls
    assert call.fault is not None and call.fault.delay == 0.1 and call.status == 200


def test_a_delay_with_a_status(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("listWorkflows", delay=0.05, status=504)
    started = time.monotonic()
    assert http.get(server.url + "/workflows", timeout=5).status_code == 504
    assert time.monotonic() - started >= 0.05


def test_a_dropped_connection(server: FakeServer, http: requests.Session) -> None:
    server.faults.add("getWorkflow", drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        http.get(server.url + "/workflows/x", timeout=5)
    assert http.get(server.url + "/workflows/x", timeout=5).status_code == 500
    dropped, answered = server.calls
    assert (dropped.status, dropped.operation) == (0, "getWorkflow")
    assert dropped.fault is not None and dropped.fault.drop_connection
    assert answered.fault is None


def test_faults_armed_over_the_control_api_drop_connections_too(
    server: FakeServer, http: requests.Session
) -> None:
    armed = http.post(
        server.url + "/_fake/faults", json={"operation": "listInstances", "dropConnection": True}, timeout=5
    )
    assert armed.status_code == 201
    with pytest.raises(requests.ConnectionError):
        http.get(server.url + "/instances", timeout=5)


def test_the_client_retries_a_get_through_503s(server: FakeServer, client: OrchestrationClient) -> None:
    workflow_id = client.create_workflow({"stages": [{"noop": {}}]}).data.id
    instance_id = client.run_workflow(workflow_id).data.id
    server.faults.add("getInstance", times=2, status=503, headers={"Retry-After": "0"})
    assert client.get_instance(instance_id).data.terminated is True
    attempts = [call for call in server.calls if call.operation == "getInstance"]
    assert [call.status for call in attempts] == [503, 503, 200]


def test_the_client_retries_a_get_through_dropped_connections(
    server: FakeServer, client: OrchestrationClient
) -> None:
    server.faults.add("listWorkflows", times=2, drop_connection=True)
    assert client.list_workflows().data == []
    assert [call.status for call in server.calls] == [0, 0, 200]


def test_the_client_retries_abort_but_gives_up_after_max_attempts(
    server: FakeServer, client: OrchestrationClient
) -> None:
    server.faults.add("cancelEvent", times=3, status=503)
    with pytest.raises(ServerError) as raised:
        client.cancel_event("x")
    assert raised.value.status_code == 503
    assert [call.status for call in server.calls] == [503, 503, 503]


def test_the_client_never_retries_a_run_on_a_status_or_a_drop(
    server: FakeServer, client: OrchestrationClient
) -> None:
    workflow_id = client.create_workflow({"stages": []}).data.id
    server.faults.add("runWorkflow", status=503)
    with pytest.raises(ServerError):
        client.run_workflow(workflow_id)
    server.faults.add("runWorkflow", drop_connection=True)
    with pytest.raises(ConnectionFailed):
        client.run_workflow(workflow_id)
    runs = [call for call in server.calls if call.operation == "runWorkflow"]
    assert [call.status for call in runs] == [503, 0]
    assert server.engine.list_instances() == []


def test_rate_limiting_surfaces_after_the_retries(server: FakeServer, client: OrchestrationClient) -> None:
    server.faults.add("listWorkflows", times=3, status=429, body={"errorCode": "TOO_MANY"})
    with pytest.raises(RateLimitError):
        client.list_workflows()
    assert len(server.calls) == 3


def test_a_delay_longer_than_the_read_timeout_is_a_read_timeout(server: FakeServer) -> None:
    server.faults.add("listWorkflows", delay=0.3)
    with OrchestrationClient(server.url, retry=None, timeout=Timeout(5, read=0.05)) as impatient:
        with pytest.raises(ReadTimeout):
            impatient.list_workflows()
        server.faults.add("listWorkflows", delay=0.3)
    with OrchestrationClient(
        server.url, retry=NO_WAIT, timeout=Timeout(5, read=0.05), sleep=lambda _: None
    ) as retrying:
        assert retrying.list_workflows().data == []
