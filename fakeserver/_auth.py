"""Authentication as the stack's gateway does it: OAuth2 client-credentials tokens, checked per call.

The Orchestration service itself has no auth: the gateway in front of it rejects a call without a
valid ``Authorization: Bearer <token>`` with **401 and an empty body**, and the stack's auth service
issues tokens at ``POST /api/auth/oauth/token``. :class:`TokenAuthority` plays both parts for the
fake. ``FakeApp`` calls :meth:`TokenAuthority.issue` for the token endpoint and
:meth:`TokenAuthority.is_authorized` before every API call.

Token endpoint (RFC 6749 §4.4, client credentials grant):

* form-encoded body (``application/x-www-form-urlencoded``) with ``grant_type=client_credentials``;
* the client authenticates either with ``client_id`` / ``client_secret`` in the form, or with HTTP
  Basic (``Authorization: Basic base64(id:secret)``), not both;
* 200 ``{"access_token": "...", "token_type": "Bearer", "expires_in": <seconds>}`` (plus ``scope``
  when one was asked for), with ``Cache-Control: no-store``;
* errors are ``{"error": "<code>", "error_description": "<text>"}``: ``invalid_request`` (400: wrong
  content type, a missing or repeated parameter, two authentication methods), ``unsupported_grant_type``
  (400), ``invalid_client`` (401: unknown client or wrong secret, with ``WWW-Authenticate``).

Tokens are opaque random strings. They expire ``ttl`` seconds after issue **on the fake's clock**, so a
test on a ``ManualClock`` makes them expire by advancing it. Static tokens never expire.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from fakeserver._clock import Clock
from fakeserver._types import FakeRequest, FakeResponse

__all__ = ["TOKEN_PATH", "TokenAuthority"]

#: The path of the stack's OAuth2 token endpoint (served beside the API).
TOKEN_PATH = "/api/auth/oauth/token"

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def _json_response(
    status: int, payload: Mapping[str, Any], extra: Mapping[str, str] | None = None
) -> FakeResponse:
    headers = {"content-type": "application/json", **_NO_STORE, **(extra or {})}
    return FakeResponse(status=status, headers=headers, body=json.dumps(payload).encode("utf-8"))


def _oauth_error(
    status: int, error: str, description: str, extra: Mapping[str, str] | None = None
) -> FakeResponse:
    return _json_response(status, {"error": error, "error_description": description}, extra)


class TokenAuthority:
    """Issues and checks bearer tokens (thread-safe).

    :param clock: the fake's clock; token expiry follows it.
    :param clients: the accepted OAuth2 clients, ``{client_id: client_secret}``.
    :param ttl: lifetime of an issued token, in seconds.
    :param static_tokens: tokens accepted for ever, without going through the token endpoint.
    """

    def __init__(
        self,
        clock: Clock,
        clients: Mapping[str, str],
        *,
        ttl: float = 3600.0,
        static_tokens: Iterable[str] = (),
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds, not {ttl!r}")
        self.clock = clock
        self.clients: dict[str, str] = dict(clients)
        self.ttl = float(ttl)
        self.static_tokens: frozenset[str] = frozenset(static_tokens)
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._issued = 0

    # -- the token endpoint ---------------------------------------------------------------------

    def issue(self, request: FakeRequest) -> FakeResponse:
        """Answer one call of the token endpoint (client credentials grant, OAuth2 JSON errors)."""
        if request.method != "POST":
            return FakeResponse(
                status=405,
                headers={"content-type": "application/json", "allow": "POST"},
            )
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != _FORM:
            return _oauth_error(400, "invalid_request", f"the request body must be {_FORM}")
        try:
            form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "the request body is not valid UTF-8")
        repeated = sorted(name for name, values in form.items() if len(values) > 1)
        if repeated:
            return _oauth_error(400, "invalid_request", f"parameter {repeated[0]!r} is repeated")
        params = {name: values[0] for name, values in form.items()}

        grant_type = params.get("grant_type")
        if not grant_type:
            return _oauth_error(400, "invalid_request", "the grant_type parameter is missing")
        if grant_type != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", f"grant type {grant_type!r} is not supported")

        basic = self._basic_credentials(request.headers.get("authorization"))
        form_id, form_secret = params.get("client_id"), params.get("client_secret")
        if basic is not None and (form_secret is not None or (form_id is not None and form_id != basic[0])):
            return _oauth_error(400, "invalid_request", "the client used more than one authentication method")
        if basic is None and form_id is None:
            return _oauth_error(
                401,
                "invalid_client",
                "client authentication failed: no client credentials",
                {"www-authenticate": 'Basic realm="fakeserver"'},
            )
        if basic is not None:
            client_id, secret = basic
        else:
            client_id, secret = form_id or "", form_secret or ""
        if not self._client_matches(client_id, secret):
            return _oauth_error(
                401,
                "invalid_client",
                "client authentication failed",
                {"www-authenticate": 'Basic realm="fakeserver"'},
            )

        token = self.create_token(client_id)
        payload: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": max(1, int(self.ttl)),
        }
        if params.get("scope"):
            payload["scope"] = params["scope"]
        return _json_response(200, payload)

    def _basic_credentials(self, authorization: str | None) -> tuple[str, str] | None:
        if not authorization:
            return None
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ("", "")  # malformed: authenticates nobody
        client_id, _, secret = decoded.partition(":")
        if self._client_matches(client_id, secret):
            return client_id, secret
        # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
        return unquote_plus(client_id), unquote_plus(secret)

    def _client_matches(self, client_id: str, secret: str) -> bool:
        expected = self.clients.get(client_id)
        if expected is None:
            return False
        return hmac.compare_digest(expected.encode("utf-8"), secret.encode("utf-8"))

    # -- issuing and checking -------------------------------------------------------------------

    def create_token(self, client_id: str = "", *, ttl: float | None = None) -> str:
        """Issue a token directly (no HTTP), valid ``ttl`` seconds (default: the authority's)."""
        lifetime = self.ttl if ttl is None else ttl
        token = "fake_" + secrets.token_urlsafe(24)
        expires = self.clock.now() + timedelta(seconds=lifetime)
        with self._lock:
            self._drop_expired()
            self._tokens[token] = (client_id, expires)
            self._issued += 1
        return token

    def is_authorized(self, authorization: str | None) -> bool:
        """``True`` when ``authorization`` is ``Bearer <token>`` with a static or unexpired token."""
        if not authorization:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        if token in self.static_tokens:
            return True
        with self._lock:
            entry = self._tokens.get(token)
        return entry is not None and self.clock.now() < entry[1]

    def expires_at(self, token: str) -> datetime | None:
        """When an issued token expires (``None`` for unknown or static tokens)."""
        with self._lock:
            entry = self._tokens.get(token)
        return None if entry is None else entry[1]

    @property
    def issued(self) -> int:
        """How many tokens were issued since creation or the last :meth:`reset`."""
        with self._lock:
            return self._issued

    def revoke(self, token: str | None = None) -> None:
        """Forget one issued token, or every issued token when ``token`` is ``None``."""
        with self._lock:
            if token is None:
                self._tokens.clear()
            else:
                self._tokens.pop(token, None)

    def reset(self) -> None:
        """Forget every issued token and the issue count (clients and static tokens stay)."""
        with self._lock:
            self._tokens.clear()
            self._issued = 0

    def _drop_expired(self) -> None:
        now = self.clock.now()
        for token in [token for token, (_, expires) in self._tokens.items() if expires <= now]:
            del self._tokens[token]
