"""The /_fake/ control API over real HTTP: every endpoint, its JSON, and its errors."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from fakeserver import _control
from fakeserver.server import FakeServer


@pytest.fixture
def server(orchestration_server: FakeServer) -> FakeServer:
    return orchestration_server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


class Control:
    """Small helper: call the control API and check the envelope."""

    def __init__(self, server: FakeServer, http: requests.Session) -> None:
        self.server = server
        self.http = http

    def call(
        self, method: str, path: str, body: Any = None, *, status: int = 200, raw: bytes | None = None
    ) -> Any:
        kwargs: dict[str, Any] = {"timeout": 5}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["json"] = body
        response = self.http.request(method, self.server.url + path, **kwargs)
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json"
        payload = response.json()
        if status < 300:
            assert set(payload) == {"data"}
            return payload["data"]
        assert set(payload) == {"errorCode", "errorMessage"}
        return payload

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def control(server: FakeServer, http: requests.Session) -> Control:
    return Control(server, http)


def run(
    http: requests.Session, server: FakeServer, stages: list[Any], *, wait: bool = False
) -> dict[str, Any]:
    created = http.post(server.url + "/workflows", json={"stages": stages}, timeout=5)
    assert created.status_code == 201
    url = f"{server.url}/workflows/{created.json()['data']['id']}/instances" + ("?wait=true" if wait else "")
    response = http.post(url, timeout=10)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_the_index_lists_every_route_with_the_docstring_descriptions(control: Control) -> None:
    index = control.get("/_fake")
    assert [(row["method"], row["path"]) for row in index] == [
        (route.method, route.template) for route in _control.CONTROL_ROUTES
    ]
    assert all(row["description"] for row in index)


def test_the_docstring_table_matches_the_routes() -> None:
    rows = re.findall(r"^(GET|POST|DELETE)\s+(/_fake\S*)", _control.__doc__ or "", re.MULTILINE)
    assert rows == [(route.method, route.template) for route in _control.CONTROL_ROUTES]


def test_control_is_served_under_the_prefix_too_and_is_not_recorded(
    server: FakeServer, control: Control
) -> None:
    assert control.get("/api/orchestration/_fake/clock")["virtual"] is True
    assert control.get("/_fake/clock/")["virtual"] is True
    assert server.calls == []


def test_unknown_paths_and_methods(control: Control) -> None:
    missing = control.get("/_fake/nope", status=404)
    assert missing["errorCode"] == "FAKE_NOT_FOUND"
    assert "GET /_fake/nope" in missing["errorMessage"]
    response = control.http.put(control.server.url + "/_fake/faults", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST, DELETE"
    assert response.json()["errorCode"] == "FAKE_METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "the body is not valid JSON"),
        (b"[1]", "the body must be a JSON object, not list"),
        (b'{"seconds": 1, "x": 2}', "unknown field 'x'; expected seconds"),
        (b'{"seconds": "1"}', "field 'seconds' must be a finite number"),
        (b"{}", "field 'seconds' is required"),
        (b'{"seconds": -1}', "a clock cannot go backwards"),
    ],
)
def test_bad_control_input_is_a_clear_400(control: Control, raw: bytes, message: str) -> None:
    error = control.post("/_fake/clock/advance", raw=raw, status=400)
    assert error["errorCode"] == "FAKE_BAD_REQUEST"
    assert message in error["errorMessage"]


def test_clock_read_advance_and_set(server: FakeServer, control: Control) -> None:
    start = server.clock.now()
    clock = control.get("/_fake/clock")
    assert clock["virtual"] is True
    assert datetime.fromisoformat(clock["now"]) == start
    advanced = control.post("/_fake/clock/advance", {"seconds": 90.5})
    assert datetime.fromisoformat(advanced["now"]) == start + timedelta(seconds=90.5)
    target = (start + timedelta(days=1)).replace(microsecond=0)
    assert control.post("/_fake/clock/set", {"now": target.isoformat()})["now"] == target.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert server.clock.now() == target
    backwards = control.post("/_fake/clock/set", {"now": "2000-01-01T00:00:00Z"}, status=400)
    assert "cannot go backwards" in backwards["errorMessage"]
    naive = control.post("/_fake/clock/set", {"now": "2100-01-01T00:00:00"}, status=400)
    assert "time zone" in naive["errorMessage"]
    garbage = control.post("/_fake/clock/set", {"now": "tomorrow"}, status=400)
    assert "RFC 3339" in garbage["errorMessage"]


def test_advancing_the_clock_runs_a_due_delay(
    server: FakeServer, control: Control, http: requests.Session
) -> None:
    instance = run(http, server, [{"delay": {"duration": "1m"}}])
    assert server.engine.get_instance(instance["id"]).terminated is False
    waiting = control.get(f"/_fake/instances/{instance['id']}/waiting")
    assert waiting["event"] is None
    assert waiting["nextDue"] is not None
    control.post("/_fake/clock/advance", {"seconds": 60})
    assert server.engine.get_instance(instance["id"]).terminated is True


def test_waiting_event(server: FakeServer, control: Control, http: requests.Session) -> None:
    instance = run(http, server, [{"wait_event": {"event": "approved"}}])
    assert control.get(f"/_fake/instances/{instance['id']}/waiting") == {
        "instanceID": instance["id"],
        "event": "approved",
        "nextDue": None,
    }
    assert control.get("/_fake/instances/nope/waiting", status=404)["errorCode"] == "FAKE_NOT_FOUND"


def test_reset_forgets_everything(server: FakeServer, control: Control, http: requests.Session) -> None:
    run(http, server, [{"noop": {}}])
    server.faults.add("getInstance", status=500)
    server.engine.inject_activity_failure("CreateTransaction", "boom")
    control.post("/_fake/ledgers/default/accounts/users:1/fund", {"asset": "USD", "amount": 5}, status=201)
    assert control.post("/_fake/reset") == {"reset": True, "stackVersion": "v1.0", "openapiShapes": False}
    state = control.get("/_fake/state")
    assert state["workflows"] == [] and state["instances"] == []
    assert state["faults"] == [] and state["activityFailures"] == [] and state["calls"] == 0
    assert state["bank"]["ledgers"] == {}


def test_state_dump(server: FakeServer, control: Control, http: requests.Session) -> None:
    instance = run(http, server, [{"noop": {}}])
    server.faults.add("listWorkflows", times=2, delay=0.01)
    state = control.get("/_fake/state")
    assert set(state) == {
        "clock",
        "version",
        "stackVersion",
        "stats",
        "workflows",
        "instances",
        "bank",
        "faults",
        "activityFailures",
        "calls",
        "callLog",
    }
    assert (state["version"], state["stackVersion"]) == ("develop", "v1.0")
    assert [item["id"] for item in state["instances"]] == [instance["id"]]
    assert state["instances"][0]["status"][0]["stage"] == 0
    assert state["workflows"][0]["id"] == instance["workflowID"]
    assert state["faults"] == [{"operation": "listWorkflows", "delay": 0.01, "remaining": 2}]
    assert state["calls"] == 2
    assert state["callLog"]["kept"] == 2 and state["callLog"]["dropped"] == 0
    assert state["stats"]["instances"] == 1


def test_calls_listing_filtering_and_clearing(
    server: FakeServer, control: Control, http: requests.Session
) -> None:
    http.get(server.url + "/api/orchestration/workflows", timeout=5)
    http.post(server.url + "/workflows", json={"stages": []}, timeout=5)
    calls = control.get("/_fake/calls")
    assert [(call["method"], call["path"], call["status"], call["operation"]) for call in calls] == [
        ("GET", "/api/orchestration/workflows", 200, "listWorkflows"),
        ("POST", "/workflows", 201, "createWorkflow"),
    ]
    assert calls[1]["body"] == '{"stages": []}'
    assert calls[1]["fault"] is None
    assert calls[0]["responseBody"] == '{"data":[]}\n'
    only = control.get("/_fake/calls?operation=createWorkflow")
    assert [call["operation"] for call in only] == ["createWorkflow"]
    assert control.get("/_fake/calls?nope=1", status=400)["errorMessage"].startswith(
        "unknown query parameter"
    )
    assert control.delete("/_fake/calls") == {"cleared": 2}
    assert control.get("/_fake/calls") == []


def test_faults_through_the_control_api(server: FakeServer, control: Control, http: requests.Session) -> None:
    armed = control.post(
        "/_fake/faults",
        {
            "operation": "listWorkflows",
            "times": 2,
            "status": 503,
            "body": {"errorCode": "X"},
            "headers": {"Retry-After": "0"},
        },
        status=201,
    )
    assert armed == [
        {
            "operation": "listWorkflows",
            "status": 503,
            "body": '{"errorCode": "X"}',
            "contentType": "application/json",
            "headers": {"Retry-After": "0"},
            "remaining": 2,
        }
    ]
    response = http.get(server.url + "/workflows", timeout=5)
    assert response.status_code == 503
    assert response.json() == {"errorCode": "X"}
    assert response.headers["Retry-After"] == "0"
    assert control.get("/_fake/faults")[0]["remaining"] == 1
    recorded = control.get("/_fake/calls")
    assert recorded[0]["fault"]["status"] == 503
    assert control.delete("/_fake/faults") == []
    assert http.get(server.url + "/workflows", timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"operation": "nope", "status": 500}, "unknown operation 'nope'"),
        ({"status": 500}, "field 'operation' is required"),
        ({"operation": "getInstance"}, "a fault needs a status"),
        ({"operation": "getInstance", "status": "500"}, "field 'status' must be an integer"),
        ({"operation": "getInstance", "status": 500, "times": 0}, "times must be a positive integer"),
        ({"operation": "getInstance", "status": 500, "body": 3}, "field 'body' must be a string"),
        ({"operation": "getInstance", "status": 500, "headers": {"a": 1}}, "must be an object of strings"),
        ({"operation": "getInstance", "dropConnection": "yes"}, "must be true or false"),
        ({"operation": "getInstance", "status": 500, "extra": 1}, "unknown field 'extra'"),
    ],
)
def test_bad_faults_are_refused(control: Control, body: dict[str, Any], message: str) -> None:
    assert message in control.post("/_fake/faults", body, status=400)["errorMessage"]
    assert control.get("/_fake/faults") == []


def test_activity_failures(server: FakeServer, control: Control, http: requests.Session) -> None:
    armed = control.post(
        "/_fake/activity-failures",
        {
            "activity": "CreateTransaction",
            "message": "ledger down",
            "errorCode": "INTERNAL",
            "retryable": False,
        },
        status=201,
    )
    assert armed == [
        {
            "activity": "CreateTransaction",
            "message": "ledger down",
            "errorCode": "INTERNAL",
            "retryable": False,
        }
    ]
    assert control.get("/_fake/activity-failures") == armed
    send = {
        "send": {
            "source": {"account": {"id": "world"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"amount": 1, "asset": "USD"},
        }
    }
    instance = run(http, server, [send], wait=True)
    assert instance["terminated"] is True
    assert instance["status"][0]["error"] == "ledger down"
    assert control.get("/_fake/activity-failures") == []
    control.post(
        "/_fake/activity-failures", {"activity": "GetWallet", "message": "m", "times": 2}, status=201
    )
    assert len(control.get("/_fake/activity-failures")) == 2
    assert control.delete("/_fake/activity-failures") == []
    bad = control.post("/_fake/activity-failures", {"activity": "GetWallet"}, status=400)
    assert "field 'message' is required" in bad["errorMessage"]
    assert (
        "between 1 and 1000"
        in control.post(
            "/_fake/activity-failures", {"activity": "GetWallet", "message": "m", "times": 0}, status=400
        )["errorMessage"]
    )


def test_ledger_accounts_funds_and_transactions(control: Control) -> None:
    account = control.post(
        "/_fake/ledgers/main/accounts/users:001", {"metadata": {"tier": "gold"}}, status=201
    )
    assert account == {"address": "users:001", "metadata": {"tier": "gold"}, "volumes": {}, "balances": {}}
    funded = control.post(
        "/_fake/ledgers/main/accounts/users:001/fund", {"asset": "EUR/2", "amount": 10**30}, status=201
    )
    assert funded == {"txid": 0, "balances": {"EUR/2": 10**30}}
    control.post("/_fake/ledgers/main/accounts/users:001/fund", {"asset": "USD", "amount": "7"}, status=201)
    assert control.get("/_fake/ledgers/main/accounts/users:001/balances") == {"EUR/2": 10**30, "USD": 7}
    got = control.get("/_fake/ledgers/main/accounts/users:001")
    assert got["metadata"] == {"tier": "gold"}
    assert got["volumes"]["USD"] == {"input": 7, "output": 0}
    transactions = control.get("/_fake/ledgers/main/transactions")
    assert [tx["txid"] for tx in transactions] == [0, 1]
    assert transactions[1]["postings"] == [
        {"amount": 7, "asset": "USD", "destination": "users:001", "source": "world"}
    ]
    assert control.get("/_fake/ledgers/other/transactions") == []
    assert control.get("/_fake/ledgers/main/accounts/unknown")["balances"] == {}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/_fake/ledgers/main/accounts/users:1/fund", {"asset": "EUR"}, "field 'amount' is required"),
        ("/_fake/ledgers/main/accounts/users:1/fund", {"asset": "EUR", "amount": -1}, "must not be negative"),
        ("/_fake/ledgers/main/accounts/users:1/fund", {"asset": "EUR", "amount": True}, "must be an integer"),
        ("/_fake/ledgers/main/accounts/users:1/fund", {"amount": 1}, "field 'asset' is required"),
        ("/_fake/ledgers/main/accounts/users:1/fund", {"asset": "eur", "amount": 1}, "invalid asset"),
        ("/_fake/ledgers/main/accounts/bad address!", {}, "invalid account address"),
        ("/_fake/ledgers/main/accounts/users:1", {"metadata": []}, "field 'metadata' must be an object"),
    ],
)
def test_bad_ledger_seeding_is_a_400(control: Control, path: str, body: dict[str, Any], message: str) -> None:
    error = control.post(path, body, status=400)
    assert message in error["errorMessage"]


def test_wallets(control: Control) -> None:
    created = control.post(
        "/_fake/wallets", {"id": "w1", "name": "main wallet", "metadata": {"k": "v"}}, status=201
    )
    assert created["id"] == "w1"
    assert created["name"] == "main wallet"
    funded = control.post("/_fake/wallets/w1/fund", {"asset": "USD/2", "amount": 250})
    assert funded["balances"]["main"]["assets"] == {"USD/2": 250}
    control.post("/_fake/wallets/w1/fund", {"asset": "USD/2", "amount": 5, "balance": "savings"})
    assert control.get("/_fake/wallets/w1") == funded
    generated = control.post("/_fake/wallets", {}, status=201)
    listed = control.get("/_fake/wallets")
    assert [wallet["id"] for wallet in listed] == ["w1", generated["id"]]
    assert set(listed[0]["balances"]) == {"main", "savings"}
    assert control.get("/_fake/wallets/nope", status=404)["errorCode"] == "FAKE_NOT_FOUND"
    assert control.post("/_fake/wallets/nope/fund", {"asset": "USD", "amount": 1}, status=404)
    assert "already exists" in control.post("/_fake/wallets", {"id": "w1"}, status=400)["errorMessage"]
    assert "unknown field" in control.post("/_fake/wallets", {"balance": 1}, status=400)["errorMessage"]


def test_payments(control: Control) -> None:
    created = control.post(
        "/_fake/payments", {"id": "p1", "amount": 1000, "asset": "EUR/2", "provider": "STRIPE"}, status=201
    )
    assert created["id"] == "p1"
    assert created["initialAmount"] == 1000
    assert control.get("/_fake/payments/p1") == created
    assert control.get("/_fake/payments") == [created]
    assert control.get("/_fake/payments/nope", status=404)["errorCode"] == "FAKE_NOT_FOUND"
    assert (
        "unexpected field"
        in control.post("/_fake/payments", {"amount": 1, "asset": "EUR", "colour": "red"}, status=400)[
            "errorMessage"
        ]
    )
    assert (
        "field 'asset' is required"
        in control.post("/_fake/payments", {"amount": 1}, status=400)["errorMessage"]
    )


def test_stripe_transfers_after_a_send_to_a_payment(
    server: FakeServer, control: Control, http: requests.Session
) -> None:
    control.post(
        "/_fake/ledgers/default/accounts/users:001", {"metadata": {"stripeConnectID": "acct_1"}}, status=201
    )
    control.post(
        "/_fake/ledgers/default/accounts/users:001/fund", {"asset": "EUR/2", "amount": 100}, status=201
    )
    assert control.get("/_fake/stripe/transfers") == []
    send = {
        "send": {
            "source": {"account": {"id": "users:001"}},
            "destination": {"payment": {"psp": "stripe"}},
            "amount": {"amount": 100, "asset": "EUR/2"},
        }
    }
    instance = run(http, server, [send], wait=True)
    assert "error" not in instance
    assert control.get("/_fake/stripe/transfers") == [
        {"amount": 100, "asset": "EUR/2", "destination": "acct_1"}
    ]
    assert control.get("/_fake/ledgers/default/accounts/users:001/balances") == {"EUR/2": 0}


def test_funding_over_control_unblocks_a_waiting_send(server: FakeServer, control: Control) -> None:
    send = {
        "send": {
            "source": {"account": {"id": "users:002"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"amount": 5, "asset": "USD"},
        }
    }
    results: list[dict[str, Any]] = []
    runner = threading.Thread(
        target=lambda: results.append(run(requests.Session(), server, [send], wait=True))
    )
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while not server.engine.list_instances() or not server.engine.get_instance_stage_history(
            server.engine.list_instances()[0].id, 0
        ):
            assert time.monotonic() < deadline
            time.sleep(0.005)
        control.post(
            "/_fake/ledgers/default/accounts/users:002/fund", {"asset": "USD", "amount": 5}, status=201
        )
    finally:
        runner.join(10)
    (instance,) = results
    assert instance["terminated"] is True
    assert "error" not in instance
    assert control.get("/_fake/ledgers/default/accounts/bank/balances") == {"USD": 5}


def test_revoke_needs_auth(control: Control) -> None:
    assert "auth is off" in control.post("/_fake/auth/revoke", status=400)["errorMessage"]


def test_wall_clock_cannot_be_moved() -> None:
    from fakeserver._app import FakeApp
    from fakeserver._clock import SystemClock
    from fakeserver._engine import Engine

    with FakeServer(FakeApp(Engine(clock=SystemClock()))) as wall, requests.Session() as session:
        clock = Control(wall, session).get("/_fake/clock")
        assert clock["virtual"] is False
        assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(UTC)) < timedelta(seconds=60)
        error = Control(wall, session).post("/_fake/clock/advance", {"seconds": 1}, status=400)
        assert "--virtual-clock" in error["errorMessage"]
        error = Control(wall, session).post("/_fake/clock/set", {"now": "2100-01-01T00:00:00Z"}, status=400)
        assert "wall clock" in error["errorMessage"]
