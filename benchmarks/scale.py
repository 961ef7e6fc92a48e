"""Area 5: the fake's cost against the size of its store, and its memory per finished instance.

Stores are seeded through the engine directly (``Engine.run_workflow`` on a workflow of three ``noop``
stages: each instance runs to its end inside the call, with no transport and no rendering), which is
the fast path. Calls go through ``FakeApp.handle`` (routes, engine, wire rendering; no transport).
Subject: a store of N instances; baseline: a store of 10. Target: ``getInstance`` and
``listInstances?workflowID=`` (10 instances returned in both stores) cost at most 1.2 times as much.
Memory: ``tracemalloc`` growth per finished instance of a 3-stage workflow (target under 5 KB).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from benchmarks._harness import Result, Settings, Stats, Target, compare, result_from_pair

if TYPE_CHECKING:
    from fakeserver._app import FakeApp
    from fakeserver._engine import Engine

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "scale"
EXPECTED = (
    "scale.seed_rate",
    "scale.get_instance.large",
    "scale.list_by_workflow.large",
    "scale.get_instance.huge",
    "scale.list_by_workflow.huge",
    "scale.memory_per_instance",
    "scale.memory_per_send_instance",
)

SAME_COST = 1.2
MEMORY_TARGET = 5 * 1024
THREE_NOOPS: dict[str, Any] = {"name": "three-noops", "stages": [{"noop": {}}, {"noop": {}}, {"noop": {}}]}
SEND_DELAY_NOOP: dict[str, Any] = {
    "name": "send-delay-noop",
    "stages": [
        {
            "send": {
                "amount": {"amount": 100, "asset": "USD/2"},
                "destination": {"account": {"id": "users:${user}", "ledger": "default"}},
                "source": {"account": {"id": "world", "ledger": "default"}},
            }
        },
        {"delay": {"duration": "10s"}},
        {"noop": {}},
    ],
}


class _Store:
    """An engine holding ``size`` instances: 10 of workflow ``target``, the rest of another workflow."""

    def __init__(self, size: int) -> None:
        from fakeserver._app import FakeApp
        from fakeserver._clock import ManualClock
        from fakeserver._engine import Engine

        self.engine: Engine = Engine(clock=ManualClock())
        self.app: FakeApp = FakeApp(self.engine)
        self.target = self.engine.create_workflow(dict(THREE_NOOPS)).id
        other = self.engine.create_workflow(dict(THREE_NOOPS)).id
        started = time.perf_counter()
        run = self.engine.run_workflow
        # Spread the target's 10 instances over the store (first, middle, last...).
        every = max(1, size // 10)
        self.instance_ids: list[str] = []
        for index in range(size):
            if index % every == 0 and len(self.instance_ids) < 10:
                self.instance_ids.append(run(self.target).instance.id)
            else:
                run(other)
        while len(self.instance_ids) < 10:
            self.instance_ids.append(run(self.target).instance.id)
        self.seconds = time.perf_counter() - started
        self.size = max(size, 10)

    def calls(self) -> tuple[Callable[[], object], Callable[[], object]]:
        """``getInstance`` and ``listInstances?workflowID=`` through ``FakeApp.handle``."""
        from fakeserver._types import FakeRequest

        middle = self.instance_ids[len(self.instance_ids) // 2]
        get = FakeRequest(method="GET", path=f"/api/orchestration/instances/{middle}")
        listing = FakeRequest(
            method="GET", path="/api/orchestration/instances", query=f"workflowID={self.target}"
        )
        handle = self.app.handle
        for request, expected in ((get, b'"id"'), (listing, self.instance_ids[-1].encode())):
            answer = handle(request)
            if answer.status != 200 or expected not in answer.body:
                raise RuntimeError(
                    f"{request.path}?{request.query} answered {answer.status}: {answer.body[:200]!r}"
                )
        return (lambda: handle(get)), (lambda: handle(listing))


def _memory_per_instance(workflow: dict[str, Any], count: int, variables: dict[str, str] | None) -> float:
    """Bytes ``tracemalloc`` sees the engine keep per finished instance (after up to 50 warm-up runs)."""
    from fakeserver._clock import ManualClock
    from fakeserver._engine import Engine

    gc.collect()
    tracemalloc.start()
    try:
        engine = Engine(clock=ManualClock())
        workflow_id = engine.create_workflow(workflow).id
        for _ in range(min(50, count)):
            engine.run_workflow(workflow_id, variables, wait=True)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            outcome = engine.run_workflow(workflow_id, variables, wait=True)
        del outcome
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        instance = engine.list_instances(workflow_id)[-1]
        if not instance.terminated or instance.error:
            raise RuntimeError(f"the instance did not finish cleanly: {instance!r}")
    finally:
        tracemalloc.stop()
    return (after - before) / count


def run(settings: Settings) -> list[Result]:
    """Seed the stores, compare their calls, and measure the memory per instance."""
    large, huge = settings.pick((10_000, 100_000), (2_000, 20_000), (50, 200))
    memory_count = int(settings.pick(2_000, 1_000, 20))
    results: list[Result] = []

    per_instance = _memory_per_instance(dict(THREE_NOOPS), memory_count, None)
    results.append(
        Result(
            id="scale.memory_per_instance",
            area=AREA,
            title=f"memory per finished instance, 3 noop stages (tracemalloc, {memory_count} instances)",
            unit="B",
            subject_label="engine",
            subject=Stats(per_instance, per_instance, per_instance),
            target=Target("<=", MEMORY_TARGET, metric="subject"),
        ).judge()
    )
    per_send = _memory_per_instance(SEND_DELAY_NOOP, memory_count, {"user": "001"})
    results.append(
        Result(
            id="scale.memory_per_send_instance",
            area=AREA,
            title=f"memory per finished send+delay+noop instance, bank records included ({memory_count})",
            unit="B",
            subject_label="engine + bank",
            subject=Stats(per_send, per_send, per_send),
        ).judge()
    )

    small = _Store(10)
    gc.collect()
    gc.freeze()
    try:
        stores = [_Store(large), _Store(huge)]
        gc.collect()
        gc.freeze()
        biggest = stores[-1]
        rate = biggest.size / biggest.seconds
        results.append(
            Result(
                id="scale.seed_rate",
                area=AREA,
                title=f"seeding through Engine.run_workflow (3 noop stages), {biggest.size:,} instances "
                f"in {biggest.seconds:.1f} s",
                unit="items/s",
                subject_label="Engine.run_workflow",
                subject=Stats(rate, rate, rate),
            ).judge()
        )
        small_get, small_list = small.calls()
        for label, store in zip(("large", "huge"), stores, strict=True):
            get, listing = store.calls()
            for name, subject, baseline, title in (
                ("get_instance", get, small_get, "getInstance"),
                ("list_by_workflow", listing, small_list, "listInstances?workflowID= (10 returned)"),
            ):
                pair = compare(subject, baseline, settings)
                results.append(
                    result_from_pair(
                        pair,
                        id=f"scale.{name}.{label}",
                        title=f"{title}: store of {store.size:,} vs 10",
                        subject_label=f"{store.size:,} instances",
                        baseline_label="10 instances",
                        ratio_label="big/small time",
                        unit="us/call",
                        target=Target("<=", SAME_COST),
                    )
                )
        del stores
    finally:
        gc.unfreeze()
        gc.collect()
    return results
