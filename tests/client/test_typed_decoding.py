"""The typed fast path (msgspec parses into mirror structs of the models) gives exactly what the
ordinary path (``loads`` then ``structure``) gives, or steps aside for it: same models, same
``_sent`` keys (so the same round trip), same typed errors for bad bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import responses

from benchmarks._bodies import Bodies
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._converter import structure, unstructure
from formance_orchestration._exceptions import DecodeError
from formance_orchestration._typed import Fallback, typed_decoder
from formance_orchestration.models import (
    GetWorkflowInstanceHistoryStageResponse,
    GetWorkflowInstanceResponse,
    GetWorkflowResponse,
    ListRunsResponse,
    ListWorkflowsResponse,
    Model,
    RawStage,
    StageSend,
    WorkflowInstanceHistoryStage,
)

ROOT = "http://orch.test/api/orchestration"
T0 = "2023-04-13T08:40:11.121544817Z"
BODIES = Bodies(workflows=12, instances=12, activities=14)


def _sent(value: Any) -> list[Any]:
    """Every ``_sent`` slot in a decoded value, in order (equality ignores them)."""
    found: list[Any] = []
    if isinstance(value, Model):
        found.append(getattr(value, "_sent", None))
        for name in type(value).__attrs_attrs__:  # type: ignore[attr-defined]
            found += _sent(getattr(value, name.name))
    elif isinstance(value, list):
        for item in value:
            found += _sent(item)
    elif isinstance(value, dict):
        for item in value.values():
            found += _sent(item)
    return found


def _fast(cls: Any, content: bytes) -> Any:
    decode = typed_decoder(cls)
    assert decode is not None
    return decode(content, True)


def _instance(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "workflowID": "w",
        "id": "i",
        "createdAt": T0,
        "updatedAt": T0,
        "terminated": True,
        "terminatedAt": "2023-04-13T08:41:00Z",
        "error": "",
    }
    item.update(changes)
    return item


def _runs(*items: dict[str, Any]) -> bytes:
    return json.dumps({"data": list(items)}).encode()


WORKFLOW_V31 = {  # stack v3.1: an instance read back embeds its workflow (with deletedAt null)
    "id": "w",
    "config": {"name": "n", "stages": [{"noop": {}}, {"webhook": {"url": "u"}}]},
    "createdAt": T0,
    "updatedAt": T0,
    "deletedAt": None,
}
STATUS = [{"stage": 0, "instanceID": "i", "startedAt": T0, "terminatedAt": T0, "error": ""}]

CASES: list[tuple[Any, bytes]] = [
    (ListRunsResponse, BODIES.instances_bytes),
    (ListWorkflowsResponse, BODIES.workflows_bytes),
    (GetWorkflowInstanceResponse, BODIES.instance_bytes),
    (GetWorkflowInstanceHistoryStageResponse, BODIES.stage_history_bytes),
    (ListRunsResponse, _runs(_instance(workflow=WORKFLOW_V31, status=STATUS))),
    (ListRunsResponse, _runs(_instance(workflow={**WORKFLOW_V31, "deletedAt": T0}, status=None))),
    (ListRunsResponse, _runs(_instance(terminated=False, terminatedAt=None, error=None, extra={"x": 1}))),
    (ListRunsResponse, b'{"data": null}'),
    (ListRunsResponse, b'{"data": []}'),
]


@pytest.mark.parametrize(("cls", "content"), CASES)
def test_the_fast_path_gives_the_models_of_the_ordinary_path(cls: Any, content: bytes) -> None:
    fast = _fast(cls, content)
    ordinary = structure(json.loads(content), cls)
    assert type(fast) is cls
    assert fast == ordinary
    assert _sent(fast) == _sent(ordinary)
    assert unstructure(fast) == unstructure(ordinary)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (T0, datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)),  # 9 digits: truncated, as Go does
        ("2023-04-13T08:40:11.9999999Z", datetime(2023, 4, 13, 8, 40, 11, 999999, tzinfo=UTC)),
        ("2023-04-13T08:40:11Z", datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)),
        (
            "2023-04-13T10:40:11.5+02:00",
            datetime(2023, 4, 13, 10, 40, 11, 500000, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2023-04-13T08:40:11", datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)),  # no offset: UTC
        ("2023-04-13t08:40:11.25z", datetime(2023, 4, 13, 8, 40, 11, 250000, tzinfo=UTC)),
    ],
)
def test_timestamps_read_as_the_converter_reads_them(text: str, expected: datetime) -> None:
    content = _runs(_instance(createdAt=text, updatedAt=text, terminatedAt=text))
    item = _fast(ListRunsResponse, content).data[0]
    assert item.created_at == item.updated_at == item.terminated_at == expected
    assert item.created_at.utcoffset() == expected.utcoffset()
    assert item == structure(json.loads(content), ListRunsResponse).data[0]


def test_huge_integers_stay_exact() -> None:
    status = [{**STATUS[0], "stage": 2**80 + 1}]
    content = json.dumps({"data": _instance(status=status)}).encode()
    assert _fast(GetWorkflowInstanceResponse, content).data.status[0].stage == 2**80 + 1


@pytest.mark.parametrize(
    "content",
    [
        _runs(_instance(status=[{**STATUS[0], "stage": "1"}])),  # the converter reads integer texts
        _runs(_instance(status=[{**STATUS[0], "stage": 1.0}])),  # and integral floats
        _runs(_instance(workflow={**WORKFLOW_V31, "config": {"stages": [{"send": None}]}})),
        b'{"data": [], "x": NaN}',  # what msgspec refuses and json.loads reads
        b'{"data": [], "data": null}',  # the last of duplicate keys wins, on both paths
    ],
)
def test_what_the_mirror_refuses_is_left_to_the_ordinary_path(content: bytes) -> None:
    ordinary = structure(json.loads(content), ListRunsResponse)
    try:
        fast = _fast(ListRunsResponse, content)
    except Fallback:
        fast = ordinary
    assert fast == ordinary


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_runs(_instance(createdAt="yesterday")), "not an RFC 3339 timestamp: 'yesterday'"),
        (_runs(_instance(createdAt="2023-02-30T00:00:00Z")), "2023-02-30T00:00:00Z"),
        (_runs(_instance(id=None)), "WorkflowInstance.id: expected a string, got NoneType"),
        (_runs(_instance(terminated="yes")), "WorkflowInstance.terminated: expected a boolean"),
        (_runs({k: v for k, v in _instance().items() if k != "id"}), "KeyError: 'id'"),
        (_runs(_instance(status=[{**STATUS[0], "stage": "one"}])), "expected an integer, got 'one'"),
        (b'{"items": []}', 'the body has no "data" member'),
        (b"[]", 'the body has no "data" member'),
        (b'{"data": {}}', "expected an array, got dict"),
        (b'{"data": [', "the body is not JSON"),
    ],
)
def test_bad_bodies_raise_the_same_typed_error(
    client: OrchestrationClient, rsps: responses.RequestsMock, content: bytes, reason: str
) -> None:
    with pytest.raises(Fallback):  # the fast path steps aside, the ordinary path says why
        _fast(ListRunsResponse, content)
    rsps.add(responses.GET, ROOT + "/instances", body=content)
    with pytest.raises(DecodeError) as raised:
        client.list_instances()
    assert reason in str(raised.value)
    assert raised.value.operation == "listInstances"
    assert raised.value.status_code == 200


def test_the_client_takes_the_fast_path_for_well_formed_bodies(
    client: OrchestrationClient, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formance_orchestration import _http

    def ordinary(*_: Any) -> Any:
        raise AssertionError("the ordinary path was taken")

    monkeypatch.setattr(_http, "structure_owned", ordinary)
    rsps.add(responses.GET, ROOT + "/instances", body=BODIES.instances_bytes)
    rsps.add(responses.GET, ROOT + "/workflows/w", body=json.dumps({"data": WORKFLOW_V31}).encode())
    assert len(client.list_instances().data) == 12
    workflow = client.get_workflow("w").data
    assert (workflow.config.stages or [])[1] == RawStage(type="webhook", params={"url": "u"})


def test_stages_and_activities_are_typed_by_the_converter_in_the_fast_path() -> None:
    history = _fast(GetWorkflowInstanceHistoryStageResponse, BODIES.stage_history_bytes).data
    assert all(type(item) is WorkflowInstanceHistoryStage for item in history)
    assert {type(item.input).__name__ for item in history} >= {"ActivityGetWallet", "ActivityGetPayment"}
    body = {"data": {"id": "w", "config": {"stages": [{"send": {}}]}, "createdAt": T0, "updatedAt": T0}}
    workflow = _fast(GetWorkflowResponse, json.dumps(body).encode()).data
    assert [type(stage) for stage in workflow.config.stages or []] == [StageSend]
    assert workflow == structure(body, GetWorkflowResponse).data
