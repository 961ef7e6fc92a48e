"""Domain errors raised by the engine.

Each carries a stable ``error_code`` and the service's message text, never an HTTP status: the route
table (``_routes.py``) alone decides which status each class is answered with.
"""

from __future__ import annotations

__all__ = [
    "FakeError",
    "InvalidRequest",
    "NotFound",
    "ServiceError",
    "WaitTimeout",
]


class FakeError(Exception):
    """Base of every error the fake's engine raises on purpose."""

    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(FakeError):
    """The request could not be decoded (the service's ``VALIDATION`` answers)."""

    error_code = "VALIDATION"


class NotFound(FakeError):
    """A real not-found (only the stage-history endpoint answers one)."""

    error_code = "NOT_FOUND"

    def __init__(self, message: str = "resource not found") -> None:
        super().__init__(message)


class ServiceError(FakeError):
    """The service's catch-all failure (unknown ids, resolution failures, signal failures)."""

    error_code = "INTERNAL_ERROR"


class WaitTimeout(FakeError):
    """A ``wait=true`` run could not finish within the fake's wait budget (see ``Engine.wait_timeout``)."""

    error_code = "FAKE_WAIT_TIMEOUT"
