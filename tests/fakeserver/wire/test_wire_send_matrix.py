"""The send matrix of the semantics file (section 3.4) ON THE WIRE.

Each test seeds the simulated bank through ``fake.bank``, creates a one-``send`` workflow and runs it
with raw ``requests`` calls, then reads ``GET /instances/{id}``, ``GET /instances/{id}/history`` and
``GET /instances/{id}/stages/0/history`` back as raw JSON (``json.loads(resp.content)``) and asserts:
how the instance ended, the exact ordered activity names, their key inputs, and the money moved
(balances, Stripe transfers and transaction counts read through ``fake.bank``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
import requests

from fakeserver._ledger import wallet_address
from fakeserver.responses_adapter import FakeOrchestration

API = "http://localhost/api/orchestration"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
USD = "USD/2"
DEFAULT = "default"
WALLETS = "wallets-002"
INTERNAL = "orchestration-000-internal"
MOVE_TO = "orchestration/move-to-ledger"
MOVE_FROM = "orchestration/move-from-ledger"
PAYMENT_ID = "3c1e8a52-0d1f-4b8e-9a55-2f1c6f6f0b01"
PAYMENT_ACCOUNT = "payment:3c1e8a52_0d1f_4b8e_9a55_2f1c6f6f0b01"  # every "-" as "_"
AMOUNT = {"amount": 250, "asset": USD}


@pytest.fixture
def fake(orchestration_fake: FakeOrchestration) -> FakeOrchestration:
    """A fresh fake at http://localhost/api/orchestration, on a virtual clock."""
    return orchestration_fake


# ---------------------------------------------------------------------------------------------------
# Raw HTTP helpers


def call(method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, API + path, **kwargs)


def data_of(response: requests.Response, status: int = 200) -> Any:
    """The ``data`` of a JSON success answer with ``status``, parsed from the raw bytes."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert list(body) == ["data"]
    return body["data"]


@attrs.frozen
class Outcome:
    """What the wire says about one run of a one-``send`` workflow."""

    instance: dict[str, Any]
    history: list[dict[str, Any]]
    activities: list[dict[str, Any]]

    @property
    def names(self) -> list[str]:
        return [item["name"] for item in self.activities]

    def input(self, index: int) -> Any:
        """The input of activity ``index``, unwrapped (the wire wraps it in ``{name: ...}``)."""
        item = self.activities[index]
        assert list(item["input"]) == [item["name"]]
        return item["input"][item["name"]]

    def output(self, index: int) -> Any:
        """The output of activity ``index``, unwrapped (``None`` when the wire has none)."""
        item = self.activities[index]
        if "output" not in item:
            return None
        assert list(item["output"]) == [item["name"]]
        return item["output"][item["name"]]


def create_send_workflow(send: dict[str, Any]) -> str:
    workflow = data_of(call("POST", "/workflows", json={"name": "send", "stages": [{"send": send}]}), 201)
    return str(workflow["id"])


def start(send: dict[str, Any]) -> str:
    """Create the workflow and run it (no wait); the id of the new instance."""
    run = data_of(call("POST", f"/workflows/{create_send_workflow(send)}/instances"), 201)
    assert run["terminated"] is False and "status" not in run  # the run answers the instance as created
    return str(run["id"])


def observe(instance_id: str) -> Outcome:
    return Outcome(
        instance=data_of(call("GET", f"/instances/{instance_id}")),
        history=data_of(call("GET", f"/instances/{instance_id}/history")),
        activities=data_of(call("GET", f"/instances/{instance_id}/stages/0/history")),
    )


def run_send(send: dict[str, Any]) -> Outcome:
    return observe(start(send))


def assert_succeeded(
    outcome: Outcome, send_input: dict[str, Any], tolerated: dict[int, str] | None = None
) -> None:
    """Terminated without error; one ``RunSend`` item whose input is the resolved send; every activity
    completed at its first attempt (no error, lastFailure or nextExecution on the wire), except the
    ``tolerated`` ones: activity index -> the error it failed with, which the stage went past."""
    tolerated = tolerated or {}
    instance = outcome.instance
    assert instance["terminated"] is True and instance["error"] == ""
    assert TIMESTAMP.match(instance["terminatedAt"])
    assert [(row["stage"], row["error"]) for row in instance["status"]] == [(0, "")]
    assert "terminatedAt" in instance["status"][0]
    [item] = outcome.history
    assert list(item) == ["name", "input", "terminated", "startedAt", "terminatedAt"]
    assert item["name"] == "RunSend" and item["terminated"] is True
    assert item["input"] == send_input
    for index, activity in enumerate(outcome.activities):
        assert activity["terminated"] is True and activity["attempt"] == 1, activity
        assert TIMESTAMP.match(activity["terminatedAt"])
        assert not {"lastFailure", "nextExecution"} & set(activity), activity
        assert activity.get("error") == tolerated.get(index), activity
        keys = ["name", "input", "output", "error", "terminated", "startedAt", "terminatedAt", "attempt"]
        assert list(activity) == [key for key in keys if key in activity]  # Go's struct order


def assert_failed(outcome: Outcome, message: str, send_input: dict[str, Any]) -> None:
    """The stage (and so the instance) ended with ``message``; the history item carries it too."""
    instance = outcome.instance
    assert instance["terminated"] is True and instance["error"] == message
    assert "terminatedAt" in instance
    assert [(row["stage"], row["error"]) for row in instance["status"]] == [(0, message)]
    [item] = outcome.history
    assert list(item) == ["name", "input", "error", "terminated", "startedAt", "terminatedAt"]
    assert item["name"] == "RunSend" and item["terminated"] is True
    assert item["error"] == message
    assert item["input"] == send_input


# ---------------------------------------------------------------------------------------------------
# Builders of the wire forms


def account(id: str, ledger: str = DEFAULT) -> dict[str, Any]:
    return {"account": {"id": id, "ledger": ledger}}


def wallet(id: str, balance: str = "main") -> dict[str, Any]:
    return {"wallet": {"balance": balance, "id": id}}


def stripe(psp: str = "stripe", metadata: str = "stripeConnectID") -> dict[str, Any]:
    return {"payment": {"metadata": metadata, "psp": psp}}


def send(source: dict[str, Any], destination: dict[str, Any], amount: int | None = 250) -> dict[str, Any]:
    """A send stage's parameters, in the resolved form (what the instance history shows)."""
    params: dict[str, Any] = {"destination": destination, "source": source}
    if amount is not None:
        params["amount"] = {"amount": amount, "asset": USD}
    return params


def posting(source: str, destination: str, amount: int = 250) -> dict[str, Any]:
    return {"amount": amount, "asset": USD, "destination": destination, "source": source}


def tx_input(
    ledger: str, source: str, destination: str, metadata: dict[str, str], amount: int = 250
) -> dict[str, Any]:
    return {
        "data": {"metadata": metadata, "postings": [posting(source, destination, amount)]},
        "ledger": ledger,
    }


def subject(identifier: str, type: str = "ACCOUNT", **extra: str) -> dict[str, Any]:
    return {"identifier": identifier, "type": type, **extra}


def credit_input(
    wallet_id: str, sources: list[dict[str, Any]] | None, metadata: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "data": {"amount": AMOUNT, "balance": "main", "metadata": metadata, "sources": sources},
        "id": wallet_id,
    }


def debit_input(
    wallet_id: str, metadata: dict[str, str] | None, destination: dict[str, Any] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"amount": AMOUNT, "balances": ["main"], "metadata": metadata}
    if destination is not None:
        data["destination"] = destination
    return {"data": data, "id": wallet_id}


def when(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def tx_count(fake: FakeOrchestration, ledger: str) -> int:
    return len(fake.bank.transactions(ledger))


# ---------------------------------------------------------------------------------------------------
# account -> ...


def test_account_to_account_same_ledger(fake: FakeOrchestration) -> None:
    fake.bank.fund("users:001", USD, 1000)
    params = send(account("users:001"), account("users:002"))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["CreateTransaction"]
    assert outcome.input(0) == tx_input(DEFAULT, "users:001", "users:002", {})
    tx = outcome.output(0)["data"]
    assert tx["postings"] == [posting("users:001", "users:002")]
    assert tx["metadata"] == {} and tx["reference"] == "" and tx["txid"] == 1
    assert TIMESTAMP.match(tx["timestamp"])
    assert fake.bank.transactions(DEFAULT)[1] == tx
    assert fake.bank.balance("users:001", USD) == 750
    assert fake.bank.balance("users:002", USD) == 250
    assert tx_count(fake, DEFAULT) == 2  # the funding, then the send


def test_account_to_account_cross_ledger(fake: FakeOrchestration) -> None:
    fake.bank.fund("users:001", USD, 1000)
    params = send(account("users:001"), account("users:002", "ledger-b"))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["CreateTransaction", "CreateTransaction"]
    assert outcome.input(0) == tx_input(DEFAULT, "users:001", "world", {MOVE_TO: "ledger-b"})
    assert outcome.input(1) == tx_input("ledger-b", "world", "users:002", {MOVE_FROM: DEFAULT})
    assert outcome.output(1)["data"]["txid"] == 0  # the first transaction of ledger-b
    assert fake.bank.balance("users:001", USD) == 750
    assert fake.bank.balance("users:002", USD) == 0  # nothing arrived in "default"
    assert fake.bank.balance("users:002", USD, ledger="ledger-b") == 250
    assert tx_count(fake, DEFAULT) == 2 and tx_count(fake, "ledger-b") == 1


def test_account_to_wallet_same_ledger(fake: FakeOrchestration) -> None:
    fake.bank.fund("users:001", USD, 1000, ledger=WALLETS)
    alice = fake.bank.create_wallet(name="alice", id="alice")
    params = send(account("users:001", WALLETS), wallet(alice))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "CreditWallet"]
    assert outcome.input(0) == {"id": alice}
    assert outcome.output(0)["data"]["ledger"] == WALLETS
    assert outcome.input(1) == credit_input(alice, [subject("users:001")], None)
    assert outcome.output(1) is None  # CreditWallet has no output
    assert fake.bank.balance("users:001", USD, ledger=WALLETS) == 750
    assert fake.bank.wallet_balance(alice, USD) == 250
    assert tx_count(fake, WALLETS) == 2 and tx_count(fake, DEFAULT) == 0


def test_account_to_wallet_mixed_ledger(fake: FakeOrchestration) -> None:
    fake.bank.fund("users:001", USD, 1000)
    alice = fake.bank.create_wallet(name="alice", id="alice")
    params = send(account("users:001"), wallet(alice))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "CreateTransaction", "CreditWallet"]
    assert outcome.input(0) == {"id": alice}
    assert outcome.input(1) == tx_input(DEFAULT, "users:001", "world", {MOVE_TO: WALLETS})
    assert outcome.input(2) == credit_input(alice, [subject("world")], {MOVE_FROM: DEFAULT})
    assert fake.bank.balance("users:001", USD) == 750
    assert fake.bank.wallet_balance(alice, USD) == 250
    assert tx_count(fake, DEFAULT) == 2 and tx_count(fake, WALLETS) == 1
    [credit] = fake.bank.transactions(WALLETS)
    assert credit["metadata"] == {MOVE_FROM: DEFAULT}
    assert credit["postings"] == [posting("world", wallet_address(alice))]


def test_account_to_stripe_payment(fake: FakeOrchestration) -> None:
    fake.bank.create_account("users:001", metadata={"stripeConnectID": "acct_123"})
    fake.bank.fund("users:001", USD, 1000)
    params = send(account("users:001"), stripe())

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetAccount", "StripeTransfer", "CreateTransaction"]
    assert outcome.input(0) == {"id": "users:001", "ledger": DEFAULT}
    assert outcome.output(0)["data"]["metadata"] == {"stripeConnectID": "acct_123"}
    assert outcome.input(1) == {"amount": 250, "asset": USD, "destination": "acct_123"}
    assert outcome.output(1) is None
    assert outcome.input(2) == tx_input(DEFAULT, "users:001", "world", {})
    assert fake.bank.stripe_transfers() == [{"amount": 250, "asset": USD, "destination": "acct_123"}]
    assert fake.bank.balance("users:001", USD) == 750
    assert tx_count(fake, DEFAULT) == 2


def test_account_to_payment_with_another_metadata_key(fake: FakeOrchestration) -> None:
    fake.bank.create_account("users:001", metadata={"connect": "acct_999", "stripeConnectID": "acct_no"})
    fake.bank.fund("users:001", USD, 1000)
    params = send(account("users:001"), stripe(metadata="connect"))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.input(1)["destination"] == "acct_999"
    assert fake.bank.stripe_transfers() == [{"amount": 250, "asset": USD, "destination": "acct_999"}]


# ---------------------------------------------------------------------------------------------------
# wallet -> ...


def test_wallet_to_account_same_ledger(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice), account("users:002", WALLETS))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "DebitWallet"]
    assert outcome.input(0) == {"id": alice}
    assert outcome.input(1) == debit_input(alice, None, subject("users:002"))
    assert outcome.output(1) is None  # no hold: DebitWallet has no output
    assert fake.bank.wallet_balance(alice, USD) == 750
    assert fake.bank.balance("users:002", USD, ledger=WALLETS) == 250
    assert tx_count(fake, WALLETS) == 2 and tx_count(fake, DEFAULT) == 0


def test_wallet_to_account_mixed_ledger(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice), account("users:002"))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "DebitWallet", "CreateTransaction"]
    debit = outcome.input(1)
    assert debit == debit_input(alice, {MOVE_TO: DEFAULT})
    assert "destination" not in debit["data"]  # debited to the wallet ledger's world
    assert outcome.input(2) == tx_input(DEFAULT, "world", "users:002", {MOVE_FROM: WALLETS})
    assert fake.bank.wallet_balance(alice, USD) == 750
    assert fake.bank.balance("users:002", USD) == 250
    assert tx_count(fake, WALLETS) == 2 and tx_count(fake, DEFAULT) == 1


def test_wallet_to_wallet_same_ledger(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    bob = fake.bank.create_wallet(name="bob", id="bob")
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice), wallet(bob))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "GetWallet", "CreditWallet"]
    assert [outcome.input(0), outcome.input(1)] == [{"id": alice}, {"id": bob}]
    assert outcome.input(2) == credit_input(bob, [subject(alice, "WALLET", balance="main")], None)
    assert fake.bank.wallet_balance(alice, USD) == 750
    assert fake.bank.wallet_balance(bob, USD) == 250
    assert tx_count(fake, WALLETS) == 2


def test_wallet_to_wallet_same_ledger_always_names_the_source_main_balance(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    bob = fake.bank.create_wallet(name="bob", id="bob")
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice, balance="savings"), wallet(bob))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.input(2)["data"]["sources"] == [subject(alice, "WALLET", balance="main")]
    assert fake.bank.wallet_balance(alice, USD) == 750  # taken from main, as the real stage does
    assert fake.bank.wallet_balance(bob, USD) == 250


def test_wallet_to_wallet_mixed_ledger(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    bob = fake.bank.create_wallet(name="bob", id="bob", ledger="wallets-eu")
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice), wallet(bob))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "GetWallet", "DebitWallet", "CreditWallet"]
    assert outcome.output(1)["data"]["ledger"] == "wallets-eu"
    assert outcome.input(2) == debit_input(alice, {MOVE_TO: "wallets-eu"})
    assert outcome.input(3) == credit_input(bob, None, {MOVE_FROM: WALLETS})
    assert fake.bank.wallet_balance(alice, USD) == 750
    assert fake.bank.wallet_balance(bob, USD) == 250
    assert tx_count(fake, WALLETS) == 2 and tx_count(fake, "wallets-eu") == 1


def test_wallet_to_stripe_payment(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice", metadata={"stripeConnectID": "acct_w"})
    fake.bank.fund_wallet(alice, USD, 1000)
    params = send(wallet(alice), stripe())

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetWallet", "StripeTransfer", "DebitWallet"]
    assert outcome.output(0)["data"]["metadata"] == {"stripeConnectID": "acct_w"}
    assert outcome.input(1) == {"amount": 250, "asset": USD, "destination": "acct_w"}
    assert outcome.input(2) == debit_input(alice, None)
    assert fake.bank.stripe_transfers() == [{"amount": 250, "asset": USD, "destination": "acct_w"}]
    assert fake.bank.wallet_balance(alice, USD) == 750
    assert tx_count(fake, WALLETS) == 2


# ---------------------------------------------------------------------------------------------------
# payment -> ...


def payment_import(amount: int = 700) -> dict[str, Any]:
    """The CreateTransaction input that books the payment into the internal ledger."""
    booking = tx_input(INTERNAL, "world", PAYMENT_ACCOUNT, {}, amount)
    booking["data"]["reference"] = PAYMENT_ACCOUNT
    return booking


def test_payment_to_account(fake: FakeOrchestration) -> None:
    fake.bank.create_payment(amount=700, asset=USD, id=PAYMENT_ID)
    params = send({"payment": {"id": PAYMENT_ID}}, account("users:002"))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == ["GetPayment", "CreateTransaction", "CreateTransaction", "CreateTransaction"]
    assert outcome.input(0) == {"id": PAYMENT_ID}
    payment = outcome.output(0)["data"]
    assert (payment["id"], payment["initialAmount"], payment["asset"]) == (PAYMENT_ID, 700, USD)
    assert outcome.input(1) == payment_import()  # the payment's whole amount
    assert outcome.output(1)["data"]["reference"] == PAYMENT_ACCOUNT
    assert outcome.input(2) == tx_input(INTERNAL, PAYMENT_ACCOUNT, "world", {MOVE_TO: DEFAULT})
    assert outcome.input(3) == tx_input(DEFAULT, "world", "users:002", {MOVE_FROM: INTERNAL})
    assert fake.bank.balance(PAYMENT_ACCOUNT, USD, ledger=INTERNAL) == 450  # 700 in, the stage's 250 out
    assert fake.bank.balance("users:002", USD) == 250
    assert tx_count(fake, INTERNAL) == 2 and tx_count(fake, DEFAULT) == 1


def test_payment_to_account_twice_tolerates_the_import_conflict(fake: FakeOrchestration) -> None:
    fake.bank.create_payment(amount=700, asset=USD, id=PAYMENT_ID)
    params = send({"payment": {"id": PAYMENT_ID}}, account("users:002"))
    workflow_id = create_send_workflow(params)
    first = data_of(call("POST", f"/workflows/{workflow_id}/instances"), 201)["id"]
    second = data_of(call("POST", f"/workflows/{workflow_id}/instances"), 201)["id"]

    assert_succeeded(observe(first), params)
    outcome = observe(second)

    assert_succeeded(outcome, params, tolerated={1: "conflict error on reference"})
    assert outcome.names == ["GetPayment", "CreateTransaction", "CreateTransaction", "CreateTransaction"]
    assert outcome.input(1) == payment_import()
    assert outcome.output(1) is None  # the booking failed (CONFLICT): already imported by the first run
    assert fake.bank.balance(PAYMENT_ACCOUNT, USD, ledger=INTERNAL) == 200  # imported once, sent twice
    assert fake.bank.balance("users:002", USD) == 500
    assert tx_count(fake, INTERNAL) == 3


def test_payment_to_wallet(fake: FakeOrchestration) -> None:
    fake.bank.create_payment(amount=700, asset=USD, id=PAYMENT_ID)
    alice = fake.bank.create_wallet(name="alice", id="alice")
    params = send({"payment": {"id": PAYMENT_ID}}, wallet(alice))

    outcome = run_send(params)

    assert_succeeded(outcome, params)
    assert outcome.names == [
        "GetPayment",
        "CreateTransaction",
        "GetWallet",
        "CreateTransaction",
        "CreditWallet",
    ]
    assert outcome.input(1) == payment_import()
    assert outcome.input(2) == {"id": alice}
    assert outcome.input(3) == tx_input(INTERNAL, PAYMENT_ACCOUNT, "world", {MOVE_TO: WALLETS})
    assert outcome.input(4) == credit_input(alice, [subject("world")], {MOVE_FROM: INTERNAL})
    assert fake.bank.balance(PAYMENT_ACCOUNT, USD, ledger=INTERNAL) == 450
    assert fake.bank.wallet_balance(alice, USD) == 250
    assert tx_count(fake, INTERNAL) == 2 and tx_count(fake, WALLETS) == 1


def test_payment_source_without_amount_sends_the_payment_amount(fake: FakeOrchestration) -> None:
    fake.bank.create_payment(amount=700, asset="EUR/2", id=PAYMENT_ID)
    params = send({"payment": {"id": PAYMENT_ID}}, account("users:002"), amount=None)

    outcome = run_send(params)

    assert_succeeded(outcome, params)  # the history input has no "amount"
    assert "amount" not in outcome.history[0]["input"]
    assert outcome.names == ["GetPayment", "CreateTransaction", "CreateTransaction", "CreateTransaction"]
    moved = [outcome.input(i)["data"]["postings"][0] for i in (1, 2, 3)]
    assert [(p["amount"], p["asset"]) for p in moved] == [(700, "EUR/2")] * 3
    assert fake.bank.balance(PAYMENT_ACCOUNT, "EUR/2", ledger=INTERNAL) == 0
    assert fake.bank.balance("users:002", "EUR/2") == 700


# ---------------------------------------------------------------------------------------------------
# Stages that fail with a plain error


@pytest.mark.parametrize(
    ("source", "destination", "amount", "message", "names"),
    [
        pytest.param(
            {"payment": {"id": PAYMENT_ID}},
            stripe(),
            250,
            "send from payment to payment is not supported",
            [],
            id="payment-to-payment",
        ),
        pytest.param(
            account("users:001"), account("users:002"), None, "amount must be specified", [], id="no-amount"
        ),
        pytest.param(
            account("users:001"),
            stripe(psp="adyen"),
            250,
            "only stripe actually supported",
            [],
            id="account-to-adyen",
        ),
        pytest.param(
            wallet("alice"),
            stripe(psp="wise"),
            250,
            "only stripe actually supported",
            [],
            id="wallet-to-wise",
        ),
        pytest.param(
            account("users:001"),
            stripe(),
            250,
            "expected 'stripeConnectID' metadata containing connected account ID",
            ["GetAccount"],
            id="account-without-connect-id",
        ),
        pytest.param(
            wallet("alice"),
            stripe(metadata="connect"),
            250,
            "expected 'connect' metadata containing connected account ID",
            ["GetWallet"],
            id="wallet-without-connect-id",
        ),
    ],
)
def test_plain_stage_failures(
    fake: FakeOrchestration,
    source: dict[str, Any],
    destination: dict[str, Any],
    amount: int | None,
    message: str,
    names: list[str],
) -> None:
    fake.bank.fund("users:001", USD, 1000)
    fake.bank.create_wallet(name="alice", id="alice", metadata={"stripeConnectID": "acct_w"})
    fake.bank.fund_wallet("alice", USD, 1000)
    fake.bank.create_payment(amount=700, asset=USD, id=PAYMENT_ID)
    params = send(source, destination, amount)

    outcome = run_send(params)

    assert_failed(outcome, message, params)
    assert outcome.names == names  # the child ran (200, not 404) but stopped before moving anything
    for activity in outcome.activities:
        assert activity["terminated"] is True and activity["attempt"] == 1 and "error" not in activity
    assert fake.bank.stripe_transfers() == []
    assert fake.bank.balance("users:001", USD) == 1000
    assert fake.bank.wallet_balance("alice", USD) == 1000
    assert tx_count(fake, DEFAULT) == 1 and tx_count(fake, INTERNAL) == 0


def test_plain_failure_after_get_account_keeps_its_output(fake: FakeOrchestration) -> None:
    fake.bank.create_account("users:001", metadata={"role": "merchant"})
    fake.bank.fund("users:001", USD, 1000)

    outcome = run_send(send(account("users:001"), stripe()))

    assert outcome.instance["error"] == "expected 'stripeConnectID' metadata containing connected account ID"
    [get_account] = outcome.activities
    assert get_account["input"] == {"GetAccount": {"id": "users:001", "ledger": DEFAULT}}
    assert outcome.output(0)["data"]["metadata"] == {"role": "merchant"}
    assert outcome.output(0)["data"]["balances"] == {USD: 1000}


# ---------------------------------------------------------------------------------------------------
# Insufficient funds: the activity retries for ever, until money arrives


def test_insufficient_funds_retries_on_the_wire_then_completes_once_funded(fake: FakeOrchestration) -> None:
    params = send(account("users:empty"), account("users:002"))
    instance_id = start(params)
    fake.advance(timedelta(seconds=20))  # attempts at +0, +1, +3, +7 and +15 s failed; the 6th is at +31 s

    outcome = observe(instance_id)

    instance = outcome.instance
    assert instance["terminated"] is False and instance["error"] == ""
    assert "terminatedAt" not in instance
    [row] = instance["status"]
    assert row["stage"] == 0 and row["error"] == "" and "terminatedAt" not in row
    [item] = outcome.history
    assert item["name"] == "RunSend" and item["terminated"] is False
    assert item["input"] == params and "terminatedAt" not in item and "error" not in item
    [pending] = outcome.activities
    assert pending["name"] == "CreateTransaction"
    assert pending["input"] == {"CreateTransaction": tx_input(DEFAULT, "users:empty", "users:002", {})}
    assert pending["terminated"] is False
    assert pending["attempt"] >= 2
    assert pending["attempt"] == 6
    assert pending["lastFailure"] == "account had insufficient funds"
    assert TIMESTAMP.match(pending["nextExecution"])
    assert when(pending["nextExecution"]) - when(pending["startedAt"]) == timedelta(seconds=31)
    assert list(pending) == [
        "name",
        "input",
        "terminated",
        "startedAt",
        "lastFailure",
        "attempt",
        "nextExecution",
    ]
    assert data_of(call("GET", "/instances?running=true"))[0]["id"] == instance_id
    assert tx_count(fake, DEFAULT) == 0

    fake.advance(timedelta(minutes=5))
    later = observe(instance_id).activities[0]
    assert later["attempt"] > pending["attempt"]
    assert when(later["nextExecution"]) > when(pending["nextExecution"])
    assert when(later["nextExecution"]) > fake.clock.now()

    fake.bank.fund("users:empty", USD, 300)
    fake.advance(timedelta(seconds=100))  # the longest retry interval: the next attempt has run

    done = observe(instance_id)
    assert_succeeded(done, params)
    [activity] = done.activities
    assert activity["name"] == "CreateTransaction" and activity["attempt"] == 1
    assert done.output(0)["data"]["postings"] == [posting("users:empty", "users:002")]
    assert fake.bank.balance("users:empty", USD) == 50
    assert fake.bank.balance("users:002", USD) == 250
    assert data_of(call("GET", "/instances?running=true")) == []


def test_insufficient_wallet_funds_show_the_wallets_message(fake: FakeOrchestration) -> None:
    alice = fake.bank.create_wallet(name="alice", id="alice")
    instance_id = start(send(wallet(alice), account("users:002")))
    fake.advance(2)

    outcome = observe(instance_id)

    assert outcome.instance["terminated"] is False
    assert outcome.names == ["GetWallet", "DebitWallet"]
    done, pending = outcome.activities
    assert done["terminated"] is True and done["attempt"] == 1
    assert pending["terminated"] is False and pending["attempt"] >= 2
    assert pending["lastFailure"] == "insufficient fund"
    assert "nextExecution" in pending

    call("PUT", f"/instances/{instance_id}/abort")
    aborted = observe(instance_id)
    assert aborted.instance["terminated"] is True and aborted.instance["error"] == "canceled"
    assert aborted.history[0]["error"] == "canceled"
    assert aborted.activities[1]["error"] == "cancelled"
    assert aborted.activities[1]["terminated"] is True
    assert fake.bank.wallet_balance(alice, USD) == 0
