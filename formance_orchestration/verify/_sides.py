"""The two sides of a comparison: the target over HTTP, and an in-process fake (no network)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import requests
import requests.exceptions as rexc

from formance_orchestration.verify._compare import Answer
from formance_orchestration.verify._scenario import Call

if TYPE_CHECKING:
    from fakeserver import FakeApp
    from formance_orchestration._client import OrchestrationClient

__all__ = ["FakeSide", "HttpTarget", "TargetError"]


class TargetError(Exception):
    """The target cannot be compared: unreachable, or it refuses our credentials.

    :param message: one line, without secrets.
    """


class HttpTarget:
    """Sends planned calls to the stack a client is configured for, and returns the raw answers.

    Uses the client's session, credentials (a static token or OAuth2 client credentials, fetched
    through the client's transport), timeouts and TLS setting; never retries (a retry would be a
    request the plan did not print).

    :param client: the configured client.
    """

    def __init__(self, client: OrchestrationClient) -> None:
        self._client = client
        # The transport is this package's own: its token fetching and TLS setting are reused as is.
        self._transport = client._transport
        self.root = client.base_url + client.prefix

    def send(self, call: Call) -> Answer:
        """Send one resolved call; raise :class:`TargetError` when no HTTP answer comes back."""
        from formance_orchestration._exceptions import OrchestrationError
        from formance_orchestration._http import redact_url

        url = self.root + call.path + (f"?{call.query}" if call.query else "")
        headers = {"Accept": "application/json"}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        auth = self._client.auth
        try:
            if auth is not None:
                headers["Authorization"] = auth.authorization(self._transport.fetch_token)
        except OrchestrationError as exc:
            raise TargetError(f"cannot get a token: {_one_line(str(exc))}") from exc
        wait = "wait=true" in call.query
        try:
            response = self._transport.session.request(
                call.method,
                url,
                data=call.body,
                headers=headers,
                timeout=self._client.timeout.as_requests(wait=wait),
                verify=self._transport._verify,
                allow_redirects=False,
            )
        except rexc.RequestException as exc:
            raise TargetError(f"{call.method} {redact_url(url)}: {_reason(exc)}") from exc
        return Answer(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            redact_url(response.headers.get("Location", "")),
        )

    def pause(self, seconds: float) -> None:
        """Let time pass between two polls."""
        time.sleep(seconds)


class FakeSide:
    """Sends planned calls to a :class:`fakeserver.FakeApp` in this process (its clock is virtual).

    :param app: the fake.
    """

    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def send(self, call: Call) -> Answer:
        """Answer one resolved call."""
        from fakeserver import FakeRequest

        headers = {"accept": "application/json"}
        if call.body is not None:
            headers["content-type"] = "application/json"
        response = self.app.handle(
            FakeRequest(
                method=call.method, path=call.path, query=call.query, headers=headers, body=call.body or b""
            )
        )
        content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
        return Answer(response.status, content_type, response.body)

    def pause(self, seconds: float) -> None:
        """Move the fake's virtual clock."""
        self.app.engine.advance(seconds)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _reason(exc: requests.RequestException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("Temporary failure in name resolution", "unknown host"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate verification failed"),
        ("Read timed out", "no answer within the timeout"),
        ("ConnectTimeout", "no connection within the timeout"),
        ("RemoteDisconnected", "the server closed the connection without answering"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__
