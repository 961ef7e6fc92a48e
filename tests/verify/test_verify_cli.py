"""``formance-orchestration verify`` end to end: exit codes, output forms, dry run, auth, errors."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fakeserver import FakeApp, ManualClock, TokenAuthority, serve

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def v20() -> Iterator[str]:
    with serve(stack_version="v2.0") as server:
        yield server.url


def test_dry_run_prints_the_plan_and_sends_nothing(cli: Cli) -> None:
    with serve(stack_version="v3.1") as server:
        url = server.url
        result = cli("verify", "--against", url, "--dry-run", "--allow-ledger-writes")
        assert server.calls == []
    assert result.code == 0 and result.err == ""
    assert f"against {url}/api/orchestration" in result.out
    run_id = re.search(r"Plan \(run (\w+)\)", result.out).group(1)  # type: ignore[union-attr]
    for text in (
        "GET /_info",
        f'POST /workflows {{"name":"verify-{run_id}-send"',
        "PUT /instances/{instance:aborted}/abort",
        "POST /workflows/{workflow:delay}/instances?wait=true {}",
        "for each instance started above and not seen ended (cleanup)",
    ):
        assert text in result.out


def test_without_ledger_writes_no_send_stage_is_planned(cli: Cli) -> None:
    result = cli("verify", "--dry-run", env={"FORMANCE_ORCHESTRATION_URL": "http://stack.test"})
    assert result.code == 0
    assert "against http://stack.test/api/orchestration" in result.out
    assert '"send"' not in result.out and "world" not in result.out


def test_nothing_differs_exit_0_with_a_table_and_the_summary(cli: Cli, v20: str) -> None:
    result = cli("verify", "--against", v20, "--stack-version", "auto")
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"target {v20}/api/orchestration (version v2.0.33), fake v2.0, run ")
    assert lines[1].split() == ["STEP", "OPERATION", "VERDICT", "DIFFERENCES"]
    assert re.match(r"\s+1\s+getServerInfo\s+same$", lines[2])
    assert lines[-1].startswith(
        "24 steps against fake v2.0: 24 same, 0 differ, 0 skipped (best of 4 versions"
    )
    assert lines[-1].endswith("the fake matches this target")
    assert result.err == ""  # no progress lines when stderr is not a terminal


def test_differences_exit_5_and_json_for_ci(cli: Cli, v20: str) -> None:
    result = cli("verify", "--stack-version", "v1.0", "-o", "json", env={"FORMANCE_ORCHESTRATION_URL": v20})
    assert result.code == 5
    report = json.loads(result.out)
    assert report["ok"] is False and report["stackVersion"] == "v1.0" and report["scores"] == {"v1.0": 15}
    unknown = next(s for s in report["steps"] if s["title"] == "read an unknown workflow")
    assert unknown["differences"] == [
        {"path": "errorCode", "kind": "value", "target": '"INTERNAL"', "fake": '"INTERNAL_ERROR"'}
    ]
    assert set(report["rules"]) == {"ids", "timestamps", "ledger ids", "server version", "durations", "lists"}


def test_a_progress_line_per_step_on_a_terminal(cli: Cli, v20: str) -> None:
    result = cli("verify", "--against", v20, tty=True)
    lines = result.err.splitlines()
    assert len(lines) == 24
    assert (
        lines[0]
        == "[1/24] getServerInfo: read the server's version: v1.0 same, v2.0 same, v3.1 same, v3.2.5 same"
    )
    assert lines[1].startswith("[2/24] createWorkflow: create the delay workflow: v1.0 differs, v2.0 same")


def test_credentials_from_the_environment_and_a_401_is_one_line(cli: Cli) -> None:
    clock = ManualClock()
    app = FakeApp(auth=TokenAuthority(clock, {"ci": "s3cret-value"}), stack_version="v3.1")
    with serve(app) as server:
        url = server.url
        ok = cli("verify", env={
            "FORMANCE_ORCHESTRATION_URL": server.url,
            "FORMANCE_CLIENT_ID": "ci",
            "FORMANCE_CLIENT_SECRET": "s3cret-value",
        })  # fmt: skip
        refused = cli("verify", "--against", server.url, "--token", "wrong-token")
    assert ok.code == 0, ok.out + ok.err
    assert refused.code == 1 and refused.out == ""
    assert refused.err == (
        f"formance-orchestration: error: cannot verify {url}/api/orchestration: HTTP 401 on GET /_info: "
        "the target refused the credentials (check --token or --client-id/--client-secret)\n"
    )
    assert "wrong-token" not in refused.err


def test_an_unreachable_target_is_one_line_without_traceback(cli: Cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("verify", "--against", f"http://127.0.0.1:{port}")
    assert result.code == 1
    assert result.err == (
        f"formance-orchestration: error: cannot verify http://127.0.0.1:{port}/api/orchestration: "
        f"GET http://127.0.0.1:{port}/api/orchestration/_info: connection refused\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--stack-version", "v9"],
            "--stack-version: expected auto or one of v1.0, v2.0, v3.1, v3.2.5, got 'v9'",
        ),
        (["--fake"], "verify compares a stack with the fake: give --against URL, not --fake"),
    ],
)
def test_usage_errors(cli: Cli, argv: list[str], message: str) -> None:
    result = cli("verify", *argv)
    assert result.code == 2
    assert result.err == f"formance-orchestration: error: {message}\n"


def test_against_python_m_fakeserver_on_the_wall_clock() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "--port", "0", "--stack-version", "v1.0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline()).group(0)  # type: ignore[union-attr]
        result = subprocess.run(
            [sys.executable, "-m", "formance_orchestration.cli", "verify", "--against", url, "-o", "json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["stackVersion"] == "v1.0" and report["ok"] and report["targetVersion"] == "develop"


def test_the_plan_names_the_token_request_of_client_credentials(cli: Cli) -> None:
    result = cli(
        "verify",
        "--against",
        "https://acme.test",
        "--client-id",
        "ci",
        "--client-secret",
        "s3cret-value",
        "--dry-run",
    )
    assert result.code == 0
    assert "POST https://acme.test/api/auth/oauth/token (OAuth2 client credentials)" in result.out
    assert "s3cret-value" not in result.out


def test_a_redirect_is_not_followed_but_named(cli: Cli, proxy: Callable[..., Any], v20: str) -> None:
    def redirect(method: str, path: str, status: int, ctype: str, body: bytes) -> tuple[int, str, bytes]:
        return (301, "", b"") if path.endswith("/_info") else (status, ctype, body)

    with proxy(v20, redirect) as url:
        result = cli("verify", "--against", url)
    assert result.code == 1
    assert "HTTP 301 on GET /_info: the target redirects to elsewhere (give that URL" in result.err
    assert len(result.err.splitlines()) == 1
