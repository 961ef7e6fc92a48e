"""fakeserver: an in-memory, stateful fake of the Formance Orchestration API (v1).

Layers, from the inside out:

* ``Engine``: workflows, instances, stages, events, histories and the simulated ledger (``Bank``);
  no HTTP, time from an injected ``Clock``.
* ``FakeApp``: the route table in front of an engine; ``handle(FakeRequest) -> FakeResponse``.
* Transports over one ``FakeApp``: ``FakeOrchestration`` (the ``responses`` library, in-process),
  ``FakeServer`` / ``serve`` (real HTTP on localhost) and the pytest plugin's fixtures.

Each of them takes ``stack_version=``: the Formance stack release whose JSON the fake speaks, a name
from ``STACK_VERSIONS`` (oldest first); ``DEFAULT_STACK_VERSION`` is the latest.
"""

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
