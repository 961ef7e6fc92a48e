"""Instances: runs, status rows, lists, events, abort, delays and histories on a virtual clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._errors import NotFound, ServiceError
from fakeserver._views import InstanceView

T0 = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)

VALIDATION_EVENT = "Key: 'WaitEvent.Event' Error:Field validation for 'Event' failed on the 'required' tag"


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def make_engine() -> Engine:
    return Engine(clock=ManualClock(T0), ids=counter_ids(), wait_timeout=1.0, stack_version="v1.0")


def start(engine: Engine, *stages: dict[str, Any], variables: dict[str, str] | None = None) -> str:
    wf = engine.create_workflow({"stages": list(stages)})
    return engine.run_workflow(wf.id, variables).instance.id


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- runs and status rows -----------------------------------------------------------------------------


def test_run_zero_stages_returns_the_created_instance() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": []})
    outcome = engine.run_workflow(wf.id)
    assert outcome.waited is False
    assert outcome.instance == InstanceView(
        workflow_id=wf.id,
        id=outcome.instance.id,
        created_at=T0,
        updated_at=T0,
        terminated=False,
        terminated_at=None,
        error="",
        status=None,
    )
    later = engine.get_instance(outcome.instance.id)
    assert later.terminated is True
    assert later.terminated_at == T0
    assert later.status is None
    assert later.error == ""


def test_run_without_stages_key_terminates() -> None:
    engine = make_engine()
    wf = engine.create_workflow({})
    instance_id = engine.run_workflow(wf.id).instance.id
    assert engine.get_instance(instance_id).terminated


def test_run_returns_created_view_even_after_stages_ran() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": [{"noop": {}}]})
    outcome = engine.run_workflow(wf.id)
    assert outcome.instance.terminated is False and outcome.instance.status is None
    got = engine.get_instance(outcome.instance.id)
    assert got.terminated is True
    assert got.status is not None and len(got.status) == 1
    row = got.status[0]
    assert (row.stage, row.instance_id, row.started_at, row.terminated_at, row.error) == (
        0,
        got.id,
        T0,
        T0,
        "",
    )
    assert got.updated_at == got.created_at


def test_run_unknown_workflow() -> None:
    engine = make_engine()
    with pytest.raises(ServiceError) as info:
        engine.run_workflow("nope")
    assert info.value.message == "sql: no rows in result set"
    assert engine.list_instances() == []


def test_get_unknown_instance() -> None:
    with pytest.raises(ServiceError) as info:
        make_engine().get_instance("nope")
    assert info.value.message == "Instance not found"


def test_ten_stage_rows() -> None:
    engine = make_engine()
    instance_id = start(engine, *([{"noop": {}}] * 9), {"wait_event": {"event": "go"}})
    got = engine.get_instance(instance_id)
    assert got.status is not None
    assert [row.stage for row in got.status] == list(range(10))
    assert got.terminated is False
    assert got.status[9].terminated_at is None


def test_list_filters() -> None:
    engine = make_engine()
    wf1 = engine.create_workflow({"stages": [{"wait_event": {"event": "go"}}]})
    wf2 = engine.create_workflow({"stages": [{"noop": {}}]})
    ids1 = [engine.run_workflow(wf1.id).instance.id for _ in range(6)]
    ids2 = [engine.run_workflow(wf2.id).instance.id for _ in range(4)]
    everything = engine.list_instances()
    assert [i.id for i in everything] == ids1 + ids2
    assert all(i.status is None for i in everything)
    assert [i.id for i in engine.list_instances(running=True)] == ids1
    assert [i.id for i in engine.list_instances(workflow_id=wf2.id)] == ids2
    assert engine.list_instances(workflow_id=wf2.id, running=True) == []
    assert engine.list_instances(workflow_id="unknown") == []
    assert len(engine.list_instances(workflow_id="")) == 10
    finished = engine.list_instances(workflow_id=wf2.id)[0]
    assert finished.terminated and finished.terminated_at == T0 and finished.error == ""


def test_views_of_terminated_instances_are_stable() -> None:
    engine = make_engine()
    instance_id = start(engine, {"noop": {}})
    assert engine.get_instance(instance_id) is engine.get_instance(instance_id)
    assert engine.list_instances()[0] is engine.list_instances()[0]


# --- run-time resolution and validation failures ------------------------------------------------------


def test_validation_failure_ends_stage_without_child() -> None:
    engine = make_engine()
    instance_id = start(engine, {"noop": {}}, {"wait_event": {}}, {"noop": {}})
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == VALIDATION_EVENT
    assert got.status is not None
    assert [(r.stage, r.error) for r in got.status] == [(0, ""), (1, VALIDATION_EVENT)]
    assert got.status[1].terminated_at == T0
    history = engine.get_instance_history(instance_id)
    assert [h.name for h in history] == ["RunNoOp"]
    with pytest.raises(NotFound):
        engine.get_instance_stage_history(instance_id, 1)
    assert engine.get_instance_stage_history(instance_id, 0) == []


def test_variable_resolution_failure_at_run() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "${d}"}}, variables={"d": "5 minutes"})
    got = engine.get_instance(instance_id)
    assert got.error == "resolving field 'Duration': unable to resolve field 'Duration' to duration value"
    assert engine.get_instance_history(instance_id) == []


def test_missing_variable_leaves_duration_unset() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "${d}"}})
    assert engine.get_instance(instance_id).error.startswith("Key: 'Delay.duration'")


# --- delay --------------------------------------------------------------------------------------------


def test_delay_duration_waits_for_the_clock() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "1m"}}, {"noop": {}})
    assert engine.next_due(instance_id) == at(60)
    engine.advance(59)
    assert not engine.get_instance(instance_id).terminated
    engine.advance(1)
    got = engine.get_instance(instance_id)
    assert got.terminated and got.terminated_at == at(60)
    assert got.status is not None
    assert [(r.started_at, r.terminated_at) for r in got.status] == [(T0, at(60)), (at(60), at(60))]
    history = engine.get_instance_history(instance_id)
    assert [(h.name, h.input) for h in history] == [("RunDelay", {"duration": "1m0s"}), ("RunNoOp", {})]
    assert engine.get_instance_stage_history(instance_id, 0) == []


def test_delay_ends_at_its_due_time_even_after_a_big_jump() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "10s"}}, {"delay": {"duration": "1h"}})
    engine.advance(timedelta(days=1))
    got = engine.get_instance(instance_id)
    assert got.status is not None
    assert [r.terminated_at for r in got.status] == [at(10), at(3610)]
    assert got.terminated_at == at(3610)


def test_delay_until() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"until": "2023-04-13T10:00:00+02:00"}})
    assert engine.next_due(instance_id) is None  # 10:00+02:00 is 08:00Z, the current time: no timer
    assert engine.get_instance(instance_id).terminated
    assert engine.get_instance_history(instance_id)[0].input == {"until": "2023-04-13T10:00:00+02:00"}
    instance_id = start(engine, {"delay": {"until": "2023-04-13T08:00:30.5Z"}})
    assert not engine.get_instance(instance_id).terminated
    engine.advance(30.5)
    assert engine.get_instance(instance_id).terminated_at == at(30.5)
    history = engine.get_instance_history(instance_id)
    assert history[0].input == {"until": "2023-04-13T08:00:30.5Z"}


@pytest.mark.parametrize(
    "params", [{"duration": "0s"}, {"duration": "-5s"}, {"until": "2000-01-01T00:00:00Z"}, {"duration": "0"}]
)
def test_zero_negative_and_past_delays_complete_at_once(params: dict[str, str]) -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": params})
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "" and got.terminated_at == T0


def test_delay_duration_from_variable() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "${d}"}}, variables={"d": "10ms"})
    engine.advance(0.01)
    assert engine.get_instance(instance_id).terminated
    assert engine.get_instance_history(instance_id)[0].input == {"duration": "10ms"}


# --- events -------------------------------------------------------------------------------------------


def test_non_matching_event_is_consumed_then_matching_completes() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {"event": "go"}})
    assert engine.waiting_event(instance_id) == "go"
    engine.send_event(instance_id, "nope")
    engine.send_event(instance_id, "Go")
    assert not engine.get_instance(instance_id).terminated
    engine.advance(5)
    engine.send_event(instance_id, "go")
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "" and got.terminated_at == at(5)
    assert engine.waiting_event(instance_id) is None
    assert engine.get_instance_history(instance_id)[0].input == {"event": "go"}
    assert engine.get_instance_stage_history(instance_id, 0) == []


def test_event_name_from_variable() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {"event": "${e}"}}, variables={"e": "ready"})
    assert engine.waiting_event(instance_id) == "ready"
    engine.send_event(instance_id, "ready")
    assert engine.get_instance(instance_id).terminated


def test_events_before_the_wait_stage_are_lost() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "10s"}}, {"wait_event": {"event": "go"}})
    engine.send_event(instance_id, "go")
    engine.advance(10)
    assert engine.waiting_event(instance_id) == "go"
    assert not engine.get_instance(instance_id).terminated
    engine.send_event(instance_id, "go")
    assert engine.get_instance(instance_id).terminated


def test_one_event_completes_one_stage() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {"event": "go"}}, {"wait_event": {"event": "go"}})
    engine.send_event(instance_id, "go")
    got = engine.get_instance(instance_id)
    assert not got.terminated and got.status is not None and len(got.status) == 2
    engine.send_event(instance_id, "go")
    assert engine.get_instance(instance_id).terminated


def test_event_on_unknown_instance() -> None:
    with pytest.raises(ServiceError) as info:
        make_engine().send_event("nope", "x")
    assert info.value.message == "retrieving workflow: sql: no rows in result set"


def test_event_on_instance_without_stage_rows() -> None:
    engine = make_engine()
    instance_id = start(engine)
    with pytest.raises(ServiceError) as info:
        engine.send_event(instance_id, "x")
    assert info.value.message == "retrieving workflow: sql: no rows in result set"


def test_event_on_terminated_instance() -> None:
    engine = make_engine()
    instance_id = start(engine, {"noop": {}})
    with pytest.raises(ServiceError) as info:
        engine.send_event(instance_id, "x")
    assert info.value.message == "sending signal to server: workflow execution already completed"


def test_event_when_last_stage_failed_before_its_child() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {}})
    with pytest.raises(ServiceError) as info:
        engine.send_event(instance_id, "x")
    assert info.value.message == "sending signal to server: sql: no rows in result set"


def test_event_during_delay_is_accepted_and_ignored() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "5s"}})
    engine.send_event(instance_id, "anything")
    assert not engine.get_instance(instance_id).terminated
    assert engine.waiting_event(instance_id) is None


def test_waiting_event_unknown_instance() -> None:
    with pytest.raises(ServiceError):
        make_engine().waiting_event("nope")


# --- abort --------------------------------------------------------------------------------------------


def assert_canceled(engine: Engine, instance_id: str, when: datetime, rows: int = 1) -> None:
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "canceled" and got.terminated_at == when
    assert got.status is not None and len(got.status) == rows
    assert got.status[-1].error == "canceled" and got.status[-1].terminated_at == when
    last = engine.get_instance_history(instance_id)[-1]
    assert last.error == "canceled" and last.terminated and last.terminated_at == when


def test_abort_wait_event() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {"event": "go"}}, {"noop": {}})
    engine.advance(3)
    engine.cancel_event(instance_id)
    assert_canceled(engine, instance_id, at(3))
    with pytest.raises(ServiceError) as info:
        engine.send_event(instance_id, "go")
    assert info.value.message == "sending signal to server: workflow execution already completed"


def test_abort_delay_cancels_the_timer() -> None:
    engine = make_engine()
    instance_id = start(engine, {"noop": {}}, {"delay": {"duration": "1m"}}, {"noop": {}})
    engine.advance(10)
    engine.cancel_event(instance_id)
    engine.advance(3600)
    assert_canceled(engine, instance_id, at(10), rows=2)
    assert engine.next_due(instance_id) is None
    assert engine.stats()["timers"] == 0


def test_abort_twice_and_after_termination_is_a_no_op() -> None:
    engine = make_engine()
    instance_id = start(engine, {"wait_event": {"event": "go"}})
    engine.cancel_event(instance_id)
    engine.advance(1)
    engine.cancel_event(instance_id)
    assert_canceled(engine, instance_id, T0)
    done = start(engine, {"noop": {}})
    engine.cancel_event(done)
    assert engine.get_instance(done).error == ""


def test_abort_unknown_instance() -> None:
    with pytest.raises(ServiceError) as info:
        make_engine().cancel_event("nope")
    assert info.value.message == "retrieving workflow execution: sql: no rows in result set"


# --- histories ----------------------------------------------------------------------------------------


def test_instance_history_items() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "10s"}}, {"wait_event": {"event": "continue"}})
    engine.advance(10)
    history = engine.get_instance_history(instance_id)
    assert [(h.name, h.input, h.error, h.terminated, h.started_at, h.terminated_at) for h in history] == [
        ("RunDelay", {"duration": "10s"}, "", True, T0, at(10)),
        ("RunWaitEvent", {"event": "continue"}, "", False, at(10), None),
    ]


def test_history_of_unknown_instance() -> None:
    with pytest.raises(ServiceError) as info:
        make_engine().get_instance_history("nope")
    assert info.value.message == "sql: no rows in result set"


def test_history_of_zero_stage_instance_is_empty() -> None:
    engine = make_engine()
    assert engine.get_instance_history(start(engine)) == []


@pytest.mark.parametrize("number", [1, 99, -1])
def test_stage_history_out_of_range(number: int) -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "1s"}}, {"noop": {}})
    with pytest.raises(NotFound) as info:
        engine.get_instance_stage_history(instance_id, number)
    assert info.value.message == "resource not found"
    assert info.value.error_code == "NOT_FOUND"


def test_stage_history_unknown_instance() -> None:
    with pytest.raises(NotFound):
        make_engine().get_instance_stage_history("nope", 0)


def test_stage_history_of_non_send_stages_is_empty() -> None:
    engine = make_engine()
    instance_id = start(engine, {"delay": {"duration": "1s"}}, {"wait_event": {"event": "e"}}, {"noop": {}})
    engine.advance(1)
    engine.send_event(instance_id, "e")
    assert [engine.get_instance_stage_history(instance_id, n) for n in range(3)] == [[], [], []]


def test_timestamps_come_from_the_clock_and_ids_from_the_generator() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": [{"noop": {}}]})
    engine.advance(7)
    outcome = engine.run_workflow(wf.id)
    assert wf.id.endswith("1") and outcome.instance.id.endswith("2")
    assert outcome.instance.created_at == at(7)


def test_stats() -> None:
    engine = make_engine()
    start(engine, {"delay": {"duration": "1s"}})
    start(engine, {"wait_event": {"event": "x"}})
    start(engine, {"noop": {}})
    assert engine.stats() == {
        "workflows": 3,
        "instances": 3,
        "running": 2,
        "timers": 1,
        "injected_failures": 0,
    }
    engine.advance(1)
    assert engine.stats()["running"] == 1


def test_advance_needs_a_manual_clock() -> None:
    class FixedClock:
        virtual = True

        def now(self) -> datetime:
            return T0

        def subscribe(self, callback: Callable[[], None]) -> None:
            pass

    with pytest.raises(TypeError):
        Engine(clock=FixedClock()).advance(1)


# --- sharing, compaction, memory ----------------------------------------------------------------------


def test_runs_with_different_variables_resolve_separately() -> None:
    engine = make_engine()
    wf = engine.create_workflow(
        {"stages": [{"wait_event": {"event": "${e}"}}, {"delay": {"duration": "1s"}}]}
    )
    first = engine.run_workflow(wf.id, {"e": "one"}).instance.id
    second = engine.run_workflow(wf.id, {"e": "two"}).instance.id
    third = engine.run_workflow(wf.id).instance.id
    assert [engine.waiting_event(i) for i in (first, second)] == ["one", "two"]
    assert engine.get_instance(third).error == VALIDATION_EVENT
    engine.send_event(first, "one")
    engine.send_event(second, "two")
    engine.advance(1)
    assert [h.input for h in engine.get_instance_history(first)] == [{"event": "one"}, {"duration": "1s"}]
    assert [h.input for h in engine.get_instance_history(second)] == [{"event": "two"}, {"duration": "1s"}]


def test_aborted_timers_are_compacted() -> None:
    engine = make_engine()
    wf = engine.create_workflow({"stages": [{"delay": {"duration": "1h"}}]})
    keep = engine.run_workflow(wf.id).instance.id
    for _ in range(2100):
        engine.cancel_event(engine.run_workflow(wf.id).instance.id)
    assert engine.stats()["timers"] == 1
    assert len(engine._timers) < 1100
    engine.advance(3600)
    assert engine.get_instance(keep).terminated_at == at(3600)
    assert engine.stats()["running"] == 0


def test_memory_per_finished_three_stage_instance() -> None:
    import gc
    import tracemalloc

    engine = make_engine()
    wf = engine.create_workflow(
        {"stages": [{"delay": {"duration": "1s"}}, {"wait_event": {"event": "go"}}, {"noop": {}}]}
    )

    def one() -> None:
        instance_id = engine.run_workflow(wf.id).instance.id
        engine.advance(1)
        engine.send_event(instance_id, "go")
        engine.get_instance(instance_id)

    one()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            one()
        engine.list_instances()
        gc.collect()
        per_instance = (tracemalloc.get_traced_memory()[0] - before) / 300
    finally:
        tracemalloc.stop()
    assert per_instance < 5000
