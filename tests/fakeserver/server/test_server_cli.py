"""``python -m fakeserver`` as a subprocess: printed URL, options, request log, clean termination."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import requests

from fakeserver import DEFAULT_STACK_VERSION, STACK_VERSIONS
from fakeserver import __main__ as cli
from fakeserver._clock import ManualClock, SystemClock
from formance_orchestration._client import OrchestrationClient

URL_LINE = re.compile(r"^fakeserver listening on (http://127\.0\.0\.1:(\d+))$")


class Process:
    """A running ``python -m fakeserver`` and the URL it printed."""

    def __init__(self, popen: subprocess.Popen[bytes], url: str, banner: str) -> None:
        self.popen = popen
        self.url = url
        self.banner = banner

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM it; return its exit code, the rest of stdout, and stderr."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        out, err = self.popen.communicate(timeout=10)
        return self.popen.returncode, out.decode(), err.decode()


def _read_line(popen: subprocess.Popen[bytes], timeout: float = 10.0) -> str:
    """One line of the child's unbuffered stdout (read byte by byte: nothing is read ahead)."""
    assert popen.stdout is not None
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(popen.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            if not selector.select(timeout):
                raise AssertionError(f"python -m fakeserver printed no full line: {line!r}")
            byte = popen.stdout.read(1)
            if not byte:
                break
            line += byte
    return line.decode().rstrip("\n")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def start() -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def launch(*args: str) -> Process:
        popen = subprocess.Popen(
            [sys.executable, "-m", "fakeserver", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            env=_env(),
        )
        try:
            line = _read_line(popen)
            match = URL_LINE.match(line)
            if match is None:
                raise AssertionError(f"unexpected first line {line!r}")
            process = Process(popen, match.group(1), _read_line(popen))
        except BaseException:
            popen.kill()
            _, err = popen.communicate(timeout=10)
            print("stderr of python -m fakeserver:", err.decode())
            raise
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
        process.popen.communicate(timeout=10)


def test_the_default_server_prints_its_url_serves_logs_and_stops_cleanly(
    start: Callable[..., Process],
) -> None:
    process = start()
    with requests.Session() as http:
        assert http.get(process.url + "/api/orchestration/_info", timeout=5).json() == {"version": "v2.6.0"}
        assert http.get(process.url + "/workflows", timeout=5).json() == {"data": []}
        clock = http.get(process.url + "/_fake/clock", timeout=5).json()["data"]
    assert clock["virtual"] is False
    assert f"control API at {process.url}/_fake" in process.banner
    assert "stack v3.2.5, wall clock, auth off" in process.banner
    code, _, err = process.stop()
    assert code == 0
    request_lines = [line for line in err.splitlines() if '" 200 ' in line]
    assert len(request_lines) == 3
    assert '"GET /api/orchestration/_info HTTP/1.1" 200' in request_lines[0]
    assert request_lines[0].endswith("getServerInfo")


def test_options_clock_version_auth_and_quiet(start: Callable[..., Process]) -> None:
    process = start(
        "--virtual-clock",
        "--start-time",
        "2024-01-01T00:00:00Z",
        "--service-version",
        "v9.9.9",
        "--client",
        "app:s3cret",
        "--token",
        "dev-token",
        "--token-ttl",
        "30",
        "--wait-timeout",
        "2",
        "--quiet",
    )
    with requests.Session() as http:
        assert http.get(process.url + "/_fake/clock", timeout=5).status_code == 401
        bearer = {"Authorization": "Bearer dev-token"}
        clock = http.get(process.url + "/_fake/clock", headers=bearer, timeout=5).json()["data"]
        assert clock == {"now": "2024-01-01T00:00:00Z", "virtual": True}
        assert http.get(process.url + "/_info", timeout=5).status_code == 401
        info = http.get(process.url + "/_info", headers={"Authorization": "Bearer dev-token"}, timeout=5)
        assert info.json() == {"version": "v9.9.9"}
        token = http.post(
            process.url + "/api/auth/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"},
            timeout=5,
        ).json()
        assert token["expires_in"] == 30
    with OrchestrationClient(process.url, client_id="app", client_secret="s3cret") as client:
        workflow_id = client.create_workflow({"stages": [{"delay": {"duration": "1h"}}]}).data.id
        done = client.run_workflow(workflow_id, wait=True).data  # the virtual clock skips the hour
        assert done.terminated is True
    code, _, err = process.stop()
    assert code == 0
    assert "HTTP/1.1" not in err


def test_the_wait_timeout_option_bounds_a_blocked_wait(start: Callable[..., Process]) -> None:
    process = start("--wait-timeout", "0.2", "--quiet")
    with requests.Session() as http:
        created = http.post(
            process.url + "/workflows", json={"stages": [{"wait_event": {"event": "e"}}]}, timeout=5
        )
        workflow_id = created.json()["data"]["id"]
        blocked = http.post(f"{process.url}/workflows/{workflow_id}/instances?wait=true", timeout=10)
    assert blocked.status_code == 504
    assert "still waiting" in blocked.json()["errorMessage"]
    assert process.stop()[0] == 0


def test_a_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "fakeserver", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=30,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "abc"], "expected a port number"),
        (["--port", "70000"], "between 0 and 65535"),
        (["--client", "nosecret"], "expected CLIENT_ID:SECRET"),
        (["--wait-timeout", "0"], "must be positive"),
        (["--token-ttl", "-1"], "positive number of seconds"),
        (["--virtual-clock", "--start-time", "2024-01-01T00:00:00"], "needs a time zone"),
        (
            ["--stack-version", "v9.9"],
            "invalid choice: 'v9.9' (choose from 'v1.0', 'v2.0', 'v3.1', 'v3.2.5')",
        ),
    ],
)
def test_bad_arguments_are_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.build_parser().parse_args(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults_and_the_servers_they_build() -> None:
    args = cli.build_parser().parse_args([])
    assert (args.host, args.port, args.prefix) == ("127.0.0.1", 8080, "/api/orchestration")
    assert args.wait_timeout == cli.DEFAULT_WAIT_TIMEOUT == 300.0
    assert args.virtual_clock is False
    server = cli.build_server(args)
    assert isinstance(server.clock, SystemClock)
    assert server.auth is None
    assert server.engine.wait_timeout == 300.0
    assert args.stack_version == DEFAULT_STACK_VERSION == STACK_VERSIONS[-1]
    assert (server.engine.stack_version, server.engine.version) == (DEFAULT_STACK_VERSION, "v2.6.0")
    pinned = cli.build_server(cli.build_parser().parse_args(["--stack-version", "v1.0"]))
    assert (pinned.app.stack_version, pinned.engine.version) == ("v1.0", "develop")
    options = ["--stack-version", "v1.0", "--service-version", "v9"]
    named = cli.build_server(cli.build_parser().parse_args(options))
    assert named.engine.version == "v9"

    forever = cli.build_parser().parse_args(["--wait-timeout", "none", "--virtual-clock", "--token", "t"])
    server = cli.build_server(forever)
    assert server.engine.wait_timeout is None
    assert isinstance(server.clock, ManualClock)
    assert server.auth is not None and server.auth.is_authorized("Bearer t")

    started = cli.build_parser().parse_args(["--virtual-clock", "--start-time", "2030-05-01T12:00:00+02:00"])
    assert cli.build_server(started).clock.now() == datetime(2030, 5, 1, 10, tzinfo=UTC)

    with pytest.raises(SystemExit, match="--start-time needs --virtual-clock"):
        cli.build_server(cli.build_parser().parse_args(["--start-time", "2030-05-01T12:00:00Z"]))


def test_version_prints_the_programs_version_and_fake_serve_names_itself(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from formance_orchestration._version import __version__
    from formance_orchestration.cli import main as cli_main

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"python -m fakeserver (formance-orchestration {__version__})"
    with pytest.raises(SystemExit):
        cli_main(["fake", "serve", "--help"])
    assert capsys.readouterr().out.startswith("usage: formance-orchestration fake serve")
