"""Reading a JSON body fast: the parser, and the cyclic garbage collector paused while decoding.

:func:`loads` parses with ``msgspec`` (about twice as fast as ``json.loads``, integers of any size
kept exact), imported on first use so that importing the package stays cheap. Whatever ``msgspec``
refuses is parsed again by ``json.loads``, so the values and the error texts are exactly those of
the standard library (``NaN``, ``1e400``, lone surrogates and UTF-16 bodies are accepted as it does).

:data:`paused_collector` is a context manager that turns the cyclic collector off for the span of
one decode. Decoding allocates tens of thousands of containers and no reference cycles; the
collections those allocations trigger are most of the time ``json.loads`` takes on a large body,
and they grow with the number of objects the rest of the process keeps alive. ``gc.disable`` is
process-wide, so concurrent decodes share one pause: a lock and a depth counter, the first decode
in turns the collector off if it was on, the last one out turns it back on only if the first found
it on (a collector the user disabled stays disabled; one the user disables while a decode runs is
turned on again when the last decode ends, the only case it cannot tell apart). It is restored on
errors too. While it is paused, no thread's allocations trigger collections: the pause lasts one
decode, which creates no reference cycles. ``gc.freeze()`` was measured too and not used: it is
process-wide and ``gc.unfreeze()`` would also release what the program itself froze.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

__all__ = ["loads", "paused_collector"]

_parse: Callable[[bytes], Any] | None = None


def _parser() -> Callable[[bytes], Any]:
    global _parse
    try:
        import msgspec.json
    except ImportError:  # not installed (it is a dependency, but the standard library will do)
        _parse = json.loads
    else:
        _parse = msgspec.json.Decoder().decode
    return _parse


def loads(content: bytes) -> Any:
    """Parse a JSON document, with the values and the errors of ``json.loads(content)``.

    :raises ValueError: ``json.JSONDecodeError`` or ``UnicodeDecodeError``, as ``json.loads``.
    """
    try:
        return (_parse or _parser())(content)
    except ValueError:  # msgspec.DecodeError: what the standard library answers, value or error
        return json.loads(content)


class _PausedCollector:
    """``with paused_collector:`` the cyclic collector is off (see the module docstring)."""

    __slots__ = ("_depth", "_lock", "_reenable")

    def __init__(self) -> None:
        # re-entrant: a finalizer run by a deallocation inside a decode may decode too
        self._lock = threading.RLock()
        self._depth = 0
        self._reenable = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._reenable = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._reenable:
                self._reenable = False
                gc.enable()


#: The process-wide pause of the cyclic collector used around every decode.
paused_collector: Final = _PausedCollector()
