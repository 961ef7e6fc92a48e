"""Errors raised by the client. One root, `OrchestrationError`::

    OrchestrationError
     ├── ApiError                     the server answered with a non-2xx status
     │    ├── ValidationError         400, or errorCode VALIDATION
     │    ├── AuthenticationError     401 / 403, or the token endpoint refused the credentials
     │    ├── NotFoundError           404, or errorCode NOT_FOUND
     │    │    └── NotFoundServerError   a 500 whose message means "not found" (also a ServerError)
     │    ├── RateLimitError          429
     │    ├── ServerError             5xx
     │    │    └── NotFoundServerError
     │    └── RedirectError           3xx: the API never redirects, so none is followed
     ├── TransportError               no usable answer; the requests exception is the __cause__
     │    ├── ConnectionFailed        refused, reset, dropped, DNS, TLS (also builtins.ConnectionError)
     │    │    └── ConnectTimeout     (also a RequestTimeout)
     │    └── RequestTimeout          a timeout expired (also builtins.TimeoutError)
     │         ├── ConnectTimeout     no connection within the connect timeout: the request was never sent
     │         └── ReadTimeout        the server was too slow to answer: it may have acted
     ├── DecodeError                  a 2xx answer whose body is not what the operation returns
     │    └── BodyTooLargeError       an answer larger than ``max_body_size`` once decompressed
     ├── UntypedValueError            a typed field read from a RawStage/RawActivity (also an AttributeError)
     └── WaitTimeoutError             wait_for_instance gave up (also builtins.TimeoutError)

Not found as 500: the real service answers most unknown ids with ``500 INTERNAL_ERROR`` and the
message ``sql: no rows in result set`` (possibly prefixed, e.g. ``retrieving workflow: ...``) or
``Instance not found``. Those raise `NotFoundServerError`, which is *both* a `NotFoundError` (what it
means) and a `ServerError` (what the status says), the way requests makes ``ConnectTimeout`` both a
``ConnectionError`` and a ``Timeout``. ``except NotFoundError`` therefore catches every unknown id,
whatever status the server used; ``status_code`` keeps the real status.

Every message is one line and never contains a token, a client secret or URL credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BodyTooLargeError",
    "ConnectTimeout",
    "ConnectionFailed",
    "DecodeError",
    "NotFoundError",
    "NotFoundServerError",
    "OrchestrationError",
    "RateLimitError",
    "ReadTimeout",
    "RedirectError",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "UntypedValueError",
    "ValidationError",
    "WaitTimeoutError",
]

_EXCERPT = 160


def one_line(text: str, limit: int = _EXCERPT) -> str:
    """Collapse whitespace (newlines included) and cut ``text`` to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "") if parts.scheme else url


class OrchestrationError(Exception):
    """Root of every error this client raises."""


class ApiError(OrchestrationError):
    """The server answered with a non-2xx status (whatever the body: JSON envelope, text, HTML or empty).

    :param status_code: the HTTP status.
    :param error_code: ``errorCode`` of the JSON error envelope (or OAuth2 ``error``), None without one.
    :param error_message: ``errorMessage`` (or OAuth2 ``error_description``), None without one.
    :param body: the raw body, decoded as UTF-8 ("" when empty).
    :param response: the `requests.Response`, when there was one.
    :param operation: the operationId that failed (``getWorkflow``...) or ``fetchToken``.
    :param method: the HTTP method.
    :param url: the URL requested (without credentials).
    :param retry_after: seconds asked for by a ``Retry-After`` header, if any.
    """

    status_code: int
    error_code: str | None
    error_message: str | None
    body: str
    response: requests.Response | None
    operation: str
    method: str
    url: str
    retry_after: float | None

    def __init__(
        self,
        *,
        status_code: int,
        error_code: str | None = None,
        error_message: str | None = None,
        body: str = "",
        response: requests.Response | None = None,
        operation: str = "",
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.error_message = error_message
        self.body = body
        self.response = response
        self.operation = operation
        self.method = method
        self.url = url
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        reason = getattr(self.response, "reason", None) or ""
        head = f"{self.operation}: " if self.operation else ""
        if self.error_code is not None or self.error_message is not None:
            what = f"{self.status_code} {self.error_code}" if self.error_code else str(self.status_code)
            if self.error_message is not None:
                what += f": {one_line(self.error_message, 300)}"
        elif self.body.strip():
            what = f"{self.status_code} {reason}".rstrip() + f", non-envelope body: {one_line(self.body)!r}"
        else:
            what = f"{self.status_code} {reason}".rstrip() + ", empty body"
        where = f" ({self.method} {_path_of(self.url)})" if self.method else ""
        return head + what + where

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation={self.operation!r}, status_code={self.status_code!r}, "
            f"error_code={self.error_code!r}, error_message={self.error_message!r})"
        )


class ValidationError(ApiError):
    """The server rejected the request body or parameters (400, errorCode VALIDATION)."""


class AuthenticationError(ApiError):
    """Missing, invalid or expired credentials (401/403), or the token endpoint refused them."""


class NotFoundError(ApiError):
    """The resource does not exist (404, errorCode NOT_FOUND, or a 500 meaning "not found")."""


class RateLimitError(ApiError):
    """Too many requests (429); ``retry_after`` tells how long the server asked to wait."""


class ServerError(ApiError):
    """The server failed (5xx). Never retried for operations that change state."""


class NotFoundServerError(NotFoundError, ServerError):
    """A 500 whose message means "not found" (``sql: no rows in result set``, ``Instance not found``)."""


class RedirectError(ApiError):
    """A 3xx answer. The API never redirects, so none is followed: a redirect means a wrong base URL
    (``http://`` for ``https://``, a missing prefix) or something between the client and the service,
    and following one could send the request body or turn a POST into a GET.

    :param location: where the answer pointed to (absolute, without credentials), None without a
        ``Location`` header.
    """

    location: str | None

    def __init__(self, *, location: str | None = None, **kwargs: Any) -> None:
        self.location = location
        super().__init__(**kwargs)

    def _describe(self) -> str:
        reason = getattr(self.response, "reason", None) or ""
        head = f"{self.operation}: " if self.operation else ""
        what = f"{self.status_code} {reason}".rstrip()
        target = f"redirected to {self.location}" if self.location else "a redirect without a Location"
        where = f" ({self.method} {_path_of(self.url)})" if self.method else ""
        return f"{head}{what}, {target}: not followed, the API never redirects (check the base URL){where}"


class TransportError(OrchestrationError):
    """No usable answer arrived (connection or timeout problem); ``__cause__`` is the requests error.

    :param message: one-line description.
    :param operation: the operationId that failed.
    :param method: the HTTP method.
    :param url: the URL requested (without credentials).
    """

    operation: str
    method: str
    url: str

    def __init__(self, message: str, *, operation: str = "", method: str = "", url: str = "") -> None:
        self.operation = operation
        self.method = method
        self.url = url
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.args[0]!r})"


class ConnectionFailed(TransportError, ConnectionError):
    """The connection could not be made or broke (refused, reset, dropped, DNS, TLS)."""


class RequestTimeout(TransportError, TimeoutError):
    """A timeout expired before the answer arrived."""


class ConnectTimeout(ConnectionFailed, RequestTimeout):
    """No connection within the connect timeout; the request was never sent, so a retry is safe."""


class ReadTimeout(RequestTimeout):
    """The server did not answer within the read timeout; it may have acted on the request."""


class DecodeError(OrchestrationError):
    """A 2xx answer whose body is not what the operation returns (bad JSON, no ``data``, wrong types,
    nested too deep), or any answer too large to read (`BodyTooLargeError`).

    :param message: one-line description.
    :param operation: the operationId whose answer did not decode.
    :param status_code: the HTTP status of the answer.
    :param body: the raw body, decoded as UTF-8.
    :param response: the `requests.Response`.
    """

    operation: str
    status_code: int | None
    body: str
    response: requests.Response | None

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status_code: int | None = None,
        body: str = "",
        response: requests.Response | None = None,
    ) -> None:
        self.operation = operation
        self.status_code = status_code
        self.body = body
        self.response = response
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.args[0]!r})"


class BodyTooLargeError(DecodeError):
    """An answer (of any status) whose body is larger than ``max_body_size`` bytes once decompressed.

    Reading stops at the limit: ``body`` is empty and the connection is closed.

    :param limit: the limit in bytes.
    """

    limit: int

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(message, **kwargs)


class UntypedValueError(OrchestrationError, AttributeError):
    """A typed field was read from a value this client kept raw: a ``RawStage`` or ``RawActivity``,
    a stage or activity whose JSON it could not type.

    The message names the stage or activity and the field asked for; the JSON is in the raw value's
    ``params`` / ``raw``. It is an ``AttributeError`` too, so ``getattr(value, name, default)`` works.
    """


class InvalidStageError(OrchestrationError, ValueError):
    """A stage built without what the service requires of it (checked when you build it).

    The service accepts such a stage when the workflow is created and fails the instance only when
    it runs, with a Go validator text; the client refuses it up front instead. Stages read back from
    the service are never checked: they are what the service stored.
    """


class WaitTimeoutError(OrchestrationError, TimeoutError):
    """`OrchestrationClient.wait_for_instance` gave up before the instance terminated.

    :param message: one-line description.
    :param instance_id: the instance waited for.
    :param timeout: the seconds waited.
    :param last: the last `WorkflowInstance` read, or None.
    """

    instance_id: str
    timeout: float
    last: Any

    def __init__(self, message: str, *, instance_id: str, timeout: float, last: Any = None) -> None:
        self.instance_id = instance_id
        self.timeout = timeout
        self.last = last
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.args[0]!r})"
