"""A no-op ``requests`` transport: answers prebuilt bytes by path, without sockets or ``responses``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

__all__ = ["STUB_URL", "StubAdapter", "stub_session"]

#: Base URL the stub session is mounted on (never resolved: the adapter answers before any socket).
STUB_URL = "http://stub.invalid"


class StubAdapter(BaseAdapter):
    """Answers each request with the bytes registered for its path (query ignored), 404 otherwise.

    :param routes: path -> (status, body).
    """

    def __init__(self, routes: Mapping[str, tuple[int, bytes]]) -> None:
        super().__init__()
        self.routes = dict(routes)
        self.calls = 0

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Build the response for ``request`` from the prebuilt bytes."""
        self.calls += 1
        path = (request.path_url or "/").partition("?")[0]
        status, body = self.routes.get(path, (404, b"404 page not found\n"))
        response = requests.Response()
        response.status_code = status
        response.reason = "OK" if status < 400 else "Not Found"
        headers = CaseInsensitiveDict({"Content-Type": "application/json", "Content-Length": str(len(body))})
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)
        response._content = body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


def stub_session(routes: Mapping[str, tuple[int, bytes]]) -> tuple[requests.Session, StubAdapter]:
    """A session with a ``StubAdapter`` mounted on ``STUB_URL``.

    ``trust_env`` is off: ``requests`` would otherwise scan every environment variable for proxy
    settings on each call, a cost that depends on the machine's environment, not on the code measured
    (it is removed from both sides of every comparison alike).
    """
    session = requests.Session()
    session.trust_env = False
    adapter = StubAdapter(routes)
    session.mount(STUB_URL, adapter)
    return session, adapter
