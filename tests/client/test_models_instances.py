"""Decoding and encoding of the bodies of the workflow and instance operations, as the service writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from formance_orchestration._converter import structure, unstructure
from formance_orchestration.models import (
    CreateWorkflowResponse,
    Error,
    GetWorkflowInstanceResponse,
    GetWorkflowResponse,
    ListRunsResponse,
    ListWorkflowsResponse,
    RunWorkflowResponse,
    SendEventRequest,
    ServerInfo,
    StageStatus,
    Workflow,
    WorkflowConfig,
    WorkflowInstance,
)

WF = "6a1f4c3e-8b2d-4e5f-9a0b-1c2d3e4f5a6b"
INST = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"


def test_run_without_wait_instance_has_no_status_nor_terminated_at() -> None:
    # non-wait run response: in-memory instance, nanosecond timestamps, "error":"" present
    body = json.loads(
        f'{{"data":{{"workflowID":"{WF}","id":"{INST}","createdAt":"2023-04-13T08:40:11.121544817Z",'
        '"updatedAt":"2023-04-13T08:40:11.121544817Z","terminated":false,"error":""}}\n'
    )
    instance = structure(body, RunWorkflowResponse).data
    assert instance == WorkflowInstance(
        workflow_id=WF,
        id=INST,
        created_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
        updated_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
        terminated=False,
        error="",
    )
    assert instance.status is None
    assert instance.terminated_at is None
    assert instance.error == ""


def test_waited_run_success_has_status_and_no_error_key() -> None:
    body = {
        "data": {
            "workflowID": WF,
            "id": INST,
            "createdAt": "2023-04-13T08:40:11.121544Z",
            "updatedAt": "2023-04-13T08:40:11.121544Z",
            "status": [
                {
                    "stage": 0,
                    "instanceID": INST,
                    "startedAt": "2023-04-13T08:40:11.13Z",
                    "terminatedAt": "2023-04-13T08:40:11.2Z",
                    "error": "",
                }
            ],
            "terminated": True,
            "terminatedAt": "2023-04-13T08:40:12Z",
        }
    }
    instance = structure(body, RunWorkflowResponse).data
    assert instance.error is None
    assert instance.terminated is True
    assert instance.terminated_at == datetime(2023, 4, 13, 8, 40, 12, tzinfo=UTC)
    assert instance.status == [
        StageStatus(
            stage=0,
            instance_id=INST,
            started_at=datetime(2023, 4, 13, 8, 40, 11, 130000, tzinfo=UTC),
            terminated_at=datetime(2023, 4, 13, 8, 40, 11, 200000, tzinfo=UTC),
            error="",
        )
    ]
    # encoding gives back the wire form (no "error" key since it was absent)
    assert unstructure(instance) == body["data"]


def test_failed_and_running_stage_rows() -> None:
    body = {
        "data": {
            "workflowID": WF,
            "id": INST,
            "createdAt": "2023-04-13T08:40:11Z",
            "updatedAt": "2023-04-13T08:40:11Z",
            "status": [
                {"stage": 0, "instanceID": INST, "startedAt": "2023-04-13T08:40:11Z", "error": ""},
            ],
            "terminated": False,
            "error": "",
        }
    }
    instance = structure(body, GetWorkflowInstanceResponse).data
    assert instance.status is not None
    assert instance.status[0].terminated_at is None
    assert instance.status[0].error == ""
    aborted = dict(body["data"], terminated=True, error="canceled", terminatedAt="2023-04-13T08:41:00Z")
    assert structure(aborted, WorkflowInstance).error == "canceled"


def test_list_instances_items_and_empty_list() -> None:
    items = [
        {
            "workflowID": WF,
            "id": f"{i:08d}-0000-4000-8000-000000000000",
            "createdAt": "2023-04-13T08:40:11.5Z",
            "updatedAt": "2023-04-13T08:40:11.5Z",
            "terminated": i % 2 == 0,
            **({"terminatedAt": "2023-04-13T08:40:12Z"} if i % 2 == 0 else {}),
            "error": "",
        }
        for i in range(4)
    ]
    runs = structure({"data": items}, ListRunsResponse)
    assert [r.terminated for r in runs.data] == [True, False, True, False]
    assert all(r.status is None for r in runs.data)
    assert unstructure(runs) == {"data": items}
    assert structure({"data": []}, ListRunsResponse) == ListRunsResponse(data=[])
    assert structure({"data": None}, ListRunsResponse) == ListRunsResponse(data=[])


def test_workflow_responses() -> None:
    workflow = {
        "id": WF,
        "config": {"name": "", "stages": []},
        "createdAt": "2023-04-13T08:39:07.1234Z",
        "updatedAt": "2023-04-13T08:39:07.1234Z",
    }
    created = structure({"data": workflow}, CreateWorkflowResponse)
    assert created.data.config == WorkflowConfig(name="", stages=[])
    assert created.data.created_at == datetime(2023, 4, 13, 8, 39, 7, 123400, tzinfo=UTC)
    assert structure({"data": workflow}, GetWorkflowResponse).data == created.data
    listed = structure(
        {"data": [workflow, dict(workflow, config={"name": "x", "stages": None})]}, ListWorkflowsResponse
    )
    assert [w.config for w in listed.data] == [
        WorkflowConfig(name="", stages=[]),
        WorkflowConfig(name="x", stages=None),
    ]
    assert unstructure(created) == {"data": workflow}
    assert structure({"data": []}, ListWorkflowsResponse).data == []


def test_unknown_fields_are_ignored_everywhere() -> None:
    body = {
        "data": {
            "workflowID": WF,
            "id": INST,
            "createdAt": "2023-04-13T08:40:11Z",
            "updatedAt": "2023-04-13T08:40:11Z",
            "terminated": False,
            "error": "",
            "status": [
                {"stage": 0, "instanceID": INST, "startedAt": "2023-04-13T08:40:11Z", "error": "", "x": 1}
            ],
            "deletedAt": None,
            "newField": {"nested": [1, 2]},
        },
        "cursor": {"hasMore": False},
    }
    instance = structure(body, GetWorkflowInstanceResponse).data
    assert instance.id == INST
    assert "newField" not in unstructure(instance)


def test_server_info_and_error_envelope() -> None:
    assert structure({"version": "develop"}, ServerInfo) == ServerInfo(version="develop")
    error = structure({"errorCode": "INTERNAL_ERROR", "errorMessage": "sql: no rows in result set"}, Error)
    assert error == Error(error_code="INTERNAL_ERROR", error_message="sql: no rows in result set")
    unknown = structure({"errorCode": "SOMETHING_NEW", "errorMessage": "x", "details": "y"}, Error)
    assert unknown.error_code == "SOMETHING_NEW"
    # the service omits empty keys
    assert structure({}, Error) == Error(error_code="", error_message="")
    assert unstructure(Error(error_code="VALIDATION", error_message="EOF")) == {
        "errorCode": "VALIDATION",
        "errorMessage": "EOF",
    }


def test_send_event_request() -> None:
    assert unstructure(SendEventRequest(name="go")) == {"name": "go"}
    assert structure({"name": ""}, SendEventRequest) == SendEventRequest(name="")


def test_encoding_omits_unset_optional_fields() -> None:
    created = datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)
    instance = WorkflowInstance(
        workflow_id=WF, id=INST, created_at=created, updated_at=created, terminated=False
    )
    assert unstructure(instance) == {
        "workflowID": WF,
        "id": INST,
        "createdAt": "2023-04-13T08:40:11Z",
        "updatedAt": "2023-04-13T08:40:11Z",
        "terminated": False,
    }
    status = StageStatus(stage=1, instance_id=INST, started_at=created, error="")
    assert unstructure(status) == {
        "stage": 1,
        "instanceID": INST,
        "startedAt": "2023-04-13T08:40:11Z",
        "error": "",
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("createdAt", "yesterday", ValueError),
        ("createdAt", 12, TypeError),
        ("terminated", "false", TypeError),
        ("id", None, TypeError),
        ("status", "x", TypeError),
    ],
)
def test_bad_values_raise(field: str, value: Any, error: type[Exception]) -> None:
    body = {
        "workflowID": WF,
        "id": INST,
        "createdAt": "2023-04-13T08:40:11Z",
        "updatedAt": "2023-04-13T08:40:11Z",
        "terminated": False,
    }
    body[field] = value
    with pytest.raises(error):
        structure(body, WorkflowInstance)


def test_missing_required_key_raises_key_error() -> None:
    with pytest.raises(KeyError, match="createdAt"):
        structure({"id": WF, "config": {}, "updatedAt": "2023-04-13T08:40:11Z"}, Workflow)


def test_non_object_raises_type_error_and_other_mappings_are_accepted() -> None:
    with pytest.raises(TypeError, match="WorkflowInstance"):
        structure(["x"], WorkflowInstance)
    info = structure(MappingProxyType({"version": "v1.2.3"}), ServerInfo)
    assert info == ServerInfo(version="v1.2.3")


def test_stage_number_accepts_integral_json_numbers() -> None:
    row = {"stage": 2.0, "instanceID": INST, "startedAt": "2023-04-13T08:40:11Z"}
    assert structure(row, StageStatus).stage == 2
    with pytest.raises(TypeError):
        structure(dict(row, stage=2.5), StageStatus)
