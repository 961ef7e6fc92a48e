"""verify against real servers on 127.0.0.1: each stack version of the fake, and a rewriting proxy."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from fakeserver import STACK_VERSIONS, FakeApp, serve
from formance_orchestration import OrchestrationClient
from formance_orchestration.verify import NAME_PREFIX, Plan, Report, build_plan, verify

Proxy = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="module")
def v31() -> Iterator[str]:
    with serve(stack_version="v3.1") as server:
        yield server.url


def _found(report: Report) -> set[tuple[int, str, str]]:
    return {(step.number, d.path, d.kind) for step in report.steps for d in step.differences}


def _shown(method: str, path: str, query: str, body: bytes | None) -> str:
    return f"{method} {path}?{query} {body!r}"


def _step(plan: Plan, title: str) -> int:
    (number,) = [step.number for step in plan.steps if step.title == title]
    return number


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_auto_names_the_version_of_the_stack_with_no_difference(version: str) -> None:
    with serve(stack_version=version) as server, OrchestrationClient(server.url) as client:
        report = verify(client, allow_ledger_writes=True)
    assert report.stack_version == version
    assert report.ok, report.summary()
    assert report.scores[version] == 0
    assert all(score > 0 for name, score in report.scores.items() if name != version)
    assert report.target_version == server.app.engine.stack.service_version
    assert {step.operation for step in report.steps} == {
        "getServerInfo",
        "createWorkflow",
        "getWorkflow",
        "listWorkflows",
        "runWorkflow",
        "listInstances",
        "getInstance",
        "sendEvent",
        "cancelEvent",
        "getInstanceHistory",
        "getInstanceStageHistory",
    }


def test_every_request_sent_was_printed_and_every_workflow_and_instance_is_safe() -> None:
    plan = build_plan(allow_ledger_writes=True)
    with serve(stack_version="v2.0") as server, OrchestrationClient(server.url) as client:
        verify(client, stack_version="v2.0", plan=plan)
        calls = list(server.calls)
        workflows = json.loads(client.session.get(server.url + "/_fake/state").content)["data"]
    id_pattern = r"\\\{(?:workflow|instance):[a-z-]+\\\}"
    patterns = [
        re.compile(
            re.sub(
                id_pattern,
                "[0-9a-f-]{36}",
                re.escape(_shown(step.call.method, step.call.path, step.call.query, step.call.body)),
            )
            + "$"
        )
        for step in plan.steps
    ]
    assert calls
    for call in calls:
        sent = _shown(
            call.method, call.path.removeprefix("/api/orchestration"), call.query, call.body or None
        )
        assert any(p.match(sent) for p in patterns), sent
    names = [w["config"]["name"] for w in workflows["workflows"]]
    assert names and all(name.startswith(f"{NAME_PREFIX}{plan.run_id}-") for name in names)
    assert workflows["instances"] and all(i["terminated"] for i in workflows["instances"])


def test_an_instance_left_running_is_aborted_by_the_cleanup() -> None:
    plan = build_plan(poll_interval=0.05, poll_timeout=0.3)
    with serve(stack_version="v3.1") as server, OrchestrationClient(server.url) as client:
        server.faults.add("sendEvent", status=503, times=2)  # the awaited event never arrives
        report = verify(client, stack_version="v3.1", plan=plan)
        instances = server.engine.list_instances()
    assert report.cleanup == ["aborted <instance:event> (HTTP 204)"]
    assert all(instance.terminated for instance in instances)
    ended = _step(plan, "read the event instance until it has ended")
    differences = {d.path for d in report.steps[ended - 1].differences}
    assert "poll" in differences


def _rename_workflow_id(
    method: str, path: str, status: int, ctype: str, body: bytes
) -> tuple[int, str, bytes]:
    if (
        method == "GET"
        and re.fullmatch(r"/api/orchestration/instances/[0-9a-f-]{36}", path)
        and status == 200
    ):
        payload = json.loads(body)
        data = payload["data"]
        payload["data"] = {("workflowId" if k == "workflowID" else k): v for k, v in data.items()}
        return status, ctype, json.dumps(payload).encode()
    return status, ctype, body


def _abort_status(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
    if method == "PUT" and path.endswith("/abort"):
        return 200, ctype, body
    return status, ctype, body


def _drop_key(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
    if method == "GET" and path.endswith("/history") and "/stages/" not in path:
        payload = json.loads(body)
        del payload["data"][0]["terminatedAt"]
        return status, ctype, json.dumps(payload).encode()
    return status, ctype, body


def _html_502(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
    if method == "GET" and path == "/api/orchestration/workflows":
        return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    return status, ctype, body


def _expected(plan: Plan, name: str) -> set[tuple[int, str, str]]:
    if name == "renamed field":
        steps = [
            _step(plan, f"read the {role} instance until {until}")
            for role in ("event", "aborted")
            for until in ("its first stage has started", "it has ended")
        ]
        return {
            (n, path, kind)
            for n in steps
            for path, kind in (("data.workflowID", "missing"), ("data.workflowId", "extra"))
        }
    if name == "changed status":
        return {(_step(plan, "abort it"), "status", "status")}
    if name == "dropped key":
        return {(_step(plan, "read the event instance's history"), "data[0].terminatedAt", "missing")}
    n = _step(plan, "list the workflows (this run's)")
    return {(n, "status", "status"), (n, "content-type", "content-type"), (n, "body", "body")}


REWRITES = {
    "renamed field": _rename_workflow_id,
    "changed status": _abort_status,
    "dropped key": _drop_key,
    "HTML 502": _html_502,
}


@pytest.mark.parametrize("name", [*REWRITES, "all at once"])
def test_each_rewrite_is_reported_at_its_step_and_path_and_nothing_else(
    v31: str, proxy: Proxy, name: str
) -> None:
    names = list(REWRITES) if name == "all at once" else [name]

    def rewrite(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
        for each in names:
            status, ctype, body = REWRITES[each](method, path, status, ctype, body)
        return status, ctype, body

    plan = build_plan()
    with proxy(v31, rewrite) as url, OrchestrationClient(url) as client:
        report = verify(client, plan=plan)
    assert report.stack_version == "v3.1"
    expected = set().union(*(_expected(plan, each) for each in names))
    assert _found(report) == expected
    assert {step.number for step in report.differing} == {number for number, _, _ in expected}


def test_the_fake_in_process_is_fresh_for_each_run() -> None:
    app = FakeApp(stack_version="v1.0")
    with serve(app) as server, OrchestrationClient(server.url) as client:
        first = verify(client, stack_version="v1.0")
        second = verify(client, stack_version="v1.0")
    assert first.ok and second.ok  # lists keep this run's items only: the first run's do not count
    assert first.run_id != second.run_id


def test_a_step_that_failed_on_the_target_skips_the_steps_that_need_it(v31: str, proxy: Proxy) -> None:
    def refuse_delay(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
        if method == "POST" and path == "/api/orchestration/workflows" and b'-delay"' in body:  # the answer
            return 500, "application/json", b'{"errorCode":"INTERNAL","errorMessage":"boom"}'
        return status, ctype, body

    plan = build_plan()
    with proxy(v31, refuse_delay) as url, OrchestrationClient(url) as client:
        report = verify(client, stack_version="v3.1", plan=plan)
    by_title = {step.title: step for step in report.steps}
    created = by_title["create the delay workflow"]
    assert (
        created.verdict == "differs" and created.differences[0].describe() == "status: target 500, fake 201"
    )
    for title in ("read the delay workflow", "run the delay workflow with wait=true"):
        assert by_title[title].verdict == "skipped"
        assert by_title[title].note == "no workflow 'delay' was created on the target"
    assert by_title["read the event instance until it has ended"].verdict == "same"
    assert report.summary().startswith(f"{len(plan.steps)} steps against fake v3.1: ")
    assert "2 skipped" in report.summary()
