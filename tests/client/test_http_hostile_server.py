"""Answers a hostile or broken server gives: deep nesting, trickled bodies, gzip bombs, redirects.

The trickle, bomb and stall cases run against a raw socket server on 127.0.0.1 (`RawServer`), so
that the bytes really arrive the way they would over a network; the redirect and nesting cases use
`responses`.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from formance_orchestration import (
    BodyTooLargeError,
    DecodeError,
    OrchestrationClient,
    ReadTimeout,
    RedirectError,
    RetryPolicy,
    ServerError,
    Timeout,
)
from formance_orchestration.cli import run as cli_run

BASE = "http://orch.test"
ROOT = BASE + "/api/orchestration"
MiB = 1024 * 1024

Handler = Callable[[socket.socket, bytes], None]


class RawServer:
    """An HTTP server on 127.0.0.1 that hands each request's raw bytes to ``handler(conn, head)``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.heads: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                part = conn.recv(65536)
                if not part:
                    return
                head += part
            self.heads.append(head)
            with contextlib.suppress(OSError):  # the client hung up: what these tests expect it to do
                self.handler(conn, head)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _head(status: str = "200 OK", **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _trickle(body: bytes, every: float) -> Handler:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(Content_Length=len(body)))
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return handler


# -- 7: nesting deeper than any parser goes --------------------------------------------------------

DEEP = b'{"data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


def test_a_200_nested_200000_deep_is_a_decode_error(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", body=DEEP)
    with OrchestrationClient(BASE, retry=None) as client, pytest.raises(DecodeError) as caught:
        client.list_workflows()
    assert isinstance(caught.value.__cause__, RecursionError)
    assert caught.value.status_code == 200
    assert "nested too deep" in str(caught.value)


def test_a_500_nested_200000_deep_is_the_status_error(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", body=DEEP, status=500)
    with OrchestrationClient(BASE, retry=None) as client, pytest.raises(ServerError) as caught:
        client.list_workflows()
    assert (caught.value.status_code, caught.value.error_code, caught.value.error_message) == (
        500,
        None,
        None,
    )


def test_a_deep_token_answer_is_a_decode_error(rsps: responses.RequestsMock) -> None:
    rsps.post(BASE + "/api/auth/oauth/token", body=DEEP)
    client = OrchestrationClient(BASE, client_id="id", client_secret="secret", retry=None)
    with client, pytest.raises(DecodeError, match=r"fetchToken.*nested too deep"):
        client.list_workflows()


@pytest.mark.parametrize("status", [200, 500])
def test_the_cli_prints_one_line_for_a_deep_answer(
    serve: Callable[[Handler], RawServer], status: int
) -> None:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(f"{status} X", Content_Length=len(DEEP)) + DEEP)

    server = serve(handler)
    out, err = io.StringIO(), io.StringIO()
    code = cli_run(["--base-url", server.url, "workflows", "list"], stdout=out, stderr=err, environ={})
    assert code == 1
    assert err.getvalue().count("\n") == 1, err.getvalue()[:500]
    assert "Traceback" not in err.getvalue() and "RecursionError" not in err.getvalue()
    expected = "nested too deep" if status == 200 else "HTTP 500"
    assert expected in err.getvalue()


# -- 8: the total deadline -------------------------------------------------------------------------


def test_a_trickled_body_stops_at_the_deadline(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(_trickle(b'{"data": []}' + b" " * 100, every=0.05))  # 5.6 s in all
    started = time.monotonic()
    client = OrchestrationClient(server.url, timeout=Timeout(0.5), retry=None)
    with client, pytest.raises(ReadTimeout, match=r"within its 0.5 s deadline \(Timeout.total\)") as caught:
        client.list_workflows()
    lived = time.monotonic() - started
    assert 0.5 <= lived < 1.0, lived  # was: the whole 5.6 s (each byte came within the read timeout)
    assert caught.value.operation == "listWorkflows"


def test_a_stalled_body_stops_at_the_deadline_not_at_the_read_timeout(
    serve: Callable[[Handler], RawServer],
) -> None:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(Content_Length=100) + b'{"data": ')
        time.sleep(5)

    server = serve(handler)
    started = time.monotonic()
    client = OrchestrationClient(server.url, timeout=Timeout(read=5, total=0.4), retry=None)
    with client, pytest.raises(ReadTimeout, match="deadline"):
        client.list_workflows()
    assert time.monotonic() - started < 0.9  # the socket's read timeout was cut to the time left


def test_a_waiting_run_gets_wait_read_on_top_of_the_deadline(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(_trickle(b" " * 200, every=0.05))  # 10 s in all
    started = time.monotonic()
    client = OrchestrationClient(server.url, timeout=Timeout(0.3, wait_read=0.4), retry=None)
    with client, pytest.raises(ReadTimeout, match=r"0.7 s deadline \(Timeout.total \+ Timeout.wait_read\)"):
        client.run_workflow("wf", wait=True)
    assert 0.7 <= time.monotonic() - started < 1.2


def test_a_body_within_the_deadline_is_read(serve: Callable[[Handler], RawServer]) -> None:
    server = serve(_trickle(b'{"data": []}', every=0.01))
    with OrchestrationClient(server.url, timeout=Timeout(5), retry=None) as client:
        assert client.list_workflows().data == []


def test_no_retry_starts_after_the_deadline(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", status=503)
    sleeps: list[float] = []
    retry = RetryPolicy(max_attempts=5, backoff_factor=2, jitter=0)
    client = OrchestrationClient(BASE, timeout=Timeout(total=3), retry=retry, sleep=sleeps.append)
    with client, pytest.raises(ServerError):
        client.list_workflows()
    # 2 s fits in the 3 s deadline; 2 + 4 s does not (the sleeps are recorded, not slept, so the
    # deadline is checked against the clock at 0 s: the second wait is refused on its own length)
    assert sleeps == [2.0]
    assert len(rsps.calls) == 2


def test_a_retry_after_past_the_deadline_is_not_waited_for(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", status=503, headers={"Retry-After": "30"})
    sleeps: list[float] = []
    client = OrchestrationClient(BASE, timeout=Timeout(total=10), sleep=sleeps.append)
    with client, pytest.raises(ServerError) as caught:
        client.list_workflows()
    assert sleeps == [] and caught.value.retry_after == 30.0


def test_no_deadline_with_total_none(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", status=503, headers={"Retry-After": "50"})
    sleeps: list[float] = []
    client = OrchestrationClient(BASE, timeout=Timeout(total=None), sleep=sleeps.append)
    with client, pytest.raises(ServerError):
        client.list_workflows()
    assert sleeps == [50.0, 50.0]


# -- 9: the decoded size bound ---------------------------------------------------------------------


def _gzip_bomb(decoded: int) -> bytes:
    """A gzip body of about decoded / 1000 bytes inflating to ``decoded`` bytes of JSON whitespace."""
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    one_mib = member.compress(b" " * MiB) + member.flush()
    return b"".join([one_mib] * (decoded // MiB))  # gzip members in a row decode as one stream


def _bomb_server(serve: Callable[[Handler], RawServer], status: str = "200 OK") -> RawServer:
    bomb = _gzip_bomb(200 * MiB)
    assert len(bomb) < 250_000

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(status, Content_Encoding="gzip", Content_Length=len(bomb)) + bomb)

    return serve(handler)


def _peak_traced(call: Callable[[], Any]) -> tuple[int, BaseException | None]:
    tracemalloc.start()
    try:
        call()
    except BaseException as exc:
        return tracemalloc.get_traced_memory()[1], exc
    finally:
        tracemalloc.stop()
    return 0, None


def test_a_gzip_bomb_stops_at_the_default_limit(serve: Callable[[Handler], RawServer]) -> None:
    server = _bomb_server(serve)
    with OrchestrationClient(server.url, retry=None) as client:
        peak, error = _peak_traced(client.list_workflows)
    assert isinstance(error, BodyTooLargeError), error
    assert error.limit == 64 * MiB and error.status_code == 200 and error.body == ""
    assert "max_body_size (67,108,864 bytes" in str(error)
    assert peak < 80 * MiB, peak  # was: the whole 200 MiB, twice (chunks, then joined)


def test_a_gzip_bomb_stops_at_a_small_limit(serve: Callable[[Handler], RawServer]) -> None:
    server = _bomb_server(serve, status="500 Internal Server Error")
    with OrchestrationClient(server.url, retry=None, max_body_size=MiB) as client:
        peak, error = _peak_traced(client.list_workflows)
    assert isinstance(error, BodyTooLargeError) and error.status_code == 500
    assert peak < 3 * MiB, peak


def test_a_declared_length_past_the_limit_is_refused_before_reading(
    serve: Callable[[Handler], RawServer],
) -> None:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(Content_Length=10 * MiB))  # and never the body
        time.sleep(3)

    server = serve(handler)
    started = time.monotonic()
    client = OrchestrationClient(server.url, retry=None, max_body_size=MiB)
    with client, pytest.raises(BodyTooLargeError):
        client.list_workflows()
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(("size", "fits"), [(100, True), (101, False)])
def test_the_limit_is_inclusive(rsps: responses.RequestsMock, size: int, fits: bool) -> None:
    body = b'{"data": []}'
    rsps.get(ROOT + "/workflows", body=body + b" " * (size - len(body)))
    with OrchestrationClient(BASE, retry=None, max_body_size=100) as client:
        if fits:
            assert client.list_workflows().data == []
        else:
            with pytest.raises(BodyTooLargeError):
                client.list_workflows()


def test_a_large_body_in_many_chunks_is_read_whole(serve: Callable[[Handler], RawServer]) -> None:
    items = b",".join([b'{"id":"w%d","config":{"stages":[]},"createdAt":"2023-04-13T08:40:00Z",'
                       b'"updatedAt":"2023-04-13T08:40:00Z"}' % i for i in range(20_000)])  # fmt: skip
    body = b'{"data":[' + items + b"]}"
    assert len(body) > 2 * MiB

    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head(Transfer_Encoding="chunked"))
        for start in range(0, len(body), 50_000):
            part = body[start : start + 50_000]
            conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        conn.sendall(b"0\r\n\r\n")

    server = serve(handler)
    with OrchestrationClient(server.url, retry=None) as client:
        workflows = client.list_workflows().data
    assert len(workflows) == 20_000 and workflows[-1].id == "w19999"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_max_body_size_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="max_body_size"):
        OrchestrationClient(BASE, max_body_size=bad)  # type: ignore[arg-type]


# -- 10: redirects ---------------------------------------------------------------------------------

INSTANCE = {
    "workflowID": "wf",
    "id": "inst",
    "createdAt": "2023-04-13T08:40:00Z",
    "updatedAt": "2023-04-13T08:40:00Z",
    "terminated": False,
}


def test_a_307_does_not_send_the_post_body_to_another_host(rsps: responses.RequestsMock) -> None:
    rsps.post(ROOT + "/workflows", status=307, headers={"Location": "https://evil.test/steal"})
    stolen = rsps.post("https://evil.test/steal", status=201, json={"data": {}})
    with OrchestrationClient(BASE, token="tok", retry=None) as client, pytest.raises(RedirectError) as caught:
        client.create_workflow({"name": "secret-config", "stages": []})
    assert stolen.call_count == 0 and len(rsps.calls) == 1
    error = caught.value
    assert (error.status_code, error.location, error.method) == (307, "https://evil.test/steal", "POST")
    assert str(error) == (
        "createWorkflow: 307 Temporary Redirect, redirected to https://evil.test/steal: not followed, "
        "the API never redirects (check the base URL) (POST /api/orchestration/workflows)"
    )


def test_a_302_does_not_turn_a_run_into_a_get(rsps: responses.RequestsMock) -> None:
    rsps.post(ROOT + "/workflows/wf/instances", status=302, headers={"Location": "/elsewhere"})
    got = rsps.get(BASE + "/elsewhere", json={"data": INSTANCE})
    with OrchestrationClient(BASE, retry=None) as client, pytest.raises(RedirectError) as caught:
        client.run_workflow("wf", variables={"k": "v"})
    assert got.call_count == 0
    assert caught.value.location == BASE + "/elsewhere"  # resolved against the request's URL


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_same_origin_get_redirect_is_not_followed_either(rsps: responses.RequestsMock, status: int) -> None:
    rsps.get(ROOT + "/instances/inst", status=status, headers={"Location": ROOT + "/instances/other"})
    other = rsps.get(ROOT + "/instances/other", json={"data": INSTANCE})
    with OrchestrationClient(BASE) as client, pytest.raises(RedirectError) as caught:
        client.get_instance("inst")
    assert other.call_count == 0 and len(rsps.calls) == 1  # and not retried
    assert caught.value.status_code == status


def test_a_redirect_location_loses_its_credentials(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", status=301, headers={"Location": "https://user:pw@evil.test/x"})
    with OrchestrationClient(BASE) as client, pytest.raises(RedirectError) as caught:
        client.list_workflows()
    assert caught.value.location == "https://***@evil.test/x"
    assert "pw" not in str(caught.value)


def test_a_redirect_without_location(rsps: responses.RequestsMock) -> None:
    rsps.get(ROOT + "/workflows", status=300)
    with OrchestrationClient(BASE) as client, pytest.raises(RedirectError, match="without a Location"):
        client.list_workflows()


def test_the_token_request_is_not_redirected(rsps: responses.RequestsMock) -> None:
    rsps.post(BASE + "/api/auth/oauth/token", status=307, headers={"Location": "https://evil.test/token"})
    stolen = rsps.post("https://evil.test/token", json={"access_token": "t"})
    client = OrchestrationClient(BASE, client_id="id", client_secret="s3cret", retry=None)
    with client, pytest.raises(RedirectError) as caught:
        client.list_workflows()
    assert stolen.call_count == 0 and caught.value.operation == "fetchToken"


def test_the_cli_names_where_a_redirect_pointed(serve: Callable[[Handler], RawServer]) -> None:
    def handler(conn: socket.socket, head: bytes) -> None:
        conn.sendall(_head("308 Permanent Redirect", Location="https://elsewhere.test/", Content_Length=0))

    server = serve(handler)
    err = io.StringIO()
    code = cli_run(
        ["--base-url", server.url, "workflows", "list"], stdout=io.StringIO(), stderr=err, environ={}
    )
    assert code == 1
    assert err.getvalue().count("\n") == 1
    assert "HTTP 308: redirected to https://elsewhere.test/, not followed" in err.getvalue()
    assert len(server.heads) == 1
