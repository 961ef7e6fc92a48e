"""The engine's timers: when each waiting instance runs next, and the retries that only count attempts.

One :class:`Timers` holds, per key (the engine uses its instance records), at most one of:

* a **timer**: a due time in a heap with lazy deletion. ``schedule`` replaces a key's timer, ``cancel``
  forgets it (its heap entry goes stale and is skipped when popped; stale entries are compacted away
  when they outnumber the live ones), ``pop_due(now)`` returns the earliest timer due by ``now``.
  Each costs O(log n).
* a **parked retry**: a send activity that fails the same way on every attempt (nothing that could
  change its outcome happened since its last real failure) is not re-run at each attempt. It is parked
  with its next attempt's due time and number, and :func:`next_retry` computes at any later time which
  attempt is next and when: a clock skip costs nothing for it. The engine ``wake``s parked retries
  (back into the heap, from the time the world changed) when the bank changes, or a failure is injected
  for their activity; a parked retry costs O(1) to park, cancel and read.

So a clock skip costs O(timers due in it x log n), whatever the number of instances retrying.

Retry policy of every send activity (Temporal's default, as the service sets no other): 1 s after the
first failure, doubling, at most 100 s apart, unlimited attempts.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Final, Generic, TypeVar

__all__ = ["RETRY_MAX_SECONDS", "Timers", "next_retry", "retry_interval"]

#: The longest wait between two attempts of a failing activity.
RETRY_MAX_SECONDS: Final = 100
_RETRY_STEP: Final = timedelta(seconds=RETRY_MAX_SECONDS)
#: Past this many heap entries, stale ones are compacted away once they outnumber the live ones.
_COMPACT_ABOVE: Final = 1024

K = TypeVar("K", bound=Hashable)


def retry_interval(failed_attempt: int) -> int:
    """Seconds between attempt ``failed_attempt`` failing and the next attempt."""
    if failed_attempt >= 8:
        return RETRY_MAX_SECONDS
    return min(1 << (failed_attempt - 1), RETRY_MAX_SECONDS)


def next_retry(due: datetime, attempt: int, after: datetime) -> tuple[datetime, int]:
    """The next attempt after ``after`` of a retry whose attempt ``attempt`` is due at ``due``, when
    every attempt due by ``after`` fails: ``(its due time, its number)``. O(1).

    :param due: when attempt number ``attempt`` runs.
    :param attempt: the number of the attempt due at ``due``.
    :param after: the attempts due at or before this time are counted as failed.
    """
    while due <= after and attempt < 8:
        due += timedelta(seconds=retry_interval(attempt))
        attempt += 1
    if due <= after:
        steps = (after - due) // _RETRY_STEP + 1
        due += steps * _RETRY_STEP
        attempt += steps
    return due, attempt


class Timers(Generic[K]):
    """Timers and parked retries, one per key (not thread-safe: the engine's lock guards it)."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, K]] = []
        self._live: dict[K, int] = {}  # key -> the sequence number of its live heap entry
        self._seq = 0
        self._parked: dict[K, tuple[datetime, int, str]] = {}  # key -> (due, attempt, activity)
        self._by_activity: dict[str, dict[K, None]] = {}

    # -- timers ------------------------------------------------------------------------------------

    def schedule(self, key: K, due: datetime) -> None:
        """Make ``key``'s timer fire at ``due`` (replacing its timer or parked retry)."""
        self._unpark(key)
        self._seq += 1
        self._live[key] = self._seq
        heapq.heappush(self._heap, (due, self._seq, key))
        self._compact()

    def cancel(self, key: K) -> None:
        """Forget ``key``'s timer or parked retry (nothing happens if it has none)."""
        self._unpark(key)
        if self._live.pop(key, None) is not None:
            self._compact()

    def pop_due(self, now: datetime) -> tuple[K, datetime] | None:
        """Remove and return the earliest timer due at or before ``now`` (``None`` if none is due)."""
        heap = self._heap
        live = self._live
        while heap and heap[0][0] <= now:
            due, seq, key = heapq.heappop(heap)
            if live.get(key) == seq:
                del live[key]
                return key, due
        return None

    def next_due(self) -> datetime | None:
        """The due time of the earliest timer (parked retries excluded); ``None`` if there is none."""
        heap = self._heap
        live = self._live
        while heap and live.get(heap[0][2]) != heap[0][1]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _compact(self) -> None:
        heap = self._heap
        if len(heap) > _COMPACT_ABOVE and len(heap) > 2 * len(self._live):
            live = self._live
            heap[:] = [entry for entry in heap if live.get(entry[2]) == entry[1]]
            heapq.heapify(heap)

    # -- parked retries ----------------------------------------------------------------------------

    def park(self, key: K, due: datetime, attempt: int, activity: str) -> None:
        """Park ``key``'s retry: attempt number ``attempt`` of ``activity`` is due at ``due`` and every
        attempt fails the same way until :meth:`wake` (replaces its timer)."""
        if self._live.pop(key, None) is not None:
            self._compact()
        self._unpark(key)
        self._parked[key] = (due, attempt, activity)
        self._by_activity.setdefault(activity, {})[key] = None

    def parked(self, key: K, at: datetime) -> tuple[datetime, int] | None:
        """A parked retry's next attempt after ``at``: ``(due, number)``; ``None`` if not parked."""
        entry = self._parked.get(key)
        if entry is None:
            return None
        return next_retry(entry[0], entry[1], at)

    @property
    def parked_count(self) -> int:
        """How many retries are parked."""
        return len(self._parked)

    def wake(self, at: datetime, activity: str | None = None) -> list[tuple[K, datetime, int]]:
        """Put parked retries back on timers at their next attempt after ``at``: all of them, or those
        of ``activity``. Returns ``(key, due, attempt)`` for each, to update the caller's records."""
        keys = list(self._parked) if activity is None else list(self._by_activity.get(activity, ()))
        woken = []
        for key in keys:
            due, attempt, _ = self._parked[key]
            due, attempt = next_retry(due, attempt, at)
            self.schedule(key, due)
            woken.append((key, due, attempt))
        return woken

    def _unpark(self, key: K) -> None:
        entry = self._parked.pop(key, None)
        if entry is not None:
            same = self._by_activity[entry[2]]
            del same[key]
            if not same:
                del self._by_activity[entry[2]]

    # -- all ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Live timers plus parked retries."""
        return len(self._live) + len(self._parked)

    def clear(self) -> None:
        """Forget every timer and parked retry."""
        self._heap.clear()
        self._live.clear()
        self._parked.clear()
        self._by_activity.clear()
