"""``openapi_shapes``: stage-history payloads in the shape flows' ``openapi/v1.yaml`` and the official
SDKs declare, where the service really sends another. Off by default (the service's shapes); on,
exactly three payloads change, in every version that sends them, on the wire (raw bytes), and the
client still reads them typed and round-trips them. Then the option in every form of the fake.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import requests

from fakeserver import Engine, FakeApp, FakeOrchestration, FakeRequest, FakeServer, ManualClock, serve
from fakeserver.__main__ import build_parser, build_server
from formance_orchestration import (
    ActivityAddAccountMetadata,
    ActivityAddAccountMetadataById,
    GetWorkflowInstanceHistoryStageResponse,
    RawActivity,
)
from formance_orchestration._converter import structure, unstructure

LATER = ("v2.0", "v3.1", "v3.2.5")
USD = {"amount": 10, "asset": "USD/2"}
STAGES = [
    # 0: CreateTransaction (its output is the one-element list)
    {
        "send": {
            "source": {"account": {"id": "users:001"}},
            "destination": {"account": {"id": "bank"}},
            "amount": USD,
        }
    },
    # 1: wallet -> account, one ledger, no metadata: DebitWallet metadata null
    {"send": {"source": {"wallet": {"id": "w1"}}, "destination": {"account": {"id": "bank"}}, "amount": USD}},
    # 2: wallet -> wallet across ledgers: CreditWallet sources null
    {"send": {"source": {"wallet": {"id": "w1"}}, "destination": {"wallet": {"id": "w2"}}, "amount": USD}},
    # 3: update: AddAccountMetadata names the account
    {"update": {"account": {"id": "users:001", "ledger": "default", "metadata": {"tier": "gold"}}}},
]


def histories(app: FakeApp) -> list[bytes]:
    """Run the four stages; the raw bytes of each stage history."""
    bank = app.engine.bank
    bank.fund("users:001", "USD/2", 100)
    bank.create_wallet(id="w1", name="alice", ledger="default")
    bank.fund_wallet("w1", "USD/2", 100)
    bank.create_wallet(id="w2", name="bob", ledger="wallets-b")
    workflow_id = json.loads(call(app, "POST", "/workflows", {"stages": STAGES}))["data"]["id"]
    instance = json.loads(call(app, "POST", f"/workflows/{workflow_id}/instances", {}, "wait=true"))["data"]
    assert instance["terminated"] and "error" not in instance, instance
    return [call(app, "GET", f"/instances/{instance['id']}/stages/{n}/history") for n in range(len(STAGES))]


def call(app: FakeApp, method: str, path: str, body: Any = None, query: str = "") -> bytes:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", "content-length": str(len(raw))} if raw else {}
    response = app.handle(FakeRequest(method=method, path=path, query=query, headers=headers, body=raw))
    assert response.status < 300, response.body
    return response.body


def make(version: str, shapes: bool) -> FakeApp:
    return FakeApp(Engine(clock=ManualClock(), stack_version=version, openapi_shapes=shapes))


def payload(body: bytes, name: str, side: str) -> Any:
    (item,) = [item for item in json.loads(body)["data"] if item["name"] == name]
    return item[side][name]


@pytest.mark.parametrize("version", LATER)
def test_the_three_payloads_in_both_shapes(version: str) -> None:
    service, declared = histories(make(version, False)), histories(make(version, True))

    tx_list, tx = (
        payload(service[0], "CreateTransaction", "output"),
        payload(declared[0], "CreateTransaction", "output"),
    )
    assert isinstance(tx_list["data"], list) and tx == {"data": tx_list["data"][0]}
    assert b'"output":{"CreateTransaction":{"data":{"id":' in declared[0]

    assert payload(service[1], "DebitWallet", "input")["data"]["metadata"] is None
    assert payload(declared[1], "DebitWallet", "input")["data"]["metadata"] == {}
    assert b'"metadata":{}' in declared[1] and b'"metadata":null' in service[1]

    credit_service = payload(service[2], "CreditWallet", "input")["data"]
    credit_declared = payload(declared[2], "CreditWallet", "input")["data"]
    assert credit_service["sources"] is None and credit_declared["sources"] == []
    assert credit_declared["metadata"] == credit_service["metadata"]  # set here: left alone

    assert payload(service[3], "AddAccountMetadata", "input") == {
        "account": "users:001",
        "ledger": "default",
        "metadata": {"tier": "gold"},
    }
    assert (
        b'{"AddAccountMetadata":{"id":"users:001","ledger":"default","metadata":{"tier":"gold"}}}'
        in declared[3]
    )

    # nothing else differs: with the three put back, every stage history is the same
    for one, other in zip(service, declared, strict=True):
        assert json.loads(one) == undo(json.loads(other))


def undo(body: dict[str, Any]) -> dict[str, Any]:
    """The declared shapes of a stage history turned back into the service's."""
    for item in body["data"]:
        name = item["name"]
        data = item["input"][name].get("data")
        if name == "CreateTransaction" and "output" in item:
            item["output"][name]["data"] = [item["output"][name]["data"]]
        elif name == "DebitWallet" and data["metadata"] == {}:
            data["metadata"] = None
        elif name == "CreditWallet" and data["sources"] == []:
            data["sources"] = None
        elif name == "AddAccountMetadata":
            item["input"][name]["account"] = item["input"][name].pop("id")
    return body


@pytest.mark.parametrize("version", LATER)
def test_the_client_reads_both_shapes_typed_and_round_trips(version: str) -> None:
    for shapes in (False, True):
        for body in histories(make(version, shapes)):
            raw = json.loads(body)
            decoded = structure(raw, GetWorkflowInstanceHistoryStageResponse)
            assert unstructure(decoded) == raw
            for item in decoded.data:
                assert not isinstance(item.input, RawActivity) and not isinstance(item.output, RawActivity)
    update = structure(json.loads(histories(make(version, True))[3]), GetWorkflowInstanceHistoryStageResponse)
    assert (
        isinstance(update.data[0].input, ActivityAddAccountMetadataById)
        and update.data[0].input.id == "users:001"
    )
    update = structure(
        json.loads(histories(make(version, False))[3]), GetWorkflowInstanceHistoryStageResponse
    )
    assert isinstance(update.data[0].input, ActivityAddAccountMetadata)


def test_the_mid_2023_version_keeps_its_transaction_object_and_declares_its_wallet_maps() -> None:
    bodies = []
    for shapes in (False, True):
        app = make("v1.0", shapes)
        bank = app.engine.bank
        bank.fund("users:001", "USD/2", 100)
        bank.create_wallet(id="w1", name="alice", ledger="default")
        bank.fund_wallet("w1", "USD/2", 100)
        bank.create_wallet(id="w2", name="bob", ledger="wallets-b")
        workflow_id = json.loads(call(app, "POST", "/workflows", {"stages": STAGES[:3]}))["data"]["id"]
        instance = json.loads(call(app, "POST", f"/workflows/{workflow_id}/instances", {}, "wait=true"))[
            "data"
        ]
        bodies.append([call(app, "GET", f"/instances/{instance['id']}/stages/{n}/history") for n in range(3)])
    service, declared = bodies
    assert payload(service[0], "CreateTransaction", "output") == payload(
        declared[0], "CreateTransaction", "output"
    )
    assert payload(service[1], "DebitWallet", "input")["data"]["metadata"] is None
    assert payload(declared[1], "DebitWallet", "input")["data"]["metadata"] == {}


# -- the option in every form -------------------------------------------------------------------------


def test_every_form_takes_the_option_and_reports_it() -> None:
    assert Engine().openapi_shapes is False and FakeApp().engine.openapi_shapes is False
    assert Engine(openapi_shapes=True).openapi_shapes is True
    assert FakeApp(openapi_shapes=True).engine.openapi_shapes is True
    with FakeOrchestration(base_url="http://shapes.test", openapi_shapes=True) as fake:
        assert fake.engine.openapi_shapes is True
    assert FakeServer(openapi_shapes=True).engine.openapi_shapes is True
    with serve(openapi_shapes=True) as server:
        assert requests.get(server.url + "/_fake/version").json()["data"]["openapiShapes"] is True
        # the control API switches it at reset, and keeps it when not told
        reset = requests.post(server.url + "/_fake/reset", json={"openapiShapes": False}).json()["data"]
        assert reset == {"reset": True, "stackVersion": server.stack_version, "openapiShapes": False}
        requests.post(server.url + "/_fake/reset", json={"stackVersion": "v3.1"})
        assert server.engine.openapi_shapes is False and server.stack_version == "v3.1"
        bad = requests.post(server.url + "/_fake/reset", json={"openapiShapes": "yes"})
        assert bad.status_code == 400
    engine = Engine()
    engine.reset(openapi_shapes=True)
    engine.reset(stack_version="v2.0")  # a version switch keeps the shapes
    assert (engine.stack_version, engine.openapi_shapes, engine.version) == ("v2.0", True, "v2.0.33")


def test_an_option_beside_an_engine_that_has_the_other_is_refused() -> None:
    engine = Engine()
    assert FakeApp(engine, openapi_shapes=False).engine is engine
    with pytest.raises(ValueError, match="openapi_shapes=True, but the given engine has False"):
        FakeApp(engine, openapi_shapes=True)
    with pytest.raises(ValueError, match="openapi_shapes"):
        FakeOrchestration(FakeApp(engine), openapi_shapes=True)


def test_the_command_line_flag() -> None:
    args = build_parser().parse_args(["--openapi-shapes", "--port", "0"])
    assert build_server(args).engine.openapi_shapes is True
    assert build_server(build_parser().parse_args(["--port", "0"])).engine.openapi_shapes is False
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "--port", "0", "--quiet", "--openapi-shapes"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        assert "OpenAPI shapes" in process.stdout.readline()
        assert requests.get(url + "/_fake/version", timeout=10).json()["data"]["openapiShapes"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)


PYTEST_MODULE = """
def test_fake(orchestration_fake, orchestration_openapi_shapes):
    assert orchestration_fake.engine.openapi_shapes is orchestration_openapi_shapes is EXPECTED

def test_server(orchestration_server):
    assert orchestration_server.engine.openapi_shapes is EXPECTED
"""


@pytest.mark.parametrize(
    ("ini", "args", "expected"),
    [
        ("", (), False),
        ("orchestration_openapi_shapes = true\n", (), True),
        ("", ("--orchestration-openapi-shapes",), True),
    ],
)
def test_the_pytest_options(tmp_path: Any, ini: str, args: tuple[str, ...], expected: bool) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n" + ini, encoding="utf-8")
    (tmp_path / "test_shapes.py").write_text(
        PYTEST_MODULE.replace("EXPECTED", str(expected)), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr
