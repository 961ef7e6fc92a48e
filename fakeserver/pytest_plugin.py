"""pytest plugin of the Orchestration fake (loaded through the ``pytest11`` entry point).

Fixtures:

* ``orchestration_fake``: a fresh :class:`~fakeserver.responses_adapter.FakeOrchestration` per test,
  intercepting ``requests`` calls to ``http://localhost/api/orchestration...``, on a ``ManualClock``;
* ``orchestration_client``: an ``OrchestrationClient("http://localhost")`` talking to it, closed after
  the test;
* ``orchestration_server``: the fake over real HTTP (one server per session, reset per test), from
  ``fakeserver._server_fixture``.

Small fixtures feed them and can be overridden in a ``conftest.py`` (as with pytest-httpserver):
``orchestration_base_url`` (the intercepted base URL), ``orchestration_clock`` (the engine's clock)
and ``orchestration_fake_app`` (the whole app, e.g. to turn auth on).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from fakeserver._app import FakeApp
from fakeserver._clock import Clock, ManualClock
from fakeserver._engine import Engine
from fakeserver._server_fixture import (
    make_orchestration_server,
    orchestration_server,
    orchestration_server_app,
    orchestration_server_listen_address,
)
from fakeserver.responses_adapter import DEFAULT_BASE_URL, FakeOrchestration

if TYPE_CHECKING:
    from formance_orchestration._client import OrchestrationClient

__all__ = [
    "make_orchestration_server",
    "orchestration_base_url",
    "orchestration_client",
    "orchestration_clock",
    "orchestration_fake",
    "orchestration_fake_app",
    "orchestration_server",
    "orchestration_server_app",
    "orchestration_server_listen_address",
]


@pytest.fixture
def orchestration_base_url() -> str:
    """The base URL ``orchestration_fake`` intercepts and ``orchestration_client`` uses."""
    return DEFAULT_BASE_URL


@pytest.fixture
def orchestration_clock() -> Clock:
    """The clock of the fake's engine: a fresh ``ManualClock`` (tests move it with ``advance``)."""
    return ManualClock()


@pytest.fixture
def orchestration_fake_app(orchestration_clock: Clock) -> FakeApp:
    """The app behind ``orchestration_fake``: a fresh engine on ``orchestration_clock``, auth off."""
    return FakeApp(Engine(clock=orchestration_clock))


@pytest.fixture
def orchestration_fake(
    orchestration_fake_app: FakeApp, orchestration_base_url: str
) -> Iterator[FakeOrchestration]:
    """A fresh Orchestration fake intercepting ``requests`` for the duration of the test."""
    with FakeOrchestration(orchestration_fake_app, base_url=orchestration_base_url) as fake:
        yield fake


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
