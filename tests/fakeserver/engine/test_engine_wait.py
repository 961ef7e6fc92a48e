"""wait=true runs (time skipping, WaitTimeout, wall clock) and thread safety."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakeserver._clock import ManualClock, SystemClock
from fakeserver._engine import Engine
from fakeserver._errors import NotFound, ServiceError, WaitTimeout
from fakeserver._views import RunOutcome

T0 = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)
VALIDATION_EVENT = "Key: 'WaitEvent.Event' Error:Field validation for 'Event' failed on the 'required' tag"
SEND_FROM_EMPTY = {
    "send": {
        "source": {"account": {"id": "empty:account"}},
        "destination": {"account": {"id": "bank"}},
        "amount": {"asset": "EUR/2", "amount": 100},
    }
}


def make_engine(wait_timeout: float | None = 5.0) -> Engine:
    return Engine(clock=ManualClock(T0), wait_timeout=wait_timeout, stack_version="v1.0")


def workflow(engine: Engine, *stages: dict[str, Any]) -> str:
    return engine.create_workflow({"stages": list(stages)}).id


def run_in_thread(engine: Engine, workflow_id: str) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []

    def target() -> None:
        try:
            results.append(engine.run_workflow(workflow_id, wait=True))
        except Exception as exc:  # reported to the test through ``results``
            results.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, results


def wait_for_running_instance(engine: Engine, workflow_id: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        running = engine.list_instances(workflow_id=workflow_id, running=True)
        if running:
            return running[0].id
        time.sleep(0.001)
    raise AssertionError("the run never started")


def joined(thread: threading.Thread, results: list[Any]) -> RunOutcome:
    thread.join(5)
    assert not thread.is_alive()
    assert len(results) == 1
    outcome = results[0]
    assert isinstance(outcome, RunOutcome), outcome
    return outcome


# --- single-thread wait=true --------------------------------------------------------------------------


def test_wait_noop() -> None:
    engine = make_engine()
    outcome = engine.run_workflow(workflow(engine, {"noop": {}}), wait=True)
    assert outcome.waited and outcome.wait_error == ""
    instance = outcome.instance
    assert instance.terminated and instance.terminated_at == T0 and instance.error == ""
    assert instance.status is not None and len(instance.status) == 1
    assert instance.status[0].stage == 0 and instance.status[0].error == ""


def test_wait_skips_over_a_one_hour_delay() -> None:
    engine = make_engine(wait_timeout=0.5)
    outcome = engine.run_workflow(workflow(engine, {"delay": {"duration": "1h"}}, {"noop": {}}), wait=True)
    assert outcome.wait_error == ""
    assert outcome.instance.terminated_at == T0 + timedelta(hours=1)
    assert engine.clock.now() == T0 + timedelta(hours=1)


def test_wait_with_variables() -> None:
    engine = make_engine()
    wf = workflow(engine, {"delay": {"duration": "${d}"}})
    outcome = engine.run_workflow(wf, {"d": "10ms"}, wait=True)
    assert outcome.wait_error == "" and outcome.instance.terminated
    assert engine.get_instance_history(outcome.instance.id)[0].input == {"duration": "10ms"}


def test_wait_validation_error() -> None:
    engine = make_engine()
    outcome = engine.run_workflow(workflow(engine, {"wait_event": {}}), wait=True)
    assert outcome.wait_error == VALIDATION_EVENT + " (type: ValidationErrors, retryable: true)"
    instance = outcome.instance
    assert instance.terminated and instance.error == VALIDATION_EVENT
    assert instance.status is not None and instance.status[0].error == VALIDATION_EVENT
    assert engine.get_instance_history(instance.id) == []
    with pytest.raises(NotFound):
        engine.get_instance_stage_history(instance.id, 0)


def test_wait_second_stage_fails() -> None:
    engine = make_engine()
    outcome = engine.run_workflow(workflow(engine, {"noop": {}}, {"wait_event": {}}), wait=True)
    assert outcome.instance.status is not None
    assert [row.error for row in outcome.instance.status] == ["", VALIDATION_EVENT]
    assert [h.name for h in engine.get_instance_history(outcome.instance.id)] == ["RunNoOp"]


def test_wait_resolution_error_type() -> None:
    engine = make_engine()
    wf = workflow(engine, {"delay": {"duration": "${d}"}})
    outcome = engine.run_workflow(wf, {"d": "soon"}, wait=True)
    assert outcome.wait_error == (
        "resolving field 'Duration': unable to resolve field 'Duration' to duration value "
        "(type: fieldResolveError, retryable: true)"
    )


def test_wait_child_failure_type() -> None:
    engine = make_engine()
    engine.inject_activity_failure("CreateTransaction", "nope", error_code="CONFLICT", retryable=False)
    stage = {**SEND_FROM_EMPTY}
    outcome = engine.run_workflow(workflow(engine, stage), wait=True)
    assert outcome.instance.error == "nope"
    assert outcome.wait_error == "nope (type: fundamental, retryable: true)"


def test_wait_timeout_on_a_missing_event() -> None:
    engine = make_engine(wait_timeout=0.05)
    wf = workflow(engine, {"wait_event": {"event": "go"}})
    with pytest.raises(WaitTimeout) as info:
        engine.run_workflow(wf, wait=True)
    assert 'still waiting on the event "go" after 0.05s' in info.value.message
    assert info.value.message.startswith("fakeserver: instance ")
    assert info.value.message.endswith("or raise Engine.wait_timeout")
    (instance,) = engine.list_instances(running=True)
    assert engine.waiting_event(instance.id) == "go"


def test_wait_skips_retries_that_may_succeed() -> None:
    engine = make_engine()
    engine.inject_activity_failure("CreateTransaction", "flaky", times=2)
    stage = {**SEND_FROM_EMPTY, "send": {**SEND_FROM_EMPTY["send"], "source": {"account": {"id": "world"}}}}
    outcome = engine.run_workflow(workflow(engine, stage), wait=True)
    assert outcome.wait_error == ""
    assert outcome.instance.terminated_at == T0 + timedelta(seconds=3)


def test_wait_timeout_on_insufficient_funds() -> None:
    engine = make_engine(wait_timeout=0.1)
    with pytest.raises(WaitTimeout) as info:
        engine.run_workflow(workflow(engine, SEND_FROM_EMPTY), wait=True)
    assert (
        'a retry of CreateTransaction (last failure: "account had insufficient funds")' in info.value.message
    )
    assert engine.clock.now() == T0  # nothing to skip to: the next attempt would fail the same way


# --- across threads -----------------------------------------------------------------------------------


def test_wait_returns_when_another_thread_sends_the_event() -> None:
    engine = make_engine()
    wf = workflow(engine, {"wait_event": {"event": "go"}}, {"delay": {"duration": "30m"}})
    thread, results = run_in_thread(engine, wf)
    instance_id = wait_for_running_instance(engine, wf)
    engine.send_event(instance_id, "nope")
    engine.send_event(instance_id, "go")
    outcome = joined(thread, results)
    assert outcome.wait_error == ""
    assert outcome.instance.status is not None and len(outcome.instance.status) == 2
    assert outcome.instance.terminated_at == outcome.instance.status[1].started_at + timedelta(minutes=30)


def test_wait_returns_canceled_when_another_thread_aborts() -> None:
    engine = make_engine()
    wf = workflow(engine, {"wait_event": {"event": "go"}})
    thread, results = run_in_thread(engine, wf)
    engine.cancel_event(wait_for_running_instance(engine, wf))
    outcome = joined(thread, results)
    assert outcome.wait_error == "canceled"
    assert outcome.instance.error == "canceled"
    assert outcome.instance.status is not None and outcome.instance.status[0].error == "canceled"


def test_wait_abort_during_retry() -> None:
    engine = make_engine()
    wf = workflow(engine, SEND_FROM_EMPTY)
    thread, results = run_in_thread(engine, wf)
    engine.cancel_event(wait_for_running_instance(engine, wf))
    outcome = joined(thread, results)
    assert outcome.wait_error == "canceled"
    assert engine.get_instance_stage_history(outcome.instance.id, 0)[0].error == "cancelled"


def test_wait_resumes_when_another_thread_funds_the_account() -> None:
    engine = make_engine()
    wf = workflow(engine, SEND_FROM_EMPTY)
    thread, results = run_in_thread(engine, wf)
    wait_for_running_instance(engine, wf)
    with engine.lock:
        engine.bank.fund("empty:account", "EUR/2", 100)
    outcome = joined(thread, results)  # the waiter notices the new bank version by itself
    assert outcome.wait_error == ""
    assert engine.bank.balance("bank", "EUR/2") == 100


def test_clock_moved_by_another_thread_wakes_a_waiter() -> None:
    class NoSetClock(ManualClock):
        set = None  # type: ignore[assignment]  # a virtual clock the engine cannot move itself

    clock = NoSetClock(T0)
    engine = Engine(clock=clock, wait_timeout=5)
    wf = workflow(engine, {"delay": {"duration": "10s"}})
    thread, results = run_in_thread(engine, wf)
    wait_for_running_instance(engine, wf)
    clock.advance(10)
    assert joined(thread, results).instance.terminated_at == T0 + timedelta(seconds=10)


def test_reset_while_waiting() -> None:
    engine = make_engine()
    wf = workflow(engine, {"wait_event": {"event": "go"}})
    thread, results = run_in_thread(engine, wf)
    wait_for_running_instance(engine, wf)
    engine.reset()
    thread.join(5)
    assert isinstance(results[0], ServiceError) and results[0].message == "Instance not found"


def test_wall_clock_delay() -> None:
    engine = Engine(clock=SystemClock(), wait_timeout=5)
    wf = workflow(engine, {"delay": {"duration": "20ms"}}, {"noop": {}})
    outcome = engine.run_workflow(wf, wait=True)
    assert outcome.wait_error == ""
    status = outcome.instance.status
    assert status is not None and status[0].terminated_at == status[0].started_at + timedelta(milliseconds=20)


def test_wall_clock_wait_timeout() -> None:
    engine = Engine(clock=SystemClock(), wait_timeout=0.05)
    wf = workflow(engine, {"delay": {"duration": "1h"}})
    with pytest.raises(WaitTimeout) as info:
        engine.run_workflow(wf, wait=True)
    assert "a timer due at" in info.value.message


def test_many_threads_running_and_signalling() -> None:
    engine = make_engine(wait_timeout=10)
    wf = workflow(
        engine,
        {"wait_event": {"event": "a"}},
        {"delay": {"duration": "1s"}},
        {"wait_event": {"event": "b"}},
        {"noop": {}},
    )
    outcomes: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def waiter() -> None:
        try:
            for _ in range(8):
                outcomes.append(engine.run_workflow(wf, wait=True))
        except BaseException as exc:
            errors.append(exc)

    def firehose() -> None:
        try:
            for _ in range(20):
                engine.run_workflow(wf)
        except BaseException as exc:
            errors.append(exc)

    def signaller() -> None:
        try:
            while not stop.is_set():
                for instance in engine.list_instances(running=True):
                    event = engine.waiting_event(instance.id)
                    if event is not None:
                        try:
                            engine.send_event(instance.id, event)
                        except ServiceError as exc:
                            assert "already completed" in exc.message
                time.sleep(0.0005)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=waiter) for _ in range(4)]
    workers += [threading.Thread(target=firehose) for _ in range(2)]
    signallers = [threading.Thread(target=signaller) for _ in range(3)]
    for thread in workers + signallers:
        thread.start()
    for thread in workers:
        thread.join(20)
    deadline = time.monotonic() + 20
    while engine.list_instances(running=True) and time.monotonic() < deadline:
        engine.advance(1)
        time.sleep(0.001)
    stop.set()
    for thread in signallers:
        thread.join(5)

    assert errors == []
    assert len(outcomes) == 32
    assert all(o.wait_error == "" and o.instance.terminated for o in outcomes)
    instances = engine.list_instances()
    assert len(instances) == 72
    assert len({i.id for i in instances}) == 72
    for instance in instances:
        got = engine.get_instance(instance.id)
        assert got.terminated and got.error == ""
        assert got.status is not None and [r.error for r in got.status] == ["", "", "", ""]
        assert [h.name for h in engine.get_instance_history(instance.id)] == [
            "RunWaitEvent",
            "RunDelay",
            "RunWaitEvent",
            "RunNoOp",
        ]
    assert engine.stats()["running"] == 0
