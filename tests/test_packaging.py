"""Packaging (issue 15, item 7): the licence, the sdist's contents, the editable install's form, and
what a production app that only wants the client imports."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_the_sdist_carries_what_its_suite_reads() -> None:
    lines = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    commands = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    for folder in ("tests", "examples", "benchmarks"):
        assert ["graft", folder] in commands, folder
    included = {name for words in commands if words[0] == "include" for name in words[1:]}
    assert {"LICENSE", "README.md", ".ci/run", "setup.cfg"} <= included


def test_an_editable_install_is_a_plain_path_entry() -> None:
    # With package-dir {"": "."} setuptools writes a .pth holding the project root (which mypy and
    # pyright follow) instead of an import-hook finder (which they cannot see).
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)
    assert tool["setuptools"]["package-dir"] == {"": "."}


def test_the_client_alone_imports_neither_responses_nor_yaml() -> None:
    code = (
        "import sys\n"
        "from formance_orchestration import OrchestrationClient\n"
        "OrchestrationClient('http://localhost').close()\n"
        "print(sorted(m for m in ('responses', 'yaml', 'fakeserver') if m in sys.modules))\n"
    )
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
