"""Deeply nested request bodies, and errors inside the fake, on both transports.

The service (Go) takes bodies nested up to 10,000 levels. The fake walks values recursively, so it
takes up to ``FAKE_MAX_DEPTH`` (128) levels, end to end through every operation even when the caller's
own stack is deep, and refuses deeper bodies with a 400 that says so, never a crash half-way (before,
a stage nested ~400 deep raised RecursionError into the caller in-process and answered an empty 500
over HTTP). Beyond Go's own limit the answer is Go's text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests

from fakeserver import Engine, FakeOrchestration, serve
from fakeserver._gojson import FAKE_MAX_DEPTH

BASE = "http://deep.test/api/orchestration"


def body(levels: int) -> bytes:
    """A workflow whose whole body is nested ``levels`` deep (object and array levels alternate)."""
    inner = levels - 3  # the body object, the stages array, the stage object
    opening = "".join('{"a":' if n % 2 == 0 else "[" for n in range(inner))
    closing = "".join("}" if n % 2 == 0 else "]" for n in reversed(range(inner)))
    return ('{"stages":[{"noop":' + opening + '"${x}"' + closing + "}]}").encode()


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def deep_call(frames: int, call: Any) -> Any:
    """``call()`` from ``frames`` frames further down the stack (a user's deep code)."""
    return call() if frames == 0 else deep_call(frames - 1, call)


def every_operation(base: str, raw: bytes) -> list[int]:
    headers = {"content-type": "application/json"}
    created = requests.post(base + "/workflows", data=raw, headers=headers, timeout=10)
    assert created.status_code == 201, created.content
    workflow_id = created.json()["data"]["id"]
    statuses = [requests.get(f"{base}/workflows/{workflow_id}", timeout=10).status_code]
    listed = requests.get(base + "/workflows", timeout=10)
    assert listed.json()["data"][0]["config"]["stages"] == json.loads(raw)["stages"]  # stored as sent
    run = requests.post(f"{base}/workflows/{workflow_id}/instances?wait=true", json={"x": "1"}, timeout=10)
    instance_id = run.json()["data"]["id"]
    history = requests.get(f"{base}/instances/{instance_id}/history", timeout=10)
    assert history.json()["data"][0]["name"] == "RunNoOp"
    statuses += [listed.status_code, run.status_code, history.status_code]
    statuses.append(requests.get(f"{base}/instances/{instance_id}/stages/0/history", timeout=10).status_code)
    return statuses


def test_the_body_helper_nests_as_asked() -> None:
    assert depth(json.loads(body(FAKE_MAX_DEPTH))) == FAKE_MAX_DEPTH


def test_the_deepest_body_the_fake_takes_works_end_to_end_in_process_from_a_deep_stack() -> None:
    with FakeOrchestration(base_url="http://deep.test"):
        statuses = deep_call(300, lambda: every_operation(BASE, body(FAKE_MAX_DEPTH)))
    assert statuses == [200, 200, 201, 200, 200]


def test_the_deepest_body_the_fake_takes_works_end_to_end_over_http() -> None:
    with serve() as server:
        assert every_operation(server.url + "/api/orchestration", body(FAKE_MAX_DEPTH)) == [
            200,
            200,
            201,
            200,
            200,
        ]


@pytest.mark.parametrize("levels", [FAKE_MAX_DEPTH + 1, 400, 900, 5_000, 10_000])
def test_deeper_bodies_are_refused_with_a_400_that_says_why(levels: int) -> None:
    expected = {
        "errorCode": "VALIDATION",
        "errorMessage": "unmarshalling json body: fakeserver: nested deeper than 128 levels "
        "(the fake's limit; the service takes up to 10,000)",
    }
    with FakeOrchestration(base_url="http://deep.test") as fake:
        answer = requests.post(BASE + "/workflows", data=body(levels), timeout=10)
        assert (answer.status_code, answer.json()) == (400, expected)
        assert fake.engine.list_workflows() == []
    with serve() as server:
        answer = requests.post(server.url + "/workflows", data=body(levels), timeout=10)
        assert (answer.status_code, answer.json()) == (400, expected)


def test_beyond_go_s_own_limit_the_answer_is_go_s() -> None:
    with FakeOrchestration(base_url="http://deep.test"):
        answer = requests.post(BASE + "/workflows", data=body(10_002), timeout=10)
    assert answer.status_code == 400
    assert answer.json()["errorMessage"] in (
        "unmarshalling json body: invalid character '{' exceeded max depth",
        "unmarshalling json body: invalid character '[' exceeded max depth",
    )


def test_a_deep_yaml_workflow_is_refused_the_same_way() -> None:
    nested = "stages:\n- noop:\n" + "".join("  " * (n + 2) + "a:\n" for n in range(400)) + "  " * 402 + "b\n"
    with FakeOrchestration(base_url="http://deep.test"):
        answer = requests.post(
            BASE + "/workflows",
            data=nested.encode(),
            headers={"content-type": "text/vnd.yaml"},
            timeout=10,
        )
    assert answer.status_code == 400
    assert answer.json()["errorMessage"] == (
        "unmarshalling yaml: fakeserver: nested deeper than 128 levels "
        "(the fake's limit; the service takes up to 10,000)"
    )


def test_an_error_inside_the_fake_is_a_500_in_process_too(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Engine) -> None:
        raise RecursionError("a bug of the fake")

    monkeypatch.setattr(Engine, "list_workflows", broken)
    with FakeOrchestration(base_url="http://deep.test"), caplog.at_level(logging.ERROR, "fakeserver"):
        answer = requests.get(BASE + "/workflows", timeout=10)  # no exception reaches the caller
        assert (answer.status_code, answer.content) == (500, b"")
        assert answer.headers["content-type"] == "application/json"
        assert requests.get(BASE + "/_info", timeout=10).status_code == 200  # and the fake goes on
    assert "unhandled error answering GET /api/orchestration/workflows" in caplog.text
