"""Token providers: a static bearer token, or OAuth2 client credentials with a cached token.

The client asks its `Auth` for the ``Authorization`` header value before each request and tells it
about a 401 answer (`Auth.refresh_on_401`), after which a refreshable provider fetches a new token
and the request is sent once more. Token requests themselves go through the client's transport (the
``fetch`` callable), so they share its session, timeouts, retries and error mapping.

Secrets (tokens, client secrets) never appear in reprs: they are kept in `Secret` wrappers.
"""

from __future__ import annotations

import abc
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from formance_orchestration._exceptions import DecodeError

__all__ = [
    "DEFAULT_TOKEN_LEEWAY",
    "TOKEN_PATH",
    "Auth",
    "BearerToken",
    "ClientCredentials",
    "Secret",
    "TokenFetcher",
]

#: Path of the stack's token endpoint, appended to the client's base URL by default.
TOKEN_PATH: Final[str] = "/api/auth/oauth/token"
#: A cached token is renewed this many seconds before it expires (at most a tenth of its lifetime).
DEFAULT_TOKEN_LEEWAY: Final[float] = 30.0

#: ``fetch(url, form)``: POST ``form`` url-encoded to ``url`` and return the decoded JSON object.
#: Raises the client's errors (`AuthenticationError` when the credentials are refused).
TokenFetcher = Callable[[str, Mapping[str, str]], Mapping[str, Any]]


class Secret:
    """A string that never shows in reprs, logs or tracebacks' locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a secret must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        """Return the secret text."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Auth(abc.ABC):
    """Supplies the ``Authorization`` header of each request."""

    #: True when the provider can obtain new credentials after a 401 (then the request is resent once).
    refreshable: bool = False

    @abc.abstractmethod
    def authorization(self, fetch: TokenFetcher) -> str:
        """Return the ``Authorization`` header value, fetching a token with ``fetch`` if needed."""

    def refresh_on_401(self, authorization: str) -> bool:
        """Forget ``authorization`` after a 401; return True if sending again may now succeed."""
        return False


class BearerToken(Auth):
    """A fixed bearer token (``Authorization: Bearer <token>``); a 401 is final.

    :param token: the access token.
    """

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token:
            raise ValueError("token must be a non-empty string")
        self._header = Secret("Bearer " + token)

    def authorization(self, fetch: TokenFetcher) -> str:
        """Return ``Bearer <token>``."""
        return self._header.reveal()

    def __repr__(self) -> str:
        return "BearerToken(token='***')"


class _Cached:
    __slots__ = ("header", "refresh_at")

    def __init__(self, header: str, refresh_at: float) -> None:
        self.header = header
        self.refresh_at = refresh_at

    def __repr__(self) -> str:
        return f"_Cached(header='***', refresh_at={self.refresh_at!r})"


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class ClientCredentials(Auth):
    """OAuth2 client credentials: fetch a token on first use, cache it, renew it before it expires.

    The token request is ``POST token_url`` with the url-encoded form
    ``grant_type=client_credentials&client_id=...&client_secret=...`` (credentials in the form body,
    RFC 6749 §2.3.1, which the stack's auth server accepts; no HTTP basic header) plus ``scope`` when
    given. The token is cached until ``expires_in`` minus a margin (``leeway`` seconds, at most a
    tenth of the lifetime); without ``expires_in`` it is kept until the server answers 401. On a 401
    the token is dropped and fetched again, once per request. The cache is thread-safe, and concurrent
    callers wait for a single token request.

    :param client_id: the OAuth2 client id.
    :param client_secret: the OAuth2 client secret.
    :param token_url: the token endpoint (the client defaults it to ``<base_url>/api/auth/oauth/token``).
    :param scope: optional space-separated scopes.
    :param leeway: seconds before expiry at which the token is renewed.
    :param clock: monotonic clock in seconds (injectable for tests).
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        token_url: str,
        *,
        scope: str | None = None,
        leeway: float = DEFAULT_TOKEN_LEEWAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be a non-empty string")
        if not isinstance(token_url, str) or not token_url:
            raise ValueError("token_url must be a non-empty string")
        if leeway < 0:
            raise ValueError("leeway must be >= 0")
        self._client_id = client_id
        self._secret = Secret(client_secret)
        self._token_url = token_url
        self._scope = scope
        self._leeway = float(leeway)
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: _Cached | None = None
        self.fetch_count = 0

    @property
    def client_id(self) -> str:
        """The OAuth2 client id (not a secret)."""
        return self._client_id

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return self._token_url

    def authorization(self, fetch: TokenFetcher) -> str:
        """Return ``Bearer <token>``, fetching a token when none is cached or it is about to expire."""
        cached = self._cached
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.header
        with self._lock:
            cached = self._cached
            if cached is not None and self._clock() < cached.refresh_at:
                return cached.header
            cached = self._fetch(fetch)
            self._cached = cached
            return cached.header

    def refresh_on_401(self, authorization: str) -> bool:
        """Drop the cached token if it is the one refused; return True (a new one will be fetched)."""
        with self._lock:
            if self._cached is not None and self._cached.header == authorization:
                self._cached = None
        return True

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        with self._lock:
            self._cached = None

    def _fetch(self, fetch: TokenFetcher) -> _Cached:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.reveal(),
        }
        if self._scope:
            form["scope"] = self._scope
        started = self._clock()
        data = fetch(self._token_url, form)
        self.fetch_count += 1
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise DecodeError("fetchToken: the token response has no access_token", operation="fetchToken")
        expires_in = _seconds(data.get("expires_in"))
        if expires_in is None:
            refresh_at = math.inf
        else:
            refresh_at = started + expires_in - min(self._leeway, expires_in / 10.0)
        return _Cached("Bearer " + token, refresh_at)

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(client_id={self._client_id!r}, client_secret='***', "
            f"token_url={self._token_url!r})"
        )
