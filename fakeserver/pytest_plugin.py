"""pytest plugin of the Orchestration fake (loaded through the ``pytest11`` entry point).

Fixtures:

* ``orchestration_fake``: a fresh :class:`~fakeserver.responses_adapter.FakeOrchestration` per test,
  intercepting ``requests`` calls to ``http://localhost/api/orchestration...``, on a ``ManualClock``;
* ``orchestration_client``: an ``OrchestrationClient("http://localhost")`` talking to it, closed after
  the test;
* ``orchestration_server``: the fake over real HTTP (one server per session, reset per test), from
  ``fakeserver._server_fixture``.

Small fixtures feed them and can be overridden in a ``conftest.py`` (as with pytest-httpserver):
``orchestration_base_url`` (the intercepted base URL), ``orchestration_clock`` (the engine's clock),
``orchestration_stack_version`` (the Formance stack release the fakes speak) and
``orchestration_fake_app`` (the whole app, e.g. to turn auth on).

The stack version defaults to the latest (``fakeserver.DEFAULT_STACK_VERSION``); a suite pins
another with the ini option ``orchestration_stack_version = v1.0``, a run with
``pytest --orchestration-stack-version v1.0`` (which wins over the ini option), and one test or
module by overriding the ``orchestration_stack_version`` fixture. Likewise the ini option
``orchestration_openapi_shapes = true``, the flag ``--orchestration-openapi-shapes`` and the
``orchestration_openapi_shapes`` fixture make the fakes answer stage-history payloads in the shape the
official SDKs read (off by default: the service's own shapes).

The plugin is loaded in every pytest run of an environment where the package is installed, so it
imports nothing of the fake until a fixture of ours runs (``pytest -p no:fakeserver`` leaves it out
altogether).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from fakeserver._server_fixture import (
    OPENAPI_SHAPES_OPTION,
    STACK_VERSION_OPTION,
    configured_openapi_shapes,
    configured_stack_version,
    make_orchestration_server,
    orchestration_server,
    orchestration_server_app,
    orchestration_server_listen_address,
)

if TYPE_CHECKING:  # the fixtures import these when they run
    from fakeserver._app import FakeApp
    from fakeserver._clock import Clock
    from fakeserver.responses_adapter import FakeOrchestration
    from formance_orchestration._client import OrchestrationClient

#: The base URL ``orchestration_fake`` intercepts (``fakeserver.responses_adapter.DEFAULT_BASE_URL``).
_DEFAULT_BASE_URL = "http://localhost"

__all__ = [
    "configured_openapi_shapes",
    "configured_stack_version",
    "make_orchestration_server",
    "orchestration_base_url",
    "orchestration_client",
    "orchestration_clock",
    "orchestration_fake",
    "orchestration_fake_app",
    "orchestration_openapi_shapes",
    "orchestration_server",
    "orchestration_server_app",
    "orchestration_server_listen_address",
    "orchestration_stack_version",
    "pytest_addoption",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The stack version option: ``--orchestration-stack-version`` and the ini key of that name."""
    help_text = (
        "the Formance stack release the Orchestration fakes speak, a name from "
        "fakeserver.STACK_VERSIONS (default: the latest)"
    )
    parser.addini(STACK_VERSION_OPTION, help_text, default=None)
    parser.getgroup("fakeserver").addoption(
        "--orchestration-stack-version",
        dest=STACK_VERSION_OPTION,
        metavar="VERSION",
        default=None,
        help=help_text,
    )
    shapes_help = (
        "answer the Orchestration fakes' stage-history payloads in the shape the OpenAPI document and "
        "the official SDKs declare, not the one the service really sends"
    )
    parser.addini(OPENAPI_SHAPES_OPTION, shapes_help, type="bool", default=False)
    parser.getgroup("fakeserver").addoption(
        "--orchestration-openapi-shapes",
        dest=OPENAPI_SHAPES_OPTION,
        action="store_true",
        default=False,
        help=shapes_help,
    )


@pytest.fixture
def orchestration_stack_version(pytestconfig: pytest.Config) -> str:
    """The Formance stack release the fakes speak (from the options; override it to pin one)."""
    return configured_stack_version(pytestconfig)


@pytest.fixture
def orchestration_openapi_shapes(pytestconfig: pytest.Config) -> bool:
    """Whether the fakes answer stage-history payloads in the OpenAPI/SDK shape (from the options;
    override it to choose)."""
    return configured_openapi_shapes(pytestconfig)


@pytest.fixture
def orchestration_base_url() -> str:
    """The base URL ``orchestration_fake`` intercepts and ``orchestration_client`` uses."""
    return _DEFAULT_BASE_URL


@pytest.fixture
def orchestration_clock() -> Clock:
    """The clock of the fake's engine: a fresh ``ManualClock`` (tests move it with ``advance``)."""
    from fakeserver._clock import ManualClock

    return ManualClock()


@pytest.fixture
def orchestration_fake_app(
    orchestration_clock: Clock, orchestration_stack_version: str, orchestration_openapi_shapes: bool
) -> FakeApp:
    """The app behind ``orchestration_fake``: a fresh engine on ``orchestration_clock`` speaking
    ``orchestration_stack_version`` in ``orchestration_openapi_shapes``, auth off."""
    from fakeserver._app import FakeApp
    from fakeserver._engine import Engine

    engine = Engine(
        clock=orchestration_clock,
        stack_version=orchestration_stack_version,
        openapi_shapes=orchestration_openapi_shapes,
    )
    return FakeApp(engine)


@pytest.fixture
def orchestration_fake(
    orchestration_fake_app: FakeApp, orchestration_base_url: str
) -> Iterator[FakeOrchestration]:
    """A fresh Orchestration fake intercepting ``requests`` for the duration of the test.

    It refuses every other ``requests`` call: ``orchestration_fake.mock.add_passthru(prefix)`` lets
    calls to a real server through, ``orchestration_fake.mock.get(url, ...)`` mocks one. Its route is
    also in ``responses``' default mock, so a test under ``@responses.activate`` reaches the fake; a
    test's own ``responses.RequestsMock()`` needs ``orchestration_fake.register(mock)``.
    """
    import responses

    from fakeserver.responses_adapter import FakeOrchestration

    fake = FakeOrchestration(orchestration_fake_app, base_url=orchestration_base_url)
    # @responses.activate (or responses.start()) in the test starts the default mock over the fake's:
    # the fake's route is in it too, so Orchestration calls still reach the fake.
    route = fake.register(responses.mock)
    try:
        with fake:
            yield fake
    finally:
        if route in responses.mock.registered():
            responses.mock.remove(route)


@pytest.fixture
def orchestration_client(orchestration_fake: FakeOrchestration) -> Iterator[OrchestrationClient]:
    """An ``OrchestrationClient`` bound to ``orchestration_fake``, closed after the test.

    Its waits (``wait_for_instance`` polls, retry back-offs) take the fake's time: on the virtual
    clock they advance it instead of sleeping.
    """
    from formance_orchestration._client import OrchestrationClient

    client = OrchestrationClient(
        orchestration_fake.base_url, sleep=orchestration_fake.sleep, monotonic=orchestration_fake.monotonic
    )
    try:
        yield client
    finally:
        client.close()
