"""The transport-neutral request and response every transport builds and sends back."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["FakeRequest", "FakeResponse"]


@attrs.frozen(kw_only=True)
class FakeRequest:
    """One HTTP request as the fake sees it.

    :param method: upper-case HTTP method.
    :param path: the URL path, percent-decoded, with or without the ``/api/orchestration`` prefix.
    :param query: the raw query string (no leading ``?``).
    :param headers: header names in lower case.
    :param body: the raw body (``b""`` when there is none).
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


@attrs.frozen(kw_only=True)
class FakeResponse:
    """One answer: status, headers and raw body bytes.

    :param operation: the operationId that handled it (``None`` for unknown paths and control calls).
    :param drop_connection: set by fault injection: an HTTP transport closes the socket without answering.
    """

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    operation: str | None = None
    drop_connection: bool = False
