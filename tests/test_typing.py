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
    NotFoundError, OrchestrationClient, StageDelay, StageSend, StageSendSource, WorkflowConfig,
)
from formance_orchestration.models import ActivityGetWallet, WorkflowInstance

config: WorkflowConfig = WorkflowConfig(name="t", stages=[StageDelay(duration="1s")])
source: StageSendSource = StageSendSource.of_account("world")
send = StageSend(source=source)
wallet = ActivityGetWallet(id="w1")
error: type[Exception] = NotFoundError
engine = Engine(clock=ManualClock())


def first(client: OrchestrationClient) -> WorkflowInstance:
    return client.list_instances().data[0]


with FakeOrchestration() as fake:
    fake.advance(1)
"""


def test_downstream_code_type_checks_strictly(tmp_path: Path) -> None:
    module = tmp_path / "downstream.py"
    module.write_text(SNIPPET, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(module)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
