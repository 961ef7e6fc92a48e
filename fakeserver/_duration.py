"""Go ``time.Duration`` parsing and formatting, as the service's stage resolver does them.

Durations are plain ``int`` nanoseconds. :func:`parse_duration` accepts exactly what Go's
``time.ParseDuration`` accepts (``10s``, ``1m30s``, ``1.5h``, ``100ms``, ``-5s``, ``+3us``, ``0``;
units ``ns us µs μs ms s m h``; no ``d``) and :func:`format_duration` renders like
``Duration.String()`` (``1m`` -> ``1m0s``, ``1h`` -> ``1h0m0s``, ``1.5µs``, ``-2s``, ``0s``).
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["MAX_DURATION", "DurationError", "format_duration", "parse_duration", "to_timedelta_ns"]

_NS = 1
_US = 1000 * _NS
_MS = 1000 * _US
_S = 1000 * _MS
_M = 60 * _S
_H = 60 * _M

_UNITS: dict[str, int] = {
    "ns": _NS,
    "us": _US,
    "\u00b5s": _US,  # micro sign
    "\u03bcs": _US,  # Greek small letter mu
    "ms": _MS,
    "s": _S,
    "m": _M,
    "h": _H,
}

_LIMIT = 1 << 63

#: Go's longest ``time.Duration`` (``1<<63 - 1`` ns, about 292 years), to the microsecond below:
#: ``time.Until`` and ``Time.Sub`` give it for any longer span (they saturate).
MAX_DURATION = timedelta(microseconds=(_LIMIT - 1) // _US)


class DurationError(ValueError):
    """A string Go's ``time.ParseDuration`` rejects; the message is Go's text."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _leading_int(s: str) -> tuple[int, str] | None:
    """Consume ``[0-9]*``; ``None`` on overflow (Go's ``errLeadingInt``)."""
    x = 0
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        if x > _LIMIT // 10:
            return None
        x = x * 10 + ord(s[i]) - 48
        if x > _LIMIT:
            return None
        i += 1
    return x, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    """Consume ``[0-9]*`` after a dot; digits past int64 precision are consumed and ignored."""
    x = 0
    scale = 1.0
    overflow = False
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        if not overflow:
            if x > (_LIMIT - 1) // 10:
                overflow = True
            else:
                y = x * 10 + ord(s[i]) - 48
                if y > _LIMIT:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, s[i:]


def parse_duration(text: str) -> int:
    """Parse a Go duration string into nanoseconds.

    :param text: e.g. ``"1m30s"``.
    :raises DurationError: with Go's message (``time: invalid duration "abc"`` ...).
    """
    orig = text
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError("time: invalid duration " + _quote(orig))
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise DurationError("time: invalid duration " + _quote(orig))
        before = len(s)
        lead = _leading_int(s)
        if lead is None:
            raise DurationError("time: invalid duration " + _quote(orig))
        value, s = lead
        pre = before != len(s)
        frac, scale, post = 0, 1.0, False
        if s and s[0] == ".":
            s = s[1:]
            before = len(s)
            frac, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise DurationError("time: invalid duration " + _quote(orig))
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise DurationError("time: missing unit in duration " + _quote(orig))
        unit_name, s = s[:i], s[i:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise DurationError(f"time: unknown unit {_quote(unit_name)} in duration {_quote(orig)}")
        if value > _LIMIT // unit:
            raise DurationError("time: invalid duration " + _quote(orig))
        value *= unit
        if frac > 0:
            value += int(float(frac) * (float(unit) / scale))
            if value > _LIMIT:
                raise DurationError("time: invalid duration " + _quote(orig))
        total += value
        if total > _LIMIT:
            raise DurationError("time: invalid duration " + _quote(orig))
    if neg:
        return -total
    if total > _LIMIT - 1:
        raise DurationError("time: invalid duration " + _quote(orig))
    return total


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    """Go's ``fmtFrac``: the fraction of ``v / 10**prec`` without trailing zeros (and no dot if 0)."""
    digits: list[str] = []
    printing = False
    for _ in range(prec):
        digit = v % 10
        printing = printing or digit != 0
        if printing:
            digits.append(chr(48 + digit))
        v //= 10
    if not printing:
        return "", v
    return "." + "".join(reversed(digits)), v


def format_duration(ns: int) -> str:
    """Render nanoseconds the way Go's ``Duration.String()`` does (``90s`` -> ``1m30s``).

    :param ns: the duration in nanoseconds.
    """
    neg = ns < 0
    u = -ns if neg else ns
    if u < _S:
        if u == 0:
            return "0s"
        if u < _US:
            prec, unit = 0, "ns"
        elif u < _MS:
            prec, unit = 3, "\u00b5s"
        else:
            prec, unit = 6, "ms"
        frac, u = _fmt_frac(u, prec)
        text = f"{u}{frac}{unit}"
    else:
        frac, u = _fmt_frac(u, 9)
        text = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m{text}"
            u //= 60
            if u > 0:
                text = f"{u}h{text}"
    return "-" + text if neg else text


def to_timedelta_ns(ns: int) -> timedelta:
    """A ``timedelta`` for ``ns`` nanoseconds, rounded up to the next microsecond.

    :param ns: the duration in nanoseconds (may be negative).
    """
    return timedelta(microseconds=-((-ns) // 1000))
