"""The bounded call log (issue 14 item 3): newest kept, count and bytes, the drops visible.

Before: every request and answer body was kept until reset (+32 KB per list call, 1.89 GB after a
7-minute fuzz run).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from fakeserver import FakeOrchestration, FakeServer, serve
from fakeserver.__main__ import build_parser, build_server
from fakeserver._app import FakeApp
from fakeserver._calls import DEFAULT_MAX_CALL_BYTES, DEFAULT_MAX_CALLS, CallLog
from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._types import FakeRequest, FakeResponse


def get(app: FakeApp, path: str, query: str = "") -> FakeResponse:
    return app.handle(FakeRequest(method="GET", path=path, query=query))


def test_the_newest_calls_are_kept_and_the_drops_counted() -> None:
    app = FakeApp(Engine(clock=ManualClock(datetime(2024, 1, 1, tzinfo=UTC))), max_calls=5)
    for number in range(8):
        assert get(app, f"/api/orchestration/instances/missing-{number}").status == 500
    answer = get(app, "/_fake/calls")
    assert answer.headers["fake-calls-dropped"] == "3"
    kept = json.loads(answer.body)["data"]
    assert [call["path"] for call in kept] == [
        f"/api/orchestration/instances/missing-{n}" for n in range(3, 8)
    ]
    stats = json.loads(get(app, "/_fake/calls/stats").body)["data"]
    assert stats["kept"] == 5 and stats["dropped"] == 3 and stats["maxCalls"] == 5
    assert stats["maxBytes"] == DEFAULT_MAX_CALL_BYTES and stats["bytes"] == app.calls.bytes > 0
    assert json.loads(get(app, "/_fake/state").body)["data"]["callLog"] == stats
    cleared = app.handle(FakeRequest(method="DELETE", path="/_fake/calls"))
    assert json.loads(cleared.body)["data"] == {"cleared": 5}
    assert json.loads(get(app, "/_fake/calls/stats").body)["data"]["dropped"] == 0


def test_the_byte_bound_drops_the_oldest_and_keeps_the_newest_however_large() -> None:
    app = FakeApp(max_call_bytes=10_000)
    name = "x" * 3000
    for _ in range(6):
        body = json.dumps({"name": name}).encode()
        request = FakeRequest(
            method="POST",
            path="/api/orchestration/workflows",
            headers={"content-type": "application/json", "content-length": str(len(body))},
            body=body,
        )
        assert app.handle(request).status == 201  # each call: ~3 KB sent and ~3 KB answered
    assert len(app.calls) == 1 and app.calls.dropped == 5
    assert app.calls.bytes <= 10_000 or len(app.calls) == 1
    assert app.calls[-1].operation == "createWorkflow"
    huge = FakeApp(max_call_bytes=1000)
    assert get(huge, "/_info").status == 200
    assert len(huge.calls) == 1  # the newest is kept even past the bound


def test_every_way_of_making_a_fake_takes_the_bounds() -> None:
    assert FakeOrchestration(max_calls=2, max_call_bytes=4096).calls.max_calls == 2
    assert FakeServer(max_calls=3).calls.max_calls == 3
    with serve(max_call_bytes=5000) as server:
        assert server.calls.max_bytes == 5000
        with requests.Session() as http:
            for _ in range(3):
                http.get(server.url + "/_info", timeout=5)
            assert len(http.get(server.url + "/_fake/calls", timeout=5).json()["data"]) == 3
    args = build_parser().parse_args(["--port", "0", "--max-calls", "7", "--max-call-bytes", "9000"])
    log = build_server(args).calls
    assert (log.max_calls, log.max_bytes) == (7, 9000)
    defaults = build_server(build_parser().parse_args(["--port", "0"])).calls
    assert (defaults.max_calls, defaults.max_bytes) == (DEFAULT_MAX_CALLS, DEFAULT_MAX_CALL_BYTES)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--max-calls", "0"])
    with pytest.raises(ValueError, match="max_calls must be a positive integer"):
        CallLog(max_calls=0)


def test_the_log_reads_like_the_list_it_was() -> None:
    app = FakeApp()
    assert app.calls == [] and len(app.calls) == 0
    get(app, "/_info")
    get(app, "/_healthcheck")
    assert [call.path for call in app.calls] == ["/_info", "/_healthcheck"]
    assert app.calls[-1].path == "/_healthcheck" and app.calls[:1][0].path == "/_info"
    assert app.calls[0].json() == {"version": app.engine.version}
