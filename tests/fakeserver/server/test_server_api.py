"""Every API endpoint over real HTTP: raw ``requests`` (status, headers, JSON) and the client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakeserver.server import FakeServer
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._exceptions import NotFoundError, ServerError, ValidationError

PREFIXES = ["/api/orchestration", ""]

SEND = {
    "send": {
        "source": {"account": {"id": "world"}},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "amount": {"amount": 100, "asset": "EUR/2"},
    }
}


@pytest.fixture
def server(orchestration_server: FakeServer) -> FakeServer:
    return orchestration_server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def client(server: FakeServer) -> Iterator[OrchestrationClient]:
    with OrchestrationClient(server.url) as api:
        yield api


def api(server: FakeServer, prefix: str, path: str) -> str:
    return f"{server.url}{prefix}{path}"


def assert_json(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.content.endswith(b"\n")
    return response.json()


def create(http: requests.Session, server: FakeServer, stages: list[Any], prefix: str = "") -> str:
    body = assert_json(http.post(api(server, prefix, "/workflows"), json={"stages": stages}, timeout=5), 201)
    return str(body["data"]["id"])


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_server_info(server: FakeServer, http: requests.Session, prefix: str) -> None:
    assert assert_json(http.get(api(server, prefix, "/_info"), timeout=5), 200) == {"version": "develop"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_healthcheck(server: FakeServer, http: requests.Session, prefix: str) -> None:
    assert assert_json(http.get(api(server, prefix, "/_healthcheck"), timeout=5), 200) == {"default": "OK"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_workflow_endpoints(server: FakeServer, http: requests.Session, prefix: str) -> None:
    assert assert_json(http.get(api(server, prefix, "/workflows"), timeout=5), 200) == {"data": []}
    created = assert_json(
        http.post(api(server, prefix, "/workflows"), json={"name": "n", "stages": [{"noop": {}}]}, timeout=5),
        201,
    )["data"]
    assert created["config"] == {"name": "n", "stages": [{"noop": {}}]}
    assert created["createdAt"] == created["updatedAt"]
    got = assert_json(http.get(api(server, prefix, f"/workflows/{created['id']}"), timeout=5), 200)
    assert got == {"data": created}
    listed = assert_json(http.get(api(server, prefix, "/workflows/"), timeout=5), 200)
    assert listed == {"data": [created]}


def test_workflow_errors(server: FakeServer, http: requests.Session) -> None:
    empty = assert_json(http.post(api(server, "", "/workflows"), timeout=5), 400)
    assert empty == {"errorCode": "VALIDATION", "errorMessage": "unmarshalling json body: EOF"}
    unknown = assert_json(
        http.post(api(server, "", "/workflows"), json={"stages": [{"foo": {}}]}, timeout=5), 500
    )
    assert unknown == {
        "errorCode": "INTERNAL_ERROR",
        "errorMessage": "creating workflow: unable to resolve schema foo",
    }
    missing = assert_json(http.get(api(server, "", "/workflows/nope"), timeout=5), 500)
    assert missing == {"errorCode": "INTERNAL_ERROR", "errorMessage": "sql: no rows in result set"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_run_list_get_instance(server: FakeServer, http: requests.Session, prefix: str) -> None:
    workflow_id = create(http, server, [{"noop": {}}], prefix)
    run = assert_json(http.post(api(server, prefix, f"/workflows/{workflow_id}/instances"), timeout=5), 201)
    instance = run["data"]
    assert instance["terminated"] is False
    assert instance["error"] == ""
    assert "status" not in instance
    got = assert_json(http.get(api(server, prefix, f"/instances/{instance['id']}"), timeout=5), 200)["data"]
    assert got["terminated"] is True
    assert [row["stage"] for row in got["status"]] == [0]
    listed = assert_json(
        http.get(api(server, prefix, "/instances"), params={"workflowID": workflow_id}, timeout=5), 200
    )["data"]
    assert [item["id"] for item in listed] == [instance["id"]]
    assert "status" not in listed[0]
    running = assert_json(http.get(api(server, prefix, "/instances?running=true"), timeout=5), 200)
    assert running == {"data": []}


def test_run_with_wait_skips_a_delay_on_the_virtual_clock(server: FakeServer, http: requests.Session) -> None:
    workflow_id = create(http, server, [{"delay": {"duration": "1h"}}])
    before = server.clock.now()
    data = assert_json(
        http.post(api(server, "", f"/workflows/{workflow_id}/instances?wait=true"), timeout=5), 201
    )["data"]
    assert data["terminated"] is True
    assert "error" not in data
    assert (server.clock.now() - before).total_seconds() >= 3600


def test_events_abort_and_histories(server: FakeServer, http: requests.Session) -> None:
    workflow_id = create(http, server, [{"wait_event": {"event": "go"}}, {"wait_event": {"event": "again"}}])
    instance_id = assert_json(
        http.post(api(server, "", f"/workflows/{workflow_id}/instances"), timeout=5), 201
    )["data"]["id"]

    sent = http.post(api(server, "", f"/instances/{instance_id}/events"), json={"name": "go"}, timeout=5)
    assert sent.status_code == 204
    assert sent.content == b""
    assert sent.headers["Content-Length"] == "0"
    assert sent.headers["Content-Type"] == "application/json"

    history = assert_json(http.get(api(server, "", f"/instances/{instance_id}/history"), timeout=5), 200)[
        "data"
    ]
    assert [(item["name"], item["terminated"]) for item in history] == [
        ("RunWaitEvent", True),
        ("RunWaitEvent", False),
    ]
    stage = assert_json(
        http.get(api(server, "", f"/instances/{instance_id}/stages/0/history"), timeout=5), 200
    )
    assert stage == {"data": []}

    aborted = http.put(api(server, "", f"/instances/{instance_id}/abort"), timeout=5)
    assert (aborted.status_code, aborted.content) == (204, b"")
    got = assert_json(http.get(api(server, "", f"/instances/{instance_id}"), timeout=5), 200)["data"]
    assert got["terminated"] is True
    assert got["error"] == "canceled"

    late = assert_json(
        http.post(api(server, "", f"/instances/{instance_id}/events"), json={"name": "x"}, timeout=5), 500
    )
    assert late["errorCode"] == "INTERNAL_ERROR"


def test_send_moves_money_in_the_bank(server: FakeServer, http: requests.Session) -> None:
    workflow_id = create(http, server, [SEND])
    assert_json(http.post(api(server, "", f"/workflows/{workflow_id}/instances?wait=true"), timeout=5), 201)
    assert server.bank.balance("bank", "EUR/2") == 100
    runs = assert_json(http.get(api(server, "", "/instances"), timeout=5), 200)["data"]
    activities = assert_json(
        http.get(api(server, "", f"/instances/{runs[0]['id']}/stages/0/history"), timeout=5), 200
    )["data"]
    assert [item["name"] for item in activities] == ["CreateTransaction"]
    assert activities[0]["attempt"] == 1


def test_router_answers(server: FakeServer, http: requests.Session) -> None:
    unknown = http.get(api(server, "/api/orchestration", "/nope"), timeout=5)
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert unknown.text == "404 page not found\n"
    wrong_method = http.delete(api(server, "", "/workflows"), timeout=5)
    assert (wrong_method.status_code, wrong_method.content) == (405, b"")
    assert wrong_method.headers["Content-Type"] == "application/json"
    not_a_number = http.get(api(server, "", "/instances/i/stages/abc/history"), timeout=5)
    assert (not_a_number.status_code, not_a_number.content) == (404, b"")
    out_of_range = assert_json(http.get(api(server, "", "/instances/i/stages/9/history"), timeout=5), 404)
    assert out_of_range == {"errorCode": "NOT_FOUND", "errorMessage": "resource not found"}


def test_calls_are_recorded_with_their_operation(server: FakeServer, http: requests.Session) -> None:
    http.get(api(server, "/api/orchestration", "/workflows"), timeout=5)
    http.get(api(server, "", "/_fake/clock"), timeout=5)
    (call,) = server.calls
    assert (call.method, call.path, call.status, call.operation) == (
        "GET",
        "/api/orchestration/workflows",
        200,
        "listWorkflows",
    )


def test_the_client_against_the_server(server: FakeServer, client: OrchestrationClient) -> None:
    assert client.get_server_info().version == "develop"
    created = client.create_workflow({"name": "c", "stages": [{"wait_event": {"event": "go"}}]}).data
    assert client.get_workflow(created.id).data.id == created.id
    assert [flow.id for flow in client.list_workflows().data] == [created.id]
    run = client.run_workflow(created.id).data
    assert run.terminated is False
    assert [item.id for item in client.list_instances(workflow_id=created.id, running=True).data] == [run.id]
    client.send_event(run.id, "go")
    done = client.get_instance(run.id).data
    assert done.terminated is True
    assert done.status is not None and len(done.status) == 1
    history = client.get_instance_history(run.id).data
    assert [item.name for item in history] == ["RunWaitEvent"]
    assert client.get_instance_stage_history(run.id, 0).data == []
    client.cancel_event(run.id)  # already terminated: still 204
    assert client.wait_for_instance(run.id, timeout=1).terminated is True


def test_the_client_keeps_one_connection_alive(server: FakeServer) -> None:
    before = server.connections_accepted
    with OrchestrationClient(server.url) as fresh:
        workflow_id = fresh.create_workflow({"stages": [{"noop": {}}]}).data.id
        for _ in range(20):
            fresh.run_workflow(workflow_id)
            fresh.list_instances(workflow_id=workflow_id)
    assert len(server.calls) == 41
    assert server.connections_accepted - before == 1


def test_the_client_maps_errors(server: FakeServer, client: OrchestrationClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_instance("nope")
    with pytest.raises(NotFoundError):
        client.get_instance_stage_history("nope", 0)
    with pytest.raises(ValidationError):
        client.create_workflow({"stages": [{"delay": "10s"}]})
    with pytest.raises(ServerError):
        client.create_workflow({"stages": [{"foo": {}}]})


def test_a_wait_run_returns_when_another_connection_sends_the_event(
    server: FakeServer, client: OrchestrationClient
) -> None:
    workflow_id = client.create_workflow({"stages": [{"wait_event": {"event": "go"}}]}).data.id
    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.append(client.run_workflow(workflow_id, wait=True).data))
    runner.start()
    try:
        with OrchestrationClient(server.url) as other:
            wait_until(lambda: other.list_instances(workflow_id=workflow_id).data, "the instance")
            instance_id = other.list_instances(workflow_id=workflow_id).data[0].id
            wait_until(lambda: server.engine.waiting_event(instance_id) == "go", "the wait_event stage")
            other.send_event(instance_id, "go")
    finally:
        runner.join(10)
    assert not runner.is_alive()
    (done,) = results
    assert done.terminated is True
    assert done.error is None


def test_a_wait_run_returns_canceled_when_another_connection_aborts(
    server: FakeServer, http: requests.Session
) -> None:
    workflow_id = create(http, server, [{"wait_event": {"event": "go"}}])
    results: list[requests.Response] = []
    url = api(server, "/api/orchestration", f"/workflows/{workflow_id}/instances?wait=true")
    runner = threading.Thread(target=lambda: results.append(requests.post(url, timeout=10)))
    runner.start()
    try:
        wait_until(lambda: server.engine.list_instances(workflow_id), "the instance")
        instance_id = server.engine.list_instances(workflow_id)[0].id
        wait_until(lambda: server.engine.waiting_event(instance_id) == "go", "the wait_event stage")
        assert http.put(api(server, "", f"/instances/{instance_id}/abort"), timeout=5).status_code == 204
    finally:
        runner.join(10)
    (response,) = results
    data = assert_json(response, 201)["data"]
    assert data["terminated"] is True
    assert data["error"] == "canceled"
