"""What every command runs with: settings, the console, a client, and how time passes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from formance_orchestration.cli._render import Console
from formance_orchestration.cli._settings import DEFAULT_PREFIX, Settings

if TYPE_CHECKING:
    from fakeserver.responses_adapter import FakeOrchestration
    from formance_orchestration._client import OrchestrationClient

__all__ = ["MONOTONIC", "SLEEP", "Context", "make_client", "open_context", "to_wire"]

#: How waits pass time against a real server (module attributes, so tests can replace them).
SLEEP: Callable[[float], Any] = time.sleep
MONOTONIC: Callable[[], float] = time.monotonic


@dataclass
class Context:
    """The environment of one command.

    :param settings: the resolved options.
    :param console: where to print.
    :param client: the API client.
    :param stdin: what ``-`` reads.
    :param fake: the embedded fake with ``--fake`` (and in ``demo``), else ``None``.
    :param sleep: how to let time pass between two polls (the fake's virtual clock with ``--fake``).
    :param monotonic: the clock that measures waits.
    """

    settings: Settings
    console: Console
    client: OrchestrationClient
    stdin: TextIO
    fake: FakeOrchestration | None = None
    sleep: Callable[[float], Any] = field(default=time.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)


def to_wire(obj: Any) -> Any:
    """A model (or list of models) as the API's JSON: wire names, unset fields omitted."""
    from formance_orchestration._converter import unstructure

    return unstructure(obj)


def make_client(settings: Settings) -> OrchestrationClient:
    """Build the client the settings describe.

    :param settings: base URL, prefix, credentials, timeout and retries (``None``: the client's default).
    """
    from formance_orchestration._client import OrchestrationClient
    from formance_orchestration._config import RetryPolicy, Timeout

    kwargs: dict[str, Any] = {"prefix": settings.prefix}
    if settings.token is not None:
        kwargs["token"] = settings.token
    if settings.client_id is not None and settings.client_secret is not None:
        kwargs["client_id"] = settings.client_id
        kwargs["client_secret"] = settings.client_secret
        if settings.token_url is not None:
            kwargs["token_url"] = settings.token_url
    if settings.timeout is not None:
        kwargs["timeout"] = Timeout(settings.timeout)
    if settings.retries is not None:
        kwargs["retry"] = RetryPolicy(max_attempts=settings.retries + 1)
    return OrchestrationClient(settings.base_url, **kwargs)


@contextmanager
def open_context(
    settings: Settings,
    console: Console,
    stdin: TextIO,
    *,
    fake: bool | None = None,
) -> Iterator[Context]:
    """Yield a context whose client talks to the configured server, or to an embedded fake.

    With a fake, credentials are not sent (the embedded fake does not check them), waits advance the
    fake's virtual clock instead of sleeping, and everything is forgotten when the block ends.

    :param settings: the resolved options.
    :param console: where to print.
    :param stdin: what ``-`` reads.
    :param fake: use an embedded fake (default: ``settings.fake``).
    """
    use_fake = settings.fake if fake is None else fake
    if not use_fake:
        with make_client(settings) as client:
            yield Context(
                settings=settings,
                console=console,
                client=client,
                stdin=stdin,
                sleep=SLEEP,
                monotonic=MONOTONIC,
            )
        return

    from fakeserver._app import FakeApp
    from fakeserver.responses_adapter import FakeOrchestration

    app = FakeApp(prefix=settings.prefix or DEFAULT_PREFIX)  # the fake's default: the latest stack
    fake_settings = Settings(
        base_url=settings.base_url,
        prefix=settings.prefix,
        timeout=settings.timeout,
        retries=0,
        output=settings.output,
        fake=True,
    )
    orchestration = FakeOrchestration(app, base_url=settings.base_url, prefix=settings.prefix)
    with orchestration, make_client(fake_settings) as client:
        clock = orchestration.clock

        def advance(seconds: float) -> None:
            orchestration.advance(seconds)

        def now() -> float:
            return float(clock.now().timestamp())

        yield Context(
            settings=fake_settings,
            console=console,
            client=client,
            stdin=stdin,
            fake=orchestration,
            sleep=advance,
            monotonic=now,
        )
