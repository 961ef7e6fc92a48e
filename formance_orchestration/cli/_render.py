"""Terminal output: aligned tables that fit the terminal, key/value blocks, headings and JSON."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

__all__ = [
    "Column",
    "Console",
    "format_duration",
    "format_time",
    "parse_time",
    "render_json",
    "render_key_values",
    "render_table",
    "truncate",
]

#: Width used when the output is not a terminal and ``COLUMNS`` is not set.
FALLBACK_WIDTH = 120
_SEPARATOR = "  "


@dataclass(frozen=True)
class Column:
    """One table column.

    :param header: the title, printed in capitals.
    :param shrink: whether cells may be cut (with an ellipsis) to fit the width; ids never are.
    :param align: ``"<"`` (left) or ``">"`` (right, for numbers).
    :param min_width: the narrowest a shrinkable column gets.
    :param optional: left out of the table when every cell is empty (e.g. an error column).
    """

    header: str
    shrink: bool = True
    align: str = "<"
    min_width: int = 10
    optional: bool = False


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to ``width`` characters, ending with ``ellipsis`` when something was cut."""
    if len(text) <= width:
        return text
    if width <= len(ellipsis):
        return text[:width]
    return text[: width - len(ellipsis)] + ellipsis


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if "\n" in text or "\t" in text or "\r" in text:
        text = " / ".join(part.strip() for part in text.splitlines() if part.strip()).replace("\t", " ")
    return text


def render_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    width: int | None = None,
    ellipsis: str = "…",
    indent: str = "",
) -> list[str]:
    """Lay ``rows`` out under ``columns`` in at most ``width`` characters per line.

    Shrinkable columns give up room, widest first, until the table fits (or they reach their minimum).

    :param columns: the column definitions.
    :param rows: the cells; ``None`` prints as empty, newlines inside a cell become `` / ``.
    :param width: the maximum line length (``None``: no limit).
    :param ellipsis: what marks a cut cell.
    :param indent: a prefix for every line (counted in the width).
    """
    cells = [[_cell(value) for value in row] for row in rows]
    keep = [
        index
        for index, column in enumerate(columns)
        if not column.optional or any(index < len(row) and row[index] for row in cells)
    ]
    if len(keep) < len(columns):
        columns = [columns[index] for index in keep]
        cells = [[row[index] if index < len(row) else "" for index in keep] for row in cells]
    headers = [column.header.upper() for column in columns]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, text in enumerate(row[: len(columns)]):
            widths[index] = max(widths[index], len(text))
    if width is not None:
        available = width - len(indent) - len(_SEPARATOR) * (len(columns) - 1)
        floors = [
            min(widths[index], max(column.min_width, len(headers[index]))) if column.shrink else widths[index]
            for index, column in enumerate(columns)
        ]
        excess = sum(widths) - available
        while excess > 0:
            candidates = [index for index in range(len(columns)) if widths[index] > floors[index]]
            if not candidates:
                break
            widest = max(candidates, key=lambda index: widths[index])
            others = [widths[index] for index in candidates if index != widest]
            target = max(floors[widest], max(others, default=0), widths[widest] - excess)
            if target >= widths[widest]:
                target = widths[widest] - 1
            excess -= widths[widest] - target
            widths[widest] = target
    lines = [_join(headers, columns, widths, ellipsis, indent)]
    for row in cells:
        padded = list(row[: len(columns)]) + [""] * (len(columns) - len(row))
        lines.append(_join(padded, columns, widths, ellipsis, indent))
    return lines


def _join(
    texts: Sequence[str], columns: Sequence[Column], widths: Sequence[int], ellipsis: str, indent: str
) -> str:
    parts = []
    for text, column, size in zip(texts, columns, widths, strict=True):
        cut = truncate(text, size, ellipsis)
        parts.append(cut.rjust(size) if column.align == ">" else cut.ljust(size))
    return (indent + _SEPARATOR.join(parts)).rstrip()


def render_key_values(
    pairs: Sequence[tuple[str, object]], *, width: int | None = None, ellipsis: str = "…"
) -> list[str]:
    """Render ``label  value`` lines with the values aligned; ``None`` values print as ``-``."""
    label_width = max((len(label) for label, _ in pairs), default=0)
    lines = []
    for label, value in pairs:
        text = "-" if value is None or value == "" else _cell(value)
        if width is not None:
            text = truncate(text, max(10, width - label_width - len(_SEPARATOR)), ellipsis)
        lines.append(f"{label.ljust(label_width)}{_SEPARATOR}{text}".rstrip())
    return lines


def render_json(value: Any) -> str:
    """The JSON text printed by ``--output json``: indented, keys in the API's order, UTF-8 kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return format_rfc3339(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def format_rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` (used only for values that are not already wire strings)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    """Read a wire timestamp (RFC 3339, any number of fractional digits) or a datetime; else ``None``."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    if dot:
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def format_time(value: object) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SS`` in UTC (empty when absent)."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value in (None, "") else str(value)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | timedelta | None) -> str:
    """A duration for people: ``850ms``, ``4.2s``, ``10m``, ``10m5s``, ``2h``, ``2h5m``, ``3d4h``."""
    if seconds is None:
        return ""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if seconds < 0:
        seconds = 0.0
    if seconds < 1:
        return f"{round(seconds * 1000)}ms" if seconds > 0 else "0s"
    if seconds < 60:
        text = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{text}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        (big, big_unit), (small, small_unit) = (days, "d"), (hours, "h")
    elif hours:
        (big, big_unit), (small, small_unit) = (hours, "h"), (minutes, "m")
    else:
        (big, big_unit), (small, small_unit) = (minutes, "m"), (secs, "s")
    return f"{big}{big_unit}" + (f"{small}{small_unit}" if small else "")


class Console:
    """Where a command writes: stdout for results, stderr for progress and errors.

    :param out: the result stream.
    :param err: the diagnostics stream.
    :param width: the line width for tables (default: the terminal's, ``COLUMNS``, or 120).
    """

    def __init__(self, out: TextIO, err: TextIO, *, width: int | None = None) -> None:
        self.out = out
        self.err = err
        if width is None:
            width = shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns
        self.width = max(40, width)
        self.ellipsis = "…" if _can_encode(out, "…─") else "..."
        self.rule_char = "─" if self.ellipsis == "…" else "-"

    def line(self, text: str = "") -> None:
        """Print one line of results."""
        self.out.write(text + "\n")

    def lines(self, texts: Iterable[str]) -> None:
        """Print several lines of results."""
        for text in texts:
            self.line(text)

    def paragraph(self, text: str) -> None:
        """Print prose wrapped to the width (at most 100 columns, for readability)."""
        import textwrap

        self.lines(textwrap.wrap(text, width=min(self.width, 100), break_on_hyphens=False) or [""])

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[object]],
        *,
        indent: str = "",
        empty: str | None = None,
    ) -> None:
        """Print a table that fits the width; ``empty`` is printed instead when there are no rows."""
        materialized = list(rows)
        if not materialized and empty is not None:
            self.line(indent + empty)
            return
        self.lines(
            render_table(columns, materialized, width=self.width, ellipsis=self.ellipsis, indent=indent)
        )

    def key_values(self, pairs: Sequence[tuple[str, object]]) -> None:
        """Print aligned ``label  value`` lines."""
        self.lines(render_key_values(pairs, width=self.width, ellipsis=self.ellipsis))

    def heading(self, text: str) -> None:
        """Print a section title followed by a rule to the end of the line."""
        rule = self.rule_char
        title = f"{rule * 2} {text} "
        self.line(title + rule * max(3, min(self.width, 100) - len(title)))

    def json(self, value: Any) -> None:
        """Print ``value`` as JSON."""
        self.line(render_json(value))

    def note(self, text: str) -> None:
        """Print a line on stderr (progress, hints)."""
        self.err.write(text + "\n")
        self.err.flush()


def _can_encode(stream: TextIO, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
