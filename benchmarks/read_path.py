"""Area 1c: the client's read of a large body over a real socket, against ``requests``' own read.

Subject: ``Transport.send`` (the request and the whole body read, as every call does it). Baseline:
``session.get(url).content`` on the same keep-alive session. The server is a separate process (so
that it does not share this interpreter's lock) answering the prebuilt 1,000-workflow body from a
file. No decoding on either side: this row watches the read path only (INFO: a localhost socket on
a loaded machine is noisy).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._harness import Result, Settings, compare, result_from_pair
from benchmarks.client_overhead import bodies_for

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "read"
EXPECTED = ("read.workflows_body",)

_SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
body = open(sys.argv[1], "rb").read()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def run(settings: Settings) -> list[Result]:
    """Time both reads of the workflows body through a server process on 127.0.0.1."""
    import requests

    from formance_orchestration._config import DEFAULT_TIMEOUT
    from formance_orchestration._http import Transport

    body = bodies_for(settings).workflows_bytes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "body.json"
        path.write_bytes(body)
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{int(server.stdout.readline())}/api/orchestration/workflows"
            session = requests.Session()
            session.trust_env = False
            transport = Transport(session=session, timeout=DEFAULT_TIMEOUT, retry=None, user_agent="bench")

            def ours() -> bytes:
                return transport.send("listWorkflows", "GET", url, idempotent=True).content

            def bare() -> bytes:
                return session.get(url).content

            if ours() != body or bare() != body:
                raise RuntimeError("the server did not answer the body")
            pair = compare(ours, bare, settings)
            session.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return [
        result_from_pair(
            pair,
            id="read.workflows_body",
            title=f"read the {len(body):,}-byte workflows body over 127.0.0.1 (keep-alive)",
            subject_label="Transport.send",
            baseline_label="session.get().content",
            ratio_label="client/bare",
            unit="us/call",
        )
    ]
