"""Exit codes of the command line, and how a failure becomes one line on stderr.

Exit codes:

=====  ==========================================================================
code   meaning
=====  ==========================================================================
0      success (``wait``/``run --wait``: the instance succeeded)
1      API error (an error status from the server) or connection/transport error
2      usage error: bad option, bad environment variable, unreadable workflow file
3      the instance ended in failure or was aborted (``wait``, ``run --wait``, ``demo``)
4      ``wait`` gave up: the instance was still running when the timeout expired
5      ``verify`` found differences between the target and the fake
130    interrupted (Ctrl-C)
=====  ==========================================================================
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formance_orchestration._exceptions import ApiError, TransportError

__all__ = ["CliError", "ExitCode", "UsageError", "describe_exception", "redact"]


class ExitCode(enum.IntEnum):
    """The process exit codes of ``formance-orchestration``."""

    OK = 0
    API_ERROR = 1
    USAGE = 2
    INSTANCE_FAILED = 3
    WAIT_TIMEOUT = 4
    DIFFERENCES = 5
    INTERRUPTED = 130


class CliError(Exception):
    """A failure the command line reports as one line and an exit code.

    :param message: the line to print (without the program name).
    :param code: the exit code.
    """

    def __init__(self, message: str, code: ExitCode = ExitCode.API_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(CliError):
    """Bad options, environment variables or input files (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)


_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove secrets and URL credentials (``user:pass@``) from ``text``.

    :param text: the text to print.
    :param secrets: values that must never appear (token, client secret); empty ones are ignored.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _USERINFO.sub(r"\g<scheme>***@", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe_exception(exc: BaseException) -> tuple[str, ExitCode]:
    """Turn an exception from the client into one printable line and an exit code.

    API errors read ``HTTP <status> <errorCode>: <errorMessage>``; transport errors name the URL and
    the cause. Anything else falls back to its type name and text.

    :param exc: what the command raised.
    """
    from formance_orchestration import _exceptions as errors

    if isinstance(exc, CliError):
        return exc.message, exc.code
    if isinstance(exc, errors.WaitTimeoutError):
        return f"wait timed out: {_one_line(str(exc))}", ExitCode.WAIT_TIMEOUT
    if isinstance(exc, errors.NotFoundError) and exc.error_code:  # the service's not-found 500s too
        return f"not found ({_describe_api_error(exc)})", ExitCode.API_ERROR
    if isinstance(exc, errors.ApiError):
        return _describe_api_error(exc), ExitCode.API_ERROR
    if isinstance(exc, errors.DecodeError):
        return f"unexpected answer from the server: {_shorten(_one_line(str(exc)))}", ExitCode.API_ERROR
    if isinstance(exc, errors.TransportError):
        return _describe_transport_error(exc), ExitCode.API_ERROR
    if isinstance(exc, errors.OrchestrationError):
        return _shorten(_one_line(str(exc))) or type(exc).__name__, ExitCode.API_ERROR
    text = _shorten(_one_line(str(exc)))
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__), ExitCode.API_ERROR


def _describe_api_error(exc: ApiError) -> str:
    from formance_orchestration._exceptions import RedirectError

    head = f"HTTP {exc.status_code}"
    if isinstance(exc, RedirectError):
        target = f"redirected to {exc.location}" if exc.location else "a redirect without a Location"
        return f"{head}: {target}, not followed (the API never redirects: check --base-url)"
    if exc.error_code:
        head += f" {exc.error_code}"
    if exc.error_message:
        return f"{head}: {_shorten(_one_line(exc.error_message))}"
    if exc.status_code in (401, 403):
        return f"{head}: not authorized (check --token or --client-id/--client-secret)"
    body = _one_line(exc.body or "")
    if body:
        return f"{head}: {_shorten(body)}"
    if exc.status_code == 404:
        return f"{head}: not found (check --base-url and --prefix)"
    return f"{head}: empty answer"


def _describe_transport_error(exc: TransportError) -> str:
    from formance_orchestration import _exceptions as errors

    where = exc.url or "the server"
    if isinstance(exc, errors.ConnectTimeout):
        return f"cannot connect to {where}: no connection within the timeout (see --http-timeout)"
    if isinstance(exc, errors.RequestTimeout):
        return f"no answer from {where} within the timeout (see --http-timeout)"
    cause = exc.__cause__
    reason = _reason(cause) if cause is not None else _shorten(_one_line(str(exc)))
    if isinstance(exc, errors.ConnectionFailed) and reason in _CONNECT_REASONS:
        return f"cannot connect to {where}: {reason}"
    return f"request to {where} failed: {reason}"


_REASONS = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("Temporary failure in name resolution", "unknown host"),
    ("No address associated with hostname", "unknown host"),
    ("Network is unreachable", "network unreachable"),
    ("CERTIFICATE_VERIFY_FAILED", "TLS certificate verification failed"),
    ("SSLError", "TLS error"),
    ("Connection reset", "connection reset by the server"),
    ("RemoteDisconnected", "the server closed the connection without answering"),
    ("Connection aborted", "the server closed the connection"),
)


#: Reasons meaning the connection was never made.
_CONNECT_REASONS = frozenset(
    {
        "connection refused",
        "unknown host",
        "network unreachable",
        "TLS certificate verification failed",
        "TLS error",
    }
)


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return _shorten(_one_line(redact(str(exc)))) or type(exc).__name__


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
