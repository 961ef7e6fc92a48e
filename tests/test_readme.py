"""Every code sample of README.md runs here, so the README cannot drift from the code.

* Plain ``python`` blocks run in order in one namespace, with ``fake`` (a `FakeOrchestration` on
  ``http://localhost``) intercepting the client's requests.
* A ``python`` block after ``<!-- readme-test: pytest -->`` is a test module: it runs under pytest.
* An ``sh`` block after ``<!-- readme-test: cli -->`` holds ``formance-orchestration`` commands, run
  through the CLI's entry point; after ``<!-- readme-test: http -->`` it holds ``curl`` commands, run
  against a real fake server.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FakeOrchestration, serve
from formance_orchestration.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>\w+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)


def _blocks(lang: str, mark: str | None) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [
        m.group("code")
        for m in _BLOCK.finditer(text)
        if m.group("lang") == lang and m.group("mark") == mark
    ]


def test_the_readme_has_samples_of_every_kind() -> None:
    assert len(_blocks("python", None)) >= 5
    assert len(_blocks("python", "pytest")) == 1
    assert _blocks("sh", "cli") and _blocks("sh", "http")
    assert "pip install -e \".[test]\" && pytest" in README.read_text(encoding="utf-8")


def test_python_samples_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "readme"}
    with FakeOrchestration() as fake:
        fake.mock.add_passthru("http://127.0.0.1")  # the serve() sample talks to a real socket
        namespace["fake"] = fake
        for number, code in enumerate(_blocks("python", None), start=1):
            try:
                exec(compile(code, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message is the point
                raise AssertionError(f"README python block {number} failed: {exc!r}\n{code}") from exc
    printed = capsys.readouterr().out
    assert "develop" in printed
    assert "CreateTransaction 100 users:001" in printed
    assert "Instance not found" in printed


def test_pytest_sample_passes(tmp_path: Path) -> None:
    (module,) = _blocks("python", "pytest")
    test_file = tmp_path / "test_readme_sample.py"
    test_file.write_text(module, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_cli_samples_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [line for block in _blocks("sh", "cli") for line in block.splitlines() if line.strip()]
    assert commands
    for line in commands:
        words = shlex.split(line)
        assert words[0] == "formance-orchestration"
        assert main(words[1:]) == 0, line
    assert "USD/2" in capsys.readouterr().out  # the demo printed its balances


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_samples_against_a_real_server() -> None:
    commands = [line for block in _blocks("sh", "http") for line in block.splitlines() if line.strip()]
    assert commands
    with serve() as server:
        address = server.url.split("://", 1)[1]
        for line in commands:
            words = shlex.split(line.replace("localhost:8080", address))
            assert words[0] == "curl"
            result = subprocess.run(
                ["curl", "--fail", "--max-time", "10", *words[1:]], capture_output=True, text=True, timeout=30
            )
            assert result.returncode == 0, f"{line}\n{result.stdout}{result.stderr}"
        assert server.engine.stats()["workflows"] == 0  # the last sample reset the fake
