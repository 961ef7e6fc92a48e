"""The simulated bank: ledgers, wallets, payments, Stripe transfers, seeding and reading API."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from fakeserver._clock import ManualClock
from fakeserver._ledger import ActivityFailure, Bank, format_timestamp, wallet_address

START = datetime(2023, 4, 13, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def bank(clock: ManualClock) -> Bank:
    counter = itertools.count(1)
    return Bank(clock=clock, ids=lambda: f"00000000-0000-4000-8000-{next(counter):012d}")


def _tx(bank: Bank, ledger: str, postings: list[dict[str, Any]], **data: Any) -> dict[str, Any]:
    output = bank.activity_create_transaction({"ledger": ledger, "data": {"postings": postings, **data}})
    assert output is not None
    return output["data"]  # type: ignore[no-any-return]


def _p(source: str, destination: str, amount: int, asset: str = "EUR/2") -> dict[str, Any]:
    return {"amount": amount, "asset": asset, "destination": destination, "source": source}


# ---------------------------------------------------------------------------------------------
# Ledger


def test_format_timestamp_trims_fraction_like_go() -> None:
    assert format_timestamp(START) == "2023-04-13T08:00:00Z"
    assert format_timestamp(START.replace(microsecond=120000)) == "2023-04-13T08:00:00.12Z"
    assert format_timestamp(START.replace(microsecond=1)) == "2023-04-13T08:00:00.000001Z"


def test_fund_writes_a_world_transaction_with_sequential_txids_per_ledger(
    bank: Bank, clock: ManualClock
) -> None:
    assert bank.fund("users:001", "EUR/2", 500) == 0
    clock.advance(1.5)
    assert bank.fund("users:002", "USD/2", 7) == 1
    assert bank.fund("users:001", "EUR/2", 3, ledger="other") == 0

    assert bank.transactions() == [
        {
            "metadata": {},
            "postings": [_p("world", "users:001", 500)],
            "reference": "",
            "timestamp": "2023-04-13T08:00:00Z",
            "txid": 0,
        },
        {
            "metadata": {},
            "postings": [_p("world", "users:002", 7, "USD/2")],
            "reference": "",
            "timestamp": "2023-04-13T08:00:01.5Z",
            "txid": 1,
        },
    ]
    assert [tx["txid"] for tx in bank.transactions("other")] == [0]
    assert bank.balance("users:001", "EUR/2") == 500
    assert bank.balance("world", "EUR/2") == -500
    assert bank.balance("users:001", "EUR/2", ledger="other") == 3


def test_account_wire_form_with_volumes_balances_and_metadata(bank: Bank) -> None:
    bank.create_account("users:001", metadata={"stripeConnectID": "acct_1"})
    bank.create_account("users:001", metadata={"tier": "gold"})
    bank.fund("users:001", "EUR/2", 500)
    _tx(bank, "default", [_p("users:001", "bank", 120)])

    assert bank.account("users:001") == {
        "address": "users:001",
        "metadata": {"stripeConnectID": "acct_1", "tier": "gold"},
        "volumes": {"EUR/2": {"input": 500, "output": 120}},
        "balances": {"EUR/2": 380},
    }
    assert bank.account("world") == {
        "address": "world",
        "metadata": {},
        "volumes": {"EUR/2": {"input": 0, "output": 500}},
        "balances": {"EUR/2": -500},
    }
    assert bank.balances("bank") == {"EUR/2": 120}
    assert bank.activity_get_account({"ledger": "default", "id": "users:001"}) == {
        "data": bank.account("users:001")
    }


def test_unknown_account_and_ledger_answer_empty_without_creating_anything(bank: Bank) -> None:
    empty = {"address": "nobody", "metadata": {}, "volumes": {}, "balances": {}}
    assert bank.account("nobody") == empty
    assert bank.activity_get_account({"ledger": "nowhere", "id": "nobody"}) == {"data": empty}
    assert bank.balance("nobody", "EUR/2", ledger="nowhere") == 0
    assert bank.balances("nobody") == {}
    assert bank.transactions("nowhere") == []
    assert bank.snapshot()["ledgers"] == {}
    assert bank.version == 0


def test_create_transaction_output_is_the_transaction(bank: Bank, clock: ManualClock) -> None:
    clock.advance(0.25)
    output = bank.activity_create_transaction(
        {
            "ledger": "default",
            "data": {"postings": [_p("world", "bank", 100)], "metadata": {"k": "v"}, "reference": "r1"},
        }
    )
    assert output == {
        "data": {
            "metadata": {"k": "v"},
            "postings": [_p("world", "bank", 100)],
            "reference": "r1",
            "timestamp": "2023-04-13T08:00:00.25Z",
            "txid": 0,
        }
    }
    assert bank.transactions() == [output["data"]]


def test_insufficient_funds_fail_the_whole_transaction_and_change_nothing(bank: Bank) -> None:
    bank.fund("a", "EUR/2", 10)
    before, version = bank.snapshot(), bank.version

    with pytest.raises(ActivityFailure) as caught:
        # a receives 5 then pays 20: the second posting overdraws a.
        _tx(bank, "default", [_p("world", "a", 5), _p("a", "b", 20)])
    assert caught.value.message == "account had insufficient funds"
    assert caught.value.error_code == "INSUFFICIENT_FUND"
    assert caught.value.retryable is True
    assert bank.snapshot() == before
    assert bank.version == version

    tx = _tx(bank, "default", [_p("world", "a", 10), _p("a", "b", 20)])
    assert tx["txid"] == 1
    assert bank.balances("a") == {"EUR/2": 0}
    assert bank.balances("b") == {"EUR/2": 20}


def test_insufficient_funds_in_a_new_ledger_do_not_create_it(bank: Bank) -> None:
    with pytest.raises(ActivityFailure, match="account had insufficient funds"):
        _tx(bank, "fresh", [_p("empty:account", "bank", 1)])
    assert bank.snapshot()["ledgers"] == {}


def test_world_may_go_negative_without_limit(bank: Bank) -> None:
    huge = 10**30
    _tx(bank, "default", [_p("world", "bank", huge)])
    assert bank.balance("world", "EUR/2") == -huge
    assert bank.balance("bank", "EUR/2") == huge


def test_reused_reference_is_a_non_retryable_conflict_per_ledger(bank: Bank) -> None:
    _tx(bank, "default", [_p("world", "bank", 1)], reference="ref:1")
    before = bank.snapshot()
    with pytest.raises(ActivityFailure) as caught:
        _tx(bank, "default", [_p("world", "bank", 1)], reference="ref:1")
    assert (caught.value.message, caught.value.error_code, caught.value.retryable) == (
        "conflict error on reference",
        "CONFLICT",
        False,
    )
    assert bank.snapshot() == before
    # Same reference in another ledger, and empty references, are fine.
    _tx(bank, "other", [_p("world", "bank", 1)], reference="ref:1")
    _tx(bank, "default", [_p("world", "bank", 1)])
    _tx(bank, "default", [_p("world", "bank", 1)], reference="")
    assert [tx["reference"] for tx in bank.transactions()] == ["ref:1", "", ""]


@pytest.mark.parametrize(
    ("posting", "message"),
    [
        (_p("world", "bank", -1), "invalid posting 0: negative amount"),
        (_p("world", "bank", 1, "eur"), "invalid posting 0: invalid asset"),
        (_p("world", "bank-1", 1), "invalid posting 0: invalid destination address"),
        (_p("1abc", "bank", 1), "invalid posting 0: invalid source address"),
        ({**_p("world", "bank", 1), "amount": "1"}, "invalid posting 0: invalid amount"),
    ],
)
def test_invalid_postings_are_non_retryable_validation_failures(
    bank: Bank, posting: dict[str, Any], message: str
) -> None:
    with pytest.raises(ActivityFailure) as caught:
        _tx(bank, "default", [posting])
    assert (caught.value.message, caught.value.error_code, caught.value.retryable) == (
        message,
        "VALIDATION",
        False,
    )
    assert bank.version == 0


def test_seeding_rejects_bad_input_with_value_error(bank: Bank) -> None:
    with pytest.raises(ValueError, match="negative amount"):
        bank.fund("bank", "EUR/2", -5)
    with pytest.raises(ValueError, match="invalid account address"):
        bank.create_account("not an address")
    assert bank.version == 0


def test_version_counts_mutations_only(bank: Bank) -> None:
    bank.create_account("users:001")
    bank.fund("users:001", "EUR/2", 1)
    wallet_id = bank.create_wallet()
    bank.fund_wallet(wallet_id, "EUR/2", 1)
    bank.create_payment(amount=1, asset="EUR/2")
    assert bank.version == 5
    bank.balance("users:001", "EUR/2")
    bank.account("users:001")
    bank.wallet(wallet_id)
    bank.snapshot()
    bank.activity_get_wallet({"id": wallet_id})
    assert bank.version == 5
    bank.activity_stripe_transfer({"amount": 1, "asset": "EUR/2", "destination": "acct_1"})
    assert bank.version == 6


def test_reset_forgets_everything_and_still_bumps_the_version(bank: Bank) -> None:
    bank.fund("users:001", "EUR/2", 1)
    wallet_id = bank.create_wallet()
    payment_id = bank.create_payment(amount=1, asset="EUR/2")
    bank.activity_stripe_transfer({"amount": 1, "asset": "EUR/2", "destination": "acct_1"})
    version = bank.version

    bank.reset()

    assert bank.version == version + 1
    assert bank.snapshot() == {
        "version": version + 1,
        "ledgers": {},
        "wallets": {},
        "payments": {},
        "stripe_transfers": [],
        "transfer_initiations": [],
    }
    with pytest.raises(KeyError):
        bank.wallet(wallet_id)
    with pytest.raises(KeyError):
        bank.payment(payment_id)
    assert bank.fund("users:001", "EUR/2", 1) == 0


def test_execute_activity_dispatches_by_name(bank: Bank) -> None:
    output = bank.execute_activity(
        "CreateTransaction", {"ledger": "default", "data": {"postings": [_p("world", "bank", 3)]}}
    )
    assert output is not None and output["data"]["txid"] == 0
    assert bank.execute_activity("GetAccount", {"ledger": "default", "id": "bank"}) == {
        "data": bank.account("bank")
    }
    with pytest.raises(ValueError, match="unsupported activity 'RevertTransaction'"):
        bank.execute_activity("RevertTransaction", {"ledger": "default", "txId": 0})


# ---------------------------------------------------------------------------------------------
# Wallets


def test_wallet_address_scheme_strips_dashes() -> None:
    assert wallet_address("0a1b-2c3d") == "wallets:0a1b2c3d:main"
    assert wallet_address("w1", "savings") == "wallets:w1:savings"


def test_create_wallet_defaults_and_wire_form(bank: Bank, clock: ManualClock) -> None:
    clock.advance(2)
    wallet_id = bank.create_wallet(name="alice", metadata={"stripeConnectID": "acct_9"})
    assert wallet_id == "00000000-0000-4000-8000-000000000001"
    assert bank.wallet(wallet_id) == {
        "id": wallet_id,
        "metadata": {"stripeConnectID": "acct_9"},
        "name": "alice",
        "createdAt": "2023-04-13T08:00:02Z",
        "balances": {"main": {"assets": {}}},
        "ledger": "wallets-002",
    }
    assert bank.activity_get_wallet({"id": wallet_id}) == {"data": bank.wallet(wallet_id)}


def test_wallet_balances_live_in_the_wallet_ledger(bank: Bank) -> None:
    wallet_id = bank.create_wallet(name="bob")
    bank.fund_wallet(wallet_id, "USD/2", 250)
    bank.fund_wallet(wallet_id, "USD/2", 40, balance="savings")

    main = "wallets:00000000000040008000000000000001:main"
    assert bank.balance(main, "USD/2", ledger="wallets-002") == 250
    assert bank.balance(wallet_address(wallet_id, "savings"), "USD/2", ledger="wallets-002") == 40
    assert bank.wallet_balance(wallet_id, "USD/2") == 250
    assert bank.wallet_balance(wallet_id, "USD/2", balance="savings") == 40
    assert bank.wallet(wallet_id)["balances"] == {"main": {"assets": {"USD/2": 250}}}
    assert bank.transactions("wallets-002")[0]["postings"] == [_p("world", main, 250, "USD/2")]
    assert bank.snapshot()["wallets"][wallet_id]["balances"] == {
        "main": {"assets": {"USD/2": 250}},
        "savings": {"assets": {"USD/2": 40}},
    }


def test_wallet_seeding_errors(bank: Bank) -> None:
    bank.create_wallet(id="w1")
    with pytest.raises(ValueError, match="already exists"):
        bank.create_wallet(id="w1")
    with pytest.raises(ValueError, match="cannot form a ledger address"):
        bank.create_wallet(id="w 2")
    with pytest.raises(KeyError):
        bank.wallet("nope")
    with pytest.raises(KeyError):
        bank.fund_wallet("nope", "EUR/2", 1)
    with pytest.raises(KeyError):
        bank.wallet_balance("nope", "EUR/2")


@pytest.mark.parametrize(
    "call",
    [
        lambda bank: bank.activity_get_wallet({"id": "nope"}),
        lambda bank: bank.activity_credit_wallet(
            {"id": "nope", "data": {"amount": {"amount": 1, "asset": "EUR/2"}, "sources": None}}
        ),
        lambda bank: bank.activity_debit_wallet(
            {"id": "nope", "data": {"amount": {"amount": 1, "asset": "EUR/2"}, "metadata": None}}
        ),
    ],
)
def test_unknown_wallet_is_a_retryable_wallet_not_found(bank: Bank, call: Any) -> None:
    with pytest.raises(ActivityFailure) as caught:
        call(bank)
    assert caught.value.message == "wallet not found"
    assert caught.value.retryable is True


def test_credit_wallet_from_world_account_and_wallet_sources(bank: Bank) -> None:
    w1 = bank.create_wallet(id="w1", ledger="default")
    w2 = bank.create_wallet(id="w2", ledger="default")
    bank.fund("users:001", "EUR/2", 30)
    bank.fund_wallet(w2, "EUR/2", 50, balance="savings")

    amount = {"amount": 10, "asset": "EUR/2"}
    assert (
        bank.execute_activity(
            "CreditWallet", {"id": w1, "data": {"amount": amount, "metadata": {"m": "1"}, "sources": None}}
        )
        is None
    )
    bank.activity_credit_wallet(
        {
            "id": w1,
            "data": {
                "amount": amount,
                "balance": "main",
                "metadata": None,
                "sources": [{"identifier": "users:001", "type": "ACCOUNT"}],
            },
        }
    )
    bank.activity_credit_wallet(
        {
            "id": w1,
            "data": {
                "amount": {"amount": 45, "asset": "EUR/2"},
                "balance": "extra",
                "metadata": None,
                # drained in order: 20 left on users:001, then 25 from w2's savings
                "sources": [
                    {"identifier": "users:001", "type": "ACCOUNT"},
                    {"identifier": "w2", "type": "WALLET", "balance": "savings"},
                ],
            },
        }
    )

    assert bank.wallet_balance(w1, "EUR/2") == 20
    assert bank.wallet_balance(w1, "EUR/2", balance="extra") == 45
    assert bank.balance("users:001", "EUR/2") == 0
    assert bank.wallet_balance(w2, "EUR/2", balance="savings") == 25
    transactions = bank.transactions()
    assert transactions[-3]["metadata"] == {"m": "1"}
    assert transactions[-3]["postings"] == [_p("world", "wallets:w1:main", 10)]
    assert transactions[-1]["postings"] == [
        _p("users:001", "wallets:w1:extra", 20),
        _p("wallets:w2:savings", "wallets:w1:extra", 25),
    ]
    assert transactions[-1]["metadata"] == {}


def test_credit_wallet_from_a_short_source_is_insufficient_fund(bank: Bank) -> None:
    wallet_id = bank.create_wallet(id="w1", ledger="default")
    bank.fund("users:001", "EUR/2", 5)
    before = bank.snapshot()
    with pytest.raises(ActivityFailure) as caught:
        bank.activity_credit_wallet(
            {
                "id": wallet_id,
                "data": {
                    "amount": {"amount": 6, "asset": "EUR/2"},
                    "metadata": None,
                    "sources": [{"identifier": "users:001", "type": "ACCOUNT"}],
                },
            }
        )
    assert (caught.value.message, caught.value.error_code, caught.value.retryable) == (
        "insufficient fund",
        "INSUFFICIENT_FUND",
        True,
    )
    assert bank.snapshot() == before


def test_debit_wallet_balances_in_order_to_destination_or_world(bank: Bank) -> None:
    wallet_id = bank.create_wallet(id="w1", ledger="default")
    other = bank.create_wallet(id="w2", ledger="default")
    bank.fund_wallet(wallet_id, "EUR/2", 10)
    bank.fund_wallet(wallet_id, "EUR/2", 10, balance="b2")

    bank.activity_debit_wallet(
        {
            "id": wallet_id,
            "data": {
                "amount": {"amount": 15, "asset": "EUR/2"},
                "balances": ["b2", "main"],
                "destination": {"identifier": "bank", "type": "ACCOUNT"},
                "metadata": {"why": "test"},
            },
        }
    )
    assert bank.wallet_balance(wallet_id, "EUR/2", balance="b2") == 0
    assert bank.wallet_balance(wallet_id, "EUR/2") == 5
    assert bank.balance("bank", "EUR/2") == 15
    assert bank.transactions()[-1]["postings"] == [
        _p("wallets:w1:b2", "bank", 10),
        _p("wallets:w1:main", "bank", 5),
    ]
    assert bank.transactions()[-1]["metadata"] == {"why": "test"}

    bank.activity_debit_wallet(
        {
            "id": wallet_id,
            "data": {
                "amount": {"amount": 2, "asset": "EUR/2"},
                "destination": {"identifier": other, "type": "WALLET"},
                "metadata": None,
            },
        }
    )
    assert bank.wallet_balance(other, "EUR/2") == 2
    bank.activity_debit_wallet(
        {"id": wallet_id, "data": {"amount": {"amount": 3, "asset": "EUR/2"}, "metadata": None}}
    )
    assert bank.wallet_balance(wallet_id, "EUR/2") == 0
    assert bank.transactions()[-1]["postings"] == [_p("wallets:w1:main", "world", 3)]


def test_debit_wallet_star_uses_every_balance(bank: Bank) -> None:
    wallet_id = bank.create_wallet(id="w1")
    bank.fund_wallet(wallet_id, "EUR/2", 1, balance="b2")
    bank.fund_wallet(wallet_id, "EUR/2", 1)
    bank.activity_debit_wallet(
        {
            "id": wallet_id,
            "data": {"amount": {"amount": 2, "asset": "EUR/2"}, "balances": ["*"], "metadata": None},
        }
    )
    assert bank.transactions("wallets-002")[-1]["postings"] == [
        _p("wallets:w1:main", "world", 1),
        _p("wallets:w1:b2", "world", 1),
    ]


def test_debit_wallet_insufficient_fund_changes_nothing(bank: Bank) -> None:
    wallet_id = bank.create_wallet(id="w1")
    bank.fund_wallet(wallet_id, "EUR/2", 10)
    before, version = bank.snapshot(), bank.version
    request = {
        "id": wallet_id,
        "data": {"amount": {"amount": 11, "asset": "EUR/2"}, "balances": ["main"], "metadata": None},
    }
    with pytest.raises(ActivityFailure) as caught:
        bank.activity_debit_wallet(request)
    assert (caught.value.message, caught.value.error_code, caught.value.retryable) == (
        "insufficient fund",
        "INSUFFICIENT_FUND",
        True,
    )
    assert bank.snapshot() == before and bank.version == version
    bank.fund_wallet(wallet_id, "EUR/2", 1)
    bank.activity_debit_wallet(request)
    assert bank.wallet_balance(wallet_id, "EUR/2") == 0


# ---------------------------------------------------------------------------------------------
# Payments and Stripe


def test_create_payment_defaults_carry_every_payment_field(bank: Bank, clock: ManualClock) -> None:
    clock.advance(3)
    payment_id = bank.create_payment(amount=100, asset="EUR/2")
    assert payment_id == "00000000-0000-4000-8000-000000000001"
    assert bank.payment(payment_id) == {
        "id": payment_id,
        "reference": payment_id,
        "accountID": "",
        "type": "PAY-IN",
        "provider": "STRIPE",
        "status": "SUCCEEDED",
        "initialAmount": 100,
        "scheme": "unknown",
        "asset": "EUR/2",
        "createdAt": "2023-04-13T08:00:03Z",
        "raw": None,
        "adjustments": [],
        "metadata": None,
    }
    assert bank.activity_get_payment({"id": payment_id}) == {"data": bank.payment(payment_id)}


def test_create_payment_overrides_and_aliases(bank: Bank) -> None:
    adjustment = {"status": "SUCCEEDED", "amount": 5, "date": START, "raw": {}, "absolute": False}
    payment_id = bank.create_payment(
        amount=5,
        asset="USD/2",
        id="pay-1",
        provider="WISE",
        status="PENDING",
        type="PAYOUT",
        reference="ref-9",
        account_id="acc-1",
        scheme="sepa",
        created_at=START,
        raw={"x": 1},
        adjustments=[adjustment],
        metadata={"key": "v"},
    )
    payment = bank.payment(payment_id)
    assert payment_id == "pay-1"
    assert list(payment) == [
        "id",
        "reference",
        "accountID",
        "type",
        "provider",
        "status",
        "initialAmount",
        "scheme",
        "asset",
        "createdAt",
        "raw",
        "adjustments",
        "metadata",
    ]
    assert payment["provider"] == "WISE" and payment["status"] == "PENDING" and payment["type"] == "PAYOUT"
    assert payment["reference"] == "ref-9" and payment["accountID"] == "acc-1"
    assert payment["createdAt"] == "2023-04-13T08:00:00Z"
    assert payment["adjustments"] == [{**adjustment, "date": "2023-04-13T08:00:00Z"}]
    assert payment["raw"] == {"x": 1} and payment["metadata"] == {"key": "v"}
    json.dumps(payment)


def test_create_payment_errors(bank: Bank) -> None:
    with pytest.raises(TypeError, match="colour"):
        bank.create_payment(amount=1, asset="EUR/2", colour="red")
    with pytest.raises(ValueError, match="invalid payment amount"):
        bank.create_payment(amount=-1, asset="EUR/2")
    bank.create_payment(amount=1, asset="EUR/2", id="p1")
    with pytest.raises(ValueError, match="already exists"):
        bank.create_payment(amount=1, asset="EUR/2", id="p1")
    with pytest.raises(KeyError):
        bank.payment("nope")


def test_unknown_payment_is_a_retryable_payment_not_found(bank: Bank) -> None:
    with pytest.raises(ActivityFailure) as caught:
        bank.activity_get_payment({"id": "nope"})
    assert (caught.value.message, caught.value.retryable) == ("payment not found", True)


def test_payment_reads_are_copies(bank: Bank) -> None:
    payment_id = bank.create_payment(amount=1, asset="EUR/2")
    bank.payment(payment_id)["adjustments"].append("junk")
    output = bank.activity_get_payment({"id": payment_id})
    output["data"]["status"] = "FAILED"
    assert bank.payment(payment_id)["adjustments"] == []
    assert bank.payment(payment_id)["status"] == "SUCCEEDED"


def test_stripe_transfers_are_recorded_in_order(bank: Bank) -> None:
    transfer = {"amount": 1, "asset": "EUR/2", "destination": "acct_1"}
    assert bank.execute_activity("StripeTransfer", transfer) is None
    bank.activity_stripe_transfer({"amount": 2, "asset": "USD/2", "destination": "acct_2"})
    assert bank.stripe_transfers() == [
        {"amount": 1, "asset": "EUR/2", "destination": "acct_1"},
        {"amount": 2, "asset": "USD/2", "destination": "acct_2"},
    ]


def _script(source: str, destination: str, amount: int = 5) -> dict[str, Any]:
    plain = (
        f"send [EUR/2 {amount}] (\n"
        f"  source = @{source} allowing unbounded overdraft\n"
        f"  destination = @{destination}\n)"
    )
    return {"ledger": "default", "data": {"script": {"plain": plain}, "metadata": {"k": "v"}}}


def test_the_overdraft_numscript_lets_only_its_source_go_negative(bank: Bank) -> None:
    output = bank.activity_create_transaction(_script("bridge:out", "users:001"))
    assert output["data"]["postings"] == [
        {"amount": 5, "asset": "EUR/2", "destination": "users:001", "source": "bridge:out"}
    ]
    assert output["data"]["metadata"] == {"k": "v"}
    assert (bank.balance("bridge:out", "EUR/2"), bank.balance("users:001", "EUR/2")) == (-5, 5)
    # the overdraft is the script's alone: a posting from the overdrawn account still needs funds
    with pytest.raises(ActivityFailure) as raised:
        bank.activity_create_transaction(
            {
                "ledger": "default",
                "data": {
                    "postings": [{"amount": 1, "asset": "EUR/2", "source": "bridge:out", "destination": "x"}]
                },
            }
        )
    assert (raised.value.error_code, raised.value.retryable) == ("INSUFFICIENT_FUND", True)


@pytest.mark.parametrize(
    "script",
    [
        {"plain": "send [EUR/2 5] (source = @a destination = @b)"},
        {"plain": "vars { account $a }"},
        {"plain": 5},
        "send",
        {},
    ],
)
def test_any_other_numscript_is_a_compilation_failure_that_changes_nothing(bank: Bank, script: Any) -> None:
    before = bank.version
    with pytest.raises(ActivityFailure) as raised:
        bank.activity_create_transaction({"ledger": "default", "data": {"script": script}})
    assert (raised.value.error_code, raised.value.retryable) == ("COMPILATION_FAILED", False)
    assert bank.version == before and bank.transactions() == []


def test_an_overdraft_script_with_a_bad_address_does_not_compile(bank: Bank) -> None:
    with pytest.raises(ActivityFailure) as raised:
        bank.activity_create_transaction(_script("bad-address!", "users:001"))
    assert (raised.value.error_code, raised.value.retryable) == ("COMPILATION_FAILED", False)
    assert str(raised.value) == "compiling the overdraft program: invalid source address"


def test_transfer_initiations_are_recorded_as_the_payments_service_receives_them(bank: Bank) -> None:
    base = {
        "amount": 7,
        "asset": "EUR/2",
        "destination": "acct_1",
        "metadata": {},
        "waitingValidation": False,
    }
    assert bank.execute_activity("CreateTransferInitiation", {**base, "provider": "stripe"}) is None
    bank.execute_activity(
        "CreateTransferInitiation", {**base, "type": "payout", "source": "acc", "connectorID": "c"}
    )
    assert bank.transfer_initiations() == [
        {
            "amount": 7,
            "asset": "EUR/2",
            "description": "stripe TRANSFER",
            "destinationAccountID": "acct_1",
            "metadata": {},
            "provider": "STRIPE",
            "type": "TRANSFER",
            "validated": True,
        },
        {
            "amount": 7,
            "asset": "EUR/2",
            "connectorID": "c",
            "description": "Transfer Initiation (PAYOUT)",
            "destinationAccountID": "acct_1",
            "metadata": {},
            "sourceAccountID": "acc",
            "type": "PAYOUT",
            "validated": True,
        },
    ]
    before = bank.version
    with pytest.raises(ActivityFailure) as raised:
        bank.execute_activity("CreateTransferInitiation", {**base, "type": "wire"})
    assert str(raised.value) == "invalid transfer type: wire (must be TRANSFER or PAYOUT)"
    assert raised.value.retryable and bank.version == before and len(bank.transfer_initiations()) == 2


# ---------------------------------------------------------------------------------------------
# Snapshot


def test_snapshot_is_json_ready_and_complete(bank: Bank) -> None:
    bank.create_account("users:001", metadata={"a": "b"})
    bank.fund("users:001", "EUR/2", 5)
    wallet_id = bank.create_wallet(id="w1", name="alice")
    bank.fund_wallet(wallet_id, "EUR/2", 7)
    payment_id = bank.create_payment(amount=9, asset="EUR/2", id="p1")
    bank.activity_stripe_transfer({"amount": 1, "asset": "EUR/2", "destination": "acct_1"})

    snapshot = bank.snapshot()

    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["version"] == bank.version
    assert set(snapshot["ledgers"]) == {"default", "wallets-002"}
    assert snapshot["ledgers"]["default"]["accounts"]["users:001"] == bank.account("users:001")
    assert set(snapshot["ledgers"]["default"]["accounts"]) == {"users:001", "world"}
    assert snapshot["ledgers"]["default"]["transactions"] == bank.transactions()
    assert snapshot["ledgers"]["wallets-002"]["transactions"] == bank.transactions("wallets-002")
    assert snapshot["wallets"] == {wallet_id: bank.wallet(wallet_id)}
    assert snapshot["payments"] == {payment_id: bank.payment(payment_id)}
    assert snapshot["stripe_transfers"] == bank.stripe_transfers()
