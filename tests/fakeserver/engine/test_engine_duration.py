"""Go duration parsing and formatting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fakeserver._duration import DurationError, format_duration, parse_duration, to_timedelta_ns

S = 1_000_000_000


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("10s", 10 * S),
        ("1m30s", 90 * S),
        ("100ms", 100_000_000),
        ("-5s", -5 * S),
        ("+5s", 5 * S),
        ("1h", 3600 * S),
        ("1.5h", 5400 * S),
        (".5s", S // 2),
        ("5.s", 5 * S),
        ("0", 0),
        ("-0", 0),
        ("0s", 0),
        ("1ns", 1),
        ("3us", 3000),
        ("3\u00b5s", 3000),
        ("3\u03bcs", 3000),
        ("1h2m3s4ms5us6ns", 3723 * S + 4_005_006),
        ("2562047h47m16.854775807s", (1 << 63) - 1),
        ("-2562047h47m16.854775808s", -(1 << 63)),
    ],
)
def test_parse_accepts_what_go_accepts(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("10", 'time: missing unit in duration "10"'),
        ("1h-5m", 'time: unknown unit "h-" in duration "1h-5m"'),
        (".s", 'time: invalid duration ".s"'),
        ("-", 'time: invalid duration "-"'),
        (" 1s", 'time: invalid duration " 1s"'),
        ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
        ("9999999999999999999h", 'time: invalid duration "9999999999999999999h"'),
    ],
)
def test_parse_rejects_with_go_texts(text: str, message: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (60 * S, "1m0s"),
        (3600 * S, "1h0m0s"),
        (90 * S, "1m30s"),
        (10 * S, "10s"),
        (100_000_000, "100ms"),
        (1_500_000, "1.5ms"),
        (1500, "1.5\u00b5s"),
        (7, "7ns"),
        (-5 * S, "-5s"),
        (S + 1, "1.000000001s"),
        (5400 * S, "1h30m0s"),
        ((1 << 63) - 1, "2562047h47m16.854775807s"),
        (-(1 << 63), "-2562047h47m16.854775808s"),
    ],
)
def test_format_like_go(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_round_trip_renders_go_form() -> None:
    assert format_duration(parse_duration("1m")) == "1m0s"
    assert format_duration(parse_duration("90m")) == "1h30m0s"
    assert format_duration(parse_duration("0.5s")) == "500ms"


def test_timedelta_rounds_up_to_microseconds() -> None:
    assert to_timedelta_ns(1) == timedelta(microseconds=1)
    assert to_timedelta_ns(10 * S) == timedelta(seconds=10)
    assert to_timedelta_ns(-1500) == timedelta(microseconds=-1)
