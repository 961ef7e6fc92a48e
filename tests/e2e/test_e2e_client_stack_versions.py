"""The client against the fake of EVERY stack version: every body of every operation decodes 100% typed
(no ``RawStage``/``RawActivity`` anywhere) and ``unstructure(result) == json.loads(raw body)``.

Each test drives the fake of one version (``orchestration_stack_version`` is parametrized) through the
11 operations, every send-matrix pair (source account / wallet by id / wallet by name / payment x
destination account / account in another ledger / wallet / wallet in another ledger / payment), the
failing sends (insufficient funds retried, payment to payment, missing Stripe metadata), the
``update`` stage, delays, events, aborts and soft-deleted workflows; the raw body of every answer is
captured by a ``requests`` response hook and compared with what the client decoded from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
import requests

from fakeserver import STACK_VERSIONS
from fakeserver._stack_versions import stack_version
from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration import (
    ActivityCreateTransactionOutput,
    ActivityCreateTransactionV2Output,
    Model,
    Monetary,
    NotFoundError,
    NotFoundServerError,
    OrchestrationClient,
    RawActivity,
    RawStage,
    ServerError,
    StageDelay,
    StageNoOp,
    StageSend,
    StageSendDestination,
    StageSendSource,
    StageUpdate,
    StageUpdateAccount,
    StageWaitEvent,
    ValidationError,
    WorkflowConfig,
)
from formance_orchestration._converter import structure, unstructure
from formance_orchestration._typed import typed_decoder

USD = "USD/2"
# the versions with the stack v2.0+ send stage and update stage, and those with soft delete
LATER = {name for name in STACK_VERSIONS if stack_version(name).stages_2024}
SOFT_DELETE = {name for name in STACK_VERSIONS if stack_version(name).soft_delete}
SEND_2025 = {name for name in STACK_VERSIONS if stack_version(name).send_2025}
STAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=STACK_VERSIONS)
def orchestration_stack_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Bodies:
    """The raw JSON bodies of the 2xx answers, in order (a ``requests`` response hook)."""

    def __init__(self) -> None:
        self.raw: list[tuple[str, bytes]] = []
        self.checked = 0

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code < 300 and response.content:
            self.raw.append((f"{response.request.method} {response.request.path_url}", response.content))


@pytest.fixture
def bodies(orchestration_client: OrchestrationClient) -> Iterator[Bodies]:
    recorder = Bodies()
    orchestration_client.session.hooks["response"].append(recorder)
    yield recorder


def untyped(value: Any, path: str = "") -> list[str]:
    """Where a raw wrapper sits in a decoded value."""
    if isinstance(value, RawStage | RawActivity):
        return [path]
    found: list[str] = []
    if isinstance(value, Model):
        for field in attrs.fields(type(value)):
            found += untyped(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += untyped(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += untyped(item, f"{path}.{key}")
    return found


class Checked:
    """Calls the client and checks each decoded answer against the raw body it came from."""

    def __init__(self, client: OrchestrationClient, recorder: Bodies) -> None:
        self.client = client
        self.recorder = recorder
        self.operations: set[str] = set()

    def __getattr__(self, operation: str) -> Any:
        method = getattr(self.client, operation)

        def call(*args: Any, **kwargs: Any) -> Any:
            before = len(self.recorder.raw)
            result = method(*args, **kwargs)
            self.operations.add(operation)
            if result is None:  # 204
                assert len(self.recorder.raw) == before
                return None
            where, raw = self.recorder.raw[-1]
            assert len(self.recorder.raw) == before + 1, where
            assert untyped(result) == [], (where, untyped(result))
            assert unstructure(result) == json.loads(raw), where
            fast = typed_decoder(type(result))  # the client's fast path took it, and agrees
            assert fast is not None and fast(raw, False) == structure(json.loads(raw), type(result)), where
            self.recorder.checked += 1
            return result

        return call


@pytest.fixture
def api(orchestration_client: OrchestrationClient, bodies: Bodies) -> Checked:
    return Checked(orchestration_client, bodies)


def seed(fake: FakeOrchestration) -> None:
    bank = fake.bank
    connect = {"stripeConnectID": "acct_1", "formanceAccountID": "acct_1"}
    bank.create_account("users:001", metadata=connect)
    bank.fund("users:001", USD, 1_000_000)
    bank.create_wallet(name="alice", id="alice", metadata=connect)
    bank.fund_wallet("alice", USD, 1_000_000)
    bank.create_wallet(name="bob", id="bob")
    bank.create_wallet(name="carol", id="carol", ledger="wallets-b")
    bank.create_payment(amount=500, asset=USD, id="pay1")


def sources(version: str) -> dict[str, StageSendSource]:
    found = {
        "account": StageSendSource.of_account("users:001", ledger="default"),
        "wallet": StageSendSource.of_wallet("alice"),
        "payment": StageSendSource.of_payment("pay1"),
    }
    if version in LATER:
        found["wallet-by-name"] = StageSendSource.of_wallet(name="alice")
    if version in SEND_2025:  # through accounts, overdrafts (Numscript), a payment's own ledger
        found["account-through"] = StageSendSource.of_account(
            "users:001", through_account="bridge:out", allow_overdraft=True
        )
        found["payment-held"] = StageSendSource.of_payment(
            "pay1",
            ledger="payments",
            holding_account="held:pay1",
            through_account="psp:in",
            allow_overdraft=True,
        )
    return found


def destinations(version: str) -> dict[str, StageSendDestination]:
    found = {
        "account": StageSendDestination.of_account("users:002", ledger="default"),
        "account-other-ledger": StageSendDestination.of_account("users:002", ledger="ledger-b"),
        "wallet": StageSendDestination.of_wallet("bob"),
        "wallet-other-ledger": StageSendDestination.of_wallet("carol", balance="main"),
        "payment": StageSendDestination.of_payment("stripe"),
    }
    if version in SEND_2025:
        found["account-through"] = StageSendDestination.of_account(
            "users:002", ledger="ledger-b", through_account="bridge:in", allow_overdraft=True
        )
        found["payout"] = StageSendDestination.of_payment("wise", type="PAYOUT", source_account="acc_wise")
    return found


def send(
    version: str, source: StageSendSource, destination: StageSendDestination, amount: int = 100
) -> StageSend:
    if version in LATER:  # the later fields, carried to every activity
        return StageSend(
            source=source,
            destination=destination,
            amount=Monetary(asset=USD, amount=amount),
            metadata={"order": "42"},
            timestamp=STAMP,
        )
    return StageSend(source=source, destination=destination, amount=Monetary(asset=USD, amount=amount))


def read_back(api: Checked, instance_id: str) -> list[Any]:
    """Instance, history and every stage history; the stage histories' activities."""
    api.get_instance(instance_id)
    history = api.get_instance_history(instance_id).data
    activities: list[Any] = []
    for number in range(len(history)):
        activities += api.get_instance_stage_history(instance_id, number).data
    return activities


def test_every_send_matrix_pair_decodes_typed_and_round_trips(
    api: Checked, orchestration_fake: FakeOrchestration, orchestration_stack_version: str, bodies: Bodies
) -> None:
    version = orchestration_stack_version
    seed(orchestration_fake)
    names: set[str] = set()
    transactions = 0
    for source in sources(version).values():
        for destination in destinations(version).values():
            workflow = api.create_workflow(
                WorkflowConfig(name="pair", stages=[send(version, source, destination)])
            )
            api.get_workflow(workflow.data.id)
            run = api.run_workflow(workflow.data.id)
            for item in read_back(api, run.data.id):
                names.add(item.name)
                if item.name == "CreateTransaction" and item.output is not None:
                    expected = (
                        ActivityCreateTransactionV2Output
                        if stack_version(version).ledger_v2
                        else ActivityCreateTransactionOutput
                    )
                    assert isinstance(item.output, expected)
                    tx = item.output.data  # the README's line, whichever shape
                    assert tx.transaction_id >= 0 and tx.postings
                    transactions += 1
    expected_names = {"CreateTransaction", "CreditWallet", "DebitWallet", "GetAccount", "GetPayment"}
    expected_names |= {"GetWallet", "CreateTransferInitiation" if version in SEND_2025 else "StripeTransfer"}
    if version in LATER:
        expected_names.add("ListWallets")
    assert names >= expected_names
    assert transactions > 10
    assert bodies.checked > 80  # every body of every pair was compared


def test_failing_sends_and_retried_activities_decode_typed(
    api: Checked, orchestration_fake: FakeOrchestration, orchestration_stack_version: str
) -> None:
    version = orchestration_stack_version
    seed(orchestration_fake)
    failing = [
        send(
            version, StageSendSource.of_account("users:003"), destinations(version)["account"], 10**6
        ),  # no funds
        send(
            version, StageSendSource.of_payment("pay1"), destinations(version)["payment"]
        ),  # payment to payment
        send(
            version, StageSendSource.of_wallet("bob"), destinations(version)["payment"]
        ),  # no Stripe metadata
        RawStage(  # no amount: the builder refuses it, the service takes it and fails the run
            type="send",
            params={
                "source": {"account": {"id": "users:001"}},
                "destination": unstructure(destinations(version)["account"]),
            },
        ),
    ]
    retried = 0
    for stage in failing:
        workflow = api.create_workflow(WorkflowConfig(stages=[stage]))
        run = api.run_workflow(workflow.data.id)
        for item in read_back(api, run.data.id):
            retried += item.last_failure is not None
    assert retried >= 1  # the insufficient funds transaction, pending with its last failure


def test_every_other_operation_and_stage_decodes_typed(
    api: Checked, orchestration_fake: FakeOrchestration, orchestration_stack_version: str
) -> None:
    version = orchestration_stack_version
    seed(orchestration_fake)
    api.get_server_info()
    api.list_workflows()  # empty
    stages: list[Any] = [StageDelay(duration="1s"), StageWaitEvent(event="go"), StageNoOp()]
    if version in LATER:
        stages.append(
            StageUpdate(account=StageUpdateAccount(id="users:009", ledger="default", metadata={"a": "b"}))
        )
    workflow = api.create_workflow(WorkflowConfig(name="steps", stages=stages)).data
    api.create_workflow(WorkflowConfig())  # no stages: stored as null
    first = api.run_workflow(workflow.id, {"user": "1"}).data
    orchestration_fake.advance(5)
    api.send_event(first.id, "go")
    done = api.run_workflow(workflow.id, wait=False).data
    api.cancel_event(done.id)
    api.client.wait_for_instance(first.id, timeout=10, poll_interval=0.1)
    for instance_id in (first.id, done.id):
        read_back(api, instance_id)
    api.list_instances()
    api.list_instances(workflow.id)
    api.list_instances(running=True)
    api.list_instances(workflow.id, running=False)
    api.list_workflows()
    if version in SOFT_DELETE:  # a soft-deleted workflow is still read by id, with its deletedAt
        deleted = api.create_workflow(WorkflowConfig(stages=[StageNoOp()])).data
        response = requests.delete(f"{orchestration_fake.base_url}/api/orchestration/workflows/{deleted.id}")
        assert response.status_code == 204
        assert api.get_workflow(deleted.id).data.deleted_at is not None
    quick = api.create_workflow(WorkflowConfig(stages=[StageNoOp()])).data
    api.get_workflow(quick.id)
    api.run_workflow(quick.id, wait=True)  # the wait=true answer
    assert len(api.operations) == 11  # every operation of the client was called and checked


UNKNOWN = "0b7e5a57-0000-4000-8000-000000000000"


def test_every_error_path_raises_the_typed_error_in_every_version(
    orchestration_client: OrchestrationClient, orchestration_stack_version: str
) -> None:
    internal = stack_version(orchestration_stack_version).internal_error_code
    client = orchestration_client
    unknown_ids = [
        lambda: client.get_workflow(UNKNOWN),
        lambda: client.run_workflow(UNKNOWN),
        lambda: client.get_instance(UNKNOWN),
        lambda: client.get_instance_history(UNKNOWN),
        lambda: client.send_event(UNKNOWN, "go"),
        lambda: client.cancel_event(UNKNOWN),
    ]
    for call in unknown_ids:  # the service answers these with a 500 meaning "not found"
        with pytest.raises(NotFoundServerError) as caught:
            call()
        assert (caught.value.status_code, caught.value.error_code) == (500, internal)
    with pytest.raises(NotFoundError) as not_found:
        client.get_instance_stage_history(UNKNOWN, 0)
    assert (not_found.value.status_code, not_found.value.error_code) == (404, "NOT_FOUND")
    assert not_found.value.error_message == stack_version(orchestration_stack_version).stage_history_not_found
    with pytest.raises(ValidationError) as invalid:  # a body Go cannot unmarshal
        client.create_workflow({"stages": "x"})
    assert invalid.value.status_code == 400 and invalid.value.error_code == "VALIDATION"
    with pytest.raises(ServerError) as unresolvable:  # a stage the service cannot resolve: a 500
        client.create_workflow({"stages": [{"delay": {"duration": 12}}]})
    assert not isinstance(unresolvable.value, NotFoundError)
    assert (unresolvable.value.status_code, unresolvable.value.error_code) == (500, internal)
