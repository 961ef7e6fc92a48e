"""Area 2: decoding alone: ``structure(parsed, Model)`` against ``json.loads`` of the same bytes.

Rates are typed top-level items per second (instances, workflows, activities); the ratio is the
time of ``structure`` over the time of ``json.loads`` (no target: it tells what the typed layer costs
next to the parsing every caller pays anyway).
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks._harness import Result, Settings, compare, result_from_pair
from benchmarks.client_overhead import bodies_for

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "decode"
EXPECTED = ("decode.instance", "decode.workflows", "decode.stage_history", "decode.instances")


def run(settings: Settings) -> list[Result]:
    """Measure ``structure`` on the four bodies of area 1."""
    from formance_orchestration._converter import structure
    from formance_orchestration.models import (
        GetWorkflowInstanceHistoryStageResponse,
        GetWorkflowInstanceResponse,
        ListRunsResponse,
        ListWorkflowsResponse,
    )

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
        parsed = json.loads(raw)
        decoded = structure(parsed, cls)
        if not isinstance(decoded, cls):
            raise RuntimeError(f"structure() returned {type(decoded).__name__}, not {cls.__name__}")

        def typed(parsed: Any = parsed, cls: type[Any] = cls) -> object:
            return structure(parsed, cls)

        def loads(raw: bytes = raw) -> object:
            return json.loads(raw)

        pair = compare(typed, loads, settings)
        results.append(
            result_from_pair(
                pair,
                id=id_,
                title=title,
                subject_label="structure(parsed)",
                baseline_label="json.loads(bytes)",
                ratio_label="structure/loads time",
                unit="items/s",
                per_call=items,
                ratio_of="time",
            )
        )
    return results
