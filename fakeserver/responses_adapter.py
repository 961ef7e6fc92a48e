"""``FakeOrchestration``: the fake behind ``requests``, through the ``responses`` library.

One ``responses`` route, a callback on a compiled regex, catches every ``requests`` call to
``<base_url>/api/orchestration...`` (and to the token endpoint ``<base_url>/api/auth/oauth/token``)
and answers it with a :class:`~fakeserver._app.FakeApp`. Nothing goes over the network.

Use it as a context manager or a decorator; it starts its own ``responses.RequestsMock``::

    with FakeOrchestration() as fake:
        client = OrchestrationClient(fake.base_url)
        ...
        fake.advance(10)          # move the virtual clock, run what fell due
        assert fake.calls[-1].status == 201

A test that already uses a ``RequestsMock`` must not start a second one (two active mocks shadow
each other: the one started last sees every call). It adds the fake's route to its own mock instead::

    fake = FakeOrchestration()
    with responses.RequestsMock() as rsps:
        fake.register(rsps)
        rsps.get("https://example.com/other", json={})

While it is active, the fake's own mock refuses every other ``requests`` call (as any
``RequestsMock`` does), with a message naming the ways out: ``fake.mock.add_passthru(prefix)`` lets
calls to a real server through, ``fake.mock.get(url, ...)`` mocks them.

The route matches any method and never counts as an unfired expectation of
``assert_all_requests_are_fired``. Routes of the test's own that also match the fake's URLs make
``responses`` drop one of them: keep other mocks off ``/api/orchestration``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import responses

from fakeserver._app import DEFAULT_PREFIX, AppHandles, FakeApp, check_stack_version
from fakeserver._auth import TOKEN_PATH
from fakeserver._calls import DEFAULT_MAX_CALL_BYTES, DEFAULT_MAX_CALLS
from fakeserver._clock import Clock, ManualClock
from fakeserver._engine import Engine
from fakeserver._types import FakeRequest

__all__ = ["DEFAULT_BASE_URL", "FakeOrchestration"]

#: The base URL intercepted unless told otherwise (the merged spec's first server).
DEFAULT_BASE_URL = "http://localhost"

_CallbackResult = tuple[int, dict[str, str], bytes] | Exception


def _body_bytes(body: Any) -> bytes:
    """The request body as bytes: text is UTF-8 encoded, a generator (chunked upload) collected."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        return _body_bytes(body.read())
    if isinstance(body, Iterable):
        return b"".join(_body_bytes(chunk) for chunk in body)
    raise TypeError(f"fakeserver: cannot read a request body of type {type(body).__name__}")


def _normalized_base(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


class _FakeRoute(responses.CallbackResponse):
    """The fake's ``responses`` route: any method on the fake's URLs."""

    def __init__(self, pattern: re.Pattern[str], callback: Callable[[Any], _CallbackResult]) -> None:
        super().__init__(method="*", url=pattern, callback=callback, content_type=None)
        self._pattern = pattern

    def matches(self, request: requests.PreparedRequest) -> tuple[bool, str]:
        """Match on the URL only: the fake answers every method itself (405s included)."""
        # the compiled pattern directly: responses' generic check costs a slow typing isinstance
        if self._pattern.match(str(request.url)) is not None:
            return True, ""
        return False, "URL does not match"

    @property
    def call_count(self) -> int:
        """Never 0, so the route is not an unfired expectation of ``assert_all_requests_are_fired``."""
        return max(1, len(self.calls))


_REFUSED = "Connection refused by Responses"


class _FakeMock(responses.RequestsMock):
    """The ``RequestsMock`` a :class:`FakeOrchestration` starts: its refusals say how to get past them."""

    def _on_request(self, adapter: Any, request: Any, **kwargs: Any) -> Any:
        try:
            return super()._on_request(adapter, request, **kwargs)
        except requests.ConnectionError as exc:
            if not str(exc).startswith(_REFUSED):
                raise
            hint = (
                f"fakeserver: {request.method} {request.url} is not a call to the Orchestration fake, and "
                "the fake's RequestsMock refuses every other requests call while it is active. To reach a "
                "real server, let its URL through: fake.mock.add_passthru('http://127.0.0.1') (in pytest: "
                "orchestration_fake.mock.add_passthru(...)); to mock it, add a route to the same mock: "
                "fake.mock.get(url, json=...). responses said: "
            )
            raise requests.ConnectionError(hint + str(exc), request=request) from None


class FakeOrchestration(AppHandles, ContextDecorator):
    """The Orchestration fake intercepting ``requests`` (context manager and decorator).

    :param app: the fake to answer with (default: a fresh ``FakeApp`` on an ``Engine`` on ``clock``).
    :param base_url: the base URL the tests' client uses (scheme, host and port; no prefix).
    :param clock: the engine's clock when ``app`` is not given (default: a fresh ``ManualClock``).
    :param prefix: the API prefix intercepted under ``base_url``; ``""`` intercepts every path of
        ``base_url`` (for a client that talks to the service without the gateway prefix).
    :param stack_version: the stack version the fake speaks when ``app`` is not given (a name from
        ``fakeserver.STACK_VERSIONS``; default: the latest).
    :param openapi_shapes: answer stage-history payloads in the OpenAPI/SDK shape instead of the
        service's, when ``app`` is not given (see ``FakeApp``).
    :param max_calls: the most calls ``fake.calls`` keeps when ``app`` is not given (the newest).
    :param max_call_bytes: the most bytes of calls it keeps, bodies included.
    """

    def __init__(
        self,
        app: FakeApp | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        clock: Clock | None = None,
        prefix: str = DEFAULT_PREFIX,
        stack_version: str | None = None,
        openapi_shapes: bool | None = None,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_call_bytes: int = DEFAULT_MAX_CALL_BYTES,
    ) -> None:
        if app is None:
            clock = clock if clock is not None else ManualClock()
            engine = Engine(clock=clock, stack_version=stack_version, openapi_shapes=bool(openapi_shapes))
            app = FakeApp(engine, max_calls=max_calls, max_call_bytes=max_call_bytes)
        elif clock is not None and clock is not app.engine.clock:
            raise ValueError("give either an app or a clock: the app's engine already has its clock")
        elif stack_version is not None or openapi_shapes is not None:
            check_stack_version(app.engine, stack_version, openapi_shapes)
        self.app = app
        self.base_url = _normalized_base(base_url)
        self.prefix = prefix.rstrip("/")
        self.url = self.base_url + self.prefix
        self.pattern = re.compile(
            re.escape(self.base_url)
            + "(?:"
            + re.escape(self.prefix)
            + "(?:/[^?#]*)?|"
            + re.escape(TOKEN_PATH)
            + r")(?:[?#].*)?\Z",
            re.DOTALL,
        )
        self._mock: responses.RequestsMock | None = None

    # -- what tests use ------------------------------------------------------------------------------

    @property
    def mock(self) -> responses.RequestsMock | None:
        """The ``RequestsMock`` this fake started (``None`` outside ``with``), to add other routes to."""
        return self._mock

    # -- responses plumbing --------------------------------------------------------------------------

    def register(self, mock: responses.RequestsMock) -> responses.BaseResponse:
        """Add the fake's route to a ``RequestsMock`` the test already uses.

        :param mock: the test's mock (started or not).
        :returns: the route (``mock.remove(route)`` takes it out again).
        """
        route = _FakeRoute(self.pattern, self._callback)
        mock.add(route)
        return route

    def fake_request(self, prepared: requests.PreparedRequest) -> FakeRequest:
        """The :class:`FakeRequest` for a prepared ``requests`` request.

        :param prepared: what ``requests`` is about to send.
        """
        url = urlsplit(str(prepared.url))
        body = _body_bytes(prepared.body)
        prepared.body = body  # a consumed generator would leave the recorded request empty
        return FakeRequest(
            method=str(prepared.method).upper(),
            path=unquote(url.path) or "/",
            query=url.query,
            headers=dict(prepared.headers.lower_items()),
            body=body,
        )

    def _callback(self, prepared: requests.PreparedRequest) -> _CallbackResult:
        try:
            response = self.app.handle(self.fake_request(prepared))
        except Exception:  # a bug of the fake: answered as the HTTP server does (chi's Recoverer)
            logging.getLogger("fakeserver").exception(
                "fakeserver: unhandled error answering %s %s",
                prepared.method,
                urlsplit(prepared.url or "").path,
            )
            return 500, {"content-type": "application/json"}, b""
        if response.drop_connection:
            return requests.ConnectionError(
                "fakeserver: connection dropped without an answer (injected fault)", request=prepared
            )
        return response.status, dict(response.headers), response.body

    def start(self) -> None:
        """Start intercepting (what ``with`` does)."""
        if self._mock is not None:
            raise RuntimeError("this FakeOrchestration is already active")
        mock = _FakeMock(assert_all_requests_are_fired=False)
        self.register(mock)
        mock.start()
        self._mock = mock

    def stop(self) -> None:
        """Stop intercepting; the fake's state stays for inspection."""
        mock, self._mock = self._mock, None
        if mock is not None:
            mock.stop(allow_assert=False)
            mock.reset()

    def __enter__(self) -> FakeOrchestration:
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
        state = "active" if self._mock is not None else "inactive"
        return f"<FakeOrchestration {self.url} {state}, {len(self.app.calls)} calls>"
