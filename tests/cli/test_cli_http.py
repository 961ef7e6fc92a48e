"""``main([...])`` in-process against the fake served over real HTTP (sockets, no interception)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeserver._app import FakeApp
from fakeserver._auth import TokenAuthority
from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver.server import FakeServer, serve

Runner = Callable[..., Any]

FLOW = """\
name: shipping
stages:
  - send:
      source: {account: {id: world}}
      destination: {account: {id: "shop:${id}"}}
      amount: {amount: 250, asset: EUR/2}
  - wait_event: {event: shipped}
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with serve(stack_version="v1.0") as running:
        monkeypatch.setenv("FORMANCE_ORCHESTRATION_URL", running.url)
        yield running


def test_a_whole_flow_over_http(server: FakeServer, cli: Runner, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FLOW)
    created = cli("workflows", "create", str(flow), "-q")
    assert created.code == 0, created.err
    workflow_id = created.out.strip()
    started = cli("workflows", "run", workflow_id, "--var", "id=42", "-q")
    instance_id = started.out.strip()
    assert len(instance_id) == 36

    history = cli("instances", "history", instance_id)
    assert history.code == 0, history.err
    assert "CreateTransaction default: world -> shop:42 250 EUR/2" in history.out
    assert "wait_event  running" in history.out

    shown = cli("instances", "show", instance_id)
    assert "(shipping)" in shown.out and "Status    running" in shown.out

    assert cli("instances", "send-event", instance_id, "shipped").code == 0
    waited = cli("instances", "wait", instance_id, "--interval", "0.01", "-o", "json")
    assert waited.code == 0, waited.err
    assert json.loads(waited.out)["terminated"] is True
    listed = json.loads(cli("-o", "json", "instances", "list", "--workflow", workflow_id).out)
    assert [item["id"] for item in listed] == [instance_id]
    assert server.bank.balance("shop:42", "EUR/2") == 250
    operations = [call.operation for call in server.calls]
    assert "sendEvent" in operations and "getInstanceStageHistory" in operations


def test_token_goes_to_the_server_and_never_to_the_output(server: FakeServer, cli: Runner) -> None:
    result = cli("--token", "s3cr3t-token-value", "workflows", "list")
    assert result.code == 0
    assert server.calls[-1].headers.get("authorization") == "Bearer s3cr3t-token-value"
    assert "s3cr3t" not in result.out + result.err


def test_server_errors_over_http_are_one_line(server: FakeServer, cli: Runner) -> None:
    server.faults.add("listWorkflows", status=503, body={"errorCode": "UNAVAILABLE", "errorMessage": "busy"})
    result = cli("workflows", "list")
    assert result.code == 1
    assert result.err == "formance-orchestration: error: HTTP 503 UNAVAILABLE: busy\n"
    server.faults.add("getServerInfo", drop_connection=True)
    dropped = cli("server-info")
    assert dropped.code == 1
    head = f"formance-orchestration: error: request to {server.url}/api/orchestration/_info failed: "
    assert dropped.err.startswith(head)
    assert dropped.err[len(head) :] in (
        "the server closed the connection without answering\n",
        "connection reset by the server\n",
        "the server closed the connection\n",
    )
    assert dropped.err.count("\n") == 1


@pytest.fixture
def auth_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    clock = ManualClock()
    app = FakeApp(Engine(clock=clock), auth=TokenAuthority(clock, {"cli": "client-s3cret"}))
    with serve(app) as running:
        monkeypatch.setenv("FORMANCE_ORCHESTRATION_URL", running.url)
        yield running


def test_client_credentials_from_the_environment(
    auth_server: FakeServer, cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMANCE_CLIENT_ID", "cli")
    monkeypatch.setenv("FORMANCE_CLIENT_SECRET", "client-s3cret")
    result = cli("workflows", "list")
    assert (result.code, result.out) == (0, "No workflows.\n")
    assert [call.operation for call in auth_server.calls][-1] == "listWorkflows"
    assert "client-s3cret" not in result.out + result.err


def test_refused_credentials_are_one_line_without_the_secret(auth_server: FakeServer, cli: Runner) -> None:
    result = cli("--client-id", "cli", "--client-secret", "wrong-s3cret", "workflows", "list")
    assert result.code == 1
    assert result.err.startswith("formance-orchestration: error: HTTP 401")
    assert result.err.count("\n") == 1
    assert "wrong-s3cret" not in result.err
    no_auth = cli("instances", "list")
    assert no_auth.err == (
        "formance-orchestration: error: HTTP 401: "
        "not authorized (check --token or --client-id/--client-secret)\n"
    )
