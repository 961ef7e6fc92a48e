"""Masking of credentials wherever the fake shows a request or an answer (call log, request log).

A value is masked (``***``) when its name says it is a credential: header names such as
``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``, ``X-Api-Key``; and query, form
or JSON keys containing ``secret``, ``token``, ``password``, ``passwd``, ``apikey``/``api_key``,
``authorization``, ``credential``, ``cookie`` or ``session`` (any case, ``_``/``-`` ignored). An
``Authorization`` header keeps its scheme (``Bearer ***``). JSON bodies are masked at every depth;
a body that is not JSON is masked as a form (``a=1&client_secret=...``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, quote

__all__ = ["MASK", "is_secret_name", "mask_body", "mask_headers", "mask_query", "mask_target", "mask_text"]

#: What a secret is replaced with.
MASK: Final = "***"

_SECRET_WORDS = re.compile(r"secret|token|password|passwd|apikey|authorization|credential|cookie|session")
_SECRET_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
_MAX_DEPTH: Final = 64


def is_secret_name(name: str) -> bool:
    """Whether a query, form, JSON or header name holds a credential."""
    return _SECRET_WORDS.search(name.lower().replace("_", "").replace("-", "")) is not None


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with credentials masked (``Authorization: Bearer ***``)."""
    shown = dict(headers)
    for name, value in headers.items():
        key = name.lower()
        if key in ("authorization", "proxy-authorization"):
            scheme = value.strip().partition(" ")[0]
            shown[name] = f"{scheme} {MASK}" if scheme and " " in value.strip() else MASK
        elif key in _SECRET_HEADERS or is_secret_name(key):
            shown[name] = MASK
    return shown


def mask_query(query: str) -> str:
    """A query string (or form body) with the values of credential names masked."""
    if not query or not _SECRET_WORDS.search(query.lower().replace("_", "").replace("-", "")):
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{quote(key, safe='')}={MASK if is_secret_name(key) else quote(value, safe='')}"
        for key, value in pairs
    )


_NAME_VALUE = re.compile(r"([A-Za-z0-9_.\-]+)=([^&\s\"']*)")


def mask_text(text: str) -> str:
    """Free text (a log line) with every ``name=value`` whose name is a credential masked."""
    return _NAME_VALUE.sub(lambda m: f"{m[1]}={MASK}" if is_secret_name(m[1]) else m[0], text)


def mask_target(target: str) -> str:
    """A request target (``/path?query``) with its query masked."""
    path, sep, query = target.partition("?")
    return path + sep + mask_query(query) if sep else target


def _mask_json(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            key: MASK if isinstance(key, str) and is_secret_name(key) else _mask_json(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_json(item, depth + 1) for item in value]
    return value


def mask_body(body: bytes) -> str:
    """A request or answer body as text, with credentials masked (JSON at every depth, or a form)."""
    text = body.decode("utf-8", errors="replace")
    if not _SECRET_WORDS.search(text.lower().replace("_", "").replace("-", "")):
        return text
    try:
        return json.dumps(_mask_json(json.loads(text)))
    except (ValueError, RecursionError):
        pass
    if text.lstrip()[:1] in ("{", "["):  # JSON the fake cannot read back: show none of it
        return f"<{len(body)} bytes, not shown: it may hold a credential>"
    return mask_query(text)
