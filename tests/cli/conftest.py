"""Shared helpers of the CLI tests: a fake intercepting requests in-process, and a CLI runner."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration.cli import _context as cli_context
from formance_orchestration.cli import main

ENV_NAMES = (
    "FORMANCE_ORCHESTRATION_URL",
    "FORMANCE_ORCHESTRATION_PREFIX",
    "FORMANCE_TOKEN",
    "FORMANCE_CLIENT_ID",
    "FORMANCE_CLIENT_SECRET",
    "FORMANCE_TOKEN_URL",
    "FORMANCE_ORCHESTRATION_TIMEOUT",
    "FORMANCE_ORCHESTRATION_OUTPUT",
    "FORMANCE_ORCHESTRATION_RETRIES",
    "FORMANCE_ORCHESTRATION_DEBUG",
)


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FORMANCE_* variable of the developer's shell leaks into a test; tables are 120 wide."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("FORMANCE_ORCHESTRATION_RETRIES", "0")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOrchestration]:
    """A fake at http://localhost intercepting requests; CLI waits advance its virtual clock."""
    with FakeOrchestration(stack_version="v1.0") as orchestration:
        monkeypatch.setattr(cli_context, "SLEEP", orchestration.advance)
        monkeypatch.setattr(cli_context, "MONOTONIC", lambda: orchestration.clock.now().timestamp())
        yield orchestration


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``main([...])`` and return its exit code and what it printed."""

    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def make_workflow(fake: FakeOrchestration) -> Callable[..., str]:
    """``make_workflow(*stages, name=...)``: create a workflow on the fake's engine, return its id."""

    def make(*stages: dict[str, Any], name: str = "test") -> str:
        return str(fake.engine.create_workflow({"name": name, "stages": list(stages)}).id)

    return make


@pytest.fixture
def send_stage() -> dict[str, Any]:
    """A send of 100 EUR/2 from world to bank on the default ledger."""
    return {
        "send": {
            "source": {"account": {"id": "world"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"amount": 100, "asset": "EUR/2"},
        }
    }
