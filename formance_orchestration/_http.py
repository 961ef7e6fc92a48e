"""Transport: the session, timeouts, retries, authentication headers, error mapping and logging.

This is the only module that catches requests exceptions and reads status codes. `Transport.call`
sends one operation (with its retries) and returns the decoded model; every failure leaves as an
error of `formance_orchestration._exceptions`.

Every answer is streamed and its body read here, in large chunks (one decompressed chunk of at most
256 KiB at a time, joined once), so that a call stops at its deadline (`Timeout.total`) however
slowly the bytes arrive, and at ``max_body_size`` however well the body compresses. Redirects are
never followed (`RedirectError`): the API has none, and following one would send the body to
wherever it points or turn a POST into a GET.

Debug logging goes to the ``formance_orchestration`` logger: one line per HTTP exchange with the
operation, method, URL, status and duration, and one per retry. Headers, bodies and tokens are never
logged.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar
from urllib.parse import urljoin

import requests
import requests.auth
from requests import exceptions as rexc
from urllib3.exceptions import DecodeError as Urllib3DecodeError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout
from urllib3.exceptions import SSLError as Urllib3SSLError

from formance_orchestration._auth import Auth, BearerToken
from formance_orchestration._config import (
    DEFAULT_MAX_BODY_SIZE,
    UNSET,
    RetryPolicy,
    Timeout,
    TimeoutTypes,
    UnsetType,
    check_max_body_size,
    resolve_timeout,
)
from formance_orchestration._converter import structure_owned
from formance_orchestration._decoding import loads, paused_collector
from formance_orchestration._exceptions import (
    ApiError,
    AuthenticationError,
    BodyTooLargeError,
    ConnectionFailed,
    ConnectTimeout,
    DecodeError,
    NotFoundError,
    NotFoundServerError,
    RateLimitError,
    ReadTimeout,
    RedirectError,
    ServerError,
    TransportError,
    ValidationError,
    one_line,
)
from formance_orchestration._typed import Fallback, typed_decoder

__all__ = [
    "LOGGER_NAME",
    "Transport",
    "error_from_response",
    "is_not_found_message",
    "parse_retry_after",
    "redact_url",
]

T = TypeVar("T")

#: Name of the logger every debug line goes to.
LOGGER_NAME: Final[str] = "formance_orchestration"
_logger = logging.getLogger(LOGGER_NAME)
_logger.addHandler(logging.NullHandler())
_DEBUG: Final = logging.DEBUG

#: The real service's 500 messages that mean "this id does not exist".
_NOT_FOUND_SUFFIX: Final = "sql: no rows in result set"
_NOT_FOUND_EXACT: Final = frozenset({"Instance not found"})

_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")

_RequestsTimeout = tuple[float | None, float | None] | None

#: Largest piece of body read at once (decompressed): few enough reads that their cost is noise.
_CHUNK: Final = 256 * 1024


def redact_url(url: str) -> str:
    """Return ``url`` without any ``user:password@`` part."""
    return _USERINFO.sub("***@", url) if "@" in url else url


def is_not_found_message(message: str | None) -> bool:
    """Whether a 500 error message of the real service means "not found"."""
    if not message:
        return False
    return message.endswith(_NOT_FOUND_SUFFIX) or message in _NOT_FOUND_EXACT


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" dates: the RFC says GMT
            return None
        seconds = when.timestamp() - now()
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _error_fields(content: bytes) -> tuple[str | None, str | None]:
    """Return (errorCode, errorMessage) of a JSON error envelope or OAuth2 error, else (None, None)."""
    if not content or content.lstrip()[:1] != b"{":
        return None, None
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(payload, dict):
        return None, None
    code = payload.get("errorCode")
    message = payload.get("errorMessage")
    if code is None and message is None:  # OAuth2 token endpoint errors (RFC 6749 §5.2)
        code = payload.get("error")
        message = payload.get("error_description")
    return (code if isinstance(code, str) else None, message if isinstance(message, str) else None)


def error_from_response(
    operation: str,
    method: str,
    url: str,
    response: requests.Response,
    *,
    token_endpoint: bool = False,
) -> ApiError:
    """Build the `ApiError` subclass matching a non-2xx answer (any body, JSON or not)."""
    status = response.status_code
    content = response.content or b""
    code, message = _error_fields(content)
    cls: type[ApiError]
    if 300 <= status < 400:
        location = response.headers.get("Location")
        return RedirectError(
            location=redact_url(urljoin(url, location)) if location else None,
            status_code=status,
            body=content.decode("utf-8", errors="replace"),
            response=response,
            operation=operation,
            method=method,
            url=redact_url(url),
        )
    if token_endpoint and status in (400, 401, 403):
        cls = AuthenticationError
    elif status == 400 or code == "VALIDATION":
        cls = ValidationError
    elif status in (401, 403):
        cls = AuthenticationError
    elif status == 404 or code == "NOT_FOUND":
        cls = NotFoundError
    elif status == 429:
        cls = RateLimitError
    elif status == 500 and is_not_found_message(message):
        cls = NotFoundServerError
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    return cls(
        status_code=status,
        error_code=code,
        error_message=message,
        body=content.decode("utf-8", errors="replace"),
        response=response,
        operation=operation,
        method=method,
        url=redact_url(url),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _never_sent(exc: rexc.RequestException) -> bool:
    """Whether the request provably never reached the server (no TCP connection was made)."""
    if isinstance(exc, rexc.ConnectTimeout):
        return True
    if not isinstance(exc, rexc.ConnectionError) or isinstance(exc, rexc.SSLError | rexc.ProxyError):
        return False
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _retryable_exception(exc: rexc.RequestException) -> bool:
    """Whether a transport failure of an idempotent request is worth another attempt."""
    if isinstance(exc, rexc.SSLError):
        return False
    return isinstance(exc, rexc.ConnectionError | rexc.Timeout | rexc.ChunkedEncodingError)


def _transport_error(
    operation: str, method: str, url: str, exc: rexc.RequestException, timeout: _RequestsTimeout, wait: bool
) -> TransportError:
    safe_url = redact_url(url)
    where = f"{operation}: {method} {safe_url}"
    detail = one_line(redact_url(str(exc)), 200) or type(exc).__name__
    connect, read = timeout if timeout is not None else (None, None)
    reason: object = exc.args[0] if exc.args else None
    kwargs = {"operation": operation, "method": method, "url": safe_url}
    if isinstance(exc, rexc.ConnectTimeout):
        return ConnectTimeout(f"{where} could not connect within {connect} s ({detail})", **kwargs)
    if isinstance(exc, rexc.Timeout) or isinstance(reason, Urllib3ReadTimeout):
        hint = " (a waiting run: raise Timeout.wait_read)" if wait else ""
        return ReadTimeout(f"{where} got no answer within {read} s{hint} ({detail})", **kwargs)
    if isinstance(exc, rexc.ConnectionError | rexc.ChunkedEncodingError):
        root = reason.reason if isinstance(reason, MaxRetryError) else reason
        if isinstance(root, NewConnectionError):  # urllib3's retry text says no more than the OS error
            cause = str(root).rsplit("new connection: ", 1)[-1]
            return ConnectionFailed(f"{where} failed: could not connect: {one_line(cause, 200)}", **kwargs)
        return ConnectionFailed(f"{where} failed: {type(exc).__name__}: {detail}", **kwargs)
    return TransportError(f"{where} failed: {type(exc).__name__}: {detail}", **kwargs)


class _BodyTooLarge(Exception):
    """The body passed ``max_body_size`` (`Transport.send` raises `BodyTooLargeError`)."""


class _DeadlineReached(Exception):
    """The call's deadline passed (`Transport.send` raises `ReadTimeout`)."""


def _cut_read_timeout(raw: Any, seconds: float) -> bool:
    """Set the read timeout of the socket under ``raw`` to ``seconds``; False if there is no socket."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:
        return False
    sock.settimeout(seconds)
    return True


def _read_body(
    response: requests.Response, limit: int | None, deadline: float | None, read_timeout: float | None
) -> bytes:
    """Read the whole body, decompressed, and keep it as ``response.content``.

    Reads chunks of up to `_CHUNK` bytes as they come and joins them once. Raises `_BodyTooLarge`
    past ``limit`` bytes (before reading anything when Content-Length says so) and
    `_DeadlineReached` at ``deadline`` (a `time.monotonic` value): when less than ``read_timeout``
    is left, the socket's read timeout is cut to the time left. urllib3 errors leave as the
    requests errors ``Response.content`` would raise.
    """
    raw = response.raw
    if isinstance(response._content, bytes) or not hasattr(raw, "read1"):
        # an adapter that answers with the body already read, or a hook that read it
        content = response.content or b""
        if limit is not None and len(content) > limit:
            raise _BodyTooLarge
        return content
    if limit is not None and "Content-Encoding" not in response.headers:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit:
            raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    read1 = raw.read1
    cut = False
    try:
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _DeadlineReached
                if read_timeout is None or left < read_timeout:
                    cut = _cut_read_timeout(raw, left)
            chunk = read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if limit is not None and size > limit:
                raise _BodyTooLarge
            chunks.append(chunk)
    except Urllib3ReadTimeout as exc:
        if cut:
            raise _DeadlineReached from exc
        raise rexc.ReadTimeout(exc, response=response) from exc
    except Urllib3SSLError as exc:
        raise rexc.SSLError(exc, response=response) from exc
    except ProtocolError as exc:  # reset, dropped, shorter than Content-Length, bad chunking
        raise rexc.ChunkedEncodingError(exc, response=response) from exc
    except Urllib3DecodeError as exc:  # a Content-Encoding that does not decompress
        raise rexc.ContentDecodingError(exc, response=response) from exc
    except Urllib3Error as exc:
        raise rexc.ConnectionError(exc, response=response) from exc
    content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    response._content = content
    return content


def _cut(timeout: _RequestsTimeout, left: float) -> _RequestsTimeout:
    """Return requests' ``timeout=`` with each phase cut to the ``left`` seconds of the deadline."""
    if timeout is None:
        return (left, left)
    connect, read = timeout
    return (left if connect is None else min(connect, left), left if read is None else min(read, left))


def _fits(deadline: float | None, delay: float) -> bool:
    """Whether waiting ``delay`` seconds still leaves time before ``deadline`` for another attempt."""
    if delay == math.inf:
        return False
    return deadline is None or time.monotonic() + delay < deadline


class _AuthorizationHook(requests.auth.AuthBase):
    """Sets the ``Authorization`` header (requests' ``auth=`` hook); its repr hides the value."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self.value
        return request

    def __repr__(self) -> str:
        return "_AuthorizationHook('***')"


class Transport:
    """Sends operations over a `requests.Session` with timeouts, retries, auth and error mapping.

    :param session: the session to use; None creates one that `close` closes.
    :param auth: the token provider, or None for unauthenticated requests.
    :param timeout: the default timeouts.
    :param retry: the retry policy (None = no retries).
    :param user_agent: the User-Agent header.
    :param verify: TLS verification (None = the session's own setting).
    :param max_body_size: largest body read, in bytes once decompressed (None = no limit).
    :param sleep: sleeps between retries (injectable for tests).
    :param random: returns a float in [0, 1) for jitter.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        auth: Auth | None = None,
        timeout: Timeout,
        retry: RetryPolicy | None,
        user_agent: str,
        verify: bool | str | None = None,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.owns_session = session is None
        self.session: requests.Session = requests.Session() if session is None else session
        self.auth = auth
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy.disabled()
        self._verify = verify
        self.max_body_size = check_max_body_size(max_body_size)
        self._sleep = sleep
        self._random = random
        self._timeout_plain = timeout.as_requests(wait=False)
        self._timeout_wait = timeout.as_requests(wait=True)
        self._budget_plain = timeout.deadline(wait=False)
        self._budget_wait = timeout.deadline(wait=True)
        self._headers: dict[str, str] = {"Accept": "application/json", "User-Agent": user_agent}
        self._json_headers: dict[str, str] = {**self._headers, "Content-Type": "application/json"}
        # The Authorization header is set through requests' ``auth=`` hook, so neither a ~/.netrc
        # entry nor credentials in the URL can replace it. A static token gets one hook for ever; a
        # refreshable provider gets a new hook whenever its header value changes.
        self._dynamic_auth = auth is not None and not isinstance(auth, BearerToken)
        self._static_hook: _AuthorizationHook | None = None
        if isinstance(auth, BearerToken):
            self._static_hook = _AuthorizationHook(auth.authorization(self.fetch_token))
        self._dynamic_hook = _AuthorizationHook("")

    def close(self) -> None:
        """Close the session if this transport created it."""
        if self.owns_session:
            self.session.close()

    def call(
        self,
        operation: str,
        method: str,
        url: str,
        cls: type[T],
        *,
        body: bytes | None = None,
        idempotent: bool,
        timeout: TimeoutTypes | UnsetType = UNSET,
        wait: bool = False,
        envelope: bool = True,
    ) -> T:
        """Send one operation and decode its 2xx JSON body as ``cls`` (``{"data": ...}`` if ``envelope``)."""
        response = self.send(
            operation, method, url, body=body, idempotent=idempotent, timeout=timeout, wait=wait
        )
        return self.decode(operation, response, cls, envelope=envelope)

    def call_no_content(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        idempotent: bool,
        timeout: TimeoutTypes | UnsetType = UNSET,
    ) -> None:
        """Send one operation whose success carries no body (204)."""
        self.send(operation, method, url, body=body, idempotent=idempotent, timeout=timeout)

    def decode(
        self, operation: str, response: requests.Response, cls: type[T], *, envelope: bool = True
    ) -> T:
        """Decode a 2xx answer as ``cls``; anything undecodable raises `DecodeError` naming ``operation``."""
        content = response.content
        fast = typed_decoder(cls)
        with paused_collector:  # the collections decoding triggers are most of its time
            if fast is not None:
                try:
                    return fast(content, envelope)
                except Fallback:
                    pass  # the ordinary way below gives the model or the error
            try:
                payload = loads(content)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                raise self._decode_error(operation, response, f"the body is not JSON ({exc})") from exc
            except RecursionError as exc:  # valid JSON, nested deeper than the parser goes
                raise self._decode_error(operation, response, "the body is nested too deep") from exc
            if envelope and (type(payload) is not dict or "data" not in payload):
                raise self._decode_error(operation, response, 'the body has no "data" member')
            try:
                return structure_owned(payload, cls)  # the payload is ours: freed as it decodes
            except Exception as exc:  # cattrs raises many kinds; none may escape undecorated
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                raise self._decode_error(
                    operation, response, f"the body does not decode as {cls.__name__} ({reason})"
                ) from exc

    @staticmethod
    def _decode_error(operation: str, response: requests.Response, reason: str) -> DecodeError:
        body = (response.content or b"").decode("utf-8", errors="replace")
        excerpt = f"; body: {one_line(body, 120)!r}" if body.strip() else "; empty body"
        return DecodeError(
            f"{operation}: could not decode the {response.status_code} answer: "
            f"{one_line(reason, 240)}{excerpt}",
            operation=operation,
            status_code=response.status_code,
            body=body,
            response=response,
        )

    def fetch_token(self, url: str, form: Mapping[str, str]) -> Mapping[str, Any]:
        """POST an OAuth2 token request (url-encoded ``form``) and return the JSON object answered."""
        response = self.send("fetchToken", "POST", url, body=dict(form), idempotent=True, token_request=True)
        try:
            payload = json.loads(response.content)
        except ValueError as exc:
            raise self._decode_error("fetchToken", response, f"the body is not JSON ({exc})") from exc
        except RecursionError as exc:
            raise self._decode_error("fetchToken", response, "the body is nested too deep") from exc
        if not isinstance(payload, dict):
            raise self._decode_error("fetchToken", response, "the body is not a JSON object")
        return payload

    def _hook(self) -> _AuthorizationHook | None:
        if not self._dynamic_auth:
            return self._static_hook
        assert self.auth is not None
        value = self.auth.authorization(self.fetch_token)
        hook = self._dynamic_hook
        if hook.value != value:
            hook = self._dynamic_hook = _AuthorizationHook(value)
        return hook

    def send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        body: bytes | dict[str, str] | None = None,
        idempotent: bool,
        timeout: TimeoutTypes | UnsetType = UNSET,
        wait: bool = False,
        token_request: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send with retries and return the 2xx response, its body read; raise the mapped error otherwise.

        The whole call, retries and the waits between them included, ends by the deadline of the
        `Timeout` (``Timeout.deadline``): a retry that would start after it is not made.
        """
        if timeout is UNSET:
            req_timeout = self._timeout_wait if wait else self._timeout_plain
            budget = self._budget_wait if wait else self._budget_plain
        else:
            resolved = resolve_timeout(timeout, self.timeout)
            req_timeout = resolved.as_requests(wait=wait)
            budget = resolved.deadline(wait=wait)
        deadline = None if budget is None else time.monotonic() + budget
        limit = self.max_body_size
        retry = self.retry
        request = self.session.request
        attempt = 1
        refreshed = False
        attempt_timeout = req_timeout
        while True:
            if token_request:
                headers, hook = self._headers, None
            else:
                headers = self._headers if body is None else self._json_headers
                hook = self._hook()
            if budget is not None:
                left = (
                    budget
                    if attempt == 1 and not refreshed
                    else self._time_left(deadline, operation, method, url, budget, wait)
                )
                attempt_timeout = _cut(req_timeout, left)
            if extra_headers:
                headers = {**headers, **extra_headers}
            debug = _logger.isEnabledFor(_DEBUG)
            started = time.perf_counter() if debug else 0.0
            response: requests.Response | None = None
            try:
                response = request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    auth=hook,
                    timeout=attempt_timeout,
                    verify=self._verify,
                    stream=True,
                    allow_redirects=False,
                )
                read_timeout = attempt_timeout[1] if attempt_timeout is not None else None
                _read_body(response, limit, deadline, read_timeout)
            except rexc.RequestException as exc:
                if response is not None:
                    response.close()
                if debug:
                    _logger.debug(
                        "%s %s %s -> %s after %.1f ms",
                        operation, method, redact_url(url), type(exc).__name__,
                        (time.perf_counter() - started) * 1000.0,
                    )  # fmt: skip
                if (
                    attempt < retry.max_attempts
                    and _retryable_exception(exc)
                    and (idempotent or _never_sent(exc))
                ):
                    delay = retry.backoff(attempt, self._random)
                    if _fits(deadline, delay):
                        self._log_retry(operation, method, url, attempt, delay, type(exc).__name__)
                        self._sleep(delay)
                        attempt += 1
                        continue
                raise _transport_error(operation, method, url, exc, attempt_timeout, wait) from exc
            except _DeadlineReached as exc:
                assert response is not None  # only _read_body raises it
                response.close()
                raise self._deadline_error(operation, method, url, budget, wait) from exc.__cause__
            except _BodyTooLarge:
                assert response is not None and limit is not None
                response.close()
                raise self._too_large_error(operation, method, url, response, limit) from None
            status = response.status_code
            if debug:
                _logger.debug(
                    "%s %s %s -> %d in %.1f ms",
                    operation, method, redact_url(url), status, (time.perf_counter() - started) * 1000.0,
                )  # fmt: skip
            if 200 <= status < 300:
                return response
            if status == 401 and not refreshed and self._dynamic_auth and hook is not None:
                refreshed = True
                assert self.auth is not None
                if self.auth.refresh_on_401(hook.value):
                    if debug:
                        _logger.debug("%s: 401, fetching a new token and sending once more", operation)
                    continue
            if idempotent and attempt < retry.max_attempts and status in retry.retry_statuses:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is None:
                    delay = retry.backoff(attempt, self._random)
                elif retry_after <= retry.max_retry_after:
                    delay = retry_after
                else:
                    delay = math.inf
                if _fits(deadline, delay):
                    self._log_retry(operation, method, url, attempt, delay, str(status))
                    self._sleep(delay)
                    attempt += 1
                    continue
            error = error_from_response(operation, method, url, response, token_endpoint=token_request)
            if self.auth is None and isinstance(error, AuthenticationError):
                hint = "this client has no credentials (pass token=, or client_id= and client_secret=)"
                error.args = (f"{error}; {hint}",)
            raise error

    def _time_left(
        self, deadline: float | None, operation: str, method: str, url: str, budget: float, wait: bool
    ) -> float:
        """Seconds left before ``deadline``; raise the deadline's `ReadTimeout` if none are."""
        assert deadline is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._deadline_error(operation, method, url, budget, wait)
        return left

    @staticmethod
    def _deadline_error(
        operation: str, method: str, url: str, budget: float | None, wait: bool
    ) -> ReadTimeout:
        safe_url = redact_url(url)
        which = "Timeout.total + Timeout.wait_read" if wait else "Timeout.total"
        return ReadTimeout(
            f"{operation}: {method} {safe_url} did not complete within its {budget:g} s deadline ({which})",
            operation=operation,
            method=method,
            url=safe_url,
        )

    @staticmethod
    def _too_large_error(
        operation: str, method: str, url: str, response: requests.Response, limit: int
    ) -> BodyTooLargeError:
        return BodyTooLargeError(
            f"{operation}: the {response.status_code} answer to {method} {redact_url(url)} is larger "
            f"than max_body_size ({limit:,} bytes once decompressed); not read",
            limit=limit,
            operation=operation,
            status_code=response.status_code,
            response=response,
        )

    def _log_retry(self, operation: str, method: str, url: str, attempt: int, delay: float, why: str) -> None:
        if _logger.isEnabledFor(_DEBUG):
            _logger.debug(
                "%s %s %s: %s, retrying in %.2f s (attempt %d of %d)",
                operation, method, redact_url(url), why, delay, attempt + 1, self.retry.max_attempts,
            )  # fmt: skip

    def __repr__(self) -> str:
        return f"Transport(auth={self.auth!r}, timeout={self.timeout!r}, retry={self.retry!r})"
