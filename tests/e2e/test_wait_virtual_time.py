"""Waiting on the fake's virtual time (issue 15, item 1): whoever built the client, whatever the poll
interval, ``wait_for_instance`` skips the fake's timers instead of sleeping through them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from fakeserver import Engine, FakeApp, FakeOrchestration, SystemClock
from fakeserver._wait_hint import CLOCK_HEADER, SKIPPED_HEADER, WAIT_HEADER
from formance_orchestration import OrchestrationClient, WaitTimeoutError, _client

BASE = "http://wait.test"

DELAYED_SEND: dict[str, Any] = {
    "name": "payout",
    "stages": [
        {"delay": {"duration": "1h"}},
        {"send": {"source": {"account": {"id": "world"}}, "destination": {"account": {"id": "users:1"}},
                  "amount": {"asset": "USD/2", "amount": 100}}},
        {"delay": {"duration": "30m"}},
    ],
}  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeOrchestration]:
    with FakeOrchestration(base_url=BASE) as fake:
        yield fake


class _Sleeps:
    """A sleep that records what it was asked and does not sleep (real time goes on as usual)."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def _run(client: OrchestrationClient, config: dict[str, Any]) -> str:
    workflow = client.create_workflow(config).data
    return client.run_workflow(workflow.id).data.id


def test_the_header_names_are_the_same_on_both_sides() -> None:
    assert _client.WAIT_HEADER.lower() == WAIT_HEADER
    assert (_client.FAKE_CLOCK_HEADER, _client.FAKE_SKIPPED_HEADER) == (CLOCK_HEADER, SKIPPED_HEADER)


@pytest.mark.parametrize("poll_interval", [0.1, 1.0, 60.0])
def test_a_client_the_app_built_skips_an_hour_and_a_half_of_delays(
    fake: FakeOrchestration, poll_interval: float
) -> None:
    sleeps = _Sleeps()
    with OrchestrationClient(BASE, sleep=sleeps) as client:  # real monotonic: the app's own client
        instance_id = _run(client, DELAYED_SEND)
        started = fake.clock.now()
        done = client.wait_for_instance(instance_id, timeout=None, poll_interval=poll_interval)
    assert done.terminated and not done.error
    assert fake.clock.now() - started == timedelta(minutes=90)
    assert sleeps.asked == []  # each poll skipped to the next timer
    assert fake.bank.balance("users:1", "USD/2") == 100
    polls = [call for call in fake.calls if call.operation == "getInstance"]
    assert len(polls) == 2  # one per timer: each skips to it, then answers


def test_with_real_sleep_and_defaults_an_hour_delay_ends_at_once(fake: FakeOrchestration) -> None:
    with OrchestrationClient(BASE) as client:
        instance_id = _run(client, {"stages": [{"delay": {"duration": "1h"}}]})
        real_start = time.monotonic()
        done = client.wait_for_instance(instance_id, timeout=3600)
    assert done.terminated
    assert time.monotonic() - real_start < 30  # the test's own bound; the wait takes milliseconds


def test_a_timeout_shorter_than_the_delay_gives_up_at_once_in_virtual_time(fake: FakeOrchestration) -> None:
    sleeps = _Sleeps()
    with OrchestrationClient(BASE, sleep=sleeps) as client:
        instance_id = _run(client, {"stages": [{"delay": {"duration": "1h"}}]})
        started = fake.clock.now()
        with pytest.raises(WaitTimeoutError) as error:
            client.wait_for_instance(instance_id)  # the default 60 s
    assert error.value.last is not None and not error.value.last.terminated
    assert fake.clock.now() - started == timedelta(seconds=60)  # the fake let 60 s pass, no more
    assert sleeps.asked == []


def test_a_send_retrying_on_missing_funds_times_out_in_virtual_time(fake: FakeOrchestration) -> None:
    config = {
        "stages": [
            {"send": {"source": {"account": {"id": "users:empty"}}, "destination": {"account": {"id": "x"}},
                      "amount": {"asset": "USD/2", "amount": 5}}}
        ]
    }  # fmt: skip
    with OrchestrationClient(BASE, sleep=_Sleeps()) as client:
        instance_id = _run(client, config)
        started = fake.clock.now()
        with pytest.raises(WaitTimeoutError):
            client.wait_for_instance(instance_id, timeout=300)
    assert fake.clock.now() - started == timedelta(seconds=300)


def test_the_wire_the_fake_answers_a_waiting_poll(fake: FakeOrchestration) -> None:
    with OrchestrationClient(BASE) as client:
        instance_id = _run(
            client, {"stages": [{"delay": {"duration": "10s"}}, {"wait_event": {"event": "go"}}]}
        )
    url = f"{BASE}/api/orchestration/instances/{instance_id}"
    before = fake.clock.now().timestamp()
    plain = requests.get(url)
    assert CLOCK_HEADER not in plain.headers and "terminatedAt" not in plain.json()["data"]["status"][0]
    first = requests.get(url, headers={"X-Orchestration-Wait": "5"})  # the timer is later: skip 5 s
    assert float(first.headers[SKIPPED_HEADER]) == 5.0
    assert float(first.headers[CLOCK_HEADER]) == pytest.approx(before + 5)
    second = requests.get(url, headers={"X-Orchestration-Wait": "none"})  # to the timer
    assert float(second.headers[SKIPPED_HEADER]) == 5.0
    assert [s["stage"] for s in second.json()["data"]["status"]] == [0, 1]
    third = requests.get(url, headers={"X-Orchestration-Wait": "none"})  # an event: nothing to skip
    assert float(third.headers[SKIPPED_HEADER]) == 0.0
    bad = requests.get(url, headers={"X-Orchestration-Wait": "soon"})
    assert bad.status_code == 200 and float(bad.headers[SKIPPED_HEADER]) == 0.0
    missing = requests.get(f"{BASE}/api/orchestration/instances/nope", headers={"X-Orchestration-Wait": "9"})
    assert missing.status_code == 500 and float(missing.headers[SKIPPED_HEADER]) == 0.0


def test_an_event_from_another_thread_ends_a_wait_in_real_time(fake: FakeOrchestration) -> None:
    with OrchestrationClient(BASE) as client:
        instance_id = _run(client, {"stages": [{"wait_event": {"event": "go"}}]})
        sender = threading.Timer(0.2, lambda: client.send_event(instance_id, "go"))
        sender.start()
        try:
            done = client.wait_for_instance(instance_id, timeout=30, poll_interval=0.05)
        finally:
            sender.join()
    assert done.terminated


def test_on_a_wall_clock_the_fake_sends_no_hint() -> None:
    with FakeOrchestration(FakeApp(Engine(clock=SystemClock())), base_url=BASE) as fake:
        sleeps = _Sleeps()
        with OrchestrationClient(BASE, sleep=sleeps) as client:
            instance_id = _run(client, {"stages": [{"delay": {"duration": "1h"}}]})
            with pytest.raises(WaitTimeoutError):
                client.wait_for_instance(instance_id, timeout=0.3, poll_interval=0.01)
        assert sleeps.asked  # no skipping: it polled and slept
        url = f"{BASE}/api/orchestration/instances/{instance_id}"
        answer = requests.get(url, headers={"X-Orchestration-Wait": "none"})
        assert answer.status_code == 200 and CLOCK_HEADER not in answer.headers
        assert len(fake.calls) > 3


def test_over_real_http_too() -> None:
    from fakeserver import serve

    with serve() as server, OrchestrationClient(server.url, sleep=_Sleeps()) as client:
        instance_id = _run(client, {"stages": [{"delay": {"duration": "2h"}}]})
        assert client.wait_for_instance(instance_id, timeout=None).terminated
