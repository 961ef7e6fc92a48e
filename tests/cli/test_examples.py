"""The examples run: ``examples/payout.py`` against a real fake HTTP server, and the downstream
test module ``examples/test_downstream.py`` through pytest with the project's plugin."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from fakeserver.server import FakeServer, serve

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORMANCE_")}
    env.update(extra)
    return env


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with serve(stack_version="v1.0") as running:
        yield running


def test_payout_script_against_a_fake_server(server: FakeServer) -> None:
    server.bank.fund("users:001", "USD/2", 10_000)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "payout.py"), "--amount", "2500"],
        env=_env(FORMANCE_ORCHESTRATION_URL=server.url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("created workflow ") and lines[0].endswith("(payout)")
    assert "stage 0 RunSend: done" in lines
    assert "stage 1 RunSend: done" in lines
    reserve = "CreateTransaction default: users:001 -> payouts:pending 2500 USD/2 (tx "
    assert any(reserve in line for line in lines)
    assert any("CreateTransaction default: payouts:pending -> world 2500 USD/2" in line for line in lines)
    assert lines[-1] == "payout of 2500 USD/2 for users:001 done"
    assert server.bank.balance("users:001", "USD/2") == 7_500
    assert server.bank.balance("payouts:pending", "USD/2") == 0
    sent = [call for call in server.calls if call.operation == "runWorkflow"]
    assert len(sent) == 1


def _load_payout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("payout_example", EXAMPLES / "payout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_payout_script_reports_a_failure(server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    # nothing funded: the reserve stage retries for ever, so the script's wait gives up
    payout = _load_payout()
    assert payout.main(["--url", server.url, "--timeout", "0.3"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("created workflow ")
    assert err.startswith("payout failed: instance ") and "still running" in err
    assert server.bank.balance("payouts:pending", "USD/2") == 0


def test_downstream_test_module_passes_with_the_plugin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.copy_example(str(EXAMPLES / "test_downstream.py"))
    # in-process (fast); plugins that only slow the nested session down are left out
    result = pytester.runpytest_inprocess(
        "test_downstream.py", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark"
    )
    result.assert_outcomes(passed=3)
