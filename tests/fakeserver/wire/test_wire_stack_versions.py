"""Each stack version's dialect on the wire: raw bytes for every difference of the version table.

Every test runs the same scenario against a fake of each version (``FakeApp.handle``, raw bodies)
and asserts that version's bytes, so a version whose rendering fell back to another's fails here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from fakeserver import (
    DEFAULT_STACK_VERSION,
    STACK_VERSIONS,
    Engine,
    FakeApp,
    FakeOrchestration,
    FakeRequest,
    FakeServer,
    ManualClock,
    UnknownStackVersion,
)
from fakeserver._stack_versions import stack_version

WORKFLOW_ID = re.compile(r'"id":"([0-9a-f-]{36})"')
LATER = ("v2.0", "v3.1", "v3.2.5")


def make_app(version: str) -> FakeApp:
    return FakeApp(Engine(clock=ManualClock(), stack_version=version))


def request(app: FakeApp, method: str, path: str, body: Any = None, query: str = "") -> tuple[int, bytes]:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", "content-length": str(len(raw))} if raw else {}
    response = app.handle(FakeRequest(method=method, path=path, query=query, headers=headers, body=raw))
    return response.status, response.body


def create(app: FakeApp, stages: list[dict[str, Any]]) -> str:
    status, body = request(app, "POST", "/workflows", {"name": "w", "stages": stages})
    assert status == 201, body
    return str(json.loads(body)["data"]["id"])


def run(app: FakeApp, workflow_id: str, *, wait: bool = False) -> dict[str, Any]:
    status, body = request(
        app, "POST", f"/workflows/{workflow_id}/instances", {}, "wait=true" if wait else ""
    )
    assert status == 201, body
    data: dict[str, Any] = json.loads(body)["data"]
    return data


def data(app: FakeApp, path: str, query: str = "") -> Any:
    status, body = request(app, "GET", path, query=query)
    assert status == 200, body
    return json.loads(body)["data"]


# -- the table -------------------------------------------------------------------------------------


def test_the_versions_oldest_first_and_the_latest_is_the_default() -> None:
    assert STACK_VERSIONS == ("v1.0", "v2.0", "v3.1", "v3.2.5")
    assert STACK_VERSIONS[-1] == DEFAULT_STACK_VERSION
    assert Engine().stack_version == FakeApp().stack_version == DEFAULT_STACK_VERSION
    assert FakeOrchestration().stack_version == FakeServer().stack_version == DEFAULT_STACK_VERSION


@pytest.mark.parametrize(
    "make",
    [
        lambda: Engine(stack_version="v9"),
        lambda: FakeApp(stack_version="v9"),
        lambda: FakeOrchestration(stack_version="v9"),
        lambda: FakeServer(stack_version="v9"),
        lambda: Engine().reset(stack_version="v9"),
    ],
)
def test_an_unknown_version_is_a_clear_error_listing_the_valid_ones(make: Any) -> None:
    with pytest.raises(UnknownStackVersion) as raised:
        make()
    assert str(raised.value) == "unknown stack version 'v9': expected one of v1.0, v2.0, v3.1, v3.2.5"
    assert isinstance(raised.value, ValueError)


def test_a_version_beside_an_engine_that_speaks_another_is_refused() -> None:
    engine = Engine(stack_version="v1.0")
    assert FakeApp(engine, stack_version="v1.0").stack_version == "v1.0"
    with pytest.raises(ValueError, match=r"the given engine speaks 'v1\.0'"):
        FakeApp(engine, stack_version="v2.0")
    with pytest.raises(ValueError, match=r"the given engine speaks 'v1\.0'"):
        FakeServer(FakeApp(engine), stack_version="v3.1")


def test_reset_switches_the_version_and_keeps_an_explicit_info_version() -> None:
    app = make_app("v1.0")
    create(app, [])
    app.reset(stack_version="v2.0")
    assert (app.stack_version, request(app, "GET", "/_info")) == ("v2.0", (200, b'{"version":"v2.0.33"}\n'))
    assert data(app, "/workflows") == []
    app.reset()  # keeps the version
    assert app.stack_version == "v2.0"
    pinned = FakeApp(Engine(stack_version="v1.0", version="custom"))
    pinned.reset(stack_version="v3.1")
    assert request(pinned, "GET", "/_info")[1] == b'{"version":"custom"}\n'


# -- per-version bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "info"),
    [
        ("v1.0", b'{"version":"develop"}\n'),
        ("v2.0", b'{"version":"v2.0.33"}\n'),
        ("v3.1", b'{"version":"v2.4.1"}\n'),
    ],
)
def test_server_info(version: str, info: bytes) -> None:
    assert request(make_app(version), "GET", "/_info") == (200, info)


@pytest.mark.parametrize(
    ("version", "code"), [("v1.0", "INTERNAL_ERROR"), ("v2.0", "INTERNAL"), ("v3.1", "INTERNAL")]
)
def test_internal_errors_and_not_found_as_500(version: str, code: str) -> None:
    app = make_app(version)
    error = b'{"errorCode":"' + code.encode() + b'","errorMessage":"sql: no rows in result set"}\n'
    missing = "00000000-0000-4000-8000-000000000000"
    assert request(app, "GET", f"/workflows/{missing}") == (500, error)
    assert request(app, "POST", f"/workflows/{missing}/instances", {}) == (500, error)
    instance_error = b'{"errorCode":"' + code.encode() + b'","errorMessage":"Instance not found"}\n'
    assert request(app, "GET", "/instances/nope") == (500, instance_error)
    unresolved = b'{"errorCode":"' + code.encode() + b'","errorMessage":"creating workflow: unable to resolve'
    status, body = request(app, "POST", "/workflows", {"stages": [{"teleport": {}}]})
    assert (status, body[: len(unresolved)]) == (500, unresolved)


@pytest.mark.parametrize(
    ("version", "message"),
    [("v1.0", "resource not found"), ("v2.0", "Instance not found"), ("v3.1", "Instance not found")],
)
def test_stage_history_not_found(version: str, message: str) -> None:
    app = make_app(version)
    expected = (404, b'{"errorCode":"NOT_FOUND","errorMessage":"' + message.encode() + b'"}\n')
    assert request(app, "GET", "/instances/nope/stages/0/history") == expected
    assert request(app, "GET", "/instances/nope/stages/-1/history") == expected


def test_workflows_carry_deleted_at_and_can_be_deleted_from_v2_0() -> None:
    old = make_app("v1.0")
    workflow_id = create(old, [])
    assert list(data(old, f"/workflows/{workflow_id}")) == ["id", "config", "createdAt", "updatedAt"]
    assert request(old, "DELETE", f"/workflows/{workflow_id}") == (405, b"")
    for version in LATER:
        app = make_app(version)
        workflow_id = create(app, [{"noop": {}}])
        instance_id = run(app, workflow_id)["id"]
        workflow = data(app, f"/workflows/{workflow_id}")
        assert list(workflow) == ["id", "config", "createdAt", "updatedAt", "deletedAt"]
        assert workflow["deletedAt"] is None
        assert request(app, "DELETE", f"/workflows/{workflow_id}") == (204, b"")
        assert request(app, "DELETE", f"/workflows/{workflow_id}/") == (204, b"")  # again: 204
        assert data(app, "/workflows") == []
        assert data(app, "/instances") == [] and data(app, "/instances", f"workflowID={workflow_id}") == []
        assert data(app, f"/workflows/{workflow_id}")["deletedAt"] == workflow["createdAt"]  # still readable
        assert data(app, f"/instances/{instance_id}")["id"] == instance_id
        assert run(app, workflow_id)["workflowID"] == workflow_id  # and runnable
        assert request(app, "DELETE", "/workflows/not-a-uuid") == (
            400,
            b'{"errorCode":"VALIDATION","errorMessage":"Key: \'\' Error:Field validation for \'\' '
            b"failed on the 'uuid' tag\"}\n",
        )
        assert request(app, "DELETE", "/workflows/00000000-0000-4000-8000-000000000000") == (
            404,
            b'{"errorCode":"NOT_FOUND","errorMessage":"Workflow not found"}\n',
        )


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_instance_keys(version: str) -> None:
    row = stack_version(version)
    app = make_app(version)
    workflow_id = create(app, [{"noop": {}}])
    workflow = data(app, f"/workflows/{workflow_id}")
    created = run(app, workflow_id)
    waited = run(app, workflow_id, wait=True)
    read = data(app, f"/instances/{waited['id']}")
    listed = data(app, "/instances")
    base = ["workflowID", "id", "createdAt", "updatedAt", "terminated"]
    embedded = ["workflow"] if row.instance_workflow else []
    error = ["error"] if row.instance_error_always else []
    assert list(created) == base + error  # a plain run answer never embeds the workflow
    assert list(waited) == ["workflowID", *embedded, *base[1:], "terminatedAt", "status"]
    assert list(read) == ["workflowID", *embedded, *base[1:], "terminatedAt", "status", *error]
    assert [list(item) for item in listed] == [
        ["workflowID", *embedded, *base[1:], "terminatedAt", *error],
        ["workflowID", *embedded, *base[1:], "terminatedAt", *error],
    ]
    if row.instance_workflow:
        assert read["workflow"] == workflow and listed[0]["workflow"] == workflow


def test_a_failed_instance_keeps_its_error_in_every_version() -> None:
    for version in STACK_VERSIONS:
        app = make_app(version)
        workflow_id = create(
            app, [{"send": {"source": {"payment": {"id": "p"}}, "destination": {"payment": {}}}}]
        )
        instance = run(app, workflow_id, wait=True)
        assert instance["error"].startswith("send from payment to payment is not supported ("), version
        read = data(app, f"/instances/{instance['id']}")
        assert read["error"] == "send from payment to payment is not supported", version


# -- activity outputs -------------------------------------------------------------------------------

ACCOUNT_TO_ACCOUNT = {
    "send": {
        "source": {"account": {"id": "users:001", "ledger": "default"}},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "amount": {"amount": 100, "asset": "USD/2"},
    }
}


def stage_history(version: str, stages: list[dict[str, Any]], seed: Any = None) -> bytes:
    app = make_app(version)
    app.engine.bank.fund("users:001", "USD/2", 1000)
    if seed is not None:
        seed(app.engine.bank)
    instance = run(app, create(app, stages), wait=True)
    status, body = request(app, "GET", f"/instances/{instance['id']}/stages/0/history")
    assert status == 200
    return body


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_create_transaction_output(version: str) -> None:
    body = stage_history(version, [ACCOUNT_TO_ACCOUNT])
    (item,) = json.loads(body)["data"]
    output = item["output"]["CreateTransaction"]
    postings = [{"amount": 100, "asset": "USD/2", "destination": "bank", "source": "users:001"}]
    if stack_version(version).ledger_v2:
        (tx,) = output["data"]  # a one-element list: the ledger v1 compatibility of the real service
        assert list(tx) == ["id", "metadata", "postings", "reverted", "timestamp", "txid"]
        assert (tx["id"], tx["txid"], tx["reverted"], tx["postings"]) == (1, 1, False, postings)
    else:
        tx = output["data"]
        assert list(tx) == ["metadata", "postings", "reference", "timestamp", "txid"]
        assert (tx["txid"], tx["reference"], tx["postings"]) == (1, "", postings)


PAYMENT_ID = "3c1e8a52-0d1f-4b8e-9a55-2f1c6f6f0b01"
PAYMENT_TO_ACCOUNT = {
    "send": {
        "source": {"payment": {"id": PAYMENT_ID}},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
    }
}


def seed_payment(bank: Any) -> None:
    bank.create_payment(id=PAYMENT_ID, amount=500, asset="USD/2", account_id="acc-1")


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_get_payment_output(version: str) -> None:
    body = stage_history(version, [PAYMENT_TO_ACCOUNT], seed_payment)
    item = json.loads(body)["data"][0]
    assert item["name"] == "GetPayment"
    payment = item["output"]["GetPayment"]["data"]
    if stack_version(version).payment_accounts:
        assert list(payment) == [
            "adjustments",
            "amount",
            "asset",
            "connectorID",
            "createdAt",
            "destinationAccountID",
            "id",
            "initialAmount",
            "metadata",
            "provider",
            "raw",
            "reference",
            "scheme",
            "sourceAccountID",
            "status",
            "type",
        ]
        assert (payment["amount"], payment["destinationAccountID"], payment["sourceAccountID"]) == (
            500,
            "acc-1",
            "",
        )
    else:
        assert list(payment) == [
            "accountID",
            "adjustments",
            "asset",
            "createdAt",
            "id",
            "initialAmount",
            "metadata",
            "provider",
            "raw",
            "reference",
            "scheme",
            "status",
            "type",
        ]
        assert payment["accountID"] == "acc-1"


def test_later_payment_fields_given_to_the_bank_show_only_in_later_versions() -> None:
    def seed(bank: Any) -> None:
        bank.create_payment(id=PAYMENT_ID, amount=5, asset="USD/2", connectorID="c1", sourceAccountID="s1")

    old = json.loads(stage_history("v1.0", [PAYMENT_TO_ACCOUNT], seed))["data"][0]["output"]["GetPayment"][
        "data"
    ]
    assert "connectorID" not in old and "sourceAccountID" not in old
    new = json.loads(stage_history("v2.0", [PAYMENT_TO_ACCOUNT], seed))["data"][0]["output"]["GetPayment"][
        "data"
    ]
    assert (new["connectorID"], new["sourceAccountID"], new["destinationAccountID"]) == ("c1", "s1", "")


def test_every_version_renders_the_same_run_differently() -> None:
    """Guard against a version falling back to another's rendering: bodies differ pairwise."""
    bodies: dict[str, bytes] = {}
    for version in STACK_VERSIONS:
        app = make_app(version)
        app.engine.bank.fund("users:001", "USD/2", 1000)
        workflow_id = create(app, [ACCOUNT_TO_ACCOUNT])
        instance_id = run(app, workflow_id, wait=True)["id"]
        parts = [
            request(app, "GET", path)[1] for path in ("/_info", f"/instances/{instance_id}", "/instances")
        ]
        parts.append(request(app, "GET", f"/instances/{instance_id}/stages/0/history")[1])
        bodies[version] = WORKFLOW_ID.sub('"id":"<id>"', b"".join(parts).decode()).encode()
    assert len(set(bodies.values())) == len(STACK_VERSIONS)


# -- the stack v2.0+ send stage and update stage ----------------------------------------------------

STAMP = "2024-01-02T03:04:05Z"
USD = {"amount": 100, "asset": "USD/2"}
MD = {"order": "42"}


def run_stage(
    version: str, stage: dict[str, Any], seed: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], FakeApp]:
    """Run one stage with ``wait``; the instance and its stage-0 activities, raw."""
    app = make_app(version)
    seed(app.engine.bank)
    instance = run(app, create(app, [stage]), wait=True)
    status, body = request(app, "GET", f"/instances/{instance['id']}/stages/0/history")
    return instance, json.loads(body)["data"] if status == 200 else [], app


def seed_all(bank: Any) -> None:
    bank.fund("users:001", "USD/2", 1000)
    bank.create_account("users:001", metadata={"formanceAccountID": "acct_1", "stripeConnectID": "acct_old"})
    bank.create_wallet(id="w1", name="alice", ledger="default")
    bank.create_wallet(id="w2", name="bob", ledger="wallets-002", metadata={"formanceAccountID": "acct_2"})
    bank.fund_wallet("w1", "USD/2", 1000)
    bank.fund_wallet("w2", "USD/2", 1000)
    bank.create_payment(id=PAYMENT_ID, amount=500, asset="USD/2")


ACCOUNT = {"account": {"id": "users:001", "ledger": "default"}}
OTHER_LEDGER = {"account": {"id": "bank", "ledger": "other"}}
SAME_LEDGER = {"account": {"id": "bank", "ledger": "default"}}
ALICE = {"wallet": {"name": "alice"}}
BOB = {"wallet": {"id": "w2"}}
STRIPE = {"payment": {"psp": "stripe"}}
PAYMENT = {"payment": {"id": PAYMENT_ID}}
WALLET_BY_NAME = {"cursor": {"data": [], "hasMore": False, "pageSize": 15}}


@pytest.mark.parametrize("version", LATER)
@pytest.mark.parametrize(
    ("source", "destination", "names"),
    [
        (ACCOUNT, SAME_LEDGER, ["CreateTransaction"]),
        (ACCOUNT, OTHER_LEDGER, ["CreateTransaction", "CreateTransaction"]),
        (ACCOUNT, ALICE, ["ListWallets", "CreditWallet"]),
        (ACCOUNT, BOB, ["GetWallet", "CreateTransaction", "CreditWallet"]),
        (ACCOUNT, STRIPE, ["GetAccount", "StripeTransfer", "CreateTransaction"]),
        (ALICE, SAME_LEDGER, ["ListWallets", "DebitWallet"]),
        (ALICE, OTHER_LEDGER, ["ListWallets", "DebitWallet", "CreateTransaction"]),
        (ALICE, BOB, ["ListWallets", "GetWallet", "DebitWallet", "CreditWallet"]),
        (BOB, STRIPE, ["GetWallet", "StripeTransfer", "DebitWallet"]),
        (PAYMENT, SAME_LEDGER, ["GetPayment", "CreateTransaction", "CreateTransaction", "CreateTransaction"]),
        (PAYMENT, BOB, ["GetPayment", "CreateTransaction", "GetWallet", "CreateTransaction", "CreditWallet"]),
    ],
)
def test_the_2024_send_matrix(version: str, source: Any, destination: Any, names: list[str]) -> None:
    stage = {
        "send": {
            "source": source,
            "destination": destination,
            "amount": USD,
            "metadata": MD,
            "timestamp": STAMP,
        }
    }
    if stack_version(version).send_2025 and "StripeTransfer" in names:  # debit first, any provider
        names = [name for name in names if name != "StripeTransfer"] + ["CreateTransferInitiation"]
    instance, activities, app = run_stage(version, stage, seed_all)
    assert instance["terminated"] and "error" not in instance, instance
    assert [item["name"] for item in activities] == names
    history = data(app, f"/instances/{instance['id']}/history")[0]["input"]
    assert (history["metadata"], history["timestamp"]) == (MD, STAMP)
    for item in activities:
        body = item["input"][item["name"]]
        if item["name"] == "CreateTransaction":
            assert list(body) == ["Data", "Ledger"]  # the Go struct has no JSON tags
            assert body["Data"]["timestamp"] == STAMP and body["Data"]["metadata"]["order"] == "42"
            (tx,) = item["output"]["CreateTransaction"]["data"]
            assert tx["timestamp"] == STAMP and tx["id"] == tx["txid"]
        elif item["name"] in ("CreditWallet", "DebitWallet"):
            assert body["data"]["timestamp"] == STAMP
            assert body["data"]["metadata"] is None or body["data"]["metadata"]["order"] == "42"
        elif item["name"] in ("StripeTransfer", "CreateTransferInitiation"):
            assert body["metadata"] == MD and body["waitingValidation"] is False
            assert body["destination"] in ("acct_1", "acct_2")


def test_the_2024_send_keeps_the_quirks() -> None:
    # wallet -> account on the same ledger passes the stage's metadata on as is: null when absent
    stage = {"send": {"source": ALICE, "destination": SAME_LEDGER, "amount": USD}}
    _, activities, _ = run_stage("v3.1", stage, seed_all)
    assert activities[1]["input"]["DebitWallet"]["data"]["metadata"] is None
    assert "timestamp" not in activities[1]["input"]["DebitWallet"]["data"]
    # account -> account without metadata: no metadata key (omitempty), no timestamp
    _, activities, _ = run_stage(
        "v3.1", {"send": {"source": ACCOUNT, "destination": SAME_LEDGER, "amount": USD}}, seed_all
    )
    assert list(activities[0]["input"]["CreateTransaction"]["Data"]) == ["postings"]
    # a payment source without amount moves the payment's amount
    _, activities, _ = run_stage("v2.0", {"send": {"source": PAYMENT, "destination": ALICE}}, seed_all)
    assert activities[-1]["input"]["CreditWallet"]["data"]["amount"] == {"amount": 500, "asset": "USD/2"}


@pytest.mark.parametrize(
    ("stage", "error"),
    [
        ({"source": ACCOUNT, "destination": SAME_LEDGER}, "amount must be specified"),
        (
            {"source": PAYMENT, "destination": {"payment": {"psp": "stripe"}}, "amount": USD},
            "send from payment to payment is not supported",
        ),
        (
            {"source": ACCOUNT, "destination": {"payment": {"psp": "wise"}}, "amount": USD},
            "only stripe actually supported",
        ),
        (
            {
                "source": ACCOUNT,
                "destination": {"payment": {"psp": "stripe", "metadata": "nope"}},
                "amount": USD,
            },
            "expected 'nope' metadata containing formance account ID",
        ),
        (
            {"source": {"wallet": {"name": "carol"}}, "destination": SAME_LEDGER, "amount": USD},
            "wallet not found",
        ),
    ],
)
def test_the_2024_send_failures(stage: dict[str, Any], error: str) -> None:
    instance, _, app = run_stage("v3.1", {"send": stage}, seed_all)
    assert data(app, f"/instances/{instance['id']}")["error"] == error


def test_a_2024_wallet_needs_exactly_one_of_id_and_name() -> None:
    stage = {
        "send": {
            "source": {"wallet": {"id": "w1", "name": "alice"}},
            "destination": SAME_LEDGER,
            "amount": USD,
        }
    }
    instance, _, app = run_stage("v2.0", stage, seed_all)
    ref = "Send.Source.Wallet.WalletReference"
    assert data(app, f"/instances/{instance['id']}")["error"] == (
        f"Key: '{ref}.id' Error:Field validation for 'id' failed on the 'id or name' tag\n"
        f"Key: '{ref}.name' Error:Field validation for 'name' failed on the 'id or name' tag"
    )


def test_the_update_stage_exists_from_v2_0() -> None:
    stage = {"update": {"account": {"id": "users:001", "ledger": "default", "metadata": {"tier": "${tier}"}}}}
    status, body = request(make_app("v1.0"), "POST", "/workflows", {"stages": [stage]})
    assert (status, json.loads(body)["errorMessage"]) == (
        500,
        "creating workflow: unable to resolve schema update",
    )
    app = make_app("v2.0")
    workflow_id = create(app, [stage])
    status, body = request(app, "POST", f"/workflows/{workflow_id}/instances", {"tier": "gold"}, "wait=true")
    instance = json.loads(body)["data"]
    assert data(app, f"/instances/{instance['id']}/history")[0]["name"] == "RunUpdate"
    (item,) = data(app, f"/instances/{instance['id']}/stages/0/history")
    assert item["input"] == {
        "AddAccountMetadata": {"account": "users:001", "ledger": "default", "metadata": {"tier": "gold"}}
    }
    assert "output" not in item
    assert app.engine.bank.account("users:001")["metadata"] == {"tier": "gold"}


def test_v1_0_ignores_the_later_send_fields() -> None:
    stage = {
        "send": {
            "source": ACCOUNT,
            "destination": SAME_LEDGER,
            "amount": USD,
            "metadata": MD,
            "timestamp": STAMP,
        }
    }
    instance, activities, app = run_stage("v1.0", stage, seed_all)
    assert data(app, f"/instances/{instance['id']}/history")[0]["input"] == {
        "amount": USD,
        "destination": SAME_LEDGER,
        "source": ACCOUNT,
    }
    assert activities[0]["input"]["CreateTransaction"]["data"]["metadata"] == {}


# -- pytest: ini option, command-line option, fixture override ---------------------------------------

PYTEST_MODULE = """
import pytest
import requests

def test_fixture_fake(orchestration_fake, expected):
    assert orchestration_fake.stack_version == expected
    assert requests.get(orchestration_fake.url + "/_info").json()["version"]

def test_server(orchestration_server, expected):
    answer = requests.get(orchestration_server.url + "/_fake/version").json()["data"]
    assert answer["stackVersion"] == expected

class TestOverridden:
    @pytest.fixture
    def orchestration_stack_version(self):
        return "v1.0"

    def test_pinned(self, orchestration_fake, orchestration_server):
        assert orchestration_fake.stack_version == orchestration_server.stack_version == "v1.0"
"""


def _pytest(tmp_path: Any, expected: str, *args: str) -> Any:
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text(
        f"import pytest\n\n@pytest.fixture\ndef expected():\n    return {expected!r}\n", encoding="utf-8"
    )
    (tmp_path / "test_versions.py").write_text(PYTEST_MODULE, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_the_pytest_options_and_fixture(tmp_path: Any) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\norchestration_stack_version = v2.0\n", encoding="utf-8")
    from_ini = _pytest(tmp_path, "v2.0")
    assert from_ini.returncode == 0 and "3 passed" in from_ini.stdout, from_ini.stdout + from_ini.stderr
    from_option = _pytest(tmp_path, "v1.0", "--orchestration-stack-version", "v1.0")
    assert from_option.returncode == 0 and "3 passed" in from_option.stdout, from_option.stdout
    unknown = _pytest(tmp_path, "v1.0", "--orchestration-stack-version", "v0.9")
    assert unknown.returncode != 0
    assert "unknown stack version 'v0.9': expected one of v1.0, v2.0, v3.1" in unknown.stdout + unknown.stderr


@pytest.mark.parametrize("version", STACK_VERSIONS)
def test_every_operation_and_the_shared_error_paths(version: str) -> None:
    app = make_app(version)
    assert request(app, "GET", "/_healthcheck") == (200, b'{"default":"OK"}\n')
    workflow_id = create(app, [{"wait_event": {"event": "go"}}, {"wait_event": {"event": "later"}}])
    assert [item["id"] for item in data(app, "/workflows")] == [workflow_id]
    instance_id = run(app, workflow_id)["id"]
    assert request(app, "POST", f"/instances/{instance_id}/events", {"name": "go"}) == (204, b"")
    assert [item["name"] for item in data(app, f"/instances/{instance_id}/history")] == ["RunWaitEvent"] * 2
    assert data(app, f"/instances/{instance_id}/stages/0/history") == []
    assert request(app, "PUT", f"/instances/{instance_id}/abort") == (204, b"")
    assert data(app, f"/instances/{instance_id}")["terminated"] is True
    assert data(app, "/instances", "running=true") == []
    bad = request(app, "POST", "/workflows", None)
    assert bad[0] == 400 and json.loads(bad[1])["errorCode"] == "VALIDATION"
    assert request(app, "GET", "/nowhere")[0] == 404
    assert request(app, "PATCH", "/workflows") == (405, b"")
    assert request(app, "GET", f"/instances/{instance_id}/stages/x/history") == (404, b"")
    code = stack_version(version).internal_error_code
    status, body = request(app, "POST", f"/instances/{instance_id}/events", {"name": "go"})
    assert (status, json.loads(body)["errorCode"]) == (500, code)


def test_a_listing_embeds_each_instance_s_own_workflow() -> None:
    app = make_app("v3.1")
    first = create(app, [{"noop": {}}])
    second = create(app, [{"wait_event": {"event": "<go & see>"}}])
    for workflow_id in (first, second, first, second):
        run(app, workflow_id)
    listed = data(app, "/instances")
    assert [item["workflow"]["id"] for item in listed] == [first, second, first, second]
    assert [item["workflow"] for item in listed[:2]] == [
        data(app, f"/workflows/{first}"),
        data(app, f"/workflows/{second}"),
    ]
    assert b"\\u003cgo \\u0026 see\\u003e" in request(app, "GET", "/instances")[1]  # Go's escaping kept
    assert b"\\u0000" not in request(app, "GET", "/instances")[1]


@pytest.mark.parametrize(("version", "lenient"), [("v1.0", False), ("v2.0", True), ("v3.1", True)])
def test_the_running_filter(version: str, lenient: bool) -> None:
    app = make_app(version)
    workflow_id = create(app, [{"wait_event": {"event": "go"}}])
    waiting = run(app, workflow_id)["id"]
    everything = len(data(app, "/instances"))
    assert [item["id"] for item in data(app, "/instances", "running=true")] == [waiting]
    for text in ("1", "TRUE"):
        expected = [waiting] if lenient else [waiting] * everything
        assert [item["id"] for item in data(app, "/instances", f"running={text}")] == expected
