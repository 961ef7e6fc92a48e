"""Timers and parked retries (``fakeserver._timers``), and what a clock skip costs (issue 14 item 2).

Before: every retry that fell due in a skip scanned every timer (``Engine._fast_forward``): 1.5 M
calls at 1,000 retrying instances, a skip of 0.3 ms at none, 244 ms at 1,000, not done in 300 s at
4,000. Now a retry that cannot turn out differently is parked and costs nothing in a skip; the
skip's work is counted here (never timed: ``python -m benchmarks --only timers`` times it).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakeserver._app import FakeApp
from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._timers import Timers, next_retry, retry_interval
from fakeserver._types import FakeRequest

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def send(source: str, destination: str, amount: int = 100) -> dict[str, Any]:
    return {
        "send": {
            "source": {"account": {"id": source}},
            "destination": {"account": {"id": destination}},
            "amount": {"asset": "EUR/2", "amount": amount},
        }
    }


def make_engine() -> Engine:
    return Engine(clock=ManualClock(T0), ids=counter_ids(), wait_timeout=1.0)


def start(engine: Engine, *stages: dict[str, Any]) -> str:
    return engine.run_workflow(engine.create_workflow({"stages": list(stages)}).id).instance.id


# -- the arithmetic and the heap ------------------------------------------------------------------


def test_next_retry_counts_like_stepping_attempt_by_attempt() -> None:
    rng = random.Random(14)
    for _ in range(400):
        attempt = rng.randint(1, 12)
        due = at(rng.randint(0, 50))
        after = due + timedelta(seconds=rng.choice([-5, 0, 1, 99, 100, 101, 3600, 86_400 * 3]))
        step_due, step_attempt = due, attempt
        while step_due <= after:
            step_due += timedelta(seconds=retry_interval(step_attempt))
            step_attempt += 1
        assert next_retry(due, attempt, after) == (step_due, step_attempt)


def test_timers_pop_in_due_order_and_forget_replaced_and_cancelled_ones() -> None:
    timers: Timers[str] = Timers()
    timers.schedule("a", at(5))
    timers.schedule("b", at(1))
    timers.schedule("c", at(3))
    timers.schedule("a", at(2))  # replaces a's timer
    timers.cancel("c")
    assert len(timers) == 2 and timers.next_due() == at(1)
    assert timers.pop_due(at(10)) == ("b", at(1))
    assert timers.pop_due(at(1)) is None
    assert timers.pop_due(at(10)) == ("a", at(2))
    assert timers.pop_due(at(10)) is None and len(timers) == 0 and timers.next_due() is None


def test_parked_retries_are_projected_and_woken_from_the_given_time() -> None:
    timers: Timers[str] = Timers()
    timers.schedule("x", at(9))
    timers.park("x", at(1), 2, "CreateTransaction")  # replaces the timer
    timers.park("y", at(1), 2, "GetWallet")
    assert timers.pop_due(at(100)) is None and len(timers) == 2
    assert timers.parked("x", at(0)) == (at(1), 2)
    assert timers.parked("x", at(3600)) == next_retry(at(1), 2, at(3600))
    woken = timers.wake(at(50), "CreateTransaction")
    assert woken == [("x", *next_retry(at(1), 2, at(50)))]
    assert timers.parked("x", at(0)) is None and timers.parked_count == 1
    assert timers.pop_due(at(200)) == ("x", woken[0][1])
    timers.cancel("y")
    assert len(timers) == 0 and timers.wake(at(0)) == []


def test_stale_heap_entries_are_compacted_away() -> None:
    timers: Timers[int] = Timers()
    for key in range(5000):
        timers.schedule(key, at(key))
    for key in range(4990):
        timers.cancel(key)
    assert len(timers._heap) < 2100  # compacted, not 5000
    assert [timers.pop_due(at(10**6)) for _ in range(10)] == [(k, at(k)) for k in range(4990, 5000)]


# -- the engine: a skip's work, and the same answers as stepping ----------------------------------


def _handle(app: FakeApp, method: str, path: str, body: Any = None) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-length": str(len(raw))}
    answer = app.handle(FakeRequest(method=method, path=path, headers=headers, body=raw))
    assert answer.status < 300, answer.body
    return json.loads(answer.body)["data"] if answer.body else None


def test_a_clock_skip_does_no_work_per_retrying_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    app = FakeApp(make_engine())
    config = {"stages": [send("empty:a", "b")]}
    workflow_id = _handle(app, "POST", "/api/orchestration/workflows", config)["id"]
    ids = [
        _handle(app, "POST", f"/api/orchestration/workflows/{workflow_id}/instances", {})["id"]
        for _ in range(300)
    ]
    looks = 0
    may_differ = Engine._may_differ

    def counted(self: Engine, run: Any) -> bool:
        nonlocal looks
        looks += 1
        return may_differ(self, run)

    monkeypatch.setattr(Engine, "_may_differ", counted)
    _handle(app, "POST", "/_fake/clock/advance", {"seconds": 3600})
    assert looks == 0  # was 300 x 300 x the attempts in the hour
    for instance_id in (ids[0], ids[-1]):
        (pending,) = _handle(app, "GET", f"/api/orchestration/instances/{instance_id}/stages/0/history")
        # attempts at 0, 1, 3, 7, 15, 31, 63, 127 s, then every 100 s: number 43 at 3627 s is next
        assert (pending["attempt"], pending["nextExecution"]) == (43, "2024-01-01T01:00:27Z")
    assert app.engine.stats()["timers"] == 300


def _scenario(engine: Engine) -> dict[str, str]:
    """A retrying send, another woken by an injected failure, and a delay then a send that funds the
    first one's account half-way through."""
    ids = {
        "funded": start(engine, {"delay": {"duration": "400s"}}, send("empty:a", "b"), {"noop": {}}),
        "injected": start(engine, send("empty:c", "d")),
        "funder": start(engine, {"delay": {"duration": "1000s"}}, send("world", "empty:a")),
        "canceled": start(engine, send("empty:e", "f")),
    }
    engine.advance(250)
    engine.inject_activity_failure("CreateTransaction", "boom", retryable=False)
    engine.advance(10)
    engine.cancel_event(ids["canceled"])
    return ids


def _outcome(engine: Engine, ids: dict[str, str]) -> list[Any]:
    result: list[Any] = []
    for name, instance_id in sorted(ids.items()):
        got = engine.get_instance(instance_id)
        stages = range(len(got.status or ()))
        activities = [a for n in stages for a in engine.get_instance_stage_history(instance_id, n)]
        result.append(
            (
                name,
                got.terminated,
                got.terminated_at,
                got.error,
                [(a.attempt, a.next_execution, a.error, a.terminated_at) for a in activities],
            )
        )
    return result


def test_one_big_skip_ends_where_stepping_second_by_second_ends() -> None:
    jumped, stepped = make_engine(), make_engine()
    jumped_ids, stepped_ids = _scenario(jumped), _scenario(stepped)
    jumped.advance(1500)
    for _ in range(1500):
        stepped.advance(1)
    assert _outcome(jumped, jumped_ids) == _outcome(stepped, stepped_ids)
    outcome = dict((row[0], row[1:]) for row in _outcome(jumped, jumped_ids))
    # the funder's send runs at 1000 s; the funded retry (first attempt at 400 s, then 401, 403, 407,
    # 415, 431, 463, 527 s and every 100 s) has its next attempt after that at 1027 s
    assert outcome["funded"][:3] == (True, at(1027), "")
    # the injected failure is taken by the first attempt due after it was armed (227 s + 100 s)
    assert outcome["injected"][:3] == (True, at(327), "boom")
    assert outcome["canceled"][:3] == (True, at(260), "canceled")
    assert jumped.stats()["timers"] == 0
