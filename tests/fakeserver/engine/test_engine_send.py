"""Send stages end to end through the engine and the simulated bank: success, retries, abort, failures."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._views import ActivityView

T0 = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def make_engine() -> Engine:
    return Engine(clock=ManualClock(T0), ids=counter_ids(), wait_timeout=1.0, stack_version="v1.0")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def send(source: str, destination: str, amount: int = 100, asset: str = "EUR/2") -> dict[str, Any]:
    return {
        "send": {
            "source": {"account": {"id": source}},
            "destination": {"account": {"id": destination}},
            "amount": {"asset": asset, "amount": amount},
        }
    }


def start(engine: Engine, *stages: dict[str, Any], variables: dict[str, str] | None = None) -> str:
    wf = engine.create_workflow({"stages": list(stages)})
    return engine.run_workflow(wf.id, variables).instance.id


def only(items: list[ActivityView]) -> ActivityView:
    assert len(items) == 1
    return items[0]


def test_account_to_account_success() -> None:
    engine = make_engine()
    instance_id = start(engine, send("world", "bank"))
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "" and got.terminated_at == T0
    assert got.status is not None and len(got.status) == 1
    history = engine.get_instance_history(instance_id)
    assert len(history) == 1
    item = history[0]
    assert (item.name, item.terminated, item.error, item.terminated_at) == ("RunSend", True, "", T0)
    assert item.input == {
        "amount": {"amount": 100, "asset": "EUR/2"},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "source": {"account": {"id": "world", "ledger": "default"}},
    }
    activity = only(engine.get_instance_stage_history(instance_id, 0))
    posting = {"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "world"}
    assert activity.name == "CreateTransaction"
    assert activity.input == {"ledger": "default", "data": {"postings": [posting], "metadata": {}}}
    assert activity.output is not None
    assert activity.output["data"]["postings"] == [posting]
    assert activity.output["data"]["txid"] == 0
    assert (activity.attempt, activity.last_failure, activity.next_execution, activity.error) == (
        1,
        "",
        None,
        "",
    )
    assert activity.terminated and activity.started_at == activity.terminated_at == T0
    assert engine.bank.balance("bank", "EUR/2") == 100


def test_send_with_variables() -> None:
    engine = make_engine()
    stage = {
        "send": {
            "source": {"account": {"id": "world"}},
            "destination": {"account": {"id": "users:${user}"}},
            "amount": {"asset": "USD/2", "amount": "${amount}"},
        }
    }
    instance_id = start(engine, stage, variables={"user": "042", "amount": "250"})
    assert engine.get_instance(instance_id).error == ""
    assert engine.bank.balance("users:042", "USD/2") == 250


def test_insufficient_funds_retries_then_resumes_after_funding() -> None:
    engine = make_engine()
    instance_id = start(engine, send("empty:account", "bank"), {"noop": {}})
    pending = only(engine.get_instance_stage_history(instance_id, 0))
    assert not pending.terminated and pending.terminated_at is None and pending.output is None
    assert (pending.attempt, pending.last_failure, pending.next_execution) == (
        2,
        "account had insufficient funds",
        at(1),
    )
    engine.advance(1)  # attempt 2 fails at t=1, next in 2 s
    pending = only(engine.get_instance_stage_history(instance_id, 0))
    assert (pending.attempt, pending.next_execution) == (3, at(3))
    engine.advance(2)  # attempt 3 fails at t=3, next in 4 s
    pending = only(engine.get_instance_stage_history(instance_id, 0))
    assert (pending.attempt, pending.next_execution) == (4, at(7))
    got = engine.get_instance(instance_id)
    assert not got.terminated and got.status is not None and got.status[0].terminated_at is None
    history = engine.get_instance_history(instance_id)
    assert len(history) == 1 and not history[0].terminated

    engine.bank.fund("empty:account", "EUR/2", 100)
    engine.advance(3)  # t=6: nothing due yet
    assert not engine.get_instance(instance_id).terminated
    engine.advance(1)  # t=7: attempt 4 succeeds
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "" and got.terminated_at == at(7)
    done = only(engine.get_instance_stage_history(instance_id, 0))
    assert (done.attempt, done.last_failure, done.next_execution) == (1, "", None)
    assert done.started_at == T0 and done.terminated_at == at(7)
    assert done.output is not None and done.output["data"]["timestamp"] == "2023-04-13T08:00:07Z"
    assert engine.bank.balance("bank", "EUR/2") == 100


def test_retry_backoff_caps_at_100_seconds_and_big_jumps_count_attempts() -> None:
    stepwise, jumped = make_engine(), make_engine()
    first = start(stepwise, send("empty:a", "bank"))
    second = start(jumped, send("empty:a", "bank"))
    for _ in range(400):
        stepwise.advance(7)
    jumped.advance(2800)
    a = only(stepwise.get_instance_stage_history(first, 0))
    b = only(jumped.get_instance_stage_history(second, 0))
    assert (a.attempt, a.next_execution) == (b.attempt, b.next_execution)
    # 1+2+4+...+64 = 127 s for attempts 2..8, then one attempt every 100 s
    assert b.attempt == 8 + (2800 - 127) // 100 + 1
    assert b.next_execution is not None and (b.next_execution - at(127)) % timedelta(
        seconds=100
    ) == timedelta(0)
    jumped.advance(timedelta(days=365))
    c = only(jumped.get_instance_stage_history(second, 0))
    assert c.next_execution is not None and c.next_execution > at(365 * 86400)
    assert c.attempt > 315_000


def test_funding_from_another_instance_unblocks_a_retry() -> None:
    engine = make_engine()
    stuck = start(engine, send("alice", "bob"))
    feeder = start(engine, {"delay": {"duration": "5s"}}, send("world", "alice"))
    engine.advance(10_000)
    assert engine.get_instance(feeder).terminated_at == at(5)
    done = engine.get_instance(stuck)
    # attempts at 0, 1, 3, 7: the first after the feeder ran at t=5 is t=7
    assert done.terminated and done.terminated_at == at(7)
    assert engine.bank.balance("bob", "EUR/2") == 100


def test_abort_during_retry_cancels_the_activity() -> None:
    engine = make_engine()
    instance_id = start(engine, send("empty:account", "bank"), {"noop": {}})
    engine.advance(2)
    engine.cancel_event(instance_id)
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error == "canceled" and got.terminated_at == at(2)
    assert got.status is not None and len(got.status) == 1 and got.status[0].error == "canceled"
    item = engine.get_instance_history(instance_id)[0]
    assert item.error == "canceled" and item.terminated
    activity = only(engine.get_instance_stage_history(instance_id, 0))
    assert (activity.error, activity.terminated, activity.terminated_at) == ("cancelled", True, at(2))
    assert (activity.attempt, activity.last_failure, activity.next_execution) == (1, "", None)
    engine.bank.fund("empty:account", "EUR/2", 100)
    engine.advance(600)
    assert engine.bank.balance("bank", "EUR/2") == 0


def test_non_retryable_failure_fails_the_stage() -> None:
    engine = make_engine()
    instance_id = start(engine, send("world", "bank", asset="not an asset"), {"noop": {}})
    got = engine.get_instance(instance_id)
    assert got.terminated and got.error
    assert got.status is not None and len(got.status) == 1 and got.status[0].error == got.error
    assert engine.get_instance_history(instance_id)[0].error == "activity error"
    activity = only(engine.get_instance_stage_history(instance_id, 0))
    assert (activity.error, activity.terminated, activity.output) == (got.error, True, None)


def test_injected_retryable_failures_count_as_attempts() -> None:
    engine = make_engine()
    engine.inject_activity_failure("CreateTransaction", "ledger down", times=2, error_code="INTERNAL")
    assert engine.stats()["injected_failures"] == 2
    instance_id = start(engine, send("world", "bank"))
    pending = only(engine.get_instance_stage_history(instance_id, 0))
    assert (pending.attempt, pending.last_failure, pending.next_execution) == (2, "ledger down", at(1))
    engine.advance(1)
    pending = only(engine.get_instance_stage_history(instance_id, 0))
    assert (pending.attempt, pending.last_failure, pending.next_execution) == (3, "ledger down", at(3))
    assert engine.pending_activity_failures() == []
    engine.advance(2)
    assert engine.get_instance(instance_id).terminated_at == at(3)
    assert only(engine.get_instance_stage_history(instance_id, 0)).attempt == 1


def test_injected_non_retryable_failure() -> None:
    engine = make_engine()
    engine.inject_activity_failure(
        "CreateTransaction", "bad request", error_code="VALIDATION", retryable=False
    )
    assert engine.pending_activity_failures() == [
        {
            "activity": "CreateTransaction",
            "message": "bad request",
            "error_code": "VALIDATION",
            "retryable": False,
        }
    ]
    instance_id = start(engine, send("world", "bank"))
    got = engine.get_instance(instance_id)
    assert got.error == "bad request"
    assert engine.get_instance_history(instance_id)[0].error == "activity error"
    activity = only(engine.get_instance_stage_history(instance_id, 0))
    assert activity.error == "bad request" and activity.terminated
    assert engine.bank.balance("bank", "EUR/2") == 0


def test_injected_failure_for_another_activity_is_kept() -> None:
    engine = make_engine()
    engine.inject_activity_failure("GetWallet", "nope")
    start(engine, send("world", "bank"))
    assert len(engine.pending_activity_failures()) == 1
    engine.clear_activity_failures()
    assert engine.pending_activity_failures() == []
    with pytest.raises(ValueError):
        engine.inject_activity_failure("GetWallet", "x", times=0)


def test_plain_stage_failure() -> None:
    engine = make_engine()
    stage = {
        "send": {
            "source": {"account": {"id": "world"}},
            "destination": {"payment": {"psp": "paypal"}},
            "amount": {"asset": "EUR/2", "amount": 1},
        }
    }
    instance_id = start(engine, stage)
    got = engine.get_instance(instance_id)
    assert got.error == "only stripe actually supported"
    item = engine.get_instance_history(instance_id)[0]
    assert item.error == "only stripe actually supported" and item.terminated
    assert item.input["destination"] == {"payment": {"metadata": "stripeConnectID", "psp": "paypal"}}
    assert engine.get_instance_stage_history(instance_id, 0) == []


def test_missing_amount_fails_at_run_for_accounts() -> None:
    engine = make_engine()
    stage = {"send": {"source": {"account": {"id": "world"}}, "destination": {"account": {"id": "bank"}}}}
    instance_id = start(engine, stage)
    assert engine.get_instance(instance_id).error == "amount must be specified"
    assert "amount" not in engine.get_instance_history(instance_id)[0].input


def test_account_to_wallet_mixed_ledger() -> None:
    engine = make_engine()
    engine.bank.fund("users:001", "USD/2", 100)
    engine.bank.create_wallet(id="w1", name="alice")
    stage = {
        "send": {
            "source": {"account": {"id": "users:001"}},
            "destination": {"wallet": {"id": "w1"}},
            "amount": {"asset": "USD/2", "amount": 100},
        }
    }
    instance_id = start(engine, stage)
    assert engine.get_instance(instance_id).error == ""
    names = [a.name for a in engine.get_instance_stage_history(instance_id, 0)]
    assert names == ["GetWallet", "CreateTransaction", "CreditWallet"]
    assert engine.bank.wallet_balance("w1", "USD/2") == 100


def test_wallet_debit_without_funds_retries() -> None:
    engine = make_engine()
    engine.bank.create_wallet(id="w1", name="alice")
    stage = {
        "send": {
            "source": {"wallet": {"id": "w1"}},
            "destination": {"account": {"id": "bank", "ledger": "wallets-002"}},
            "amount": {"asset": "USD/2", "amount": 100},
        }
    }
    instance_id = start(engine, stage)
    items = engine.get_instance_stage_history(instance_id, 0)
    assert [i.name for i in items] == ["GetWallet", "DebitWallet"]
    assert items[0].terminated and items[0].attempt == 1
    assert not items[1].terminated and items[1].attempt == 2 and items[1].last_failure
    engine.bank.fund_wallet("w1", "USD/2", 100)
    engine.advance(1)
    assert engine.get_instance(instance_id).terminated


def test_event_during_send_is_accepted_and_ignored() -> None:
    engine = make_engine()
    instance_id = start(engine, send("empty:account", "bank"), {"wait_event": {"event": "go"}})
    engine.send_event(instance_id, "go")
    engine.bank.fund("empty:account", "EUR/2", 100)
    engine.advance(1)
    assert engine.waiting_event(instance_id) == "go"
    engine.send_event(instance_id, "go")
    assert engine.get_instance(instance_id).terminated
