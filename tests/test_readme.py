"""Every code sample of README.md runs here, so the README cannot drift from the code.

* Plain ``python`` blocks run in order in one namespace, with ``fake`` (a `FakeOrchestration` on
  ``http://localhost``) intercepting the client's requests.
* A ``python`` block after ``<!-- readme-test: pytest -->`` is a test module: it runs under pytest.
* An ``sh`` block after ``<!-- readme-test: cli -->`` holds ``formance-orchestration`` commands, run
  through the CLI's entry point; after ``<!-- readme-test: http -->`` it holds ``curl`` commands, run
  against a real fake server; after ``<!-- readme-test: serve -->``, ``python -m fakeserver`` command
  lines, each started on a free port and queried; after ``<!-- readme-test: setup -->``, the set-up
  and check commands, which must be the ones ``.ci/run`` runs.
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
import requests

from fakeserver import FakeOrchestration, serve
from formance_orchestration.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>\w+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S)


def _blocks(lang: str, mark: str | None) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [
        m.group("code") for m in _BLOCK.finditer(text) if m.group("lang") == lang and m.group("mark") == mark
    ]


def test_the_readme_has_samples_of_every_kind() -> None:
    assert len(_blocks("python", None)) >= 5
    assert len(_blocks("python", "pytest")) == 1
    assert _blocks("sh", "cli") and _blocks("sh", "http") and _blocks("sh", "serve")
    assert len(_blocks("sh", "setup")) == 2
    tested = {("python", None), ("python", "pytest")} | {
        ("sh", m) for m in ("cli", "http", "serve", "setup", "verify")
    }
    for block in _BLOCK.finditer(README.read_text(encoding="utf-8")):
        if block.group("lang"):  # a block without a language is a diagram, not code
            assert (block.group("lang"), block.group("mark")) in tested, f"untested sample:\n{block.group(0)}"
    assert 'pip install -e ".[test]" && pytest' in README.read_text(encoding="utf-8")


def test_python_samples_run_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "readme"}
    # What the README says these samples assume, word for word:
    assert "`fake = FakeOrchestration()` entered around them" in README.read_text(encoding="utf-8")
    with FakeOrchestration() as fake:  # the default: the latest stack version
        assert fake.mock is not None
        fake.mock.add_passthru("http://127.0.0.1")  # the serve() sample talks to a real socket
        namespace["fake"] = fake
        for number, code in enumerate(_blocks("python", None), start=1):
            try:
                exec(compile(code, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message is the point
                raise AssertionError(f"README python block {number} failed: {exc!r}\n{code}") from exc
    printed = capsys.readouterr().out
    assert "v2.6.0" in printed  # the default fake: the latest stack version
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


def test_verify_samples_against_a_real_server(capsys: pytest.CaptureFixture[str]) -> None:
    from formance_orchestration.verify import RULES

    (block,) = _blocks("sh", "verify")
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 3
    with serve(stack_version="v2.0") as server:
        for line in commands:
            words = shlex.split(line.replace("http://localhost:8080", server.url))
            assert words[:2] == ["formance-orchestration", "verify"]
            assert main(words[1:]) == 0, line
    out = capsys.readouterr().out
    assert "Plan (run " in out and "the fake matches this target" in out and '"ok": true' in out
    text = README.read_text(encoding="utf-8")
    assert all(f"**{name}**" in text for name, _ in RULES)  # every normalisation rule is documented


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


def _commands(mark: str) -> list[str]:
    """The commands of the ``sh`` blocks marked ``mark``: ``&&`` chains split, comments dropped."""
    commands = []
    for block in _blocks("sh", mark):
        for line in block.splitlines():
            words = " ".join(shlex.split(line, comments=True))
            commands += [part.strip() for part in words.split("&&") if part.strip()]
    return commands


def test_setup_commands_are_what_ci_runs(capsys: pytest.CaptureFixture[str]) -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = {" ".join(shlex.split(line, comments=True)) for line in ci.splitlines()}
    for command in _commands("setup"):
        if command == "pip install .":
            assert "pip install -e .[test]" in ci_commands  # CI installs the same project, editable
        elif command == "formance-orchestration demo":
            assert main(["demo"]) == 0
        elif command.startswith("python -m benchmarks"):
            usage = subprocess.run(
                [sys.executable, "-m", "benchmarks", "--help"],
                capture_output=True,
                text=True,
                cwd=README.parent,
                timeout=60,
            )
            assert usage.returncode == 0, usage.stderr
            for option in shlex.split(command)[3:]:
                assert option in usage.stdout  # the options the README shows exist
        else:
            assert command in ci_commands, f"README says {command!r} but .ci/run does not run it"
    assert "balances" in capsys.readouterr().out.lower()


def test_serve_samples_start_a_server() -> None:
    commands = _commands("serve")
    assert commands
    for command in commands:
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "fakeserver"]
        process = subprocess.Popen(
            [sys.executable, *words[1:], "--port", "0", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            url = first.rsplit(" ", 1)[-1].strip()
            assert url.startswith("http://127.0.0.1:"), first
            answer = requests.get(url + "/api/orchestration/_info", timeout=10)
            expected = 401 if "--client" in words else 200
            assert answer.status_code == expected, command
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_python_samples_type_check_strictly(tmp_path: Path) -> None:
    """The samples under ``mypy --strict`` (issue 15, item 4): 14 errors before, none now."""
    preamble = "from fakeserver import FakeOrchestration\nfake = FakeOrchestration()\n"
    (tmp_path / "readme_samples.py").write_text(
        preamble + "\n".join(_blocks("python", None)), encoding="utf-8"
    )
    (tmp_path / "test_readme_pytest.py").write_text("\n".join(_blocks("python", "pytest")), encoding="utf-8")
    cache = README.parent / ".mypy_cache"  # warm after the CI's own mypy step
    files = [str(tmp_path / "readme_samples.py"), str(tmp_path / "test_readme_pytest.py")]
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *files]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
