"""Fault injection: make the next calls of an operation fail, stall, or lose their connection.

A :class:`FaultPlan` is a queue of :class:`Fault` rules, each armed for a number of calls. ``FakeApp``
asks it once per API call (``take(operation)``) after authentication and before dispatching, and
records the fault it got in the call log. A fault:

* with ``status`` answers that status with ``body`` (and ``content_type`` / ``headers``) instead of
  running the operation (after ``delay`` real seconds, if any);
* with ``drop_connection`` makes an HTTP transport close the socket without answering (the
  ``responses`` transport raises ``ConnectionError`` instead);
* with only ``delay`` sleeps that many real seconds, then runs the operation normally.

Operations are named by their OpenAPI operationId (``runWorkflow``, ``getInstance``...); ``"*"``
matches every operation. Rules are consumed in the order they were added: the first armed rule that
matches the call is used and its count goes down by one.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from fakeserver._types import FakeResponse

__all__ = ["ANY_OPERATION", "MAX_FAULT_DELAY", "OPERATIONS", "Fault", "FaultPlan", "PendingFault"]

#: The longest delay a fault may take, in real seconds (a test should never wait longer for one answer).
MAX_FAULT_DELAY = 300.0
#: A header name (RFC 9110 token) and a header value without control characters but tab.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_FIELD_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*\Z")


def _check_header(name: Any, value: Any, field: str) -> None:
    if not isinstance(name, str) or _TOKEN.match(name) is None:
        raise ValueError(f"{field}: {name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)")
    if not isinstance(value, str) or _FIELD_VALUE.match(value) is None:
        raise ValueError(
            f"{field}: the value of {name!r} must be text without CR, LF or other control characters, "
            f"not {value!r}"
        )


#: The operationIds of the Orchestration v1 API (plus ``healthcheck``), the names faults are armed for.
OPERATIONS: frozenset[str] = frozenset(
    {
        "getServerInfo",
        "listWorkflows",
        "createWorkflow",
        "getWorkflow",
        "runWorkflow",
        "listInstances",
        "getInstance",
        "sendEvent",
        "cancelEvent",
        "getInstanceHistory",
        "getInstanceStageHistory",
        "healthcheck",  # GET /_healthcheck: served by the service, not in the spec
    }
)

#: The wildcard operation name: the fault applies to whichever API call comes next.
ANY_OPERATION = "*"


@attrs.frozen(kw_only=True)
class Fault:
    """One injected misbehaviour for one call.

    :param operation: the operationId it was armed for (or ``"*"``).
    :param status: the HTTP status to answer instead of running the operation (``None``: run it).
    :param body: the raw body of that answer.
    :param content_type: the ``Content-Type`` of that answer.
    :param headers: extra headers of that answer (e.g. ``Retry-After``).
    :param delay: real seconds to sleep before answering or running the operation.
    :param drop_connection: close the connection without answering.
    """

    operation: str
    status: int | None = None
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    drop_connection: bool = False

    def to_response(self) -> FakeResponse | None:
        """The answer this fault replaces the operation with (``None`` for a delay-only fault).

        A dropped connection is a response with ``drop_connection`` set and status ``0`` (no answer).
        """
        if self.drop_connection:
            return FakeResponse(status=0, drop_connection=True)
        if self.status is None:
            return None
        headers = {"content-type": self.content_type}
        headers.update({name.lower(): value for name, value in self.headers.items()})
        return FakeResponse(status=self.status, headers=headers, body=self.body)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (for the control API and the call log)."""
        summary: dict[str, Any] = {"operation": self.operation}
        if self.status is not None:
            summary["status"] = self.status
            summary["body"] = self.body.decode("utf-8", errors="replace")
            summary["contentType"] = self.content_type
            if self.headers:
                summary["headers"] = dict(self.headers)
        if self.delay:
            summary["delay"] = self.delay
        if self.drop_connection:
            summary["dropConnection"] = True
        return summary


@attrs.define(kw_only=True)
class PendingFault:
    """A fault rule still armed, with the number of calls it will still hit."""

    fault: Fault
    remaining: int

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary (for the control API)."""
        return {**self.fault.describe(), "remaining": self.remaining}


def _body_bytes(body: bytes | str | Mapping[str, Any] | list[Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


class FaultPlan:
    """The armed faults of one fake (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[PendingFault] = []

    def add(
        self,
        operation: str,
        *,
        times: int = 1,
        status: int | None = None,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        delay: float = 0.0,
        drop_connection: bool = False,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Arm a fault for the next ``times`` calls of ``operation``; return it.

        :param operation: an operationId (see :data:`OPERATIONS`) or ``"*"`` for any operation.
        :param times: how many calls it hits (at least 1).
        :param status: answer this status (100-599) instead of running the operation.
        :param body: the answer's body: bytes, text, or a JSON value (dumped).
        :param delay: real seconds to wait first (0 to :data:`MAX_FAULT_DELAY`).
        :param drop_connection: close the connection without answering (excludes ``status``).
        :param content_type: the answer's ``Content-Type``.
        :param headers: extra headers of the answer (no CR, LF or other control character).
        :raises ValueError: for an unknown operation, a value out of bounds or an inconsistent fault.
        """
        if operation != ANY_OPERATION and operation not in OPERATIONS:
            known = ", ".join(sorted(OPERATIONS))
            raise ValueError(f"unknown operation {operation!r}; expected one of {known}, or '*'")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive integer, not {times!r}")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
        ):
            raise ValueError(f"status must be an integer between 100 and 599, not {status!r}")
        if (
            isinstance(delay, bool)
            or not isinstance(delay, int | float)
            or not math.isfinite(delay)
            or not 0 <= delay <= MAX_FAULT_DELAY
        ):
            raise ValueError(
                f"delay must be a number of seconds between 0 and {MAX_FAULT_DELAY:g}, not {delay!r}"
            )
        _check_header("content-type", content_type, "contentType")
        for name, value in (headers or {}).items():
            _check_header(name, value, "headers")
        if drop_connection and status is not None:
            raise ValueError("a fault either answers a status or drops the connection, not both")
        if not drop_connection and status is None and not delay:
            raise ValueError("a fault needs a status, a delay or drop_connection")
        if status is None and (body is not None or headers):
            raise ValueError("body and headers need a status")
        fault = Fault(
            operation=operation,
            status=status,
            body=_body_bytes(body),
            content_type=content_type,
            headers=dict(headers or {}),
            delay=float(delay),
            drop_connection=drop_connection,
        )
        with self._lock:
            self._rules.append(PendingFault(fault=fault, remaining=times))
        return fault

    def take(self, operation: str) -> Fault | None:
        """Consume and return the first armed fault matching ``operation`` (``None`` if none)."""
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.fault.operation in (operation, ANY_OPERATION):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        del self._rules[index]
                    return rule.fault
        return None

    def pending(self) -> list[PendingFault]:
        """The armed rules, oldest first (copies: changing them does not change the plan)."""
        with self._lock:
            return [PendingFault(fault=rule.fault, remaining=rule.remaining) for rule in self._rules]

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._rules.clear()

    def __len__(self) -> int:
        """The number of calls the armed faults will still hit."""
        with self._lock:
            return sum(rule.remaining for rule in self._rules)
