"""Rendering of hand-built views: key order, key presence, timestamps, Go's JSON bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fakeserver._stack_versions import stack_version
from fakeserver._views import (
    ActivityView,
    InstanceView,
    RunOutcome,
    StageHistoryView,
    StageStatusView,
    WorkflowView,
)
from fakeserver._wire import (
    activity,
    data_body,
    error_body,
    format_time,
    instance,
    json_bytes,
    run_outcome,
    stage_history,
    workflow,
)

T0 = datetime(2023, 4, 13, 8, 39, 7, 123400, tzinfo=UTC)
T1 = datetime(2023, 4, 13, 8, 40, 0, tzinfo=UTC)
WF = "0b6a0ba5-0d3c-4c7e-9d0e-2a8a31c1d8f4"
INST = "5f0b8c3e-7d7e-4c35-a3c1-1c6f2f0a9b3d"

V1_0 = stack_version("v1.0")  # these tests pin the mid-2023 rendering byte for byte


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (T0, "2023-04-13T08:39:07.1234Z"),
        (T1, "2023-04-13T08:40:00Z"),
        (datetime(2023, 4, 13, 8, 39, 7, 1, tzinfo=UTC), "2023-04-13T08:39:07.000001Z"),
        (datetime(2023, 4, 13, 8, 39, 7, 120000, tzinfo=UTC), "2023-04-13T08:39:07.12Z"),
        (datetime(2023, 4, 13, 10, 39, 7, tzinfo=timezone(timedelta(hours=2))), "2023-04-13T08:39:07Z"),
        (datetime(2023, 4, 13, 8, 39, 7, 500000), "2023-04-13T08:39:07.5Z"),  # naive: taken as UTC
    ],
)
def test_format_time(value: datetime, text: str) -> None:
    assert format_time(value) == text


def test_json_bytes_is_gos_encoder_output() -> None:
    assert json_bytes({"b": 1, "a": [True, None, "x"]}) == b'{"b":1,"a":[true,null,"x"]}\n'
    # raw UTF-8, HTML-safe escapes, U+2028/9 escaped, \b and \f as \u00XX, other escapes untouched
    value = {"s": 'é<a>&\u2028\u2029\b\f\n\t"\\b'}
    expected = '{"s":"é\\u003ca\\u003e\\u0026\\u2028\\u2029\\u0008\\u000c\\n\\t\\"\\\\b"}\n'
    assert json_bytes(value) == expected.encode("utf-8")
    assert json.loads(json_bytes(value)) == value


def test_envelopes() -> None:
    assert data_body([]) == b'{"data":[]}\n'
    assert error_body("VALIDATION", "EOF") == b'{"errorCode":"VALIDATION","errorMessage":"EOF"}\n'
    assert error_body("INTERNAL_ERROR", "") == b'{"errorCode":"INTERNAL_ERROR"}\n'


def test_workflow_key_order_and_null_stages() -> None:
    view = WorkflowView(id=WF, name="", stages=None, created_at=T0, updated_at=T0)
    assert json_bytes(workflow(view, V1_0)) == (
        b'{"id":"' + WF.encode() + b'","config":{"name":"","stages":null},'
        b'"createdAt":"2023-04-13T08:39:07.1234Z","updatedAt":"2023-04-13T08:39:07.1234Z"}\n'
    )
    stages: list[dict[str, Any]] = [{"delay": {"duration": "1s"}}, {"noop": {}}]
    rendered = workflow(WorkflowView(id=WF, name="n", stages=stages, created_at=T0, updated_at=T0), V1_0)
    assert rendered["config"] == {"name": "n", "stages": stages}


def _status(stage: int, *, ended: bool, error: str = "") -> StageStatusView:
    return StageStatusView(
        stage=stage, instance_id=INST, started_at=T0, terminated_at=T1 if ended else None, error=error
    )


def _instance(
    *, terminated: bool, status: tuple[StageStatusView, ...] | None, error: str = ""
) -> InstanceView:
    return InstanceView(
        workflow_id=WF,
        id=INST,
        created_at=T0,
        updated_at=T0,
        terminated=terminated,
        terminated_at=T1 if terminated else None,
        error=error,
        status=status,
    )


def test_running_instance() -> None:
    rendered = instance(_instance(terminated=False, status=None), V1_0)
    assert list(rendered) == ["workflowID", "id", "createdAt", "updatedAt", "terminated", "error"]
    assert rendered["error"] == ""


def test_terminated_instance_key_order() -> None:
    view = _instance(terminated=True, status=(_status(0, ended=True), _status(1, ended=False)))
    rendered = instance(view, V1_0)
    assert list(rendered) == [
        "workflowID",
        "id",
        "createdAt",
        "updatedAt",
        "terminated",
        "terminatedAt",
        "status",
        "error",
    ]
    assert rendered["status"] == [
        {
            "stage": 0,
            "instanceID": INST,
            "startedAt": "2023-04-13T08:39:07.1234Z",
            "terminatedAt": "2023-04-13T08:40:00Z",
            "error": "",
        },
        {"stage": 1, "instanceID": INST, "startedAt": "2023-04-13T08:39:07.1234Z", "error": ""},
    ]
    assert list(rendered["status"][0]) == ["stage", "instanceID", "startedAt", "terminatedAt", "error"]


def test_empty_status_is_omitted() -> None:
    assert "status" not in instance(_instance(terminated=True, status=()), V1_0)


def test_run_outcome_wait_error_rules() -> None:
    view = _instance(terminated=True, status=(_status(0, ended=True, error="canceled"),), error="canceled")
    assert run_outcome(RunOutcome(instance=view, waited=False), V1_0)["error"] == "canceled"
    success = run_outcome(RunOutcome(instance=view, waited=True, wait_error=""), V1_0)
    assert "error" not in success  # hidden by the wait answer's own, empty, error
    failed_run = RunOutcome(instance=view, waited=True, wait_error="x (type: T, retryable: true)")
    failed = run_outcome(failed_run, V1_0)
    assert list(failed)[-1] == "error"
    assert failed["error"] == "x (type: T, retryable: true)"


def test_stage_history_item() -> None:
    running = StageHistoryView(
        name="RunWaitEvent",
        input={"event": "go"},
        error="",
        terminated=False,
        started_at=T0,
        terminated_at=None,
    )
    assert stage_history(running) == {
        "name": "RunWaitEvent",
        "input": {"event": "go"},
        "terminated": False,
        "startedAt": "2023-04-13T08:39:07.1234Z",
    }
    send_input = {
        "source": {"account": {"ledger": "default", "id": "world"}},
        "amount": {"asset": "X", "amount": 1},
    }
    failed = StageHistoryView(
        name="RunSend", input=send_input, error="boom", terminated=True, started_at=T0, terminated_at=T1
    )
    rendered = stage_history(failed)
    assert list(rendered) == ["name", "input", "error", "terminated", "startedAt", "terminatedAt"]
    assert json.dumps(rendered["input"]) == json.dumps(
        {"amount": {"amount": 1, "asset": "X"}, "source": {"account": {"id": "world", "ledger": "default"}}}
    )


def test_activity_items() -> None:
    pending = ActivityView(
        name="CreateTransaction",
        input={"ledger": "default", "data": {"postings": [], "metadata": {}}},
        output=None,
        error="",
        terminated=False,
        started_at=T0,
        terminated_at=None,
        last_failure="account had insufficient funds",
        attempt=3,
        next_execution=T1,
    )
    rendered = activity(pending, V1_0)
    assert list(rendered) == [
        "name",
        "input",
        "terminated",
        "startedAt",
        "lastFailure",
        "attempt",
        "nextExecution",
    ]
    assert list(rendered["input"]["CreateTransaction"]) == ["data", "ledger"]
    assert rendered["nextExecution"] == "2023-04-13T08:40:00Z"
    done = ActivityView(
        name="GetWallet",
        input={"id": "w1"},
        output={"data": {"id": "w1"}},
        error="cancelled",
        terminated=True,
        started_at=T0,
        terminated_at=T1,
        last_failure="",
        attempt=1,
        next_execution=None,
    )
    assert activity(done, V1_0) == {
        "name": "GetWallet",
        "input": {"GetWallet": {"id": "w1"}},
        "output": {"GetWallet": {"data": {"id": "w1"}}},
        "error": "cancelled",
        "terminated": True,
        "startedAt": "2023-04-13T08:39:07.1234Z",
        "terminatedAt": "2023-04-13T08:40:00Z",
        "attempt": 1,
    }
    assert list(activity(done, V1_0)) == [
        "name", "input", "output", "error", "terminated", "startedAt", "terminatedAt", "attempt"
    ]  # fmt: skip
