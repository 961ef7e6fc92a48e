"""Area 1b (optional): the client against Formance's own SDK, ``formance-sdk-python`` 9.0.1.

Subject: the ``OrchestrationClient`` call of area 1 (requests, the stub adapter, typed attrs models).
Baseline: the same operation through the SDK (``sdk.orchestration.v1``: httpx, pydantic-core models)
on an ``httpx.MockTransport`` answering the very same bytes. Both with the cyclic collector on. Each
side pays its own HTTP stack, as its users do. Target: the client is faster (ratio below 1).

The SDK is not a dependency of this project: install it in a separate virtual environment
(``pip install -e .[test] formance-sdk-python==9.0.1``) and run ``python -m benchmarks`` there.
Without it, the rows are reported as SKIP with that instruction.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

from benchmarks._bodies import encode, sdk_readable_history
from benchmarks._harness import Result, Settings, Target, compare, result_from_pair
from benchmarks._stub import STUB_URL, stub_session
from benchmarks.client_overhead import bodies_for

__all__ = ["AREA", "EXPECTED", "OPTIONAL", "SDK_VERSION", "run"]

AREA = "sdk"
EXPECTED = ("sdk.get_instance", "sdk.list_workflows", "sdk.stage_history", "sdk.list_instances")
#: A SKIP here is not a failure of the run.
OPTIONAL = True
SDK_VERSION = "9.0.1"

_PREFIX = "/api/orchestration"
_HISTORY_ID = "3d0b8f0c-7d8a-4f5e-9d51-2a1f0e6c9b77"


def _skipped(note: str) -> list[Result]:
    return [
        Result(id=id_, area=AREA, title="", unit="us/call", subject_label="", status="SKIP", note=note)
        for id_ in EXPECTED
    ]


def run(settings: Settings) -> list[Result]:
    """Measure the four calls of area 1 against the SDK (SKIP rows when it is not installed)."""
    try:
        version = metadata.version("formance-sdk-python")
    except metadata.PackageNotFoundError:
        return _skipped(
            f"formance-sdk-python {SDK_VERSION} is not installed: pip install "
            f"formance-sdk-python=={SDK_VERSION} (in a separate venv) to compare against it"
        )
    if version != SDK_VERSION:
        return _skipped(f"formance-sdk-python {version} is installed; this baseline is {SDK_VERSION}")
    import httpx  # type: ignore[import-not-found,unused-ignore]
    from formance_sdk_python import SDK  # type: ignore[import-not-found,unused-ignore]

    from formance_orchestration._client import OrchestrationClient

    bodies = bodies_for(settings)
    instance_id = bodies.instance["data"]["id"]
    routes = {
        f"{_PREFIX}/instances/{instance_id}": bodies.instance_bytes,
        f"{_PREFIX}/workflows": bodies.workflows_bytes,
        # in the later shapes the SDK's models read (the mid-2023 body has txid, not id)
        f"{_PREFIX}/instances/{_HISTORY_ID}/stages/0/history": encode(
            sdk_readable_history(bodies.stage_history)
        ),
        f"{_PREFIX}/instances": bodies.instances_bytes,
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body = routes.get(request.url.path)
        if body is None:
            return httpx.Response(404, content=b"404 page not found\n")
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    sdk = SDK(server_url=STUB_URL, client=httpx.Client(transport=httpx.MockTransport(answer)))
    session, _ = stub_session({path: (200, body) for path, body in routes.items()})
    client = OrchestrationClient(STUB_URL, session=session)
    v1: Any = sdk.orchestration.v1
    cases: list[tuple[str, str, Callable[[], object], Callable[[], object]]] = [
        (
            "sdk.get_instance",
            "get_instance: 1 instance",
            lambda: client.get_instance(instance_id),
            lambda: v1.get_instance(request={"instance_id": instance_id}),
        ),
        (
            "sdk.list_workflows",
            f"list_workflows: {len(bodies.workflows['data'])} workflows x 5 stages",
            client.list_workflows,
            v1.list_workflows,
        ),
        (
            "sdk.stage_history",
            f"get_instance_stage_history: {len(bodies.stage_history['data'])} activities",
            lambda: client.get_instance_stage_history(_HISTORY_ID, 0),
            lambda: v1.get_instance_stage_history(request={"instance_id": _HISTORY_ID, "number": 0}),
        ),
        (
            "sdk.list_instances",
            f"list_instances: {len(bodies.instances['data'])} instances",
            client.list_instances,
            lambda: v1.list_instances(request={}),
        ),
    ]
    results = []
    for id_, title, ours, theirs in cases:
        try:
            theirs()
        except Exception as exc:  # the SDK's models refuse the mid-2023 service's answer
            lines = str(exc).splitlines()
            first = "; ".join(line.strip() for line in lines[:3])
            results.append(
                Result(
                    id=id_,
                    area=AREA,
                    title=title,
                    unit="us/call",
                    subject_label="client method",
                    status="SKIP",
                    note=f"formance-sdk-python {SDK_VERSION} refuses this body: {type(exc).__name__}: "
                    + first,
                )
            )
            continue
        pair = compare(ours, theirs, settings, collector=True)
        results.append(
            result_from_pair(
                pair,
                id=id_,
                title=title,
                subject_label="client method",
                baseline_label=f"formance-sdk-python {SDK_VERSION}",
                ratio_label="client/sdk",
                unit="us/call",
                target=Target("<", 1.0),
            )
        )
    return results
