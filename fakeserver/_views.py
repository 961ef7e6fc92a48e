"""Immutable snapshots the engine hands out; ``_wire.py`` renders them as the service's JSON.

The engine builds them under its lock, so a transport can render them without touching live state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

__all__ = [
    "ActivityView",
    "InstanceView",
    "RunOutcome",
    "StageHistoryView",
    "StageStatusView",
    "WorkflowView",
]


@attrs.frozen(kw_only=True)
class WorkflowView:
    """A stored workflow. ``stages`` is the list exactly as submitted (``None`` when absent);
    ``deleted_at`` is set once soft-deleted (stack versions with ``DELETE /workflows/{id}``)."""

    id: str
    name: str
    stages: list[dict[str, Any]] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@attrs.frozen(kw_only=True)
class StageStatusView:
    """One stage row of an instance."""

    stage: int
    instance_id: str
    started_at: datetime
    terminated_at: datetime | None
    error: str


@attrs.frozen(kw_only=True)
class InstanceView:
    """An instance. ``status`` is ``None`` where the service omits the key (lists, non-wait runs,
    instances with no stage row yet). ``workflow`` is its workflow when the instance was read from
    storage (``None`` in a plain run's answer); the stack versions that embed it render it."""

    workflow_id: str
    id: str
    created_at: datetime
    updated_at: datetime
    terminated: bool
    terminated_at: datetime | None
    error: str
    status: tuple[StageStatusView, ...] | None
    workflow: WorkflowView | None = None


@attrs.frozen(kw_only=True)
class RunOutcome:
    """What ``run_workflow`` returns: the instance, and for ``wait=true`` runs the wait error
    (``""`` on success, ``"canceled"``, or ``"<text> (type: <T>, retryable: true)"``)."""

    instance: InstanceView
    waited: bool
    wait_error: str = ""


@attrs.frozen(kw_only=True)
class StageHistoryView:
    """One item of an instance's history: a stage whose child workflow was started."""

    name: str  # RunSend | RunDelay | RunWaitEvent | RunNoOp
    input: dict[str, Any]  # the resolved stage parameters, wire form
    error: str
    terminated: bool
    started_at: datetime
    terminated_at: datetime | None


@attrs.frozen(kw_only=True)
class ActivityView:
    """One item of a stage's history: an activity scheduled by a ``send`` stage."""

    name: str
    input: dict[str, Any]  # the activity input, wire form, WITHOUT the {name: ...} wrapper
    output: dict[str, Any] | None  # the activity output, wire form, without wrapper; None when absent
    error: str
    terminated: bool
    started_at: datetime
    terminated_at: datetime | None
    last_failure: str
    attempt: int
    next_execution: datetime | None
