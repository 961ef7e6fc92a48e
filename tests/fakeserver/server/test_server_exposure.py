"""Open doors of the fake over HTTP (issue 14 items 5 and 6): secrets shown, non-loopback binds, backlog.

Before: ``?access_token=`` / ``?client_secret=`` and JSON secrets were printed by the request log and
kept unmasked in ``/_fake/calls``; ``--host 0.0.0.0`` was accepted silently; with a listen backlog of
5, 200 clients connecting at once waited up to seconds (88 of 200 got no answer within 10 s).
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fakeserver._secrets import mask_body, mask_headers, mask_query, mask_text
from fakeserver.server import LISTEN_BACKLOG, FakeServer

SECRETS = ("tok-123", "sec-456", "pw-789", "nested-000", "basic-abc", "cookie-def")


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_secrets_are_masked_in_the_call_log_and_the_request_log(caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(
        {"name": "w", "password": "pw-789", "stages": [{"noop": {}}], "meta": {"clientSecret": "nested-000"}}
    ).encode()
    request = (
        b"POST /api/orchestration/workflows?access_token=tok-123&client_secret=sec-456&x=1 HTTP/1.1\r\n"
        b"Host: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        b"Authorization: Basic basic-abc\r\nCookie: session=cookie-def\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with caplog.at_level(logging.INFO, logger="fakeserver"), FakeServer() as server:
        assert _raw(server.port, request).startswith(b"HTTP/1.1 ")
        calls = _raw(server.port, b"GET /_fake/calls HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert server.calls[0].query.startswith("access_token=tok-123")  # Python sees everything
    shown = calls.decode() + caplog.text
    for secret in SECRETS:
        assert secret not in shown, secret
    (call,) = json.loads(calls.partition(b"\r\n\r\n")[2])["data"]
    assert call["query"] == "access_token=***&client_secret=***&x=1"
    assert call["headers"]["authorization"] == "Basic ***" and call["headers"]["cookie"] == "***"
    recorded = json.loads(call["body"])
    assert recorded["password"] == "***" and recorded["meta"] == {"clientSecret": "***"}
    assert recorded["name"] == "w"
    assert "access_token=***&client_secret=***&x=1" in caplog.text


def test_the_masking_functions() -> None:
    assert mask_query("a=1&refresh_token=r&api-key=k") == "a=1&refresh_token=***&api-key=***"
    assert mask_query("workflowID=abc") == "workflowID=abc"
    assert mask_headers({"authorization": "Bearer x", "x-api-key": "k", "accept": "*/*"}) == {
        "authorization": "Bearer ***",
        "x-api-key": "***",
        "accept": "*/*",
    }
    assert json.loads(mask_body(b'[{"deep": [{"access_token": "t"}]}]')) == [
        {"deep": [{"access_token": "***"}]}
    ]
    assert mask_body(b"grant_type=client_credentials&client_secret=s") == (
        "grant_type=client_credentials&client_secret=***"
    )
    assert "t0k" not in mask_body(b'{"token": "t0k"' + b"[" * 100_000)  # unreadable JSON: not shown
    assert mask_text('"GET /x?token=abc HTTP/1.1" 400') == '"GET /x?token=*** HTTP/1.1" 400'
    assert mask_body(b'{"stages": []}') == '{"stages": []}'  # nothing to mask: the text as sent


def test_binding_a_non_loopback_address_warns() -> None:
    with pytest.warns(RuntimeWarning, match="other machines can reach"):
        server = FakeServer(host="0.0.0.0")
        server.bind()
    server.stop()


def test_the_command_line_prints_the_warning_for_a_non_loopback_host() -> None:
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "--host", "0.0.0.0", "--port", "0", "--quiet"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(b"fakeserver listening on http://0.0.0.0:")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "other machines can reach" in err.decode() and "Bind 127.0.0.1" in err.decode()


def test_two_hundred_clients_connecting_at_once_are_all_answered() -> None:
    answered: list[bytes] = []
    failures: list[str] = []
    with FakeServer() as server:
        assert server._bound().request_queue_size == LISTEN_BACKLOG >= 200
        barrier = threading.Barrier(200)

        def connect() -> None:
            barrier.wait()
            try:
                answer = _raw(server.port, b"GET /_info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answered.append(answer[:12])
            except OSError as exc:  # with a backlog of 5: timeouts (SYNs dropped and resent)
                failures.append(repr(exc))

        threads = [threading.Thread(target=connect) for _ in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert answered == [b"HTTP/1.1 200"] * 200
