"""The ``timeout=`` requests receives, captured by an adapter mounted on a caller session."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import Timeout

BASE = "http://orch.test"

INSTANCE = {
    "workflowID": "wf",
    "id": "inst",
    "createdAt": "2023-04-13T08:40:00Z",
    "updatedAt": "2023-04-13T08:40:00Z",
    "terminated": True,
    "error": "",
}
WORKFLOW = {
    "id": "wf",
    "config": {"name": "", "stages": []},
    "createdAt": "2023-04-13T08:40:00Z",
    "updatedAt": "2023-04-13T08:40:00Z",
}


class CapturingAdapter(BaseAdapter):
    """Answers every request from a table of (method, path suffix) -> (status, body); records kwargs."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, Any]:
        path = request.path_url.split("?")[0]
        if path.endswith("/oauth/token"):
            return 200, {"access_token": "t", "expires_in": 3600}
        if path.endswith("/_info"):
            return 200, {"version": "develop"}
        if request.method in ("PUT",) or path.endswith("/events"):
            return 204, None
        if path.endswith("/workflows") and request.method == "POST":
            return 201, {"data": WORKFLOW}
        if path.endswith("/instances") and request.method == "POST":
            return 201, {"data": INSTANCE}
        if path.endswith("/instances") or path.endswith("/workflows") or path.endswith("/history"):
            return 200, {"data": []}
        if "/workflows/" in path:
            return 200, {"data": WORKFLOW}
        return 200, {"data": INSTANCE}

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.calls.append(
            {"url": request.url, "method": request.method, "timeout": timeout, "verify": verify}
        )
        status, body = self._answer(request)
        response = requests.Response()
        response.status_code = status
        response._content = b"" if body is None else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def adapter() -> CapturingAdapter:
    return CapturingAdapter()


@pytest.fixture
def make(adapter: CapturingAdapter) -> Callable[..., OrchestrationClient]:
    def build(**kwargs: Any) -> OrchestrationClient:
        session = requests.Session()
        session.mount("http://", adapter)
        return OrchestrationClient(BASE, session=session, **kwargs)

    return build


def timeouts(adapter: CapturingAdapter) -> list[Any]:
    return [call["timeout"] for call in adapter.calls]


def test_default_connect_and_read(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    make().list_workflows()
    assert timeouts(adapter) == [(5.0, 30.0)]


def test_waiting_run_uses_wait_read(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    client = make()
    client.run_workflow("wf", wait=True)
    client.run_workflow("wf")
    client.run_workflow("wf", wait=False)
    assert timeouts(adapter) == [(5.0, 300.0), (5.0, 30.0), (5.0, 30.0)]


def test_client_default_single_value(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    client = make(timeout=10)
    assert client.timeout == Timeout(10)
    client.get_instance("i")
    client.run_workflow("wf", wait=True)
    assert timeouts(adapter) == [(10.0, 10.0), (10.0, 10.0)]


def test_client_default_per_phase(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    client = make(timeout=Timeout(connect=1, read=2, wait_read=None))
    client.get_instance("i")
    client.run_workflow("wf", wait=True)
    assert timeouts(adapter) == [(1.0, 2.0), (1.0, None)]


def test_client_without_limits(make: Callable[..., OrchestrationClient], adapter: CapturingAdapter) -> None:
    client = make(timeout=None)
    client.get_instance("i")
    client.run_workflow("wf", wait=True)
    assert timeouts(adapter) == [None, None]


def test_per_call_overrides(make: Callable[..., OrchestrationClient], adapter: CapturingAdapter) -> None:
    client = make()
    client.list_workflows(timeout=3)
    client.list_workflows(timeout=None)
    client.list_workflows(timeout=Timeout(connect=1, read=4))
    client.run_workflow("wf", wait=True, timeout=Timeout(2, wait_read=900))
    client.run_workflow("wf", wait=True, timeout=42)
    client.list_workflows()  # the default again
    assert timeouts(adapter) == [(3.0, 3.0), None, (1.0, 4.0), (2.0, 900.0), (42.0, 42.0), (5.0, 30.0)]


def test_every_operation_takes_timeout(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    client = make()
    client.get_server_info(timeout=1.5)
    client.list_workflows(timeout=1.5)
    client.create_workflow({"stages": []}, timeout=1.5)
    client.get_workflow("wf", timeout=1.5)
    client.run_workflow("wf", timeout=1.5)
    client.list_instances(timeout=1.5)
    client.get_instance("i", timeout=1.5)
    client.send_event("i", "go", timeout=1.5)
    client.cancel_event("i", timeout=1.5)
    client.get_instance_history("i", timeout=1.5)
    client.get_instance_stage_history("i", 0, timeout=1.5)
    client.wait_for_instance("i", request_timeout=1.5)
    assert timeouts(adapter) == [(1.5, 1.5)] * 12


def test_token_request_uses_the_default_timeout(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    client = make(client_id="id", client_secret="secret", timeout=Timeout(connect=2, read=3))
    client.list_workflows(timeout=9)
    assert [(c["url"], c["timeout"]) for c in adapter.calls] == [
        (BASE + "/api/auth/oauth/token", (2.0, 3.0)),
        (BASE + "/api/orchestration/workflows", (9.0, 9.0)),
    ]


def test_bad_per_call_timeout_is_refused(
    make: Callable[..., OrchestrationClient], adapter: CapturingAdapter
) -> None:
    with pytest.raises(ValueError):
        make().list_workflows(timeout=-1)
    assert adapter.calls == []
