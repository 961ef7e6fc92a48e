"""Area 3: the fake in-process through ``responses``, against static ``responses`` routes.

Subject: ``FakeOrchestration`` routes registered on a ``responses.RequestsMock`` (routing, engine,
wire rendering per call). Baseline: a ``RequestsMock`` with static routes answering the very bytes the
fake answered; their URLs are anchored compiled regexes, the cheapest match ``responses`` offers (a
plain string URL costs two ``urllib3`` URL parses per call and would flatter the fake). Both are
driven by the same bare ``requests.Session`` (``trust_env`` off, as in area 1); each side's mock is
started around its own loops only (outside the timing), so each sees just its own routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import requests
import responses

from benchmarks._harness import Result, Settings, Target, compare, result_from_pair

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "fake"
EXPECTED = ("fake.get_instance", "fake.list_instances", "fake.run_workflow", "fake.scenario")

READ_TARGET = 0.7
_PREFIX = "/api/orchestration"
_FAKE = "http://fake.invalid" + _PREFIX
_STATIC = "http://static.invalid" + _PREFIX

#: The scenario's workflow: a send from the ledger's world account, a one-minute delay, an event.
SCENARIO_STAGES: list[dict[str, Any]] = [
    {
        "send": {
            "amount": {"amount": 100, "asset": "USD/2"},
            "destination": {"account": {"id": "users:${user}", "ledger": "default"}},
            "source": {"account": {"id": "world", "ledger": "default"}},
        }
    },
    {"delay": {"duration": "1m"}},
    {"wait_event": {"event": "approved"}},
]


def _activated(mock: responses.RequestsMock) -> Callable[[], AbstractContextManager[object]]:
    @contextmanager
    def active() -> Iterator[object]:
        mock.start()
        try:
            yield mock
        finally:
            mock.stop(allow_assert=False)

    return active


def _expect(response: requests.Response, status: int) -> requests.Response:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.url} answered {response.status_code} "
            f"(expected {status}): {response.content[:300]!r}"
        )
    return response


def run(settings: Settings) -> list[Result]:
    """Measure getInstance, listInstances, runWorkflow and the scenario; target: reads >= 0.7 of static."""
    from fakeserver._app import FakeApp
    from fakeserver._clock import ManualClock
    from fakeserver._engine import Engine
    from fakeserver.responses_adapter import FakeOrchestration

    engine = Engine(clock=ManualClock())
    fake = FakeOrchestration(FakeApp(engine), base_url="http://fake.invalid")
    fake_mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    fake.register(fake_mock)
    static_mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    fake_on = _activated(fake_mock)
    static_on = _activated(static_mock)
    session = requests.Session()
    session.trust_env = False  # no per-call scan of the environment for proxies (see _stub.py)

    listed = engine.create_workflow({"name": "one-noop", "stages": [{"noop": {}}]})
    instance_ids = [engine.run_workflow(listed.id).instance.id for _ in range(10)]
    runs = engine.create_workflow({"name": "one-noop, run by the benchmark", "stages": [{"noop": {}}]})
    scenario_flow = engine.create_workflow({"name": "send-delay-wait", "stages": SCENARIO_STAGES})

    def static(method: str, path: str, status: int, body: bytes) -> None:
        url = re.compile(re.escape(_STATIC + path) + "$")
        static_mock.add(method, url, body=body, status=status, content_type="application/json")

    # Record what the fake answers, and serve the same bytes from static routes.
    instance_path = f"/instances/{instance_ids[0]}"
    list_path = f"/instances?workflowID={listed.id}"
    run_path = f"/workflows/{runs.id}/instances"
    with fake_on():
        static("GET", instance_path, 200, _expect(session.get(_FAKE + instance_path), 200).content)
        static("GET", list_path, 200, _expect(session.get(_FAKE + list_path), 200).content)
        static("POST", run_path, 201, _expect(session.post(_FAKE + run_path), 201).content)
        recorded: dict[tuple[str, str], tuple[int, bytes]] = {}
        scenario_once(session, _FAKE, scenario_flow.id, engine.advance, recorded)
    for (method, path), (status, body) in recorded.items():
        static(method, path, status, body)

    def get(base: str, path: str) -> Callable[[], object]:
        return lambda: session.get(base + path).content

    def post(base: str, path: str) -> Callable[[], object]:
        return lambda: session.post(base + path).content

    def scenario(base: str, advance: Callable[[float], object]) -> Callable[[], object]:
        return lambda: scenario_once(session, base, scenario_flow.id, advance, None)

    cases: list[tuple[str, str, Callable[[], object], Callable[[], object], float, Target | None]] = [
        (
            "fake.get_instance",
            "getInstance (1 noop stage)",
            get(_FAKE, instance_path),
            get(_STATIC, instance_path),
            1,
            Target(">=", READ_TARGET),
        ),
        (
            "fake.list_instances",
            f"listInstances?workflowID= ({len(instance_ids)} instances)",
            get(_FAKE, list_path),
            get(_STATIC, list_path),
            1,
            Target(">=", READ_TARGET),
        ),
        (
            "fake.run_workflow",
            "runWorkflow of a one-noop workflow",
            post(_FAKE, run_path),
            post(_STATIC, run_path),
            1,
            None,
        ),
        (
            "fake.scenario",
            "send -> delay -> wait_event scenario (6 HTTP calls + clock advance)",
            scenario(_FAKE, engine.advance),
            scenario(_STATIC, lambda _seconds: None),
            6,
            None,
        ),
    ]
    results = []
    for id_, title, subject, baseline, per_call, target in cases:
        if target is not None:  # a read: both sides must answer the very same bytes
            with fake_on():
                fake_body = subject()
            with static_on():
                if baseline() != fake_body:
                    raise RuntimeError(f"{id_}: the static route does not answer the fake's bytes")
        pair = compare(subject, baseline, settings, subject_context=fake_on, baseline_context=static_on)
        results.append(
            result_from_pair(
                pair,
                id=id_,
                title=title,
                subject_label="fake via responses",
                baseline_label="static responses route",
                ratio_label="fake/static rate",
                unit="calls/s",
                per_call=per_call,
                target=target,
            )
        )
    return results


def scenario_once(
    session: requests.Session,
    base: str,
    workflow_id: str,
    advance: Callable[[float], object],
    record: dict[tuple[str, str], tuple[int, bytes]] | None,
) -> None:
    """Run the scenario once: run, get, advance a minute, event, get, history, stage history.

    :param record: when given, collect (method, path) -> (status, body) and check the outcome.
    """
    run_path = f"/workflows/{workflow_id}/instances"
    answers: list[tuple[str, str, requests.Response]] = []
    response = session.post(base + run_path, json={"user": "001"})
    answers.append(("POST", run_path, response))
    instance_id = str(response.json()["data"]["id"])
    instance_path = f"/instances/{instance_id}"
    answers.append(("GET", instance_path, session.get(base + instance_path)))
    advance(60.0)
    events_path = f"{instance_path}/events"
    answers.append(("POST", events_path, session.post(base + events_path, json={"name": "approved"})))
    answers.append(("GET", instance_path, session.get(base + instance_path)))
    answers.append(("GET", f"{instance_path}/history", session.get(f"{base}{instance_path}/history")))
    stage_path = f"{instance_path}/stages/0/history"
    answers.append(("GET", stage_path, session.get(base + stage_path)))
    if record is None:
        return
    for (method, path, answer), status in zip(answers, (201, 200, 204, 200, 200, 200), strict=True):
        _expect(answer, status)
        record[(method, path)] = (status, answer.content)
    final = answers[3][2].json()["data"]
    if not final.get("terminated") or final.get("error"):
        raise RuntimeError(f"the scenario did not complete: {final!r}")
    if len(answers[4][2].json()["data"]) != 3 or len(answers[5][2].json()["data"]) != 1:
        raise RuntimeError("the scenario's histories do not show 3 stages and 1 activity")
