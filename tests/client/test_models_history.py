"""Instance history and stage history: typed inputs/outputs, ledger/wallet/payment objects, round trips."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from formance_orchestration._converter import structure, unstructure
from formance_orchestration.models import (
    AccountWithVolumesAndBalances,
    ActivityConfirmHold,
    ActivityCreateTransaction,
    ActivityCreateTransactionOutput,
    ActivityCreditWallet,
    ActivityDebitWallet,
    ActivityDebitWalletOutput,
    ActivityGetAccount,
    ActivityGetAccountOutput,
    ActivityGetPayment,
    ActivityGetPaymentOutput,
    ActivityGetWallet,
    ActivityGetWalletOutput,
    ActivityRevertTransaction,
    ActivityStripeTransfer,
    AssetHolder,
    CreateTransactionResponse,
    CreditWalletRequest,
    DebitWalletRequest,
    GetWalletResponse,
    GetWorkflowInstanceHistoryResponse,
    GetWorkflowInstanceHistoryStageResponse,
    Hold,
    LedgerAccountSubject,
    Monetary,
    PaymentAdjustment,
    Posting,
    PostTransaction,
    RawActivity,
    RawStage,
    StageDelay,
    StageNoOp,
    StageSend,
    StageSendDestination,
    StageSendSource,
    StageWaitEvent,
    StripeTransferRequest,
    Transaction,
    WalletSubject,
    WalletWithBalances,
    WorkflowInstanceHistory,
    WorkflowInstanceHistoryStage,
    WorkflowInstanceHistoryStageInput,
    WorkflowInstanceHistoryStageOutput,
)

T0 = "2023-04-13T08:40:01.1027Z"
T1 = "2023-04-13T08:40:11.121544Z"

RESOLVED_SEND = {
    "amount": {"amount": 100, "asset": "EUR/2"},
    "destination": {"account": {"id": "bank", "ledger": "default"}},
    "source": {"account": {"id": "world", "ledger": "default"}},
}


# -- instance history -----------------------------------------------------------------------------


def test_instance_history_example_with_nanoseconds() -> None:
    body = {
        "data": [
            {
                "name": "RunDelay",
                "input": {"duration": "10s"},
                "terminated": True,
                "startedAt": "2023-04-13T08:40:01.1027Z",
                "terminatedAt": "2023-04-13T08:40:11.121544817Z",
            },
            {
                "name": "RunWaitEvent",
                "input": {"event": "continue"},
                "terminated": False,
                "startedAt": "2023-04-13T08:40:11.13Z",
            },
        ]
    }
    history = structure(body, GetWorkflowInstanceHistoryResponse).data
    assert history == [
        WorkflowInstanceHistory(
            name="RunDelay",
            input=StageDelay(duration="10s"),
            terminated=True,
            started_at=datetime(2023, 4, 13, 8, 40, 1, 102700, tzinfo=UTC),
            terminated_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
        ),
        WorkflowInstanceHistory(
            name="RunWaitEvent",
            input=StageWaitEvent(event="continue"),
            terminated=False,
            started_at=datetime(2023, 4, 13, 8, 40, 11, 130000, tzinfo=UTC),
        ),
    ]
    assert history[1].terminated_at is None
    assert history[1].error is None


def test_instance_history_send_item_round_trips_to_the_wire_form() -> None:
    item = {
        "name": "RunSend",
        "input": RESOLVED_SEND,
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
    }
    decoded = structure(item, WorkflowInstanceHistory)
    assert decoded.input == StageSend(
        source=StageSendSource.of_account("world", ledger="default"),
        destination=StageSendDestination.of_account("bank", ledger="default"),
        amount=Monetary(asset="EUR/2", amount=100),
    )
    assert unstructure(decoded) == item  # bare parameters, no {"send": ...} wrapper


@pytest.mark.parametrize(
    ("name", "wire_input", "typed"),
    [
        ("RunNoOp", {}, StageNoOp()),
        ("RunDelay", {"until": "2023-06-01T00:00:00Z"}, StageDelay(until=datetime(2023, 6, 1, tzinfo=UTC))),
        ("RunDelay", {"duration": "1m0s"}, StageDelay(duration="1m0s")),
        ("RunFoo", {"x": 1}, RawStage(type="RunFoo", params={"x": 1})),
    ],
)
def test_instance_history_input_is_typed_from_the_name(name: str, wire_input: Any, typed: Any) -> None:
    item = {"name": name, "input": wire_input, "terminated": False, "startedAt": T0}
    decoded = structure(item, WorkflowInstanceHistory)
    assert decoded.input == typed
    assert unstructure(decoded) == item


def test_failed_and_canceled_history_items_keep_their_error() -> None:
    failed = {
        "name": "RunSend",
        "input": RESOLVED_SEND,
        "error": "only stripe actually supported",
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
    }
    assert structure(failed, WorkflowInstanceHistory).error == "only stripe actually supported"
    canceled = dict(failed, error="canceled")
    assert structure(canceled, WorkflowInstanceHistory).error == "canceled"
    empty = dict(failed, error="")
    assert structure(empty, WorkflowInstanceHistory).error == ""
    assert unstructure(structure(empty, WorkflowInstanceHistory))["error"] == ""


def test_history_input_that_does_not_fit_is_kept_raw() -> None:
    item = {
        "name": "RunSend",
        "input": {"amount": {"amount": 1, "asset": None}},
        "terminated": False,
        "startedAt": T0,
    }
    decoded = structure(item, WorkflowInstanceHistory)
    assert decoded.input == RawStage(type="RunSend", params={"amount": {"amount": 1, "asset": None}})
    assert unstructure(decoded) == item


# -- stage history ---------------------------------------------------------------------------------

ACCOUNT_TO_WALLET_MIXED: dict[str, Any] = {
    "data": [
        {
            "name": "GetWallet",
            "input": {"GetWallet": {"id": "w1"}},
            "output": {
                "GetWallet": {
                    "data": {
                        "balances": {"main": {"assets": {"USD/2": 0}}},
                        "createdAt": "2023-04-13T08:00:00Z",
                        "id": "w1",
                        "ledger": "wallets-002",
                        "metadata": {},
                        "name": "alice",
                    }
                }
            },
            "terminated": True,
            "startedAt": "2023-04-13T08:40:11.1Z",
            "terminatedAt": "2023-04-13T08:40:11.2Z",
            "attempt": 1,
        },
        {
            "name": "CreateTransaction",
            "input": {
                "CreateTransaction": {
                    "data": {
                        "metadata": {"orchestration/move-to-ledger": "wallets-002"},
                        "postings": [
                            {"amount": 100, "asset": "USD/2", "destination": "world", "source": "users:001"}
                        ],
                    },
                    "ledger": "default",
                }
            },
            "output": {
                "CreateTransaction": {
                    "data": {
                        "metadata": {"orchestration/move-to-ledger": "wallets-002"},
                        "postings": [
                            {"amount": 100, "asset": "USD/2", "destination": "world", "source": "users:001"}
                        ],
                        "reference": "",
                        "timestamp": "2023-04-13T08:40:11.25Z",
                        "txid": 12,
                    }
                }
            },
            "terminated": True,
            "startedAt": "2023-04-13T08:40:11.2Z",
            "terminatedAt": "2023-04-13T08:40:11.3Z",
            "attempt": 1,
        },
        {
            "name": "CreditWallet",
            "input": {
                "CreditWallet": {
                    "data": {
                        "amount": {"amount": 100, "asset": "USD/2"},
                        "balance": "main",
                        "metadata": {"orchestration/move-from-ledger": "default"},
                        "sources": [{"identifier": "world", "type": "ACCOUNT"}],
                    },
                    "id": "w1",
                }
            },
            "terminated": True,
            "startedAt": "2023-04-13T08:40:11.3Z",
            "terminatedAt": "2023-04-13T08:40:11.4Z",
            "attempt": 1,
        },
    ]
}


def test_account_to_wallet_stage_history_is_typed() -> None:
    items = structure(ACCOUNT_TO_WALLET_MIXED, GetWorkflowInstanceHistoryStageResponse).data
    get_wallet, create_tx, credit = items

    assert get_wallet.input == ActivityGetWallet(id="w1")
    assert isinstance(get_wallet.output, ActivityGetWalletOutput)
    assert isinstance(get_wallet.output, GetWalletResponse)
    assert get_wallet.output.data == WalletWithBalances(
        id="w1",
        name="alice",
        ledger="wallets-002",
        created_at=datetime(2023, 4, 13, 8, tzinfo=UTC),
        metadata={},
        balances={"main": AssetHolder(assets={"USD/2": 0})},
    )

    postings = [Posting(amount=100, asset="USD/2", destination="world", source="users:001")]
    metadata = {"orchestration/move-to-ledger": "wallets-002"}
    assert create_tx.input == ActivityCreateTransaction(
        ledger="default", data=PostTransaction(postings=postings, metadata=metadata)
    )
    assert create_tx.output == ActivityCreateTransactionOutput(
        data=Transaction(
            postings=postings,
            metadata=metadata,
            reference="",
            timestamp=datetime(2023, 4, 13, 8, 40, 11, 250000, tzinfo=UTC),
            txid=12,
        )
    )
    assert isinstance(create_tx.output, CreateTransactionResponse)

    assert credit.input == ActivityCreditWallet(
        id="w1",
        data=CreditWalletRequest(
            amount=Monetary(asset="USD/2", amount=100),
            balance="main",
            metadata={"orchestration/move-from-ledger": "default"},
            sources=[LedgerAccountSubject(identifier="world")],
        ),
    )
    assert credit.output is None
    assert [item.attempt for item in items] == [1, 1, 1]
    assert all(item.error is None and item.last_failure is None for item in items)

    assert unstructure(structure(ACCOUNT_TO_WALLET_MIXED, GetWorkflowInstanceHistoryStageResponse)) == (
        ACCOUNT_TO_WALLET_MIXED
    )


def test_same_ledger_credit_with_null_metadata() -> None:
    item = {
        "name": "CreditWallet",
        "input": {
            "CreditWallet": {
                "data": {
                    "amount": {"amount": 100, "asset": "USD/2"},
                    "balance": "main",
                    "metadata": None,
                    "sources": [{"identifier": "users:001", "type": "ACCOUNT"}],
                },
                "id": "w1",
            }
        },
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 1,
    }
    decoded = structure(item, WorkflowInstanceHistoryStage)
    assert isinstance(decoded.input, ActivityCreditWallet)
    assert decoded.input.data is not None
    assert decoded.input.data.metadata is None
    # written back as the body had it (null); the same value built in code omits it
    assert unstructure(decoded) == item
    expected: Any = copy.deepcopy(item)
    del expected["input"]["CreditWallet"]["data"]["metadata"]
    assert unstructure(copy.deepcopy(decoded)) == expected  # a copy is as if built in code


def test_account_to_account_integration_shape() -> None:
    postings = [{"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "world"}]
    item = {
        "name": "CreateTransaction",
        "input": {"CreateTransaction": {"ledger": "default", "data": {"postings": postings, "metadata": {}}}},
        "output": {
            "CreateTransaction": {
                "data": {"postings": postings, "reference": "", "metadata": {}, "timestamp": T1, "txid": 0}
            }
        },
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 1,
    }
    decoded = structure({"data": [item]}, GetWorkflowInstanceHistoryStageResponse).data[0]
    assert isinstance(decoded.output, ActivityCreateTransactionOutput)
    assert decoded.output.data.txid == 0
    assert decoded.output.data.metadata == {}
    assert decoded.next_execution is None
    assert unstructure(decoded) == item


def test_pending_insufficient_funds_item() -> None:
    item = {
        "name": "CreateTransaction",
        "input": {
            "CreateTransaction": {
                "data": {
                    "metadata": {},
                    "postings": [
                        {"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "empty:account"}
                    ],
                },
                "ledger": "default",
            }
        },
        "terminated": False,
        "startedAt": "2023-04-13T08:40:11.121544817Z",
        "lastFailure": "account had insufficient funds",
        "attempt": 3,
        "nextExecution": "2023-04-13T08:40:15.5+00:00",
    }
    decoded = structure(item, WorkflowInstanceHistoryStage)
    assert decoded.terminated is False
    assert decoded.terminated_at is None
    assert decoded.output is None
    assert decoded.error is None
    assert decoded.attempt == 3
    assert decoded.last_failure == "account had insufficient funds"
    assert decoded.next_execution == datetime(2023, 4, 13, 8, 40, 15, 500000, tzinfo=UTC)
    wire = unstructure(decoded)
    assert wire["lastFailure"] == "account had insufficient funds"
    assert wire["nextExecution"] == "2023-04-13T08:40:15.5Z"
    assert "output" not in wire and "terminatedAt" not in wire and "error" not in wire


def test_cancelled_activity_keeps_its_error() -> None:
    item = {
        "name": "GetWallet",
        "input": {"GetWallet": {"id": "w1"}},
        "error": "cancelled",
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 2,
    }
    assert structure(item, WorkflowInstanceHistoryStage).error == "cancelled"


def test_wallet_debit_with_subject_union_and_hold_output() -> None:
    item = {
        "name": "DebitWallet",
        "input": {
            "DebitWallet": {
                "data": {
                    "amount": {"amount": 100, "asset": "USD/2"},
                    "balances": ["main"],
                    "destination": {"identifier": "w2", "type": "WALLET", "balance": "savings"},
                    "metadata": {"orchestration/move-to-ledger": "default"},
                },
                "id": "w1",
            }
        },
        "output": {
            "DebitWallet": {
                "data": {
                    "id": "h1",
                    "walletID": "w1",
                    "metadata": {},
                    "description": "",
                    "destination": {"identifier": "bank", "type": "ACCOUNT"},
                }
            }
        },
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 1,
    }
    decoded = structure(item, WorkflowInstanceHistoryStage)
    assert decoded.input == ActivityDebitWallet(
        id="w1",
        data=DebitWalletRequest(
            amount=Monetary(asset="USD/2", amount=100),
            balances=["main"],
            destination=WalletSubject(identifier="w2", balance="savings"),
            metadata={"orchestration/move-to-ledger": "default"},
        ),
    )
    assert decoded.output == ActivityDebitWalletOutput(
        data=Hold(id="h1", wallet_id="w1", destination=LedgerAccountSubject(identifier="bank"))
    )
    assert unstructure(decoded) == item


def test_subject_union_decodes_by_type() -> None:
    request = {
        "amount": {"amount": 1, "asset": "USD/2"},
        "sources": [
            {"identifier": "users:001", "type": "ACCOUNT"},
            {"identifier": "w9", "type": "WALLET", "balance": "main"},
            {"identifier": "w8", "type": "WALLET"},
        ],
    }
    decoded = structure(request, CreditWalletRequest)
    assert decoded.sources == [
        LedgerAccountSubject(identifier="users:001"),
        WalletSubject(identifier="w9", balance="main"),
        WalletSubject(identifier="w8"),
    ]
    assert unstructure(decoded) == request
    with pytest.raises(ValueError, match="subject type"):
        structure(dict(request, sources=[{"identifier": "x", "type": "BANK"}]), CreditWalletRequest)


def test_get_account_and_get_payment_outputs_with_big_ints() -> None:
    big = 2**64 + 7
    account = {
        "name": "GetAccount",
        "input": {"GetAccount": {"id": "users:001", "ledger": "default"}},
        "output": {
            "GetAccount": {
                "data": {
                    "address": "users:001",
                    "metadata": {"stripeConnectID": "acct_1"},
                    "volumes": {"USD/2": {"input": big, "output": 1}},
                    "balances": {"USD/2": big - 1},
                }
            }
        },
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 1,
    }
    decoded = structure(account, WorkflowInstanceHistoryStage)
    assert decoded.input == ActivityGetAccount(id="users:001", ledger="default")
    assert decoded.output == ActivityGetAccountOutput(
        data=AccountWithVolumesAndBalances(
            address="users:001",
            metadata={"stripeConnectID": "acct_1"},
            volumes={"USD/2": {"input": big, "output": 1}},
            balances={"USD/2": big - 1},
        )
    )
    assert unstructure(decoded) == account

    payment = {
        "name": "GetPayment",
        "input": {"GetPayment": {"id": "pay_1"}},
        "output": {
            "GetPayment": {
                "data": {
                    "id": "pay_1",
                    "reference": "ch_1",
                    "accountID": "acct_1",
                    "type": "PAY-IN",
                    "provider": "SOMENEWPSP",
                    "status": "REFUNDED_PARTIALLY",
                    "initialAmount": str(big),
                    "scheme": "visa",
                    "asset": "USD/2",
                    "createdAt": T0,
                    "raw": None,
                    "adjustments": [
                        {"status": "SUCCEEDED", "amount": 100, "date": T1, "raw": {"e": 1}, "absolute": False}
                    ],
                    "metadata": None,
                }
            }
        },
        "terminated": True,
        "startedAt": T0,
        "terminatedAt": T1,
        "attempt": 1,
    }
    decoded = structure(payment, WorkflowInstanceHistoryStage)
    assert decoded.input == ActivityGetPayment(id="pay_1")
    assert isinstance(decoded.output, ActivityGetPaymentOutput)
    paid = decoded.output.data
    assert (paid.provider, paid.status, paid.type, paid.account_id) == (
        "SOMENEWPSP",
        "REFUNDED_PARTIALLY",
        "PAY-IN",
        "acct_1",
    )
    assert paid.initial_amount == big
    assert paid.adjustments == [
        PaymentAdjustment(
            status="SUCCEEDED",
            amount=100,
            date=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
            raw={"e": 1},
        )
    ]
    assert unstructure(decoded)["output"]["GetPayment"]["data"]["initialAmount"] == big


def test_stripe_transfer_and_revert_inputs() -> None:
    stripe = structure(
        {
            "name": "StripeTransfer",
            "input": {"StripeTransfer": {"amount": 100, "asset": "USD/2", "destination": "acct_1"}},
            "terminated": True,
            "startedAt": T0,
            "terminatedAt": T1,
            "attempt": 1,
        },
        WorkflowInstanceHistoryStage,
    )
    assert stripe.input == ActivityStripeTransfer(amount=100, asset="USD/2", destination="acct_1")
    assert isinstance(stripe.input, StripeTransferRequest)
    revert = structure(
        {
            "name": "RevertTransaction",
            "input": {"RevertTransaction": {"ledger": "default", "txId": 3}},
            "terminated": True,
            "startedAt": T0,
            "attempt": 1,
        },
        WorkflowInstanceHistoryStage,
    )
    assert revert.input == ActivityRevertTransaction(ledger="default", tx_id=3)
    assert unstructure(revert)["input"] == {"RevertTransaction": {"ledger": "default", "txId": 3}}


@pytest.mark.parametrize(
    "wire_input",
    [
        {"Webhook": {"url": "https://x.invalid"}},  # activity unknown to this client
        {"GetWallet": {"identifier": "w1"}},  # known activity, unexpected shape
        {"GetWallet": {"id": "w1"}, "GetAccount": {"id": "a", "ledger": "l"}},  # two keys
        {},
    ],
)
def test_unknown_or_odd_activity_input_is_kept_raw(wire_input: dict[str, Any]) -> None:
    item = {"name": "Webhook", "input": wire_input, "terminated": True, "startedAt": T0, "attempt": 1}
    decoded = structure(item, WorkflowInstanceHistoryStage)
    assert decoded.input == RawActivity(raw=wire_input)
    assert unstructure(decoded) == item


def test_output_of_an_activity_without_declared_output_is_kept_raw() -> None:
    item = {
        "name": "CreditWallet",
        "input": {"ConfirmHold": {"id": "h1"}},
        "output": {"CreditWallet": {}},
        "terminated": True,
        "startedAt": T0,
        "attempt": 1,
    }
    decoded = structure(item, WorkflowInstanceHistoryStage)
    assert decoded.input == ActivityConfirmHold(id="h1")
    assert decoded.output == RawActivity(raw={"CreditWallet": {}})
    assert unstructure(decoded) == item


def test_hand_built_item_encodes_with_the_activity_name_wrapper() -> None:
    item = WorkflowInstanceHistoryStage(
        name="StripeTransfer",
        input=StripeTransferRequest(amount=1, asset="USD/2", destination="acct"),  # type: ignore[arg-type]
        output=GetWalletResponse(  # type: ignore[arg-type]
            data=WalletWithBalances(id="w", name="n", ledger="l", created_at=datetime(2023, 1, 1, tzinfo=UTC))
        ),
        terminated=True,
        started_at=datetime(2023, 1, 1, tzinfo=UTC),
        attempt=1,
    )
    wire = unstructure(item)
    assert wire["input"] == {"StripeTransfer": {"amount": 1, "asset": "USD/2", "destination": "acct"}}
    assert list(wire["output"]) == ["GetWallet"]


def test_spec_containers() -> None:
    wire = {"CreateTransaction": {"ledger": "default", "data": {"metadata": {}, "postings": []}}}
    container = structure(wire, WorkflowInstanceHistoryStageInput)
    assert container.create_transaction == ActivityCreateTransaction(
        ledger="default", data=PostTransaction(metadata={}, postings=[])
    )
    assert container.activity == container.create_transaction
    assert container.get_wallet is None
    assert unstructure(container) == wire
    assert WorkflowInstanceHistoryStageInput.of(
        ActivityGetWallet(id="w1")
    ) == WorkflowInstanceHistoryStageInput(get_wallet=ActivityGetWallet(id="w1"))
    assert unstructure(WorkflowInstanceHistoryStageInput.of(ActivityGetWallet(id="w1"))) == {
        "GetWallet": {"id": "w1"}
    }
    assert WorkflowInstanceHistoryStageInput().activity is None

    out_wire = {
        "GetWallet": {
            "data": {
                "id": "w",
                "name": "n",
                "ledger": "l",
                "createdAt": T0,
                "metadata": {},
                "balances": {"main": {"assets": {}}},
            }
        }
    }
    out = structure(out_wire, WorkflowInstanceHistoryStageOutput)
    assert isinstance(out.activity, ActivityGetWalletOutput)
    assert unstructure(out) == out_wire
    assert WorkflowInstanceHistoryStageOutput.of(out.activity) == out


def test_empty_stage_history() -> None:
    assert structure({"data": []}, GetWorkflowInstanceHistoryStageResponse).data == []
