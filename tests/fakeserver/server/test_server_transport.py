"""FakeServer as an HTTP transport, over real sockets, with a stub app (no engine involved)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from fakeserver._types import FakeRequest, FakeResponse
from fakeserver.server import FakeServer, serve

JSON = {"content-type": "application/json"}


class StubApp:
    """Answers what ``answer`` says and remembers every request."""

    prefix = "/api/orchestration"
    auth = None

    def __init__(self, answer: Callable[[FakeRequest], FakeResponse] | None = None) -> None:
        self.requests: list[FakeRequest] = []
        self.answer = answer or (
            lambda request: FakeResponse(status=200, headers=JSON, body=b'{"ok":true}\n')
        )

    def handle(self, request: FakeRequest) -> FakeResponse:
        self.requests.append(request)
        return self.answer(request)


@pytest.fixture
def stub() -> StubApp:
    return StubApp()


@pytest.fixture
def server(stub: StubApp) -> Iterator[FakeServer]:
    with FakeServer(stub) as running:  # type: ignore[arg-type]
        yield running


def test_the_request_reaches_the_app_as_a_fake_request(server: FakeServer, stub: StubApp) -> None:
    response = requests.post(
        server.url + "/api/orchestration/workflows/a%20b?wait=true&x=1",
        data=b'{"name":"n"}',
        headers={"Content-Type": "application/json", "X-Test": "yes"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    (request,) = stub.requests
    assert request.method == "POST"
    assert request.path == "/api/orchestration/workflows/a b"
    assert request.query == "wait=true&x=1"
    assert request.body == b'{"name":"n"}'
    assert request.headers["x-test"] == "yes"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == "12"


def test_url_defaults_to_localhost_and_a_free_port(server: FakeServer) -> None:
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.api_url == server.url + "/api/orchestration"
    assert repr(server) == f"<FakeServer {server.url}>"


def test_answers_carry_length_date_and_the_apps_headers(server: FakeServer, stub: StubApp) -> None:
    stub.answer = lambda request: FakeResponse(
        status=201, headers={"content-type": "application/json", "x-extra": "1"}, body=b'{"data":{}}\n'
    )
    response = requests.get(server.url + "/x", timeout=5)
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(b'{"data":{}}\n'))
    assert response.headers["X-Extra"] == "1"
    assert "Date" in response.headers
    assert response.content == b'{"data":{}}\n'


def test_an_answer_without_content_type_is_json(server: FakeServer, stub: StubApp) -> None:
    stub.answer = lambda request: FakeResponse(status=405)
    response = requests.delete(server.url + "/workflows/x", timeout=5)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "0"
    assert response.content == b""


def test_204_is_empty_with_content_length_zero(server: FakeServer, stub: StubApp) -> None:
    stub.answer = lambda request: FakeResponse(status=204, headers=JSON)
    response = requests.put(server.url + "/instances/i/abort", timeout=5)
    assert response.status_code == 204
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def test_plain_text_404_is_passed_through(server: FakeServer, stub: StubApp) -> None:
    stub.answer = lambda request: FakeResponse(
        status=404, headers={"content-type": "text/plain; charset=utf-8"}, body=b"404 page not found\n"
    )
    response = requests.get(server.url + "/nope", timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == "404 page not found\n"


def test_any_method_goes_to_the_app(server: FakeServer, stub: StubApp) -> None:
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        assert requests.request(method, server.url + "/workflows", timeout=5).status_code == 200
    assert [request.method for request in stub.requests] == [
        "GET",
        "POST",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
    ]


def test_head_gets_headers_without_a_body(server: FakeServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"HEAD /workflows HTTP/1.1\r\nHost: x\r\n\r\nGET /workflows HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while received.count(b"HTTP/1.1 200") < 2 or not received.endswith(b'{"ok":true}\n'):
            chunk = sock.recv(4096)
            assert chunk
            received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 12" in head
    assert rest.startswith(b"HTTP/1.1 200 OK")


def test_keep_alive_reuses_one_connection(server: FakeServer, stub: StubApp) -> None:
    with requests.Session() as session:
        for _ in range(50):
            response = session.get(server.url + "/workflows", timeout=5)
            assert response.status_code == 200
            assert "close" not in response.headers.get("Connection", "")
    assert len(stub.requests) == 50
    assert server.connections_accepted == 1


def test_accepted_sockets_have_nagle_disabled(server: FakeServer) -> None:
    with requests.Session() as session:
        session.get(server.url + "/workflows", timeout=5)
        open_sockets = list(server._bound()._open)
        assert len(open_sockets) == 1
        assert open_sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_connection_close_is_honoured(server: FakeServer) -> None:
    with requests.Session() as session:
        for _ in range(3):
            response = session.get(server.url + "/x", headers={"Connection": "close"}, timeout=5)
            assert response.headers["Connection"] == "close"
    assert server.connections_accepted == 3


def test_http_1_0_keep_alive(server: FakeServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        data = b""
        while not data.endswith(b'{"ok":true}\n'):
            chunk = sock.recv(4096)
            assert chunk
            data += chunk
        assert b"Connection: keep-alive" in data


def test_chunked_request_bodies_are_read(server: FakeServer, stub: StubApp) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"a":'
        yield b'"b"}'

    response = requests.post(server.url + "/workflows/w/instances", data=body(), timeout=5)
    assert response.status_code == 200
    (request,) = stub.requests
    assert request.body == b'{"a":"b"}'
    assert request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in request.headers


def test_a_bad_content_length_is_a_400_and_closes(server: FakeServer, stub: StubApp) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /workflows HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"Connection: close" in data
    assert stub.requests == []


def test_an_unparsable_request_target_is_a_400(server: FakeServer, stub: StubApp) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET http://[bad/x HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"invalid request target" in data
    assert stub.requests == []
    assert requests.get(server.url + "/x", timeout=5).status_code == 200


def test_a_crashing_app_answers_500_empty_and_the_server_goes_on(server: FakeServer, stub: StubApp) -> None:
    def crash(request: FakeRequest) -> FakeResponse:
        if request.path == "/boom":
            raise RuntimeError("boom")
        return FakeResponse(status=200, headers=JSON, body=b"{}")

    stub.answer = crash
    with requests.Session() as session:
        broken = session.get(server.url + "/boom", timeout=5)
        assert broken.status_code == 500
        assert broken.content == b""
        assert broken.headers["Content-Type"] == "application/json"
        assert session.get(server.url + "/fine", timeout=5).status_code == 200


def test_drop_connection_closes_without_answering(server: FakeServer, stub: StubApp) -> None:
    stub.answer = lambda request: (
        FakeResponse(status=0, drop_connection=True)
        if request.path == "/drop"
        else FakeResponse(status=200, headers=JSON, body=b"{}")
    )
    with requests.Session() as session:
        assert session.get(server.url + "/fine", timeout=5).status_code == 200
        with pytest.raises(requests.ConnectionError):
            session.get(server.url + "/drop", timeout=5)
        assert session.get(server.url + "/fine", timeout=5).status_code == 200
    assert server.connections_accepted == 2


def test_requests_on_other_connections_are_served_while_one_blocks(server: FakeServer, stub: StubApp) -> None:
    released = threading.Event()

    def answer(request: FakeRequest) -> FakeResponse:
        if request.path == "/block":
            released.wait(5)
            return FakeResponse(
                status=200,
                headers=JSON,
                body=b'{"released":' + str(released.is_set()).lower().encode() + b"}",
            )
        released.set()
        return FakeResponse(status=204, headers=JSON)

    stub.answer = answer
    results: list[Any] = []
    blocked = threading.Thread(
        target=lambda: results.append(requests.get(server.url + "/block", timeout=10).json())
    )
    blocked.start()
    assert requests.post(server.url + "/release", timeout=5).status_code == 204
    blocked.join(10)
    assert results == [{"released": True}]


def test_stop_closes_idle_keep_alive_connections_and_frees_the_port(stub: StubApp) -> None:
    server = FakeServer(stub)  # type: ignore[arg-type]
    server.start()
    port = server.port
    session = requests.Session()
    try:
        assert session.get(server.url + "/x", timeout=5).status_code == 200
        server.stop()
        assert not server.is_running
        with pytest.raises(requests.ConnectionError):
            session.get(f"http://127.0.0.1:{port}/x", timeout=5)
    finally:
        session.close()
        server.stop()
    # The port can be bound again at once.
    again = FakeServer(stub, port=port)  # type: ignore[arg-type]
    with again:
        assert requests.get(again.url + "/x", timeout=5).status_code == 200


def test_serve_yields_a_started_server_and_stops_it(stub: StubApp) -> None:
    with serve(stub) as server:  # type: ignore[arg-type]
        running_inside = server.is_running
        url = server.url
        assert requests.get(url + "/x", timeout=5).status_code == 200
    assert running_inside
    assert not server.is_running
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/x", timeout=5)


def test_url_before_start_and_double_start_are_errors(stub: StubApp) -> None:
    server = FakeServer(stub)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    assert "stopped" in repr(server)
    with server, pytest.raises(RuntimeError, match="already started"):
        server.start()
    server.stop()  # idempotent


def test_ipv6_loopback_is_supported(stub: StubApp) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = FakeServer(stub, host="::1")  # type: ignore[arg-type]
        server.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert server.url == f"http://[::1]:{server.port}"
        assert requests.get(server.url + "/x", timeout=5).status_code == 200
    finally:
        server.stop()


def test_one_log_line_per_request(
    server: FakeServer, stub: StubApp, caplog: pytest.LogCaptureFixture
) -> None:
    stub.answer = lambda request: FakeResponse(
        status=201, headers=JSON, body=b"{}", operation="createWorkflow"
    )
    with caplog.at_level(logging.INFO, logger="fakeserver"):
        requests.post(server.url + "/workflows?x=1", data=b"{}", timeout=5)
    lines = [record.getMessage() for record in caplog.records if record.name == "fakeserver"]
    assert len(lines) == 1
    assert '"POST /workflows?x=1 HTTP/1.1" 201 2B' in lines[0]
    assert lines[0].endswith("createWorkflow")


def test_quiet_by_default(server: FakeServer, capfd: pytest.CaptureFixture[str]) -> None:
    requests.get(server.url + "/x", timeout=5)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""
