"""The client reads the JSON of every stack version typed, and writes it back exactly.

Fixtures are hand-written from the upstream shapes: the mid-2023 stack (ledger v1 transactions with
``txid``, payments with ``accountID``) and stack v2.0+ (flows internal/workflow/manager.go
ReadStageHistory: a one-element list of ledger v2 transactions with ``id``, ``txid`` and
``reverted``; the 2024 payments API with ``connectorID``, ``sourceAccountID``,
``destinationAccountID``; ListWallets, AddAccountMetadata and the ``update`` stage; send ``metadata``
and ``timestamp``; workflows with ``deletedAt``, instances with ``workflow``).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from formance_orchestration import OrchestrationError, UntypedValueError
from formance_orchestration._converter import structure, unstructure
from formance_orchestration.models import (
    ActivityAddAccountMetadata,
    ActivityCreateTransactionOutput,
    ActivityCreateTransactionV2,
    ActivityCreateTransactionV2Output,
    ActivityCreateTransferInitiation,
    ActivityGetPaymentOutput,
    ActivityListWallets,
    ActivityListWalletsOutput,
    GetWorkflowInstanceHistoryResponse,
    GetWorkflowInstanceHistoryStageResponse,
    GetWorkflowInstanceResponse,
    GetWorkflowResponse,
    RawActivity,
    RawStage,
    StageSend,
    StageSendDestination,
    StageSendSource,
    StageUpdate,
    StageUpdateAccount,
    Transaction,
    WorkflowConfig,
    WorkflowInstanceHistoryStage,
)

T0 = "2024-07-01T10:00:00Z"
T1 = "2024-07-01T10:00:01.5Z"
POSTING = {"amount": 100, "asset": "USD/2", "destination": "users:002", "source": "users:001"}
TX_2023 = {"metadata": {}, "postings": [POSTING], "reference": "", "timestamp": T0, "txid": 0}
TX_2024 = {
    "id": 3,
    "metadata": {"k": "v"},
    "postings": [POSTING],
    "reverted": False,
    "timestamp": T0,
    "txid": 3,
}
TX_LEDGER_V2 = {  # ledger v2 alone: no txid, and the later optional fields
    "id": 7,
    "insertedAt": T1,
    "metadata": {},
    "postCommitVolumes": {"users:001": {"USD/2": {"balance": -100, "input": 0, "output": 100}}},
    "postings": [POSTING],
    "preCommitVolumes": {"users:001": {"USD/2": {"balance": 0, "input": 0, "output": 0}}},
    "reference": "ref",
    "reverted": True,
    "revertedAt": T1,
    "template": "tpl",
    "timestamp": T0,
}
PAYMENT_2023 = {
    "id": "p1",
    "reference": "p1",
    "accountID": "acc",
    "type": "PAY-IN",
    "provider": "STRIPE",
    "status": "SUCCEEDED",
    "initialAmount": 500,
    "scheme": "visa",
    "asset": "USD/2",
    "createdAt": T0,
    "raw": {"x": 1},
    "adjustments": [],
    "metadata": {"m": "1"},
}
PAYMENT_2024 = {
    "adjustments": [],
    "amount": 500,
    "asset": "USD/2",
    "connectorID": "conn",
    "createdAt": T0,
    "destinationAccountID": "dst",
    "id": "p1",
    "initialAmount": 500,
    "metadata": {"m": "1"},
    "provider": "STRIPE",
    "raw": {"x": 1},
    "reference": "p1",
    "scheme": "visa",
    "sourceAccountID": "src",
    "status": "SUCCEEDED",
    "type": "PAY-IN",
}


def activity(name: str, input: Any, output: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "input": {name: input}}
    if output is not None:
        item["output"] = {name: output}
    item.update(terminated=True, startedAt=T0, terminatedAt=T1, attempt=1)
    return item


def round_trip(body: dict[str, Any], cls: type[Any]) -> Any:
    sent = copy.deepcopy(body)
    decoded = structure(body, cls)
    assert unstructure(decoded) == sent
    return decoded


def test_a_2023_transaction_reads_typed_with_its_txid() -> None:
    body = {"data": [activity("CreateTransaction", {"data": {}, "ledger": "default"}, {"data": TX_2023})]}
    [item] = round_trip(body, GetWorkflowInstanceHistoryStageResponse).data
    assert isinstance(item.output, ActivityCreateTransactionOutput)
    tx = item.output.data  # the README's example
    assert tx.txid == 0 and tx.id is None and tx.reverted is None
    assert tx.transaction_id == 0
    assert tx.postings[0].amount == 100


def test_a_2024_transaction_list_reads_typed_and_data_is_the_transaction() -> None:
    shown = {"Data": {"metadata": {"k": "v"}, "postings": [POSTING], "timestamp": T0}, "Ledger": "default"}
    body = {"data": [activity("CreateTransaction", shown, {"data": [TX_2024]})]}
    [item] = round_trip(body, GetWorkflowInstanceHistoryStageResponse).data
    assert isinstance(item.input, ActivityCreateTransactionV2)
    assert item.input.ledger == "default" and item.input.data is not None
    assert item.input.data.metadata == {"k": "v"}
    assert isinstance(item.output, ActivityCreateTransactionV2Output)
    tx = item.output.data  # the same README line works on the later shape
    assert item.output.transactions == [tx]
    assert (tx.id, tx.txid, tx.reverted, tx.transaction_id) == (3, 3, False, 3)
    assert tx.postings[0].destination == "users:002"


def test_a_ledger_v2_transaction_keeps_its_later_fields() -> None:
    [item] = round_trip(
        {"data": [activity("CreateTransaction", {"Ledger": "l"}, {"data": [TX_LEDGER_V2]})]},
        GetWorkflowInstanceHistoryStageResponse,
    ).data
    assert isinstance(item.output, ActivityCreateTransactionV2Output)
    tx = item.output.data
    assert tx.txid is None and tx.transaction_id == 7 and tx.reverted is True
    assert tx.post_commit_volumes == {"users:001": {"USD/2": {"balance": -100, "input": 0, "output": 100}}}
    assert tx.inserted_at is not None and tx.reverted_at is not None and tx.template == "tpl"


def test_transaction_id_of_a_hand_built_transaction_without_either() -> None:
    tx = structure({"postings": [], "timestamp": T0}, Transaction)
    with pytest.raises(ValueError, match="neither an id nor a txid"):
        _ = tx.transaction_id


@pytest.mark.parametrize("payment", [PAYMENT_2023, PAYMENT_2024], ids=["2023", "2024"])
def test_both_payment_shapes_read_typed(payment: dict[str, Any]) -> None:
    [item] = round_trip(
        {"data": [activity("GetPayment", {"id": "p1"}, {"data": payment})]},
        GetWorkflowInstanceHistoryStageResponse,
    ).data
    assert isinstance(item.output, ActivityGetPaymentOutput)
    got = item.output.data
    assert got.initial_amount == 500 and got.raw == {"x": 1}
    if "connectorID" in payment:
        assert (got.connector_id, got.source_account_id, got.destination_account_id) == ("conn", "src", "dst")
        assert got.account_id is None and got.amount == 500
    else:
        assert got.account_id == "acc" and got.connector_id is None


def test_a_2024_payment_without_provider() -> None:
    payment = {k: v for k, v in PAYMENT_2024.items() if k != "provider"}  # omitempty in Go
    [item] = round_trip(
        {"data": [activity("GetPayment", {"id": "p1"}, {"data": payment})]},
        GetWorkflowInstanceHistoryStageResponse,
    ).data
    assert isinstance(item.output, ActivityGetPaymentOutput) and item.output.data.provider is None


def test_list_wallets_and_add_account_metadata_read_typed() -> None:
    wallet = {"createdAt": T0, "id": "w1", "ledger": "wallets-002", "metadata": {}, "name": "alice"}
    body = {
        "data": [
            activity(
                "ListWallets",
                {"name": "alice"},
                {"cursor": {"data": [wallet], "hasMore": False, "pageSize": 15}},
            ),
            activity(
                "AddAccountMetadata", {"account": "users:1", "ledger": "default", "metadata": {"a": "b"}}
            ),
        ]
    }
    listed, added = round_trip(body, GetWorkflowInstanceHistoryStageResponse).data
    assert listed.input == ActivityListWallets(name="alice")
    assert isinstance(listed.output, ActivityListWalletsOutput)
    assert [w.name for w in listed.output.cursor.data] == ["alice"]
    assert listed.output.cursor.page_size == 15
    assert added.input == ActivityAddAccountMetadata(account="users:1", ledger="default", metadata={"a": "b"})


def test_later_send_fields_are_typed_and_kept() -> None:
    send = {
        "amount": {"amount": 100, "asset": "USD/2"},
        "destination": {
            "payment": {"connectorId": "c1", "metadata": "acct", "psp": "stripe", "waitingValidation": True}
        },
        "metadata": {"k": "v"},
        "source": {"wallet": {"balance": "main", "id": "", "name": "alice"}},
        "timestamp": T0,
    }
    body = {
        "data": {
            "id": "w",
            "config": {"name": "n", "stages": [{"send": send}]},
            "createdAt": T0,
            "updatedAt": T0,
        }
    }
    workflow = round_trip(body, GetWorkflowResponse).data
    stages = workflow.config.stages
    assert stages is not None
    [stage] = stages
    assert isinstance(stage, StageSend)
    assert stage.metadata == {"k": "v"} and stage.timestamp is not None
    assert stage.source is not None and stage.source.wallet is not None
    assert stage.source.wallet.name == "alice"
    assert stage.destination is not None and stage.destination.payment is not None
    assert stage.destination.payment.waiting_validation is True
    assert stage.destination.payment.connector_id == "c1"


def test_the_update_stage_is_typed_in_configs_and_history() -> None:
    params = {"account": {"id": "users:1", "ledger": "default", "metadata": {"a": "b"}}}
    config = round_trip({"stages": [{"update": params}]}, WorkflowConfig)
    expected = StageUpdate(account=StageUpdateAccount(id="users:1", ledger="default", metadata={"a": "b"}))
    assert config.stages == [expected]
    history = {"data": [{"name": "RunUpdate", "input": params, "terminated": True, "startedAt": T0}]}
    assert round_trip(history, GetWorkflowInstanceHistoryResponse).data[0].input == expected


def test_an_instance_embeds_its_workflow_in_stack_v3_1() -> None:
    workflow = {
        "id": "w",
        "config": {"name": "n", "stages": [{"noop": {}}]},
        "createdAt": T0,
        "updatedAt": T0,
    }
    body = {
        "data": {
            "workflowID": "w",
            "workflow": workflow,
            "id": "i",
            "createdAt": T0,
            "updatedAt": T0,
            "terminated": False,
        }
    }
    instance = round_trip(body, GetWorkflowInstanceResponse).data
    assert instance.workflow is not None and instance.workflow.id == "w"


# -- what the client cannot type is never silent ----------------------------------------------------


def test_an_untyped_activity_names_itself_and_refuses_typed_reads() -> None:
    item = structure(activity("Webhook", {"url": "u"}, {"data": {"ok": True}}), WorkflowInstanceHistoryStage)
    assert item.output == RawActivity(raw={"Webhook": {"data": {"ok": True}}})
    assert isinstance(item.output, RawActivity) and item.output.name == "Webhook"
    with pytest.raises(UntypedValueError, match="activity 'Webhook' could not be typed") as caught:
        _ = item.output.data  # type: ignore[union-attr]
    assert isinstance(caught.value, OrchestrationError) and isinstance(caught.value, AttributeError)
    assert "'data'" in str(caught.value) and ".raw" in str(caught.value)
    assert getattr(item.input, "url", "absent") == "absent"  # getattr with a default still works


def test_an_untyped_stage_names_itself_and_refuses_typed_reads() -> None:
    config = structure({"stages": [{"webhook": {"url": "u"}}]}, WorkflowConfig)
    assert config.stages is not None
    [stage] = config.stages
    assert isinstance(stage, RawStage)
    with pytest.raises(UntypedValueError, match=r"stage 'webhook' could not be typed.*'source'"):
        _ = stage.source  # type: ignore[union-attr]
    assert copy.deepcopy(stage) == stage  # copy's probing of dunders is not affected


# -- keys absent in one version and null or empty in another are written back as sent -------------

WORKFLOW_2023 = {"id": "w", "config": {"name": "", "stages": None}, "createdAt": T0, "updatedAt": T0}


@pytest.mark.parametrize(
    "workflow",
    [WORKFLOW_2023, {**WORKFLOW_2023, "deletedAt": None}, {**WORKFLOW_2023, "deletedAt": T1}],
    ids=["2023-absent", "2024-null", "2024-deleted"],
)
def test_deleted_at_absent_null_or_set(workflow: dict[str, Any]) -> None:
    decoded = round_trip({"data": workflow}, GetWorkflowResponse).data
    assert (decoded.deleted_at is None) == (workflow.get("deletedAt") is None)
    assert decoded.config.stages is None  # "stages": null, written back as null


@pytest.mark.parametrize(
    "account",
    [
        {"address": "a", "balances": {}, "metadata": {}, "volumes": {}},  # 2023: always there
        {"address": "a"},  # ledger v1 client of stack v2.0+: empty maps omitted
        {"address": "a", "metadata": {"k": "v"}},
    ],
)
def test_get_account_maps_present_or_omitted(account: dict[str, Any]) -> None:
    [item] = round_trip(
        {"data": [activity("GetAccount", {"id": "a", "ledger": "l"}, {"data": account})]},
        GetWorkflowInstanceHistoryStageResponse,
    ).data
    got = item.output.data  # type: ignore[union-attr]
    assert got.balances == {} and got.metadata == account.get("metadata", {})


def test_payment_nulls_and_send_timestamp_null_are_kept() -> None:
    payment = {**PAYMENT_2024, "raw": None, "metadata": None}
    round_trip(
        {"data": [activity("GetPayment", {"id": "p1"}, {"data": payment})]},
        GetWorkflowInstanceHistoryStageResponse,
    )
    resolved = {"amount": {"amount": 1, "asset": "USD/2"}, "destination": {}, "source": {}, "timestamp": None}
    history = {"data": [{"name": "RunSend", "input": resolved, "terminated": True, "startedAt": T0}]}
    stage = round_trip(history, GetWorkflowInstanceHistoryResponse).data[0].input
    assert isinstance(stage, StageSend) and stage.timestamp is None


def test_models_built_in_code_omit_unset_fields() -> None:
    source, destination = StageSendSource.of_payment("p"), StageSendDestination.of_account("a")
    stage = StageSend(source=source, destination=destination, timestamp=None, metadata=None)
    assert unstructure(stage) == {"source": {"payment": {"id": "p"}}, "destination": {"account": {"id": "a"}}}
    assert unstructure(structure({"timestamp": None}, StageSend)) == {"timestamp": None}


def test_stack_v3_2_5_send_fields_and_transfer_initiation_read_typed() -> None:
    """flows v2.6.0 (stack v3.2.5+): internal/workflow/stages/send/send.go and
    internal/workflow/activities/activity_transfer_initiation.go."""
    account = {
        "allowOverdraft": True,
        "id": "users:1",
        "ledger": "default",
        "throughAccount": "liabilities:out",
    }
    resolved = {
        "amount": {"amount": 100, "asset": "USD/2"},
        "destination": {
            "payment": {
                "metadata": "formanceAccountID",
                "psp": "wise",
                "sourceAccount": "acc-src",
                "type": "PAYOUT",
                "waitingValidation": False,
            }
        },
        "source": {"account": account},
        "timestamp": None,
    }
    history = {"data": [{"name": "RunSend", "input": resolved, "terminated": True, "startedAt": T0}]}
    stage = round_trip(history, GetWorkflowInstanceHistoryResponse).data[0].input
    assert isinstance(stage, StageSend) and stage.source is not None and stage.source.account is not None
    assert stage.source.account.through_account == "liabilities:out" and stage.source.account.allow_overdraft
    assert stage.destination is not None and stage.destination.payment is not None
    assert (stage.destination.payment.type, stage.destination.payment.source_account) == ("PAYOUT", "acc-src")
    source = {
        "allowOverdraft": False,
        "holdingAccount": "hold",
        "id": "p1",
        "ledger": "l",
        "throughAccount": "world",
    }
    config = round_trip({"stages": [{"send": {"source": {"payment": source}}}]}, WorkflowConfig)
    assert config.stages is not None and isinstance(config.stages[0], StageSend)
    assert config.stages[0].source is not None and config.stages[0].source.payment is not None
    assert config.stages[0].source.payment.holding_account == "hold"
    transfer = {
        "amount": 100,
        "asset": "USD/2",
        "connectorID": "c1",
        "destination": "acc-dst",
        "metadata": None,
        "provider": "wise",
        "type": "PAYOUT",
        "waitingValidation": False,
    }
    [item] = round_trip(
        {"data": [activity("CreateTransferInitiation", transfer)]}, GetWorkflowInstanceHistoryStageResponse
    ).data
    assert item.input == ActivityCreateTransferInitiation(
        amount=100,
        asset="USD/2",
        connector_id="c1",
        destination="acc-dst",
        provider="wise",
        type="PAYOUT",
        waiting_validation=False,
    )
