"""The fake over real HTTP: a threaded HTTP/1.1 server around a ``FakeApp``.

:class:`FakeServer` turns each request into a :class:`~fakeserver._types.FakeRequest`, hands it to
``FakeApp.handle`` and writes the :class:`~fakeserver._types.FakeResponse` back. It serves the API
with and without the ``/api/orchestration`` prefix, the token endpoint and the ``/_fake/`` control
API (all decided by the app).

Transport properties:

* HTTP/1.1 with keep-alive; ``TCP_NODELAY`` on every accepted socket, and each answer is written in
  one ``send`` (status line, headers and body together);
* one daemon thread per connection, so a ``wait=true`` run blocked on one connection returns when
  another connection sends the event or aborts;
* ``Content-Length`` on every answer (``0`` for empty ones, 204s included), ``Content-Type`` from
  the app (``application/json`` when the app gives none);
* a fault with ``drop_connection`` closes the socket without answering;
* a handler that raises answers 500 with an empty body (as chi's ``Recoverer``) and the server goes
  on;
* one ``INFO`` line per request on the ``fakeserver`` logger (silent unless logging is configured).

The server binds ``127.0.0.1`` and a free port by default; binding an address other machines can
reach (``0.0.0.0``, a LAN address) warns (``RuntimeWarning``, printed by ``python -m fakeserver``).
The listen backlog is :data:`LISTEN_BACKLOG`, so that many test workers can connect at once. Use it
as a context manager, through :func:`serve`, or ``start()`` / ``stop()``.
"""

from __future__ import annotations

import email.utils
import http
import ipaddress
import logging
import socket
import socketserver
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from fakeserver._app import AppHandles, FakeApp, check_stack_version
from fakeserver._calls import DEFAULT_MAX_CALL_BYTES, DEFAULT_MAX_CALLS
from fakeserver._secrets import mask_target, mask_text
from fakeserver._types import FakeRequest, FakeResponse

if TYPE_CHECKING:
    from fakeserver._auth import TokenAuthority

__all__ = ["DEFAULT_HOST", "FakeServer", "serve"]

#: The address the server binds unless told otherwise.
DEFAULT_HOST = "127.0.0.1"

#: Seconds an idle keep-alive connection is kept open.
IDLE_TIMEOUT = 120.0

#: The largest request body accepted (bytes).
MAX_BODY = 64 * 1024 * 1024

#: Connections the kernel queues before ``accept`` (``listen`` backlog; the stdlib's default is 5):
#: enough for a test suite's parallel workers all connecting at once (Linux caps it at somaxconn).
LISTEN_BACKLOG = 1024

logger = logging.getLogger("fakeserver")
logger.addHandler(logging.NullHandler())

_NO_BODY_STATUSES = frozenset({204, 304})
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date", "keep-alive"})


class _BadRequest(Exception):
    """The request cannot be read (bad framing): answer 400 and close."""


class _Handler(BaseHTTPRequestHandler):
    """Reads one request at a time from a keep-alive connection and answers through the app."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _HTTPServer

    def handle_one_request(self) -> None:
        """Read, answer and log one request (every method goes to the app)."""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = ""
                self.request_version = ""
                self.command = ""
                self.send_error(http.HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._serve()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
        except OSError as exc:  # reset, broken pipe: the client went away
            logger.debug("fakeserver: connection from %s lost: %r", self.client_address[0], exc)
            self.close_connection = True

    def _serve(self) -> None:
        started = time.perf_counter()
        try:
            request = self._fake_request(self._read_body())
        except _BadRequest as exc:
            self._answer_bad_request(str(exc), started)
            return
        except ValueError as exc:  # an unparsable request target
            self._answer_bad_request(f"invalid request target: {exc}", started)
            return
        try:
            response = self.server.fake.app.handle(request)
        except Exception:
            logger.exception(
                "fakeserver: unhandled error answering %s %s", self.command, mask_target(self.path)
            )
            response = FakeResponse(status=500, headers={"content-type": "application/json"})
        if response.drop_connection:
            self.close_connection = True
            self._log(response, started, dropped=True)
            return
        self._log(response, started)  # before writing: the line exists once the client has its answer
        self._write(response)

    def _answer_bad_request(self, reason: str, started: float) -> None:
        """400 as plain text, then close (the stream may be out of step)."""
        self.close_connection = True
        response = FakeResponse(
            status=400,
            headers={"content-type": "text/plain; charset=utf-8"},
            body=f"400 Bad Request: {reason}\n".encode(),
        )
        self._log(response, started)
        self._write(response)

    def _fake_request(self, body: bytes) -> FakeRequest:
        target = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return FakeRequest(
            method=self.command.upper(),
            path=unquote(target.path or "/"),
            query=target.query,
            headers=headers,
            body=body,
        )

    def _read_body(self) -> bytes:
        transfer = self.headers.get("transfer-encoding", "").lower()
        if "chunked" in transfer:
            return self._read_chunked()
        length_header = self.headers.get("content-length")
        if length_header is None:
            return b""
        try:
            length = int(length_header.strip())
        except ValueError:
            raise _BadRequest(f"invalid Content-Length {length_header!r}") from None
        if length < 0 or length > MAX_BODY:
            raise _BadRequest(f"invalid Content-Length {length_header!r}")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequest("the body ended before Content-Length bytes")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("invalid chunk size") from None
            if size == 0:
                while self.rfile.readline(65537).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise _BadRequest("body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequest("the body ended inside a chunk")
            chunks.append(chunk)
            self.rfile.readline(65537)  # the CRLF after the chunk

    def _write(self, response: FakeResponse) -> None:
        status = response.status
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}"]
        has_type = False
        for name, value in response.headers.items():
            key = name.lower()
            if key in _HOP_HEADERS:
                continue
            has_type = has_type or key == "content-type"
            lines.append(f"{_canonical(name)}: {value}")
        if not has_type:
            lines.append("Content-Type: application/json")
        body = b"" if status in _NO_BODY_STATUSES else response.body
        lines.append(f"Content-Length: {len(body)}")
        lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if self.close_connection:
            lines.append("Connection: close")
        elif self.request_version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def _log(self, response: FakeResponse, started: float, *, dropped: bool = False) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        elapsed = (time.perf_counter() - started) * 1000.0
        outcome = "dropped" if dropped else f"{response.status} {len(response.body)}B"
        operation = f" {response.operation}" if response.operation else ""
        logger.info(
            '%s "%s %s %s" %s %.1fms%s',
            self.client_address[0],
            self.command,
            mask_target(self.path),
            self.request_version,
            outcome,
            elapsed,
            operation,
        )

    def log_message(self, format: str, *args: Any) -> None:
        """Route the stdlib's own messages (malformed requests) to the ``fakeserver`` logger."""
        logger.debug("fakeserver: %s %s", self.client_address[0], mask_text(format % args))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback interface only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposed_warning(host: str) -> str:
    """The warning printed when the fake binds an address other machines can reach."""
    return (
        f"fakeserver: listening on {host}, which other machines can reach: the fake is a test double "
        "with no real security (auth is off unless --client/--token is given; the control API can dump, "
        "reset and drive its state). Bind 127.0.0.1 unless this network is trusted."
    )


def _canonical(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


class _HTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks its open connections so ``stop`` can close them."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], fake: FakeServer) -> None:
        self.fake = fake
        self._sockets_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.connections_accepted = 0
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup of the host (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection and remember it."""
        sock, address = super().get_request()
        with self._sockets_lock:
            self._open.add(sock)
            self.connections_accepted += 1
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        """Forget and close a connection."""
        with self._sockets_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open connection (idle keep-alive readers then return)."""
        with self._sockets_lock:
            sockets = list(self._open)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log (quietly) instead of printing a traceback to stderr."""
        logger.debug("fakeserver: error on connection from %s", client_address, exc_info=True)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class FakeServer(AppHandles):
    """The fake behind a real HTTP server (threaded, HTTP/1.1 keep-alive).

    :param app: the app to serve (default: a new ``FakeApp()`` on a fresh engine with a ManualClock).
    :param host: the address to bind (default ``127.0.0.1``).
    :param port: the port to bind; ``0`` (the default) picks a free one.
    :param stack_version: the stack version the default app speaks (a name from
        ``fakeserver.STACK_VERSIONS``; default: the latest).
    :param openapi_shapes: answer stage-history payloads in the OpenAPI/SDK shape instead of the
        service's, when ``app`` is not given (see ``FakeApp``).
    :param max_calls: the most calls the default app's ``calls`` keeps (the newest).
    :param max_call_bytes: the most bytes of calls it keeps, bodies included.
    """

    def __init__(
        self,
        app: FakeApp | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        stack_version: str | None = None,
        openapi_shapes: bool | None = None,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_call_bytes: int = DEFAULT_MAX_CALL_BYTES,
    ) -> None:
        if app is None:
            app = FakeApp(
                stack_version=stack_version,
                openapi_shapes=openapi_shapes,
                max_calls=max_calls,
                max_call_bytes=max_call_bytes,
            )
        elif stack_version is not None or openapi_shapes is not None:
            check_stack_version(app.engine, stack_version, openapi_shapes)
        self.app: FakeApp = app
        self.host = host
        self._requested_port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (raises ``RuntimeError`` before ``start``)."""
        return int(self._bound().server_address[1])

    @property
    def url(self) -> str:
        """The base URL, without the API prefix: ``http://127.0.0.1:<port>``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The URL of the API through the gateway prefix: ``<url>/api/orchestration``."""
        return self.url + self.app.prefix

    # -- the fake behind it ---------------------------------------------------------------------

    @property
    def auth(self) -> TokenAuthority | None:
        """The app's token authority (``None`` when auth is off)."""
        return self.app.auth

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server accepted since it started."""
        return self._bound().connections_accepted

    # -- life cycle -----------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """``True`` between ``start`` and ``stop``."""
        return self._thread is not None and self._thread.is_alive()

    def _bound(self) -> _HTTPServer:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return self._httpd

    def bind(self) -> None:
        """Bind the listening socket now (``url`` is then known); ``start``/``serve_forever`` serve it.

        :raises OSError: when the address cannot be bound.
        """
        self._bind()

    def _bind(self) -> _HTTPServer:
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the server is already started")
            if self._httpd is None:
                server_class = _HTTPServer6 if ":" in self.host else _HTTPServer
                self._httpd = server_class((self.host, self._requested_port), self)
                if not is_loopback(self.host):
                    warnings.warn(exposed_warning(self.host), RuntimeWarning, stacklevel=3)
            return self._httpd

    def start(self) -> None:
        """Bind (unless done) and serve in a background daemon thread."""
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fakeserver-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Bind (unless done) and serve in the calling thread until interrupted; then close."""
        httpd = self._bind()
        try:
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving, close every open connection and release the port (idempotent)."""
        httpd = self._httpd
        if httpd is None:
            return
        if self._thread is not None:
            httpd.shutdown()
            self._thread.join(timeout=5.0)
            self._thread = None
        self._close()

    def _close(self) -> None:
        with self._lock:
            httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.close_connections()
            httpd.server_close()

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else f"{self.host}:{self._requested_port} (stopped)"
        return f"<FakeServer {where}>"


@contextmanager
def serve(
    app: FakeApp | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    stack_version: str | None = None,
    openapi_shapes: bool | None = None,
    max_calls: int = DEFAULT_MAX_CALLS,
    max_call_bytes: int = DEFAULT_MAX_CALL_BYTES,
) -> Iterator[FakeServer]:
    """Run a :class:`FakeServer` in a background thread for the ``with`` block; yield it (``.url``).

    ``stack_version`` picks the stack release the fake speaks, ``openapi_shapes`` the shape of its
    stage-history payloads (see ``FakeApp``), ``max_calls`` / ``max_call_bytes`` bound its call log,
    when ``app`` is not given.
    """
    server = FakeServer(
        app,
        host=host,
        port=port,
        stack_version=stack_version,
        openapi_shapes=openapi_shapes,
        max_calls=max_calls,
        max_call_bytes=max_call_bytes,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
