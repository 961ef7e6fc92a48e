"""Area 8: what one clock skip costs against the number of instances retrying (issue 14 item 2).

Each engine holds K instances of a one-stage ``send`` workflow whose source account is empty: every
attempt fails with insufficient funds, and Temporal's policy retries it for ever (1 s, doubling, at
most 100 s apart). The timed call is ``Engine.advance(3600)``: one hour's skip, every retry falling
due in it. Subject: K = 10,000 (1,000 in the second row); baseline: K = 100. Target: the big store's
skip costs under 10 times the small one's. (Before the timers had their own module, the skip scanned
every timer per due retry: 0.9 ms at K = 100, 108 ms at 1,000, 463 ms at 2,000, about 12 s at 10,000.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from benchmarks._harness import Result, Settings, Target, compare, result_from_pair

if TYPE_CHECKING:
    from fakeserver._engine import Engine

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "timers"
EXPECTED = ("timers.retry_skip", "timers.retry_skip_1k")

SKIP_SECONDS = 3600
TARGET_RATIO = 10.0
FAILING_SEND: dict[str, Any] = {
    "name": "retrying-send",
    "stages": [
        {
            "send": {
                "source": {"account": {"id": "empty:source"}},
                "destination": {"account": {"id": "bank"}},
                "amount": {"asset": "EUR/2", "amount": 100},
            }
        }
    ],
}


def _retrying(count: int) -> Engine:
    """An engine with ``count`` instances retrying a send on insufficient funds."""
    from fakeserver._clock import ManualClock
    from fakeserver._engine import Engine

    engine = Engine(clock=ManualClock(datetime(2024, 1, 1, tzinfo=UTC)))
    workflow_id = engine.create_workflow(dict(FAILING_SEND)).id
    for _ in range(count):
        engine.run_workflow(workflow_id)
    engine.advance(SKIP_SECONDS)
    stats = engine.stats()
    if stats["running"] != count or stats["timers"] != count:
        raise RuntimeError(f"expected {count} retrying instances, the engine says {stats}")
    return engine


def _skip(engine: Engine) -> Callable[[], object]:
    return lambda: engine.advance(SKIP_SECONDS)


def run(settings: Settings) -> list[Result]:
    """Seed the engines and time one skip on each."""
    small_count = int(settings.pick(100, 100, 10))
    big_count, middle_count = settings.pick((10_000, 1_000), (10_000, 1_000), (200, 50))
    small = _retrying(small_count)
    results: list[Result] = []
    for id_, count in (("timers.retry_skip", big_count), ("timers.retry_skip_1k", middle_count)):
        big = _retrying(count)
        pair = compare(_skip(big), _skip(small), settings)
        results.append(
            result_from_pair(
                pair,
                id=id_,
                title=f"Engine.advance({SKIP_SECONDS}) with {count:,} vs {small_count} instances retrying",
                subject_label=f"{count:,} retrying",
                baseline_label=f"{small_count} retrying",
                ratio_label="big/small time",
                unit="us/call",
                target=Target("<", TARGET_RATIO) if id_ == "timers.retry_skip" else None,
            )
        )
        del big
    return results
