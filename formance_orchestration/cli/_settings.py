"""Connection and output settings: command-line options first, then environment variables, then defaults.

Environment variables:

=================================  =====================================================
``FORMANCE_ORCHESTRATION_URL``     base URL of the stack or service (``--base-url``)
``FORMANCE_ORCHESTRATION_PREFIX``  path prefix of the service (``--prefix``)
``FORMANCE_TOKEN``                 bearer token (``--token``)
``FORMANCE_CLIENT_ID``             OAuth2 client id (``--client-id``)
``FORMANCE_CLIENT_SECRET``         OAuth2 client secret (``--client-secret``)
``FORMANCE_TOKEN_URL``             OAuth2 token endpoint (``--token-url``)
``FORMANCE_ORCHESTRATION_TIMEOUT`` HTTP timeout in seconds (``--http-timeout``)
``FORMANCE_ORCHESTRATION_OUTPUT``  ``table`` or ``json`` (``--output``)
``FORMANCE_ORCHESTRATION_RETRIES`` retries of a failed request (``--retries``)
=================================  =====================================================
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from formance_orchestration.cli._errors import UsageError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PREFIX",
    "ENV_BASE_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_OUTPUT",
    "ENV_PREFIX",
    "ENV_RETRIES",
    "ENV_TIMEOUT",
    "ENV_TOKEN",
    "ENV_TOKEN_URL",
    "OUTPUT_FORMATS",
    "Settings",
    "parse_seconds",
    "resolve_settings",
]

DEFAULT_BASE_URL = "http://localhost"
DEFAULT_PREFIX = "/api/orchestration"
OUTPUT_FORMATS = ("table", "json")

ENV_BASE_URL = "FORMANCE_ORCHESTRATION_URL"
ENV_PREFIX = "FORMANCE_ORCHESTRATION_PREFIX"
ENV_TOKEN = "FORMANCE_TOKEN"
ENV_CLIENT_ID = "FORMANCE_CLIENT_ID"
ENV_CLIENT_SECRET = "FORMANCE_CLIENT_SECRET"
ENV_TOKEN_URL = "FORMANCE_TOKEN_URL"
ENV_TIMEOUT = "FORMANCE_ORCHESTRATION_TIMEOUT"
ENV_OUTPUT = "FORMANCE_ORCHESTRATION_OUTPUT"
ENV_RETRIES = "FORMANCE_ORCHESTRATION_RETRIES"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a command needs to reach the service and print its answer.

    ``token`` and ``client_secret`` are excluded from ``repr`` so they never end up in a log line.
    """

    base_url: str = DEFAULT_BASE_URL
    prefix: str = DEFAULT_PREFIX
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    timeout: float | None = None
    retries: int | None = None
    output: str = "table"
    fake: bool = False

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """Values that must never be printed."""
        return (self.token, self.client_secret)

    @property
    def service_url(self) -> str:
        """The base URL joined with the prefix, for messages."""
        return self.base_url.rstrip("/") + self.prefix


def parse_seconds(text: str, what: str) -> float:
    """Parse a positive number of seconds; raise ``UsageError`` naming ``what`` otherwise.

    :param text: the value as given.
    :param what: the option or variable name, for the message.
    """
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{what}: expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{what}: expected a positive number of seconds, got {text!r}")
    return value


def _pick(namespace: argparse.Namespace, dest: str, environ: Mapping[str, str], env: str) -> str | None:
    value = getattr(namespace, dest, None)
    if value is not None:
        return str(value)
    from_env = environ.get(env)
    if from_env is not None and from_env.strip() != "":
        return from_env.strip()
    return None


def resolve_settings(namespace: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    """Merge parsed options over environment variables over defaults, and check them.

    :param namespace: what ``argparse`` parsed (absent attributes mean "not given").
    :param environ: the environment (``os.environ``).
    """
    base_url = _pick(namespace, "base_url", environ, ENV_BASE_URL) or DEFAULT_BASE_URL
    if not base_url.startswith(("http://", "https://")) or len(base_url.split("://", 1)[1].strip("/")) == 0:
        raise UsageError(f"base URL must start with http:// or https:// and name a host, got {base_url!r}")
    prefix = _pick(namespace, "prefix", environ, ENV_PREFIX)
    if prefix is None:
        prefix = DEFAULT_PREFIX
    prefix = prefix.strip()
    prefix = "" if prefix in ("", "/") else "/" + prefix.strip("/")

    token = _pick(namespace, "token", environ, ENV_TOKEN)
    client_id = _pick(namespace, "client_id", environ, ENV_CLIENT_ID)
    client_secret = _pick(namespace, "client_secret", environ, ENV_CLIENT_SECRET)
    token_url = _pick(namespace, "token_url", environ, ENV_TOKEN_URL)
    if (client_id is None) != (client_secret is None):
        missing = "--client-secret" if client_secret is None else "--client-id"
        env = ENV_CLIENT_SECRET if client_secret is None else ENV_CLIENT_ID
        raise UsageError(f"client credentials need both an id and a secret: give {missing} (or {env})")
    if token is not None and client_id is not None:
        raise UsageError("give either a token or client credentials, not both")

    if getattr(namespace, "misplaced_timeout", None) is not None:
        raise UsageError(
            "--timeout before the command is not an option: use --http-timeout SECONDS for the HTTP "
            "timeout (after `instances wait` or `--wait`, --timeout SECONDS is how long to wait)"
        )
    timeout_text = getattr(namespace, "http_timeout", None)
    timeout: float | None = None
    if timeout_text is not None:
        timeout = parse_seconds(str(timeout_text), "--http-timeout")
    elif environ.get(ENV_TIMEOUT, "").strip():
        timeout = parse_seconds(environ[ENV_TIMEOUT].strip(), ENV_TIMEOUT)

    retries: int | None = None
    retries_text = _pick(namespace, "retries", environ, ENV_RETRIES)
    if retries_text is not None:
        what = "--retries" if getattr(namespace, "retries", None) is not None else ENV_RETRIES
        try:
            retries = int(retries_text)
        except ValueError:
            raise UsageError(f"{what}: expected a whole number, got {retries_text!r}") from None
        if retries < 0:
            raise UsageError(f"{what}: expected 0 or more, got {retries_text!r}")

    output = _pick(namespace, "output", environ, ENV_OUTPUT) or "table"
    if output not in OUTPUT_FORMATS:
        raise UsageError(f"output format must be one of {', '.join(OUTPUT_FORMATS)}, got {output!r}")

    return Settings(
        base_url=base_url.rstrip("/"),
        prefix=prefix,
        token=token,
        client_id=client_id,
        client_secret=client_secret,
        token_url=token_url,
        timeout=timeout,
        retries=retries,
        output=output,
        fake=bool(getattr(namespace, "fake", False)),
    )
