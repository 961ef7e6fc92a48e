"""The send stage of stack v3.2.5+ (flows v2.6.0) on the wire, raw bytes: through accounts,
overdrafts sent as Numscript, payments booked into their own ledger and holding account, and payouts
that debit first and then initiate a transfer with any provider.

Upstream: formancehq/flows v2.6.0 ``internal/workflow/stages/send/send.go`` (schema and defaults),
``run.go`` (the sequences), ``activities/activity_transfer_initiation.go`` (the payout activity).
Each test also runs the same stage on ``v3.1`` where it must differ, so a fall-back to the older
send stage fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakeserver import Engine, FakeApp, FakeRequest, ManualClock

V325 = "v3.2.5"
USD = {"amount": 100, "asset": "USD/2"}
PAYMENT_ID = "3c1e8a52-0d1f-4b8e-9a55-2f1c6f6f0b01"


def make_app(version: str = V325) -> FakeApp:
    app = FakeApp(Engine(clock=ManualClock(), stack_version=version))
    bank = app.engine.bank
    bank.create_account("users:001", metadata={"formanceAccountID": "acct_1"})
    bank.fund("users:001", "USD/2", 1000)
    bank.create_wallet(id="w1", name="alice", ledger="default", metadata={"formanceAccountID": "acct_w1"})
    bank.create_wallet(id="w2", name="bob", ledger="wallets-002")
    bank.fund_wallet("w1", "USD/2", 1000)
    bank.create_payment(id=PAYMENT_ID, amount=500, asset="USD/2")
    return app


def request(app: FakeApp, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, bytes]:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", "content-length": str(len(raw))} if raw else {}
    response = app.handle(FakeRequest(method=method, path=path, query=query, headers=headers, body=raw))
    return response.status, response.body


def data(app: FakeApp, path: str) -> Any:
    status, body = request(app, "GET", path)
    assert status == 200, body
    return json.loads(body)["data"]


def start(app: FakeApp, send: dict[str, Any], *, wait: bool = True) -> str:
    status, body = request(app, "POST", "/workflows", {"name": "w", "stages": [{"send": send}]})
    assert status == 201, body
    workflow_id = json.loads(body)["data"]["id"]
    status, body = request(
        app, "POST", f"/workflows/{workflow_id}/instances", {}, "wait=true" if wait else ""
    )
    assert status == 201, body
    return str(json.loads(body)["data"]["id"])


def activities(app: FakeApp, instance_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(app, f"/instances/{instance_id}/stages/0/history")
    return found


def inputs(app: FakeApp, instance_id: str) -> list[tuple[str, Any]]:
    return [(item["name"], item["input"][item["name"]]) for item in activities(app, instance_id)]


def error(app: FakeApp, instance_id: str) -> str:
    return str(data(app, f"/instances/{instance_id}").get("error", ""))


def tx(
    ledger: str, source: str, destination: str, metadata: dict[str, str] | None = None, amount: int = 100
) -> dict[str, Any]:
    """A CreateTransaction input of one posting of USD/2 ``amount``."""
    posting = {"amount": amount, "asset": "USD/2", "destination": destination, "source": source}
    body: dict[str, Any] = {"postings": [posting]}
    if metadata:
        body["metadata"] = metadata
    return {"Data": body, "Ledger": ledger}


def overdraft(
    ledger: str, source: str, destination: str, metadata: dict[str, str] | None = None, amount: int = 100
) -> dict[str, Any]:
    """A CreateTransaction input of the Numscript flows v2.6 generates for an overdraft."""
    plain = (
        f"send [USD/2 {amount}] (\n"
        f"  source = @{source} allowing unbounded overdraft\n"
        f"  destination = @{destination}\n"
        ")"
    )
    body: dict[str, Any] = {"script": {"plain": plain}}
    if metadata:
        body["metadata"] = metadata
    return {"Data": body, "Ledger": ledger}


def moved(key: str, ledger: str) -> dict[str, str]:
    return {f"orchestration/move-{key}-ledger": ledger}


# -- the schema: defaults as the instance history shows them -----------------------------------------


def test_the_new_fields_and_their_defaults_in_the_instance_history() -> None:
    app = make_app()
    send = {
        "source": {"payment": {"id": PAYMENT_ID}},
        "destination": {"account": {"id": "bank"}},
    }
    instance_id = start(app, send)
    status, body = request(app, "GET", f"/instances/{instance_id}/history")
    assert status == 200
    shown = json.loads(body)["data"][0]["input"]
    # payment source: ledger and holdingAccount omitempty; accounts: throughAccount world, no overdraft
    assert shown["source"] == {
        "payment": {"allowOverdraft": False, "id": PAYMENT_ID, "throughAccount": "world"}
    }
    assert shown["destination"] == {
        "account": {"allowOverdraft": False, "id": "bank", "ledger": "default", "throughAccount": "world"}
    }
    assert b'"holdingAccount"' not in body and b'"sourceAccount"' not in body

    payout = start(
        app,
        {
            "source": {"account": {"id": "users:001"}},
            "destination": {"payment": {"psp": "wise"}},
            "amount": USD,
        },
    )
    shown = data(app, f"/instances/{payout}/history")[0]["input"]
    assert shown["destination"] == {
        "payment": {
            "metadata": "formanceAccountID",
            "psp": "wise",
            "type": "TRANSFER",
            "waitingValidation": False,
        }
    }
    old = make_app("v3.1")
    shown = data(old, f"/instances/{start(old, send)}/history")[0]["input"]
    assert shown["source"] == {"payment": {"id": PAYMENT_ID}}  # v3.1 has none of these fields


def test_the_new_fields_are_interpolated_and_resolved_like_the_others() -> None:
    app = make_app()
    send = {
        "source": {"account": {"id": "users:001", "throughAccount": "${through}", "allowOverdraft": "TRUE"}},
        "destination": {"account": {"id": "bank", "ledger": "other"}},
        "amount": USD,
    }
    status, body = request(app, "POST", "/workflows", {"stages": [{"send": send}]})
    workflow_id = json.loads(body)["data"]["id"]
    status, body = request(
        app, "POST", f"/workflows/{workflow_id}/instances", {"through": "bridge:out"}, "wait=true"
    )
    instance_id = json.loads(body)["data"]["id"]
    source = data(app, f"/instances/{instance_id}/history")[0]["input"]["source"]["account"]
    assert (source["throughAccount"], source["allowOverdraft"]) == ("bridge:out", True)
    # an empty through account takes the default
    status, body = request(app, "POST", f"/workflows/{workflow_id}/instances", {}, "wait=true")
    instance_id = json.loads(body)["data"]["id"]
    assert (
        data(app, f"/instances/{instance_id}/history")[0]["input"]["source"]["account"]["throughAccount"]
        == "world"
    )
    # a bool from a variable cannot resolve at creation, where variables are empty (flows
    # internal/schema/map.go: the reflect type's name in the text)
    send["source"]["account"]["allowOverdraft"] = "${od}"  # type: ignore[index]
    status, body = request(app, "POST", "/workflows", {"stages": [{"send": send}]})
    assert (status, json.loads(body)["errorMessage"]) == (
        500,
        "creating workflow: resolving field 'Source': resolving field 'Account': "
        "resolving field 'AllowOverdraft': unable to resolve field 'bool' to bool value",
    )


# -- accounts: through accounts and overdrafts ---------------------------------------------------------


def test_account_to_account_across_ledgers_goes_through_the_through_accounts() -> None:
    send = {
        "source": {"account": {"id": "users:001", "throughAccount": "bridge:out"}},
        "destination": {"account": {"id": "bank", "ledger": "other", "throughAccount": "bridge:in"}},
        "amount": USD,
    }
    app = make_app()
    instance_id = start(app, send, wait=False)
    app.engine.advance(1)
    # bridge:in is not world and may not overdraw: without funds the second leg is retried
    assert activities(app, instance_id)[1]["lastFailure"] == "account had insufficient funds"
    assert inputs(app, instance_id)[0] == (
        "CreateTransaction",
        tx("default", "users:001", "bridge:out", moved("to", "other")),
    )
    assert app.engine.bank.balance("bridge:out", "USD/2") == 100

    app = make_app()
    send["destination"]["account"]["allowOverdraft"] = True  # type: ignore[index]
    instance_id = start(app, send)
    assert data(app, f"/instances/{instance_id}")["terminated"] is True and error(app, instance_id) == ""
    assert inputs(app, instance_id) == [
        ("CreateTransaction", tx("default", "users:001", "bridge:out", moved("to", "other"))),
        ("CreateTransaction", overdraft("other", "bridge:in", "bank", moved("from", "default"))),
    ]
    bank = app.engine.bank
    assert bank.balance("bridge:in", "USD/2", ledger="other") == -100
    assert bank.balance("bank", "USD/2", ledger="other") == 100
    (entered,) = activities(app, instance_id)[1]["output"]["CreateTransaction"]["data"]
    assert entered["postings"] == [
        {"amount": 100, "asset": "USD/2", "destination": "bank", "source": "bridge:in"}
    ]

    old = make_app("v3.1")
    old_id = start(old, send)
    assert [body["Data"]["postings"][0]["source"] for _, body in inputs(old, old_id)] == [
        "users:001",
        "world",
    ]


def test_a_source_account_allowed_to_overdraw_leaves_its_ledger_as_numscript() -> None:
    app = make_app()
    send = {
        "source": {"account": {"id": "users:empty", "allowOverdraft": True}},
        "destination": {"account": {"id": "bank", "ledger": "other"}},
        "amount": USD,
    }
    instance_id = start(app, send)
    assert error(app, instance_id) == ""
    assert inputs(app, instance_id) == [
        ("CreateTransaction", overdraft("default", "users:empty", "world", moved("to", "other"))),
        ("CreateTransaction", tx("other", "world", "bank", moved("from", "default"))),
    ]
    assert app.engine.bank.balance("users:empty", "USD/2") == -100
    # on one ledger the through account and the overdraft play no part: a plain transaction
    same = start(app, {**send, "destination": {"account": {"id": "bank"}}}, wait=False)
    app.engine.advance(1)
    (item,) = activities(app, same)
    assert item["input"]["CreateTransaction"] == tx("default", "users:empty", "bank")
    assert item["lastFailure"] == "account had insufficient funds"


def test_account_to_wallet_elsewhere_credits_from_the_through_account() -> None:
    app = make_app()
    send = {
        "source": {"account": {"id": "users:001", "throughAccount": "bridge:out", "allowOverdraft": True}},
        "destination": {"wallet": {"id": "w2"}},
        "amount": USD,
    }
    app.engine.bank.fund("bridge:out", "USD/2", 100, ledger="wallets-002")
    instance_id = start(app, send)
    assert error(app, instance_id) == ""
    names_inputs = inputs(app, instance_id)
    assert names_inputs[1] == (
        "CreateTransaction",
        overdraft("default", "users:001", "bridge:out", moved("to", "wallets-002")),
    )
    assert names_inputs[2][0] == "CreditWallet"
    assert names_inputs[2][1]["data"]["sources"] == [{"identifier": "bridge:out", "type": "ACCOUNT"}]
    assert app.engine.bank.wallet_balance("w2", "USD/2") == 100


def test_wallet_to_account_elsewhere_enters_from_the_through_account() -> None:
    app = make_app()
    send = {
        "source": {"wallet": {"name": "alice"}},
        "destination": {
            "account": {
                "id": "bank",
                "ledger": "other",
                "throughAccount": "bridge:in",
                "allowOverdraft": True,
            }
        },
        "amount": USD,
    }
    instance_id = start(app, send)
    assert error(app, instance_id) == ""
    assert [name for name, _ in inputs(app, instance_id)] == [
        "ListWallets",
        "DebitWallet",
        "CreateTransaction",
    ]
    assert inputs(app, instance_id)[2][1] == overdraft("other", "bridge:in", "bank", moved("from", "default"))


# -- payments as a source: their own ledger and holding account -----------------------------------------


def test_a_payment_is_booked_into_its_ledger_and_holding_account_from_the_through_account() -> None:
    app = make_app()
    source = {
        "payment": {
            "id": PAYMENT_ID,
            "ledger": "payments",
            "holdingAccount": "held:p1",
            "throughAccount": "psp:stripe",
            "allowOverdraft": True,
        }
    }
    send = {"source": source, "destination": {"account": {"id": "bank", "ledger": "default"}}}
    instance_id = start(app, send)
    assert error(app, instance_id) == ""
    booked = overdraft("payments", "psp:stripe", "held:p1", amount=500)
    booked["Data"]["reference"] = "held:p1"
    assert inputs(app, instance_id) == [
        ("GetPayment", {"id": PAYMENT_ID}),
        ("CreateTransaction", booked),
        # the move on leaves the holding account through world, whatever the payment source said
        ("CreateTransaction", tx("payments", "held:p1", "world", moved("to", "default"), 500)),
        ("CreateTransaction", tx("default", "world", "bank", moved("from", "payments"), 500)),
    ]
    bank = app.engine.bank
    assert bank.balance("psp:stripe", "USD/2", ledger="payments") == -500
    assert bank.balance("bank", "USD/2") == 500
    # a second run finds the booking done (CONFLICT on the reference) and moves on all the same,
    # from a holding account the first run emptied: it waits for funds there
    again = start(app, send, wait=False)
    app.engine.advance(1)
    conflict, pending = activities(app, again)[1:]
    assert conflict["name"] == "CreateTransaction" and conflict["error"] == "conflict error on reference"
    assert pending["input"]["CreateTransaction"] == tx(
        "payments", "held:p1", "world", moved("to", "default"), 500
    )
    assert pending["lastFailure"] == "account had insufficient funds"


def test_a_payment_without_the_new_fields_books_as_before() -> None:
    for version in ("v3.1", V325):
        app = make_app(version)
        instance_id = start(
            app, {"source": {"payment": {"id": PAYMENT_ID}}, "destination": {"account": {"id": "bank"}}}
        )
        booking = inputs(app, instance_id)[1][1]
        assert booking["Ledger"] == "orchestration-000-internal"
        holding = "payment:" + PAYMENT_ID.replace("-", "_")
        assert booking["Data"]["postings"] == [
            {"amount": 500, "asset": "USD/2", "destination": holding, "source": "world"}
        ]
        assert booking["Data"]["reference"] == holding


# -- payouts: debit first, then a transfer initiation for any provider -----------------------------------


@pytest.mark.parametrize(
    ("source", "debit", "names"),
    [
        (
            {"account": {"id": "users:001"}},
            "CreateTransaction",
            ["GetAccount", "CreateTransaction", "CreateTransferInitiation"],
        ),
        ({"wallet": {"id": "w1"}}, "DebitWallet", ["GetWallet", "DebitWallet", "CreateTransferInitiation"]),
    ],
)
def test_a_payout_debits_first_then_initiates_a_transfer(source: Any, debit: str, names: list[str]) -> None:
    app = make_app()
    destination = {
        "payment": {
            "psp": "wise",
            "type": "payout",
            "sourceAccount": "acc_wise",
            "connectorId": "c1",
            "waitingValidation": True,
        }
    }
    send = {"source": source, "destination": destination, "amount": USD, "metadata": {"order": "42"}}
    instance_id = start(app, send)
    assert error(app, instance_id) == ""
    items = activities(app, instance_id)
    assert [item["name"] for item in items] == names
    initiation = items[2]
    assert "output" not in initiation
    connect_id = "acct_1" if "account" in source else "acct_w1"
    status, body = request(app, "GET", f"/instances/{instance_id}/stages/0/history")
    assert status == 200 and json.dumps(initiation["input"], separators=(",", ":")).encode() in body
    assert initiation["input"] == {
        "CreateTransferInitiation": {
            "amount": 100,
            "asset": "USD/2",
            "connectorID": "c1",
            "destination": connect_id,
            "metadata": {"order": "42"},
            "provider": "wise",
            "source": "acc_wise",
            "type": "payout",
            "waitingValidation": True,
        }
    }
    assert app.engine.bank.transfer_initiations() == [
        {
            "amount": 100,
            "asset": "USD/2",
            "connectorID": "c1",
            "description": "wise PAYOUT",
            "destinationAccountID": connect_id,
            "metadata": {"order": "42"},
            "provider": "WISE",
            "sourceAccountID": "acc_wise",
            "type": "PAYOUT",
            "validated": False,
        }
    ]
    assert data(app, "/_fake/transfer-initiations") == app.engine.bank.transfer_initiations()
    assert app.engine.bank.stripe_transfers() == []

    old = make_app("v3.1")
    old_id = start(old, send)
    assert error(old, old_id) == "only stripe actually supported"


def test_the_v3_1_payout_order_and_activity_are_kept_for_v3_1() -> None:
    send = {
        "source": {"account": {"id": "users:001"}},
        "destination": {"payment": {"psp": "stripe"}},
        "amount": USD,
    }
    old, new = make_app("v3.1"), make_app()
    assert [n for n, _ in inputs(old, start(old, send))] == [
        "GetAccount",
        "StripeTransfer",
        "CreateTransaction",
    ]
    assert [n for n, _ in inputs(new, start(new, send))] == [
        "GetAccount",
        "CreateTransaction",
        "CreateTransferInitiation",
    ]
    stripe = inputs(new, start(new, send))[2][1]
    assert (stripe["provider"], stripe["type"], "source" in stripe) == ("stripe", "TRANSFER", False)


def test_an_unknown_transfer_type_is_retried_after_the_debit() -> None:
    app = make_app()
    send = {
        "source": {"account": {"id": "users:001"}},
        "destination": {"payment": {"psp": "wise", "type": "SWIFT"}},
        "amount": USD,
    }
    instance_id = start(app, send, wait=False)
    app.engine.advance(5)
    assert data(app, f"/instances/{instance_id}")["terminated"] is False
    pending = activities(app, instance_id)[-1]
    assert pending["name"] == "CreateTransferInitiation" and pending["attempt"] >= 2
    assert pending["lastFailure"] == "invalid transfer type: SWIFT (must be TRANSFER or PAYOUT)"
    assert app.engine.bank.balance("users:001", "USD/2") == 900  # debited first, not rolled back
    assert app.engine.bank.transfer_initiations() == []


def test_a_payout_without_the_connected_account_fails_before_any_debit() -> None:
    app = make_app()
    send = {"source": {"wallet": {"id": "w2"}}, "destination": {"payment": {"psp": "wise"}}, "amount": USD}
    instance_id = start(app, send)
    assert error(app, instance_id) == "expected 'formanceAccountID' metadata containing formance account ID"
    assert [n for n, _ in inputs(app, instance_id)] == ["GetWallet"]


def test_an_overdraft_through_a_bad_account_fails_the_stage_at_compilation() -> None:
    app = make_app()
    send = {
        "source": {"account": {"id": "users:001", "throughAccount": "bridge-out", "allowOverdraft": True}},
        "destination": {"account": {"id": "bank", "ledger": "other"}},
        "amount": USD,
    }
    instance_id = start(app, send)
    assert error(app, instance_id) == "compiling the overdraft program: invalid destination address"
    (item,) = activities(app, instance_id)
    assert item["error"] == "compiling the overdraft program: invalid destination address"
    assert app.engine.bank.balance("users:001", "USD/2") == 1000  # nothing moved
