"""Area 2: the client's decode step alone, against ``json.loads`` of the same bytes.

Subject: ``Transport.decode`` on a ready ``requests.Response`` (whatever the client does between
the received bytes and the typed models: parsing, the collector pause, structuring). Baseline:
``json.loads(bytes)``, what every caller pays anyway. Both with the cyclic collector on, as in a
user's program. Rates are typed top-level items per second; the ratio is decode time over
``json.loads`` time (no target: the full-call targets are area 1's).

``decode.memory_workflows``: the peak of traced memory (``tracemalloc``) while decoding the
1,000-workflow body, against the peak of ``json.loads`` of it. Target: no more than ``json.loads``.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import requests

from benchmarks._harness import Result, Settings, Stats, Target, compare, result_from_pair
from benchmarks.client_overhead import bodies_for

__all__ = ["AREA", "EXPECTED", "peak_bytes", "run"]

AREA = "decode"
EXPECTED = (
    "decode.instance",
    "decode.workflows",
    "decode.stage_history",
    "decode.instances",
    "decode.memory_workflows",
)


def _response(content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = content
    response.headers["Content-Type"] = "application/json"
    return response


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak traced memory, in bytes, while ``fn`` runs (what it returns is dropped afterwards)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak


def run(settings: Settings) -> list[Result]:
    """Time the decode step on the four bodies of area 1, and its peak memory on the workflows."""
    from formance_orchestration._config import DEFAULT_TIMEOUT
    from formance_orchestration._http import Transport
    from formance_orchestration.models import (
        GetWorkflowInstanceHistoryStageResponse,
        GetWorkflowInstanceResponse,
        ListRunsResponse,
        ListWorkflowsResponse,
    )

    transport = Transport(timeout=DEFAULT_TIMEOUT, retry=None, user_agent="bench")
    bodies = bodies_for(settings)
    cases: list[tuple[str, str, bytes, type[Any], int]] = [
        (
            "decode.instance",
            "GetWorkflowInstanceResponse: 1 instance",
            bodies.instance_bytes,
            GetWorkflowInstanceResponse,
            1,
        ),
        (
            "decode.workflows",
            f"ListWorkflowsResponse: {len(bodies.workflows['data'])} workflows",
            bodies.workflows_bytes,
            ListWorkflowsResponse,
            len(bodies.workflows["data"]),
        ),
        (
            "decode.stage_history",
            f"GetWorkflowInstanceHistoryStageResponse: {len(bodies.stage_history['data'])} activities",
            bodies.stage_history_bytes,
            GetWorkflowInstanceHistoryStageResponse,
            len(bodies.stage_history["data"]),
        ),
        (
            "decode.instances",
            f"ListRunsResponse: {len(bodies.instances['data'])} instances",
            bodies.instances_bytes,
            ListRunsResponse,
            len(bodies.instances["data"]),
        ),
    ]
    results = []
    for id_, title, raw, cls, items in cases:
        response = _response(raw)

        def typed(response: requests.Response = response, cls: type[Any] = cls) -> object:
            return transport.decode("bench", response, cls)

        def loads(raw: bytes = raw) -> object:
            return json.loads(raw)

        decoded = typed()
        if not isinstance(decoded, cls):
            raise RuntimeError(f"decode() returned {type(decoded).__name__}, not {cls.__name__}")
        pair = compare(typed, loads, settings, collector=True)
        results.append(
            result_from_pair(
                pair,
                id=id_,
                title=title,
                subject_label="Transport.decode",
                baseline_label="json.loads(bytes)",
                ratio_label="decode/loads time",
                unit="items/s",
                per_call=items,
                ratio_of="time",
            )
        )
    results.append(_memory(settings, transport, bodies.workflows_bytes, ListWorkflowsResponse))
    return results


def _memory(settings: Settings, transport: Any, raw: bytes, cls: type[Any]) -> Result:
    response = _response(raw)
    rounds = int(settings.pick(3, 3, 1))
    ours = [peak_bytes(lambda: transport.decode("bench", response, cls)) for _ in range(rounds)]
    theirs = [peak_bytes(lambda: json.loads(raw)) for _ in range(rounds)]
    return Result(
        id="decode.memory_workflows",
        area=AREA,
        title=f"peak traced memory decoding the {len(raw):,}-byte workflows body",
        unit="B",
        subject_label="Transport.decode",
        subject=Stats.of([float(value) for value in ours]),
        baseline_label="json.loads(bytes)",
        baseline=Stats.of([float(value) for value in theirs]),
        ratio_label="decode/loads peak",
        ratio=Stats.of([o / t for o, t in zip(ours, theirs, strict=True)]),
        target=Target("<=", 1.0),
    ).judge()
