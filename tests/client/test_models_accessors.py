"""Typed accessors of history items (issue 15, item 4): narrowing a union in one step."""

from __future__ import annotations

import pytest

from formance_orchestration import (
    ActivityCreateTransaction,
    StageDelay,
    StageSend,
    WorkflowInstanceHistory,
    WorkflowInstanceHistoryStage,
    structure,
)


def _history(name: str, wire_input: dict[str, object]) -> WorkflowInstanceHistory:
    body = {"name": name, "input": wire_input, "terminated": True, "startedAt": "2023-06-01T10:00:00Z"}
    return structure(body, WorkflowInstanceHistory)


def test_an_instance_history_input_narrows_in_one_step() -> None:
    item = _history("RunDelay", {"duration": "1h"})
    delay: StageDelay = item.input_as(StageDelay)
    assert delay.duration == "1h"
    with pytest.raises(TypeError, match="the input of RunDelay is a StageDelay, not a StageSend"):
        item.input_as(StageSend)


def test_an_activity_input_and_output_narrow_in_one_step() -> None:
    wire = {
        "name": "CreateTransaction",
        "input": {"CreateTransaction": {"ledger": "default", "data": {"postings": []}}},
        "terminated": False,
        "startedAt": "2023-06-01T10:00:00Z",
        "attempt": 2,
    }
    activity = structure(wire, WorkflowInstanceHistoryStage)
    assert activity.input_as(ActivityCreateTransaction).ledger == "default"
    with pytest.raises(TypeError, match="the output of CreateTransaction is a NoneType"):
        activity.output_as(ActivityCreateTransaction)
