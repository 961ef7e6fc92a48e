"""Is the fake faithful to my stack? Run one scripted scenario against a stack and against the fake.

``verify(client)`` sends every request of the plan (:func:`build_plan`) to the stack ``client`` is
configured for and to an in-process fake, and compares the raw answers step by step: status,
content type, the JSON's key sets and value types at every path, and its values once the volatile
ones are normalised (:data:`RULES`). With ``stack_version="auto"`` it does so against every stack
version the fake speaks and keeps the best match. The command line is
``formance-orchestration verify --against URL``.
"""

from formance_orchestration.verify._compare import RULES, Answer, Difference
from formance_orchestration.verify._report import Report, StepResult, render_table
from formance_orchestration.verify._run import AUTO, available_versions, verify
from formance_orchestration.verify._scenario import (
    NAME_PREFIX,
    Call,
    Plan,
    Poll,
    Step,
    build_plan,
    render_plan,
)
from formance_orchestration.verify._sides import TargetError

__all__ = [
    "AUTO",
    "NAME_PREFIX",
    "RULES",
    "Answer",
    "Call",
    "Difference",
    "Plan",
    "Poll",
    "Report",
    "Step",
    "StepResult",
    "TargetError",
    "available_versions",
    "build_plan",
    "render_plan",
    "render_table",
    "verify",
]
