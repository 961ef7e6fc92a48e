"""fakeserver: an in-memory, stateful fake of the Formance Orchestration API (v1).

Layers, from the inside out:

* ``Engine``: workflows, instances, stages, events, histories and the simulated ledger (``Bank``);
  no HTTP, time from an injected ``Clock``.
* ``FakeApp``: the route table in front of an engine; ``handle(FakeRequest) -> FakeResponse``.
* Transports over one ``FakeApp``: ``FakeOrchestration`` (the ``responses`` library, in-process),
  ``FakeServer`` / ``serve`` (real HTTP on localhost) and the pytest plugin's fixtures.

Each of them takes ``stack_version=``: the Formance stack release whose JSON the fake speaks, a name
from ``STACK_VERSIONS`` (oldest first); ``DEFAULT_STACK_VERSION`` is the latest.

Importing this package is cheap: each name is imported on first use (so that the pytest plugin,
loaded in every pytest run of an environment where the package is installed, costs next to nothing
when no fixture of ours is used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakeserver._app import FakeApp, RecordedCall
    from fakeserver._auth import TokenAuthority
    from fakeserver._clock import Clock, ManualClock, SystemClock
    from fakeserver._engine import Engine
    from fakeserver._errors import FakeError, InvalidRequest, NotFound, ServiceError, WaitTimeout
    from fakeserver._faults import Fault, FaultPlan
    from fakeserver._ledger import ActivityFailure, Bank
    from fakeserver._stack_versions import DEFAULT_STACK_VERSION, STACK_VERSIONS, UnknownStackVersion
    from fakeserver._types import FakeRequest, FakeResponse
    from fakeserver.responses_adapter import FakeOrchestration
    from fakeserver.server import FakeServer, serve

__all__ = [
    "DEFAULT_STACK_VERSION",
    "STACK_VERSIONS",
    "ActivityFailure",
    "Bank",
    "Clock",
    "Engine",
    "FakeApp",
    "FakeError",
    "FakeOrchestration",
    "FakeRequest",
    "FakeResponse",
    "FakeServer",
    "Fault",
    "FaultPlan",
    "InvalidRequest",
    "ManualClock",
    "NotFound",
    "RecordedCall",
    "ServiceError",
    "SystemClock",
    "TokenAuthority",
    "UnknownStackVersion",
    "WaitTimeout",
    "serve",
]

#: Where each public name lives, imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "FakeApp": "fakeserver._app",
    "RecordedCall": "fakeserver._app",
    "TokenAuthority": "fakeserver._auth",
    "Clock": "fakeserver._clock",
    "ManualClock": "fakeserver._clock",
    "SystemClock": "fakeserver._clock",
    "Engine": "fakeserver._engine",
    "FakeError": "fakeserver._errors",
    "InvalidRequest": "fakeserver._errors",
    "NotFound": "fakeserver._errors",
    "ServiceError": "fakeserver._errors",
    "WaitTimeout": "fakeserver._errors",
    "Fault": "fakeserver._faults",
    "FaultPlan": "fakeserver._faults",
    "ActivityFailure": "fakeserver._ledger",
    "Bank": "fakeserver._ledger",
    "DEFAULT_STACK_VERSION": "fakeserver._stack_versions",
    "STACK_VERSIONS": "fakeserver._stack_versions",
    "UnknownStackVersion": "fakeserver._stack_versions",
    "FakeRequest": "fakeserver._types",
    "FakeResponse": "fakeserver._types",
    "FakeOrchestration": "fakeserver.responses_adapter",
    "FakeServer": "fakeserver.server",
    "serve": "fakeserver.server",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
