"""wait_for_instance: polls get_instance until terminated, with an injected clock and sleep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses

from formance_orchestration._client import OrchestrationClient
from formance_orchestration._exceptions import NotFoundError, WaitTimeoutError

ROOT = "http://orch.test/api/orchestration"
URL = ROOT + "/instances/inst-1"
MakeClient = Callable[..., OrchestrationClient]


def instance(terminated: bool, error: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "workflowID": "wf-1",
        "id": "inst-1",
        "createdAt": "2023-04-13T08:40:00Z",
        "updatedAt": "2023-04-13T08:40:00Z",
        "status": [{"stage": 0, "instanceID": "inst-1", "startedAt": "2023-04-13T08:40:00Z", "error": ""}],
        "terminated": terminated,
        "error": error,
    }
    if terminated:
        body["terminatedAt"] = "2023-04-13T08:40:05Z"
    return {"data": body}


class VirtualTime:
    """A monotonic clock and a sleep that advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def waiting_client(make_client: MakeClient, vt: VirtualTime) -> OrchestrationClient:
    return make_client(sleep=vt.sleep, monotonic=vt.monotonic)


def test_polls_until_terminated(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock, vt: VirtualTime
) -> None:
    rsps.add(responses.GET, URL, json=instance(False))
    rsps.add(responses.GET, URL, json=instance(False))
    rsps.add(responses.GET, URL, json=instance(True, error="canceled"))
    result = waiting_client.wait_for_instance("inst-1", timeout=30, poll_interval=2)
    assert result.terminated is True
    assert result.error == "canceled"
    assert result.id == "inst-1"
    assert len(rsps.calls) == 3
    assert vt.sleeps == [2.0, 2.0]


def test_already_terminated_returns_at_once(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock, vt: VirtualTime
) -> None:
    rsps.add(responses.GET, URL, json=instance(True))
    assert waiting_client.wait_for_instance("inst-1", timeout=0).terminated
    assert vt.sleeps == []


def test_times_out_with_a_clear_error(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock, vt: VirtualTime
) -> None:
    rsps.add(responses.GET, URL, json=instance(False))
    with pytest.raises(WaitTimeoutError) as info:
        waiting_client.wait_for_instance("inst-1", timeout=5, poll_interval=2)
    err = info.value
    assert isinstance(err, TimeoutError)
    assert err.instance_id == "inst-1"
    assert err.timeout == 5.0
    assert err.last is not None and err.last.terminated is False
    assert str(err) == "instance 'inst-1' still running after 5 s (4 polls)"
    assert vt.sleeps == [2.0, 2.0, 1.0]  # the last sleep is cut to the deadline
    assert len(rsps.calls) == 4


def test_errors_of_get_instance_propagate(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock
) -> None:
    rsps.add(
        responses.GET,
        URL,
        status=500,
        json={"errorCode": "INTERNAL_ERROR", "errorMessage": "Instance not found"},
    )
    with pytest.raises(NotFoundError):
        waiting_client.wait_for_instance("inst-1")


def test_no_timeout_waits_until_done(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock, vt: VirtualTime
) -> None:
    for _ in range(50):
        rsps.add(responses.GET, URL, json=instance(False))
    rsps.add(responses.GET, URL, json=instance(True))
    waiting_client.wait_for_instance("inst-1", timeout=None, poll_interval=10)
    assert len(vt.sleeps) == 50


def test_default_poll_interval_and_timeout(
    waiting_client: OrchestrationClient, rsps: responses.RequestsMock, vt: VirtualTime
) -> None:
    rsps.add(responses.GET, URL, json=instance(False))
    with pytest.raises(WaitTimeoutError):
        waiting_client.wait_for_instance("inst-1")
    assert vt.now == 60.0
    assert set(vt.sleeps) == {1.0}


@pytest.mark.parametrize(("kwargs"), [{"poll_interval": 0}, {"poll_interval": -1}, {"timeout": -1}])
def test_argument_validation(waiting_client: OrchestrationClient, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        waiting_client.wait_for_instance("inst-1", **kwargs)
