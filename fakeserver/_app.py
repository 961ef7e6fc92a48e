"""``FakeApp``: the one entry point every transport calls, around the engine and the route table.

For each request, in this order:

1. the ``/api/orchestration`` prefix is stripped when present (the API is served with and without it);
2. ``/_fake/...`` goes to the control API (not recorded, no faults); with auth on it needs the same
   bearer token as the API, else 401 ``FAKE_UNAUTHORIZED``;
3. the token endpoint ``/api/auth/oauth/token`` goes to the :class:`TokenAuthority` (404 page when
   auth is off);
4. with auth on, a call without a valid bearer token gets 401 with an empty body (the gateway's answer);
5. a fault armed for the call's operation is taken: its delay is slept (real seconds), then it
   answers its status or drops the connection; a delay-only fault lets the call go on;
6. the route table answers (:func:`fakeserver._routes.dispatch`).

Every call but the control calls is recorded in :attr:`FakeApp.calls`, with the fault it got (a
:class:`~fakeserver._calls.CallLog`: the newest 10,000 calls within 64 MiB unless told otherwise).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import attrs

from fakeserver._auth import TOKEN_PATH, TokenAuthority
from fakeserver._calls import DEFAULT_MAX_CALL_BYTES, DEFAULT_MAX_CALLS, CallLog, RecordedCall
from fakeserver._clock import Clock
from fakeserver._control import CONTROL_PREFIX, control_unauthorized, handle_control
from fakeserver._engine import Engine
from fakeserver._faults import Fault, FaultPlan
from fakeserver._ledger import Bank
from fakeserver._routes import dispatch, not_found_page, operation_for
from fakeserver._stack_versions import stack_version as stack_row
from fakeserver._types import FakeRequest, FakeResponse
from fakeserver._wait_hint import skip_for_waiter

__all__ = ["DEFAULT_PREFIX", "AppHandles", "FakeApp", "RecordedCall", "check_stack_version"]

#: Where the stack's gateway serves the Orchestration API.
DEFAULT_PREFIX = "/api/orchestration"

_CONTROL_END = len(CONTROL_PREFIX)
#: Real seconds ``AppHandles.sleep`` pauses before moving a virtual clock (lets other threads run).
_REAL_PAUSE = 0.01


def check_stack_version(
    engine: Engine, stack_version: str | None, openapi_shapes: bool | None = None
) -> None:
    """Refuse a ``stack_version=`` (or ``openapi_shapes=``) given beside an engine (or app) that
    speaks otherwise.

    :raises UnknownStackVersion: for a name not in ``fakeserver.STACK_VERSIONS``.
    :raises ValueError: when the engine speaks another version, or in the other shapes.
    """
    if stack_version is not None and stack_row(stack_version).name != engine.stack_version:
        raise ValueError(
            f"stack_version={stack_version!r}, but the given engine speaks {engine.stack_version!r}: "
            "give the version to whatever makes the engine"
        )
    if openapi_shapes is not None and openapi_shapes != engine.openapi_shapes:
        raise ValueError(
            f"openapi_shapes={openapi_shapes!r}, but the given engine has {engine.openapi_shapes!r}: "
            "give it to whatever makes the engine"
        )


class FakeApp:
    """The fake service: routes requests to an :class:`Engine` (thread-safe; share one per fake).

    :param engine: the engine (default: a fresh ``Engine()`` on a ``ManualClock``).
    :param auth: check bearer tokens and serve the token endpoint (default: no auth).
    :param prefix: the gateway prefix stripped from paths that have it.
    :param stack_version: the stack version the default engine speaks (a name from
        ``fakeserver.STACK_VERSIONS``; default: the latest). With ``engine``, it must be the engine's.
    :param openapi_shapes: answer stage-history payloads in the shape the OpenAPI document and the
        official SDKs declare instead of the service's (default: the service's). With ``engine``, it
        must be the engine's.
    :param max_calls: the most calls :attr:`calls` keeps (the newest; default 10,000).
    :param max_call_bytes: the most bytes of calls it keeps, bodies included (default 64 MiB).
    """

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        auth: TokenAuthority | None = None,
        prefix: str = DEFAULT_PREFIX,
        stack_version: str | None = None,
        openapi_shapes: bool | None = None,
        max_calls: int = DEFAULT_MAX_CALLS,
        max_call_bytes: int = DEFAULT_MAX_CALL_BYTES,
    ) -> None:
        if engine is None:
            engine = Engine(stack_version=stack_version, openapi_shapes=bool(openapi_shapes))
        else:
            check_stack_version(engine, stack_version, openapi_shapes)
        self.engine: Engine = engine
        self.auth: TokenAuthority | None = auth
        self.prefix = prefix.rstrip("/")
        self.faults = FaultPlan()
        self.calls: CallLog = CallLog(max_calls, max_call_bytes)

    def service_path(self, path: str) -> str:
        """``path`` without the gateway prefix (unchanged when it does not start with it).

        :param path: a percent-decoded request path.
        """
        prefix = self.prefix
        if prefix and path.startswith(prefix):
            rest = path[len(prefix) :]
            if not rest:
                return "/"
            if rest[0] == "/":
                return rest
        return path

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request; the single entry point of every transport.

        :param request: the request, path with or without the prefix.
        """
        path = self.service_path(request.path)
        if path.startswith(CONTROL_PREFIX) and path[_CONTROL_END : _CONTROL_END + 1] in ("", "/"):
            if self.auth is not None and not self.auth.is_authorized(request.headers.get("authorization")):
                return control_unauthorized()
            return handle_control(self, request, path)
        fault: Fault | None = None
        response: FakeResponse | None
        if request.path == TOKEN_PATH:
            operation = None
            response = not_found_page() if self.auth is None else self.auth.issue(request)
        elif self.auth is not None and not self.auth.is_authorized(request.headers.get("authorization")):
            operation = operation_for(request.method, path, self.engine.stack)
            response = FakeResponse(status=401, operation=operation)
        else:
            operation = operation_for(request.method, path, self.engine.stack)
            response = None
            if operation is not None:
                fault = self.faults.take(operation)
                if fault is not None:
                    if fault.delay > 0:
                        time.sleep(fault.delay)
                    faulty = fault.to_response()
                    if faulty is not None:
                        response = attrs.evolve(faulty, operation=operation)
        if response is None:
            hint = skip_for_waiter(self.engine, request, path) if operation == "getInstance" else None
            response = dispatch(self.engine, request, path=path)
            if hint:
                response = attrs.evolve(response, headers={**response.headers, **hint})
        self._record(request, response, operation, fault)
        return response

    def _record(
        self, request: FakeRequest, response: FakeResponse, operation: str | None, fault: Fault | None
    ) -> None:
        call = RecordedCall(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            response.status,
            operation,
            fault,
            response.body,
        )
        self.calls.append(call)

    @property
    def stack_version(self) -> str:
        """The stack version the fake speaks (one of ``fakeserver.STACK_VERSIONS``)."""
        return self.engine.stack_version

    def reset(self, *, stack_version: str | None = None, openapi_shapes: bool | None = None) -> None:
        """Forget everything: the engine's state (``Engine.reset``), recorded calls, faults, tokens.

        :param stack_version: speak this stack version from now on (default: keep the current one).
        :param openapi_shapes: answer in the OpenAPI/SDK shapes from now on, or not (default: keep).
        :raises UnknownStackVersion: for a name not in ``fakeserver.STACK_VERSIONS`` (nothing reset).
        """
        self.engine.reset(stack_version=stack_version, openapi_shapes=openapi_shapes)
        self.faults.clear()
        if self.auth is not None:
            self.auth.reset()
        self.calls.clear()


class AppHandles:
    """What every transport (``FakeOrchestration``, ``FakeServer``) exposes of the ``FakeApp`` behind it."""

    app: FakeApp

    @property
    def engine(self) -> Engine:
        """The engine behind the fake."""
        return self.app.engine

    @property
    def clock(self) -> Clock:
        """The engine's clock."""
        return self.app.engine.clock

    @property
    def bank(self) -> Bank:
        """The simulated ledger, wallets and payments (seed it before running send stages)."""
        return self.app.engine.bank

    @property
    def faults(self) -> FaultPlan:
        """The fault plan: ``fake.faults.add("getInstance", status=503)``."""
        return self.app.faults

    @property
    def calls(self) -> CallLog:
        """The API calls answered so far, oldest first (the newest within the app's bounds)."""
        return self.app.calls

    def advance(self, delta: float | timedelta) -> datetime:
        """Move the virtual clock forward by ``delta`` (seconds or timedelta) and run what fell due."""
        return self.app.engine.advance(delta)

    def waiting_event(self, instance_id: str) -> str | None:
        """The event the instance's current ``wait_event`` stage waits for (``None`` if none)."""
        return self.app.engine.waiting_event(instance_id)

    @property
    def stack_version(self) -> str:
        """The stack version the fake speaks (one of ``fakeserver.STACK_VERSIONS``)."""
        return self.app.engine.stack_version

    def reset(self, *, stack_version: str | None = None, openapi_shapes: bool | None = None) -> None:
        """Forget workflows, instances, bank state, recorded calls, faults and issued tokens.

        :param stack_version: speak this stack version from now on (default: keep the current one).
        :param openapi_shapes: answer in the OpenAPI/SDK shapes from now on, or not (default: keep).
        """
        self.app.reset(stack_version=stack_version, openapi_shapes=openapi_shapes)

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on the fake's clock: a virtual clock is advanced (after a short real
        pause, so that other threads run), the wall clock is slept on.

        Give it to a client as ``OrchestrationClient(..., sleep=fake.sleep, monotonic=fake.monotonic)``
        and ``wait_for_instance`` and retry back-offs take virtual time, like ``wait=true`` runs do.
        """
        if not self.app.engine.clock.virtual:
            time.sleep(seconds)
            return
        time.sleep(min(seconds, _REAL_PAUSE))
        if seconds > 0:
            self.app.engine.advance(seconds)

    def monotonic(self) -> float:
        """The fake's clock as seconds since the epoch (the ``monotonic=`` companion of :meth:`sleep`)."""
        return self.app.engine.clock.now().timestamp()
