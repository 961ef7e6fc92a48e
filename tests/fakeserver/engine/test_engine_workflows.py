"""Workflows: creation checks (conformance cases 2-16), storage as submitted, server info."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._errors import InvalidRequest, ServiceError

T0 = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def make_engine() -> Engine:
    return Engine(clock=ManualClock(T0), ids=counter_ids(), stack_version="v1.0")


SEND = {
    "send": {
        "source": {"account": {"id": "world", "ledger": "default"}},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "amount": {"amount": 100, "asset": "EUR/2"},
    }
}


def creation_error(config: dict[str, Any]) -> str:
    engine = make_engine()
    with pytest.raises(ServiceError) as info:
        engine.create_workflow(config)
    assert engine.list_workflows() == []
    return info.value.message


def test_list_empty() -> None:
    assert make_engine().list_workflows() == []


def test_create_empty_stages() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": []})
    assert wf.id == "00000000-0000-4000-8000-000000000001"
    assert wf.stages == []
    assert wf.name == ""
    assert wf.created_at == wf.updated_at == T0


def test_create_default_ids_are_lowercase_uuid4() -> None:
    wf = Engine(clock=ManualClock(T0)).create_workflow({"stages": []})
    assert len(wf.id) == 36 and wf.id == wf.id.lower() and wf.id[14] == "4"


def test_create_named_send() -> None:
    wf = make_engine().create_workflow({"name": "pay", "stages": [SEND]})
    assert wf.id
    assert wf.name == "pay"
    assert wf.stages == [SEND]


def test_create_without_stages_keeps_null() -> None:
    engine = make_engine()
    wf = engine.create_workflow({})
    assert wf.stages is None
    assert engine.get_workflow(wf.id).stages is None


def test_stages_are_stored_raw_and_copied() -> None:
    engine = make_engine()
    stage = {"delay": {"seconds": "7d", "duration": "1m"}}
    stages: list[Any] = [stage, {"noop": None}, {"wait_event": {}}]
    wf = engine.create_workflow({"stages": stages})
    stage["delay"]["duration"] = "changed"
    stages.append({"noop": {}})
    stored = engine.get_workflow(wf.id).stages
    assert stored == [{"delay": {"duration": "1m", "seconds": "7d"}}, {"noop": None}, {"wait_event": {}}]
    assert stored is not None and list(stored[0]["delay"]) == ["duration", "seconds"]


def test_numbers_are_stored_as_go_renders_them() -> None:
    engine = make_engine()
    stage = {"send": {**SEND["send"], "amount": {"amount": 100.0, "asset": "EUR/2"}}}
    wf = engine.create_workflow({"stages": [stage]})
    assert wf.stages is not None
    amount = wf.stages[0]["send"]["amount"]["amount"]
    assert amount == 100 and isinstance(amount, int)


@pytest.mark.parametrize(
    ("stages", "reason"),
    [
        ([{"foo": {}}], "unable to resolve schema foo"),
        ([{}], "empty specification"),
        ([None], "empty specification"),
        ([{"delay": {"duration": "1s"}, "noop": {}}], "a specification should have only one name"),
        (
            [{"send": {"destination": {}, "amount": {"asset": "A", "amount": 1}}}],
            "resolving field 'Source': expected map but was <nil>",
        ),
        (
            [{"delay": {"duration": "abc"}}],
            "resolving field 'Duration': unable to resolve field 'Duration' to duration value",
        ),
        ([{"delay": {"until": "${d}"}}], "resolving field 'Until': expected date as rfc3339 format"),
        ([{"noop": {}}, {"Send": {}}], "unable to resolve schema Send"),
        (
            [{"send": {"source": {"account": "x"}, "destination": {}}}],
            "resolving field 'Source': resolving field 'Account': expected map but was string",
        ),
        (
            [{"send": {"source": {}, "destination": {}, "amount": {"asset": "A", "amount": "abc"}}}],
            "resolving field 'Amount': resolving field 'Amount': "
            "unable to resolve field 'int64' to int value",
        ),
    ],
)
def test_creation_errors(stages: list[Any], reason: str) -> None:
    assert creation_error({"stages": stages}) == f"creating workflow: {reason}"


@pytest.mark.parametrize(
    "stage",
    [
        {"wait_event": {}},
        {"delay": {}},
        {"delay": {"duration": "1s", "until": "2023-06-01T00:00:00Z"}},
        {"send": {"source": {}, "destination": {}}},
        {"send": {"source": {"account": {"id": "a"}, "wallet": {"id": "w"}}, "destination": {}}},
        {"delay": {"duration": "${d}"}},
        {"noop": None},
        {"send": {"source": {}, "destination": {}, "amount": {"asset": "A", "amount": "${x}"}}},
    ],
)
def test_validation_rules_are_not_checked_at_creation(stage: dict[str, Any]) -> None:
    wf = make_engine().create_workflow({"stages": [stage]})
    assert wf.stages == [stage]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"stages": [{"delay": "10s"}]},
            "unmarshalling json body: json: cannot unmarshal string into Go struct field Config.stages "
            "of type map[string]interface {}",
        ),
        (
            {"name": 1},
            "unmarshalling json body: json: cannot unmarshal number into Go struct field Config.name "
            "of type string",
        ),
        (
            {"stages": "x"},
            "unmarshalling json body: json: cannot unmarshal string into Go struct field Config.stages "
            "of type []workflow.RawStage",
        ),
        (
            {"stages": ["x"]},
            "unmarshalling json body: json: cannot unmarshal string into Go struct field Config.stages "
            "of type workflow.RawStage",
        ),
    ],
)
def test_shape_errors_are_invalid_requests(config: dict[str, Any], message: str) -> None:
    engine = make_engine()
    with pytest.raises(InvalidRequest) as info:
        engine.create_workflow(config)
    assert info.value.message == message
    assert info.value.error_code == "VALIDATION"


def test_get_workflow_equals_create_response() -> None:
    engine = make_engine()
    created = engine.create_workflow({"name": "n", "stages": [SEND]})
    assert engine.get_workflow(created.id) == created


def test_get_unknown_workflow() -> None:
    engine = make_engine()
    with pytest.raises(ServiceError) as info:
        engine.get_workflow("5f1b3c1a-0000-4000-8000-000000000000")
    assert info.value.message == "sql: no rows in result set"
    assert info.value.error_code == "INTERNAL_ERROR"


def test_list_in_creation_order() -> None:
    engine = make_engine()
    first = engine.create_workflow({"name": "a"})
    engine.advance(1)
    second = engine.create_workflow({"name": "b", "stages": []})
    assert [w.id for w in engine.list_workflows()] == [first.id, second.id]
    assert second.created_at == T0.replace(second=1)


def test_server_info_version() -> None:
    assert Engine(stack_version="v1.0").get_server_info() == "develop"
    assert Engine(stack_version="v2.0").get_server_info() == "v2.0.33"
    assert Engine().get_server_info() == Engine(stack_version="v3.2.5").version == "v2.6.0"  # the latest
    assert Engine(version="v1.2.3").get_server_info() == "v1.2.3"


def test_reset_forgets_everything() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": [{"wait_event": {"event": "go"}}]})
    run = engine.run_workflow(wf.id)
    engine.bank.fund("alice", "EUR/2", 10)
    engine.inject_activity_failure("CreateTransaction", "boom")
    engine.reset()
    assert engine.list_workflows() == []
    assert engine.list_instances() == []
    assert engine.pending_activity_failures() == []
    assert engine.bank.balance("alice", "EUR/2") == 0
    with pytest.raises(ServiceError):
        engine.get_instance(run.instance.id)
    assert engine.stats() == {
        "workflows": 0,
        "instances": 0,
        "running": 0,
        "timers": 0,
        "injected_failures": 0,
    }
