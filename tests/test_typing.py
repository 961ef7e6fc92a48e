"""Downstream code type-checks strictly against the packages' public re-exports.

mypy runs from the project root (an editable install is an import hook mypy cannot follow).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SNIPPET = """
from fakeserver import Engine, FakeOrchestration, ManualClock
from formance_orchestration import (
    Monetary, NotFoundError, OrchestrationClient, StageDelay, StageSend, StageSendDestination,
    StageSendSource, WorkflowConfig,
)
from formance_orchestration.models import ActivityGetWallet, WorkflowInstance

config: WorkflowConfig = WorkflowConfig(name="t", stages=[StageDelay(duration="1s")])
source: StageSendSource = StageSendSource.of_account("world")
send = StageSend(
    source=source, destination=StageSendDestination.of_account("a"), amount=Monetary(asset="X", amount=1)
)
wallet = ActivityGetWallet(id="w1")
error: type[Exception] = NotFoundError
engine = Engine(clock=ManualClock())


def first(client: OrchestrationClient) -> WorkflowInstance:
    return client.list_instances().data[0]


with FakeOrchestration() as fake:
    fake.advance(1)
"""


def _mypy_strict(module: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """Run ``mypy --strict`` on one module from the project root."""
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(module)]
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=300)


def test_downstream_code_type_checks_strictly(tmp_path: Path) -> None:
    module = tmp_path / "downstream.py"
    module.write_text(SNIPPET, encoding="utf-8")
    result = _mypy_strict(module, tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_send_built_without_a_destination_is_a_type_error(tmp_path: Path) -> None:
    module = tmp_path / "missing.py"
    module.write_text(
        "from formance_orchestration import StageSend, StageSendSource, StageWaitEvent\n"
        "send = StageSend(source=StageSendSource.of_account('world'))\n"
        "wait = StageWaitEvent()\n",
        encoding="utf-8",
    )
    result = _mypy_strict(module, tmp_path / "cache")
    assert result.returncode == 1
    assert 'Missing named argument "destination" for "StageSend"' in result.stdout
    assert 'Missing named argument "event" for "StageWaitEvent"' in result.stdout
