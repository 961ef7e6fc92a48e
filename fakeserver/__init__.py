"""fakeserver: an in-memory, stateful fake of the Formance Orchestration API (v1).

Layers, from the inside out:

* ``Engine``: workflows, instances, stages, events, histories and the simulated ledger (``Bank``);
  no HTTP, time from an injected ``Clock``.
* ``FakeApp``: the route table in front of an engine; ``handle(FakeRequest) -> FakeResponse``.
* Transports over one ``FakeApp``: ``FakeOrchestration`` (the ``responses`` library, in-process),
  ``FakeServer`` / ``serve`` (real HTTP on localhost) and the pytest plugin's fixtures.
"""

from fakeserver._app import FakeApp, RecordedCall
from fakeserver._auth import TokenAuthority
from fakeserver._clock import Clock, ManualClock, SystemClock
from fakeserver._engine import Engine
from fakeserver._errors import FakeError, InvalidRequest, NotFound, ServiceError, WaitTimeout
from fakeserver._faults import Fault, FaultPlan
from fakeserver._ledger import ActivityFailure, Bank
from fakeserver._types import FakeRequest, FakeResponse
from fakeserver.responses_adapter import FakeOrchestration
from fakeserver.server import FakeServer, serve

__all__ = [
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
    "WaitTimeout",
    "serve",
]
