"""End to end: the typed client against the in-process fake, every operation and every error mapping.

The ``orchestration_fake`` fixture intercepts ``requests`` calls to ``http://localhost/api/orchestration``
and ``orchestration_client`` is an ``OrchestrationClient`` bound to it; nothing is mocked in between,
so each test crosses the client's encoding, the fake's routes and engine, and the client's decoding.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest

from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration import (
    ActivityCreateTransaction,
    ActivityCreateTransactionOutput,
    ActivityCreditWallet,
    ActivityGetAccount,
    ActivityGetWallet,
    ActivityGetWalletOutput,
    ActivityStripeTransfer,
    LedgerAccountSubject,
    Monetary,
    NotFoundError,
    NotFoundServerError,
    OrchestrationClient,
    Posting,
    SendEventRequest,
    ServerError,
    StageDelay,
    StageNoOp,
    StageSend,
    StageSendDestination,
    StageSendSource,
    StageWaitEvent,
    ValidationError,
    WaitTimeoutError,
    WorkflowConfig,
    WorkflowInstance,
)

USD = "USD/2"
NO_ROWS = "sql: no rows in result set"

Fake = FakeOrchestration
Client = OrchestrationClient


def wait_workflow(client: Client, event: str = "go") -> str:
    return client.create_workflow(WorkflowConfig(stages=[StageWaitEvent(event=event)])).data.id


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (real time) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.005)


def run_in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start ``target`` in a daemon thread; its result (or exception) lands in the returned list."""
    results: list[Any] = []

    def body() -> None:
        try:
            results.append(target())
        except Exception as exc:  # handed to the test through ``results``
            results.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, results


def joined(thread: threading.Thread, results: list[Any]) -> Any:
    thread.join(10)
    assert not thread.is_alive(), "the thread is still blocked"
    [result] = results
    if isinstance(result, Exception):
        raise result
    return result


# ---------------------------------------------------------------------------------------------------
# Every operation


def test_get_server_info(orchestration_client: Client) -> None:
    assert orchestration_client.get_server_info().version == "develop"


def test_create_get_and_list_workflows(orchestration_client: Client, orchestration_fake: Fake) -> None:
    client = orchestration_client
    assert client.list_workflows().data == []
    typed = WorkflowConfig(
        name="typed",
        stages=[
            StageSend(
                source=StageSendSource.of_wallet("w1", balance="savings"),
                destination=StageSendDestination.of_payment("stripe", metadata="connect"),
                amount=Monetary(asset=USD, amount=100),
            ),
            StageSend(
                source=StageSendSource.of_payment("p1"),
                destination=StageSendDestination.of_account("users:${user}", ledger="ledger-b"),
            ),
            StageDelay(duration="1h"),
            StageWaitEvent(event="go"),
            StageNoOp(),
        ],
    )

    created = client.create_workflow(typed).data

    assert created.config == typed
    assert created.created_at == created.updated_at == orchestration_fake.clock.now()
    # what went over the wire: the one-key wire form of each stage, unset fields omitted
    [call] = [c for c in orchestration_fake.calls if c.operation == "createWorkflow"]
    assert json.loads(call.body)["stages"][1] == {
        "send": {
            "destination": {"account": {"id": "users:${user}", "ledger": "ledger-b"}},
            "source": {"payment": {"id": "p1"}},
        }
    }
    from_dict = client.create_workflow({"name": "raw", "stages": [{"wait_event": {"event": "go"}}]}).data
    assert from_dict.config == WorkflowConfig(name="raw", stages=[StageWaitEvent(event="go")])
    document = '{"stages": [{"delay": {"duration": "10s"}}, {"noop": {}}]}'
    from_json = client.create_workflow(json.loads(document)).data
    assert from_json.config == WorkflowConfig(name="", stages=[StageDelay(duration="10s"), StageNoOp()])
    with pytest.raises(TypeError):
        client.create_workflow(cast(Any, document))  # a JSON text is not a config: decode it first

    fetched = client.get_workflow(created.id).data
    assert fetched.id == created.id and fetched.config == typed
    assert fetched.created_at == created.created_at
    listed = client.list_workflows().data
    assert {w.id for w in listed} == {created.id, from_dict.id, from_json.id}
    assert {w.id: w.config.name for w in listed}[from_json.id] == ""


def test_run_with_variables_moves_the_money(orchestration_client: Client, orchestration_fake: Fake) -> None:
    client, bank = orchestration_client, orchestration_fake.bank
    bank.fund("users:001", USD, 1000)
    workflow_id = client.create_workflow(
        WorkflowConfig(
            stages=[
                StageSend(
                    source=StageSendSource.of_account("users:${from}"),
                    destination=StageSendDestination.of_account("users:${to}"),
                    amount=Monetary(asset=USD, amount="${amount}"),
                )
            ]
        )
    ).data.id

    run = client.run_workflow(workflow_id, {"from": "001", "to": "002", "amount": "250"}).data

    assert run.workflow_id == workflow_id
    assert run.terminated is False and run.status is None and run.error == ""  # as just created
    done = client.get_instance(run.id).data
    assert done.terminated is True and done.error == ""
    assert [(s.stage, s.error) for s in done.status or []] == [(0, "")]
    [item] = client.get_instance_history(run.id).data
    assert item.input == StageSend(
        source=StageSendSource.of_account("users:001", ledger="default"),
        destination=StageSendDestination.of_account("users:002", ledger="default"),
        amount=Monetary(asset=USD, amount=250),
    )
    assert bank.balance("users:001", USD) == 750
    assert bank.balance("users:002", USD) == 250


def test_run_with_wait_on_a_delay_skips_the_virtual_clock_ahead(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    before = orchestration_fake.clock.now()
    workflow_id = client.create_workflow(WorkflowConfig(stages=[StageDelay(duration="${d}")])).data.id

    started = time.monotonic()
    run = client.run_workflow(workflow_id, {"d": "2h"}, wait=True).data

    assert time.monotonic() - started < 2  # two virtual hours, no real time
    assert run.terminated is True
    assert run.error is None  # omitted on success, unlike every other instance representation
    assert run.terminated_at is not None and run.terminated_at - run.created_at == timedelta(hours=2)
    [status] = run.status or []
    assert status.stage == 0 and status.error == "" and status.terminated_at == run.terminated_at
    assert orchestration_fake.clock.now() == before + timedelta(hours=2)
    assert client.get_instance(run.id).data.error == ""
    [item] = client.get_instance_history(run.id).data
    assert item.name == "RunDelay" and item.input == StageDelay(duration="2h0m0s")
    assert client.get_instance_stage_history(run.id, 0).data == []


def test_list_instances_by_workflow_and_running(orchestration_client: Client) -> None:
    client = orchestration_client
    waiting = wait_workflow(client)
    quick = client.create_workflow(WorkflowConfig(stages=[StageNoOp()])).data.id
    a = client.run_workflow(waiting).data.id
    b = client.run_workflow(waiting).data.id
    c = client.run_workflow(quick).data.id
    client.send_event(b, "go")

    assert {i.id for i in client.list_instances().data} == {a, b, c}
    assert {i.id for i in client.list_instances(running=True).data} == {a}
    assert {i.id for i in client.list_instances(workflow_id=waiting).data} == {a, b}
    assert {i.id for i in client.list_instances(workflow_id=quick).data} == {c}
    assert [i.id for i in client.list_instances(workflow_id=waiting, running=True).data] == [a]
    assert client.list_instances(workflow_id=quick, running=True).data == []
    assert client.list_instances(workflow_id="no-such-workflow").data == []
    assert client.list_instances(running=False).data != []  # False is no filter: there is none
    for item in client.list_instances().data:
        assert item.status is None  # lists never carry the stage rows
        assert item.terminated is (item.id != a) and item.error == ""


def test_get_instance_send_event_and_cancel_event(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    workflow_id = client.create_workflow(
        WorkflowConfig(stages=[StageWaitEvent(event="first"), StageWaitEvent(event="second")])
    ).data.id
    instance_id = client.run_workflow(workflow_id).data.id

    client.send_event(instance_id, "nope")  # 204, consumed and discarded by the wait_event
    assert orchestration_fake.waiting_event(instance_id) == "first"
    client.send_event(instance_id, "first")
    assert orchestration_fake.waiting_event(instance_id) == "second"
    current = client.get_instance(instance_id).data
    assert current.terminated is False and current.terminated_at is None and current.error == ""
    assert [(s.stage, s.terminated_at is not None) for s in current.status or []] == [(0, True), (1, False)]

    client.send_event(instance_id, SendEventRequest(name="second"))
    done = client.get_instance(instance_id).data
    assert done.terminated is True and done.error == ""
    assert [s.error for s in done.status or []] == ["", ""]
    event_bodies = [json.loads(c.body) for c in orchestration_fake.calls if c.operation == "sendEvent"]
    assert event_bodies == [{"name": "nope"}, {"name": "first"}, {"name": "second"}]

    other = client.run_workflow(workflow_id).data.id
    client.cancel_event(other)
    aborted = client.get_instance(other).data
    assert aborted.terminated is True and aborted.error == "canceled"
    assert [s.error for s in aborted.status or []] == ["canceled"]
    [item] = client.get_instance_history(other).data
    assert item.name == "RunWaitEvent" and item.error == "canceled" and item.terminated is True
    client.cancel_event(other)  # already terminated: still 204
    assert client.get_instance(other).data.error == "canceled"


def test_instance_history_types_every_stage_input(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    workflow_id = client.create_workflow(
        WorkflowConfig(
            stages=[
                StageSend(
                    source=StageSendSource.of_account("world"),
                    destination=StageSendDestination.of_account("bank"),
                    amount=Monetary(asset="EUR/2", amount=100),
                ),
                StageDelay(duration="1m"),
                StageWaitEvent(event="approved"),
                StageNoOp(),
            ]
        )
    ).data.id
    instance_id = client.run_workflow(workflow_id).data.id
    orchestration_fake.advance(60)
    client.send_event(instance_id, "approved")

    history = client.get_instance_history(instance_id).data

    assert [item.name for item in history] == ["RunSend", "RunDelay", "RunWaitEvent", "RunNoOp"]
    assert [item.input for item in history] == [
        StageSend(
            source=StageSendSource.of_account("world", ledger="default"),
            destination=StageSendDestination.of_account("bank", ledger="default"),
            amount=Monetary(asset="EUR/2", amount=100),
        ),
        StageDelay(duration="1m0s"),  # re-rendered the Go way
        StageWaitEvent(event="approved"),
        StageNoOp(),
    ]
    assert all(item.terminated and item.error is None for item in history)
    delay = history[1]
    assert delay.terminated_at is not None and delay.terminated_at - delay.started_at == timedelta(minutes=1)
    assert [client.get_instance_stage_history(instance_id, n).data for n in (1, 2, 3)] == [[], [], []]


def test_stage_history_types_activity_inputs_and_outputs(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client, bank = orchestration_client, orchestration_fake.bank
    bank.fund("users:001", USD, 1000)
    bank.create_account("users:001", metadata={"stripeConnectID": "acct_1"})
    wallet_id = bank.create_wallet(name="alice")
    workflow_id = client.create_workflow(
        WorkflowConfig(
            stages=[
                StageSend(
                    source=StageSendSource.of_account("users:001"),
                    destination=StageSendDestination.of_account("users:002"),
                    amount=Monetary(asset=USD, amount=100),
                ),
                StageSend(
                    source=StageSendSource.of_account("users:001"),
                    destination=StageSendDestination.of_wallet(wallet_id),
                    amount=Monetary(asset=USD, amount=200),
                ),
                StageSend(
                    source=StageSendSource.of_account("users:001"),
                    destination=StageSendDestination.of_payment(),
                    amount=Monetary(asset=USD, amount=300),
                ),
            ]
        )
    ).data.id
    instance_id = client.run_workflow(workflow_id).data.id
    assert client.wait_for_instance(instance_id, timeout=5, poll_interval=0.01).error == ""

    [tx] = client.get_instance_stage_history(instance_id, 0).data
    assert tx.name == "CreateTransaction" and tx.attempt == 1 and tx.terminated
    assert tx.last_failure is None and tx.next_execution is None and tx.error is None
    assert isinstance(tx.input, ActivityCreateTransaction)
    assert tx.input.ledger == "default"
    assert tx.input.data is not None and tx.input.data.metadata == {}
    posting = Posting(amount=100, asset=USD, destination="users:002", source="users:001")
    assert tx.input.data.postings == [posting]
    assert isinstance(tx.output, ActivityCreateTransactionOutput)
    assert tx.output.data.postings == [posting]
    assert tx.output.data.txid == 1 and tx.output.data.reference == "" and tx.output.data.metadata == {}
    assert tx.output.data.timestamp == orchestration_fake.clock.now()

    get_wallet, move, credit = client.get_instance_stage_history(instance_id, 1).data
    assert get_wallet.input == ActivityGetWallet(id=wallet_id)
    assert isinstance(get_wallet.output, ActivityGetWalletOutput)
    assert get_wallet.output.data.ledger == "wallets-002" and get_wallet.output.data.name == "alice"
    assert isinstance(move.input, ActivityCreateTransaction) and move.input.data is not None
    assert move.input.data.metadata == {"orchestration/move-to-ledger": "wallets-002"}
    assert isinstance(credit.input, ActivityCreditWallet) and credit.input.data is not None
    assert credit.input.id == wallet_id and credit.output is None
    assert credit.input.data.amount == Monetary(asset=USD, amount=200)
    assert credit.input.data.sources == [LedgerAccountSubject(identifier="world")]
    assert credit.input.data.metadata == {"orchestration/move-from-ledger": "default"}

    get_account, transfer, debit = client.get_instance_stage_history(instance_id, 2).data
    assert get_account.input == ActivityGetAccount(id="users:001", ledger="default")
    assert transfer.input == ActivityStripeTransfer(amount=300, asset=USD, destination="acct_1")
    assert transfer.output is None
    assert isinstance(debit.input, ActivityCreateTransaction) and debit.input.data is not None
    assert debit.input.data.postings == [
        Posting(amount=300, asset=USD, destination="world", source="users:001")
    ]

    assert bank.balance("users:001", USD) == 400
    assert bank.wallet_balance(wallet_id, USD) == 200
    assert bank.stripe_transfers() == [{"amount": 300, "asset": USD, "destination": "acct_1"}]


def test_stage_history_of_a_retrying_send(orchestration_client: Client, orchestration_fake: Fake) -> None:
    client = orchestration_client
    workflow_id = client.create_workflow(
        WorkflowConfig(
            stages=[
                StageSend(
                    source=StageSendSource.of_account("empty:account"),
                    destination=StageSendDestination.of_account("bank"),
                    amount=Monetary(asset="EUR/2", amount=100),
                )
            ]
        )
    ).data.id
    instance_id = client.run_workflow(workflow_id).data.id
    orchestration_fake.advance(5)

    [pending] = client.get_instance_stage_history(instance_id, 0).data

    assert pending.terminated is False and pending.terminated_at is None and pending.output is None
    assert pending.attempt == 4 and pending.last_failure == "account had insufficient funds"
    assert pending.next_execution == pending.started_at + timedelta(seconds=7)
    with pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_instance(instance_id, timeout=0.05, poll_interval=0.01)
    assert caught.value.instance_id == instance_id
    assert isinstance(caught.value.last, WorkflowInstance) and caught.value.last.terminated is False

    orchestration_fake.bank.fund("empty:account", "EUR/2", 100)
    orchestration_fake.advance(10)
    done = client.wait_for_instance(instance_id, timeout=5, poll_interval=0.01)
    assert done.terminated is True and done.error == ""
    assert orchestration_fake.bank.balance("bank", "EUR/2") == 100


def test_wait_for_instance_while_another_thread_moves_the_clock(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    workflow_id = client.create_workflow(WorkflowConfig(stages=[StageDelay(duration="10m")])).data.id
    instance_id = client.run_workflow(workflow_id).data.id

    def later() -> None:
        time.sleep(0.05)
        orchestration_fake.advance(timedelta(minutes=10))

    thread, results = run_in_thread(later)
    # a timeout of an hour: the wait may skip to the delay's end itself (a shorter one would give up
    # at once in virtual time), or see the other thread's move first; either way it ends at 10 min
    done = client.wait_for_instance(instance_id, timeout=3600, poll_interval=0.01)
    joined(thread, results)

    assert done.id == instance_id and done.terminated is True and done.error == ""
    assert done.terminated_at is not None and done.terminated_at - done.created_at == timedelta(minutes=10)


# ---------------------------------------------------------------------------------------------------
# Error mapping


def test_unknown_workflow_is_a_not_found_server_error(orchestration_client: Client) -> None:
    for call in (
        lambda: orchestration_client.get_workflow("no-such-workflow"),
        lambda: orchestration_client.run_workflow("no-such-workflow"),
    ):
        with pytest.raises(NotFoundServerError) as caught:
            call()
        error = caught.value
        assert isinstance(error, NotFoundError) and isinstance(error, ServerError)
        assert error.status_code == 500
        assert error.error_code == "INTERNAL_ERROR"
        assert error.error_message == NO_ROWS


def test_unknown_instance_is_not_found(orchestration_client: Client) -> None:
    client = orchestration_client
    with pytest.raises(NotFoundError) as caught:
        client.get_instance("no-such-instance")
    assert isinstance(caught.value, NotFoundServerError)
    assert (caught.value.status_code, caught.value.error_code) == (500, "INTERNAL_ERROR")
    assert caught.value.error_message == "Instance not found"
    for call, message in (
        (lambda: client.send_event("no-such-instance", "go"), "retrieving workflow: " + NO_ROWS),
        (lambda: client.cancel_event("no-such-instance"), "retrieving workflow execution: " + NO_ROWS),
        (lambda: client.get_instance_history("no-such-instance"), NO_ROWS),
    ):
        with pytest.raises(NotFoundServerError) as other:
            call()
        assert other.value.status_code == 500 and other.value.error_message == message


def test_stage_history_out_of_range_is_a_real_404(orchestration_client: Client) -> None:
    client = orchestration_client
    instance_id = client.run_workflow(wait_workflow(client)).data.id
    assert client.get_instance_stage_history(instance_id, 0).data == []
    with pytest.raises(TypeError):
        client.get_instance_stage_history(instance_id, cast(Any, "abc"))  # the client takes an int
    for number in (1, 99, -1):
        with pytest.raises(NotFoundError) as caught:
            client.get_instance_stage_history(instance_id, number)
        error = caught.value
        assert not isinstance(error, ServerError)
        assert (error.status_code, error.error_code, error.error_message) == (
            404,
            "NOT_FOUND",
            "resource not found",
        )
    with pytest.raises(NotFoundError) as unknown:
        client.get_instance_stage_history("no-such-instance", 0)
    assert unknown.value.status_code == 404


def test_invalid_workflow_is_a_server_error(orchestration_client: Client) -> None:
    with pytest.raises(ServerError) as caught:
        orchestration_client.create_workflow({"stages": [{"foo": {}}]})
    error = caught.value
    assert not isinstance(error, NotFoundError)
    assert (error.status_code, error.error_code) == (500, "INTERNAL_ERROR")
    assert error.error_message == "creating workflow: unable to resolve schema foo"
    assert "createWorkflow" in str(error) and "unable to resolve schema foo" in str(error)
    assert orchestration_client.list_workflows().data == []


def test_non_string_run_variables_are_a_validation_error(orchestration_client: Client) -> None:
    client = orchestration_client
    workflow_id = wait_workflow(client)
    bad = cast(dict[str, str], {"a": 1})  # bypasses the typing: the client sends what it is given
    for target in (workflow_id, "no-such-workflow"):  # the body is checked before the workflow
        with pytest.raises(ValidationError) as caught:
            client.run_workflow(target, bad)
        error = caught.value
        assert (error.status_code, error.error_code) == (400, "VALIDATION")
        assert error.error_message == "json: cannot unmarshal number into Go value of type string"
    assert client.list_instances().data == []


def test_send_event_to_a_finished_instance_is_a_server_error(orchestration_client: Client) -> None:
    client = orchestration_client
    instance_id = client.run_workflow(wait_workflow(client)).data.id
    client.send_event(instance_id, "go")
    assert client.get_instance(instance_id).data.terminated is True

    with pytest.raises(ServerError) as caught:
        client.send_event(instance_id, "go")
    error = caught.value
    assert not isinstance(error, NotFoundError)
    assert (error.status_code, error.error_code) == (500, "INTERNAL_ERROR")
    assert error.error_message == "sending signal to server: workflow execution already completed"


def test_waiting_run_on_an_event_times_out_with_504(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    orchestration_fake.engine.wait_timeout = 0.2
    workflow_id = wait_workflow(client)

    started = time.monotonic()
    with pytest.raises(ServerError) as caught:
        client.run_workflow(workflow_id, wait=True)

    assert time.monotonic() - started < 3  # one 0.2 s wait, never retried (running is not idempotent)
    error = caught.value
    assert (error.status_code, error.error_code) == (504, "FAKE_WAIT_TIMEOUT")
    assert error.error_message is not None and 'the event "go"' in error.error_message
    assert [c.status for c in orchestration_fake.calls if c.operation == "runWorkflow"] == [504]
    [instance] = client.list_instances(workflow_id=workflow_id, running=True).data  # it still runs
    client.send_event(instance.id, "go")
    assert client.get_instance(instance.id).data.terminated is True


def test_waiting_run_released_by_an_event_from_another_thread(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    orchestration_fake.engine.wait_timeout = 10
    workflow_id = wait_workflow(client, "approved")

    thread, results = run_in_thread(lambda: client.run_workflow(workflow_id, wait=True))
    with OrchestrationClient(orchestration_fake.base_url) as other:
        eventually(lambda: bool(other.list_instances(workflow_id=workflow_id, running=True).data))
        [instance] = other.list_instances(workflow_id=workflow_id, running=True).data
        eventually(lambda: orchestration_fake.waiting_event(instance.id) == "approved")
        other.send_event(instance.id, "approved")
    run = joined(thread, results).data

    assert run.id == instance.id
    assert run.terminated is True and run.error is None
    assert [(s.stage, s.error) for s in run.status or []] == [(0, "")]


def test_waiting_run_released_by_an_abort_from_another_thread(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    orchestration_fake.engine.wait_timeout = 10
    workflow_id = wait_workflow(client)

    thread, results = run_in_thread(lambda: client.run_workflow(workflow_id, wait=True))
    eventually(lambda: bool(client.list_instances(workflow_id=workflow_id, running=True).data))
    [instance] = client.list_instances(workflow_id=workflow_id, running=True).data
    client.cancel_event(instance.id)
    run = joined(thread, results).data

    assert run.terminated is True and run.error == "canceled"


def test_waiting_run_of_a_failing_stage_reports_the_typed_error(orchestration_client: Client) -> None:
    client = orchestration_client
    workflow_id = client.create_workflow({"stages": [{"noop": {}}, {"wait_event": {}}]}).data.id

    run = client.run_workflow(workflow_id, wait=True).data

    message = "Key: 'WaitEvent.Event' Error:Field validation for 'Event' failed on the 'required' tag"
    assert run.terminated is True
    assert run.error == message + " (type: ValidationErrors, retryable: true)"
    assert [(s.stage, s.error) for s in run.status or []] == [(0, ""), (1, message)]
    assert client.get_instance(run.id).data.error == message
    assert [item.name for item in client.get_instance_history(run.id).data] == ["RunNoOp"]


# ---------------------------------------------------------------------------------------------------
# Concurrency


def test_threads_with_a_client_each_run_and_signal_many_instances(orchestration_fake: Fake) -> None:
    """8 threads x 3 instances: each instance is credited, waits for its event, then pays the sink."""
    threads, per_thread = 8, 3
    bank = orchestration_fake.bank
    with OrchestrationClient(orchestration_fake.base_url) as setup:
        workflow_id = setup.create_workflow(
            WorkflowConfig(
                stages=[
                    StageSend(
                        source=StageSendSource.of_account("world"),
                        destination=StageSendDestination.of_account("users:${n}"),
                        amount=Monetary(asset=USD, amount=10),
                    ),
                    StageWaitEvent(event="go"),
                    StageSend(
                        source=StageSendSource.of_account("users:${n}"),
                        destination=StageSendDestination.of_account("sink"),
                        amount=Monetary(asset=USD, amount=10),
                    ),
                ]
            )
        ).data.id
    barrier = threading.Barrier(threads)

    def worker(index: int) -> list[tuple[str, WorkflowInstance]]:
        done: list[tuple[str, WorkflowInstance]] = []
        with OrchestrationClient(orchestration_fake.base_url) as client:
            barrier.wait(5)
            for k in range(per_thread):
                n = f"{index:02d}{k}"
                instance_id = client.run_workflow(workflow_id, {"n": n}).data.id
                assert orchestration_fake.waiting_event(instance_id) == "go"
                client.send_event(instance_id, "nope" if k == 0 else "go")
                if k == 0:
                    client.send_event(instance_id, SendEventRequest(name="go"))
                done.append((n, client.wait_for_instance(instance_id, timeout=10, poll_interval=0.01)))
        return done

    started = [run_in_thread(functools.partial(worker, i)) for i in range(threads)]
    finished = [item for thread, results in started for item in joined(thread, results)]

    assert len(finished) == threads * per_thread == 24
    assert len({instance.id for _, instance in finished}) == 24
    for n, instance in finished:
        assert instance.terminated is True and instance.error == ""
        assert [s.error for s in instance.status or []] == ["", "", ""]
        assert bank.balance(f"users:{n}", USD) == 0
    with OrchestrationClient(orchestration_fake.base_url) as check:
        listed = check.list_instances(workflow_id=workflow_id).data
        assert {i.id for i in listed} == {instance.id for _, instance in finished}
        assert check.list_instances(running=True).data == []
    assert bank.balance("sink", USD) == 240
    assert bank.balance("world", USD) == -240
    assert len(bank.transactions("default")) == 48
    assert orchestration_fake.engine.stats()["running"] == 0


def test_one_shared_client_blocks_many_waiting_runs_and_releases_them_all(
    orchestration_client: Client, orchestration_fake: Fake
) -> None:
    client = orchestration_client
    orchestration_fake.engine.wait_timeout = 15
    count = 20
    workflow_id = wait_workflow(client, "release")

    started = [
        run_in_thread(functools.partial(client.run_workflow, workflow_id, wait=True)) for _ in range(count)
    ]
    eventually(lambda: len(client.list_instances(workflow_id=workflow_id, running=True).data) == count)
    running = client.list_instances(workflow_id=workflow_id, running=True).data
    signals = [run_in_thread(functools.partial(client.send_event, i.id, "release")) for i in running]
    for thread, results in signals:
        assert joined(thread, results) is None
    runs = [joined(thread, results).data for thread, results in started]

    assert sorted(run.id for run in runs) == sorted(instance.id for instance in running)
    assert all(run.terminated and run.error is None for run in runs)
    assert client.list_instances(running=True).data == []
    assert [c.status for c in orchestration_fake.calls if c.operation == "runWorkflow"] == [201] * count
    assert [c.status for c in orchestration_fake.calls if c.operation == "sendEvent"] == [204] * count
