"""The installed ``formance-orchestration`` console script, run as a subprocess (a handful of runs:
each one starts a Python interpreter). Needs ``pip install -e .``; the script is looked up next to
the running Python, then on PATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fakeserver.server import FakeServer, serve


def _script() -> str:
    beside = Path(sys.executable).parent / "formance-orchestration"
    if beside.exists():
        return str(beside)
    found = shutil.which("formance-orchestration")
    if found is None:
        pytest.fail("the formance-orchestration script is not installed: run `pip install -e .` first")
    return found


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORMANCE_")}
    env.update({"COLUMNS": "120", "FORMANCE_ORCHESTRATION_RETRIES": "0", "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def run(
    *argv: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_script(), *argv],
        env=env or _env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with serve(stack_version="v1.0") as running:
        yield running


def test_script_creates_runs_and_waits_against_a_real_fake_server(server: FakeServer) -> None:
    flow = {
        "name": "script",
        "stages": [
            {
                "send": {
                    "source": {"account": {"id": "world"}},
                    "destination": {"account": {"id": "shop:${id}"}},
                    "amount": {"amount": 250, "asset": "EUR/2"},
                }
            },
            {"noop": {}},
        ],
    }
    result = run(
        "-o",
        "json",
        "workflows",
        "create",
        "-",
        "--run",
        "--var",
        "id=42",
        "--wait",
        "--interval",
        "0.05",
        env=_env(FORMANCE_ORCHESTRATION_URL=server.url),
        stdin=json.dumps(flow),
    )
    assert result.returncode == 0, result.stderr
    instance = json.loads(result.stdout)
    assert instance["terminated"] is True and instance["error"] == ""
    assert [row["stage"] for row in instance["status"]] == [0, 1]
    assert "succeeded" in result.stderr.splitlines()[-1]
    assert server.bank.balance("shop:42", "EUR/2") == 250
    run_call = next(call for call in server.calls if call.operation == "runWorkflow")
    assert json.loads(run_call.body) == {"id": "42"}


def test_script_unknown_instance_and_connection_refused_are_one_line(
    server: FakeServer, closed_port: int
) -> None:
    unknown = run("--base-url", server.url, "instances", "show", "nope")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "formance-orchestration: error: not found (HTTP 500 INTERNAL_ERROR: Instance not found)\n"
    )
    refused = run("server-info", env=_env(FORMANCE_ORCHESTRATION_URL=f"http://127.0.0.1:{closed_port}"))
    assert refused.returncode == 1
    assert refused.stderr == (
        f"formance-orchestration: error: cannot connect to http://127.0.0.1:{closed_port}"
        "/api/orchestration/_info: connection refused\n"
    )


def test_script_demo_moves_the_balances() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in (
        "1. Seed the ledger and a wallet",
        "2. Create the workflow",
        "3. Run it",
        "5. Send the event 'payout-approved'",
        "6. History",
        "7. Balances before and after",
    ):
        assert heading in out
    assert "Traceback" not in result.stderr
    after = out[out.index("7. Balances before and after") :]
    rows = {
        line.split()[0]: line.split()
        for line in after.splitlines()[1:]
        if line.startswith(("users", "wallet"))
    }
    assert rows["users:001"][1:] == ["USD/2", "10000", "7500", "-2500"]
    assert rows["wallet:alice"][1:] == ["USD/2", "0", "2500", "+2500"]


def test_fake_serve_through_python_dash_m() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "formance_orchestration.cli", "fake", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("fakeserver listening on http://127.0.0.1:")
        url = first.split()[-1]
        answer = requests.get(url + "/api/orchestration/_info", timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"version": "v2.6.0"})  # the latest stack
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
