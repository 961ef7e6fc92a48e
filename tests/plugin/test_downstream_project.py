"""A downstream project as a user writes it (issue 15, done-when): an app module that builds its own
client, and its tests using the plugin's fixtures next to ``@responses.activate``; the project runs
under pytest (items 1-4: a stage built without what the service requires is refused) and
type-checks under ``mypy --strict`` (item 4)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

APP = '''
"""The downstream app: pays a user out of a wallet after a one-hour delay."""

import requests

from formance_orchestration import (
    Monetary,
    OrchestrationClient,
    StageDelay,
    StageSend,
    StageSendDestination,
    StageSendSource,
    WorkflowConfig,
    WorkflowInstance,
)

BASE_URL = "http://localhost"


def rate(asset: str) -> float:
    """A rate from another HTTP service."""
    answer = requests.get(f"https://rates.example/{asset}", timeout=5)
    answer.raise_for_status()
    return float(answer.json()["rate"])


def pay_out(wallet_id: str, user: str, amount: int) -> WorkflowInstance:
    """Run the payout workflow for ``user`` and wait for its end, with the app's own client."""
    with OrchestrationClient(BASE_URL) as client:
        config = WorkflowConfig(
            name="payout",
            stages=[
                StageSend(
                    source=StageSendSource.of_wallet(wallet_id),
                    destination=StageSendDestination.of_account("users:${user}"),
                    amount=Monetary(asset="USD/2", amount=amount),
                ),
                StageDelay(duration="1h"),
            ],
        )
        workflow = client.create_workflow(config).data
        instance = client.run_workflow(workflow.id, {"user": user}).data
        return client.wait_for_instance(instance.id, timeout=7200)
'''

TESTS = """
import time

import responses

import payout_app
import pytest

from fakeserver import FakeOrchestration, FakeServer
from formance_orchestration import InvalidStageError, OrchestrationClient, StageDelay, StageSend


def test_the_payout_waits_out_its_hour_in_virtual_time(orchestration_fake: FakeOrchestration) -> None:
    bank = orchestration_fake.bank
    wallet = bank.create_wallet(name="treasury")
    bank.fund_wallet(wallet, "USD/2", 1000)
    started = time.monotonic()
    done = payout_app.pay_out(wallet, "001", 250)
    assert done.terminated and not done.error
    assert time.monotonic() - started < 30  # an hour of virtual time, not of real time
    assert bank.balance("users:001", "USD/2") == 250


@responses.activate
def test_next_to_another_mocked_service(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    responses.get("https://rates.example/USD", json={"rate": 1.25})
    assert payout_app.rate("USD") == 1.25
    wallet = orchestration_fake.bank.create_wallet(name="ops")
    orchestration_fake.bank.fund_wallet(wallet, "USD/2", 100)
    done = payout_app.pay_out(wallet, "002", 100)
    history = orchestration_client.get_instance_history(done.id).data
    send = history[0].input_as(StageSend)
    assert send.amount is not None and send.amount.amount == 100


def test_a_real_server_next_to_the_fake(
    orchestration_fake: FakeOrchestration, orchestration_server: FakeServer
) -> None:
    assert orchestration_fake.mock is not None
    orchestration_fake.mock.add_passthru("http://127.0.0.1")
    with OrchestrationClient(orchestration_server.url) as client:
        assert client.get_server_info().version


def test_a_delay_without_its_duration_is_refused_when_built() -> None:
    with pytest.raises(InvalidStageError, match="exactly one of duration, until"):
        StageDelay()
"""


def test_the_downstream_project_passes_and_type_checks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(payout_app=APP, test_payout=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=4)

    cache = Path(__file__).resolve().parents[2] / ".mypy_cache"
    files = [str(pytester.path / "payout_app.py"), str(pytester.path / "test_payout.py")]
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *files]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
