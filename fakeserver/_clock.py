"""Clocks for the fake: a virtual one that tests drive, and the wall clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "to_timedelta"]


def to_timedelta(value: float | timedelta) -> timedelta:
    """Accept seconds (int or float) or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


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

    :param start: the initial time (default: the wall clock's current second, in UTC).
    """

    virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[], None]] = []

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
            self._now += step
            now = self._now
        self._notify()
        return now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (timezone-aware, not in the past)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware datetime")
        with self._lock:
            target = when.astimezone(UTC)
            if target < self._now:
                raise ValueError("a clock cannot go backwards")
            self._now = target
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
