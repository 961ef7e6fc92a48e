"""The send stage: activity sequences, inputs, outputs and money moved for every source/destination pair."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from fakeserver._clock import ManualClock
from fakeserver._ledger import ActivityFailure, Bank
from fakeserver._send import Activity, StageFailed, payment_account, run_send

START = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)
T0 = "2023-04-13T08:00:00Z"
EUR = "EUR/2"
INTERNAL = "orchestration-000-internal"
MOVE_TO = "orchestration/move-to-ledger"
MOVE_FROM = "orchestration/move-from-ledger"


@attrs.define
class Step:
    """One executed attempt, as the engine would record it."""

    name: str
    input: dict[str, Any]
    output: dict[str, Any] | None = None
    failure: ActivityFailure | None = None


class Driver:
    """Drives ``run_send`` exactly as the engine contract says (next / execute / send / throw)."""

    def __init__(self, params: Mapping[str, Any], bank: Bank) -> None:
        self.gen = run_send(params, bank)
        self.steps: list[Step] = []
        self.pending: Activity | None = None
        self.done = False

    def run(self) -> ActivityFailure | None:
        """Run until the stage ends (``None``) or an attempt fails retryably (that failure).

        StageFailed and non-tolerated ActivityFailures propagate.
        """
        try:
            if self.pending is None:
                self.pending = next(self.gen)
            while True:
                act = self.pending
                try:
                    output = act.execute()
                except ActivityFailure as failure:
                    self.steps.append(Step(act.name, act.input, failure=failure))
                    if failure.retryable:
                        return failure  # the engine would retry the same act.execute() later
                    self.pending = self.gen.throw(failure)
                    continue
                self.steps.append(Step(act.name, act.input, output))
                self.pending = self.gen.send(output)
        except StopIteration:
            self.done = True
            self.pending = None
            return None

    def names(self) -> list[str]:
        return [step.name for step in self.steps]


def drive(params: Mapping[str, Any], bank: Bank) -> list[Step]:
    """Run a send that must succeed without any retryable failure."""
    driver = Driver(params, bank)
    assert driver.run() is None
    assert driver.done
    return driver.steps


@pytest.fixture
def bank() -> Bank:
    counter = itertools.count(1)
    return Bank(clock=ManualClock(START), ids=lambda: f"00000000-0000-4000-8000-{next(counter):012d}")


def _send(source: dict[str, Any], destination: dict[str, Any], amount: int | None = 100) -> dict[str, Any]:
    params: dict[str, Any] = {"source": source, "destination": destination}
    if amount is not None:
        params["amount"] = {"amount": amount, "asset": EUR}
    return params


def _account(id: str, ledger: str = "default") -> dict[str, Any]:
    return {"account": {"id": id, "ledger": ledger}}


def _wallet(id: str, balance: str = "main") -> dict[str, Any]:
    return {"wallet": {"balance": balance, "id": id}}


def _stripe(metadata: str = "stripeConnectID", psp: str = "stripe") -> dict[str, Any]:
    return {"payment": {"metadata": metadata, "psp": psp}}


def _posting(source: str, destination: str, amount: int = 100) -> dict[str, Any]:
    return {"amount": amount, "asset": EUR, "destination": destination, "source": source}


def _tx_input(
    ledger: str, source: str, destination: str, metadata: dict[str, str], amount: int = 100
) -> dict[str, Any]:
    return {
        "data": {"metadata": metadata, "postings": [_posting(source, destination, amount)]},
        "ledger": ledger,
    }


def _tx_output(
    txid: int, source: str, destination: str, metadata: dict[str, str], amount: int = 100, reference: str = ""
) -> dict[str, Any]:
    return {
        "data": {
            "metadata": metadata,
            "postings": [_posting(source, destination, amount)],
            "reference": reference,
            "timestamp": T0,
            "txid": txid,
        }
    }


def _wallet_output(wallet_id: str, ledger: str, assets: dict[str, int], **extra: Any) -> dict[str, Any]:
    data = {
        "id": wallet_id,
        "metadata": {},
        "name": "",
        "createdAt": T0,
        "balances": {"main": {"assets": assets}},
        "ledger": ledger,
    }
    data.update(extra)
    return {"data": data}


AMOUNT = {"amount": 100, "asset": EUR}


# ---------------------------------------------------------------------------------------------
# account -> *


def test_world_to_account_same_ledger_matches_the_integration_shape(bank: Bank) -> None:
    steps = drive(_send(_account("world"), _account("bank")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        (
            "CreateTransaction",
            _tx_input("default", "world", "bank", {}),
            _tx_output(0, "world", "bank", {}),
        )
    ]
    assert bank.balance("bank", EUR) == 100


def test_account_to_account_same_ledger(bank: Bank) -> None:
    bank.fund("users:001", EUR, 500, ledger="l1")
    steps = drive(_send(_account("users:001", "l1"), _account("bank", "l1")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        (
            "CreateTransaction",
            _tx_input("l1", "users:001", "bank", {}),
            _tx_output(1, "users:001", "bank", {}),
        )
    ]
    assert bank.balances("users:001", ledger="l1") == {EUR: 400}
    assert bank.balances("bank", ledger="l1") == {EUR: 100}


def test_account_to_account_mixed_ledgers(bank: Bank) -> None:
    bank.fund("account1", EUR, 100, ledger="ledger1")
    steps = drive(_send(_account("account1", "ledger1"), _account("account2", "ledger2")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        (
            "CreateTransaction",
            _tx_input("ledger1", "account1", "world", {MOVE_TO: "ledger2"}),
            _tx_output(1, "account1", "world", {MOVE_TO: "ledger2"}),
        ),
        (
            "CreateTransaction",
            _tx_input("ledger2", "world", "account2", {MOVE_FROM: "ledger1"}),
            _tx_output(0, "world", "account2", {MOVE_FROM: "ledger1"}),
        ),
    ]
    assert bank.balances("account1", ledger="ledger1") == {EUR: 0}
    assert bank.balances("world", ledger="ledger1") == {EUR: 0}
    assert bank.balances("account2", ledger="ledger2") == {EUR: 100}
    assert bank.balances("world", ledger="ledger2") == {EUR: -100}


def test_account_to_wallet_same_ledger(bank: Bank) -> None:
    wallet_id = bank.create_wallet(id="w1", ledger="default")
    bank.fund("users:001", EUR, 150)
    steps = drive(_send(_account("users:001"), _wallet("w1")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "default", {})),
        (
            "CreditWallet",
            {
                "data": {
                    "amount": AMOUNT,
                    "balance": "main",
                    "metadata": None,
                    "sources": [{"identifier": "users:001", "type": "ACCOUNT"}],
                },
                "id": "w1",
            },
            None,
        ),
    ]
    assert bank.wallet_balance(wallet_id, EUR) == 100
    assert bank.balance("users:001", EUR) == 50
    assert bank.transactions()[-1]["postings"] == [_posting("users:001", "wallets:w1:main")]


def test_account_to_wallet_mixed_ledgers_matches_the_history_example(bank: Bank) -> None:
    bank.create_wallet(id="w1", name="alice")
    bank.fund_wallet("w1", "USD/2", 5)
    bank.fund("users:001", "USD/2", 100)
    params = {
        "amount": {"amount": 100, "asset": "USD/2"},
        "destination": _wallet("w1"),
        "source": _account("users:001"),
    }
    steps = drive(params, bank)
    usd = {"amount": 100, "asset": "USD/2"}
    posting = {"amount": 100, "asset": "USD/2", "destination": "world", "source": "users:001"}
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "wallets-002", {"USD/2": 5}, name="alice")),
        (
            "CreateTransaction",
            {"data": {"metadata": {MOVE_TO: "wallets-002"}, "postings": [posting]}, "ledger": "default"},
            {
                "data": {
                    "metadata": {MOVE_TO: "wallets-002"},
                    "postings": [posting],
                    "reference": "",
                    "timestamp": T0,
                    "txid": 1,
                }
            },
        ),
        (
            "CreditWallet",
            {
                "data": {
                    "amount": usd,
                    "balance": "main",
                    "metadata": {MOVE_FROM: "default"},
                    "sources": [{"identifier": "world", "type": "ACCOUNT"}],
                },
                "id": "w1",
            },
            None,
        ),
    ]
    assert bank.wallet_balance("w1", "USD/2") == 105
    assert bank.balance("users:001", "USD/2") == 0
    wallet_tx = bank.transactions("wallets-002")[-1]
    assert wallet_tx["postings"] == [
        {"amount": 100, "asset": "USD/2", "destination": "wallets:w1:main", "source": "world"}
    ]
    assert wallet_tx["metadata"] == {MOVE_FROM: "default"}


def test_account_to_wallet_uses_the_destination_balance(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    steps = drive(_send(_account("world"), _wallet("w1", "savings")), bank)
    assert steps[-1].input["data"]["balance"] == "savings"
    assert bank.wallet_balance("w1", EUR, balance="savings") == 100
    assert bank.wallet_balance("w1", EUR) == 0


def test_account_to_payment_stripe(bank: Bank) -> None:
    bank.create_account("users:001", metadata={"stripeConnectID": "acct_123"})
    bank.fund("users:001", EUR, 300)
    steps = drive(_send(_account("users:001"), _stripe()), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        (
            "GetAccount",
            {"id": "users:001", "ledger": "default"},
            {
                "data": {
                    "address": "users:001",
                    "metadata": {"stripeConnectID": "acct_123"},
                    "volumes": {EUR: {"input": 300, "output": 0}},
                    "balances": {EUR: 300},
                }
            },
        ),
        ("StripeTransfer", {"amount": 100, "asset": EUR, "destination": "acct_123"}, None),
        (
            "CreateTransaction",
            _tx_input("default", "users:001", "world", {}),
            _tx_output(1, "users:001", "world", {}),
        ),
    ]
    assert bank.stripe_transfers() == [{"amount": 100, "asset": EUR, "destination": "acct_123"}]
    assert bank.balance("users:001", EUR) == 200


def test_account_to_payment_reads_the_configured_metadata_key(bank: Bank) -> None:
    bank.create_account("shop", ledger="l2", metadata={"connect": "acct_9"})
    bank.fund("shop", EUR, 100, ledger="l2")
    steps = drive(_send(_account("shop", "l2"), _stripe(metadata="connect")), bank)
    assert steps[0].input == {"id": "shop", "ledger": "l2"}
    assert steps[1].input == {"amount": 100, "asset": EUR, "destination": "acct_9"}
    assert steps[2].input == _tx_input("l2", "shop", "world", {})


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({}, "expected 'stripeConnectID' metadata containing connected account ID"),
        ({"stripeConnectID": ""}, "stripe connect ID empty"),
        ({"stripeConnectID": 42}, "expected 'stripeConnectID' to be a string"),
    ],
)
def test_account_to_payment_connect_id_problems_fail_after_get_account(
    bank: Bank, metadata: dict[str, Any], message: str
) -> None:
    bank.create_account("users:001", metadata=metadata)
    driver = Driver(_send(_account("users:001"), _stripe()), bank)
    with pytest.raises(StageFailed) as caught:
        driver.run()
    assert caught.value.message == message
    assert str(caught.value) == message
    assert driver.names() == ["GetAccount"]
    assert bank.stripe_transfers() == []


@pytest.mark.parametrize("source", [_account("users:001"), _wallet("w1")])
def test_payment_destination_other_than_stripe_fails_before_any_activity(
    bank: Bank, source: dict[str, Any]
) -> None:
    with pytest.raises(StageFailed, match=r"^only stripe actually supported$"):
        next(run_send(_send(source, _stripe(psp="wise")), bank))


# ---------------------------------------------------------------------------------------------
# wallet -> *


def test_wallet_to_account_same_ledger(bank: Bank) -> None:
    bank.create_wallet(id="w1", ledger="default")
    bank.fund_wallet("w1", EUR, 250)
    steps = drive(_send(_wallet("w1"), _account("bank")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "default", {EUR: 250})),
        (
            "DebitWallet",
            {
                "data": {
                    "amount": AMOUNT,
                    "balances": ["main"],
                    "destination": {"identifier": "bank", "type": "ACCOUNT"},
                    "metadata": None,
                },
                "id": "w1",
            },
            None,
        ),
    ]
    assert bank.wallet_balance("w1", EUR) == 150
    assert bank.balance("bank", EUR) == 100


def test_wallet_to_account_mixed_ledgers(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    bank.fund_wallet("w1", EUR, 40, balance="savings")
    bank.fund_wallet("w1", EUR, 100, balance="savings")
    steps = drive(_send(_wallet("w1", "savings"), _account("bank")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "wallets-002", {})),
        (
            "DebitWallet",
            {
                "data": {"amount": AMOUNT, "balances": ["savings"], "metadata": {MOVE_TO: "default"}},
                "id": "w1",
            },
            None,
        ),
        (
            "CreateTransaction",
            _tx_input("default", "world", "bank", {MOVE_FROM: "wallets-002"}),
            _tx_output(0, "world", "bank", {MOVE_FROM: "wallets-002"}),
        ),
    ]
    assert bank.wallet_balance("w1", EUR, balance="savings") == 40
    assert bank.balance("bank", EUR) == 100
    wallet_tx = bank.transactions("wallets-002")[-1]
    assert wallet_tx["postings"] == [_posting("wallets:w1:savings", "world")]
    assert wallet_tx["metadata"] == {MOVE_TO: "default"}


def test_wallet_to_wallet_same_ledger_always_debits_the_source_main_balance(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    bank.create_wallet(id="w2")
    bank.fund_wallet("w1", EUR, 100)
    bank.fund_wallet("w1", EUR, 100, balance="savings")
    steps = drive(_send(_wallet("w1", "savings"), _wallet("w2", "extra")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "wallets-002", {EUR: 100})),
        ("GetWallet", {"id": "w2"}, _wallet_output("w2", "wallets-002", {})),
        (
            "CreditWallet",
            {
                "data": {
                    "amount": AMOUNT,
                    "balance": "extra",
                    "metadata": None,
                    "sources": [{"balance": "main", "identifier": "w1", "type": "WALLET"}],
                },
                "id": "w2",
            },
            None,
        ),
    ]
    assert bank.wallet_balance("w1", EUR) == 0
    assert bank.wallet_balance("w1", EUR, balance="savings") == 100
    assert bank.wallet_balance("w2", EUR, balance="extra") == 100


def test_wallet_to_wallet_mixed_ledgers(bank: Bank) -> None:
    bank.create_wallet(id="w1", ledger="la")
    bank.create_wallet(id="w2", ledger="lb")
    bank.fund_wallet("w1", EUR, 120)
    steps = drive(_send(_wallet("w1"), _wallet("w2")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "la", {EUR: 120})),
        ("GetWallet", {"id": "w2"}, _wallet_output("w2", "lb", {})),
        (
            "DebitWallet",
            {"data": {"amount": AMOUNT, "balances": ["main"], "metadata": {MOVE_TO: "lb"}}, "id": "w1"},
            None,
        ),
        (
            "CreditWallet",
            {
                "data": {"amount": AMOUNT, "balance": "main", "metadata": {MOVE_FROM: "la"}, "sources": None},
                "id": "w2",
            },
            None,
        ),
    ]
    assert bank.wallet_balance("w1", EUR) == 20
    assert bank.wallet_balance("w2", EUR) == 100
    assert bank.transactions("lb")[-1]["postings"] == [_posting("world", "wallets:w2:main")]
    assert bank.balance("world", EUR, ledger="la") == -20


def test_wallet_to_payment_stripe(bank: Bank) -> None:
    bank.create_wallet(id="w1", metadata={"stripeConnectID": "acct_w"})
    bank.fund_wallet("w1", EUR, 100)
    steps = drive(_send(_wallet("w1"), _stripe()), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        (
            "GetWallet",
            {"id": "w1"},
            _wallet_output("w1", "wallets-002", {EUR: 100}, metadata={"stripeConnectID": "acct_w"}),
        ),
        ("StripeTransfer", {"amount": 100, "asset": EUR, "destination": "acct_w"}, None),
        (
            "DebitWallet",
            {"data": {"amount": AMOUNT, "balances": ["main"], "metadata": None}, "id": "w1"},
            None,
        ),
    ]
    assert bank.stripe_transfers() == [{"amount": 100, "asset": EUR, "destination": "acct_w"}]
    assert bank.wallet_balance("w1", EUR) == 0
    assert bank.transactions("wallets-002")[-1]["postings"] == [_posting("wallets:w1:main", "world")]


def test_wallet_to_payment_without_connect_id_fails_after_get_wallet(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    driver = Driver(_send(_wallet("w1"), _stripe(metadata="acct")), bank)
    with pytest.raises(StageFailed, match=r"^expected 'acct' metadata containing connected account ID$"):
        driver.run()
    assert driver.names() == ["GetWallet"]


# ---------------------------------------------------------------------------------------------
# payment -> *


def test_payment_account_name_replaces_dashes() -> None:
    assert payment_account("a-b-c") == "payment:a_b_c"


def _import_steps(payment: dict[str, Any], txid: int = 0) -> list[tuple[str, Any, Any]]:
    account = payment_account(payment["id"])
    posting = {
        "amount": payment["initialAmount"],
        "asset": payment["asset"],
        "destination": account,
        "source": "world",
    }
    return [
        ("GetPayment", {"id": payment["id"]}, {"data": payment}),
        (
            "CreateTransaction",
            {"data": {"metadata": {}, "postings": [posting], "reference": account}, "ledger": INTERNAL},
            {
                "data": {
                    "metadata": {},
                    "postings": [posting],
                    "reference": account,
                    "timestamp": T0,
                    "txid": txid,
                }
            },
        ),
    ]


def test_payment_to_account_imports_then_moves_the_stage_amount(bank: Bank) -> None:
    payment_id = bank.create_payment(amount=250, asset=EUR)
    payment = bank.payment(payment_id)
    internal = "payment:00000000_0000_4000_8000_000000000001"
    steps = drive(_send({"payment": {"id": payment_id}}, _account("bank")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        *_import_steps(payment),
        (
            "CreateTransaction",
            _tx_input(INTERNAL, internal, "world", {MOVE_TO: "default"}),
            _tx_output(1, internal, "world", {MOVE_TO: "default"}),
        ),
        (
            "CreateTransaction",
            _tx_input("default", "world", "bank", {MOVE_FROM: INTERNAL}),
            _tx_output(0, "world", "bank", {MOVE_FROM: INTERNAL}),
        ),
    ]
    assert bank.balance(internal, EUR, ledger=INTERNAL) == 150
    assert bank.balance("bank", EUR) == 100


def test_payment_without_stage_amount_moves_the_payment_amount(bank: Bank) -> None:
    bank.create_payment(amount=70, asset="USD/2", id="pay-1")
    steps = drive(_send({"payment": {"id": "pay-1"}}, _account("bank"), amount=None), bank)
    moved = {"amount": 70, "asset": "USD/2", "destination": "world", "source": "payment:pay_1"}
    assert steps[2].input == {
        "data": {"metadata": {MOVE_TO: "default"}, "postings": [moved]},
        "ledger": INTERNAL,
    }
    assert bank.balances("bank") == {"USD/2": 70}
    assert bank.balances("payment:pay_1", ledger=INTERNAL) == {"USD/2": 0}


def test_payment_to_account_in_the_internal_ledger_is_same_ledger(bank: Bank) -> None:
    bank.create_payment(amount=100, asset=EUR, id="p1")
    steps = drive(_send({"payment": {"id": "p1"}}, _account("treasury", INTERNAL)), bank)
    assert [s.name for s in steps] == ["GetPayment", "CreateTransaction", "CreateTransaction"]
    assert steps[2].input == _tx_input(INTERNAL, "payment:p1", "treasury", {})


def test_reused_payment_tolerates_the_import_conflict(bank: Bank) -> None:
    bank.create_payment(amount=200, asset=EUR, id="p1")
    drive(_send({"payment": {"id": "p1"}}, _account("bank")), bank)

    steps = drive(_send({"payment": {"id": "p1"}}, _account("bank")), bank)

    assert [s.name for s in steps] == [
        "GetPayment",
        "CreateTransaction",
        "CreateTransaction",
        "CreateTransaction",
    ]
    conflict = steps[1].failure
    assert conflict is not None
    assert (conflict.message, conflict.error_code, conflict.retryable) == (
        "conflict error on reference",
        "CONFLICT",
        False,
    )
    assert steps[1].input["data"]["reference"] == "payment:p1"
    assert steps[1].output is None
    assert steps[3].output == _tx_output(1, "world", "bank", {MOVE_FROM: INTERNAL})
    # Imported once, moved twice.
    assert [tx["reference"] for tx in bank.transactions(INTERNAL)] == ["payment:p1", "", ""]
    assert bank.balance("payment:p1", EUR, ledger=INTERNAL) == 0
    assert bank.balance("bank", EUR) == 200


def test_other_non_retryable_failures_are_not_tolerated(bank: Bank) -> None:
    bank.create_payment(amount=200, asset=EUR, id="p1")
    gen = run_send(_send({"payment": {"id": "p1"}}, _account("bank")), bank)
    get_payment = next(gen)
    booking = gen.send(get_payment.execute())
    assert booking.name == "CreateTransaction"
    boom = ActivityFailure("no such script", error_code="NO_SCRIPT", retryable=False)
    with pytest.raises(ActivityFailure) as caught:
        gen.throw(boom)
    assert caught.value is boom
    assert bank.transactions(INTERNAL) == []


def test_payment_to_wallet_mixed_ledgers(bank: Bank) -> None:
    bank.create_payment(amount=100, asset=EUR, id="p-1")
    payment = bank.payment("p-1")
    bank.create_wallet(id="w1")
    steps = drive(_send({"payment": {"id": "p-1"}}, _wallet("w1")), bank)
    assert [(s.name, s.input, s.output) for s in steps] == [
        *_import_steps(payment),
        ("GetWallet", {"id": "w1"}, _wallet_output("w1", "wallets-002", {})),
        (
            "CreateTransaction",
            _tx_input(INTERNAL, "payment:p_1", "world", {MOVE_TO: "wallets-002"}),
            _tx_output(1, "payment:p_1", "world", {MOVE_TO: "wallets-002"}),
        ),
        (
            "CreditWallet",
            {
                "data": {
                    "amount": AMOUNT,
                    "balance": "main",
                    "metadata": {MOVE_FROM: INTERNAL},
                    "sources": [{"identifier": "world", "type": "ACCOUNT"}],
                },
                "id": "w1",
            },
            None,
        ),
    ]
    assert bank.wallet_balance("w1", EUR) == 100


def test_payment_to_wallet_in_the_internal_ledger_credits_from_the_payment_account(bank: Bank) -> None:
    bank.create_payment(amount=100, asset=EUR, id="p1")
    bank.create_wallet(id="w1", ledger=INTERNAL)
    steps = drive(_send({"payment": {"id": "p1"}}, _wallet("w1"), amount=None), bank)
    assert [s.name for s in steps] == ["GetPayment", "CreateTransaction", "GetWallet", "CreditWallet"]
    assert steps[3].input == {
        "data": {
            "amount": AMOUNT,
            "balance": "main",
            "metadata": None,
            "sources": [{"identifier": "payment:p1", "type": "ACCOUNT"}],
        },
        "id": "w1",
    }
    assert bank.wallet_balance("w1", EUR) == 100
    assert bank.balance("payment:p1", EUR, ledger=INTERNAL) == 0


@pytest.mark.parametrize("amount", [100, None])
def test_payment_to_payment_is_not_supported(bank: Bank, amount: int | None) -> None:
    bank.create_payment(amount=1, asset=EUR, id="p1")
    with pytest.raises(StageFailed, match=r"^send from payment to payment is not supported$"):
        next(run_send(_send({"payment": {"id": "p1"}}, _stripe(), amount=amount), bank))


# ---------------------------------------------------------------------------------------------
# amount, odd inputs


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        (_account("a"), _account("b")),
        (_account("a"), _wallet("w1")),
        (_account("a"), _stripe(psp="wise")),
        (_wallet("w1"), _account("b")),
        (_wallet("w1"), _wallet("w2")),
        (_wallet("w1"), _stripe()),
    ],
)
def test_missing_amount_fails_non_payment_sources_before_any_activity(
    bank: Bank, source: dict[str, Any], destination: dict[str, Any]
) -> None:
    with pytest.raises(StageFailed, match=r"^amount must be specified$"):
        next(run_send(_send(source, destination, amount=None), bank))
    assert bank.version == 0


def test_missing_output_where_one_is_needed_reads_like_a_go_nil_dereference(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    gen = run_send(_send(_account("world"), _wallet("w1")), bank)
    assert next(gen).name == "GetWallet"
    with pytest.raises(StageFailed, match="nil pointer dereference"):
        gen.send(None)


def test_negative_amount_is_a_non_retryable_ledger_validation_failure(bank: Bank) -> None:
    driver = Driver(_send(_account("world"), _account("bank"), amount=-5), bank)
    with pytest.raises(ActivityFailure) as caught:
        driver.run()
    assert (caught.value.message, caught.value.error_code, caught.value.retryable) == (
        "invalid posting 0: negative amount",
        "VALIDATION",
        False,
    )


def test_activity_input_is_independent_of_what_the_bank_executes(bank: Bank) -> None:
    act = next(run_send(_send(_account("world"), _account("bank")), bank))
    act.input["data"]["postings"][0]["amount"] = 1
    act.execute()
    assert bank.balance("bank", EUR) == 100


# ---------------------------------------------------------------------------------------------
# Retryable failures: nothing changes, the same execute succeeds once the world allows it


def test_insufficient_funds_retry_until_funded(bank: Bank) -> None:
    driver = Driver(_send(_account("empty:account"), _account("bank")), bank)
    before, version = bank.snapshot(), bank.version

    failure = driver.run()
    assert failure is not None
    assert (failure.message, failure.error_code, failure.retryable) == (
        "account had insufficient funds",
        "INSUFFICIENT_FUND",
        True,
    )
    again = driver.run()  # the engine's second attempt of the same activity
    assert again is not None and again.message == "account had insufficient funds"
    assert [s.name for s in driver.steps] == ["CreateTransaction", "CreateTransaction"]
    assert all(s.failure is not None for s in driver.steps)
    assert bank.snapshot() == before and bank.version == version

    bank.fund("empty:account", EUR, 100)
    assert driver.run() is None and driver.done
    assert driver.steps[-1].output == _tx_output(1, "empty:account", "bank", {})
    assert [tx["txid"] for tx in bank.transactions()] == [0, 1]
    assert bank.balance("bank", EUR) == 100


def test_wallet_insufficient_fund_retries_until_funded(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    bank.fund_wallet("w1", EUR, 99)
    driver = Driver(_send(_wallet("w1"), _account("bank")), bank)
    failure = driver.run()
    assert failure is not None and failure.message == "insufficient fund"
    assert failure.error_code == "INSUFFICIENT_FUND" and failure.retryable
    assert driver.names() == ["GetWallet", "DebitWallet"]
    assert bank.wallet_balance("w1", EUR) == 99
    assert bank.transactions() == []

    bank.fund_wallet("w1", EUR, 1)
    assert driver.run() is None
    assert driver.names() == ["GetWallet", "DebitWallet", "DebitWallet", "CreateTransaction"]
    assert bank.wallet_balance("w1", EUR) == 0
    assert bank.balance("bank", EUR) == 100


def test_second_leg_insufficiency_leaves_the_first_leg_done(bank: Bank) -> None:
    bank.create_account("users:001", metadata={"stripeConnectID": "acct_1"})
    driver = Driver(_send(_account("users:001"), _stripe()), bank)
    failure = driver.run()
    assert failure is not None and failure.message == "account had insufficient funds"
    assert driver.names() == ["GetAccount", "StripeTransfer", "CreateTransaction"]
    assert bank.stripe_transfers() == [{"amount": 100, "asset": EUR, "destination": "acct_1"}]
    bank.fund("users:001", EUR, 100)
    assert driver.run() is None
    assert len(bank.stripe_transfers()) == 1
    assert bank.balance("users:001", EUR) == 0


def test_unknown_wallet_retries_until_it_exists(bank: Bank) -> None:
    driver = Driver(_send(_account("world"), _wallet("late")), bank)
    failure = driver.run()
    assert failure is not None and (failure.message, failure.retryable) == ("wallet not found", True)
    bank.create_wallet(id="late", ledger="default")
    assert driver.run() is None
    assert driver.names() == ["GetWallet", "GetWallet", "CreditWallet"]
    assert bank.wallet_balance("late", EUR) == 100


def test_unknown_payment_retries_until_it_exists(bank: Bank) -> None:
    driver = Driver(_send({"payment": {"id": "p1"}}, _account("bank")), bank)
    failure = driver.run()
    assert failure is not None and (failure.message, failure.retryable) == ("payment not found", True)
    assert bank.snapshot()["ledgers"] == {}
    bank.create_payment(amount=100, asset=EUR, id="p1")
    assert driver.run() is None
    assert bank.balance("bank", EUR) == 100
