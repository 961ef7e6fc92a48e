"""Timing, statistics and reporting shared by every benchmark area.

Every comparison runs *subject* and *baseline* in interleaved rounds (the order alternates from one
round to the next). A ratio is computed per round, from the two sides of that round, so that a slow
phase of the machine hits both sides of the ratio alike; the table shows the median, min and max over
the rounds. Two ways to time a side in a round:

* collector off (the default): a few short loops of calls with the cyclic garbage collector off (the
  same for both sides), the fastest loop kept: the cost of the code itself;
* ``collector=True``: one loop with the collector as the process has it (on), so that the
  collections the calls trigger are paid where they fall, as in a user's program; the share of the
  loop spent in collections (timed through ``gc.callbacks``) is reported per side.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

__all__ = [
    "MODES",
    "Pair",
    "Result",
    "Settings",
    "Stats",
    "Status",
    "Target",
    "best_of",
    "calibrate",
    "compare",
    "format_table",
    "live_objects",
    "result_from_pair",
    "time_loop",
]

_T = TypeVar("_T")

#: Timed loops per side per round (the fastest is kept, see ``best_of``).
BATCHES = 3

Status = Literal["PASS", "MISS", "INFO", "SKIP", "ERROR"]


@dataclass(frozen=True)
class Settings:
    """How hard to run: the mode name, the rounds per comparison and the seconds per side per round.

    :param mode: ``full``, ``quick`` or ``smoke``.
    :param rounds: rounds per comparison (odd, so that the median is one of the rounds).
    :param round_time: the wanted duration of one side's loop in one round (0: one call per loop).
    """

    mode: str
    rounds: int
    round_time: float

    def pick(self, full: Any, quick: Any, smoke: Any) -> Any:
        """The value for this mode among three."""
        return {"full": full, "quick": quick, "smoke": smoke}[self.mode]


MODES: dict[str, Settings] = {
    "full": Settings(mode="full", rounds=9, round_time=0.06),
    "quick": Settings(mode="quick", rounds=5, round_time=0.02),
    "smoke": Settings(mode="smoke", rounds=1, round_time=0.0),
}


@dataclass(frozen=True)
class Stats:
    """Median, min and max of several rounds."""

    median: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        """Summarise ``values`` (at least one)."""
        return cls(median=statistics.median(values), min=min(values), max=max(values))

    def scaled(self, factor: float) -> Stats:
        """The same figures multiplied by ``factor`` (a positive number)."""
        return Stats(median=self.median * factor, min=self.min * factor, max=self.max * factor)

    def to_json(self) -> dict[str, float]:
        """JSON-ready form."""
        return {"median": self.median, "min": self.min, "max": self.max}


@dataclass(frozen=True)
class Target:
    """A goal on the ratio (``metric="ratio"``) or on the subject's own figure (``"subject"``)."""

    op: Literal["<=", ">=", "<"]
    value: float
    metric: Literal["ratio", "subject"] = "ratio"

    def met_by(self, figure: float) -> bool:
        """Whether ``figure`` (a median) meets the goal."""
        if self.op == "<":
            return figure < self.value
        return figure <= self.value if self.op == "<=" else figure >= self.value

    def text(self) -> str:
        """Short form for the table, e.g. ``<= 1.15``."""
        return f"{self.op} {self.value:g}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"metric": self.metric, "op": self.op, "value": self.value}


@dataclass
class Result:
    """One line of the report.

    :param id: stable key, ``<area>.<name>`` (what the smoke test looks for).
    :param unit: unit of ``subject`` and ``baseline`` (``us/call``, ``calls/s``, ``items/s``, ``ms``, ``B``).
    :param ratio_label: what the ratio divides, e.g. ``client/bare``.
    :param gc_share: the share of each side's time spent in cyclic collections (subject, baseline),
        for comparisons timed with the collector on.
    """

    id: str
    area: str
    title: str
    unit: str
    subject_label: str
    subject: Stats | None = None
    baseline_label: str = ""
    baseline: Stats | None = None
    ratio_label: str = ""
    ratio: Stats | None = None
    target: Target | None = None
    status: Status = "INFO"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    gc_share: tuple[Stats, Stats] | None = None

    def judge(self) -> Result:
        """Set ``status`` from the target (PASS/MISS), or INFO when there is none; return self."""
        if self.status in ("SKIP", "ERROR"):
            return self
        if self.target is None:
            self.status = "INFO"
            return self
        stats = self.ratio if self.target.metric == "ratio" else self.subject
        if stats is None:
            self.status = "ERROR"
            self.note = self.note or "no figure to judge"
            return self
        self.status = "PASS" if self.target.met_by(stats.median) else "MISS"
        return self

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (the same figures as the table)."""
        return {
            "id": self.id,
            "area": self.area,
            "title": self.title,
            "unit": self.unit,
            "subject_label": self.subject_label,
            "subject": None if self.subject is None else self.subject.to_json(),
            "baseline_label": self.baseline_label,
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "ratio_label": self.ratio_label,
            "ratio": None if self.ratio is None else self.ratio.to_json(),
            "target": None if self.target is None else self.target.to_json(),
            "status": self.status,
            "note": self.note,
            "extra": self.extra,
            "gc_share": None
            if self.gc_share is None
            else {"subject": self.gc_share[0].to_json(), "baseline": self.gc_share[1].to_json()},
        }


class _CollectorClock:
    """Seconds spent in cyclic collections while installed in ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def time_loop_collected(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Seconds taken by ``n`` calls of ``fn`` with the collector as it is, and the seconds of it
    spent in cyclic collections. Each call's answer is kept until the next call has made its own, so
    that the collections see answers in use, as they would in a caller's program."""
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    try:
        kept: object = None
        start = time.perf_counter()
        for _ in range(n):
            kept = fn()  # each answer lives until the next call's is made, as a caller's would
        del kept
        _ = [None]  # a collection the last call put off (the allocation count is high) runs here
        return time.perf_counter() - start, clock.seconds
    finally:
        gc.callbacks.remove(clock)


@contextmanager
def live_objects(count: int) -> Iterator[None]:
    """``count`` more live container objects in the process (small lists, all seen by the collector,
    moved to its oldest generation as a long-running program's are) for the span of the block."""
    heap = [[index] for index in range(count)]
    gc.collect()
    try:
        yield
    finally:
        del heap
        gc.collect()


def time_loop(fn: Callable[[], object], n: int) -> float:
    """Seconds taken by ``n`` calls of ``fn``, with the cyclic garbage collector off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def calibrate(fn: Callable[[], object], round_time: float) -> int:
    """How many calls of ``fn`` fill about ``round_time`` seconds (at least one; warms ``fn`` up)."""
    elapsed = time_loop(fn, 1)
    if round_time <= 0:
        return 1
    n = 1
    while elapsed < round_time / 8 and n < 10_000_000:
        n *= 4
        elapsed = time_loop(fn, n)
    return max(1, round(n * round_time / max(elapsed, 1e-9)))


@dataclass(frozen=True)
class Pair:
    """Per-round seconds per call of the two sides of a comparison (same length, same rounds), and
    with the collector on, the per-round share of each side's time spent in collections."""

    subject: list[float]
    baseline: list[float]
    subject_gc: list[float] | None = None
    baseline_gc: list[float] | None = None

    def gc_share(self) -> tuple[Stats, Stats] | None:
        """Stats of both sides' collection shares (None when timed with the collector off)."""
        if self.subject_gc is None or self.baseline_gc is None:
            return None
        return Stats.of(self.subject_gc), Stats.of(self.baseline_gc)

    def times(self, factor: float = 1e6) -> tuple[Stats, Stats, Stats]:
        """Per-call time stats of both sides (scaled, default microseconds) and of subject/baseline."""
        ratios = [s / b for s, b in zip(self.subject, self.baseline, strict=True)]
        return (
            Stats.of(self.subject).scaled(factor),
            Stats.of(self.baseline).scaled(factor),
            Stats.of(ratios),
        )

    def rates(self, per_call: float = 1.0) -> tuple[Stats, Stats, Stats]:
        """Rate stats of both sides (``per_call`` items per call, per second) and of subject/baseline."""
        subject = [per_call / s for s in self.subject]
        baseline = [per_call / b for b in self.baseline]
        ratios = [s / b for s, b in zip(subject, baseline, strict=True)]
        return Stats.of(subject), Stats.of(baseline), Stats.of(ratios)


def best_of(fn: Callable[[], object], n: int, batches: int = BATCHES) -> float:
    """Seconds per call of ``fn``: ``n`` calls split into ``batches`` timed loops, the fastest loop kept.

    Keeping the fastest of a few short loops drops the bursts where another process had the CPU,
    which would otherwise land on one side of a round's ratio only.
    """
    size = max(1, n // batches)
    return min(time_loop(fn, size) / size for _ in range(batches if n >= batches else 1))


def _within(context: Callable[[], AbstractContextManager[object]] | None, action: Callable[[], _T]) -> _T:
    if context is None:
        return action()
    with context():
        return action()


def compare(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    settings: Settings,
    *,
    rounds: int | None = None,
    subject_context: Callable[[], AbstractContextManager[object]] | None = None,
    baseline_context: Callable[[], AbstractContextManager[object]] | None = None,
    collector: bool = False,
) -> Pair:
    """Time ``subject`` against ``baseline`` in interleaved rounds; per-call seconds per round.

    :param subject_context: entered around each of the subject's loops (outside the timing), e.g. to
        activate its ``responses`` mock; ``baseline_context`` likewise.
    :param collector: time each side with the cyclic collector on, in one loop per round (see the
        module docstring), and record the share of the time spent in collections.
    """
    n_subject = _within(subject_context, lambda: calibrate(subject, settings.round_time))
    n_baseline = _within(baseline_context, lambda: calibrate(baseline, settings.round_time))
    if collector:
        return _compare_collected(subject, baseline, settings, rounds, n_subject, n_baseline)

    def run_subject() -> float:
        return _within(subject_context, lambda: best_of(subject, n_subject))

    def run_baseline() -> float:
        return _within(baseline_context, lambda: best_of(baseline, n_baseline))

    subject_times: list[float] = []
    baseline_times: list[float] = []
    for index in range(rounds if rounds is not None else settings.rounds):
        if index % 2 == 0:
            subject_times.append(run_subject())
            baseline_times.append(run_baseline())
        else:
            baseline_times.append(run_baseline())
            subject_times.append(run_subject())
    return Pair(subject=subject_times, baseline=baseline_times)


def _compare_collected(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    settings: Settings,
    rounds: int | None,
    n_subject: int,
    n_baseline: int,
) -> Pair:
    # a loop holds at least 3 calls, so that the collections one call defers land in the loop
    n_subject, n_baseline = max(3, n_subject), max(3, n_baseline)
    times: dict[str, list[float]] = {"s": [], "b": [], "sg": [], "bg": []}

    def run(side: str, fn: Callable[[], object], n: int) -> None:
        seconds, collecting = time_loop_collected(fn, n)
        times[side].append(seconds / n)
        times[side + "g"].append(collecting / seconds)

    for index in range(rounds if rounds is not None else settings.rounds):
        if index % 2 == 0:
            run("s", subject, n_subject)
            run("b", baseline, n_baseline)
        else:
            run("b", baseline, n_baseline)
            run("s", subject, n_subject)
    return Pair(subject=times["s"], baseline=times["b"], subject_gc=times["sg"], baseline_gc=times["bg"])


def result_from_pair(
    pair: Pair,
    *,
    id: str,
    title: str,
    subject_label: str,
    baseline_label: str,
    ratio_label: str,
    unit: Literal["us/call", "calls/s", "items/s"],
    per_call: float = 1.0,
    ratio_of: Literal["time", "rate"] | None = None,
    target: Target | None = None,
    note: str = "",
) -> Result:
    """Build a judged ``Result`` from a ``Pair``, as per-call times (``us/call``) or rates.

    :param per_call: items per call, for ``items/s``.
    :param ratio_of: divide times or rates (default: whatever the unit shows).
    """
    if unit == "us/call":
        subject, baseline, ratio = pair.times()
    else:
        subject, baseline, ratio = pair.rates(per_call)
    if ratio_of == "time" and unit != "us/call":
        ratio = pair.times()[2]
    elif ratio_of == "rate" and unit == "us/call":
        ratio = pair.rates()[2]
    return Result(
        id=id,
        area=id.split(".", 1)[0],
        title=title,
        unit=unit,
        subject_label=subject_label,
        subject=subject,
        baseline_label=baseline_label,
        baseline=baseline,
        ratio_label=ratio_label,
        ratio=ratio,
        target=target,
        note=note,
        gc_share=pair.gc_share(),
    ).judge()


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _stats_cell(stats: Stats | None) -> str:
    if stats is None:
        return "-"
    return f"{_number(stats.median)} [{_number(stats.min)}..{_number(stats.max)}]"


def _gc_cell(share: tuple[Stats, Stats] | None) -> str:
    if share is None:
        return "-"
    return f"{share[0].median:.0%}/{share[1].median:.0%}"


def format_table(results: Sequence[Result]) -> str:
    """The report as a plain-text table (one line per result, notes underneath)."""
    header = (
        "id",
        "unit",
        "subject med [min..max]",
        "baseline med [min..max]",
        "ratio",
        "ratio med [min..max]",
        "gc s/b",
        "target",
        "result",
    )
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        rows.append(
            (
                result.id,
                result.unit,
                _stats_cell(result.subject),
                _stats_cell(result.baseline),
                result.ratio_label or "-",
                _stats_cell(result.ratio),
                _gc_cell(result.gc_share),
                "-"
                if result.target is None
                else (result.target.text() + ("" if result.target.metric == "ratio" else f" {result.unit}")),
                result.status,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    notes = [f"  {result.id}: {result.note}" for result in results if result.note]
    if notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(notes)
    return "\n".join(lines)
