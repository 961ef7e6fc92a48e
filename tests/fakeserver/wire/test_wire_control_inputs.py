"""Control API input bounds, with raw JSON bodies (issue 14 item 4).

Before: ``{"seconds": NaN|Infinity|1e308}`` answered 500; a fault ``delay: Infinity`` was armed (then
every ``_info`` call slept for ever), a delay of 1e9 s too; a 100,000-deep body raised
``RecursionError``; ``times: 1000000`` armed a million failures (an 87 MB answer); fault headers with
CR/LF injected headers (a ``Set-Cookie``) into answers. Each is now a 400 ``FAKE_BAD_REQUEST`` naming
the field and its bounds, and arms nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fakeserver._app import FakeApp
from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver._types import FakeRequest, FakeResponse

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def app() -> FakeApp:
    return FakeApp(Engine(clock=ManualClock(T0)))


def post(app: FakeApp, path: str, raw: bytes) -> FakeResponse:
    headers = {"content-type": "application/json", "content-length": str(len(raw))}
    return app.handle(FakeRequest(method="POST", path=path, headers=headers, body=raw))


def nothing_changed(app: FakeApp) -> None:
    state = json.loads(app.handle(FakeRequest(method="GET", path="/_fake/state")).body)["data"]
    assert state["faults"] == [] and state["activityFailures"] == []
    assert state["clock"]["now"] == "2024-01-01T00:00:00Z"


CASES = [
    ("/_fake/clock/advance", b'{"seconds": NaN}', ["field 'seconds'", "between 0 and", "NaN"]),
    ("/_fake/clock/advance", b'{"seconds": Infinity}', ["field 'seconds'", "between 0 and", "Infinity"]),
    ("/_fake/clock/advance", b'{"seconds": -Infinity}', ["field 'seconds'", "between 0 and"]),
    ("/_fake/clock/advance", b'{"seconds": 1e308}', ["field 'seconds'", "9700-01-01T00:00:00Z", "1e+308"]),
    ("/_fake/clock/advance", b'{"seconds": 1e400}', ["field 'seconds'", "between 0 and"]),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "delay": Infinity}',
        ["field 'delay'", "between 0 and 300", "Infinity"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "delay": 1e9}',
        ["field 'delay'", "between 0 and 300"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "delay": NaN}',
        ["field 'delay'", "between 0 and 300"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "status": 200, "headers": {"X-A": "1\\r\\nSet-Cookie: s=1"}}',
        ["headers", "'X-A'", "without CR, LF"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "status": 200, "headers": {"X-A\\r\\nSet-Cookie": "1"}}',
        ["headers", "is not a header name"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "status": 200, "contentType": "text/plain\\nX-B: 1"}',
        ["contentType", "without CR, LF"],
    ),
    (
        "/_fake/faults",
        b'{"operation": "getServerInfo", "status": 200, "body": {"a": [1, NaN]}}',
        ["field 'body.a[1]' must be a finite number"],
    ),
    (
        "/_fake/activity-failures",
        b'{"activity": "CreateTransaction", "message": "m", "times": 1000000}',
        ["field 'times'", "between 1 and 1000", "1000000"],
    ),
    (
        "/_fake/activity-failures",
        b'{"activity": "CreateTransaction", "message": "m", "times": 0}',
        ["field 'times'", "between 1 and 1000"],
    ),
]


@pytest.mark.parametrize(("path", "raw", "phrases"), CASES)
def test_out_of_bounds_input_is_a_400_naming_the_field_and_arms_nothing(
    app: FakeApp, path: str, raw: bytes, phrases: list[str]
) -> None:
    answer = post(app, path, raw)
    assert answer.status == 400, answer.body
    assert answer.headers["content-type"] == "application/json"
    payload = json.loads(answer.body)
    assert payload["errorCode"] == "FAKE_BAD_REQUEST"
    for phrase in phrases:
        assert phrase in payload["errorMessage"], payload["errorMessage"]
    nothing_changed(app)


@pytest.mark.parametrize(
    "path",
    [
        "/_fake/clock/advance",
        "/_fake/faults",
        "/_fake/activity-failures",
        "/_fake/reset",
        "/_fake/wallets",
        "/_fake/payments",
        "/api/orchestration/_fake/ledgers/default/accounts/a",
    ],
)
def test_a_deeply_nested_body_is_a_400_on_every_control_post(app: FakeApp, path: str) -> None:
    raw = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = post(app, path, raw)
    assert answer.status == 400
    payload = json.loads(answer.body)
    assert payload["errorCode"] == "FAKE_BAD_REQUEST"
    assert "nests 100001 levels deep; a control body nests at most 32" in payload["errorMessage"]
    brackets_in_strings = json.dumps({"name": "[" * 1000 + "{{{"}).encode()
    assert post(app, "/_fake/wallets", brackets_in_strings).status == 201  # strings do not count
    nothing_changed(app)


def test_the_pending_activity_failures_are_bounded(app: FakeApp) -> None:
    raw = b'{"activity": "CreateTransaction", "message": "m", "times": 1000}'
    for _ in range(10):
        assert post(app, "/_fake/activity-failures", raw).status == 201
    refused = post(app, "/_fake/activity-failures", raw)
    assert refused.status == 400
    assert (
        "at most 10000 injected activity failures may be pending" in json.loads(refused.body)["errorMessage"]
    )
    assert len(app.engine.pending_activity_failures()) == 10_000


def test_a_fault_header_with_a_line_break_is_never_sent(app: FakeApp) -> None:
    raw = b'{"operation": "getServerInfo", "status": 200, "headers": {"X-A": "1\\r\\nSet-Cookie: s=1"}}'
    assert post(app, "/_fake/faults", raw).status == 400
    answer = app.handle(FakeRequest(method="GET", path="/_info"))
    assert answer.status == 200 and "set-cookie" not in {name.lower() for name in answer.headers}
