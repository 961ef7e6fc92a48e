"""The report of a run: per step the verdict and differences, and how it is printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formance_orchestration.verify._compare import RULES, Difference

__all__ = ["Report", "StepResult", "render_table"]

SAME, DIFFERS, SKIPPED = "same", "differs", "skipped"


@dataclass
class StepResult:
    """One step compared against one fake version.

    :param number: the step's number in the plan.
    :param title: what the step does.
    :param operation: the API operation.
    :param request: the planned request (placeholders kept).
    :param verdict: ``same``, ``differs`` or ``skipped`` (a side lacked what the step needs).
    :param differences: what differs (empty unless ``differs``).
    :param target_status: the target's status code (``None`` when skipped).
    :param fake_status: the fake's status code (``None`` when skipped).
    :param note: why it was skipped.
    """

    number: int
    title: str
    operation: str
    request: str
    verdict: str
    differences: list[Difference] = field(default_factory=list)
    target_status: int | None = None
    fake_status: int | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "step": self.number,
            "title": self.title,
            "operation": self.operation,
            "request": self.request,
            "verdict": self.verdict,
            "targetStatus": self.target_status,
            "fakeStatus": self.fake_status,
            "differences": [d.to_dict() for d in self.differences],
            "note": self.note,
        }


@dataclass
class Report:
    """What ``verify`` found.

    :param target: the target's service URL.
    :param run_id: the random suffix of this run's names.
    :param target_version: what the target's ``GET /_info`` answered (``None`` if it did not).
    :param stack_version: the fake version compared against (the best match with ``auto``).
    :param scores: per fake version tried, how many steps differ (oldest first).
    :param by_version: per fake version tried, its step results.
    :param cleanup: what the cleanup did on the target (instances it aborted).
    """

    target: str
    run_id: str
    target_version: str | None
    stack_version: str
    scores: dict[str, int]
    by_version: dict[str, list[StepResult]]
    cleanup: list[str] = field(default_factory=list)

    @property
    def steps(self) -> list[StepResult]:
        """The step results against the chosen version."""
        return self.by_version[self.stack_version]

    @property
    def differing(self) -> list[StepResult]:
        """The steps that differ or were skipped."""
        return [step for step in self.steps if step.verdict != SAME]

    @property
    def ok(self) -> bool:
        """True when every step gave the same answer on both sides."""
        return not self.differing

    def summary(self) -> str:
        """The one summary line."""
        steps = self.steps
        counts = {
            verdict: sum(1 for s in steps if s.verdict == verdict) for verdict in (SAME, DIFFERS, SKIPPED)
        }
        line = (
            f"{len(steps)} steps against fake {self.stack_version}: {counts[SAME]} same, "
            f"{counts[DIFFERS]} differ, {counts[SKIPPED]} skipped"
        )
        if len(self.scores) > 1:
            tried = ", ".join(f"{name}: {score}" for name, score in self.scores.items())
            line += f" (best of {len(self.scores)} versions; steps differing: {tried})"
        return line + (" - the fake matches this target" if self.ok else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``-o json``)."""
        return {
            "target": self.target,
            "runId": self.run_id,
            "targetVersion": self.target_version,
            "stackVersion": self.stack_version,
            "ok": self.ok,
            "scores": dict(self.scores),
            "summary": self.summary(),
            "steps": [step.to_dict() for step in self.steps],
            "cleanup": list(self.cleanup),
            "rules": {name: text for name, text in RULES},
        }


def render_table(report: Report, *, width: int = 100, shown: int = 3) -> str:
    """The report for people: a header, one row per step, then the summary line.

    :param report: the report.
    :param width: the line width to fit.
    :param shown: how many differences a step shows (the rest are counted).
    """
    lines = [
        f"target {report.target} (version {report.target_version or 'unknown'}), "
        f"fake {report.stack_version}, run {report.run_id}"
    ]
    op_width = max([len("OPERATION"), *(len(s.operation) for s in report.steps)])
    head = f"{'STEP':>4}  {'OPERATION':<{op_width}}  {'VERDICT':<7}  "
    lines.append(head + "DIFFERENCES")
    room = max(20, width - len(head))
    for step in report.steps:
        details: list[str] = []
        if step.verdict == SKIPPED:
            details.append(step.note)
        else:
            details.extend(d.describe() for d in step.differences[:shown])
            if len(step.differences) > shown:
                details.append(f"... and {len(step.differences) - shown} more")
        first = _fit(details[0], room) if details else ""
        lines.append(f"{step.number:>4}  {step.operation:<{op_width}}  {step.verdict:<7}  {first}".rstrip())
        for more in details[1:]:
            lines.append(" " * len(head) + _fit(more, room))
    for line in report.cleanup:
        lines.append(f"cleanup: {line}")
    lines.append(report.summary())
    return "\n".join(lines)


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"
