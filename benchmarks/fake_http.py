"""Area 4: the fake over real HTTP (keep-alive), against a minimal stdlib keep-alive server.

Subject: ``FakeServer`` on 127.0.0.1 answering ``getInstance``. Baseline: ``http.server`` with
HTTP/1.1 and TCP_NODELAY answering the same bytes, in the same process, started in the same run. Each
side has its own ``requests.Session`` (one kept-alive connection each; ``trust_env`` off so that no
per-call scan of the environment for proxies dilutes the ratio).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from benchmarks._harness import Result, Settings, Target, compare, result_from_pair

__all__ = ["AREA", "EXPECTED", "FixedBytesServer", "run"]

AREA = "http"
EXPECTED = ("http.get_instance",)

TARGET = 0.8


class _FixedHandler(BaseHTTPRequestHandler):
    """Answers every GET with the server's fixed bytes (HTTP/1.1 keep-alive, TCP_NODELAY)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FixedBytesServer

    def do_GET(self) -> None:
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


class FixedBytesServer(ThreadingHTTPServer):
    """The baseline: a minimal stdlib server answering ``body`` to every GET, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _FixedHandler)
        self.body = body
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="fixed-bytes-server", daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        self._thread.join(5)


def run(settings: Settings) -> list[Result]:
    """Measure getInstance over a keep-alive connection; target: >= 0.8 of the stdlib server's rate."""
    from fakeserver._app import FakeApp
    from fakeserver._clock import ManualClock
    from fakeserver._engine import Engine
    from fakeserver.server import FakeServer

    engine = Engine(clock=ManualClock())
    workflow = engine.create_workflow({"name": "three-noops", "stages": [{"noop": {}}] * 3})
    instance_id = engine.run_workflow(workflow.id).instance.id
    fake = FakeServer(FakeApp(engine))
    fake.start()
    try:
        base = fake.url.rstrip("/")
        url = (
            f"{base}/instances/{instance_id}"
            if base.endswith("/api/orchestration")
            else (f"{base}/api/orchestration/instances/{instance_id}")
        )
        fake_session = requests.Session()
        fake_session.trust_env = False
        first = fake_session.get(url)
        if first.status_code != 200:
            raise RuntimeError(f"the fake server answered {first.status_code}: {first.content[:300]!r}")
        fixed = FixedBytesServer(first.content)
        fixed.start()
        try:
            fixed_session = requests.Session()
            fixed_session.trust_env = False
            fixed_url = f"{fixed.url}/api/orchestration/instances/{instance_id}"
            if fixed_session.get(fixed_url).content != first.content:
                raise RuntimeError("the stdlib server did not answer the fake's bytes")
            pair = compare(
                lambda: fake_session.get(url).content, lambda: fixed_session.get(fixed_url).content, settings
            )
            fake_session.close()
            fixed_session.close()
        finally:
            fixed.stop()
    finally:
        fake.stop()
    return [
        result_from_pair(
            pair,
            id="http.get_instance",
            title="getInstance over keep-alive HTTP (3-stage instance)",
            subject_label="FakeServer",
            baseline_label="stdlib http.server, fixed bytes",
            ratio_label="fake/stdlib rate",
            unit="calls/s",
            target=Target(">=", TARGET),
        )
    ]
