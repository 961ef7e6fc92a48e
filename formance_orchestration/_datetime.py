"""RFC 3339 timestamps as the service writes them (Go ``time.Time``), to and from aware datetimes.

The service writes up to 9 fractional digits (trailing zeros trimmed, none for a whole second) and
an offset, ``Z`` or ``+02:00``. Python keeps microseconds: extra digits are truncated, as Go does
when it truncates to a coarser precision. A timestamp without an offset is taken as UTC.
"""

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["format_datetime", "parse_datetime"]

_UTC = UTC
_fromisoformat = datetime.fromisoformat

# Compiled on first use, by re's own cache: most timestamps never need it (fromisoformat reads them).
_RFC3339 = (
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:[Zz]|([+-])(\d{2}):?(\d{2}))?"
)


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware datetime (microsecond precision, offset kept).

    :param value: e.g. ``2023-04-13T08:40:11.121544817Z`` or ``2023-04-13T10:40:11+02:00``.
    :raises ValueError: when ``value`` is not a timestamp.
    :raises TypeError: when ``value`` is not a ``str``.
    """
    try:
        parsed = _fromisoformat(value)
    except ValueError:
        parsed = _parse_slow(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed


def _parse_slow(value: str) -> datetime:
    """Parse what ``datetime.fromisoformat`` refuses (lower-case ``t``/``z``, surrounding blanks).

    Since Python 3.11 ``fromisoformat`` reads ``Z`` and fractions of any length (truncated to
    microseconds) itself, so the service's timestamps never come here.
    """
    match = re.fullmatch(_RFC3339, value.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    tz = _UTC
    if sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)


def format_datetime(value: datetime) -> str:
    """Write an aware datetime the way Go does: RFC 3339, fraction without trailing zeros, ``Z`` for UTC.

    A naive datetime is taken as UTC.

    :param value: the datetime to write.
    """
    offset = value.utcoffset()
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"
