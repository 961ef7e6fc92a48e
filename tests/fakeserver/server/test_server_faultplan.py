"""FaultPlan in isolation: arming, consuming, wildcard, validation, responses."""

from __future__ import annotations

import json
import threading

import pytest

from fakeserver._faults import OPERATIONS, Fault, FaultPlan


def test_take_returns_none_when_nothing_is_armed() -> None:
    plan = FaultPlan()
    assert plan.take("getInstance") is None
    assert plan.pending() == []
    assert len(plan) == 0


def test_a_fault_hits_the_next_n_calls_of_its_operation_only() -> None:
    plan = FaultPlan()
    plan.add("getInstance", times=2, status=503, body={"errorCode": "X"})
    assert plan.take("listWorkflows") is None
    first = plan.take("getInstance")
    second = plan.take("getInstance")
    assert first is not None and second is not None
    assert first.status == 503
    assert json.loads(first.body) == {"errorCode": "X"}
    assert plan.take("getInstance") is None
    assert len(plan) == 0


def test_faults_are_consumed_in_the_order_they_were_added() -> None:
    plan = FaultPlan()
    plan.add("runWorkflow", status=500)
    plan.add("runWorkflow", status=429, headers={"Retry-After": "1"})
    statuses = [plan.take("runWorkflow"), plan.take("runWorkflow")]
    assert [fault.status if fault else None for fault in statuses] == [500, 429]


def test_the_wildcard_matches_any_operation() -> None:
    plan = FaultPlan()
    plan.add("*", times=2, drop_connection=True)
    one, two = plan.take("getInstance"), plan.take("createWorkflow")
    assert one is not None and one.drop_connection
    assert two is not None and two.operation == "*"
    assert plan.take("getInstance") is None


def test_pending_reports_remaining_counts_and_is_a_copy() -> None:
    plan = FaultPlan()
    plan.add("sendEvent", times=3, delay=0.5)
    plan.take("sendEvent")
    (rule,) = plan.pending()
    assert rule.remaining == 2
    assert rule.describe() == {"operation": "sendEvent", "delay": 0.5, "remaining": 2}
    rule.remaining = 99
    assert plan.pending()[0].remaining == 2
    assert len(plan) == 2


def test_clear_disarms_everything() -> None:
    plan = FaultPlan()
    plan.add("getWorkflow", status=500)
    plan.add("*", delay=0.1)
    plan.clear()
    assert plan.take("getWorkflow") is None
    assert plan.pending() == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [(None, b""), (b"raw", b"raw"), ("text", b"text"), ({"a": 1}, b'{"a": 1}'), ([1, 2], b"[1, 2]")],
)
def test_bodies_are_turned_into_bytes(body: object, expected: bytes) -> None:
    plan = FaultPlan()
    fault = plan.add("listInstances", status=502, body=body)  # type: ignore[arg-type]
    assert fault.body == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operation": "getinstance", "status": 500}, "unknown operation 'getinstance'"),
        ({"operation": "getInstance", "status": 500, "times": 0}, "times must be a positive integer"),
        ({"operation": "getInstance", "status": 700}, "status must be an integer between 100 and 599"),
        ({"operation": "getInstance", "status": True}, "status must be an integer"),
        ({"operation": "getInstance", "delay": -1}, "delay must be a number of seconds"),
        ({"operation": "getInstance"}, "a fault needs a status, a delay or drop_connection"),
        ({"operation": "getInstance", "status": 500, "drop_connection": True}, "not both"),
        ({"operation": "getInstance", "delay": 1, "body": "x"}, "body and headers need a status"),
    ],
)
def test_inconsistent_faults_are_rejected(kwargs: dict[str, object], message: str) -> None:
    plan = FaultPlan()
    operation = kwargs.pop("operation")
    with pytest.raises(ValueError, match=message):
        plan.add(operation, **kwargs)  # type: ignore[arg-type]
    assert plan.pending() == []


def test_every_api_operation_can_be_faulted() -> None:
    plan = FaultPlan()
    for operation in sorted(OPERATIONS):
        plan.add(operation, status=500)
    assert len(OPERATIONS) == 12
    assert all(plan.take(operation) is not None for operation in OPERATIONS)


def test_to_response_for_each_kind_of_fault() -> None:
    status = Fault(operation="getInstance", status=503, body=b"{}", headers={"Retry-After": "2"})
    response = status.to_response()
    assert response is not None
    assert (response.status, response.body, response.drop_connection) == (503, b"{}", False)
    assert response.headers == {"content-type": "application/json", "retry-after": "2"}

    text = Fault(operation="getInstance", status=502, body=b"bad gateway", content_type="text/plain")
    text_response = text.to_response()
    assert text_response is not None and text_response.headers["content-type"] == "text/plain"

    dropped = Fault(operation="getInstance", drop_connection=True).to_response()
    assert dropped is not None and dropped.drop_connection

    assert Fault(operation="getInstance", delay=1.0).to_response() is None


def test_concurrent_takes_never_hand_out_more_than_armed() -> None:
    plan = FaultPlan()
    plan.add("getInstance", times=50, status=500)
    taken: list[Fault] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            fault = plan.take("getInstance")
            if fault is not None:
                with lock:
                    taken.append(fault)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 50
    assert plan.pending() == []


def test_the_faultable_operations_are_exactly_the_routed_ones() -> None:
    from fakeserver._routes import ROUTES

    assert {route.operation for route in ROUTES} == OPERATIONS
