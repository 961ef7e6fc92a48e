"""How a downstream project tests its own payout code against the fake, with no server running.

Installing ``formance-orchestration`` registers a pytest plugin that provides two fixtures:

* ``orchestration_fake``: an in-memory fake of the Orchestration API (its ``bank`` holds ledger
  accounts and wallets, ``advance()`` moves its virtual clock), reset for every test;
* ``orchestration_client``: an ``OrchestrationClient`` whose requests go to that fake.

Run it with ``python -m pytest examples/test_downstream.py``.
"""

from __future__ import annotations

from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration import (
    Monetary,
    OrchestrationClient,
    StageDelay,
    StageSend,
    StageSendDestination,
    StageSendSource,
    StageWaitEvent,
    WorkflowConfig,
)

# -- the application code under test (in a real project it lives in the application package) --------

APPROVAL_EVENT = "payout-approved"

PAYOUT = WorkflowConfig(
    name="payout-with-approval",
    stages=[
        StageSend(  # set the money aside
            source=StageSendSource.of_account("users:${user}"),
            destination=StageSendDestination.of_account("payouts:pending"),
            amount=Monetary(asset="USD/2", amount="${amount}"),
        ),
        StageWaitEvent(event=APPROVAL_EVENT),  # a person approves
        StageDelay(duration="24h"),  # cooling-off period
        StageSend(  # pay out: the money leaves the ledger
            source=StageSendSource.of_account("payouts:pending"),
            destination=StageSendDestination.of_account("world"),
            amount=Monetary(asset="USD/2", amount="${amount}"),
        ),
    ],
)


def request_payout(client: OrchestrationClient, user: str, amount: int) -> str:
    """Create the payout workflow, start it for ``user`` and return the instance id."""
    workflow = client.create_workflow(PAYOUT).data
    instance = client.run_workflow(workflow.id, {"user": user, "amount": str(amount)}).data
    return instance.id


def approve(client: OrchestrationClient, instance_id: str) -> None:
    """Approve a pending payout."""
    client.send_event(instance_id, APPROVAL_EVENT)


# -- the downstream tests -----------------------------------------------------------------------------


def test_an_approved_payout_leaves_the_ledger_after_a_day(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    orchestration_fake.bank.fund("users:001", "USD/2", 10_000)

    instance_id = request_payout(orchestration_client, "001", 2_500)

    bank = orchestration_fake.bank
    assert bank.balance("users:001", "USD/2") == 7_500
    assert bank.balance("payouts:pending", "USD/2") == 2_500
    approve(orchestration_client, instance_id)
    assert not orchestration_client.get_instance(instance_id).data.terminated  # the delay runs

    orchestration_fake.advance(24 * 3600)

    instance = orchestration_client.get_instance(instance_id).data
    assert instance.terminated and not instance.error  # "" (mid-2023) or absent (later stacks)
    assert bank.balance("payouts:pending", "USD/2") == 0
    history = orchestration_client.get_instance_history(instance_id).data
    assert [stage.name for stage in history] == ["RunSend", "RunWaitEvent", "RunDelay", "RunSend"]


def test_a_payout_without_funds_retries_until_aborted(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    instance_id = request_payout(orchestration_client, "002", 2_500)

    orchestration_fake.advance(10)  # a few retries
    (activity,) = orchestration_client.get_instance_stage_history(instance_id, 0).data
    assert activity.name == "CreateTransaction"
    assert not activity.terminated
    assert activity.attempt > 1
    assert activity.last_failure is not None and "insufficient fund" in activity.last_failure

    orchestration_client.cancel_event(instance_id)

    instance = orchestration_client.get_instance(instance_id).data
    assert instance.terminated and instance.error == "canceled"


def test_the_event_must_match(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    orchestration_fake.bank.fund("users:003", "USD/2", 500)
    instance_id = request_payout(orchestration_client, "003", 500)

    orchestration_client.send_event(instance_id, "payout-rejected")  # consumed, ignored

    instance = orchestration_client.get_instance(instance_id).data
    assert not instance.terminated
    assert instance.status is not None and len(instance.status) == 2  # still waiting at stage 1
