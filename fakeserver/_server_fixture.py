"""The ``orchestration_server`` pytest fixture: the fake over real HTTP, one server per test session.

Laid out like pytest-httpserver's plugin: small session-scoped fixtures a test suite may override
(in its ``conftest.py``) feed a session-scoped :func:`make_orchestration_server`, and the
function-scoped :func:`orchestration_server` resets the fake before each test and hands it over.

The fixture yields the :class:`~fakeserver.server.FakeServer` itself: ``.url`` (base URL, no prefix;
pass it to ``OrchestrationClient(url)``), ``.api_url``, ``.app``, ``.engine``, ``.clock``,
``.bank``, ``.faults``, ``.calls``, ``.auth``, ``.advance(seconds)``, ``.reset()``.

Decisions:

* The engine runs on a :class:`~fakeserver._clock.ManualClock`: tests drive time
  (``orchestration_server.advance(10)`` or ``POST /_fake/clock/advance``), and a ``wait=true`` run
  skips over timers instead of sleeping. The reset between tests puts the clock back where it
  started (``ManualClock.rewind``), so a test that moved it far (to its end, even) spoils none after it.
* The engine keeps its default ``wait_timeout`` (5 real seconds): a ``wait=true`` run blocked on
  something no other thread provides answers 504 instead of hanging the test session.
* Auth is off. A suite that wants it overrides ``orchestration_server_app`` and returns
  ``FakeApp(engine, auth=TokenAuthority(engine.clock, {...}))``.
* The reset before each test forgets workflows, instances, bank state, injected activity failures,
  recorded calls, armed faults and issued tokens (``FakeServer.reset``), and switches the server to
  the test's ``orchestration_stack_version`` (so overriding that fixture works for the server too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported when a fixture runs: the plugin must cost nothing when unused
    from fakeserver._app import FakeApp
    from fakeserver.server import FakeServer

__all__ = [
    "STACK_VERSION_OPTION",
    "configured_openapi_shapes",
    "configured_stack_version",
    "make_orchestration_server",
    "orchestration_server",
    "orchestration_server_app",
    "orchestration_server_listen_address",
]


#: The ini key and option destination of the stack version (``--orchestration-stack-version``).
STACK_VERSION_OPTION = "orchestration_stack_version"


def configured_stack_version(config: pytest.Config) -> str:
    """The stack version a pytest run asks for: the command-line option, else the ini option, else
    the latest.

    :raises pytest.UsageError: for a name not in ``fakeserver.STACK_VERSIONS``.
    """
    from fakeserver._stack_versions import DEFAULT_STACK_VERSION, STACK_VERSIONS, UnknownStackVersion

    option = STACK_VERSION_OPTION
    value = config.getoption(option, default=None) or config.getini(option) or DEFAULT_STACK_VERSION
    name = str(value).strip()
    if name not in STACK_VERSIONS:
        raise pytest.UsageError(str(UnknownStackVersion(name)))
    return name


#: The ini key and option destination of the OpenAPI shapes (``--orchestration-openapi-shapes``).
OPENAPI_SHAPES_OPTION = "orchestration_openapi_shapes"


def configured_openapi_shapes(config: pytest.Config) -> bool:
    """Whether a pytest run asks for stage-history payloads in the OpenAPI/SDK shape: the
    command-line flag, else the ini option (a bool), else no."""
    return bool(
        config.getoption(OPENAPI_SHAPES_OPTION, default=False) or config.getini(OPENAPI_SHAPES_OPTION)
    )


def _listen_address() -> tuple[str, int]:
    from fakeserver.server import DEFAULT_HOST

    host = os.environ.get("FAKESERVER_HOST") or DEFAULT_HOST
    port = int(os.environ.get("FAKESERVER_PORT") or 0)
    return host, port


@pytest.fixture(scope="session")
def orchestration_server_listen_address() -> tuple[str, int]:
    """Where the session server listens: ``$FAKESERVER_HOST`` / ``$FAKESERVER_PORT`` or 127.0.0.1:0."""
    return _listen_address()


@pytest.fixture(scope="session")
def orchestration_server_app(pytestconfig: pytest.Config) -> FakeApp:
    """The app the session server serves: a fresh engine on a ManualClock speaking the configured
    stack version (and shapes), auth off (overridable)."""
    from fakeserver._app import FakeApp
    from fakeserver._clock import ManualClock
    from fakeserver._engine import Engine

    engine = Engine(
        clock=ManualClock(),
        stack_version=configured_stack_version(pytestconfig),
        openapi_shapes=configured_openapi_shapes(pytestconfig),
    )
    return FakeApp(engine)


@pytest.fixture(scope="session")
def make_orchestration_server(
    orchestration_server_app: FakeApp,
    orchestration_server_listen_address: tuple[str, int],
) -> Iterator[FakeServer]:
    """The session's server, started once and stopped at the end of the session."""
    from fakeserver.server import FakeServer

    host, port = orchestration_server_listen_address
    server = FakeServer(orchestration_server_app, host=host, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def orchestration_server(
    make_orchestration_server: FakeServer,
    orchestration_stack_version: str,
    orchestration_openapi_shapes: bool,
) -> Iterator[FakeServer]:
    """The session's server with a fresh fake for this test (reset before it, and after it),
    speaking ``orchestration_stack_version`` in ``orchestration_openapi_shapes``."""
    server = make_orchestration_server
    server.reset(stack_version=orchestration_stack_version, openapi_shapes=orchestration_openapi_shapes)
    yield server
    server.reset()
