"""Area 1: the client's cost per call over bare ``requests``, both against the same no-op transport.

Subject: an ``OrchestrationClient`` method (request building, error mapping, decoding into typed
models). Baseline: ``session.get(url).json()`` on the very same session, so both sides pay the same
``requests`` machinery and the same stub adapter (prebuilt bytes, no socket, no ``responses``).

Both sides run with the cyclic garbage collector on, as in a user's program (the collections a call
triggers are part of its cost; the table shows each side's share of time spent in them), twice: in
this interpreter as it is, and with a million more live container objects in the process (a
long-running program's heap, which makes collections costlier); ids of the second end in ``.heap1m``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from benchmarks._bodies import Bodies
from benchmarks._harness import Result, Settings, Target, compare, live_objects, result_from_pair
from benchmarks._stub import STUB_URL, stub_session

__all__ = ["AREA", "EXPECTED", "HEAP_OBJECTS", "run"]

AREA = "client"
_CALLS = ("client.get_instance", "client.list_workflows", "client.stage_history", "client.list_instances")
EXPECTED = _CALLS + tuple(id_ + ".heap1m" for id_ in _CALLS)

_PREFIX = "/api/orchestration"
SMALL_TARGET = 1.10
LARGE_TARGET = 1.0
#: Live container objects added for the ``.heap1m`` rows (full and quick modes; fewer in smoke mode).
HEAP_OBJECTS = 1_000_000


def bodies_for(settings: Settings) -> Bodies:
    """The bodies of the mode: 1,000 workflows/instances and 50 activities (fewer in smoke mode)."""
    size = int(settings.pick(1000, 1000, 20))
    return Bodies(workflows=size, instances=size, activities=50)


def run(settings: Settings) -> list[Result]:
    """Measure the four calls on both heaps; targets: at most 1.10 (one instance) and 1.0 (large bodies)."""
    from formance_orchestration._client import OrchestrationClient

    bodies = bodies_for(settings)
    instance_id = bodies.instance["data"]["id"]
    history_id = "3d0b8f0c-7d8a-4f5e-9d51-2a1f0e6c9b77"
    paths = {
        "instance": f"{_PREFIX}/instances/{instance_id}",
        "workflows": f"{_PREFIX}/workflows",
        "history": f"{_PREFIX}/instances/{history_id}/stages/0/history",
        "instances": f"{_PREFIX}/instances",
    }
    session, adapter = stub_session(
        {
            paths["instance"]: (200, bodies.instance_bytes),
            paths["workflows"]: (200, bodies.workflows_bytes),
            paths["history"]: (200, bodies.stage_history_bytes),
            paths["instances"]: (200, bodies.instances_bytes),
        }
    )
    client = OrchestrationClient(STUB_URL, session=session)
    n_workflows = len(bodies.workflows["data"])
    n_instances = len(bodies.instances["data"])
    n_activities = len(bodies.stage_history["data"])

    cases: list[tuple[str, str, Callable[[], object], str, float, int]] = [
        (
            "client.get_instance",
            "get_instance: 1 instance, 3 status rows",
            lambda: client.get_instance(instance_id),
            paths["instance"],
            SMALL_TARGET,
            1,
        ),
        (
            "client.list_workflows",
            f"list_workflows: {n_workflows} workflows x 5 stages",
            lambda: client.list_workflows(),
            paths["workflows"],
            LARGE_TARGET,
            n_workflows,
        ),
        (
            "client.stage_history",
            f"get_instance_stage_history: {n_activities} activities",
            lambda: client.get_instance_stage_history(history_id, 0),
            paths["history"],
            LARGE_TARGET,
            n_activities,
        ),
        (
            "client.list_instances",
            f"list_instances: {n_instances} instances",
            lambda: client.list_instances(),
            paths["instances"],
            LARGE_TARGET,
            n_instances,
        ),
    ]
    results = []
    heap = int(settings.pick(HEAP_OBJECTS, HEAP_OBJECTS, 10_000))
    # With a large heap, a full collection (tens of ms) comes every few calls: longer loops, so that
    # each spans several of them and both sides of a round get their share.
    heap_settings = dataclasses.replace(settings, round_time=settings.round_time * 4)
    for suffix, live, round_settings in (("", 0, settings), (".heap1m", heap, heap_settings)):
        with live_objects(live):
            for id_, title, call, path, target, items in cases:
                url = STUB_URL + path

                def bare(url: str = url) -> object:
                    return session.get(url).json()

                _check(call, adapter_calls=lambda: adapter.calls, items=items)
                pair = compare(call, bare, round_settings, collector=True)
                results.append(
                    result_from_pair(
                        pair,
                        id=id_ + suffix,
                        title=title + (f", {live:,} more live objects" if live else ""),
                        subject_label="client method",
                        baseline_label="session.get().json()",
                        ratio_label="client/bare",
                        unit="us/call",
                        target=Target("<=", target),
                    )
                )
    return results


def _check(call: Callable[[], object], *, adapter_calls: Callable[[], int], items: int) -> None:
    """Make sure the client really went through the stub and decoded every item."""
    before = adapter_calls()
    answer = call()
    if adapter_calls() != before + 1:
        raise RuntimeError("the client did not send exactly one request through the caller's session")
    data = getattr(answer, "data", None)
    count = len(data) if isinstance(data, list) else 1
    if data is None or count != items:
        raise RuntimeError(f"the client decoded {count} items, expected {items}: {answer!r:.200}")
