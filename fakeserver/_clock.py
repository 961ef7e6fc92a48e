"""Clocks for the fake: a virtual one that tests drive, and the wall clock."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

__all__ = ["CLOCK_END", "Clock", "ManualClock", "SystemClock", "to_timedelta"]

#: The latest time a :class:`ManualClock` shows. Every timer the engine can set from there (a delay is
#: at most Go's longest ``time.Duration``, about 292 years) still falls within year 9999, the last
#: year Python's ``datetime`` and Go's JSON time encoding hold.
CLOCK_END: Final = datetime(9700, 1, 1, tzinfo=UTC)


def to_timedelta(value: float | timedelta) -> timedelta:
    """Accept seconds (int or float) or a ``timedelta``.

    :raises ValueError: for a number of seconds that is not finite or does not fit a ``timedelta``.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"seconds must be a finite number, not {value!r}")
    try:
        return timedelta(seconds=value)
    except OverflowError:
        raise ValueError(f"{value!r} seconds is out of range") from None


class Clock(Protocol):
    """What the engine needs from a clock."""

    #: ``True`` for a clock that only moves when told to (the engine may then skip ahead).
    virtual: bool

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (with no lock held) whenever the time is moved by hand."""
        ...


class SystemClock:
    """The wall clock."""

    virtual = False

    def now(self) -> datetime:
        """The current wall-clock time in UTC."""
        return datetime.now(UTC)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """The wall clock is never moved by hand: nothing to notify."""


class ManualClock:
    """A virtual clock: time stands still until ``advance`` or ``set`` moves it.

    It runs from ``start`` to :data:`CLOCK_END` and goes back only through :meth:`rewind` (what
    ``Engine.reset`` does).

    :param start: the initial time (default: the wall clock's current second, in UTC).
    """

    virtual = True
    #: The latest time the clock can show (:data:`CLOCK_END`).
    end: Final = CLOCK_END

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self.start: datetime = self._checked(start.astimezone(UTC))
        self._now = self.start
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[], None]] = []

    @staticmethod
    def _checked(when: datetime) -> datetime:
        if when > CLOCK_END:
            raise ValueError(
                f"a ManualClock ends at {CLOCK_END.isoformat()} (so that every timer set from it falls "
                f"within year 9999), not {when.isoformat()}"
            )
        return when

    def now(self) -> datetime:
        """The clock's current time."""
        with self._lock:
            return self._now

    def advance(self, delta: float | timedelta) -> datetime:
        """Move the clock forward by ``delta`` (seconds or ``timedelta``); return the new time."""
        step = to_timedelta(delta)
        if step < timedelta(0):
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            if step > CLOCK_END - self._now:
                raise ValueError(
                    f"a ManualClock ends at {CLOCK_END.isoformat()}: it can move at most "
                    f"{(CLOCK_END - self._now).total_seconds():.0f} seconds from {self._now.isoformat()}"
                )
            self._now += step
            now = self._now
        self._notify()
        return now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (timezone-aware, not in the past)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        target = self._checked(when.astimezone(UTC))
        with self._lock:
            if target < self._now:
                raise ValueError("a clock cannot go backwards")
            self._now = target
        self._notify()

    def rewind(self) -> None:
        """Move the clock back to ``start``, where it began."""
        with self._lock:
            self._now = self.start
        self._notify()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every ``advance``/``set``."""
        with self._lock:
            self._subscribers.append(callback)

    def _notify(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback()
