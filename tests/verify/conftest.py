"""Helpers of the verify tests: a rewriting HTTP proxy on 127.0.0.1, and a CLI runner."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from formance_orchestration.cli import run

#: ``rewrite(method, path, status, content_type, body)`` -> the answer the proxy gives instead.
Rewrite = Callable[[str, str, int, str, bytes], tuple[int, str, bytes]]


@contextmanager
def rewriting_proxy(backend: str, rewrite: Rewrite) -> Iterator[str]:
    """Serve ``backend``'s answers, passed through ``rewrite``, on a free 127.0.0.1 port; yield its URL."""
    session = requests.Session()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # one write per answer (no delayed-ACK stall between headers and body)

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = session.request(self.command, backend + self.path, data=body, headers=headers)
            status, content_type, content = rewrite(
                self.command,
                self.path,
                answer.status_code,
                answer.headers.get("Content-Type", ""),
                answer.content,
            )
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        session.close()


@pytest.fixture
def proxy() -> Callable[[str, Rewrite], AbstractContextManager[str]]:
    """``with proxy(backend_url, rewrite) as url:`` a rewriting proxy in front of ``backend_url``."""
    return rewriting_proxy


class TtyStream(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the command line with a clean environment (plus ``env``); ``tty=True`` makes stderr a terminal."""

    def invoke(*argv: str, env: dict[str, str] | None = None, tty: bool = False) -> Result:
        out = io.StringIO()
        err: io.StringIO = TtyStream() if tty else io.StringIO()
        code = run(list(argv), stdout=out, stderr=err, environ=dict(env or {}))
        return Result(code, out.getvalue(), err.getvalue())

    return invoke
