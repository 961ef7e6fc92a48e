"""The call log: every API call the fake answered, newest kept within a count and a byte budget.

A long session (a fuzzer, a soak test) would otherwise keep every request and answer body until
reset. :class:`CallLog` keeps the newest calls: when a new call would take it past ``max_calls``
calls or ``max_bytes`` bytes (bodies, path, query and headers), the oldest are dropped and counted
in :attr:`CallLog.dropped` (the newest call is always kept, however large). ``clear`` empties it and
resets the count.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, overload

import attrs

from fakeserver._faults import Fault

__all__ = ["DEFAULT_MAX_CALLS", "DEFAULT_MAX_CALL_BYTES", "CallLog", "RecordedCall"]

#: The calls kept unless told otherwise.
DEFAULT_MAX_CALLS: Final = 10_000
#: The bytes of calls kept unless told otherwise (64 MiB).
DEFAULT_MAX_CALL_BYTES: Final = 64 * 1024 * 1024
#: What a call costs beyond its bodies, path, query and headers (the record itself).
_OVERHEAD: Final = 256


@attrs.frozen
class RecordedCall:
    """One call the fake answered (control calls excepted).

    :param method: the HTTP method.
    :param path: the request path as received (with the prefix if it had one), percent-decoded.
    :param query: the raw query string.
    :param headers: the request headers, names in lower case.
    :param body: the raw request body.
    :param status: the status answered (``0`` when the connection was dropped).
    :param operation: the operationId it matched (``None``: unknown path, wrong method, token endpoint).
    :param fault: the injected fault it got, if any.
    :param response_body: the raw answer body.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    status: int
    operation: str | None
    fault: Fault | None
    response_body: bytes

    def json(self) -> Any:
        """The answer body decoded as JSON (``None`` when it is empty)."""
        if not self.response_body:
            return None
        return json.loads(self.response_body)

    @property
    def size(self) -> int:
        """The bytes this record counts for in the log's budget."""
        headers = sum(len(name) + len(value) for name, value in self.headers.items())
        return (
            len(self.body) + len(self.response_body) + len(self.path) + len(self.query) + headers + _OVERHEAD
        )


def _limit(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return value


class CallLog(Sequence[RecordedCall]):
    """The recorded calls, oldest first, bounded (thread-safe; reads are snapshots).

    :param max_calls: the most calls kept.
    :param max_bytes: the most bytes of calls kept (see :attr:`RecordedCall.size`).
    """

    def __init__(self, max_calls: int = DEFAULT_MAX_CALLS, max_bytes: int = DEFAULT_MAX_CALL_BYTES) -> None:
        self.max_calls = _limit(max_calls, "max_calls")
        self.max_bytes = _limit(max_bytes, "max_bytes")
        self._lock = threading.Lock()
        self._calls: deque[RecordedCall] = deque()
        self._bytes = 0
        self._dropped = 0

    def append(self, call: RecordedCall) -> None:
        """Record a call, dropping the oldest ones beyond the bounds."""
        with self._lock:
            calls = self._calls
            calls.append(call)
            self._bytes += call.size
            while len(calls) > self.max_calls or (self._bytes > self.max_bytes and len(calls) > 1):
                self._bytes -= calls.popleft().size
                self._dropped += 1

    def clear(self) -> None:
        """Forget every call, and the count of dropped ones."""
        with self._lock:
            self._calls.clear()
            self._bytes = 0
            self._dropped = 0

    @property
    def dropped(self) -> int:
        """How many calls were dropped (the oldest first) since the log was made or cleared."""
        with self._lock:
            return self._dropped

    @property
    def bytes(self) -> int:
        """The bytes the kept calls count for."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    @overload
    def __getitem__(self, index: int) -> RecordedCall: ...

    @overload
    def __getitem__(self, index: slice) -> list[RecordedCall]: ...

    def __getitem__(self, index: int | slice) -> RecordedCall | list[RecordedCall]:
        with self._lock:
            if isinstance(index, slice):
                return list(self._calls)[index]
            return self._calls[index]

    def __iter__(self) -> Iterator[RecordedCall]:
        with self._lock:
            return iter(list(self._calls))

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or another log) of the same calls: ``fake.calls == []`` reads as before."""
        if isinstance(other, CallLog | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        bounds = f"at most {self.max_calls} calls / {self.max_bytes} B"
        return f"<CallLog {len(self)} calls, {self.dropped} dropped, {bounds}>"
