"""formance_orchestration: a typed, blocking client for the Formance Orchestration API (v1).

    >>> from formance_orchestration import OrchestrationClient
    >>> client = OrchestrationClient("http://localhost")   # doctest: +SKIP

Models live in `formance_orchestration.models` (and are re-exported here); errors derive from
`OrchestrationError`.
"""

from formance_orchestration._auth import Auth, BearerToken, ClientCredentials
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import RetryPolicy, Timeout
from formance_orchestration._converter import structure, unstructure
from formance_orchestration._exceptions import (
    ApiError,
    AuthenticationError,
    BodyTooLargeError,
    ConnectionFailed,
    ConnectTimeout,
    DecodeError,
    InvalidStageError,
    NotFoundError,
    NotFoundServerError,
    OrchestrationError,
    RateLimitError,
    ReadTimeout,
    RedirectError,
    RequestTimeout,
    ServerError,
    TransportError,
    UntypedValueError,
    ValidationError,
    WaitTimeoutError,
)
from formance_orchestration._version import __version__
from formance_orchestration.models import *  # noqa: F403
from formance_orchestration.models import __all__ as _models_all

__all__ = [
    "ApiError",
    "Auth",
    "AuthenticationError",
    "BearerToken",
    "BodyTooLargeError",
    "ClientCredentials",
    "ConnectTimeout",
    "ConnectionFailed",
    "DecodeError",
    "InvalidStageError",
    "NotFoundError",
    "NotFoundServerError",
    "OrchestrationClient",
    "OrchestrationError",
    "RateLimitError",
    "ReadTimeout",
    "RedirectError",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "TransportError",
    "ValidationError",
    "UntypedValueError",
    "WaitTimeoutError",
    "__version__",
    "structure",
    "unstructure",
    *_models_all,
]
