"""Client configuration as frozen value objects: `Timeout` and `RetryPolicy`.

Both are plain values: compare them, hash them, put them in module constants and pass them to
`OrchestrationClient(timeout=..., retry=...)`. Per-call overrides (`timeout=` on every method) are
merged over the client's defaults in one place, `resolve_timeout`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from typing import Final, TypeAlias

import attrs
import requests

from formance_orchestration._version import __version__

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PREFIX",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "DEFAULT_WAIT_READ_TIMEOUT",
    "UNSET",
    "RetryPolicy",
    "Timeout",
    "TimeoutTypes",
    "UnsetType",
    "check_max_body_size",
    "resolve_timeout",
]


class UnsetType(enum.Enum):
    """Type of `UNSET`: tells "not given" apart from `None` (which means "no limit")."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = UnsetType.UNSET

#: Seconds allowed to open the TCP (and TLS) connection.
DEFAULT_CONNECT_TIMEOUT: Final[float] = 5.0
#: Seconds allowed between two bytes of the answer (requests' read timeout).
DEFAULT_READ_TIMEOUT: Final[float] = 30.0
#: Read timeout of `run_workflow(..., wait=True)`, which blocks while the workflow runs.
DEFAULT_WAIT_READ_TIMEOUT: Final[float] = 300.0
#: Seconds one call may take in all: connecting, the answer with its whole body, every retry and
#: the waits between them (a waiting run gets its ``wait_read`` on top).
DEFAULT_TOTAL_TIMEOUT: Final[float] = 120.0
#: Largest answer body read, in bytes once decompressed: 64 MiB (about 200,000 listed instances).
DEFAULT_MAX_BODY_SIZE: Final[int] = 64 * 1024 * 1024
#: Path prefix of the service behind the stack's gateway.
DEFAULT_PREFIX: Final[str] = "/api/orchestration"


#: User-Agent sent with every request unless the client is given another one.
DEFAULT_USER_AGENT: Final[str] = (
    f"formance-orchestration-python/{__version__} python-requests/{requests.__version__}"
)

_Seconds: TypeAlias = float | None


def _check_seconds(name: str, value: object) -> _Seconds:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Timeout {name} must be a number of seconds or None, not {type(value).__name__}")
    seconds = float(value)
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError(f"Timeout {name} must be positive, got {value!r}")
    return seconds


class Timeout:
    """Timeouts in seconds (None = no limit): one default plus per-phase overrides.

    Phases: ``connect`` (opening the connection), ``read`` (the longest silence while waiting for
    the answer or any part of it), ``wait_read`` (the read timeout of ``run_workflow(...,
    wait=True)``, which answers only once the workflow has ended) and ``total`` (the deadline of a
    whole call).

    ``total`` bounds a call from its start to its last byte: connecting, sending, waiting, reading
    the whole body, and every retry with the waits between them. A retry whose wait would end past
    the deadline is not made (the last error is raised); each attempt's ``connect`` and ``read`` are
    cut to the time left; a body still arriving at the deadline raises `ReadTimeout`, however
    steadily its bytes trickle in. A waiting run may take ``wait_read`` seconds more than
    ``total``. The token request of OAuth2 credentials is a call of its own, with its own deadline.
    The status line and headers are bounded by ``read`` between two bytes, not by ``total``.

    ``Timeout()`` uses the named defaults (5 s connect, 30 s read, 300 s wait_read, 120 s total).
    ``Timeout(10)`` sets every phase to 10 s, ``Timeout(10, wait_read=600)`` every phase but one,
    ``Timeout(None)`` disables all limits, ``Timeout(connect=2)`` changes one phase and keeps the
    named defaults for the others. ``Timeout(other_timeout)`` copies.

    :param timeout: default for every phase not given; omitted = the named per-phase defaults.
    :param connect: connect timeout.
    :param read: read timeout of every request but a waiting run.
    :param wait_read: read timeout of a waiting run.
    :param total: deadline of a whole call, retries and body included.
    """

    __slots__ = ("_connect", "_read", "_total", "_wait_read")

    _connect: _Seconds
    _read: _Seconds
    _wait_read: _Seconds
    _total: _Seconds

    def __init__(
        self,
        timeout: Timeout | float | UnsetType | None = UNSET,
        *,
        connect: float | UnsetType | None = UNSET,
        read: float | UnsetType | None = UNSET,
        wait_read: float | UnsetType | None = UNSET,
        total: float | UnsetType | None = UNSET,
    ) -> None:
        given = {"connect": connect, "read": read, "wait_read": wait_read, "total": total}
        if isinstance(timeout, Timeout):
            if any(value is not UNSET for value in given.values()):
                raise TypeError("Timeout(timeout: Timeout) takes no per-phase overrides; use .replace()")
            values = timeout._key()
        else:
            if timeout is UNSET:
                defaults: dict[str, _Seconds] = {
                    "connect": DEFAULT_CONNECT_TIMEOUT,
                    "read": DEFAULT_READ_TIMEOUT,
                    "wait_read": DEFAULT_WAIT_READ_TIMEOUT,
                    "total": DEFAULT_TOTAL_TIMEOUT,
                }
            else:
                seconds = _check_seconds("timeout", timeout)
                defaults = dict.fromkeys(given, seconds)
            connect_s, read_s, wait_read_s, total_s = (
                defaults[name] if value is UNSET else _check_seconds(name, value)
                for name, value in given.items()
            )
            values = (connect_s, read_s, wait_read_s, total_s)
        object.__setattr__(self, "_connect", values[0])
        object.__setattr__(self, "_read", values[1])
        object.__setattr__(self, "_wait_read", values[2])
        object.__setattr__(self, "_total", values[3])

    @property
    def connect(self) -> float | None:
        """Seconds allowed to connect (None = no limit)."""
        return self._connect

    @property
    def read(self) -> float | None:
        """Read timeout in seconds of every request but a waiting run (None = no limit)."""
        return self._read

    @property
    def wait_read(self) -> float | None:
        """Read timeout in seconds of ``run_workflow(..., wait=True)`` (None = no limit)."""
        return self._wait_read

    @property
    def total(self) -> float | None:
        """Deadline in seconds of a whole call, retries and body included (None = no limit)."""
        return self._total

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def replace(
        self,
        *,
        connect: float | UnsetType | None = UNSET,
        read: float | UnsetType | None = UNSET,
        wait_read: float | UnsetType | None = UNSET,
        total: float | UnsetType | None = UNSET,
    ) -> Timeout:
        """Return a copy with the given phases changed."""
        return Timeout(
            connect=self.connect if connect is UNSET else connect,
            read=self.read if read is UNSET else read,
            wait_read=self.wait_read if wait_read is UNSET else wait_read,
            total=self.total if total is UNSET else total,
        )

    def as_requests(self, *, wait: bool = False) -> tuple[_Seconds, _Seconds] | None:
        """Return the ``timeout=`` value for requests: ``(connect, read)``, or None for no limit."""
        read = self.wait_read if wait else self.read
        if self.connect is None and read is None:
            return None
        return (self.connect, read)

    def deadline(self, *, wait: bool = False) -> float | None:
        """Return the seconds a whole call may take: ``total``, plus ``wait_read`` for a waiting run."""
        if not wait or self.total is None:
            return self.total
        return None if self.wait_read is None else self.total + self.wait_read

    def _key(self) -> tuple[_Seconds, _Seconds, _Seconds, _Seconds]:
        return (self.connect, self.read, self.wait_read, self.total)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeout):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        connect, read, wait_read, total = self._key()
        if connect == read == wait_read == total:
            return f"Timeout(timeout={connect})"
        return f"Timeout(connect={connect}, read={read}, wait_read={wait_read}, total={total})"


#: `Timeout()`: 5 s connect, 30 s read, 300 s for a waiting run, 120 s for a whole call.
DEFAULT_TIMEOUT: Final[Timeout] = Timeout()

#: What a `timeout=` argument accepts: a `Timeout`, seconds for every phase, or None for no limit.
TimeoutTypes: TypeAlias = Timeout | float | None


def resolve_timeout(timeout: TimeoutTypes | UnsetType, default: Timeout) -> Timeout:
    """Return the `Timeout` of one call: a per-call ``timeout=`` if given, else the client default."""
    if timeout is UNSET:
        return default
    return timeout if isinstance(timeout, Timeout) else Timeout(timeout)


def check_max_body_size(value: object) -> int | None:
    """Validate a ``max_body_size`` (bytes, or None for no limit) and return it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_body_size must be a positive number of bytes or None, got {value!r}")
    return value


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"RetryPolicy.{attribute.name} must be an int >= 1, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be a number >= 0, got {value!r}")


def _fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"RetryPolicy.{attribute.name} must be between 0 and 1, got {value!r}")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    statuses = frozenset(value)
    if not all(isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses):
        raise ValueError(f"RetryPolicy.retry_statuses must be HTTP statuses, got {sorted(statuses)!r}")
    return statuses


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    Retried: idempotent operations (every GET and the abort PUT, plus the token request) on
    connection errors, timeouts and the statuses in ``retry_statuses``. Creating a workflow, running
    one and sending an event are retried only when the request provably never left the client
    (connect timeout or refused connection, i.e. no TCP connection was made); never on a status or
    after a read error, because the server may already have acted.

    The n-th retry waits ``min(max_backoff, backoff_factor * 2 ** (n - 1))`` seconds, shortened by
    a random part of up to ``jitter`` of it (``jitter=0`` makes the wait exact). A ``Retry-After``
    header (seconds or HTTP date) on a retryable status is honoured instead; if it asks for more
    than ``max_retry_after`` seconds the error is raised at once rather than sleeping that long.

    :param max_attempts: attempts in total, the first one included (1 = never retry).
    :param backoff_factor: seconds before the first retry.
    :param max_backoff: upper bound of a computed wait.
    :param jitter: fraction (0..1) of each computed wait that is randomised away.
    :param retry_statuses: statuses retried on idempotent operations.
    :param max_retry_after: longest ``Retry-After`` honoured, in seconds.
    """

    max_attempts: int = attrs.field(default=3, validator=_positive_int)
    backoff_factor: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: float = attrs.field(default=0.5, validator=_fraction)
    retry_statuses: frozenset[int] = attrs.field(default=frozenset({429, 502, 503, 504}), converter=_statuses)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """Return a policy that never retries (same as ``retry=None``)."""
        return cls(max_attempts=1)

    @property
    def enabled(self) -> bool:
        """Whether any retry can happen."""
        return self.max_attempts > 1

    def backoff(self, retry_number: int, random: Callable[[], float]) -> float:
        """Return the seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
        delay = min(self.max_backoff, self.backoff_factor * (2.0 ** (retry_number - 1)))
        if self.jitter:
            delay *= 1.0 - self.jitter * random()
        return delay


#: `RetryPolicy()`: 3 attempts, 0.5 s then 1 s (jittered), Retry-After up to 60 s honoured.
DEFAULT_RETRY: Final[RetryPolicy] = RetryPolicy()
