"""The waiting client's hint: how a client polling an instance skips the fake's virtual time.

A client waiting for an instance to end (``OrchestrationClient.wait_for_instance``) sends each poll
(``GET /instances/{id}``) with ``X-Orchestration-Wait: <seconds it will still wait>`` (or ``none``).
The real service ignores the header. The fake, on a virtual clock, moves its clock to the instance's
next timer when that falls within those seconds (the client would have waited that long anyway), and
answers with ``X-Fake-Clock`` (the fake's time, epoch seconds) and ``X-Fake-Skipped`` (the seconds
this poll moved it). The client counts that time against its timeout and polls again at once instead
of sleeping, so a one-hour delay ends in one poll, whatever the poll interval and whoever built the
client.
"""

from __future__ import annotations

import math

from fakeserver._engine import Engine
from fakeserver._types import FakeRequest

__all__ = ["CLOCK_HEADER", "SKIPPED_HEADER", "WAIT_HEADER", "skip_for_waiter"]

#: Sent by a waiting client (lower case, as ``FakeRequest.headers`` holds it).
WAIT_HEADER = "x-orchestration-wait"
#: The fake's clock after the poll, in epoch seconds.
CLOCK_HEADER = "X-Fake-Clock"
#: The virtual seconds this poll skipped.
SKIPPED_HEADER = "X-Fake-Skipped"


def _within(value: str) -> float | None:
    """The seconds the client will still wait; ``None`` for no limit; ``-1`` for a value not understood."""
    text = value.strip().lower()
    if text in ("none", "inf", ""):
        return None
    try:
        seconds = float(text)
    except ValueError:
        return -1.0
    return seconds if math.isfinite(seconds) else (None if seconds > 0 else -1.0)


def skip_for_waiter(engine: Engine, request: FakeRequest, path: str) -> dict[str, str]:
    """Apply a waiting client's hint on a ``getInstance`` request; the headers to add to the answer.

    :param path: the service path, ``/instances/{id}``.
    """
    value = request.headers.get(WAIT_HEADER)
    if value is None or not engine.clock.virtual:
        return {}
    within = _within(value)
    skipped = 0.0
    if within is None or within >= 0:
        skipped = engine.skip_for_waiter(path.rsplit("/", 1)[-1], within)
    return {CLOCK_HEADER: f"{engine.clock.now().timestamp():.6f}", SKIPPED_HEADER: f"{skipped:.6f}"}
