"""The fake as a transport: routing quirks, headers, the ``responses`` adapter, recorded calls, faults,
auth, the pytest fixtures, and a downstream team's test written against them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from fakeserver._app import FakeApp
from fakeserver._auth import TokenAuthority
from fakeserver._clock import ManualClock, SystemClock
from fakeserver._engine import Engine
from fakeserver._routes import ROUTES, operation_for
from fakeserver._types import FakeRequest
from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration import OrchestrationClient

BASE = "http://localhost"
API = BASE + "/api/orchestration"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def data_of(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.content)["data"]


def create(base: str, *stages: dict[str, Any]) -> str:
    response = requests.post(f"{base}/workflows", json={"stages": list(stages)})
    return str(data_of(response, 201)["id"])


# -- routing ------------------------------------------------------------------------------------------


def test_route_table_covers_the_eleven_operations() -> None:
    operations = {route.operation for route in ROUTES} - {"healthcheck"}
    assert operations == {
        "getServerInfo",
        "listWorkflows",
        "createWorkflow",
        "getWorkflow",
        "runWorkflow",
        "listInstances",
        "getInstance",
        "sendEvent",
        "cancelEvent",
        "getInstanceHistory",
        "getInstanceStageHistory",
    }


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/_info", "getServerInfo"),
        ("GET", "/workflows", "listWorkflows"),
        ("POST", "/workflows/", "createWorkflow"),
        ("GET", "/workflows/abc", "getWorkflow"),
        ("POST", "/workflows/abc/instances", "runWorkflow"),
        ("GET", "/instances", "listInstances"),
        ("GET", "/instances/abc/", "getInstance"),
        ("POST", "/instances/abc/events", "sendEvent"),
        ("PUT", "/instances/abc/abort", "cancelEvent"),
        ("GET", "/instances/abc/history", "getInstanceHistory"),
        ("GET", "/instances/abc/stages/x/history", "getInstanceStageHistory"),
        ("DELETE", "/workflows/abc", None),
        ("GET", "/foo", None),
        ("GET", "/workflows/a/b", None),
    ],
)
def test_operation_for(method: str, path: str, operation: str | None) -> None:
    assert operation_for(method, path) == operation


def test_trailing_slashes_are_accepted(orchestration_fake: FakeOrchestration) -> None:
    workflow_id = create(API, {"wait_event": {"event": "go"}})
    assert len(data_of(requests.get(f"{API}/workflows/"))) == 1
    assert data_of(requests.get(f"{API}/workflows/{workflow_id}/"))["id"] == workflow_id
    instance_id = data_of(requests.post(f"{API}/workflows/{workflow_id}/instances/"), 201)["id"]
    assert data_of(requests.get(f"{API}/instances/{instance_id}/"))["id"] == instance_id
    assert len(data_of(requests.get(f"{API}/instances/"))) == 1
    assert len(data_of(requests.get(f"{API}/instances/{instance_id}/history/"))) == 1
    assert data_of(requests.get(f"{API}/instances/{instance_id}/stages/0/history/")) == []
    assert requests.post(f"{API}/instances/{instance_id}/events/", json={"name": "go"}).status_code == 204
    assert requests.put(f"{API}/instances/{instance_id}/abort/").status_code == 204
    assert requests.get(f"{API}/_info/").content == b'{"version":"develop"}\n'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/workflows"),
        ("DELETE", "/workflows/WF"),
        ("PATCH", "/workflows/WF"),
        ("GET", "/workflows/WF/instances"),
        ("POST", "/instances"),
        ("GET", "/instances/I/events"),
        ("POST", "/instances/I/abort"),
        ("POST", "/instances/I/history"),
        ("DELETE", "/instances/I/stages/0/history"),
        ("POST", "/_info"),
        ("OPTIONS", "/workflows"),
    ],
)
def test_known_path_wrong_method_is_405_empty_json(
    orchestration_fake: FakeOrchestration, method: str, path: str
) -> None:
    workflow_id = create(API)
    response = requests.request(method, API + path.replace("WF", workflow_id))
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""
    assert orchestration_fake.calls[-1].operation is None


def test_head_is_405(orchestration_fake: FakeOrchestration) -> None:
    response = requests.head(f"{API}/workflows")
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["", "/", "/foo", "/workflows/a/b", "/instances//history", "/_fake2"])
def test_unknown_paths_are_the_router_404_page(orchestration_fake: FakeOrchestration, path: str) -> None:
    response = requests.get(API + path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"404 page not found\n"


def test_healthcheck(orchestration_fake: FakeOrchestration) -> None:
    response = requests.get(f"{API}/_healthcheck")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b'{"default":"OK"}\n'


def test_unprefixed_paths() -> None:
    with FakeOrchestration(prefix="", stack_version="v1.0") as fake:
        workflow_id = create(BASE, {"noop": {}})
        assert data_of(requests.get(f"{BASE}/workflows/{workflow_id}"))["id"] == workflow_id
        assert data_of(requests.get(f"{API}/workflows/{workflow_id}"))["id"] == workflow_id  # both forms
        assert [call.path for call in fake.calls] == [
            "/workflows",
            f"/workflows/{workflow_id}",
            f"/api/orchestration/workflows/{workflow_id}",
        ]
        assert requests.get(f"{BASE}/somewhere").content == b"404 page not found\n"
    # the app itself serves both forms whatever transport calls it
    response = fake.app.handle(FakeRequest(method="GET", path="/workflows"))
    assert response.status == 200
    assert json.loads(response.body)["data"][0]["id"] == workflow_id
    assert fake.app.handle(FakeRequest(method="GET", path="/api/orchestration/_info")).body == (
        b'{"version":"develop"}\n'
    )


# -- bodies and headers ------------------------------------------------------------------------------


def test_yaml_creation(orchestration_fake: FakeOrchestration) -> None:
    body = b"name: yaml\nstages:\n  - delay:\n      duration: 10s\n  - wait_event:\n      event: go\n"
    response = requests.post(f"{API}/workflows", data=body, headers={"Content-Type": "text/vnd.yaml"})
    data = data_of(response, 201)
    assert data["config"] == {
        "name": "yaml",
        "stages": [{"delay": {"duration": "10s"}}, {"wait_event": {"event": "go"}}],
    }
    response = requests.post(f"{API}/workflows", data=b"- a\n", headers={"Content-Type": "text/vnd.yaml"})
    assert response.status_code == 400
    assert json.loads(response.content)["errorMessage"].startswith(
        "unmarshalling yaml: yaml: unmarshal errors:"
    )


def test_yaml_json_cannot_encode_is_a_500_with_an_empty_body(orchestration_fake: FakeOrchestration) -> None:
    body = b"stages:\n  - noop: {1: 2}\n"
    response = requests.post(f"{API}/workflows", data=body, headers={"Content-Type": "text/vnd.yaml"})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_run_body_read_only_with_a_positive_content_length(orchestration_fake: FakeOrchestration) -> None:
    workflow_id = create(API, {"noop": {}})
    url = f"{API}/workflows/{workflow_id}/instances"
    # chunked upload: no Content-Length, the service ignores the body
    assert requests.post(url, data=iter([b'{"a":', b"1}"])).status_code == 201
    assert requests.post(url, data=b"null").status_code == 201
    response = requests.post(url, data=b"   ")
    assert response.status_code == 400
    assert json.loads(response.content) == {"errorCode": "VALIDATION", "errorMessage": "EOF"}
    response = requests.post(url, data=b"{")
    assert json.loads(response.content)["errorMessage"] == "unexpected EOF"


def test_wait_timeout_is_504(orchestration_fake: FakeOrchestration) -> None:
    orchestration_fake.engine.wait_timeout = 0.01
    workflow_id = create(API, {"wait_event": {"event": "never"}})
    response = requests.post(f"{API}/workflows/{workflow_id}/instances?wait=true")
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["errorCode"] == "FAKE_WAIT_TIMEOUT"
    assert "never" in body["errorMessage"]


def test_ids_timestamps_and_key_order_on_the_wire() -> None:
    clock = ManualClock(datetime(2023, 4, 13, 8, 39, 7, 123400, tzinfo=UTC))
    with FakeOrchestration(clock=clock, stack_version="v1.0") as fake:
        workflow = data_of(
            requests.post(f"{API}/workflows", json={"stages": [{"delay": {"duration": "1s"}}]}), 201
        )
        assert workflow["createdAt"] == "2023-04-13T08:39:07.1234Z"
        instance_id = data_of(requests.post(f"{API}/workflows/{workflow['id']}/instances"), 201)["id"]
        fake.advance(1)  # the delay ends at 08:39:08.1234
        raw = requests.get(f"{API}/instances/{instance_id}").content
        assert raw.startswith(b'{"data":{"workflowID":"' + workflow["id"].encode() + b'","id":"')
        instance = json.loads(raw)["data"]
        assert list(instance) == [
            "workflowID", "id", "createdAt", "updatedAt", "terminated", "terminatedAt", "status", "error",
        ]  # fmt: skip
        assert instance["terminatedAt"] == "2023-04-13T08:39:08.1234Z"
        fake.advance(0.8766)  # a whole second: no fraction at all
        workflow_2 = data_of(requests.post(f"{API}/workflows", json={}), 201)
        assert workflow_2["createdAt"] == "2023-04-13T08:39:09Z"
        for item in (workflow, instance, workflow_2):
            assert UUID4.match(item["id"])
        history = data_of(requests.get(f"{API}/instances/{instance_id}/history"))
        status = instance["status"][0]
        stamps = [workflow["createdAt"], workflow["updatedAt"], instance["createdAt"], instance["updatedAt"]]
        stamps += [instance["terminatedAt"], status["startedAt"], status["terminatedAt"]]
        stamps += [history[0]["startedAt"], history[0]["terminatedAt"]]
        assert all(TIMESTAMP.match(stamp) for stamp in stamps), stamps


# -- the responses adapter ---------------------------------------------------------------------------


def test_register_into_an_existing_requests_mock() -> None:
    fake = FakeOrchestration()
    with responses.RequestsMock() as rsps:  # asserts that all its routes fire
        fake.register(rsps)
        rsps.get("https://example.com/ping", json={"pong": True})
        assert requests.get("https://example.com/ping").json() == {"pong": True}
        assert requests.get(f"{API}/workflows").content == b'{"data":[]}\n'
        assert requests.post(f"{API}/workflows", json={}).status_code == 201
        assert rsps.calls[0].request.url == "https://example.com/ping"
    assert [call.operation for call in fake.calls] == ["listWorkflows", "createWorkflow"]


def test_an_unused_registered_fake_is_not_an_unfired_expectation() -> None:
    fake = FakeOrchestration()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        fake.register(rsps)
        rsps.get("https://example.com/ping", body="pong")
        assert requests.get("https://example.com/ping").text == "pong"
    assert fake.calls == []


decorated = FakeOrchestration()


@decorated
def _create_through_decorated_fake() -> int:
    return requests.post(f"{API}/workflows", json={"name": "decorated"}).status_code


def test_decorator_form() -> None:
    assert _create_through_decorated_fake() == 201
    assert decorated.mock is None  # stopped again after the call
    assert [call.operation for call in decorated.calls] == ["createWorkflow"]
    assert decorated.engine.list_workflows()[0].name == "decorated"


def test_context_manager_is_not_reentrant() -> None:
    fake = FakeOrchestration()
    with fake, pytest.raises(RuntimeError):
        fake.start()
    assert fake.mock is None


def test_clock_and_app_are_exclusive() -> None:
    with pytest.raises(ValueError):
        FakeOrchestration(FakeApp(), clock=ManualClock())


def test_other_base_urls_are_not_intercepted() -> None:
    with FakeOrchestration(base_url="http://orchestration.test:8080/") as fake:
        assert fake.url == "http://orchestration.test:8080/api/orchestration"
        assert requests.get(f"{fake.url}/workflows").status_code == 200
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{API}/workflows")  # the fake's own mock refuses what it does not serve


def test_recorded_calls(orchestration_fake: FakeOrchestration) -> None:
    workflow_id = create(API, {"noop": {}})
    requests.post(
        f"{API}/workflows/{workflow_id}/instances?wait=true", json={"k": "v"}, headers={"X-Trace": "abc"}
    )
    requests.get(f"{API}/nowhere")
    first, run, unknown = orchestration_fake.calls
    assert (first.method, first.path, first.status, first.operation) == (
        "POST", "/api/orchestration/workflows", 201, "createWorkflow"
    )  # fmt: skip
    assert json.loads(first.body) == {"stages": [{"noop": {}}]}
    assert run.query == "wait=true"
    assert run.headers["x-trace"] == "abc"
    assert run.headers["content-type"] == "application/json"
    assert run.body == b'{"k": "v"}'
    assert run.operation == "runWorkflow"
    assert run.fault is None
    assert run.json()["data"]["terminated"] is True
    assert (unknown.status, unknown.operation, unknown.response_body) == (404, None, b"404 page not found\n")
    orchestration_fake.reset()
    assert orchestration_fake.calls == []
    assert orchestration_fake.engine.list_workflows() == []


def test_control_calls_are_served_and_not_recorded(orchestration_fake: FakeOrchestration) -> None:
    response = requests.get(f"{API}/_fake/clock")
    assert response.status_code == 200
    assert json.loads(response.content)["data"]["virtual"] is True
    assert orchestration_fake.calls == []


def test_faults(orchestration_fake: FakeOrchestration) -> None:
    orchestration_fake.faults.add("listWorkflows", status=503, body={"errorCode": "UNAVAILABLE"})
    response = requests.get(f"{API}/workflows")
    assert response.status_code == 503
    assert json.loads(response.content) == {"errorCode": "UNAVAILABLE"}
    assert requests.get(f"{API}/workflows").status_code == 200  # consumed
    orchestration_fake.faults.add("listWorkflows", drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{API}/workflows")
    orchestration_fake.faults.add("*", delay=0.001)
    assert requests.get(f"{API}/workflows").status_code == 200
    statuses = [(call.status, call.fault is not None) for call in orchestration_fake.calls]
    assert statuses == [(503, True), (200, False), (0, True), (200, True)]
    assert orchestration_fake.calls[0].fault is not None
    assert orchestration_fake.calls[0].fault.status == 503


def test_auth() -> None:
    engine = Engine()
    app = FakeApp(engine, auth=TokenAuthority(engine.clock, {"client": "secret"}))
    with FakeOrchestration(app):
        response = requests.get(f"{API}/workflows")
        assert (response.status_code, response.content) == (401, b"")
        response = requests.get(f"{API}/workflows", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        form = {"grant_type": "client_credentials", "client_id": "client", "client_secret": "secret"}
        token = requests.post(f"{BASE}/api/auth/oauth/token", data=form).json()["access_token"]
        response = requests.get(f"{API}/workflows", headers={"Authorization": f"Bearer {token}"})
        assert response.content == b'{"data":[]}\n'
    assert [call.status for call in app.calls] == [401, 401, 200, 200]
    with FakeOrchestration():  # auth off: the token endpoint does not exist
        response = requests.post(f"{BASE}/api/auth/oauth/token", data={"grant_type": "client_credentials"})
        assert (response.status_code, response.content) == (404, b"404 page not found\n")


# -- the pytest fixtures, as a downstream team uses them ---------------------------------------------


def test_fixtures_fake_and_client(orchestration_fake: FakeOrchestration, orchestration_client: Any) -> None:
    created = orchestration_client.create_workflow({"name": "from the client", "stages": []})
    assert created.data.config.name == "from the client"
    assert orchestration_fake.calls[-1].operation == "createWorkflow"
    assert orchestration_fake.calls[-1].path == "/api/orchestration/workflows"
    assert isinstance(orchestration_fake.clock, ManualClock)


def test_downstream_team_payout_flow(
    orchestration_fake: FakeOrchestration, orchestration_client: Any
) -> None:
    fake, client = orchestration_fake, orchestration_client
    fake.bank.fund("users:001", "USD/2", 1000)
    workflow = client.create_workflow(
        {
            "name": "payout",
            "stages": [
                {
                    "send": {
                        "source": {"account": {"id": "users:001"}},
                        "destination": {"account": {"id": "merchants:042"}},
                        "amount": {"amount": 300, "asset": "USD/2"},
                    }
                },
                {"delay": {"duration": "1h"}},
                {"wait_event": {"event": "approved"}},
            ],
        }
    ).data
    instance = client.run_workflow(workflow.id).data
    fake.advance(3600)
    assert fake.waiting_event(instance.id) == "approved"
    client.send_event(instance.id, "approved")

    done = client.get_instance(instance.id).data
    assert done.terminated
    assert done.error == ""
    history = client.get_instance_history(instance.id).data
    assert [(item.name, item.terminated, item.error or "") for item in history] == [
        ("RunSend", True, ""),
        ("RunDelay", True, ""),
        ("RunWaitEvent", True, ""),
    ]
    assert history[1].terminated_at - history[1].started_at == timedelta(hours=1)
    assert fake.bank.balance("users:001", "USD/2") == 700
    assert fake.bank.balance("merchants:042", "USD/2") == 300


def test_the_fixture_client_waits_on_the_fakes_clock(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    """wait_for_instance on a one-hour delay returns at once: its polls advance the virtual clock."""
    started = orchestration_fake.clock.now()
    workflow = orchestration_client.create_workflow({"stages": [{"delay": {"duration": "1h"}}]}).data
    instance = orchestration_client.run_workflow(workflow.id).data
    done = orchestration_client.wait_for_instance(instance.id, timeout=7200, poll_interval=60)
    assert done.terminated and done.error == ""
    waited = orchestration_fake.clock.now() - started
    assert timedelta(hours=1) <= waited <= timedelta(hours=1, minutes=1)
    raw = json.loads(requests.get(f"http://localhost/api/orchestration/instances/{instance.id}").content)
    assert raw["data"]["terminated"] is True


def test_fake_sleep_sleeps_for_real_on_the_wall_clock() -> None:
    fake = FakeOrchestration(clock=SystemClock())
    before = fake.monotonic()
    fake.sleep(0.05)
    assert fake.monotonic() - before >= 0.05
