"""Fixtures of the client tests (all HTTP goes through `responses`; nothing really sleeps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import RetryPolicy

BASE = "http://orch.test"
ROOT = BASE + "/api/orchestration"


class Sleeps(list[float]):
    """Records the seconds the client asked to sleep, without sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """The injected sleep function; a list of the requested delays."""
    return Sleeps()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """A `responses` mock; every request must be registered (unmatched ones raise ConnectionError)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


MakeClient = Callable[..., OrchestrationClient]


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[MakeClient]:
    """Build clients on BASE with the recording sleep and a jitter-free retry policy; closes them."""
    built: list[OrchestrationClient] = []

    def make(**kwargs: Any) -> OrchestrationClient:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("retry", RetryPolicy(jitter=0))
        client = OrchestrationClient(kwargs.pop("base_url", BASE), **kwargs)
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> OrchestrationClient:
    """A client on BASE with default settings (no auth), jitter-free retries and no real sleeping."""
    return make_client()
