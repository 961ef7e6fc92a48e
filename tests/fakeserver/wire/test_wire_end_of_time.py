"""Timers near the end of time, at the wire (raw JSON through ``FakeApp.handle``; issue 14 item 1).

Before: ``clock/set`` to 9999-12-31T22:00:00Z then a 5h delay answered 500 (``OverflowError``) and
left a running instance behind; a ``delay.until`` in year 9999 run with ``wait=true`` moved the clock
there, and a reset kept it, so every later delay of the session failed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakeserver._app import FakeApp
from fakeserver._clock import CLOCK_END, ManualClock
from fakeserver._duration import MAX_DURATION
from fakeserver._engine import Engine
from fakeserver._types import FakeRequest, FakeResponse

T0 = datetime(2024, 1, 1, tzinfo=UTC)
END_TEXT = "9700-01-01T00:00:00Z"


def make_app(start: datetime = T0) -> FakeApp:
    return FakeApp(Engine(clock=ManualClock(start), wait_timeout=0.2))


def call(app: FakeApp, method: str, path: str, body: Any = None, query: str = "") -> FakeResponse:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json", "content-length": str(len(raw))}
    return app.handle(FakeRequest(method=method, path=path, query=query, headers=headers, body=raw))


def data(response: FakeResponse, status: int = 200) -> Any:
    assert response.status == status, response.body
    return json.loads(response.body)["data"]


def bad(response: FakeResponse) -> str:
    assert response.status == 400, response.body
    payload = json.loads(response.body)
    assert payload["errorCode"] == "FAKE_BAD_REQUEST"
    message: str = payload["errorMessage"]
    return message


def create(app: FakeApp, *stages: dict[str, Any]) -> str:
    created = data(call(app, "POST", "/api/orchestration/workflows", {"stages": list(stages)}), 201)
    workflow_id: str = created["id"]
    return workflow_id


def run(app: FakeApp, workflow_id: str, *, wait: bool = False) -> FakeResponse:
    path = f"/api/orchestration/workflows/{workflow_id}/instances"
    return call(app, "POST", path, {}, query="wait=true" if wait else "")


def now(app: FakeApp) -> str:
    clock: str = data(call(app, "GET", "/_fake/clock"))["now"]
    return clock


def test_the_clock_cannot_be_set_past_its_end_and_nothing_moves() -> None:
    app = make_app()
    message = bad(call(app, "POST", "/_fake/clock/set", {"now": "9999-12-31T22:00:00Z"}))
    assert "field 'now' must be between 2024-01-01T00:00:00Z and " + END_TEXT in message
    assert now(app) == "2024-01-01T00:00:00Z"
    room = (CLOCK_END - T0).total_seconds()
    message = bad(call(app, "POST", "/_fake/clock/advance", {"seconds": room + 1}))
    assert f"field 'seconds' must be a finite number between 0 and {room:g}" in message
    assert END_TEXT in message
    assert now(app) == "2024-01-01T00:00:00Z"


def test_a_delay_at_the_end_of_the_clock_waits_and_leaves_the_session_usable() -> None:
    app = make_app()
    assert data(call(app, "POST", "/_fake/clock/set", {"now": END_TEXT}))["now"] == END_TEXT
    workflow_id = create(app, {"delay": {"duration": "5h"}})
    created = data(run(app, workflow_id), 201)  # was: 500 with an empty body
    waiting = data(call(app, "GET", f"/_fake/instances/{created['id']}/waiting"))
    assert waiting["nextDue"] == "9700-01-01T05:00:00Z"
    timed_out = run(app, workflow_id, wait=True)
    assert timed_out.status == 504
    assert "past the virtual clock's end" in json.loads(timed_out.body)["errorMessage"]
    listed = data(call(app, "GET", "/api/orchestration/instances"))
    assert (listed[0]["id"], listed[0]["terminated"]) == (created["id"], False)
    # the reset puts the clock back where it started: the next test's delays run
    data(call(app, "POST", "/_fake/reset"))
    assert now(app) == "2024-01-01T00:00:00Z"
    done = data(run(app, create(app, {"delay": {"duration": "5h"}}), wait=True), 201)
    assert done["terminated"] is True and done["terminatedAt"] == "2024-01-01T05:00:00Z"


def test_a_delay_until_the_last_second_waits_as_long_as_go_can_sleep() -> None:
    # the service sleeps time.Until(until): Go saturates it at the longest Duration (~292 years)
    app = make_app()
    workflow_id = create(app, {"delay": {"until": "9999-12-31T23:59:59Z"}})
    done = data(run(app, workflow_id, wait=True), 201)
    assert done["terminated"] is True and done.get("error", "") == ""
    ended = T0 + MAX_DURATION
    assert done["terminatedAt"] == ended.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert now(app) == done["terminatedAt"]
    data(call(app, "POST", "/_fake/reset"))
    assert now(app) == "2024-01-01T00:00:00Z"
    again = data(run(app, create(app, {"delay": {"duration": "5h"}}), wait=True), 201)
    assert again["terminated"] is True and again.get("error", "") == ""


def test_a_retry_near_the_end_keeps_its_timer_across_a_clock_skip() -> None:
    start = CLOCK_END - timedelta(hours=2)
    app = make_app(start)
    send = {
        "send": {
            "source": {"account": {"id": "empty:a"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"asset": "EUR/2", "amount": 100},
        }
    }
    instance_id = data(run(app, create(app, send)), 201)["id"]
    data(call(app, "POST", "/_fake/clock/advance", {"seconds": 3599}))
    path = f"/api/orchestration/instances/{instance_id}/stages/0/history"
    (pending,) = data(call(app, "GET", path))
    assert pending["terminated"] is False and pending["lastFailure"] == "account had insufficient funds"
    # attempts at 0, 1, 3, 7, 15, 31, 63, 127 s, then every 100 s: attempt 43 at 3627 s is next
    assert pending["attempt"] == 43
    assert pending["nextExecution"] == "9699-12-31T23:00:27Z"
    waiting = data(call(app, "GET", f"/_fake/instances/{instance_id}/waiting"))
    assert waiting["nextDue"] == pending["nextExecution"]
    fund = {"asset": "EUR/2", "amount": 100}
    data(call(app, "POST", "/_fake/ledgers/default/accounts/empty:a/fund", fund), 201)
    data(call(app, "POST", "/_fake/clock/advance", {"seconds": 28}))
    got = data(call(app, "GET", f"/api/orchestration/instances/{instance_id}"))
    assert got["terminated"] is True and got.get("error", "") == ""
    assert got["terminatedAt"] == "9699-12-31T23:00:27Z"


def test_a_run_that_fails_inside_the_fake_leaves_no_instance_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    workflow_id = create(app, {"noop": {}})

    def broken(*args: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(Engine, "_continue", broken)
    with pytest.raises(OverflowError):  # the HTTP server answers it 500, as chi's Recoverer does
        run(app, workflow_id)
    monkeypatch.undo()
    assert data(call(app, "GET", "/api/orchestration/instances")) == []
    assert data(call(app, "GET", "/_fake/state"))["stats"]["running"] == 0
